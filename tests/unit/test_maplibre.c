/* MapLibre style JSON read as a dline style (src/style/maplibre.c): how a
 * style is recognised, sources and inline GeoJSON, center/zoom as an extent,
 * each warning's exact text and errors with line:column. Runs from tests/. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source/source.h"
#include "style/maplibre.h"
#include "style/style.h"
#include "style/yaml.h"
#include "style_fixture.h"

/* Every warning of a load, one a line, with the fixture's path cut off. */
typedef struct {
    const char *path;
    char text[8192];
} warnings;

static void collect(const char *message, void *user)
{
    warnings *w = user;
    size_t pl = strlen(w->path), used = strlen(w->text);
    if (strncmp(message, w->path, pl) == 0)
        message += pl;
    snprintf(w->text + used, sizeof w->text - used, "%s\n", message);
}

static dl_style *load_json(fixture *fx, const char *json, warnings *w)
{
    if (w) {
        w->path = fx->path;
        w->text[0] = '\0';
        dline_ctx_set_warning_handler(fx->ctx, collect, w);
    }
    dl_style *s = load_text(fx, json);
    dline_ctx_set_warning_handler(fx->ctx, NULL, NULL);
    return s;
}

/* The error of loading json, without the path: ":3:5: ..." */
static void expect_error_at(fixture *fx, const char *json, const char *msg, int line)
{
    write_file(fx->path, json, strlen(json));
    dl_style *s = (dl_style *)1;
    dline_ctx_clear(fx->ctx);
    dline_status st = dl_style_load(fx->ctx, fx->path, &s);
    char want[2048];
    snprintf(want, sizeof want, "%s%s", fx->path, msg);
    if (st != DLINE_ESTYLE || s != NULL || strcmp(dline_ctx_message(fx->ctx), want) != 0) {
        print_error("case at test_maplibre.c:%d\n  got:      %s\n  expected: %s\n", line,
                    dline_ctx_message(fx->ctx), want);
        fx->failures++;
    }
}
#define expect_error(fx, json, msg) expect_error_at(fx, json, msg, __LINE__)

static void all_passed(fixture *fx)
{
    int n = fx->failures;
    fx->failures = 0;
    if (n)
        fail_msg("%d case(s) failed", n);
}

static int detect_text(fixture *fx, const char *path, const char *text)
{
    dl_yaml_doc *doc;
    assert_int_equal(dl_yaml_parse(fx->ctx, path, text, strlen(text), NULL, &doc), DLINE_OK);
    int r = dl_maplibre_detect(path, dl_yaml_root(doc));
    dl_yaml_doc_free(doc);
    return r;
}

static void test_detect(void **state)
{
    fixture *fx = *state;
    assert_true(detect_text(fx, "a.yaml", "{\"version\": 8, \"layers\": []}"));
    /* tab indentation, as JSON files often have */
    assert_true(detect_text(fx, "a.yaml", "{\n\t\"version\": 8,\n\t\"layers\": []\n}\n"));
    assert_true(detect_text(fx, "a.JSON", "{\"name\": \"x\"}"));
    assert_true(detect_text(fx, "dir.json/a.json", "size: [1, 2]\n"));
    assert_false(detect_text(fx, "a.yaml", "{\"version\": 8}"));
    assert_false(detect_text(fx, "a.yaml", "layers: []\n"));
    assert_false(detect_text(fx, "a.json", "[1, 2]"));
    assert_false(detect_text(fx, "json", "{\"a\": 1}"));
}

