/* Expressions of a style at render time (style/eval.h): MapLibre's zoom and
 * the scale denominator, min/maxzoom and min/max-scale, zoom-only values,
 * per-feature values with their clamps and fallbacks, text-field and
 * symbol-sort-key expressions. */
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

#include "style/eval.h"
#include "style/style.h"
#include "style_fixture.h"

static void zoom_and_scale(void **state)
{
    (void)state;
    /* MapLibre: a 512 px world at zoom 0, 78271.517 m a px at the equator,
     * halved each zoom, times cos(latitude) on the ground. */
    assert_true(fabs(dl_style_zoom_of(0, 78271.51696402048 / 1024) - 10) < 1e-9);
    assert_true(fabs(dl_style_zoom_of(60, 78271.51696402048 / 1024 / 2) - 10) < 1e-9);
    assert_true(fabs(dl_style_zoom_of(31.15, 10) - log2(78271.51696402048 *
                                                         cos(31.15 * M_PI / 180) / 10)) < 1e-9);
    assert_true(dl_style_zoom_of(0, 0) == 0);
    assert_true(dl_style_zoom_of(90, 1) == 0);
    /* 1 px at 96 dpi is 0.2645833 mm: 10 m a px is 1:37 795.3. */
    assert_true(fabs(dl_style_scale_of(10) - 37795.2755905512) < 1e-6);
}

static void visibility(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(fx,
                            "sources: {p: p.shp}\n"
                            "layers:\n"
                            "  - {id: a, type: circle, source: p}\n"
                            "  - {id: b, type: circle, source: p, minzoom: 8, maxzoom: 12}\n"
                            "  - {id: c, type: circle, source: p, min-scale: 5000, max-scale: 50000}\n");
    const dl_style_layer *a = &s->layers[0], *b = &s->layers[1], *c = &s->layers[2];
    /* maxzoom 24 (the default) bounds nothing: zoom 26 still shows. */
    assert_true(dl_style_layer_visible(a, 26, 1));
    assert_false(dl_style_layer_visible(b, 7.99, 1e6));
    assert_true(dl_style_layer_visible(b, 8, 1e6));
    assert_true(dl_style_layer_visible(b, 11.99, 1e6));
    assert_false(dl_style_layer_visible(b, 12, 1e6));
    assert_false(dl_style_layer_visible(c, 10, 4999));
    assert_true(dl_style_layer_visible(c, 10, 5000));
    assert_false(dl_style_layer_visible(c, 10, 50000));
    dl_style_free(s);
}

static void values_from_expressions(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(
        fx, "sources: {p: p.shp}\n"
            "layers:\n"
            "  - id: a\n"
            "    type: line\n"
            "    source: p\n"
            "    layout: {line-cap: [match, [get, kind], road, round, butt]}\n"
            "    paint:\n"
            "      line-width: [interpolate, [linear], [zoom], 10, 1, 14, 9]\n"
            "      line-color: [match, [get, kind], road, red, blue]\n"
            "      line-opacity: [get, alpha]\n"          /* clamped to 0..1 */
            "      line-offset: [\"*\", -1, [get, alpha]]\n" /* signed */
            "      line-gap-width: [\"*\", 2, 3]\n"         /* constant: at load */
            "  - id: t\n"
            "    type: symbol\n"
            "    source: p\n"
            "    layout:\n"
            "      text-field: [concat, [get, kind], \" \", [get, alpha]]\n"
            "      symbol-sort-key: [\"-\", 0, [get, alpha]]\n");
    dl_style_layer *l = &s->layers[0];
    assert_true(l->line_gap_width == 6); /* evaluated when read */
    assert_int_equal(l->nexprs, 5);
    assert_true(l->per_feature);
    static const dl_field fields[] = {{"KIND", DL_VAL_STRING, 10, 0}, {"alpha", DL_VAL_DOUBLE, 8, 2}};
    dl_style_layer_bind(l, fields, 2);
    dl_style_layer_eval_zoom(l, 12);
    assert_true(fabs(l->line_width - 5) < 1e-9);
    dl_value v[2] = {{DL_VAL_STRING, "road", 0, 0}, {DL_VAL_DOUBLE, NULL, 0, 1.5}};
    dl_expr_env env = {.values = v, .nvalues = 2, .zoom = 12, .id = 1};
    dl_expr_scratch sc = {0};
    dl_style_layer out;
    dl_style_eval_text text;
    dl_style_layer_eval_feature(l, &out, &env, &sc, &text);
    assert_true(out.line_color.r == 1 && out.line_color.b == 0);
    assert_int_equal(out.line_cap, DL_CAP_ROUND);
    assert_true(out.line_opacity == 1);   /* 1.5 clamped */
    assert_true(out.line_offset == -1.5); /* signed: kept */
    assert_true(out.line_width == 5);     /* from the zoom pass */
    /* A value that fails at run time keeps the layer's own (the default). */
    v[0] = (dl_value){DL_VAL_STRING, "path", 0, 0};
    v[1] = (dl_value){DL_VAL_STRING, "opaque", 0, 0};
    dl_style_layer_eval_feature(l, &out, &env, &sc, &text);
    assert_true(out.line_color.b == 1);
    assert_int_equal(out.line_cap, DL_CAP_BUTT);
    assert_true(out.line_opacity == l->line_opacity);
    /* text-field and symbol-sort-key keep their expressions for the render. */
    const dl_style_layer *t = &s->layers[1];
    assert_non_null(t->text_field_expr);
    assert_non_null(t->sort_key_expr);
    assert_true(t->has_sort_key);
    dl_expr_scratch_free(&sc);
    dl_style_free(s);
}

