/* Drawing with Cairo and Pango: layers of features already in map pixel
 * coordinates (y down, 1 unit = 1 px at 96 dpi), labels placed after all
 * geometry, and the title/attribution blocks. */
#ifndef DL_RENDER_H
#define DL_RENDER_H

#include <cairo.h>

#include "error.h"
#include "geom.h"
#include "style/style.h"

typedef struct dl_render dl_render;

/* A renderer drawing on cr, whose user space must already be 1 unit = 1 px
 * at 96 dpi over a width x height map. The renderer does not own cr.
 * Free with dl_render_free(). */
dline_status dl_render_new(dline_ctx *ctx, cairo_t *cr, double width, double height,
                           dl_render **out);
void dl_render_free(dl_render *r);

/* Fonts for the renderers of one map to share, so that each font is found
 * and loaded once, not once a renderer. Made before the renderers, so that
 * fontconfig's set-up, which Pango runs on a thread of its own from the
 * moment a font map exists, overlaps the caller's work. A renderer's fonts
 * are used by one thread at a time: the caller hands them over with the
 * renderer (a thread's start and join order the uses). NULL when Pango
 * cannot make them; free with dl_fonts_free(). */
typedef struct dl_fonts dl_fonts;
dl_fonts *dl_fonts_new(void);
void dl_fonts_free(dl_fonts *f);

/* r draws its text with f's fonts instead of making its own on first use.
 * Only before r has drawn or measured any text; f may be NULL. */
void dl_render_use_fonts(dl_render *r, dl_fonts *f);

/* m draws its text with r's fonts (made now if r has none yet): for a
 * renderer that measures what r is about to draw. */
void dl_render_share_fonts(dl_render *m, dl_render *r);

/* SVG output: what is drawn between these goes in <g id="id">, an Inkscape
 * layer when `layer` is set (a style layer). No-ops on other outputs. */
void dl_render_group_begin(dl_render *r, const char *id, int layer);
void dl_render_group_end(dl_render *r);

/* Fills the whole map with a colour. */
void dl_render_background(dl_render *r, dl_color color, double opacity);

/* Draws one feature of a fill, line or circle layer. Lines of a layer with
 * connect_smooth are drawn as a smooth curve (Catmull-Rom through the
 * vertices). Circles are recorded as obstacles for labels. Returns
 * DLINE_ERENDER with the layer id when Cairo reports an error. */
dline_status dl_render_feature(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                               const dl_geom *g);

/* Makes r draw only what reaches the rows y0..y1 (user units) of the map:
 * its cairo_t is a band of the map's image, and another renderer draws the
 * rest. Of the circles it draws, r records as label obstacles those whose
 * centre has own_y0 <= y < own_y1, so that the bands' ranges, taken
 * together, record every circle once. */
void dl_render_set_band(dl_render *r, double y0, double y1, double own_y0, double own_y1);
/* Adds from's label obstacles (circles and boxes) to to's; -1 when out of
 * memory. */
int dl_render_take_obstacles(dl_render *to, const dl_render *from);
/* How far (px) the ink of a feature of layer l can reach beyond its
 * vertices: more than any stroke, casing, offset, miter (limit 2), circle
 * or antialiasing adds. A band draws the features within this of its
 * rows. */
double dl_render_ink_margin(const dl_style_layer *l);

/* Draws the features dl_render_feature has batched (features of one layer
 * in the same opaque paint are drawn together). Call at the end of each
 * layer and before anything else is drawn. */
void dl_render_flush(dl_render *r);

/* Queues a label of a symbol layer (text is UTF-8, may hold '\n') anchored at
 * x,y, with sort key 0 (see dl_render_queue). The renderer copies text. */
dline_status dl_render_queue_label(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                   const char *text, double x, double y);

/* One label for dl_render_queue: everything but the style, which comes from
 * the layer. Strings and the line are copied. */
