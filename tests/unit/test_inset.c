/* The inset block of a style: defaults, values and the layers it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "style/style.h"

static dline_status load(dline_ctx *ctx, const char *yaml, dl_style **out)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/dline-test-inset-%ld.yaml", (long)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    dline_ctx_clear(ctx);
    dline_status st = dl_style_load(ctx, path, out);
    unlink(path);
    return st;
}

#define LAYERS                                                                                  \
    "sources: {d: d.shp, p: p.shp}\n"                                                           \
    "layers:\n"                                                                                 \
    "  - {id: bg, type: background}\n"                                                          \
    "  - {id: fill, type: fill, source: d}\n"                                                   \
    "  - {id: roads, type: line, source: d}\n"                                                  \
    "  - {id: dots, type: circle, source: p}\n"                                                 \
    "  - {id: names, type: symbol, source: p, layout: {text-field: x}}\n"

static void inset_values(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    assert_int_equal(load(ctx, LAYERS, &s), DLINE_OK);
    assert_false(s->furniture.inset.enabled);
    dl_style_free(s);
    /* The inset may come before the layers it names. */
    assert_int_equal(load(ctx, "inset: {layers: [roads, fill]}\n" LAYERS, &s), DLINE_OK);
    const dl_style_inset *in = &s->furniture.inset;
    assert_true(in->enabled);
    assert_int_equal(in->position, DL_ANCHOR_BOTTOM_RIGHT);
    assert_true(in->size[0] == 200 && in->size[1] == 150);
    assert_false(in->has_extent);
    assert_int_equal(in->nlayers, 2);
    assert_int_equal(in->layers[0], 2); /* in the inset's order */
    assert_int_equal(in->layers[1], 1);
    dl_style_free(s);
    assert_int_equal(load(ctx,
                          "inset:\n  position: top-left\n  size: [2cm, 90]\n"
                          "  extent: [120.8, 30.6, 122.1, 31.9]\n  layers: [bg]\n"
                          "  outline-color: \"#0000ff\"\n  outline-width: 2\n" LAYERS,
                          &s),
                     DLINE_OK);
    in = &s->furniture.inset;
    assert_int_equal(in->position, DL_ANCHOR_TOP_LEFT);
    assert_true(in->size[0] > 75.5 && in->size[0] < 75.6 && in->size[1] == 90);
    assert_true(in->has_extent && in->extent[0] == 120.8 && in->extent[3] == 31.9);
    assert_true(in->outline_color.b == 1 && in->outline_width == 2);
    dl_style_free(s);
    dline_ctx_free(ctx);
}

static void inset_errors(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"inset: {size: [100, 80]}\n", "'inset' needs 'layers'"},
        {"inset: {layers: [dots]}\n", "inset layer 'dots' must be a fill, line or background"},
        {"inset: {layers: [names]}\n", "inset layer 'names' must be a fill, line or background"},
        {"inset: {layers: [nope]}\n", "inset names unknown layer 'nope'"},
        {"inset: {layers: []}\n", "'layers' of the inset must be a list of layer ids"},
        {"inset: {layers: [fill], size: [4, 80]}\n", "at least 8 px a side"},
        {"inset: {layers: [fill], extent: [122, 30, 121, 31]}\n", "minlon < maxlon"},
        {"inset: {layers: [fill], outline-colour: red}\n", "did you mean 'outline-color'?"},
    };
    dline_ctx *ctx = dline_ctx_new();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "%s%s", bad[i][0], LAYERS);
        dl_style *s = NULL;
        assert_int_equal(load(ctx, yaml, &s), DLINE_ESTYLE);
        if (!strstr(dline_ctx_message(ctx), bad[i][1]))
            fail_msg("%s: got '%s'", bad[i][0], dline_ctx_message(ctx));
        assert_null(s);
    }
    dline_ctx_free(ctx);
}

/* An inset-only layer is drawn in the inset alone: the inset must list it,
 * it has no legend row, and the main map leaves it out. */
static void inset_only_layers(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    assert_int_equal(load(ctx,
                          "inset: {layers: [fill, hl]}\n" LAYERS
                          "  - {id: hl, type: fill, source: d, inset-only: true}\n",
                          &s),
                     DLINE_OK);
    assert_true(s->layers[5].inset_only);
    assert_false(s->layers[1].inset_only);
    dl_style_free(s);
    assert_int_equal(load(ctx,
                          "inset: {layers: [fill]}\n" LAYERS
                          "  - {id: hl, type: fill, source: d, inset-only: true}\n",
                          &s),
                     DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx),
                           ":9:5: layer 'hl' is inset-only, but 'inset' does not list it"));
    assert_int_equal(load(ctx,
                          "inset: {layers: [hl]}\n" LAYERS
                          "  - {id: hl, type: fill, source: d, inset-only: true, legend: X}\n",
                          &s),
                     DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx),
                           ":9:5: layer 'hl' is inset-only and cannot have a 'legend' row"));
    assert_int_equal(load(ctx, LAYERS "  - {id: hl, type: fill, source: d, inset-only: 1}\n",
                          &s),
                     DLINE_ESTYLE);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inset_values),
        cmocka_unit_test(inset_errors),
        cmocka_unit_test(inset_only_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
