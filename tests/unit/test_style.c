/* The style stage: valid styles from tests/style/ with every field and
 * default, every error with its exact message, the YAML limits, filters and
 * text templates. Runs from tests/ (ctest's working directory). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "style/eval.h"
#include "style/style.h"
#include "style/yaml.h"
#include "style_fixture.h"

/* Loads yaml (len bytes) from the fixture path and checks the status and
 * the message, given without the path: ":3:5: unknown key ..." */
static void expect_status_n(fixture *fx, const char *yaml, size_t len, dline_status want,
                            const char *msg, int line)
{
    write_file(fx->path, yaml, len);
    dl_style *s = (dl_style *)1;
    dline_ctx_clear(fx->ctx);
    dline_status st = dl_style_load(fx->ctx, fx->path, &s);
    char expected[2048];
    snprintf(expected, sizeof expected, "%s%s", fx->path, msg);
    if (st != want || strcmp(dline_ctx_message(fx->ctx), expected) != 0 || s != NULL) {
        print_error("case at test_style.c:%d\n  status %d, expected %d\n  got:      %s\n"
                    "  expected: %s\n",
                    line, st, want, dline_ctx_message(fx->ctx), expected);
        fx->failures++;
    }
}

static void all_passed(fixture *fx)
{
    int n = fx->failures;
    fx->failures = 0;
    if (n)
        fail_msg("%d case(s) failed", n);
}

#define expect_error(fx, yaml, msg) \
    expect_status_n(fx, yaml, strlen(yaml), DLINE_ESTYLE, msg, __LINE__)

static int near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void assert_color(dl_color c, double r, double g, double b, double a)
{
    if (!near(c.r, r) || !near(c.g, g) || !near(c.b, b) || !near(c.a, a))
        fail_msg("colour %g %g %g %g, expected %g %g %g %g", c.r, c.g, c.b, c.a, r, g, b, a);
}

static void test_full(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_ok(fx, "style/full.yaml");
    assert_string_equal(s->path, "style/full.yaml");
    assert_string_equal(s->dir, "style");
    assert_int_equal(s->width, 800);
    assert_int_equal(s->height, 600);
    assert_true(near(s->dpi, 192));
    assert_string_equal(s->crs, "+proj=merc +datum=WGS84");
    assert_int_equal(s->has_extent, 1);
    assert_true(near(s->extent[0], 120.5) && near(s->extent[1], 30.5));
    assert_true(near(s->extent[2], 122.0) && near(s->extent[3], 31.5));
    assert_int_equal(s->nfit, 0);
    assert_color(s->background, 0xf0 / 255.0, 0xf0 / 255.0, 0xe8 / 255.0, 1);

    assert_string_equal(s->title.text, "上海市");
    assert_string_equal(s->title.font, "Noto Serif CJK SC, DejaVu Serif Bold");
    assert_true(near(s->title.size, 30));
    assert_color(s->title.color, 0, 0, 128 / 255.0, 1);
    assert_color(s->title.halo_color, 1, 1, 1, 0.5);
    assert_true(near(s->title.halo_width, 3));
    assert_int_equal(s->title.position, DL_ANCHOR_TOP_RIGHT);
    assert_true(near(s->title.offset[0], 10) && near(s->title.offset[1], 12));
    /* The subtitle, a plain string, follows the title: the renderer stacks
     * blocks in one corner, so its y offset is the gap after the title. */
    assert_string_equal(s->subtitle.text, "Districts and roads");
    assert_string_equal(s->subtitle.font, "Noto Sans CJK SC, DejaVu Sans");
    assert_true(near(s->subtitle.size, 14));
    assert_int_equal(s->subtitle.position, DL_ANCHOR_TOP_RIGHT);
    assert_true(near(s->subtitle.offset[0], 10) && near(s->subtitle.offset[1], 6));
    assert_string_equal(s->attribution.text, "© OpenStreetMap contributors");
    assert_int_equal(s->attribution.position, DL_ANCHOR_BOTTOM_LEFT);
    assert_true(near(s->attribution.size, 9));
    assert_color(s->attribution.color, 0x66 / 255.0, 0x66 / 255.0, 0x66 / 255.0, 1);

    assert_int_equal(s->nsources, 3);
    assert_string_equal(s->sources[0].name, "districts");
    assert_string_equal(s->sources[0].path, "style/../data/districts.shp");
    assert_null(s->sources[0].crs);
    assert_null(s->sources[0].encoding);
    assert_string_equal(s->sources[1].name, "roads");
    assert_string_equal(s->sources[1].path, "style/roads.shp");
    assert_string_equal(s->sources[1].crs, "EPSG:4326");
    assert_string_equal(s->sources[1].encoding, "GBK");
    assert_int_equal(s->sources[1].line, 23);
    assert_int_equal(s->sources[1].col, 3);
    assert_string_equal(s->sources[2].path, "/abs/places.shp");
    assert_int_equal(dl_style_source_index(s, "places"), 2);
    assert_int_equal(dl_style_source_index(s, "nope"), -1);

    assert_int_equal(s->nlayers, 6);
    assert_int_equal(dl_style_layer_index(s, "labels"), 5);
    assert_int_equal(dl_style_layer_index(s, "nope"), -1);

    const dl_style_layer *bg = &s->layers[0];
    assert_string_equal(bg->id, "bg");
    assert_int_equal(bg->type, DL_LAYER_BACKGROUND);
    assert_int_equal(bg->source, -1);
    assert_null(bg->filter);
    assert_color(bg->background_color, 0xe0 / 255.0, 0xe8 / 255.0, 0xf0 / 255.0, 1);
    assert_true(near(bg->background_opacity, 0.5));
    assert_int_equal(bg->line, 31);
    assert_int_equal(bg->col, 5);

    const dl_style_layer *fill = &s->layers[1];
    assert_int_equal(fill->type, DL_LAYER_FILL);
    assert_int_equal(fill->source, 0);
    assert_non_null(fill->filter);
    {
        /* The filter reads "level", named at 39:20. */
        const char *names[4];
        int lines[4], cols[4];
        assert_int_equal(dl_expr_fields(fill->filter, names, lines, cols, 4), 1);
        assert_string_equal(names[0], "level");
        assert_int_equal(lines[0], 39);
        assert_int_equal(cols[0], 20);
    }
    assert_color(fill->fill_color, 0xaa / 255.0, 0xbb / 255.0, 0xcc / 255.0, 1);
    assert_true(near(fill->fill_opacity, 0.75));
    assert_int_equal(fill->has_fill_outline, 1);
    assert_color(fill->fill_outline_color, 10 / 255.0, 20 / 255.0, 30 / 255.0, 1);

    const dl_style_layer *line = &s->layers[2];
    assert_int_equal(line->type, DL_LAYER_LINE);
    assert_int_equal(line->source, 1);
    {
        const char *names[4];
        assert_int_equal(dl_expr_fields(line->filter, names, NULL, NULL, 4), 2);
        assert_string_equal(names[0], "lanes");
        assert_string_equal(names[1], "tunnel");
    }
    assert_true(near(line->minzoom, 2) && near(line->maxzoom, 18));
    assert_color(line->line_color, 1, 0, 0, 1);
    assert_true(near(line->line_width, 2.5));
    assert_true(near(line->line_opacity, 0.8));
    assert_int_equal(line->line_ndash, 2);
    assert_true(near(line->line_dasharray[0], 2) && near(line->line_dasharray[1], 1.5));
    assert_int_equal(line->line_cap, DL_CAP_ROUND);
    assert_int_equal(line->line_join, DL_JOIN_BEVEL);
    assert_null(line->connect_by);

    const dl_style_layer *track = &s->layers[3];
    assert_string_equal(track->connect_by, "seq");
    assert_int_equal(track->connect_smooth, 1);
    assert_int_equal(track->source, 2);

    const dl_style_layer *dots = &s->layers[4];
    assert_int_equal(dots->type, DL_LAYER_CIRCLE);
    assert_true(near(dots->circle_radius, 4));
    assert_color(dots->circle_color, 1, 0, 0, 1);
    assert_true(near(dots->circle_opacity, 0.9));
    assert_color(dots->circle_stroke_color, 1, 1, 1, 1);
    assert_true(near(dots->circle_stroke_width, 1.5));

    const dl_style_layer *lab = &s->layers[5];
    assert_int_equal(lab->type, DL_LAYER_SYMBOL);
    assert_string_equal(lab->text_field, "{name_zh}\n{name_en}");
    assert_string_equal(lab->text_font, "Noto Sans CJK SC, DejaVu Sans");
    assert_string_equal(lab->text_weight, "bold");
    assert_true(near(lab->text_size, 12));
    assert_true(near(lab->text_offset[0], 0) && near(lab->text_offset[1], 1.5));
    assert_int_equal(lab->text_anchor, DL_ANCHOR_TOP);
    assert_int_equal(lab->text_anchor_auto, 0);
    assert_true(near(lab->text_line_height, 1.4));
    assert_true(near(lab->text_max_width, 8));
    assert_int_equal(lab->text_allow_overlap, 1);
    assert_color(lab->text_color, 0x33 / 255.0, 0x33 / 255.0, 0x33 / 255.0, 1);
    assert_true(near(lab->text_opacity, 0.9));
    assert_color(lab->text_halo_color, 1, 1, 1, 1);
    assert_true(near(lab->text_halo_width, 1.5));
    dl_style_free(s);
}

