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

/* Fills the whole map with a colour. */
void dl_render_background(dl_render *r, dl_color color, double opacity);

/* Draws one feature of a fill, line or circle layer. Lines of a layer with
 * connect_smooth are drawn as a smooth curve (Catmull-Rom through the
 * vertices). Circles are recorded as obstacles for labels. Returns
 * DLINE_ERENDER with the layer id when Cairo reports an error. */
dline_status dl_render_feature(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                               const dl_geom *g);

/* Queues a label of a symbol layer (text is UTF-8, may hold '\n') anchored at
 * x,y. Labels are placed in queue order (earlier wins) by
 * dl_render_labels(). The renderer copies text. */
dline_status dl_render_queue_label(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                   const char *text, double x, double y);

/* Marks a rectangle (px) that labels must not cover. */
void dl_render_add_obstacle(dl_render *r, double x0, double y0, double x1, double y1);

/* Draws a text block (title, subtitle, attribution) at its corner of the map,
 * below/above `stack` px already used at that corner; returns in *used (may
 * be NULL) the px it takes from that corner, its vertical offset included, so
 * the next block at the corner goes below it. The block becomes a label
 * obstacle. */
dline_status dl_render_text_block(dline_ctx *ctx, dl_render *r, const dl_style_text *t,
                                  double stack, double *used);

/* Places every queued label: for each, candidate positions around its anchor
 * (the layer's text-anchor, or 8 positions when text_anchor_auto) are tried in
 * order; the first that stays inside the map and overlaps no placed label or
 * obstacle wins; a label with no free position is dropped (unless
 * text_allow_overlap). Draws halo then text with Pango. */
dline_status dl_render_labels(dline_ctx *ctx, dl_render *r);

/* Number of labels placed and dropped by dl_render_labels(). */
void dl_render_label_counts(const dl_render *r, size_t *placed, size_t *dropped);

#endif
