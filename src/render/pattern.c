/* fill-pattern: dline's built-in hatches and dots as repeating Cairo surface
 * patterns, inked in the layer's fill-color over a transparent ground. */
#include "render/render_int.h"

#include <math.h>

/* Draws a tile holding n x n repeats of the motif, `step` user units apart
 * (side n * step). Each line is drawn once across the whole tile and runs
 * past its edges, so a line's width reaching over a corner is there too and
 * no stretch is inked twice (which would darken anti-aliased edges). */
static void draw_tile(cairo_t *cr, const dl_style_layer *l, double step, int n)
{
    double T = n * step;
    dl_color c = l->fill_color;
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * l->fill_opacity);
    cairo_set_line_width(cr, l->fill_pattern_width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    dl_fill_pattern p = l->fill_pattern;
    if (p == DL_PATTERN_HATCH || p == DL_PATTERN_CROSSHATCH)
        for (int k = -1; k <= 2 * n + 1; k++) { /* "/": x + y = k * step */
            double cst = k * step;
            cairo_move_to(cr, cst + step, -step);
            cairo_line_to(cr, cst - T - step, T + step);
        }
    if (p == DL_PATTERN_HATCH_135 || p == DL_PATTERN_CROSSHATCH)
        for (int k = -n - 1; k <= n + 1; k++) { /* "\": x - y = k * step */
            double cst = k * step;
            cairo_move_to(cr, cst - step, -step);
            cairo_line_to(cr, cst + T + step, T + step);
        }
    if (p == DL_PATTERN_HORIZONTAL)
        for (int j = 0; j < n; j++) {
            cairo_move_to(cr, -step, (j + 0.5) * step);
            cairo_line_to(cr, T + step, (j + 0.5) * step);
        }
    if (p == DL_PATTERN_VERTICAL)
        for (int i = 0; i < n; i++) {
            cairo_move_to(cr, (i + 0.5) * step, -step);
            cairo_line_to(cr, (i + 0.5) * step, T + step);
        }
    if (p == DL_PATTERN_DOTS) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                cairo_new_sub_path(cr);
                cairo_arc(cr, (i + 0.5) * step, (j + 0.5) * step, l->fill_pattern_width, 0,
                          6.283185307179586);
            }
        dl_cr_fill(cr);
    } else {
        dl_cr_stroke(cr);
    }
}

cairo_pattern_t *dl_render_fill_pattern(dl_render *r, const dl_style_layer *l)
{
    /* Lines at 45 degrees repeat across a square tile whose side is the
     * spacing times sqrt 2; the others across one spacing. */
    int diagonal = l->fill_pattern == DL_PATTERN_HATCH || l->fill_pattern == DL_PATTERN_HATCH_135 ||
                   l->fill_pattern == DL_PATTERN_CROSSHATCH;
    double t = l->fill_pattern_spacing * (diagonal ? 1.4142135623730951 : 1);
    if (!(t > 0))
        return NULL;
    cairo_surface_t *target = cairo_get_target(r->cr);
    cairo_surface_t *tile;
    cairo_t *svg_tile = NULL; /* SVG: the tile's context, until the pattern is made */
    cairo_matrix_t m;
    if (cairo_surface_get_type(target) == CAIRO_SURFACE_TYPE_IMAGE) {
        /* A raster tile must be a whole number of device pixels, or every
         * repeat would resample it. Repeat the motif n times across the tile,
         * with n chosen so that n spacings come closest to whole pixels: the
         * spacing then stays within a few hundredths of a pixel of the PDF's,
         * and hatching lines up at any dpi (18.75 px at 300 dpi: 4 repeats
         * in 75 px, exact). */
        double ux = 1, uy = 0;
        cairo_user_to_device_distance(r->cr, &ux, &uy);
        double scale = hypot(ux, uy);
        if (!(scale > 0))
            return NULL;
        int n = 1;
        double best = 1;
        for (int k = 1; k <= 16 && k * t * scale <= 4096; k++) {
            double err = fabs(k * t * scale - round(k * t * scale)) / k;
            if (err < best - 1e-9) {
                best = err;
                n = k;
            }
        }
        double px = round(n * t * scale);
        if (px < 2)
            px = 2;
        if (px > 4096)
            px = 4096;
        tile = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)px, (int)px);
        cairo_t *tc = cairo_create(tile);
        cairo_scale(tc, scale, scale);
        draw_tile(tc, l, px / scale / n, n);
        cairo_destroy(tc);
        cairo_matrix_init_scale(&m, scale, scale);
    } else {
        /* PDF and SVG: a recording surface keeps the tile as vector lines
         * (on SVG the tile's paths become a <pattern>). */
        cairo_rectangle_t ext = {0, 0, t, t};
        tile = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
        cairo_t *tc = cairo_create(tile);
        dl_svg_pattern_begin(r->cr, tc, t, t);
        draw_tile(tc, l, t, 1);
        svg_tile = tc;
        if (!dl_svg_of(r->cr))
            cairo_destroy(tc);
        cairo_matrix_init_identity(&m);
    }
    cairo_pattern_t *p = NULL;
    if (cairo_surface_status(tile) == CAIRO_STATUS_SUCCESS)
        p = cairo_pattern_create_for_surface(tile);
    if (dl_svg_of(r->cr)) {
        dl_svg_pattern_end(r->cr, svg_tile, p);
        cairo_destroy(svg_tile);
    }
    if (!p) {
        cairo_surface_destroy(tile);
        return NULL;
    }
    cairo_surface_destroy(tile);
    cairo_pattern_set_extend(p, CAIRO_EXTEND_REPEAT);
    cairo_pattern_set_matrix(p, &m);
    if (cairo_pattern_status(p) != CAIRO_STATUS_SUCCESS) {
        cairo_pattern_destroy(p);
        return NULL;
    }
    return p;
}