static void test_sources(void **state)
{
    fixture *fx = *state;
    warnings w;
    dl_style *s = load_json(fx,
        "{\"version\": 8,\n"
        " \"sources\": {\n"
        "  \"a\": {\"type\": \"geojson\", \"data\": \"data/a.geojson\", \"maxzoom\": 14},\n"
        "  \"b\": {\"type\": \"shapefile\", \"data\": \"/abs/b.shp\", \"encoding\": \"GBK\"},\n"
        "  \"c\": {\"type\": \"csv\", \"path\": \"c.txt\", \"lon\": \"x1\", \"lat\": \"y1\",\n"
        "        \"crs\": \"GCJ-02\"}\n"
        " },\n"
        " \"layers\": [{\"id\": \"a\", \"type\": \"fill\", \"source\": \"a\"}]}\n",
        &w);
    assert_string_equal(w.text, "");
    assert_int_equal(s->nsources, 3);
    char want[256];
    snprintf(want, sizeof want, "%s/data/a.geojson", fx->dir);
    assert_string_equal(s->sources[0].path, want);
    assert_int_equal(s->sources[0].type, DL_SOURCE_GEOJSON);
    assert_null(s->sources[0].data);
    assert_int_equal(s->sources[0].line, 3);
    assert_int_equal(s->sources[0].col, 3);
    assert_string_equal(s->sources[1].path, "/abs/b.shp");
    assert_int_equal(s->sources[1].type, DL_SOURCE_SHAPEFILE);
    assert_string_equal(s->sources[1].encoding, "GBK");
    snprintf(want, sizeof want, "%s/c.txt", fx->dir);
    assert_string_equal(s->sources[2].path, want);
    assert_int_equal(s->sources[2].type, DL_SOURCE_CSV);
    assert_string_equal(s->sources[2].lon, "x1");
    assert_string_equal(s->sources[2].lat, "y1");
    assert_string_equal(s->sources[2].crs, "GCJ-02");
    /* No center or zoom: the layers are fitted, as in dline. */
    assert_false(s->has_view);
    assert_false(s->has_extent);
    assert_string_equal(s->crs, "EPSG:3857");
    dl_style_free(s);
}

