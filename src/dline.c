/* Public entry points: load a style, apply overrides, and run the stages in
 * order (source -> project -> render -> output) for one map. */
#include "dline.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "error.h"
#include "furniture.h"
#include "geom.h"
#include "graticule.h"
#include "output/output.h"
#include "output/svg.h"
#include "project/project.h"
#include "render/render.h"
#include "source/source.h"
#include "style/eval.h"
#include "style/style.h"

#define LABEL_MAX 2048

struct dline_map {
    dl_style *style;
    int crs_from_caller; /* set by dline_map_set_crs: errors name --crs, not the style */
    int has_creation_time;
    time_t creation_time; /* PDF creation date, from dline_map_set_creation_time */
    char *debug_labels;   /* --debug-labels JSON path, or NULL */
    int png_level;        /* --png-compression, -1 for the default */
    unsigned long long max_pixels; /* --max-pixels, 0 for DLINE_MAX_PIXELS_DEFAULT */
    int threads;                   /* --threads, 0 for the cores online (at most 2) */
    char *svg_id_prefix;           /* --svg-id-prefix, or NULL */
    dl_proj_cache *proj_cache;     /* PROJ operations found by earlier runs */
};

dline_status dline_map_load(dline_ctx *ctx, const char *style_path, dline_map **out)
{
    return dline_map_load_with(ctx, style_path, NULL, 0, out);
}

/* A map around a loaded style (taken over, NULL after a failed load, which
 * is then returned as it is). */
static dline_status map_new(dline_ctx *ctx, dline_status loaded, dl_style *style,
                            dline_map **out)
{
    *out = NULL;
    if (loaded != DLINE_OK)
        return loaded;
    dline_map *map = calloc(1, sizeof *map);
    if (!map) {
        dl_style_free(style);
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    }
    map->style = style;
    map->png_level = -1;
    map->proj_cache = dl_proj_cache_new(); /* NULL: each run searches by itself */
    *out = map;
    return DLINE_OK;
}

dline_status dline_map_load_with(dline_ctx *ctx, const char *style_path, const char *const *sets,
                                 size_t nsets, dline_map **out)
{
    dl_style *style = NULL;
    dline_status st = dl_style_load_with(ctx, style_path, sets, nsets, &style);
    return map_new(ctx, st, style, out);
}

void dline_map_free(dline_map *map)
{
    if (!map)
        return;
    dl_style_free(map->style);
    free(map->debug_labels);
    free(map->svg_id_prefix);
    dl_proj_cache_free(map->proj_cache);
    free(map);
}

dline_status dline_map_set_png_compression(dline_ctx *ctx, dline_map *map, int level)
{
    if (level < 0 || level > 9)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "--png-compression %d is not a zlib level from 0 to 9", level);
    map->png_level = level;
    return DLINE_OK;
}

dline_status dline_map_set_max_pixels(dline_ctx *ctx, dline_map *map,
                                      unsigned long long max_pixels)
{
    if (max_pixels == 0)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "--max-pixels 0 is not a positive count");
    map->max_pixels = max_pixels;
    return DLINE_OK;
}

dline_status dline_map_load_string(dline_ctx *ctx, const char *text, size_t len,
                                   const char *name, const char *const *sets, size_t nsets,
                                   dline_map **out)
{
    *out = NULL;
    if (!text)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "no style text");
    dl_style *style = NULL;
    dline_status st = dl_style_load_text(ctx, name && *name ? name : "style.yaml", text, len,
                                         sets, nsets, &style);
    return map_new(ctx, st, style, out);
}

dline_status dline_map_set_threads(dline_ctx *ctx, dline_map *map, int threads)
{
    if (threads < 1)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "--threads %d is not a positive count",
                        threads);
    map->threads = threads;
    return DLINE_OK;
}

dline_status dline_map_set_cache_dir(dline_ctx *ctx, dline_map *map, const char *dir)
{
    if (map->proj_cache && dl_proj_cache_set_dir(map->proj_cache, dir) != 0)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    return DLINE_OK;
}

dline_status dline_map_set_svg_id_prefix(dline_ctx *ctx, dline_map *map, const char *prefix)
{
    char *copy = NULL;
    if (prefix && *prefix) {
        if (!dl_svg_id_prefix_ok(prefix))
            return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                            "--svg-id-prefix '%s' is not an id prefix: up to 64 letters, digits, "
                            "'-', '_' or '.', starting with a letter or '_'",
                            prefix);
        if (!(copy = dl_strdup(prefix)))
            return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    }
    free(map->svg_id_prefix);
    map->svg_id_prefix = copy;
    return DLINE_OK;
}

dline_status dline_map_set_debug_labels(dline_ctx *ctx, dline_map *map, const char *path)
{
    char *copy = NULL;
    if (path && !(copy = dl_strdup(path)))
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    free(map->debug_labels);
    map->debug_labels = copy;
    return DLINE_OK;
}

dline_status dline_map_set_size(dline_ctx *ctx, dline_map *map, int width, int height)
{
    if (width <= 0 || height <= 0 || width > DL_MAX_SIZE_PX || height > DL_MAX_SIZE_PX)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "size %dx%d is out of range (1 to %d px a side)", width, height,
                        DL_MAX_SIZE_PX);
    map->style->width = width;
    map->style->height = height;
    dl_style_apply_view(map->style); /* a MapLibre view shows more at a bigger size */
    return DLINE_OK;
}

dline_status dline_map_set_paper(dline_ctx *ctx, dline_map *map, const char *paper)
{
    double w, h;
    if (dl_style_paper(paper, &w, &h) != 0)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "unknown paper '%s' (use A3, A4, A5, letter or legal, optionally with "
                        ":landscape)",
                        paper);
    map->style->width = w;
    map->style->height = h;
    dl_style_apply_view(map->style);
    return DLINE_OK;
}

dline_status dline_map_set_creation_time(dline_ctx *ctx, dline_map *map, time_t when)
{
    /* ISO 8601 needs a four-digit year: 9999-12-31T23:59:59Z at most. */
    if (when < 0 || (double)when > 253402300799.0)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "creation time %.0f is out of range (0 to 253402300799 seconds)",
                        (double)when);
    map->has_creation_time = 1;
    map->creation_time = when;
    return DLINE_OK;
}

dline_status dline_map_set_dpi(dline_ctx *ctx, dline_map *map, double dpi)
{
    if (!(dpi > 0 && dpi <= 2400))
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "dpi %g is out of range (above 0, at most 2400)",
                        dpi);
    map->style->dpi = dpi;
    return DLINE_OK;
}

dline_status dline_map_set_extent(dline_ctx *ctx, dline_map *map, double minlon, double minlat,
                                  double maxlon, double maxlat)
{
    if (!(minlon >= -180 && maxlon <= 180 && minlat >= -90 && maxlat <= 90 && minlon < maxlon &&
          minlat < maxlat))
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "extent %g,%g,%g,%g is not a longitude/latitude box "
                        "(minlon,minlat,maxlon,maxlat)",
                        minlon, minlat, maxlon, maxlat);
    dl_style *s = map->style;
    s->has_extent = 1;
    s->has_view = 0;
    s->extent[0] = minlon;
    s->extent[1] = minlat;
    s->extent[2] = maxlon;
    s->extent[3] = maxlat;
    return DLINE_OK;
}

dline_status dline_map_set_crs(dline_ctx *ctx, dline_map *map, const char *crs)
{
    if (!crs || !*crs)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "--crs needs a CRS");
    char *copy = dl_strdup(crs);
    if (!copy)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    free(map->style->crs);
    map->style->crs = copy;
    map->crs_from_caller = 1;
    return DLINE_OK;
}

dline_format dline_format_from_name(const char *name)
{
    if (!strcasecmp(name, "png"))
        return DLINE_FORMAT_PNG;
    if (!strcasecmp(name, "svg"))
        return DLINE_FORMAT_SVG;
    if (!strcasecmp(name, "pdf"))
        return DLINE_FORMAT_PDF;
    return DLINE_FORMAT_AUTO;
}

/* Everything one render owns; released by run_free whatever happened. */
typedef struct {
    dl_source *src;
    const char *crs;    /* the CRS definition in use (.prj text or the style's) */
    dl_transform *fwd;  /* source CRS -> map CRS */
    int borrowed;       /* fwd belongs to an earlier source with the same CRS */
    dl_bbox view;       /* the map extent in the source CRS (with margin) */
    int has_view;
} run_source;

typedef struct {
    dl_style *style; /* the map's: zoom-driven values are evaluated into it */
    dl_proj *proj;
    dl_proj_cache *proj_cache; /* the map's, shared by its runs (may be NULL) */
    run_source *sources;
    dl_output *out;
    cairo_t *cr; /* what the map is drawn on: out's context, or a caller's */
    dl_render *render;
    /* map CRS box shown, and map units per px */
    double minx, maxy, res;
    double width, height; /* of the map face, in px */
    /* Where the face stands on the sheet; margin when the frame has
     * margins (the face is then clipped and the margins filled). */
    dl_style_face face;
    int margin;
    dl_geom work; /* reused projected copy of the current feature */
    int dry;      /* dline fonts: symbol layers queue their labels, nothing is drawn */
    /* MapLibre's zoom and the scale denominator at the map centre (0 when
     * the map has no longitude/latitude), for expressions and min/maxzoom. */
    double zoom, scale;
    dl_expr_scratch scratch;     /* strings made by expressions, reused */
    dl_style_layer feature_layer; /* a layer with its data-driven values for one feature */
    dl_style_eval_text feature_text; /* its fonts and icon path */
    int inset;                    /* the inset's run: no repeated warnings */
    int band;                     /* 1 or 2: a band's run (draw_bands), 0 otherwise */
    /* A band's rows and the first band's (user units), and per layer the
     * features it could not project that it owns (band_owns_skipped). */
    double band_y0, band_y1, first_y0, first_y1;
    long *skipped;
} run;

static void run_free(run *r)
{
    if (r->sources) {
        for (size_t i = 0; i < r->style->nsources; i++) {
            if (!r->sources[i].borrowed)
                dl_transform_free(r->sources[i].fwd);
            dl_source_free(r->sources[i].src);
        }
        free(r->sources);
    }
    dl_render_free(r->render);
    dl_output_abort(r->out);
    dl_proj_free(r->proj);
    dl_geom_clear(&r->work);
    dl_expr_scratch_free(&r->scratch);
    free(r->skipped);
}

/* What an expression reads of a feature. */
static dl_expr_env feature_env(const run *r, const dl_feature *f)
{
    static const char *const types[] = {"Unknown", "Point", "LineString", "Polygon"};
    dl_expr_env env = {.values = f ? f->values : NULL, .nvalues = f ? f->nvalues : 0,
                       .zoom = r->zoom, .id = f ? f->id : -1};
    if (f)
        env.geometry_type = f->geom.type == DL_GEOM_POINT   ? types[1]
                            : f->geom.type == DL_GEOM_LINE  ? types[2]
                            : f->geom.type == DL_GEOM_POLYGON ? types[3]
                                                              : NULL;
    return env;
}

static int layer_uses_source(const dl_style_layer *l)
{
    return l->type != DL_LAYER_BACKGROUND && l->source >= 0;
}

/* Opens a source once and works out its CRS: the style's `crs` for the
 * source when it gives one (it wins over a .prj, as a MapServer LAYER's
 * PROJECTION does: a .prj cannot say GCJ-02 or BD-09, and data copied from
 * web maps often carries a wrong one), else the .prj, else the kind's
 * default (GeoJSON and CSV: longitude/latitude), else an error. share is
 * the same source opened by the caller's run, or NULL: a band's open
 * shares its shapefile index (dl_source_options.share). */
