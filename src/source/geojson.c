/* GeoJSON (RFC 7946) through json-c. json-c is the choice because it is
 * packaged by Debian, already linked (label reports, the data generator),
 * and its tokener takes a nesting limit (json_tokener_new_ex) and can
 * validate UTF-8, which is what a parser of hostile files needs. The
 * document is read feature by feature, as a shapefile is read record by
 * record: at open, the punctuation of the top-level object and of its
 * 'features' array is scanned here and every value in them (each key, each
 * other member, each feature) is parsed by the tokener from its offset,
 * checked and freed, so the memory is the file's bytes plus the tree of one
 * feature; only the features' offsets are kept. Everything is still checked
 * at open: the syntax of the whole document first, then the top level, then
 * the features (the first error of a feature is held until the rest of the
 * text is known to be JSON). dl_geojson_next parses one feature again. */
#include "source_int.h"

#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* GeoJSON geometry types; the bit of each in the "seen" mask is its index. */
enum { GJ_POINT, GJ_MULTIPOINT, GJ_LINESTRING, GJ_MULTILINESTRING, GJ_POLYGON, GJ_MULTIPOLYGON,
       GJ_COLLECTION, GJ_NTYPES };
static const char *const gj_names[GJ_NTYPES] = {
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection"};

/* Nesting levels of the values given to the tokener: the top-level value,
 * a member of the top-level object (or element of a top-level array), an
 * element of the 'features' array. Each has its own tokener, whose depth
 * limit is what is left of DL_JSON_MAX_DEPTH at that level. */
enum { LV_TOP, LV_MEMBER, LV_FEATURE, LV_N };

typedef struct {
    size_t *starts;        /* per feature: the offset of its value in t->data */
    size_t nfeat, cap;
    int level;             /* the features' level: LV_FEATURE, or LV_TOP when bare */
    json_tokener *tok[LV_N];
    json_tokener *quoted;  /* single-quoted keys (json-c takes them, strict or not) */
    unsigned char *masks;  /* per feature: the dl_geom_types it has (1 << type) */
    size_t next;           /* the next feature to start */
    size_t cur;            /* the feature being emitted */
    unsigned pending;      /* geometry types of cur not yet emitted */
} gj;

/* One walk over a geometry: checks it (g NULL) or collects the parts of one
 * dl_geom_type into g. */
typedef struct {
    dline_ctx *ctx;
    dl_text *t;
    long fi;
    dl_geom *g;
    dl_geom_type want;
    unsigned mask;  /* 1 << dl_geom_type for every type with a position */
    unsigned names; /* 1 << GJ_* for every type met */
    size_t npos, nring;
} walk;

static dline_status ferr(walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static dline_status ferr(walk *w, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return dl_error(w->ctx, DLINE_EDATA, w->t->path, 0, 0, "feature %ld: %s", w->fi, reason);
}

static dline_status oom(walk *w)
{
    return dl_error(w->ctx, DLINE_ENOMEM, w->t->path, 0, 0, "feature %ld: out of memory", w->fi);
}

static int is_number(json_object *o)
{
    return json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double);
}

static const char *type_of(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void begin_part(walk *w)
{
    dl_geom *g = w->g;
    g->part_start[g->nparts++] = g->npoints;
}

/* A position: 2 or more finite numbers (x, y, then altitude and anything
 * else, which are checked and ignored). */
static dline_status position(walk *w, json_object *p, dl_geom_type type, double *x, double *y)
{
    size_t k = w->npos++;
    if (!json_object_is_type(p, json_type_array) || json_object_array_length(p) < 2)
        return ferr(w, "position %zu is not an array of 2 or more numbers", k);
    size_t n = json_object_array_length(p);
    for (size_t c = 0; c < n; c++) {
        json_object *v = json_object_array_get_idx(p, c);
        if (!is_number(v))
            return ferr(w, "position %zu: coordinate %zu is not a number", k, c);
        if (!isfinite(json_object_get_double(v)))
            return ferr(w, "position %zu: coordinate %zu is not finite", k, c);
    }
    *x = json_object_get_double(json_object_array_get_idx(p, 0));
    *y = json_object_get_double(json_object_array_get_idx(p, 1));
    w->mask |= 1u << type;
    if (!w->g) {
        dl_bbox_add(&w->t->bounds, *x, *y);
    } else if (w->want == type) {
        dl_geom *g = w->g;
        if (dl_geom_reserve(g, g->npoints + 1, g->nparts + 1) != 0)
            return oom(w);
        g->xy[2 * g->npoints] = *x;
        g->xy[2 * g->npoints + 1] = *y;
        g->npoints++;
    }
    return DLINE_OK;
}

static dline_status need_array(walk *w, json_object *a, const char *what)
{
    if (!json_object_is_type(a, json_type_array))
        return ferr(w, "%s is not an array", what);
    return DLINE_OK;
}

static void reverse(dl_geom *g, size_t part)
{
    size_t s = g->part_start[part], e = g->part_start[part + 1];
    for (size_t i = s, j = e - 1; i < j; i++, j--) {
        double x = g->xy[2 * i], y = g->xy[2 * i + 1];
        g->xy[2 * i] = g->xy[2 * j];
        g->xy[2 * i + 1] = g->xy[2 * j + 1];
        g->xy[2 * j] = x;
        g->xy[2 * j + 1] = y;
    }
}

/* A line string (min 2 positions) or a ring (min 4, closed). `ring` is the
 * ring's index in its polygon, -1 for a line string. */
static dline_status line(walk *w, json_object *a, dl_geom_type type, int ring)
{
    dline_status st = need_array(w, a, ring < 0 ? "a LineString" : "a ring");
    if (st)
        return st;
    size_t n = json_object_array_length(a);
    size_t r = ring >= 0 ? w->nring++ : 0;
    if (ring < 0 && n < 2)
        return ferr(w, "a LineString has %zu position%s (it needs 2 or more)", n,
                    n == 1 ? "" : "s");
    if (ring >= 0 && n < 4)
        return ferr(w, "ring %zu has %zu position%s (a ring needs 4 or more)", r, n,
                    n == 1 ? "" : "s");
    int collect = w->g && w->want == type;
    if (collect) {
        if (dl_geom_reserve(w->g, w->g->npoints + n, w->g->nparts + 1) != 0)
            return oom(w);
        begin_part(w);
    }
    double x0 = 0, y0 = 0, x = 0, y = 0;
    for (size_t i = 0; i < n; i++) {
        if ((st = position(w, json_object_array_get_idx(a, i), type, &x, &y)))
            return st;
        if (i == 0) {
            x0 = x;
            y0 = y;
        }
    }
    if (ring >= 0 && (x != x0 || y != y0))
        return ferr(w, "ring %zu is not closed (its first and last positions differ)", r);
    if (collect && ring >= 0) {
        /* RFC 7946 structures a polygon (outer ring first, then holes) and
         * winds it counter-clockwise; dl_geom_organize_rings reads the
         * shapefile's winding (outer clockwise). Winding each ring by its
         * role lets the one ring organiser serve both. */
        dl_geom *g = w->g;
        size_t p = g->nparts - 1;
        g->part_start[g->nparts] = g->npoints;
        double area = dl_geom_ring_area(g, p);
        if ((ring == 0 && area > 0) || (ring > 0 && area < 0))
            reverse(g, p);
    }
    return DLINE_OK;
}

static dline_status polygon(walk *w, json_object *a)
{
    dline_status st = need_array(w, a, "a Polygon's coordinates");
    size_t n = st ? 0 : json_object_array_length(a);
    for (size_t i = 0; !st && i < n; i++)
        st = line(w, json_object_array_get_idx(a, i), DL_GEOM_POLYGON, (int)(i < 2 ? i : 1));
    return st;
}

static dline_status geometry(walk *w, json_object *geom)
{
    if (!json_object_is_type(geom, json_type_object))
        return ferr(w, "the geometry is not an object");
    const char *type = type_of(geom, "type");
    if (!type)
        return ferr(w, "the geometry has no 'type'");
    int k = 0;
    while (k < GJ_NTYPES && strcmp(gj_names[k], type) != 0)
        k++;
    if (k == GJ_NTYPES) {
        char shown[64];
        return ferr(w, "unknown geometry type '%s'", dl_source_printable(type, shown, sizeof shown));
    }
    w->names |= 1u << k;
    json_object *c;
    dline_status st = DLINE_OK;
    if (k == GJ_COLLECTION) {
        if (!json_object_object_get_ex(geom, "geometries", &c)
            || !json_object_is_type(c, json_type_array))
            return ferr(w, "a GeometryCollection without a 'geometries' array");
        size_t n = json_object_array_length(c);
        for (size_t i = 0; !st && i < n; i++)
            st = geometry(w, json_object_array_get_idx(c, i));
        return st;
    }
    if (!json_object_object_get_ex(geom, "coordinates", &c)
        || !json_object_is_type(c, json_type_array))
        return ferr(w, "a %s without a 'coordinates' array", gj_names[k]);
    /* Empty coordinates make an empty geometry, read as null (RFC 7946 3.1). */
    size_t n = json_object_array_length(c);
    if (n == 0)
        return DLINE_OK;
    double x, y;
    switch (k) {
    case GJ_POINT:
        if (w->g && w->want == DL_GEOM_POINT && w->g->nparts == 0)
            begin_part(w);
        return position(w, c, DL_GEOM_POINT, &x, &y);
    case GJ_MULTIPOINT:
        if (w->g && w->want == DL_GEOM_POINT && w->g->nparts == 0)
            begin_part(w);
        for (size_t i = 0; !st && i < n; i++)
            st = position(w, json_object_array_get_idx(c, i), DL_GEOM_POINT, &x, &y);
        return st;
    case GJ_LINESTRING:
        return line(w, c, DL_GEOM_LINE, -1);
    case GJ_MULTILINESTRING:
        for (size_t i = 0; !st && i < n; i++)
            st = line(w, json_object_array_get_idx(c, i), DL_GEOM_LINE, -1);
        return st;
    case GJ_POLYGON:
        return polygon(w, c);
    case GJ_MULTIPOLYGON:
        for (size_t i = 0; !st && i < n; i++)
            st = polygon(w, json_object_array_get_idx(c, i));
        return st;
    }
    return st;
}

/* The geometry and properties of feature i, whose tree is f (either may be
 * NULL). bare: f is the top-level value, which may be a bare geometry. */
static dline_status feature_at(dline_ctx *ctx, dl_text *t, json_object *f, int bare, size_t i,
                               json_object **geom, json_object **props)
{
    *geom = *props = NULL;
    const char *type = json_object_is_type(f, json_type_object) ? type_of(f, "type") : NULL;
    if (type && strcmp(type, "Feature") != 0 && bare) {
        *geom = f; /* a bare geometry */
        return DLINE_OK;
    }
    if (!json_object_is_type(f, json_type_object))
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "feature %zu: not an object", i);
    if (!type) {
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "feature %zu: no 'type'", i);
    } else if (strcmp(type, "Feature") != 0) {
        char shown[64];
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "feature %zu: type '%s', expected 'Feature'",
                        i, dl_source_printable(type, shown, sizeof shown));
    }
    /* A missing geometry is taken as null, as GDAL does. */
    json_object_object_get_ex(f, "geometry", geom);
    json_object_object_get_ex(f, "properties", props);
    if (*props && !json_object_is_type(*props, json_type_object))
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                        "feature %zu: 'properties' is neither an object nor null", i);
    return DLINE_OK;
}