typedef struct {
    const char *text;      /* UTF-8, may hold '\n' */
    const char *secondary; /* text-field-secondary, a line under text in its own
                            * size and font; NULL or "" when none */
    double x, y;           /* anchor (point placement) */
    double sort_key;       /* lower is placed first (symbol-sort-key) */
    const double *line;    /* symbol-placement line: nline x,y vertices in px */
    size_t nline;
    int smooth;            /* the line is drawn as a curve (connect-smooth) */
    int has_feature;       /* feature: the source record number (from 0) labelled */
    long feature;
    int own_layer;         /* the layer is a passing copy (data-driven values for this
                            * feature): the label keeps a copy of its own */
} dl_label_spec;

/* Labels one render may queue in all: each costs a copy of its text and a
 * placement test, and a map with more shows none of them legibly. */
#define DL_MAX_LABELS 1000000

/* Queues a label. Labels are placed by dl_render_labels() in ascending
 * sort_key, ties in queue order. Past DL_MAX_LABELS: DLINE_ENOMEM, "layer
 * 'ID': more than 1000000 labels". */
dline_status dl_render_queue(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                             const dl_label_spec *spec);

/* Every queued label as pretty-printed JSON (boxes, anchors, layer ids, text,
 * placed or not, leader lines), for --debug-labels; call after
 * dl_render_labels(). The caller frees the string; NULL when out of memory. */
char *dl_render_labels_json(const dl_render *r);

/* Loads the layer's icon-image (once per renderer) so that a file which is
 * not an SVG is reported before drawing: DLINE_ESTYLE at the icon-image line
 * of style_path. DLINE_OK when the layer has no icon. */
dline_status dl_render_icon_load(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                 const char *style_path);

/* Marks a rectangle (px) that labels must not cover. dl_render_add_obstacle
 * names it "obstacle" in --debug-labels; dl_render_add_named_obstacle gives
 * its kind ("legend", "scale-bar", ...: static) and name (copied; may be
 * NULL). */
void dl_render_add_obstacle(dl_render *r, double x0, double y0, double x1, double y1);
void dl_render_add_named_obstacle(dl_render *r, const char *kind, const char *name, double x0,
                                  double y0, double x1, double y1);
/* The obstacle boxes recorded so far (the furniture's), for blocks that
 * must not cover each other: their count; the union of those from index
 * `from` on (0 when there are none); and the first of the first `upto`
 * that overlaps box (x0, y0, x1, y1), copied to hit (0 when none does). */
size_t dl_render_obstacle_count(const dl_render *r);
int dl_render_obstacles_box(const dl_render *r, size_t from, double box[4]);
int dl_render_obstacle_hit(const dl_render *r, size_t upto, const double box[4], double hit[4]);

/* Draws a text block (title, subtitle, attribution) at its corner of the map,
 * below/above `stack` px already used at that corner; returns in *used (may
 * be NULL) the px it takes from that corner, its vertical offset included, so
 * the next block at the corner goes below it. The block becomes a label
 * obstacle. */
dline_status dl_render_text_block(dline_ctx *ctx, dl_render *r, const dl_style_text *t,
                                  double stack, double *used);

/* Places every queued label, in ascending sort key and then queue order: for
 * each, candidate positions around its anchor (text-variable-anchor, the
 * layer's text-anchor, or 8 positions when text_anchor_auto) are tried in
 * order; the first whose box plus text-padding stays inside the map and
 * overlaps no placed label or obstacle wins. With text-leader, rings further
 * out are tried next and a far label gets a leader line. Line labels follow
 * their line, repeated every symbol-spacing px. A label with no free
 * position is dropped (unless text_allow_overlap). Draws halo then text. */
dline_status dl_render_labels(dline_ctx *ctx, dl_render *r);

/* Shapes the queued labels' layouts ahead of dl_render_labels (which then
 * only places and draws them), so that this may run on another thread than
 * the rest of the map: the layouts are made in r's own Pango context, and
 * the warnings they call for (a font not installed, a character no font
 * has) are not given here but by dl_render_labels, where they would have
 * been. Stops early on a cancel (ctx), when out of memory, or after
 * DL_PREPARE_MAX layouts of labels' own (memory stays bounded; the rest are
 * shaped when placed). Only r may be in use meanwhile: not its cairo_t. */