static void test_defaults(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_ok(fx, "style/minimal.yaml");
    assert_int_equal(s->width, 1200);
    assert_int_equal(s->height, 900);
    assert_true(near(s->dpi, 96));
    assert_string_equal(s->crs, "EPSG:3857");
    assert_int_equal(s->has_extent, 0);
    assert_int_equal(s->nfit, 0);
    assert_true(near(s->fit_padding, 20));
    assert_color(s->background, 1, 1, 1, 1);
    assert_null(s->title.text);
    assert_null(s->subtitle.text);
    assert_null(s->attribution.text);
    assert_string_equal(s->title.font, "Noto Sans CJK SC, DejaVu Sans Bold");
    assert_true(near(s->title.size, 22));
    assert_color(s->title.color, 0x22 / 255.0, 0x22 / 255.0, 0x22 / 255.0, 1);
    assert_color(s->title.halo_color, 1, 1, 1, 0.8);
    assert_true(near(s->title.halo_width, 2));
    assert_int_equal(s->title.position, DL_ANCHOR_TOP_LEFT);
    assert_true(near(s->title.offset[0], 16) && near(s->title.offset[1], 16));
    assert_true(near(s->subtitle.size, 14));
    assert_int_equal(s->subtitle.position, DL_ANCHOR_TOP_LEFT);
    /* No title text: the subtitle takes the title's place. */
    assert_true(near(s->subtitle.offset[1], 16));
    assert_string_equal(s->attribution.font, "Noto Sans CJK SC, DejaVu Sans");
    assert_true(near(s->attribution.size, 10));
    assert_int_equal(s->attribution.position, DL_ANCHOR_BOTTOM_RIGHT);
    assert_true(near(s->attribution.offset[0], 8) && near(s->attribution.offset[1], 8));
    assert_string_equal(s->sources[0].path, "style/places.shp");

    assert_int_equal(s->nlayers, 4);
    for (size_t i = 0; i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        assert_int_equal(l->source, 0);
        assert_null(l->filter);
        assert_true(near(l->minzoom, 0) && near(l->maxzoom, 24));
        assert_null(l->connect_by);
        assert_int_equal(l->connect_smooth, 0);
        assert_color(l->background_color, 0, 0, 0, 1);
        assert_true(near(l->background_opacity, 1));
        assert_color(l->fill_color, 0, 0, 0, 1);
        assert_true(near(l->fill_opacity, 1));
        assert_int_equal(l->has_fill_outline, 0);
        assert_color(l->line_color, 0, 0, 0, 1);
        assert_true(near(l->line_width, 1));
        assert_true(near(l->line_opacity, 1));
        assert_int_equal(l->line_ndash, 0);
        assert_int_equal(l->line_cap, DL_CAP_BUTT);
        assert_int_equal(l->line_join, DL_JOIN_MITER);
        assert_true(near(l->circle_radius, 5));
        assert_color(l->circle_color, 0, 0, 0, 1);
        assert_true(near(l->circle_opacity, 1));
        assert_color(l->circle_stroke_color, 0, 0, 0, 1);
        assert_true(near(l->circle_stroke_width, 0));
        assert_color(l->text_color, 0, 0, 0, 1);
        assert_color(l->text_halo_color, 0, 0, 0, 0);
        assert_true(near(l->text_halo_width, 0));
        assert_true(near(l->text_opacity, 1));
        assert_string_equal(l->text_font, "Noto Sans CJK SC, DejaVu Sans");
        assert_string_equal(l->text_weight, "normal");
        assert_true(near(l->text_size, 16));
        assert_true(near(l->text_offset[0], 0) && near(l->text_offset[1], 0));
        assert_int_equal(l->text_anchor, DL_ANCHOR_CENTER);
        assert_int_equal(l->text_anchor_auto, 1);
        assert_true(near(l->text_line_height, 1.2));
        assert_true(near(l->text_max_width, 10));
        assert_int_equal(l->text_allow_overlap, 0);
    }
    assert_null(s->layers[0].text_field);
    /* ["get", "name"] is the template "{name}". */
    assert_string_equal(s->layers[3].text_field, "{name}");
    dl_style_free(s);
}

static void test_anchors_and_merges(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_ok(fx, "style/anchors.yaml");
    assert_int_equal(s->width, 640);
    assert_int_equal(s->height, 480);
    assert_int_equal(s->nfit, 2);
    assert_string_equal(s->fit_layers[0], "major");
    assert_string_equal(s->fit_layers[1], "minor");
    assert_true(near(s->fit_padding, 20));
    const dl_style_layer *major = &s->layers[0], *minor = &s->layers[1], *water = &s->layers[2];
    /* An explicit key wins over the merged one. */
    assert_true(near(major->line_width, 3));
    assert_color(major->line_color, 0x55 / 255.0, 0x55 / 255.0, 0x55 / 255.0, 1);
    assert_true(near(minor->line_width, 1));
    assert_color(minor->line_color, 0x55 / 255.0, 0x55 / 255.0, 0x55 / 255.0, 1);
    assert_true(near(water->line_opacity, 0.5));
    assert_true(near(water->line_width, 1));
    assert_color(water->line_color, 0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0, 1);
    dl_style_free(s);
}

static void test_fit_mapping_and_bottom_title(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_ok(fx, "style/fit.yaml");
    assert_int_equal(s->nfit, 1);
    assert_string_equal(s->fit_layers[0], "roads");
    assert_true(near(s->fit_padding, 0));
    assert_int_equal(s->title.position, DL_ANCHOR_BOTTOM);
    assert_int_equal(s->subtitle.position, DL_ANCHOR_BOTTOM);
    assert_true(near(s->title.offset[0], 16) && near(s->title.offset[1], 16));
    assert_true(near(s->subtitle.offset[0], 16) && near(s->subtitle.offset[1], 6));
    dl_style_free(s);
}

static void test_subtitle_placement(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(fx, "title: {text: T, offset: [30, 40], position: top-right}\n"
                                "subtitle: S\n");
    assert_int_equal(s->subtitle.position, DL_ANCHOR_TOP_RIGHT);
    assert_true(near(s->subtitle.offset[0], 30) && near(s->subtitle.offset[1], 6));
    dl_style_free(s);
    /* Given values stay as given. */
    s = load_text(fx, "title: T\nsubtitle: {text: S, position: bottom-left}\n");
    assert_int_equal(s->subtitle.position, DL_ANCHOR_BOTTOM_LEFT);
    assert_true(near(s->subtitle.offset[0], 16) && near(s->subtitle.offset[1], 16));
    dl_style_free(s);
    s = load_text(fx, "title: T\nsubtitle: {text: S, offset: [1, 2]}\n");
    assert_int_equal(s->subtitle.position, DL_ANCHOR_TOP_LEFT);
    assert_true(near(s->subtitle.offset[0], 1) && near(s->subtitle.offset[1], 2));
    dl_style_free(s);
}

static void test_paths(void **state)
{
    fixture *fx = *state;
    /* A style named without a folder resolves against ".". */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir("style"), 0);
    dl_style *s = load_ok(fx, "minimal.yaml");
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(s->dir, ".");
    assert_string_equal(s->sources[0].path, "./places.shp");
    dl_style_free(s);

    s = load_ok(fx, "style//minimal.yaml");
    assert_string_equal(s->dir, "style");
    assert_string_equal(s->sources[0].path, "style/places.shp");
    dl_style_free(s);

    s = load_text(fx, "sources: {a: x.shp, b: /data/y.shp, c: {path: ../z.shp}}\n");
    char want[256];
    snprintf(want, sizeof want, "%s/x.shp", fx->dir);
    assert_string_equal(s->sources[0].path, want);
    assert_string_equal(s->sources[1].path, "/data/y.shp");
    snprintf(want, sizeof want, "%s/../z.shp", fx->dir);
    assert_string_equal(s->sources[2].path, want);
    assert_string_equal(s->dir, fx->dir);
    dl_style_free(s);
}

