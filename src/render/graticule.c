/* Drawing a graticule: its projected meridians and parallels under the
 * furniture, and their labels just inside the map edge. */
#include "render/graticule.h"
#include "render/render_int.h"

#include <math.h>

/* Used when a style names no font, as for labels. */
#define FALLBACK_FONT "Noto Sans CJK SC, DejaVu Sans, sans-serif"
/* px between a label and the map edge (inside the frame). */
#define EDGE_GAP 2.0
/* px between a label in the margin and the map edge (GMT's annotation
 * offset is 5 pt, with a tick; here there is no tick). */
#define OUT_GAP 4.0

static dline_status cairo_check(dline_ctx *ctx, const dl_render *r, const char *what)
{
    cairo_status_t st = cairo_status(r->cr);
    if (st != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "%s: %s", what,
                        cairo_status_to_string(st));
    return DLINE_OK;
}

/* The lines as one line layer's shape: a part per run of points between
 * NaNs. -1 when out of memory. */
static int lines_geom(const dl_graticule *g, dl_geom *out)
{
    size_t np = 0;
    for (size_t i = 0; i < g->nlines; i++)
        np += g->lines[i].n;
    /* At most one part per point, and the sentinel. */
    if (dl_geom_reserve(out, np, np + 1) != 0)
        return -1;
    out->type = DL_GEOM_LINE;
    out->npoints = 0;
    out->nparts = 0;
    for (size_t i = 0; i < g->nlines; i++) {
        const dl_graticule_line *l = &g->lines[i];
        int pen = 0;
        for (size_t j = 0; j < l->n; j++) {
            const double *p = l->xy + 2 * j;
            if (isnan(p[0])) {
                pen = 0;
                continue;
            }
            if (!pen)
                out->part_start[out->nparts++] = out->npoints;
            out->xy[2 * out->npoints] = p[0];
            out->xy[2 * out->npoints + 1] = p[1];
            out->npoints++;
            pen = 1;
        }
    }
    out->part_start[out->nparts] = out->npoints;
    return 0;
}

