/* The style: a YAML file read through libyaml into typed, checked values.
 * Every value keeps the line:column it came from so errors can point at it.
 * Nothing outside src/style/ sees libyaml types. */
#ifndef DL_STYLE_H
#define DL_STYLE_H

#include "error.h"
#include "geom.h"
#include "source/source.h" /* dl_source_kind */

#define DL_MAX_SIZE_PX 20000 /* a side of the map, in px */
#define DL_MAX_DASHES 16

typedef struct {
    double r, g, b, a; /* 0..1, not premultiplied */
} dl_color;

/* Parses "#rgb", "#rrggbb", "#rrggbbaa", "rgb(r,g,b)", "rgba(r,g,b,a)" and the
 * CSS named colours (case-insensitive) plus "transparent". 0 on success, -1
 * when s is not a colour. */
int dl_color_parse(const char *s, dl_color *out);

typedef enum {
    DL_LAYER_BACKGROUND,
    DL_LAYER_FILL,
    DL_LAYER_LINE,
    DL_LAYER_CIRCLE,
    DL_LAYER_SYMBOL
} dl_layer_type;

typedef enum { DL_CAP_BUTT, DL_CAP_ROUND, DL_CAP_SQUARE } dl_line_cap;
typedef enum { DL_JOIN_MITER, DL_JOIN_ROUND, DL_JOIN_BEVEL } dl_line_join;

/* fill-pattern: built-in patterns (MapLibre names a sprite image; dline has
 * no sprites). NONE fills with fill-color. */
typedef enum {
    DL_PATTERN_NONE, DL_PATTERN_HATCH, DL_PATTERN_HATCH_135, DL_PATTERN_CROSSHATCH,
    DL_PATTERN_HORIZONTAL, DL_PATTERN_VERTICAL, DL_PATTERN_DOTS
} dl_fill_pattern;

#define DL_MAX_GRADIENT_STOPS 16

/* One stop of line-gradient: the colour at a progress 0..1 along the line. */
typedef struct {
    double at;
    dl_color color;
} dl_gradient_stop;

/* MapLibre text-anchor: the part of the label placed at the anchor point. */
typedef enum {
    DL_ANCHOR_CENTER, DL_ANCHOR_LEFT, DL_ANCHOR_RIGHT, DL_ANCHOR_TOP, DL_ANCHOR_BOTTOM,
    DL_ANCHOR_TOP_LEFT, DL_ANCHOR_TOP_RIGHT, DL_ANCHOR_BOTTOM_LEFT, DL_ANCHOR_BOTTOM_RIGHT
} dl_anchor;

/* A compiled MapLibre expression (style/expr.h): filters and data- or
 * zoom-driven property values. */
typedef struct dl_expr dl_expr;

/* A property whose value is an expression that depends on the zoom or on
 * the feature: which property (an index into style.c's table) and the
 * compiled expression. Constant expressions are evaluated when the style is
 * read and stored as plain values. */
typedef struct {
    int prop;
    dl_expr *expr;
    int per_feature; /* reads feature data; else only the zoom */
    const char *file; /* the file it was read from (dl_style.files): a --set
                       * value is "--set" */
} dl_style_expr;

/* Where per-feature fonts and icon paths are written (dline evaluates one
 * feature at a time; a label keeps copies). */
typedef struct {
    char font[256], font2[256], icon[1024];
} dl_style_eval_text;

/* The name of property `prop` of a dl_style_expr ("circle-radius"). */
const char *dl_style_prop_name(int prop);

typedef struct {
    char *name;
    char *path;     /* resolved against the style file's folder */
    char *crs;      /* NULL unless given; when given it wins over a .prj (as a
                     * MapServer LAYER's PROJECTION does) */
    int crs_line, crs_col; /* where `crs` is given, for its errors */
    char *encoding; /* NULL unless given; overrides .cpg and the DBF byte (CSV: the
                     * file's encoding) */
    dl_source_kind type; /* `type`, else from the path's extension; never AUTO */
    char *lon, *lat;     /* CSV only: the coordinate columns; NULL to find them by name */
    /* A MapLibre style's inline GeoJSON `data` as JSON text (data_len
     * bytes); NULL for a file. path is then "FILE:LINE:COL" of the object,
     * which names it in messages. */
    char *data;
    size_t data_len;
    int line, col;  /* where the source is declared */
    char *file;     /* the included file it is declared in; NULL: the style itself */
    int broken;     /* dl_style_load_checked: the entry had an error (not opened) */
} dl_style_source;

