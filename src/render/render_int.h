/* What render.c and label.c share: the renderer's run state (Pango context,
 * label queue, obstacles). Tests include it to look at placed boxes. */
#ifndef DL_RENDER_INT_H
#define DL_RENDER_INT_H

#include <pango/pangocairo.h>
#include <stdint.h>

#include "output/svg.h"
#include "render/raster.h"
#include "render/render.h"

/* Labels keep clear of the map edge by this much (px). */
#define DL_LABEL_FRAME_PAD 2.0

typedef struct {
    double x0, y0, x1, y1;
} dl_box;

typedef struct {
    double x, y, r;
} dl_circle;

typedef struct {
    const dl_style_layer *layer; /* borrowed (the style outlives the renderer), or owned_layer */
    dl_style_layer *owned_layer; /* data-driven values of this label's feature; owned */
    char *owned_text[5];         /* owned_layer's fonts, weights and icon path */
    char *text;                  /* owned, valid UTF-8 */
    char *secondary;             /* owned, valid UTF-8; NULL when none */
    double x, y;                 /* anchor */
    double sort_key;
    size_t seq;                  /* queue order: ties in sort_key keep it */
    double *line;                /* owned: symbol-placement line, nline vertices */
    size_t nline;
    int smooth;
    int placed;                  /* set by dl_render_labels */
    dl_box box;                  /* where it went (with its halo), when placed */
    int has_leader;
    double leader[4];            /* x0,y0 (at the anchor) to x1,y1 (on the box) */
    dl_box *parts;               /* line labels: owned collision boxes along the path */
    size_t nparts;
    int has_feature;             /* feature: the source record labelled (`dline fonts`) */
    long feature;
    int has_icon;                /* an icon-image was placed (point labels) */
    int layout_missing;          /* layout has glyphs no font has */
    dl_box icon_box;             /* its bounding box, rotation included */
    PangoLayout *layout;         /* shaped ahead (dl_render_prepare_labels): a
                                    reference owned, NULL when not */
} dl_label;

/* What an obstacle box is, for --debug-labels: kind "title", "legend",
 * "graticule-label", ... (static) and a name (owned; NULL when none). */
typedef struct {
    const char *kind;
    char *name;
    dl_box box;
} dl_obstacle;

/* An SVG icon loaded once per renderer (icon.c); its size in px at icon-size 1. */
typedef struct dl_icon dl_icon;

struct dl_render {
    cairo_t *cr;     /* borrowed */
    dline_ctx *ctx;  /* borrowed: where warnings go (the render's context) */
    double width, height;
    double thin; /* vertices closer than this (user units) to the last kept are dropped */

    /* One font map and context per renderer: no process-wide Pango state.
     * Made on first use (dl_render_pango). */
    PangoFontMap *fontmap;
    PangoContext *pango;
    int pango_failed;
    cairo_matrix_t ctm0; /* the context's matrix when the render began */
    /* What the Pango context was last updated to (dl_render_pango_update). */
    cairo_matrix_t pango_ctm;
    cairo_surface_t *pango_target;

    dl_label *labels;
    size_t nlabels, cap_labels;
    size_t labels_done; /* labels before this index are already placed or dropped */

    /* Everything labels must avoid: obstacles and placed labels are boxes,
     * circles keep their round shape so diagonal positions can hug them. */
    dl_box *boxes;
    size_t nboxes, cap_boxes;
    dl_circle *circles;
    size_t ncircles, cap_circles;

    size_t placed, dropped;

    /* The furniture and graticule-label boxes among `boxes`, named for
     * --debug-labels; and how many of `circles` are the map's own (circle
     * layers) rather than placed icons, set when labels are placed. */
    dl_obstacle *obstacles;
    size_t nobstacles, cap_obstacles;
    size_t map_circles;

    /* Scratch for offset and gradient lines (line.c), reused so that a
     * feature's vertices cost no allocation once the buffers are big enough. */
    double *line_xy, *line_off;
    size_t cap_line_xy, cap_line_off; /* in points */
    /* While stroke_gradient draws its pieces by raster: the group's image
     * they go into (line.c); NULL when Cairo draws them. */
    struct dl_piece_raster *piece_raster;

    /* Code points already warned about as drawn with no font, ascending
     * (fonts.c): a render warns once per character. */
    uint32_t *warned;
    size_t nwarned, cap_warned;

