/* geodata_gen: builds the shapefiles committed in geodata/ from the text sources in
 * geodata/sources/ (GeoJSON and sites.csv). Output is byte-reproducible; see README.md. */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <proj.h>
#include <shapefil.h>

enum {
    PATH_BYTES = 4096,
    DBF_TEXT_MAX = 254,          /* widest 'C' field we write; 255 is not portable */
    CSV_MAX_FIELDS = 16,
    SOURCE_MAX_BYTES = 64 << 20, /* the sources are kilobytes; refuse anything absurd */
};

/* The .dbf header's "last update" date (bytes 1-3: years since 1900, month, day).
 * shapelib 1.5 writes this dummy date itself; we rewrite it after DBFClose() so that a
 * shapelib that stamps the current date still gives byte-identical files. */
static const unsigned char dbf_fixed_date[3] = {95, 7, 26};

static const char *const tmp_exts[] = {".shp", ".shx", ".dbf", ".cpg", ".prj"};
enum { NTMP_EXTS = sizeof tmp_exts / sizeof tmp_exts[0] };

struct field_spec {
    const char *name; /* DBF field name, at most 10 bytes */
    char type;        /* 'C' text (width from the data), 'N' integer, 'L' logical, 'D' date */
    int width;        /* digits for 'N'; ignored otherwise */
    const char *key;  /* property of the GeoJSON feature */
};

struct layer_spec {
    const char *name;   /* output basename */
    const char *source; /* file in the sources directory */
    int shp_type;       /* SHPT_POINT, SHPT_ARC or SHPT_POLYGON */
    const char *crs;    /* output CRS; every source is EPSG:4326 lon/lat */
    const struct field_spec *fields;
    int nfields;
};

/* Where an error happened, for messages like "sources/x.geojson: features[3]: ...". */
struct loc {
    const char *file;
    int feature; /* -1 when not inside a feature */
};

enum part_role { PART_LINE, PART_OUTER, PART_HOLE };

/* One feature's geometry, reused from feature to feature. */
struct geom {
    int nparts, part_cap;
    int *start;
    unsigned char *role;
    int nvert, vert_cap;
    double *x, *y;
};

struct gen {
    PJ_CONTEXT *ctx;
    const char *src_dir;
    const char *out_dir;
    struct geom geom;
};

