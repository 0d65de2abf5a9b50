/* Unit tests for the text sources of src/source/: GeoJSON (every geometry
 * type, mixed types, property typing, ring organisation, bounds) and CSV
 * point lists (column detection, typing, RFC 4180 quoting, BOM, GBK), and
 * their errors, exactly. Runs with the tests/ folder as working directory. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static dl_source *open_opt(const char *path, const dl_source_options *opt)
{
    dl_source *src = NULL;
    if (dl_source_open_ex(ctx, path, opt, &src) != DLINE_OK)
        fail_msg("opening %s: %s", path, dline_ctx_message(ctx));
    assert_non_null(src);
    return src;
}

static const dl_feature *next_ok(dl_source *src)
{
    const dl_feature *f = (const dl_feature *)1;
    if (dl_source_next(ctx, src, &f) != DLINE_OK)
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
        fail_msg("%s: type %d, expected the string '%s'", field, v->type, want);
    assert_string_equal(v->s, want);
}

static void assert_field(const dl_source *src, size_t i, const char *name, dl_value_type type)
{
    const dl_field *f = dl_source_field(src, i);
    assert_non_null(f);
    assert_string_equal(f->name, name);
    if (f->type != type)
        fail_msg("field %s: type %d, expected %d", name, f->type, type);
}

static void test_geojson_mixed(void **state)
{
    dl_source *src = open_opt("data/mixed.geojson", NULL);
    assert_int_equal(dl_source_get_kind(src), DL_SOURCE_GEOJSON);
    assert_int_equal(dl_source_record_count(src), 8);
    assert_int_equal(dl_source_null_count(src), 1);
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_NONE);
    assert_true(dl_source_has_geom(src, DL_GEOM_POINT));
    assert_true(dl_source_has_geom(src, DL_GEOM_LINE));
    assert_true(dl_source_has_geom(src, DL_GEOM_POLYGON));
    assert_string_equal(dl_source_shape_type_name(src),
                        "Mixed (Point, MultiPoint, LineString, MultiLineString, Polygon, "
                        "MultiPolygon)");
    assert_null(dl_source_prj(src));
    assert_string_equal(dl_source_default_crs(src), "EPSG:4326");
    assert_string_equal(dl_source_encoding(src), "UTF-8");
    dl_bbox b = dl_source_bounds(src);
    assert_near(b.xmin, 120.90);
    assert_near(b.ymin, 31.02);
    assert_near(b.xmax, 121.30);
    assert_near(b.ymax, 31.21);

    /* The union of property names in order of first appearance, each with
     * the common type of its values. */
    assert_int_equal(dl_source_field_count(src), 10);
    assert_field(src, 0, "name", DL_VAL_STRING);
    assert_field(src, 1, "name_en", DL_VAL_STRING);
    assert_field(src, 2, "pop", DL_VAL_INT);
    assert_field(src, 3, "area", DL_VAL_DOUBLE);  /* 62 and 138.5 */
    assert_field(src, 4, "code", DL_VAL_STRING);  /* 101 and "A2" */
    assert_field(src, 5, "ok", DL_VAL_BOOL);
    assert_field(src, 6, "population_density_2020", DL_VAL_DOUBLE);
    assert_field(src, 7, "tags", DL_VAL_STRING);
    assert_field(src, 8, "meta", DL_VAL_STRING);
    assert_field(src, 9, "nothing", DL_VAL_STRING); /* only nulls */
    assert_int_equal(dl_source_field_index(src, "NAME_EN"), 1);
    assert_int_equal(dl_source_field_index(src, "population_density_2020"), 6);
    assert_int_equal(dl_source_field_index(src, "absent"), -1);

    /* Polygon with a hole: outer ring clockwise, hole counter-clockwise. */
    const dl_feature *f = next_ok(src);
    assert_non_null(f);
    assert_int_equal(f->id, 0);
    assert_int_equal(f->geom.type, DL_GEOM_POLYGON);
    assert_int_equal(f->geom.nparts, 2);
    assert_int_equal(f->geom.npoints, 10);
    assert_int_equal(f->geom.hole[0], 0);
    assert_int_equal(f->geom.hole[1], 1);
    assert_true(dl_geom_ring_area(&f->geom, 0) < 0);
    assert_true(dl_geom_ring_area(&f->geom, 1) > 0);
    assert_string_value(src, f, "name", "淀山湖");
    assert_int_equal(value(src, f, "pop")->type, DL_VAL_INT);
    assert_int_equal(value(src, f, "pop")->i, 0);
    assert_int_equal(value(src, f, "area")->type, DL_VAL_DOUBLE);
    assert_near(value(src, f, "area")->d, 62);
    assert_string_value(src, f, "code", "101");
    assert_int_equal(value(src, f, "ok")->type, DL_VAL_BOOL);
    assert_int_equal(value(src, f, "ok")->i, 1);
    assert_near(value(src, f, "population_density_2020")->d, 1.5);
    assert_string_value(src, f, "tags", "[\"water\",\"lake\"]");
    assert_string_value(src, f, "meta", "{\"src\":\"hand\",\"v\":2}");
    assert_int_equal(value(src, f, "nothing")->type, DL_VAL_NULL);

    f = next_ok(src); /* MultiPolygon: two outer rings */
    assert_int_equal(f->id, 1);
    assert_int_equal(f->geom.type, DL_GEOM_POLYGON);
    assert_int_equal(f->geom.nparts, 2);
    assert_int_equal(f->geom.hole[0] + f->geom.hole[1], 0);
    assert_near(value(src, f, "area")->d, 138.5);
    assert_string_value(src, f, "code", "A2");
    assert_int_equal(value(src, f, "ok")->i, 0);
    assert_int_equal(value(src, f, "population_density_2020")->type, DL_VAL_NULL);

    f = next_ok(src); /* LineString; the altitude is ignored */
    assert_int_equal(f->geom.type, DL_GEOM_LINE);
    assert_int_equal(f->geom.nparts, 1);
    assert_int_equal(f->geom.npoints, 3);
    assert_near(f->geom.xy[2], 121.05);
    assert_near(f->geom.xy[3], 31.16);
    assert_int_equal(value(src, f, "pop")->type, DL_VAL_NULL);

    f = next_ok(src); /* MultiLineString */
    assert_int_equal(f->geom.type, DL_GEOM_LINE);
    assert_int_equal(f->geom.nparts, 2);
    assert_int_equal(f->geom.part_start[1], 2);
    assert_int_equal(f->geom.npoints, 5);

    f = next_ok(src); /* Point */
    assert_int_equal(f->geom.type, DL_GEOM_POINT);
    assert_int_equal(f->geom.npoints, 1);
    assert_near(f->geom.xy[0], 121.124);
    assert_near(f->geom.xy[1], 31.150);

    f = next_ok(src); /* MultiPoint: one part, every vertex a point */
    assert_int_equal(f->geom.type, DL_GEOM_POINT);
    assert_int_equal(f->geom.nparts, 1);
    assert_int_equal(f->geom.npoints, 2);
    assert_string_value(src, f, "name_en", "Stations");

    /* Feature 6 has a null geometry and is skipped; the GeometryCollection
     * comes once per type, with the same id and properties. */
    f = next_ok(src);
    assert_int_equal(f->id, 7);
    assert_int_equal(f->geom.type, DL_GEOM_POINT);
    assert_int_equal(f->geom.npoints, 1);
    assert_string_value(src, f, "name", "集合");
    f = next_ok(src);
    assert_int_equal(f->id, 7);
    assert_int_equal(f->geom.type, DL_GEOM_LINE);
    assert_int_equal(f->geom.npoints, 2);
    assert_string_value(src, f, "name", "集合");
    assert_null(next_ok(src));
    assert_null(next_ok(src));

    assert_int_equal(dl_source_rewind(ctx, src), DLINE_OK);
    int n = 0;
    while (next_ok(src))
        n++;
    assert_int_equal(n, 8);
    dl_source_free(src);
}

