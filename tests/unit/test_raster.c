/* Unit tests for src/render/raster.c: exact area coverage, the non-zero
 * rule, clipping to a band, strokes, keeping the most coverage, and hostile
 * coordinates. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cairo.h>

#include "render/raster.h"

#define W 16
#define H 16

/* The coverage 0..255 of a fraction of a pixel, as the rasteriser rounds. */
static int cov(double f)
{
    return (int)(f * 255 + 0.5);
}

static void coverage(dl_raster *R, uint8_t out[H][W])
{
    for (int y = 0; y < H; y++)
        assert_int_equal(dl_raster_coverage(R, y, 0, W, out[y]), 0);
}

static void rect(dl_raster *R, double x0, double y0, double x1, double y1)
{
    const double xy[] = {x0, y0, x1, y0, x1, y1, x0, y1};
    dl_raster_polygon(R, xy, 4);
}

/* x / 255, rounded. */
static unsigned div255(unsigned x)
{
    return (unsigned)floor(x / 255.0 + 0.5);
}

/* Premultiplied src OVER dst through coverage c: the source times c, then
 * the destination times one minus that alpha, per channel (the formula
 * raster.h states). */
static uint32_t over(uint32_t src, uint32_t dst, unsigned c)
{
    unsigned sa = div255((src >> 24) * c);
    uint32_t out = 0;
    for (int sh = 0; sh < 32; sh += 8) {
        unsigned s = div255(((src >> sh) & 0xff) * c), d = (dst >> sh) & 0xff;
        out |= (uint32_t)(s + div255(d * (255 - sa))) << sh;
    }
    return out;
}

/* The rectangle of test_rectangle_exact in a translucent colour over an
 * opaque and a translucent background: every pixel is the formula's, at
 * partial coverage and at full; with a second copy of the rectangle in the
 * same fill, the covered pixels are composited once (partly covered ones
 * by the sum of the copies' areas, clamped, as raster.h says); alpha 255
 * draws as dl_raster_fill. */
static void test_fill_argb(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    assert_non_null(R);
    static const double fx[W] = {0, 0.75, 1, 0.75};
    static const double fy[H] = {0, 0.5, 1, 0.5};
    const uint32_t src = 0xb3903c10u; /* alpha 0.7, premultiplied */
    const uint32_t bgs[2] = {0xff2050a0u, 0x80402010u};
    for (int k = 0; k < 2; k++) {
        for (int copies = 1; copies <= 2; copies++) {
            uint32_t img[H][W];
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    img[y][x] = bgs[k];
            dl_raster_reset(R, 0, 0, W, H);
            for (int i = 0; i < copies; i++)
                rect(R, 1.25, 1.5, 3.75, 3.5);
            assert_int_equal(dl_raster_fill_argb(R, (unsigned char *)img, W * 4, src), 0);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    unsigned c = (unsigned)cov(fmin(1, copies * fx[x] * fy[y]));
                    uint32_t want = c ? over(src, bgs[k], c) : bgs[k];
                    if (img[y][x] != want)
                        fail_msg("background %08x, %d copies, pixel %d,%d: %08x, expected %08x",
                                 bgs[k], copies, x, y, img[y][x], want);
                }
            /* Full coverage, by hand: each channel s + d * (255 - 0xb3) / 255. */
            if (k == 0)
                assert_int_equal(img[2][2], 0xff9a5440u);
        }
    }
    uint32_t a[H][W], b[H][W];
    memset(a, 0xff, sizeof a);
    memset(b, 0xff, sizeof b);
    dl_raster_reset(R, 0, 0, W, H);
    rect(R, 1.25, 1.5, 3.75, 3.5);
    assert_int_equal(dl_raster_fill_argb(R, (unsigned char *)a, W * 4, 0xff903c10u), 0);
    dl_raster_reset(R, 0, 0, W, H);
    rect(R, 1.25, 1.5, 3.75, 3.5);
    assert_int_equal(dl_raster_fill(R, (unsigned char *)b, W * 4, 0x90, 0x3c, 0x10), 0);
    assert_memory_equal(a, b, sizeof a);
    dl_raster_free(R);
}

