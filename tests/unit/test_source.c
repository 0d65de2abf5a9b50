/* Unit tests for src/source/: every fixture of tests/data read back with its
 * types and values, ring organisation, null shapes, Z/M, the rebuilt .shx,
 * encodings, streaming, and every hostile file of tests/bad/shp rejected
 * with its exact message. Runs with the tests/ folder as working directory
 * (or DLINE_TEST_DATA pointing at it). */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "source/source.h"

#define assert_near(a, b)                                                                     \
    do {                                                                                      \
        double a_ = (a), b_ = (b);                                                            \
        if (!(fabs(a_ - b_) <= 1e-9 * (1 + fabs(b_))))                                        \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                               \
    } while (0)

static dline_ctx *ctx;

static int setup(void **state)
{
    ctx = dline_ctx_new();
    return ctx ? 0 : -1;
}

static int teardown(void **state)
{
    dline_ctx_free(ctx);
    ctx = NULL;
    return 0;
}

static dl_source *open_ok(const char *path, const char *encoding)
{
    dl_source *src = NULL;
    dline_status st = dl_source_open(ctx, path, encoding, &src);
    if (st != DLINE_OK)
        fail_msg("opening %s: %s", path, dline_ctx_message(ctx));
    assert_non_null(src);
    return src;
}

static const dl_feature *next_ok(dl_source *src)
{
    const dl_feature *f = (const dl_feature *)1;
    dline_status st = dl_source_next(ctx, src, &f);
    if (st != DLINE_OK)
        fail_msg("reading %s: %s", dl_source_path(src), dline_ctx_message(ctx));
    return f;
}

static const dl_value *value(const dl_source *src, const dl_feature *f, const char *field)
{
    long i = dl_source_field_index(src, field);
    if (i < 0)
        fail_msg("no field %s", field);
    assert_true((size_t)i < f->nvalues);
    return &f->values[i];
}

static void assert_string_value(const dl_source *src, const dl_feature *f, const char *field,
                                const char *want)
{
    const dl_value *v = value(src, f, field);
    if (v->type != DL_VAL_STRING)
        fail_msg("%s: type %d, expected a string '%s'", field, v->type, want);
    assert_string_equal(v->s, want);
}

static void assert_int_value(const dl_source *src, const dl_feature *f, const char *field,
                             long long want)
{
    const dl_value *v = value(src, f, field);
    if (v->type != DL_VAL_INT)
        fail_msg("%s: type %d, expected the integer %lld", field, v->type, want);
    assert_true(v->i == want);
}

static void assert_double_value(const dl_source *src, const dl_feature *f, const char *field,
                                double want)
{
    const dl_value *v = value(src, f, field);
    if (v->type != DL_VAL_DOUBLE)
        fail_msg("%s: type %d, expected the double %g", field, v->type, want);
    assert_near(v->d, want);
}

static void assert_null_value(const dl_source *src, const dl_feature *f, const char *field)
{
    const dl_value *v = value(src, f, field);
    if (v->type != DL_VAL_NULL)
        fail_msg("%s: type %d, expected NULL", field, v->type);
}

static void assert_bool_value(const dl_source *src, const dl_feature *f, const char *field,
                              int want)
{
    const dl_value *v = value(src, f, field);
    if (v->type != DL_VAL_BOOL)
        fail_msg("%s: type %d, expected a boolean", field, v->type);
    assert_int_equal(v->i != 0, want);
}

static void assert_date_value(const dl_source *src, const dl_feature *f, const char *field,
                              const char *s, long long ymd)
{
    const dl_value *v = value(src, f, field);
    if (v->type != DL_VAL_DATE)
        fail_msg("%s: type %d, expected the date %s", field, v->type, s);
    assert_string_equal(v->s, s);
    assert_true(v->i == ymd);
}

