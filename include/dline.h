/* dline: render static maps from shapefiles and a YAML style to PNG, SVG and PDF.
 * This is the whole public API; everything else is internal. */
#ifndef DLINE_H
#define DLINE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DLINE_VERSION_MAJOR 0
#define DLINE_VERSION_MINOR 1
#define DLINE_VERSION_PATCH 0
#define DLINE_VERSION_STRING "0.1.0"
/* The version of the library actually loaded (DLINE_VERSION_STRING is the
 * header's), for programs and bindings that load it at run time. */
const char *dline_version(void);

/* Every call that can fail returns one of these; details are in the context. */
typedef enum {
    DLINE_OK = 0,
    DLINE_ENOMEM,   /* allocation failed or a size limit would be exceeded */
    DLINE_EIO,      /* a file could not be opened, read or written */
    DLINE_EDATA,    /* an input data file (shapefile, dbf, prj) is malformed */
    DLINE_ESTYLE,   /* the style file is malformed or holds a bad value */
    DLINE_EPROJ,    /* a CRS is unknown or a transformation failed */
    DLINE_ERENDER,  /* Cairo/Pango reported an error */
    DLINE_EUSAGE,   /* a caller passed a bad argument */
    DLINE_ECANCELED /* dline_ctx_cancel() was called during the call */
} dline_status;

/* Returns a static string naming the status ("style error", ...). */
const char *dline_status_string(dline_status status);

/* A context holds the first error that happened and the warning callback.
 * One context per thread; objects created with a context are used with it.
 * Free with dline_ctx_free().
 *
 * Threads: the library has no global state. Different maps may be loaded
 * and rendered on different threads at the same time, each with its own
 * context; one map must not be used by two threads at once. */
typedef struct dline_ctx dline_ctx;

dline_ctx *dline_ctx_new(void);
void dline_ctx_free(dline_ctx *ctx);
/* The first error since the last dline_ctx_clear(), or DLINE_OK. */
dline_status dline_ctx_status(const dline_ctx *ctx);
/* One line, e.g. "styles/a.yaml:12:7: unknown property 'line-colour' (did you
 * mean 'line-color'?)" or "data/x.shp: record 3 lies past the end of the file".
 * Owned by the context; empty when there is no error. */
const char *dline_ctx_message(const dline_ctx *ctx);
void dline_ctx_clear(dline_ctx *ctx);
/* Warnings (a message in the same one-line form) go to this callback;
 * by default they are dropped. */
typedef void (*dline_warning_fn)(const char *message, void *user);
void dline_ctx_set_warning_handler(dline_ctx *ctx, dline_warning_fn fn, void *user);
/* Asks the call running with ctx (a render, dline fonts, validate) to stop:
 * it checks the request between features, labels and image rows, and
 * returns DLINE_ECANCELED with the message "interrupted" after cleaning up
 * as after any error (a render's temporary file is removed). Only sets a
 * flag (volatile sig_atomic_t), so it is async-signal-safe: a signal handler
 * may call it, with a ctx made before the handler was installed. The
 * request stays until dline_ctx_clear(); a call started after it fails at
 * once. */
void dline_ctx_cancel(dline_ctx *ctx);

typedef enum {
    DLINE_FORMAT_AUTO = 0, /* from the output path's extension */
    DLINE_FORMAT_PNG,
    DLINE_FORMAT_SVG,
    DLINE_FORMAT_PDF
} dline_format;

/* A map: a loaded style plus overrides. Free with dline_map_free(). */
typedef struct dline_map dline_map;

/* Loads and checks the style at style_path. On success *out owns a new map. */
dline_status dline_map_load(dline_ctx *ctx, const char *style_path, dline_map **out);
/* The same with overrides applied to the style before it is checked, each
 * "PATH=VALUE" as the CLI's --set takes it: PATH is keys joined by dots,
 * layers named by id ("layers.sites.paint.circle-color=#06c"), VALUE a
 * scalar or a YAML flow collection ("size=[800, 600]"). sets may be NULL
 * when nsets is 0; the strings are not kept. */
dline_status dline_map_load_with(dline_ctx *ctx, const char *style_path, const char *const *sets,
                                 size_t nsets, dline_map **out);
/* A style given as text in memory (YAML, or MapLibre JSON) rather than a
 * file. name stands for the file it would be: messages name it
 * ("name:line:col: ..."), relative paths in it (sources, includes, icons)
 * are taken from its folder, and a name ending in .json marks MapLibre
 * JSON; NULL is "style.yaml" in the current folder. text need not end in
 * NUL; sets as for dline_map_load_with. */