static void test_inline_data(void **state)
{
    fixture *fx = *state;
    /* Quoted scalars are strings ("7", "true"), plain ones numbers and
     * literals; escapes and UTF-8 come back as JSON. */
    dl_style *s = load_json(fx,
        "{\"version\": 8,\n"
        " \"sources\": {\"p\": {\"type\": \"geojson\", \"data\": {\n"
        "   \"type\": \"FeatureCollection\", \"features\": [\n"
        "    {\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [121.5, -31]},\n"
        "     \"properties\": {\"s\": \"7\", \"n\": 7, \"t\": \"true\", \"b\": true, \"z\": null,\n"
        "                    \"e\": \"a\\\"b\\\\c\\n\\t\\u0001/\\u00e9\", \"f\": -1.5e3, \"k\": \"青浦\",\n"
        "                    \"a\": [1, \"x\", {}], \"o\": {\"x\": []}}}]}}},\n"
        " \"layers\": [{\"id\": \"p\", \"type\": \"circle\", \"source\": \"p\"}]}\n",
        NULL);
    const dl_style_source *src = &s->sources[0];
    const char *json =
        "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":"
        "{\"type\":\"Point\",\"coordinates\":[121.5,-31]},\"properties\":{\"s\":\"7\",\"n\":7,"
        "\"t\":\"true\",\"b\":true,\"z\":null,\"e\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\","
        "\"f\":-1.5e3,\"k\":\"\xe9\x9d\x92\xe6\xb5\xa6\",\"a\":[1,\"x\",{}],\"o\":{\"x\":[]}}}]}";
    assert_non_null(src->data);
    assert_string_equal(src->data, json);
    assert_int_equal(src->data_len, strlen(json));
    assert_int_equal(src->type, DL_SOURCE_GEOJSON);
    /* Named by where the object is written. */
    char want[256];
    snprintf(want, sizeof want, "%s:2:47", fx->path);
    assert_string_equal(src->path, want);

    /* The GeoJSON reader reads it from memory with the types it says. */
    dl_source_options opt = {.kind = DL_SOURCE_GEOJSON, .data = src->data,
                             .data_len = src->data_len};
    dl_source *g;
    assert_int_equal(dl_source_open_ex(fx->ctx, src->path, &opt, &g), DLINE_OK);
    assert_int_equal(dl_source_record_count(g), 1);
    struct {
        const char *name;
        dl_value_type type;
    } fields[] = {{"s", DL_VAL_STRING}, {"n", DL_VAL_INT},    {"t", DL_VAL_STRING},
                  {"b", DL_VAL_BOOL},   {"f", DL_VAL_DOUBLE}, {"e", DL_VAL_STRING}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        long k = dl_source_field_index(g, fields[i].name);
        assert_true(k >= 0);
        assert_int_equal(dl_source_field(g, (size_t)k)->type, fields[i].type);
    }
    const dl_feature *f;
    assert_int_equal(dl_source_next(fx->ctx, g, &f), DLINE_OK);
    assert_non_null(f);
    assert_true(f->geom.xy[0] == 121.5 && f->geom.xy[1] == -31);
    long e = dl_source_field_index(g, "e");
    assert_string_equal(f->values[e].s, "a\"b\\c\n\t\x01/\xc3\xa9");
    dl_source_free(g);
    dl_style_free(s);

    /* Errors of the data itself are the reader's, at the object. */
    opt.data = "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\"}}";
    opt.data_len = strlen(opt.data);
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_source_open_ex(fx->ctx, "s.json:4:9", &opt, &g), DLINE_EDATA);
    assert_string_equal(dline_ctx_message(fx->ctx),
                        "s.json:4:9: feature 0: a Point without a 'coordinates' array");
    /* Only GeoJSON is read from memory. */
    opt.kind = DL_SOURCE_CSV;
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_source_open_ex(fx->ctx, "x.csv", &opt, &g), DLINE_EUSAGE);
    assert_string_equal(dline_ctx_message(fx->ctx), "x.csv: data in memory must be GeoJSON");
}

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void test_view(void **state)
{
    fixture *fx = *state;
    double e[4];
    /* Zoom 0 on 512 x 512 px is the whole Web Mercator square: 512 px of
     * 78271.51696402048 m = 2 pi R, so longitude -180..180, and y = +-pi R
     * gives latitude 2 atan(e^pi) - 90 deg = 85.0511287798066. */
    dl_maplibre_extent((double[]){0, 0}, 0, 512, 512, e);
    assert_true(near(e[0], -180) && near(e[2], 180));
    assert_true(near(e[1], -85.0511287798066) && near(e[3], 85.0511287798066));
    /* Zoom 2: the world is 2048 px wide, so 128 px either side of the centre
     * is 360 / 2048 * 128 = 22.5 deg; 64 px up is y = pi R / 16, latitude
     * 2 atan(e^(pi/16)) - 90 deg = 11.178401873711785. */
    dl_maplibre_extent((double[]){0, 0}, 2, 256, 128, e);
    assert_true(near(e[0], -22.5) && near(e[2], 22.5));
    assert_true(near(e[1], -11.178401873711785) && near(e[3], 11.178401873711785));
    /* Off the equator the box is symmetric in Mercator y, not in latitude:
     * centre 45 deg at zoom 2 is y = R ln(tan(67.5 deg)) = 0.881374 R; 64 px
     * is pi/16 R = 0.196350 R, so 2 atan(e^(0.881374 +- 0.196350)) - 90 deg. */
    dl_maplibre_extent((double[]){10, 45}, 2, 256, 128, e);
    assert_true(near(e[0], -12.5) && near(e[2], 32.5));
    double y = log(tan(M_PI / 4 + M_PI / 8));
    assert_true(near(e[1], (2 * atan(exp(y - M_PI / 16)) - M_PI / 2) * 180 / M_PI));
    assert_true(near(e[3], (2 * atan(exp(y + M_PI / 16)) - M_PI / 2) * 180 / M_PI));
    /* Past the edges of the world it is clamped. */
    dl_maplibre_extent((double[]){170, 84}, 1, 512, 512, e);
    assert_true(near(e[2], 180) && near(e[3], 85.0511287798066));

    /* In a style: the size comes from metadata.dline. */
    dl_style *s = load_json(fx,
        "{\"version\": 8, \"center\": [0, 0], \"zoom\": 2,\n"
        " \"metadata\": {\"dline\": {\"size\": [256, 128], \"title\": \"T\"}, \"other\": 1},\n"
        " \"sources\": {}, \"layers\": []}\n",
        NULL);
    assert_true(s->has_view && s->has_extent);
    assert_true(near(s->extent[0], -22.5) && near(s->extent[3], 11.178401873711785));
    assert_string_equal(s->title.text, "T");
    /* A bigger map shows more at the same zoom (what --size does). */
    s->width = 512;
    dl_style_apply_view(s);
    assert_true(near(s->extent[0], -45) && near(s->extent[2], 45));
    dl_style_free(s);

    /* zoom alone: MapLibre's centre [0, 0]; a dline extent or fit wins. */
    s = load_json(fx, "{\"version\": 8, \"zoom\": 0, \"metadata\": {\"dline\": {\"size\": [512, 512]}},"
                      " \"layers\": []}\n", NULL);
    assert_true(s->has_view && near(s->extent[2], 180));
    dl_style_free(s);
    s = load_json(fx, "{\"version\": 8, \"center\": [1, 2], \"zoom\": 3,\n"
                      " \"metadata\": {\"dline\": {\"extent\": [120, 30, 122, 32]}}, \"layers\": []}\n",
                  NULL);
    assert_false(s->has_view);
    assert_true(near(s->extent[0], 120) && near(s->extent[3], 32));
    dl_style_free(s);
}

