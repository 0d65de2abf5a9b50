/* Project stage: transformations checked against PROJ's own cs2cs.
 * Expected values were computed on Debian 12 (PROJ 9.1.1) with, e.g.:
 *   printf "31.1531 121.1084\n31.175 121.262\n31.0726 120.9598\n" |
 *     cs2cs -f %.4f EPSG:4326 EPSG:4549
 * cs2cs takes EPSG:4326 as latitude, longitude and prints EPSG:4549 as
 * northing, easting (the EPSG axis orders); dline normalises both to x first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "project/project.h"

static const double lonlat[3][2] = {
    {121.1084, 31.1531}, /* Qingpu centre */
    {121.262, 31.175},   /* BeiDou base */
    {120.9598, 31.0726}, /* Xicen */
};

/* src (WGS 84 in some spelling) to dst in a context of its own, through
 * cache when not NULL. */
static void check_points_from(const char *src, const char *dst, const double expect[3][2],
                              dl_proj_cache *cache)
{
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    if (cache)
        dl_proj_use_cache(p, cache);
    assert_int_equal(dl_transform_new(ctx, p, src, dst, NULL, &t), DLINE_OK);
    double xy[6];
    memcpy(xy, lonlat, sizeof xy);
    assert_int_equal(dl_transform_points(t, xy, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(xy[2 * i] - expect[i][0]) < 0.001);
        assert_true(fabs(xy[2 * i + 1] - expect[i][1]) < 0.001);
    }
    /* and back */
    assert_int_equal(dl_transform_points_inv(t, xy, 3), 3);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(xy[2 * i] - lonlat[i][0]) < 1e-8);
        assert_true(fabs(xy[2 * i + 1] - lonlat[i][1]) < 1e-8);
    }
    dl_transform_free(t);
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

static void check_points(const char *dst, const double expect[3][2])
{
    check_points_from("EPSG:4326", dst, expect, NULL);
}

static const double gk4549[3][2] = {{605690.5118, 3448477.5460},
                                    {620310.2632, 3451062.6931},
                                    {591597.4887, 3439419.4879}};
static const double mercator[3][2] = {{13481725.4188, 3652648.0952},
                                      {13498824.0926, 3655497.1402},
                                      {13465183.3425, 3642181.2289}};
/* A .prj's WGS 84 (ESRI WKT). */
static const char esri_wgs84[] =
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,"
    "298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

/* The operation PROJ finds for a pair is kept by the cache and copied into
 * the next context that asks (a map's bands, tiles, renders): the copies
 * give cs2cs's values both ways, and every spelling of WGS 84 is one pair. */
static void cached_operations_match_cs2cs(void **state)
{
    (void)state;
    dl_proj_cache *cache = dl_proj_cache_new();
    assert_non_null(cache);
    check_points_from("EPSG:4326", "EPSG:4549", gk4549, cache);
    assert_int_equal(dl_proj_cache_count(cache), 1);
    check_points_from(esri_wgs84, "EPSG:4549", gk4549, cache); /* found, not added */
    check_points_from("EPSG:4326", "EPSG:4549", gk4549, cache);
    assert_int_equal(dl_proj_cache_count(cache), 1);
    check_points_from(esri_wgs84, "EPSG:3857", mercator, cache);
    check_points_from("EPSG:4326", "EPSG:3857", mercator, cache);
    assert_int_equal(dl_proj_cache_count(cache), 2);
    dl_proj_cache_free(cache);
}

/* Threads of one map share its cache, each with its own context. */
static void *cache_worker(void *arg)
{
    for (int i = 0; i < 20; i++)
        check_points_from(i % 2 ? esri_wgs84 : "EPSG:4326", "EPSG:4549", gk4549, arg);
    return NULL;
}

static void cache_shared_by_threads(void **state)
{
    (void)state;
    dl_proj_cache *cache = dl_proj_cache_new();
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, cache_worker, cache), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(dl_proj_cache_count(cache), 1);
    dl_proj_cache_free(cache);
}