static void assert_field(const dl_source *src, size_t i, const char *name, dl_value_type type,
                         int width, int decimals)
{
    const dl_field *f = dl_source_field(src, i);
    assert_non_null(f);
    assert_string_equal(f->name, name);
    if (f->type != type)
        fail_msg("field %s: type %d, expected %d", name, f->type, type);
    assert_int_equal(f->width, width);
    assert_int_equal(f->decimals, decimals);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- well-formed fixtures -------------------------------------------------- */

static void test_points(void **state)
{
    dl_source *src = open_ok("data/points.shp", NULL);
    assert_string_equal(dl_source_path(src), "data/points.shp");
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POINT);
    assert_string_equal(dl_source_shape_type_name(src), "Point");
    assert_int_equal(dl_source_record_count(src), 4);
    assert_string_equal(dl_source_encoding(src), "UTF-8");
    assert_string_equal(dl_source_encoding_origin(src), "cpg");
    assert_non_null(dl_source_prj(src));
    assert_true(strncmp(dl_source_prj(src), "GEOGCS[\"GCS_WGS_1984\"", 21) == 0);
    dl_bbox b = dl_source_bounds(src);
    assert_near(b.xmin, 120.92);
    assert_near(b.ymin, 31.04);
    assert_near(b.xmax, 121.124);
    assert_near(b.ymax, 31.15);

    assert_int_equal(dl_source_field_count(src), 3);
    assert_field(src, 0, "NAME", DL_VAL_STRING, 24, 0);
    assert_field(src, 1, "NAME_ZH", DL_VAL_STRING, 24, 0);
    assert_field(src, 2, "POP", DL_VAL_INT, 10, 0);
    assert_null(dl_source_field(src, 3));
    assert_int_equal(dl_source_field_index(src, "name_zh"), 1);
    assert_int_equal(dl_source_field_index(src, "Pop"), 2);
    assert_int_equal(dl_source_field_index(src, "nope"), -1);

    static const struct {
        const char *name, *zh;
        double x, y;
        long long pop;
    } want[] = {
        {"Qingpu", "青浦区", 121.124, 31.150, 1270000},
        {"Zhujiajiao", "朱家角", 121.055, 31.108, 100000},
        {"Jinze", "金泽", 120.920, 31.040, 60000},
        {"Dianshan Lake", "淀山湖", 120.970, 31.120, -1},
    };
    for (long i = 0; i < 4; i++) {
        const dl_feature *f = next_ok(src);
        assert_non_null(f);
        assert_int_equal(f->id, i);
        assert_int_equal(f->nvalues, 3);
        assert_int_equal(f->geom.type, DL_GEOM_POINT);
        assert_int_equal(f->geom.npoints, 1);
        assert_int_equal(f->geom.nparts, 1);
        assert_int_equal(f->geom.part_start[1], 1);
        assert_near(f->geom.xy[0], want[i].x);
        assert_near(f->geom.xy[1], want[i].y);
        assert_string_value(src, f, "NAME", want[i].name);
        assert_string_value(src, f, "NAME_ZH", want[i].zh);
        if (want[i].pop < 0)
            assert_null_value(src, f, "POP");
        else
            assert_int_value(src, f, "POP", want[i].pop);
    }
    assert_null(next_ok(src));
    assert_null(next_ok(src)); /* and stays at the end */
    assert_int_equal(dl_source_null_count(src), 0);
    dl_source_free(src);
}

static void test_path_without_extension(void **state)
{
    dl_source *src = open_ok("data/points", NULL);
    assert_string_equal(dl_source_path(src), "data/points.shp");
    assert_int_equal(dl_source_record_count(src), 4);
    dl_source_free(src);
}

static void test_streaming_reuses_feature(void **state)
{
    dl_source *src = open_ok("data/nulls.shp", NULL);
    const dl_feature *first = next_ok(src);
    assert_non_null(first);
    const double *xy = first->geom.xy;
    const dl_value *values = first->values;
    const dl_feature *f;
    while ((f = next_ok(src)) != NULL) {
        /* the same feature, geometry buffer and values array every time */
        assert_ptr_equal(f, first);
        assert_ptr_equal(f->geom.xy, xy);
        assert_ptr_equal(f->values, values);
    }
    /* rewind restarts at the first record and resets the null count */
    assert_int_equal(dl_source_null_count(src), 3);
    assert_int_equal(dl_source_rewind(ctx, src), DLINE_OK);
    assert_int_equal(dl_source_null_count(src), 0);
    f = next_ok(src);
    assert_non_null(f);
    assert_int_equal(f->id, 0);
    dl_source_free(src);
}

static void test_nulls(void **state)
{
    dl_source *src = open_ok("data/nulls.shp", NULL);
    assert_int_equal(dl_source_record_count(src), 6);
    long want[] = {0, 2, 5};
    for (int k = 0; k < 3; k++) {
        const dl_feature *f = next_ok(src);
        assert_non_null(f);
        assert_int_equal(f->id, want[k]);
        assert_int_value(src, f, "ID", want[k]);
        assert_near(f->geom.xy[0], 121.0 + (double)want[k] * 0.01);
    }
    assert_null(next_ok(src));
    assert_int_equal(dl_source_null_count(src), 3);
    dl_source_free(src);
}

static void test_multipoint(void **state)
{
    dl_source *src = open_ok("data/multipoint.shp", NULL);
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POINT);
    assert_string_equal(dl_source_shape_type_name(src), "MultiPoint");
    const dl_feature *f = next_ok(src);
    assert_int_equal(f->geom.npoints, 3);
    assert_int_equal(f->geom.nparts, 1);
    assert_near(f->geom.xy[4], 121.2);
    assert_near(f->geom.xy[5], 31.0);
    f = next_ok(src);
    assert_int_equal(f->geom.npoints, 2);
    assert_int_value(src, f, "ID", 2);
    assert_null(next_ok(src));
    dl_source_free(src);
}

