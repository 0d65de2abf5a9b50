/* Chinese coordinate systems: GCJ-02 and BD-09 (src/project/chinacrs.c and
 * their place in dl_transform), and CGCS2000 through PROJ.
 *
 * Reference pairs, published with the algorithms dline follows:
 * - googollee/eviltransform, c/test.c and python/test.py (wgsLat, wgsLng,
 *   gcjLat, gcjLng): Shanghai, Shenzhen, Beijing; checked there to 6
 *   decimals forward, and the inverse to 0.5 m (gcj2wgs_exact).
 * - wandergis/coordtransform, test/app.js, all at (116.404, 39.915):
 *   wgs84togcj02 -> [116.41024449916938, 39.91640428150164],
 *   gcj02tobd09 -> [116.41036949371029, 39.92133699351021],
 *   bd09togcj02 -> [116.39762729119315, 39.90865673957631],
 *   gcj02towgs84 -> [116.39775550083061, 39.91359571849836] (its one-step
 *   estimate, a few cm from the exact inverse).
 * Projected values come from PROJ 9.1.1's cs2cs on Debian 12, given with
 * each test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "project/project.h"

/* lon, lat in WGS84 then in GCJ-02 (eviltransform's test points, x first). */
static const double pairs[3][4] = {
    {121.5272106, 31.1774276, 121.531541859215, 31.17530398364597},     /* Shanghai */
    {113.912316, 22.543847, 113.9171764808363, 22.540796131694766},     /* Shenzhen */
    {116.377817, 39.911954, 116.38404722455657, 39.91334545536069},     /* Beijing */
};

/* 1 cm in degrees of latitude is about 9e-8; longitude degrees are shorter. */
#define CM_DEG 9e-8

static void wgs84_to_gcj02_matches_eviltransform(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        double xy[2] = {pairs[i][0], pairs[i][1]};
        dl_china_from_wgs84(DL_CHINA_GCJ02, xy, 1);
        assert_true(fabs(xy[0] - pairs[i][2]) < 1e-6);
        assert_true(fabs(xy[1] - pairs[i][3]) < 1e-6);
    }
}

static void gcj02_to_wgs84_within_a_centimetre(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        double xy[2] = {pairs[i][2], pairs[i][3]};
        dl_china_to_wgs84(DL_CHINA_GCJ02, xy, 1);
        assert_true(fabs(xy[0] - pairs[i][0]) < CM_DEG);
        assert_true(fabs(xy[1] - pairs[i][1]) < CM_DEG);
        /* and the round trip */
        dl_china_from_wgs84(DL_CHINA_GCJ02, xy, 1);
        assert_true(fabs(xy[0] - pairs[i][2]) < 1e-9);
        assert_true(fabs(xy[1] - pairs[i][3]) < 1e-9);
    }
}

static void matches_coordtransform(void **state)
{
    (void)state;
    double xy[2] = {116.404, 39.915};
    dl_china_from_wgs84(DL_CHINA_GCJ02, xy, 1);
    assert_true(fabs(xy[0] - 116.41024449916938) < 1e-9);
    assert_true(fabs(xy[1] - 39.91640428150164) < 1e-9);

    double lon = 116.404, lat = 39.915;
    dl_china_gcj02_to_bd09(&lon, &lat);
    assert_true(fabs(lon - 116.41036949371029) < 1e-9);
    assert_true(fabs(lat - 39.92133699351021) < 1e-9);
    lon = 116.404, lat = 39.915;
    dl_china_bd09_to_gcj02(&lon, &lat);
    assert_true(fabs(lon - 116.39762729119315) < 1e-9);
    assert_true(fabs(lat - 39.90865673957631) < 1e-9);

    /* coordtransform's gcj02towgs84 is a one-step estimate: the exact
     * inverse lies within a few cm (1e-6 degrees) of it and round-trips. */
    xy[0] = 116.404, xy[1] = 39.915;
    dl_china_to_wgs84(DL_CHINA_GCJ02, xy, 1);
    assert_true(fabs(xy[0] - 116.39775550083061) < 1e-6);
    assert_true(fabs(xy[1] - 39.91359571849836) < 1e-6);
    dl_china_from_wgs84(DL_CHINA_GCJ02, xy, 1);
    assert_true(fabs(xy[0] - 116.404) < 1e-9);
    assert_true(fabs(xy[1] - 39.915) < 1e-9);
}

