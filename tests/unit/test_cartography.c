/* Line and area cartography: offset curves, the pole of inaccessibility,
 * line-offset / line-gap-width / line-gradient pixels, fill patterns, and the
 * style properties that ask for them. Needs FONTCONFIG_FILE (ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render/render_int.h"
#include "canvas.h"

static const dl_color BLACK = {0, 0, 0, 1};

/* Geometry */

static void assert_points(const double *got, size_t n, const double *want, size_t nwant)
{
    if (n != nwant) {
        for (size_t i = 0; i < n; i++)
            print_message("  %g,%g\n", got[2 * i], got[2 * i + 1]);
        fail_msg("%zu points, expected %zu", n, nwant);
    }
    for (size_t i = 0; i < 2 * n; i++)
        if (fabs(got[i] - want[i]) > 1e-9)
            fail_msg("point %zu is %g,%g, expected %g,%g", i / 2, got[i & ~(size_t)1],
                     got[i | 1], want[i & ~(size_t)1], want[i | 1]);
}

static void offset_straight_line(void **state)
{
    (void)state;
    double xy[] = {0, 0, 10, 0}, out[8];
    /* Right of an eastward line on a y-down screen is +y. */
    size_t n = dl_geom_offset_line(xy, 2, 0, 2, 2, out);
    assert_points(out, n, (double[]){0, 2, 10, 2}, 2);
    n = dl_geom_offset_line(xy, 2, 0, -2, 2, out);
    assert_points(out, n, (double[]){0, -2, 10, -2}, 2);
}

static void offset_corner_miter_and_bevel(void **state)
{
    (void)state;
    /* East then south: the right side is the inside of the corner. */
    double xy[] = {0, 0, 10, 0, 10, 10}, out[12];
    size_t n = dl_geom_offset_line(xy, 3, 0, 1, 2, out);
    assert_points(out, n, (double[]){0, 1, 9, 1, 9, 10}, 3);
    /* Outside: the miter point, sqrt 2 offsets from the vertex (limit 2). */
    n = dl_geom_offset_line(xy, 3, 0, -1, 2, out);
    assert_points(out, n, (double[]){0, -1, 11, -1, 11, 10}, 3);
    /* With a limit under sqrt 2 the same corner is bevelled. */
    n = dl_geom_offset_line(xy, 3, 0, -1, 1.2, out);
    assert_points(out, n, (double[]){0, -1, 10, -1, 11, 0, 11, 10}, 4);
    /* A hairpin turn would mitre miles away: bevelled at limit 2. */
    double pin[] = {0, 0, 10, 0, 0, 1};
    n = dl_geom_offset_line(pin, 3, 0, -1, 2, out);
    assert_int_equal(n, 4);
    assert_true(out[2] <= 10.5 && out[4] <= 10.5 + 1);
}

static void offset_skips_repeats_and_closes_rings(void **state)
{
    (void)state;
    double rep[] = {0, 0, 0, 0, 10, 0, 10, 0, NAN, 3}, out[20];
    size_t n = dl_geom_offset_line(rep, 5, 0, 1, 2, out);
    assert_points(out, n, (double[]){0, 1, 10, 1}, 2);
    double one[] = {5, 5, 5, 5};
    assert_int_equal(dl_geom_offset_line(one, 2, 0, 1, 2, out), 0);

    /* East, south, west, north: clockwise on screen, so right is inside;
     * the repeated first vertex closes the ring and every corner is joined. */
    double sq[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
    n = dl_geom_offset_line(sq, 5, 1, 1, 2, out);
    assert_points(out, n, (double[]){1, 1, 9, 1, 9, 9, 1, 9}, 4);
    n = dl_geom_offset_line(sq, 4, 1, -1, 2, out); /* without the repeat */
    assert_points(out, n, (double[]){-1, -1, 11, -1, 11, 11, -1, 11}, 4);
}

static double clearance(const dl_geom *g, double x, double y)
{
    double best = HUGE_VAL;
    for (size_t p = 0; p < g->nparts; p++) {
        for (size_t i = g->part_start[p]; i < g->part_start[p + 1]; i++) {
            size_t j = i + 1 < g->part_start[p + 1] ? i + 1 : g->part_start[p];
            double ax = g->xy[2 * i], ay = g->xy[2 * i + 1];
            double dx = g->xy[2 * j] - ax, dy = g->xy[2 * j + 1] - ay;
            double t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy);
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double d = hypot(x - ax - t * dx, y - ay - t * dy);
            if (d < best)
                best = d;
        }
    }
    return best;
}

