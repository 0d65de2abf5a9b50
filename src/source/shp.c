/* Shapefile geometry: .shp/.shx checks done before shapelib sees a byte, an
 * in-memory .shx when it is missing, the shapelib I/O and error hooks, and
 * the streaming feature cursor. */
#include "source_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The validated record index of one .shp: the .shx as read and checked, or
 * rebuilt in memory; 100 + 8 * nrecords bytes, so it grows with the data.
 * Built by the first open of a file and shared by later opens of the same
 * file that are handed that open's source (a PNG's bands use the caller's
 * run's); never written once built, so readers on other threads need no
 * lock, and freed with its last user. */
typedef struct {
    atomic_long refs;
    unsigned char header[100]; /* the .shp's header it was built against */
    unsigned char *shx;
    size_t shx_size;
    long nrecords;
} shp_index;

struct dl_shp {
    char *path; /* the .shp, as given (or with .shp added); used in messages */
    char *base; /* path without the extension: sidecars are base + ".ext" */
    char *shx_path;
    int upper;  /* the .shp's extension is upper case, so try .SHX etc. first */
    FILE *fp;
    unsigned long size; /* the .shp's length as its header gives it (<= real) */
    int shape_type;
    dl_geom_type geom_type;
    dl_bbox bounds;
    long nrecords;
    unsigned char header[100];
    shp_index *index;         /* own or shared; released by dl_shp_free */
    const unsigned char *shx; /* index->shx */
    /* What shapelib is opened on instead: the index's header and at most
     * one record, which read_record points at each record in turn, so
     * shapelib keeps no offset table of its own (open_shapelib). */
    unsigned char shx1[108];
    dl_memfile shp_mem, shx_mem;
    SHPHandle h;
    char *prj;
    char *prj_path;
    dl_dbf *dbf;

    long next, nnull;
    long nread; /* records read from the file since the rewind */
    /* The view (dl_shp_set_view): records outside it are skipped; with a
     * .qix, cand lists the only records to read. */
    int has_view;
    dl_bbox view;
    int qix_state;         /* 0 not looked for, 1 read, -1 none or ignored */
    unsigned char *qix;    /* the .qix's bytes */
    size_t qix_size;
    long *cand;
    size_t ncand, icand;
    int use_cand;
    unsigned char *rec; /* the current record's bytes, reused */
    size_t rec_cap;
    dl_feature feature;
    dline_status failed; /* a bad record ends the read; later calls repeat it */
    char failmsg[DL_MSG_MAX];
    char errbuf[256];
};

/* SAHooks carries no user pointer, so the open calls learn which in-memory
 * files to serve, and every call learns where to put shapelib's error text,
 * through per-thread state set just for the duration of one call. This is
 * the one place the house accepts per-thread state: the alternative is
 * letting shapelib open files by name and print to stderr. */
static _Thread_local const dl_handoff *tl_handoff;
static _Thread_local char *tl_errbuf;
static _Thread_local size_t tl_errsize;

static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb || !ca)
            return ca - cb;
    }
}

static SAFile hook_open(const char *name, const char *access)
{
    /* Only reads are served; shapelib asks for "rb" (and "r" for .cpg). */
    if (!tl_handoff || !name || !access || access[0] != 'r' || strchr(access, '+'))
        return NULL;
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < 2; i++) {
        if (tl_handoff->ext[i] && tl_handoff->file[i]
            && ascii_casecmp(dot + 1, tl_handoff->ext[i]) == 0) {
            tl_handoff->file[i]->pos = 0;
            return (SAFile)(void *)tl_handoff->file[i];
        }
    }
    return NULL;
}

static SAOffset hook_read(void *p, SAOffset size, SAOffset nmemb, SAFile file)
{
    dl_memfile *m = (dl_memfile *)(void *)file;
    if (!m || size == 0 || nmemb == 0 || nmemb > ULONG_MAX / size)
        return 0;
    unsigned long want = size * nmemb, avail = 0;
    const unsigned char *src = NULL;
    if (m->pos < m->head_size) {
        src = m->head + m->pos;
        avail = m->head_size - m->pos;
    } else if (m->win && m->pos >= m->win_offset && m->pos - m->win_offset < m->win_size) {
        src = m->win + (m->pos - m->win_offset);
        avail = m->win_size - (m->pos - m->win_offset);
    }
    if (!src)
        return 0;
    if (avail > want)
        avail = want;
    unsigned long items = avail / size;
    memcpy(p, src, items * size);
    m->pos += items * size;
    return items;
}

static SAOffset hook_write(void *p, SAOffset size, SAOffset nmemb, SAFile file)
{
    return 0; /* input files are never written */
}

static SAOffset hook_seek(SAFile file, SAOffset offset, int whence)
{
    dl_memfile *m = (dl_memfile *)(void *)file;
    if (whence == SEEK_SET)
        m->pos = offset;
    else if (whence == SEEK_CUR)
        m->pos += offset;
    else if (whence == SEEK_END)
        m->pos = m->size + offset;
    else
        return (SAOffset)-1;
    return 0;
}

static SAOffset hook_tell(SAFile file)
{
    return ((dl_memfile *)(void *)file)->pos;
}

static int hook_flush(SAFile file)
{
    return 0;
}

static int hook_close(SAFile file)
{
    return 0; /* memfiles belong to the source, not to shapelib */
}

static int hook_remove(const char *name)
{
    return -1;
}

static void hook_error(const char *message)
{
    /* Captured instead of printed; the first message explains the failure. */
    if (tl_errbuf && tl_errsize && !tl_errbuf[0] && message)
        snprintf(tl_errbuf, tl_errsize, "%s", message);
}