static dline_status open_source(dline_ctx *ctx, run *r, size_t i, const dl_source *share)
{
    run_source *rs = &r->sources[i];
    if (rs->src)
        return DLINE_OK;
    const dl_style_source *ss = &r->style->sources[i];
    dl_source_options opt = {.kind = ss->type, .encoding = ss->encoding, .crs = ss->crs,
                             .lon = ss->lon, .lat = ss->lat, .data = ss->data,
                             .data_len = ss->data_len, .share = share};
    dline_status st = dl_source_open_ex(ctx, ss->path, &opt, &rs->src);
    if (st != DLINE_OK)
        return st;
    const char *crs = ss->crs;
    const char *what = r->style->path;
    if (!crs) {
        crs = dl_source_prj(rs->src);
        what = ss->path;
        if (crs && !*crs)
            crs = NULL;
    }
    if (!crs) {
        /* GeoJSON and CSV are longitude/latitude unless the style says. */
        crs = dl_source_default_crs(rs->src);
        what = ss->path;
    }
    if (!crs)
        return dl_error(ctx, DLINE_EDATA, ss->path, 0, 0,
                        "no .prj file and no 'crs' for source '%s' in the style", ss->name);
    rs->crs = crs;
    /* Layers of one map mostly share a CRS, and creating a transformation
     * queries PROJ's database: make each distinct one once. */
    for (size_t j = 0; j < r->style->nsources; j++) {
        const run_source *o = &r->sources[j];
        if (j != i && o->fwd && !strcmp(o->crs, crs)) {
            rs->fwd = o->fwd;
            rs->borrowed = 1;
            return DLINE_OK;
        }
    }
    const char *map_crs = r->style->crs ? r->style->crs : "EPSG:3857";
    if (what == r->style->path) {
        /* The CRS came from the style: errors point at the source's line. */
        dl_transform *t = NULL;
        dline_ctx tmp = {0};
        if (dl_transform_new(&tmp, r->proj, crs, map_crs, NULL, &t) != DLINE_OK) {
            if (dl_proj_check_crs(&tmp, r->proj, crs, NULL, 0) != DLINE_OK) {
                /* At the `crs` value (a MapLibre source's crs is in its
                 * metadata, without a mark: at the source). */
                const char *near = dl_proj_suggest_crs(crs);
                return dl_error(ctx, DLINE_ESTYLE, ss->file ? ss->file : r->style->path,
                                ss->crs_line ? ss->crs_line : ss->line,
                                ss->crs_line ? ss->crs_col : ss->col,
                                "source '%s': unknown CRS '%s'%s%s%s", ss->name, crs,
                                near ? " (did you mean '" : "", near ? near : "",
                                near ? "'?)" : "");
            }
            return dl_error(ctx, tmp.status, NULL, 0, 0, "%s", tmp.message);
        }
        rs->fwd = t;
        return DLINE_OK;
    }
    return dl_transform_new(ctx, r->proj, crs, map_crs, what, &rs->fwd);
}

/* Which geometries a layer draws, as in MapLibre: fill layers polygons,
 * line layers lines and the outlines of polygons, circle layers points,
 * symbol layers all three (points at each point, lines and polygons at
 * their anchor or along them). Matters for GeoJSON files that mix types;
 * a shapefile's features all have the file's type. */
static int layer_draws(dl_layer_type layer, dl_geom_type g)
{
    switch (layer) {
    case DL_LAYER_FILL: return g == DL_GEOM_POLYGON;
    case DL_LAYER_LINE: return g == DL_GEOM_LINE || g == DL_GEOM_POLYGON;
    case DL_LAYER_CIRCLE: return g == DL_GEOM_POINT;
    case DL_LAYER_SYMBOL: return g != DL_GEOM_NONE;
    case DL_LAYER_BACKGROUND: break;
    }
    return 0;
}

/* The box (in the source's CRS) of the features a layer draws: the
 * source's header box, or with a filter the box of the features that pass
 * it (a filtered layer fits to what it shows). Empty when there are none. */
static dline_status layer_bounds(dline_ctx *ctx, run *r, const dl_style_layer *l, dl_bbox *out)
{
    dl_source *src = r->sources[l->source].src;
    *out = dl_bbox_empty();
    if (dl_source_record_count(src) == 0)
        return DLINE_OK;
    if (!l->filter) {
        *out = dl_source_bounds(src);
        return DLINE_OK;
    }
    dl_style_layer_bind((dl_style_layer *)l, dl_source_field(src, 0), dl_source_field_count(src));
    dl_source_set_view(ctx, src, NULL);
    dline_status st = dl_source_rewind(ctx, src);
    const dl_feature *f = NULL;
    while (st == DLINE_OK && (st = dl_check_cancel(ctx)) == DLINE_OK &&
           (st = dl_source_next(ctx, src, &f)) == DLINE_OK && f) {
        if (!layer_draws(l->type, f->geom.type))
            continue;
        dl_expr_env env = feature_env(r, f);
        if (!dl_style_layer_filter(l, &env, &r->scratch))
            continue;
        for (size_t k = 0; k < f->geom.npoints; k++)
            if (isfinite(f->geom.xy[2 * k]) && isfinite(f->geom.xy[2 * k + 1]))
                dl_bbox_add(out, f->geom.xy[2 * k], f->geom.xy[2 * k + 1]);
    }
    return st;
}

/* The map extent in map CRS units, from `extent` or by fitting layers. */
static dline_status compute_extent(dline_ctx *ctx, run *r, dl_bbox *box)
{
    const dl_style *s = r->style;
    const char *map_crs = s->crs ? s->crs : "EPSG:3857";
    double pad = 0;
    if (s->has_extent) {
        dl_transform *t = NULL;
        dline_status st = dl_transform_new(ctx, r->proj, "EPSG:4326", map_crs, NULL, &t);
        if (st != DLINE_OK)
            return st;
        dl_bbox ll = {s->extent[0], s->extent[1], s->extent[2], s->extent[3]};
        st = dl_transform_bbox(ctx, t, ll, box);
        dl_transform_free(t);
        if (st != DLINE_OK)
            return st;
    } else {
        *box = dl_bbox_empty();
        for (size_t i = 0; i < s->nlayers; i++) {
            const dl_style_layer *l = &s->layers[i];
            if (!layer_uses_source(l))
                continue;
            if (!s->nfit && l->inset_only)
                continue; /* fitting all layers means the main map's */
            if (s->nfit) {
                int chosen = 0;
                for (size_t k = 0; k < s->nfit; k++)
                    chosen |= !strcmp(s->fit_layers[k], l->id);
                if (!chosen)
                    continue;
            }
            dline_status st = open_source(ctx, r, (size_t)l->source, NULL);
            if (st != DLINE_OK)
                return st;
            run_source *rs = &r->sources[l->source];
            dl_bbox b, pb;
            if ((st = layer_bounds(ctx, r, l, &b)) != DLINE_OK)
                return st;
            if (dl_bbox_is_empty(b))
                continue;
            st = dl_transform_bbox(ctx, rs->fwd, b, &pb);
            if (st != DLINE_OK)
                return st;
            dl_bbox_add(box, pb.xmin, pb.ymin);
            dl_bbox_add(box, pb.xmax, pb.ymax);
        }
        if (dl_bbox_is_empty(*box))
            return dl_error(ctx, DLINE_ESTYLE, s->path, 0, 0,
                            "nothing to fit the map to: the layers are empty; give an 'extent'");
        pad = s->fit_padding;
    }
    /* Preserve the aspect ratio: grow the shorter side of the box. */
    /* The map face: the sheet inside the frame's margins (run_prepare). */
    double W = r->face.width, H = r->face.height;
    double w = W - 2 * pad, h = H - 2 * pad;
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    double bw = box->xmax - box->xmin, bh = box->ymax - box->ymin;
    if (bw <= 0 && bh <= 0)
        bw = bh = 1000; /* a single point: show about a kilometre around it */
    double res = fmax(bw / w, bh / h);
    double cx = (box->xmin + box->xmax) / 2, cy = (box->ymin + box->ymax) / 2;
    r->res = res;
    r->width = W;
    r->height = H;
    r->minx = cx - res * W / 2;
    r->maxy = cy + res * H / 2;
    box->xmin = r->minx;
    box->xmax = cx + res * W / 2;
    box->ymin = cy - res * H / 2;
    box->ymax = r->maxy;
    return DLINE_OK;
}

/* The map box in each source's CRS, so features outside it are dropped
 * before projection. Where the inverse cannot be computed every feature is
 * projected and Cairo clips. */
static void compute_views(run *r, dl_bbox map_box)
{
    double mx = (map_box.xmax - map_box.xmin) * 0.05, my = (map_box.ymax - map_box.ymin) * 0.05;
    dl_bbox grown = {map_box.xmin - mx, map_box.ymin - my, map_box.xmax + mx, map_box.ymax + my};
    for (size_t i = 0; i < r->style->nsources; i++) {
        run_source *rs = &r->sources[i];
        if (!rs->src || !rs->fwd)
            continue;
        dline_ctx quiet = {0};
        rs->has_view = dl_transform_bbox_inv(&quiet, rs->fwd, grown, &rs->view) == DLINE_OK;
    }
}

/* Projects the work geometry into map px (y down). 0 when every vertex
 * transformed. */
static int to_pixels(run *r, dl_transform *t)
{
    dl_geom *g = &r->work;
    if (dl_transform_points(t, g->xy, g->npoints) != g->npoints)
        return -1;
    for (size_t i = 0; i < g->npoints; i++) {
        g->xy[2 * i] = (g->xy[2 * i] - r->minx) / r->res;
        g->xy[2 * i + 1] = (r->maxy - g->xy[2 * i + 1]) / r->res;
    }
    return 0;
}

static int feature_in_view(const dl_bbox *view, const dl_geom *g)
{
    return !view || dl_bbox_intersects(dl_geom_bbox(g), *view);
}

/* A band's view of layer l: the band's rows y0..y1 (user units) grown by
 * compute_views' margins and by the farthest the layer's ink reaches
 * (dl_render_ink_margin, with data-driven sizes at their bound), in the
 * source's CRS and within the map's view, so that the band reads only the
 * records that may reach its rows. Where that cannot be worked out (no
 * transform, sizes without a bound, an inverse that fails) it is the map's
 * view, and NULL when the map has none: every record, as before. */
static const dl_bbox *band_view(const run *r, const run_source *rs, const dl_style_layer *l,
                                double y0, double y1, dl_bbox *out)
{
    const dl_bbox *map_view = rs->has_view ? &rs->view : NULL;
    dl_style_layer bound;
    if (!rs->fwd || l->connect_by || dl_style_layer_ink_bound(l, &bound) != 0)
        return map_view;
    double m = dl_render_ink_margin(&bound);
    double w = r->width * r->res, h = r->height * r->res;
    double mx = w * 0.05, my = h * 0.05;
    dl_bbox box = {r->minx - mx, fmax(r->maxy - (y1 + m) * r->res - my, r->maxy - h - my),
                   r->minx + w + mx, fmin(r->maxy - (y0 - m) * r->res + my, r->maxy + my)};
    dline_ctx quiet = {0};
    dl_bbox v;
    if (box.ymin > box.ymax) {
        *out = dl_bbox_empty(); /* the band is off the map */
        return out;
    }
    if (dl_transform_bbox_inv(&quiet, rs->fwd, box, &v) != DLINE_OK)
        return map_view;
    if (map_view) {
        v.xmin = fmax(v.xmin, map_view->xmin);
        v.ymin = fmax(v.ymin, map_view->ymin);
        v.xmax = fmin(v.xmax, map_view->xmax);
        v.ymax = fmin(v.ymax, map_view->ymax);
    }
    *out = v;
    return out;
}

/* Which band counts a feature of the second band's that could not be
 * projected: the first band when the feature is in the first band's view
 * (it read it too), else the second. So each is counted once. */
static int band_owns_skipped(const run *r, const run_source *rs, const dl_style_layer *l,
                             const dl_geom *g)
{
    if (r->band <= 1)
        return 1;
    dl_bbox v;
    const dl_bbox *first = band_view(r, rs, l, r->first_y0, r->first_y1, &v);
    return first && !feature_in_view(first, g);
}

/* Clips a ring to the rectangle [x0,x1]x[y0,y1] (Sutherland-Hodgman; good
 * enough for a label point). in holds n points; out and tmp hold cap points
 * each. Every output point is a vertex or the crossing of one ring segment
 * with one of the four clip lines, so cap = 5n + 8 is never reached. Returns
 * the count in out. */
static size_t clip_ring(const double *in, size_t n, double x0, double y0, double x1, double y1,
                        double *out, double *tmp, size_t cap)
{
    const double *src = in;
    size_t m = n;
    for (int edge = 0; edge < 4 && m > 0; edge++) {
        double *dst = (edge % 2 == 0) ? tmp : out;
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            const double *a = src + 2 * ((i + m - 1) % m), *b = src + 2 * i;
            double da, db;
            switch (edge) {
            case 0: da = a[0] - x0; db = b[0] - x0; break;
            case 1: da = x1 - a[0]; db = x1 - b[0]; break;
            case 2: da = a[1] - y0; db = b[1] - y0; break;
            default: da = y1 - a[1]; db = y1 - b[1]; break;
            }
            if (k + 2 > cap)
                break;
            if ((da >= 0) != (db >= 0)) {
                double f = da / (da - db);
                dst[2 * k] = a[0] + f * (b[0] - a[0]);
                dst[2 * k + 1] = a[1] + f * (b[1] - a[1]);
                k++;
            }
            if (db >= 0) {
                dst[2 * k] = b[0];
                dst[2 * k + 1] = b[1];
                k++;
            }
        }
        src = dst;
        m = k;
    }
    return m;
}

/* Area centroid of a ring of n points; 0 when it has no area. */
static int ring_centroid(const double *xy, size_t n, double *x, double *y, double *area)
{
    double cx = 0, cy = 0, a2 = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1 < n ? i + 1 : 0;
        double cross = xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
        a2 += cross;
        cx += (xy[2 * i] + xy[2 * j]) * cross;
        cy += (xy[2 * i + 1] + xy[2 * j + 1]) * cross;
    }
    *area = fabs(a2) / 2;
    if (a2 == 0)
        return 0;
    *x = cx / (3 * a2);
    *y = cy / (3 * a2);
    return 1;
}

/* polylabel refines its cells until a better point could gain at most
 * this much (px) of clearance. */
#define LABEL_POLE_PRECISION 1.0

