/* Line cartography: line-offset, line-gap-width (cased lines) and
 * line-gradient, drawn from the flattened path so straight and smooth
 * (connect-smooth) lines take the same route. */
#include "render/render_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sharp corners of an offset curve are bevelled past this miter length (in
 * offset distances), as the stroke's own joins are (MapLibre's default 2). */
#define OFFSET_MITER_LIMIT 2.0

int dl_render_line_is_styled(const dl_style_layer *l)
{
    return l->line_offset != 0 || l->line_gap_width > 0 || l->line_ngradient > 0;
}

void dl_render_line_scratch_free(dl_render *r)
{
    free(r->line_xy);
    free(r->line_off);
    r->line_xy = r->line_off = NULL;
    r->cap_line_xy = r->cap_line_off = 0;
}

/* Room for n points in *buf; 0 or -1. Grows by doubling. */
static int reserve(double **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < n) {
        if (c > ((size_t)-1) / 4)
            return -1;
        c *= 2;
    }
    double *p = dl_realloc_array(*buf, c, 2 * sizeof(double));
    if (!p)
        return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* Called for each line to draw: n points, closed when a ring. */
typedef void (*line_fn)(dl_render *r, const dl_style_layer *l, const double *xy, size_t n,
                        int closed);

/* The distances from the path each copy of the line is drawn at: one line
 * at line-offset, or with line-gap-width two lines whose inner edges are the
 * gap apart (centres at +-(gap + width) / 2 around the offset, as MapLibre). */
static int sides(const dl_style_layer *l, double out[2])
{
    if (l->line_gap_width > 0) {
        double d = (l->line_gap_width + l->line_width) / 2;
        out[0] = l->line_offset - d;
        out[1] = l->line_offset + d;
        return 2;
    }
    out[0] = l->line_offset;
    return 1;
}

/* One subpath of the flattened path, already in r->line_xy: hands each side
 * of it to fn. */
static int each_side(dl_render *r, const dl_style_layer *l, size_t n, int closed, line_fn fn)
{
    const double *xy = r->line_xy;
    /* A ring whose last vertex repeats the first (a polygon outline) is
     * closed: its offset goes round the corner instead of ending in caps. */
    if (!closed && n >= 4 && xy[0] == xy[2 * n - 2] && xy[1] == xy[2 * n - 1])
        closed = 1;
    double off[2];
    int ns = sides(l, off);
    for (int s = 0; s < ns; s++) {
        if (off[s] == 0) {
            fn(r, l, xy, n, closed);
            continue;
        }
        if (n > ((size_t)-1) / 2 || reserve(&r->line_off, &r->cap_line_off, 2 * n) != 0)
            return -1;
        size_t m = dl_geom_offset_line(xy, n, closed, off[s], OFFSET_MITER_LIMIT, r->line_off);
        if (m >= 2)
            fn(r, l, r->line_off, m, closed);
    }
    return 0;
}

/* Walks the subpaths of a flattened path (move-to, line-to..., close). */
static int each_line(dl_render *r, const dl_style_layer *l, const cairo_path_t *flat, line_fn fn)
{
    size_t n = 0;
    for (int i = 0; i < flat->num_data; i += flat->data[i].header.length) {
        const cairo_path_data_t *d = &flat->data[i];
        switch (d->header.type) {
        case CAIRO_PATH_MOVE_TO:
            if (n >= 2 && each_side(r, l, n, 0, fn) != 0)
                return -1;
            n = 0;
            /* fall through */
        case CAIRO_PATH_LINE_TO:
            if (reserve(&r->line_xy, &r->cap_line_xy, n + 1) != 0)
                return -1;
            r->line_xy[2 * n] = d[1].point.x;
            r->line_xy[2 * n + 1] = d[1].point.y;
            n++;
            break;
        case CAIRO_PATH_CLOSE_PATH:
            if (n >= 2 && each_side(r, l, n, 1, fn) != 0)
                return -1;
            n = 0;
            break;
        case CAIRO_PATH_CURVE_TO:
            break; /* a flattened path has none */
        }
    }
    if (n >= 2 && each_side(r, l, n, 0, fn) != 0)
        return -1;
    return 0;
}

static void add_line(dl_render *r, const dl_style_layer *l, const double *xy, size_t n,
                     int closed)
{
    cairo_move_to(r->cr, xy[0], xy[1]);
    for (size_t i = 1; i < n; i++)
        cairo_line_to(r->cr, xy[2 * i], xy[2 * i + 1]);
    if (closed)
        cairo_close_path(r->cr);
}

/* The gradient's colour at progress t: linear between stops, the end
 * stops' colours before the first and after the last. */