static void test_small_forms(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(fx, "size: [1, 20000]\n"
                                "dpi: 2400\n"
                                "extent: [-180, -90, 180, 90]\n"
                                "x-anything: [whatever, {at: all}]\n"
                                "title: Only a title\n"
                                "attribution: {text: '', font: [Noto Serif CJK SC]}\n"
                                "layers:\n"
                                "sources:\n");
    assert_int_equal(s->width, 1);
    assert_int_equal(s->height, 20000);
    assert_true(near(s->dpi, 2400));
    assert_true(near(s->extent[0], -180) && near(s->extent[3], 90));
    assert_string_equal(s->title.text, "Only a title");
    assert_string_equal(s->title.font, "Noto Sans CJK SC, DejaVu Sans Bold");
    assert_true(near(s->subtitle.offset[1], 6));
    assert_string_equal(s->attribution.text, "");
    assert_string_equal(s->attribution.font, "Noto Serif CJK SC");
    assert_int_equal(s->nlayers, 0);
    assert_int_equal(s->nsources, 0);
    dl_style_free(s);

    s = load_text(fx, "size: 1200x900\n"
                      "sources: {p: p.shp}\n"
                      "layers:\n"
                      "  - {id: a, type: symbol, source: p,\n"
                      "     layout: {text-field: '{n}', text-font: [DejaVu Sans Regular],\n"
                      "              text-anchor: bottom-right, text-allow-overlap: false},\n"
                      "     paint: {text-halo-color: 'rgba(0,0,0,0.25)'}}\n"
                      "  - {id: b, type: line, source: p, paint: {line-dasharray: []},\n"
                      "     layout: {line-cap: square, line-join: round}, connect-smooth: false}\n"
                      "  - {id: c, type: fill, source: p, paint: {fill-color: transparent},\n"
                      "     filter: [none, [==, a, 1], [in, b, x, y]]}\n");
    assert_string_equal(s->layers[0].text_font, "DejaVu Sans");
    assert_string_equal(s->layers[0].text_weight, "normal");
    assert_int_equal(s->layers[0].text_anchor, DL_ANCHOR_BOTTOM_RIGHT);
    assert_int_equal(s->layers[0].text_anchor_auto, 0);
    assert_color(s->layers[0].text_halo_color, 0, 0, 0, 0.25);
    assert_int_equal(s->layers[1].line_ndash, 0);
    assert_int_equal(s->layers[1].line_cap, DL_CAP_SQUARE);
    assert_int_equal(s->layers[1].line_join, DL_JOIN_ROUND);
    assert_color(s->layers[2].fill_color, 0, 0, 0, 0);
    {
        /* none = not any: a=1 or b in (x, y) fails, anything else passes. */
        static const dl_field fields[] = {{"a", DL_VAL_INT, 5, 0}, {"b", DL_VAL_STRING, 5, 0}};
        dl_value v[] = {{DL_VAL_INT, NULL, 1, 0}, {DL_VAL_STRING, "z", 0, 0}};
        dl_style_layer *l = &s->layers[2];
        dl_style_layer_bind(l, fields, 2);
        dl_expr_env env = {.values = v, .nvalues = 2, .id = -1};
        dl_expr_scratch sc = {0};
        assert_false(dl_style_layer_filter(l, &env, &sc));
        v[0].i = 2;
        assert_true(dl_style_layer_filter(l, &env, &sc));
        v[1].s = "y";
        assert_false(dl_style_layer_filter(l, &env, &sc));
        dl_expr_scratch_free(&sc);
    }
    dl_style_free(s);
}

static void collect_warning(const char *message, void *user)
{
    snprintf(user, DL_MSG_MAX, "%s", message);
}

static void test_warning(void **state)
{
    fixture *fx = *state;
    char got[DL_MSG_MAX] = "";
    dline_ctx_set_warning_handler(fx->ctx, collect_warning, got);
    dl_style *s = load_text(fx, "sources: {p: p.shp}\n"
                                "layers:\n"
                                "  - id: names\n"
                                "    type: symbol\n"
                                "    source: p\n");
    dline_ctx_set_warning_handler(fx->ctx, NULL, NULL);
    char want[256];
    snprintf(want, sizeof want, "%s:3:5: symbol layer 'names' has no 'text-field' and draws nothing",
             fx->path);
    assert_string_equal(got, want);
    dl_style_free(s);
}

static void collect_problems(const char *message, void *user)
{
    size_t len = strlen(user);
    snprintf((char *)user + len, 2048 - len, "%s\n", strrchr(message, '/') + 1);
}

/* dl_style_load_checked: every mistake of a layer and of a source is
 * reported, the source keeps its name (its layers are not told it is
 * missing) and is marked broken, and the places the data checks use are
 * kept. */
static void test_checked_keeps_going(void **state)
{
    fixture *fx = *state;
    const char *yaml = "crs: EPSG:3857\n"
                       "sources:\n"
                       "  a: {path: a.shp, type: shp, pth: x}\n"
                       "  b: {path: b.shp, crs: EPSG:4326}\n"
                       "layers:\n"
                       "  - id: x\n"
                       "    type: symbol\n"
                       "    source: a\n"
                       "    minzom: 2\n"
                       "    filter: [\">\", 1]\n"
                       "    layout: {text-fnt: A, text-size: big, text-field: \"{N}\"}\n"
                       "  - id: y\n"
                       "    type: line\n"
                       "    source: b\n"
                       "    connect-by: SEQ\n"
                       "    paint: {line-color: nope, line-width: [get, W]}\n";
    write_file(fx->path, yaml, strlen(yaml));
    char got[2048] = "";
    dl_style *s = NULL;
    size_t n = 0;
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_style_load_checked(fx->ctx, fx->path, NULL, 0, collect_problems, got,
                                           &n, &s),
                     DLINE_OK);
    assert_string_equal(got, "s.yaml:3:31: unknown key 'pth' (did you mean 'path'?)\n"
                             "s.yaml:3:26: source type 'shp' is not supported (shapefile, "
                             "geojson or csv)\n"
                             "s.yaml:9:5: unknown key 'minzom' (did you mean 'minzoom'?)\n"
                             "s.yaml:10:13: '>' takes 2 arguments, found 1\n"
                             "s.yaml:11:14: unknown property 'text-fnt' (did you mean "
                             "'text-font'?)\n"
                             "s.yaml:11:38: 'text-size' must be a number\n"
                             "s.yaml:16:25: 'line-color': invalid colour 'nope'\n");
    assert_int_equal(n, 7);
    assert_int_equal(s->nsources, 2);
    assert_true(s->sources[0].broken);
    assert_false(s->sources[1].broken);
    assert_int_equal(s->sources[1].crs_line, 4);
    assert_int_equal(s->sources[1].crs_col, 25);
    assert_int_equal(s->crs_line, 1);
    assert_int_equal(s->crs_col, 6);
    assert_int_equal(s->nlayers, 2);
    assert_false(s->layers[0].broken);
    assert_int_equal(s->layers[0].source, 0);
    assert_int_equal(s->layers[0].text_field_line, 11);
    assert_int_equal(s->layers[0].text_field_col, 55);
    assert_int_equal(s->layers[1].connect_by_line, 15);
    assert_int_equal(s->layers[1].connect_by_col, 17);
    assert_int_equal(s->layers[1].nexprs, 1);
    dl_style_free(s);
}