/* The label point of a polygon in px: the pole of inaccessibility (the
 * interior point farthest from the outline) of the outer ring with the
 * largest visible area, with its holes. Each ring is clipped to the map
 * first, so a polygon reaching out of the frame is labelled on its visible
 * part. Unlike the centroid, the pole stays inside C-shaped polygons and out
 * of holes. Returns 0 when no part is visible. */
static int polygon_anchor(const run *r, const dl_geom *g, double *x, double *y)
{
    size_t total = 0, longest = 0;
    for (size_t p = 0; p < g->nparts; p++) {
        size_t n = g->part_start[p + 1] - g->part_start[p];
        if (n > (SIZE_MAX / 4 - total - 16) / 10)
            return 0;
        total += 5 * n + 8;
        if (n > longest)
            longest = n;
    }
    size_t tcap = 5 * longest + 8;
    double *buf = dl_calloc_array(total + tcap, 2 * sizeof(double));
    if (!buf)
        return 0;
    double *tmp = buf + 2 * total;
    size_t best = SIZE_MAX;
    double best_area = 0, cx = 0, cy = 0;
    for (size_t p = 0; p < g->nparts; p++) {
        if (g->hole && g->hole[p])
            continue;
        size_t s = g->part_start[p], n = g->part_start[p + 1] - s;
        size_t m = clip_ring(g->xy + 2 * s, n, 0, 0, r->width, r->height, buf, tmp, tcap);
        double px, py, area;
        if (m < 3 || !ring_centroid(buf, m, &px, &py, &area) || area <= best_area)
            continue;
        best_area = area;
        best = p;
        cx = px;
        cy = py;
    }
    if (best == SIZE_MAX) {
        free(buf);
        return 0;
    }
    size_t last = best + 1;
    while (g->hole && last < g->nparts && g->hole[last])
        last++;
    size_t *starts = malloc((last - best + 1) * sizeof *starts);
    unsigned char *holes = malloc(last - best);
    int ok = starts && holes;
    if (ok) {
        /* The clipped outer ring, then its clipped holes, as one polygon. */
        dl_geom pg = {.type = DL_GEOM_POLYGON, .xy = buf, .part_start = starts, .hole = holes};
        size_t at = 0;
        for (size_t p = best; p < last; p++) {
            size_t s = g->part_start[p], n = g->part_start[p + 1] - s;
            size_t m = clip_ring(g->xy + 2 * s, n, 0, 0, r->width, r->height, buf + 2 * at, tmp,
                                 5 * n + 8);
            if (m < 3)
                continue; /* a hole wholly outside the map */
            starts[pg.nparts] = at;
            holes[pg.nparts] = p != best;
            pg.nparts++;
            at += m;
        }
        starts[pg.nparts] = at;
        pg.npoints = at;
        ok = dl_geom_pole_of_inaccessibility(&pg, 0, LABEL_POLE_PRECISION, x, y) == 0;
    }
    if (!ok) {
        /* Out of memory for the search: the centroid is the next best. */
        *x = cx;
        *y = cy;
    }
    free(starts);
    free(holes);
    free(buf);
    return 1;
}

/* A label anchor for a geometry already in px: lines at the point halfway
 * along their length, polygons at their pole of inaccessibility
 * (polygon_anchor). Points are labelled at every vertex by the caller.
 * Returns 0 when there is no visible anchor. */
static int anchor_of(const run *r, const dl_geom *g, double *x, double *y)
{
    *x = g->xy[0];
    *y = g->xy[1];
    if (g->type == DL_GEOM_LINE) {
        double total = 0;
        for (size_t i = 1; i < g->npoints; i++)
            total += hypot(g->xy[2 * i] - g->xy[2 * i - 2], g->xy[2 * i + 1] - g->xy[2 * i - 1]);
        double run_len = 0;
        for (size_t i = 1; i < g->npoints; i++) {
            double seg = hypot(g->xy[2 * i] - g->xy[2 * i - 2], g->xy[2 * i + 1] - g->xy[2 * i - 1]);
            if (run_len + seg >= total / 2 && seg > 0) {
                double f = (total / 2 - run_len) / seg;
                *x = g->xy[2 * i - 2] + f * (g->xy[2 * i] - g->xy[2 * i - 2]);
                *y = g->xy[2 * i - 1] + f * (g->xy[2 * i + 1] - g->xy[2 * i - 1]);
                return 1;
            }
            run_len += seg;
        }
        return 1;
    }
    if (g->type != DL_GEOM_POLYGON)
        return 1;
    return polygon_anchor(r, g, x, y);
}

static dline_status check_field(dline_ctx *ctx, const run *r, const dl_style_layer *l,
                                const dl_source *src, const char *name, const char *what)
{
    if (dl_source_field_index(src, name) >= 0)
        return DLINE_OK;
    size_t n = dl_source_field_count(src);
    const char *names[256];
    if (n > 256)
        n = 256;
    for (size_t i = 0; i < n; i++)
        names[i] = dl_source_field(src, i)->name;
    const char *near = dl_suggest(name, names, n);
    if (near)
        return dl_error(ctx, DLINE_ESTYLE, dl_style_layer_file(r->style, l), l->line, l->col,
                        "layer '%s': %s: no field '%s' in %s (did you mean '%s'?)", l->id, what,
                        name, dl_source_path(src), near);
    return dl_error(ctx, DLINE_ESTYLE, dl_style_layer_file(r->style, l), l->line, l->col,
                    "layer '%s': %s: no field '%s' in %s", l->id, what, name,
                    dl_source_path(src));
}

/* Checks every {field} of a text-field template against the source. */
static dline_status check_template_of(dline_ctx *ctx, const run *r, const dl_style_layer *l,
                                      const dl_source *src, const char *p, const char *what);

static dline_status check_template(dline_ctx *ctx, const run *r, const dl_style_layer *l,
                                   const dl_source *src)
{
    dline_status st = check_template_of(ctx, r, l, src, l->text_field, "text-field");
    if (st == DLINE_OK)
        st = check_template_of(ctx, r, l, src, l->text_field_secondary, "text-field-secondary");
    return st;
}

/* Attribute names an expression reads that the source does not have: a
 * warning each (MapLibre reads them as null; here most are typos). */
static void warn_unknown_fields(dline_ctx *ctx, const run *r, const dl_style_layer *l,
                                const dl_source *src)
{
    const dl_expr *es[4 + 64];
    size_t n = 0;
    es[n++] = l->filter;
    es[n++] = l->text_field_expr;
    es[n++] = l->text_field_secondary_expr;
    es[n++] = l->sort_key_expr;
    for (size_t i = 0; i < l->nexprs && n < sizeof es / sizeof es[0]; i++)
        es[n++] = l->exprs[i].expr;
    size_t nf = dl_source_field_count(src);
    const char *fields[256];
    for (size_t i = 0; i < nf && i < 256; i++)
        fields[i] = dl_source_field(src, i)->name;
    for (size_t k = 0; k < n; k++) {
        if (!es[k])
            continue;
        const char *names[32];
        int lines[32], cols[32];
        size_t m = dl_expr_fields(es[k], names, lines, cols, 32);
        for (size_t i = 0; i < m && i < 32; i++) {
            if (dl_source_field_index(src, names[i]) >= 0)
                continue;
            const char *near = dl_suggest(names[i], fields, nf < 256 ? nf : 256);
            dl_warn(ctx, dl_style_layer_file(r->style, l), lines[i], cols[i],
                    "layer '%s': no field '%s' in %s%s%s%s; it reads as null", l->id, names[i],
                    dl_source_path(src), near ? " (did you mean '" : "", near ? near : "",
                    near ? "'?)" : "");
        }
    }
}

static dline_status check_template_of(dline_ctx *ctx, const run *r, const dl_style_layer *l,
                                      const dl_source *src, const char *p, const char *what)
{
    while (p && (p = strchr(p, '{'))) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        char name[64];
        size_t n = (size_t)(e - p - 1);
        if (n < sizeof name) {
            memcpy(name, p + 1, n);
            name[n] = '\0';
            dline_status st = check_field(ctx, r, l, src, name, what);
            if (st != DLINE_OK)
                return st;
        }
        p = e + 1;
    }
    return DLINE_OK;
}

/* symbol-sort-key of a feature: the layer's number, or its numeric attribute
 * (text that reads as a number counts); 0 when missing or not a number. */
static double sort_key_of(run *r, const dl_style_layer *l, const dl_feature *f)
{
    if (!l->sort_key_expr)
        return l->symbol_sort_key;
    dl_expr_env env = feature_env(r, f);
    dl_expr_value v;
    if (dl_expr_eval(l->sort_key_expr, &env, &r->scratch, &v) != 0 || v.type != DL_EXPR_NUMBER ||
        !isfinite(v.num))
        return 0;
    return v.num;
}

/* text-field (or -secondary) of a feature: its expression's string, or its
 * template expanded. */
static void label_text(run *r, const char *tmpl, const dl_expr *e, const dl_source *src,
                       const dl_feature *f, char *out, size_t size)
{
    out[0] = '\0';
    if (e) {
        dl_expr_env env = feature_env(r, f);
        dl_expr_value v;
        if (dl_expr_eval(e, &env, &r->scratch, &v) == 0 && v.type == DL_EXPR_STRING)
            snprintf(out, size, "%s", v.str);
        return;
    }
    if (tmpl)
        dl_style_expand_text(tmpl, src ? dl_source_field(src, 0) : NULL,
                             src ? dl_source_field_count(src) : 0, f ? f->values : NULL, out,
                             size);
}

/* Queues the labels of one feature (already in px) of a symbol layer: one
 * per point, or with symbol-placement line one along each line part (ring
 * for polygons), or one at the anchor of a line or polygon. src and f are
 * NULL for a connect-by line, whose text has no fields to fill. */
static dline_status queue_labels(dline_ctx *ctx, run *r, const dl_style_layer *l,
                                 const dl_source *src, const dl_feature *f, const dl_geom *g)
{
    char text[LABEL_MAX], secondary[LABEL_MAX];
    label_text(r, l->text_field, l->text_field_expr, src, f, text, sizeof text);
    if (!text[0] && !l->icon_image)
        return DLINE_OK;
    label_text(r, l->text_field_secondary, l->text_field_secondary_expr, src, f, secondary,
               sizeof secondary);
    /* A layer with data-driven values is the run's scratch copy: each label
     * keeps its own. */
    dl_label_spec spec = {.text = text, .secondary = secondary,
                          .has_feature = f != NULL, .feature = f ? f->id : -1,
                          .sort_key = sort_key_of(r, l, f), .own_layer = l->per_feature};
    dline_status st = DLINE_OK;
    if (g->type == DL_GEOM_POINT) {
        if (l->symbol_placement_line)
            return DLINE_OK; /* as MapLibre: points have no line to follow */
        for (size_t i = 0; i < g->npoints && st == DLINE_OK; i++) {
            spec.x = g->xy[2 * i];
            spec.y = g->xy[2 * i + 1];
            st = dl_render_queue(ctx, r->render, l, &spec);
        }
        return st;
    }
    if (l->symbol_placement_line) {
        size_t nparts = g->part_start && g->nparts ? g->nparts : 1;
        spec.smooth = l->connect_smooth;
        for (size_t p = 0; p < nparts && st == DLINE_OK; p++) {
            size_t s = g->part_start && g->nparts ? g->part_start[p] : 0;
            size_t e = g->part_start && g->nparts ? g->part_start[p + 1] : g->npoints;
            if (e <= s || e > g->npoints)
                continue;
            spec.line = g->xy + 2 * s;
            spec.nline = e - s;
            st = dl_render_queue(ctx, r->render, l, &spec);
        }
        return st;
    }
    if (anchor_of(r, g, &spec.x, &spec.y))
        st = dl_render_queue(ctx, r->render, l, &spec);
    return st;
}

typedef struct {
    double x, y;
    int is_num;
    double num;
    char *str;
    long id;
} connect_point;

static int compare_connect(const void *a, const void *b)
{
    const connect_point *p = a, *q = b;
    if (p->is_num && q->is_num) {
        if (p->num != q->num)
            return p->num < q->num ? -1 : 1;
    } else if (p->is_num != q->is_num) {
        return p->is_num ? -1 : 1;
    } else {
        int c = strcmp(p->str, q->str);
        if (c)
            return c;
    }
    return (p->id > q->id) - (p->id < q->id);
}

/* connect-by: joins a point source's features in ascending order of an
 * attribute into one line, so moving a site in the data moves the line. */
