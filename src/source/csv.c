/* CSV point lists (RFC 4180): a header row, a longitude and a latitude
 * column (found by name or given by the style), every other column a field
 * typed by what it holds. The file is converted to UTF-8 once and read
 * twice: a first pass checks every row and types the columns, then the
 * cursor decodes one row per feature. Line numbers in messages are those of
 * the file (a quoted field may span lines). */
#include "source_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Column names that are taken as coordinates, in order of preference. */
static const char *const lon_names[] = {"lon", "lng", "long", "longitude", "x"};
static const char *const lat_names[] = {"lat", "latitude", "y"};

typedef struct {
    size_t ncols;
    size_t lon, lat;
    long *field_of;   /* per column: its field, or -1 for lon and lat */
    int check_lat;
    size_t start;     /* the first data row and its line */
    long start_line;
    size_t pos;       /* the cursor */
    long line;
    long row;         /* data rows read by the cursor */
    /* the current row's cells, unquoted, one after another */
    char *cells;
    size_t cells_cap;
    size_t *off, *len;
    size_t ncells, cap;
} csv;

static dline_status lerr(dline_ctx *ctx, const dl_text *t, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static dline_status lerr(dline_ctx *ctx, const dl_text *t, long line, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    /* "PATH:LINE: reason": a row has a line but no useful column. */
    return dl_error(ctx, DLINE_EDATA, NULL, 0, 0, "%s:%ld: %s", t->path, line, reason);
}

static int put_char(csv *c, size_t *used, char ch)
{
    if (*used + 1 >= c->cells_cap) {
        size_t cap = c->cells_cap ? 2 * c->cells_cap : 256;
        char *p = realloc(c->cells, cap);
        if (!p)
            return -1;
        c->cells = p;
        c->cells_cap = cap;
    }
    c->cells[(*used)++] = ch;
    return 0;
}

static int end_cell(csv *c, size_t start, size_t *used)
{
    if (c->ncells == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        size_t *o = dl_realloc_array(c->off, cap, sizeof *o);
        if (!o)
            return -1;
        c->off = o;
        size_t *l = dl_realloc_array(c->len, cap, sizeof *l);
        if (!l)
            return -1;
        c->len = l;
        c->cap = cap;
    }
    c->off[c->ncells] = start;
    c->len[c->ncells] = *used - start;
    c->ncells++;
    return put_char(c, used, '\0');
}

/* Reads the row at *pos into c's cells; *eof when only blank lines are
 * left (they are skipped anywhere). *row_line is the line it starts on. */
static dline_status read_row(dline_ctx *ctx, dl_text *t, csv *c, size_t *pos, long *line,
                             long *row_line, int *eof)
{
    const char *s = t->data;
    size_t n = t->size, p = *pos, used = 0;
    while (p < n && (s[p] == '\n' || s[p] == '\r')) {
        if (s[p] == '\n' || !(p + 1 < n && s[p + 1] == '\n'))
            (*line)++;
        p++;
    }
    *eof = p >= n;
    c->ncells = 0;
    *row_line = *line;
    if (*eof) {
        *pos = p;
        return DLINE_OK;
    }
    for (;;) {
        size_t start = used;
        if (s[p] == '"') {
            long open_line = *line;
            p++;
            for (;;) {
                if (p >= n)
                    return lerr(ctx, t, open_line, "a quoted field is not closed");
                if (s[p] == '"') {
                    if (p + 1 < n && s[p + 1] == '"') {
                        if (put_char(c, &used, '"'))
                            goto nomem;
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (s[p] == '\n')
                    (*line)++;
                if (put_char(c, &used, s[p]))
                    goto nomem;
                p++;
            }
            if (p < n && s[p] != ',' && s[p] != '\n' && s[p] != '\r')
                return lerr(ctx, t, *line, "text after the closing quote of a field");
        } else {
            /* A quote inside an unquoted field is kept as it is. */
            while (p < n && s[p] != ',' && s[p] != '\n' && s[p] != '\r') {
                if (put_char(c, &used, s[p]))
                    goto nomem;
                p++;
            }
        }
        if (end_cell(c, start, &used))
            goto nomem;
        if (c->ncells > (size_t)DL_TEXT_MAX_FIELDS + 2)
            return lerr(ctx, t, *row_line, "more than %ld fields", DL_TEXT_MAX_FIELDS + 2);
        if (p < n && s[p] == ',') {
            p++;
            continue;
        }
        if (p < n && s[p] == '\r')
            p++;
        if (p < n && s[p] == '\n')
            p++;
        (*line)++;
        break;
    }
    *pos = p;
    return DLINE_OK;
nomem:
    return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
}

static void trimmed(const csv *c, size_t i, const char **s, size_t *n)
{
    const char *p = c->cells + c->off[i];
    size_t k = c->len[i];
    while (k > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        k--;
    }
    while (k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
        k--;
    *s = p;
    *n = k;
}

/* The text of cell i for a message: printable, cut short. */
static const char *shown(const csv *c, size_t i, char *buf, size_t size)
{
    return dl_source_printable(c->cells + c->off[i], buf, size);
}

/* Converts t->data to UTF-8 (from opt's encoding), drops a byte order mark,
 * and checks it is valid UTF-8 without NUL bytes. */
static dline_status to_utf8(dline_ctx *ctx, dl_text *t, const char *encoding)
{
    char norm[DL_CPG_MAX + 16] = "UTF-8";
    if (encoding) {
        dl_source_encoding_normalize(encoding, norm, sizeof norm);
        t->origin = "style";
    }
    if (strcmp(norm, "UTF-8") != 0) {
        iconv_t cd = norm[0] ? iconv_open("UTF-8", norm) : (iconv_t)-1;
        if (cd == (iconv_t)-1) {
            char b[DL_CPG_MAX + 1];
            return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "unknown encoding '%s'",
                            dl_source_printable(encoding, b, sizeof b));
        }
        size_t cap = t->size > (SIZE_MAX - 8) / 4 ? 0 : 4 * t->size + 8;
        char *out = cap ? malloc(cap) : NULL;
        if (!out) {
            iconv_close(cd);
            return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
        }
        char *in = t->data, *o = out;
        size_t inleft = t->size, outleft = cap - 1;
        size_t r = iconv(cd, &in, &inleft, &o, &outleft);
        int e = errno;
        if (r != (size_t)-1)
            r = iconv(cd, NULL, NULL, &o, &outleft);
        iconv_close(cd);
        if (r == (size_t)-1) {
            free(out);
            long line = 1;
            for (const char *q = t->data; q < in; q++)
                line += *q == '\n';
            if (e == EILSEQ || e == EINVAL)
                return lerr(ctx, t, line, "not valid %s", norm);
            return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "could not convert from %s: %s",
                            norm, strerror(e));
        }
        *o = '\0';
        free(t->data);
        t->data = out;
        t->size = (size_t)(o - out);
    }
    t->encoding = dl_strdup(norm);
    if (!t->encoding)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    if (t->size >= 3 && memcmp(t->data, "\xef\xbb\xbf", 3) == 0) {
        memmove(t->data, t->data + 3, t->size - 3 + 1);
        t->size -= 3;
        if (!encoding)
            t->origin = "bom";
    }
    long line = 1;
    const unsigned char *s = (const unsigned char *)t->data;
    for (size_t i = 0; i < t->size;) {
        if (s[i] == 0)
            return lerr(ctx, t, line, "a NUL byte; not a text file");
        size_t k = dl_text_utf8_seq(s + i, t->size - i);
        if (!k)
            return lerr(ctx, t, line,
                        "not valid UTF-8 (give the source its 'encoding' in the style, "
                        "e.g. GBK)");
        line += s[i] == '\n';
        i += k;
    }
    return DLINE_OK;
}

/* The column named `want` (the style's): exact, then any case. */
static long column_named(const csv *c, const char *want)
{
    for (size_t i = 0; i < c->ncells; i++)
        if (strcmp(c->cells + c->off[i], want) == 0)
            return (long)i;
    for (size_t i = 0; i < c->ncells; i++)
        if (dl_source_casecmp(c->cells + c->off[i], want) == 0)
            return (long)i;
    return -1;
}

static long column_guess(const csv *c, const char *const *names, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < c->ncells; i++)
            if (dl_source_casecmp(c->cells + c->off[i], names[k]) == 0)
                return (long)i;
    return -1;
}

static dline_status header(dline_ctx *ctx, dl_text *t, csv *c, const dl_source_options *opt)
{
    long line = 1, row_line;
    int eof;
    size_t pos = 0;
    dline_status st = read_row(ctx, t, c, &pos, &line, &row_line, &eof);
    if (st)
        return st;
    if (eof)
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0, "empty file: no header row");
    /* Names are trimmed: "lon, lat, name" is common. */
    for (size_t i = 0; i < c->ncells; i++) {
        const char *s;
        size_t n;
        trimmed(c, i, &s, &n);
        memmove(c->cells + c->off[i], s, n);
        c->cells[c->off[i] + n] = '\0';
        c->len[i] = n;
        if (n == 0)
            return lerr(ctx, t, row_line, "column %zu has no name", i + 1);
    }
    long lon = opt->lon ? column_named(c, opt->lon)
                        : column_guess(c, lon_names, sizeof lon_names / sizeof *lon_names);
    long lat = opt->lat ? column_named(c, opt->lat)
                        : column_guess(c, lat_names, sizeof lat_names / sizeof *lat_names);
    char b[64];
    if (lon < 0 && opt->lon)
        return lerr(ctx, t, row_line, "no column '%s' (the style's 'lon')",
                    dl_source_printable(opt->lon, b, sizeof b));
    if (lat < 0 && opt->lat)
        return lerr(ctx, t, row_line, "no column '%s' (the style's 'lat')",
                    dl_source_printable(opt->lat, b, sizeof b));
    if (lon < 0)
        return lerr(ctx, t, row_line,
                    "no longitude column (lon, lng, long, longitude or x); name it with 'lon' "
                    "in the style");
    if (lat < 0)
        return lerr(ctx, t, row_line,
                    "no latitude column (lat, latitude or y); name it with 'lat' in the style");
    if (lon == lat)
        return lerr(ctx, t, row_line, "column '%s' is both longitude and latitude",
                    shown(c, (size_t)lon, b, sizeof b));
    c->ncols = c->ncells;
    c->lon = (size_t)lon;
    c->lat = (size_t)lat;
    c->field_of = dl_calloc_array(c->ncols, sizeof *c->field_of);
    if (!c->field_of)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    for (size_t i = 0; i < c->ncols; i++) {
        c->field_of[i] = -1;
        if (i == c->lon || i == c->lat)
            continue;
        size_t before = t->nfields;
        int over;
        long f = dl_text_field_intern(t, c->cells + c->off[i], c->len[i], &over);
        if (f < 0)
            return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
        if (t->nfields == before)
            return lerr(ctx, t, row_line, "column '%s' appears twice",
                        shown(c, i, b, sizeof b));
        c->field_of[i] = f;
    }
    c->start = pos;
    c->start_line = line;
    return DLINE_OK;
}

