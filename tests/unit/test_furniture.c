/* Map furniture: the scale bar's round length and its ground accuracy
 * against PROJ's geodesic (geod_inverse), the north arrow's angle against
 * PROJ's meridian convergence (proj_factors) and the Lambert conformal conic
 * formula, the legend, the frame and the style blocks. Needs
 * FONTCONFIG_FILE=tests/fonts.conf (ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <geodesic.h>
#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "furniture.h"
#include "render/render_int.h"

#define W 400
#define H 300

/* The centre of the test maps: Qingpu, Shanghai. */
#define LON0 121.1
#define LAT0 31.1

static const char *const LCC =
    "+proj=lcc +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs +type=crs";
static const char *const OMERC =
    "+proj=omerc +lat_0=31.1 +lonc=121.1 +alpha=30 +gamma=30 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 "
    "+units=m +no_defs +type=crs";
static const char *const OMERC_UNRECTIFIED =
    "+proj=omerc +lat_0=31.1 +lonc=121.1 +alpha=30 +gamma=0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 "
    "+units=m +no_defs +type=crs";

/* A map of W x H px centred on LON0, LAT0 in crs, res map units per px. */
typedef struct {
    dline_ctx *ctx;
    dl_proj *proj;
    dl_transform *ll; /* EPSG:4326 -> crs */
    dl_pixel_grid grid;
} map;

static void map_open(map *m, const char *crs, double res)
{
    m->ctx = dline_ctx_new();
    assert_int_equal(dl_proj_new(m->ctx, &m->proj), DLINE_OK);
    assert_int_equal(dl_transform_new(m->ctx, m->proj, "EPSG:4326", crs, NULL, &m->ll), DLINE_OK);
    double c[2] = {LON0, LAT0};
    assert_int_equal(dl_transform_points(m->ll, c, 1), 1);
    m->grid.minx = c[0] - res * W / 2;
    m->grid.maxy = c[1] + res * H / 2;
    m->grid.res = res;
}

static void map_close(map *m)
{
    dl_transform_free(m->ll);
    dl_proj_free(m->proj);
    dline_ctx_free(m->ctx);
}

/* Pixel to longitude/latitude, inverse-projected. */
static void pixel_lonlat(map *m, double px, double py, double *lon, double *lat)
{
    double xy[2] = {m->grid.minx + px * m->grid.res, m->grid.maxy - py * m->grid.res};
    assert_int_equal(dl_transform_points_inv(m->ll, xy, 1), 1);
    *lon = xy[0];
    *lat = xy[1];
}

/* Metres between two pixels by geod_inverse, independent of dline. */
static double ground_metres(map *m, double x0, double y0, double x1, double y1)
{
    double lon0, lat0, lon1, lat1, s12;
    pixel_lonlat(m, x0, y0, &lon0, &lat0);
    pixel_lonlat(m, x1, y1, &lon1, &lat1);
    struct geod_geodesic g;
    geod_init(&g, 6378137, 1 / 298.257223563);
    geod_inverse(&g, lat0, lon0, lat1, lon1, &s12, NULL, NULL);
    return s12;
}

static char warned[512];

static void on_warning(const char *message, void *user)
{
    (void)user;
    snprintf(warned, sizeof warned, "%s", message);
}

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    dl_render *r;
} canvas;

static void canvas_open(canvas *c, dline_ctx *ctx)
{
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
    c->cr = cairo_create(c->surface);
    assert_int_equal(dl_render_new(ctx, c->cr, W, H, &c->r), DLINE_OK);
    dl_render_background(c->r, (dl_color){1, 1, 1, 1}, 1.0);
}

static void canvas_close(canvas *c)
{
    dl_render_free(c->r);
    cairo_destroy(c->cr);
    cairo_surface_destroy(c->surface);
}

static void pixel(canvas *c, int x, int y, int rgb[3])
{
    cairo_surface_flush(c->surface);
    const unsigned char *d = cairo_image_surface_get_data(c->surface);
    uint32_t p = *(const uint32_t *)(const void *)(d + y * cairo_image_surface_get_stride(c->surface) +
                                                   x * 4);
    rgb[0] = (p >> 16) & 0xff;
    rgb[1] = (p >> 8) & 0xff;
    rgb[2] = p & 0xff;
}

static dl_style_scale_bar scale_bar_style(void)
{
    dl_style_scale_bar s = {.enabled = 1, .position = DL_ANCHOR_BOTTOM_LEFT, .offset = {16, 16},
                            .max_width = 150, .font = "DejaVu Sans", .size = 11,
                            .color = {0.13, 0.13, 0.13, 1}, .halo_color = {1, 1, 1, 0.85},
                            .halo_width = 1.5};
    return s;
}

/* The longest of 1, 2, 5 x 10^n metres that fits, 4 segments for 1 and 2
 * (halves and quarters are round), 2 for 5 and for short bars. */