static void check_lines(dl_source *src)
{
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_LINE);
    assert_string_equal(dl_source_shape_type_name(src), "PolyLine");
    const dl_feature *f = next_ok(src);
    assert_int_equal(f->geom.type, DL_GEOM_LINE);
    assert_int_equal(f->geom.npoints, 3);
    assert_int_equal(f->geom.nparts, 1);
    assert_string_value(src, f, "NAME", "canal");
    f = next_ok(src);
    assert_int_equal(f->geom.npoints, 5);
    assert_int_equal(f->geom.nparts, 2);
    assert_int_equal(f->geom.part_start[0], 0);
    assert_int_equal(f->geom.part_start[1], 2);
    assert_int_equal(f->geom.part_start[2], 5);
    assert_near(f->geom.xy[4], 121.00);
    assert_near(f->geom.xy[5], 31.20);
    assert_string_value(src, f, "NAME", "river");
    assert_null(next_ok(src));
}

static void test_lines(void **state)
{
    dl_source *src = open_ok("data/lines.shp", NULL);
    check_lines(src);
    dl_source_free(src);
}

static void test_missing_shx_rebuilt_in_memory(void **state)
{
    assert_false(file_exists("data/noshx.shx"));
    assert_false(file_exists("data/noshx.SHX"));
    dl_source *src = open_ok("data/noshx.shp", NULL);
    assert_int_equal(dl_source_record_count(src), 2);
    check_lines(src);
    dl_source_free(src);
    /* nothing was written beside the input */
    assert_false(file_exists("data/noshx.shx"));
    assert_false(file_exists("data/noshx.SHX"));
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void write_file(const char *path, const void *bytes, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* Opens path sharing share's index; on failure, whether the message (from a
 * context of its own: the first error sticks) contains want. */
static dline_status open_shared(const char *path, const dl_source *share, dl_source **out,
                                const char *want)
{
    dl_source_options opt = {.share = share};
    dline_ctx *c = dline_ctx_new();
    assert_non_null(c);
    dline_status st = dl_source_open_ex(c, path, &opt, out);
    if (st != DLINE_OK && (!want || !strstr(dline_ctx_message(c), want)))
        fail_msg("%s: expected '%s'", dline_ctx_message(c), want);
    if (st == DLINE_OK && want)
        fail_msg("%s opened, expected '%s'", path, want);
    dline_ctx_free(c);
    return st;
}

/* An open handed another source on the same file uses its index: it does
 * not read the .shx again (a .shx spoilt after the first open goes
 * unnoticed), and reads every record after the first source is freed. A
 * different path, or a .shp whose header changed, builds its own. */
static void test_shared_index(void **state)
{
    char dir[] = "/tmp/dline-shared-XXXXXX", a[64], shx[64], b[64], bshx[64], dbf[64];
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/lines.shp", dir);
    snprintf(shx, sizeof shx, "%s/lines.shx", dir);
    snprintf(dbf, sizeof dbf, "%s/lines.dbf", dir);
    snprintf(b, sizeof b, "%s/copy.shp", dir);
    snprintf(bshx, sizeof bshx, "%s/copy.shx", dir);
    copy_file("data/lines.shp", a);
    copy_file("data/lines.shx", shx);
    copy_file("data/lines.dbf", dbf);
    copy_file("data/lines.shp", b);
    dl_source *first = open_ok(a, NULL);
    write_file(shx, "spoilt", 6);
    write_file(bshx, "spoilt", 6);

    dl_source *alone = NULL, *shared = NULL, *other = NULL;
    assert_int_equal(open_shared(a, NULL, &alone, "lines.shx: file too short"), DLINE_EDATA);
    assert_int_equal(open_shared(a, first, &shared, NULL), DLINE_OK);
    dl_source_free(first);
    assert_int_equal(dl_source_record_count(shared), 2);
    check_lines(shared);

    assert_int_equal(open_shared(b, shared, &other, "copy.shx: file too short"), DLINE_EDATA);
    /* The same path with another header: the file changed, build anew. */
    FILE *fp = fopen(a, "r+b");
    assert_non_null(fp);
    unsigned char xmin[8];
    assert_int_equal(fseek(fp, 36, SEEK_SET), 0);
    assert_int_equal(fread(xmin, 1, 8, fp), 8);
    xmin[0] ^= 1;
    assert_int_equal(fseek(fp, 36, SEEK_SET), 0);
    assert_int_equal(fwrite(xmin, 1, 8, fp), 8);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(open_shared(a, shared, &other, "lines.shx: file too short"), DLINE_EDATA);
    dl_source_free(shared);
    unlink(a);
    unlink(shx);
    unlink(dbf);
    unlink(b);
    unlink(bshx);
    rmdir(dir);
}

static void test_polygons(void **state)
{
    dl_source *src = open_ok("data/polygons.shp", NULL);
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POLYGON);
    const dl_feature *f = next_ok(src);
    const dl_geom *g = &f->geom;
    assert_int_equal(g->type, DL_GEOM_POLYGON);
    assert_int_equal(g->nparts, 2);
    assert_int_equal(g->hole[0], 0);
    assert_int_equal(g->hole[1], 1);
    assert_true(dl_geom_ring_area(g, 0) < 0);
    assert_true(dl_geom_ring_area(g, 1) > 0);
    assert_string_value(src, f, "NAME", "lake island");

    /* written as [hole of A, B reversed, A]; organised as [B, A, hole of A] */
    f = next_ok(src);
    g = &f->geom;
    assert_int_equal(g->nparts, 3);
    assert_int_equal(g->npoints, 14);
    assert_int_equal(g->part_start[1] - g->part_start[0], 4);
    assert_int_equal(g->part_start[2] - g->part_start[1], 5);
    assert_int_equal(g->part_start[3] - g->part_start[2], 5);
    assert_int_equal(g->hole[0], 0);
    assert_int_equal(g->hole[1], 0);
    assert_int_equal(g->hole[2], 1);
    /* B now runs clockwise: (120.90 31.20) (120.90 31.25) (120.95 31.20) */
    assert_near(g->xy[0], 120.90);
    assert_near(g->xy[1], 31.20);
    assert_near(g->xy[2], 120.90);
    assert_near(g->xy[3], 31.25);
    assert_true(dl_geom_ring_area(g, 0) < 0);
    assert_true(dl_geom_ring_area(g, 1) < 0);
    assert_true(dl_geom_ring_area(g, 2) > 0);
    assert_near(g->xy[2 * g->part_start[1]], 120.80);
    assert_near(g->xy[2 * g->part_start[2]], 120.82);
    assert_true(dl_geom_ring_contains(g, 1, 120.83, 31.03));
    assert_null(next_ok(src));
    dl_source_free(src);
}