static void test_warnings(void **state)
{
    fixture *fx = *state;
    warnings w;
    dl_style *s = load_json(fx,
        "{\n"
        "\t\"version\": 8, \"name\": \"n\", \"bearing\": 30, \"pitch\": 0,\n"
        "\t\"terrain\": {\"source\": \"dem\"}, \"projection\": {\"type\": \"globe\"},\n"
        "\t\"sprite\": \"https://x/sprite\", \"glyphs\": \"https://x/{fontstack}/{range}.pbf\",\n"
        "\t\"light\": {}, \"sky\": {}, \"transition\": {}, \"size\": [10, 10], \"fog\": {},\n"
        "\t\"sources\": {\n"
        "\t\t\"v\": {\"type\": \"vector\", \"url\": \"https://x/tiles.json\"},\n"
        "\t\t\"dem\": {\"type\": \"raster-dem\", \"url\": \"https://x/dem.json\"},\n"
        "\t\t\"web\": {\"type\": \"geojson\", \"data\": \"https://x/a.geojson\"},\n"
        "\t\t\"g\": {\"type\": \"geojson\", \"data\": \"a.geojson\", \"cluster\": true,\n"
        "\t\t       \"filter\": [\"has\", \"a\"], \"tolerance\": 0.5, \"wrap\": 1}\n"
        "\t},\n"
        "\t\"layers\": [\n"
        "\t\t{\"id\": \"roads\", \"type\": \"line\", \"source\": \"v\", \"source-layer\": \"r\"},\n"
        "\t\t{\"id\": \"hills\", \"type\": \"hillshade\", \"source\": \"dem\"},\n"
        "\t\t{\"id\": \"web\", \"type\": \"fill\", \"source\": \"web\"},\n"
        "\t\t{\"id\": \"gone\", \"type\": \"fill\", \"source\": \"g\", \"layout\": {\"visibility\": \"none\"}},\n"
        "\t\t{\"id\": \"a\", \"type\": \"fill\", \"source\": \"g\", \"source-layer\": \"x\",\n"
        "\t\t \"metadata\": {}, \"interactive\": true,\n"
        "\t\t \"layout\": {\"visibility\": \"visible\", \"fill-sort-key\": 1},\n"
        "\t\t \"paint\": {\"fill-antialias\": false, \"fill-translate\": [1, 2], \"fill-color\": \"red\"}},\n"
        "\t\t{\"id\": \"p\", \"type\": \"symbol\", \"source\": \"g\",\n"
        "\t\t \"layout\": {\"icon-image\": \"airport-15\", \"text-field\": \"{name}\",\n"
        "\t\t            \"text-font\": [\"Open Sans Bold\", \"Arial Unicode MS Regular\"]}},\n"
        "\t\t{\"id\": \"q\", \"type\": \"symbol\", \"source\": \"g\",\n"
        "\t\t \"layout\": {\"icon-image\": [\"get\", \"icon\"], \"text-field\": \"$name\"}}\n"
        "\t]\n"
        "}\n",
        &w);
    assert_string_equal(
        w.text,
        ":2:40: 'bearing' 30 is not supported: the map is drawn north up\n"
        ":3:2: 'terrain' is not supported: the map is drawn flat\n"
        ":3:55: 'projection' 'globe' is not supported: the map is drawn in its 'crs'\n"
        ":5:44: 'size' is ignored: in a MapLibre style dline keys go under \"metadata\": "
        "{\"dline\": {...}}\n"
        ":5:62: unknown key 'fog' is ignored\n"
        ":7:17: source 'v': type 'vector' is not supported; layers using it are skipped\n"
        ":8:19: source 'dem': type 'raster-dem' is not supported; layers using it are skipped\n"
        ":9:38: source 'web': 'data' is a URL and dline reads local files only; layers using it "
        "are skipped\n"
        ":10:49: source 'g': 'cluster' is not supported; points are drawn one by one\n"
        ":11:10: source 'g': 'filter' is not supported; every feature is read\n"
        ":11:52: source 'g': unknown key 'wrap' is ignored\n"
        ":14:45: layer 'roads': source 'v' (vector) is not supported; the layer is skipped\n"
        ":15:27: layer 'hills': type 'hillshade' is not supported; the layer is skipped\n"
        ":16:43: layer 'web': source 'web' (geojson) is not supported; the layer is skipped\n"
        ":18:46: layer 'a': 'source-layer' is ignored (dline reads no vector tiles)\n"
        ":19:4: layer 'a': 'metadata' is ignored\n"
        ":19:20: layer 'a': unknown key 'interactive' is ignored\n"
        ":20:40: layer 'a': 'fill-sort-key' is not supported and is ignored\n"
        ":21:14: layer 'a': 'fill-antialias' is not supported and is ignored\n"
        ":21:39: layer 'a': 'fill-translate' is not supported and is ignored\n"
        ":23:29: layer 'p': 'icon-image' 'airport-15' is a sprite image, which dline does not "
        "draw (name an .svg file); the icon is left out\n"
        ":26:29: layer 'q': 'icon-image' must name an .svg file; the icon is left out\n");
    /* What is left: one source, two layers; text-font as MapLibre lists it;
     * "$name" is text, not a variable. */
    assert_int_equal(s->nsources, 1);
    assert_string_equal(s->sources[0].name, "g");
    assert_int_equal(s->nlayers, 3);
    assert_string_equal(s->layers[0].id, "a");
    assert_true(s->layers[0].fill_color.r == 1);
    assert_string_equal(s->layers[1].text_font, "Open Sans, Arial Unicode MS");
    assert_string_equal(s->layers[1].text_weight, "bold");
    assert_null(s->layers[1].icon_image);
    assert_string_equal(s->layers[2].text_field, "$name");
    dl_style_free(s);
}