/* Reads the coordinates of the current row; *is_null when both are empty. */
static dline_status coords(dline_ctx *ctx, dl_text *t, csv *c, long line, double *x, double *y,
                           int *is_null)
{
    const char *ls, *as;
    size_t ln, an;
    trimmed(c, c->lon, &ls, &ln);
    trimmed(c, c->lat, &as, &an);
    *is_null = ln == 0 && an == 0;
    if (*is_null)
        return DLINE_OK;
    char b[48];
    if (ln == 0)
        return lerr(ctx, t, line, "the longitude is empty");
    if (an == 0)
        return lerr(ctx, t, line, "the latitude is empty");
    if (dl_text_parse_double(ls, ln, x) != 0)
        return lerr(ctx, t, line, "longitude '%s' is not a number",
                    shown(c, c->lon, b, sizeof b));
    if (dl_text_parse_double(as, an, y) != 0)
        return lerr(ctx, t, line, "latitude '%s' is not a number", shown(c, c->lat, b, sizeof b));
    if (c->check_lat && (*y < -90 || *y > 90))
        return lerr(ctx, t, line, "latitude %s is outside -90..90",
                    shown(c, c->lat, b, sizeof b));
    return DLINE_OK;
}

static dl_value_type cell_type(const csv *c, size_t i)
{
    const char *s;
    size_t n;
    long long iv;
    double d;
    trimmed(c, i, &s, &n);
    if (n == 0)
        return DL_VAL_NULL;
    if (dl_text_parse_int(s, n, &iv) == 0)
        return DL_VAL_INT;
    if (dl_text_parse_double(s, n, &d) == 0)
        return DL_VAL_DOUBLE;
    return DL_VAL_STRING;
}