static dl_value_type value_type(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return DL_VAL_NULL;
    case json_type_boolean: return DL_VAL_BOOL;
    case json_type_int: return DL_VAL_INT;
    case json_type_double: return DL_VAL_DOUBLE;
    default: return DL_VAL_STRING; /* strings; objects and arrays as their JSON text */
    }
}

/* Line and column (from 1, in bytes) of offset `at`. */
static void line_col(const char *s, size_t at, int *line, int *col)
{
    long l = 1, c = 1;
    for (size_t i = 0; i < at; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l > INT32_MAX ? INT32_MAX : (int)l;
    *col = c > INT32_MAX ? INT32_MAX : (int)c;
}

/* json-c's whitespace (not \f or \v). */
static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static dline_status json_fail(dline_ctx *ctx, dl_text *t, enum json_tokener_error e, size_t at)
{
    int line, col;
    line_col(t->data, at, &line, &col);
    if (e == json_tokener_continue || e == json_tokener_error_parse_eof)
        return dl_error(ctx, DLINE_EDATA, t->path, line, col,
                        "the JSON text ends early (a truncated file?)");
    if (e == json_tokener_error_depth)
        return dl_error(ctx, DLINE_EDATA, t->path, line, col, "nesting deeper than %d levels",
                        DL_JSON_MAX_DEPTH);
    return dl_error(ctx, DLINE_EDATA, t->path, line, col, "invalid JSON: %s",
                    json_tokener_error_desc(e));
}

/* The value at *at, parsed by tok (len bytes at most), into *out (NULL for
 * JSON null; the caller puts it); *at moves past it and the whitespace after
 * it. The length takes in t->data's terminating NUL, which ends a number
 * that would otherwise wait for more text, as it does in a whole document. */
static dline_status parse_at(dline_ctx *ctx, dl_text *t, json_tokener *tok, size_t *at, size_t len,
                             json_object **out)
{
    json_tokener_reset(tok);
    *out = json_tokener_parse_ex(tok, t->data + *at, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = *at + json_tokener_get_parse_end(tok);
    if (e != json_tokener_success) {
        json_object_put(*out);
        *out = NULL;
        return json_fail(ctx, t, e, end);
    }
    *at = end;
    return DLINE_OK;
}

static json_tokener *tokener(int depth, int flags)
{
    json_tokener *tok = json_tokener_new_ex(depth);
    if (tok)
        json_tokener_set_flags(tok, flags | JSON_TOKENER_ALLOW_TRAILING_CHARS
                                        | JSON_TOKENER_VALIDATE_UTF8);
    return tok;
}

/* The scan of the top level at open. */
typedef struct {
    dline_ctx *ctx;
    dl_text *t;
    gj *j;
    const char *s;
    size_t n;
    /* The first error a feature's check met, held until the syntax of the
     * whole document is known to be good (the order of a whole-document
     * parse): a context of its own, as the first error of a context wins. */
    dline_ctx held;
    int checking;     /* features are checked as they are met */
    int has_type;     /* a 'type' member, maybe not a string */
    char *type;       /* its value when a string */
    int has_features; /* a 'features' member */
    int features_ok;  /* ... which is an array */
    size_t dup;       /* offset + 1 of a second 'type' or 'features' key */
    const char *dup_name;
    unsigned names;   /* 1 << GJ_* of the types of features with positions */
} scan;

/* Where the punctuation expected at `at` is not there: the error json-c
 * gives (e) unless the text ends there (a NUL) or the byte is not ASCII
 * (json-c stops with a UTF-8 error on a byte that is not UTF-8 or starts a
 * sequence it has not finished). */
static dline_status punct_fail(scan *sc, size_t at, enum json_tokener_error e)
{
    unsigned char c = (unsigned char)sc->s[at];
    if (c == '\0')
        e = json_tokener_error_parse_eof;
    else if (c >= 0x80)
        e = json_tokener_error_parse_utf8_string;
    return json_fail(sc->ctx, sc->t, e, at);
}

static size_t skip_ws(const scan *sc, size_t at)
{
    while (is_ws(sc->s[at]))
        at++;
    return at;
}

/* Checks feature i, its tree f, and adds it to the summary. */
static dline_status check_feature(dline_ctx *ctx, dl_text *t, gj *j, size_t i, json_object *f,
                                  unsigned *names)
{
    json_object *geom, *props;
    dline_status st = feature_at(ctx, t, f, j->level == LV_TOP, i, &geom, &props);
    if (st)
        return st;
    walk w = {.ctx = ctx, .t = t, .fi = (long)i};
    if (geom && !json_object_is_type(geom, json_type_null) && (st = geometry(&w, geom)))
        return st;
    j->masks[i] = (unsigned char)w.mask;
    t->geom_mask |= w.mask;
    *names |= w.mask ? w.names : 0;
    if (!w.mask)
        t->nnull++;
    if (!props)
        return DLINE_OK;
    json_object_object_foreach(props, key, val)
    {
        int over;
        long fi = dl_text_field_intern(t, key, strlen(key), &over);
        if (fi < 0 && over)
            return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                            "feature %zu: more than %ld distinct property names", i,
                            DL_TEXT_MAX_FIELDS);
        if (fi < 0)
            return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
        dl_text_field_see(t, (size_t)fi, value_type(val));
    }
    return DLINE_OK;
}

/* Records a feature's offset (with room for its mask). */
static int add_feature(gj *j, size_t at)
{
    if (j->nfeat == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 256;
        size_t *starts = dl_realloc_array(j->starts, cap, sizeof *starts);
        if (!starts)
            return -1;
        j->starts = starts;
        unsigned char *masks = realloc(j->masks, cap);
        if (!masks)
            return -1;
        j->masks = masks;
        j->cap = cap;
    }
    j->masks[j->nfeat] = 0;
    j->starts[j->nfeat++] = at;
    return 0;
}

/* The array at *at ('['): each element is parsed by the tokener of `level`
 * and freed; with `features`, its offset is recorded and, while checking,
 * the feature is checked. */
static dline_status scan_array(scan *sc, size_t *at, int level, int features)
{
    size_t p = skip_ws(sc, *at + 1);
    if (sc->s[p] == ']') {
        *at = skip_ws(sc, p + 1);
        return DLINE_OK;
    }
    for (;;) {
        /* An element may be anything, ']' after a ',' too: the tokener
         * gives the error json-c gives there. */
        size_t start = p;
        json_object *v;
        dline_status st = parse_at(sc->ctx, sc->t, sc->j->tok[level], &p, sc->n - p + 1, &v);
        if (st)
            return st;
        if (features) {
            if (add_feature(sc->j, start) != 0) {
                json_object_put(v);
                return dl_error(sc->ctx, DLINE_ENOMEM, sc->t->path, 0, 0, "out of memory");
            }
            if (sc->checking && sc->held.status == DLINE_OK)
                check_feature(&sc->held, sc->t, sc->j, sc->j->nfeat - 1, v, &sc->names);
        }
        json_object_put(v);
        if (sc->s[p] == ']')
            break;
        if (sc->s[p] != ',')
            return punct_fail(sc, p, json_tokener_error_parse_array);
        p = skip_ws(sc, p + 1);
    }
    *at = skip_ws(sc, p + 1);
    return DLINE_OK;
}

/* A key at *at (a quote): its text is found here, then parsed by the
 * tokener, so escapes and UTF-8 are json-c's. */
static dline_status scan_key(scan *sc, size_t *at, json_object **key)
{
    const char *s = sc->s;
    char q = s[*at];
    size_t e = *at + 1;
    while (e < sc->n && s[e] != q)
        e += s[e] == '\\' ? 2 : 1;
    /* The closing quote, or the rest of the text (the tokener says why it
     * is not a key). */
    size_t len = e < sc->n ? e + 1 - *at : sc->n - *at + 1;
    if (q == '"')
        return parse_at(sc->ctx, sc->t, sc->j->tok[LV_MEMBER], at, len, key);
    /* A single-quoted key is taken by json-c even when strict; as a value
     * only the lax tokener takes it, here given the key's bytes alone (so
     * none of its other laxities, comments, apply). */
    return parse_at(sc->ctx, sc->t, sc->j->quoted, at, len, key);
}

/* The members of the top-level object at *at ('{'). */
static dline_status scan_object(scan *sc, size_t *at)
{
    const char *s = sc->s;
    size_t p = skip_ws(sc, *at + 1);
    int after_comma = 0;
    for (;;) {
        if (s[p] == '}' && !after_comma)
            break;
        if (s[p] != '"' && s[p] != '\'')
            return punct_fail(sc, p, s[p] == '}' ? json_tokener_error_parse_unexpected
                                                 : json_tokener_error_parse_object_key_name);
        size_t key_at = p;
        json_object *k;
        dline_status st = scan_key(sc, &p, &k);
        if (st)
            return st;
        const char *name = json_object_get_string(k);
        /* json-c keeps a key up to its first NUL byte (\u0000). */
        int is_type = strcmp(name, "type") == 0, is_features = strcmp(name, "features") == 0;
        json_object_put(k);
        p = skip_ws(sc, p);
        if (s[p] != ':')
            return punct_fail(sc, p, json_tokener_error_parse_object_key_sep);
        p = skip_ws(sc, p + 1);
        if ((is_type && sc->has_type) || (is_features && sc->has_features)) {
            if (!sc->dup) {
                sc->dup = key_at + 1;
                sc->dup_name = is_type ? "type" : "features";
            }
        }
        if (is_features && s[p] == '[') {
            sc->has_features = sc->features_ok = 1;
            sc->checking = sc->type && strcmp(sc->type, "FeatureCollection") == 0 && !sc->dup;
            if ((st = scan_array(sc, &p, LV_FEATURE, 1)))
                return st;
        } else {
            json_object *v;
            if ((st = parse_at(sc->ctx, sc->t, sc->j->tok[LV_MEMBER], &p, sc->n - p + 1, &v)))
                return st;
            if (is_features)
                sc->has_features = 1;
            if (is_type && !sc->has_type) {
                sc->has_type = 1;
                if (json_object_is_type(v, json_type_string)
                    && !(sc->type = dl_strdup(json_object_get_string(v)))) {
                    json_object_put(v);
                    return dl_error(sc->ctx, DLINE_ENOMEM, sc->t->path, 0, 0, "out of memory");
                }
            }
            json_object_put(v);
        }
        after_comma = 0;
        if (s[p] == '}')
            break;
        if (s[p] != ',')
            return punct_fail(sc, p, json_tokener_error_parse_object_value_sep);
        p = skip_ws(sc, p + 1);
        after_comma = 1;
    }
    *at = skip_ws(sc, p + 1);
    return DLINE_OK;
}

/* Scans the document: its syntax, the top level, the features' offsets,
 * and the features themselves when the type came before them. */
static dline_status scan_document(scan *sc, size_t *top)
{
    dl_text *t = sc->t;
    gj *j = sc->j;
    const char *s = sc->s;
    size_t n = sc->n, skip = 0;
    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        skip = 3; /* RFC 8259 lets a parser ignore a byte order mark */
    size_t k = skip_ws(sc, skip);
    if (k == n)
        return dl_error(sc->ctx, DLINE_EDATA, t->path, 0, 0, "empty file, not GeoJSON");
    int depth[LV_N] = {DL_JSON_MAX_DEPTH, DL_JSON_MAX_DEPTH - 1, DL_JSON_MAX_DEPTH - 2};
    for (int l = 0; l < LV_N; l++)
        if (!(j->tok[l] = tokener(depth[l], JSON_TOKENER_STRICT)))
            return dl_error(sc->ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    if (!(j->quoted = tokener(DL_JSON_MAX_DEPTH - 1, 0)))
        return dl_error(sc->ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    *top = k;
    dline_status st;
    int object = s[k] == '{';
    if (object) {
        st = scan_object(sc, &k);
    } else if (s[k] == '[') {
        st = scan_array(sc, &k, LV_MEMBER, 0);
    } else {
        json_object *v;
        st = parse_at(sc->ctx, t, j->tok[LV_TOP], &k, n - k + 1, &v);
        json_object_put(v);
    }
    if (st)
        return st;
    /* json-c checks the UTF-8 of the character after the value too. */
    if ((unsigned char)s[k] >= 0x80)
        return punct_fail(sc, k, json_tokener_error_parse_utf8_string);
    while (k < n && (is_ws(s[k]) || s[k] == '\0'))
        k++;
    if (k < n) {
        int line, col;
        line_col(s, k, &line, &col);
        return dl_error(sc->ctx, DLINE_EDATA, t->path, line, col,
                        "invalid JSON: more data after the top-level value");
    }
    if (!object)
        return dl_error(sc->ctx, DLINE_EDATA, t->path, 0, 0,
                        "not GeoJSON: the top level is not an object");
    if (sc->dup) {
        int line, col;
        line_col(s, sc->dup - 1, &line, &col);
        return dl_error(sc->ctx, DLINE_EDATA, t->path, line, col,
                        "not GeoJSON: the top level has a second '%s' member", sc->dup_name);
    }
    if (!sc->type)
        return dl_error(sc->ctx, DLINE_EDATA, t->path, 0, 0,
                        "not GeoJSON: the top level has no 'type'");
    return DLINE_OK;
}

/* A document given in memory (a MapLibre style's inline data): copied, so
 * the source owns its bytes as it does a file's. */
static dline_status read_memory(dline_ctx *ctx, dl_text *t, const char *data, size_t len)
{
    if (len > (size_t)DL_TEXT_MAX_BYTES)
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                        "%zu bytes, over the limit of %ld for a text source", len,
                        DL_TEXT_MAX_BYTES);
    if (!(t->data = malloc(len + 1)))
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory for %zu bytes", len);
    memcpy(t->data, data, len);
    t->data[len] = '\0';
    t->size = len;
    return DLINE_OK;
}

/* Feature i's tree, parsed again from its offset (the caller puts it). */
static dline_status parse_feature(dline_ctx *ctx, dl_text *t, gj *j, size_t i, json_object **f)
{
    size_t at = j->starts[i];
    return parse_at(ctx, t, j->tok[j->level], &at, t->size - at + 1, f);
}

/* The checks of the top level after the scan, and of the features the scan
 * did not check. */
static dline_status finish_open(dline_ctx *ctx, dl_text *t, gj *j, scan *sc, size_t top)
{
    dline_status st;
    if (strcmp(sc->type, "FeatureCollection") == 0) {
        if (!sc->features_ok)
            return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                            "a FeatureCollection without a 'features' array");
    } else {
        int known = strcmp(sc->type, "Feature") == 0;
        for (int i = 0; i < GJ_NTYPES && !known; i++)
            known = strcmp(sc->type, gj_names[i]) == 0;
        if (!known) {
            char shown[64];
            return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                            "unsupported GeoJSON type '%s' (expected FeatureCollection, Feature "
                            "or a geometry)",
                            dl_source_printable(sc->type, shown, sizeof shown));
        }
        /* A bare Feature or geometry: the top-level value is the feature
         * (a 'features' member in it is nothing). */
        j->nfeat = 0;
        j->level = LV_TOP;
        sc->checking = 0;
        if (add_feature(j, top) != 0)
            return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    }
    if (sc->held.status != DLINE_OK)
        return dl_error(ctx, sc->held.status, NULL, 0, 0, "%s", sc->held.message);
    if (j->nfeat > (size_t)LONG_MAX)
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "too many features");
    if (sc->checking)
        return DLINE_OK;
    for (size_t i = 0; i < j->nfeat; i++) {
        json_object *f;
        if ((st = parse_feature(ctx, t, j, i, &f)))
            return st;
        st = check_feature(ctx, t, j, i, f, &sc->names);
        json_object_put(f);
        if (st)
            return st;
    }
    return DLINE_OK;
}