void dl_source_hooks_init(SAHooks *hooks)
{
    SASetupDefaultHooks(hooks);
    hooks->FOpen = hook_open;
    hooks->FRead = hook_read;
    hooks->FWrite = hook_write;
    hooks->FSeek = hook_seek;
    hooks->FTell = hook_tell;
    hooks->FFlush = hook_flush;
    hooks->FClose = hook_close;
    hooks->Remove = hook_remove;
    hooks->Error = hook_error;
}

void dl_source_shapelib_begin(const dl_handoff *handoff, char *errbuf, size_t size)
{
    tl_handoff = handoff;
    tl_errbuf = errbuf;
    tl_errsize = size;
    if (errbuf && size)
        errbuf[0] = '\0';
}

void dl_source_shapelib_end(void)
{
    tl_handoff = NULL;
    tl_errbuf = NULL;
    tl_errsize = 0;
}

double dl_le_double(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

dline_status dl_source_sidecar_optional(dline_ctx *ctx, const char *base, const char *ext,
                                        int upper_first, char **path, FILE **fp)
{
    int err = 0;
    *fp = dl_source_sidecar_open(base, ext, upper_first, path, &err);
    if (*fp)
        return DLINE_OK;
    if (!*path)
        return dl_error(ctx, DLINE_ENOMEM, base, 0, 0, "out of memory");
    if (err != ENOENT)
        return dl_error(ctx, DLINE_EIO, *path, 0, 0, "cannot open: %s", strerror(err));
    return DLINE_OK;
}

FILE *dl_source_sidecar_open(const char *base, const char *ext, int upper_first, char **path,
                             int *err)
{
    if (path)
        *path = NULL;
    size_t n = strlen(base) + strlen(ext) + 2;
    char *lower = malloc(n), *upper = malloc(n);
    if (!lower || !upper) {
        free(lower);
        free(upper);
        *err = ENOMEM;
        return NULL;
    }
    snprintf(lower, n, "%s.%s", base, ext);
    memcpy(upper, lower, n);
    for (char *p = upper + strlen(base); *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p -= 'a' - 'A';
    char *first = upper_first ? upper : lower, *second = upper_first ? lower : upper;
    FILE *fp = fopen(first, "rb");
    int e = errno;
    if (!fp) {
        fp = fopen(second, "rb");
        if (fp) {
            char *t = first;
            first = second;
            second = t;
        }
    }
    if (!fp)
        *err = e;
    if (path)
        *path = first;
    else
        free(first);
    free(second);
    return fp;
}

const char *dl_source_printable(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    if (!size)
        return buf;
    for (; s && *s && i + 1 < size; s++)
        buf[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    buf[i] = '\0';
    return buf;
}

static const char *type_name(int t)
{
    switch (t) {
    case SHPT_NULL: return "Null";
    case SHPT_POINT: return "Point";
    case SHPT_ARC: return "PolyLine";
    case SHPT_POLYGON: return "Polygon";
    case SHPT_MULTIPOINT: return "MultiPoint";
    case SHPT_POINTZ: return "PointZ";
    case SHPT_ARCZ: return "PolyLineZ";
    case SHPT_POLYGONZ: return "PolygonZ";
    case SHPT_MULTIPOINTZ: return "MultiPointZ";
    case SHPT_POINTM: return "PointM";
    case SHPT_ARCM: return "PolyLineM";
    case SHPT_POLYGONM: return "PolygonM";
    case SHPT_MULTIPOINTM: return "MultiPointM";
    case SHPT_MULTIPATCH: return "MultiPatch";
    }
    return NULL;
}

/* The 2D base type: 1 point, 3 line, 5 polygon, 8 multipoint, 0 null. */
static int base_type(int t)
{
    return t == SHPT_MULTIPATCH ? t : t % 10;
}

static int has_z(int t)
{
    return t >= 11 && t <= 18;
}

static dl_geom_type geom_type_of(int t)
{
    switch (base_type(t)) {
    case SHPT_POINT:
    case SHPT_MULTIPOINT: return DL_GEOM_POINT;
    case SHPT_ARC: return DL_GEOM_LINE;
    case SHPT_POLYGON: return DL_GEOM_POLYGON;
    }
    return DL_GEOM_NONE;
}

static dline_status read_at(FILE *fp, unsigned long offset, void *buf, size_t n)
{
    if (offset > LONG_MAX || fseek(fp, (long)offset, SEEK_SET) != 0)
        return DLINE_EIO;
    return fread(buf, 1, n, fp) == n ? DLINE_OK : DLINE_EIO;
}

dline_status dl_source_file_size(FILE *fp, long *size)
{
    if (fseek(fp, 0, SEEK_END) != 0)
        return DLINE_EIO;
    *size = ftell(fp);
    if (*size < 0)
        return DLINE_EIO;
    /* A folder opens and "seeks" fine on Linux (reporting a huge size) but
     * cannot be read: find out now rather than report nonsense sizes. */
    unsigned char byte;
    if (*size > 0 && (fseek(fp, 0, SEEK_SET) != 0 || fread(&byte, 1, 1, fp) != 1))
        return DLINE_EIO;
    return DLINE_OK;
}

/* Checks the 100-byte header common to .shp and .shx. */
static dline_status check_header(dline_ctx *ctx, const char *path, const unsigned char *h,
                                 long real_size, long long *declared, int *type)
{
    int32_t code = dl_be32(h), version = dl_le32(h + 28);
    if (code != 9994)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "not a shapefile: file code %ld, expected 9994", (long)code);
    if (version != 1000)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0, "unsupported version %ld, expected 1000",
                        (long)version);
    *declared = (long long)dl_be32(h + 24) * 2;
    if (*declared < 100 || *declared > real_size)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "header gives a file length of %lld bytes, but the file has %ld",
                        *declared, real_size);
    *type = (int)dl_le32(h + 32);
    if (*type == SHPT_MULTIPATCH)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0, "unsupported shape type MultiPatch");
    if (!type_name(*type))
        return dl_error(ctx, DLINE_EDATA, path, 0, 0, "unknown shape type %d", *type);
    return DLINE_OK;
}