static void test_z_and_m(void **state)
{
    dl_source *src = open_ok("data/pointz.shp", NULL);
    assert_string_equal(dl_source_shape_type_name(src), "PointZ");
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POINT);
    const dl_feature *f = next_ok(src);
    assert_int_equal(f->geom.npoints, 1);
    assert_near(f->geom.xy[0], 121.0);
    assert_near(f->geom.xy[1], 31.0);
    f = next_ok(src);
    assert_near(f->geom.xy[0], 121.1);
    assert_near(f->geom.xy[1], 31.1);
    assert_null(next_ok(src));
    dl_source_free(src);

    src = open_ok("data/linem.shp", NULL);
    assert_string_equal(dl_source_shape_type_name(src), "PolyLineM");
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_LINE);
    f = next_ok(src);
    assert_int_equal(f->geom.npoints, 4);
    assert_near(f->geom.xy[6], 121.2);
    assert_near(f->geom.xy[7], 31.05);
    dl_source_free(src);

    src = open_ok("data/polygonz.shp", NULL);
    assert_string_equal(dl_source_shape_type_name(src), "PolygonZ");
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POLYGON);
    f = next_ok(src);
    assert_int_equal(f->geom.nparts, 2);
    assert_int_equal(f->geom.npoints, 10);
    assert_int_equal(f->geom.hole[1], 1);
    assert_near(f->geom.xy[2], 121.0);
    assert_near(f->geom.xy[3], 31.1);
    dl_source_free(src);
}