static dline_status draw_connected(dline_ctx *ctx, run *r, const dl_style_layer *l)
{
    run_source *rs = &r->sources[l->source];
    dl_source *src = rs->src;
    if (!dl_source_has_geom(src, DL_GEOM_POINT))
        return dl_error(ctx, DLINE_ESTYLE, dl_style_layer_file(r->style, l), l->line, l->col,
                        "layer '%s': connect-by needs a point source, but %s holds %s", l->id,
                        dl_source_path(src), dl_source_shape_type_name(src));
    dline_status st = check_field(ctx, r, l, src, l->connect_by, "connect-by");
    if (st != DLINE_OK)
        return st;
    long field = dl_source_field_index(src, l->connect_by);
    size_t n = 0, cap = 0;
    connect_point *pts = NULL;
    /* Every point: the line runs through the map from points off it. */
    dl_source_set_view(ctx, src, NULL);
    st = dl_source_rewind(ctx, src);
    const dl_feature *f = NULL;
    while (st == DLINE_OK && (st = dl_check_cancel(ctx)) == DLINE_OK &&
           (st = dl_source_next(ctx, src, &f)) == DLINE_OK && f) {
        const dl_value *v = &f->values[field];
        if (v->type == DL_VAL_NULL || f->geom.npoints == 0 || f->geom.type != DL_GEOM_POINT)
            continue;
        dl_expr_env env = feature_env(r, f);
        if (!dl_style_layer_filter(l, &env, &r->scratch))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            connect_point *np = dl_realloc_array(pts, cap, sizeof *pts);
            if (!np) {
                st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
            pts = np;
        }
        connect_point *p = &pts[n];
        memset(p, 0, sizeof *p);
        p->x = f->geom.xy[0];
        p->y = f->geom.xy[1];
        p->id = f->id;
        if (v->type == DL_VAL_INT || v->type == DL_VAL_DATE) {
            p->is_num = 1;
            p->num = (double)v->i;
        } else if (v->type == DL_VAL_DOUBLE) {
            p->is_num = 1;
            p->num = v->d;
        } else if (v->type == DL_VAL_BOOL) {
            p->is_num = 1;
            p->num = (double)v->i;
        } else {
            p->str = dl_strdup(v->s ? v->s : "");
            if (!p->str) {
                st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
                break;
            }
        }
        n++;
    }
    if (st == DLINE_OK && n >= 2) {
        qsort(pts, n, sizeof *pts, compare_connect);
        dl_geom *g = &r->work;
        if (dl_geom_reserve(g, n, 1) != 0) {
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
        } else {
            g->type = DL_GEOM_LINE;
            g->npoints = n;
            g->nparts = 1;
            g->part_start[0] = 0;
            g->part_start[1] = n;
            for (size_t i = 0; i < n; i++) {
                g->xy[2 * i] = pts[i].x;
                g->xy[2 * i + 1] = pts[i].y;
            }
            if (to_pixels(r, rs->fwd) != 0)
                dl_warn(ctx, dl_style_layer_file(r->style, l), l->line, l->col,
                        "layer '%s': a point could not be projected; line not drawn", l->id);
            else if (l->type == DL_LAYER_SYMBOL)
                st = queue_labels(ctx, r, l, NULL, NULL, g);
            else
                st = dl_render_feature(ctx, r->render, l, g);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(pts[i].str);
    free(pts);
    return st;
}

static dline_status draw_layer_features(dline_ctx *ctx, run *r, const dl_style_layer *l);

/* A layer's features, then whatever the renderer batched of them. */
static dline_status draw_layer(dline_ctx *ctx, run *r, const dl_style_layer *l)
{
    dline_status st = draw_layer_features(ctx, r, l);
    if (r->render)
        dl_render_flush(r->render);
    return st;
}

static dline_status draw_layer_features(dline_ctx *ctx, run *r, const dl_style_layer *l)
{
    if (r->dry && l->type != DL_LAYER_SYMBOL)
        return DLINE_OK; /* dline fonts: only the labels' text matters */
    if (!dl_style_layer_visible(l, r->zoom, r->scale))
        return DLINE_OK;
    if (l->type == DL_LAYER_BACKGROUND) {
        dl_render_background(r->render, l->background_color, l->background_opacity);
        return DLINE_OK;
    }
    dline_status st = open_source(ctx, r, (size_t)l->source, NULL);
    if (st == DLINE_OK)
        st = dl_render_icon_load(ctx, r->render, l, r->style->path);
    if (st != DLINE_OK)
        return st;
    {
        /* The run's style is the map's own; binding writes field indices
         * into the layer's expressions (for bands, done by draw_bands
         * before they start: the style is shared). Of two bands, the first
         * gives the warnings. */
        dl_source *s0 = r->sources[l->source].src;
        if (!r->band)
            dl_style_layer_bind((dl_style_layer *)l, dl_source_field(s0, 0),
                                dl_source_field_count(s0));
        if (!r->inset && r->band <= 1)
            warn_unknown_fields(ctx, r, l, s0);
    }
    if (l->connect_by)
        return draw_connected(ctx, r, l);
    run_source *rs = &r->sources[l->source];
    dl_source *src = rs->src;
    if (l->type == DL_LAYER_SYMBOL) {
        st = check_template(ctx, r, l, src);
        if (st != DLINE_OK)
            return st;
    }
    long skipped = 0;
    /* Records off the map (a band: off the band) are skipped unparsed, or
     * not read (a .qix). */
    dl_bbox bv;
    const dl_bbox *view = r->band ? band_view(r, rs, l, r->band_y0, r->band_y1, &bv)
                                  : rs->has_view ? &rs->view : NULL;
    dl_source_set_view(ctx, src, view);
    st = dl_source_rewind(ctx, src);
    const dl_feature *f = NULL;
    /* A cancel (dline_ctx_cancel, maybe from a signal) is seen per feature. */
    while (st == DLINE_OK && (st = dl_check_cancel(ctx)) == DLINE_OK &&
           (st = dl_source_next(ctx, src, &f)) == DLINE_OK && f) {
        if (!layer_draws(l->type, f->geom.type) || !feature_in_view(view, &f->geom))
            continue;
        dl_expr_env env = feature_env(r, f);
        if (!dl_style_layer_filter(l, &env, &r->scratch))
            continue;
        if (dl_geom_copy(&r->work, &f->geom) != 0) {
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
            break;
        }
        if (to_pixels(r, rs->fwd) != 0) {
            skipped += band_owns_skipped(r, rs, l, &f->geom);
            continue;
        }
        /* Data-driven values: the layer as this feature sees it. */
        const dl_style_layer *fl = l;
        if (l->per_feature) {
            dl_style_layer_eval_feature(l, &r->feature_layer, &env, &r->scratch,
                                        &r->feature_text);
            fl = &r->feature_layer;
        }
        if (l->type != DL_LAYER_SYMBOL) {
            st = dl_render_feature(ctx, r->render, fl, &r->work);
            continue;
        }
        st = queue_labels(ctx, r, fl, src, f, &r->work);
    }
    if (r->band && r->skipped)
        r->skipped[l->index] += skipped; /* summed over the bands by draw_bands */
    else if (skipped)
        dl_warn(ctx, dl_source_path(src), 0, 0,
                "layer '%s': %ld features could not be projected to the map CRS and were skipped",
                l->id, skipped);
    return st;
}

static int background_is_opaque(const dl_style *s)
{
    if (dl_style_has_margin(s) && s->furniture.frame.background.a < 1.0)
        return 0;
    if (s->background.a >= 1.0)
        return 1;
    for (size_t i = 0; i < s->nlayers; i++)
        if (s->layers[i].type == DL_LAYER_BACKGROUND && s->layers[i].background_color.a >= 1.0 &&
            s->layers[i].background_opacity >= 1.0)
            return 1;
    return 0;
}

/* The steps before anything is drawn: PROJ context, map CRS, every source
 * opened (a bad input file fails before any output file is created), the
 * extent and the view boxes. r is cleared first; run_free it whatever the
 * status. */
/* MapLibre's zoom and the scale denominator at the map centre, from the
 * ground distance of its px; both 0 for a map without longitude/latitude. */
static void compute_zoom(run *r)
{
    const char *map_crs = r->style->crs ? r->style->crs : "EPSG:3857";
    dline_ctx quiet = {0};
    dl_transform *ll = NULL;
    if (dl_transform_new(&quiet, r->proj, "EPSG:4326", map_crs, NULL, &ll) == DLINE_OK) {
        dl_pixel_grid g = {r->minx, r->maxy, r->res};
        double mpp;
        double c[2] = {r->minx + r->width / 2 * r->res, r->maxy - r->height / 2 * r->res};
        if (dl_proj_ground_resolution(&quiet, ll, &g, r->width / 2, r->height / 2, &mpp) ==
                DLINE_OK &&
            dl_transform_points_inv(ll, c, 1) == 1) {
            r->zoom = dl_style_zoom_of(c[1], mpp);
            r->scale = dl_style_scale_of(mpp);
        }
    }
    dl_transform_free(ll);
}

static dline_status run_prepare(dline_ctx *ctx, dline_map *map, run *r)
{
    dl_style *s = map->style;
    memset(r, 0, sizeof *r);
    r->style = s;
    r->proj_cache = map->proj_cache;
    dl_geom_init(&r->work);
    dline_status st = dl_proj_new(ctx, &r->proj);
    if (st == DLINE_OK) {
        dl_proj_use_cache(r->proj, r->proj_cache);
        r->sources = dl_calloc_array(s->nsources, sizeof *r->sources);
        if (!r->sources)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (st == DLINE_OK) {
        const char *map_crs = s->crs ? s->crs : "EPSG:3857";
        dline_ctx quiet = {0};
        if (dl_proj_check_map_crs(&quiet, r->proj, map_crs) != DLINE_OK) {
            if (map->crs_from_caller)
                st = dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "--crs: %s", quiet.message);
            else
                st = dl_error(ctx, DLINE_ESTYLE, s->path, 0, 0, "map crs: %s", quiet.message);
        }
    }
    const dl_style_inset *in = &s->furniture.inset;
    if (st == DLINE_OK && in->enabled && in->crs) {
        /* Asked before any output file exists, like the map's CRS. */
        dline_ctx quiet = {0};
        if (dl_proj_check_map_crs(&quiet, r->proj, in->crs) != DLINE_OK)
            st = dl_error(ctx, DLINE_ESTYLE, s->path, in->crs_line, in->crs_col, "inset crs: %s",
                          quiet.message);
    }
    /* The size may have changed since the style's check (--size, --paper). */
    char why[160];
    if (st == DLINE_OK && dl_style_face_of(s, &r->face, why, sizeof why) != 0)
        st = dl_error(ctx, DLINE_ESTYLE, s->path, s->furniture.frame.margin_line,
                      s->furniture.frame.margin_col, "%s", why);
    r->margin = dl_style_has_margin(s);
    for (size_t i = 0; st == DLINE_OK && i < s->nlayers; i++)
        if (layer_uses_source(&s->layers[i]))
            st = open_source(ctx, r, (size_t)s->layers[i].source, NULL);
    dl_bbox box;
    if (st == DLINE_OK)
        st = compute_extent(ctx, r, &box);
    if (st == DLINE_OK) {
        compute_views(r, box);
        compute_zoom(r);
        for (size_t i = 0; i < s->nlayers; i++)
            dl_style_layer_eval_zoom(&s->layers[i], r->zoom);
    }
    return st;
}

/* The inset's extent in its CRS units: its lon/lat `extent`, or its layers'
 * boxes through r's transformations (the inset's own, see
 * inset_transforms); the same aspect-ratio rule as the map's
 * (compute_extent). */
static dline_status inset_extent(dline_ctx *ctx, run *r, const dl_style_inset *in, dl_bbox *box)
{
    const dl_style *s = r->style;
    double pad = 0;
    if (in->has_extent) {
        dl_transform *t = NULL;
        const char *crs = in->crs ? in->crs : s->crs ? s->crs : "EPSG:3857";
        dline_status st = dl_transform_new(ctx, r->proj, "EPSG:4326", crs, NULL, &t);
        dl_bbox ll = {in->extent[0], in->extent[1], in->extent[2], in->extent[3]};
        if (st == DLINE_OK)
            st = dl_transform_bbox(ctx, t, ll, box);
        dl_transform_free(t);
        if (st != DLINE_OK)
            return st;
    } else {
        *box = dl_bbox_empty();
        for (size_t i = 0; i < in->nlayers; i++) {
            const dl_style_layer *l = &s->layers[in->layers[i]];
            if (!layer_uses_source(l))
                continue;
            run_source *rs = &r->sources[l->source];
            dl_bbox b, pb;
            dline_status st = layer_bounds(ctx, r, l, &b);
            if (st != DLINE_OK)
                return st;
            if (dl_bbox_is_empty(b))
                continue;
            st = dl_transform_bbox(ctx, rs->fwd, b, &pb);
            if (st != DLINE_OK)
                return st;
            dl_bbox_add(box, pb.xmin, pb.ymin);
            dl_bbox_add(box, pb.xmax, pb.ymax);
        }
        if (dl_bbox_is_empty(*box))
            return dl_error(ctx, DLINE_ESTYLE, s->path, 0, 0,
                            "inset: nothing to fit: its layers are empty; give an 'extent'");
        pad = in->padding;
    }
    double w = fmax(in->size[0] - 2 * pad, 1), h = fmax(in->size[1] - 2 * pad, 1);
    double res = fmax((box->xmax - box->xmin) / w, (box->ymax - box->ymin) / h);
    if (!(res > 0))
        return dl_error(ctx, DLINE_ESTYLE, s->path, 0, 0, "inset: its extent is a point");
    double cx = (box->xmin + box->xmax) / 2, cy = (box->ymin + box->ymax) / 2;
    *box = (dl_bbox){cx - res * in->size[0] / 2, cy - res * in->size[1] / 2,
                     cx + res * in->size[0] / 2, cy + res * in->size[1] / 2};
    return DLINE_OK;
}

/* For an inset with its own CRS: a transformation from each open source's
 * CRS to it, in place of the map's, made once per distinct source CRS as
 * open_source does. The ones made here have borrowed == 0; free them with
 * free_inset_transforms whatever the status. */
static dline_status inset_transforms(dline_ctx *ctx, run *sub, const char *crs)
{
    size_t n = sub->style->nsources;
    for (size_t i = 0; i < n; i++) {
        sub->sources[i].fwd = NULL;
        sub->sources[i].borrowed = 1;
    }
    for (size_t i = 0; i < n; i++) {
        run_source *rs = &sub->sources[i];
        if (!rs->src)
            continue;
        for (size_t j = 0; j < i && !rs->fwd; j++)
            if (sub->sources[j].fwd && !strcmp(sub->sources[j].crs, rs->crs))
                rs->fwd = sub->sources[j].fwd;
        if (rs->fwd)
            continue;
        dline_status st = dl_transform_new(ctx, sub->proj, rs->crs, crs,
                                           dl_source_path(rs->src), &rs->fwd);
        if (st != DLINE_OK)
            return st;
        rs->borrowed = 0;
    }
    return DLINE_OK;
}

static void free_inset_transforms(run *sub)
{
    for (size_t i = 0; i < sub->style->nsources; i++)
        if (!sub->sources[i].borrowed)
            dl_transform_free(sub->sources[i].fwd);
}

/* Each side of the main map's frame is cut into this many pieces when it
 * is outlined in an inset with its own CRS. */
#define OUTLINE_STEPS 32

/* The main map's frame as a path in an inset with its own CRS: densified
 * and transformed point by point, since it turns (and may bend) there. A
 * ring less than 4 px across is scaled up round its centre, so a map much
 * smaller than the inset still shows where it is, as the rectangle does.
 * Leaves no path, with a warning, when the frame does not transform. */
static dline_status inset_outline_path(dline_ctx *ctx, const run *r, const run *sub,
                                       const char *crs, cairo_t *cr)
{
    const dl_style *s = r->style;
    dl_transform *t = NULL;
    dline_status st = dl_transform_new(ctx, r->proj, s->crs ? s->crs : "EPSG:3857", crs, NULL,
                                       &t);
    if (st != DLINE_OK)
        return st;
    enum { N = 4 * OUTLINE_STEPS };
    double xy[2 * N];
    dl_pixel_grid from = {r->minx, r->maxy, r->res}, to = {sub->minx, sub->maxy, sub->res};
    size_t ok = dl_transform_frame(t, &from, r->width, r->height, &to, OUTLINE_STEPS, xy);
    dl_transform_free(t);
    if (ok != N) {
        dl_warn(ctx, s->path, s->furniture.inset.crs_line, s->furniture.inset.crs_col,
                "inset: the map's extent cannot be transformed to the inset CRS; not outlined");
        return DLINE_OK;
    }
    dl_bbox b = dl_bbox_empty();
    for (size_t i = 0; i < N; i++)
        dl_bbox_add(&b, xy[2 * i], xy[2 * i + 1]);
    double w = b.xmax - b.xmin, h = b.ymax - b.ymin;
    double sx = w > 0 && w < 4 ? 4 / w : 1, sy = h > 0 && h < 4 ? 4 / h : 1;
    double cx = (b.xmin + b.xmax) / 2, cy = (b.ymin + b.ymax) / 2;
    for (size_t i = 0; i < N; i++) {
        double x = cx + (xy[2 * i] - cx) * sx, y = cy + (xy[2 * i + 1] - cy) * sy;
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    cairo_close_path(cr);
    return DLINE_OK;
}

/* The inset overview: its layers drawn by the map's own layer loop on a
 * second run configuration (its grid, its view boxes, and with its own CRS
 * its own transformations) translated to the inset's box and clipped to it,
 * then the main map's extent outlined and a frame. The box stacks with the
 * furniture at its position and becomes a label obstacle. */
static dline_status draw_inset(dline_ctx *ctx, run *r, double *stack)
{
    const dl_style_inset *in = &r->style->furniture.inset;
    if (!in->enabled || r->dry)
        return DLINE_OK;
    run sub = *r;
    sub.inset = 1;
    /* Its own scratch: strings it makes must not outlive the main run's. */
    memset(&sub.scratch, 0, sizeof sub.scratch);
    /* Its own view boxes; the sources themselves stay the map's. */
    sub.sources = dl_calloc_array(r->style->nsources, sizeof *sub.sources);
    if (!sub.sources)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    memcpy(sub.sources, r->sources, r->style->nsources * sizeof *sub.sources);
    dl_bbox box;
    dline_status st = in->crs ? inset_transforms(ctx, &sub, in->crs) : DLINE_OK;
    if (st == DLINE_OK)
        st = inset_extent(ctx, &sub, in, &box);
    if (st != DLINE_OK) {
        if (in->crs)
            free_inset_transforms(&sub);
        free(sub.sources);
        return st;
    }
    sub.minx = box.xmin;
    sub.maxy = box.ymax;
    sub.res = (box.xmax - box.xmin) / in->size[0];
    sub.width = in->size[0];
    sub.height = in->size[1];
    compute_views(&sub, box);
    /* A smaller scale: its own zoom (in its own CRS too, near enough for
     * min/maxzoom and zoom-driven values). */
    if (r->zoom != 0 && sub.res > 0 && r->res > 0 && !in->crs) {
        sub.zoom = r->zoom + log2(r->res / sub.res);
        sub.scale = r->scale * sub.res / r->res;
    } else if (r->zoom != 0) {
        compute_zoom(&sub);
    }
    double w = in->size[0], h = in->size[1], x, y;
    dl_anchor pos = in->position;
    int left = pos == DL_ANCHOR_TOP_LEFT || pos == DL_ANCHOR_BOTTOM_LEFT || pos == DL_ANCHOR_LEFT;
    int right = pos == DL_ANCHOR_TOP_RIGHT || pos == DL_ANCHOR_BOTTOM_RIGHT ||
                pos == DL_ANCHOR_RIGHT;
    int top = pos == DL_ANCHOR_TOP_LEFT || pos == DL_ANCHOR_TOP_RIGHT || pos == DL_ANCHOR_TOP;
    int bottom = pos == DL_ANCHOR_BOTTOM_LEFT || pos == DL_ANCHOR_BOTTOM_RIGHT ||
                 pos == DL_ANCHOR_BOTTOM;
    x = left    ? in->offset[0]
        : right ? r->width - in->offset[0] - w
                : (r->width - w) / 2 + in->offset[0];
    y = top ? in->offset[1] + stack[pos]
            : bottom ? r->height - in->offset[1] - stack[pos] - h
                     : (r->height - h) / 2 + in->offset[1] + stack[pos];
    cairo_t *cr = r->cr;
    dl_svg_group_begin(cr, "inset", 0);
    dl_cr_save(cr);
    cairo_translate(cr, x, y);
    cairo_rectangle(cr, 0, 0, w, h);
    dl_cr_clip(cr);
    dl_color bg = in->background;
    cairo_set_source_rgba(cr, bg.r, bg.g, bg.b, bg.a);
    dl_cr_paint(cr);
    for (size_t i = 0; st == DLINE_OK && i < in->nlayers; i++) {
        const dl_style_layer *l = &r->style->layers[in->layers[i]];
        char id[300];
        snprintf(id, sizeof id, "inset-%s", l->id ? l->id : "");
        dl_svg_group_begin(cr, id, 0);
        /* Drawn after the main map's layers: its zoom's values now. */
        dl_style_layer_eval_zoom(&r->style->layers[in->layers[i]], sub.zoom);
        st = draw_layer(ctx, &sub, l);
        dl_svg_group_end(cr);
    }
    r->work = sub.work; /* the scratch geometry may have grown */
    dl_expr_scratch_free(&sub.scratch);
    if (st == DLINE_OK && in->outline_width > 0 && in->crs) {
        dl_color c = in->outline_color;
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
        cairo_set_line_width(cr, in->outline_width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
        st = inset_outline_path(ctx, r, &sub, in->crs, cr);
        if (st == DLINE_OK && cairo_has_current_point(cr))
            dl_cr_stroke(cr);
    } else if (st == DLINE_OK && in->outline_width > 0) {
        /* The main map's box in the same CRS; at least 4 px, so a map
         * much smaller than the inset still shows where it is. */
        double x0 = (r->minx - sub.minx) / sub.res, y0 = (sub.maxy - r->maxy) / sub.res;
        double x1 = x0 + r->width * r->res / sub.res, y1 = y0 + r->height * r->res / sub.res;
        double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        double hw = fmax((x1 - x0) / 2, 2), hh = fmax((y1 - y0) / 2, 2);
        dl_color c = in->outline_color;
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
        cairo_set_line_width(cr, in->outline_width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
        cairo_rectangle(cr, cx - hw, cy - hh, 2 * hw, 2 * hh);
        dl_cr_stroke(cr);
    }
    if (in->crs)
        free_inset_transforms(&sub);
    free(sub.sources);
    if (st == DLINE_OK && in->frame_width > 0) {
        double fw = fmin(in->frame_width, fmin(w, h) / 2);
        dl_color c = in->frame_color;
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
        cairo_set_line_width(cr, fw);
        cairo_rectangle(cr, fw / 2, fw / 2, w - fw, h - fw);
        dl_cr_stroke(cr);
    }
    dl_cr_restore(cr);
    dl_svg_group_end(cr);
    if (st == DLINE_OK && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        st = dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "inset: %s",
                      cairo_status_to_string(cairo_status(cr)));
    dl_render_add_named_obstacle(r->render, "inset", NULL, x, y, x + w, y + h);
    stack[pos] += in->offset[1] + h;
    return st;
}

/* Drawing in bands (PNG). The layers other than symbol layers are drawn
 * by two runs at once, each onto its own half of the image's rows (a Cairo
 * surface over those rows of the same pixels): each reads only the records
 * of its own view of the layer (band_view: its rows grown by the map's
 * margins and the layer's ink, in the source's CRS; the map's view where
 * that cannot be made) and draws those that reach its rows. A band breaks
 * batches only at the features it reads, so a few pixels where batches
 * meet differ from the whole map drawn at once; but the split is by rows,
 * never by thread count, so one thread (which draws the bands in turn)
 * and two give the same bytes. Each band records the circles centred in
 * its rows as label obstacles, and counts the features it could not
 * project that the other band did not read first (band_owns_skipped). Meanwhile the caller's run reads the symbol layers and
 * queues and shapes their labels (symbol_draw) on a third thread. Each
 * band then draws the graticule's lines over its rows. Labels, furniture,
 * the inset and the graticule's edge labels are drawn afterwards on the
 * whole image by the caller's run, as before. */
#define DL_BANDS 2

/* Warnings kept to be given later, in order: the first band's (each with
 * the layer it came in, 0 before the first: given after the bands with the
 * counts of features the bands could not project, which only the two bands
 * together know) and the symbol layers' (tag unused). */
typedef struct {
    char **msgs;
    size_t *tags;
    size_t n, cap;
    size_t tag;
    int lost; /* out of memory keeping one */
} kept_warnings;

static void keep_warning(const char *message, void *user)
{
    kept_warnings *w = user;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        char **m = dl_realloc_array(w->msgs, cap, sizeof *m);
        if (m)
            w->msgs = m;
        size_t *t = m ? dl_realloc_array(w->tags, cap, sizeof *t) : NULL;
        if (!t) {
            w->lost = 1;
            return;
        }
        w->tags = t;
        w->cap = cap;
    }
    char *copy = dl_strdup(message);
    if (!copy) {
        w->lost = 1;
        return;
    }
    w->msgs[w->n] = copy;
    w->tags[w->n++] = w->tag;
}

static void kept_warnings_free(kept_warnings *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->msgs[i]);
    free(w->msgs);
    free(w->tags);
}

typedef struct {
    dline_ctx ctx;   /* the band's own: the first's warnings are kept, the second's go nowhere */
    const run *main; /* the caller's run: extent, zoom, views */
    run r;
    cairo_surface_t *surface;
    cairo_t *cr;
    int index;
    double y0, y1; /* its rows, in user units */
    double first_y0, first_y1; /* the first band's */
    kept_warnings warnings;
    /* Its graticule, projected with its own PROJ context and drawn after
     * its layers; the first band's is handed to the caller for the edge
     * labels, with the warning it gave (given where the graticule came). */
    dl_graticule grat;
    kept_warnings grat_warnings;
    dline_status st;
} band;

static dline_status band_prepare(band *b)
{
    const run *m = b->main;
    run *r = &b->r;
    memset(r, 0, sizeof *r);
    r->style = m->style;
    r->minx = m->minx;
    r->maxy = m->maxy;
    r->res = m->res;
    r->width = m->width;
    r->height = m->height;
    r->zoom = m->zoom;
    r->scale = m->scale;
    r->band = b->index + 1;
    r->band_y0 = b->y0;
    r->band_y1 = b->y1;
    r->first_y0 = b->first_y0;
    r->first_y1 = b->first_y1;
    r->proj_cache = m->proj_cache;
    dl_geom_init(&r->work);
    const dl_style *s = r->style;
    dline_status st = dl_proj_new(&b->ctx, &r->proj);
    if (st == DLINE_OK)
        dl_proj_use_cache(r->proj, r->proj_cache);
    if (st == DLINE_OK && (!(r->sources = dl_calloc_array(s->nsources, sizeof *r->sources)) ||
                           !(r->skipped = dl_calloc_array(s->nlayers, sizeof *r->skipped))))
        st = dl_error(&b->ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; st == DLINE_OK && i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->type == DL_LAYER_SYMBOL || l->inset_only || !layer_uses_source(l))
            continue;
        size_t k = (size_t)l->source;
        if (!r->sources[k].src) {
            st = open_source(&b->ctx, r, k, m->sources[k].src);
            r->sources[k].view = m->sources[k].view;
            r->sources[k].has_view = m->sources[k].has_view;
        }
    }
    if (st == DLINE_OK)
        st = dl_render_new(&b->ctx, b->cr, m->width, m->height, &r->render);
    if (st == DLINE_OK)
        dl_render_set_band(r->render, b->y0, b->y1, b->index == 0 ? -HUGE_VAL : b->y0,
                           b->index == DL_BANDS - 1 ? HUGE_VAL : b->y1);
    return st;
}

/* The graticule's lines on r's renderer; *out keeps the graticule for its
 * edge labels (dl_graticule_free). */
static dline_status draw_graticule(dline_ctx *ctx, const run *r, dl_graticule *out)
{
    const dl_style *s = r->style;
    dl_pixel_grid grid = {r->minx, r->maxy, r->res};
    return dl_graticule_draw(ctx, r->proj, s, s->crs ? s->crs : "EPSG:3857", &grid, r->width,
                             r->height, r->render, out);
}

static void *band_draw(void *arg)
{
    band *b = arg;
    dline_status st = band_prepare(b);
    const dl_style *s = b->r.style;
    /* The map's background over the band's rows first (draw_map leaves it
     * to the bands): painted on both cores, each band's pages first touched
     * by its own thread. */
    if (st == DLINE_OK)
        dl_render_background(b->r.render, s->background, 1.0);
    for (size_t i = 0; st == DLINE_OK && i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        b->warnings.tag = i + 1;
        if (l->type != DL_LAYER_SYMBOL && !l->inset_only)
            st = draw_layer(&b->ctx, &b->r, l);
    }
    if (st == DLINE_OK) {
        if (b->index == 0)
            b->ctx.warn_user = &b->grat_warnings;
        st = draw_graticule(&b->ctx, &b->r, &b->grat);
    }
    if (st == DLINE_OK && cairo_status(b->cr) != CAIRO_STATUS_SUCCESS)
        st = dl_error(&b->ctx, DLINE_ERENDER, NULL, 0, 0, "rendering failed: %s",
                      cairo_status_to_string(cairo_status(b->cr)));
    b->st = st;
    return NULL;
}

/* The symbol layers, run by the caller's run while the bands draw: their
 * sources read, their labels queued and shaped (dl_render_prepare_labels)
 * on the caller's renderer, which nothing else uses meanwhile. Its
 * warnings are kept and given after the bands', as they came before. */
typedef struct {
    dline_ctx ctx; /* its own: warnings kept in `warnings`, cancel the caller's */
    run *r;
    kept_warnings warnings;
    dline_status st;
} symbol_job;

static void *symbol_draw(void *arg)
{
    symbol_job *j = arg;
    const dl_style *s = j->r->style;
    dline_status st = DLINE_OK;
    for (size_t i = 0; st == DLINE_OK && i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->type == DL_LAYER_SYMBOL && !l->inset_only)
            st = draw_layer(&j->ctx, j->r, l);
    }
    if (st == DLINE_OK)
        dl_render_prepare_labels(&j->ctx, j->r->render);
    j->st = st;
    return NULL;
}

/* The first band's warnings in their order, each layer's followed by the
 * count of its features the bands could not project (each counted by one
 * band: band_owns_skipped), where the layer loop gave it. */
static void give_band_warnings(dline_ctx *ctx, const dl_style *s, band *b)
{
    const kept_warnings *w = &b[0].warnings;
    size_t k = 0;
    for (size_t i = 0; i <= s->nlayers; i++) {
        for (; k < w->n && w->tags[k] <= i + 1; k++) /* those before, then layer i's */
            if (ctx->warn)
                ctx->warn(w->msgs[k], ctx->warn_user);
        if (i == s->nlayers)
            break;
        const dl_style_layer *l = &s->layers[i];
        long n = 0;
        for (int j = 0; j < DL_BANDS; j++)
            n += b[j].r.skipped ? b[j].r.skipped[i] : 0;
        if (n && b[0].r.sources && layer_uses_source(l) && b[0].r.sources[l->source].src)
            dl_warn(ctx, dl_source_path(b[0].r.sources[l->source].src), 0, 0,
                    "layer '%s': %ld features could not be projected to the map CRS and were "
                    "skipped",
                    l->id, n);
    }
}

static int threads_to_use(const dline_map *map)
{
    if (map->threads > 0)
        return map->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}

/* *grat gets the first band's graticule (for its edge labels; empty when
 * the style has none), which the caller frees with dl_graticule_free(). */
static dline_status draw_bands(dline_ctx *ctx, dline_map *map, run *r, dl_graticule *grat)
{
    const dl_style *s = r->style;
    cairo_t *cr = r->cr;
    cairo_surface_t *target = cairo_get_target(cr);
    cairo_surface_flush(target);
    unsigned char *data = cairo_image_surface_get_data(target);
    int w = cairo_image_surface_get_width(target), h = cairo_image_surface_get_height(target);
    int stride = cairo_image_surface_get_stride(target);
    cairo_format_t fmt = cairo_image_surface_get_format(target);
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    /* Bind every drawn layer now, in this thread: the bands share the style. */
    for (size_t i = 0; i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->type == DL_LAYER_SYMBOL || l->inset_only || !layer_uses_source(l) ||
            !r->sources[l->source].src)
            continue;
        dl_source *src = r->sources[l->source].src;
        dl_style_layer_bind((dl_style_layer *)l, dl_source_field(src, 0),
                            dl_source_field_count(src));
    }
    band b[DL_BANDS];
    memset(b, 0, sizeof b);
    dline_status st = DLINE_OK;
    for (int k = 0; k < DL_BANDS; k++) {
        int row0 = (int)((long long)h * k / DL_BANDS), row1 = (int)((long long)h * (k + 1) / DL_BANDS);
        b[k].index = k;
        b[k].main = r;
        b[k].ctx.parent_cancel = &ctx->cancel;
        if (k == 0) {
            b[k].ctx.warn = keep_warning;
            b[k].ctx.warn_user = &b[k].warnings;
        }
        b[k].surface = cairo_image_surface_create_for_data(data + (size_t)row0 * (size_t)stride,
                                                           fmt, w, row1 - row0, stride);
        b[k].cr = cairo_create(b[k].surface);
        cairo_matrix_t bm = m;
        bm.y0 -= row0;
        cairo_set_matrix(b[k].cr, &bm);
        if (r->margin) {
            /* As draw_map clips the caller's context: the face only. */
            cairo_rectangle(b[k].cr, 0, 0, r->width, r->height);
            cairo_clip(b[k].cr);
        }
        /* The rows in user units (the map's scale has no rotation). */
        b[k].y0 = (row0 - m.y0) / m.yy;
        b[k].y1 = (row1 - m.y0) / m.yy;
        b[k].first_y0 = b[0].y0;
        b[k].first_y1 = b[0].y1;
        if (cairo_status(b[k].cr) != CAIRO_STATUS_SUCCESS && st == DLINE_OK)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    }
    symbol_job sym;
    memset(&sym, 0, sizeof sym);
    sym.r = r;
    sym.ctx.parent_cancel = &ctx->cancel;
    sym.ctx.warn = keep_warning;
    sym.ctx.warn_user = &sym.warnings;
    if (st == DLINE_OK) {
        /* Two threads: the second band and the symbol layers each on a
         * thread of their own, the first band on this one; the system
         * shares the two cores between the three. One: all in turn. */
        pthread_t other, symbols;
        int two = threads_to_use(map) >= 2;
        int spawned = two && pthread_create(&other, NULL, band_draw, &b[1]) == 0;
        int spawned_symbols = two && pthread_create(&symbols, NULL, symbol_draw, &sym) == 0;
        band_draw(&b[0]);
        if (spawned)
            pthread_join(other, NULL);
        else
            band_draw(&b[1]);
        if (spawned_symbols)
            pthread_join(symbols, NULL);
        else
            symbol_draw(&sym);
        give_band_warnings(ctx, s, b);
        /* The first band's error (whatever the thread count), else the
         * second's. */
        for (int k = 0; k < DL_BANDS && st == DLINE_OK; k++)
            if (b[k].st != DLINE_OK)
                st = b[k].st == DLINE_ECANCELED
                         ? dl_check_cancel(ctx)
                         : dl_error(ctx, b[k].st, NULL, 0, 0, "%s", dline_ctx_message(&b[k].ctx));
    }
    cairo_surface_mark_dirty(target);
    /* Each band recorded the circles centred in its rows: the first's,
     * then the second's. */
    for (int k = 0; k < DL_BANDS && st == DLINE_OK; k++)
        if (dl_render_take_obstacles(r->render, b[k].r.render) != 0)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == DLINE_OK && b[0].warnings.lost)
        st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    /* Then the symbol layers' warnings and error, as if they had run now
     * (after a band's error they would not have run at all). */
    for (size_t i = 0; i < sym.warnings.n; i++)
        if (st == DLINE_OK && ctx->warn)
            ctx->warn(sym.warnings.msgs[i], ctx->warn_user);
    kept_warnings_free(&sym.warnings);
    if (st == DLINE_OK && sym.warnings.lost)
        st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == DLINE_OK && sym.st != DLINE_OK)
        st = sym.st == DLINE_ECANCELED
                 ? dl_check_cancel(ctx)
                 : dl_error(ctx, sym.st, NULL, 0, 0, "%s", dline_ctx_message(&sym.ctx));
    /* The graticule's warning, where draw_map drew it before the bands did. */
    for (size_t i = 0; i < b[0].grat_warnings.n; i++)
        if (st == DLINE_OK && ctx->warn)
            ctx->warn(b[0].grat_warnings.msgs[i], ctx->warn_user);
    if (st == DLINE_OK && b[0].grat_warnings.lost)
        st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == DLINE_OK) {
        *grat = b[0].grat;
        memset(&b[0].grat, 0, sizeof b[0].grat);
    }
    for (int k = 0; k < DL_BANDS; k++) {
        kept_warnings_free(&b[k].warnings);
        kept_warnings_free(&b[k].grat_warnings);
        dl_graticule_free(&b[k].grat);
        if (b[k].r.style)
            run_free(&b[k].r);
        if (b[k].cr)
            cairo_destroy(b[k].cr);
        if (b[k].surface)
            cairo_surface_destroy(b[k].surface);
    }
    return st;
}