static void pole_of_u_shape(void **state)
{
    (void)state;
    /* A U: two 10-wide arms on a 10-high base. Its centroid (15, 16.4) lies
     * in the notch, outside the polygon. */
    double xy[] = {0, 0, 10, 0, 10, 20, 20, 20, 20, 0, 30, 0, 30, 30, 0, 30};
    size_t parts[] = {0, 8};
    unsigned char hole[] = {0};
    dl_geom g = {.type = DL_GEOM_POLYGON, .npoints = 8, .nparts = 1, .xy = xy,
                 .part_start = parts, .hole = hole};
    assert_false(dl_geom_ring_contains(&g, 0, 15, 16.4));
    double x, y;
    assert_int_equal(dl_geom_pole_of_inaccessibility(&g, 0, 0.5, &x, &y), 0);
    assert_true(dl_geom_ring_contains(&g, 0, x, y));
    /* The best anywhere is 5 (half an arm's width); within the precision. */
    assert_true(clearance(&g, x, y) >= 4.5);
}

/* Slivers (a polygon clipped to a hair at an image edge) end at once, near
 * the sliver, however far from the origin: stepping a grid by a size below
 * the coordinates' precision once never ended (and ate all memory). */
static void pole_of_slivers_ends(void **state)
{
    (void)state;
    static const double widths[] = {1e-16, 1e-12, 1e-9, 1e-6};
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        double w = widths[k];
        double xy[] = {600, 0, 600 + w, 0, 600 + w, 0.5, 600, 0.5};
        size_t parts[] = {0, 4};
        unsigned char hole[] = {0};
        dl_geom g = {.type = DL_GEOM_POLYGON, .npoints = 4, .nparts = 1, .xy = xy,
                     .part_start = parts, .hole = hole};
        double x, y;
        assert_int_equal(dl_geom_pole_of_inaccessibility(&g, 0, 1, &x, &y), 0);
        assert_true(fabs(x - 600) <= 1 && y >= -1 && y <= 1.5);
    }
}

static void pole_avoids_hole(void **state)
{
    (void)state;
    /* A square with a square hole in the middle: the centroid of the outer
     * ring, (50, 50), is in the hole. The ring around it is 30 wide. */
    double xy[] = {0, 0, 100, 0, 100, 100, 0, 100,
                   30, 30, 30, 70, 70, 70, 70, 30};
    size_t parts[] = {0, 4, 8};
    unsigned char hole[] = {0, 1};
    dl_geom g = {.type = DL_GEOM_POLYGON, .npoints = 8, .nparts = 2, .xy = xy,
                 .part_start = parts, .hole = hole};
    double x, y;
    assert_int_equal(dl_geom_pole_of_inaccessibility(&g, 0, 1, &x, &y), 0);
    assert_true(dl_geom_ring_contains(&g, 0, x, y));
    assert_false(dl_geom_ring_contains(&g, 1, x, y));
    assert_true(clearance(&g, x, y) >= 14);
    /* Without the hole the middle wins. */
    g.nparts = 1;
    assert_int_equal(dl_geom_pole_of_inaccessibility(&g, 0, 1, &x, &y), 0);
    assert_true(fabs(x - 50) < 2 && fabs(y - 50) < 2);
    /* A part index out of range, or an empty ring, is refused. */
    assert_int_equal(dl_geom_pole_of_inaccessibility(&g, 3, 1, &x, &y), -1);
}