static void bd09_is_gcj02_then_baidu(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        double xy[2] = {pairs[i][0], pairs[i][1]};
        dl_china_from_wgs84(DL_CHINA_BD09, xy, 1);
        double lon = pairs[i][2], lat = pairs[i][3];
        dl_china_gcj02_to_bd09(&lon, &lat);
        assert_true(fabs(xy[0] - lon) < 1e-9);
        assert_true(fabs(xy[1] - lat) < 1e-9);
        /* back, through the iterated inverse, not the closed-form
         * bd09togcj02 (which is itself off by up to about a metre) */
        dl_china_to_wgs84(DL_CHINA_BD09, xy, 1);
        assert_true(fabs(xy[0] - pairs[i][0]) < CM_DEG);
        assert_true(fabs(xy[1] - pairs[i][1]) < CM_DEG);
    }
}

static void round_trip_over_china(void **state)
{
    (void)state;
    /* A grid over the whole box, BD-09 included: every point comes back
     * within 1e-9 degrees (0.1 mm), the brief's centimetre with room. */
    for (int c = DL_CHINA_GCJ02; c <= DL_CHINA_BD09; c++) {
        double worst = 0;
        for (double lon = 73.0; lon < 137.5; lon += 0.77)
            for (double lat = 1.0; lat < 55.5; lat += 0.53) {
                double xy[2] = {lon, lat};
                dl_china_to_wgs84((dl_china_crs)c, xy, 1);
                dl_china_from_wgs84((dl_china_crs)c, xy, 1);
                worst = fmax(worst, fmax(fabs(xy[0] - lon), fabs(xy[1] - lat)));
            }
        assert_true(worst < 1e-9);
    }
}

static void outside_china_is_unchanged(void **state)
{
    (void)state;
    /* Paris, Tokyo (east of 137.8347), Singapore (south of 0.8293), a
     * point west of 72.004 and one north of 55.8271. */
    static const double out[5][2] = {
        {2.3522, 48.8566}, {139.6917, 35.6895}, {103.8198, 1.3521 - 1.0}, {71.9, 40.0},
        {120.0, 56.0}};
    for (int c = DL_CHINA_GCJ02; c <= DL_CHINA_BD09; c++)
        for (int i = 0; i < 5; i++) {
            double xy[2] = {out[i][0], out[i][1]};
            dl_china_from_wgs84((dl_china_crs)c, xy, 1);
            assert_true(xy[0] == out[i][0] && xy[1] == out[i][1]);
            dl_china_to_wgs84((dl_china_crs)c, xy, 1);
            assert_true(xy[0] == out[i][0] && xy[1] == out[i][1]);
        }
    /* Points that are not finite are left for the caller to see. */
    double xy[2] = {HUGE_VAL, HUGE_VAL};
    dl_china_to_wgs84(DL_CHINA_GCJ02, xy, 1);
    assert_true(xy[0] == HUGE_VAL && xy[1] == HUGE_VAL);
}

static void names_are_recognised(void **state)
{
    (void)state;
    assert_int_equal(dl_china_crs_of("GCJ-02"), DL_CHINA_GCJ02);
    assert_int_equal(dl_china_crs_of("gcj02"), DL_CHINA_GCJ02);
    assert_int_equal(dl_china_crs_of("Gcj-02"), DL_CHINA_GCJ02);
    assert_int_equal(dl_china_crs_of("BD-09"), DL_CHINA_BD09);
    assert_int_equal(dl_china_crs_of("bd09"), DL_CHINA_BD09);
    assert_int_equal(dl_china_crs_of("EPSG:4326"), DL_CHINA_NONE);
    assert_int_equal(dl_china_crs_of("GCJ-2"), DL_CHINA_NONE);
    assert_int_equal(dl_china_crs_of(NULL), DL_CHINA_NONE);
    assert_string_equal(dl_proj_suggest_crs("GCJ-2"), "GCJ-02");
    assert_string_equal(dl_proj_suggest_crs("bd-9"), "BD-09");
    assert_null(dl_proj_suggest_crs("EPSG:123456789"));
    assert_null(dl_proj_suggest_crs("EPSG:4"));
}

/* One transformation from src to dst, with its context. */
typedef struct {
    dline_ctx *ctx;
    dl_proj *p;
    dl_transform *t;
} fixture;

static void open_transform(fixture *f, const char *src, const char *dst)
{
    f->ctx = dline_ctx_new();
    assert_int_equal(dl_proj_new(f->ctx, &f->p), DLINE_OK);
    assert_int_equal(dl_transform_new(f->ctx, f->p, src, dst, NULL, &f->t), DLINE_OK);
}