/* An expression operator dline does not implement drops only what uses it:
 * the property (which keeps its default) or, in a filter, the layer; one
 * warning each, at the operator. In YAML it stays an error. */
static void test_unsupported_operators(void **state)
{
    fixture *fx = *state;
    warnings w;
    dl_style *s = load_json(fx,
        "{\"version\": 8,\n"
        " \"sources\": {\"g\": {\"type\": \"geojson\", \"data\": \"a.geojson\"}},\n"
        " \"layers\": [\n"
        "  {\"id\": \"a\", \"type\": \"fill\", \"source\": \"g\", \"paint\": {\n"
        "   \"fill-color\": [\"interpolate-hcl\", [\"linear\"], [\"zoom\"], 5, \"red\", 9, \"blue\"],\n"
        "   \"fill-opacity\": [\"coalesce\", [\"get\", \"o\"], [\"feature-state\", \"o\"]],\n"
        "   \"fill-outline-color\": [\"match\", [\"get\", \"k\"], [\"image\", \"format\"], \"red\", \"blue\"]}},\n"
        "  {\"id\": \"b\", \"type\": \"line\", \"source\": \"g\",\n"
        "   \"filter\": [\"all\", [\"has\", \"x\"], [\"within\", {}]]},\n"
        "  {\"id\": \"c\", \"type\": \"symbol\", \"source\": \"g\", \"layout\": {\n"
        "   \"text-field\": [\"format\", [\"get\", \"name\"], {}], \"text-size\": 20,\n"
        "   \"text-max-width\": [\"interpolate\", [\"cubic-bezier\", 0, 0, 1, 1], [\"zoom\"], 1, 5, 9, 20]}},\n"
        "  {\"id\": \"d\", \"type\": \"line\", \"source\": \"g\",\n"
        "   \"filter\": [\"in\", \"kind\", \"format\", \"image\"], \"paint\": {\n"
        "   \"line-width\": [\"at\", 1, [\"literal\", [1, 2]]],\n"
        "   \"line-offset\": [\"length\", [\"literal\", [\"format\", \"image\"]]],\n"
        "   \"line-gradient\": [\"interpolate\", [\"linear\"], [\"line-progress\"], 0, \"red\", 1, \"blue\"]}}\n"
        " ]}\n",
        &w);
    assert_non_null(s);
    assert_string_equal(
        w.text,
        ":9:37: layer 'b': 'filter' uses expression operator 'within', which is not supported; "
        "the layer is skipped\n"
        ":5:19: layer 'a': 'fill-color' uses expression operator 'interpolate-hcl', which is "
        "not supported; the property takes its default\n"
        ":6:48: layer 'a': 'fill-opacity' uses expression operator 'feature-state', which is "
        "not supported; the property takes its default\n"
        ":11:19: layer 'c': 'text-field' uses expression operator 'format', which is not "
        "supported; the property takes its default\n"
        ":12:39: layer 'c': 'text-max-width' uses interpolation 'cubic-bezier', which is not "
        "supported; the property takes its default\n"
        ":10:3: symbol layer 'c' has no 'text-field' and draws nothing\n"
        ":15:19: layer 'd': 'line-width' uses expression operator 'at', which is not "
        "supported; the property takes its default\n");
    assert_int_equal(s->nlayers, 3);
    const dl_style_layer *a = &s->layers[0], *c = &s->layers[1], *d = &s->layers[2];
    assert_string_equal(a->id, "a");
    assert_string_equal(c->id, "c");
    assert_string_equal(d->id, "d");
    /* Defaults where dropped; what was not dropped is there: a match label
     * and a literal array are values, not operators. */
    assert_true(a->fill_color.r == 0 && a->fill_color.g == 0 && a->fill_color.b == 0 &&
                a->fill_color.a == 1);
    assert_true(a->fill_opacity == 1);
    assert_int_equal(a->nexprs, 1);
    assert_null(c->text_field);
    assert_null(c->text_field_expr);
    assert_true(c->text_size == 20);
    assert_true(c->text_max_width == 10);
    assert_true(d->line_width == 1);
    assert_true(d->line_offset == 2);
    assert_non_null(d->filter);
    /* line-gradient's own interpolate form takes ["line-progress"]. */
    assert_int_equal(d->line_ngradient, 2);
    dl_style_free(s);

    /* dline's own YAML: the operator is an error. */
    expect_error(fx, "layers:\n  - {id: a, type: background,\n"
                     "     paint: {background-color: [interpolate-hcl, [linear], [zoom], 1, red, "
                     "2, blue]}}\n",
                 ":3:33: expression operator 'interpolate-hcl' is not supported");
    all_passed(fx);
}