static void test_csv_sites(void **state)
{
    dl_source *src = open_opt("data/sites.csv", NULL);
    assert_int_equal(dl_source_get_kind(src), DL_SOURCE_CSV);
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POINT);
    assert_string_equal(dl_source_shape_type_name(src), "Point");
    assert_int_equal(dl_source_record_count(src), 5);
    assert_int_equal(dl_source_null_count(src), 1);
    assert_string_equal(dl_source_encoding(src), "UTF-8");
    assert_string_equal(dl_source_encoding_origin(src), "bom");
    dl_bbox b = dl_source_bounds(src);
    assert_near(b.xmin, 120.959);
    assert_near(b.ymin, 31.098);
    assert_near(b.xmax, 121.19);
    assert_near(b.ymax, 31.15);
    /* Longitude and LAT are the coordinates, not fields. */
    assert_int_equal(dl_source_field_count(src), 5);
    assert_field(src, 0, "name", DL_VAL_STRING);
    assert_field(src, 1, "pop", DL_VAL_INT);
    assert_field(src, 2, "score", DL_VAL_DOUBLE);
    assert_field(src, 3, "note", DL_VAL_STRING);
    assert_field(src, 4, "very_long_column_name", DL_VAL_STRING);
    assert_int_equal(dl_source_field_index(src, "longitude"), -1);

    const dl_feature *f = next_ok(src);
    assert_int_equal(f->id, 0);
    assert_int_equal(f->geom.type, DL_GEOM_POINT);
    assert_near(f->geom.xy[0], 121.124);
    assert_near(f->geom.xy[1], 31.150);
    assert_string_value(src, f, "name", "青浦");
    assert_int_equal(value(src, f, "pop")->i, 120000);
    assert_near(value(src, f, "score")->d, 4.5);
    assert_string_value(src, f, "note", "town, centre");
    assert_string_value(src, f, "very_long_column_name", "x1");

    f = next_ok(src);
    assert_string_value(src, f, "name", "朱家角");
    assert_near(value(src, f, "score")->d, 3);
    assert_string_value(src, f, "note", "the \"old\" town");
    assert_int_equal(value(src, f, "very_long_column_name")->type, DL_VAL_NULL);

    f = next_ok(src);
    assert_int_equal(value(src, f, "pop")->type, DL_VAL_NULL);
    assert_string_value(src, f, "note", "two\nlines");

    f = next_ok(src); /* the row without coordinates is skipped */
    assert_int_equal(f->id, 4);
    assert_string_value(src, f, "name", "淀山湖");
    assert_near(f->geom.xy[1], 31.110); /* " 31.110 " */
    assert_near(value(src, f, "score")->d, 10);
    assert_null(next_ok(src));
    dl_source_free(src);
}

