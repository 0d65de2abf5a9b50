/* What the GeoJSON and CSV sources share: the whole file read under a cap,
 * fields collected by name in order of first appearance and typed by what
 * they hold, and the per-feature string buffer. */
#include "source_int.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Field kinds while typing (t->kinds): nothing seen yet, or a dl_value_type. */
#define KIND_NONE 0xff

dl_text *dl_text_new(dl_source_kind kind, const char *path)
{
    dl_text *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->kind = kind;
    t->path = dl_strdup(path);
    t->bounds = dl_bbox_empty();
    t->origin = "default";
    dl_geom_init(&t->feature.geom);
    if (!t->path) {
        free(t);
        return NULL;
    }
    return t;
}

void dl_text_free(dl_text *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nfields; i++)
        free((char *)t->fields[i].name);
    free(t->fields);
    free(t->hash);
    free(t->kinds);
    free(t->path);
    free(t->data);
    free(t->encoding);
    free(t->strbuf);
    free(t->soff);
    free(t->feature.values);
    dl_geom_clear(&t->feature.geom);
    free(t);
}

dline_status dl_text_read_file(dline_ctx *ctx, dl_text *t)
{
    FILE *fp = fopen(t->path, "rb");
    if (!fp)
        return dl_error(ctx, DLINE_EIO, t->path, 0, 0, "cannot open: %s", strerror(errno));
    long size;
    if (dl_source_file_size(fp, &size) != DLINE_OK) {
        fclose(fp);
        return dl_error(ctx, DLINE_EIO, t->path, 0, 0, "could not be read");
    }
    if (size > DL_TEXT_MAX_BYTES) {
        fclose(fp);
        return dl_error(ctx, DLINE_EDATA, t->path, 0, 0,
                        "%ld bytes, over the limit of %ld for a text source (convert it to a "
                        "shapefile)",
                        size, DL_TEXT_MAX_BYTES);
    }
    t->data = malloc((size_t)size + 1);
    if (!t->data) {
        fclose(fp);
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory for %ld bytes", size);
    }
    if ((size > 0 && fseek(fp, 0, SEEK_SET) != 0)
        || fread(t->data, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        return dl_error(ctx, DLINE_EIO, t->path, 0, 0, "could not be read");
    }
    fclose(fp);
    t->data[size] = '\0';
    t->size = (size_t)size;
    return DLINE_OK;
}

static size_t hash_name(const char *s, size_t n)
{
    size_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int hash_grow(dl_text *t)
{
    size_t cap = t->hash_cap ? 2 * t->hash_cap : 64;
    size_t *h = dl_calloc_array(cap, sizeof *h);
    if (!h)
        return -1;
    for (size_t i = 0; i < t->nfields; i++) {
        const char *name = t->fields[i].name;
        size_t k = hash_name(name, strlen(name)) & (cap - 1);
        while (h[k])
            k = (k + 1) & (cap - 1);
        h[k] = i + 1;
    }
    free(t->hash);
    t->hash = h;
    t->hash_cap = cap;
    return 0;
}

long dl_text_field_intern(dl_text *t, const char *name, size_t n, int *over)
{
    *over = 0;
    if (t->hash_cap) {
        size_t k = hash_name(name, n) & (t->hash_cap - 1);
        while (t->hash[k]) {
            const char *f = t->fields[t->hash[k] - 1].name;
            if (strlen(f) == n && memcmp(f, name, n) == 0)
                return (long)(t->hash[k] - 1);
            k = (k + 1) & (t->hash_cap - 1);
        }
    }
    if (t->nfields >= (size_t)DL_TEXT_MAX_FIELDS) {
        *over = 1;
        return -1;
    }
    if (2 * (t->nfields + 1) > t->hash_cap && hash_grow(t) != 0)
        return -1;
    if ((t->nfields & (t->nfields - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
        size_t cap = t->nfields ? 2 * t->nfields : 1;
        dl_field *f = dl_realloc_array(t->fields, cap, sizeof *f);
        if (!f)
            return -1;
        t->fields = f;
        unsigned char *k = realloc(t->kinds, cap);
        if (!k)
            return -1;
        t->kinds = k;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, n);
    copy[n] = '\0';
    size_t i = t->nfields++;
    memset(&t->fields[i], 0, sizeof t->fields[i]);
    t->fields[i].name = copy;
    t->kinds[i] = KIND_NONE;
    size_t k = hash_name(copy, n) & (t->hash_cap - 1);
    while (t->hash[k])
        k = (k + 1) & (t->hash_cap - 1);
    t->hash[k] = i + 1;
    return (long)i;
}

long dl_text_field_index(const dl_text *t, const char *name)
{
    if (!name)
        return -1;
    size_t n = strlen(name);
    if (t->hash_cap) {
        size_t k = hash_name(name, n) & (t->hash_cap - 1);
        while (t->hash[k]) {
            if (strcmp(t->fields[t->hash[k] - 1].name, name) == 0)
                return (long)(t->hash[k] - 1);
            k = (k + 1) & (t->hash_cap - 1);
        }
    }
    for (size_t i = 0; i < t->nfields; i++)
        if (dl_source_casecmp(t->fields[i].name, name) == 0)
            return (long)i;
    return -1;
}

void dl_text_field_see(dl_text *t, size_t i, dl_value_type vt)
{
    if (vt == DL_VAL_NULL)
        return;
    unsigned char k = t->kinds[i];
    if (k == KIND_NONE || k == vt)
        k = (unsigned char)vt;
    else if ((k == DL_VAL_INT && vt == DL_VAL_DOUBLE) || (k == DL_VAL_DOUBLE && vt == DL_VAL_INT))
        k = DL_VAL_DOUBLE;
    else
        k = DL_VAL_STRING;
    t->kinds[i] = k;
}

dline_status dl_text_fields_done(dline_ctx *ctx, dl_text *t)
{
    for (size_t i = 0; i < t->nfields; i++)
        t->fields[i].type = t->kinds[i] == KIND_NONE ? DL_VAL_STRING : (dl_value_type)t->kinds[i];
    size_t n = t->nfields ? t->nfields : 1;
    t->feature.nvalues = t->nfields;
    t->feature.values = dl_calloc_array(n, sizeof(dl_value));
    t->soff = dl_calloc_array(n, sizeof(size_t));
    if (!t->feature.values || !t->soff || dl_geom_reserve(&t->feature.geom, 16, 1) != 0)
        return dl_error(ctx, DLINE_ENOMEM, t->path, 0, 0, "out of memory");
    return DLINE_OK;
}

void dl_text_strings_begin(dl_text *t)
{
    t->strused = 0;
}

int dl_text_put_string(dl_text *t, size_t i, const char *s, size_t n)
{
    if (n > SIZE_MAX - t->strused - 1)
        return -1;
    size_t need = t->strused + n + 1;
    if (need > t->strcap) {
        size_t cap = t->strcap ? t->strcap : 256;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = realloc(t->strbuf, cap);
        if (!p)
            return -1;
        t->strbuf = p;
        t->strcap = cap;
    }
    memcpy(t->strbuf + t->strused, s, n);
    t->strbuf[t->strused + n] = '\0';
    t->soff[i] = t->strused;
    t->strused += n + 1;
    t->feature.values[i].type = DL_VAL_STRING;
    return 0;
}

void dl_text_strings_done(dl_text *t)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (t->feature.values[i].type == DL_VAL_STRING)
            t->feature.values[i].s = t->strbuf + t->soff[i];
}

size_t dl_text_utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

int dl_text_parse_int(const char *s, size_t n, long long *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || ((s[i] == '-' || s[i] == '+') && i == 0)))
            return -1;
    if (n == 1 && (s[0] == '-' || s[0] == '+'))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno == ERANGE || *end)
        return -1;
    *out = v;
    return 0;
}