static void scale_bar_picks_round_lengths(void **state)
{
    (void)state;
    static const struct {
        double mpp, max, metres;
        int segments;
    } cases[] = {
        {10, 150, 1000, 4},     /* 1500 m fit: 1 km over 100 px */
        {20, 150, 2000, 4},     /* 3000: 2 km */
        {40, 150, 5000, 2},     /* 6000: 5 km in halves */
        {10, 100, 1000, 4},     /* exactly 1 km fits */
        {9.99, 100, 500, 2},    /* 999 m: 500 m */
        {0.01, 150, 1, 4},      /* 1.5 m: 1 m */
        {1000, 150, 100000, 4}, /* 150 km: 100 km */
        {400, 150, 50000, 2},   /* 60 km: 50 km */
        {30, 80, 2000, 4},      /* 2400 m: 2 km over 67 px */
        {30, 50, 1000, 2},      /* 1500 m: 1 km, 33 px: too short for quarters */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dl_scale_bar_choice c;
        assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_METRIC, cases[i].mpp, cases[i].max, &c), 0);
        if (fabs(c.metres - cases[i].metres) > 1e-9 * cases[i].metres ||
            c.segments != cases[i].segments)
            fail_msg("case %zu: %g m in %d segments, expected %g m in %d", i, c.metres,
                     c.segments, cases[i].metres, cases[i].segments);
        assert_true(fabs(c.width - c.metres / cases[i].mpp) < 1e-9);
        assert_true(c.width <= cases[i].max + 1e-9);
    }
    dl_scale_bar_choice c;
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_METRIC, 0, 150, &c), -1);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_METRIC, NAN, 150, &c), -1);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_METRIC, INFINITY, 150, &c), -1);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_METRIC, 10, 0, &c), -1);
}

/* The same round lengths in each unit system, with the tick labels: feet
 * below a mile and miles from one (1 ft = 0.3048 m, 1 mi = 1609.344 m),
 * nautical miles with fractions below one (1852 m), and metric with its
 * labels as they always were. */
static void scale_bar_picks_in_each_unit(void **state)
{
    (void)state;
    static const struct {
        dl_scale_units units;
        double mpp, max, length;
        const char *mid, *end;
        int segments;
    } cases[] = {
        {DL_UNITS_METRIC, 9.99, 100, 500, "250", "500 m", 2},
        {DL_UNITS_METRIC, 20, 150, 2, "1", "2 km", 4},
        {DL_UNITS_METRIC, 40, 150, 5, "2.5", "5 km", 2},
        {DL_UNITS_METRIC, 0.01, 150, 1, "0.5", "1 m", 4},
        /* Large numbers are written out, not as "1e+04". */
        {DL_UNITS_METRIC, 1e5, 200, 20000, "10000", "20000 km", 4},
        {DL_UNITS_IMPERIAL, 2e5, 300, 20000, "10000", "20000 mi", 4},
        {DL_UNITS_IMPERIAL, 1, 150, 200, "100", "200 ft", 4},      /* 492 ft fit */
        {DL_UNITS_IMPERIAL, 3, 150, 1000, "500", "1000 ft", 4},    /* 1476 ft */
        {DL_UNITS_IMPERIAL, 20, 50, 2000, "1000", "2000 ft", 2},   /* 3281 ft over 30 px */
        {DL_UNITS_IMPERIAL, 10.5, 150, 5000, "2500", "5000 ft", 2}, /* 5167 ft: short of 1 mi */
        {DL_UNITS_IMPERIAL, 10.73, 150, 1, "0.5", "1 mi", 4},      /* 1609.5 m: a mile fits */
        {DL_UNITS_IMPERIAL, 16.09344, 100, 1, "0.5", "1 mi", 4},   /* exactly 1 mi fits */
        {DL_UNITS_IMPERIAL, 17.8816, 90, 1, "0.5", "1 mi", 4},     /* 1 mi, rounded below */
        {DL_UNITS_IMPERIAL, 25, 150, 2, "1", "2 mi", 4},           /* 2.33 mi */
        {DL_UNITS_IMPERIAL, 60, 150, 5, "2.5", "5 mi", 2},         /* 5.59 mi */
        {DL_UNITS_IMPERIAL, 1000, 150, 50, "25", "50 mi", 2},      /* 93.2 mi */
        {DL_UNITS_IMPERIAL, 0.001, 150, 0.2, "0.1", "0.2 ft", 4},  /* 0.49 ft */
        {DL_UNITS_NAUTICAL, 1, 150, 0.05, "0.025", "0.05 nmi", 2}, /* 0.081 nmi */
        {DL_UNITS_NAUTICAL, 2, 150, 0.1, "0.05", "0.1 nmi", 4},    /* 0.162 nmi */
        {DL_UNITS_NAUTICAL, 5, 150, 0.2, "0.1", "0.2 nmi", 4},     /* 0.405 nmi */
        {DL_UNITS_NAUTICAL, 10, 150, 0.5, "0.25", "0.5 nmi", 2},   /* 0.81 nmi */
        {DL_UNITS_NAUTICAL, 18.52, 100, 1, "0.5", "1 nmi", 4},     /* exactly 1 nmi fits */
        {DL_UNITS_NAUTICAL, 1852.0 / 150, 150, 1, "0.5", "1 nmi", 4}, /* 1 nmi, rounded below */
        {DL_UNITS_NAUTICAL, 100, 150, 5, "2.5", "5 nmi", 2},       /* 8.1 nmi */
        {DL_UNITS_NAUTICAL, 500, 150, 20, "10", "20 nmi", 4},      /* 40.5 nmi */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dl_scale_bar_choice c;
        assert_int_equal(dl_render_scale_bar_pick(cases[i].units, cases[i].mpp, cases[i].max, &c),
                         0);
        if (fabs(c.length - cases[i].length) > 1e-12 * cases[i].length ||
            c.segments != cases[i].segments || strcmp(c.ticks[0], "0") != 0 ||
            strcmp(c.ticks[1], cases[i].mid) != 0 || strcmp(c.ticks[2], cases[i].end) != 0)
            fail_msg("case %zu: %g %s in %d segments, ticks '%s' '%s' '%s', expected %g in %d, "
                     "'0' '%s' '%s'",
                     i, c.length, c.unit, c.segments, c.ticks[0], c.ticks[1], c.ticks[2],
                     cases[i].length, cases[i].segments, cases[i].mid, cases[i].end);
        /* The ground length behind the label, exactly, and its px. */
        double unit = !strcmp(c.unit, "km") ? 1000 : !strcmp(c.unit, "ft") ? 0.3048
                      : !strcmp(c.unit, "mi") ? 1609.344 : !strcmp(c.unit, "nmi") ? 1852 : 1;
        assert_true(fabs(c.metres - c.length * unit) <= 1e-12 * c.metres);
        assert_true(fabs(c.width - c.metres / cases[i].mpp) < 1e-9);
        assert_true(c.width <= cases[i].max + 1e-9);
    }
    dl_scale_bar_choice c;
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_IMPERIAL, 0, 150, &c), -1);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_NAUTICAL, NAN, 150, &c), -1);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_IMPERIAL, 10, 0.5, &c), -1);
}