/* A record's byte range in the .shp, for the overlap check. */
typedef struct {
    long long off, end;
    long i;
} shx_span;

static int span_cmp(const void *a, const void *b)
{
    const shx_span *x = a, *y = b;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The .shx's records must not share bytes: two entries pointing into the
 * same record would make one record many features (a file of one huge
 * record listed a million times). Records in file order are checked as the
 * index is read; only an index out of order comes here to be sorted. */
static dline_status check_overlaps(dline_ctx *ctx, const dl_shp *src, const char *path,
                                   const unsigned char *shx, long n)
{
    shx_span *s = dl_realloc_array(NULL, (size_t)n, sizeof *s);
    if (!s)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory for the index");
    for (long i = 0; i < n; i++) {
        const unsigned char *e = shx + 100 + 8 * i;
        s[i].off = (long long)dl_be32(e) * 2;
        s[i].end = s[i].off + 8 + (long long)dl_be32(e + 4) * 2;
        s[i].i = i;
    }
    qsort(s, (size_t)n, sizeof *s, span_cmp);
    dline_status st = DLINE_OK;
    for (long k = 1; k < n && st == DLINE_OK; k++)
        if (s[k].off < s[k - 1].end) {
            /* When the first record's own header gives a shorter length,
             * the .shx lies about that length: say so, as reading would. */
            unsigned char rh[8];
            long long own, len = s[k - 1].end - s[k - 1].off - 8;
            if (read_at(src->fp, (unsigned long)s[k - 1].off, rh, 8) == DLINE_OK &&
                (own = (long long)dl_be32(rh + 4) * 2) != len) {
                st = dl_error(ctx, DLINE_EDATA, src->path, 0, 0,
                              "record %ld: content length %lld differs from the .shx's %lld",
                              s[k - 1].i, own, len);
                break;
            }
            long a = s[k - 1].i < s[k].i ? s[k - 1].i : s[k].i;
            long b = s[k - 1].i < s[k].i ? s[k].i : s[k - 1].i;
            st = dl_error(ctx, DLINE_EDATA, path, 0, 0,
                          "record %ld: bytes %lld to %lld overlap record %ld", b,
                          b == s[k].i ? s[k].off : s[k - 1].off,
                          b == s[k].i ? s[k].end : s[k - 1].end, a);
        }
    free(s);
    return st;
}

static dline_status load_shx(dline_ctx *ctx, dl_shp *src, FILE *fp)
{
    shp_index *ix = src->index;
    const char *path = src->shx_path;
    long size;
    if (dl_source_file_size(fp, &size) != DLINE_OK)
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "could not be read");
    if (size < 100)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "file too short for a shapefile header (%ld bytes, need 100)", size);
    if ((size - 100) % 8 != 0)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "size %ld is not 100 bytes plus 8 per record", size);
    long n = (size - 100) / 8;
    if (n > DL_SHP_MAX_RECORDS)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0, "%ld records, over the limit of %ld", n,
                        DL_SHP_MAX_RECORDS);
    ix->shx = malloc((size_t)size);
    if (!ix->shx)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory for the index");
    ix->shx_size = (size_t)size;
    if (read_at(fp, 0, ix->shx, (size_t)size) != DLINE_OK)
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "could not be read");

    long long declared;
    int type;
    dline_status st = check_header(ctx, path, ix->shx, size, &declared, &type);
    if (st)
        return st;
    if (declared != size)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                        "header gives a file length of %lld bytes, but the file has %ld",
                        declared, size);
    if (type != src->shape_type)
        return dl_error(ctx, DLINE_EDATA, path, 0, 0, "shape type %s differs from the .shp's %s",
                        type_name(type), type_name(src->shape_type));
    int ordered = 1;
    long long prev_end = 100;
    for (long i = 0; i < n; i++) {
        const unsigned char *e = ix->shx + 100 + 8 * i;
        long long off = (long long)dl_be32(e) * 2, len = (long long)dl_be32(e + 4) * 2;
        if (off < 0 || len < 0)
            return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                            "record %ld: negative offset %lld or length %lld", i, off, len);
        if (off < 100)
            return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                            "record %ld: offset %lld overlaps the .shp header", i, off);
        if (off + 8 + len > (long long)src->size)
            return dl_error(ctx, DLINE_EDATA, path, 0, 0,
                            "record %ld: offset %lld and length %lld lie past the end of the "
                            ".shp (%lu bytes)",
                            i, off, len, src->size);
        if (off < prev_end)
            ordered = 0;
        prev_end = off + 8 + len;
    }
    if (!ordered && (st = check_overlaps(ctx, src, path, ix->shx, n)) != DLINE_OK)
        return st;
    ix->nrecords = n;
    return DLINE_OK;
}

/* A missing .shx is rebuilt in memory by walking the .shp's record headers;
 * shapelib's SHPRestoreSHX would write a .shx beside the input instead. */