typedef struct {
    char *id;
    dl_layer_type type;
    long source; /* index into dl_style.sources, -1 for background */
    size_t index;            /* position in dl_style.layers */
    dl_expr *filter;         /* NULL: every feature */
    double minzoom, maxzoom; /* drawn when minzoom <= zoom < maxzoom; 0 and 24 */
    double min_scale, max_scale; /* drawn when min-scale <= 1:N < max-scale; 0: no bound */

    /* Zoom- and data-driven properties (see dl_style_layer_eval_*). */
    dl_style_expr *exprs;
    size_t nexprs;
    int per_feature;               /* some expression reads the feature */
    dl_expr *text_field_expr;      /* text-field given as an expression (not a template) */
    dl_expr *text_field_secondary_expr;
    dl_expr *sort_key_expr;        /* symbol-sort-key as an expression */
    char *icon_dir;                /* icon-image as an expression: the folder its names are in */

    /* connect-by: a line layer over a point source joins the points in
     * ascending order of this attribute (features where it is NULL are left
     * out); connect-smooth turns the polyline into a curve through them. */
    char *connect_by;
    int connect_smooth;

    /* legend: the text of this layer's row in the map legend; NULL for none */
    char *legend;
    /* inset-only: drawn in the inset overview map and not on the main map
     * (dline extension), e.g. the district a map is about, highlighted */
    int inset_only;

    /* paint, all sizes in px at 96 dpi */
    dl_color background_color; double background_opacity;
    dl_color fill_color; double fill_opacity;
    dl_color fill_outline_color; int has_fill_outline;
    dl_color line_color; double line_width; double line_opacity;
    double line_dasharray[DL_MAX_DASHES]; int line_ndash; /* in line widths */
    dl_line_cap line_cap; dl_line_join line_join;
    double line_offset;    /* px, positive to the right of the line's direction */
    double line_gap_width; /* px; > 0 draws two lines this far apart (casing) */
    dl_gradient_stop line_gradient[DL_MAX_GRADIENT_STOPS]; /* ascending `at` */
    int line_ngradient;    /* 0: no gradient, line-color is used */
    dl_fill_pattern fill_pattern;
    double fill_pattern_spacing, fill_pattern_width; /* px */
    double circle_radius; dl_color circle_color; double circle_opacity;
    dl_color circle_stroke_color; double circle_stroke_width;
    dl_color text_color; dl_color text_halo_color; double text_halo_width;
    double text_opacity;

    /* layout (symbol) */
    char *text_field;  /* template: "{name_zh}\n{name_en}" */
    char *text_font;   /* Pango family list, e.g. "Noto Sans CJK SC, DejaVu Sans" */
    char *text_weight; /* "normal" or "bold"; from a trailing Bold in text-font too */
    double text_size;
    double text_offset[2]; /* in ems, as MapLibre */
    dl_anchor text_anchor;
    int text_anchor_auto;  /* text-anchor not given: try the 8 positions around the point */
    double text_line_height; /* ems */
    double text_max_width;   /* ems, 0 = no wrapping */
    int text_allow_overlap;

    /* label placement (MapLibre names; text-leader-* and *-secondary are dline's) */
    dl_anchor text_variable_anchor[9]; /* candidate anchors in preference order */
    int text_nvariable_anchor;         /* 0: not given */
    double text_radial_offset;         /* ems */
    int has_text_radial_offset;        /* else text-offset's length, or a small gap */
    double text_padding;               /* px around each label box in collisions */
    int text_optional;                 /* the icon stands when its text has no room */
    int has_sort_key;                  /* symbol-sort-key given */
    double symbol_sort_key;            /* the constant, when sort_key_expr is NULL */
    int symbol_placement_line;         /* symbol-placement: line */
    double symbol_spacing;             /* px between repeated line labels */
    double text_max_angle;             /* degrees between successive glyphs on a line */
    int text_leader;                   /* try further positions with a leader line */
    double text_leader_threshold;      /* px from the anchor; <= 0: 1.5 x the gap */
    dl_color text_leader_color;
    int has_text_leader_color;         /* else text-color */
    double text_leader_width;          /* px */
    double text_leader_halo_width;     /* px each side; < 0: text-halo-width, at most 1 */
    char *text_field_secondary;        /* template of a second line in its own size */
    double text_size_secondary;        /* px; <= 0: 0.8 x text-size */
    char *text_font_secondary;         /* NULL: text-font */
    char *text_weight_secondary;       /* NULL: "normal" */

    /* icons (MapLibre names; icon-image is a path to an SVG file, resolved
     * against the style's folder, as dline has no sprites) */
    char *icon_image;                  /* NULL: no icon */
    int icon_line, icon_col;           /* where icon-image is given, for errors */
    double icon_size;                  /* scale of the SVG's own size in px */
    dl_anchor icon_anchor;             /* the part of the icon at the point */
    double icon_offset[2];             /* px, before icon-size, rotated with the icon */
    double icon_rotate;                /* degrees clockwise */
    double icon_opacity;
    int icon_allow_overlap;
    int icon_rotation_alignment;       /* 0 auto (map along lines), 1 map, 2 viewport */

    int line, col;
    char *file; /* the included file the layer was read from; NULL: the style itself */
    int broken; /* dl_style_load_checked: the layer had an error (not drawn or checked) */
    /* Where these values are given, for dline validate's problems about
     * them (line 0: not given). The files are in dl_style.files: a value
     * from --set or an included file need not be in the layer's file. */
    const char *filter_file, *sort_key_file;
    const char *text_field_file, *text_field_secondary_file;
    const char *text_font_file, *text_font_secondary_file, *connect_by_file;
    int text_field_line, text_field_col;
    int text_field_secondary_line, text_field_secondary_col;
    int text_font_line, text_font_col;
    int text_font_secondary_line, text_font_secondary_col;
    int connect_by_line, connect_by_col;
} dl_style_layer;