    /* Features waiting to be drawn together (render.c, dl_render_flush):
     * batch_n paths, or circle centres in batch_xy; their layer's paint. */
    dl_style_layer batch_layer;
    int batch_open; /* batch_layer is set: a batch is under way, maybe still empty */
    size_t batch_n, batch_points;

    /* Drawing one band of the map's rows (dl_render_set_band): features
     * outside [band_y0, band_y1] are left to the other band. */
    int has_band;
    double band_y0, band_y1;
    /* The circles it records as label obstacles: centres with
     * own_y0 <= y < own_y1 (the bands partition the map's circles). */
    double own_y0, own_y1;
    double *batch_xy;
    size_t cap_batch_xy; /* in points */

    /* A batch of plain lines or fills kept as vertices (user units): parts
     * end at rb_end[i] (exclusive, in points). Drawn by raster on an image,
     * else replayed into a Cairo path (dl_render_flush). */
    double *rb_xy;
    size_t rb_n, cap_rb_xy;
    size_t *rb_end;
    size_t rb_nparts, cap_rb_end;
    double *rb_dev; /* one part in device pixels (room for the longest), then room for a dash of it */
    size_t cap_rb_dev;
    /* A circle batch's polygons for raster (dl_raster_circle_table), in
     * device pixels: the fill's, then the stroke's outer edge. */
    double *circle_xy;
    size_t cap_circle_xy; /* in points */
    dl_raster *raster;

    /* The last fill-pattern made, reused by the next feature drawn with the
     * same motif, ink and spacing under the same transformation (one tile,
     * one SVG def). Keyed by value: data-driven features share one layer
     * copy whose fill-color or fill-pattern changes from feature to feature. */
    cairo_pattern_t *pattern;
    struct {
        dl_fill_pattern kind;
        dl_color color;
        double opacity, spacing, width;
    } pattern_key;
    cairo_matrix_t pattern_ctm;

    /* Font family lists as written -> as used (fonts.c), and the installed
     * families, lower case, listed on first use. */
    GHashTable *family_lists;
    GHashTable *installed;
    /* While labels are shaped ahead (quiet_fonts), a list that falls back is
     * not warned about but kept in fonts_pending; the next use of it that
     * is not quiet warns, where the render would have warned without. */
    int quiet_fonts;
    GHashTable *fonts_pending;

    /* Point-label layouts shaped once per distinct label (label.c). */
    GHashTable *layouts;
    GByteArray *layout_key; /* scratch for the lookup key */

    /* icon-image SVGs by path, each parsed once per render (icon.c). */
    dl_icon **icons;
    size_t nicons;
};

/* fonts.c: the family list to ask Pango for. As written when one of its
 * families is installed (or is a generic name such as sans-serif), else
 * with dline's default families after it, warned once per list; the
 * default families for NULL or "". Owned by r. */
const char *dl_render_families(dl_render *r, const char *families);

/* Frees the point-label layout cache (called by dl_render_free). */
void dl_render_layout_cache_free(dl_render *r);

/* The renderer's Pango context, made on first use (so a map without text
 * never initialises fontconfig); NULL when Pango cannot make one. */
PangoContext *dl_render_pango(dl_render *r);

/* The device-space bounding box {x0, y0, x1, y1} of the user-space box
 * (x0, y0)-(x1, y1) under cr's transformation (rotations included). */
void dl_render_device_extents(cairo_t *cr, double x0, double y0, double x1, double y1,
                              double out[4]);
/* Brings the Pango context up to date with r's cairo_t (its matrix and
 * target) before text is laid out, when they changed since the last
 * update: pango_cairo_update_context, which would otherwise lay out again
 * every layout already made. */
void dl_render_pango_update(dl_render *r);

/* Grows r->boxes / r->circles; 0 or -1 on allocation failure. */
int dl_render_push_box(dl_render *r, dl_box b);
/* Pushes an obstacle box and records its kind (static) and name (copied;
 * may be NULL) for --debug-labels; 0 or -1 on allocation failure. */
int dl_render_push_obstacle(dl_render *r, const char *kind, const char *name, dl_box b);
int dl_render_push_circle(dl_render *r, dl_circle c);

/* Lays out text in the font, size, line height and wrapping of a symbol
 * layer. The caller unrefs the layout with g_object_unref(). NULL when out
 * of memory. */
PangoLayout *dl_render_label_layout(dl_render *r, const dl_style_layer *layer, const char *text);