static void test_errors_top(void **state)
{
    fixture *fx = *state;
    expect_error(fx, "sise: [1, 2]\n", ":1:1: unknown key 'sise' (did you mean 'size'?)");
    expect_error(fx, "dpi: 96\nbackgroud: red\n",
                 ":2:1: unknown key 'backgroud' (did you mean 'background'?)");
    expect_error(fx, "colour: red\n", ":1:1: unknown key 'colour'");
    expect_error(fx, "size: 30000x100\n", ":1:7: 'size' width 30000 is over the limit of 20000 px");
    expect_error(fx, "size: [100, 30000]\n",
                 ":1:13: 'size' height 30000 is over the limit of 20000 px");
    expect_error(fx, "size: [100.5, 100]\n", ":1:8: 'size' width must be a whole number of px");
    expect_error(fx, "size: [0, 100]\n", ":1:8: 'size' width must be at least 1 px");
    expect_error(fx, "size: [100, -5]\n", ":1:13: 'size' height must be at least 1 px");
    expect_error(fx, "size: big\n", ":1:7: 'size' must be [width, height] or \"WxH\"");
    expect_error(fx, "size: [1, 2, 3]\n", ":1:7: 'size' must be [width, height] or \"WxH\"");
    expect_error(fx, "size: ['100', 100]\n", ":1:8: 'size' must be [width, height] or \"WxH\"");
    expect_error(fx, "size: 100x\n", ":1:7: 'size' must be [width, height] or \"WxH\"");
    expect_error(fx, "size: {w: 1}\n", ":1:7: 'size' must be [width, height] or \"WxH\"");
    expect_error(fx, "dpi: 0\n", ":1:6: 'dpi' must be greater than 0");
    expect_error(fx, "dpi: -72\n", ":1:6: 'dpi' must be greater than 0");
    expect_error(fx, "dpi: 3000\n", ":1:6: 'dpi' 3000 is over the limit of 2400");
    expect_error(fx, "dpi: '96'\n", ":1:6: 'dpi' must be a number");
    expect_error(fx, "dpi: .inf\n", ":1:6: 'dpi' must be a number");
    expect_error(fx, "dpi: 1e999\n", ":1:6: 'dpi' must be a number");
    expect_error(fx, "dpi: 0x60\n", ":1:6: 'dpi' must be a number");
    expect_error(fx, "dpi: 96px\n", ":1:6: 'dpi' must be a number");
    expect_error(fx, "crs: ''\n", ":1:6: 'crs' must not be empty");
    expect_error(fx, "crs: [a]\n", ":1:6: 'crs' must be a string");
    expect_error(fx, "crs:\n", ":1:5: 'crs' must be a string");
    expect_error(fx, "extent: [1, 2, 3]\n", ":1:9: 'extent' must be [minlon, minlat, maxlon, maxlat]");
    expect_error(fx, "extent: [-200, 0, 10, 10]\n",
                 ":1:10: 'extent' minlon -200 is outside -180..180");
    expect_error(fx, "extent: [0, 0, 10, 95]\n", ":1:20: 'extent' maxlat 95 is outside -90..90");
    expect_error(fx, "extent: [0, x, 10, 10]\n", ":1:13: 'extent' minlat must be a number");
    expect_error(fx, "extent: [10, 0, 5, 10]\n", ":1:9: 'extent' minlon must be less than maxlon");
    expect_error(fx, "extent: [0, 10, 5, 10]\n", ":1:9: 'extent' minlat must be less than maxlat");
    expect_error(fx, "extent: [0, 0, 1, 1]\nfit: [a]\nlayers: [{id: a, type: background}]\n",
                 ":2:6: 'fit' and 'extent' cannot both be given");
    expect_error(fx, "background: '#12345'\n", ":1:13: 'background': invalid colour '#12345'");
    expect_error(fx, "background: #fff\n",
                 ":1:12: 'background' has no value (quote colours: '#' starts a YAML comment)");
    expect_error(fx, "background: [1, 2, 3]\n", ":1:13: 'background' must be a colour");
    expect_error(fx, "background: 'rgb(300, 0, 0)'\n",
                 ":1:13: 'background': invalid colour 'rgb(300, 0, 0)'");
    all_passed(fx);
}

static void test_errors_text_blocks(void **state)
{
    fixture *fx = *state;
    expect_error(fx, "title: [a]\n", ":1:8: 'title' must be a string or a mapping");
    expect_error(fx, "title:\n", ":1:7: 'title' must be a string or a mapping");
    expect_error(fx, "title: {txt: a}\n", ":1:9: unknown key 'txt' (did you mean 'text'?)");
    expect_error(fx, "subtitle: {size: 5}\n", ":1:11: 'subtitle' has no 'text'");
    expect_error(fx, "title: {text: a, position: middle}\n",
                 ":1:28: 'position' must be one of top-left, top-right, bottom-left, "
                 "bottom-right, top, bottom");
    expect_error(fx, "title: {text: a, position: top-lef}\n",
                 ":1:28: 'position': unknown value 'top-lef' (did you mean 'top-left'?)");
    expect_error(fx, "title: {text: a, offset: [1]}\n", ":1:26: 'offset' must be [x, y]");
    expect_error(fx, "title: {text: a, offset: [1, 30000]}\n",
                 ":1:30: 'offset' 30000 is over the limit of 20000");
    expect_error(fx, "title: {text: a, size: -1}\n", ":1:24: 'size' must not be negative");
    expect_error(fx, "title: {text: a, size: 5000}\n", ":1:24: 'size' 5000 is over the limit of 1000");
    expect_error(fx, "attribution: {text: a, color: bluish}\n",
                 ":1:31: 'color': invalid colour 'bluish'");
    expect_error(fx, "attribution: {text: a, halo-width: x}\n",
                 ":1:36: 'halo-width' must be a number");
    expect_error(fx, "attribution: {text: [a]}\n", ":1:21: 'text' must be a string");
    expect_error(fx, "title: {text: a, font: []}\n", ":1:24: 'font' names no font");
    expect_error(fx, "title: {text: a, font: [[x]]}\n",
                 ":1:25: 'font' must be a font name or a list of them");
    all_passed(fx);
}

static void test_errors_sources(void **state)
{
    fixture *fx = *state;
    expect_error(fx, "sources: [a]\n", ":1:10: 'sources' must be a mapping of names to paths");
    expect_error(fx, "sources: {a: {pth: x}}\n", ":1:15: unknown key 'pth' (did you mean 'path'?)");
    expect_error(fx, "sources: {a: {crs: x}}\n", ":1:14: source 'a' has no 'path'");
    expect_error(fx, "sources: {a: {path: x, type: kml}}\n",
                 ":1:30: source type 'kml' is not supported (shapefile, geojson or csv)");
    expect_error(fx, "sources: {a: {path: x.shp, lon: X}}\n",
                 ":1:33: 'lon' applies to csv sources only");
    expect_error(fx, "sources: {a: {path: x.csv, type: geojson, lat: Y}}\n",
                 ":1:48: 'lat' applies to csv sources only");
    expect_error(fx, "sources: {a: {path: x.json, encoding: GBK}}\n",
                 ":1:39: 'encoding' does not apply to geojson sources (GeoJSON is UTF-8)");
    expect_error(fx, "sources: {a: {path: x.csv, lon: ''}}\n", ":1:33: 'lon' must not be empty");
    expect_error(fx, "sources: {a: ''}\n", ":1:14: 'path' must not be empty");
    expect_error(fx, "sources: {a: [x]}\n", ":1:14: source 'a' must be a path or a mapping with 'path'");
    expect_error(fx, "sources: {a: }\n", ":1:14: source 'a' must be a path or a mapping with 'path'");
    expect_error(fx, "sources: {a: {path: [x]}}\n", ":1:21: 'path' must be a string");
    expect_error(fx, "sources: {a: {path: x, encoding: ''}}\n", ":1:34: 'encoding' must not be empty");
    expect_error(fx, "sources: {a: {path: x, crs: [1]}}\n", ":1:29: 'crs' must be a string");
    all_passed(fx);
}

#define SRC "sources: {roads: r.shp, places: p.shp}\nlayers:\n"