static void close_transform(fixture *f)
{
    dl_transform_free(f->t);
    dl_proj_free(f->p);
    dline_ctx_free(f->ctx);
}

/* WGS84 of pairs[] in EPSG:3857, from
 *   printf "31.1774276 121.5272106\n22.543847 113.912316\n39.911954 116.377817\n" |
 *     cs2cs -f %.4f EPSG:4326 EPSG:3857
 * which prints
 *   13528347.2015  3655812.9955
 *   12680661.0122  2576947.0694
 *   12955119.3281  4853155.9115 */
static const double merc[3][2] = {{13528347.2015, 3655812.9955},
                                  {12680661.0122, 2576947.0694},
                                  {12955119.3281, 4853155.9115}};

static void check_to_mercator(const char *src, dl_china_crs c)
{
    fixture f;
    open_transform(&f, src, "EPSG:3857");
    assert_false(dl_transform_is_noop(f.t));
    /* The points given in src: WGS84 taken there by the forward function. */
    double xy[6];
    for (int i = 0; i < 3; i++) {
        xy[2 * i] = pairs[i][0];
        xy[2 * i + 1] = pairs[i][1];
    }
    dl_china_from_wgs84(c, xy, 3);
    double given[6];
    memcpy(given, xy, sizeof xy);
    /* One batched call, as the layer loop makes. */
    assert_int_equal(dl_transform_points(f.t, xy, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(xy[2 * i] - merc[i][0]) < 0.01);
        assert_true(fabs(xy[2 * i + 1] - merc[i][1]) < 0.01);
    }
    /* The inverse (view boxes) lands back on the points as given. */
    assert_int_equal(dl_transform_points_inv(f.t, xy, 3), 3);
    for (int i = 0; i < 6; i++)
        assert_true(fabs(xy[i] - given[i]) < 1e-9);
    close_transform(&f);
}

static void gcj02_source_to_web_mercator_matches_cs2cs(void **state)
{
    (void)state;
    check_to_mercator("GCJ-02", DL_CHINA_GCJ02);
    check_to_mercator("gcj02", DL_CHINA_GCJ02);
}

static void bd09_source_to_web_mercator_matches_cs2cs(void **state)
{
    (void)state;
    check_to_mercator("BD-09", DL_CHINA_BD09);
}

static void gcj02_to_lonlat_is_not_a_noop(void **state)
{
    (void)state;
    fixture f;
    open_transform(&f, "GCJ-02", "EPSG:4326");
    assert_false(dl_transform_is_noop(f.t));
    double xy[2] = {pairs[0][2], pairs[0][3]};
    assert_int_equal(dl_transform_points(f.t, xy, 1), 1);
    assert_true(fabs(xy[0] - pairs[0][0]) < CM_DEG);
    assert_true(fabs(xy[1] - pairs[0][1]) < CM_DEG);
    close_transform(&f);
}

static void bbox_goes_through_the_offset(void **state)
{
    (void)state;
    /* A 0.1-degree GCJ-02 box round Shanghai, taken to EPSG:4326: the box of
     * its densified edges (21 points a side) each converted to WGS84, i.e.
     * the GCJ-02 box moved by the offset (about 0.004 degrees west and 0.002
     * north here); back again it is the box. */
    fixture f;
    open_transform(&f, "GCJ-02", "EPSG:4326");
    dl_bbox in = {121.48, 31.13, 121.58, 31.23}, out, back;
    assert_int_equal(dl_transform_bbox(f.ctx, f.t, in, &out), DLINE_OK);
    dl_bbox want = dl_bbox_empty();
    for (int i = 0; i < 21; i++) {
        double k = i / 20.0;
        double x = in.xmin + k * (in.xmax - in.xmin), y = in.ymin + k * (in.ymax - in.ymin);
        double xy[8] = {x, in.ymin, x, in.ymax, in.xmin, y, in.xmax, y};
        dl_china_to_wgs84(DL_CHINA_GCJ02, xy, 4);
        for (int j = 0; j < 4; j++)
            dl_bbox_add(&want, xy[2 * j], xy[2 * j + 1]);
    }
    assert_true(fabs(out.xmin - want.xmin) < 1e-12 && fabs(out.xmax - want.xmax) < 1e-12);
    assert_true(fabs(out.ymin - want.ymin) < 1e-12 && fabs(out.ymax - want.ymax) < 1e-12);
    assert_true(out.xmin - in.xmin < -0.003 && out.ymin - in.ymin > 0.001);
    assert_int_equal(dl_transform_bbox_inv(f.ctx, f.t, out, &back), DLINE_OK);
    /* The image of a box is not a box: the offset in latitude changes by
     * about 2e-4 degrees across it from west to east, so the box of the image
     * taken back holds the original, that much larger. */
    assert_true(back.xmin <= in.xmin + 1e-12 && back.xmin > in.xmin - 5e-4);
    assert_true(back.ymin <= in.ymin + 1e-12 && back.ymin > in.ymin - 5e-4);
    assert_true(back.xmax >= in.xmax - 1e-12 && back.xmax < in.xmax + 5e-4);
    assert_true(back.ymax >= in.ymax - 1e-12 && back.ymax < in.ymax + 5e-4);
    close_transform(&f);
}