static dline_status rebuild_shx(dline_ctx *ctx, dl_shp *src)
{
    shp_index *ix = src->index;
    size_t cap = 100 + 8 * 64;
    ix->shx = malloc(cap);
    if (!ix->shx)
        return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0, "out of memory for the index");
    memcpy(ix->shx, src->header, 100);
    unsigned long off = 100;
    long n = 0;
    while (off < src->size) {
        unsigned char rh[8];
        if (src->size - off < 8)
            return dl_error(ctx, DLINE_EDATA, src->path, 0, 0,
                            "record %ld: record header cut off at the end of the file", n);
        if (read_at(src->fp, off, rh, 8) != DLINE_OK)
            return dl_error(ctx, DLINE_EIO, src->path, 0, 0, "record %ld: could not be read", n);
        long long len = (long long)dl_be32(rh + 4) * 2;
        if (len < 0)
            return dl_error(ctx, DLINE_EDATA, src->path, 0, 0,
                            "record %ld: negative content length %lld", n, len);
        if ((long long)off + 8 + len > (long long)src->size)
            return dl_error(ctx, DLINE_EDATA, src->path, 0, 0,
                            "record %ld: content length %lld lies past the end of the file "
                            "(%lu bytes)",
                            n, len, src->size);
        if (n >= DL_SHP_MAX_RECORDS)
            return dl_error(ctx, DLINE_EDATA, src->path, 0, 0, "over %ld records",
                            DL_SHP_MAX_RECORDS);
        size_t need = 100 + 8 * (size_t)(n + 1);
        if (need > cap) {
            cap *= 2;
            unsigned char *p = realloc(ix->shx, cap);
            if (!p)
                return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0,
                                "out of memory for the index");
            ix->shx = p;
        }
        unsigned char *e = ix->shx + 100 + 8 * n;
        uint32_t words = (uint32_t)(off / 2);
        e[0] = (unsigned char)(words >> 24);
        e[1] = (unsigned char)(words >> 16);
        e[2] = (unsigned char)(words >> 8);
        e[3] = (unsigned char)words;
        memcpy(e + 4, rh + 4, 4);
        off += 8 + (unsigned long)len;
        n++;
    }
    ix->shx_size = 100 + 8 * (size_t)n;
    uint32_t words = (uint32_t)(ix->shx_size / 2);
    ix->shx[24] = (unsigned char)(words >> 24);
    ix->shx[25] = (unsigned char)(words >> 16);
    ix->shx[26] = (unsigned char)(words >> 8);
    ix->shx[27] = (unsigned char)words;
    ix->nrecords = n;
    return DLINE_OK;
}

static void index_release(shp_index *ix)
{
    if (ix && atomic_fetch_sub_explicit(&ix->refs, 1, memory_order_acq_rel) == 1) {
        free(ix->shx);
        free(ix);
    }
}

/* The record index: share's when it was built for the same .shp (same
 * path, same header, so the same declared size its offsets were checked
 * against), else read from the .shx or rebuilt and checked here. */
static dline_status open_index(dline_ctx *ctx, dl_shp *src, const dl_shp *share)
{
    if (share && share->index && strcmp(share->path, src->path) == 0 &&
        memcmp(share->index->header, src->header, 100) == 0) {
        src->index = share->index;
        atomic_fetch_add_explicit(&src->index->refs, 1, memory_order_relaxed);
    } else {
        src->index = calloc(1, sizeof *src->index);
        if (!src->index)
            return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0, "out of memory for the index");
        atomic_init(&src->index->refs, 1);
        memcpy(src->index->header, src->header, 100);
        int err = 0;
        FILE *shx = dl_source_sidecar_open(src->base, "shx", src->upper, &src->shx_path, &err);
        if (!src->shx_path)
            return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0, "out of memory");
        dline_status st;
        if (shx) {
            st = load_shx(ctx, src, shx);
            fclose(shx);
        } else if (err == ENOENT) {
            st = rebuild_shx(ctx, src);
        } else {
            st = dl_error(ctx, DLINE_EIO, src->shx_path, 0, 0, "cannot open: %s",
                          strerror(err));
        }
        if (st)
            return st;
    }
    src->shx = src->index->shx;
    src->nrecords = src->index->nrecords;
    return DLINE_OK;
}

/* shapelib's SHPOpenLL copies a whole .shx into offset and size tables of
 * its own (8 bytes a record, per handle). It is given instead the index's
 * header and only its first record (none for an empty file): read_record
 * checks each record against dline's index, then points that one entry at
 * it, through SHPInfo's public fields, before SHPReadObject parses it. */
static dline_status open_shapelib(dline_ctx *ctx, dl_shp *src)
{
    long n1 = src->nrecords > 0 ? 1 : 0;
    size_t size1 = 100 + 8 * (size_t)n1;
    memcpy(src->shx1, src->shx, size1);
    src->shx1[24] = 0;
    src->shx1[25] = 0;
    src->shx1[26] = (unsigned char)(size1 / 2 >> 8);
    src->shx1[27] = (unsigned char)(size1 / 2);
    src->shp_mem.head = src->header;
    src->shp_mem.head_size = 100;
    src->shp_mem.size = src->size;
    src->shx_mem.head = src->shx1;
    src->shx_mem.head_size = size1;
    src->shx_mem.size = size1;
    dl_handoff handoff = {{"shp", "shx"}, {&src->shp_mem, &src->shx_mem}};
    SAHooks hooks;
    dl_source_hooks_init(&hooks);
    dl_source_shapelib_begin(&handoff, src->errbuf, sizeof src->errbuf);
    src->h = SHPOpenLL(src->path, "rb", &hooks);
    dl_source_shapelib_end();
    if (!src->h)
        return dl_error(ctx, DLINE_EDATA, src->path, 0, 0, "shapelib could not open it: %s",
                        src->errbuf[0] ? src->errbuf : "no reason given");
    int n, type;
    SHPGetInfo(src->h, &n, &type, NULL, NULL);
    if (n != n1 || type != src->shape_type)
        return dl_error(ctx, DLINE_EDATA, src->path, 0, 0,
                        "shapelib reads %d records of type %d, we gave it %ld of type %d", n,
                        type, n1, src->shape_type);
    /* Shapelib then reuses one object for every read instead of allocating. */
    SHPSetFastModeReadObject(src->h, 1);
    return DLINE_OK;
}