static int dark(canvas *c, int x, int y)
{
    int rgb[3];
    pixel(c, x, y, rgb);
    return rgb[0] + rgb[1] + rgb[2] < 3 * 128;
}

static dl_style_layer layer_of(dl_layer_type type)
{
    dl_style_layer l;
    memset(&l, 0, sizeof l);
    l.id = "test";
    l.type = type;
    l.fill_opacity = l.line_opacity = 1;
    l.line_width = 1;
    l.line_color = BLACK;
    l.fill_color = BLACK;
    l.fill_pattern_spacing = 6;
    l.fill_pattern_width = 1;
    return l;
}

static void draw(canvas *c, const dl_style_layer *l, dl_geom_type type, double *xy, size_t n)
{
    size_t parts[] = {0, n};
    dl_geom g = {.type = type, .npoints = n, .nparts = 1, .xy = xy, .part_start = parts};
    assert_int_equal(dl_render_feature(c->ctx, c->r, l, &g), DLINE_OK);
}

static void line_offset_and_gap_pixels(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 200, 100);
    dl_style_layer l = layer_of(DL_LAYER_LINE);
    l.line_width = 2;
    l.line_offset = 10;
    double xy[] = {20, 30, 180, 30};
    draw(&c, &l, DL_GEOM_LINE, xy, 2);
    assert_pixel(&c, 100, 30, 255, 255, 255, 0); /* nothing on the line itself */
    assert_true(dark(&c, 100, 40));              /* 10 px to the right (below) */
    assert_pixel(&c, 100, 20, 255, 255, 255, 0);

    /* Gap 6, width 2: two lines centred 4 px either side, the gap empty. */
    l.line_offset = 0;
    l.line_gap_width = 6;
    double xy2[] = {20, 70, 180, 70};
    draw(&c, &l, DL_GEOM_LINE, xy2, 2);
    assert_true(dark(&c, 100, 66) && dark(&c, 100, 74));
    assert_pixel(&c, 100, 70, 255, 255, 255, 0);
    assert_pixel(&c, 100, 62, 255, 255, 255, 0);
    assert_pixel(&c, 100, 78, 255, 255, 255, 0);
    canvas_close(&c);
}

static void polygon_outline_offset_is_an_inset(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    dl_style_layer l = layer_of(DL_LAYER_LINE);
    l.line_width = 2;
    l.line_offset = 5;
    /* An outer ring wound as dl_geom_organize_rings leaves it (clockwise on
     * the north-up screen): a positive offset goes inside, as in MapLibre,
     * and the ring's corners are joined (no gap where it closes). */
    double xy[] = {10, 10, 90, 10, 90, 90, 10, 90, 10, 10};
    draw(&c, &l, DL_GEOM_POLYGON, xy, 5);
    assert_true(dark(&c, 15, 50) && dark(&c, 85, 50) && dark(&c, 50, 15) && dark(&c, 50, 85));
    assert_true(dark(&c, 15, 15) && dark(&c, 85, 85));
    assert_pixel(&c, 5, 50, 255, 255, 255, 0);
    assert_pixel(&c, 10, 50, 255, 255, 255, 0);
    canvas_close(&c);
}

static void gradient_pixels_along_a_line(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 220, 60);
    dl_style_layer l = layer_of(DL_LAYER_LINE);
    l.line_width = 10;
    l.line_ngradient = 3;
    l.line_gradient[0] = (dl_gradient_stop){0, {1, 0, 0, 1}};
    l.line_gradient[1] = (dl_gradient_stop){0.5, {0, 1, 0, 1}};
    l.line_gradient[2] = (dl_gradient_stop){1, {0, 0, 1, 1}};
    double xy[] = {10, 30, 210, 30}; /* butt caps: the line covers x 10..210 */
    draw(&c, &l, DL_GEOM_LINE, xy, 2);
    assert_non_null(c.r->raster); /* the pieces drawn by raster into the group */
    assert_pixel(&c, 10, 30, 255, 0, 0, 8);   /* start: red */
    assert_pixel(&c, 60, 30, 128, 128, 0, 8); /* a quarter: between red and green */
    assert_pixel(&c, 110, 30, 0, 255, 0, 8);  /* middle: the middle stop */
    assert_pixel(&c, 209, 30, 0, 0, 255, 8);  /* end: blue */
    assert_pixel(&c, 5, 30, 255, 255, 255, 0); /* the layer's butt cap is kept */
    assert_pixel(&c, 110, 22, 255, 255, 255, 0);
    canvas_close(&c);
}