static void geodesic_distance_matches_geod_inverse(void **state)
{
    (void)state;
    /* One degree of longitude at the equator is a*pi/180. */
    assert_true(fabs(dl_proj_geodesic_distance(0, 0, 1, 0) - 111319.490793) < 1e-3);
    double s12;
    struct geod_geodesic g;
    geod_init(&g, 6378137, 1 / 298.257223563);
    geod_inverse(&g, 31.1, 121.0, 31.2, 121.3, &s12, NULL, NULL);
    assert_true(fabs(dl_proj_geodesic_distance(121.0, 31.1, 121.3, 31.2) - s12) < 1e-6);
    assert_true(isnan(dl_proj_geodesic_distance(0, 91, 1, 0)));
    assert_true(isnan(dl_proj_geodesic_distance(NAN, 0, 1, 0)));
}

/* Draws the bar for the map in units, then measures it: the ground distance
 * between its inverse-projected ends must be its label within 1%, and the
 * scale at the centre must match within 0.1%. The bar's ground length comes
 * back in *metres_out (may be NULL). */
static void check_scale_bar(const char *crs, double res, dl_scale_units units, double *mpp_out,
                            double *metres_out)
{
    map m;
    map_open(&m, crs, res);
    double mpp;
    assert_int_equal(dl_proj_ground_resolution(m.ctx, m.ll, &m.grid, W / 2.0, H / 2.0, &mpp),
                     DLINE_OK);
    /* At the centre, over a bar's length. */
    double centre = ground_metres(&m, W / 2.0 - 50, H / 2.0, W / 2.0 + 50, H / 2.0) / 100;
    if (fabs(mpp - centre) / centre > 0.001)
        fail_msg("%s: %g m/px at the centre, geod_inverse says %g", crs, mpp, centre);

    canvas c;
    canvas_open(&c, m.ctx);
    dl_style_scale_bar s = scale_bar_style();
    s.units = units;
    dl_scale_bar_drawn d;
    double used;
    assert_int_equal(dl_render_scale_bar(m.ctx, c.r, &s, mpp, 0, &used, &d), DLINE_OK);
    assert_true(d.x1 - d.x0 > 0 && d.x1 - d.x0 <= s.max_width);
    assert_true(d.x0 >= s.offset[0] && d.y < H - s.offset[1] && d.y > H / 2.0);
    double truth = ground_metres(&m, d.x0, d.y, d.x1, d.y);
    if (fabs(truth - d.metres) / d.metres > 0.01)
        fail_msg("%s: the bar says %g m; its ends are %g m apart on the ground", crs, d.metres,
                 truth);
    /* Its block is a label obstacle and its height came back. */
    assert_true(c.r->nboxes >= 1);
    assert_true(used > s.offset[1] + s.size);
    /* The dark first segment and the light second one. */
    int rgb[3];
    double seg = (d.x1 - d.x0) / d.segments;
    pixel(&c, (int)(d.x0 + seg / 2), (int)d.y, rgb);
    assert_true(rgb[0] < 60);
    pixel(&c, (int)(d.x0 + 1.5 * seg), (int)d.y, rgb);
    assert_true(rgb[0] > 200);
    canvas_close(&c);
    map_close(&m);
    *mpp_out = mpp;
    if (metres_out)
        *metres_out = d.metres;
}

static void scale_bar_is_geodesic_in_web_mercator(void **state)
{
    (void)state;
    double mpp;
    check_scale_bar("EPSG:3857", 100, DL_UNITS_METRIC, &mpp, NULL);
    /* Not projected units: Mercator stretches by 1/cos(31.1 deg) here. */
    assert_true(fabs(mpp - 100 * cos(LAT0 * M_PI / 180)) / mpp < 0.005);
}

static void scale_bar_is_geodesic_in_gauss_kruger(void **state)
{
    (void)state;
    double mpp;
    check_scale_bar("EPSG:4549", 85, DL_UNITS_METRIC, &mpp, NULL);
    assert_true(fabs(mpp - 85) / 85 < 0.001);
}

/* A longitude/latitude map: map units are degrees, the bar is still metres. */
static void scale_bar_is_geodesic_in_degrees(void **state)
{
    (void)state;
    double mpp;
    check_scale_bar("EPSG:4326", 0.001, DL_UNITS_METRIC, &mpp, NULL);
    assert_true(fabs(mpp - 0.001 * 111319.5 * cos(LAT0 * M_PI / 180)) / mpp < 0.005);
}

/* An imperial bar is as true on the ground: in miles in Web Mercator
 * (5 mi at 85.6 m/px), in feet in Gauss-Kruger (500 ft at 2 m/px), and a
 * nautical one in longitude/latitude. */