static dline_status open_all(dline_ctx *ctx, dl_shp *src, const char *path,
                             const char *encoding, const dl_shp *share)
{
    size_t len = strlen(path);
    int err = 0;
    if (len > 4 && path[len - 4] == '.' && ascii_casecmp(path + len - 3, "shp") == 0) {
        src->path = dl_strdup(path);
        src->base = dl_strdup(path);
        if (!src->path || !src->base)
            return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
        src->base[len - 4] = '\0';
        src->upper = path[len - 3] == 'S';
        src->fp = fopen(path, "rb");
        err = errno;
    } else {
        src->base = dl_strdup(path);
        if (!src->base)
            return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
        src->fp = dl_source_sidecar_open(src->base, "shp", 0, &src->path, &err);
        if (!src->path)
            return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
        src->upper = src->path[strlen(src->path) - 1] == 'P';
    }
    if (!src->fp)
        return dl_error(ctx, DLINE_EIO, src->path, 0, 0, "cannot open: %s", strerror(err));

    long size;
    if (dl_source_file_size(src->fp, &size) != DLINE_OK)
        return dl_error(ctx, DLINE_EIO, src->path, 0, 0, "could not be read");
    if (size < 100)
        return dl_error(ctx, DLINE_EDATA, src->path, 0, 0,
                        "file too short for a shapefile header (%ld bytes, need 100)", size);
    if (read_at(src->fp, 0, src->header, 100) != DLINE_OK)
        return dl_error(ctx, DLINE_EIO, src->path, 0, 0, "could not be read");
    long long declared;
    dline_status st = check_header(ctx, src->path, src->header, size, &declared,
                                   &src->shape_type);
    if (st)
        return st;
    /* Bytes past the length the header gives are ignored, as shapelib does. */
    src->size = (unsigned long)declared;
    src->geom_type = geom_type_of(src->shape_type);
    dl_bbox b = {dl_le_double(src->header + 36), dl_le_double(src->header + 44),
                 dl_le_double(src->header + 52), dl_le_double(src->header + 60)};
    src->bounds = isfinite(b.xmin) && isfinite(b.ymin) && isfinite(b.xmax) && isfinite(b.ymax)
                          && !dl_bbox_is_empty(b)
                      ? b
                      : dl_bbox_empty();

    st = open_index(ctx, src, share);
    if (st)
        return st;

    st = dl_source_prj_read(ctx, src->base, src->upper, &src->prj, &src->prj_path);
    if (st)
        return st;
    st = dl_source_dbf_open(ctx, src->base, src->upper, src->path, encoding, &src->dbf);
    if (st)
        return st;
    if (src->dbf && src->dbf->nrecords != src->nrecords)
        return dl_error(ctx, DLINE_EDATA, src->dbf->path, 0, 0, "%ld records, but the .shp has %ld",
                        src->dbf->nrecords, src->nrecords);

    st = open_shapelib(ctx, src);
    if (st)
        return st;
    dl_geom_init(&src->feature.geom);
    size_t nf = src->dbf ? src->dbf->nfields : 0;
    src->feature.nvalues = nf;
    src->feature.values = dl_calloc_array(nf, sizeof(dl_value));
    if (!src->feature.values || dl_geom_reserve(&src->feature.geom, 16, 1) != 0)
        return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0, "out of memory");
    return DLINE_OK;
}

dline_status dl_shp_open(dline_ctx *ctx, const char *path, const char *encoding,
                         const dl_shp *share, dl_shp **out)
{
    *out = NULL;
    if (!path || !*path)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "no shapefile path given");
    dl_shp *src = calloc(1, sizeof *src);
    if (!src)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    dl_geom_init(&src->feature.geom);
    dline_status st = open_all(ctx, src, path, encoding, share);
    if (st) {
        dl_shp_free(src);
        return st;
    }
    *out = src;
    return DLINE_OK;
}

void dl_shp_free(dl_shp *src)
{
    if (src) {
        free(src->qix);
        free(src->cand);
    }
    if (!src)
        return;
    if (src->h) {
        dl_source_shapelib_begin(NULL, src->errbuf, sizeof src->errbuf);
        SHPClose(src->h);
        dl_source_shapelib_end();
    }
    dl_source_dbf_free(src->dbf);
    if (src->fp)
        fclose(src->fp);
    free(src->path);
    free(src->base);
    free(src->shx_path);
    index_release(src->index);
    free(src->prj);
    free(src->prj_path);
    free(src->rec);
    dl_geom_clear(&src->feature.geom);
    free(src->feature.values);
    free(src);
}

const char *dl_shp_path(const dl_shp *src)
{
    return src->path;
}

dl_geom_type dl_shp_geom_type(const dl_shp *src)
{
    return src->geom_type;
}

const char *dl_shp_shape_type_name(const dl_shp *src)
{
    return type_name(src->shape_type);
}

long dl_shp_record_count(const dl_shp *src)
{
    return src->nrecords;
}

dl_bbox dl_shp_bounds(const dl_shp *src)
{
    return src->bounds;
}

const char *dl_shp_prj(const dl_shp *src)
{
    return src->prj;
}

const char *dl_shp_prj_path(const dl_shp *src)
{
    return src->prj_path;
}

const char *dl_shp_dbf_path(const dl_shp *src)
{
    return src->dbf ? src->dbf->path : NULL;
}

const char *dl_shp_encoding(const dl_shp *src)
{
    return src->dbf ? src->dbf->encoding : "UTF-8";
}

const char *dl_shp_encoding_origin(const dl_shp *src)
{
    return src->dbf ? src->dbf->origin : "default";
}

size_t dl_shp_field_count(const dl_shp *src)
{
    return src->dbf ? src->dbf->nfields : 0;
}

const dl_field *dl_shp_field(const dl_shp *src, size_t i)
{
    return src->dbf && i < src->dbf->nfields ? &src->dbf->fields[i] : NULL;
}

long dl_shp_field_index(const dl_shp *src, const char *name)
{
    for (size_t i = 0; src->dbf && name && i < src->dbf->nfields; i++)
        if (ascii_casecmp(src->dbf->fields[i].name, name) == 0)
            return (long)i;
    return -1;
}

long dl_shp_null_count(const dl_shp *src)
{
    return src->nnull;
}