#define DL_PREPARE_MAX 16384
void dl_render_prepare_labels(dline_ctx *ctx, dl_render *r);

/* Map furniture (furniture.c). Each block is drawn at its position `stack`
 * px after the blocks already at that corner, returns in *used (may be NULL)
 * the px it takes there, offset included, and becomes a label obstacle. */

/* A scale bar's round length: 1, 2 or 5 x 10^n of the unit it is shown in,
 * the longest that fits max_width px; its width in px, its 2 or 4 segments
 * and its tick labels. The unit is metres below 1 km and kilometres from
 * 1 km (metric), feet below 1 mile and miles from 1 mile (imperial), or
 * nautical miles at any length (nautical). -1 when metres_per_px or
 * max_width is not a positive number. */
typedef struct {
    double metres, width; /* ground length and its px at metres_per_px */
    double length;        /* the same in unit: 500, 2, 0.2 */
    const char *unit;     /* "m", "km", "ft", "mi" or "nmi" (static) */
    int segments;
    char ticks[3][32];    /* "0", half and the length with its unit: "2.5", "5 mi" */
} dl_scale_bar_choice;
int dl_render_scale_bar_pick(dl_scale_units units, double metres_per_px, double max_width,
                             dl_scale_bar_choice *out);

/* Where a scale bar went: its ends in px (y through its middle). */
typedef struct {
    double x0, x1, y;
    double metres;
    int segments;
} dl_scale_bar_drawn;

/* A scale bar for metres_per_px (the ground scale at the map centre),
 * alternate segments with ticks "0", half and the length with its unit.
 * Draws nothing when the scale is not a positive number. drawn may be NULL. */
dline_status dl_render_scale_bar(dline_ctx *ctx, dl_render *r, const dl_style_scale_bar *s,
                                 double metres_per_px, double stack, double *used,
                                 dl_scale_bar_drawn *drawn);

/* A north arrow pointing `degrees` clockwise from up, with an upright "N". */
dline_status dl_render_north_arrow(dline_ctx *ctx, dl_render *r, const dl_style_north_arrow *a,
                                   double degrees, double stack, double *used);

/* A legend of the layers that have a `legend` text, in layer order, each row
 * a swatch drawn with the layer's own paint and the text. */
dline_status dl_render_legend(dline_ctx *ctx, dl_render *r, const dl_style_legend *g,
                              const dl_style_layer *layers, size_t nlayers, double stack,
                              double *used);

/* The neat frame: its strip along the map edge as label obstacles (call
 * before dl_render_labels), and the line itself (call last). */
void dl_render_frame_obstacles(dl_render *r, const dl_style_frame *f);
dline_status dl_render_frame(dline_ctx *ctx, dl_render *r, const dl_style_frame *f);

/* Number of labels placed and dropped by dl_render_labels(). */
void dl_render_label_counts(const dl_render *r, size_t *placed, size_t *dropped);

/* Whether one family of a text-font list ("A, B Bold") is installed, as
 * the render decides before it falls back to dl_render_fallback_fonts()
 * (fonts.c); 1 for NULL or "" (the defaults). */
int dl_render_fonts_installed(dl_render *r, const char *families);
const char *dl_render_fallback_fonts(void);

/* `dline fonts` (fonts.c), on a renderer whose labels are queued but not
 * placed: writes to out one line per font request of the style (each symbol
 * layer's text-font and secondary font, title, subtitle, attribution, legend,
 * scale bar, north arrow) with the face fontconfig resolves it to and its
 * file, then "missing: none" or one "missing: U+XXXX 'c' in WHERE" line per
 * character and place that no font has, from the queued labels laid out as
 * the render lays them out and the furniture's texts. *nmissing is the count
 * of such lines. */
dline_status dl_render_fonts_report(dline_ctx *ctx, dl_render *r, const dl_style *s, FILE *out,
                                    size_t *nmissing);

#endif