/* Everything on the map, in order, drawn by r's renderer (on out's image in
 * bands when banded): layers, graticule, furniture, inset, labels, frame.
 * *labels_json gets the label report when map asks for one. */
static dline_status draw_map(dline_ctx *ctx, dline_map *map, run *r, int banded,
                             char **labels_json)
{
    const dl_style *s = map->style;
    dline_status st = DLINE_OK;
    *labels_json = NULL;
    /* With margins: the sheet in the margins' colour, then everything in
     * the face's px (moved by its corner, which SVG reads from the
     * device-space paths), the layers and graticule lines clipped to it.
     * The move is a plain save, not an SVG level, so labels still go to
     * their layers' groups. */
    cairo_t *cr = r->cr;
    if (r->margin) {
        dl_render_background(r->render, s->furniture.frame.background, 1.0);
        cairo_save(cr);
        cairo_translate(cr, r->face.x, r->face.y);
        dl_cr_save(cr);
        cairo_rectangle(cr, 0, 0, r->width, r->height);
        dl_cr_clip(cr);
        cairo_new_path(cr);
    }
    /* Banded, each band paints the background over its own rows
     * (band_draw): 5.6 ms of the flagship's serial time here, most of it
     * the kernel's first touch of the image's pages. */
    if (!banded)
        dl_render_background(r->render, s->background, 1.0);
    /* A PNG's layers are drawn in bands, its symbol layers' labels queued
     * meanwhile (draw_bands); the other formats' layers here. */
    dl_graticule grat = {0};
    if (banded)
        st = draw_bands(ctx, map, r, &grat);
    for (size_t i = 0; st == DLINE_OK && !banded && i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->inset_only)
            continue;
        /* Symbol layers only queue labels here; their group is written
         * with the labels. */
        int group = l->type != DL_LAYER_SYMBOL;
        if (group)
            dl_render_group_begin(r->render, l->id, 1);
        st = draw_layer(ctx, r, l);
        if (group)
            dl_render_group_end(r->render);
    }
    /* The graticule's lines go under the furniture (drawn by each band
     * after its layers when banded), its edge labels after it, so they
     * keep clear of the blocks. */
    if (st == DLINE_OK && !banded)
        st = draw_graticule(ctx, r, &grat);
    /* Furniture and labels keep inside the face by their own rules; the
     * graticule's labels may stand in the margins. */
    if (r->margin)
        dl_cr_restore(cr);
    /* Furniture before labels so labels keep clear of it; blocks at the
     * same corner stack (title, then subtitle below it). */
    double stack[DL_ANCHOR_BOTTOM_RIGHT + 1] = {0};
    const dl_style_text *blocks[] = {&s->title, &s->subtitle, &s->attribution};
    for (size_t i = 0; st == DLINE_OK && i < sizeof blocks / sizeof blocks[0]; i++) {
        double used = 0;
        if (!blocks[i]->text)
            continue;
        dl_render_group_begin(r->render, blocks[i]->role, 0);
        st = dl_render_text_block(ctx, r->render, blocks[i], stack[blocks[i]->position], &used);
        dl_render_group_end(r->render);
        stack[blocks[i]->position] += used;
    }
    if (st == DLINE_OK) {
        /* Then scale bar, north arrow and legend, stacking after the text. */
        dl_pixel_grid grid = {r->minx, r->maxy, r->res};
        st = dl_furniture_draw(ctx, r->proj, s, s->crs ? s->crs : "EPSG:3857", &grid, r->width,
                               r->height, r->render, stack);
    }
    if (st == DLINE_OK)
        st = draw_inset(ctx, r, stack);
    if (st == DLINE_OK) {
        const dl_style_frame *fr = &s->furniture.frame;
        int group = grat.nlines > 0;
        if (group)
            dl_render_group_begin(r->render, "graticule-labels", 0);
        const double none[4] = {0, 0, 0, 0};
        st = dl_render_graticule_labels(ctx, r->render, &s->furniture.graticule, &grat,
                                        fr->enabled && fr->width > 0 ? fr->width : 0,
                                        r->margin ? fr->margin : none);
        if (group)
            dl_render_group_end(r->render);
    }
    dl_graticule_free(&grat);
    if (st == DLINE_OK)
        st = dl_check_cancel(ctx);
    if (st == DLINE_OK)
        st = dl_render_labels(ctx, r->render);
    /* The neat frame last, over anything that runs to the map edge. */
    if (st == DLINE_OK && s->furniture.frame.enabled && s->furniture.frame.width > 0) {
        dl_render_group_begin(r->render, "frame", 0);
        st = dl_render_frame(ctx, r->render, &s->furniture.frame);
        dl_render_group_end(r->render);
    }
    if (r->margin)
        cairo_restore(cr);
    /* The label report is made now and written only once the map is. */
    if (st == DLINE_OK && map->debug_labels && !(*labels_json = dl_render_labels_json(r->render)))
        st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    return st;
}