dline_status dl_render_graticule_lines(dline_ctx *ctx, dl_render *r, const dl_style_graticule *s,
                                       const dl_graticule *g)
{
    if (!(s->width > 0) || !(s->opacity > 0) || !g->nlines)
        return DLINE_OK;
    cairo_t *cr = r->cr;
    dl_cr_save(cr);
    cairo_rectangle(cr, 0, 0, r->width, r->height);
    dl_cr_clip(cr);
    /* Undashed, the lines are one plain line layer's shape, drawn as a
     * translucent feature is (by raster.c on an image); the path was
     * never thinned. */
    dl_style_layer ll = {0};
    ll.type = DL_LAYER_LINE;
    ll.line_width = s->width;
    ll.line_color = s->color;
    ll.line_opacity = s->opacity;
    ll.line_cap = DL_CAP_BUTT;
    ll.line_join = DL_JOIN_ROUND;
    /* The lines as one shape: a part per run of points between NaNs. */
    dl_geom lg;
    dl_geom_init(&lg);
    if (lines_geom(g, &lg) != 0) {
        dl_geom_clear(&lg);
        dl_cr_restore(cr);
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (s->ndash <= 0 && dl_render_alone_on_raster(r, &ll)) {
        dline_status st = dl_render_shape_alone(ctx, r, &ll, &lg, 0);
        dl_geom_clear(&lg);
        dl_cr_restore(cr);
        if (st != DLINE_OK)
            return st;
        return cairo_check(ctx, r, "graticule");
    }
    cairo_new_path(cr);
    for (size_t k = 0; k < lg.nparts; k++)
        for (size_t i = lg.part_start[k]; i < lg.part_start[k + 1]; i++)
            if (i == lg.part_start[k])
                cairo_move_to(cr, lg.xy[2 * i], lg.xy[2 * i + 1]);
            else
                cairo_line_to(cr, lg.xy[2 * i], lg.xy[2 * i + 1]);
    dl_geom_clear(&lg);
    double dash[DL_MAX_DASHES];
    for (int i = 0; i < s->ndash; i++)
        dash[i] = s->dasharray[i] * s->width;
    cairo_set_dash(cr, dash, s->ndash, 0);
    cairo_set_line_width(cr, s->width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_source_rgba(cr, s->color.r, s->color.g, s->color.b, s->color.a * s->opacity);
    dl_cr_stroke(cr);
    dl_cr_restore(cr);
    return cairo_check(ctx, r, "graticule");
}

/* Strictly overlapping: a label may touch the frame's strip. */
static int overlaps(dl_box a, dl_box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

dline_status dl_render_graticule_labels(dline_ctx *ctx, dl_render *r,
                                        const dl_style_graticule *s, const dl_graticule *g,
                                        double inset, const double margin[4])
{
    if (!s->labels || !g->nlabels)
        return DLINE_OK;
    PangoContext *pc = dl_render_pango(r);
    PangoLayout *layout = pc ? pango_layout_new(pc) : NULL;
    if (!layout)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    PangoFontDescription *fd =
        pango_font_description_from_string(s->font && *s->font ? s->font : FALLBACK_FONT);
    pango_font_description_set_absolute_size(fd, fmin(s->size, 100000.0) * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    cairo_t *cr = r->cr;
    double in = inset + EDGE_GAP, hw = s->label_halo_width;
    /* Out, by edge (top, right, bottom, left), when the margin holds a
     * label of the style's size with the gap on both sides. */
    int out[4];
    for (int k = 0; k < 4; k++)
        out[k] = margin[k] > 0 && margin[k] >= s->size + 2 * OUT_GAP;
    double W = r->width, H = r->height;
    dline_status st = DLINE_OK;
    for (size_t i = 0; i < g->nlabels && st == DLINE_OK; i++) {
        const dl_graticule_label *l = &g->labels[i];
        pango_layout_set_text(layout, l->text, -1);
        PangoRectangle ink, lg;
        pango_layout_get_extents(layout, &ink, &lg);
        /* The logical width along the edge, but only the ink across it, so
         * digits sit close to the edge whatever the font's line height. */
        double w = (double)lg.width / PANGO_SCALE;
        double a0 = (double)ink.y / PANGO_SCALE, a1 = (double)(ink.y + ink.height) / PANGO_SCALE;
        double h = a1 - a0;
        /* The label's box on the map and the text origin before turning. */
        dl_box b;
        double ox, oy, angle = 0;
        int side = l->edge == DL_EDGE_TOP      ? 0
                   : l->edge == DL_EDGE_BOTTOM ? 2
                   : l->edge == DL_EDGE_LEFT   ? 3
                                               : 1;
        double g0 = out[side] ? OUT_GAP : 0; /* outside: from the edge outwards */
        switch (l->edge) {
        case DL_EDGE_TOP:
            b = out[side] ? (dl_box){l->x - w / 2, -g0 - h, l->x + w / 2, -g0}
                          : (dl_box){l->x - w / 2, in, l->x + w / 2, in + h};
            ox = b.x0 - (double)lg.x / PANGO_SCALE;
            oy = b.y0 - a0;
            break;
        case DL_EDGE_BOTTOM:
            b = out[side] ? (dl_box){l->x - w / 2, H + g0, l->x + w / 2, H + g0 + h}
                          : (dl_box){l->x - w / 2, r->height - in - h, l->x + w / 2,
                                     r->height - in};
            ox = b.x0 - (double)lg.x / PANGO_SCALE;
            oy = b.y0 - a0;
            break;
        case DL_EDGE_LEFT:
            /* Read upwards: the text's top faces the left edge. */
            b = out[side] ? (dl_box){-g0 - h, l->y - w / 2, -g0, l->y + w / 2}
                          : (dl_box){in, l->y - w / 2, in + h, l->y + w / 2};
            angle = -M_PI / 2;
            ox = b.x0 - a0;
            oy = b.y1 + (double)lg.x / PANGO_SCALE;
            break;
        default:
            /* Read upwards too, the text's foot towards the right edge. */
            b = out[side] ? (dl_box){W + g0, l->y - w / 2, W + g0 + h, l->y + w / 2}
                          : (dl_box){r->width - in - h, l->y - w / 2, r->width - in,
                                     l->y + w / 2};
            angle = -M_PI / 2;
            ox = b.x0 - a0;
            oy = b.y1 + (double)lg.x / PANGO_SCALE;
            break;
        }
        if (out[side] ? b.x0 < -margin[3] || b.y0 < -margin[0] || b.x1 > W + margin[1] ||
                            b.y1 > H + margin[2]
                      : b.x0 < inset || b.y0 < inset || b.x1 > r->width - inset ||
                            b.y1 > r->height - inset)
            continue;
        dl_box hb = {b.x0 - hw, b.y0 - hw, b.x1 + hw, b.y1 + hw};
        int free_ = 1;
        for (size_t k = 0; free_ && k < r->nboxes; k++)
            free_ = !overlaps(hb, r->boxes[k]);
        if (!free_)
            continue;
        /* Halo then text at the layout's origin, turned about it. */
        cairo_save(cr);
        cairo_translate(cr, ox, oy);
        cairo_rotate(cr, angle);
        dl_render_draw_layout(cr, layout, 0, 0, s->label_color, s->label_halo_color, hw, 1.0);
        cairo_new_path(cr);
        cairo_restore(cr);
        if (dl_render_push_obstacle(r, "graticule-label", l->text, hb) != 0)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
        else
            st = cairo_check(ctx, r, "graticule labels");
    }
    g_object_unref(layout);
    return st;
}