/* x 1.25..3.75, y 1.5..3.5: a quarter off both ends of the row, half off
 * the top and bottom rows. */
static void test_rectangle_exact(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    assert_non_null(R);
    dl_raster_reset(R, 0, 0, W, H);
    rect(R, 1.25, 1.5, 3.75, 3.5);
    uint8_t c[H][W];
    coverage(R, c);
    static const double fx[W] = {0, 0.75, 1, 0.75};
    static const double fy[H] = {0, 0.5, 1, 0.5};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (c[y][x] != cov(fx[x] * fy[y]))
                fail_msg("pixel %d,%d: %d, expected %d", x, y, c[y][x], cov(fx[x] * fy[y]));
    /* Composited: black over white leaves 255 - coverage. */
    uint32_t img[H][W];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img[y][x] = 0xffffffffu;
    assert_int_equal(dl_raster_fill(R, (unsigned char *)img, W * 4, 0, 0, 0), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint32_t v = 255 - (uint32_t)cov(fx[x] * fy[y]);
            assert_int_equal(img[y][x], 0xff000000u | v << 16 | v << 8 | v);
        }
    /* The fill forgot the shape. */
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c[y][x], 0);
    dl_raster_free(R);
}

/* dl_raster_write_a8: the same exact coverage into an 8-bit mask with a
 * stride wider than the clip, two outlines of one glyph-like shape (a
 * square with a square hole, non-zero: the hole wound the other way), the
 * pixels it does not cover left as they were, and the shape forgotten. */
static void test_write_a8(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    assert_non_null(R);
    dl_raster_reset(R, 0, 0, 8, 8);
    const double outer[] = {1.25, 1.5, 6.75, 1.5, 6.75, 6.5, 1.25, 6.5};
    const double hole[] = {3, 3, 3, 5, 5, 5, 5, 3};
    dl_raster_polygon(R, outer, 4);
    dl_raster_polygon(R, hole, 4);
    enum { STRIDE = 12 };
    uint8_t m[8][STRIDE];
    memset(m, 7, sizeof m);
    assert_int_equal(dl_raster_write_a8(R, &m[0][0], STRIDE), 0);
    static const double fx[8] = {0, 0.75, 1, 1, 1, 1, 0.75, 0};
    static const double fy[8] = {0, 0.5, 1, 1, 1, 1, 0.5, 0};
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < STRIDE; x++) {
            int in_hole = x >= 3 && x < 5 && y >= 3 && y < 5;
            int want = x < 8 && !in_hole ? cov(fx[x] * fy[y]) : 0;
            if (want == 0)
                want = 7; /* not covered: untouched */
            if (m[y][x] != want)
                fail_msg("pixel %d,%d: %d, expected %d", x, y, m[y][x], want);
        }
    uint8_t c[H][W];
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c[y][x], 0);
    dl_raster_free(R);
}

/* The triangle (2,2) (3,2) (3,3) is half of one pixel; (0,8) (4,8) (0,12)
 * has whole pixels below its diagonal and half ones on it. */
static void test_diagonal(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    dl_raster_reset(R, 0, 0, W, H);
    const double t1[] = {2, 2, 3, 2, 3, 3};
    const double t2[] = {0, 8, 4, 8, 0, 12};
    dl_raster_polygon(R, t1, 3);
    dl_raster_polygon(R, t2, 3);
    uint8_t c[H][W];
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int want = 0;
            if (x == 2 && y == 2)
                want = cov(0.5);
            if (y >= 8 && y < 12) {
                int k = 11 - y; /* whole pixels on row y */
                if (x < k)
                    want = 255;
                else if (x == k)
                    want = cov(0.5);
            }
            if (c[y][x] != want)
                fail_msg("pixel %d,%d: %d, expected %d", x, y, c[y][x], want);
        }
    dl_raster_free(R);
}