/* A render to a file (path), or into memory (data, len; path then only
 * names it in messages). */
/* Whether the map may draw any text: labels, text blocks, furniture or the
 * graticule's edge labels. */
static int style_has_text(const dl_style *s)
{
    const dl_style_furniture *f = &s->furniture;
    if (s->title.text || s->subtitle.text || s->attribution.text || f->scale_bar.enabled ||
        f->north_arrow.enabled || f->legend.enabled > 0 ||
        (f->graticule.enabled && f->graticule.labels))
        return 1;
    for (size_t i = 0; i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->type == DL_LAYER_SYMBOL && (l->text_field || l->text_field_expr))
            return 1;
    }
    return 0;
}

static dline_status render_output(dline_ctx *ctx, dline_map *map, const char *path,
                                  dline_format format, unsigned char **data, size_t *len)
{
    const dl_style *s = map->style;
    /* The map's fonts, made first when it has text: Pango sets fontconfig
     * up on a thread of its own meanwhile (about 30 M instructions, which
     * the labels' thread would otherwise wait for). */
    dl_fonts *fonts = style_has_text(s) ? dl_fonts_new() : NULL;
    run r;
    dline_status st = run_prepare(ctx, map, &r);
    if (st == DLINE_OK)
        st = dl_check_cancel(ctx);
    if (st == DLINE_OK) {
        dl_output_options opt = {
            .format = format,
            .width = s->width,
            .height = s->height,
            .dpi = s->dpi,
            .opaque = background_is_opaque(s),
            .png_level = map->png_level,
            .threads = threads_to_use(map),
            .max_pixels = map->max_pixels,
            .title = s->title.text,
            .svg_id_prefix = map->svg_id_prefix,
            .has_creation_time = map->has_creation_time,
            .creation_time = map->creation_time,
            .data = data,
            .len = len,
        };
        st = dl_output_open(ctx, path, &opt, &r.out);
    }
    if (st == DLINE_OK) {
        r.cr = dl_output_cairo(r.out);
        st = dl_render_new(ctx, r.cr, r.width, r.height, &r.render);
    }
    if (st == DLINE_OK)
        dl_render_use_fonts(r.render, fonts);
    char *labels_json = NULL;
    if (st == DLINE_OK) {
        int banded = format == DLINE_FORMAT_PNG &&
                     cairo_surface_get_type(cairo_get_target(r.cr)) ==
                         CAIRO_SURFACE_TYPE_IMAGE;
        st = draw_map(ctx, map, &r, banded, &labels_json);
    }
    if (st == DLINE_OK)
        st = dl_check_cancel(ctx);
    if (st == DLINE_OK) {
        dl_render_free(r.render);
        r.render = NULL;
        dl_output *o = r.out;
        r.out = NULL;
        st = dl_output_commit(ctx, o);
    }
    if (st == DLINE_OK && labels_json)
        st = dl_output_write_text(ctx, map->debug_labels, labels_json);
    free(labels_json);
    run_free(&r);
    dl_fonts_free(fonts);
    return st;
}