static void test_errors(void **state)
{
    fixture *fx = *state;
    expect_error(fx, "{\"version\": 8, \"layers\": [\n  {\"id\": \"a\" \"type\": \"fill\"}]}\n",
                 ":2:14: did not find expected ',' or '}'");
    expect_error(fx, "{\"version\": \"8\", \"layers\": []}",
                 ":1:13: 'version' must be 8 (the MapLibre style specification's)");
    expect_error(fx, "{\"version\": 9, \"layers\": []}",
                 ":1:13: 'version' must be 8 (the MapLibre style specification's)");
    /* A .json file is read as MapLibre: it needs its version. */
    char json[128];
    snprintf(json, sizeof json, "%s/s.json", fx->dir);
    write_file(json, "{\"layers\": []}", 14);
    dl_style *s = (dl_style *)1;
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_style_load(fx->ctx, json, &s), DLINE_ESTYLE);
    char want[256];
    snprintf(want, sizeof want, "%s:1:1: a MapLibre style needs \"version\": 8", json);
    assert_string_equal(dline_ctx_message(fx->ctx), want);
    unlink(json);

    expect_error(fx, "{\"version\": 8, \"layers\": [], \"sources\": []}",
                 ":1:41: 'sources' must be a mapping of source names to sources");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"sources\": {\"a\": \"x.shp\"}}",
                 ":1:47: source 'a' must be a mapping with a 'type'");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"sources\": {\"a\": {\"data\": \"x\"}}}",
                 ":1:47: source 'a' has no 'type'");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"sources\": {\"a\": {\"type\": \"geojsn\"}}}",
                 ":1:56: source 'a': unknown type 'geojsn' (did you mean 'geojson'?)");
    expect_error(fx, "{\"version\": 8, \"layers\": [],\n \"sources\": {\"a\": {\"type\": \"geojson\"}}}",
                 ":2:19: geojson source 'a' has no 'data'");
    expect_error(fx, "{\"version\": 8, \"layers\": [],\n"
                     " \"sources\": {\"a\": {\"type\": \"geojson\", \"data\": [1]}}}",
                 ":2:47: source 'a': 'data' must be a file name or a GeoJSON object");
    expect_error(fx, "{\"version\": 8, \"layers\": [],\n"
                     " \"sources\": {\"a\": {\"type\": \"shapefile\", \"data\": {\"type\": \"Point\"}}}}",
                 ":2:49: source 'a': 'data' must be a file name");
    expect_error(fx, "{\"version\": 8, \"layers\": [],\n"
                     " \"sources\": {\"a\": {\"type\": \"csv\"}}}",
                 ":2:19: source 'a' has no 'path' or 'data'");
    expect_error(fx, "{\"version\": 8, \"layers\": [],\n"
                     " \"sources\": {\"a\": {\"type\": \"csv\", \"path\": \"a\", \"data\": \"b\"}}}",
                 ":2:43: source 'a' has both 'data' and 'path'");
    expect_error(fx, "{\"version\": 8, \"layers\": [],\n"
                     " \"sources\": {\"a\": {\"type\": \"geojson\", \"data\": {}, \"lon\": \"x\"}}}",
                 ":2:58: 'lon' applies to csv sources only");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"center\": [200, 0]}",
                 ":1:41: 'center' longitude 200 is outside -180..180");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"center\": 5}",
                 ":1:40: 'center' must be [longitude, latitude]");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"zoom\": \"3\"}",
                 ":1:38: 'zoom' must be a number");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"zoom\": 25}",
                 ":1:38: 'zoom' 25 is outside 0..24");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"pitch\": \"x\"}",
                 ":1:39: 'pitch' must be a number");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"metadata\": {\"dline\": 1}}",
                 ":1:52: 'metadata.dline' must be a mapping of dline keys");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"metadata\": {\"dline\": {\"sise\": 1}}}",
                 ":1:53: unknown key 'sise' (did you mean 'size'?)");
    expect_error(fx, "{\"version\": 8, \"layers\": [], \"metadata\": {\"dline\": {\"sources\": {}}}}",
                 ":1:53: 'sources' cannot be given in metadata.dline");
    expect_error(fx, "{\"version\": 8, \"layers\": [\n"
                     "  {\"id\": \"a\", \"type\": \"background\", \"layout\": {\"visibility\": \"off\"}}]}",
                 ":2:62: 'visibility' must be one of visible, none");
    /* Values of properties dline has are checked as in YAML. */
    expect_error(fx, "{\"version\": 8, \"layers\": [\n"
                     "  {\"id\": \"a\", \"type\": \"background\", \"paint\": {\"background-color\": 3}}]}",
                 ":2:67: 'background-color': invalid colour '3'");
    expect_error(fx, "{\"version\": 8, \"layers\": [\n"
                     "  {\"id\": \"a\", \"type\": \"background\", \"paint\": {\"line-color\": \"red\"}}]}",
                 ":2:47: 'line-color' does not apply to background layers");
    expect_error(fx, "{\"version\": 8, \"layers\": [{\"id\": \"a\", \"type\": \"fil\"}]}",
                 ":1:47: unknown layer type 'fil' (did you mean 'fill'?)");
    /* In a YAML style an unknown property stays an error. */
    expect_error(fx, "layers:\n  - {id: a, type: background, paint: {fill-antialias: true}}\n",
                 ":2:39: unknown property 'fill-antialias'");
    all_passed(fx);
}

