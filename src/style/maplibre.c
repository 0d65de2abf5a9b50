/* MapLibre style JSON read as a dline style (see maplibre.h). libyaml reads
 * JSON as YAML flow syntax, so the document arrives as the usual node tree
 * with line:column marks; this file only rewrites that tree, and the style
 * loader checks the result as it checks a YAML style. */
#include "style/maplibre.h"

#include "style/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PI 3.14159265358979323846
#define EARTH_RADIUS 6378137.0          /* Web Mercator's sphere */
#define MPP_ZOOM0 78271.51696402048     /* 2 pi R / 512: metres per px at zoom 0 */
#define MAX_MERCATOR_LAT 85.0511287798066 /* MapLibre's limit */
#define MAX_ZOOM 24

struct dl_maplibre {
    void **owned; /* nodes, item arrays and strings made here */
    size_t nowned, cap;
    const dl_yaml_node *root;
    int has_view;
    double center[2], zoom;
};

typedef struct {
    dline_ctx *ctx;
    const char *path;
    dl_maplibre *m;
    dl_style_problem_fn report;
    void *user;
    size_t *nproblems;
    /* sources left out: unsupported (type named in warnings) or in error */
    const char **skipped, **skipped_type;
    size_t nskipped;
} tr;

static const char *file_of(const tr *T, const dl_yaml_node *n)
{
    return n && n->file ? n->file : T->path;
}