static void test_types_and_nulls(void **state)
{
    dl_source *src = open_ok("data/types.shp", NULL);
    assert_int_equal(dl_source_field_count(src), 8);
    assert_field(src, 0, "NAME", DL_VAL_STRING, 16, 0);
    assert_field(src, 1, "SMALL", DL_VAL_INT, 5, 0);
    assert_field(src, 2, "BIG", DL_VAL_INT, 15, 0);
    assert_field(src, 3, "HUGE", DL_VAL_DOUBLE, 20, 0); /* wider than 18: double */
    assert_field(src, 4, "RATIO", DL_VAL_DOUBLE, 12, 4);
    assert_field(src, 5, "FVAL", DL_VAL_DOUBLE, 13, 5);
    assert_field(src, 6, "FLAG", DL_VAL_BOOL, 1, 0);
    assert_field(src, 7, "WHEN", DL_VAL_DATE, 8, 0);

    const dl_feature *f = next_ok(src);
    assert_string_value(src, f, "NAME", "alpha");
    assert_int_value(src, f, "SMALL", 42);
    assert_int_value(src, f, "BIG", 123456789012LL);
    assert_double_value(src, f, "HUGE", 12345678901234567890.0);
    assert_double_value(src, f, "RATIO", 0.5);
    assert_double_value(src, f, "FVAL", 3.25);
    assert_bool_value(src, f, "FLAG", 1);
    assert_date_value(src, f, "WHEN", "2024-01-31", 20240131);

    f = next_ok(src);
    assert_null_value(src, f, "NAME"); /* an empty string is NULL, as in shapelib */
    assert_null_value(src, f, "SMALL");
    assert_int_value(src, f, "BIG", -7);
    assert_null_value(src, f, "HUGE");
    assert_null_value(src, f, "RATIO");
    assert_double_value(src, f, "FVAL", -1.5);
    assert_bool_value(src, f, "FLAG", 0); /* 'n' */
    assert_null_value(src, f, "WHEN");    /* 00000000 */

    f = next_ok(src);
    assert_string_value(src, f, "NAME", "gamma");
    assert_int_value(src, f, "SMALL", 0);
    assert_null_value(src, f, "BIG"); /* blank */
    assert_double_value(src, f, "HUGE", 1.0);
    assert_double_value(src, f, "RATIO", 12.3456);
    assert_null_value(src, f, "FVAL"); /* asterisks */
    assert_bool_value(src, f, "FLAG", 1); /* 'y' */
    assert_date_value(src, f, "WHEN", "1999-12-31", 19991231);

    f = next_ok(src);
    assert_string_value(src, f, "NAME", "delta");
    assert_int_value(src, f, "SMALL", -3);
    assert_int_value(src, f, "BIG", 9);
    assert_double_value(src, f, "RATIO", -0.0625);
    assert_double_value(src, f, "FVAL", 100.0);
    assert_null_value(src, f, "FLAG"); /* '?' */
    assert_null_value(src, f, "WHEN"); /* blank */
    char buf[64];
    assert_string_equal(dl_value_format(value(src, f, "RATIO"), buf, sizeof buf), "-0.0625");
    assert_null(next_ok(src));
    dl_source_free(src);
}

static void check_names(dl_source *src, const char *a, const char *b)
{
    const dl_feature *f = next_ok(src);
    assert_non_null(f);
    assert_string_value(src, f, "NAME", a);
    f = next_ok(src);
    assert_non_null(f);
    assert_string_value(src, f, "NAME", b);
    assert_null(next_ok(src));
}

static void test_gbk_from_cpg(void **state)
{
    dl_source *src = open_ok("data/gbk_cpg.shp", NULL);
    assert_string_equal(dl_source_encoding(src), "GBK");
    assert_string_equal(dl_source_encoding_origin(src), "cpg");
    check_names(src, "青浦区", "淀山湖");
    dl_source_free(src);
}

static void test_gbk_from_language_driver(void **state)
{
    assert_false(file_exists("data/gbk_ldid.cpg"));
    dl_source *src = open_ok("data/gbk_ldid.shp", NULL);
    assert_string_equal(dl_source_encoding(src), "CP936");
    assert_string_equal(dl_source_encoding_origin(src), "ldid");
    check_names(src, "青浦区", "淀山湖");
    dl_source_free(src);
}

static void test_latin1_from_cpg(void **state)
{
    dl_source *src = open_ok("data/latin1.shp", NULL);
    assert_string_equal(dl_source_encoding(src), "ISO-8859-1");
    assert_string_equal(dl_source_encoding_origin(src), "cpg");
    check_names(src, "Zürich", "Genève");
    dl_source_free(src);
}

static void test_undeclared_encoding(void **state)
{
    /* language driver 0, no .cpg: valid UTF-8 stays, the rest is Latin-1 */
    dl_source *src = open_ok("data/ldid0.shp", NULL);
    assert_string_equal(dl_source_encoding(src), "UTF-8");
    assert_string_equal(dl_source_encoding_origin(src), "default");
    check_names(src, "青浦区", "Zürich");
    dl_source_free(src);
}