static void gradient_translucent_has_no_seams(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 220, 60);
    dl_style_layer l = layer_of(DL_LAYER_LINE);
    l.line_width = 8;
    l.line_ngradient = 2;
    l.line_gradient[0] = (dl_gradient_stop){0, {1, 0, 0, 0.5}};
    l.line_gradient[1] = (dl_gradient_stop){1, {1, 0, 0, 0.5}};
    /* Many vertices, so many pieces overlap along the line; a slight zigzag
     * because Cairo merges collinear segments into one. */
    double xy[2 * 21];
    for (int i = 0; i <= 20; i++) {
        xy[2 * i] = 10 + 10 * i;
        xy[2 * i + 1] = 30 + (i % 2);
    }
    draw(&c, &l, DL_GEOM_LINE, xy, 21);
    assert_non_null(c.r->raster); /* the pieces drawn by raster (OVER, then SOURCE below) */
    /* Half-transparent red on white is 255,128,128 everywhere, also where
     * two pieces meet (x = 20, 30, ...). */
    for (int x = 12; x < 208; x++)
        assert_pixel(&c, x, 30, 255, 128, 128, 3);

    /* Stops of different alphas (composited with SOURCE): green and blue
     * stay between 255 x (1 - 0.6) and 255 x (1 - 0.5), never the 64 of
     * two pieces over each other. */
    l.line_gradient[1].color.a = 0.6;
    for (int i = 0; i <= 20; i++)
        xy[2 * i + 1] += 20;
    draw(&c, &l, DL_GEOM_LINE, xy, 21);
    for (int x = 12; x < 208; x++) {
        int rgb[3];
        pixel(&c, x, 50, rgb);
        if (rgb[0] < 252 || rgb[1] < 98 || rgb[1] > 131 || rgb[2] != rgb[1])
            fail_msg("pixel %d,50 is %d,%d,%d", x, rgb[0], rgb[1], rgb[2]);
    }
    canvas_close(&c);
}

static void gradient_follows_smooth_curve(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 200, 100);
    dl_style_layer l = layer_of(DL_LAYER_LINE);
    l.line_width = 6;
    l.connect_smooth = 1;
    l.line_ngradient = 2;
    l.line_gradient[0] = (dl_gradient_stop){0, {1, 0, 0, 1}};
    l.line_gradient[1] = (dl_gradient_stop){1, {0, 0, 1, 1}};
    double xy[] = {20, 80, 100, 20, 180, 80};
    draw(&c, &l, DL_GEOM_LINE, xy, 3);
    assert_pixel(&c, 22, 79, 255, 0, 0, 40);  /* near the start: red */
    assert_pixel(&c, 100, 20, 128, 0, 128, 30); /* the apex, halfway */
    assert_pixel(&c, 178, 79, 0, 0, 255, 40); /* near the end: blue */
    canvas_close(&c);
}