static dl_color color_at(const dl_style_layer *l, double t)
{
    const dl_gradient_stop *s = l->line_gradient;
    int n = l->line_ngradient;
    if (t <= s[0].at)
        return s[0].color;
    for (int i = 1; i < n; i++) {
        if (t <= s[i].at) {
            double f = (t - s[i - 1].at) / (s[i].at - s[i - 1].at);
            dl_color a = s[i - 1].color, b = s[i].color;
            return (dl_color){a.r + f * (b.r - a.r), a.g + f * (b.g - a.g),
                              a.b + f * (b.b - a.b), a.a + f * (b.a - a.a)};
        }
    }
    return s[n - 1].color;
}

/* Where raster draws a gradient line's pieces: the group's ARGB32 image
 * (data, stride), a user point's pixel there s * (x, y) + (ox, oy) (the
 * transformation scales and translates; the group's device offset
 * included), half the pieces' width in pixels, and the operator. */
struct dl_piece_raster {
    dl_raster *R;
    unsigned char *data;
    int stride, clip[4], source;
    double s, ox, oy, hw;
};

/* A colour channel as Cairo hands a gradient stop's to pixman
 * (_cairo_color_double_to_short). */
static uint16_t stop_short(double v)
{
    return (uint16_t)(fmin(fmax(v, 0), 1) * (65536.0 - 1e-5));
}

/* The piece by raster: a stroke of its two ends, round capped, in the
 * piece's gradient; -1 when out of memory. */
static int raster_piece(const struct dl_piece_raster *pr, dl_color a, dl_color b, double x0,
                        double y0, double x1, double y1)
{
    double p[4] = {pr->s * x0 + pr->ox, pr->s * y0 + pr->oy, pr->s * x1 + pr->ox,
                   pr->s * y1 + pr->oy};
    uint16_t c0[4] = {stop_short(a.a), stop_short(a.r), stop_short(a.g), stop_short(a.b)};
    uint16_t c1[4] = {stop_short(b.a), stop_short(b.r), stop_short(b.g), stop_short(b.b)};
    dl_raster_reset(pr->R, pr->clip[0], pr->clip[1], pr->clip[2], pr->clip[3]);
    dl_raster_stroke(pr->R, p, 2, 0, pr->hw, DL_RCAP_ROUND, DL_RJOIN_ROUND, 10);
    return dl_raster_fill_linear(pr->R, pr->data, pr->stride, p, c0, c1, pr->source);
}

static void piece(dl_render *r, const dl_style_layer *l, double x0, double y0, double t0,
                  double x1, double y1, double t1)
{
    cairo_t *cr = r->cr;
    if (x0 == x1 && y0 == y1)
        return;
    dl_color a = color_at(l, t0), b = color_at(l, t1);
    if (r->piece_raster) {
        if (raster_piece(r->piece_raster, a, b, x0, y0, x1, y1) == 0)
            return;
        r->piece_raster = NULL; /* out of memory: Cairo draws the rest */
    }
    cairo_pattern_t *p = cairo_pattern_create_linear(x0, y0, x1, y1);
    cairo_pattern_add_color_stop_rgba(p, 0, a.r, a.g, a.b, a.a);
    cairo_pattern_add_color_stop_rgba(p, 1, b.r, b.g, b.b, b.a);
    cairo_set_source(cr, p);
    cairo_pattern_destroy(p);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    dl_cr_stroke(cr);
}

/* Strokes a line as pieces, each a linear gradient between the colours at
 * its two ends. Pieces end at every vertex and at every stop, so the colour
 * is exactly piecewise linear in progress (distance along the line). */
static void gradient_pieces(dl_render *r, const dl_style_layer *l, const double *xy, size_t n,
                            int closed)
{
    size_t segs = closed ? n : n - 1;
    double total = 0;
    for (size_t i = 0; i < segs; i++) {
        size_t j = (i + 1) % n;
        total += hypot(xy[2 * j] - xy[2 * i], xy[2 * j + 1] - xy[2 * i + 1]);
    }
    if (!(total > 0))
        return;
    double run = 0;
    for (size_t i = 0; i < segs; i++) {
        size_t j = (i + 1) % n;
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * j], by = xy[2 * j + 1];
        double len = hypot(bx - ax, by - ay);
        double t0 = run / total, t1 = (run + len) / total;
        run += len;
        double px = ax, py = ay, pt = t0;
        for (int s = 0; s < l->line_ngradient; s++) {
            double at = l->line_gradient[s].at;
            if (!(at > pt && at < t1))
                continue;
            double f = (at - t0) / (t1 - t0);
            double qx = ax + f * (bx - ax), qy = ay + f * (by - ay);
            piece(r, l, px, py, pt, qx, qy, at);
            px = qx;
            py = qy;
            pt = at;
        }
        piece(r, l, px, py, pt, bx, by, t1);
    }
}