static void scale_bar_is_geodesic_in_imperial_and_nautical(void **state)
{
    (void)state;
    double mpp, metres;
    dl_scale_bar_choice c;
    check_scale_bar("EPSG:3857", 100, DL_UNITS_IMPERIAL, &mpp, &metres);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_IMPERIAL, mpp, 150, &c), 0);
    assert_string_equal(c.unit, "mi");
    assert_true(c.length == 5 && metres == 5 * 1609.344);

    check_scale_bar("EPSG:4549", 2, DL_UNITS_IMPERIAL, &mpp, &metres);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_IMPERIAL, mpp, 150, &c), 0);
    assert_string_equal(c.unit, "ft");
    assert_true(c.length == 500 && fabs(metres - 500 * 0.3048) < 1e-9);

    check_scale_bar("EPSG:4326", 0.001, DL_UNITS_NAUTICAL, &mpp, &metres);
    assert_int_equal(dl_render_scale_bar_pick(DL_UNITS_NAUTICAL, mpp, 150, &c), 0);
    assert_string_equal(c.unit, "nmi");
    assert_true(c.length == 5 && metres == 5 * 1852.0);
}

/* Meridian convergence as PROJ reports it: proj_factors on the projected
 * CRS. Its sign is the angle from true north to grid north, so grid up
 * seen from true north; the arrow's angle is the other way round. */
static double proj_convergence(const char *crs)
{
    PJ_CONTEXT *pc = proj_context_create();
    PJ *p = proj_create(pc, crs);
    assert_non_null(p);
    PJ_COORD c = proj_coord(proj_torad(LON0), proj_torad(LAT0), 0, 0);
    PJ_FACTORS f = proj_factors(p, c);
    assert_int_equal(proj_errno(p), 0);
    proj_destroy(p);
    proj_context_destroy(pc);
    return proj_todeg(f.meridian_convergence);
}

static double north_at_centre(const char *crs, double res)
{
    map m;
    map_open(&m, crs, res);
    double deg;
    assert_int_equal(dl_proj_north_angle(m.ctx, m.ll, &m.grid, W / 2.0, H / 2.0, &deg),
                     DLINE_OK);
    map_close(&m);
    return deg;
}

static void north_is_up_in_web_mercator(void **state)
{
    (void)state;
    assert_true(fabs(north_at_centre("EPSG:3857", 100)) < 1e-6);
}

static void north_tilts_in_lambert_conic(void **state)
{
    (void)state;
    double deg = north_at_centre(LCC, 100);
    /* The cone constant n of the ellipsoidal LCC (Snyder 15-8): the grid
     * turns by n x (lon - lon_0); east of the central meridian the
     * meridians lean towards it, so north is up and to the left. */
    double e2 = 1 / 298.257223563 * (2 - 1 / 298.257223563), e = sqrt(e2);
    double p1 = 25 * M_PI / 180, p2 = 47 * M_PI / 180;
    double m1 = cos(p1) / sqrt(1 - e2 * sin(p1) * sin(p1));
    double m2 = cos(p2) / sqrt(1 - e2 * sin(p2) * sin(p2));
    double t1 = tan(M_PI / 4 - p1 / 2) / pow((1 - e * sin(p1)) / (1 + e * sin(p1)), e / 2);
    double t2 = tan(M_PI / 4 - p2 / 2) / pow((1 - e * sin(p2)) / (1 + e * sin(p2)), e / 2);
    double n = (log(m1) - log(m2)) / (log(t1) - log(t2));
    double formula = -n * (LON0 - 105);
    double proj = -proj_convergence(LCC);
    if (fabs(deg - formula) > 0.1 || fabs(deg - proj) > 0.1)
        fail_msg("north at %g deg; the cone formula says %g, proj_factors %g", deg, formula,
                 proj);
    assert_true(deg < -9 && deg > -10.5);
}

/* With gamma = alpha the rectified grid turns back to north-up at the
 * centre line's origin; with gamma = 0 it keeps the centre line's 30
 * degrees and north leans by about that much. */
static void north_tilts_in_rotated_oblique_mercator(void **state)
{
    (void)state;
    double deg = north_at_centre(OMERC, 100);
    double proj = -proj_convergence(OMERC);
    if (fabs(deg - proj) > 0.1)
        fail_msg("rectified: north at %g deg; proj_factors says %g", deg, proj);
    assert_true(fabs(deg) < 1);
    deg = north_at_centre(OMERC_UNRECTIFIED, 100);
    proj = -proj_convergence(OMERC_UNRECTIFIED);
    if (fabs(deg - proj) > 0.1)
        fail_msg("unrectified: north at %g deg; proj_factors says %g", deg, proj);
    assert_true(fabs(fabs(deg) - 30) < 1);
}

static void north_arrow_is_drawn_and_an_obstacle(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    canvas c;
    canvas_open(&c, ctx);
    dl_style_north_arrow a = {.enabled = 1, .position = DL_ANCHOR_TOP_RIGHT, .offset = {16, 16},
                              .size = 40, .font = "DejaVu Sans Bold",
                              .color = {0, 0, 0, 1}, .halo_color = {1, 1, 1, 1}};
    double used;
    assert_int_equal(dl_render_north_arrow(ctx, c.r, &a, 0, 10, &used), DLINE_OK);
    assert_int_equal(c.r->nboxes, 1);
    dl_box b = c.r->boxes[0];
    /* At the top right, 10 px below what was stacked there. */
    assert_true(fabs(b.x1 - (W - 16)) < 1e-9 && fabs(b.y0 - 26) < 1e-9);
    assert_true(fabs(used - (16 + b.y1 - b.y0)) < 1e-9);
    /* Halfway along the upright needle: dark left of its axis, light right. */
    double ax = (b.x0 + b.x1) / 2, ay = b.y1 - 1.5 - 20;
    int rgb[3];
    pixel(&c, (int)floor(ax - 3), (int)ay, rgb);
    assert_true(rgb[0] < 60);
    pixel(&c, (int)floor(ax + 2), (int)ay, rgb);
    assert_true(rgb[0] > 200);
    canvas_close(&c);
    dline_ctx_free(ctx);
}