dline_status dline_map_load_string(dline_ctx *ctx, const char *text, size_t len,
                                   const char *name, const char *const *sets, size_t nsets,
                                   dline_map **out);
void dline_map_free(dline_map *map);

/* The style's layers, in drawing order: their count, and layer i's id and
 * type ("background", "fill", "line", "circle" or "symbol"); NULL when i is
 * out of range. The strings belong to the map. */
size_t dline_map_layer_count(const dline_map *map);
const char *dline_map_layer_id(const dline_map *map, size_t i);
const char *dline_map_layer_type(const dline_map *map, size_t i);
/* The map's size in px at 96 dpi (the style's size or paper, or what
 * dline_map_set_size or _set_paper set). */
void dline_map_size(const dline_map *map, double *width, double *height);
/* The area the map shows as a longitude/latitude box (minlon, minlat,
 * maxlon, maxlat), worked out as a render would: the style's extent or fit
 * (which opens the sources it fits), grown to the aspect ratio of the map
 * face (the sheet inside the frame's margins, when it has any). */
dline_status dline_map_extent(dline_ctx *ctx, dline_map *map, double box[4]);

/* Overrides of the style's values, as the CLI's --size, --dpi, --extent, --crs. */
dline_status dline_map_set_size(dline_ctx *ctx, dline_map *map, int width, int height);
dline_status dline_map_set_dpi(dline_ctx *ctx, dline_map *map, double dpi);
dline_status dline_map_set_extent(dline_ctx *ctx, dline_map *map, double minlon, double minlat,
                                  double maxlon, double maxlat);
dline_status dline_map_set_crs(dline_ctx *ctx, dline_map *map, const char *crs);
/* PNG output's zlib level, 0 (none) to 9 (smallest, slowest); the default
 * is 3, with no row filters (the fastest for maps, see src/output/png.c). */
dline_status dline_map_set_png_compression(dline_ctx *ctx, dline_map *map, int level);
/* Threads a PNG render may use, at least 1; the default is the number of
 * cores online, at most 2. The layers' features are drawn in two bands of
 * rows, one per thread when there are two: the output is the same bytes
 * whatever the count. */
dline_status dline_map_set_threads(dline_ctx *ctx, dline_map *map, int threads);
/* The most pixels (width x height) a PNG may have, checked before its image
 * is allocated (4 bytes a pixel); the default is DLINE_MAX_PIXELS_DEFAULT
 * (20000 x 20000). At least 1; whatever the budget, a side has at most 32767
 * pixels (Cairo's limit). SVG and PDF are vector output and have no budget. */
#define DLINE_MAX_PIXELS_DEFAULT 400000000ULL
dline_status dline_map_set_max_pixels(dline_ctx *ctx, dline_map *map,
                                      unsigned long long max_pixels);

/* A folder where the map keeps what is costly to find again, for later
 * processes: the operations PROJ's database search finds between two CRSs
 * (tens of ms between two datums; reading one back takes about 1.5 ms). It
 * is made when missing; a folder that cannot be written only makes renders
 * search again. Only operations that cannot change with the grids PROJ has
 * are kept, under a key of PROJ's version and database file (see
 * src/project/project.c). NULL or "" for none (the default: the library
 * writes nothing it was not asked to). The path is copied. */
dline_status dline_map_set_cache_dir(dline_ctx *ctx, dline_map *map, const char *dir);

/* SVG output: prefix (letters, digits, '-', '_', '.', starting with a letter
 * or '_', at most 64 bytes) goes before every id the document defines (one
 * <g id> per layer, clip paths, masks, gradients, patterns), so that two maps
 * inlined in one HTML page keep their ids apart. NULL or "" for none (the
 * default). The prefix is copied. */
dline_status dline_map_set_svg_id_prefix(dline_ctx *ctx, dline_map *map, const char *prefix);

/* After a successful render, also write every label's placement as JSON to
 * path ("-" is standard output): box (x0,y0,x1,y1 px at 96 dpi), anchor,
 * layer id, text, placed or not, leader line. NULL turns it off. The path is
 * copied. */
dline_status dline_map_set_debug_labels(dline_ctx *ctx, dline_map *map, const char *path);
/* The map size becomes a paper size, as the CLI's --paper: "A3", "A4", "A5",
 * "letter" or "legal" (any case), portrait unless followed by ":landscape".
 * A PDF page is then exactly that size (A4 is 595.276 x 841.89 pt) and a PNG
 * has round(mm / 25.4 * dpi) pixels a side. */
