/* GeoJSON (RFC 7946) through json-c. json-c is the choice because it is
 * packaged by Debian, already linked (label reports, the data generator),
 * and its tokener takes a nesting limit (json_tokener_new_ex) and can
 * validate UTF-8, which is what a parser of hostile files needs. It builds
 * a tree of the whole document, so the file is capped (source_int.h) and
 * checked whole at open: the structure, every position, the property
 * types, the bounds. dl_geojson_next then only converts one feature. */
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

typedef struct {
    json_object *root;
    json_object *features; /* the FeatureCollection's array, or NULL */
    size_t nfeat;
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

/* The geometry and properties of feature i (either may be NULL). */
static dline_status feature_at(dline_ctx *ctx, dl_text *t, gj *j, size_t i, json_object **geom,
                               json_object **props)
{
    json_object *f = j->features ? json_object_array_get_idx(j->features, i) : j->root;
    *geom = *props = NULL;
    const char *type = json_object_is_type(f, json_type_object) ? type_of(f, "type") : NULL;
    if (type && strcmp(type, "Feature") != 0 && !j->features) {
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

static dline_status parse(dline_ctx *ctx, dl_text *t, gj *j)
{
    const char *s = t->data;
    size_t n = t->size, skip = 0;
    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        skip = 3; /* RFC 8259 lets a parser ignore a byte order mark */
    size_t k = skip;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r'))
        k++;
    if (k == n)
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "empty file, not GeoJSON");
    json_tokener *tok = json_tokener_new_ex(DL_JSON_MAX_DEPTH);
    if (!tok)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS
                                    | JSON_TOKENER_VALIDATE_UTF8);
    /* The length takes in the terminating NUL, which ends a top-level
     * literal ("null", a number) that would otherwise wait for more text. */
    j->root = json_tokener_parse_ex(tok, s + skip, (int)(n - skip + 1));
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = skip + json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int line, col;
    if (e != json_tokener_success) {
        line_col(s, end, &line, &col);
        if (e == json_tokener_continue || e == json_tokener_error_parse_eof)
            return dl_error(ctx, DLINE_EDATA, t->path, line, col,
                            "the JSON text ends early (a truncated file?)");
        if (e == json_tokener_error_depth)
            return dl_error(ctx, DLINE_EDATA, t->path, line, col,
                            "nesting deeper than %d levels", DL_JSON_MAX_DEPTH);
        return dl_error(ctx, DLINE_EDATA, t->path, line, col, "invalid JSON: %s",
                        json_tokener_error_desc(e));
    }
    while (end < n && (s[end] == ' ' || s[end] == '\t' || s[end] == '\n' || s[end] == '\r'
                       || s[end] == '\0'))
        end++;
    if (end < n) {
        line_col(s, end, &line, &col);
        return dl_error(ctx, DLINE_EDATA, t->path, line, col,
                        "invalid JSON: more data after the top-level value");
    }
    if (!json_object_is_type(j->root, json_type_object))
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                        "not GeoJSON: the top level is not an object");
    const char *type = type_of(j->root, "type");
    if (!type)
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                        "not GeoJSON: the top level has no 'type'");
    if (strcmp(type, "FeatureCollection") == 0) {
        if (!json_object_object_get_ex(j->root, "features", &j->features)
            || !json_object_is_type(j->features, json_type_array))
            return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                            "a FeatureCollection without a 'features' array");
        j->nfeat = json_object_array_length(j->features);
        return DLINE_OK;
    }
    int known = strcmp(type, "Feature") == 0;
    for (int i = 0; i < GJ_NTYPES && !known; i++)
        known = strcmp(type, gj_names[i]) == 0;
    if (!known) {
        char shown[64];
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                        "unsupported GeoJSON type '%s' (expected FeatureCollection, Feature or "
                        "a geometry)",
                        dl_source_printable(type, shown, sizeof shown));
    }
    j->nfeat = 1;
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

dline_status dl_geojson_open(dline_ctx *ctx, dl_text *t, const dl_source_options *opt)
{
    if (opt->encoding || opt->lon || opt->lat)
        return dl_error(ctx, DLINE_EUSAGE, t->path, 0, 0,
                        "GeoJSON is UTF-8 and takes no 'encoding', 'lon' or 'lat'");
    gj *j = calloc(1, sizeof *j);
    if (!j)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    t->impl = j;
    t->encoding = dl_strdup("UTF-8");
    t->origin = "rfc";
    if (!t->encoding)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    dline_status st = opt->data ? read_memory(ctx, t, opt->data, opt->data_len)
                                : dl_text_read_file(ctx, t);
    if (!st)
        st = parse(ctx, t, j);
    if (st)
        return st;
    if (j->nfeat > (size_t)LONG_MAX)
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "too many features");
    j->masks = calloc(j->nfeat ? j->nfeat : 1, 1);
    if (!j->masks)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    unsigned names = 0;
    for (size_t i = 0; i < j->nfeat; i++) {
        json_object *geom, *props;
        if ((st = feature_at(ctx, t, j, i, &geom, &props)))
            return st;
        walk w = {.ctx = ctx, .t = t, .fi = (long)i};
        if (geom && !json_object_is_type(geom, json_type_null) && (st = geometry(&w, geom)))
            return st;
        j->masks[i] = (unsigned char)w.mask;
        t->geom_mask |= w.mask;
        names |= w.mask ? w.names : 0;
        if (!w.mask)
            t->nnull++;
        if (!props)
            continue;
        json_object_object_foreach(props, key, val)
        {
            int over;
            long f = dl_text_field_intern(t, key, strlen(key), &over);
            if (f < 0 && over)
                return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                                "feature %zu: more than %ld distinct property names", i,
                                DL_TEXT_MAX_FIELDS);
            if (f < 0)
                return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
            dl_text_field_see(t, (size_t)f, value_type(val));
        }
    }
    t->nrecords = (long)j->nfeat;
    /* A GeometryCollection is reported by what it holds. */
    dl_text_type_name(t, gj_names, names & ~(1u << GJ_COLLECTION), GJ_COLLECTION);
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
    json_object *geom, *props;
    dline_status st = feature_at(ctx, t, j, j->cur, &geom, &props);
    if (st)
        return st;
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
    if ((st = convert_values(ctx, t, props, (long)j->cur)))
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
    json_object_put(j->root);
    free(j->masks);
    free(j);
    t->impl = NULL;
}