int dl_text_parse_double(const char *s, size_t n, double *out)
{
    char buf[320];
    if (n == 0 || n >= sizeof buf)
        return -1;
    /* strtod follows LC_NUMERIC; the data is written with '.' whatever the
     * application's locale. */
    const char *dp = localeconv()->decimal_point;
    char point = dp && dp[0] && !dp[1] ? dp[0] : '.';
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits = 1;
        else if (!(c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E'))
            return -1;
        buf[i] = c == '.' ? point : c;
    }
    if (!digits)
        return -1;
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + n || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

void dl_text_type_name(dl_text *t, const char *const *names, unsigned seen, size_t nnames)
{
    size_t count = 0, last = 0;
    for (size_t i = 0; i < nnames; i++)
        if (seen >> i & 1) {
            count++;
            last = i;
        }
    if (count == 0) {
        snprintf(t->type_name, sizeof t->type_name, "None");
        return;
    }
    if (count == 1) {
        snprintf(t->type_name, sizeof t->type_name, "%s", names[last]);
        return;
    }
    size_t at = (size_t)snprintf(t->type_name, sizeof t->type_name, "Mixed (");
    const char *sep = "";
    for (size_t i = 0; i < nnames && at < sizeof t->type_name; i++) {
        if (!(seen >> i & 1))
            continue;
        at += (size_t)snprintf(t->type_name + at, sizeof t->type_name - at, "%s%s", sep, names[i]);
        sep = ", ";
    }
    if (at < sizeof t->type_name)
        snprintf(t->type_name + at, sizeof t->type_name - at, ")");
}