dline_status dl_geojson_open(dline_ctx *ctx, dl_text *t, const dl_source_options *opt)
{
    if (opt->encoding || opt->lon || opt->lat)
        return dl_error(ctx, DLINE_EUSAGE, t->path, 0, 0,
                        "GeoJSON is UTF-8 and takes no 'encoding', 'lon' or 'lat'");
    gj *j = calloc(1, sizeof *j);
    if (!j)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    t->impl = j;
    j->level = LV_FEATURE;
    t->encoding = dl_strdup("UTF-8");
    t->origin = "rfc";
    if (!t->encoding)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    dline_status st = opt->data ? read_memory(ctx, t, opt->data, opt->data_len)
                                : dl_text_read_file(ctx, t);
    if (st)
        return st;
    scan sc = {.ctx = ctx, .t = t, .j = j, .s = t->data, .n = t->size};
    size_t top = 0;
    st = scan_document(&sc, &top);
    if (!st)
        st = finish_open(ctx, t, j, &sc, top);
    free(sc.type);
    if (st)
        return st;
    t->nrecords = (long)j->nfeat;
    /* A GeometryCollection is reported by what it holds. */
    dl_text_type_name(t, gj_names, sc.names & ~(1u << GJ_COLLECTION), GJ_COLLECTION);
    return dl_text_fields_done(ctx, t);
}