static dline_status fail(tr *T, const dl_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dline_status fail(tr *T, const dl_yaml_node *at, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dl_error(T->ctx, DLINE_ESTYLE, file_of(T, at), at ? at->line : 0, at ? at->col : 0,
                    "%s", msg);
}

static void warn(tr *T, const dl_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(tr *T, const dl_yaml_node *at, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dl_warn(T->ctx, file_of(T, at), at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

/* As style.c's keep_going: in dline validate a style error is reported and
 * the caller leaves the item out; otherwise st. */
static dline_status keep_going(tr *T, dline_status st)
{
    if (st != DLINE_ESTYLE || !T->report)
        return st;
    T->report(dline_ctx_message(T->ctx), T->user);
    if (T->nproblems)
        (*T->nproblems)++;
    dline_ctx_clear(T->ctx);
    return DLINE_OK;
}

static dline_status no_memory(tr *T)
{
    return dl_error(T->ctx, DLINE_ENOMEM, T->path, 0, 0, "out of memory");
}

static void *own(tr *T, void *p)
{
    if (!p)
        return NULL;
    dl_maplibre *m = T->m;
    if (m->nowned == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        void **q = dl_realloc_array(m->owned, cap, sizeof *q);
        if (!q) {
            free(p);
            return NULL;
        }
        m->owned = q;
        m->cap = cap;
    }
    m->owned[m->nowned++] = p;
    return p;
}

static int is_scalar(const dl_yaml_node *n)
{
    return n && n->kind == DL_YAML_SCALAR;
}

static int is_mapping(const dl_yaml_node *n)
{
    return n && n->kind == DL_YAML_MAPPING;
}

static int text_is(const dl_yaml_node *n, const char *s)
{
    return is_scalar(n) && strcmp(n->text, s) == 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* A scalar at the position of `at`, holding a copy of text. */
static dl_yaml_node *new_scalar(tr *T, const dl_yaml_node *at, const char *text, size_t len,
                                int plain)
{
    dl_yaml_node *n = own(T, calloc(1, sizeof *n));
    char *t = own(T, malloc(len + 1));
    if (!n || !t)
        return NULL;
    memcpy(t, text, len);
    t[len] = '\0';
    *n = (dl_yaml_node){.kind = DL_YAML_SCALAR, .line = at->line, .col = at->col,
                        .file = at->file, .text = t, .len = len, .plain = plain, .height = 0,
                        .weight = 1};
    return n;
}

/* A collection like `like` (kind, position, file) of items (key, value,
 * key, value... for a mapping of n pairs). */
static dl_yaml_node *new_collection(tr *T, const dl_yaml_node *like, dl_yaml_kind kind,
                                    dl_yaml_node **items, size_t n)
{
    size_t count = kind == DL_YAML_MAPPING ? 2 * n : n;
    dl_yaml_node *m = own(T, calloc(1, sizeof *m));
    dl_yaml_node **copy = own(T, dl_calloc_array(count + 1, sizeof *copy));
    if (!m || !copy)
        return NULL;
    *m = *like;
    m->kind = kind;
    m->text = NULL;
    m->len = 0;
    m->n = n;
    m->items = copy;
    m->height = 1;
    m->weight = 1;
    for (size_t i = 0; i < count; i++) {
        copy[i] = items[i];
        m->weight = m->weight > SIZE_MAX - items[i]->weight ? SIZE_MAX
                                                            : m->weight + items[i]->weight;
        if (items[i]->height + 1 > m->height)
            m->height = items[i]->height + 1;
    }
    return m;
}

/* A growing list of key/value pairs for a new mapping. */
typedef struct {
    dl_yaml_node **items;
    size_t n, cap; /* pairs */
} pairs;

static int pairs_add(pairs *p, const dl_yaml_node *k, const dl_yaml_node *v)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 8;
        dl_yaml_node **q = dl_realloc_array(p->items, 2 * cap, sizeof *q);
        if (!q)
            return -1;
        p->items = q;
        p->cap = cap;
    }
    p->items[2 * p->n] = (dl_yaml_node *)k;
    p->items[2 * p->n + 1] = (dl_yaml_node *)v;
    p->n++;
    return 0;
}

/* Inline GeoJSON written back to JSON text */

typedef struct {
    char *buf;
    size_t len, cap;
    int over; /* past DL_MAPLIBRE_MAX_INLINE */
    int nomem;
} text_buf;

static void put(text_buf *b, const char *s, size_t n)
{
    if (b->over || b->nomem)
        return;
    if (n > DL_MAPLIBRE_MAX_INLINE - b->len) {
        b->over = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->buf, cap);
        if (!q) {
            b->nomem = 1;
            return;
        }
        b->buf = q;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void put_string(text_buf *b, const char *s, size_t n)
{
    put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(b, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': put(b, "\\\"", 2); break;
        case '\\': put(b, "\\\\", 2); break;
        case '\n': put(b, "\\n", 2); break;
        case '\r': put(b, "\\r", 2); break;
        case '\t': put(b, "\\t", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(b, esc, 6);
        }
    }
    put(b, s + run, n - run);
    put(b, "\"", 1);
}

/* RFC 8259's number grammar, whole string. */
static int json_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return 0;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        if (*++s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* A quoted scalar is a string; a plain one is null, true, false or a number
 * when it reads as one (a YAML number JSON lacks, ".5", is rewritten), and
 * else a string, as YAML reads it. Depth is bounded by the reader's limits. */
static void put_node(text_buf *b, const dl_yaml_node *n)
{
    switch (n->kind) {
    case DL_YAML_SCALAR:
        if (!n->plain) {
            put_string(b, n->text, n->len);
        } else if (dl_yaml_is_null(n)) {
            put(b, "null", 4);
        } else if (!strcmp(n->text, "true") || !strcmp(n->text, "false") || json_number(n->text)) {
            put(b, n->text, n->len);
        } else {
            double v;
            char num[40];
            if (dl_style_number(n->text, n->len, &v) == 0) {
                int k = snprintf(num, sizeof num, "%.17g", v);
                put(b, num, (size_t)k);
            } else {
                put_string(b, n->text, n->len);
            }
        }
        return;
    case DL_YAML_SEQUENCE:
        put(b, "[", 1);
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                put(b, ",", 1);
            put_node(b, n->items[i]);
        }
        put(b, "]", 1);
        return;
    case DL_YAML_MAPPING:
        put(b, "{", 1);
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                put(b, ",", 1);
            const dl_yaml_node *k = dl_yaml_key(n, i);
            put_string(b, k->text, k->len);
            put(b, ":", 1);
            put_node(b, dl_yaml_value(n, i));
        }
        put(b, "}", 1);
        return;
    }
}

/* Sources */

static const char *const source_types[] = {"geojson", "shapefile", "csv", "vector",
                                           "raster", "raster-dem", "image", "video"};

static int skip_source(tr *T, const char *name, const char *type)
{
    const char **s = dl_realloc_array(T->skipped, T->nskipped + 1, sizeof *s);
    if (!s)
        return -1;
    T->skipped = s;
    const char **t = dl_realloc_array(T->skipped_type, T->nskipped + 1, sizeof *t);
    if (!t)
        return -1;
    T->skipped_type = t;
    T->skipped[T->nskipped] = name;
    T->skipped_type[T->nskipped++] = type;
    return 0;
}

/* The skipped source called name: its type, "" for one in error; NULL when
 * it was not skipped. */
static const char *skipped(const tr *T, const char *name)
{
    for (size_t i = 0; i < T->nskipped; i++)
        if (strcmp(T->skipped[i], name) == 0)
            return T->skipped_type[i];
    return NULL;
}

/* "https://...", "mbtiles://...": a scheme, then "://". */
static int is_url(const char *s)
{
    const char *p = s;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    return p > s && strncmp(p, "://", 3) == 0;
}

/* The key node of `key` in map (NULL when absent). */
static const dl_yaml_node *key_node(const dl_yaml_node *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (text_is(dl_yaml_key(map, i), key))
            return dl_yaml_key(map, i);
    return NULL;
}

/* One source: *out is its dline mapping, or NULL when it is left out
 * (with a warning). */
static dline_status source(tr *T, const dl_yaml_node *key, const dl_yaml_node *v,
                           const dl_yaml_node **out)
{
    *out = NULL;
    const char *name = key->text;
    if (!is_mapping(v))
        return fail(T, v, "source '%s' must be a mapping with a 'type'", name);
    const dl_yaml_node *type = dl_yaml_get(v, "type");
    if (!type)
        return fail(T, v, "source '%s' has no 'type'", name);
    if (!is_scalar(type) || !in_list(type->text, source_types, COUNT(source_types))) {
        const char *near = is_scalar(type) ? dl_suggest(type->text, source_types,
                                                        COUNT(source_types))
                                           : NULL;
        if (near)
            return fail(T, type, "source '%s': unknown type '%s' (did you mean '%s'?)", name,
                        type->text, near);
        return fail(T, type,
                    "source '%s': 'type' must be geojson, shapefile or csv (or vector, raster, "
                    "raster-dem, image, video, which dline does not draw)",
                    name);
    }
    const char *t = type->text;
    if (strcmp(t, "geojson") && strcmp(t, "shapefile") && strcmp(t, "csv")) {
        warn(T, type, "source '%s': type '%s' is not supported; layers using it are skipped",
             name, t);
        return skip_source(T, name, t) ? no_memory(T) : DLINE_OK;
    }
    int geojson = strcmp(t, "geojson") == 0;
    const dl_yaml_node *data = dl_yaml_get(v, "data"), *path = dl_yaml_get(v, "path");
    if (data && path)
        return fail(T, path, "source '%s' has both 'data' and 'path'", name);
    if (geojson && path)
        return fail(T, path, "source '%s': a geojson source takes 'data', not 'path'", name);
    if (!data && !path)
        return fail(T, v, geojson ? "geojson source '%s' has no 'data'"
                                  : "source '%s' has no 'path' or 'data'", name);
    const dl_yaml_node *file = data ? data : path;
    if (is_scalar(file) && !dl_yaml_is_null(file) && is_url(file->text)) {
        warn(T, file, "source '%s': '%s' is a URL and dline reads local files only; layers "
             "using it are skipped", name, data ? "data" : "path");
        return skip_source(T, name, t) ? no_memory(T) : DLINE_OK;
    }
    pairs p = {0};
    dline_status st = DLINE_OK;
    if (is_mapping(file) && geojson) {
        /* Inline GeoJSON: its JSON text, for the GeoJSON reader to read from
         * memory, at the position of the object. */
        text_buf b = {0};
        put_node(&b, file);
        if (b.over)
            st = fail(T, file, "source '%s': inline 'data' is over %u MiB as JSON", name,
                      DL_MAPLIBRE_MAX_INLINE >> 20);
        else if (b.nomem)
            st = no_memory(T);
        dl_yaml_node *text = st ? NULL : new_scalar(T, file, b.buf, b.len, 0);
        free(b.buf);
        if (!st && (!text || pairs_add(&p, key_node(v, "data"), text)))
            st = no_memory(T);
    } else if (!is_scalar(file) || dl_yaml_is_null(file)) {
        st = fail(T, file, geojson ? "source '%s': 'data' must be a file name or a GeoJSON object"
                                   : "source '%s': '%s' must be a file name",
                  name, data ? "data" : "path");
    } else {
        /* A file name: dline's `path`, at the position it was written. */
        const dl_yaml_node *k = new_scalar(T, key_node(v, data ? "data" : "path"), "path", 4, 1);
        if (!k || pairs_add(&p, k, file))
            st = no_memory(T);
    }
    if (!st && pairs_add(&p, key_node(v, "type"), type))
        st = no_memory(T);
    /* dline's own source keys pass on; the loader checks them. MapLibre's
     * that only tune tiling or interaction are dropped quietly. */
    static const char *const dline_keys[] = {"crs", "encoding", "lon", "lat"};
    static const char *const quiet[] = {"attribution", "maxzoom", "minzoom", "buffer",
                                        "tolerance", "lineMetrics", "generateId", "promoteId",
                                        "clusterRadius", "clusterMaxZoom", "clusterMinPoints",
                                        "clusterProperties"};
    for (size_t i = 0; !st && i < v->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(v, i), *x = dl_yaml_value(v, i);
        if (in_list(k->text, dline_keys, COUNT(dline_keys))) {
            if (pairs_add(&p, k, x))
                st = no_memory(T);
        } else if (!strcmp(k->text, "cluster")) {
            if (!text_is(x, "false"))
                warn(T, k, "source '%s': 'cluster' is not supported; points are drawn one by one",
                     name);
        } else if (!strcmp(k->text, "filter")) {
            warn(T, k, "source '%s': 'filter' is not supported; every feature is read", name);
        } else if (strcmp(k->text, "type") && strcmp(k->text, "data") &&
                   strcmp(k->text, "path") && !in_list(k->text, quiet, COUNT(quiet))) {
            warn(T, k, "source '%s': unknown key '%s' is ignored", name, k->text);
        }
    }
    if (!st && !(*out = new_collection(T, v, DL_YAML_MAPPING, p.items, p.n)))
        st = no_memory(T);
    free(p.items);
    return st;
}

static dline_status sources(tr *T, const dl_yaml_node *n, const dl_yaml_node **out)
{
    *out = n;
    if (dl_yaml_is_null(n))
        return DLINE_OK;
    if (!is_mapping(n))
        return fail(T, n, "'sources' must be a mapping of source names to sources");
    pairs p = {0};
    dline_status st = DLINE_OK;
    for (size_t i = 0; i < n->n && !st; i++) {
        const dl_yaml_node *k = dl_yaml_key(n, i), *s;
        st = source(T, k, dl_yaml_value(n, i), &s);
        if (st == DLINE_ESTYLE && T->report) {
            /* Reported; its layers go quietly. */
            st = keep_going(T, st);
            if (!st && skip_source(T, k->text, ""))
                st = no_memory(T);
            continue;
        }
        if (!st && s && pairs_add(&p, k, s))
            st = no_memory(T);
    }
    if (!st && !(*out = new_collection(T, n, DL_YAML_MAPPING, p.items, p.n)))
        st = no_memory(T);
    free(p.items);
    return st;
}

/* Layers */

static const char *const other_types[] = {"raster", "hillshade", "fill-extrusion", "heatmap",
                                          "sky", "color-relief"};
static const char *const layer_keys[] = {"id", "type", "source", "filter", "minzoom",
                                         "maxzoom", "paint", "layout",
                                         /* dline's */
                                         "connect-by", "connect-smooth", "legend", "inset-only",
                                         "min-scale", "max-scale"};

/* What dl_expr_find_unsupported found, for a warning. */
static const char *what_op(const dl_yaml_node *op)
{
    return strcmp(op->text, "cubic-bezier") ? "expression operator" : "interpolation";
}

/* *out: the layer for dline, or NULL when it is left out. */
static dline_status layer(tr *T, const dl_yaml_node *n, const dl_yaml_node **out)
{
    *out = n;
    if (!is_mapping(n))
        return DLINE_OK; /* the loader says what is wrong */
    const dl_yaml_node *idn = dl_yaml_get(n, "id"), *type = dl_yaml_get(n, "type");
    const char *id = is_scalar(idn) ? idn->text : "?";
    if (is_scalar(type) && in_list(type->text, other_types, COUNT(other_types))) {
        warn(T, type, "layer '%s': type '%s' is not supported; the layer is skipped", id,
             type->text);
        *out = NULL;
        return DLINE_OK;
    }
    const dl_yaml_node *src = dl_yaml_get(n, "source");
    const char *why = is_scalar(src) ? skipped(T, src->text) : NULL;
    if (why) {
        if (*why)
            warn(T, src, "layer '%s': source '%s' (%s) is not supported; the layer is skipped",
                 id, src->text, why);
        *out = NULL;
        return DLINE_OK;
    }
    /* A filter dline cannot compile leaves nothing sensible to draw: every
     * feature would be too much, none is what skipping says plainly. */
    const dl_yaml_node *filter = dl_yaml_get(n, "filter");
    const dl_yaml_node *op = dl_expr_find_unsupported(filter);
    if (op) {
        warn(T, op, "layer '%s': 'filter' uses %s '%s', which is not supported; the layer "
             "is skipped", id, what_op(op), op->text);
        *out = NULL;
        return DLINE_OK;
    }
    const dl_yaml_node *layout = dl_yaml_get(n, "layout");
    const dl_yaml_node *vis = is_mapping(layout) ? dl_yaml_get(layout, "visibility") : NULL;
    if (vis && !text_is(vis, "visible") && !text_is(vis, "none"))
        return fail(T, vis, "'visibility' must be one of visible, none");
    if (text_is(vis, "none")) {
        *out = NULL;
        return DLINE_OK;
    }
    pairs p = {0};
    dline_status st = DLINE_OK;
    for (size_t i = 0; i < n->n && !st; i++) {
        const dl_yaml_node *k = dl_yaml_key(n, i), *v = dl_yaml_value(n, i);
        if (!strcmp(k->text, "source-layer")) {
            warn(T, k, "layer '%s': 'source-layer' is ignored (dline reads no vector tiles)", id);
            continue;
        }
        if (!strcmp(k->text, "metadata")) {
            warn(T, k, "layer '%s': 'metadata' is ignored", id);
            continue;
        }
        if (!in_list(k->text, layer_keys, COUNT(layer_keys))) {
            warn(T, k, "layer '%s': unknown key '%s' is ignored", id, k->text);
            continue;
        }
        if (v == layout && vis) {
            /* The layout without `visibility`, which dline does not know. */
            pairs q = {0};
            for (size_t j = 0; j < layout->n && !st; j++)
                if (dl_yaml_value(layout, j) != vis &&
                    pairs_add(&q, dl_yaml_key(layout, j), dl_yaml_value(layout, j)))
                    st = no_memory(T);
            if (!st && !(v = new_collection(T, layout, DL_YAML_MAPPING, q.items, q.n)))
                st = no_memory(T);
            free(q.items);
        }
        if (!st && pairs_add(&p, k, v))
            st = no_memory(T);
    }
    if (!st && !(*out = new_collection(T, n, DL_YAML_MAPPING, p.items, p.n)))
        st = no_memory(T);
    free(p.items);
    return st;
}

static dline_status layers(tr *T, const dl_yaml_node *n, const dl_yaml_node **out)
{
    *out = n;
    if (!n || n->kind != DL_YAML_SEQUENCE)
        return DLINE_OK; /* the loader says what is wrong */
    dl_yaml_node **items = dl_calloc_array(n->n + 1, sizeof *items);
    if (!items)
        return no_memory(T);
    size_t k = 0;
    dline_status st = DLINE_OK;
    for (size_t i = 0; i < n->n && !st; i++) {
        const dl_yaml_node *l;
        st = layer(T, n->items[i], &l);
        if (st == DLINE_ESTYLE && T->report) {
            st = keep_going(T, st);
            continue;
        }
        if (!st && l)
            items[k++] = (dl_yaml_node *)l;
    }
    if (!st && !(*out = new_collection(T, n, DL_YAML_SEQUENCE, items, k)))
        st = no_memory(T);
    free(items);
    return st;
}

/* The top level */

static const char *const dline_top[] = {"size", "paper", "dpi", "crs", "extent", "fit",
                                        "background", "title", "subtitle", "attribution",
                                        "scale-bar", "north-arrow", "legend", "frame",
                                        "graticule", "inset"};

static dline_status number(tr *T, const dl_yaml_node *n, const char *name, double *out)
{
    if (!is_scalar(n) || !n->plain || dl_style_number(n->text, n->len, out) != 0)
        return fail(T, n, "'%s' must be a number", name);
    return DLINE_OK;
}

static dline_status view(tr *T, const dl_yaml_node *k, const dl_yaml_node *v)
{
    dl_maplibre *m = T->m;
    dline_status st;
    if (!strcmp(k->text, "zoom")) {
        if ((st = number(T, v, "zoom", &m->zoom)))
            return st;
        if (m->zoom < 0 || m->zoom > MAX_ZOOM)
            return fail(T, v, "'zoom' %g is outside 0..%d", m->zoom, MAX_ZOOM);
    } else {
        if (!v || v->kind != DL_YAML_SEQUENCE || v->n != 2)
            return fail(T, v, "'center' must be [longitude, latitude]");
        static const char *const what[] = {"longitude", "latitude"};
        for (int i = 0; i < 2; i++) {
            const dl_yaml_node *x = v->items[i];
            double lim = i ? 90 : 180;
            if (!is_scalar(x) || !x->plain ||
                dl_style_number(x->text, x->len, &m->center[i]) != 0)
                return fail(T, x, "'center' %s must be a number", what[i]);
            if (m->center[i] < -lim || m->center[i] > lim)
                return fail(T, x, "'center' %s %g is outside -%g..%g", what[i], m->center[i],
                            lim, lim);
        }
    }
    m->has_view = 1;
    return DLINE_OK;
}

/* Keys that change how the map looks and that dline cannot honour give a
 * warning; the others are read and dropped. */
static dline_status top_key(tr *T, const dl_yaml_node *k, const dl_yaml_node *v, pairs *p)
{
    const char *key = k->text;
    double x;
    dline_status st;
    if (!strcmp(key, "version")) {
        if (!text_is(v, "8") || !v->plain)
            return fail(T, v, "'version' must be 8 (the MapLibre style specification's)");
    } else if (!strcmp(key, "center") || !strcmp(key, "zoom")) {
        return view(T, k, v);
    } else if (!strcmp(key, "bearing") || !strcmp(key, "pitch")) {
        if ((st = number(T, v, key, &x)))
            return st;
        if (x != 0)
            warn(T, v, "'%s' %g is not supported: the map is drawn %s", key, x,
                 key[0] == 'b' ? "north up" : "from straight above");
    } else if (!strcmp(key, "terrain")) {
        if (!dl_yaml_is_null(v))
            warn(T, k, "'terrain' is not supported: the map is drawn flat");
    } else if (!strcmp(key, "projection")) {
        const dl_yaml_node *type = is_mapping(v) ? dl_yaml_get(v, "type") : v;
        if (is_scalar(type) && !text_is(type, "mercator"))
            warn(T, type, "'projection' '%s' is not supported: the map is drawn in its 'crs'",
                 type->text);
        else if (type && !is_scalar(type))
            warn(T, type, "'projection' as an expression is not supported: the map is drawn "
                 "in its 'crs'");
    } else if (!strcmp(key, "metadata")) {
        const dl_yaml_node *d = is_mapping(v) ? dl_yaml_get(v, "dline") : NULL;
        if (!d)
            return DLINE_OK;
        if (!is_mapping(d))
            return fail(T, d, "'metadata.dline' must be a mapping of dline keys");
        for (size_t i = 0; i < d->n; i++) {
            const dl_yaml_node *dk = dl_yaml_key(d, i);
            if (!strcmp(dk->text, "sources") || !strcmp(dk->text, "layers"))
                return fail(T, dk, "'%s' cannot be given in metadata.dline", dk->text);
            if (pairs_add(p, dk, dl_yaml_value(d, i)))
                return no_memory(T);
        }
    } else if (!strcmp(key, "name") || !strcmp(key, "sprite") || !strcmp(key, "glyphs") ||
               !strcmp(key, "light") || !strcmp(key, "sky") || !strcmp(key, "transition") ||
               !strcmp(key, "state")) {
        /* Nothing to draw: fonts are fontconfig's, icons SVG files; light
         * and sky show only on extrusions and pitched maps. */
    } else if (in_list(key, dline_top, COUNT(dline_top))) {
        warn(T, k, "'%s' is ignored: in a MapLibre style dline keys go under "
             "\"metadata\": {\"dline\": {...}}", key);
    } else {
        warn(T, k, "unknown key '%s' is ignored", key);
    }
    return DLINE_OK;
}

int dl_maplibre_drop_property(dline_ctx *ctx, const char *path, const char *layer,
                              const char *property, const dl_yaml_node *v)
{
    const dl_yaml_node *op = dl_expr_find_unsupported(v);
    if (!op)
        return 0;
    dl_warn(ctx, op->file ? op->file : path, op->line, op->col,
            "layer '%s': '%s' uses %s '%s', which is not supported; the property takes its "
            "default", layer ? layer : "?", property, what_op(op), op->text);
    return 1;
}

int dl_maplibre_detect(const char *path, const dl_yaml_node *root)
{
    if (!is_mapping(root))
        return 0;
    if (dl_yaml_get(root, "version") && dl_yaml_get(root, "layers"))
        return 1;
    size_t n = path ? strlen(path) : 0;
    if (n < 5)
        return 0;
    const char *ext = path + n - 5;
    return ext[0] == '.' && (ext[1] | 0x20) == 'j' && (ext[2] | 0x20) == 's' &&
           (ext[3] | 0x20) == 'o' && (ext[4] | 0x20) == 'n';
}

dline_status dl_maplibre_translate(dline_ctx *ctx, const char *path, const dl_yaml_node *root,
                                   dl_style_problem_fn report, void *user, size_t *nproblems,
                                   dl_maplibre **out)
{
    *out = NULL;
    dl_maplibre *m = calloc(1, sizeof *m);
    if (!m)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    tr T = {ctx, path, m, report, user, nproblems, NULL, NULL, 0};
    pairs p = {0};
    dline_status st = DLINE_OK;
    if (!dl_yaml_get(root, "version"))
        st = keep_going(&T, fail(&T, root, "a MapLibre style needs \"version\": 8"));
    /* Top-level keys first (metadata.dline among them), then the sources,
     * which the layers need to know. */
    for (size_t i = 0; i < root->n && !st; i++) {
        const dl_yaml_node *k = dl_yaml_key(root, i);
        if (strcmp(k->text, "sources") && strcmp(k->text, "layers"))
            st = keep_going(&T, top_key(&T, k, dl_yaml_value(root, i), &p));
    }
    static const char *const parts[] = {"sources", "layers"};
    for (size_t j = 0; j < COUNT(parts) && !st; j++) {
        for (size_t i = 0; i < root->n && !st; i++) {
            const dl_yaml_node *k = dl_yaml_key(root, i), *v;
            if (strcmp(k->text, parts[j]))
                continue;
            st = j == 0 ? sources(&T, dl_yaml_value(root, i), &v)
                        : layers(&T, dl_yaml_value(root, i), &v);
            st = keep_going(&T, st);
            if (!st && pairs_add(&p, k, v))
                st = no_memory(&T);
        }
    }
    if (!st && !(m->root = new_collection(&T, root, DL_YAML_MAPPING, p.items, p.n)))
        st = no_memory(&T);
    free(p.items);
    free(T.skipped);
    free(T.skipped_type);
    if (st) {
        dl_maplibre_free(m);
        return st;
    }
    *out = m;
    return DLINE_OK;
}

const dl_yaml_node *dl_maplibre_root(const dl_maplibre *m)
{
    return m->root;
}

int dl_maplibre_view(const dl_maplibre *m, double center[2], double *zoom)
{
    if (!m->has_view)
        return 0;
    center[0] = m->center[0];
    center[1] = m->center[1];
    *zoom = m->zoom;
    return 1;
}

void dl_maplibre_free(dl_maplibre *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nowned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m);
}

void dl_maplibre_extent(const double center[2], double zoom, double width, double height,
                        double out[4])
{
    double res = MPP_ZOOM0 / pow(2, zoom);
    double lat = fmax(-MAX_MERCATOR_LAT, fmin(MAX_MERCATOR_LAT, center[1]));
    double cx = EARTH_RADIUS * center[0] * PI / 180;
    double cy = EARTH_RADIUS * log(tan(PI / 4 + lat * PI / 360));
    double x[2] = {cx - width / 2 * res, cx + width / 2 * res};
    double y[2] = {cy - height / 2 * res, cy + height / 2 * res};
    for (int i = 0; i < 2; i++) {
        out[2 * i] = fmax(-180, fmin(180, x[i] / EARTH_RADIUS * 180 / PI));
        double la = (2 * atan(exp(y[i] / EARTH_RADIUS)) - PI / 2) * 180 / PI;
        out[2 * i + 1] = fmax(-MAX_MERCATOR_LAT, fmin(MAX_MERCATOR_LAT, la));
    }
}

void dl_style_apply_view(dl_style *s)
{
    if (!s->has_view)
        return;
    dl_maplibre_extent(s->view_center, s->view_zoom, s->width, s->height, s->extent);
    s->has_extent = 1;
}