/* A long attribution across the bottom (anchored bottom right) reaches
 * under the scale bar and north arrow of the bottom left: they move up
 * until they clear it, and no two blocks overlap. On a map wide enough for
 * all of them side by side, nothing moves. */
static void blocks_clear_a_long_attribution(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "Site positions are approximate. Boundaries: DataV.GeoAtlas; lake and rivers: GSHHG.",
        "Short note."};
    for (int k = 0; k < 2; k++) {
        map m;
        map_open(&m, "EPSG:3857", 20);
        canvas c;
        canvas_open(&c, m.ctx);
        dl_style s;
        memset(&s, 0, sizeof s);
        s.path = "test.yaml";
        s.furniture.scale_bar = scale_bar_style();
        s.furniture.north_arrow = (dl_style_north_arrow){
            .enabled = 1, .position = DL_ANCHOR_BOTTOM_LEFT, .offset = {20, 10}, .size = 40,
            .font = "DejaVu Sans Bold", .color = {0, 0, 0, 1}, .halo_color = {1, 1, 1, 1}};
        dl_style_text t = {.text = (char *)texts[k], .font = "DejaVu Sans", .size = 11,
                           .color = {0.3, 0.3, 0.3, 1}, .position = DL_ANCHOR_BOTTOM_RIGHT,
                           .offset = {10, 12}, .role = "attribution"};
        double stack[DL_ANCHOR_BOTTOM_RIGHT + 1] = {0}, used;
        assert_int_equal(dl_render_text_block(m.ctx, c.r, &t, 0, &used), DLINE_OK);
        stack[t.position] += used;
        assert_int_equal(dl_furniture_draw(m.ctx, m.proj, &s, "EPSG:3857", &m.grid, W, H, c.r,
                                           stack),
                         DLINE_OK);
        assert_int_equal(c.r->nboxes, 3); /* attribution, scale bar, north arrow */
        const dl_box *b = c.r->boxes;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = i + 1; j < 3; j++)
                if (b[i].x0 < b[j].x1 && b[j].x0 < b[i].x1 && b[i].y0 < b[j].y1 &&
                    b[j].y0 < b[i].y1)
                    fail_msg("%s: blocks %zu and %zu overlap", texts[k], i, j);
        /* The scale bar sits on its 16 px offset only when nothing is in the way. */
        if (k == 0)
            assert_true(b[1].y1 <= b[0].y0);
        else
            assert_true(fabs(b[1].y1 - (H - 16)) < 2);
        canvas_close(&c);
        map_close(&m);
    }
}

static void legend_draws_swatches_with_layer_paint(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    canvas c;
    canvas_open(&c, ctx);
    dl_style_layer layers[3];
    memset(layers, 0, sizeof layers);
    layers[0].type = DL_LAYER_FILL;
    layers[0].fill_color = (dl_color){0, 0, 1, 1};
    layers[0].fill_opacity = 1;
    layers[0].legend = "Lake";
    layers[0].id = "lake";
    layers[1].type = DL_LAYER_LINE; /* no legend: not listed */
    layers[1].id = "hidden";
    layers[2].type = DL_LAYER_LINE;
    layers[2].line_color = (dl_color){1, 0, 0, 1};
    layers[2].line_width = 4;
    layers[2].line_opacity = 1;
    layers[2].legend = "Route";
    layers[2].id = "route";
    layers[2].line_offset = 30; /* the swatch ignores it: still in its row */
    dl_style_legend g = {.enabled = 1, .position = DL_ANCHOR_TOP_LEFT, .offset = {10, 10},
                         .font = "DejaVu Sans", .size = 12, .color = {0, 0, 0, 1},
                         .background_color = {1, 1, 1, 1}, .background_opacity = 1,
                         .border_color = {0.5, 0.5, 0.5, 1}, .border_width = 1, .padding = 8};
    double used;
    assert_int_equal(dl_render_legend(ctx, c.r, &g, layers, 3, 0, &used), DLINE_OK);
    assert_int_equal(c.r->nboxes, 1);
    dl_box b = c.r->boxes[0];
    assert_true(fabs(b.x0 - 10) < 1e-9 && fabs(b.y0 - 10) < 1e-9);
    /* Two rows: about two text lines plus padding, not three. */
    assert_true(b.y1 - b.y0 > 2 * 12 + 16 && b.y1 - b.y0 < 3 * 12 * 1.5 + 16);
    /* The first swatch (padding + border in) is blue, the second row has a
     * red line through the middle of its swatch. */
    int rgb[3], found_red = 0;
    pixel(&c, (int)b.x0 + 1 + 8 + 10, (int)b.y0 + 1 + 8 + 5, rgb);
    assert_true(rgb[2] > 200 && rgb[0] < 60);
    for (int y = (int)b.y0 + 20; y < (int)b.y1; y++) {
        pixel(&c, (int)b.x0 + 1 + 8 + 14, y, rgb);
        found_red |= rgb[0] > 200 && rgb[1] < 60;
    }
    assert_true(found_red);
    canvas_close(&c);
    dline_ctx_free(ctx);
}

