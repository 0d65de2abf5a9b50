/* The embedding API (include/dline.h): a style from a string (with errors
 * naming it), layer, size and extent queries, renders into memory (PNG, SVG,
 * PDF) and onto a caller's Cairo context at a rectangle. Run from tests/
 * with FONTCONFIG_FILE=tests/fonts.conf (ctest sets both). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dline.h"

/* Points of tests/data (lon 121.0-121.3, lat 31.0-31.2), a fixed extent. */
static const char STYLE[] =
    "size: [400, 300]\n"
    "crs: EPSG:3857\n"
    "extent: [120.95, 31.0, 121.35, 31.25]\n"
    "background: \"#ffffff\"\n"
    "sources:\n"
    "  points: data/points.shp\n"
    "layers:\n"
    "  - {id: ground, type: background, paint: {background-color: \"#eef4ea\"}}\n"
    "  - {id: dots, type: circle, source: points, paint: {circle-radius: 6, circle-color: \"#c00000\"}}\n"
    "  - {id: names, type: symbol, source: points, layout: {text-field: \"{NAME}\", text-size: 12}}\n";

static dline_map *load(dline_ctx *ctx, const char *text, const char *name)
{
    dline_map *map = NULL;
    dline_status st = dline_map_load_string(ctx, text, strlen(text), name, NULL, 0, &map);
    if (st != DLINE_OK)
        fail_msg("load: %s", dline_ctx_message(ctx));
    return map;
}

static void string_style_and_queries(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    /* The name stands for a file in tests/: relative paths are found from it. */
    dline_map *map = load(ctx, STYLE, "inline.yaml");
    assert_int_equal(dline_map_layer_count(map), 3);
    assert_string_equal(dline_map_layer_id(map, 0), "ground");
    assert_string_equal(dline_map_layer_type(map, 0), "background");
    assert_string_equal(dline_map_layer_id(map, 1), "dots");
    assert_string_equal(dline_map_layer_type(map, 1), "circle");
    assert_string_equal(dline_map_layer_type(map, 2), "symbol");
    assert_null(dline_map_layer_id(map, 3));
    assert_null(dline_map_layer_type(map, 3));
    double w, h;
    dline_map_size(map, &w, &h);
    assert_true(w == 400 && h == 300);
    /* The extent grows to 4:3 on its short side, about its centre: in Web
     * Mercator 0.4 degrees of longitude by 0.25 of latitude at 31 N is 1.37:1,
     * so the longitudes stay and the latitudes widen. */
    double box[4];
    assert_int_equal(dline_map_extent(ctx, map, box), DLINE_OK);
    assert_true(fabs(box[0] - 120.95) < 1e-9 && fabs(box[2] - 121.35) < 1e-9);
    assert_true(box[1] < 31.0 && box[3] > 31.25);
    assert_true(box[1] > 30.99 && box[3] < 31.26);
    dline_map_free(map);

    /* A mistake in the text is reported at its line and column, under the name. */
    dline_map *bad = NULL;
    const char *text = "size: [400, 300]\nlayers:\n  - {id: x, type: lines}\n";
    assert_int_equal(dline_map_load_string(ctx, text, strlen(text), "mine.yaml", NULL, 0, &bad),
                     DLINE_ESTYLE);
    assert_null(bad);
    assert_non_null(strstr(dline_ctx_message(ctx), "mine.yaml:3:"));
    dline_ctx_clear(ctx);
    /* Without a name, "style.yaml"; --set values apply as to a file. */
    const char *sets[] = {"size=[200,100]"};
    assert_int_equal(dline_map_load_string(ctx, STYLE, strlen(STYLE), NULL, sets, 1, &map),
                     DLINE_OK);
    dline_map_size(map, &w, &h);
    assert_true(w == 200 && h == 100);
    dline_map_free(map);
    dline_ctx_clear(ctx);
    assert_int_equal(dline_map_load_string(ctx, "{[", 2, NULL, NULL, 0, &bad), DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx), "style.yaml:"));
    dline_ctx_free(ctx);
}

static void renders_into_memory(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dline_map *map = load(ctx, STYLE, "inline.yaml");
    unsigned char *data = NULL;
    size_t len = 0;

    assert_int_equal(dline_map_render_memory(ctx, map, DLINE_FORMAT_PNG, &data, &len), DLINE_OK);
    assert_true(len > 1000);
    png_image p;
    memset(&p, 0, sizeof p);
    p.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&p, data, len));
    assert_int_equal(p.width, 400);
    assert_int_equal(p.height, 300);
    p.format = PNG_FORMAT_RGB;
    unsigned char *rgb = malloc(PNG_IMAGE_SIZE(p));
    assert_true(png_image_finish_read(&p, NULL, rgb, 0, NULL));
    /* The background layer's colour in a corner, and some red dots. */
    assert_int_equal(rgb[0], 0xee);
    assert_int_equal(rgb[1], 0xf4);
    assert_int_equal(rgb[2], 0xea);
    size_t red = 0;
    for (size_t i = 0; i < 400 * 300; i++)
        red += rgb[3 * i] > 180 && rgb[3 * i + 1] < 60 && rgb[3 * i + 2] < 60;
    assert_true(red > 100);
    free(rgb);
    dline_free(data);

    assert_int_equal(dline_map_render_memory(ctx, map, DLINE_FORMAT_SVG, &data, &len), DLINE_OK);
    assert_true(len > 100);
    assert_int_equal(data[len], '\0');
    assert_int_equal(strlen((const char *)data), len);
    assert_non_null(strstr((const char *)data, "<svg"));
    assert_non_null(strstr((const char *)data, "</svg>"));
    dline_free(data);

    assert_int_equal(dline_map_render_memory(ctx, map, DLINE_FORMAT_PDF, &data, &len), DLINE_OK);
    assert_true(len > 100 && memcmp(data, "%PDF-", 5) == 0);
    dline_free(data);

    /* No format, no output. */
    assert_int_equal(dline_map_render_memory(ctx, map, DLINE_FORMAT_AUTO, &data, &len),
                     DLINE_EUSAGE);
    assert_null(data);
    assert_int_equal(len, 0);
    dline_map_free(map);
    dline_ctx_free(ctx);
}