static void test_csv_gbk(void **state)
{
    dl_source_options opt = {.encoding = "gbk", .lon = "经度", .lat = "纬度"};
    dl_source *src = open_opt("data/gbk_points.csv", &opt);
    assert_string_equal(dl_source_encoding(src), "GBK");
    assert_string_equal(dl_source_encoding_origin(src), "style");
    assert_int_equal(dl_source_field_count(src), 2);
    assert_field(src, 0, "编号", DL_VAL_INT);
    assert_field(src, 1, "名称", DL_VAL_STRING);
    const dl_feature *f = next_ok(src);
    assert_string_value(src, f, "名称", "青浦区");
    f = next_ok(src);
    assert_string_value(src, f, "名称", "淀山湖, 西岸");
    assert_near(f->geom.xy[0], 120.959);
    assert_int_equal(value(src, f, "编号")->i, 2);
    assert_non_null(next_ok(src));
    assert_null(next_ok(src));
    dl_source_free(src);
}

/* Writes text to a temporary file with the given extension; returns its
 * path (static buffer). */
static const char *temp_file(const char *ext, const char *text)
{
    static char path[64];
    static int n;
    snprintf(path, sizeof path, "/tmp/dline-text-%ld-%d%s", (long)getpid(), n++, ext);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
    return path;
}

