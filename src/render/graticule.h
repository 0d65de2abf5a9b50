/* A graticule ready to draw: its meridians and parallels as px polylines
 * and its edge labels (src/graticule.c makes it, graticule.c draws it). */
#ifndef DL_RENDER_GRATICULE_H
#define DL_RENDER_GRATICULE_H

#include "render/render.h"

/* Which map edge a label sits on. */
enum { DL_EDGE_TOP, DL_EDGE_BOTTOM, DL_EDGE_LEFT, DL_EDGE_RIGHT };

typedef struct {
    int meridian;      /* 1: value is a longitude; 0: a parallel, value a latitude */
    double value;      /* degrees */
    double *xy;        /* n px points (y down) into dl_graticule.xy; a NaN x
                        * (a point PROJ could not transform) breaks the line */
    size_t n;
} dl_graticule_line;

typedef struct {
    double x, y;       /* where the line meets the edge, px */
    int edge;          /* DL_EDGE_* */
    char text[48];     /* UTF-8 */
} dl_graticule_label;

/* Owns its arrays; release with dl_graticule_free(). A zeroed one is empty. */
typedef struct {
    double interval;   /* degrees */
    dl_graticule_line *lines;
    size_t nlines;
    double *xy;
    dl_graticule_label *labels;
    size_t nlabels;
} dl_graticule;

void dl_graticule_free(dl_graticule *g);

/* Draws the lines in the style's colour, width, opacity and dashes, clipped
 * to the map. Call after the layers, before the furniture. */
dline_status dl_render_graticule_lines(dline_ctx *ctx, dl_render *r, const dl_style_graticule *s,
                                       const dl_graticule *g);

/* Draws the labels just inside the map edge, `inset` px in (the neat
 * frame's width): meridians' upright at the top and bottom, centred on the
 * line; parallels' turned to read up the left and right edges. A label
 * that would leave the map or touch an obstacle already there (furniture,
 * another graticule label) is left out; drawn ones become obstacles. Call
 * after the furniture, before dl_render_labels().
 * margin (top, right, bottom, left, px; all 0 without margins): the room
 * outside the map on each side. Where it holds a label (the label size and
 * a gap on each side of it) that edge's labels stand outside the map, in
 * the margin, and may not leave the sheet. */
dline_status dl_render_graticule_labels(dline_ctx *ctx, dl_render *r,
                                        const dl_style_graticule *s, const dl_graticule *g,
                                        double inset, const double margin[4]);

#endif
