/* The furniture step of a render: measures the ground scale and true north
 * at the map centre through PROJ and hands them to the render stage. */
#include "furniture.h"

typedef enum { BLOCK_SCALE_BAR, BLOCK_NORTH_ARROW, BLOCK_LEGEND } block_kind;

/* What the blocks need from the map. */
typedef struct {
    const dl_style *style;
    double mpp, north; /* metres per px and true north at the centre */
    double width, height;
} block;

static dline_status draw_block(dline_ctx *ctx, dl_render *r, const block *b, block_kind k,
                               double stack, double *used)
{
    const dl_style_furniture *f = &b->style->furniture;
    switch (k) {
    case BLOCK_SCALE_BAR:
        return dl_render_scale_bar(ctx, r, &f->scale_bar, b->mpp, stack, used, NULL);
    case BLOCK_NORTH_ARROW:
        return dl_render_north_arrow(ctx, r, &f->north_arrow, b->north, stack, used);
    case BLOCK_LEGEND:
        return dl_render_legend(ctx, r, &f->legend, b->style->layers, b->style->nlayers, stack,
                                used);
    }
    return DLINE_OK;
}

/* The box a block would take at `stack`, drawn by a throw-away renderer on
 * a 1 x 1 surface (so nothing is drawn twice on the map); 0 when it takes
 * none or cannot be measured. */
static int measure_block(dl_render *r, const block *b, block_kind k, double stack, double box[4])
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
    cairo_t *cr = cairo_create(s);
    dline_ctx quiet = {0};
    dl_render *m = NULL;
    double used;
    int ok = dl_render_new(&quiet, cr, b->width, b->height, &m) == DLINE_OK;
    /* With the map's fonts: its own would find and load every font again. */
    if (ok)
        dl_render_share_fonts(m, r);
    ok = ok && draw_block(&quiet, m, b, k, stack, &used) == DLINE_OK &&
             dl_render_obstacles_box(m, 0, box);
    dl_render_free(m);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return ok;
}

/* Draws a block at its corner, after what is stacked there; when it would
 * cover a block already drawn at another position (a long attribution
 * across the bottom, say), it moves away from its edge until it clears
 * (a few tries at most). The stack at its position grows by what it took. */
static dline_status place_block(dline_ctx *ctx, dl_render *r, const block *b, block_kind k,
                                dl_anchor p, double stack[DL_ANCHOR_BOTTOM_RIGHT + 1])
{
    static const char *const ids[] = {"scale-bar", "north-arrow", "legend"};
    int bottom = p == DL_ANCHOR_BOTTOM || p == DL_ANCHOR_BOTTOM_LEFT ||
                 p == DL_ANCHOR_BOTTOM_RIGHT;
    int top = p == DL_ANCHOR_TOP || p == DL_ANCHOR_TOP_LEFT || p == DL_ANCHOR_TOP_RIGHT;
    size_t before = dl_render_obstacle_count(r);
    double extra = 0, box[4], hit[4];
    for (int tries = 0; (bottom || top) && tries < 4; tries++) {
        if (!measure_block(r, b, k, stack[p] + extra, box) ||
            !dl_render_obstacle_hit(r, before, box, hit))
            break;
        /* Clear it by a small gap, away from the block's own edge. */
        extra += bottom ? box[3] - hit[1] + 4 : hit[3] - box[1] + 4;
    }
    double used = 0;
    dl_render_group_begin(r, ids[k], 0);
    dline_status st = draw_block(ctx, r, b, k, stack[p] + extra, &used);
    dl_render_group_end(r);
    stack[p] += extra + used;
    return st;
}

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
    block b = {style, mpp, north, width, height};
    if (st == DLINE_OK && has_scale)
        st = place_block(ctx, render, &b, BLOCK_SCALE_BAR, f->scale_bar.position, stack);
    if (st == DLINE_OK && has_north)
        st = place_block(ctx, render, &b, BLOCK_NORTH_ARROW, f->north_arrow.position, stack);
    if (st == DLINE_OK && f->legend.enabled > 0)
        st = place_block(ctx, render, &b, BLOCK_LEGEND, f->legend.position, stack);
    if (st == DLINE_OK)
        dl_render_frame_obstacles(render, &f->frame);
    return st;
}