/* Overlaps wind twice and ink once (whole, not twice and not wrapped to
 * nothing); a square drawn the other way round inside another cuts a hole. */
static void test_nonzero(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    dl_raster_reset(R, 0, 0, W, H);
    rect(R, 1, 1, 5, 5);
    rect(R, 3, 3, 7.5, 7);
    uint8_t c[H][W];
    coverage(R, c);
    assert_int_equal(c[3][3], 255); /* in both */
    assert_int_equal(c[4][4], 255);
    assert_int_equal(c[1][1], 255); /* in one */
    assert_int_equal(c[6][6], 255);
    assert_int_equal(c[6][7], cov(0.5));
    assert_int_equal(c[6][8], 0);
    assert_int_equal(c[1][5], 0);
    /* The same overlap composited: exactly the colour, not blended twice. */
    uint32_t img[H][W];
    memset(img, 0xff, sizeof img);
    assert_int_equal(dl_raster_fill(R, (unsigned char *)img, W * 4, 0x10, 0x20, 0x30), 0);
    assert_int_equal(img[4][4], 0xff102030u);
    assert_int_equal(img[0][0], 0xffffffffu);

    dl_raster_reset(R, 0, 0, W, H);
    const double outer[] = {0, 0, 8, 0, 8, 8, 0, 8};
    const double hole[] = {2, 2, 2, 6, 6, 6, 6, 2};
    dl_raster_polygon(R, outer, 4);
    dl_raster_polygon(R, hole, 4);
    coverage(R, c);
    assert_int_equal(c[1][1], 255);
    assert_int_equal(c[3][3], 0);
    assert_int_equal(c[7][7], 255);
    dl_raster_free(R);
}

static void draw_scene(dl_raster *R)
{
    const double poly[] = {-30.5, 2.25, 13.7, 0.4, 15.2, 14.9, 3.3, 11.1, -100, 40};
    dl_raster_polygon(R, poly, 5);
    const double line[] = {1.1, 15.3, 7.6, 2.2, 14.9, 9.4};
    dl_raster_stroke(R, line, 3, 0, 1.3, DL_RCAP_ROUND, DL_RJOIN_ROUND, 2);
}

/* A band (rows 5..9, and columns 3..12) gives its pixels exactly the values
 * the whole surface gives them, and nothing outside. */
static void test_band_clip(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    uint8_t whole[H][W], band[H][W];
    dl_raster_reset(R, 0, 0, W, H);
    draw_scene(R);
    coverage(R, whole);
    int inked = 0;
    for (int y = 5; y < 10; y++)
        for (int x = 3; x < 13; x++)
            inked += whole[y][x] > 0 && whole[y][x] < 255;
    assert_true(inked > 5); /* the band has edges to get right */
    dl_raster_reset(R, 0, 5, W, 10);
    draw_scene(R);
    coverage(R, band);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(band[y][x], y >= 5 && y < 10 ? whole[y][x] : 0);
    dl_raster_reset(R, 3, 5, 13, 10);
    draw_scene(R);
    coverage(R, band);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(band[y][x], y >= 5 && y < 10 && x >= 3 && x < 13 ? whole[y][x] : 0);
    dl_raster_free(R);
}

/* A horizontal line of width 2 from (2.5, 5.5) to (8.5, 5.5), butt caps:
 * rows 4.5..6.5, columns 2.5..8.5. */