static void china_crs_is_not_a_map_crs(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_proj_check_crs(ctx, p, "GCJ-02", NULL, 0), DLINE_OK);
    char name[128];
    assert_int_equal(dl_proj_check_crs(ctx, p, "bd09", name, sizeof name), DLINE_OK);
    assert_non_null(strstr(name, "BD-09"));
    assert_int_equal(dl_proj_check_map_crs(ctx, p, "GCJ-02"), DLINE_EPROJ);
    assert_non_null(strstr(dline_ctx_message(ctx), "can only be a source's CRS"));
    dline_ctx_free(ctx);
    ctx = dline_ctx_new();
    assert_int_equal(dl_transform_new(ctx, p, "EPSG:4326", "BD-09", NULL, &t), DLINE_EPROJ);
    assert_null(t);
    dline_ctx_free(ctx);
    ctx = dline_ctx_new();
    assert_int_equal(dl_proj_check_crs(ctx, p, "GCJ-2", NULL, 0), DLINE_EPROJ);
    assert_non_null(strstr(dline_ctx_message(ctx), "(did you mean 'GCJ-02'?)"));
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

/* CGCS2000 and its Gauss-Kruger zones are PROJ's own. Expected values from
 *   printf "31.23 121.5\n32.04 118.78\n" | cs2cs -f %.4f EPSG:4490 EPSG:4549
 * which prints (northing, easting: EPSG axis order)
 *   3457444.8588  642919.0131
 *   3546938.8412  384764.6068
 * dline normalises both CRSs to x (longitude, easting) first. */
static void cgcs2000_to_gauss_kruger_matches_cs2cs(void **state)
{
    (void)state;
    fixture f;
    open_transform(&f, "EPSG:4490", "EPSG:4549");
    double xy[4] = {121.5, 31.23, 118.78, 32.04};
    assert_int_equal(dl_transform_points(f.t, xy, 2), 2);
    assert_true(fabs(xy[0] - 642919.0131) < 0.001);
    assert_true(fabs(xy[1] - 3457444.8588) < 0.001);
    assert_true(fabs(xy[2] - 384764.6068) < 0.001);
    assert_true(fabs(xy[3] - 3546938.8412) < 0.001);
    assert_int_equal(dl_transform_points_inv(f.t, xy, 2), 2);
    assert_true(fabs(xy[0] - 121.5) < 1e-8 && fabs(xy[1] - 31.23) < 1e-8);
    assert_true(fabs(xy[2] - 118.78) < 1e-8 && fabs(xy[3] - 32.04) < 1e-8);
    close_transform(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wgs84_to_gcj02_matches_eviltransform),
        cmocka_unit_test(gcj02_to_wgs84_within_a_centimetre),
        cmocka_unit_test(matches_coordtransform),
        cmocka_unit_test(bd09_is_gcj02_then_baidu),
        cmocka_unit_test(round_trip_over_china),
        cmocka_unit_test(outside_china_is_unchanged),
        cmocka_unit_test(names_are_recognised),
        cmocka_unit_test(gcj02_source_to_web_mercator_matches_cs2cs),
        cmocka_unit_test(bd09_source_to_web_mercator_matches_cs2cs),
        cmocka_unit_test(gcj02_to_lonlat_is_not_a_noop),
        cmocka_unit_test(bbox_goes_through_the_offset),
        cmocka_unit_test(china_crs_is_not_a_map_crs),
        cmocka_unit_test(cgcs2000_to_gauss_kruger_matches_cs2cs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