static void test_encoding_override(void **state)
{
    dl_source *src = open_ok("data/gbk_ldid.shp", "gbk");
    assert_string_equal(dl_source_encoding(src), "GBK");
    assert_string_equal(dl_source_encoding_origin(src), "style");
    check_names(src, "青浦区", "淀山湖");
    dl_source_free(src);

    /* code page spellings map to iconv names */
    src = open_ok("data/gbk_cpg.shp", "936");
    assert_string_equal(dl_source_encoding(src), "CP936");
    check_names(src, "青浦区", "淀山湖");
    dl_source_free(src);
    src = open_ok("data/latin1.shp", "88591");
    assert_string_equal(dl_source_encoding(src), "ISO-8859-1");
    dl_source_free(src);
    src = open_ok("data/latin1.shp", "Latin-1");
    assert_string_equal(dl_source_encoding(src), "ISO-8859-1");
    dl_source_free(src);
    src = open_ok("data/latin1.shp", "ANSI 1252");
    assert_string_equal(dl_source_encoding(src), "CP1252");
    check_names(src, "Zürich", "Genève");
    dl_source_free(src);
}

static void test_invalid_bytes_become_replacement_chars(void **state)
{
    /* Latin-1 bytes read as UTF-8 (our own validation) and as ASCII
     * (through iconv): the invalid byte becomes U+FFFD, the read goes on. */
    dl_source *src = open_ok("data/latin1.shp", "UTF-8");
    check_names(src, "Z\xef\xbf\xbdrich", "Gen\xef\xbf\xbdve");
    dl_source_free(src);
    src = open_ok("data/latin1.shp", "ASCII");
    check_names(src, "Z\xef\xbf\xbdrich", "Gen\xef\xbf\xbdve");
    dl_source_free(src);
}

static void test_unknown_encoding_override(void **state)
{
    dl_source *src = (dl_source *)1;
    assert_int_equal(dl_source_open(ctx, "data/points.shp", "klingon-8", &src), DLINE_EDATA);
    assert_null(src);
    assert_string_equal(dline_ctx_message(ctx), "data/points.shp: unknown encoding 'klingon-8'");
    dline_ctx_clear(ctx);
    assert_int_equal(dl_source_open(ctx, "data/points.shp", "", &src), DLINE_EDATA);
    assert_string_equal(dline_ctx_message(ctx), "data/points.shp: unknown encoding ''");
}

static void test_prj(void **state)
{
    dl_source *src = open_ok("data/noprj.shp", NULL);
    assert_null(dl_source_prj(src));
    dl_source_free(src);

    src = open_ok("data/epsg4549.shp", NULL);
    assert_non_null(dl_source_prj(src));
    assert_non_null(strstr(dl_source_prj(src), "CGCS2000_3_Degree_GK_CM_120E"));
    dl_bbox b = dl_source_bounds(src);
    assert_near(b.xmin, 590683.635);
    assert_near(b.ymax, 3451471.408);
    const dl_feature *f = next_ok(src);
    assert_near(f->geom.xy[0], 600177.313);
    assert_near(f->geom.xy[1], 3442535.526);
    dl_source_free(src);
}

static void test_no_dbf(void **state)
{
    dl_source *src = open_ok("data/nodbf.shp", NULL);
    assert_int_equal(dl_source_field_count(src), 0);
    assert_int_equal(dl_source_field_index(src, "NAME"), -1);
    const dl_feature *f = next_ok(src);
    assert_non_null(f);
    assert_int_equal(f->nvalues, 0);
    assert_non_null(next_ok(src));
    assert_null(next_ok(src));
    dl_source_free(src);
}

static void test_missing_file(void **state)
{
    dl_source *src = (dl_source *)1;
    assert_int_equal(dl_source_open(ctx, "data/missing.shp", NULL, &src), DLINE_EIO);
    assert_null(src);
    assert_string_equal(dline_ctx_message(ctx),
                        "data/missing.shp: cannot open: No such file or directory");
    dl_source_free(NULL);
}

/* ---- dline info ---------------------------------------------------------------- */

/* Runs dline_info into a temporary file; returns its status, text in buf. */
static dline_status run_info(const char *path, char *buf, size_t size)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    dline_status st = dline_info(ctx, path, fp);
    rewind(fp);
    size_t n = fread(buf, 1, size - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return st;
}