/* On an image, clips to the device pixels the layer's stroke of the line
 * can touch: the path's extents grown by half the width (by the miter limit
 * where joins are mitred, by the square of a square cap) and two pixels.
 * A group is as big as the clip, which is otherwise the whole band or map
 * (a 1600x550 group per band and 1600x1100 for the legend's swatch on the
 * flagship, each a fresh allocation the pieces fault into). The pixels
 * inside are the same: the clip is whole pixels and the final stroke, whose
 * coverage alone takes colour from the group, lies within it. */
static void clip_to_stroke(dl_render *r, const dl_style_layer *l, const cairo_path_t *flat)
{
    cairo_t *cr = r->cr;
    cairo_new_path(cr);
    int st = each_line(r, l, flat, add_line);
    double x0, y0, x1, y1;
    cairo_path_extents(cr, &x0, &y0, &x1, &y1);
    cairo_new_path(cr);
    double grow = cairo_get_line_width(cr) / 2;
    if (cairo_get_line_join(cr) == CAIRO_LINE_JOIN_MITER)
        grow *= fmax(cairo_get_miter_limit(cr), M_SQRT2);
    else if (cairo_get_line_cap(cr) == CAIRO_LINE_CAP_SQUARE)
        grow *= M_SQRT2;
    x0 -= grow;
    y0 -= grow;
    x1 += grow;
    y1 += grow;
    double d[4];
    dl_render_device_extents(cr, x0, y0, x1, y1, d);
    double d0 = d[0], e0 = d[1], d1 = d[2], e1 = d[3];
    if (st != 0 || !isfinite(d0) || !isfinite(e0) || !isfinite(d1) || !isfinite(e1))
        return; /* the group as before */
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    cairo_identity_matrix(cr);
    d0 = floor(d0) - 2;
    e0 = floor(e0) - 2;
    cairo_rectangle(cr, d0, e0, ceil(d1) + 2 - d0, ceil(e1) + 2 - e0);
    cairo_clip(cr);
    cairo_set_matrix(cr, &m);
}

/* The group's image, when raster can draw the pieces into it (pr filled
 * in): an ARGB32 image, a transformation that only scales (the same along
 * both axes) and translates, and a clip of one rectangle on whole pixels;
 * else 0. */
static int piece_raster_target(dl_render *r, struct dl_piece_raster *pr, int source)
{
    cairo_t *cr = r->cr;
    cairo_surface_t *g = cairo_get_group_target(cr);
    if (cairo_surface_get_type(g) != CAIRO_SURFACE_TYPE_IMAGE ||
        cairo_image_surface_get_format(g) != CAIRO_FORMAT_ARGB32)
        return 0;
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    if (m.xy != 0 || m.yx != 0 || !(m.xx > 0) || m.xx != m.yy)
        return 0;
    double dx, dy;
    cairo_surface_get_device_offset(g, &dx, &dy);
    int w = cairo_image_surface_get_width(g), h = cairo_image_surface_get_height(g);
    cairo_rectangle_list_t *rl = cairo_copy_clip_rectangle_list(cr);
    int ok = rl->status == CAIRO_STATUS_SUCCESS && rl->num_rectangles == 1;
    if (ok) {
        /* The clip in device px, then in the group's pixels. */
        const cairo_rectangle_t *c = &rl->rectangles[0];
        double x0 = m.xx * c->x + m.x0 + dx, y0 = m.yy * c->y + m.y0 + dy;
        double x1 = x0 + m.xx * c->width, y1 = y0 + m.yy * c->height;
        ok = x0 == floor(x0) && y0 == floor(y0) && x1 == floor(x1) && y1 == floor(y1);
        pr->clip[0] = (int)fmax(fmin(x0, w), 0);
        pr->clip[1] = (int)fmax(fmin(y0, h), 0);
        pr->clip[2] = (int)fmax(fmin(x1, w), 0);
        pr->clip[3] = (int)fmax(fmin(y1, h), 0);
    }
    cairo_rectangle_list_destroy(rl);
    if (!ok || (!r->raster && !(r->raster = dl_raster_new())))
        return 0;
    cairo_surface_flush(g);
    pr->R = r->raster;
    pr->data = cairo_image_surface_get_data(g);
    pr->stride = cairo_image_surface_get_stride(g);
    pr->source = source;
    pr->s = m.xx;
    pr->ox = m.x0 + dx;
    pr->oy = m.y0 + dy;
    pr->hw = cairo_get_line_width(cr) / 2 * m.xx;
    return pr->data != NULL;
}