/* A block of text on the map: title, subtitle, attribution. */
typedef struct {
    char *text;      /* NULL when absent */
    char *font;
    double size;     /* px */
    dl_color color;
    dl_color halo_color;
    double halo_width;
    dl_anchor position; /* corner of the map; title defaults to top-left */
    double offset[2];   /* px from that corner */
    dl_color background; /* a panel behind the text; transparent = none */
    double padding;      /* px between the text and the panel's edge */
    const char *role;    /* "title", "subtitle" or "attribution" (static), for messages */
} dl_style_text;

/* A scale bar's units: metres and kilometres; feet and miles (international,
 * 0.3048 m and 1609.344 m); nautical miles (1852 m). */
typedef enum { DL_UNITS_METRIC, DL_UNITS_IMPERIAL, DL_UNITS_NAUTICAL } dl_scale_units;

/* Map furniture: blocks at a corner (or the middle of the top or bottom
 * edge), drawn after the layers and before the labels, which avoid them.
 * Fonts are Pango descriptions ("Noto Sans CJK SC, DejaVu Sans Bold"). */
typedef struct {
    int enabled;
    dl_anchor position;
    double offset[2];  /* px from the corner */
    double max_width;  /* px the bar may take */
    dl_scale_units units; /* zero, the default, is metric */
    char *font;
    double size;       /* px, of the tick labels */
    dl_color color;    /* text, outline and dark segments */
    dl_color halo_color; /* halo and light segments */
    double halo_width;
} dl_style_scale_bar;

typedef struct {
    int enabled;
    dl_anchor position;
    double offset[2];
    double size;       /* px, length of the arrow */
    char *font;        /* of the "N" */
    dl_color color;
    dl_color halo_color; /* light half and outline */
} dl_style_north_arrow;