dline_status dline_map_render_file(dline_ctx *ctx, dline_map *map, const char *path,
                                   dline_format format)
{
    if (format == DLINE_FORMAT_AUTO) {
        format = dl_output_format_from_path(path);
        if (format == DLINE_FORMAT_AUTO) {
            if (strcmp(path, "-") != 0)
                return dl_error(ctx, DLINE_EUSAGE, path, 0, 0,
                                "cannot tell the format from the extension; use .png, .svg or "
                                ".pdf, or --format");
            format = DLINE_FORMAT_PNG;
        }
    }
    return render_output(ctx, map, path, format, NULL, NULL);
}

dline_status dline_map_render_memory(dline_ctx *ctx, dline_map *map, dline_format format,
                                     unsigned char **data, size_t *len)
{
    if (!data || !len)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "no place for the rendered bytes");
    *data = NULL;
    *len = 0;
    const char *name = format == DLINE_FORMAT_PNG   ? "<memory>.png"
                       : format == DLINE_FORMAT_SVG ? "<memory>.svg"
                       : format == DLINE_FORMAT_PDF ? "<memory>.pdf"
                                                    : NULL;
    if (!name)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "rendering into memory needs a format: PNG, SVG or PDF");
    return render_output(ctx, map, name, format, data, len);
}

void dline_free(void *p)
{
    free(p);
}

const char *dline_version(void)
{
    return DLINE_VERSION_STRING;
}

dline_status dline_map_render_cairo(dline_ctx *ctx, dline_map *map, cairo_t *cr, double x,
                                    double y, double width, double height)
{
    if (!cr || cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "no usable Cairo context");
    if (!(width > 0) || !(height > 0) || !isfinite(width) || !isfinite(height) ||
        !isfinite(x) || !isfinite(y))
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "rectangle %gx%g is not positive", width,
                        height);
    const dl_style *s = map->style;
    run r;
    dline_status st = run_prepare(ctx, map, &r);
    if (st != DLINE_OK) {
        run_free(&r);
        return st;
    }
    /* The map's px scaled to fit the rectangle, aspect kept, centred, and
     * nothing drawn outside it. */
    double k = fmin(width / s->width, height / s->height);
    cairo_save(cr);
    cairo_translate(cr, x + (width - k * s->width) / 2, y + (height - k * s->height) / 2);
    cairo_scale(cr, k, k);
    cairo_new_path(cr);
    cairo_rectangle(cr, 0, 0, s->width, s->height);
    cairo_clip(cr);
    char *labels_json = NULL;
    r.cr = cr;
    st = dl_render_new(ctx, cr, r.width, r.height, &r.render);
    if (st == DLINE_OK)
        st = draw_map(ctx, map, &r, 0, &labels_json);
    free(labels_json);
    dl_render_free(r.render);
    r.render = NULL;
    cairo_restore(cr);
    if (st == DLINE_OK && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        st = dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "rendering failed: %s",
                      cairo_status_to_string(cairo_status(cr)));
    run_free(&r);
    return st;
}

size_t dline_map_layer_count(const dline_map *map)
{
    return map ? map->style->nlayers : 0;
}

const char *dline_map_layer_id(const dline_map *map, size_t i)
{
    return map && i < map->style->nlayers ? map->style->layers[i].id : NULL;
}

const char *dline_map_layer_type(const dline_map *map, size_t i)
{
    if (!map || i >= map->style->nlayers)
        return NULL;
    switch (map->style->layers[i].type) {
    case DL_LAYER_BACKGROUND: return "background";
    case DL_LAYER_FILL: return "fill";
    case DL_LAYER_LINE: return "line";
    case DL_LAYER_CIRCLE: return "circle";
    case DL_LAYER_SYMBOL: return "symbol";
    }
    return NULL;
}

void dline_map_size(const dline_map *map, double *width, double *height)
{
    if (width)
        *width = map ? map->style->width : 0;
    if (height)
        *height = map ? map->style->height : 0;
}

dline_status dline_map_extent(dline_ctx *ctx, dline_map *map, double box[4])
{
    run r;
    dline_status st = run_prepare(ctx, map, &r);
    dl_transform *ll = NULL;
    const char *map_crs = r.style->crs ? r.style->crs : "EPSG:3857";
    if (st == DLINE_OK)
        st = dl_transform_new(ctx, r.proj, "EPSG:4326", map_crs, NULL, &ll);
    if (st == DLINE_OK) {
        /* The frame, 32 steps a side, back to longitude/latitude. */
        enum { N = 32 };
        double xy[8 * N];
        size_t n = 0;
        for (int i = 0; i < N; i++) {
            double f = (double)i / N;
            double px[4] = {f * r.width, r.width, (1 - f) * r.width, 0};
            double py[4] = {0, f * r.height, r.height, (1 - f) * r.height};
            for (int k = 0; k < 4; k++) {
                xy[2 * n] = r.minx + px[k] * r.res;
                xy[2 * n + 1] = r.maxy - py[k] * r.res;
                n++;
            }
        }
        dl_transform_points_inv(ll, xy, n);
        dl_bbox b = dl_bbox_empty();
        for (size_t i = 0; i < n; i++)
            if (xy[2 * i] != HUGE_VAL)
                dl_bbox_add(&b, xy[2 * i], xy[2 * i + 1]);
        if (dl_bbox_is_empty(b)) {
            st = dl_error(ctx, DLINE_EPROJ, NULL, 0, 0,
                          "the map's extent has no longitude/latitude");
        } else {
            box[0] = b.xmin;
            box[1] = b.ymin;
            box[2] = b.xmax;
            box[3] = b.ymax;
        }
    }
    dl_transform_free(ll);
    run_free(&r);
    return st;
}

dline_status dline_map_fonts_report(dline_ctx *ctx, dline_map *map, FILE *out, size_t *nmissing)
{
    const dl_style *s = map->style;
    size_t none = 0;
    if (!nmissing)
        nmissing = &none;
    *nmissing = 0;
    run r;
    dline_status st = run_prepare(ctx, map, &r);
    /* The labels are queued by the render's own layer loop, so their text
     * is expanded exactly as a render would; a renderer needs a surface,
     * and a 1 x 1 image is never drawn on. */
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    if (st == DLINE_OK) {
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
        cr = cairo_create(surface);
        st = dl_render_new(ctx, cr, r.width, r.height, &r.render);
    }
    r.dry = 1;
    for (size_t i = 0; st == DLINE_OK && i < s->nlayers; i++)
        if (!s->layers[i].inset_only)
            st = draw_layer(ctx, &r, &s->layers[i]);
    if (st == DLINE_OK)
        st = dl_render_fonts_report(ctx, r.render, s, out, nmissing);
    if (st == DLINE_OK && (fflush(out) != 0 || ferror(out)))
        st = dl_error(ctx, DLINE_EIO, NULL, 0, 0, "cannot write the fonts report");
    run_free(&r);
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    return st;
}

/* dline validate */

typedef struct {
    dline_problem_fn report;
    void *user;
    size_t n;
} problems;

static void problem(problems *P, const char *message)
{
    P->n++;
    if (P->report)
        P->report(message, P->user);
}