static void frame_is_drawn_inside_the_edge(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    canvas c;
    canvas_open(&c, ctx);
    dl_style_frame f = {.enabled = 1, .width = 3, .color = {0, 0, 0, 1}};
    dl_render_frame_obstacles(c.r, &f);
    assert_int_equal(c.r->nboxes, 4);
    assert_int_equal(dl_render_frame(ctx, c.r, &f), DLINE_OK);
    int rgb[3];
    pixel(&c, 0, 0, rgb);
    assert_true(rgb[0] < 10);
    pixel(&c, W - 2, H / 2, rgb);
    assert_true(rgb[0] < 10);
    pixel(&c, W / 2, H - 3, rgb);
    assert_true(rgb[0] < 10);
    pixel(&c, W / 2, H - 4, rgb);
    assert_true(rgb[0] > 245);
    canvas_close(&c);
    dline_ctx_free(ctx);
}

/* The furniture step: a scale bar, then a north arrow above it at the same
 * corner, then a legend above both, each a label obstacle. */
static void furniture_stacks_at_a_corner(void **state)
{
    (void)state;
    map m;
    map_open(&m, "EPSG:3857", 100);
    canvas c;
    canvas_open(&c, m.ctx);
    dl_style_layer layer;
    memset(&layer, 0, sizeof layer);
    layer.type = DL_LAYER_FILL;
    layer.fill_color = (dl_color){0, 0, 1, 1};
    layer.fill_opacity = 1;
    layer.legend = "Water";
    dl_style style;
    memset(&style, 0, sizeof style);
    style.path = "s.yaml";
    style.layers = &layer;
    style.nlayers = 1;
    dl_style_furniture *f = &style.furniture;
    f->scale_bar = scale_bar_style();
    f->north_arrow = (dl_style_north_arrow){.enabled = 1, .position = DL_ANCHOR_BOTTOM_LEFT,
                                            .offset = {16, 8}, .size = 30, .font = "DejaVu Sans",
                                            .color = {0, 0, 0, 1}, .halo_color = {1, 1, 1, 1}};
    f->legend = (dl_style_legend){.enabled = 1, .position = DL_ANCHOR_BOTTOM_LEFT,
                                  .offset = {16, 8}, .font = "DejaVu Sans", .size = 11,
                                  .color = {0, 0, 0, 1}, .background_color = {1, 1, 1, 1},
                                  .background_opacity = 1, .padding = 4};
    double stack[DL_ANCHOR_BOTTOM_RIGHT + 1] = {0};
    stack[DL_ANCHOR_BOTTOM_LEFT] = 5; /* something already there */
    assert_int_equal(dl_furniture_draw(m.ctx, m.proj, &style, "EPSG:3857", &m.grid, W, H, c.r,
                                       stack),
                     DLINE_OK);
    assert_int_equal(c.r->nboxes, 3);
    dl_box bar = c.r->boxes[0], arrow = c.r->boxes[1], legend = c.r->boxes[2];
    assert_true(fabs(bar.y1 - (H - 16 - 5)) < 1e-9);
    assert_true(fabs(arrow.y1 - (bar.y0 - 8)) < 1e-9);
    assert_true(fabs(legend.y1 - (arrow.y0 - 8)) < 1.0); /* the legend snaps to whole px */
    assert_true(fabs(stack[DL_ANCHOR_BOTTOM_LEFT] - (H - legend.y0)) < 1.0);
    canvas_close(&c);
    map_close(&m);
}

/* A map centre off the globe of an orthographic map has no longitude or
 * latitude: the render goes on without the scale bar and the arrow, and
 * says so. */
static void furniture_without_lonlat_warns(void **state)
{
    (void)state;
    static const char *const ortho = "+proj=ortho +lat_0=31 +lon_0=121 +ellps=WGS84 +type=crs";
    map m;
    map_open(&m, ortho, 100);
    m.grid.minx += 5e7; /* far beyond the globe's rim */
    canvas c;
    canvas_open(&c, m.ctx);
    dl_style style;
    memset(&style, 0, sizeof style);
    style.path = "s.yaml";
    style.furniture.scale_bar = scale_bar_style();
    style.furniture.north_arrow = (dl_style_north_arrow){.enabled = 1, .size = 30};
    warned[0] = '\0';
    dline_ctx_set_warning_handler(m.ctx, on_warning, NULL);
    double stack[DL_ANCHOR_BOTTOM_RIGHT + 1] = {0};
    assert_int_equal(dl_furniture_draw(m.ctx, m.proj, &style, ortho, &m.grid, W, H, c.r, stack),
                     DLINE_OK);
    assert_int_equal(c.r->nboxes, 0);
    assert_non_null(strstr(warned, "s.yaml: "));
    assert_non_null(strstr(warned, "not drawn"));
    canvas_close(&c);
    map_close(&m);
}

/* Style blocks */


static char style_path[64];

static dline_status load(dline_ctx *ctx, const char *yaml, dl_style **out)
{
    snprintf(style_path, sizeof style_path, "/tmp/dline-test-furniture-%ld.yaml",
             (long)getpid());
    FILE *f = fopen(style_path, "wb");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    warned[0] = '\0';
    dline_ctx_clear(ctx);
    dline_ctx_set_warning_handler(ctx, on_warning, NULL);
    dline_status st = dl_style_load(ctx, style_path, out);
    unlink(style_path);
    return st;
}