static dline_status convert_values(dline_ctx *ctx, dl_text *t, json_object *props, long fi)
{
    for (size_t i = 0; i < t->nfields; i++) {
        memset(&t->feature.values[i], 0, sizeof(dl_value));
        t->feature.values[i].type = DL_VAL_NULL;
    }
    dl_text_strings_begin(t);
    if (!props)
        return DLINE_OK;
    json_object_object_foreach(props, key, val)
    {
        long f = dl_text_field_index(t, key);
        if (f < 0 || strcmp(t->fields[f].name, key) != 0)
            continue; /* cannot happen: every name was seen at open */
        dl_value *v = &t->feature.values[f];
        dl_value_type vt = value_type(val);
        if (vt == DL_VAL_NULL)
            continue;
        switch (t->fields[f].type) {
        case DL_VAL_INT:
            v->type = DL_VAL_INT;
            v->i = json_object_get_int64(val);
            v->d = (double)v->i;
            break;
        case DL_VAL_DOUBLE:
            v->type = DL_VAL_DOUBLE;
            v->d = json_object_get_double(val);
            break;
        case DL_VAL_BOOL:
            v->type = DL_VAL_BOOL;
            v->i = json_object_get_boolean(val) ? 1 : 0;
            break;
        default: {
            const char *s;
            size_t n;
            if (json_object_is_type(val, json_type_string)) {
                s = json_object_get_string(val);
                n = (size_t)json_object_get_string_len(val);
            } else {
                /* Numbers keep the text they were written with; objects and
                 * arrays become compact JSON. */
                s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN
                                                            | JSON_C_TO_STRING_NOSLASHESCAPE);
                n = s ? strlen(s) : 0;
            }
            if (!s || dl_text_put_string(t, (size_t)f, s, n) != 0)
                return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "feature %ld: out of memory",
                                fi);
        }
        }
    }
    dl_text_strings_done(t);
    return DLINE_OK;
}

