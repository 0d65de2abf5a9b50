/* The whole pipeline through the public API: each Qingpu site's circle in the
 * rendered PNG lies within 1 px of the position PROJ gives for it, and the
 * same holds at twice the dpi. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <png.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dline.h"

/* From geodata/sources/sites.csv (WGS84). */
static const double sites[4][2] = {
    {121.262, 31.175},   /* beidou_xhq */
    {121.2195, 31.1661}, /* shixi_software_park */
    {120.980, 31.082},   /* huawei_lianqiuhu */
    {120.9598, 31.0726}, /* xicen_center */
};

typedef struct {
    int w, h;
    unsigned char *rgba;
} image;

static image read_png(const char *path)
{
    image im = {0, 0, NULL};
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&p, path));
    p.format = PNG_FORMAT_RGBA;
    im.w = (int)p.width;
    im.h = (int)p.height;
    im.rgba = malloc(PNG_IMAGE_SIZE(p));
    assert_non_null(im.rgba);
    assert_true(png_image_finish_read(&p, NULL, im.rgba, 0, NULL));
    return im;
}

/* Expected pixel of each site: the extent's corners are exact in Web
 * Mercator (meridians and parallels are straight lines), the box grows on its
 * short side to the map's aspect, and y runs down. */
static void expected_pixels(double scale, double out[4][2])
{
    PJ_CONTEXT *c = proj_context_create();
    PJ *op = proj_create_crs_to_crs(c, "EPSG:4326", "EPSG:3857", NULL);
    PJ *t = proj_normalize_for_visualization(c, op);
    PJ_COORD lo = proj_trans(t, PJ_FWD, proj_coord(120.9, 31.0, 0, 0));
    PJ_COORD hi = proj_trans(t, PJ_FWD, proj_coord(121.35, 31.25, 0, 0));
    double W = 800 * scale, H = 600 * scale;
    double res = fmax((hi.xy.x - lo.xy.x) / W, (hi.xy.y - lo.xy.y) / H);
    double cx = (lo.xy.x + hi.xy.x) / 2, cy = (lo.xy.y + hi.xy.y) / 2;
    for (int i = 0; i < 4; i++) {
        PJ_COORD p = proj_trans(t, PJ_FWD, proj_coord(sites[i][0], sites[i][1], 0, 0));
        out[i][0] = W / 2 + (p.xy.x - cx) / res;
        out[i][1] = H / 2 - (p.xy.y - cy) / res;
    }
    proj_destroy(t);
    proj_destroy(op);
    proj_context_destroy(c);
}

/* Coverage-weighted centroid of the magenta pixels within r of (x, y):
 * anti-aliased edge pixels count by how much magenta they hold. */
static void centroid(const image *im, double x, double y, int r, double *cx, double *cy)
{
    double sw = 0, sx = 0, sy = 0;
    for (int j = (int)y - r; j <= (int)y + r; j++)
        for (int i = (int)x - r; i <= (int)x + r; i++) {
            if (i < 0 || j < 0 || i >= im->w || j >= im->h)
                continue;
            const unsigned char *p = im->rgba + 4 * ((size_t)j * im->w + i);
            if (p[0] < 200 || p[2] < 200)
                continue;
            double wgt = (255.0 - p[1]) / 255.0;
            sw += wgt;
            sx += wgt * (i + 0.5);
            sy += wgt * (j + 0.5);
        }
    assert_true(sw > 10);
    *cx = sx / sw;
    *cy = sy / sw;
}

static void check_at(double dpi)
{
    char dir[] = "/tmp/dline-pipeline-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/sites.png", dir);
    dline_ctx *ctx = dline_ctx_new();
    dline_map *map = NULL;
    assert_int_equal(dline_map_load(ctx, "pipeline/sites.yaml", &map), DLINE_OK);
    assert_int_equal(dline_map_set_dpi(ctx, map, dpi), DLINE_OK);
    if (dline_map_render_file(ctx, map, path, DLINE_FORMAT_AUTO) != DLINE_OK)
        fail_msg("%s", dline_ctx_message(ctx));
    image im = read_png(path);
    double scale = dpi / 96.0;
    assert_int_equal(im.w, (int)lround(800 * scale));
    assert_int_equal(im.h, (int)lround(600 * scale));
    double want[4][2];
    expected_pixels(scale, want);
    for (int i = 0; i < 4; i++) {
        double cx, cy;
        centroid(&im, want[i][0], want[i][1], (int)(10 * scale), &cx, &cy);
        print_message("site %d: expected %.2f,%.2f found %.2f,%.2f\n", i, want[i][0],
                      want[i][1], cx, cy);
        assert_true(fabs(cx - want[i][0]) <= 1.0);
        assert_true(fabs(cy - want[i][1]) <= 1.0);
    }
    free(im.rgba);
    unlink(path);
    rmdir(dir);
    dline_map_free(map);
    dline_ctx_free(ctx);
}

static void sites_within_one_pixel(void **state)
{
    (void)state;
    check_at(96);
}

static void sites_within_one_pixel_at_192_dpi(void **state)
{
    (void)state;
    check_at(192);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sites_within_one_pixel),
        cmocka_unit_test(sites_within_one_pixel_at_192_dpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