static void style_furniture_defaults_and_values(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    assert_int_equal(load(ctx, "size: [400, 300]\n", &s), DLINE_OK);
    assert_false(s->furniture.scale_bar.enabled);
    assert_false(s->furniture.north_arrow.enabled);
    assert_int_equal(s->furniture.legend.enabled, 0);
    assert_false(s->furniture.frame.enabled);
    dl_style_free(s);

    assert_int_equal(load(ctx,
                          "scale-bar: true\nnorth-arrow: {position: top-left, size: 50}\n"
                          "frame: {width: 2, color: red}\n"
                          "sources: {a: a.shp}\n"
                          "layers:\n"
                          "  - {id: l, type: line, source: a, legend: Roads}\n",
                          &s),
                     DLINE_OK);
    const dl_style_furniture *f = &s->furniture;
    assert_true(f->scale_bar.enabled);
    assert_int_equal(f->scale_bar.position, DL_ANCHOR_BOTTOM_LEFT);
    assert_true(f->scale_bar.max_width == 150 && f->scale_bar.offset[0] == 16);
    assert_int_equal(f->scale_bar.units, DL_UNITS_METRIC);
    assert_int_equal(f->north_arrow.position, DL_ANCHOR_TOP_LEFT);
    assert_true(f->north_arrow.size == 50);
    assert_true(f->frame.enabled && f->frame.width == 2 && f->frame.color.r == 1);
    /* A layer with a legend text turns the legend on. */
    assert_int_equal(f->legend.enabled, 1);
    assert_string_equal(s->layers[0].legend, "Roads");
    dl_style_free(s);

    assert_int_equal(load(ctx,
                          "scale-bar: {max-width: 200, units: metric, font: DejaVu Serif Bold, "
                          "size: 12, color: black, halo-color: white, halo-width: 2, "
                          "position: bottom-right, offset: [20, 30]}\n"
                          "legend: {title: Key, background-opacity: 0.5, padding: 4}\n",
                          &s),
                     DLINE_OK);
    f = &s->furniture;
    assert_true(f->scale_bar.max_width == 200 && f->scale_bar.size == 12);
    assert_string_equal(f->scale_bar.font, "DejaVu Serif Bold");
    assert_true(f->scale_bar.offset[1] == 30);
    assert_int_equal(f->scale_bar.position, DL_ANCHOR_BOTTOM_RIGHT);
    assert_int_equal(f->scale_bar.units, DL_UNITS_METRIC);
    assert_string_equal(f->legend.title, "Key");
    assert_true(f->legend.background_opacity == 0.5 && f->legend.padding == 4);
    /* A legend block with no layer to list warns. */
    assert_non_null(strstr(warned, "'legend' has no entries"));
    dl_style_free(s);

    assert_int_equal(load(ctx,
                          "legend: false\nsources: {a: a.shp}\n"
                          "layers: [{id: l, type: fill, source: a, legend: Fields}]\n",
                          &s),
                     DLINE_OK);
    assert_int_equal(s->furniture.legend.enabled, 0);
    dl_style_free(s);

    assert_int_equal(load(ctx, "scale-bar: {units: imperial}\n", &s), DLINE_OK);
    assert_int_equal(s->furniture.scale_bar.units, DL_UNITS_IMPERIAL);
    dl_style_free(s);
    assert_int_equal(load(ctx, "scale-bar: {units: nautical}\n", &s), DLINE_OK);
    assert_int_equal(s->furniture.scale_bar.units, DL_UNITS_NAUTICAL);
    dl_style_free(s);
    dline_ctx_free(ctx);
}

static void expect_error(dline_ctx *ctx, const char *yaml, const char *msg)
{
    dl_style *s = (dl_style *)1;
    assert_int_equal(load(ctx, yaml, &s), DLINE_ESTYLE);
    assert_null(s);
    const char *got = dline_ctx_message(ctx);
    size_t n = strlen(style_path);
    if (strncmp(got, style_path, n) != 0 || strcmp(got + n, msg) != 0)
        fail_msg("got '%s', expected '%s%s'", got, style_path, msg);
}

static void style_furniture_errors(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    expect_error(ctx, "scale-bar: {max-widht: 100}\n",
                 ":1:13: unknown key 'max-widht' (did you mean 'max-width'?)");
    expect_error(ctx, "north-arrow: {colour: red}\n",
                 ":1:15: unknown key 'colour' (did you mean 'color'?)");
    expect_error(ctx, "legend: {background-colour: red}\n",
                 ":1:10: unknown key 'background-colour' (did you mean 'background-color'?)");
    expect_error(ctx, "frame: {widht: 2}\n",
                 ":1:9: unknown key 'widht' (did you mean 'width'?)");
    expect_error(ctx, "scale_bar: true\n",
                 ":1:1: unknown key 'scale_bar' (did you mean 'scale-bar'?)");
    expect_error(ctx, "scale-bar: {units: imperal}\n",
                 ":1:20: 'units': unknown value 'imperal' (did you mean 'imperial'?)");
    expect_error(ctx, "scale-bar: {units: nautic}\n",
                 ":1:20: 'units': unknown value 'nautic' (did you mean 'nautical'?)");
    expect_error(ctx, "scale-bar: {units: furlongs}\n",
                 ":1:20: 'units' must be one of metric, imperial, nautical");
    expect_error(ctx, "scale-bar: {position: botom-left}\n",
                 ":1:23: 'position': unknown value 'botom-left' (did you mean 'bottom-left'?)");
    expect_error(ctx, "scale-bar: yes\n", ":1:12: 'scale-bar' must be true, false or a mapping");
    expect_error(ctx, "legend: {background-opacity: 2}\n",
                 ":1:30: 'background-opacity' must be between 0 and 1");
    expect_error(ctx,
                 "sources: {a: a.shp}\n"
                 "layers: [{id: l, type: symbol, source: a, legend: Names}]\n",
                 ":2:43: 'legend' applies only to fill, line and circle layers");
    dline_ctx_free(ctx);
}

