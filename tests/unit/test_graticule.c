/* Graticule: the auto interval, the label formats and the projected lines,
 * checked against PROJ's own transformation of the same points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graticule.h"

static void auto_interval(void **state)
{
    (void)state;
    /* The largest step giving at least 4 lines across. */
    assert_true(fabs(dl_graticule_auto_interval(0.4) - 5 / 60.0) < 1e-12);   /* 4.8 lines */
    assert_true(fabs(dl_graticule_auto_interval(1.0) - 15 / 60.0) < 1e-12);  /* 4 */
    assert_true(fabs(dl_graticule_auto_interval(0.9) - 10 / 60.0) < 1e-12);  /* 5.4 */
    assert_true(fabs(dl_graticule_auto_interval(3.0) - 30 / 60.0) < 1e-12);  /* 6 */
    assert_true(fabs(dl_graticule_auto_interval(5.0) - 1) < 1e-12);          /* 5 */
    assert_true(fabs(dl_graticule_auto_interval(0.15) - 2 / 60.0) < 1e-12);  /* 4.5 */
    assert_true(fabs(dl_graticule_auto_interval(0.05) - 1 / 60.0) < 1e-12);  /* 3: finest */
    assert_true(fabs(dl_graticule_auto_interval(25) - 5) < 1e-12);
    assert_true(dl_graticule_auto_interval(0) == 0);
    assert_true(dl_graticule_auto_interval(NAN) == 0);
    /* Every choice from 1' to 1 degree gives 4 to 10 lines. */
    for (double span = 4 / 60.0; span < 4; span *= 1.07) {
        double n = span / dl_graticule_auto_interval(span);
        assert_true(n >= 4 - 1e-9 && n < 10);
    }
}

static void check(double deg, int is_lon, int format, double interval, const char *expect)
{
    char buf[64];
    dl_graticule_format(deg, is_lon, format, interval, buf, sizeof buf);
    if (strcmp(buf, expect) != 0)
        fail_msg("%.10f (%s, interval %g): got '%s', want '%s'", deg, is_lon ? "lon" : "lat",
                 interval, buf, expect);
}

static void format_dm(void **state)
{
    (void)state;
    const int F = DL_GRATICULE_DM;
    check(121 + 5 / 60.0, 1, F, 5 / 60.0, "121°05′E");
    check(31, 0, F, 5 / 60.0, "31°00′N");
    check(-73.5, 1, F, 30 / 60.0, "73°30′W");
    check(-33.25, 0, F, 15 / 60.0, "33°15′S");
    check(121, 1, F, 1, "121°E");
    check(0, 1, F, 10 / 60.0, "0°00′");
    check(0, 0, F, 1, "0°");
    check(180, 1, F, 1, "180°");
    check(-180, 1, F, 1, "180°");
    check(190, 1, F, 1, "170°W"); /* past the antimeridian */
    check(121 + 5 / 60.0 + 30 / 3600.0, 1, F, 30 / 3600.0, "121°05′30″E");
    /* Rounded once in the unit shown, then split: never 60″ or 60′. */
    check(30 + 59 / 60.0 + 59.9 / 3600, 0, F, 1 / 3600.0, "31°00′00″N");
    check(30 + 59 / 60.0 + 59.9 / 3600, 0, F, 1 / 60.0, "31°00′N");
    check(30.9999999, 0, F, 5 / 60.0, "31°00′N");
    check(121.0833333333, 1, F, 5 / 60.0, "121°05′E"); /* 5' as a decimal */
    char buf[64];
    for (double d = 30; d < 32; d += 1 / 60.0 - 1e-7) {
        dl_graticule_format(d, 0, F, 1 / 60.0, buf, sizeof buf);
        assert_null(strstr(buf, "60′"));
        dl_graticule_format(d, 0, F, 1 / 3600.0, buf, sizeof buf);
        assert_null(strstr(buf, "60″"));
    }
}