static int fail(const char *fmt, ...)
{
    va_list ap;
    fputs("geodata_gen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static int fail_at(const struct loc *loc, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "geodata_gen: %s: ", loc->file);
    if (loc->feature >= 0)
        fprintf(stderr, "features[%d]: ", loc->feature);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static int path_join(char *buf, size_t size, const char *dir, const char *name, const char *ext)
{
    int n = snprintf(buf, size, "%s/%s%s", dir, name, ext ? ext : "");
    if (n < 0 || (size_t)n >= size)
        return fail("path too long: %s/%s%s", dir, name, ext ? ext : "");
    return 0;
}

/* Reads a whole file and NUL-terminates it. The caller frees *out. */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail("%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return fail("%s: out of memory", path);
    }
    for (;;) {
        if (cap - n < 2) {
            if (cap >= SOURCE_MAX_BYTES) {
                free(buf);
                fclose(f);
                return fail("%s: larger than %d bytes", path, SOURCE_MAX_BYTES);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return fail("%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return fail("%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* Longest prefix of s, at most max bytes, that does not split a UTF-8 sequence. */
static size_t utf8_fit(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void geom_reset(struct geom *g)
{
    g->nparts = 0;
    g->nvert = 0;
}

static void geom_free(struct geom *g)
{
    free(g->start);
    free(g->role);
    free(g->x);
    free(g->y);
    memset(g, 0, sizeof *g);
}

static int geom_begin_part(struct geom *g, enum part_role role)
{
    if (g->nparts == g->part_cap) {
        if (g->part_cap > INT_MAX / 2)
            return -1;
        int cap = g->part_cap ? g->part_cap * 2 : 8;
        int *start = realloc(g->start, (size_t)cap * sizeof *start);
        if (!start)
            return -1;
        g->start = start;
        unsigned char *r = realloc(g->role, (size_t)cap);
        if (!r)
            return -1;
        g->role = r;
        g->part_cap = cap;
    }
    g->start[g->nparts] = g->nvert;
    g->role[g->nparts] = (unsigned char)role;
    g->nparts++;
    return 0;
}

static int geom_push(struct geom *g, double x, double y)
{
    if (g->nvert == g->vert_cap) {
        if (g->vert_cap > INT_MAX / 2)
            return -1;
        int cap = g->vert_cap ? g->vert_cap * 2 : 256;
        double *nx = realloc(g->x, (size_t)cap * sizeof *nx);
        if (!nx)
            return -1;
        g->x = nx;
        double *ny = realloc(g->y, (size_t)cap * sizeof *ny);
        if (!ny)
            return -1;
        g->y = ny;
        g->vert_cap = cap;
    }
    g->x[g->nvert] = x;
    g->y[g->nvert] = y;
    g->nvert++;
    return 0;
}

static int part_end(const struct geom *g, int part)
{
    return part + 1 < g->nparts ? g->start[part + 1] : g->nvert;
}

static bool json_is_number(json_object *v)
{
    return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
}

static int read_position(json_object *pos, double *lon, double *lat, const struct loc *loc)
{
    if (!json_object_is_type(pos, json_type_array) || json_object_array_length(pos) < 2)
        return fail_at(loc, "position is not an array of at least two numbers");
    json_object *jx = json_object_array_get_idx(pos, 0);
    json_object *jy = json_object_array_get_idx(pos, 1);
    if (!json_is_number(jx) || !json_is_number(jy))
        return fail_at(loc, "position holds a non-number");
    *lon = json_object_get_double(jx);
    *lat = json_object_get_double(jy);
    if (!isfinite(*lon) || !isfinite(*lat) || fabs(*lon) > 180.0 || fabs(*lat) > 90.0)
        return fail_at(loc, "position [%g, %g] is not a WGS84 [lon, lat]", *lon, *lat);
    return 0;
}

static int add_positions(struct geom *g, json_object *arr, enum part_role role,
                         const struct loc *loc)
{
    if (!json_object_is_type(arr, json_type_array))
        return fail_at(loc, "expected an array of positions");
    size_t n = json_object_array_length(arr);
    if (role == PART_LINE && n < 2)
        return fail_at(loc, "line has fewer than 2 positions");
    if (role != PART_LINE && n < 4)
        return fail_at(loc, "ring has fewer than 4 positions");
    if (geom_begin_part(g, role) != 0)
        return fail_at(loc, "out of memory");
    int first = g->nvert;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        if (read_position(json_object_array_get_idx(arr, i), &x, &y, loc) != 0)
            return -1;
        if (geom_push(g, x, y) != 0)
            return fail_at(loc, "out of memory");
    }
    int last = g->nvert - 1;
    if (role != PART_LINE && (g->x[first] != g->x[last] || g->y[first] != g->y[last]))
        return fail_at(loc, "ring is not closed");
    return 0;
}

/* GeoJSON polygon: ring 0 is the outer ring, the rest are holes. */
static int add_polygon(struct geom *g, json_object *rings, const struct loc *loc)
{
    if (!json_object_is_type(rings, json_type_array) || json_object_array_length(rings) == 0)
        return fail_at(loc, "polygon is not a non-empty array of rings");
    size_t n = json_object_array_length(rings);
    for (size_t i = 0; i < n; i++) {
        if (add_positions(g, json_object_array_get_idx(rings, i), i ? PART_HOLE : PART_OUTER,
                          loc) != 0)
            return -1;
    }
    return 0;
}

static const char *shp_type_name(int shp_type)
{
    switch (shp_type) {
    case SHPT_POINT:
        return "Point";
    case SHPT_ARC:
        return "PolyLine";
    case SHPT_POLYGON:
        return "Polygon";
    default:
        return "?";
    }
}

static int geom_from_geojson(struct geom *g, json_object *geometry, int shp_type,
                             const struct loc *loc)
{
    json_object *jtype, *coords;
    if (!json_object_is_type(geometry, json_type_object) ||
        !json_object_object_get_ex(geometry, "type", &jtype) ||
        !json_object_is_type(jtype, json_type_string))
        return fail_at(loc, "geometry is not an object with a string 'type'");
    if (!json_object_object_get_ex(geometry, "coordinates", &coords) ||
        !json_object_is_type(coords, json_type_array))
        return fail_at(loc, "geometry has no 'coordinates' array");
    const char *type = json_object_get_string(jtype);
    int want;
    if (strcmp(type, "Point") == 0)
        want = SHPT_POINT;
    else if (strcmp(type, "LineString") == 0 || strcmp(type, "MultiLineString") == 0)
        want = SHPT_ARC;
    else if (strcmp(type, "Polygon") == 0 || strcmp(type, "MultiPolygon") == 0)
        want = SHPT_POLYGON;
    else
        return fail_at(loc, "unsupported geometry type '%s'", type);
    if (want != shp_type)
        return fail_at(loc, "geometry type '%s' does not fit a %s layer", type,
                       shp_type_name(shp_type));

    geom_reset(g);
    if (strcmp(type, "Point") == 0) {
        double x, y;
        if (read_position(coords, &x, &y, loc) != 0)
            return -1;
        if (geom_push(g, x, y) != 0)
            return fail_at(loc, "out of memory");
        return 0;
    }
    if (strcmp(type, "LineString") == 0)
        return add_positions(g, coords, PART_LINE, loc);
    if (strcmp(type, "Polygon") == 0)
        return add_polygon(g, coords, loc);

    size_t n = json_object_array_length(coords);
    if (n == 0)
        return fail_at(loc, "empty %s", type);
    for (size_t i = 0; i < n; i++) {
        json_object *member = json_object_array_get_idx(coords, i);
        int rc = want == SHPT_ARC ? add_positions(g, member, PART_LINE, loc)
                                  : add_polygon(g, member, loc);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int geom_transform(struct geom *g, PJ_CONTEXT *ctx, PJ *op, const struct loc *loc)
{
    size_t n = (size_t)g->nvert;
    proj_errno_reset(op);
    size_t done = proj_trans_generic(op, PJ_FWD, g->x, sizeof(double), n, g->y, sizeof(double),
                                     n, NULL, 0, 0, NULL, 0, 0);
    if (done != n || proj_errno(op) != 0)
        return fail_at(loc, "PROJ could not transform the geometry: %s",
                       proj_context_errno_string(ctx, proj_errno(op)));
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(g->x[i]) || !isfinite(g->y[i]) || g->x[i] == HUGE_VAL ||
            g->y[i] == HUGE_VAL)
            return fail_at(loc, "PROJ gave no result for vertex %zu", i);
    }
    return 0;
}

/* Twice the signed area; positive for counter-clockwise rings. Taken relative to the
 * first vertex so projected coordinates (millions of metres) keep their precision. */
static double ring_area2(const double *x, const double *y, int n)
{
    double sum = 0.0;
    for (int i = 1; i + 1 < n; i++)
        sum += (x[i] - x[0]) * (y[i + 1] - y[0]) - (x[i + 1] - x[0]) * (y[i] - y[0]);
    return sum;
}

static void reverse(double *v, int n)
{
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        double t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Shapefiles want outer rings clockwise and holes counter-clockwise (GeoJSON's RFC 7946
 * asks for the opposite, and our sources follow neither consistently). SHPCreateObject()
 * keeps whatever it is given, so the rings are turned here, after any reprojection. */
static int geom_orient(struct geom *g, const struct loc *loc)
{
    for (int p = 0; p < g->nparts; p++) {
        if (g->role[p] == PART_LINE)
            continue;
        int s = g->start[p], n = part_end(g, p) - s;
        double a = ring_area2(g->x + s, g->y + s, n);
        if (a == 0.0)
            return fail_at(loc, "ring %d has zero area", p);
        bool cw = a < 0.0, want_cw = g->role[p] == PART_OUTER;
        if (cw != want_cw) {
            reverse(g->x + s, n);
            reverse(g->y + s, n);
        }
    }
    return 0;
}

/* The JSON property for a field; *value is NULL for JSON null. */
static int get_property(json_object *props, const struct field_spec *f, json_object **value,
                        const struct loc *loc)
{
    if (!json_object_object_get_ex(props, f->key, value))
        return fail_at(loc, "property '%s' is missing", f->key);
    return 0;
}

static int get_text(json_object *v, const struct field_spec *f, const char **s, size_t *len,
                    const struct loc *loc)
{
    if (!json_object_is_type(v, json_type_string))
        return fail_at(loc, "property '%s' is not a string", f->key);
    *s = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    if (strlen(*s) != *len)
        return fail_at(loc, "property '%s' contains a NUL character", f->key);
    if (!utf8_valid(*s, *len))
        return fail_at(loc, "property '%s' is not valid UTF-8", f->key);
    return 0;
}

/* 'C' widths hold the longest value in bytes (after truncation to DBF_TEXT_MAX). */
static int text_widths(const struct layer_spec *spec, json_object *features, int *width,
                       const char *file)
{
    size_t n = json_object_array_length(features);
    for (int k = 0; k < spec->nfields; k++) {
        const struct field_spec *f = &spec->fields[k];
        width[k] = f->type == 'C' ? 1 : f->width;
        if (f->type != 'C')
            continue;
        for (size_t i = 0; i < n; i++) {
            struct loc loc = {file, (int)i};
            json_object *props, *v;
            const char *s = NULL;
            size_t len = 0;
            if (!json_object_object_get_ex(json_object_array_get_idx(features, i), "properties",
                                           &props) ||
                !json_object_is_type(props, json_type_object))
                return fail_at(&loc, "feature has no 'properties' object");
            if (get_property(props, f, &v, &loc) != 0)
                return -1;
            if (v == NULL)
                continue;
            if (get_text(v, f, &s, &len, &loc) != 0)
                return -1;
            size_t fit = utf8_fit(s, len, DBF_TEXT_MAX);
            if ((int)fit > width[k])
                width[k] = (int)fit;
        }
    }
    return 0;
}

static int parse_date(const char *s, char out[9])
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    }
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    int day = (s[8] - '0') * 10 + (s[9] - '0');
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return -1;
    memcpy(out, s, 4);
    memcpy(out + 4, s + 5, 2);
    memcpy(out + 6, s + 8, 2);
    out[8] = '\0';
    return 0;
}

static int write_attributes(DBFHandle dbf, int rec, const struct layer_spec *spec,
                            json_object *props, const struct loc *loc)
{
    for (int k = 0; k < spec->nfields; k++) {
        const struct field_spec *f = &spec->fields[k];
        json_object *v;
        int ok;
        if (get_property(props, f, &v, loc) != 0)
            return -1;
        if (v == NULL) {
            ok = DBFWriteNULLAttribute(dbf, rec, k);
        } else if (f->type == 'C') {
            const char *s = NULL;
            size_t len = 0;
            char buf[DBF_TEXT_MAX + 1];
            if (get_text(v, f, &s, &len, loc) != 0)
                return -1;
            size_t fit = utf8_fit(s, len, DBF_TEXT_MAX);
            if (fit < len)
                fprintf(stderr, "geodata_gen: note: %s: features[%d]: '%s' truncated to %zu bytes\n",
                        loc->file, loc->feature, f->name, fit);
            memcpy(buf, s, fit);
            buf[fit] = '\0';
            ok = DBFWriteStringAttribute(dbf, rec, k, buf);
        } else if (f->type == 'N') {
            if (!json_object_is_type(v, json_type_int))
                return fail_at(loc, "property '%s' is not an integer", f->key);
            int64_t n = json_object_get_int64(v);
            char digits[32];
            int nd = snprintf(digits, sizeof digits, "%lld", (long long)n);
            if (n < INT_MIN || n > INT_MAX || nd > f->width)
                return fail_at(loc, "property '%s' = %lld does not fit N(%d)", f->key,
                               (long long)n, f->width);
            ok = DBFWriteIntegerAttribute(dbf, rec, k, (int)n);
        } else if (f->type == 'L') {
            if (!json_object_is_type(v, json_type_boolean))
                return fail_at(loc, "property '%s' is not a boolean", f->key);
            ok = DBFWriteLogicalAttribute(dbf, rec, k, json_object_get_boolean(v) ? 'T' : 'F');
        } else {
            char date[9];
            if (!json_object_is_type(v, json_type_string) ||
                parse_date(json_object_get_string(v), date) != 0)
                return fail_at(loc, "property '%s' is not a YYYY-MM-DD date", f->key);
            /* shapelib 1.5 has no date writer, and DBFWriteStringAttribute() on a 'D' field
             * would read the string as a double; write the 8 digits as they are stored. */
            ok = DBFWriteAttributeDirectly(dbf, rec, k, date);
        }
        if (!ok)
            return fail_at(loc, "shapelib could not write field '%s'", f->name);
    }
    return 0;
}

/* Writes the ESRI WKT of crs to path, as a single line without a newline (as ArcGIS does). */
static int write_prj(PJ_CONTEXT *ctx, const char *crs, const char *path)
{
    PJ *pj = proj_create(ctx, crs);
    if (!pj)
        return fail("PROJ does not know %s", crs);
    const char *wkt = proj_as_wkt(ctx, pj, PJ_WKT1_ESRI, NULL);
    if (!wkt) {
        proj_destroy(pj);
        return fail("PROJ has no ESRI WKT for %s", crs);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        proj_destroy(pj);
        return fail("%s: %s", path, strerror(errno));
    }
    size_t len = strlen(wkt);
    int bad = fwrite(wkt, 1, len, f) != len;
    bad |= fclose(f) != 0;
    proj_destroy(pj);
    if (bad)
        return fail("%s: write error", path);
    return 0;
}

static int patch_dbf_date(const char *path)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return fail("%s: %s", path, strerror(errno));
    unsigned char version;
    int bad = fread(&version, 1, 1, f) != 1 || version != 0x03;
    bad |= fseek(f, 1, SEEK_SET) != 0;
    bad |= fwrite(dbf_fixed_date, 1, sizeof dbf_fixed_date, f) != sizeof dbf_fixed_date;
    bad |= fclose(f) != 0;
    if (bad)
        return fail("%s: could not fix the header date", path);
    return 0;
}

static void remove_tmp(const char *out_dir, const char *tmp_name)
{
    char path[PATH_BYTES];
    for (int i = 0; i < NTMP_EXTS; i++) {
        if (path_join(path, sizeof path, out_dir, tmp_name, tmp_exts[i]) == 0)
            remove(path);
    }
}

static int write_features(struct gen *gen, const struct layer_spec *spec, json_object *features,
                          const char *file, SHPHandle shp, DBFHandle dbf, PJ *op)
{
    size_t n = json_object_array_length(features);
    for (size_t i = 0; i < n; i++) {
        struct loc loc = {file, (int)i};
        json_object *feature = json_object_array_get_idx(features, i), *props, *geometry;
        if (!json_object_is_type(feature, json_type_object))
            return fail_at(&loc, "feature is not an object");
        if (!json_object_object_get_ex(feature, "properties", &props) ||
            !json_object_is_type(props, json_type_object))
            return fail_at(&loc, "feature has no 'properties' object");
        if (!json_object_object_get_ex(feature, "geometry", &geometry) || geometry == NULL)
            return fail_at(&loc, "feature has no geometry");

        struct geom *g = &gen->geom;
        if (geom_from_geojson(g, geometry, spec->shp_type, &loc) != 0)
            return -1;
        if (op && geom_transform(g, gen->ctx, op, &loc) != 0)
            return -1;
        if (geom_orient(g, &loc) != 0)
            return -1;

        SHPObject *obj;
        if (spec->shp_type == SHPT_POINT)
            obj = SHPCreateSimpleObject(SHPT_POINT, 1, g->x, g->y, NULL);
        else
            obj = SHPCreateObject(spec->shp_type, -1, g->nparts, g->start, NULL, g->nvert, g->x,
                                  g->y, NULL, NULL);
        if (!obj)
            return fail_at(&loc, "shapelib could not create the shape");
        int id = SHPWriteObject(shp, -1, obj);
        SHPDestroyObject(obj);
        if (id != (int)i)
            return fail_at(&loc, "shapelib could not write the shape");
        if (write_attributes(dbf, (int)i, spec, props, &loc) != 0)
            return -1;
    }
    return 0;
}

/* Writes one layer under temporary names, then renames the five files into place, so a
 * failed run never leaves a half-written layer behind the committed name. */
static int write_layer(struct gen *gen, const struct layer_spec *spec, json_object *features,
                       const char *file)
{
    char tmp_name[256], base[PATH_BYTES];
    int width[32];
    if (spec->nfields > (int)(sizeof width / sizeof width[0]))
        return fail("%s: too many fields", spec->name);
    if (json_object_array_length(features) == 0)
        return fail("%s: no features", file);
    if (text_widths(spec, features, width, file) != 0)
        return -1;
    /* No '.' in the name: shapelib treats anything after the last one as an extension. */
    snprintf(tmp_name, sizeof tmp_name, "tmp_%s", spec->name);
    if (path_join(base, sizeof base, gen->out_dir, tmp_name, NULL) != 0)
        return -1;

    PJ *op = NULL;
    if (strcmp(spec->crs, "EPSG:4326") != 0) {
        PJ *raw = proj_create_crs_to_crs(gen->ctx, "EPSG:4326", spec->crs, NULL);
        /* EPSG:4326 is lat/lon and EPSG:4549 northing/easting; we want x = lon/easting. */
        op = raw ? proj_normalize_for_visualization(gen->ctx, raw) : NULL;
        proj_destroy(raw);
        if (!op)
            return fail("PROJ has no transformation EPSG:4326 -> %s", spec->crs);
    }

    int rc = -1;
    SHPHandle shp = SHPCreate(base, spec->shp_type);
    DBFHandle dbf = DBFCreateEx(base, "UTF-8"); /* writes the .cpg; LDID byte stays 0 */
    if (!shp || !dbf) {
        fail("%s: shapelib could not create the files", base);
        goto done;
    }
    for (int k = 0; k < spec->nfields; k++) {
        const struct field_spec *f = &spec->fields[k];
        int w = f->type == 'L' ? 1 : f->type == 'D' ? 8 : width[k];
        if (DBFAddNativeFieldType(dbf, f->name, f->type, w, 0) != k) {
            fail("%s: shapelib could not add field '%s'", base, f->name);
            goto done;
        }
    }
    if (write_features(gen, spec, features, file, shp, dbf, op) != 0)
        goto done;
    rc = 0;
done:
    if (shp)
        SHPClose(shp);
    if (dbf)
        DBFClose(dbf);
    proj_destroy(op);

    char from[PATH_BYTES], to[PATH_BYTES];
    if (rc == 0)
        rc = path_join(from, sizeof from, gen->out_dir, tmp_name, ".dbf");
    if (rc == 0)
        rc = patch_dbf_date(from);
    if (rc == 0)
        rc = path_join(from, sizeof from, gen->out_dir, tmp_name, ".prj");
    if (rc == 0)
        rc = write_prj(gen->ctx, spec->crs, from);
    for (int i = 0; rc == 0 && i < NTMP_EXTS; i++) {
        rc = path_join(from, sizeof from, gen->out_dir, tmp_name, tmp_exts[i]);
        if (rc == 0)
            rc = path_join(to, sizeof to, gen->out_dir, spec->name, tmp_exts[i]);
        if (rc == 0 && rename(from, to) != 0)
            rc = fail("rename %s -> %s: %s", from, to, strerror(errno));
    }
    if (rc != 0)
        remove_tmp(gen->out_dir, tmp_name);
    else
        printf("%-26s %-8s %3zu features  %s\n", spec->name, shp_type_name(spec->shp_type),
               json_object_array_length(features), spec->crs);
    return rc;
}

static void line_col(const char *buf, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && buf[i]; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* Parses a GeoJSON FeatureCollection; the caller releases *root with json_object_put(). */
static int load_features(const char *path, json_object **root, json_object **features)
{
    char *buf;
    size_t len;
    if (read_file(path, &buf, &len) != 0)
        return -1;
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        free(buf);
        return fail("%s: out of memory", path);
    }
    json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int line, col;
    if (!obj || jerr != json_tokener_success) {
        line_col(buf, end, &line, &col);
        free(buf);
        json_object_put(obj);
        return fail("%s:%d:%d: invalid JSON: %s", path, line, col,
                    jerr == json_tokener_continue ? "unexpected end of file"
                                                  : json_tokener_error_desc(jerr));
    }
    size_t rest = end;
    while (rest < len && strchr(" \t\r\n", buf[rest]) && buf[rest])
        rest++;
    if (rest < len) {
        line_col(buf, rest, &line, &col);
        free(buf);
        json_object_put(obj);
        return fail("%s:%d:%d: invalid JSON: data after the top-level value", path, line, col);
    }
    free(buf);

    json_object *type;
    if (!json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "type", &type) ||
        !json_object_is_type(type, json_type_string) ||
        strcmp(json_object_get_string(type), "FeatureCollection") != 0 ||
        !json_object_object_get_ex(obj, "features", features) ||
        !json_object_is_type(*features, json_type_array)) {
        json_object_put(obj);
        return fail("%s: not a GeoJSON FeatureCollection with a 'features' array", path);
    }
    *root = obj;
    return 0;
}

struct csv_row {
    int line;
    int nfield;
    char *field[CSV_MAX_FIELDS];
};

static void csv_row_clear(struct csv_row *row)
{
    for (int i = 0; i < row->nfield; i++)
        free(row->field[i]);
    row->nfield = 0;
}

/* Reads one RFC 4180 record from *p (quoted fields may hold commas, "" and newlines).
 * Returns 1 for a row, 0 at the end of the input, -1 on error. Blank lines are skipped. */
static int csv_next_row(const char *path, const char **p, const char *end, int *line,
                        struct csv_row *row)
{
    const char *s = *p;
    while (s < end && (*s == '\n' || *s == '\r')) {
        if (*s == '\n')
            (*line)++;
        s++;
    }
    if (s == end)
        return 0;
    row->line = *line;
    row->nfield = 0;
    for (;;) {
        if (row->nfield == CSV_MAX_FIELDS)
            return fail("%s:%d: more than %d fields", path, row->line, CSV_MAX_FIELDS);
        /* A field is never longer than the rest of the input. */
        char *out = malloc((size_t)(end - s) + 1);
        if (!out)
            return fail("%s: out of memory", path);
        row->field[row->nfield++] = out;
        size_t n = 0;
        if (s < end && *s == '"') {
            s++;
            for (;;) {
                if (s == end)
                    return fail("%s:%d: unterminated quoted field", path, row->line);
                if (*s == '"') {
                    if (s + 1 < end && s[1] == '"') {
                        out[n++] = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                if (*s == '\n')
                    (*line)++;
                out[n++] = *s++;
            }
            if (s < end && *s != ',' && *s != '\n' && *s != '\r')
                return fail("%s:%d: text after a closing quote", path, *line);
        } else {
            while (s < end && *s != ',' && *s != '\n' && *s != '\r') {
                if (*s == '"')
                    return fail("%s:%d: quote inside an unquoted field", path, *line);
                out[n++] = *s++;
            }
        }
        out[n] = '\0';
        if (strlen(out) != n || !utf8_valid(out, n))
            return fail("%s:%d: field %d is not valid UTF-8 text", path, *line, row->nfield);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '\r')
            s++;
        if (s < end && *s == '\n') {
            s++;
            (*line)++;
        }
        *p = s;
        return 1;
    }
}

/* Editorial data for the sites layer: kind, order along the digital line and short map
 * labels. The table order is the output order. Coordinates and full names stay in
 * sites.csv; every located row there must have an entry here. */
struct site_info {
    const char *id;
    const char *kind;
    int seq; /* 0 = not on the digital line (context), written as NULL */
    const char *label_zh;
    const char *label_en;
};

static const struct site_info site_table[] = {
    {"beidou_xhq", "site", 1, "北斗西虹桥基地", "BeiDou Innovation Base"},
    {"shixi_software_park", "site", 2, "市西软件信息园", "Shixi Software Park"},
    {"huawei_lianqiuhu", "site", 3, "华为练秋湖研发中心", "Huawei Lianqiu Lake R&D"},
    {"xicen_center", "site", 4, "西岑科创中心", "Xicen S&T Innovation Center"},
    {"hongqiao_hub", "hub", 0, "虹桥枢纽", "Hongqiao Hub"},
    {"dianshan_lake", "lake", 0, "淀山湖", "Dianshan Lake"},
    {"qingpu_centre", "centre", 0, "青浦区", "Qingpu District"},
};
enum { NSITES = sizeof site_table / sizeof site_table[0] };

/* sites.csv's confidence column is prose ("low (±2 km): town-level estimate ...");
 * keep the leading grade. */
static const char *confidence_grade(const char *text)
{
    static const char *const grades[] = {"high", "medium", "low-medium", "low"};
    size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyz-");
    for (size_t i = 0; i < sizeof grades / sizeof grades[0]; i++) {
        if (strlen(grades[i]) == n && strncmp(text, grades[i], n) == 0)
            return grades[i];
    }
    return NULL;
}

static int parse_coord(const char *s, double *v)
{
    char *endp;
    errno = 0;
    *v = strtod(s, &endp);
    return (*s == '\0' || *endp != '\0' || errno != 0 || !isfinite(*v)) ? -1 : 0;
}

enum { COL_ID, COL_NAME_ZH, COL_NAME_EN, COL_LON, COL_LAT, COL_DATUM, COL_CONFIDENCE, NCOLS };
static const char *const csv_columns[NCOLS] = {"id",  "name_zh", "name_en",   "lon",
                                               "lat", "datum",   "confidence"};

static json_object *site_feature(const struct site_info *info, const struct csv_row *row,
                                 const int *col, double lon, double lat, const char *grade)
{
    json_object *props = json_object_new_object();
    json_object_object_add(props, "id", json_object_new_string(info->id));
    json_object_object_add(props, "name_zh", json_object_new_string(row->field[col[COL_NAME_ZH]]));
    json_object_object_add(props, "name_en", json_object_new_string(row->field[col[COL_NAME_EN]]));
    json_object_object_add(props, "kind", json_object_new_string(info->kind));
    json_object_object_add(props, "seq", info->seq ? json_object_new_int(info->seq) : NULL);
    json_object_object_add(props, "label_zh", json_object_new_string(info->label_zh));
    json_object_object_add(props, "label_en", json_object_new_string(info->label_en));
    json_object_object_add(props, "confidence", json_object_new_string(grade));
    json_object *coords = json_object_new_array();
    json_object_array_add(coords, json_object_new_double(lon));
    json_object_array_add(coords, json_object_new_double(lat));
    json_object *geometry = json_object_new_object();
    json_object_object_add(geometry, "type", json_object_new_string("Point"));
    json_object_object_add(geometry, "coordinates", coords);
    json_object *feature = json_object_new_object();
    json_object_object_add(feature, "type", json_object_new_string("Feature"));
    json_object_object_add(feature, "properties", props);
    json_object_object_add(feature, "geometry", geometry);
    return feature;
}

/* Builds the sites as GeoJSON features (in site_table order) so they go through the same
 * writer as every other layer. The caller releases *out with json_object_put(). */
static int load_sites(const char *path, json_object **out)
{
    char *buf;
    size_t len;
    if (read_file(path, &buf, &len) != 0)
        return -1;
    const char *p = buf, *end = buf + len;
    int line = 1, col[NCOLS], rc = -1;
    struct csv_row row = {0};
    json_object *slot[NSITES] = {0};
    double slot_lon[NSITES] = {0};

    if (csv_next_row(path, &p, end, &line, &row) != 1) {
        fail("%s: no header row", path);
        goto done;
    }
    for (int c = 0; c < NCOLS; c++) {
        col[c] = -1;
        for (int i = 0; i < row.nfield; i++) {
            if (strcmp(row.field[i], csv_columns[c]) == 0)
                col[c] = i;
        }
        if (col[c] < 0) {
            fail("%s:1: no column '%s'", path, csv_columns[c]);
            goto done;
        }
    }
    int header_fields = row.nfield;
    csv_row_clear(&row);

    int got;
    while ((got = csv_next_row(path, &p, end, &line, &row)) == 1) {
        if (row.nfield != header_fields) {
            fail("%s:%d: %d fields, the header has %d", path, row.line, row.nfield,
                 header_fields);
            goto done;
        }
        const char *id = row.field[col[COL_ID]];
        const char *slon = row.field[col[COL_LON]], *slat = row.field[col[COL_LAT]];
        if (*slon == '\0' && *slat == '\0') {
            fprintf(stderr, "geodata_gen: note: %s:%d: skipping '%s': no coordinates\n", path,
                    row.line, id);
            csv_row_clear(&row);
            continue;
        }
        double lon, lat;
        if (parse_coord(slon, &lon) != 0 || parse_coord(slat, &lat) != 0 || fabs(lon) > 180.0 ||
            fabs(lat) > 90.0) {
            fail("%s:%d: '%s': bad lon/lat '%s', '%s'", path, row.line, id, slon, slat);
            goto done;
        }
        if (strcmp(row.field[col[COL_DATUM]], "WGS84") != 0) {
            fail("%s:%d: '%s': datum '%s', only WGS84 rows may be used", path, row.line, id,
                 row.field[col[COL_DATUM]]);
            goto done;
        }
        const char *grade = confidence_grade(row.field[col[COL_CONFIDENCE]]);
        if (!grade) {
            fail("%s:%d: '%s': confidence does not start with high, medium, low-medium or low",
                 path, row.line, id);
            goto done;
        }
        int k = 0;
        while (k < NSITES && strcmp(site_table[k].id, id) != 0)
            k++;
        if (k == NSITES) {
            fail("%s:%d: site '%s' has no entry in site_table (kind, seq, labels)", path,
                 row.line, id);
            goto done;
        }
        if (slot[k]) {
            fail("%s:%d: site '%s' appears twice", path, row.line, id);
            goto done;
        }
        slot[k] = site_feature(&site_table[k], &row, col, lon, lat, grade);
        slot_lon[k] = lon;
        csv_row_clear(&row);
    }
    if (got < 0)
        goto done;

    for (int k = 0; k < NSITES; k++) {
        if (!slot[k]) {
            fail("%s: no located row for site '%s'", path, site_table[k].id);
            goto done;
        }
    }
    /* seq runs east to west, the direction of Line 17 out of Hongqiao; refuse coordinates
     * that contradict it rather than write a misleading order. */
    for (int a = 0; a < NSITES; a++) {
        for (int b = 0; b < NSITES; b++) {
            if (site_table[a].seq && site_table[b].seq && site_table[a].seq < site_table[b].seq &&
                !(slot_lon[a] > slot_lon[b])) {
                fail("%s: seq %d '%s' is not east of seq %d '%s'", path, site_table[a].seq,
                     site_table[a].id, site_table[b].seq, site_table[b].id);
                goto done;
            }
        }
    }

    json_object *root = json_object_new_object(), *features = json_object_new_array();
    json_object_object_add(root, "type", json_object_new_string("FeatureCollection"));
    json_object_object_add(root, "features", features);
    for (int k = 0; k < NSITES; k++) {
        json_object_array_add(features, slot[k]);
        slot[k] = NULL;
    }
    *out = root;
    rc = 0;
done:
    csv_row_clear(&row);
    for (int k = 0; k < NSITES; k++)
        json_object_put(slot[k]);
    free(buf);
    return rc;
}

#define FIELDS(a) a, (int)(sizeof a / sizeof a[0])

static const struct field_spec sites_fields[] = {
    {"id", 'C', 0, "id"},
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
    {"kind", 'C', 0, "kind"},
    {"seq", 'N', 4, "seq"},
    {"label_zh", 'C', 0, "label_zh"},
    {"label_en", 'C', 0, "label_en"},
    {"confidence", 'C', 0, "confidence"},
};
static const struct field_spec district_fields[] = {
    {"adcode", 'N', 6, "adcode"},
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
};
static const struct field_spec county_fields[] = {
    {"adcode", 'N', 6, "adcode"},
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
    {"in_demo", 'L', 1, "in_demo_zone"},
};
static const struct field_spec outline_fields[] = {
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
    {"members", 'C', 0, "members"},
};
static const struct field_spec name_fields[] = {
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
};
static const struct field_spec river_fields[] = {
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
    {"level", 'N', 2, "wdbii_level"},
};
static const struct field_spec station_fields[] = {
    {"seq", 'N', 4, "seq"},
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
    {"opened", 'D', 8, "opened"},
};
static const struct field_spec line_fields[] = {
    {"line", 'C', 0, "line"},
    {"name_zh", 'C', 0, "name_zh"},
    {"name_en", 'C', 0, "name_en"},
};

static const struct layer_spec sites_layer = {"qingpu_sites", "sites.csv", SHPT_POINT,
                                              "EPSG:4326", FIELDS(sites_fields)};

static const struct layer_spec geojson_layers[] = {
    {"qingpu_boundary", "qingpu_boundary_wgs84.geojson", SHPT_POLYGON, "EPSG:4326",
     FIELDS(district_fields)},
    {"qingpu_boundary_cgcs2000", "qingpu_boundary_wgs84.geojson", SHPT_POLYGON, "EPSG:4549",
     FIELDS(district_fields)},
    {"shanghai_districts", "shanghai_districts_wgs84.geojson", SHPT_POLYGON, "EPSG:4326",
     FIELDS(district_fields)},
    {"demo_zone_counties", "demo_zone_counties_wgs84.geojson", SHPT_POLYGON, "EPSG:4326",
     FIELDS(county_fields)},
    {"demo_zone_outline", "demo_zone_outline_wgs84.geojson", SHPT_POLYGON, "EPSG:4326",
     FIELDS(outline_fields)},
    {"dianshan_lake", "dianshan_lake_gshhg_wgs84.geojson", SHPT_POLYGON, "EPSG:4326",
     FIELDS(name_fields)},
    {"rivers", "rivers_gshhg_wdbii_wgs84.geojson", SHPT_ARC, "EPSG:4326", FIELDS(river_fields)},
    {"shanghai_border", "shanghai_border_dcw_wgs84.geojson", SHPT_ARC, "EPSG:4326",
     FIELDS(name_fields)},
    {"metro_line17_stations", "metro_line17_stations_wgs84.geojson", SHPT_POINT, "EPSG:4326",
     FIELDS(station_fields)},
    {"metro_line17", "metro_line17_schematic_wgs84.geojson", SHPT_ARC, "EPSG:4326",
     FIELDS(line_fields)},
};

static int run(struct gen *gen)
{
    char path[PATH_BYTES];
    json_object *root = NULL, *features;

    if (path_join(path, sizeof path, gen->src_dir, sites_layer.source, NULL) != 0 ||
        load_sites(path, &root) != 0)
        return -1;
    json_object_object_get_ex(root, "features", &features);
    int rc = write_layer(gen, &sites_layer, features, path);
    json_object_put(root);
    if (rc != 0)
        return -1;

    for (size_t i = 0; i < sizeof geojson_layers / sizeof geojson_layers[0]; i++) {
        const struct layer_spec *spec = &geojson_layers[i];
        if (path_join(path, sizeof path, gen->src_dir, spec->source, NULL) != 0 ||
            load_features(path, &root, &features) != 0)
            return -1;
        rc = write_layer(gen, spec, features, path);
        json_object_put(root);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s SOURCES_DIR OUTPUT_DIR\n", argc ? argv[0] : "geodata_gen");
        return 2;
    }
    struct gen gen = {0};
    gen.src_dir = argv[1];
    gen.out_dir = argv[2];
    gen.ctx = proj_context_create();
    if (!gen.ctx) {
        fail("could not create a PROJ context");
        return 1;
    }
    /* Results must not depend on grids fetched at run time. */
    proj_context_set_enable_network(gen.ctx, 0);
    int rc = run(&gen);
    geom_free(&gen.geom);
    proj_context_destroy(gen.ctx);
    return rc == 0 ? 0 : 1;
}