static void test_stroke_butt(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    dl_raster_reset(R, 0, 0, W, H);
    const double xy[] = {2.5, 5.5, 8.5, 5.5};
    dl_raster_stroke(R, xy, 2, 0, 1, DL_RCAP_BUTT, DL_RJOIN_MITER, 2);
    uint8_t c[H][W];
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double fx = x == 2 || x == 8 ? 0.5 : x > 2 && x < 8 ? 1 : 0;
            double fy = y == 4 || y == 6 ? 0.5 : y == 5 ? 1 : 0;
            if (c[y][x] != cov(fx * fy))
                fail_msg("pixel %d,%d: %d, expected %d", x, y, c[y][x], cov(fx * fy));
        }
    dl_raster_free(R);
}

/* Two square rings sharing the border x = 6, drawn in opposite directions,
 * stroked 1 px wide: every stroke winds the same way, so the border inks
 * (it does not cancel); kept one by one, its half-covered pixels stay half
 * covered rather than summed to whole. */
static void test_outlines_kept(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    dl_raster_reset(R, 0, 0, W, H);
    const double a[] = {2, 2, 6, 2, 6, 10, 2, 10};
    const double b[] = {6, 2, 6, 10, 10, 10, 10, 2};
    dl_raster_stroke(R, a, 4, 1, 0.5, DL_RCAP_BUTT, DL_RJOIN_ROUND, 10);
    dl_raster_stroke(R, b, 4, 1, 0.5, DL_RCAP_BUTT, DL_RJOIN_ROUND, 10);
    uint8_t c[H][W];
    coverage(R, c);
    assert_int_equal(c[5][5], 255); /* summed: half + half */
    assert_int_equal(c[5][4], 0);

    dl_raster_reset(R, 0, 0, W, H);
    dl_raster_stroke(R, a, 4, 1, 0.5, DL_RCAP_BUTT, DL_RJOIN_ROUND, 10);
    assert_int_equal(dl_raster_keep(R), 0);
    dl_raster_stroke(R, b, 4, 1, 0.5, DL_RCAP_BUTT, DL_RJOIN_ROUND, 10);
    assert_int_equal(dl_raster_keep(R), 0);
    uint32_t img[H][W];
    memset(img, 0xff, sizeof img);
    assert_int_equal(dl_raster_fill_kept(R, (unsigned char *)img, W * 4, 0, 0, 0), 0);
    uint32_t half = 255 - (uint32_t)cov(0.5);
    assert_int_equal(img[5][5], 0xff000000u | half << 16 | half << 8 | half);
    assert_int_equal(img[5][6], 0xff000000u | half << 16 | half << 8 | half);
    assert_int_equal(img[5][4], 0xffffffffu);
    assert_int_equal(img[5][1], 0xff000000u | half << 16 | half << 8 | half);
    /* Filled and forgotten: a second fill draws nothing. */
    memset(img, 0xff, sizeof img);
    assert_int_equal(dl_raster_fill_kept(R, (unsigned char *)img, W * 4, 0, 0, 0), 0);
    assert_int_equal(img[5][5], 0xffffffffu);
    dl_raster_free(R);
}

/* One table of a square's points, moved: forwards it fills, reversed
 * inside a larger copy it cuts a hole; a move that is not finite draws
 * nothing. */
static void test_polygon_at(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    dl_raster_reset(R, 0, 0, W, H);
    const double big[] = {-3, -3, 3, -3, 3, 3, -3, 3};
    const double small[] = {-1, -1, 1, -1, 1, 1, -1, 1};
    dl_raster_polygon_at(R, big, 4, 8, 8, 0);
    dl_raster_polygon_at(R, small, 4, 8, 8, 1);
    dl_raster_polygon_at(R, small, 4, NAN, 8, 0);
    dl_raster_polygon_at(R, small, 4, 8, INFINITY, 0);
    uint8_t c[H][W];
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = x >= 5 && x < 11 && y >= 5 && y < 11;
            int hole = x >= 7 && x < 9 && y >= 7 && y < 9;
            if (c[y][x] != (in && !hole ? 255 : 0))
                fail_msg("pixel %d,%d: %d", x, y, c[y][x]);
        }
    dl_raster_free(R);
}