static void format_decimal(void **state)
{
    (void)state;
    const int F = DL_GRATICULE_DECIMAL;
    check(121 + 5 / 60.0, 1, F, 5 / 60.0, "121.083°E");
    check(31 + 10 / 60.0, 0, F, 5 / 60.0, "31.167°N");
    check(31.5, 0, F, 0.5, "31.5°N");
    check(31.25, 0, F, 0.25, "31.25°N");
    check(121, 1, F, 1, "121°E");
    check(-0.1, 0, F, 0.1, "0.1°S");
    check(-73.5, 1, F, 0.5, "73.5°W");
    check(0, 1, F, 0.5, "0.0°");
    check(-1e-12, 0, F, 0.5, "0.0°"); /* no hemisphere for a rounded zero */
    check(180, 1, F, 0.5, "180.0°");
}

/* PROJ's own transformation, as dline's project stage builds it. */
static void proj_lonlat(PJ *pj, double lon, double lat, double *x, double *y)
{
    PJ_COORD c = proj_trans(pj, PJ_FWD, proj_coord(lon, lat, 0, 0));
    *x = c.xy.x;
    *y = c.xy.y;
}

static void meridian_matches_proj(void **state)
{
    (void)state;
    PJ_CONTEXT *pc = proj_context_create();
    PJ *raw = proj_create_crs_to_crs(pc, "EPSG:4326", "EPSG:4549", NULL);
    assert_non_null(raw);
    PJ *pj = proj_normalize_for_visualization(pc, raw);
    proj_destroy(raw);
    assert_non_null(pj);
    /* A 400 px map over Qingpu in CGCS2000 / Gauss-Kruger CM 120E. */
    double x0, y0, x1, y1;
    proj_lonlat(pj, 120.85, 30.97, &x0, &y0);
    proj_lonlat(pj, 121.25, 31.28, &x1, &y1);
    double res = (x1 - x0) / 400, height = ceil((y1 - y0) / res);
    dl_pixel_grid g = {x0, y1, res};

    dline_ctx *ctx = dline_ctx_new();
    dl_proj *p = NULL;
    dl_transform *t = NULL;
    assert_int_equal(dl_proj_new(ctx, &p), DLINE_OK);
    assert_int_equal(dl_transform_new(ctx, p, "EPSG:4326", "EPSG:4549", NULL, &t), DLINE_OK);
    dl_graticule gr;
    assert_int_equal(dl_graticule_build(ctx, t, &g, 400, height, 5 / 60.0, DL_GRATICULE_DM, &gr),
                     DLINE_OK);
    const dl_graticule_line *m = NULL;
    size_t nmer = 0, npar = 0;
    for (size_t i = 0; i < gr.nlines; i++) {
        nmer += gr.lines[i].meridian;
        npar += !gr.lines[i].meridian;
        if (gr.lines[i].meridian && fabs(gr.lines[i].value - 121) < 1e-9)
            m = &gr.lines[i];
    }
    assert_non_null(m);
    assert_true(nmer >= 4 && npar >= 3);
    assert_true(m->n >= 51);
    /* Each point is PROJ's transformation of 121E at a latitude spread over
     * the map; recover the latitude back through PROJ, then compare. */
    double lat0 = NAN, lat1 = NAN;
    for (size_t i = 0; i < m->n; i++) {
        double px = m->xy[2 * i], py = m->xy[2 * i + 1];
        assert_false(isnan(px));
        PJ_COORD c = proj_trans(pj, PJ_INV, proj_coord(x0 + px * res, y1 - py * res, 0, 0));
        double lat = c.lp.phi, ex, ey;
        assert_true(fabs(c.lp.lam - 121) < 1e-7);
        proj_lonlat(pj, 121, lat, &ex, &ey);
        assert_true(fabs((ex - x0) / res - px) < 0.01);
        assert_true(fabs((y1 - ey) / res - py) < 0.01);
        if (i == 0)
            lat0 = lat;
        lat1 = lat;
    }
    /* Densified over the map's latitudes (50 equal steps), south to north. */
    assert_true(lat0 < 30.98 && lat1 > 31.27);
    for (size_t i = 0; i < m->n; i++) {
        double lat = lat0 + (lat1 - lat0) * (double)i / (double)(m->n - 1), ex, ey;
        proj_lonlat(pj, 121, lat, &ex, &ey);
        assert_true(fabs((ex - x0) / res - m->xy[2 * i]) < 0.01);
        assert_true(fabs((y1 - ey) / res - m->xy[2 * i + 1]) < 0.01);
    }
    /* A curve, not a vertical: 1 degree east of the central meridian the
     * meridian converges towards it going north (x grows northward here). */
    double dx = m->xy[2 * (m->n - 1)] - m->xy[0];
    assert_true(fabs(dx) > 1);
    /* Labels where it meets the top and bottom edges, in dm. */
    int top = 0, bottom = 0;
    for (size_t i = 0; i < gr.nlabels; i++) {
        if (strcmp(gr.labels[i].text, "121°00′E") != 0)
            continue;
        top += gr.labels[i].edge == DL_EDGE_TOP && fabs(gr.labels[i].y) < 1e-9;
        bottom += gr.labels[i].edge == DL_EDGE_BOTTOM && fabs(gr.labels[i].y - height) < 1e-9;
    }
    assert_int_equal(top, 1);
    assert_int_equal(bottom, 1);
    dl_graticule_free(&gr);
    dl_graticule_free(&gr); /* a freed graticule is empty */
    dl_transform_free(t);
    dl_proj_free(p);
    dline_ctx_free(ctx);
    proj_destroy(pj);
    proj_context_destroy(pc);
}