static void problem_at(problems *P, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void problem_at(problems *P, const char *file, int line, int col, const char *fmt, ...)
{
    char msg[DL_MSG_MAX], full[DL_MSG_MAX + 300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(full, sizeof full, "%s:%d:%d: %s", file, line, col, msg);
    else
        snprintf(full, sizeof full, "%s: %s", file, msg);
    problem(P, full);
}

/* An attribute name the layer reads, checked against its source; file
 * NULL is the layer's, line 0 the layer's place. */
static void validate_name(problems *P, const run *r, const dl_style_layer *l,
                          const dl_source *src, const char *name, const char *file, int line,
                          int col, const char *what)
{
    if (dl_source_field_index(src, name) >= 0)
        return;
    size_t n = dl_source_field_count(src);
    const char *names[256];
    for (size_t i = 0; i < n && i < 256; i++)
        names[i] = dl_source_field(src, i)->name;
    const char *near = dl_suggest(name, names, n < 256 ? n : 256);
    problem_at(P, file ? file : dl_style_layer_file(r->style, l), line > 0 ? line : l->line,
               line > 0 ? col : l->col, "layer '%s': %s: no field '%s' in %s%s%s%s", l->id, what,
               name, dl_source_path(src), near ? " (did you mean '" : "", near ? near : "",
               near ? "'?)" : "");
}

/* The names in a template: at the value (a template string has no marks
 * of its own inside). */
static void validate_template(problems *P, const run *r, const dl_style_layer *l,
                              const dl_source *src, const char *p, const char *file, int line,
                              int col, const char *what)
{
    while (p && (p = strchr(p, '{'))) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        char name[256];
        size_t n = (size_t)(e - p - 1);
        if (n > 0 && n < sizeof name) {
            memcpy(name, p + 1, n);
            name[n] = '\0';
            validate_name(P, r, l, src, name, file, line, col, what);
        }
        p = e + 1;
    }
}

static void validate_expr(problems *P, const run *r, const dl_style_layer *l,
                          const dl_source *src, const dl_expr *e, const char *file,
                          const char *what)
{
    if (!e)
        return;
    const char *names[64];
    int lines[64], cols[64];
    size_t n = dl_expr_fields(e, names, lines, cols, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        validate_name(P, r, l, src, names[i], file, lines[i], cols[i], what);
}

/* Which geometry a layer type draws, for a source that has none of it. */
static const char *draws_what(dl_layer_type t)
{
    switch (t) {
    case DL_LAYER_FILL: return "polygons";
    case DL_LAYER_LINE: return "lines or polygons";
    case DL_LAYER_CIRCLE: return "points";
    default: return NULL;
    }
}

static void validate_layer(problems *P, const run *r, const dl_style_layer *l)
{
    const run_source *rs = &r->sources[l->source];
    const dl_source *src = rs->src;
    if (!src)
        return; /* reported with the source */
    const char *what = draws_what(l->type);
    if (what && !l->connect_by) {
        int any = 0;
        for (int g = DL_GEOM_POINT; g <= DL_GEOM_POLYGON; g++)
            any |= dl_source_has_geom(src, (dl_geom_type)g) && layer_draws(l->type, (dl_geom_type)g);
        if (!any)
            problem_at(P, dl_style_layer_file(r->style, l), l->line, l->col,
                       "layer '%s' draws %s, but %s holds %s", l->id, what, dl_source_path(src),
                       dl_source_shape_type_name(src));
    }
    if (l->connect_by)
        validate_name(P, r, l, src, l->connect_by, l->connect_by_file, l->connect_by_line,
                      l->connect_by_col, "connect-by");
    validate_template(P, r, l, src, l->text_field, l->text_field_file, l->text_field_line,
                      l->text_field_col, "text-field");
    validate_template(P, r, l, src, l->text_field_secondary, l->text_field_secondary_file,
                      l->text_field_secondary_line, l->text_field_secondary_col,
                      "text-field-secondary");
    validate_expr(P, r, l, src, l->filter, l->filter_file, "filter");
    validate_expr(P, r, l, src, l->text_field_expr, l->text_field_file, "text-field");
    validate_expr(P, r, l, src, l->text_field_secondary_expr, l->text_field_secondary_file,
                  "text-field-secondary");
    validate_expr(P, r, l, src, l->sort_key_expr, l->sort_key_file, "symbol-sort-key");
    for (size_t i = 0; i < l->nexprs; i++)
        validate_expr(P, r, l, src, l->exprs[i].expr, l->exprs[i].file,
                      dl_style_prop_name(l->exprs[i].prop));
}

/* A font list none of whose families is installed: the render would warn
 * and draw the labels in the default fonts. */
static void validate_font(problems *P, const dl_style *s, const dl_style_layer *l,
                          dl_render *render, const char *fonts, const char *file, int line,
                          int col, const char *what)
{
    /* Only a list the style gives: the defaults, or a list an expression
     * picks per feature, are the fonts report's business. */
    if (!fonts || line <= 0 || dl_render_fonts_installed(render, fonts))
        return;
    for (size_t i = 0; i < l->nexprs; i++)
        if (strcmp(dl_style_prop_name(l->exprs[i].prop), what) == 0)
            return;
    problem_at(P, file ? file : dl_style_layer_file(s, l), line > 0 ? line : l->line,
               line > 0 ? col : l->col,
               "layer '%s': %s: none of the fonts '%s' is installed; labels would use %s", l->id,
               what, fonts, dl_render_fallback_fonts());
}

static dline_status validate_fonts(dline_ctx *ctx, problems *P, const dl_style *s)
{
    int any = 0;
    for (size_t i = 0; i < s->nlayers; i++)
        any |= s->layers[i].type == DL_LAYER_SYMBOL && s->layers[i].text_field;
    if (!any)
        return DLINE_OK;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(surface);
    dl_render *render = NULL;
    dline_status st = dl_render_new(ctx, cr, 1, 1, &render);
    for (size_t i = 0; st == DLINE_OK && i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->type != DL_LAYER_SYMBOL || !l->text_field || l->broken)
            continue;
        validate_font(P, s, l, render, l->text_font, l->text_font_file, l->text_font_line,
                      l->text_font_col, "text-font");
        if (l->text_field_secondary)
            validate_font(P, s, l, render, l->text_font_secondary, l->text_font_secondary_file,
                          l->text_font_secondary_line, l->text_font_secondary_col,
                          "text-font-secondary");
    }
    dl_render_free(render);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    return st;
}

/* A "missing: U+XXXX 'c' in layer ID (feature N)" line of the fonts
 * report: at the layer's text-field when it names a layer. */
static void missing_problem(problems *P, const dl_style *s, const char *what)
{
    const char *in = strstr(what, " in layer ");
    const dl_style_layer *l = NULL;
    if (in) {
        in += strlen(" in layer ");
        /* Ids may hold spaces: the longest id the text goes on with. */
        size_t best = 0;
        for (size_t i = 0; i < s->nlayers; i++) {
            const char *id = s->layers[i].id;
            size_t n = id ? strlen(id) : 0;
            if (n > best && strncmp(in, id, n) == 0 && (in[n] == ' ' || in[n] == '\0')) {
                best = n;
                l = &s->layers[i];
            }
        }
    }
    if (l && l->text_field_line > 0)
        problem_at(P, l->text_field_file ? l->text_field_file : dl_style_layer_file(s, l),
                   l->text_field_line, l->text_field_col, "no font has %s", what);
    else if (l)
        problem_at(P, dl_style_layer_file(s, l), l->line, l->col, "no font has %s", what);
    else
        problem_at(P, s->path, 0, 0, "no font has %s", what);
}

dline_status dline_map_validate(dline_ctx *ctx, dline_map *map, dline_problem_fn report,
                                void *user, size_t *nproblems)
{
    problems P = {report, user, 0};
    dl_style *s = map->style;
    run r;
    memset(&r, 0, sizeof r);
    r.style = s;
    r.proj_cache = map->proj_cache;
    dl_geom_init(&r.work);
    dline_status st = dl_proj_new(ctx, &r.proj);
    if (st == DLINE_OK)
        dl_proj_use_cache(r.proj, r.proj_cache);
    if (st == DLINE_OK && !(r.sources = dl_calloc_array(s->nsources + 1, sizeof *r.sources)))
        st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    if (st != DLINE_OK) {
        run_free(&r);
        return st;
    }
    /* Each check on its own context: one problem does not hide the next. */
    dline_ctx quiet = {0};
    /* With a map CRS PROJ does not know, the sources are still opened and
     * their CRSs checked, against longitude/latitude. */
    dl_style checked = *s;
    if (dl_proj_check_map_crs(&quiet, r.proj, s->crs ? s->crs : "EPSG:3857") != DLINE_OK) {
        problem_at(&P, s->crs_file ? s->crs_file : s->path, s->crs_line, s->crs_col,
                   "map crs: %s", quiet.message);
        checked.crs = "EPSG:4326";
        r.style = &checked;
    }
    const dl_style_inset *in = &s->furniture.inset;
    memset(&quiet, 0, sizeof quiet);
    if (in->enabled && in->crs && dl_proj_check_map_crs(&quiet, r.proj, in->crs) != DLINE_OK)
        problem_at(&P, s->path, in->crs_line, in->crs_col, "inset crs: %s", quiet.message);
    {
        for (size_t i = 0; i < s->nsources; i++) {
            int used = 0;
            for (size_t k = 0; k < s->nlayers; k++)
                used |= layer_uses_source(&s->layers[k]) && s->layers[k].source == (long)i;
            /* A source with an error in the style was reported with it. */
            if (!used || s->sources[i].broken)
                continue;
            memset(&quiet, 0, sizeof quiet);
            if (open_source(&quiet, &r, i, NULL) != DLINE_OK) {
                /* Messages about the data file point at its source in the
                 * style too. */
                const dl_style_source *ss = &s->sources[i];
                if (strncmp(quiet.message, s->path, strlen(s->path)) == 0)
                    problem(&P, quiet.message);
                else
                    problem_at(&P, ss->file ? ss->file : s->path, ss->line, ss->col,
                               "source '%s': %s", ss->name,
                               quiet.message);
                /* A source whose CRS failed is open: its layers can still be checked. */
                if (r.sources[i].src && !r.sources[i].fwd)
                    continue;
            }
        }
        for (size_t k = 0; k < s->nlayers; k++)
            if (layer_uses_source(&s->layers[k]) && !s->layers[k].broken)
                validate_layer(&P, &r, &s->layers[k]);
    }
    run_free(&r);
    st = validate_fonts(ctx, &P, s);
    if (st != DLINE_OK)
        return st;
    /* Characters no font has: the fonts report, counted (it reads the
     * sources: when one is broken, that was reported above, and a source
     * the style could not even describe is not opened again). */
    int unreadable = 0;
    for (size_t i = 0; i < s->nsources; i++)
        unreadable |= s->sources[i].broken;
    if (!unreadable) {
        char *buf = NULL;
        size_t len = 0, nmissing = 0;
        FILE *mem = open_memstream(&buf, &len);
        dline_ctx fq = {0};
        if (mem && dline_map_fonts_report(&fq, map, mem, &nmissing) == DLINE_OK && nmissing) {
            fflush(mem);
            for (char *line = buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                    *next++ = '\0';
                if (strncmp(line, "missing: ", 9) == 0)
                    missing_problem(&P, s, line + 9);
            }
        } else if (fq.message[0] && P.n == 0) {
            problem(&P, fq.message);
        }
        if (mem)
            fclose(mem);
        free(buf);
    }
    if (nproblems)
        *nproblems = P.n;
    return DLINE_OK;
}

dline_status dline_validate(dline_ctx *ctx, const char *style_path, const char *const *sets,
                            size_t nsets, dline_problem_fn report, void *user,
                            size_t *nproblems)
{
    size_t n = 0, more = 0;
    dline_map *map = calloc(1, sizeof *map);
    if (!map)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    dline_status st = dl_style_load_checked(ctx, style_path, sets, nsets, report, user, &n,
                                            &map->style);
    if (st == DLINE_ESTYLE || st == DLINE_EIO) {
        /* The style cannot be read on: that is its one (more) problem. */
        if (report)
            report(dline_ctx_message(ctx), user);
        dline_ctx_clear(ctx);
        n++;
        st = DLINE_OK;
    } else if (st == DLINE_OK) {
        st = dline_map_validate(ctx, map, report, user, &more);
    }
    dline_map_free(map);
    if (nproblems)
        *nproblems = n + more;
    return st;
}

dline_status dline_index(dline_ctx *ctx, const char *shp_path, FILE *out)
{
    dl_source *src = NULL;
    dl_source_options opt = {.kind = DL_SOURCE_SHAPEFILE};
    dline_status st = dl_source_open_ex(ctx, shp_path, &opt, &src);
    char *qix = NULL;
    if (st == DLINE_OK)
        st = dl_source_write_index(ctx, src, &qix);
    if (st == DLINE_OK && out)
        fprintf(out, "wrote %s (%ld records)\n", qix, dl_source_record_count(src));
    free(qix);
    dl_source_free(src);
    return st;
}
