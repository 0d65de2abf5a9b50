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

static void piece(cairo_t *cr, const dl_style_layer *l, double x0, double y0, double t0,
                  double x1, double y1, double t1)
{
    if (x0 == x1 && y0 == y1)
        return;
    dl_color a = color_at(l, t0), b = color_at(l, t1);
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
            piece(r->cr, l, px, py, pt, qx, qy, at);
            px = qx;
            py = qy;
            pt = at;
        }
        piece(r->cr, l, px, py, pt, bx, by, t1);
    }
}

/* line-gradient: the pieces are drawn into a group a little wider than the
 * line, with round ends that cover the seams between them; the group then
 * becomes the source of one stroke of the whole line, which gives the
 * layer's width, caps, joins and dashes and antialiases the edges once. With
 * stops of different alphas the pieces replace (SOURCE) rather than cover
 * each other, so their overlaps do not show as darker dots; PDF and SVG
 * surfaces draw that as an image. */
static int stroke_gradient(dl_render *r, const dl_style_layer *l, const cairo_path_t *flat)
{
    cairo_t *cr = r->cr;
    int translucent = 0;
    for (int i = 0; i < l->line_ngradient; i++)
        translucent |= l->line_gradient[i].color.a < 1;
    double width = cairo_get_line_width(cr);

    dl_cr_push_group(cr); /* saves the state: width, cap, join, dash */
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, width + 2);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    if (translucent)
        cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    int st = each_line(r, l, flat, gradient_pieces);
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