static void test_info(void **state)
{
    char text[4096];
    if (run_info("data/noprj.shp", text, sizeof text) != DLINE_OK)
        fail_msg("%s", dline_ctx_message(ctx));
    assert_string_equal(text, "Layer name: noprj\n"
                              "Geometry: Point\n"
                              "Feature Count: 1\n"
                              "Null Shapes: 0\n"
                              "Extent: (121.000000, 31.000000) - (121.000000, 31.000000)\n"
                              "CRS: unknown (no .prj)\n"
                              "Encoding: UTF-8 (from the .cpg)\n"
                              "ID: Integer (5.0)\n");

    if (run_info("data/nulls.shp", text, sizeof text) != DLINE_OK)
        fail_msg("%s", dline_ctx_message(ctx));
    assert_non_null(strstr(text, "Feature Count: 6\nNull Shapes: 3\n"));

    if (run_info("data/gbk_ldid.shp", text, sizeof text) != DLINE_OK)
        fail_msg("%s", dline_ctx_message(ctx));
    assert_non_null(strstr(text, "Encoding: CP936 (from the DBF language driver byte)\n"));

    if (run_info("data/types.shp", text, sizeof text) != DLINE_OK)
        fail_msg("%s", dline_ctx_message(ctx));
    assert_non_null(strstr(text, "NAME: String (16.0)\n"
                                 "SMALL: Integer (5.0)\n"
                                 "BIG: Integer64 (15.0)\n"
                                 "HUGE: Real (20.0)\n"
                                 "RATIO: Real (12.4)\n"
                                 "FVAL: Real (13.5)\n"
                                 "FLAG: Logical (1.0)\n"
                                 "WHEN: Date (8.0)\n"));

    /* projected data: native extent in metres, lon/lat through PROJ */
    if (run_info("data/epsg4549.shp", text, sizeof text) != DLINE_OK)
        fail_msg("%s", dline_ctx_message(ctx));
    assert_non_null(strstr(text, "Extent: (590683.635000, 3436905.606000) - "
                                 "(606766.507000, 3451471.408000)\n"));
    assert_non_null(strstr(text, "\nCRS: CGCS2000 / 3-degree Gauss-Kruger CM 120E"));
    const char *ll = strstr(text, "Extent (lon/lat): ");
    assert_non_null(ll);
    double x0, y0, x1, y1;
    assert_int_equal(sscanf(ll, "Extent (lon/lat): (%lf, %lf) - (%lf, %lf)", &x0, &y0, &x1, &y1),
                     4);
    /* the corners of the projected box, converted with cs2cs */
    assert_true(fabs(x0 - 120.95) < 1e-4 && fabs(x1 - 121.12) < 1e-4);
    assert_true(fabs(y0 - 31.0486) < 1e-3 && fabs(y1 - 31.1814) < 1e-3);

    /* a bad file prints nothing, only the error */
    dline_ctx_clear(ctx);
    assert_int_equal(run_info("bad/shp/nan_coord.shp", text, sizeof text), DLINE_EDATA);
    assert_string_equal(text, "");
    assert_string_equal(dline_ctx_message(ctx),
                        "bad/shp/nan_coord.shp: record 0: point 1 has a NaN coordinate");
}

/* ---- hostile files ------------------------------------------------------------ */