static int crs_is_4326(const char *crs)
{
    return !crs || dl_source_casecmp(crs, "EPSG:4326") == 0;
}

dline_status dl_csv_open(dline_ctx *ctx, dl_text *t, const dl_source_options *opt)
{
    csv *c = calloc(1, sizeof *c);
    if (!c)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    t->impl = c;
    c->check_lat = crs_is_4326(opt->crs);
    dline_status st = dl_text_read_file(ctx, t);
    if (!st)
        st = to_utf8(ctx, t, opt->encoding);
    if (!st)
        st = header(ctx, t, c, opt);
    if (st)
        return st;
    size_t pos = c->start;
    long line = c->start_line, row_line;
    for (;;) {
        int eof, is_null;
        if ((st = read_row(ctx, t, c, &pos, &line, &row_line, &eof)))
            return st;
        if (eof)
            break;
        if (c->ncells != c->ncols)
            return lerr(ctx, t, row_line, "%zu field%s, but the header has %zu", c->ncells,
                        c->ncells == 1 ? "" : "s", c->ncols);
        double x, y;
        if ((st = coords(ctx, t, c, row_line, &x, &y, &is_null)))
            return st;
        if (is_null)
            t->nnull++;
        else
            dl_bbox_add(&t->bounds, x, y);
        for (size_t i = 0; i < c->ncols; i++)
            if (c->field_of[i] >= 0)
                dl_text_field_see(t, (size_t)c->field_of[i], cell_type(c, i));
        if (t->nrecords == LONG_MAX)
            return lerr(ctx, t, row_line, "too many rows");
        t->nrecords++;
    }
    t->geom_mask = 1u << DL_GEOM_POINT;
    snprintf(t->type_name, sizeof t->type_name, "Point");
    dl_csv_rewind(t);
    return dl_text_fields_done(ctx, t);
}

