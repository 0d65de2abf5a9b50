/* Text halos on images (src/render/halo.c): the coverage dilation on known
 * shapes and against a brute-force version of its definition, and a real
 * label's dilated halo against Cairo's stroked one. Needs FONTCONFIG_FILE=
 * tests/fonts.conf (ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/halo.h"
#include "render/render_int.h"

/* The definition in halo.h, pixel by pixel. */
static uint8_t brute(const uint8_t *cov, int w, int h, int stride, double r, int x, int y)
{
    double best = 0;
    for (int qy = 0; qy < h; qy++)
        for (int qx = 0; qx < w; qx++) {
            int c = cov[qy * stride + qx];
            double d = hypot(qx - x, qy - y);
            if (!c || !(d < r + 1))
                continue;
            double v = fmin(fmax(r + c / 255.0 - d, 0), 1);
            best = fmax(best, v);
        }
    return (uint8_t)lround(best * 255);
}

/* A 10 x 10 square at 20..29 in 50 x 50, r = 3. */
static void test_square(void **state)
{
    (void)state;
    enum { W = 50, H = 50, S = 52 };
    static uint8_t cov[S * H], out[S * H];
    memset(cov, 0, sizeof cov);
    for (int y = 20; y < 30; y++)
        for (int x = 20; x < 30; x++)
            cov[y * S + x] = 255;
    double r = 3;
    assert_int_equal(dl_halo_dilate(cov, W, H, S, r, out), 0);
    /* Along the right side (row 25): pixel 29 + k is k - 0.5 px from the
     * edge; within r - 0.5 it is fully covered, from r + 1 on it is empty,
     * and in between it falls by one level per px. */
    for (int k = 0; k <= 3; k++)
        assert_int_equal(out[25 * S + 29 + k], 255);
    assert_int_equal(out[25 * S + 29 + 4], 0);
    assert_int_equal(out[25 * S + 29 + 5], 0);
    /* The same on the left, top and bottom sides. */
    assert_int_equal(out[25 * S + 20 - 3], 255);
    assert_int_equal(out[25 * S + 20 - 4], 0);
    assert_int_equal(out[(20 - 3) * S + 25], 255);
    assert_int_equal(out[(29 + 4) * S + 25], 0);
    /* Inside stays covered. */
    assert_int_equal(out[25 * S + 25], 255);
    /* Rounded corners: pixel (29 + 2, 29 + 2) is 2.83 px from the corner
     * pixel (1.17 of coverage, clamped), (29 + 3, 29 + 2) 3.61 (0.39), and
     * (29 + 3, 29 + 3), r x 1.41 away, gets nothing where the side pixel
     * r away is full. */
    assert_int_equal(out[31 * S + 31], 255);
    assert_int_equal(out[31 * S + 32], lround((4 - hypot(3, 2)) * 255));
    assert_int_equal(out[32 * S + 31], lround((4 - hypot(3, 2)) * 255));
    assert_true(out[32 * S + 32] < out[25 * S + 32]);
    assert_int_equal(out[32 * S + 32], 0);
    /* Outside the disc of the square's reach, nothing (and the padding
     * bytes past w are not written). */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (x < 16 || x > 33 || y < 16 || y > 33)
                assert_int_equal(out[y * S + x], 0);
    for (int y = 0; y < H; y++)
        assert_int_equal(out[y * S + W], 0);
}

/* One half-covered pixel, r = 1: itself full, its 4-neighbours half, its
 * diagonals 1 + 0.5 - 1.41 = 0.09, and nothing 2 px away. */
static void test_partial_pixel(void **state)
{
    (void)state;
    enum { W = 9, H = 9 };
    uint8_t cov[W * H] = {0}, out[W * H];
    cov[4 * W + 4] = 128;
    assert_int_equal(dl_halo_dilate(cov, W, H, W, 1, out), 0);
    assert_int_equal(out[4 * W + 4], 255);
    assert_int_equal(out[4 * W + 5], 128);
    assert_int_equal(out[3 * W + 4], 128);
    assert_int_equal(out[5 * W + 5], lround((1 - sqrt(2)) * 255) + 128);
    assert_int_equal(out[4 * W + 6], 0);
    assert_int_equal(out[2 * W + 4], 0);
}

/* Shapes with edges of every coverage, at fractional radii, equal the
 * definition computed pixel by pixel (the function skips the insides of
 * shapes; this checks that nothing changes by it), including at the
 * buffer's edges. */
static void test_against_definition(void **state)
{
    (void)state;
    enum { W = 37, H = 29, S = 40 };
    static uint8_t cov[S * H], out[S * H];
    unsigned seed = 12345;
    memset(cov, 0, sizeof cov);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double d = hypot(x - 12.3, y - 14.1);
            if (d < 6)
                cov[y * S + x] = 255;
            else if (d < 7)
                cov[y * S + x] = (uint8_t)lround((7 - d) * 255);
            if (x >= 26 && x <= 36 && y >= 0 && y <= 8)
                cov[y * S + x] = 255;
            seed = seed * 1103515245 + 12345;
            if (x > 20 && y > 14 && (seed >> 16) % 9 == 0)
                cov[y * S + x] = (uint8_t)((seed >> 8) & 0xff);
        }
    const double radii[] = {0, 0.4, 1, 1.5, 2.25, 3.7};
    for (size_t i = 0; i < sizeof radii / sizeof radii[0]; i++) {
        assert_int_equal(dl_halo_dilate(cov, W, H, S, radii[i], out), 0);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int want = brute(cov, W, H, S, radii[i], x, y);
                if (abs(out[y * S + x] - want) > 1)
                    fail_msg("r %g pixel %d,%d: %d, expected %d", radii[i], x, y,
                             out[y * S + x], want);
            }
    }
}

