/* DBF attributes: header checks against the file size, typed values read
 * through shapelib, and strings converted to UTF-8 from the encoding named
 * by the style, the .cpg or the language-driver byte. */
#include "source_int.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The DBF language driver id (header byte 29) as a code page, after the
 * ESRI/dBase table (GDAL reads the same one). 0x57 is "current ANSI code
 * page", which for shapefiles in practice means Windows-1252. */
static const char *ldid_encoding(unsigned ldid)
{
    switch (ldid) {
    case 0x01: case 0x09: case 0x0b: case 0x0d: case 0x0f: case 0x11: case 0x15:
    case 0x18: case 0x19: case 0x1b:
        return "CP437";
    case 0x02: case 0x0a: case 0x0e: case 0x10: case 0x12: case 0x14: case 0x16:
    case 0x1a: case 0x1d: case 0x25: case 0x37:
        return "CP850";
    case 0x03: case 0x57: case 0x58: case 0x59:
        return "CP1252";
    case 0x08: case 0x17: case 0x66:
        return "CP865";
    case 0x13: case 0x7b:
        return "CP932";
    case 0x1c: case 0x6c:
        return "CP863";
    case 0x1f: case 0x22: case 0x23: case 0x40: case 0x64: case 0x87:
        return "CP852";
    case 0x24:
        return "CP860";
    case 0x26: case 0x65:
        return "CP866";
    case 0x4d: case 0x7a:
        return "CP936";
    case 0x4e: case 0x79:
        return "CP949";
    case 0x4f: case 0x78:
        return "CP950";
    case 0x50: case 0x7c:
        return "CP874";
    case 0x67:
        return "CP861";
    case 0x6a: case 0x86:
        return "CP737";
    case 0x6b: case 0x88:
        return "CP857";
    case 0xc8:
        return "CP1250";
    case 0xc9:
        return "CP1251";
    case 0xca:
        return "CP1254";
    case 0xcb:
        return "CP1253";
    case 0xcc:
        return "CP1257";
    }
    return NULL;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* A Windows code page number as an iconv name. */
static void codepage_name(const char *digits, char *out, size_t size)
{
    long cp = strtol(digits, NULL, 10);
    if (cp == 65001)
        snprintf(out, size, "UTF-8");
    else if (cp >= 28591 && cp <= 28599)
        snprintf(out, size, "ISO-8859-%ld", cp - 28590);
    else if (cp >= 28603 && cp <= 28606)
        snprintf(out, size, "ISO-8859-%ld", cp - 28590);
    else if (cp == 54936)
        snprintf(out, size, "GB18030");
    else if (cp == 20936)
        snprintf(out, size, "GB2312");
    else if (cp == 20866)
        snprintf(out, size, "KOI8-R");
    else if (cp == 21866)
        snprintf(out, size, "KOI8-U");
    else if (cp == 10000)
        snprintf(out, size, "MACINTOSH");
    else if (strncmp(digits, "8859", 4) == 0 && digits[4])
        /* ESRI writes ISO-8859-1 as "88591" in .cpg files */
        snprintf(out, size, "ISO-8859-%s", digits + 4);
    else
        snprintf(out, size, "CP%s", digits);
}

/* Maps the spellings found in .cpg files and styles ("UTF8", "936",
 * "ANSI 1252", "88591", "Latin-1", "ISO8859-1", "cp936", ...) to iconv
 * names; anything else is passed on to iconv upper-cased. */
void dl_source_encoding_normalize(const char *name, char *out, size_t size)
{
    char u[DL_CPG_MAX + 1];
    size_t n = 0;
    while (*name == ' ' || *name == '\t')
        name++;
    for (; *name && n < sizeof u - 1; name++)
        u[n++] = (*name >= 'a' && *name <= 'z') ? (char)(*name - 'a' + 'A') : *name;
    while (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\t'))
        n--;
    u[n] = '\0';

    const char *p = u;
    if (strncmp(p, "ANSI ", 5) == 0 || strncmp(p, "ANSI_", 5) == 0)
        p += 5;
    if (all_digits(p)) {
        codepage_name(p, out, size);
        return;
    }
    static const char *const cp_prefixes[] = {"CP", "CP-", "WINDOWS-", "WINDOWS", "MS", "IBM"};
    for (size_t i = 0; i < sizeof cp_prefixes / sizeof cp_prefixes[0]; i++) {
        size_t k = strlen(cp_prefixes[i]);
        if (strncmp(p, cp_prefixes[i], k) == 0 && all_digits(p + k)) {
            codepage_name(p + k, out, size);
            return;
        }
    }
    if (strcmp(p, "UTF8") == 0 || strcmp(p, "UTF-8") == 0) {
        snprintf(out, size, "UTF-8");
        return;
    }
    if (strcmp(p, "LATIN1") == 0 || strcmp(p, "LATIN-1") == 0) {
        snprintf(out, size, "ISO-8859-1");
        return;
    }
    static const char *const iso_prefixes[] = {"ISO-8859-", "ISO_8859-", "ISO8859-", "ISO8859_",
                                               "ISO_8859_", "ISO8859", "8859-", "8859_"};
    for (size_t i = 0; i < sizeof iso_prefixes / sizeof iso_prefixes[0]; i++) {
        size_t k = strlen(iso_prefixes[i]);
        if (strncmp(p, iso_prefixes[i], k) == 0 && all_digits(p + k)) {
            snprintf(out, size, "ISO-8859-%s", p + k);
            return;
        }
    }
    snprintf(out, size, "%s", p);
}

static int reserve_str(dl_dbf *d, size_t used, size_t extra)
{
    if (extra > SIZE_MAX - used)
        return -1;
    size_t need = used + extra;
    if (need <= d->strcap)
        return 0;
    size_t cap = d->strcap ? d->strcap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(d->strbuf, cap);
    if (!p)
        return -1;
    d->strbuf = p;
    d->strcap = cap;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. Rejects
 * overlong forms, surrogates and code points past U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
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

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Converts n bytes at in to UTF-8, appended at d->strbuf + *used (with a
 * NUL). Bytes that are invalid in the source encoding become U+FFFD rather
 * than failing the read: one bad name should not stop a map. Returns -1
 * only when memory runs out. */
static int to_utf8(dl_dbf *d, const char *in, size_t n, size_t *used)
{
    const unsigned char *s = (const unsigned char *)in;
    int guess_utf8 = 1;
    if (d->mode == DL_ENC_GUESS) {
        for (size_t i = 0; i < n;) {
            size_t k = utf8_seq(s + i, n - i);
            if (!k) {
                guess_utf8 = 0;
                break;
            }
            i += k;
        }
    }
    if (d->mode == DL_ENC_UTF8 || (d->mode == DL_ENC_GUESS && guess_utf8)) {
        if (n > SIZE_MAX / 3 || reserve_str(d, *used, 3 * n + 1) != 0)
            return -1;
        char *out = d->strbuf + *used;
        for (size_t i = 0; i < n;) {
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                memcpy(out, s + i, k);
                out += k;
                i += k;
            } else {
                memcpy(out, replacement, 3);
                out += 3;
                i++;
            }
        }
        *out++ = '\0';
        *used = (size_t)(out - d->strbuf);
        return 0;
    }
    if (d->mode == DL_ENC_GUESS) {
        /* Not UTF-8 and nothing declared: Latin-1, where every byte is a
         * character, is the guess that never fails. */
        if (n > SIZE_MAX / 2 || reserve_str(d, *used, 2 * n + 1) != 0)
            return -1;
        char *out = d->strbuf + *used;
        for (size_t i = 0; i < n; i++) {
            if (s[i] < 0x80) {
                *out++ = (char)s[i];
            } else {
                *out++ = (char)(0xc0 | s[i] >> 6);
                *out++ = (char)(0x80 | (s[i] & 0x3f));
            }
        }
        *out++ = '\0';
        *used = (size_t)(out - d->strbuf);
        return 0;
    }

    iconv(d->cd, NULL, NULL, NULL, NULL); /* back to the initial state */
    char *inp = (char *)(uintptr_t)in;
    size_t inleft = n;
    if (reserve_str(d, *used, 4 * n + 8) != 0)
        return -1;
    for (;;) {
        char *out = d->strbuf + *used;
        size_t outleft = d->strcap - *used - 1;
        size_t r = iconv(d->cd, inleft ? &inp : NULL, &inleft, &out, &outleft);
        int e = errno;
        *used = (size_t)(out - d->strbuf);
        if (r != (size_t)-1 && inleft == 0)
            break;
        if (r != (size_t)-1)
            continue;
        if (e == E2BIG) {
            if (reserve_str(d, *used, 4 * inleft + 8) != 0)
                return -1;
        } else if (e == EILSEQ || e == EINVAL) {
            /* EINVAL: a sequence cut off by the end of the field. */
            if (reserve_str(d, *used, 4 * inleft + 8) != 0)
                return -1;
            memcpy(d->strbuf + *used, replacement, 3);
            *used += 3;
            if (e == EINVAL || inleft <= 1) {
                inleft = 0;
                break;
            }
            inp++;
            inleft--;
            iconv(d->cd, NULL, NULL, NULL, NULL);
        } else {
            return -1;
        }
    }
    d->strbuf[(*used)++] = '\0';
    return 0;
}

static dline_status choose_encoding(dline_ctx *ctx, dl_dbf *d, const char *base, int upper_first,
                                    const char *shp_path, const char *override)
{
    char *text = NULL, *cpg_path = NULL;
    const char *name = NULL, *errpath = shp_path;
    dline_status st = DLINE_OK;
    if (override) {
        name = override;
        d->origin = "style";
    } else {
        FILE *fp = NULL;
        st = dl_source_sidecar_optional(ctx, base, "cpg", upper_first, &cpg_path, &fp);
        if (st)
            goto done;
        if (fp) {
            st = dl_source_read_text(ctx, fp, cpg_path, DL_CPG_MAX, &text);
            fclose(fp);
            if (st)
                goto done;
            if (text[0]) {
                name = text;
                d->origin = "cpg";
                errpath = cpg_path;
            }
        }
        if (!name && (name = ldid_encoding(d->header[29])) != NULL)
            d->origin = "ldid";
    }
    if (!name) {
        /* Nothing declared (language driver 0 or unknown). Most such files
         * written today are UTF-8, older ones usually Latin-1: each value is
         * read as UTF-8 when it is valid UTF-8, else as Latin-1. */
        d->encoding = dl_strdup("UTF-8");
        d->origin = "default";
        d->mode = DL_ENC_GUESS;
    } else {
        char norm[DL_CPG_MAX + 16];
        dl_source_encoding_normalize(name, norm, sizeof norm);
        d->encoding = dl_strdup(norm);
        if (d->encoding && strcmp(norm, "UTF-8") == 0) {
            d->mode = DL_ENC_UTF8;
        } else if (d->encoding) {
            d->mode = DL_ENC_ICONV;
            /* An empty name would make iconv pick the locale's charset. */
            d->cd = norm[0] ? iconv_open("UTF-8", norm) : (iconv_t)-1;
            if (d->cd == (iconv_t)-1) {
                char shown[DL_CPG_MAX + 1];
                st = dl_error(ctx, DLINE_EDATA, errpath, 0, 0, "unknown encoding '%s'",
                              dl_source_printable(name, shown, sizeof shown));
                goto done;
            }
        }
    }
    if (!d->encoding)
        st = dl_error(ctx, DLINE_ENOMEM, base, 0, 0, "out of memory");
done:
    free(text);
    free(cpg_path);
    return st;
}

static int known_type(unsigned char t)
{
    return t == 'C' || t == 'N' || t == 'F' || t == 'L' || t == 'D';
}

static dline_status check_header(dline_ctx *ctx, dl_dbf *d, long size)
{
    const char *path = d->path;
    const unsigned char *h = d->header;
    size_t hlen = d->header_len;
    /* Descriptors run up to the 0x0D terminator, as shapelib reads them;
     * space after it (Visual FoxPro's backlink) is allowed. */
    size_t k = 0;
    while (32 + 32 * k < hlen && h[32 + 32 * k] != 0x0d) {
        if (32 + 32 * (k + 1) > hlen)
            break;
        k++;
    }
    if (32 + 32 * k >= hlen || h[32 + 32 * k] != 0x0d)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "header length %zu does not hold its field descriptors and terminator",
                        hlen);
    d->nfields = k;
    d->fields = dl_calloc_array(k, sizeof(dl_field));
    d->soff = dl_calloc_array(k, sizeof(size_t));
    d->names = dl_calloc_array(k ? k : 1, 12);
    if (!d->fields || !d->soff || !d->names)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    size_t sum = 0;
    for (size_t i = 0; i < k; i++) {
        const unsigned char *f = h + 32 + 32 * i;
        char raw[12], shown[16];
        memcpy(raw, f, 11);
        raw[11] = '\0';
        dl_source_printable(raw, shown, sizeof shown);
        unsigned char type = f[11];
        unsigned width = f[16], decimals = f[17];
        if (!known_type(type)) {
            if (type >= 0x20 && type < 0x7f)
                return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                                "field '%s' has unsupported type '%c'", shown, type);
            return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                            "field '%s' has unsupported type 0x%02x", shown, type);
        }
        if (width == 0)
            return dl_error(ctx, DLINE_EDATA, path, 0, 0, "field '%s' has width 0", shown);
        dl_field *fd = &d->fields[i];
        fd->width = (int)width;
        /* shapelib keeps decimals for N and F only */
        fd->decimals = (type == 'N' || type == 'F') ? (int)decimals : 0;
        switch (type) {
        case 'C': fd->type = DL_VAL_STRING; break;
        case 'N':
            fd->type = fd->decimals == 0 && width <= 18 ? DL_VAL_INT : DL_VAL_DOUBLE;
            break;
        case 'F': fd->type = DL_VAL_DOUBLE; break;
        case 'L': fd->type = DL_VAL_BOOL; break;
        case 'D': fd->type = DL_VAL_DATE; break;
        }
        sum += width;
    }
    if (sum + 1 != d->reclen)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "record length %zu does not match the fields (%zu bytes + 1)", d->reclen,
                        sum);
    unsigned long long need =
        (unsigned long long)hlen + (unsigned long long)d->nrecords * d->reclen;
    if (need > (unsigned long long)size)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "%ld records of %zu bytes need %llu bytes, the file has %ld", d->nrecords,
                        d->reclen, need, size);
    return DLINE_OK;
}