/* line-gradient: the pieces are drawn into a group a little wider than the
 * line, with round ends that cover the seams between them; the group then
 * becomes the source of one stroke of the whole line, which gives the
 * layer's width, caps, joins and dashes and antialiases the edges once. With
 * stops of different alphas the pieces replace (SOURCE) rather than cover
 * each other, so their overlaps do not show as darker dots; PDF and SVG
 * surfaces draw that as an image. On an image, raster.c draws the pieces
 * into the group's pixels (a Cairo stroke with a gradient source costs
 * ~280 k instructions a piece, mostly set-up); the final stroke is
 * Cairo's. */
static int stroke_gradient(dl_render *r, const dl_style_layer *l, const cairo_path_t *flat)
{
    cairo_t *cr = r->cr;
    int translucent = 0;
    for (int i = 0; i < l->line_ngradient; i++)
        translucent |= l->line_gradient[i].color.a < 1;
    double width = cairo_get_line_width(cr);
    int image = !dl_svg_of(cr) &&
                cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE;
    if (image) {
        cairo_save(cr); /* the clip ends with the line */
        clip_to_stroke(r, l, flat);
    }

    dl_cr_push_group(cr); /* saves the state: width, cap, join, dash */
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, width + 2);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    if (translucent)
        cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    /* On an image, raster draws the pieces into the group's own pixels. */
    struct dl_piece_raster pr;
    int by_raster = image && piece_raster_target(r, &pr, translucent);
    r->piece_raster = by_raster ? &pr : NULL;
    int st = each_line(r, l, flat, gradient_pieces);
    if (by_raster)
        cairo_surface_mark_dirty(cairo_get_group_target(cr));
    r->piece_raster = NULL;
    if (dl_svg_of(cr)) {
        /* SVG: the pieces under a mask of the line's own stroke, which
         * does what the group as a source does here. */
        cairo_new_path(cr);
        if (st == 0)
            st = each_line(r, l, flat, add_line);
        dl_svg_pop_group_stroke_mask(cr, st == 0 ? l->line_opacity : 0);
        return st;
    }
    cairo_pattern_t *colours = cairo_pop_group(cr);
    if (st != 0) {
        cairo_pattern_destroy(colours);
        if (image)
            cairo_restore(cr);
        return -1;
    }

    int faded = l->line_opacity < 1;
    if (faded)
        dl_cr_push_group(cr);
    cairo_new_path(cr);
    st = each_line(r, l, flat, add_line);
    cairo_set_source(cr, colours);
    dl_cr_stroke(cr);
    cairo_pattern_destroy(colours);
    if (faded)
        dl_cr_pop_group_paint(cr, l->line_opacity);
    if (image)
        cairo_restore(cr);
    return st;
}

int dl_render_stroke_styled(dl_render *r, const dl_style_layer *l)
{
    cairo_t *cr = r->cr;
    /* Flattening keeps the curves of connect-smooth lines within Cairo's
     * tolerance (0.1 device px): their offsets and gradients follow the
     * curve that a plain stroke would draw. */
    cairo_path_t *flat = cairo_copy_path_flat(cr);
    cairo_new_path(cr);
    if (!flat || flat->status != CAIRO_STATUS_SUCCESS) {
        cairo_path_destroy(flat);
        return -1;
    }
    int st;
    if (l->line_ngradient > 0) {
        /* Stops that share one alpha are drawn opaque and the line faded as
         * a whole: no SOURCE compositing, so PDF and SVG stay vector. */
        dl_style_layer opaque;
        const dl_style_layer *gl = l;
        double a = l->line_gradient[0].color.a;
        int same = 1;
        for (int i = 1; i < l->line_ngradient; i++)
            same &= l->line_gradient[i].color.a == a;
        if (same && a < 1) {
            opaque = *l;
            for (int i = 0; i < l->line_ngradient; i++)
                opaque.line_gradient[i].color.a = 1;
            opaque.line_opacity = l->line_opacity * a;
            gl = &opaque;
        }
        st = stroke_gradient(r, gl, flat);
    } else {
        st = each_line(r, l, flat, add_line);
        cairo_set_source_rgba(cr, l->line_color.r, l->line_color.g, l->line_color.b,
                              l->line_color.a * l->line_opacity);
        if (st == 0)
            dl_cr_stroke(cr);
    }
    cairo_new_path(cr);
    cairo_path_destroy(flat);
    return st;
}
