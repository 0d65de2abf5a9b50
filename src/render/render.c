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

PangoContext *dl_render_pango(dl_render *r)
{
    if (r->pango || r->pango_failed)
        return r->pango;
    /* Made on first use unless given (dl_render_use_fonts): a map without
     * text never loads fontconfig's configuration and caches (nor do the
     * bands, which draw no text). */
    if (!r->fontmap)
        r->fontmap = pango_cairo_font_map_new();
    if (r->fontmap)
        r->pango = pango_font_map_create_context(r->fontmap);
    if (!r->pango) {
        r->pango_failed = 1;
        return NULL;
    }
    /* Unhinted metrics and subpixel glyph positions: the same layout on a
     * PNG and on a PDF/SVG surface then puts every glyph in the same place. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(r->pango, fo);
    cairo_font_options_destroy(fo);
    pango_context_set_round_glyph_positions(r->pango, FALSE);
    /* As the map's context was when the render began. */
    cairo_save(r->cr);
    cairo_set_matrix(r->cr, &r->ctm0);
    pango_cairo_update_context(r->cr, r->pango);
    cairo_restore(r->cr);
    r->pango_ctm = r->ctm0;
    r->pango_target = cairo_get_target(r->cr);
    return r->pango;
}

void dl_render_pango_update(dl_render *r)
{
    if (!dl_render_pango(r))
        return;
    /* pango_cairo_update_context marks the context changed whenever it
     * sets the matrix, so every layout made before is laid out again on
     * its next use. It only reads the target's font options and the
     * matrix without its translation: when neither changed there is
     * nothing to update, and the labels shaped ahead
     * (dl_render_prepare_labels) stay shaped. */
    cairo_matrix_t m;
    cairo_get_matrix(r->cr, &m);
    cairo_surface_t *target = cairo_get_target(r->cr);
    if (target == r->pango_target && m.xx == r->pango_ctm.xx && m.yx == r->pango_ctm.yx &&
        m.xy == r->pango_ctm.xy && m.yy == r->pango_ctm.yy)
        return;
    pango_cairo_update_context(r->cr, r->pango);
    r->pango_ctm = m;
    r->pango_target = target;
}

void dl_render_device_extents(cairo_t *cr, double x0, double y0, double x1, double y1,
                              double out[4])
{
    double c[4][2] = {{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}};
    out[0] = out[1] = INFINITY;
    out[2] = out[3] = -INFINITY;
    for (int i = 0; i < 4; i++) {
        cairo_user_to_device(cr, &c[i][0], &c[i][1]);
        out[0] = fmin(out[0], c[i][0]);
        out[1] = fmin(out[1], c[i][1]);
        out[2] = fmax(out[2], c[i][0]);
        out[3] = fmax(out[3], c[i][1]);
    }
}

dl_fonts *dl_fonts_new(void)
{
    return (dl_fonts *)pango_cairo_font_map_new();
}

void dl_fonts_free(dl_fonts *f)
{
    if (f)
        g_object_unref((PangoFontMap *)f);
}

void dl_render_use_fonts(dl_render *r, dl_fonts *f)
{
    if (!f || r->fontmap || r->pango_failed)
        return;
    r->fontmap = g_object_ref((PangoFontMap *)f);
}

void dl_render_share_fonts(dl_render *m, dl_render *r)
{
    if (!r->fontmap && !r->pango_failed)
        r->fontmap = pango_cairo_font_map_new();
    dl_render_use_fonts(m, (dl_fonts *)r->fontmap);
}

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
    r->ctx = ctx;
    r->width = width;
    r->height = height;
    cairo_get_matrix(cr, &r->ctm0);
    /* Vertex thinning (path_polyline): a quarter of a device pixel on an
     * image; none in PDF and SVG, which are zoomed. */
    if (cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE) {
        double ux = 1, uy = 0;
        cairo_user_to_device_distance(cr, &ux, &uy);
        double scale = hypot(ux, uy);
        if (scale > 0)
            r->thin = 0.25 / scale;
    }
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
    for (size_t i = 0; i < r->nobstacles; i++)
        free(r->obstacles[i].name);
    free(r->obstacles);
    dl_render_line_scratch_free(r);
    free(r->warned);
    dl_render_icons_free(r);
    dl_render_layout_cache_free(r);
    if (r->family_lists)
        g_hash_table_destroy(r->family_lists);
    if (r->installed)
        g_hash_table_destroy(r->installed);
    if (r->fonts_pending)
        g_hash_table_destroy(r->fonts_pending);
    free(r->batch_xy);
    free(r->rb_xy);
    free(r->rb_end);
    free(r->rb_dev);
    free(r->circle_xy);
    dl_raster_free(r->raster);
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

int dl_render_push_obstacle(dl_render *r, const char *kind, const char *name, dl_box b)
{
    void *items = r->obstacles;
    if (grow(&items, r->nobstacles, &r->cap_obstacles, sizeof *r->obstacles) != 0)
        return -1;
    r->obstacles = items;
    dl_obstacle o = {kind, NULL, b};
    if ((name && !(o.name = dl_strdup(name))) || dl_render_push_box(r, b) != 0) {
        free(o.name);
        return -1;
    }
    r->obstacles[r->nobstacles++] = o;
    return 0;
}

void dl_render_add_named_obstacle(dl_render *r, const char *kind, const char *name, double x0,
                                  double y0, double x1, double y1)
{
    dl_box b = {fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1)};
    /* An obstacle that cannot be recorded only lets a label overlap it. */
    (void)dl_render_push_obstacle(r, kind, name, b);
}

void dl_render_add_obstacle(dl_render *r, double x0, double y0, double x1, double y1)
{
    dl_render_add_named_obstacle(r, "obstacle", NULL, x0, y0, x1, y1);
}