static dline_status load(dline_ctx *ctx, const char *yaml, dl_style **out)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/dline-test-graticule-%ld.yaml", (long)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    dline_status st = dl_style_load(ctx, path, out);
    unlink(path);
    return st;
}

static void style_block(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    /* Absent: none. true: the defaults (auto, dm, labels). */
    assert_int_equal(load(ctx, "size: [400, 300]\n", &s), DLINE_OK);
    assert_false(s->furniture.graticule.enabled);
    dl_style_free(s);
    assert_int_equal(load(ctx, "graticule: true\n", &s), DLINE_OK);
    const dl_style_graticule *g = &s->furniture.graticule;
    assert_true(g->enabled && g->labels && g->interval == 0 && g->format == DL_GRATICULE_DM);
    assert_true(g->width > 0 && g->size > 0 && g->font != NULL);
    dl_style_free(s);
    /* Minutes with a prime, ASCII or U+2032; degrees as a number. */
    const char *forms[][2] = {{"5'", "5"}, {"\"30\u2032\"", "30"}, {"0.25", "15"}, {"auto", "0"}};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char yaml[160];
        snprintf(yaml, sizeof yaml,
                 "graticule: {interval: %s, format: decimal, dasharray: [2, 1], labels: false}\n",
                 forms[i][0]);
        assert_int_equal(load(ctx, yaml, &s), DLINE_OK);
        g = &s->furniture.graticule;
        assert_true(fabs(g->interval * 60 - atof(forms[i][1])) < 1e-9);
        assert_int_equal(g->format, DL_GRATICULE_DECIMAL);
        assert_int_equal(g->ndash, 2);
        assert_false(g->labels);
        dl_style_free(s);
    }
    s = NULL;
    assert_int_equal(load(ctx, "graticule: {interval: 0}\n", &s), DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx), "'interval' must be between"));
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auto_interval),
        cmocka_unit_test(format_dm),
        cmocka_unit_test(format_decimal),
        cmocka_unit_test(meridian_matches_proj),
        cmocka_unit_test(style_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