static const struct {
    const char *name;
    int at_open; /* rejected by dl_source_open (else by dl_source_next) */
    const char *message;
} bad[] = {
    {"truncated_header", 1,
     "bad/shp/truncated_header.shp: file too short for a shapefile header (50 bytes, need 100)"},
    {"bad_file_code", 1,
     "bad/shp/bad_file_code.shp: not a shapefile: file code 1234, expected 9994"},
    {"bad_version", 1, "bad/shp/bad_version.shp: unsupported version 999, expected 1000"},
    {"shp_length_lies", 1,
     "bad/shp/shp_length_lies.shp: header gives a file length of 2000 bytes, but the file has 364"},
    {"unknown_type", 1, "bad/shp/unknown_type.shp: unknown shape type 7"},
    {"multipatch", 1, "bad/shp/multipatch.shp: unsupported shape type MultiPatch"},
    {"shx_offset_past_end", 1,
     "bad/shp/shx_offset_past_end.shx: record 1: offset 100000 and length 152 lie past the end "
     "of the .shp (364 bytes)"},
    {"shx_offset_in_header", 1,
     "bad/shp/shx_offset_in_header.shx: record 0: offset 20 overlaps the .shp header"},
    /* Found at open: the lying length makes record 0 overlap record 1. */
    {"shx_length_lies", 1,
     "bad/shp/shx_length_lies.shp: record 0: content length 96 differs from the .shx's 120"},
    {"shx_overlap", 1, "bad/shp/shx_overlap.shx: record 1: bytes 108 to 268 overlap record 0"},
    {"shx_duplicate", 1, "bad/shp/shx_duplicate.shx: record 1: bytes 100 to 204 overlap record 0"},
    {"shx_size", 1, "bad/shp/shx_size.shx: size 120 is not 100 bytes plus 8 per record"},
    {"shx_length_field", 1,
     "bad/shp/shx_length_field.shx: header gives a file length of 200 bytes, but the file has 116"},
    {"rec_past_eof", 1,
     "bad/shp/rec_past_eof.shp: record 1: content length 2000 lies past the end of the file "
     "(364 bytes)"},
    {"record_too_short", 0,
     "bad/shp/record_too_short.shp: record 0: 2 bytes are too few for a shape type"},
    {"huge_parts", 0,
     "bad/shp/huge_parts.shp: record 0: part count 268435456 over the limit of 10000000"},
    {"points_past_record", 0,
     "bad/shp/points_past_record.shp: record 0: 1 part and 10 points need 208 bytes, the record "
     "has 96"},
    {"negative_points", 0, "bad/shp/negative_points.shp: record 0: negative point count -5"},
    {"part_out_of_range", 0,
     "bad/shp/part_out_of_range.shp: record 1: part 2 starts at point 10, outside the 6 points"},
    {"part_decreasing", 0,
     "bad/shp/part_decreasing.shp: record 1: part 2 starts at point 2, before part 1 at point 4"},
    {"part_not_zero", 0, "bad/shp/part_not_zero.shp: record 1: part 0 starts at point 1, not 0"},
    {"type_mismatch", 0,
     "bad/shp/type_mismatch.shp: record 0: shape type Polygon does not match the file's PolyLine"},
    {"nan_coord", 0, "bad/shp/nan_coord.shp: record 0: point 1 has a NaN coordinate"},
    {"inf_coord", 0, "bad/shp/inf_coord.shp: record 1: point 3 has an infinite coordinate"},
    {"dbf_header_len", 1,
     "bad/shp/dbf_header_len.dbf: header length 5000 exceeds the file size (88 bytes)"},
    {"dbf_no_terminator", 1,
     "bad/shp/dbf_no_terminator.dbf: header length 65 does not hold its field descriptors and "
     "terminator"},
    {"dbf_bad_field_type", 1,
     "bad/shp/dbf_bad_field_type.dbf: field 'NAME' has unsupported type 'X'"},
    {"dbf_reclen", 1,
     "bad/shp/dbf_reclen.dbf: record length 20 does not match the fields (10 bytes + 1)"},
    {"dbf_truncated", 1,
     "bad/shp/dbf_truncated.dbf: 2 records of 11 bytes need 87 bytes, the file has 70"},
    {"count_mismatch", 1, "bad/shp/count_mismatch.dbf: 3 records, but the .shp has 2"},
    {"bad_cpg", 1, "bad/shp/bad_cpg.cpg: unknown encoding 'NOT-A-CODEPAGE'"},
};

static void test_valid_base_of_hostile_files(void **state)
{
    /* the uncorrupted base: whatever fails below fails for its corruption */
    dl_source *src = open_ok("bad/shp/valid.shp", NULL);
    const dl_feature *f = next_ok(src);
    assert_int_equal(f->geom.nparts, 1);
    assert_string_value(src, f, "NAME", "line 0");
    f = next_ok(src);
    assert_int_equal(f->geom.nparts, 3);
    assert_null(next_ok(src));
    dl_source_free(src);
}

static void test_hostile_files(void **state)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "bad/shp/%s.shp", bad[i].name);
        dline_ctx_clear(ctx);
        dl_source *src = NULL;
        dline_status st = dl_source_open(ctx, path, NULL, &src);
        if (bad[i].at_open) {
            if (st != DLINE_EDATA)
                fail_msg("%s: open gave %d (%s), expected a data error", bad[i].name, st,
                         dline_ctx_message(ctx));
            assert_null(src);
        } else {
            if (st != DLINE_OK)
                fail_msg("%s: open failed: %s", bad[i].name, dline_ctx_message(ctx));
            const dl_feature *f;
            long n = 0;
            while ((st = dl_source_next(ctx, src, &f)) == DLINE_OK && f)
                n++;
            if (st != DLINE_EDATA)
                fail_msg("%s: read gave %d after %ld features, expected a data error",
                         bad[i].name, st, n);
            assert_null(f);
            /* the error sticks: the next call repeats it */
            dline_ctx_clear(ctx);
            assert_int_equal(dl_source_next(ctx, src, &f), DLINE_EDATA);
            assert_null(f);
        }
        if (strcmp(dline_ctx_message(ctx), bad[i].message) != 0)
            fail_msg("%s:\n  got      %s\n  expected %s", bad[i].name, dline_ctx_message(ctx),
                     bad[i].message);
        dl_source_free(src);
    }
}

int main(void)
{
    const char *dir = getenv("DLINE_TEST_DATA");
    if (dir && chdir(dir) != 0) {
        fprintf(stderr, "cannot change to DLINE_TEST_DATA=%s\n", dir);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_without_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_reuses_feature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_shx_rebuilt_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_polygons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_z_and_m, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gbk_from_cpg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gbk_from_language_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latin1_from_cpg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undeclared_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encoding_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_bytes_become_replacement_chars, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_encoding_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prj, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_dbf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid_base_of_hostile_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
