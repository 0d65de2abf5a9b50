/* The furniture step of a render: measures the ground scale and true north
 * at the map centre through PROJ and hands them to the render stage. */
#include "furniture.h"

dline_status dl_furniture_draw(dline_ctx *ctx, dl_proj *proj, const dl_style *style,
                               const char *map_crs, const dl_pixel_grid *g, double width,
                               double height, dl_render *render,
                               double stack[DL_ANCHOR_BOTTOM_RIGHT + 1])
{
    const dl_style_furniture *f = &style->furniture;
    dline_status st = DLINE_OK;
    double north = 0, mpp = 0;
    int has_north = 0, has_scale = 0;
    if (f->north_arrow.enabled || f->scale_bar.enabled) {
        /* Both are measured at the centre of the map, where a reader judges
         * distance and direction: in a map with a large extent or a
         * rotated grid they change across it. A map whose centre has no
         * longitude/latitude (outside its projection's domain) still
         * renders, without them. */
        dline_ctx quiet = {0};
        dl_transform *ll = NULL;
        if (dl_transform_new(&quiet, proj, "EPSG:4326", map_crs, NULL, &ll) == DLINE_OK) {
            has_north = f->north_arrow.enabled &&
                        dl_proj_north_angle(&quiet, ll, g, width / 2, height / 2, &north) ==
                            DLINE_OK;
            has_scale = f->scale_bar.enabled &&
                        dl_proj_ground_resolution(&quiet, ll, g, width / 2, height / 2, &mpp) ==
                            DLINE_OK;
        }
        dl_transform_free(ll);
        if (f->north_arrow.enabled && !has_north)
            dl_warn(ctx, style->path, 0, 0, "north-arrow: not drawn: %s",
                    quiet.message[0] ? quiet.message : "no longitude/latitude at the map centre");
        if (f->scale_bar.enabled && !has_scale)
            dl_warn(ctx, style->path, 0, 0, "scale-bar: not drawn: %s",
                    quiet.message[0] ? quiet.message : "no longitude/latitude at the map centre");
    }
    double used = 0;
    if (st == DLINE_OK && has_scale) {
        dl_anchor p = f->scale_bar.position;
        dl_render_group_begin(render, "scale-bar", 0);
        st = dl_render_scale_bar(ctx, render, &f->scale_bar, mpp, stack[p], &used, NULL);
        dl_render_group_end(render);
        stack[p] += used;
    }
    if (st == DLINE_OK && has_north) {
        dl_anchor p = f->north_arrow.position;
        dl_render_group_begin(render, "north-arrow", 0);
        st = dl_render_north_arrow(ctx, render, &f->north_arrow, north, stack[p], &used);
        dl_render_group_end(render);
        stack[p] += used;
    }
    if (st == DLINE_OK && f->legend.enabled > 0) {
        dl_anchor p = f->legend.position;
        dl_render_group_begin(render, "legend", 0);
        st = dl_render_legend(ctx, render, &f->legend, style->layers, style->nlayers, stack[p],
                              &used);
        dl_render_group_end(render);
        stack[p] += used;
    }
    if (st == DLINE_OK)
        dl_render_frame_obstacles(render, &f->frame);
    return st;
}
