/* The furniture step of a render: the ground scale and north at the map
 * centre from the project stage, the blocks drawn by the render stage. */
#ifndef DL_FURNITURE_H
#define DL_FURNITURE_H

#include "error.h"
#include "project/project.h"
#include "render/render.h"
#include "style/style.h"

/* Draws the style's scale bar, north arrow and legend, in that order,
 * stacked after the `stack` px already used at each position (indexed by
 * dl_anchor; updated), and marks the frame's strip as a label obstacle. The
 * map is width x height px on grid `g` in map_crs. Call after the layers and
 * before dl_render_labels(); the frame itself is drawn last with
 * dl_render_frame(). */
dline_status dl_furniture_draw(dline_ctx *ctx, dl_proj *proj, const dl_style *style,
                               const char *map_crs, const dl_pixel_grid *g, double width,
                               double height, dl_render *render,
                               double stack[DL_ANCHOR_BOTTOM_RIGHT + 1]);

#endif