dline_status dl_csv_next(dline_ctx *ctx, dl_text *t, const dl_feature **feature)
{
    csv *c = t->impl;
    *feature = NULL;
    for (;;) {
        long row_line;
        int eof, is_null;
        dline_status st = read_row(ctx, t, c, &c->pos, &c->line, &row_line, &eof);
        if (st || eof)
            return st;
        long id = c->row++;
        double x, y;
        if ((st = coords(ctx, t, c, row_line, &x, &y, &is_null)))
            return st;
        if (is_null)
            continue;
        dl_geom *g = &t->feature.geom;
        g->type = DL_GEOM_POINT;
        g->npoints = g->nparts = 1;
        g->xy[0] = x;
        g->xy[1] = y;
        g->part_start[0] = 0;
        g->part_start[1] = 1;
        g->hole[0] = 0;
        dl_text_strings_begin(t);
        for (size_t i = 0; i < c->ncols; i++) {
            long f = c->field_of[i];
            if (f < 0)
                continue;
            dl_value *v = &t->feature.values[f];
            memset(v, 0, sizeof *v);
            const char *s;
            size_t n;
            trimmed(c, i, &s, &n);
            if (n == 0)
                continue; /* DL_VAL_NULL */
            switch (t->fields[f].type) {
            case DL_VAL_INT:
                if (dl_text_parse_int(s, n, &v->i) == 0) {
                    v->type = DL_VAL_INT;
                    v->d = (double)v->i;
                }
                break;
            case DL_VAL_DOUBLE:
                if (dl_text_parse_double(s, n, &v->d) == 0)
                    v->type = DL_VAL_DOUBLE;
                break;
            default:
                if (dl_text_put_string(t, (size_t)f, c->cells + c->off[i], c->len[i]) != 0)
                    return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
            }
        }
        dl_text_strings_done(t);
        t->feature.id = id;
        *feature = &t->feature;
        return DLINE_OK;
    }
}

void dl_csv_rewind(dl_text *t)
{
    csv *c = t->impl;
    c->pos = c->start;
    c->line = c->start_line;
    c->row = 0;
}

void dl_csv_free(dl_text *t)
{
    csv *c = t ? t->impl : NULL;
    if (!c)
        return;
    free(c->field_of);
    free(c->cells);
    free(c->off);
    free(c->len);
    free(c);
    t->impl = NULL;
}