typedef struct {
    int enabled;       /* -1 when not given: drawn when a layer has a legend */
    dl_anchor position;
    double offset[2];
    char *title;       /* NULL for none */
    char *font;
    double size;       /* px, of the entries; the title is bold and 1.15 x */
    dl_color color;
    dl_color background_color;
    double background_opacity;
    dl_color border_color;
    double border_width;
    double padding;    /* px */
    int line, col;     /* the block, for warnings */
} dl_style_legend;

typedef struct {
    int enabled;
    double width;      /* px, drawn inside the map face's edge */
    dl_color color;
    /* px between the sheet's edge and the map face: top, right, bottom,
     * left (all 0: the face is the sheet, as without margins). Used only
     * while the frame is enabled, so `frame: false` drops them too. */
    double margin[4];
    dl_color background; /* of the margins */
    int margin_line, margin_col; /* where `margin` is, for the size check */
} dl_style_frame;

/* Meridians and parallels every `interval` degrees, labelled at the frame. */
enum { DL_GRATICULE_DM, DL_GRATICULE_DECIMAL };
typedef struct {
    int enabled;
    double interval;   /* degrees; 0 = auto (about 4 to 8 meridians across) */
    int format;        /* DL_GRATICULE_DM or DL_GRATICULE_DECIMAL */
    dl_color color;
    double width;      /* px */
    double opacity;
    double dasharray[DL_MAX_DASHES]; int ndash; /* in line widths */
    int labels;        /* label the lines where they meet the map edge */
    char *font;
    double size;       /* px, of the labels */
    dl_color label_color, label_halo_color;
    double label_halo_width;
} dl_style_graticule;

/* A small overview map of a wider extent, in the map's CRS or its own, with
 * the main map's extent outlined. Its layers are fill and line layers of the
 * style, drawn with their own paint. */
typedef struct {
    int enabled;
    char *crs;           /* its own CRS, or NULL for the map's; checked at render */
    int crs_line, crs_col; /* where `crs` is, for that check's error */
    dl_anchor position;
    double offset[2];
    double size[2];      /* px */
    int has_extent;
    double extent[4];    /* minlon, minlat, maxlon, maxlat; else fit its layers */
    double padding;      /* px around fitted layers */
    long *layers; size_t nlayers; /* indices into dl_style.layers, in draw order */
    dl_color background;
    dl_color frame_color;
    double frame_width;
    dl_color outline_color;
    double outline_width;
} dl_style_inset;

/* The map face inside a sheet of width x height px: where layers are drawn
 * and clipped, the map's extent fitted and the neat line drawn. The sheet
 * inset by the frame's margins (the whole sheet without them). */
typedef struct {
    double x, y, width, height;
} dl_style_face;

typedef struct {
    dl_style_scale_bar scale_bar;
    dl_style_north_arrow north_arrow;
    dl_style_legend legend;
    dl_style_frame frame;
    dl_style_graticule graticule;
    dl_style_inset inset;
} dl_style_furniture;

typedef struct {
    char *path; /* the style file as given */
    char *dir;  /* its folder, for resolving relative paths */
    double width, height; /* px at 96 dpi; fractional from mm/pt/in sizes and paper */
    double dpi;        /* output resolution: PNG pixels = size * dpi / 96 */
    char *crs;         /* map CRS definition; default "EPSG:3857" */
    int crs_line, crs_col; /* where `crs` is given (0: the default) */
    const char *crs_file;  /* its file (in files), NULL with the default */
    char **files;      /* the names of the files values were read from, for messages */
    size_t nfiles;
    int has_extent;
    double extent[4];  /* minlon, minlat, maxlon, maxlat (WGS84) */
    /* A MapLibre style's `center` and `zoom` without a dline extent or fit:
     * extent is what that view shows at the map's size (dl_style_apply_view),
     * worked out again when the size changes. */
    int has_view;
    double view_center[2], view_zoom;
    char **fit_layers; size_t nfit; /* layer ids; all layers with a source when 0 */
    double fit_padding; /* px */
    dl_color background;
    dl_style_text title, subtitle, attribution;
    dl_style_furniture furniture;
    dl_style_source *sources; size_t nsources;
    dl_style_layer *layers; size_t nlayers;
} dl_style;