/* NaN, infinities and 1e300 neither crash nor hang; a polygon far larger
 * than the surface covers all of it, one far outside none of it. */
static void test_hostile(void **state)
{
    (void)state;
    dl_raster *R = dl_raster_new();
    dl_raster_reset(R, 0, 0, W, H);
    const double bad[] = {1e300, 0, NAN, 5, -1e300, 1e300, INFINITY, -INFINITY, 3, 3, -1e308, 1e308};
    dl_raster_polygon(R, bad, 6);
    dl_raster_stroke(R, bad, 6, 0, 1e300, DL_RCAP_ROUND, DL_RJOIN_ROUND, 2);
    dl_raster_stroke(R, bad, 6, 1, INFINITY, DL_RCAP_ROUND, DL_RJOIN_MITER, 2);
    dl_raster_stroke(R, bad, 6, 0, NAN, DL_RCAP_SQUARE, DL_RJOIN_BEVEL, 2);
    const double dot[] = {5, 5};
    dl_raster_stroke(R, dot, 1, 0, 1e300, DL_RCAP_ROUND, DL_RJOIN_ROUND, 2);
    uint8_t c[H][W];
    coverage(R, c); /* whatever it is: it finished */

    dl_raster_reset(R, 0, 0, W, H);
    const double huge[] = {-1e9, -1e9, 1e9, -1e9, 1e9, 1e9, -1e9, 1e9};
    dl_raster_polygon(R, huge, 4);
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c[y][x], 255);
    dl_raster_reset(R, 0, 0, W, H);
    const double far[] = {1e9, 1e9, 2e9, 1e9, 2e9, 2e9};
    dl_raster_polygon(R, far, 3);
    const double left[] = {-1e300, 0, -1e299, 0, -1e299, 16, -1e300, 16};
    dl_raster_polygon(R, left, 4);
    coverage(R, c);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(c[y][x], 0);
    dl_raster_free(R);
}

/* dl_raster_dash's dashes, recorded: each dash's points, in order. */
typedef struct {
    double pts[64][2];
    size_t start[16], ndash, npts;
} dashes;

static void record_dash(void *arg, const double *pts, size_t m)
{
    dashes *d = arg;
    assert_true(d->ndash < 16 && d->npts + m <= 64);
    d->start[d->ndash++] = d->npts;
    for (size_t i = 0; i < m; i++) {
        d->pts[d->npts][0] = pts[2 * i];
        d->pts[d->npts++][1] = pts[2 * i + 1];
    }
    d->start[d->ndash] = d->npts;
}

/* Dash k is the points want (m of them). */
static void assert_dash(const dashes *d, size_t k, const double *want, size_t m)
{
    assert_true(k < d->ndash);
    assert_int_equal(d->start[k + 1] - d->start[k], m);
    for (size_t i = 0; i < m; i++) {
        assert_true(fabs(d->pts[d->start[k] + i][0] - want[2 * i]) < 1e-12);
        assert_true(fabs(d->pts[d->start[k] + i][1] - want[2 * i + 1]) < 1e-12);
    }
}

