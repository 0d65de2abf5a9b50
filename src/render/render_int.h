/* What render.c and label.c share: the renderer's run state (Pango context,
 * label queue, obstacles). Tests include it to look at placed boxes. */
#ifndef DL_RENDER_INT_H
#define DL_RENDER_INT_H

#include <pango/pangocairo.h>

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
    const dl_style_layer *layer; /* borrowed: the style outlives the renderer */
    char *text;                  /* owned, valid UTF-8 */
    double x, y;                 /* anchor */
    int placed;                  /* set by dl_render_labels */
    dl_box box;                  /* where it went (with its halo), when placed */
} dl_label;

struct dl_render {
    cairo_t *cr; /* borrowed */
    double width, height;

    /* One font map and context per renderer: no process-wide Pango state. */
    PangoFontMap *fontmap;
    PangoContext *pango;

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
};

/* Grows r->boxes / r->circles; 0 or -1 on allocation failure. */
int dl_render_push_box(dl_render *r, dl_box b);
int dl_render_push_circle(dl_render *r, dl_circle c);

/* Lays out text in the font, size, line height and wrapping of a symbol
 * layer. The caller unrefs the layout with g_object_unref(). NULL when out
 * of memory. */
PangoLayout *dl_render_label_layout(dl_render *r, const dl_style_layer *layer, const char *text);

/* Frees the queued labels (called by dl_render_free). */
void dl_render_clear_labels(dl_render *r);

#endif