static void test_errors_layers(void **state)
{
    fixture *fx = *state;
    expect_error(fx, "layers: {a: 1}\n", ":1:9: 'layers' must be a list of layers");
    expect_error(fx, "layers: [1]\n", ":1:10: a layer must be a mapping");
    expect_error(fx, SRC "  - type: line\n    source: roads\n", ":3:5: layer has no 'id'");
    expect_error(fx, SRC "  - id: ''\n", ":3:9: 'id' must not be empty");
    expect_error(fx, SRC "  - id: [a]\n", ":3:9: 'id' must be a string");
    expect_error(fx, SRC "  - id: a\n    source: roads\n", ":3:5: layer 'a' has no 'type'");
    expect_error(fx, SRC "  - id: a\n    typ: line\n", ":4:5: unknown key 'typ' (did you mean 'type'?)");
    expect_error(fx, SRC "  - id: a\n    type: lines\n",
                 ":4:11: unknown layer type 'lines' (did you mean 'line'?)");
    expect_error(fx, SRC "  - id: a\n    type: raster\n",
                 ":4:11: unknown layer type 'raster' (expected background, fill, line, circle or "
                 "symbol)");
    expect_error(fx, SRC "  - id: a\n    type: [line]\n", ":4:11: 'type' must be a string");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads}\n  - {id: a, type: fill, source: roads}\n",
                 ":4:10: duplicate layer id 'a' (first at line 3)");
    expect_error(fx, SRC "  - {id: a, type: line, source: road}\n",
                 ":3:33: source 'road' is not declared in 'sources' (did you mean 'roads'?)");
    expect_error(fx, SRC "  - {id: a, type: line, source: rivers}\n",
                 ":3:33: source 'rivers' is not declared in 'sources'");
    expect_error(fx, "layers:\n  - {id: a, type: line, source: roads}\n",
                 ":2:33: source 'roads' is not declared in 'sources'");
    expect_error(fx, SRC "  - {id: a, type: line}\n", ":3:5: layer 'a' has no 'source'");
    expect_error(fx, SRC "  - {id: a, type: line, source: [roads]}\n",
                 ":3:33: 'source' must be a source name");
    expect_error(fx, SRC "  - {id: a, type: background, source: roads}\n",
                 ":3:31: 'source' does not apply to background layers");
    expect_error(fx, SRC "  - {id: a, type: background, filter: [has, x]}\n",
                 ":3:31: 'filter' does not apply to background layers");
    expect_error(fx, SRC "  - {id: a, type: fill, source: roads, connect-by: seq}\n",
                 ":3:40: 'connect-by' applies only to line and symbol layers");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads, connect-smooth: true}\n",
                 ":3:40: 'connect-smooth' needs 'connect-by'");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads, connect-by: s, connect-smooth: yes}\n",
                 ":3:71: 'connect-smooth' must be true or false");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads, minzoom: 30}\n",
                 ":3:49: 'minzoom' 30 is over the limit of 24");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads, minzoom: 10, maxzoom: 5}\n",
                 ":3:49: 'minzoom' is greater than 'maxzoom'");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads, paint: [1]}\n",
                 ":3:47: 'paint' must be a mapping");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads}\nfit: [zzz]\n",
                 ":4:7: 'fit' names unknown layer 'zzz'");
    expect_error(fx, SRC "  - {id: roads, type: line, source: roads}\nfit: {layers: [road]}\n",
                 ":4:16: 'fit' names unknown layer 'road' (did you mean 'roads'?)");
    expect_error(fx, SRC "  - {id: bg, type: background}\nfit: [bg]\n",
                 ":4:7: 'fit' names background layer 'bg', which has no data");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads}\nfit: {layer: [a]}\n",
                 ":4:7: unknown key 'layer' (did you mean 'layers'?)");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads}\nfit: {padding: -1}\n",
                 ":4:16: 'padding' must not be negative");
    expect_error(fx, SRC "  - {id: a, type: line, source: roads}\nfit: a\n",
                 ":4:6: 'fit' must be a list of layer ids or a mapping with 'layers'");
    all_passed(fx);
}

#define LINE SRC "  - id: a\n    type: line\n    source: roads\n"

static void test_errors_properties(void **state)
{
    fixture *fx = *state;
    expect_error(fx, LINE "    paint:\n      line-colour: red\n",
                 ":7:7: unknown property 'line-colour' (did you mean 'line-color'?)");
    expect_error(fx, LINE "    paint:\n      fill-colour: red\n",
                 ":7:7: unknown property 'fill-colour' (did you mean 'fill-color'?)");
    expect_error(fx, LINE "    paint:\n      stroke: red\n", ":7:7: unknown property 'stroke'");
    expect_error(fx, LINE "    paint:\n      line-cap: round\n", ":7:7: 'line-cap' is a layout property");
    expect_error(fx, LINE "    layout:\n      line-color: red\n", ":7:7: 'line-color' is a paint property");
    expect_error(fx, LINE "    paint:\n      fill-color: red\n",
                 ":7:7: 'fill-color' does not apply to line layers");
    expect_error(fx, LINE "    layout:\n      text-field: x\n",
                 ":7:7: 'text-field' does not apply to line layers");
    expect_error(fx, LINE "    paint:\n      line-width: wide\n", ":7:19: 'line-width' must be a number");
    expect_error(fx, LINE "    paint:\n      line-width: '2'\n", ":7:19: 'line-width' must be a number");
    expect_error(fx, LINE "    paint:\n      line-width: -1\n", ":7:19: 'line-width' must not be negative");
    expect_error(fx, LINE "    paint:\n      line-width: 1e6\n",
                 ":7:19: 'line-width' 1e+06 is over the limit of 20000");
    expect_error(fx, LINE "    paint:\n      line-opacity: 1.5\n",
                 ":7:21: 'line-opacity' must be between 0 and 1");
    expect_error(fx, LINE "    paint:\n      line-color: '#12345'\n",
                 ":7:19: 'line-color': invalid colour '#12345'");
    expect_error(fx, LINE "    paint:\n      line-color: 'rgba(0, 0, 0, 2)'\n",
                 ":7:19: 'line-color': invalid colour 'rgba(0, 0, 0, 2)'");
    expect_error(fx, LINE "    paint:\n      line-color: 12\n", ":7:19: 'line-color': invalid colour '12'");
    expect_error(fx, LINE "    paint:\n      line-dasharray: 2\n",
                 ":7:23: 'line-dasharray' must be a list of numbers");
    expect_error(fx, LINE "    paint:\n      line-dasharray: [1, -1]\n",
                 ":7:27: 'line-dasharray' must not be negative");
    expect_error(fx, LINE "    paint:\n      line-dasharray: [0, 0]\n",
                 ":7:23: 'line-dasharray' must not be all zeros");
    expect_error(fx, LINE "    paint:\n      line-dasharray: [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]\n",
                 ":7:23: 'line-dasharray' has more than 16 values");
    expect_error(fx, LINE "    layout:\n      line-cap: rund\n",
                 ":7:17: 'line-cap': unknown value 'rund' (did you mean 'round'?)");
    expect_error(fx, LINE "    layout:\n      line-join: sharp\n",
                 ":7:18: 'line-join' must be one of miter, round, bevel");
    expect_error(fx, LINE "    layout: 3\n", ":6:13: 'layout' must be a mapping");

    const char *sym = SRC "  - id: s\n    type: symbol\n    source: places\n";
    char buf[512];
#define SYM(extra) (snprintf(buf, sizeof buf, "%s%s", sym, extra), buf)
    expect_error(fx, SYM("    layout:\n      text-anchor: middle\n"),
                 ":7:20: 'text-anchor' must be one of center, left, right, top, bottom, top-left, "
                 "top-right, bottom-left, bottom-right");
    expect_error(fx, SYM("    layout:\n      text-allow-overlap: yes\n"),
                 ":7:27: 'text-allow-overlap' must be true or false");
    expect_error(fx, SYM("    layout:\n      text-font: []\n"), ":7:18: 'text-font' names no font");
    expect_error(fx, SYM("    layout:\n      text-font: ' , '\n"), ":7:18: 'text-font' names no font");
    expect_error(fx, SYM("    layout:\n      text-offset: [1]\n"), ":7:20: 'text-offset' must be [x, y]");
    expect_error(fx, SYM("    layout:\n      text-offset: [1, a]\n"),
                 ":7:24: 'text-offset' must be [x, y] numbers");
    expect_error(fx, SYM("    layout:\n      text-size: 2000\n"),
                 ":7:18: 'text-size' 2000 is over the limit of 1000");
    expect_error(fx, SYM("    layout:\n      text-field: [upcase]\n"),
                 ":7:19: 'upcase' takes 1 argument, found 0");
    expect_error(fx, SYM("    paint:\n      text-halo-color: #fff\n"),
                 ":7:23: 'text-halo-color' has no value (quote colours: '#' starts a YAML comment)");
    expect_error(fx, SYM("    paint:\n      text-size: 3\n"), ":7:7: 'text-size' is a layout property");
    expect_error(fx, SYM("    paint:\n      circle-radius: 3\n"),
                 ":7:7: 'circle-radius' does not apply to symbol layers");
#undef SYM
    all_passed(fx);
}

#define FLT(f) LINE "    filter: " f "\n"

