/* Shared by the render-stage unit tests: a renderer drawing on an opaque
 * white image surface. Include after cmocka.h and render/render_int.h. */
#ifndef DL_TEST_CANVAS_H
#define DL_TEST_CANVAS_H

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

#endif