/* Field names go through the same conversion as values, cut at a character
 * boundary to 11 bytes (a DBF name has at most 10, plus the NUL slot). */
static dline_status convert_names(dline_ctx *ctx, dl_dbf *d)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const char *raw = (const char *)d->header + 32 + 32 * i;
        size_t n = 0;
        while (n < 11 && raw[n])
            n++;
        while (n > 0 && raw[n - 1] == ' ')
            n--;
        size_t used = 0;
        if (to_utf8(d, raw, n, &used) != 0)
            return dl_error(ctx, DLINE_ENOMEM, d->path, 0, 0, "out of memory");
        char *name = d->names + 12 * i;
        d->fields[i].name = name;
        size_t len = strlen(d->strbuf), max = 11;
        if (len > max) {
            len = max;
            while (len > 0 && ((unsigned char)d->strbuf[len] & 0xc0) == 0x80)
                len--;
        }
        memcpy(name, d->strbuf, len);
        name[len] = '\0';
    }
    return DLINE_OK;
}

static dline_status open_shapelib(dline_ctx *ctx, dl_dbf *d, long size)
{
    d->mem.head = d->header;
    d->mem.head_size = d->header_len;
    d->mem.size = (unsigned long)size;
    dl_handoff handoff = {{"dbf", NULL}, {&d->mem, NULL}};
    SAHooks hooks;
    dl_source_hooks_init(&hooks);
    dl_source_shapelib_begin(&handoff, d->errbuf, sizeof d->errbuf);
    d->h = DBFOpenLL(d->path, "rb", &hooks);
    dl_source_shapelib_end();
    if (!d->h)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0, "shapelib could not open it: %s",
                        d->errbuf[0] ? d->errbuf : "no reason given");
    /* What we checked must be what shapelib will use to index records. */
    int agree = DBFGetFieldCount(d->h) == (int)d->nfields
                && DBFGetRecordCount(d->h) == d->nrecords
                && d->h->nRecordLength == (int)d->reclen
                && d->h->nHeaderLength == (int)d->header_len;
    for (size_t i = 0; agree && i < d->nfields; i++) {
        int w, dec;
        DBFGetFieldInfo(d->h, (int)i, NULL, &w, &dec);
        agree = w == d->fields[i].width && dec == d->fields[i].decimals
                && d->h->panFieldOffset[i] >= 1 && d->h->panFieldOffset[i] + w <= (int)d->reclen;
    }
    if (!agree)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0,
                        "shapelib reads the header differently from its checks");
    return DLINE_OK;
}