/* symbol-placement and icon-rotation-alignment follow the zoom, as in
 * MapLibre; fill-pattern may change from feature to feature ("none": flat). */
static void enum_properties_from_expressions(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(
        fx, "sources: {p: p.shp}\n"
            "layers:\n"
            "  - id: t\n"
            "    type: symbol\n"
            "    source: p\n"
            "    layout:\n"
            "      text-field: \"{kind}\"\n"
            "      symbol-placement: [step, [zoom], point, 13, line]\n"
            "      icon-rotation-alignment: [step, [zoom], viewport, 13, map]\n"
            "  - id: f\n"
            "    type: fill\n"
            "    source: p\n"
            "    paint:\n"
            "      fill-pattern: [match, [get, kind], road, dots, park, crosshatch, none]\n");
    dl_style_layer *t = &s->layers[0];
    assert_false(t->per_feature);
    dl_style_layer_eval_zoom(t, 12);
    assert_false(t->symbol_placement_line);
    assert_int_equal(t->icon_rotation_alignment, 2);
    dl_style_layer_eval_zoom(t, 14);
    assert_true(t->symbol_placement_line);
    assert_int_equal(t->icon_rotation_alignment, 1);

    dl_style_layer *f = &s->layers[1];
    assert_true(f->per_feature);
    static const dl_field fields[] = {{"kind", DL_VAL_STRING, 10, 0}};
    dl_style_layer_bind(f, fields, 1);
    dl_style_layer_eval_zoom(f, 12);
    dl_value v[1] = {{DL_VAL_STRING, "road", 0, 0}};
    dl_expr_env env = {.values = v, .nvalues = 1, .zoom = 12, .id = 1};
    dl_expr_scratch sc = {0};
    dl_style_layer out;
    dl_style_eval_text text;
    dl_style_layer_eval_feature(f, &out, &env, &sc, &text);
    assert_int_equal(out.fill_pattern, DL_PATTERN_DOTS);
    v[0] = (dl_value){DL_VAL_STRING, "park", 0, 0};
    dl_style_layer_eval_feature(f, &out, &env, &sc, &text);
    assert_int_equal(out.fill_pattern, DL_PATTERN_CROSSHATCH);
    v[0] = (dl_value){DL_VAL_STRING, "lake", 0, 0};
    dl_style_layer_eval_feature(f, &out, &env, &sc, &text);
    assert_int_equal(out.fill_pattern, DL_PATTERN_NONE);
    dl_expr_scratch_free(&sc);
    dl_style_free(s);
}

static void expression_errors(void **state)
{
    fixture *fx = *state;
    static const struct {
        const char *paint, *msg;
    } cases[] = {
        {"circle-radius: [get]", ":6:28: 'get' takes 1 to 2 arguments, found 0"},
        {"circle-radius: [\"+\", 1, red]", ":6:37: expected number but found string instead"},
        /* Constant: evaluated when read, and to-color fails. */
        {"circle-color: [to-color, \"#12\"]",
         ":6:27: 'circle-color': the expression's value does not fit the property"},
        {"circle-stroke-width: [zoom, 1]", ":6:34: 'zoom' takes 0 arguments, found 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "sources: {p: p.shp}\nlayers:\n"
                 "  - id: a\n    type: circle\n    source: p\n    paint: {%s}\n",
                 cases[i].paint);
        write_file(fx->path, yaml, strlen(yaml));
        dl_style *s = NULL;
        dline_ctx_clear(fx->ctx);
        assert_int_equal(dl_style_load(fx->ctx, fx->path, &s), DLINE_ESTYLE);
        const char *m = dline_ctx_message(fx->ctx);
        assert_true(strncmp(m, fx->path, strlen(fx->path)) == 0);
        assert_string_equal(m + strlen(fx->path), cases[i].msg);
    }
}

/* Where symbols go cannot depend on a feature (MapLibre says the same). */
static void feature_data_in_zoom_only_properties(void **state)
{
    fixture *fx = *state;
    static const char *const props[] = {"symbol-placement: [match, [get, k], a, line, point]",
                                        "icon-rotation-alignment: [get, k]"};
    static const char *const msgs[] = {
        ":6:47: 'symbol-placement' may depend on the zoom but not on feature data",
        ":6:54: 'icon-rotation-alignment' may depend on the zoom but not on feature data"};
    for (size_t i = 0; i < 2; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "sources: {p: p.shp}\nlayers:\n"
                 "  - id: a\n    type: symbol\n    source: p\n    layout: {text-field: x, %s}\n",
                 props[i]);
        write_file(fx->path, yaml, strlen(yaml));
        dl_style *s = NULL;
        dline_ctx_clear(fx->ctx);
        assert_int_equal(dl_style_load(fx->ctx, fx->path, &s), DLINE_ESTYLE);
        const char *m = dline_ctx_message(fx->ctx);
        assert_true(strncmp(m, fx->path, strlen(fx->path)) == 0);
        assert_string_equal(m + strlen(fx->path), msgs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zoom_and_scale),
        cmocka_unit_test_setup_teardown(visibility, setup, teardown),
        cmocka_unit_test_setup_teardown(values_from_expressions, setup, teardown),
        cmocka_unit_test_setup_teardown(enum_properties_from_expressions, setup, teardown),
        cmocka_unit_test_setup_teardown(feature_data_in_zoom_only_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(expression_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
