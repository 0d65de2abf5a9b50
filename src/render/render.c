/* The render stage: the renderer's lifetime, the background and the fill,
 * line and circle layers, drawn with Cairo straight from dl_geom arrays. */
#include "render/render_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cairo keeps device coordinates in 24.8 fixed point, so coordinates far
 * outside the map would wrap around; clamping keeps them in range (the
 * output scale is at most a few times this). */
#define COORD_LIMIT 1048576.0

#define TWO_PI 6.283185307179586

dline_status dl_render_new(dline_ctx *ctx, cairo_t *cr, double width, double height,
                           dl_render **out)
{
    *out = NULL;
    if (!cr || cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "cannot render: %s",
                        cr ? cairo_status_to_string(cairo_status(cr)) : "no Cairo context");
    if (!(width > 0) || !(height > 0) || !isfinite(width) || !isfinite(height))
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "map size %gx%g is not positive", width,
                        height);
    dl_render *r = calloc(1, sizeof *r);
    if (!r)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    r->cr = cr;
    r->width = width;
    r->height = height;
    r->fontmap = pango_cairo_font_map_new();
    if (r->fontmap)
        r->pango = pango_font_map_create_context(r->fontmap);
    if (!r->pango) {
        dl_render_free(r);
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "cannot create a Pango context");
    }
    /* Unhinted metrics and subpixel glyph positions: the same layout on a
     * PNG and on a PDF/SVG surface then puts every glyph in the same place. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(r->pango, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(r->pango, FALSE);
    pango_cairo_update_context(cr, r->pango);
    *out = r;
    return DLINE_OK;
}

void dl_render_free(dl_render *r)
{
    if (!r)
        return;
    dl_render_clear_labels(r);
    free(r->labels);
    free(r->boxes);
    free(r->circles);
    dl_render_line_scratch_free(r);
    free(r->warned);
    dl_render_icons_free(r);
    if (r->pattern)
        cairo_pattern_destroy(r->pattern);
    if (r->pango)
        g_object_unref(r->pango);
    if (r->fontmap)
        g_object_unref(r->fontmap);
    free(r);
}

/* Makes room for one more element in an array that doubles as it grows. */
static int grow(void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = dl_realloc_array(*items, c, size);
    if (!p)
        return -1;
    *items = p;
    *cap = c;
    return 0;
}

int dl_render_push_box(dl_render *r, dl_box b)
{
    void *items = r->boxes;
    int rc = grow(&items, r->nboxes, &r->cap_boxes, sizeof b);
    r->boxes = items;
    if (rc)
        return -1;
    r->boxes[r->nboxes++] = b;
    return 0;
}

int dl_render_push_circle(dl_render *r, dl_circle c)
{
    void *items = r->circles;
    int rc = grow(&items, r->ncircles, &r->cap_circles, sizeof c);
    r->circles = items;
    if (rc)
        return -1;
    r->circles[r->ncircles++] = c;
    return 0;
}

void dl_render_add_obstacle(dl_render *r, double x0, double y0, double x1, double y1)
{
    dl_box b = {fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1)};
    /* An obstacle that cannot be recorded only lets a label overlap it. */
    (void)dl_render_push_box(r, b);
}

void dl_render_group_begin(dl_render *r, const char *id, int layer)
{
    dl_svg_group_begin(r->cr, id, layer);
}

void dl_render_group_end(dl_render *r)
{
    dl_svg_group_end(r->cr);
}

