/* The inset block of a style: defaults, values and the layers it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "project/project.h"
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

/* The inset's own CRS: a string kept with its place, as PROJ is asked at
 * render and its error points back at the value. */
static void inset_crs(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    assert_int_equal(load(ctx, "inset: {layers: [fill]}\n" LAYERS, &s), DLINE_OK);
    assert_null(s->furniture.inset.crs); /* the map's */
    dl_style_free(s);
    assert_int_equal(load(ctx, "inset:\n  layers: [fill]\n  crs: EPSG:3857\n" LAYERS, &s),
                     DLINE_OK);
    const dl_style_inset *in = &s->furniture.inset;
    assert_string_equal(in->crs, "EPSG:3857");
    assert_int_equal(in->crs_line, 3);
    assert_int_equal(in->crs_col, 8);
    dl_style_free(s);
    s = NULL;
    assert_int_equal(load(ctx, "inset: {layers: [fill], crs: ''}\n" LAYERS, &s), DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx), ":1:30: 'crs' must not be empty"));
    assert_null(s);
    assert_int_equal(load(ctx, "inset: {layers: [fill], crs: [1]}\n" LAYERS, &s), DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx), ":1:30: 'crs' must be a string"));
    assert_null(s);
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

/* The main map's outline in an inset with its own CRS (dl_transform_frame,
 * as draw_inset calls it): a map of 400 x 300 px at 10 m/px in EPSG:4549
 * (Gauss-Kruger, CM 120E) with its top-left corner at E 600000, N 3450000,
 * in an inset in EPSG:3857 at 100 m/px with its top-left corner at
 * x 13470000, y 3660000. The corners were transformed by PROJ 9.1.1's cs2cs
 * (EPSG:4549 takes northing, easting):
 *   printf "3450000 600000\n3450000 604000\n3447000 604000\n3447000 600000\n" |
 *     cs2cs -f %.4f EPSG:4549 EPSG:3857
 *   13475099.9367  3654499.1318
 *   13479769.6747  3654453.7768
 *   13479735.1854  3650934.7172
 *   13475066.7732  3650980.0112
 * and then put on the inset's grid: px = (x - 13470000) / 100,
 * py = (3660000 - y) / 100. East of the central meridian the frame turns
 * clockwise in Web Mercator: the top-right corner is lower than the top-left. */
static void inset_outline_matches_cs2cs(void **state)
{
    (void)state;
    static const double corner[4][2] = {{13475099.9367, 3654499.1318},
                                        {13479769.6747, 3654453.7768},
                                        {13479735.1854, 3650934.7172},
                                        {13475066.7732, 3650980.0112}};
    enum { STEPS = 32 };
    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_transform_new(ctx, p, "EPSG:4549", "EPSG:3857", NULL, &t), DLINE_OK);
    dl_pixel_grid map = {600000, 3450000, 10}, inset = {13470000, 3660000, 100};
    double xy[2 * 4 * STEPS];
    assert_int_equal(dl_transform_frame(t, &map, 400, 300, &inset, STEPS, xy), 4 * STEPS);
    for (int k = 0; k < 4; k++) {
        double px = (corner[k][0] - 13470000) / 100, py = (3660000 - corner[k][1]) / 100;
        const double *got = xy + 2 * k * STEPS;
        if (fabs(got[0] - px) > 1e-4 || fabs(got[1] - py) > 1e-4)
            fail_msg("corner %d: got %.6f,%.6f, cs2cs gives %.6f,%.6f", k, got[0], got[1], px,
                     py);
    }
    assert_true(xy[2 * STEPS + 1] - xy[1] > 0.4); /* turned, not an upright box */
    /* The points between the corners run along the edges. */
    double mx = (xy[0] + xy[2 * STEPS]) / 2, my = (xy[1] + xy[2 * STEPS + 1]) / 2;
    assert_true(fabs(xy[STEPS] - mx) < 0.01 && fabs(xy[STEPS + 1] - my) < 0.01);
    dl_transform_free(t);
    dl_proj_free(p);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inset_values),
        cmocka_unit_test(inset_errors),
        cmocka_unit_test(inset_only_layers),
        cmocka_unit_test(inset_crs),
        cmocka_unit_test(inset_outline_matches_cs2cs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
