/* dline's own SVG back end, written with libxml2's xmlTextWriter: the
 * renderer keeps building paths and text layouts with Cairo and Pango, and
 * at each drawing operation a context attached to an SVG writer emits an
 * element instead of drawing. The result keeps the style's layers as groups
 * and labels as real <text>, so people can edit it (Cairo's own SVG surface
 * turns text into glyph outlines and flattens the structure).
 *
 * The dl_cr_* functions stand in for the Cairo calls of the same name: on a
 * context with no writer attached they are those calls. */
#ifndef DL_SVG_H
#define DL_SVG_H

#include <cairo.h>
#include <pango/pango.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dl_svg dl_svg;

/* Writes len bytes; returns 0, or -1 on a write error. */
typedef int (*dl_svg_write_fn)(void *closure, const char *buf, int len);

/* A document of width x height px (user units; width and height attributes
 * in pt, 0.75 pt a px as Cairo's surface wrote them) whose bytes go to
 * write(closure, ...). title may be NULL. id_prefix (NULL or "" for none; a
 * valid XML name start, at most 64 bytes) goes before every id the document
 * defines, so that two maps inlined in one HTML page keep theirs apart.
 * NULL when out of memory. Free with dl_svg_free(). */
dl_svg *dl_svg_new(dl_svg_write_fn write, void *closure, double width, double height,
                   const char *title, const char *id_prefix);
/* 1 when prefix can start every id: letters, digits, '-', '_' or '.', the
 * first a letter or '_', at most DL_SVG_ID_PREFIX_MAX bytes. */
#define DL_SVG_ID_PREFIX_MAX 64
int dl_svg_id_prefix_ok(const char *prefix);
/* Closes every open element and flushes. 0, or -1 when a write or the
 * writer failed (the document is then incomplete). */
int dl_svg_finish(dl_svg *svg);
/* NULL is a no-op. Does not detach contexts: destroy them first. */
void dl_svg_free(dl_svg *svg);

/* Makes cr's drawing operations write to svg. cr's device space is the
 * document's user space (1 unit = 1 px); nothing is drawn on cr's target. */
void dl_svg_attach(dl_svg *svg, cairo_t *cr);
/* The writer attached to cr, or NULL. */
dl_svg *dl_svg_of(cairo_t *cr);

/* Stand-ins for the Cairo operations. Paths and paint (solid colours,
 * linear gradients, fill-pattern tiles) are read from cr's state. */
void dl_cr_fill(cairo_t *cr);
void dl_cr_fill_preserve(cairo_t *cr);
void dl_cr_stroke(cairo_t *cr);
void dl_cr_stroke_preserve(cairo_t *cr);
void dl_cr_paint(cairo_t *cr);
/* Clips to the current path until the matching dl_cr_restore(). */
void dl_cr_clip(cairo_t *cr);
void dl_cr_save(cairo_t *cr);
void dl_cr_restore(cairo_t *cr);
/* cairo_push_group(), and cairo_pop_group_to_source() then
 * cairo_paint_with_alpha(alpha): everything between fades as one. */
void dl_cr_push_group(cairo_t *cr);
void dl_cr_pop_group_paint(cairo_t *cr, double alpha);

/* SVG only (no-ops on other contexts). */

/* A named group, e.g. a style layer or a piece of furniture; id is made a
 * valid, unique XML id. layer: also an Inkscape layer named `id`. */
void dl_svg_group_begin(cairo_t *cr, const char *id, int layer);
void dl_svg_group_end(cairo_t *cr);

/* Labels are placed in priority order across layers but written grouped
 * by layer: dl_svg_label_group() sends what follows to the group of layer
 * id (created on first use); groups are written at dl_svg_label_groups_end(),
 * ascending by order. */
void dl_svg_label_group(cairo_t *cr, const char *id, uintptr_t order);
void dl_svg_label_groups_end(cairo_t *cr);

/* A Pango layout as <text>, its origin at x,y in user space: one <tspan>
 * per run in the run's font (the face Pango chose first, then the
 * requested families, then CJK and generic fallbacks), the halo a stroke
 * of 2 x halo_width under the fill (paint-order). rgba colours. */
void dl_svg_text(cairo_t *cr, PangoLayout *layout, double x, double y, const double fill[4],
                 const double halo[4], double halo_width, double opacity);

/* A one-line layout along a curve: map() takes a point of the layout (px
 * from its origin) to user space. Each character cluster becomes a <text>
 * turned to the curve's direction at its centre. */
typedef void (*dl_svg_map_fn)(const void *closure, double xl, double yl, double *x, double *y);
void dl_svg_text_along(cairo_t *cr, PangoLayout *layout, dl_svg_map_fn map, const void *closure,
                       const double fill[4], const double halo[4], double halo_width,
                       double opacity);

/* An SVG document (the bytes of an icon file) as an <image> filling 0,0 to
 * w,h of the current user space. */
void dl_svg_image(cairo_t *cr, const char *data, size_t len, double w, double h);

/* A fill pattern: dl_svg_pattern_begin() starts a <pattern> one tile of
 * w x h user units, anchored at the origin of cr's user space, whose content
 * is what is drawn on tile (a context on any surface) until
 * dl_svg_pattern_end(); the pattern then paints fills whose source is
 * `source` (the Cairo pattern that stands for it). */
void dl_svg_pattern_begin(cairo_t *cr, cairo_t *tile, double w, double h);
void dl_svg_pattern_end(cairo_t *cr, cairo_t *tile, cairo_pattern_t *source);

/* line-gradient: dl_cr_push_group(), the coloured pieces, then this in place
 * of popping the group: the pieces masked by a stroke of the current path
 * with cr's line width, caps, joins and dashes (as the group restored them),
 * in opacity. Clears the path. */
void dl_svg_pop_group_stroke_mask(cairo_t *cr, double opacity);

#endif