static void test_dash(void **state)
{
    (void)state;
    double buf[2 * 8];
    /* [3, 1] along an L of two 10-long legs: the pattern runs on round the
     * corner (the dash over it keeps the corner, for its join); the dash
     * due at 20, the very end, has no length and is not drawn. */
    const double l[] = {0, 0, 10, 0, 10, 10};
    const double p31[] = {3, 1};
    dashes d = {0};
    assert_int_equal(dl_raster_dash(l, 3, p31, 2, 1, buf, record_dash, &d), 5);
    assert_dash(&d, 0, (const double[]){0, 0, 3, 0}, 2);
    assert_dash(&d, 1, (const double[]){4, 0, 7, 0}, 2);
    assert_dash(&d, 2, (const double[]){8, 0, 10, 0, 10, 1}, 3);
    assert_dash(&d, 3, (const double[]){10, 2, 10, 5}, 2);
    assert_dash(&d, 4, (const double[]){10, 6, 10, 9}, 2);

    /* An odd pattern repeats with on and off swapped: [2] is 2 on, 2 off;
     * a repeated vertex and a non-finite one are skipped. */
    const double s[] = {0, 0, 0, 0, NAN, 1, 5, 0};
    const double p2[] = {2};
    memset(&d, 0, sizeof d);
    assert_int_equal(dl_raster_dash(s, 4, p2, 1, 1, buf, record_dash, &d), 2);
    assert_dash(&d, 0, (const double[]){0, 0, 2, 0}, 2);
    assert_dash(&d, 1, (const double[]){4, 0, 5, 0}, 2);

    /* [6, 2, 1, 2] (the flagship's border, in widths of 1): 6 on, 2 off,
     * 1 on, 2 off, from 0. */
    const double b[] = {0, 0, 20, 0};
    const double p6[] = {6, 2, 1, 2};
    memset(&d, 0, sizeof d);
    assert_int_equal(dl_raster_dash(b, 2, p6, 4, 1, buf, record_dash, &d), 4);
    assert_dash(&d, 0, (const double[]){0, 0, 6, 0}, 2);
    assert_dash(&d, 1, (const double[]){8, 0, 9, 0}, 2);
    assert_dash(&d, 2, (const double[]){11, 0, 17, 0}, 2);
    assert_dash(&d, 3, (const double[]){19, 0, 20, 0}, 2);

    /* Zero-length dashes are dots, a 1/1024 step along their segment,
     * when asked for: at 0, 2, 4 (on the second leg, pointing down it)
     * and 6 (the end). */
    const double z[] = {0, 0, 3, 0, 3, 3};
    const double p02[] = {0, 2};
    memset(&d, 0, sizeof d);
    assert_int_equal(dl_raster_dash(z, 3, p02, 2, 1, buf, record_dash, &d), 4);
    assert_dash(&d, 0, (const double[]){0, 0, 1.0 / 1024, 0}, 2);
    assert_dash(&d, 1, (const double[]){2, 0, 2 + 1.0 / 1024, 0}, 2);
    assert_dash(&d, 2, (const double[]){3, 1, 3, 1 + 1.0 / 1024}, 2);
    assert_dash(&d, 3, (const double[]){3, 3, 3, 3 + 1.0 / 1024}, 2);
    memset(&d, 0, sizeof d);
    assert_int_equal(dl_raster_dash(z, 3, p02, 2, 0, buf, record_dash, &d), 0);
    /* A zero-length dash later in the pattern is not drawn, as Cairo
     * draws none: [2, 1, 0, 1] is dashes at 0-2 and 4-6 only. */
    const double p2101[] = {2, 1, 0, 1};
    memset(&d, 0, sizeof d);
    assert_int_equal(dl_raster_dash(z, 3, p2101, 4, 1, buf, record_dash, &d), 2);
    assert_dash(&d, 0, (const double[]){0, 0, 2, 0}, 2);
    assert_dash(&d, 1, (const double[]){3, 1, 3, 3}, 2);

    /* Unusable patterns draw nothing (the caller strokes solid). */
    const double neg[] = {1, -1}, zero[] = {0, 0}, inf[] = {INFINITY, 1};
    memset(&d, 0, sizeof d);
    assert_int_equal(dl_raster_dash(b, 2, neg, 2, 1, buf, record_dash, &d), 0);
    assert_int_equal(dl_raster_dash(b, 2, zero, 2, 1, buf, record_dash, &d), 0);
    assert_int_equal(dl_raster_dash(b, 2, inf, 2, 1, buf, record_dash, &d), 0);
    assert_int_equal(dl_raster_dash(b, 2, p31, 0, 1, buf, record_dash, &d), 0);
    assert_int_equal(d.ndash, 0);
}