static void test_geojson_forms(void **state)
{
    /* A bare geometry and a single Feature are one feature each. */
    const char *p = temp_file(".json", "{\"type\": \"MultiPoint\", \"coordinates\": [[1, 2], [3, 4]]}");
    dl_source *src = open_opt(p, NULL);
    assert_int_equal(dl_source_record_count(src), 1);
    assert_int_equal(dl_source_field_count(src), 0);
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POINT);
    assert_string_equal(dl_source_shape_type_name(src), "MultiPoint");
    const dl_feature *f = next_ok(src);
    assert_int_equal(f->geom.npoints, 2);
    assert_null(next_ok(src));
    dl_source_free(src);
    unlink(p);

    p = temp_file(".GeoJSON", "\xef\xbb\xbf{\"type\": \"Feature\", \"properties\": {\"n\": 12345678901},"
                              " \"geometry\": {\"type\": \"Polygon\", \"coordinates\": []}}");
    src = open_opt(p, NULL);
    assert_int_equal(dl_source_record_count(src), 1);
    assert_int_equal(dl_source_null_count(src), 1); /* empty coordinates read as null */
    assert_string_equal(dl_source_shape_type_name(src), "None");
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_NONE);
    assert_true(dl_bbox_is_empty(dl_source_bounds(src)));
    assert_field(src, 0, "n", DL_VAL_INT);
    assert_null(next_ok(src));
    dl_source_free(src);
    unlink(p);

    /* A ring wound the RFC 7946 way and one wound the other way both read
     * as outer rings (clockwise, the shapefile rule). */
    p = temp_file(".geojson",
                  "{\"type\": \"FeatureCollection\", \"features\": ["
                  "{\"type\": \"Feature\", \"properties\": null, \"geometry\": {\"type\": "
                  "\"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,0]]]}},"
                  "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": {\"type\": "
                  "\"Polygon\", \"coordinates\": [[[0,0],[1,1],[1,0],[0,0]]]}}]}");
    src = open_opt(p, NULL);
    assert_int_equal(dl_source_geom_type(src), DL_GEOM_POLYGON);
    for (int i = 0; i < 2; i++) {
        f = next_ok(src);
        assert_true(dl_geom_ring_area(&f->geom, 0) < 0);
    }
    dl_source_free(src);
    unlink(p);

    /* 'features' before 'type' (checked after the scan), a single-quoted
     * key (json-c takes it), other members, a Feature with a 'features'
     * member (not a collection); read twice through a rewind. */
    p = temp_file(".geojson",
                  "{\"features\": [{\"type\": \"Feature\", \"properties\": {\"n\": 1}, "
                  "\"geometry\": {\"type\": \"Point\", \"coordinates\": [1, 2]}}, "
                  "{\"type\": \"Feature\", \"properties\": {\"n\": 2.5}, \"geometry\": null}],"
                  " \"bbox\": [1, 2, 1, 2], 'type': \"FeatureCollection\"}");
    src = open_opt(p, NULL);
    assert_int_equal(dl_source_record_count(src), 2);
    assert_int_equal(dl_source_null_count(src), 1);
    assert_field(src, 0, "n", DL_VAL_DOUBLE);
    for (int pass = 0; pass < 2; pass++) {
        f = next_ok(src);
        assert_int_equal(f->id, 0);
        assert_near(f->geom.xy[1], 2);
        assert_near(f->values[0].d, 1);
        assert_null(next_ok(src));
        assert_int_equal(dl_source_rewind(ctx, src), DLINE_OK);
    }
    dl_source_free(src);
    unlink(p);
    p = temp_file(".geojson", "{\"type\": \"Feature\", \"features\": [1, {}], \"properties\": "
                              "{\"s\": \"a\"}, \"geometry\": {\"type\": \"Point\", "
                              "\"coordinates\": [3, 4]}}");
    src = open_opt(p, NULL);
    assert_int_equal(dl_source_record_count(src), 1);
    f = next_ok(src);
    assert_near(f->geom.xy[0], 3);
    assert_string_value(src, f, "s", "a");
    assert_null(next_ok(src));
    dl_source_free(src);
    unlink(p);
}

static void test_csv_forms(void **state)
{
    /* CRLF, a quoted header, blank lines, x/y columns, a CRS that is not
     * longitude/latitude (no range check), a column of mixed ints and text. */
    const char *p = temp_file(".CSV", "\"id\",X,Y\r\n\r\n1,500000,3400000\r\nA7,500100,3400100\r\n");
    dl_source_options opt = {.crs = "EPSG:4549"};
    dl_source *src = open_opt(p, &opt);
    assert_int_equal(dl_source_record_count(src), 2);
    assert_field(src, 0, "id", DL_VAL_STRING);
    const dl_feature *f = next_ok(src);
    assert_string_value(src, f, "id", "1");
    assert_near(f->geom.xy[1], 3400000);
    f = next_ok(src);
    assert_string_value(src, f, "id", "A7");
    assert_null(next_ok(src));
    dl_source_free(src);

    /* The same file as EPSG:4326 has latitudes out of range. */
    dl_source *bad = NULL;
    assert_int_equal(dl_source_open_ex(ctx, p, NULL, &bad), DLINE_EDATA);
    assert_null(bad);
    char want[128];
    snprintf(want, sizeof want, "%s:3: latitude 3400000 is outside -90..90", p);
    assert_string_equal(dline_ctx_message(ctx), want);
    unlink(p);
}

typedef struct {
    const char *ext, *text;
    const char *encoding, *lon, *lat;
    const char *message; /* after "PATH" */
} bad_case;