static dline_status rec_error(dline_ctx *ctx, dl_shp *src, dline_status st, long i,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static dline_status rec_error(dline_ctx *ctx, dl_shp *src, dline_status st, long i,
                              const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return dl_error(ctx, st, src->path, 0, 0, "record %ld: %s", i, reason);
}

/* Checks that every vertex's x and y are finite: NaN and infinities would
 * poison bounding boxes, projections and Cairo paths further down. Z and M
 * are not drawn, so they are not checked. */
static dline_status check_xy(dline_ctx *ctx, dl_shp *src, long i, const unsigned char *p,
                             long n)
{
    for (long k = 0; k < n; k++) {
        double x = dl_le_double(p + 16 * k), y = dl_le_double(p + 16 * k + 8);
        if (isnan(x) || isnan(y))
            return rec_error(ctx, src, DLINE_EDATA, i, "point %ld has a NaN coordinate", k);
        if (isinf(x) || isinf(y))
            return rec_error(ctx, src, DLINE_EDATA, i, "point %ld has an infinite coordinate", k);
    }
    return DLINE_OK;
}

/* Validates record i (its bytes in src->rec, content after the 8-byte
 * header) so that shapelib can parse it without trusting any count in it.
 * *npoints = 0 for a null or empty shape. */
static dline_status check_record(dline_ctx *ctx, dl_shp *src, long i, long long len,
                                 long *npoints, long *nparts)
{
    const unsigned char *c = src->rec + 8;
    *npoints = *nparts = 0;
    if (len < 4)
        return rec_error(ctx, src, DLINE_EDATA, i, "%lld bytes are too few for a shape type",
                         len);
    int type = (int)dl_le32(c);
    if (type == SHPT_NULL)
        return DLINE_OK;
    if (type != src->shape_type) {
        if (type_name(type))
            return rec_error(ctx, src, DLINE_EDATA, i, "shape type %s does not match the file's %s",
                             type_name(type), type_name(src->shape_type));
        return rec_error(ctx, src, DLINE_EDATA, i, "unknown shape type %d", type);
    }
    long long need;
    switch (base_type(type)) {
    case SHPT_POINT:
        need = has_z(type) ? 28 : 20;
        if (len < need)
            return rec_error(ctx, src, DLINE_EDATA, i, "%lld bytes are too few for a %s", len,
                             type_name(type));
        *npoints = *nparts = 1;
        return check_xy(ctx, src, i, c + 4, 1);
    case SHPT_MULTIPOINT: {
        if (len < 40)
            return rec_error(ctx, src, DLINE_EDATA, i, "%lld bytes are too few for a %s", len,
                             type_name(type));
        int32_t np = dl_le32(c + 36);
        if (np < 0)
            return rec_error(ctx, src, DLINE_EDATA, i, "negative point count %ld", (long)np);
        if (np > DL_SHP_MAX_POINTS)
            return rec_error(ctx, src, DLINE_EDATA, i, "point count %ld over the limit of %ld",
                             (long)np, DL_SHP_MAX_POINTS);
        /* Z values are required in the Z types (shapelib reads them); M
         * values are optional everywhere. Counts are capped, so no overflow. */
        need = 40 + 16LL * np + (has_z(type) ? 16 + 8LL * np : 0);
        if (need > len)
            return rec_error(ctx, src, DLINE_EDATA, i,
                             "%ld point%s need%s %lld bytes, the record has %lld", (long)np,
                             np == 1 ? "" : "s", np == 1 ? "s" : "", need, len);
        *npoints = np;
        *nparts = np ? 1 : 0;
        return check_xy(ctx, src, i, c + 40, np);
    }
    default: { /* PolyLine and Polygon */
        if (len < 44)
            return rec_error(ctx, src, DLINE_EDATA, i, "%lld bytes are too few for a %s", len,
                             type_name(type));
        int32_t nparts32 = dl_le32(c + 36), np = dl_le32(c + 40);
        if (nparts32 < 0)
            return rec_error(ctx, src, DLINE_EDATA, i, "negative part count %ld",
                             (long)nparts32);
        if (np < 0)
            return rec_error(ctx, src, DLINE_EDATA, i, "negative point count %ld", (long)np);
        if (nparts32 > DL_SHP_MAX_PARTS)
            return rec_error(ctx, src, DLINE_EDATA, i, "part count %ld over the limit of %ld",
                             (long)nparts32, DL_SHP_MAX_PARTS);
        if (np > DL_SHP_MAX_POINTS)
            return rec_error(ctx, src, DLINE_EDATA, i, "point count %ld over the limit of %ld",
                             (long)np, DL_SHP_MAX_POINTS);
        need = 44 + 4LL * nparts32 + 16LL * np + (has_z(type) ? 16 + 8LL * np : 0);
        if (need > len)
            return rec_error(ctx, src, DLINE_EDATA, i,
                             "%ld part%s and %ld point%s need %lld bytes, the record has %lld",
                             (long)nparts32, nparts32 == 1 ? "" : "s", (long)np,
                             np == 1 ? "" : "s", need, len);
        if (np == 0 && nparts32 == 0)
            return DLINE_OK;
        if (nparts32 == 0)
            return rec_error(ctx, src, DLINE_EDATA, i, "%ld points but no parts", (long)np);
        const unsigned char *parts = c + 44;
        int32_t prev = 0;
        for (int32_t k = 0; k < nparts32; k++) {
            int32_t s = dl_le32(parts + 4 * k);
            if (k == 0 && s != 0)
                return rec_error(ctx, src, DLINE_EDATA, i, "part 0 starts at point %ld, not 0",
                                 (long)s);
            if (s < 0 || s >= np)
                return rec_error(ctx, src, DLINE_EDATA, i,
                                 "part %ld starts at point %ld, outside the %ld points", (long)k,
                                 (long)s, (long)np);
            if (s < prev)
                return rec_error(ctx, src, DLINE_EDATA, i,
                                 "part %ld starts at point %ld, before part %ld at point %ld",
                                 (long)k, (long)s, (long)k - 1, (long)prev);
            prev = s;
        }
        *npoints = np;
        *nparts = nparts32;
        return check_xy(ctx, src, i, parts + 4 * nparts32, np);
    }
    }
}

/* Copies shapelib's object into the feature geometry: x and y only, empty
 * parts dropped, polygon rings organised. */
static dline_status convert(dline_ctx *ctx, dl_shp *src, long i, const SHPObject *o,
                            long npoints, long nparts)
{
    dl_geom *g = &src->feature.geom;
    if (o->nVertices != npoints || (src->geom_type != DL_GEOM_POINT && o->nParts != nparts))
        return rec_error(ctx, src, DLINE_EDATA, i,
                         "shapelib read %d points in %d parts, we read %ld in %ld", o->nVertices,
                         o->nParts, npoints, nparts);
    size_t n = (size_t)npoints;
    size_t np = src->geom_type == DL_GEOM_POINT ? 1 : (size_t)nparts;
    if (dl_geom_reserve(g, n, np) != 0)
        return rec_error(ctx, src, DLINE_ENOMEM, i, "out of memory for %zu points", n);
    g->type = src->geom_type;
    g->npoints = n;
    for (size_t k = 0; k < n; k++) {
        g->xy[2 * k] = o->padfX[k];
        g->xy[2 * k + 1] = o->padfY[k];
    }
    g->nparts = 0;
    if (src->geom_type == DL_GEOM_POINT) {
        g->part_start[g->nparts++] = 0;
    } else {
        for (size_t k = 0; k < np; k++) {
            size_t s = (size_t)o->panPartStart[k];
            size_t e = k + 1 < np ? (size_t)o->panPartStart[k + 1] : n;
            if (e > s)
                g->part_start[g->nparts++] = s;
        }
    }
    g->part_start[g->nparts] = n;
    memset(g->hole, 0, g->nparts);
    if (g->type == DL_GEOM_POLYGON && dl_geom_organize_rings(g) != 0)
        return rec_error(ctx, src, DLINE_ENOMEM, i, "out of memory organising rings");
    return DLINE_OK;
}

/* Whether a record's bytes (header included) lie wholly outside the view:
 * its box, or its point, read before anything is parsed. A record too short
 * to hold them is left to check_record to report. */
static int outside_view(const dl_shp *src, const unsigned char *rec, size_t total)
{
    if (!src->has_view || total < 12)
        return 0;
    int type = dl_le32(rec + 8);
    const dl_bbox *v = &src->view;
    if (type == SHPT_POINT || type == SHPT_POINTZ || type == SHPT_POINTM) {
        if (total < 28)
            return 0;
        double x = dl_le_double(rec + 12), y = dl_le_double(rec + 20);
        return x < v->xmin || x > v->xmax || y < v->ymin || y > v->ymax;
    }
    if (type == SHPT_NULL || total < 44)
        return 0;
    double b[4];
    for (int k = 0; k < 4; k++)
        b[k] = dl_le_double(rec + 12 + 8 * k);
    return b[0] > v->xmax || b[2] < v->xmin || b[1] > v->ymax || b[3] < v->ymin;
}

/* Reads and checks record i and hands it to shapelib. *is_null when it is a
 * null (or empty) shape. */
static dline_status read_record(dline_ctx *ctx, dl_shp *src, long i, int *is_null,
                                int *outside)
{
    *outside = 0;
    const unsigned char *e = src->shx + 100 + 8 * i;
    unsigned long off = (unsigned long)dl_be32(e) * 2;
    long long len = (long long)dl_be32(e + 4) * 2;
    size_t total = (size_t)len + 8;
    *is_null = 0;
    if (total > src->rec_cap) {
        size_t cap = src->rec_cap ? src->rec_cap : 256;
        while (cap < total)
            cap = cap > SIZE_MAX / 2 ? total : cap * 2;
        unsigned char *p = realloc(src->rec, cap);
        if (!p)
            return rec_error(ctx, src, DLINE_ENOMEM, i, "out of memory for %zu bytes", total);
        src->rec = p;
        src->rec_cap = cap;
    }
    if (read_at(src->fp, off, src->rec, total) != DLINE_OK)
        return rec_error(ctx, src, DLINE_EIO, i, "could not be read");
    /* The record number field is not checked: writers get it wrong and
     * nothing depends on it. The length must agree, or the index lies. */
    long long own = (long long)dl_be32(src->rec + 4) * 2;
    if (own != len)
        return rec_error(ctx, src, DLINE_EDATA, i,
                         "content length %lld differs from the .shx's %lld", own, len);
    if (outside_view(src, src->rec, total)) {
        *outside = 1;
        return DLINE_OK;
    }
    long npoints, nparts;
    dline_status st = check_record(ctx, src, i, len, &npoints, &nparts);
    if (st)
        return st;
    if (npoints == 0) {
        *is_null = 1;
        return DLINE_OK;
    }

    if (len > INT_MAX / 2 - 4) /* shapelib's SHPOpenLL refuses longer records */
        return rec_error(ctx, src, DLINE_EDATA, i, "content length %lld is over shapelib's limit",
                         len);
    src->h->panRecOffset[0] = (unsigned int)off;
    src->h->panRecSize[0] = (unsigned int)len;
    src->shp_mem.win = src->rec;
    src->shp_mem.win_size = total;
    src->shp_mem.win_offset = off;
    dl_source_shapelib_begin(NULL, src->errbuf, sizeof src->errbuf);
    SHPObject *o = SHPReadObject(src->h, 0);
    dl_source_shapelib_end();
    src->shp_mem.win = NULL;
    if (!o)
        return rec_error(ctx, src, DLINE_EDATA, i, "shapelib could not read it: %s",
                         src->errbuf[0] ? src->errbuf : "no reason given");
    st = convert(ctx, src, i, o, npoints, nparts);
    SHPDestroyObject(o);
    return st;
}

static dline_status fail(dline_ctx *ctx, dl_shp *src, dline_status st)
{
    src->failed = st;
    snprintf(src->failmsg, sizeof src->failmsg, "%s", dline_ctx_message(ctx));
    return st;
}

dline_status dl_shp_next(dline_ctx *ctx, dl_shp *src, const dl_feature **feature)
{
    *feature = NULL;
    if (src->failed)
        return dl_error(ctx, src->failed, NULL, 0, 0, "%s", src->failmsg);
    for (;;) {
        long i;
        if (src->use_cand) {
            if (src->icand >= src->ncand)
                break;
            i = src->cand[src->icand++];
        } else {
            if (src->next >= src->nrecords)
                break;
            i = src->next++;
        }
        int is_null, outside;
        src->nread++;
        dline_status st = read_record(ctx, src, i, &is_null, &outside);
        if (st)
            return fail(ctx, src, st);
        if (outside)
            continue;
        if (is_null) {
            src->nnull++;
            continue;
        }
        if (src->dbf) {
            st = dl_source_dbf_read(ctx, src->dbf, i, src->feature.values);
            if (st)
                return fail(ctx, src, st);
        }
        src->feature.id = i;
        *feature = &src->feature;
        return DLINE_OK;
    }
    return DLINE_OK;
}

dline_status dl_shp_rewind(dline_ctx *ctx, dl_shp *src)
{
    src->next = 0;
    src->icand = 0;
    src->nread = 0;
    src->nnull = 0;
    src->failed = DLINE_OK;
    src->failmsg[0] = '\0';
    return DLINE_OK;
}

void dl_shp_set_view(dline_ctx *ctx, dl_shp *src, const dl_bbox *view)
{
    src->has_view = view != NULL;
    src->use_cand = 0;
    src->icand = 0;
    if (!view)
        return;
    src->view = *view;
    if (src->qix_state == 0) {
        /* Read once; searched again for each view. */
        src->qix_state = -1;
        char *qpath = NULL;
        FILE *fp = NULL;
        dline_ctx quiet = {0};
        if (dl_source_sidecar_optional(&quiet, src->base, "qix", src->upper, &qpath, &fp) ==
                DLINE_OK &&
            fp) {
            long size;
            if (dl_source_file_size(fp, &size) == DLINE_OK && size > 0 &&
                (unsigned long)size <= (1ul << 30) && fseek(fp, 0, SEEK_SET) == 0 &&
                (src->qix = malloc((size_t)size)) &&
                fread(src->qix, 1, (size_t)size, fp) == (size_t)size) {
                src->qix_size = (size_t)size;
                src->qix_state = 1;
            } else {
                free(src->qix);
                src->qix = NULL;
                dl_warn(ctx, qpath, 0, 0, "spatial index ignored: it cannot be read");
            }
            fclose(fp);
        }
        if (src->qix_state == 1) {
            /* Checked once over the whole file, so a bad index is told
             * about once and never half used. */
            dl_bbox all = {-INFINITY, -INFINITY, INFINITY, INFINITY};
            long *ids;
            size_t n;
            const char *why;
            if (dl_qix_search(src->qix, src->qix_size, src->nrecords, &all, &ids, &n, &why) != 0) {
                dl_warn(ctx, qpath, 0, 0, "spatial index ignored: %s; every record is read", why);
                src->qix_state = -1;
                free(src->qix);
                src->qix = NULL;
            } else {
                free(ids);
            }
        }
        free(qpath);
    }
    if (src->qix_state != 1)
        return;
    long *ids;
    size_t n;
    const char *why;
    if (dl_qix_search(src->qix, src->qix_size, src->nrecords, view, &ids, &n, &why) != 0)
        return; /* cannot happen after the check above, bar memory */
    free(src->cand);
    src->cand = ids;
    src->ncand = n;
    src->use_cand = 1;
}

dline_status dl_shp_write_index(dline_ctx *ctx, dl_shp *src, char **qix_path)
{
    *qix_path = NULL;
    size_t len = strlen(src->base);
    char *path = malloc(len + 5);
    if (!path)
        return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0, "out of memory");
    snprintf(path, len + 5, "%s%s", src->base, src->upper ? ".QIX" : ".qix");
    dl_bbox *boxes = dl_calloc_array((size_t)src->nrecords + 1, sizeof *boxes);
    if (!boxes) {
        free(path);
        return dl_error(ctx, DLINE_ENOMEM, src->path, 0, 0, "out of memory");
    }
    for (long i = 0; i < src->nrecords; i++)
        boxes[i] = dl_bbox_empty(); /* null shapes stay so: in no node */
    /* Every record read and checked as a render reads it: the index holds
     * boxes of shapes dline accepts. */
    int had_view = src->has_view;
    src->has_view = 0;
    src->use_cand = 0;
    dline_status st = dl_shp_rewind(ctx, src);
    const dl_feature *f;
    while (st == DLINE_OK && (st = dl_shp_next(ctx, src, &f)) == DLINE_OK && f) {
        dl_bbox b = dl_bbox_empty();
        for (size_t k = 0; k < f->geom.npoints; k++)
            dl_bbox_add(&b, f->geom.xy[2 * k], f->geom.xy[2 * k + 1]);
        boxes[f->id] = b;
    }
    src->has_view = had_view;
    if (st == DLINE_OK)
        st = dl_qix_write(ctx, path, boxes, src->nrecords, src->bounds);
    free(boxes);
    dl_shp_rewind(ctx, src);
    if (st != DLINE_OK) {
        free(path);
        return st;
    }
    *qix_path = path;
    return DLINE_OK;
}

long dl_shp_records_read(const dl_shp *src)
{
    return src->nread;
}