/* The map face: the sheet inset by frame.margin, one length or four (top,
 * right, bottom, left) in px, pt or mm; none while the frame is off. */
static void style_margin_gives_the_face(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    dl_style_face f;
    assert_int_equal(load(ctx, "size: [400, 300]\nframe: {width: 1}\n", &s), DLINE_OK);
    assert_false(dl_style_has_margin(s));
    assert_int_equal(dl_style_face_of(s, &f, NULL, 0), 0);
    assert_true(f.x == 0 && f.y == 0 && f.width == 400 && f.height == 300);
    assert_true(s->furniture.frame.background.r == 1 && s->furniture.frame.background.a == 1);
    dl_style_free(s);

    /* 5 mm = 5 / 25.4 x 96 px on every side. */
    assert_int_equal(load(ctx, "size: [400, 300]\nframe: {margin: 5mm, background: black}\n", &s),
                     DLINE_OK);
    double mm5 = 5 / 25.4 * 96;
    assert_true(dl_style_has_margin(s));
    assert_int_equal(dl_style_face_of(s, &f, NULL, 0), 0);
    assert_true(fabs(f.x - mm5) < 1e-9 && fabs(f.y - mm5) < 1e-9);
    assert_true(fabs(f.width - (400 - 2 * mm5)) < 1e-9 && fabs(f.height - (300 - 2 * mm5)) < 1e-9);
    assert_true(s->furniture.frame.background.r == 0);
    /* A size given later (--size) is checked again by the same rule. */
    s->width = 30;
    char why[160];
    assert_int_equal(dl_style_face_of(s, &f, why, sizeof why), -1);
    assert_string_equal(why, "'margin' leaves no room for the map: 18.8976 px left and 18.8976 px "
                             "right of a sheet 30 px wide");
    assert_true(f.x == 0 && f.width == 30); /* the sheet */
    dl_style_free(s);

    /* Four values, CSS order: top 10 px, right 15 pt (20 px), bottom 0,
     * left 25.4 mm (96 px). */
    assert_int_equal(load(ctx, "size: [400, 300]\nframe: {margin: [10, 15pt, 0, 25.4mm]}\n", &s),
                     DLINE_OK);
    assert_int_equal(dl_style_face_of(s, &f, NULL, 0), 0);
    assert_true(fabs(f.x - 96) < 1e-9 && f.y == 10);
    assert_true(fabs(f.width - (400 - 20 - 96)) < 1e-9 && f.height == 290);
    /* frame: false (as dline tiles sets) drops the margins with the line. */
    s->furniture.frame.enabled = 0;
    assert_false(dl_style_has_margin(s));
    assert_int_equal(dl_style_face_of(s, &f, NULL, 0), 0);
    assert_true(f.x == 0 && f.width == 400 && f.height == 300);
    dl_style_free(s);

    /* All zero is no margin: the map is the sheet, as before. */
    assert_int_equal(load(ctx, "size: [400, 300]\nframe: {margin: [0, 0, 0, 0]}\n", &s), DLINE_OK);
    assert_false(dl_style_has_margin(s));
    dl_style_free(s);
    dline_ctx_free(ctx);
}

static void style_margin_errors(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    expect_error(ctx, "frame: {margin: -1}\n", ":1:17: 'margin' must not be negative");
    expect_error(ctx, "frame: {margin: [1, 2, 3]}\n",
                 ":1:17: 'margin' must be a length or [top, right, bottom, left]");
    expect_error(ctx, "frame: {margin: [1, 2, 3, wide]}\n", ":1:27: 'margin' must be a number");
    expect_error(ctx, "frame: {margin: 2ft}\n",
                 ":1:17: 'margin': unknown unit 'ft' in '2ft' (use px, pt, mm, cm or in)");
    expect_error(ctx, "frame: {margin: 30000}\n",
                 ":1:17: 'margin' 30000 is over the limit of 20000");
    expect_error(ctx, "size: [400, 300]\nframe: {margin: [150, 0, 150, 0]}\n",
                 ":2:17: 'margin' leaves no room for the map: 150 px top and 150 px bottom of a "
                 "sheet 300 px high");
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scale_bar_picks_round_lengths),
        cmocka_unit_test(scale_bar_picks_in_each_unit),
        cmocka_unit_test(geodesic_distance_matches_geod_inverse),
        cmocka_unit_test(scale_bar_is_geodesic_in_web_mercator),
        cmocka_unit_test(scale_bar_is_geodesic_in_gauss_kruger),
        cmocka_unit_test(scale_bar_is_geodesic_in_degrees),
        cmocka_unit_test(scale_bar_is_geodesic_in_imperial_and_nautical),
        cmocka_unit_test(north_is_up_in_web_mercator),
        cmocka_unit_test(north_tilts_in_lambert_conic),
        cmocka_unit_test(north_tilts_in_rotated_oblique_mercator),
        cmocka_unit_test(north_arrow_is_drawn_and_an_obstacle),
        cmocka_unit_test(legend_draws_swatches_with_layer_paint),
        cmocka_unit_test(blocks_clear_a_long_attribution),
        cmocka_unit_test(frame_is_drawn_inside_the_edge),
        cmocka_unit_test(furniture_stacks_at_a_corner),
        cmocka_unit_test(furniture_without_lonlat_warns),
        cmocka_unit_test(style_furniture_defaults_and_values),
        cmocka_unit_test(style_furniture_errors),
        cmocka_unit_test(style_margin_gives_the_face),
        cmocka_unit_test(style_margin_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