/* A label drawn on a w x h white image: text blue, halo black. ref: the
 * halo stroked as Cairo strokes it (the glyph outlines, 2 x halo width,
 * round joins and caps), then the text filled. */
static cairo_surface_t *draw(int w, int h, double angle, double scale, double opacity, int ref)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_translate(cr, 20, h / 2.0);
    cairo_scale(cr, scale, scale);
    cairo_rotate(cr, angle);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string("DejaVu Sans 15px");
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, "Qingpu 青浦 @ag,", -1);
    dl_color text = {0.2, 0.6, 1, 1}, halo = {0, 0, 0, 1};
    double hw = 1.5;
    if (ref) {
        cairo_push_group(cr);
        cairo_move_to(cr, 0.3, -9.7);
        pango_cairo_layout_path(cr, layout);
        cairo_set_line_width(cr, 2 * hw);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_source_rgba(cr, halo.r, halo.g, halo.b, halo.a);
        cairo_stroke_preserve(cr);
        cairo_set_source_rgba(cr, text.r, text.g, text.b, text.a);
        cairo_fill(cr);
        cairo_pop_group_to_source(cr);
        cairo_paint_with_alpha(cr, opacity);
    } else {
        dl_render_draw_layout(cr, layout, 0.3, -9.7, text, halo, hw, opacity);
    }
    g_object_unref(layout);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

/* The dilated halo against the stroked one, black on white (the worst
 * contrast): measured 88-97% of the pixels that differ from white in
 * either within 24 levels per channel and 97-99.5% within 64; the rest,
 * up to 250 apart, are mostly where the halos of two glyphs meet in a gap
 * (the stroke covers their union, the dilation their maximum). Asserted:
 * 85% and 95%, the halo's total darkness within 94-103% of the stroked
 * one's (measured 96-98%), and fully covered text pixels unchanged. */
static void compare(double angle, double scale, double opacity)
{
    int w = 300, h = 220;
    cairo_surface_t *a = draw(w, h, angle, scale, opacity, 0);
    cairo_surface_t *b = draw(w, h, angle, scale, opacity, 1);
    const uint8_t *da = cairo_image_surface_get_data(a), *db = cairo_image_surface_get_data(b);
    int stride = cairo_image_surface_get_stride(a);
    long ink = 0, near = 0, mid = 0, maxd = 0, text = 0, text_same = 0;
    double dark_a = 0, dark_b = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *pa = da + y * stride + 4 * x, *pb = db + y * stride + 4 * x;
            /* Red: 255 on white, 51 in the text, 0 in the halo. */
            dark_a += 255 - pa[2];
            dark_b += 255 - pb[2];
            if (pb[0] == 255 && pb[1] == 153 && pb[2] == 51) {
                text++;
                text_same += memcmp(pa, pb, 4) == 0;
            }
            if (pa[0] == 255 && pa[1] == 255 && pa[2] == 255 && pb[0] == 255 && pb[1] == 255 &&
                pb[2] == 255)
                continue;
            int d = 0;
            for (int i = 0; i < 3; i++)
                d = abs(pa[i] - pb[i]) > d ? abs(pa[i] - pb[i]) : d;
            ink++;
            near += d <= 24;
            mid += d <= 64;
            maxd = d > maxd ? d : maxd;
        }
    print_message("angle %g scale %g opacity %g: %ld ink px, %.2f%% within 24, %.2f%% within 64, "
                  "max %ld; darkness %.4f of the reference's; %ld of %ld text px the same\n",
                  angle, scale, opacity, ink, 100.0 * near / ink, 100.0 * mid / ink, maxd,
                  dark_a / dark_b, text_same, text);
    assert_true(ink > 1000);
    assert_true(near >= 0.85 * ink);
    assert_true(mid >= 0.95 * ink);
    assert_true(dark_a >= 0.94 * dark_b && dark_a <= 1.03 * dark_b);
    assert_int_equal(text_same, text);
    if (opacity == 1)
        assert_true(text > 20);
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
}

static void test_label_straight(void **state)
{
    (void)state;
    compare(0, 1, 1);
}

static void test_label_rotated(void **state)
{
    (void)state;
    compare(0.52, 1, 1);
}

static void test_label_scaled_faded(void **state)
{
    (void)state;
    compare(-0.3, 1.5, 0.6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square),
        cmocka_unit_test(test_partial_pixel),
        cmocka_unit_test(test_against_definition),
        cmocka_unit_test(test_label_straight),
        cmocka_unit_test(test_label_rotated),
        cmocka_unit_test(test_label_scaled_faded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