static void test_errors_filters(void **state)
{
    fixture *fx = *state;
    /* Filters are MapLibre expressions, or its legacy filters (compiled
     * by style/expr.c, whose own tests cover the operators). */
    expect_error(fx, FLT("name"), ":6:13: a filter must be a list such as [\"==\", \"field\", \"value\"]");
    expect_error(fx, FLT("[]"), ":6:13: a filter must be a list such as [\"==\", \"field\", \"value\"]");
    expect_error(fx, FLT("['=', a, 1]"), ":6:14: unknown expression operator '=' (did you mean '=='?)");
    expect_error(fx, FLT("[match, a, 1]"), ":6:13: 'match' takes at least 4 arguments, found 2");
    expect_error(fx, FLT("['==', a]"), ":6:13: '==' takes 2 arguments, found 1");
    expect_error(fx, FLT("['==', a, 1, 2]"), ":6:13: '==' takes 2 arguments, found 3");
    expect_error(fx, FLT("[has]"), ":6:13: filter 'has' takes a field");
    expect_error(fx, FLT("[in]"), ":6:13: filter 'in' takes a field and values");
    expect_error(fx, FLT("['!', [has, a], [has, b]]"), ":6:13: '!' takes 1 argument, found 2");
    expect_error(fx, FLT("['<', a, true]"), ":6:22: filter '<' compares with a number or a string");
    expect_error(fx, FLT("['==', [a], 1]"), ":6:21: unknown expression operator 'a' (did you mean '<'?)");
    expect_error(fx, FLT("['==', a, [1]]"),
                 ":6:24: an expression starts with an operator name; write [\"literal\", [...]] for an array");
    expect_error(fx, FLT("[all, [has, a], [any, [within, b]]]"),
                 ":6:36: expression operator 'within' is not supported");
    all_passed(fx);
}

static void test_errors_yaml(void **state)
{
    fixture *fx = *state;
    expect_error(fx, "size: [1, 2\n", ":2:1: did not find expected ',' or ']'");
    expect_error(fx, "a: b: c\n", ":1:5: mapping values are not allowed in this context");
    expect_error(fx, "size:\n\t- 1\n", ":2:1: found character that cannot start any token");
    expect_error(fx, "title: \"open\n", ":2:1: found unexpected end of stream");
    expect_status_n(fx, "title: \xff\n", 9, DLINE_ESTYLE, ":1:8: invalid leading UTF-8 octet",
                    __LINE__);
    expect_error(fx, "title: a\ndpi: 1\ntitle: b\n", ":3:1: duplicate key 'title' (first at line 1)");
    expect_error(fx, "layers:\n  - {id: a, id: b}\n", ":2:13: duplicate key 'id' (first at line 2)");
    expect_error(fx, "? [a]\n: 1\n", ":1:3: mapping keys must be scalars");
    expect_error(fx, "title: *x\n", ":1:8: undefined alias 'x'");
    expect_error(fx, "x-a: &a [*a]\n", ":1:10: undefined alias 'a'");
    expect_error(fx, "dpi: 1\n---\ndpi: 2\n", ":2:1: a style holds one YAML document; this is a second");
    expect_error(fx, "x-a: &a 1\nx-b: {<<: *a}\n", ":2:7: '<<' merges a mapping or a list of mappings");
    expect_error(fx, "title: \"a\\0b\"\n", ":1:8: scalar holds a NUL character");
    expect_error(fx, "", ": style is empty");
    expect_error(fx, "# only a comment\n", ": style is empty");
    expect_error(fx, "---\n", ": style is empty");
    expect_error(fx, "~\n", ": style is empty");
    expect_error(fx, "- size\n", ":1:1: the top level must be a mapping");
    expect_error(fx, "hello\n", ":1:1: the top level must be a mapping");
    all_passed(fx);
}

static void test_errors_io(void **state)
{
    fixture *fx = *state;
    dl_style *s = (dl_style *)1;
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_style_load(fx->ctx, "style/nope.yaml", &s), DLINE_EIO);
    assert_string_equal(dline_ctx_message(fx->ctx),
                        "style/nope.yaml: cannot open: No such file or directory");
    assert_null(s);
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_style_load(fx->ctx, "style", &s), DLINE_EIO);
    assert_string_equal(dline_ctx_message(fx->ctx), "style: is a directory");
    assert_null(s);
}

/* A string of n copies of a, then n copies of b. */
static char *repeat2(const char *a, const char *b, size_t n, const char *tail)
{
    size_t la = strlen(a), lb = strlen(b), lt = strlen(tail);
    char *s = malloc(n * (la + lb) + lt + 1);
    assert_non_null(s);
    char *p = s;
    for (size_t i = 0; i < n; i++, p += la)
        memcpy(p, a, la);
    for (size_t i = 0; i < n; i++, p += lb)
        memcpy(p, b, lb);
    memcpy(p, tail, lt + 1);
    return s;
}

static void test_limits_depth(void **state)
{
    fixture *fx = *state;
    /* 64 levels pass the reader (the style then refuses the content). */
    char *ok = repeat2("[", "]", 63, "");
    char *yaml = malloc(strlen(ok) + 16);
    sprintf(yaml, "x-deep: %s\n", ok);
    dl_style_free(load_text(fx, yaml));
    free(yaml);
    free(ok);

    char *deep = repeat2("[", "]", 65, "");
    yaml = malloc(strlen(deep) + 16);
    sprintf(yaml, "x-deep: %s\n", deep);
    expect_error(fx, yaml, ":1:72: nesting deeper than 64 levels");
    free(yaml);
    free(deep);

    /* Deep enough to take libyaml minutes if it were not stopped early. */
    char *huge = repeat2("[", "]", 1000000, "\n");
    clock_t t0 = clock();
    expect_error(fx, huge, ":1:65: nesting deeper than 64 levels");
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 10);
    free(huge);

    /* Block nesting counts the same. */
    size_t n = 70, len = 0;
    char *block = malloc(n * (n + 4) + 1);
    for (size_t i = 0; i < n; i++) {
        memset(block + len, ' ', i);
        len += i;
        memcpy(block + len, "a:\n", 3);
        len += 3;
    }
    block[len] = '\0';
    expect_error(fx, block, ":65:65: nesting deeper than 64 levels");
    free(block);

    /* An alias pastes a deep tree deeper still. */
    char *half = repeat2("[", "]", 40, "");
    yaml = malloc(2 * strlen(half) + 64);
    sprintf(yaml, "x-a: &a %s\nx-b: [[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]\n", half);
    expect_error(fx, yaml, ":2:32: nesting deeper than 64 levels");
    free(yaml);
    free(half);
    all_passed(fx);
}

static void test_limits_aliases(void **state)
{
    fixture *fx = *state;
    /* The classic billion laughs: nine levels of ten aliases each. */
    const char *laughs = "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                         "x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                         "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                         "x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                         "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                         "x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                         "x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                         "x-h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                         "x-i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    expect_error(fx, laughs, ":5:38: too many alias expansions (more than 100000 nodes)");

    /* The same through merge keys. */
    size_t cap = 1 << 16, len = 0;
    char *merges = malloc(cap);
    len += (size_t)sprintf(merges + len, "x-0: &m0 {");
    for (int i = 0; i < 100; i++)
        len += (size_t)sprintf(merges + len, "%sk%d: %d", i ? ", " : "", i, i);
    len += (size_t)sprintf(merges + len, "}\n");
    for (int i = 1; i <= 1100; i++)
        len += (size_t)sprintf(merges + len, "x-%d: {<<: *m0}\n", i);
    expect_error(fx, merges, ":251:13: too many alias expansions (more than 100000 nodes)");
    free(merges);

    /* Sharing without expanding much stays allowed. */
    dl_style_free(load_text(fx, "x-a: &a [1, 2]\nx-b: [*a, *a, *a]\n"));
    all_passed(fx);
}

static void test_limits_sizes(void **state)
{
    fixture *fx = *state;
    /* A 10 MB scalar: over the 1 MiB scalar limit, under the file limit. */
    size_t n = 10u << 20;
    char *big = malloc(n + 16);
    memcpy(big, "title: ", 7);
    memset(big + 7, 'x', n);
    memcpy(big + 7 + n, "\n", 2);
    expect_error(fx, big, ":1:8: scalar longer than 1 MiB");
    /* Exactly 1 MiB is fine. */
    memcpy(big + 7 + (1u << 20), "\n", 2);
    dl_style *s = load_text(fx, big);
    assert_int_equal(strlen(s->title.text), 1u << 20);
    dl_style_free(s);
    free(big);

    /* A file over 16 MiB is refused before parsing. */
    n = (16u << 20) + 1;
    big = malloc(n);
    memset(big, '#', n);
    big[n - 1] = '\n';
    expect_status_n(fx, big, n, DLINE_ESTYLE, ": file is larger than 16 MiB", __LINE__);
    free(big);
    all_passed(fx);
}