static void web_mercator_matches_cs2cs(void **state)
{
    (void)state;
    check_points("EPSG:3857", mercator);
}

static void gauss_kruger_4549_matches_cs2cs_easting_first(void **state)
{
    (void)state;
    /* cs2cs prints northing easting for EPSG:4549; swapped here. */
    check_points("EPSG:4549", gk4549);
}

static void utm51n_matches_cs2cs(void **state)
{
    (void)state;
    static const double e[3][2] = {{319690.2147, 3448109.5967},
                                   {334371.8830, 3450297.2216},
                                   {305358.4943, 3439436.9382}};
    check_points("EPSG:32651", e);
}

static void proj_string_crs_is_accepted(void **state)
{
    (void)state;
    static const double e[3][2] = {{13481725.4188, 3652648.0952},
                                   {13498824.0926, 3655497.1402},
                                   {13465183.3425, 3642181.2289}};
    check_points("+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 "
                 "+units=m +nadgrids=@null +no_defs",
                 e);
}

static void unknown_crs_is_an_error(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_transform_new(ctx, p, "EPSG:999999", "EPSG:3857", "x.prj", &t),
                     DLINE_EPROJ);
    assert_null(t);
    assert_non_null(strstr(dline_ctx_message(ctx), "x.prj: unknown CRS 'EPSG:999999'"));
    dline_ctx_clear(ctx);
    assert_int_equal(dl_proj_check_crs(ctx, p, "EPSG:nope", NULL, 0), DLINE_EPROJ);
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

static void crs_name_is_reported(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    char name[256];
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_proj_check_crs(ctx, p, "EPSG:4549", name, sizeof name), DLINE_OK);
    assert_string_equal(name, "CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549)");
    /* An ESRI WKT without an id is identified through the database. */
    const char *esri = "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\","
                       "6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\","
                       "0.0174532925199433]]";
    assert_int_equal(dl_proj_check_crs(ctx, p, esri, name, sizeof name), DLINE_OK);
    assert_string_equal(name, "WGS 84 (EPSG:4326)");
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

static void bbox_is_densified(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_transform_new(ctx, p, "EPSG:4326", "EPSG:4549", NULL, &t), DLINE_OK);
    dl_bbox in = {120.85, 30.9, 121.35, 31.3}, out;
    assert_int_equal(dl_transform_bbox(ctx, t, in, &out), DLINE_OK);
    /* The northern edge bulges in a transverse Mercator away from the
     * central meridian: the box's top is the edge's midpoint, not a corner. */
    double mid[2] = {121.1, 31.3}, corner[2] = {121.35, 31.3};
    dl_transform_points(t, mid, 1);
    dl_transform_points(t, corner, 1);
    assert_true(out.ymax >= mid[1] - 1e-6);
    assert_true(out.ymax >= corner[1] - 1e-6);
    assert_true(out.xmax >= corner[0] - 1e-6);
    dl_transform_free(t);
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

static void same_crs_is_noop(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_transform_new(ctx, p, "EPSG:3857", "EPSG:3857", NULL, &t), DLINE_OK);
    assert_true(dl_transform_is_noop(t));
    double xy[2] = {1.5, -2.5};
    assert_int_equal(dl_transform_points(t, xy, 1), 1);
    assert_true(xy[0] == 1.5 && xy[1] == -2.5);
    dl_transform_free(t);
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(web_mercator_matches_cs2cs),
        cmocka_unit_test(gauss_kruger_4549_matches_cs2cs_easting_first),
        cmocka_unit_test(utm51n_matches_cs2cs),
        cmocka_unit_test(proj_string_crs_is_accepted),
        cmocka_unit_test(unknown_crs_is_an_error),
        cmocka_unit_test(crs_name_is_reported),
        cmocka_unit_test(bbox_is_densified),
        cmocka_unit_test(same_crs_is_noop),
        cmocka_unit_test(cached_operations_match_cs2cs),
        cmocka_unit_test(cache_shared_by_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