static uint32_t px(cairo_surface_t *s, int x, int y)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    return ((const uint32_t *)(const void *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s)))[x];
}

static void renders_onto_a_cairo_context(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dline_map *map = load(ctx, STYLE, "inline.yaml");
    /* A 4:3 map in a 300 x 300 box at 50,20 of a grey page: it is drawn
     * 300 x 225, centred (y 57.5 to 282.5), and nothing outside it. */
    cairo_surface_t *page = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 400, 340);
    cairo_t *cr = cairo_create(page);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 1); /* the caller's state, kept */
    cairo_set_line_width(cr, 7);
    assert_int_equal(dline_map_render_cairo(ctx, map, cr, 50, 20, 300, 300), DLINE_OK);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    assert_true(cairo_get_line_width(cr) == 7);
    double r, g, b, a;
    assert_int_equal(cairo_pattern_get_rgba(cairo_get_source(cr), &r, &g, &b, &a),
                     CAIRO_STATUS_SUCCESS);
    assert_true(r == 0 && g == 0 && b == 1);
    double cx = 1, cy = 1;
    cairo_user_to_device(cr, &cx, &cy);
    assert_true(cx == 1 && cy == 1); /* no transformation left behind */
    const uint32_t grey = 0x808080, ground = 0xeef4ea;
    assert_int_equal(px(page, 10, 10) & 0xffffff, grey);     /* outside the box */
    assert_int_equal(px(page, 60, 40) & 0xffffff, grey);     /* in the box, above the map */
    assert_int_equal(px(page, 60, 300) & 0xffffff, grey);    /* in the box, below the map */
    assert_int_equal(px(page, 52, 60) & 0xffffff, ground);   /* the map's corner */
    assert_int_equal(px(page, 347, 280) & 0xffffff, ground); /* and the opposite one */
    assert_int_equal(px(page, 355, 200) & 0xffffff, grey);   /* right of the box */
    size_t red = 0;
    for (int y = 58; y < 282; y++)
        for (int x = 50; x < 350; x++) {
            uint32_t v = px(page, x, y);
            red += ((v >> 16) & 0xff) > 180 && ((v >> 8) & 0xff) < 60 && (v & 0xff) < 60;
        }
    assert_true(red > 50);
    cairo_destroy(cr);
    cairo_surface_destroy(page);

    /* The flagship, with its inset map, onto an image: its corner is the
     * style's background, and the render succeeds (the inset once
     * crashed here). */
    dline_map *flagship = NULL;
    assert_int_equal(dline_map_load(ctx, "../styles/digital-line.yaml", &flagship), DLINE_OK);
    page = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 800, 550);
    cr = cairo_create(page);
    assert_int_equal(dline_map_render_cairo(ctx, flagship, cr, 0, 0, 800, 550), DLINE_OK);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    assert_int_not_equal(px(page, 2, 2) & 0xffffff, 0);
    cairo_destroy(cr);
    cairo_surface_destroy(page);
    dline_map_free(flagship);

    /* A bad rectangle is a usage error. */
    page = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 10, 10);
    cr = cairo_create(page);
    assert_int_equal(dline_map_render_cairo(ctx, map, cr, 0, 0, 0, 10), DLINE_EUSAGE);
    cairo_destroy(cr);
    cairo_surface_destroy(page);
    dline_map_free(map);
    dline_ctx_free(ctx);
}

/* A map with margins onto a caller's context: the margins in the frame's
 * background, the face (with its background layer) inset by them, and
 * nothing drawn outside the sheet's rectangle. */
static void renders_margins_onto_a_cairo_context(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    char text[sizeof STYLE + 128];
    snprintf(text, sizeof text,
             "%sframe: {width: 0, margin: [20, 0, 0, 40], background: \"#102030\"}\n", STYLE);
    dline_map *map = load(ctx, text, "inline.yaml");
    cairo_surface_t *page = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 500, 300);
    cairo_t *cr = cairo_create(page);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_paint(cr);
    assert_int_equal(dline_map_render_cairo(ctx, map, cr, 100, 0, 400, 300), DLINE_OK);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    const uint32_t grey = 0x808080, margin = 0x102030, ground = 0xeef4ea;
    assert_int_equal(px(page, 50, 150) & 0xffffff, grey);    /* left of the rectangle */
    assert_int_equal(px(page, 101, 1) & 0xffffff, margin);   /* the sheet's corner */
    assert_int_equal(px(page, 120, 200) & 0xffffff, margin); /* the left margin */
    assert_int_equal(px(page, 300, 10) & 0xffffff, margin);  /* the top margin */
    assert_int_equal(px(page, 141, 21) & 0xffffff, ground);  /* the face's corner */
    assert_int_equal(px(page, 498, 298) & 0xffffff, ground); /* and the opposite one */
    cairo_destroy(cr);
    cairo_surface_destroy(page);
    dline_map_free(map);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(string_style_and_queries),
        cmocka_unit_test(renders_into_memory),
        cmocka_unit_test(renders_onto_a_cairo_context),
        cmocka_unit_test(renders_margins_onto_a_cairo_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