static void report(const char *message, void *user)
{
    warnings *w = user;
    collect(message, w);
}

/* dline validate: each translation error is reported and the load goes on
 * without the source or layer at fault. */
static void test_validate(void **state)
{
    fixture *fx = *state;
    const char *json = "{\"version\": 8, \"zoom\": 99,\n"
                       " \"sources\": {\"a\": {\"type\": \"geojson\"},\n"
                       "             \"b\": {\"type\": \"geojson\", \"data\": {}}},\n"
                       " \"layers\": [{\"id\": \"x\", \"type\": \"fill\", \"source\": \"a\"},\n"
                       "            {\"id\": \"y\", \"type\": \"fill\", \"source\": \"b\",\n"
                       "             \"layout\": {\"visibility\": 1}},\n"
                       "            {\"id\": \"z\", \"type\": \"fill\", \"source\": \"b\",\n"
                       "             \"paint\": {\"fill-color\": 1, \"fill-opacity\": 0.5}}]}\n";
    write_file(fx->path, json, strlen(json));
    warnings w = {fx->path, ""};
    dl_style *s = NULL;
    size_t n = 0;
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_style_load_checked(fx->ctx, fx->path, NULL, 0, report, &w, &n, &s),
                     DLINE_OK);
    assert_string_equal(w.text, ":1:24: 'zoom' 99 is outside 0..24\n"
                                ":2:19: geojson source 'a' has no 'data'\n"
                                ":6:39: 'visibility' must be one of visible, none\n"
                                ":8:38: 'fill-color': invalid colour '1'\n");
    assert_int_equal(n, 4);
    assert_int_equal(s->nsources, 1);
    assert_int_equal(s->nlayers, 1);
    assert_string_equal(s->layers[0].id, "z");
    assert_true(s->layers[0].fill_opacity == 0.5);
    dl_style_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