static dline_status open_all(dline_ctx *ctx, dl_dbf *d, const char *base, int upper_first,
                             const char *shp_path, const char *encoding)
{
    long size;
    if (dl_source_file_size(d->fp, &size) != DLINE_OK)
        return dl_error(ctx, DLINE_EIO, d->path, 0, 0, "could not be read");
    if (size < 32)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0,
                        "file too short for a dBASE header (%ld bytes, need 32)", size);
    unsigned char h[32];
    if (fseek(d->fp, 0, SEEK_SET) != 0 || fread(h, 1, 32, d->fp) != 32)
        return dl_error(ctx, DLINE_EIO, d->path, 0, 0, "could not be read");
    unsigned long nrec = (unsigned long)h[4] | (unsigned long)h[5] << 8
                         | (unsigned long)h[6] << 16 | (unsigned long)h[7] << 24;
    d->header_len = (size_t)h[8] | (size_t)h[9] << 8;
    d->reclen = (size_t)h[10] | (size_t)h[11] << 8;
    if (nrec > (unsigned long)DL_SHP_MAX_RECORDS)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0, "%lu records, over the limit of %ld",
                        nrec, DL_SHP_MAX_RECORDS);
    d->nrecords = (long)nrec;
    if ((long)d->header_len > size)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0,
                        "header length %zu exceeds the file size (%ld bytes)", d->header_len,
                        size);
    if (d->header_len < 33)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0,
                        "header length %zu is too short (need at least 33)", d->header_len);
    d->header = malloc(d->header_len);
    d->rec = malloc(d->reclen ? d->reclen : 1);
    if (!d->header || !d->rec)
        return dl_error(ctx, DLINE_ENOMEM, d->path, 0, 0, "out of memory");
    if (fseek(d->fp, 0, SEEK_SET) != 0
        || fread(d->header, 1, d->header_len, d->fp) != d->header_len)
        return dl_error(ctx, DLINE_EIO, d->path, 0, 0, "could not be read");
    dline_status st = check_header(ctx, d, size);
    if (st)
        return st;
    st = choose_encoding(ctx, d, base, upper_first, shp_path, encoding);
    if (st)
        return st;
    st = convert_names(ctx, d);
    if (st)
        return st;
    return open_shapelib(ctx, d, size);
}