static void test_errors(void **state)
{
    static const bad_case cases[] = {
        {".geojson", "", 0, 0, 0, ": empty file, not GeoJSON"},
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [", 0, 0, 0,
         ":1:44: the JSON text ends early (a truncated file?)"},
        {".geojson", "{\"type\": \"FeatureCollection\",\n \"features\": [}", 0, 0, 0,
         ":2:15: invalid JSON: unexpected character"},
        {".geojson", "{\"type\": \"Point\", \"coordinates\": [1, 2]} x", 0, 0, 0,
         ":1:42: invalid JSON: more data after the top-level value"},
        {".geojson", "{\"type\": \"Point\", \"coordinates\": [1, \"\xff\"]}", 0, 0, 0,
         ":1:39: invalid JSON: invalid utf-8 string"},
        {".geojson", "[]", 0, 0, 0, ": not GeoJSON: the top level is not an object"},
        {".geojson", "{\"features\": []}", 0, 0, 0, ": not GeoJSON: the top level has no 'type'"},
        {".geojson", "{\"type\": \"FeatureCollection\"}", 0, 0, 0,
         ": a FeatureCollection without a 'features' array"},
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [1]}", 0, 0, 0,
         ": feature 0: not an object"},
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Point\"}]}",
         0, 0, 0, ": feature 0: type 'Point', expected 'Feature'"},
        {".geojson", "{\"type\": \"Feature\", \"properties\": [1], \"geometry\": null}", 0, 0, 0,
         ": feature 0: 'properties' is neither an object nor null"},
        {".geojson", "{\"type\": \"Point\", \"coordinates\": [1]}", 0, 0, 0,
         ": feature 0: position 0 is not an array of 2 or more numbers"},
        {".geojson", "{\"type\": \"LineString\", \"coordinates\": [[1, 2]]}", 0, 0, 0,
         ": feature 0: a LineString has 1 position (it needs 2 or more)"},
        {".geojson", "{\"type\": \"LineString\", \"coordinates\": [[1, 2], [1e999, 3]]}", 0, 0, 0,
         ": feature 0: position 1: coordinate 0 is not finite"},
        {".geojson", "{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,1]]]}", 0, 0,
         0, ": feature 0: ring 0 is not closed (its first and last positions differ)"},
        {".geojson", "{\"type\": \"MultiPolygon\", \"coordinates\": [[[[0,0],[1,0],[1,1],[0,0]]], "
                     "[[[0,0],[1,0],[0,0]]]]}", 0, 0, 0,
         ": feature 0: ring 1 has 3 positions (a ring needs 4 or more)"},
        {".geojson", "{\"type\": \"GeometryCollection\"}", 0, 0, 0,
         ": feature 0: a GeometryCollection without a 'geometries' array"},
        {".geojson", "{\"type\": \"Point\"}", 0, 0, 0,
         ": feature 0: a Point without a 'coordinates' array"},
        {".geojson", "{\"type\": \"Polygon\", \"coordinates\": [1]}", 0, 0, 0,
         ": feature 0: a ring is not an array"},
        /* Read feature by feature, the errors keep the order of a whole
         * document's parse: the syntax anywhere, then the top level, then
         * the first feature. */
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Point\"}, x]}",
         0, 0, 0, ":1:63: invalid JSON: unexpected character"},
        {".geojson", "{\"type\": \"Topology\", \"features\": [1]}", 0, 0, 0,
         ": unsupported GeoJSON type 'Topology' (expected FeatureCollection, Feature or a "
         "geometry)"},
        {".geojson", "{\"features\": [1], \"type\": \"FeatureCollection\"}", 0, 0, 0,
         ": feature 0: not an object"},
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [1 2]}", 0, 0, 0,
         ":1:46: invalid JSON: array value separator ',' expected"},
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [],}", 0, 0, 0,
         ":1:46: invalid JSON: unexpected character"},
        {".geojson", "{\"type\" \"FeatureCollection\"}", 0, 0, 0,
         ":1:9: invalid JSON: object property name separator ':' expected"},
        {".geojson", "{\"type\": \"Point\" \"coordinates\": []}", 0, 0, 0,
         ":1:18: invalid JSON: object value separator ',' expected"},
        {".geojson", "{type: \"Point\"}", 0, 0, 0,
         ":1:2: invalid JSON: quoted object property name expected"},
        {".geojson", "{\"type\": \"Point\", \"coordinates\": [1, 2]}\xc3", 0, 0, 0,
         ":1:41: invalid JSON: invalid utf-8 string"},
        /* json-c kept the last of two members with one name; the reader
         * refuses a second 'type' or 'features', which readers disagree on. */
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [],\n \"type\": \"Point\"}",
         0, 0, 0, ":2:2: not GeoJSON: the top level has a second 'type' member"},
        {".geojson", "{\"type\": \"FeatureCollection\", \"features\": [], \"fe\\u0061tures\": 1}",
         0, 0, 0, ":1:47: not GeoJSON: the top level has a second 'features' member"},
        {".csv", "", 0, 0, 0, ": empty file: no header row"},
        {".csv", "lon,lat,\n", 0, 0, 0, ":1: column 3 has no name"},
        {".csv", "lon,lat,a,a\n", 0, 0, 0, ":1: column 'a' appears twice"},
        {".csv", "lon,lat\n1,2\n3\n", 0, 0, 0, ":3: 1 field, but the header has 2"},
        {".csv", "lon,lat\n1,\n", 0, 0, 0, ":2: the latitude is empty"},
        {".csv", "lon,lat\n,1\n", 0, 0, 0, ":2: the longitude is empty"},
        {".csv", "lon,lat\n1,inf\n", 0, 0, 0, ":2: latitude 'inf' is not a number"},
        {".csv", "lon,lat,n\n1,2,\"a\"b\n", 0, 0, 0, ":2: text after the closing quote of a field"},
        {".csv", "lon,lat,n\n1,2,\"a\n\n", 0, 0, 0, ":2: a quoted field is not closed"},
        {".csv", "lon,lat,n\n1,2,a\0b\n", 0, 0, 0, ":2: a NUL byte; not a text file"},
        {".csv", "lon,lat,n\n1,2,\xe9t\xe9\n", 0, 0, 0,
         ":2: not valid UTF-8 (give the source its 'encoding' in the style, e.g. GBK)"},
        {".csv", "lon,lat\n", "NO-SUCH-CODE", 0, 0, ": unknown encoding 'NO-SUCH-CODE'"},
        {".csv", "a,b\n", 0, "a", "a", ":1: column 'a' is both longitude and latitude"},
        {".csv", "a,b\n", 0, "a", "c", ":1: no column 'c' (the style's 'lat')"},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        /* NUL bytes: the one case with one writes it through its length. */
        const char *p;
        if (strstr(c->message, "NUL")) {
            p = temp_file(c->ext, "");
            FILE *fp = fopen(p, "wb");
            assert_non_null(fp);
            fwrite("lon,lat,n\n1,2,a\0b\n", 1, 18, fp);
            fclose(fp);
        } else {
            p = temp_file(c->ext, c->text);
        }
        dline_ctx *local = dline_ctx_new();
        dl_source_options opt = {.encoding = c->encoding, .lon = c->lon, .lat = c->lat};
        dl_source *src = NULL;
        dline_status st = dl_source_open_ex(local, p, &opt, &src);
        char want[512];
        snprintf(want, sizeof want, "%s%s", p, c->message);
        if (st == DLINE_OK || strcmp(dline_ctx_message(local), want) != 0) {
            print_error("case %zu: status %d\n  got:      %s\n  expected: %s\n", i, st,
                        dline_ctx_message(local), want);
            dl_source_free(src);
            dline_ctx_free(local);
            unlink(p);
            failed++;
            continue;
        }
        dline_ctx_free(local);
        unlink(p);
    }
    assert_int_equal(failed, 0);
}

