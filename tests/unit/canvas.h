/* Shared by the render-stage unit tests: a renderer drawing on an opaque
 * white image surface. Include after cmocka.h and render/render_int.h. */
#ifndef DL_TEST_CANVAS_H
#define DL_TEST_CANVAS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    dline_ctx *ctx;
    dl_render *r;
} canvas;

static inline void canvas_open(canvas *c, int w, int h)
{
    static const dl_color white = {1, 1, 1, 1};
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    c->cr = cairo_create(c->surface);
    c->ctx = dline_ctx_new();
    assert_int_equal(dl_render_new(c->ctx, c->cr, w, h, &c->r), DLINE_OK);
    dl_render_background(c->r, white, 1.0);
}

static inline void canvas_close(canvas *c)
{
    dl_render_free(c->r);
    cairo_destroy(c->cr);
    cairo_surface_destroy(c->surface);
    dline_ctx_free(c->ctx);
}

/* Straight channels of pixel x,y; the canvases are opaque, so they are the
 * stored bytes. */
static inline void pixel(canvas *c, int x, int y, int rgb[3])
{
    dl_render_flush(c->r); /* features the renderer batched */
    cairo_surface_flush(c->surface);
    const unsigned char *d = cairo_image_surface_get_data(c->surface);
    uint32_t p;
    memcpy(&p, d + y * cairo_image_surface_get_stride(c->surface) + x * 4, 4);
    rgb[0] = (p >> 16) & 0xff;
    rgb[1] = (p >> 8) & 0xff;
    rgb[2] = p & 0xff;
}

static inline void assert_pixel(canvas *c, int x, int y, int r, int g, int b, int tol)
{
    int rgb[3];
    pixel(c, x, y, rgb);
    if (abs(rgb[0] - r) > tol || abs(rgb[1] - g) > tol || abs(rgb[2] - b) > tol)
        fail_msg("pixel %d,%d is %d,%d,%d, expected %d,%d,%d", x, y, rgb[0], rgb[1], rgb[2], r,
                 g, b);
}

#endif