static dline_status convert(dline_ctx *ctx, dl_text *t, gj *j, dl_geom_type type,
                            json_object *geom, json_object *props)
{
    dline_status st;
    dl_geom *g = &t->feature.geom;
    g->type = type;
    g->npoints = g->nparts = 0;
    walk w = {.ctx = ctx, .t = t, .fi = (long)j->cur, .g = g, .want = type};
    if ((st = geometry(&w, geom)))
        return st;
    g->part_start[g->nparts] = g->npoints;
    memset(g->hole, 0, g->nparts);
    if (type == DL_GEOM_POLYGON && dl_geom_organize_rings(g) != 0)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "feature %zu: out of memory", j->cur);
    return convert_values(ctx, t, props, (long)j->cur);
}

dline_status dl_geojson_next(dline_ctx *ctx, dl_text *t, const dl_feature **feature)
{
    gj *j = t->impl;
    *feature = NULL;
    while (!j->pending) {
        if (j->next >= j->nfeat)
            return DLINE_OK;
        j->cur = j->next++;
        j->pending = j->masks[j->cur];
    }
    /* A GeometryCollection mixing types is emitted once per type (points,
     * lines, polygons), each time with the same id and properties, so each
     * layer type finds its part. */
    dl_geom_type type = DL_GEOM_POINT;
    while (!(j->pending >> type & 1))
        type++;
    j->pending &= ~(1u << type);
    /* The feature's tree lives for this call only: the geometry and the
     * strings are copied into t->feature. */
    json_object *f, *geom, *props;
    dline_status st = parse_feature(ctx, t, j, j->cur, &f);
    if (st)
        return st;
    st = feature_at(ctx, t, f, j->level == LV_TOP, j->cur, &geom, &props);
    if (!st)
        st = convert(ctx, t, j, type, geom, props);
    json_object_put(f);
    if (st)
        return st;
    t->feature.id = (long)j->cur;
    *feature = &t->feature;
    return DLINE_OK;
}

void dl_geojson_rewind(dl_text *t)
{
    gj *j = t->impl;
    j->next = 0;
    j->pending = 0;
}

void dl_geojson_free(dl_text *t)
{
    gj *j = t ? t->impl : NULL;
    if (!j)
        return;
    for (int l = 0; l < LV_N; l++)
        if (j->tok[l])
            json_tokener_free(j->tok[l]);
    if (j->quoted)
        json_tokener_free(j->quoted);
    free(j->starts);
    free(j->masks);
    free(j);
    t->impl = NULL;
}