/* dl_raster_fill_linear against Cairo painting the same two-stop linear
 * gradient through the same shape, OVER and SOURCE, on a translucent
 * background: a box on whole pixels (full coverage: the gradient's own
 * colours) and one on half pixels (half coverage at its edges), with the
 * gradient running diagonally past both ends of the box (the pads). Every
 * channel within one level of Cairo's. */
static void test_fill_linear(void **state)
{
    (void)state;
    const double p[4] = {6.3, 3.7, 27.9, 12.2};
    const double ca[4] = {0.3, 0.9, 0.2, 0.1}, cb[4] = {0.8, 0.1, 0.5, 0.95}; /* a, r, g, b */
    const double boxes[2][4] = {{2, 2, 30, 14}, {1.5, 2.5, 30.5, 13.5}};
    for (int k = 0; k < 4; k++) {
        int source = k & 1;
        const double *bx = boxes[k >> 1];
        cairo_surface_t *ref = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 32, 16);
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 32, 16);
        cairo_t *cr[2] = {cairo_create(ref), cairo_create(img)};
        for (int i = 0; i < 2; i++) {
            cairo_set_source_rgba(cr[i], 0.2, 0.4, 0.6, 0.7);
            cairo_paint(cr[i]);
        }
        cairo_pattern_t *g = cairo_pattern_create_linear(p[0], p[1], p[2], p[3]);
        cairo_pattern_add_color_stop_rgba(g, 0, ca[1], ca[2], ca[3], ca[0]);
        cairo_pattern_add_color_stop_rgba(g, 1, cb[1], cb[2], cb[3], cb[0]);
        cairo_set_source(cr[0], g);
        cairo_set_operator(cr[0], source ? CAIRO_OPERATOR_SOURCE : CAIRO_OPERATOR_OVER);
        cairo_rectangle(cr[0], bx[0], bx[1], bx[2] - bx[0], bx[3] - bx[1]);
        cairo_fill(cr[0]);
        cairo_pattern_destroy(g);
        cairo_surface_flush(ref);
        cairo_surface_flush(img);

        dl_raster *R = dl_raster_new();
        assert_non_null(R);
        dl_raster_reset(R, 0, 0, 32, 16);
        rect(R, bx[0], bx[1], bx[2], bx[3]);
        uint16_t c0[4], c1[4];
        for (int i = 0; i < 4; i++) {
            c0[i] = (uint16_t)(ca[i] * (65536.0 - 1e-5));
            c1[i] = (uint16_t)(cb[i] * (65536.0 - 1e-5));
        }
        unsigned char *d = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        assert_int_equal(dl_raster_fill_linear(R, d, stride, p, c0, c1, source), 0);
        const unsigned char *e = cairo_image_surface_get_data(ref);
        int worst = 0;
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 4 * 32; x++) {
                int diff = abs(d[y * stride + x] - e[y * stride + x]);
                worst = diff > worst ? diff : worst;
            }
        if (worst > 1)
            fail_msg("case %d: a channel differs from Cairo's by %d", k, worst);
        /* The gradient is there: its two ends differ. */
        assert_true(abs(d[8 * stride + 4 * 3 + 2] - d[8 * stride + 4 * 28 + 2]) > 40);
        dl_raster_free(R);
        cairo_destroy(cr[0]);
        cairo_destroy(cr[1]);
        cairo_surface_destroy(ref);
        cairo_surface_destroy(img);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rectangle_exact), cmocka_unit_test(test_diagonal),
        cmocka_unit_test(test_nonzero),         cmocka_unit_test(test_band_clip),
        cmocka_unit_test(test_stroke_butt),     cmocka_unit_test(test_outlines_kept),
        cmocka_unit_test(test_polygon_at),      cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_write_a8),        cmocka_unit_test(test_fill_argb),
        cmocka_unit_test(test_dash),            cmocka_unit_test(test_fill_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