static void test_limits_nodes(void **state)
{
    fixture *fx = *state;
    dl_yaml_limits lim = dl_yaml_default_limits();
    assert_int_equal(lim.max_depth, 64);
    assert_int_equal(lim.max_expansions, 100000);
    assert_int_equal(lim.max_scalar, 1u << 20);
    assert_int_equal(lim.max_file, 16u << 20);
    assert_int_equal(lim.max_nodes, 1000000);

    /* The node limit, with a small one: a million nodes would take libyaml
     * a million mallocs, slow under the sanitizers' leak checks. */
    lim.max_nodes = 100;
    const char *yaml = "x-a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,\n"
                       "      20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,\n"
                       "      38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,\n"
                       "      56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73,\n"
                       "      74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91,\n"
                       "      92, 93, 94, 95, 96, 97, 98, 99]\n";
    dl_yaml_doc *doc = (dl_yaml_doc *)1;
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_yaml_parse(fx->ctx, "mem.yaml", yaml, strlen(yaml), &lim, &doc),
                     DLINE_ESTYLE);
    assert_string_equal(dline_ctx_message(fx->ctx), "mem.yaml:6:27: more than 100 YAML nodes");
    assert_null(doc);

    /* Other limits given by the caller show in the messages. */
    lim = dl_yaml_default_limits();
    lim.max_scalar = 1000;
    lim.max_depth = 3;
    dline_ctx_clear(fx->ctx);
    const char *long_scalar = "a: 0123456789012345678901234567890123456789\n";
    lim.max_scalar = 10;
    assert_int_equal(dl_yaml_parse(fx->ctx, "mem.yaml", long_scalar, strlen(long_scalar), &lim,
                                   &doc),
                     DLINE_ESTYLE);
    assert_string_equal(dline_ctx_message(fx->ctx), "mem.yaml:1:4: scalar longer than 10 bytes");
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_yaml_parse(fx->ctx, "mem.yaml", "a: [[[1]]]", 10, &lim, &doc),
                     DLINE_ESTYLE);
    assert_string_equal(dline_ctx_message(fx->ctx), "mem.yaml:1:6: nesting deeper than 3 levels");

    /* Within limits: the document, its root and mapping access. */
    dline_ctx_clear(fx->ctx);
    assert_int_equal(dl_yaml_parse(fx->ctx, "mem.yaml", "a: [1, 'x']\nb: ~\n", 17, NULL, &doc),
                     DLINE_OK);
    const dl_yaml_node *root = dl_yaml_root(doc);
    assert_int_equal(root->kind, DL_YAML_MAPPING);
    assert_int_equal(root->n, 2);
    assert_string_equal(dl_yaml_key(root, 1)->text, "b");
    assert_true(dl_yaml_is_null(dl_yaml_value(root, 1)));
    const dl_yaml_node *a = dl_yaml_get(root, "a");
    assert_int_equal(a->kind, DL_YAML_SEQUENCE);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->items[0]->plain, 1);
    assert_int_equal(a->items[1]->plain, 0);
    assert_int_equal(a->line, 1);
    assert_int_equal(a->col, 4);
    assert_null(dl_yaml_get(root, "c"));
    assert_null(dl_yaml_key(root, 2));
    assert_null(dl_yaml_get(a, "a"));
    dl_yaml_doc_free(doc);
    dl_yaml_doc_free(NULL);
    assert_int_equal(dl_yaml_parse(fx->ctx, "mem.yaml", "", 0, NULL, &doc), DLINE_OK);
    assert_null(dl_yaml_root(doc));
    dl_yaml_doc_free(doc);
}

static void test_many_keys(void **state)
{
    fixture *fx = *state;
    /* Duplicate detection sorts rather than comparing every pair; check
     * that it still finds the one duplicate among 50000 keys. */
    size_t n = 50000;
    char *yaml = malloc(n * 24 + 64);
    size_t len = (size_t)sprintf(yaml, "x-big:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(yaml + len, "  k%zu: 1\n", i);
    len += (size_t)sprintf(yaml + len, "  k17: 2\n");
    char want[64];
    snprintf(want, sizeof want, ":%zu:3: duplicate key 'k17' (first at line 19)", n + 2);
    expect_error(fx, yaml, want);
    free(yaml);
    all_passed(fx);
}

/* Filters, evaluated against hand-made features. */

static dl_style_layer *parsed(fixture *fx, dl_style **s, const char *filter)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "sources: {p: p.shp}\nlayers:\n  - {id: a, type: fill, source: p, filter: %s}\n",
             filter);
    *s = load_text(fx, yaml);
    return &(*s)->layers[0];
}

static int matches(fixture *fx, const char *filter)
{
    static const dl_field fields[] = {
        {"name", DL_VAL_STRING, 20, 0}, {"POP", DL_VAL_INT, 10, 0},
        {"area", DL_VAL_DOUBLE, 12, 3}, {"code", DL_VAL_STRING, 6, 0},
        {"ok", DL_VAL_BOOL, 1, 0},      {"empty", DL_VAL_STRING, 10, 0},
        {"day", DL_VAL_DATE, 8, 0},
    };
    const dl_value values[] = {
        {DL_VAL_STRING, "Pudong", 0, 0}, {DL_VAL_INT, NULL, 5000, 0},
        {DL_VAL_DOUBLE, NULL, 0, 12.5},  {DL_VAL_STRING, "310115", 0, 0},
        {DL_VAL_BOOL, NULL, 1, 0},       {DL_VAL_NULL, NULL, 0, 0},
        {DL_VAL_DATE, "2020-05-01", 20200501, 0},
    };
    dl_style *s;
    dl_style_layer *l = parsed(fx, &s, filter);
    dl_style_layer_bind(l, fields, sizeof fields / sizeof fields[0]);
    dl_expr_env env = {.values = values, .nvalues = sizeof values / sizeof values[0],
                       .geometry_type = "Polygon", .id = 7};
    dl_expr_scratch scratch = {0};
    int m = dl_style_layer_filter(l, &env, &scratch);
    dl_expr_scratch_free(&scratch);
    dl_style_free(s);
    return m;
}