static void set_color(cairo_t *cr, dl_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

void dl_render_background(dl_render *r, dl_color color, double opacity)
{
    /* Paint rather than fill the map rectangle: a PNG whose pixel size was
     * rounded up has a last row/column only partly inside the map. */
    cairo_save(r->cr);
    set_color(r->cr, color, opacity);
    dl_cr_paint(r->cr);
    cairo_restore(r->cr);
}

static double clamp_coord(double v)
{
    if (v > COORD_LIMIT)
        return COORD_LIMIT;
    if (v < -COORD_LIMIT)
        return -COORD_LIMIT;
    return v;
}

static int point_ok(const double *p)
{
    return isfinite(p[0]) && isfinite(p[1]);
}

/* Part i as [*start, *end); 0 when the part is malformed. A geometry without
 * part_start is one part of all its points. */
static int part_range(const dl_geom *g, size_t i, size_t *start, size_t *end)
{
    if (!g->part_start || g->nparts == 0) {
        *start = 0;
        *end = g->npoints;
        return i == 0;
    }
    size_t s = g->part_start[i], e = g->part_start[i + 1];
    if (s > e || e > g->npoints)
        return 0;
    *start = s;
    *end = e;
    return 1;
}

static size_t part_count(const dl_geom *g)
{
    return g->part_start && g->nparts ? g->nparts : 1;
}

/* Adds one polyline or ring; non-finite vertices are skipped. */
static void path_polyline(cairo_t *cr, const double *xy, size_t start, size_t end, int close)
{
    int first = 1;
    for (size_t i = start; i < end; i++) {
        const double *p = xy + 2 * i;
        if (!point_ok(p))
            continue;
        if (first)
            cairo_move_to(cr, clamp_coord(p[0]), clamp_coord(p[1]));
        else
            cairo_line_to(cr, clamp_coord(p[0]), clamp_coord(p[1]));
        first = 0;
    }
    if (close && !first)
        cairo_close_path(cr);
}

/* Index of the next usable vertex after i in [i+1, end) that differs from
 * vertex i, or end. Repeated vertices would give zero-length tangents. */
static size_t next_vertex(const double *xy, size_t i, size_t end)
{
    for (size_t j = i + 1; j < end; j++) {
        const double *p = xy + 2 * j;
        if (point_ok(p) && (p[0] != xy[2 * i] || p[1] != xy[2 * i + 1]))
            return j;
    }
    return end;
}

/* One Bézier control point of a centripetal Catmull-Rom segment b -> c with
 * neighbour a before b (or d after c, for the second point): the tangent at
 * b weighted by the square roots of the chord lengths, which unlike the
 * uniform spline cannot form cusps or loops between unevenly spaced points. */
static void cr_control(const double *a, const double *b, const double *c, double *out)
{
    double d1 = hypot(b[0] - a[0], b[1] - a[1]);
    double d2 = hypot(c[0] - b[0], c[1] - b[1]);
    double s1 = sqrt(d1), s2 = sqrt(d2);
    if (d1 == 0 || d2 == 0) {
        out[0] = b[0] + (c[0] - b[0]) / 3;
        out[1] = b[1] + (c[1] - b[1]) / 3;
        return;
    }
    double den = 3 * s1 * (s1 + s2);
    for (int k = 0; k < 2; k++)
        out[k] = (d1 * c[k] - d2 * a[k] + (2 * d1 + 3 * s1 * s2 + d2) * b[k]) / den;
}

/* A smooth curve through every vertex of the part: each span p1 -> p2 is a
 * cubic Bézier whose control points come from the neighbours p0 and p3 (the
 * end points stand in for missing neighbours). */
static void path_smooth(cairo_t *cr, const double *xy, size_t start, size_t end)
{
    size_t i1 = start;
    while (i1 < end && !point_ok(xy + 2 * i1))
        i1++;
    if (i1 >= end)
        return;
    size_t i2 = next_vertex(xy, i1, end);
    double p0[2], p1[2], p2[2], p3[2];
    p1[0] = clamp_coord(xy[2 * i1]);
    p1[1] = clamp_coord(xy[2 * i1 + 1]);
    memcpy(p0, p1, sizeof p0);
    cairo_move_to(cr, p1[0], p1[1]);
    while (i2 < end) {
        size_t i3 = next_vertex(xy, i2, end);
        p2[0] = clamp_coord(xy[2 * i2]);
        p2[1] = clamp_coord(xy[2 * i2 + 1]);
        if (i3 < end) {
            p3[0] = clamp_coord(xy[2 * i3]);
            p3[1] = clamp_coord(xy[2 * i3 + 1]);
        } else {
            memcpy(p3, p2, sizeof p3);
        }
        double c1[2], c2[2];
        cr_control(p0, p1, p2, c1);
        cr_control(p3, p2, p1, c2);
        cairo_curve_to(cr, c1[0], c1[1], c2[0], c2[1], p2[0], p2[1]);
        memcpy(p0, p1, sizeof p0);
        memcpy(p1, p2, sizeof p1);
        i2 = i3;
    }
}

void dl_render_path_smooth(cairo_t *cr, const double *xy, size_t n)
{
    path_smooth(cr, xy, 0, n);
}

/* The layer's fill-pattern, made once for a run of its features. Owned by r. */
static cairo_pattern_t *fill_pattern(dl_render *r, const dl_style_layer *l)
{
    cairo_matrix_t m;
    cairo_get_matrix(r->cr, &m);
    if (r->pattern && r->pattern_layer == l && memcmp(&m, &r->pattern_ctm, sizeof m) == 0)
        return r->pattern;
    if (r->pattern)
        cairo_pattern_destroy(r->pattern);
    r->pattern = dl_render_fill_pattern(r, l);
    r->pattern_layer = l;
    r->pattern_ctm = m;
    return r->pattern;
}

static void draw_fill(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    cairo_t *cr = r->cr;
    size_t n = part_count(g);
    cairo_new_path(cr);
    for (size_t i = 0; i < n; i++) {
        size_t s, e;
        if (part_range(g, i, &s, &e) && e - s >= 3)
            path_polyline(cr, g->xy, s, e, 1);
    }
    /* Holes run against their outer ring (dl_geom_organize_rings), so the
     * non-zero rule cuts them while overlapping outer rings stay filled. */
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    /* A pattern that cannot be made (Cairo out of memory) fills flat. */
    cairo_pattern_t *pat = l->fill_pattern != DL_PATTERN_NONE ? fill_pattern(r, l) : NULL;
    if (pat) {
        cairo_set_source(cr, pat);
    } else {
        set_color(cr, l->fill_color, l->fill_opacity);
    }
    if (l->has_fill_outline) {
        dl_cr_fill_preserve(cr);
        set_color(cr, l->fill_outline_color, l->fill_opacity);
        cairo_set_line_width(cr, 1.0);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_dash(cr, NULL, 0, 0);
        dl_cr_stroke(cr);
    } else {
        dl_cr_fill(cr);
    }
}

static cairo_line_cap_t cap_of(dl_line_cap c)
{
    switch (c) {
    case DL_CAP_ROUND: return CAIRO_LINE_CAP_ROUND;
    case DL_CAP_SQUARE: return CAIRO_LINE_CAP_SQUARE;
    case DL_CAP_BUTT: break;
    }
    return CAIRO_LINE_CAP_BUTT;
}

static cairo_line_join_t join_of(dl_line_join j)
{
    switch (j) {
    case DL_JOIN_ROUND: return CAIRO_LINE_JOIN_ROUND;
    case DL_JOIN_BEVEL: return CAIRO_LINE_JOIN_BEVEL;
    case DL_JOIN_MITER: break;
    }
    return CAIRO_LINE_JOIN_MITER;
}

/* 0, or -1 when out of memory. */
static int draw_line(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    cairo_t *cr = r->cr;
    if (!(l->line_width > 0))
        return 0;
    size_t n = part_count(g);
    cairo_new_path(cr);
    for (size_t i = 0; i < n; i++) {
        size_t s, e;
        if (!part_range(g, i, &s, &e) || e - s < 2)
            continue;
        if (l->connect_smooth)
            path_smooth(cr, g->xy, s, e);
        else
            path_polyline(cr, g->xy, s, e, 0);
    }
    cairo_set_line_width(cr, l->line_width);
    if (l->connect_smooth) {
        /* A curve has no corners to mitre; round ends suit a drawn route. */
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    } else {
        cairo_set_line_join(cr, join_of(l->line_join));
        cairo_set_line_cap(cr, cap_of(l->line_cap));
    }
    /* MapLibre's default: sharp corners turn to bevels instead of spikes. */
    cairo_set_miter_limit(cr, 2.0);

    /* Dashes are in line widths, as in MapLibre. Cairo rejects negative
     * lengths and an all-zero pattern, so those draw solid. */
    double dash[DL_MAX_DASHES];
    int nd = l->line_ndash < 0 ? 0 : l->line_ndash > DL_MAX_DASHES ? DL_MAX_DASHES : l->line_ndash;
    double total = 0;
    int valid = 1;
    for (int i = 0; i < nd; i++) {
        dash[i] = l->line_dasharray[i] * l->line_width;
        if (!(dash[i] >= 0) || !isfinite(dash[i]))
            valid = 0;
        total += dash[i];
    }
    if (nd > 0 && valid && total > 0)
        cairo_set_dash(cr, dash, nd, 0);
    else
        cairo_set_dash(cr, NULL, 0, 0);
    int st = 0;
    if (dl_render_line_is_styled(l)) {
        st = dl_render_stroke_styled(r, l);
    } else {
        set_color(cr, l->line_color, l->line_opacity);
        dl_cr_stroke(cr);
    }
    cairo_set_dash(cr, NULL, 0, 0);
    return st;
}

static void draw_circles(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    cairo_t *cr = r->cr;
    double rad = l->circle_radius > 0 ? l->circle_radius : 0;
    double sw = l->circle_stroke_width > 0 ? l->circle_stroke_width : 0;
    if (rad == 0 && sw == 0)
        return;
    if (rad > 0) {
        cairo_new_path(cr);
        for (size_t i = 0; i < g->npoints; i++) {
            const double *p = g->xy + 2 * i;
            if (!point_ok(p))
                continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, clamp_coord(p[0]), clamp_coord(p[1]), rad, 0, TWO_PI);
        }
        set_color(cr, l->circle_color, l->circle_opacity);
        dl_cr_fill(cr);
    }
    /* As in MapLibre the stroke lies outside the radius, and circle-opacity
     * fades only the fill (MapLibre has a separate circle-stroke-opacity,
     * which here is the stroke colour's own alpha). */
    if (sw > 0) {
        cairo_new_path(cr);
        for (size_t i = 0; i < g->npoints; i++) {
            const double *p = g->xy + 2 * i;
            if (!point_ok(p))
                continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, clamp_coord(p[0]), clamp_coord(p[1]), rad + sw / 2, 0, TWO_PI);
        }
        cairo_set_line_width(cr, sw);
        cairo_set_dash(cr, NULL, 0, 0);
        set_color(cr, l->circle_stroke_color, 1.0);
        dl_cr_stroke(cr);
    }
    for (size_t i = 0; i < g->npoints; i++) {
        const double *p = g->xy + 2 * i;
        if (!point_ok(p))
            continue;
        dl_circle c = {p[0], p[1], rad + sw};
        /* An unrecorded circle only lets a label cover it. */
        if (dl_render_push_circle(r, c) != 0)
            break;
    }
}

dline_status dl_render_feature(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                               const dl_geom *g)
{
    if (!g || g->npoints == 0 || !g->xy)
        return DLINE_OK;
    cairo_t *cr = r->cr;
    cairo_save(cr);
    switch (layer->type) {
    case DL_LAYER_FILL:
        draw_fill(r, layer, g);
        break;
    case DL_LAYER_LINE:
        if (draw_line(r, layer, g) != 0) {
            cairo_new_path(cr);
            cairo_restore(cr);
            return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
        }
        break;
    case DL_LAYER_CIRCLE:
        draw_circles(r, layer, g);
        break;
    case DL_LAYER_BACKGROUND:
    case DL_LAYER_SYMBOL:
        break;
    }
    cairo_new_path(cr);
    cairo_restore(cr);
    cairo_status_t st = cairo_status(cr);
    if (st != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "layer '%s': %s",
                        layer->id ? layer->id : "", cairo_status_to_string(st));
    return DLINE_OK;
}