size_t dl_render_obstacle_count(const dl_render *r)
{
    return r->nboxes;
}

int dl_render_obstacles_box(const dl_render *r, size_t from, double box[4])
{
    if (from >= r->nboxes)
        return 0;
    box[0] = box[1] = HUGE_VAL;
    box[2] = box[3] = -HUGE_VAL;
    for (size_t i = from; i < r->nboxes; i++) {
        box[0] = fmin(box[0], r->boxes[i].x0);
        box[1] = fmin(box[1], r->boxes[i].y0);
        box[2] = fmax(box[2], r->boxes[i].x1);
        box[3] = fmax(box[3], r->boxes[i].y1);
    }
    return 1;
}

int dl_render_obstacle_hit(const dl_render *r, size_t upto, const double box[4], double hit[4])
{
    for (size_t i = 0; i < upto && i < r->nboxes; i++) {
        const dl_box *b = &r->boxes[i];
        if (b->x0 < box[2] && box[0] < b->x1 && b->y0 < box[3] && box[1] < b->y1) {
            hit[0] = b->x0;
            hit[1] = b->y0;
            hit[2] = b->x1;
            hit[3] = b->y1;
            return 1;
        }
    }
    return 0;
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

/* Adds one polyline or ring; non-finite vertices are skipped, and with
 * thin > 0 so is a vertex within `thin` of the last one kept (the last
 * vertex always stays): the outline moves by less than that, and on an image
 * thin is a quarter of a device pixel, which no eye sees, while dense data
 * loses most of its vertices. A feature smaller than that collapses to its
 * first and last vertex: a ring to nothing (no area to fill; its 1 px
 * outline, if any, a dot), a line to a dot with round caps or nothing with
 * butt caps, so sub-pixel features cost Cairo next to nothing. */
typedef struct {
    const double *xy;
    size_t i, end, last; /* next index to look at, the part's end, its last usable vertex */
    double lx, ly, t2;   /* the last vertex kept; thin squared */
    int first;
} thinner;

static void thin_begin(thinner *t, const double *xy, size_t start, size_t end, double thin)
{
    t->xy = xy;
    t->i = start;
    t->end = end;
    t->last = end;
    for (size_t i = end; i > start; i--)
        if (point_ok(xy + 2 * (i - 1))) {
            t->last = i - 1;
            break;
        }
    t->lx = t->ly = 0;
    t->t2 = thin * thin;
    t->first = 1;
}

/* The next vertex kept (clamped) into x, y: 1, or 0 at the part's end. */
static int thin_next(thinner *t, double *x, double *y)
{
    for (; t->i < t->end; t->i++) {
        const double *p = t->xy + 2 * t->i;
        if (!point_ok(p))
            continue;
        double px = clamp_coord(p[0]), py = clamp_coord(p[1]);
        if (!t->first && t->t2 > 0 && t->i != t->last &&
            (px - t->lx) * (px - t->lx) + (py - t->ly) * (py - t->ly) < t->t2)
            continue;
        t->lx = *x = px;
        t->ly = *y = py;
        t->first = 0;
        t->i++;
        return 1;
    }
    return 0;
}

static void path_polyline(cairo_t *cr, const double *xy, size_t start, size_t end, int close,
                          double thin)
{
    thinner t;
    thin_begin(&t, xy, start, end, thin);
    double x, y;
    int first = 1;
    while (thin_next(&t, &x, &y)) {
        if (first)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
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

static int same_color(dl_color a, dl_color b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b && a.a == b.a;
}

/* The feature's fill-pattern, made once for a run of features that share
 * it. Owned by r. */
static cairo_pattern_t *fill_pattern(dl_render *r, const dl_style_layer *l)
{
    cairo_matrix_t m;
    cairo_get_matrix(r->cr, &m);
    if (r->pattern && r->pattern_key.kind == l->fill_pattern &&
        same_color(r->pattern_key.color, l->fill_color) &&
        r->pattern_key.opacity == l->fill_opacity &&
        r->pattern_key.spacing == l->fill_pattern_spacing &&
        r->pattern_key.width == l->fill_pattern_width &&
        memcmp(&m, &r->pattern_ctm, sizeof m) == 0)
        return r->pattern;
    if (r->pattern)
        cairo_pattern_destroy(r->pattern);
    r->pattern = dl_render_fill_pattern(r, l);
    r->pattern_key.kind = l->fill_pattern;
    r->pattern_key.color = l->fill_color;
    r->pattern_key.opacity = l->fill_opacity;
    r->pattern_key.spacing = l->fill_pattern_spacing;
    r->pattern_key.width = l->fill_pattern_width;
    r->pattern_ctm = m;
    return r->pattern;
}

static void add_fill_path(cairo_t *cr, const dl_geom *g, double thin)
{
    size_t n = part_count(g);
    for (size_t i = 0; i < n; i++) {
        size_t s, e;
        if (part_range(g, i, &s, &e) && e - s >= 3)
            path_polyline(cr, g->xy, s, e, 1, thin);
    }
}

static void draw_fill(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    cairo_t *cr = r->cr;
    cairo_new_path(cr);
    add_fill_path(cr, g, r->thin);
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
static void add_line_path(cairo_t *cr, const dl_style_layer *l, const dl_geom *g, double thin)
{
    size_t n = part_count(g);
    for (size_t i = 0; i < n; i++) {
        size_t s, e;
        if (!part_range(g, i, &s, &e) || e - s < 2)
            continue;
        if (l->connect_smooth)
            path_smooth(cr, g->xy, s, e);
        else
            path_polyline(cr, g->xy, s, e, 0, thin);
    }
}

static void set_line_style(cairo_t *cr, const dl_style_layer *l);

static int draw_line(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    cairo_t *cr = r->cr;
    if (!(l->line_width > 0))
        return 0;
    cairo_new_path(cr);
    add_line_path(cr, l, g, r->thin);
    set_line_style(cr, l);
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

/* A line layer's dash pattern in user units into dash: its count, or 0
 * when it draws solid. Dashes are in line widths, as in MapLibre. Cairo
 * rejects negative lengths and an all-zero pattern, so those draw solid. */
static int line_dashes(const dl_style_layer *l, double dash[DL_MAX_DASHES])
{
    int nd = l->line_ndash < 0 ? 0 : l->line_ndash > DL_MAX_DASHES ? DL_MAX_DASHES : l->line_ndash;
    double total = 0;
    for (int i = 0; i < nd; i++) {
        dash[i] = l->line_dasharray[i] * l->line_width;
        if (!(dash[i] >= 0) || !isfinite(dash[i]))
            return 0;
        total += dash[i];
    }
    return total > 0 && isfinite(total) ? nd : 0;
}

/* Width, caps, joins, miter limit and dashes of a line layer. */
static void set_line_style(cairo_t *cr, const dl_style_layer *l)
{
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

    double dash[DL_MAX_DASHES];
    int nd = line_dashes(l, dash);
    if (nd > 0)
        cairo_set_dash(cr, dash, nd, 0);
    else
        cairo_set_dash(cr, NULL, 0, 0);
}

/* The fills (with fill set), then the strokes (with stroke set), of
 * circles at n centres; each circle becomes a label obstacle, whatever was
 * drawn (the rest was drawn by raster, flush_circles). */
static void circle_paths(dl_render *r, const dl_style_layer *l, const double *xy, size_t n,
                         int fill, int stroke)
{
    cairo_t *cr = r->cr;
    double rad = l->circle_radius > 0 ? l->circle_radius : 0;
    double sw = l->circle_stroke_width > 0 ? l->circle_stroke_width : 0;
    if (rad == 0 && sw == 0)
        return;
    if (rad > 0 && fill) {
        cairo_new_path(cr);
        for (size_t i = 0; i < n; i++) {
            const double *p = xy + 2 * i;
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
    if (sw > 0 && stroke) {
        cairo_new_path(cr);
        for (size_t i = 0; i < n; i++) {
            const double *p = xy + 2 * i;
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
    for (size_t i = 0; i < n; i++) {
        const double *p = xy + 2 * i;
        if (!point_ok(p))
            continue;
        dl_circle c = {p[0], p[1], rad + sw};
        /* A band records the circles centred in its own rows. An
         * unrecorded circle only lets a label cover it. */
        if (r->has_band && !(p[1] >= r->own_y0 && p[1] < r->own_y1))
            continue;
        if (dl_render_push_circle(r, c) != 0)
            break;
    }
}

static void draw_circles(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    circle_paths(r, l, g->xy, g->npoints, 1, 1);
}

/* Batching. Drawing features one by one costs Cairo a stroke or fill, with
 * its compositing over the feature's box, for each; features of one layer
 * drawn in the same opaque paint are added to one path and drawn together.
 * Fills are all filled, then all outlined, as MapLibre draws a fill
 * layer's outlines over its fills. Translucent paint is drawn per feature
 * (overlaps would otherwise not add up), as are patterns, offset, gap and
 * gradient lines, and everything in SVG, where a feature stays one
 * element. A batch is drawn after DL_BATCH_POINTS vertices, so memory stays
 * bounded. */
#define DL_BATCH_POINTS 65536

static int opaque(dl_color c, double opacity)
{
    return c.a >= 1 && opacity >= 1;
}

static int batchable(const dl_render *r, const dl_style_layer *l)
{
    if (dl_svg_of(r->cr))
        return 0;
    switch (l->type) {
    case DL_LAYER_FILL:
        return l->fill_pattern == DL_PATTERN_NONE && opaque(l->fill_color, l->fill_opacity) &&
               (!l->has_fill_outline || opaque(l->fill_outline_color, l->fill_opacity));
    case DL_LAYER_LINE:
        return l->line_width > 0 && !dl_render_line_is_styled(l) &&
               opaque(l->line_color, l->line_opacity);
    case DL_LAYER_CIRCLE:
        return opaque(l->circle_color, l->circle_opacity) &&
               (!(l->circle_stroke_width > 0) || l->circle_stroke_color.a >= 1);
    default:
        return 0;
    }
}

/* Whether a feature that is not batchable is still drawn by raster, alone
 * (a batch of one, so its parts are one shape and overlapping features
 * add up as Cairo's strokes of each do): translucent plain (solid or
 * dashed) lines, fills and circles on an image. Smooth lines, patterns,
 * offset, gap and gradient lines, and vector outputs stay with Cairo. */
int dl_render_alone_on_raster(const dl_render *r, const dl_style_layer *l)
{
    if (cairo_surface_get_type(cairo_get_target(r->cr)) != CAIRO_SURFACE_TYPE_IMAGE ||
        dl_svg_of(r->cr))
        return 0;
    switch (l->type) {
    case DL_LAYER_FILL:
        return l->fill_pattern == DL_PATTERN_NONE;
    case DL_LAYER_LINE:
        return l->line_width > 0 && !dl_render_line_is_styled(l) && !l->connect_smooth;
    case DL_LAYER_CIRCLE:
        return 1;
    default:
        return 0;
    }
}

/* Whether a draws exactly as b (data-driven values may differ from feature
 * to feature). */
static int same_paint(const dl_style_layer *a, const dl_style_layer *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case DL_LAYER_FILL:
        return same_color(a->fill_color, b->fill_color) &&
               a->has_fill_outline == b->has_fill_outline &&
               (!a->has_fill_outline || same_color(a->fill_outline_color, b->fill_outline_color));
    case DL_LAYER_LINE:
        return same_color(a->line_color, b->line_color) && a->line_width == b->line_width &&
               a->line_cap == b->line_cap && a->line_join == b->line_join &&
               a->connect_smooth == b->connect_smooth && a->line_ndash == b->line_ndash &&
               memcmp(a->line_dasharray, b->line_dasharray,
                      (size_t)(a->line_ndash > 0 ? a->line_ndash : 0) * sizeof(double)) == 0;
    case DL_LAYER_CIRCLE:
        return same_color(a->circle_color, b->circle_color) &&
               same_color(a->circle_stroke_color, b->circle_stroke_color) &&
               a->circle_radius == b->circle_radius &&
               a->circle_stroke_width == b->circle_stroke_width;
    default:
        return 0;
    }
}

/* Whether a batch's vertices go to rb_xy (plain lines, dashed or not, and
 * fills) rather than straight into Cairo's path (circles, smooth lines). */
static int kept_as_vertices(const dl_style_layer *l)
{
    return l->type == DL_LAYER_FILL || (l->type == DL_LAYER_LINE && !l->connect_smooth);
}

static int rb_add(dl_render *r, const dl_geom *g, size_t s, size_t e)
{
    size_t need = r->rb_n + (e - s);
    if (need > r->cap_rb_xy) {
        size_t cap = r->cap_rb_xy ? r->cap_rb_xy : 4096;
        while (cap < need)
            cap *= 2;
        double *p = dl_realloc_array(r->rb_xy, cap, 2 * sizeof *p);
        if (!p)
            return -1;
        r->rb_xy = p;
        r->cap_rb_xy = cap;
    }
    if (r->rb_nparts == r->cap_rb_end) {
        size_t cap = r->cap_rb_end ? 2 * r->cap_rb_end : 256;
        size_t *p = dl_realloc_array(r->rb_end, cap, sizeof *p);
        if (!p)
            return -1;
        r->rb_end = p;
        r->cap_rb_end = cap;
    }
    /* Room for the longest part, for rb_device, and after it for the dash
     * dl_raster_dash builds of it (its points and 2 more). */
    if (2 * (e - s) + 2 > r->cap_rb_dev) {
        double *p = dl_realloc_array(r->rb_dev, 2 * (e - s) + 2, 2 * sizeof *p);
        if (!p)
            return -1;
        r->rb_dev = p;
        r->cap_rb_dev = 2 * (e - s) + 2;
    }
    memcpy(r->rb_xy + 2 * r->rb_n, g->xy + 2 * s, (e - s) * 2 * sizeof(double));
    r->rb_n = need;
    r->rb_end[r->rb_nparts++] = need;
    return 0;
}

/* A feature's parts into the batch's vertices: rings of 3 or more points
 * for fills, lines of 2 or more (as add_fill_path and add_line_path). */
static int rb_add_feature(dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    size_t n = part_count(g);
    for (size_t i = 0; i < n; i++) {
        size_t s, e;
        if (!part_range(g, i, &s, &e) || e - s < (l->type == DL_LAYER_FILL ? 3u : 2u))
            continue;
        if (rb_add(r, g, s, e) != 0)
            return -1;
    }
    return 0;
}

/* One kept part, thinned as path_polyline thins, in device pixels (m: a
 * scale and a translation) into rb_dev (rb_add made room). Returns its
 * point count. */
static size_t rb_device(dl_render *r, size_t s, size_t e, const cairo_matrix_t *m)
{
    thinner t;
    thin_begin(&t, r->rb_xy, s, e, r->thin);
    size_t n = 0;
    double x, y;
    while (thin_next(&t, &x, &y)) {
        r->rb_dev[2 * n] = m->xx * x + m->x0;
        r->rb_dev[2 * n + 1] = m->yy * y + m->y0;
        n++;
    }
    return n;
}

/* The image the batch can be scan-converted onto directly: the context's
 * own image (no group pushed, no device offset), a matrix that only scales
 * (the same along both axes) and translates, the OVER operator, and a clip
 * that is one rectangle on whole pixels. 0 when Cairo must draw it. */
static int raster_target(dl_render *r, cairo_matrix_t *m, int clip[4])
{
    cairo_t *cr = r->cr;
    cairo_surface_t *t = cairo_get_target(cr);
    if (cairo_surface_get_type(t) != CAIRO_SURFACE_TYPE_IMAGE || cairo_get_group_target(cr) != t ||
        cairo_get_operator(cr) != CAIRO_OPERATOR_OVER)
        return 0;
    cairo_format_t f = cairo_image_surface_get_format(t);
    if (f != CAIRO_FORMAT_ARGB32 && f != CAIRO_FORMAT_RGB24)
        return 0;
    double dx, dy;
    cairo_surface_get_device_offset(t, &dx, &dy);
    if (dx != 0 || dy != 0)
        return 0;
    cairo_get_matrix(cr, m);
    if (m->xy != 0 || m->yx != 0 || !(m->xx > 0) || m->xx != m->yy)
        return 0;
    int w = cairo_image_surface_get_width(t), h = cairo_image_surface_get_height(t);
    cairo_rectangle_list_t *rl = cairo_copy_clip_rectangle_list(cr);
    int ok = rl->status == CAIRO_STATUS_SUCCESS && rl->num_rectangles <= 1;
    if (ok && rl->num_rectangles == 1) {
        const cairo_rectangle_t *c = &rl->rectangles[0];
        double x0 = m->xx * c->x + m->x0, y0 = m->yy * c->y + m->y0;
        double x1 = x0 + m->xx * c->width, y1 = y0 + m->yy * c->height;
        ok = x0 == floor(x0) && y0 == floor(y0) && x1 == floor(x1) && y1 == floor(y1);
        clip[0] = (int)fmax(fmin(x0, w), 0);
        clip[1] = (int)fmax(fmin(y0, h), 0);
        clip[2] = (int)fmax(fmin(x1, w), 0);
        clip[3] = (int)fmax(fmin(y1, h), 0);
    } else if (ok) {
        clip[0] = clip[1] = clip[2] = clip[3] = 0; /* all clipped away */
    }
    cairo_rectangle_list_destroy(rl);
    if (ok && !r->raster && !(r->raster = dl_raster_new()))
        ok = 0;
    return ok;
}

/* A channel as Cairo stores it: 16 bits a channel, then 8. */
static uint8_t channel8(double v)
{
    v = fmin(fmax(v, 0), 1);
    return (uint8_t)((unsigned)(v * 65535.0 + 0.5) >> 8);
}

/* What was added, composited in colour c faded by opacity as set_color's
 * source is: opaque by dl_raster_fill, translucent premultiplied as Cairo
 * premultiplies its colour (each channel times the alpha, in doubles, then
 * to 16 bits and 8). */
static int raster_fill(dl_render *r, dl_color c, double opacity)
{
    cairo_surface_t *t = cairo_get_target(r->cr);
    cairo_surface_flush(t);
    unsigned char *data = cairo_image_surface_get_data(t);
    int stride = cairo_image_surface_get_stride(t);
    int rc;
    if (opaque(c, opacity)) {
        rc = dl_raster_fill(r->raster, data, stride, channel8(c.r), channel8(c.g),
                            channel8(c.b));
    } else {
        double a = fmin(fmax(c.a * opacity, 0), 1);
        uint32_t argb = (uint32_t)channel8(a) << 24 |
                        (uint32_t)channel8(fmin(fmax(c.r, 0), 1) * a) << 16 |
                        (uint32_t)channel8(fmin(fmax(c.g, 0), 1) * a) << 8 |
                        channel8(fmin(fmax(c.b, 0), 1) * a);
        rc = dl_raster_fill_argb(r->raster, data, stride, argb);
    }
    cairo_surface_mark_dirty(t);
    return rc;
}

static dl_rcap rcap_of(dl_line_cap c)
{
    return c == DL_CAP_ROUND ? DL_RCAP_ROUND : c == DL_CAP_SQUARE ? DL_RCAP_SQUARE : DL_RCAP_BUTT;
}

static dl_rjoin rjoin_of(dl_line_join j)
{
    return j == DL_JOIN_ROUND ? DL_RJOIN_ROUND : j == DL_JOIN_BEVEL ? DL_RJOIN_BEVEL : DL_RJOIN_MITER;
}

/* One dash of a line, stroked as the line (dl_raster_dash's callback). */
typedef struct {
    dl_raster *R;
    double hw;
    dl_rcap cap;
    dl_rjoin join;
} dash_stroke;

static void stroke_dash(void *arg, const double *xy, size_t n)
{
    const dash_stroke *d = arg;
    dl_raster_stroke(d->R, xy, n, 0, d->hw, d->cap, d->join, 2.0);
}

/* The kept batch drawn by raster; -1 when it cannot be (Cairo draws it).
 * A dashed line's parts are split into their dashes, each stroked open
 * with the line's caps and joins, as Cairo strokes a dashed path. */
static int flush_raster(dl_render *r, const dl_style_layer *l)
{
    cairo_matrix_t m;
    int clip[4];
    if (!raster_target(r, &m, clip))
        return -1;
    dl_raster *R = r->raster;
    dl_raster_reset(R, clip[0], clip[1], clip[2], clip[3]);
    double scale = m.xx;
    size_t s = 0;
    if (l->type == DL_LAYER_FILL) {
        for (size_t i = 0; i < r->rb_nparts; s = r->rb_end[i++]) {
            size_t n = rb_device(r, s, r->rb_end[i], &m);
            if (n >= 3)
                dl_raster_polygon(R, r->rb_dev, n);
        }
        if (raster_fill(r, l->fill_color, l->fill_opacity) != 0)
            return -1;
        if (!l->has_fill_outline)
            return 0;
        s = 0;
        if (!opaque(l->fill_outline_color, l->fill_opacity)) {
            /* A translucent feature (drawn alone): its rings' outlines are
             * one stroke, inked once where they overlap, as Cairo's. */
            for (size_t i = 0; i < r->rb_nparts; s = r->rb_end[i++]) {
                size_t n = rb_device(r, s, r->rb_end[i], &m);
                dl_raster_stroke(R, r->rb_dev, n, 1, 0.5 * scale, DL_RCAP_BUTT, DL_RJOIN_ROUND,
                                 10);
            }
            return raster_fill(r, l->fill_outline_color, l->fill_opacity) != 0 ? 1 : 0;
        }
        /* Each ring's outline on its own, kept as the most coverage per
         * pixel: neighbours' outlines along a shared border ink it as one
         * line, as Cairo's one stroke of the batch does (summed, a border
         * pixel half covered by each would be inked whole). */
        int rc = 0;
        for (size_t i = 0; i < r->rb_nparts && rc == 0; s = r->rb_end[i++]) {
            size_t n = rb_device(r, s, r->rb_end[i], &m);
            dl_raster_stroke(R, r->rb_dev, n, 1, 0.5 * scale, DL_RCAP_BUTT, DL_RJOIN_ROUND, 10);
            rc = dl_raster_keep(R);
        }
        cairo_surface_t *t = cairo_get_target(r->cr);
        cairo_surface_flush(t);
        if (rc == 0)
            rc = dl_raster_fill_kept(R, cairo_image_surface_get_data(t),
                                     cairo_image_surface_get_stride(t),
                                     channel8(l->fill_outline_color.r),
                                     channel8(l->fill_outline_color.g),
                                     channel8(l->fill_outline_color.b));
        cairo_surface_mark_dirty(t);
        dl_raster_reset(R, 0, 0, 0, 0);
        /* The fills are drawn: on failure only the outline is left to
         * Cairo. */
        if (rc != 0)
            return 1;
        return 0;
    }
    dash_stroke ds = {R, 0.5 * l->line_width * scale, rcap_of(l->line_cap),
                      rjoin_of(l->line_join)};
    double dash[DL_MAX_DASHES];
    int nd = line_dashes(l, dash);
    double period = 0;
    for (int i = 0; i < nd; i++) {
        dash[i] *= scale; /* in device px, as Cairo dashes the device path */
        period += dash[i];
    }
    /* Cairo strokes a pattern shorter than its tolerance (0.1 device px)
     * as a solid line of the dashes' share of the alpha. */
    if (nd > 0 && (nd % 2 ? 2 * period : period) < 0.1)
        return -1;
    for (size_t i = 0; i < r->rb_nparts; s = r->rb_end[i++]) {
        size_t n = rb_device(r, s, r->rb_end[i], &m);
        if (nd > 0)
            dl_raster_dash(r->rb_dev, n, dash, nd, ds.cap != DL_RCAP_BUTT, r->rb_dev + 2 * n,
                           stroke_dash, &ds);
        else
            dl_raster_stroke(R, r->rb_dev, n, 0, ds.hw, ds.cap, ds.join, 2.0);
    }
    return raster_fill(r, l->line_color, l->line_opacity);
}

/* Circles on raster: a table's points at most (a radius of 100 px has 129),
 * and the largest radius with ring in device px (Cairo's fixed point holds
 * +-8.4e6). */
#define CIRCLE_MAX_POINTS 65536
#define CIRCLE_MAX_RADIUS 1e5

/* Cairo's own polygon for cairo_arc of radius rad device px about the
 * origin, flattened as it fills and strokes one (its arc's curves, its
 * tolerance), appended to circle_xy from point *n on; the first point is
 * repeated at the end. -1 when out of memory or too many points. */
static int circle_table(dl_render *r, double rad, size_t *n)
{
    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_new_path(cr);
    cairo_arc(cr, 0, 0, rad, 0, TWO_PI);
    cairo_path_t *path = cairo_copy_path_flat(cr);
    cairo_new_path(cr);
    cairo_restore(cr);
    int rc = path->status == CAIRO_STATUS_SUCCESS ? 0 : -1;
    size_t k = *n, from = *n;
    for (int i = 0; rc == 0 && i < path->num_data; i += path->data[i].header.length) {
        const cairo_path_data_t *d = &path->data[i];
        if (d->header.type != CAIRO_PATH_MOVE_TO && d->header.type != CAIRO_PATH_LINE_TO)
            continue;
        void *items = r->circle_xy;
        int full = k - from >= CIRCLE_MAX_POINTS ||
                   grow(&items, k, &r->cap_circle_xy, 2 * sizeof(double)) != 0;
        r->circle_xy = items;
        if (full) {
            rc = -1;
            break;
        }
        r->circle_xy[2 * k] = d[1].point.x;
        r->circle_xy[2 * k + 1] = d[1].point.y;
        k++;
    }
    cairo_path_destroy(path);
    if (rc != 0 || k - from < 3)
        return -1;
    /* Cairo's quarters differ by its rounding, and may be cut in different
     * places (a curve cut in two when its error is just over the
     * tolerance, not cut when just under), so a dot would be lopsided by a
     * few levels: the first quarter, from angle 0 to the point straight
     * below (y grows down), mirrored into the other three makes it
     * symmetric left to right and top to bottom. (Not across the
     * diagonals: the quarter's points follow the curve's parameter, not
     * its angle, and mirroring an eighth would drop or add points.) */
    double *p = r->circle_xy + 2 * from;
    size_t q = 0;
    for (size_t i = 1; i < k - from && !q; i++)
        if (p[2 * i] == 0 && p[2 * i + 1] > 0)
            q = i;
    if (q > 0 && p[1] == 0) {
        void *items = r->circle_xy;
        size_t need = from + 4 * q + 1;
        if (need > r->cap_circle_xy) {
            items = dl_realloc_array(items, need, 2 * sizeof(double));
            if (!items)
                return -1;
            r->circle_xy = items;
            r->cap_circle_xy = need;
            p = r->circle_xy + 2 * from;
        }
        for (size_t t = 1; t <= q; t++) {
            p[2 * (q + t)] = -p[2 * (q - t)];
            p[2 * (q + t) + 1] = p[2 * (q - t) + 1];
            p[2 * (2 * q + t)] = -p[2 * t];
            p[2 * (2 * q + t) + 1] = -p[2 * t + 1];
            p[2 * (3 * q + t)] = p[2 * (q - t)];
            p[2 * (3 * q + t) + 1] = -p[2 * (q - t) + 1];
        }
        k = from + 4 * q + 1;
    }
    /* The arc ends where it began, but for rounding: the same point, so a
     * stroke sees a closed ring. */
    r->circle_xy[2 * k - 2] = r->circle_xy[2 * from];
    r->circle_xy[2 * k - 1] = r->circle_xy[2 * from + 1];
    *n = k;
    return 0;
}

/* A batch of circles drawn by raster as circle_paths draws it, on polygons
 * Cairo flattens once for the batch (same_paint keeps a batch's radii):
 * every fill, then every stroke (its ring of radius rad + sw / 2 stroked
 * sw wide, closed, with the context's join), which lies outside the
 * radius. -1 when raster cannot draw it (Cairo draws it all), 1 when it
 * drew the fills but not the strokes, 0 when it drew everything. Records
 * no obstacles. */
static int flush_circles(dl_render *r, const dl_style_layer *l)
{
    double rad = l->circle_radius > 0 ? l->circle_radius : 0;
    double sw = l->circle_stroke_width > 0 ? l->circle_stroke_width : 0;
    cairo_matrix_t m;
    int clip[4];
    if ((rad == 0 && sw == 0) || !raster_target(r, &m, clip))
        return -1;
    double s = m.xx, reach = (rad + sw) * s + 1;
    if (!(reach < CIRCLE_MAX_RADIUS))
        return -1; /* Cairo's fixed point would not hold the table either */
    size_t nf = 0, nr = 0;
    if (rad > 0 && circle_table(r, rad * s, &nf) != 0)
        return -1;
    nr = nf;
    if (sw > 0 && circle_table(r, (rad + sw / 2) * s, &nr) != 0)
        return -1;
    nr -= nf;
    /* Room for one ring moved to its centre. */
    size_t need = nf + 2 * nr;
    if (need > r->cap_circle_xy) {
        double *p = dl_realloc_array(r->circle_xy, need, 2 * sizeof *p);
        if (!p)
            return -1;
        r->circle_xy = p;
        r->cap_circle_xy = need;
    }
    const double *tf = r->circle_xy, *tr = r->circle_xy + 2 * nf;
    double *ring = r->circle_xy + 2 * (nf + nr);
    cairo_line_join_t cj = cairo_get_line_join(r->cr);
    dl_rjoin join = cj == CAIRO_LINE_JOIN_ROUND   ? DL_RJOIN_ROUND
                    : cj == CAIRO_LINE_JOIN_BEVEL ? DL_RJOIN_BEVEL
                                                  : DL_RJOIN_MITER;
    double miter = cairo_get_miter_limit(r->cr);
    dl_raster *R = r->raster;
    dl_raster_reset(R, clip[0], clip[1], clip[2], clip[3]);
    const double *xy = r->batch_xy;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0 ? nf == 0 : nr == 0)
            continue;
        for (size_t i = 0; i < r->batch_n; i++) {
            const double *p = xy + 2 * i;
            if (!point_ok(p))
                continue;
            double cx = s * clamp_coord(p[0]) + m.x0, cy = s * clamp_coord(p[1]) + m.y0;
            if (cx + reach < clip[0] || cx - reach > clip[2] || cy + reach < clip[1] ||
                cy - reach > clip[3])
                continue;
            if (pass == 0) {
                dl_raster_polygon_at(R, tf, nf, cx, cy, 0);
                continue;
            }
            for (size_t k = 0; k < nr; k++) {
                ring[2 * k] = tr[2 * k] + cx;
                ring[2 * k + 1] = tr[2 * k + 1] + cy;
            }
            dl_raster_stroke(R, ring, nr, 1, sw / 2 * s, DL_RCAP_BUTT, join, miter);
        }
        if ((pass == 0 ? raster_fill(r, l->circle_color, l->circle_opacity)
                       : raster_fill(r, l->circle_stroke_color, 1.0)) != 0)
            return pass == 0 || nf == 0 ? -1 : 1;
    }
    return 0;
}

/* The kept batch as a Cairo path, as add_fill_path and add_line_path
 * would have made it. */
static void rb_replay(dl_render *r, const dl_style_layer *l)
{
    cairo_new_path(r->cr);
    size_t s = 0;
    for (size_t i = 0; i < r->rb_nparts; s = r->rb_end[i++])
        path_polyline(r->cr, r->rb_xy, s, r->rb_end[i], l->type == DL_LAYER_FILL, r->thin);
}

void dl_render_flush(dl_render *r)
{
    r->batch_open = 0;
    if (!r->batch_n) {
        r->batch_points = 0; /* a band's batch of features drawn only elsewhere */
        return;
    }
    cairo_t *cr = r->cr;
    const dl_style_layer *l = &r->batch_layer;
    if (kept_as_vertices(l)) {
        int rc = flush_raster(r, l);
        if (rc != 0)
            rb_replay(r, l);
        r->rb_n = 0;
        r->rb_nparts = 0;
        if (rc == 1) { /* the fills drawn, their outline not */
            cairo_save(cr);
            set_color(cr, l->fill_outline_color, l->fill_opacity);
            cairo_set_line_width(cr, 1.0);
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            cairo_set_dash(cr, NULL, 0, 0);
            dl_cr_stroke(cr);
            cairo_restore(cr);
        }
        if (rc >= 0) {
            cairo_new_path(cr);
            r->batch_n = 0;
            r->batch_points = 0;
            return;
        }
    }
    /* Circles by raster, or what it left to Cairo (1: the strokes). */
    int circles = l->type == DL_LAYER_CIRCLE ? flush_circles(r, l) : -1;
    cairo_save(cr);
    switch (l->type) {
    case DL_LAYER_FILL:
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
        set_color(cr, l->fill_color, l->fill_opacity);
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
        break;
    case DL_LAYER_LINE:
        set_line_style(cr, l);
        set_color(cr, l->line_color, l->line_opacity);
        dl_cr_stroke(cr);
        break;
    case DL_LAYER_CIRCLE:
        circle_paths(r, l, r->batch_xy, r->batch_n, circles < 0, circles != 0);
        break;
    default:
        break;
    }
    cairo_new_path(cr);
    cairo_restore(cr);
    r->batch_n = 0;
    r->batch_points = 0;
}

void dl_render_set_band(dl_render *r, double y0, double y1, double own_y0, double own_y1)
{
    r->has_band = 1;
    r->band_y0 = y0;
    r->band_y1 = y1;
    r->own_y0 = own_y0;
    r->own_y1 = own_y1;
}

int dl_render_take_obstacles(dl_render *to, const dl_render *from)
{
    for (size_t i = 0; i < from->ncircles; i++)
        if (dl_render_push_circle(to, from->circles[i]) != 0)
            return -1;
    /* Named obstacles first, then any other boxes (from's obstacles come
     * before its labels, and a band places none). */
    for (size_t i = 0; i < from->nobstacles; i++)
        if (dl_render_push_obstacle(to, from->obstacles[i].kind, from->obstacles[i].name,
                                    from->obstacles[i].box) != 0)
            return -1;
    for (size_t i = from->nobstacles; i < from->nboxes; i++)
        if (dl_render_push_box(to, from->boxes[i]) != 0)
            return -1;
    return 0;
}

double dl_render_ink_margin(const dl_style_layer *l)
{
    double m = 4;
    switch (l->type) {
    case DL_LAYER_LINE:
        m += 2 * (fmax(l->line_width, 0) + fmax(l->line_gap_width, 0)) + fabs(l->line_offset);
        break;
    case DL_LAYER_CIRCLE:
        m += fmax(l->circle_radius, 0) + fmax(l->circle_stroke_width, 0);
        break;
    default:
        m += 2; /* the 1 px outline */
        break;
    }
    return m;
}

/* Whether a feature's ink can reach the band's rows: its vertices' vertical
 * extent grown by dl_render_ink_margin. */
static int touches_band(const dl_render *r, const dl_style_layer *l, const dl_geom *g)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < g->npoints; i++) {
        const double *p = g->xy + 2 * i;
        if (!point_ok(p))
            continue;
        lo = fmin(lo, p[1]);
        hi = fmax(hi, p[1]);
    }
    if (lo > hi)
        return 1; /* nothing drawable: the drawing code decides */
    double m = dl_render_ink_margin(l);
    return !(hi + m < r->band_y0 || lo - m > r->band_y1);
}

/* Adds g to the open batch of layer's paint (opening one). */
static dline_status batch_add(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                              const dl_geom *g)
{
    cairo_t *cr = r->cr;
    if (!r->batch_open) {
        r->batch_layer = *layer;
        r->batch_open = 1;
        cairo_new_path(cr);
    }
    if (layer->type == DL_LAYER_CIRCLE) {
        /* Centres: a circle's fill and its stroke are two paths. */
        size_t need = r->batch_n + g->npoints;
        if (need > r->cap_batch_xy) {
            size_t cap = r->cap_batch_xy ? r->cap_batch_xy : 1024;
            while (cap < need)
                cap *= 2;
            double *p = dl_realloc_array(r->batch_xy, cap, 2 * sizeof *p);
            if (!p)
                return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
            r->batch_xy = p;
            r->cap_batch_xy = cap;
        }
        memcpy(r->batch_xy + 2 * r->batch_n, g->xy, g->npoints * 2 * sizeof(double));
        r->batch_n += g->npoints;
        /* A circle is 4 curves, flattened to dozens of edges, twice
         * (fill and stroke): it counts as such against the bound. */
        r->batch_points += 64 * g->npoints;
        return DLINE_OK;
    }
    if (kept_as_vertices(layer)) {
        if (rb_add_feature(r, layer, g) != 0)
            return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    } else if (layer->type == DL_LAYER_FILL) {
        add_fill_path(cr, g, r->thin);
    } else {
        add_line_path(cr, layer, g, r->thin);
    }
    r->batch_n++;
    r->batch_points += g->npoints;
    cairo_status_t cst = cairo_status(cr);
    if (cst != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "layer '%s': %s",
                        layer->id ? layer->id : "", cairo_status_to_string(cst));
    return DLINE_OK;
}

/* g drawn alone through the batch's way (raster, or Cairo when raster
 * cannot): a batch of one, flushed at once. */
static dline_status draw_alone(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                               const dl_geom *g)
{
    dline_status st = batch_add(ctx, r, layer, g);
    dl_render_flush(r);
    if (st != DLINE_OK)
        return st;
    cairo_status_t cst = cairo_status(r->cr);
    if (cst != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "layer '%s': %s",
                        layer->id ? layer->id : "", cairo_status_to_string(cst));
    return DLINE_OK;
}

dline_status dl_render_shape_alone(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                   const dl_geom *g, double thin)
{
    if (r->batch_open)
        dl_render_flush(r);
    double keep = r->thin;
    r->thin = thin;
    dline_status st = draw_alone(ctx, r, layer, g);
    r->thin = keep;
    return st;
}

dline_status dl_render_feature(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                               const dl_geom *g)
{
    if (!g || g->npoints == 0 || !g->xy)
        return DLINE_OK;
    cairo_t *cr = r->cr;
    size_t weight = layer->type == DL_LAYER_CIRCLE ? 64 * g->npoints : g->npoints;
    if (r->batch_open && (!batchable(r, layer) || !same_paint(layer, &r->batch_layer) ||
                          r->batch_points + weight > DL_BATCH_POINTS))
        dl_render_flush(r);
    if (r->has_band && !touches_band(r, layer, g)) {
        /* Drawn by the other band only (a circle whose centre is in the
         * band's rows touches them, so the band records its own circles).
         * It still breaks and fills batches as it would among the
         * features this band reads, so the band batches the same whatever
         * the thread count. */
        if (batchable(r, layer)) {
            if (!r->batch_open) {
                r->batch_layer = *layer;
                r->batch_open = 1;
                cairo_new_path(cr);
            }
            r->batch_points += weight;
        }
        return DLINE_OK;
    }
    if (batchable(r, layer))
        return batch_add(ctx, r, layer, g);
    if (dl_render_alone_on_raster(r, layer))
        return draw_alone(ctx, r, layer, g);
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