static void pattern_pixels_alternate(void **state)
{
    (void)state;
    static const dl_fill_pattern kinds[] = {DL_PATTERN_HORIZONTAL, DL_PATTERN_VERTICAL,
                                            DL_PATTERN_HATCH, DL_PATTERN_HATCH_135,
                                            DL_PATTERN_CROSSHATCH, DL_PATTERN_DOTS};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        canvas c;
        canvas_open(&c, 100, 100);
        dl_style_layer l = layer_of(DL_LAYER_FILL);
        l.fill_pattern = kinds[k];
        l.fill_pattern_spacing = 8;
        l.fill_pattern_width = 2;
        double xy[] = {10, 10, 90, 10, 90, 90, 10, 90, 10, 10};
        draw(&c, &l, DL_GEOM_POLYGON, xy, 5);
        /* Along a line across the pattern the ink comes and goes about every
         * 8 px (a column for horizontal lines, a row otherwise), and about
         * a quarter of the area is inked. */
        int changes = 0, inked = 0;
        for (int i = 12; i < 88; i++) {
            int x = kinds[k] == DL_PATTERN_HORIZONTAL ? 50 : i;
            int y = kinds[k] == DL_PATTERN_HORIZONTAL ? i : kinds[k] == DL_PATTERN_DOTS ? 12 : 50;
            if (i > 12 && dark(&c, x, y) != dark(&c, x - (x == i), y - (y == i)))
                changes++;
        }
        for (int y = 10; y < 90; y++)
            for (int x = 10; x < 90; x++)
                inked += dark(&c, x, y);
        if (changes < 14 || changes > 26)
            fail_msg("pattern %d: ink changes %d times along the line", (int)kinds[k], changes);
        if (inked < 300 || inked > 3200)
            fail_msg("pattern %d: %d dark pixels", (int)kinds[k], inked);
        assert_pixel(&c, 5, 5, 255, 255, 255, 0); /* nothing outside the polygon */
        canvas_close(&c);
    }
}