static void test_filter_match(void **state)
{
    fixture *fx = *state;
    /* No filter: every feature. */
    dl_style_layer none = {0};
    dl_expr_scratch sc = {0};
    assert_int_equal(dl_style_layer_filter(&none, &(dl_expr_env){.id = -1}, &sc), 1);
    assert_true(matches(fx, "['==', name, Pudong]"));
    assert_false(matches(fx, "['==', name, pudong]"));
    assert_true(matches(fx, "['==', [get, name], Pudong]"));
    assert_true(matches(fx, "['!=', name, Xuhui]"));
    assert_false(matches(fx, "['!=', name, Pudong]"));
    /* Numbers compare numerically across int and double, names in any case. */
    assert_true(matches(fx, "['==', pop, 5000]"));
    assert_true(matches(fx, "['==', POP, 5000.0]"));
    assert_true(matches(fx, "['>', POP, 4999.5]"));
    assert_true(matches(fx, "['>=', POP, 5000]"));
    assert_false(matches(fx, "['<', POP, 5000]"));
    assert_true(matches(fx, "['<=', area, 12.5]"));
    assert_true(matches(fx, "['<', area, 13]"));
    /* Numeric text compares with numbers; quoted numbers are text. */
    assert_true(matches(fx, "['==', code, 310115]"));
    assert_true(matches(fx, "['==', code, '310115']"));
    assert_true(matches(fx, "['==', POP, '5000']"));
    assert_false(matches(fx, "['==', name, 0]"));
    assert_false(matches(fx, "['<', name, 0]"));
    /* Strings order byte-wise. */
    assert_true(matches(fx, "['<', name, Q]"));
    assert_true(matches(fx, "['>', name, Pu]"));
    /* Dates compare as text and as YYYYMMDD. */
    assert_true(matches(fx, "['>=', day, '2020-01-01']"));
    assert_true(matches(fx, "['<', day, 20200601]"));
    /* Booleans and null. */
    assert_true(matches(fx, "['==', ok, true]"));
    assert_false(matches(fx, "['==', ok, false]"));
    assert_false(matches(fx, "['==', ok, 1]"));
    assert_true(matches(fx, "['==', empty, null]"));
    assert_false(matches(fx, "['==', name, null]"));
    assert_false(matches(fx, "['==', empty, '']"));
    assert_false(matches(fx, "['<', empty, 1]"));
    /* A missing field compares unequal. */
    assert_false(matches(fx, "['==', nope, 1]"));
    assert_true(matches(fx, "['!=', nope, 1]"));
    assert_false(matches(fx, "['>', nope, 1]"));
    assert_false(matches(fx, "['in', nope, 1]"));
    assert_true(matches(fx, "['!in', nope, 1]"));
    /* in, has. */
    assert_true(matches(fx, "['in', name, Xuhui, Pudong]"));
    assert_false(matches(fx, "['in', name, Xuhui]"));
    assert_false(matches(fx, "['in', name]"));
    assert_true(matches(fx, "['!in', name, Xuhui]"));
    assert_true(matches(fx, "['in', POP, 1, 5000]"));
    assert_true(matches(fx, "[has, name]"));
    assert_false(matches(fx, "[has, empty]"));
    assert_false(matches(fx, "[has, nope]"));
    assert_true(matches(fx, "['!has', nope]"));
    /* Combinators. */
    assert_true(matches(fx, "[all]"));
    assert_false(matches(fx, "[any]"));
    assert_true(matches(fx, "[none]"));
    assert_true(matches(fx, "[all, [has, name], ['>', POP, 10]]"));
    assert_false(matches(fx, "[all, [has, name], ['>', POP, 10000]]"));
    assert_true(matches(fx, "[any, [has, nope], ['==', name, Pudong]]"));
    assert_false(matches(fx, "['!', ['==', name, Pudong]]"));
    assert_false(matches(fx, "[none, [has, nope], ['==', name, Pudong]]"));
    assert_true(matches(fx, "[none, [has, nope]]"));
    /* MapLibre's legacy $type and $id; "!" of a legacy filter stays legacy. */
    assert_true(matches(fx, "['==', '$type', Polygon]"));
    assert_false(matches(fx, "['==', '$type', Point]"));
    assert_true(matches(fx, "['==', '$id', 7]"));
    assert_true(matches(fx, "['!', ['>=', POP, 6000]]"));
    /* Expression filters. */
    assert_true(matches(fx, "['>', [get, POP], 4000]"));
    assert_true(matches(fx, "[all, ['==', [geometry-type], Polygon], ['in', [get, name], [literal, [Pudong, Xuhui]]]]"));
    assert_false(matches(fx, "['==', [get, name], [upcase, [get, name]]]"));
}

static void test_expand_text(void **state)
{
    (void)state;
    static const dl_field fields[] = {
        {"name_zh", DL_VAL_STRING, 20, 0}, {"name_en", DL_VAL_STRING, 20, 0},
        {"pop", DL_VAL_INT, 10, 0},        {"area", DL_VAL_DOUBLE, 10, 2},
        {"NAME", DL_VAL_STRING, 10, 0},    {"blank", DL_VAL_NULL, 10, 0},
    };
    const dl_value values[] = {
        {DL_VAL_STRING, "浦东新区", 0, 0}, {DL_VAL_STRING, "Pudong", 0, 0},
        {DL_VAL_INT, NULL, 5681512, 0},    {DL_VAL_DOUBLE, NULL, 0, 1210.41},
        {DL_VAL_STRING, "Upper", 0, 0},    {DL_VAL_NULL, NULL, 0, 0},
    };
    const size_t nf = sizeof fields / sizeof fields[0];
    char buf[256];
#define EXPAND(t) (dl_style_expand_text(t, fields, nf, values, buf, sizeof buf), buf)
    assert_string_equal(EXPAND("{name_zh}\n{name_en}"), "浦东新区\nPudong");
    assert_string_equal(EXPAND("{name_zh}\\n{name_en}"), "浦东新区\nPudong");
    assert_string_equal(EXPAND("{name_en} ({pop})"), "Pudong (5681512)");
    assert_string_equal(EXPAND("{area} km²"), "1210.41 km²");
    assert_string_equal(EXPAND("plain text"), "plain text");
    assert_string_equal(EXPAND(""), "");
    /* Exact names first, then any case. */
    assert_string_equal(EXPAND("{NAME}/{name}"), "Upper/Upper");
    /* Missing and NULL values are empty; lines they leave blank go. */
    assert_string_equal(EXPAND("{name_zh}\n{blank}"), "浦东新区");
    assert_string_equal(EXPAND("{nope}\n{name_en}"), "Pudong");
    assert_string_equal(EXPAND("{nope} {blank}\n{name_en}\n{nope}"), "Pudong");
    assert_string_equal(EXPAND("a{nope}b"), "ab");
    assert_string_equal(EXPAND("a\n\nb"), "a\n\nb");
    /* What is not a placeholder stays as written. */
    assert_string_equal(EXPAND("{}{name_en"), "{}{name_en");
    assert_string_equal(EXPAND("{a\n}"), "{a\n}");
    assert_int_equal(dl_style_expand_text("{pop}", fields, nf, values, buf, sizeof buf), 7);
#undef EXPAND

    /* Truncation keeps whole UTF-8 characters and the NUL. */
    char small[8];
    size_t n = dl_style_expand_text("{name_zh}", fields, nf, values, small, sizeof small);
    assert_int_equal(n, 6);
    assert_string_equal(small, "浦东");
    n = dl_style_expand_text("ab浦东", fields, nf, values, small, 5);
    assert_string_equal(small, "ab");
    assert_int_equal(n, 2);
    n = dl_style_expand_text("{pop}", fields, nf, values, small, 1);
    assert_int_equal(n, 0);
    assert_string_equal(small, "");
    assert_int_equal(dl_style_expand_text(NULL, fields, nf, values, small, sizeof small), 0);
    assert_int_equal(dl_style_expand_text("x", fields, nf, values, NULL, 0), 0);
}

/* Every tests/bad/cases/style_*.case holds the message the CLI prints
 * ("dline: " and the library's message); check the library's part here so
 * the cases hold before the CLI is wired up. */
static void test_bad_cases(void **state)
{
    fixture *fx = *state;
    DIR *d = opendir("bad/cases");
    assert_non_null(d);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "style_", 6) != 0 || len < 5 ||
            strcmp(e->d_name + len - 5, ".case") != 0)
            continue;
        char path[512], line[1024], style[512] = "", want[1024] = "";
        snprintf(path, sizeof path, "bad/cases/%s", e->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strncmp(line, "args: render ", 13) == 0)
                sscanf(line + 13, "%511s", style);
            else if (strncmp(line, "stderr: dline: ", 15) == 0)
                snprintf(want, sizeof want, "%s", line + 15);
        }
        fclose(f);
        if (!*style || !*want)
            fail_msg("%s: no 'args: render STYLE' or 'stderr: dline: ...' line", path);
        dl_style *s = NULL;
        dline_ctx_clear(fx->ctx);
        dline_status st = dl_style_load(fx->ctx, style, &s);
        if (st == DLINE_OK || strcmp(dline_ctx_message(fx->ctx), want) != 0)
            fail_msg("%s\n  got:      %s\n  expected: %s", path, dline_ctx_message(fx->ctx), want);
        count++;
    }
    closedir(d);
    assert_true(count >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_anchors_and_merges),
        cmocka_unit_test(test_fit_mapping_and_bottom_title),
        cmocka_unit_test(test_subtitle_placement),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_small_forms),
        cmocka_unit_test(test_warning),
        cmocka_unit_test(test_checked_keeps_going),
        cmocka_unit_test(test_errors_top),
        cmocka_unit_test(test_errors_text_blocks),
        cmocka_unit_test(test_errors_sources),
        cmocka_unit_test(test_errors_layers),
        cmocka_unit_test(test_errors_properties),
        cmocka_unit_test(test_errors_filters),
        cmocka_unit_test(test_errors_yaml),
        cmocka_unit_test(test_errors_io),
        cmocka_unit_test(test_limits_depth),
        cmocka_unit_test(test_limits_aliases),
        cmocka_unit_test(test_limits_sizes),
        cmocka_unit_test(test_limits_nodes),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_filter_match),
        cmocka_unit_test(test_expand_text),
        cmocka_unit_test(test_bad_cases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
