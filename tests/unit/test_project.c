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

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/project.h"

static const double lonlat[3][2] = {
    {121.1084, 31.1531}, /* Qingpu centre */
    {121.262, 31.175},   /* BeiDou base */
    {120.9598, 31.0726}, /* Xicen */
};

/* A transformation from src to dst in a context of its own, through cache
 * when not NULL; run_done frees all three. */
typedef struct {
    dline_ctx *ctx;
    dl_proj *p;
    dl_transform *t;
} run;

static run run_new(const char *src, const char *dst, dl_proj_cache *cache)
{
    run r = {dline_ctx_new(), NULL, NULL};
    assert_int_equal(dl_proj_new(r.ctx, &r.p), DLINE_OK);
    if (cache)
        dl_proj_use_cache(r.p, cache);
    assert_int_equal(dl_transform_new(r.ctx, r.p, src, dst, NULL, &r.t), DLINE_OK);
    return r;
}

static void run_done(run r)
{
    dl_transform_free(r.t);
    dl_proj_free(r.p);
    dline_ctx_free(r.ctx);
}

/* src (WGS 84 in some spelling) to dst in a context of its own, through
 * cache when not NULL. */
static void check_points_from(const char *src, const char *dst, const double expect[3][2],
                              dl_proj_cache *cache)
{
    run r = run_new(src, dst, cache);
    dl_transform *t = r.t;
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
    run_done(r);
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

/* The first two points projected from src to dst in a context of its own,
 * through cache when not NULL. */
static void project2(const char *src, const char *dst, const double in[2][2], double out[4],
                     dl_proj_cache *cache)
{
    run r = run_new(src, dst, cache);
    memcpy(out, in, 4 * sizeof *out);
    assert_int_equal(dl_transform_points(r.t, out, 2), 2);
    run_done(r);
}

/* The CRSs made from definitions are kept by the cache too, and each
 * context gets a copy. Each pair here is new to the cache, so its operation
 * is searched from the copies: EPSG:32651 made by the first context, used in
 * the second and third next to a CRS not yet kept. They give the same values
 * as contexts without a cache (cs2cs's, e.g. `cs2cs -f %.4f EPSG:32651
 * EPSG:4549`, northing first), and no definition is taken for another. */
static void cached_crs_match_uncached_and_cs2cs(void **state)
{
    (void)state;
    static const double utm[2][2] = {{319690.2147, 3448109.5967}, {334371.8830, 3450297.2216}};
    static const double gk[4] = {605690.5118, 3448477.5460, 620310.2632, 3451062.6931};
    static const double merc[4] = {13481725.4188, 3652648.0952, 13498824.0926, 3655497.1402};
    dl_proj_cache *cache = dl_proj_cache_new();
    assert_non_null(cache);
    double got[4], plain[4];
    project2("EPSG:4326", "EPSG:32651", (const double(*)[2])lonlat, got, cache);
    for (int i = 0; i < 4; i++)
        assert_true(fabs(got[i] - utm[i / 2][i % 2]) < 0.001);
    const char *dst[2] = {"EPSG:4549", "EPSG:3857"};
    const double *expect[2] = {gk, merc};
    for (int k = 0; k < 2; k++) {
        project2("EPSG:32651", dst[k], utm, got, cache);
        project2("EPSG:32651", dst[k], utm, plain, NULL);
        for (int i = 0; i < 4; i++) {
            assert_true(fabs(got[i] - expect[k][i]) < 0.001);
            assert_true(got[i] == plain[i]);
        }
    }
    assert_int_equal(dl_proj_cache_count(cache), 3);
    /* The names of the CRSs kept, each for its own definition. */
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    char name[256];
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    dl_proj_use_cache(p, cache);
    assert_int_equal(dl_proj_check_crs(ctx, p, "EPSG:4549", name, sizeof name), DLINE_OK);
    assert_string_equal(name, "CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549)");
    assert_int_equal(dl_proj_check_crs(ctx, p, "EPSG:32651", name, sizeof name), DLINE_OK);
    assert_string_equal(name, "WGS 84 / UTM zone 51N (EPSG:32651)");
    dl_proj_free(p);
    dline_ctx_free(ctx);
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

/* The cache folder (dl_proj_cache_set_dir): operations found by one
 * process are read back by the next one instead of searched again. Each
 * "process" here is a new dl_proj_cache over the same folder. */

/* src to dst through a new cache over dir; the 3 points in xy (lon/lat in,
 * projected out); *searched and *loaded from its stats. */
static void project_with_dir(const char *dir, const char *src, const char *dst, double xy[6],
                             size_t *searched, size_t *loaded)
{
    dl_proj_cache *cache = dl_proj_cache_new();
    assert_non_null(cache);
    assert_int_equal(dl_proj_cache_set_dir(cache, dir), 0);
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    dl_proj_use_cache(p, cache);
    assert_int_equal(dl_transform_new(ctx, p, src, dst, NULL, &t), DLINE_OK);
    memcpy(xy, lonlat, 6 * sizeof *xy);
    assert_int_equal(dl_transform_points(t, xy, 3), 3);
    dl_proj_cache_stats(cache, searched, loaded);
    dl_transform_free(t);
    dl_proj_free(p);
    dline_ctx_free(ctx);
    dl_proj_cache_free(cache);
}

/* The entries (proj-*.op) in dir; the last one's path into path. */
static int entries(const char *dir, char *path, size_t size)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, "proj-", 5)) {
            n++;
            snprintf(path, size, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void spill(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* A temporary folder, with a folder inside it that does not exist yet
 * (the cache makes it). */
static void temp_dirs(char top[64], char dir[96])
{
    strcpy(top, "/tmp/dline-projcache-XXXXXX");
    assert_non_null(mkdtemp(top));
    snprintf(dir, 96, "%s/a/b", top);
}

static void remove_dirs(const char *top)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    assert_int_equal(system(cmd), 0);
}

static void disk_cache_is_read_by_the_next_process(void **state)
{
    (void)state;
    char top[64], dir[96], path[256];
    temp_dirs(top, dir);
    double searched_xy[6], loaded_xy[6];
    size_t searched, loaded;
    project_with_dir(dir, "EPSG:4326", "EPSG:4549", searched_xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_int_equal(loaded, 0);
    assert_int_equal(entries(dir, path, sizeof path), 1);
    /* The next process reads it, searches nothing, and gets the same bits,
     * which are cs2cs's values. */
    project_with_dir(dir, "EPSG:4326", "EPSG:4549", loaded_xy, &searched, &loaded);
    assert_int_equal(searched, 0);
    assert_int_equal(loaded, 1);
    assert_memory_equal(searched_xy, loaded_xy, sizeof searched_xy);
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(loaded_xy[2 * i] - gk4549[i][0]) < 0.001);
        assert_true(fabs(loaded_xy[2 * i + 1] - gk4549[i][1]) < 0.001);
    }
    /* An ESRI spelling of WGS 84 is the same entry. */
    project_with_dir(dir, esri_wgs84, "EPSG:4549", loaded_xy, &searched, &loaded);
    assert_int_equal(loaded, 1);
    assert_int_equal(entries(dir, path, sizeof path), 1);
    /* Another pair is another entry. */
    project_with_dir(dir, "EPSG:4326", "EPSG:2154", loaded_xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_int_equal(entries(dir, path, sizeof path), 2);
    project_with_dir(dir, "EPSG:4326", "EPSG:2154", loaded_xy, &searched, &loaded);
    assert_int_equal(loaded, 1);
    /* A bare conversion (Web Mercator) would not read back whole from
     * PROJJSON (no source CRS: no axis order or units): not kept. */
    project_with_dir(dir, "EPSG:4326", "EPSG:3857", loaded_xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_int_equal(entries(dir, path, sizeof path), 2);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(loaded_xy[2 * i] - mercator[i][0]) < 0.001);
    remove_dirs(top);
}

/* An entry that is not exactly what dline wrote for this key and this
 * PROJ is not used: PROJ searches again, the result is right, and the entry
 * is written anew. */
static void disk_cache_refuses_damaged_entries(void **state)
{
    (void)state;
    char top[64], dir[96], path[256], other[256];
    temp_dirs(top, dir);
    double xy[6];
    size_t searched, loaded, len, olen;
    /* WGS 84 to Lambert-93 (RGF93): one of PROJ's cheaper searches that
     * gives an operation between two datums (these tests run under ASan
     * too). The other pair is the flagship's. */
    project_with_dir(dir, "EPSG:4326", "EPSG:4549", xy, &searched, &loaded);
    assert_int_equal(entries(dir, other, sizeof other), 1);
    char *gk = slurp(other, &olen);
    assert_int_equal(unlink(other), 0);
    double want[6];
    project_with_dir(dir, "EPSG:4326", "EPSG:2154", want, &searched, &loaded);
    assert_int_equal(entries(dir, path, sizeof path), 1);
    char *good = slurp(path, &len);
    /* The Gauss-Kruger entry's operation under the Lambert entry's key. */
    const char *gj = strstr(good, "json "), *mj = strstr(gk, "json ");
    assert_non_null(gj);
    assert_non_null(mj);
    char *swapped = malloc(len + olen);
    assert_non_null(swapped);
    size_t klen = (size_t)(gj - good);
    memcpy(swapped, good, klen);
    memcpy(swapped + klen, mj, olen - (size_t)(mj - gk));
    size_t slen = klen + olen - (size_t)(mj - gk);
    char *bad_version = strdup(good);
    bad_version[strlen("dline PROJ operation 1\nproj ")] ^= 1;
    char *bad_json = strdup(good);
    bad_json[len - 3] = '#';
    struct {
        const char *what, *buf;
        size_t len;
    } cases[] = {
        {"cut short", good, len - 1},
        {"one byte more", good, len + 0}, /* made below */
        {"another PROJ version", bad_version, len},
        {"damaged JSON", bad_json, len},
        {"another pair's operation", swapped, slen},
        {"empty", good, 0},
    };
    char *longer = malloc(len + 2);
    assert_non_null(longer);
    memcpy(longer, good, len);
    longer[len] = '\n';
    cases[1].buf = longer;
    cases[1].len = len + 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        spill(path, cases[i].buf, cases[i].len);
        project_with_dir(dir, "EPSG:4326", "EPSG:2154", xy, &searched, &loaded);
        if (searched != 1 || loaded != 0)
            fail_msg("%s: read (%zu searched, %zu loaded)", cases[i].what, searched, loaded);
        assert_memory_equal(xy, want, sizeof want);
        size_t again_len;
        char *again = slurp(path, &again_len);
        if (again_len != len || memcmp(again, good, len) != 0)
            fail_msg("%s: the entry was not written again", cases[i].what);
        free(again);
    }
    free(longer);
    free(bad_json);
    free(bad_version);
    free(swapped);
    free(good);
    free(gk);
    remove_dirs(top);
}

/* A pair with several operations (NAD27 to WGS 84: grids, areas) is never
 * kept, nor one whose operation is unique only because PROJ's grids are
 * missing (they may be installed later); a
 * folder that cannot be made is no error. */
static void disk_cache_keeps_only_fixed_answers(void **state)
{
    (void)state;
    char top[64], dir[96], path[256];
    temp_dirs(top, dir);
    double xy[6];
    size_t searched, loaded;
    project_with_dir(dir, "EPSG:4267", "EPSG:4326", xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_int_equal(entries(dir, path, sizeof path), 0);
    project_with_dir(dir, "EPSG:4267", "EPSG:4326", xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_int_equal(loaded, 0);
    /* GDA94 to GDA2020: without PROJ's grids the search finds one
     * operation (a Helmert transformation), with them one of five. */
    project_with_dir(dir, "EPSG:4283", "EPSG:7844", xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_int_equal(entries(dir, path, sizeof path), 0);
    /* A regular file where the folder should be. */
    char file[128];
    snprintf(file, sizeof file, "%s/file", top);
    spill(file, "x", 1);
    snprintf(path, sizeof path, "%s/sub", file);
    project_with_dir(path, "EPSG:4326", "EPSG:3857", xy, &searched, &loaded);
    assert_int_equal(searched, 1);
    assert_true(fabs(xy[0] - mercator[0][0]) < 0.001);
    remove_dirs(top);
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
        cmocka_unit_test(cached_crs_match_uncached_and_cs2cs),
        cmocka_unit_test(cache_shared_by_threads),
        cmocka_unit_test(disk_cache_is_read_by_the_next_process),
        cmocka_unit_test(disk_cache_refuses_damaged_entries),
        cmocka_unit_test(disk_cache_keeps_only_fixed_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
