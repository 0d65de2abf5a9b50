/* Output files: PNG through libpng, SVG and PDF through Cairo's vector
 * surfaces, always written to a temporary file in the target folder and
 * renamed when complete ("-" writes to standard output). */
#ifndef DL_OUTPUT_H
#define DL_OUTPUT_H

#include <cairo.h>
#include <time.h>

#include "error.h"

typedef struct dl_output dl_output;

typedef struct {
    dline_format format;   /* PNG, SVG or PDF (not AUTO) */
    double width, height;  /* map size in px at 96 dpi */
    double dpi;            /* PNG: pixels = size * dpi / 96; pHYs carries it */
    int opaque;            /* PNG: write RGB instead of RGBA */
    const char *title;     /* PNG tEXt Title, PDF/SVG title metadata; may be NULL */
    const char *svg_id_prefix; /* SVG: put before every id; may be NULL */
    int has_creation_time; /* PDF: CreationDate from creation_time, not the clock */
    time_t creation_time;  /* seconds since 1970, UTC, 0 to the end of year 9999 */
    int png_level;         /* PNG: zlib level 0-9, -1 for the default (3) */
    int threads;           /* PNG: threads to encode with (1 or 2) */
    unsigned long long max_pixels; /* PNG: pixel budget, 0 for DLINE_MAX_PIXELS_DEFAULT */
    /* Into memory instead of a file: path only names the output in
     * messages, and dl_output_commit hands the bytes to *data, *len. */
    unsigned char **data;
    size_t *len;
} dl_output_options;

/* Picks the format from the path's extension (.png .svg .pdf, any case);
 * DLINE_FORMAT_AUTO when it has none of these. */
dline_format dl_output_format_from_path(const char *path);

/* Creates the temporary file and a Cairo surface for it. The returned
 * context's user space is 1 unit = 1 px at 96 dpi (scaled to dpi for PNG,
 * to points for SVG/PDF). Errors name path: a missing folder, no write
 * permission, a pixel count over the limit. Free with dl_output_abort() or
 * finish with dl_output_commit(). */
dline_status dl_output_open(dline_ctx *ctx, const char *path, const dl_output_options *opt,
                            dl_output **out);
cairo_t *dl_output_cairo(dl_output *o);

/* Finishes the surface (checking cairo_surface_status after finish: vector
 * surfaces write lazily), encodes the PNG, flushes, closes and renames the
 * temporary file over path. Frees o whatever happens; on failure the
 * temporary file is removed. */
dline_status dl_output_commit(dline_ctx *ctx, dl_output *o);
/* Discards everything: removes the temporary file and frees o. NULL is a no-op. */
void dl_output_abort(dl_output *o);

/* Writes text to path through a temporary file in the same folder renamed
 * when complete ("-" is standard output). */
dline_status dl_output_write_text(dline_ctx *ctx, const char *path, const char *text);

/* Encodes an ARGB32 (premultiplied, native-endian) Cairo image as PNG through
 * libpng: un-premultiplied RGBA, or RGB when opaque; pHYs from dpi; tEXt
 * Software and Title. `what` names the output in errors. */
dline_status dl_png_write(dline_ctx *ctx, FILE *fp, const char *what, cairo_surface_t *image,
                          double dpi, int opaque, const char *title, int level, int threads);

#endif