static void test_kind_from_path(void **state)
{
    assert_int_equal(dl_source_kind_from_path("a/b.shp"), DL_SOURCE_SHAPEFILE);
    assert_int_equal(dl_source_kind_from_path("a/b"), DL_SOURCE_SHAPEFILE);
    assert_int_equal(dl_source_kind_from_path("a.d/b"), DL_SOURCE_SHAPEFILE);
    assert_int_equal(dl_source_kind_from_path("b.GeoJSON"), DL_SOURCE_GEOJSON);
    assert_int_equal(dl_source_kind_from_path("b.json"), DL_SOURCE_GEOJSON);
    assert_int_equal(dl_source_kind_from_path("b.Csv"), DL_SOURCE_CSV);
    /* An explicit kind wins over the extension. */
    const char *p = temp_file(".txt", "lng,latitude,name\n121,31,a\n");
    dl_source_options opt = {.kind = DL_SOURCE_CSV};
    dl_source *src = open_opt(p, &opt);
    assert_int_equal(dl_source_record_count(src), 1);
    dl_source_free(src);
    unlink(p);
}

int main(void)
{
    const char *dir = getenv("DLINE_TEST_DATA");
    if (dir && chdir(dir) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_geojson_mixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_sites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_gbk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_geojson_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kind_from_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