/* The path of a connect-smooth line (the same curve render.c draws) added
 * to cr's current path. */
void dl_render_path_smooth(cairo_t *cr, const double *xy, size_t n);

/* Whether dl_render_feature draws a feature of l that is not batched
 * through raster.c, alone (translucent plain lines, fills and circles on
 * an image). */
int dl_render_alone_on_raster(const dl_render *r, const dl_style_layer *l);
/* Draws g in l's paint as one shape (its parts one union under the
 * non-zero rule, as Cairo's fill or stroke of one path), as
 * dl_render_feature draws a feature alone: by raster.c where it can, else
 * by Cairo; vertices within thin user units of the last one are dropped
 * (0: none). Flushes any open batch first. */
dline_status dl_render_shape_alone(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                   const dl_geom *g, double thin);

/* text-size-secondary, or 0.8 x text-size when not given. */
double dl_render_secondary_size(const dl_style_layer *layer);

/* line.c: whether the layer needs dl_render_stroke_styled (line-offset,
 * line-gap-width or line-gradient). */
int dl_render_line_is_styled(const dl_style_layer *l);
/* Strokes cr's current path (a layer's lines, width, cap, join and dash
 * already set) flattened, offset to each side line-offset/line-gap-width
 * asks for, in line-color or line-gradient. Clears the path. 0, or -1 when
 * out of memory (nothing drawn). */
int dl_render_stroke_styled(dl_render *r, const dl_style_layer *l);
/* Frees the scratch buffers (called by dl_render_free). */
void dl_render_line_scratch_free(dl_render *r);

/* pattern.c: a repeating source pattern for fill-pattern, in fill-color and
 * fill-opacity, anchored at the map's origin. The caller destroys it. NULL
 * when Cairo fails. */
cairo_pattern_t *dl_render_fill_pattern(dl_render *r, const dl_style_layer *l);

/* icon.c: the icon of a layer's icon-image, loaded on first use; NULL when
 * it cannot be read (dl_render_icon_load reports why). Owned by r. */
const dl_icon *dl_render_icon_get(dl_render *r, const char *path);
/* The icon's bounding box (px) drawn at x,y with the layer's icon-size,
 * -anchor and -offset, turned `degrees` clockwise. */
dl_box dl_render_icon_box(const dl_icon *icon, const dl_style_layer *l, double x, double y,
                          double degrees);
/* Draws it as vectors, in icon-opacity. */
void dl_render_icon_draw(cairo_t *cr, const dl_icon *icon, const dl_style_layer *l, double x,
                         double y, double degrees);
/* Frees the loaded icons (called by dl_render_free). */
void dl_render_icons_free(dl_render *r);

/* Frees the queued labels (called by dl_render_free). */
void dl_render_clear_labels(dl_render *r);

/* label.c: the font description of a text-font (family list), weight and
 * size (px) as labels use it; the caller frees it. The layout the render
 * makes for a queued label (line labels on one line); the caller unrefs it,
 * NULL when out of memory. */
PangoFontDescription *dl_render_font_new(const char *families, const char *weight, double size);
PangoLayout *dl_render_queued_layout(dl_render *r, const dl_label *l);

/* fonts.c: adds cp to r's set of characters already warned about; 1 when
 * it was new, 0 when already there, -1 when out of memory. */
int dl_render_warned_add(dl_render *r, uint32_t cp);
/* The distinct characters of a layout drawn with no font (Pango's unknown
 * glyphs, a hex box), in text order, at most cap of them; returns how many. */
size_t dl_render_layout_missing(PangoLayout *layout, uint32_t *out, size_t cap);
/* Warns "no font has U+XXXX 'c' (what); it is drawn as a box" for each
 * character of the layout no font has, once per character per renderer. */
void dl_render_warn_missing(dline_ctx *ctx, dl_render *r, PangoLayout *layout, const char *what);

/* Draws a Pango layout with its origin at x,y: halo (glyph outlines stroked
 * 2 x halo_width wide), then the text; on images the text is filled as the
 * same outline path so it stays registered with its halo, vector output
 * keeps real text. opacity < 1 fades text and halo as one group. Used by
 * labels, text blocks, furniture and graticule labels (label.c). */
void dl_render_draw_layout(cairo_t *cr, PangoLayout *layout, double x, double y, dl_color color,
                           dl_color halo, double halo_width, double opacity);

#endif