dline_status dline_map_set_paper(dline_ctx *ctx, dline_map *map, const char *paper);
/* The creation date written into a PDF (seconds since 1970, UTC, from 0 to
 * the end of year 9999); without it the PDF carries the time of the render.
 * The library reads no environment: the CLI passes SOURCE_DATE_EPOCH here,
 * so two renders of one style with the same value are byte-identical. */
dline_status dline_map_set_creation_time(dline_ctx *ctx, dline_map *map, time_t when);

/* Renders to path ("-" is standard output). The file is written under a
 * temporary name in the same folder and renamed when complete, so a failed
 * render leaves nothing behind and never clobbers an existing file. */
dline_status dline_map_render_file(dline_ctx *ctx, dline_map *map, const char *path,
                                   dline_format format);

/* Renders into memory: PNG or PDF bytes, or SVG text (followed by a NUL
 * that *len does not count). format must be PNG, SVG or PDF. *data is the
 * caller's, to free with dline_free(); NULL and 0 on failure. */
dline_status dline_map_render_memory(dline_ctx *ctx, dline_map *map, dline_format format,
                                     unsigned char **data, size_t *len);
void dline_free(void *p);

/* Renders onto a caller's Cairo context (cairo_t, from <cairo.h>), into the
 * rectangle x, y, width, height of its current user space: the map is
 * scaled to fit, its aspect ratio kept, centred, and clipped to its own
 * frame; the context's state is as it was on return. Any Cairo surface
 * works (a PDF page of a report, an image, a window); sizes in the style
 * keep their proportions to the map. The label report
 * (dline_map_set_debug_labels) is not written. */
struct _cairo;
dline_status dline_map_render_cairo(dline_ctx *ctx, dline_map *map, struct _cairo *cr, double x,
                                    double y, double width, double height);

/* Checks the fonts of a map without rendering it (the CLI's `dline fonts`):
 * writes to out, one line each, the face fontconfig gives every font request
 * of the style (symbol layers' text-font and secondary font, title, subtitle,
 * attribution, legend, scale bar, north arrow) as
 *   layer places: "Noto Sans CJK SC, DejaVu Sans" -> Noto Sans CJK SC Regular (/path/file.ttc)
 * then "missing: none", or one line per character and place that no font
 * has (it would be drawn as a box):
 *   missing: U+16A0 'ᚠ' in layer places (feature 12)
 * Labels are read from the sources and expanded exactly as a render does.
 * *nmissing (may be NULL) is the number of "missing:" lines other than
 * "none". Missing characters are not an error: DLINE_OK. */
dline_status dline_map_fonts_report(dline_ctx *ctx, dline_map *map, FILE *out, size_t *nmissing);

/* Writes an ogrinfo -so style summary of a shapefile, GeoJSON file or CSV
 * point list (the kind from the extension) to out. */
dline_status dline_info(dline_ctx *ctx, const char *shp_path, FILE *out);

/* `dline index`: writes FILE.qix beside a shapefile, the spatial index
 * (shapelib's quadtree, the format of MapServer's shptree) with which a map
 * of a small part of a large file reads only the records it shows. Prints
 * "wrote PATH (N records)" to out (may be NULL). */
dline_status dline_index(dline_ctx *ctx, const char *shp_path, FILE *out);

/* A problem found by dline_map_validate, one line:
 * "FILE:LINE:COLUMN: message" (or "FILE: message"). */
typedef void (*dline_problem_fn)(const char *message, void *user);

/* Checks what a render of the loaded map would meet, without drawing: the
 * map's and inset's CRS, every source used (the file, its records, its CRS
 * and the transformation to the map), every attribute a layer names (in
 * templates, expressions, filters, connect-by; with the nearest field name
 * suggested), layers that would draw nothing from their source's geometry,
 * and characters no font has. Each problem goes to report (may be NULL);
 * *nproblems (may be NULL) is their count. DLINE_OK unless something other
 * than the style or data fails (out of memory). */
dline_status dline_map_validate(dline_ctx *ctx, dline_map *map, dline_problem_fn report,
                                void *user, size_t *nproblems);

/* `dline validate`: loads the style at style_path (with the overrides, as
 * dline_map_load_with) reporting every style error it can get past (each
 * key, property and layer on its own), then checks the rest as
 * dline_map_validate does. A style that cannot be read at all (missing
 * file, YAML syntax) is one problem. DLINE_EUSAGE for a bad override;
 * otherwise DLINE_OK with the problems counted in *nproblems. */
dline_status dline_validate(dline_ctx *ctx, const char *style_path, const char *const *sets,
                            size_t nsets, dline_problem_fn report, void *user,
                            size_t *nproblems);

/* Parses "png", "svg" or "pdf" (case-insensitive); DLINE_FORMAT_AUTO if unknown. */
dline_format dline_format_from_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