static cairo_status_t to_buffer(void *closure, const unsigned char *data, unsigned int len)
{
    FILE *f = closure;
    return fwrite(data, 1, len, f) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static void pattern_stays_vector_in_svg(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    cairo_surface_t *s = cairo_svg_surface_create_for_stream(to_buffer, mem, 100, 100);
    cairo_t *cr = cairo_create(s);
    dline_ctx *ctx = dline_ctx_new();
    dl_render *r;
    assert_int_equal(dl_render_new(ctx, cr, 100, 100, &r), DLINE_OK);
    dl_style_layer l = layer_of(DL_LAYER_FILL);
    l.fill_pattern = DL_PATTERN_CROSSHATCH;
    double xy[] = {10, 10, 90, 10, 90, 90, 10, 90, 10, 10};
    size_t parts[] = {0, 5};
    dl_geom g = {.type = DL_GEOM_POLYGON, .npoints = 5, .nparts = 1, .xy = xy,
                 .part_start = parts};
    assert_int_equal(dl_render_feature(ctx, r, &l, &g), DLINE_OK);
    dl_render_free(r);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
    dline_ctx_free(ctx);
    fclose(mem);
    assert_non_null(strstr(text, "<pattern"));
    assert_null(strstr(text, "<image"));
    free(text);
}

/* Style */

static char style_path[64];

static dline_status load(const char *paint, dline_ctx *ctx, dl_style **out, const char *type)
{
    FILE *f = fopen(style_path, "w");
    assert_non_null(f);
    fprintf(f, "sources: {s: x.shp}\nlayers:\n  - id: a\n    type: %s\n    source: s\n"
               "    paint: %s\n", type, paint);
    fclose(f);
    return dl_style_load(ctx, style_path, out);
}

static void style_reads_cartography(void **state)
{
    (void)state;
    snprintf(style_path, sizeof style_path, "/tmp/dline-test-carto-%ld.yaml", (long)getpid());
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    assert_int_equal(load("{line-offset: -3.5, line-gap-width: 4, line-gradient: "
                          "[interpolate, [linear], [line-progress], 0, red, 0.5, '#0f0', 1, blue]}",
                          ctx, &s, "line"),
                     DLINE_OK);
    const dl_style_layer *l = &s->layers[0];
    assert_true(l->line_offset == -3.5 && l->line_gap_width == 4);
    assert_int_equal(l->line_ngradient, 3);
    assert_true(l->line_gradient[1].at == 0.5 && l->line_gradient[1].color.g == 1);
    dl_style_free(s);

    assert_int_equal(load("{line-gradient: [[0, '#c00'], [1, '#08c']]}", ctx, &s, "line"),
                     DLINE_OK);
    assert_int_equal(s->layers[0].line_ngradient, 2);
    assert_true(s->layers[0].line_gradient[1].at == 1);
    assert_true(s->layers[0].line_offset == 0 && s->layers[0].line_gap_width == 0);
    dl_style_free(s);

    assert_int_equal(load("{fill-color: black, fill-pattern: crosshatch, "
                          "fill-pattern-spacing: 9}", ctx, &s, "fill"),
                     DLINE_OK);
    assert_int_equal(s->layers[0].fill_pattern, DL_PATTERN_CROSSHATCH);
    assert_true(s->layers[0].fill_pattern_spacing == 9 && s->layers[0].fill_pattern_width == 1);
    dl_style_free(s);

    static const struct {
        const char *type, *paint, *message;
    } bad[] = {
        {"fill", "{fill-pattern: hatched}", "'fill-pattern': unknown value 'hatched' (did you mean 'hatch'?)"},
        {"fill", "{fill-pattern-spacing: 0}", "'fill-pattern-spacing' must be greater than 0"},
        {"line", "{line-gradient: [[0, red], [0.5]]}", "'line-gradient': each stop must be [progress, colour]"},
        {"line", "{line-gradient: [[0, red], [2, blue]]}", "'line-gradient': a stop's progress must be a number between 0 and 1"},
        {"line", "{line-gradient: [[0.5, red], [0.5, blue]]}", "'line-gradient': stops must be in ascending order of progress"},
        {"line", "{line-gradient: [interpolate, [exponential, 2], [line-progress], 0, red]}", "'line-gradient': only [\"linear\"] interpolation is supported"},
        {"line", "{line-gradient: [interpolate, [linear], [zoom], 0, red]}", "'line-gradient': the input must be [\"line-progress\"]"},
        {"line", "{line-gradient: [interpolate, [linear], [line-progress], 0]}", "'line-gradient': \"interpolate\" needs progress, colour pairs"},
        {"line", "{line-gradient: [[0, reddish]]}", "'line-gradient': invalid colour 'reddish'"},
        {"line", "{line-gradient: red}", "'line-gradient' must be [\"interpolate\", [\"linear\"], [\"line-progress\"], 0, COLOUR, 1, COLOUR] or a list of [progress, colour] stops"},
        {"fill", "{line-offset: 2}", "'line-offset' does not apply to fill layers"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dline_ctx_clear(ctx);
        s = NULL;
        assert_int_equal(load(bad[i].paint, ctx, &s, bad[i].type), DLINE_ESTYLE);
        const char *msg = dline_ctx_message(ctx);
        const char *text = strstr(msg, ": '");
        if (!text || strcmp(text + 2, bad[i].message) != 0)
            fail_msg("%s: got '%s', expected '%s'", bad[i].paint, msg, bad[i].message);
    }
    remove(style_path);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offset_straight_line),
        cmocka_unit_test(offset_corner_miter_and_bevel),
        cmocka_unit_test(offset_skips_repeats_and_closes_rings),
        cmocka_unit_test(pole_of_u_shape),
        cmocka_unit_test(pole_avoids_hole),
        cmocka_unit_test(pole_of_slivers_ends),
        cmocka_unit_test(line_offset_and_gap_pixels),
        cmocka_unit_test(polygon_outline_offset_is_an_inset),
        cmocka_unit_test(gradient_pixels_along_a_line),
        cmocka_unit_test(gradient_translucent_has_no_seams),
        cmocka_unit_test(gradient_follows_smooth_curve),
        cmocka_unit_test(pattern_pixels_alternate),
        cmocka_unit_test(pattern_stays_vector_in_svg),
        cmocka_unit_test(style_reads_cartography),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