dline_status dl_source_dbf_open(dline_ctx *ctx, const char *base, int upper_first,
                                const char *shp_path, const char *encoding, dl_dbf **out)
{
    *out = NULL;
    char *path;
    FILE *fp;
    dline_status st = dl_source_sidecar_optional(ctx, base, "dbf", upper_first, &path, &fp);
    if (!fp) {
        free(path);
        return st;
    }
    dl_dbf *d = calloc(1, sizeof *d);
    if (!d) {
        fclose(fp);
        free(path);
        return dl_error(ctx, DLINE_ENOMEM, base, 0, 0, "out of memory");
    }
    d->path = path;
    d->fp = fp;
    d->cd = (iconv_t)-1;
    st = open_all(ctx, d, base, upper_first, shp_path, encoding);
    if (st) {
        dl_source_dbf_free(d);
        return st;
    }
    *out = d;
    return DLINE_OK;
}

void dl_source_dbf_free(dl_dbf *d)
{
    if (!d)
        return;
    if (d->h) {
        dl_source_shapelib_begin(NULL, d->errbuf, sizeof d->errbuf);
        DBFClose(d->h);
        dl_source_shapelib_end();
    }
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
    if (d->fp)
        fclose(d->fp);
    free(d->path);
    free(d->header);
    free(d->rec);
    free(d->fields);
    free(d->names);
    free(d->soff);
    free(d->encoding);
    free(d->strbuf);
    free(d);
}

