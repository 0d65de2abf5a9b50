/* An anti-aliased scan converter for the plain lines (dashed or not),
 * fills and circles drawn on images (render.c, dl_render_flush: opaque
 * batches, translucent features one by one, the graticule's lines) and
 * the pieces of gradient lines (line.c). Cairo's
 * own samples every edge on 15 sub-rows per pixel row, which was most of a
 * dense map's instructions; this one accumulates each pixel's exact
 * covered area per cell an edge crosses (as AGG and FreeType's "gray"
 * rasteriser do), in 24.8 fixed point, so an edge costs one step per pixel
 * it touches. Shapes are added in device pixels; winding is non-zero (by
 * the clamped magnitude of the winding-weighted area, as AGG), so
 * overlapping shapes ink once. */
#ifndef DL_RASTER_H
#define DL_RASTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct dl_raster dl_raster;

typedef enum { DL_RCAP_BUTT, DL_RCAP_ROUND, DL_RCAP_SQUARE } dl_rcap;
typedef enum { DL_RJOIN_MITER, DL_RJOIN_ROUND, DL_RJOIN_BEVEL } dl_rjoin;

/* A rasteriser; NULL when out of memory. Freed by dl_raster_free (NULL is
 * a no-op). */
dl_raster *dl_raster_new(void);
void dl_raster_free(dl_raster *R);

/* Forgets what was added and clips what comes next to the pixels
 * [x0, x1) x [y0, y1) (x0, y0 >= 0; an empty box draws nothing). */
void dl_raster_reset(dl_raster *R, int x0, int y0, int x1, int y1);

/* One closed polygon's edges (xy: n points; the last joins the first).
 * Non-finite points are skipped; coordinates are clamped to +-1e12 before
 * clipping, so no input overflows the fixed-point maths. */
void dl_raster_polygon(dl_raster *R, const double *xy, size_t n);

/* The polygon xy (n points) moved by (dx, dy), its points in reverse order
 * when reverse is set: one table of a shape's points serves every copy of
 * it (render.c's circles). Skipped when dx or dy is not finite. */
void dl_raster_polygon_at(dl_raster *R, const double *xy, size_t n, double dx, double dy,
                          int reverse);

/* A stroke of half width hw along n points (closed: a ring). Curves are
 * not taken; callers flatten. Every stroke winds the same way (a ring's
 * outline whichever its orientation), so strokes that overlap ink their
 * overlap once (where both cover a pixel partly, the sum of their areas,
 * clamped; see dl_raster_keep for the most of them instead). */
void dl_raster_stroke(dl_raster *R, const double *xy, size_t n, int closed, double hw,
                      dl_rcap cap, dl_rjoin join, double miter_limit);

/* Splits the polyline xy (n points) into its dashes as Cairo dashes a
 * stroke: pattern dash (nd lengths, on first, in xy's units; an odd count
 * repeats with on and off swapped) restarts at the first point and runs on
 * along the whole polyline, across its vertices. Calls each(arg, pts, m)
 * for every dash in order: where it starts, the vertices it passes (so the
 * stroke joins them) and where it ends. A zero-length dash that starts
 * the pattern (its first length 0) is, when dots is set, two points 1/1024
 * apart along its segment, so that round caps draw it as a dot and square
 * caps as a square along the line, as Cairo 1.16 draws it; other
 * zero-length dashes are skipped, as Cairo skips them. Repeated and non-finite
 * points are skipped. buf holds the dash being built: room for n + 2
 * points. Returns the number of dashes, or 0 when the pattern is unusable
 * (nd < 1, a length negative or not finite, or a zero total). */
size_t dl_raster_dash(const double *xy, size_t n, const double *dash, int nd, int dots,
                      double *buf, void (*each)(void *arg, const double *pts, size_t m),
                      void *arg);

/* Composites what was added, in an opaque colour (8-bit channels), onto a
 * Cairo ARGB32 or RGB24 image (data, stride; the clip box must lie inside
 * it), then forgets it. Returns -1 when memory ran out at any point since
 * the reset (nothing is drawn then: the caller draws the batch another
 * way), else 0. */
int dl_raster_fill(dl_raster *R, unsigned char *data, int stride, uint8_t r, uint8_t g,
                   uint8_t b);

/* As dl_raster_fill, in a translucent colour: argb is a premultiplied
 * ARGB32 pixel (each colour channel at most the alpha, as Cairo stores a
 * colour of alpha < 1), composited OVER as pixman composites a solid
 * source through a coverage mask: with coverage c, the source s = argb * c
 * / 255 and then dst = s + dst * (255 - alpha(s)) / 255, per channel, each
 * division rounded. Everything added inks once (non-zero), so a shape's
 * parts that overlap do not darken each other. An alpha of 255 draws as
 * dl_raster_fill, of 0 nothing. */
int dl_raster_fill_argb(dl_raster *R, unsigned char *data, int stride, uint32_t argb);

/* As dl_raster_fill_argb, in the two-stop linear gradient Cairo paints
 * through pixman (cairo_pattern_create_linear, extend PAD): the gradient
 * runs from (p[0], p[1]) to (p[2], p[3]) in the image's pixels, with the
 * colours c0 at its start and c1 at its end (16-bit straight alpha, red,
 * green, blue, as Cairo hands its stops to pixman), evaluated at each
 * pixel's centre as pixman's gradient walker does and composited OVER,
 * or, with source set, as Cairo's SOURCE operator through the coverage
 * (dst * (1 - c) + src * c). A gradient of zero length draws nothing. */
int dl_raster_fill_linear(dl_raster *R, unsigned char *data, int stride, const double p[4],
                          const uint16_t c0[4], const uint16_t c1[4], int source);

/* Keeps what was added as coverage, the most of it and of what was kept
 * before per pixel, and forgets the shapes: shapes kept one by one ink
 * their overlap as the most covering of them does (outlines of
 * neighbouring polygons share their border: summed, a border pixel half
 * covered by each would be inked whole). -1 when out of memory. */
int dl_raster_keep(dl_raster *R);

/* Composites the kept coverage in an opaque colour, then forgets it (and
 * anything added since). -1 when memory ran out since the reset (nothing
 * is drawn then). dl_raster_reset forgets kept coverage too. */
int dl_raster_fill_kept(dl_raster *R, unsigned char *data, int stride, uint8_t r, uint8_t g,
                        uint8_t b);

/* Writes the coverage (0..255) of what was added into an 8-bit mask (data,
 * stride: one byte a pixel, addressed like the image of dl_raster_fill;
 * pixels not covered are left as they are, so the caller clears it), then
 * forgets it: a text's coverage for its halo (label.c). -1 when memory ran
 * out since the reset. */
int dl_raster_write_a8(dl_raster *R, unsigned char *data, int stride);

/* The coverage (0..255) of row y, pixels [x, x + len), of what was added,
 * into out (pixels outside the clip read 0), without forgetting it; for
 * tests. -1 when out of memory. */
int dl_raster_coverage(dl_raster *R, int y, int x, int len, uint8_t *out);

#endif