/* Reads and checks the style at path. Errors: "PATH:LINE:COL: message" with
 * DLINE_ESTYLE (DLINE_EIO when the file cannot be read). Checks syntax, keys
 * (with the nearest valid key suggested), types, colours, ranges (negative
 * widths, sizes over DL_MAX_SIZE_PX), layer types and source references. It
 * does not open the data files. On success *out owns the style; free with
 * dl_style_free(). */
dline_status dl_style_load(dline_ctx *ctx, const char *path, dl_style **out);
/* The same with overrides, each "PATH=VALUE" as `--set` takes them (see
 * src/style/compose.h for include:, vars: and --set). */
dline_status dl_style_load_with(dline_ctx *ctx, const char *path, const char *const *sets,
                                size_t nsets, dl_style **out);
/* dline validate: style errors (unknown keys and properties, bad values,
 * layers that do not load) are each given to report and the load goes on;
 * *nproblems counts them. A layer that failed is kept with `broken` set.
 * Errors that stop reading (I/O, YAML syntax, includes) are returned as by
 * dl_style_load. */
typedef void (*dl_style_problem_fn)(const char *message, void *user);
dline_status dl_style_load_checked(dline_ctx *ctx, const char *path, const char *const *sets,
                                   size_t nsets, dl_style_problem_fn report, void *user,
                                   size_t *nproblems, dl_style **out);
/* dl_style_load_with on a style given in memory: path stands for its file
 * (messages name it; relative paths are taken from its folder). */
dline_status dl_style_load_text(dline_ctx *ctx, const char *path, const char *text, size_t len,
                                const char *const *sets, size_t nsets, dl_style **out);
void dl_style_free(dl_style *style);

/* With has_view, sets extent to what the MapLibre view shows at the
 * style's size (see src/style/maplibre.h). A caller that sets the extent
 * itself clears has_view. */
void dl_style_apply_view(dl_style *style);

/* The map face of the style's sheet (style->width x height), see
 * dl_style_face. 0, or -1 when the margins leave less than 1 px a side:
 * *face is then the sheet and why (when not NULL) gets the reason, a
 * message naming 'margin'. */
int dl_style_face_of(const dl_style *style, dl_style_face *face, char *why, size_t nwhy);

/* Whether the frame has margins in force (enabled and not all 0). */
int dl_style_has_margin(const dl_style *style);

/* Finds a layer or source by id/name; -1 when absent. */
/* The file a layer's line:col refer to (an included file, or the style). */
const char *dl_style_layer_file(const dl_style *style, const dl_style_layer *layer);

long dl_style_layer_index(const dl_style *style, const char *id);
long dl_style_source_index(const dl_style *style, const char *name);



/* Parses a length: a number of px at 96 dpi, or a number directly followed
 * by a unit (px, pt, mm, cm or in, any case), converted to px at 96 dpi
 * (1pt = 96/72 px, 1mm = 96/25.4 px). s[0..len) need not be NUL-terminated.
 * Returns 0 on success with *unit_len 0 when there was no unit; -1 when s is
 * not a number with or without a unit; -2 when the unit is unknown (*unit and
 * *unit_len then point at it within s). */
int dl_style_length(const char *s, size_t len, double *px, const char **unit, size_t *unit_len);

/* Parses a paper name: A3, A4, A5, letter or legal (any case), portrait
 * unless followed by ":landscape" (":portrait" is accepted too). Sets the
 * page size in px at 96 dpi (A4 is 793.7 x 1122.5 px). 0 on success, -1
 * when s is not a paper name. */
int dl_style_paper(const char *s, double *width, double *height);

/* Expands a text-field template: "{name}" is replaced by the value of field
 * `name` (formatted with dl_value_format; a missing field or NULL value gives
 * ""), "\n" in the YAML string is a line break. Lines left empty by missing
 * values are dropped. Writes at most size bytes including the NUL; returns
 * the length written. */
size_t dl_style_expand_text(const char *tmpl, const dl_field *fields, size_t nfields,
                            const dl_value *values, char *buf, size_t size);
#endif