/* strtod, but always with '.' as the decimal point whatever LC_NUMERIC the
 * application set: DBF numbers are written in the C locale. Accepts only
 * plain decimal numbers (no "nan", "inf" or hex). */
static int parse_double(const char *s, double *out)
{
    char buf[300];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    const char *dp = localeconv()->decimal_point;
    char point = dp && dp[0] && !dp[1] ? dp[0] : '.';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e'
              || c == 'E'))
            return -1;
        buf[i] = c == '.' ? point : c;
    }
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (end != buf + n || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static int parse_int(const char *s, long long *out)
{
    if (!*s)
        return -1;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || ((*p == '-' || *p == '+') && p == s)))
            return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_date(const char *s, long long *ymd)
{
    for (int i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    if (s[8])
        return -1;
    long long v = strtoll(s, NULL, 10);
    int month = (int)(v / 100 % 100), day = (int)(v % 100);
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return -1;
    *ymd = v;
    return 0;
}

dline_status dl_source_dbf_read(dline_ctx *ctx, dl_dbf *d, long rec, dl_value *values)
{
    unsigned long off = (unsigned long)d->header_len + (unsigned long)rec * d->reclen;
    if (off > LONG_MAX || fseek(d->fp, (long)off, SEEK_SET) != 0
        || fread(d->rec, 1, d->reclen, d->fp) != d->reclen)
        return dl_error(ctx, DLINE_EIO, d->path, 0, 0, "record %ld: could not be read", rec);
    d->mem.win = d->rec;
    d->mem.win_size = d->reclen;
    d->mem.win_offset = off;

    /* String values are written one after another into strbuf, which may
     * move while it grows: offsets first, pointers at the end. */
    size_t used = 0;
    int oom = 0, unread = 0;
    dl_source_shapelib_begin(NULL, d->errbuf, sizeof d->errbuf);
    for (size_t j = 0; j < d->nfields && !oom && !unread; j++) {
        dl_value *v = &values[j];
        memset(v, 0, sizeof *v);
        v->type = DL_VAL_NULL;
        /* shapelib's NULL rules: blank or '*' numbers, "00000000" dates, '?'
         * logicals and empty strings. */
        if (DBFIsAttributeNULL(d->h, (int)rec, (int)j))
            continue;
        const char *raw = DBFReadStringAttribute(d->h, (int)rec, (int)j);
        if (!raw) {
            unread = 1;
            break;
        }
        switch (d->fields[j].type) {
        case DL_VAL_STRING: {
            size_t at = used;
            if (to_utf8(d, raw, strlen(raw), &used) != 0) {
                oom = 1;
                break;
            }
            v->type = DL_VAL_STRING;
            d->soff[j] = at;
            break;
        }
        case DL_VAL_INT:
            /* An integer column may still hold "1.5" or a value too large
             * for 64 bits: keep it as a double rather than lose it. */
            if (parse_int(raw, &v->i) == 0) {
                v->type = DL_VAL_INT;
                v->d = (double)v->i;
            } else if (parse_double(raw, &v->d) == 0) {
                v->type = DL_VAL_DOUBLE;
            }
            break;
        case DL_VAL_DOUBLE:
            if (parse_double(raw, &v->d) == 0)
                v->type = DL_VAL_DOUBLE;
            break;
        case DL_VAL_BOOL:
            if (raw[0] && strchr("TtYy", raw[0])) {
                v->type = DL_VAL_BOOL;
                v->i = 1;
            } else if (raw[0] && strchr("FfNn", raw[0])) {
                v->type = DL_VAL_BOOL;
                v->i = 0;
            }
            break;
        case DL_VAL_DATE: {
            /* Malformed dates read as NULL, like other unparsable cells. */
            long long ymd;
            if (parse_date(raw, &ymd) != 0)
                break;
            if (reserve_str(d, used, 11) != 0) {
                oom = 1;
                break;
            }
            snprintf(d->strbuf + used, 11, "%.4s-%.2s-%.2s", raw, raw + 4, raw + 6);
            v->type = DL_VAL_DATE;
            d->soff[j] = used;
            v->i = ymd;
            used += 11;
            break;
        }
        case DL_VAL_NULL:
            break;
        }
    }
    dl_source_shapelib_end();
    d->mem.win = NULL;
    if (unread)
        return dl_error(ctx, DLINE_EDATA, d->path, 0, 0,
                        "record %ld: shapelib could not read it: %s", rec,
                        d->errbuf[0] ? d->errbuf : "no reason given");
    if (oom)
        return dl_error(ctx, DLINE_ENOMEM, d->path, 0, 0, "record %ld: out of memory", rec);
    for (size_t j = 0; j < d->nfields; j++)
        if (values[j].type == DL_VAL_STRING || values[j].type == DL_VAL_DATE)
            values[j].s = d->strbuf + d->soff[j];
    return DLINE_OK;
}
