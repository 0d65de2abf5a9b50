/* Private to src/source/: the kinds of source behind dl_source (source.c
 * dispatches on the kind), the shapelib I/O hooks that shp.c and dbf.c
 * share, the DBF reader, the small text sidecars (.prj, .cpg), and the text
 * sources (GeoJSON, CSV) with what they share (text.c). */
#ifndef DL_SOURCE_INT_H
#define DL_SOURCE_INT_H

#include <iconv.h>
#include <shapefil.h>
#include <stdint.h>
#include <stdio.h>

#include "source.h"

/* Caps on what a shapefile may claim. The record counts and part/point
 * counts are shapelib 1.5's own limits, so it never refuses what we accept. */
#define DL_SHP_MAX_RECORDS 256000000L
#define DL_SHP_MAX_PARTS 10000000L
#define DL_SHP_MAX_POINTS 50000000L
#define DL_PRJ_MAX 65536L
#define DL_CPG_MAX 64L

/* Caps on the text sources. Their whole file is held in memory (GeoJSON
 * features are parsed one at a time from it, each feature's json-c tree
 * freed before the next; CSV columns are typed by reading every row
 * first), so its size is capped. Bigger data belongs in a shapefile, which
 * is streamed from disk. */
#define DL_TEXT_MAX_BYTES (512L * 1024 * 1024)
#define DL_TEXT_MAX_FIELDS 10000L
#define DL_JSON_MAX_DEPTH 64

/* A read-only file image handed to shapelib through SAHooks, so shapelib
 * parses exactly the bytes we validated and never opens a file itself. It
 * has two regions: `head` (from offset 0) and `win` (win_size bytes from
 * win_offset, the current record). A read must fall wholly in one region. */
typedef struct {
    const unsigned char *head;
    size_t head_size;
    const unsigned char *win;
    size_t win_size;
    unsigned long win_offset;
    unsigned long size; /* the file's length, for SEEK_END */
    unsigned long pos;
} dl_memfile;

/* Which memfile the FOpen hook returns for a file shapelib asks for, by
 * extension (case-insensitive); other names "do not exist". */
typedef struct {
    const char *ext[2];
    dl_memfile *file[2];
} dl_handoff;

/* Fills hooks with the memfile I/O (no writes, no removes) and the error
 * capture. */
void dl_source_hooks_init(SAHooks *hooks);

/* Brackets every call into shapelib. During the call, shapelib's Error hook
 * writes into errbuf (the first message wins; errbuf[0] = '\0' on entry)
 * and, for the open calls only, FOpen serves the files of handoff (may be
 * NULL otherwise). Calls do not nest. */
void dl_source_shapelib_begin(const dl_handoff *handoff, char *errbuf, size_t size);
void dl_source_shapelib_end(void);

/* Opens BASE.ext (or BASE.EXT) read-only; upper_first tries the upper-case
 * extension first. Returns NULL when neither can be opened; then *err is the
 * errno of the first attempt. *path (when not NULL) receives the path that
 * was opened, or the first one tried; the caller frees it. */
FILE *dl_source_sidecar_open(const char *base, const char *ext, int upper_first, char **path,
                             int *err);

/* The same for an optional side file (.dbf, .prj, .cpg): a missing file is
 * not an error (*fp is NULL); any other failure to open it is, naming the
 * path. *path as above. */
dline_status dl_source_sidecar_optional(dline_ctx *ctx, const char *base, const char *ext,
                                        int upper_first, char **path, FILE **fp);

/* The size of an open file, checking that it can be read at all. */
dline_status dl_source_file_size(FILE *fp, long *size);

/* Reads the whole of fp (at most max bytes) as a NUL-terminated string,
 * trailing white space removed. Errors name path. On success *out is owned
 * by the caller (free()). */
dline_status dl_source_read_text(dline_ctx *ctx, FILE *fp, const char *path, long max,
                                 char **out);

/* BASE.prj as text, or *out = NULL when there is none; *path receives the
 * .prj's path when there is one (the caller frees both). */
dline_status dl_source_prj_read(dline_ctx *ctx, const char *base, int upper_first, char **out,
                                char **path);

/* Paths of the sidecars in use, for messages; NULL when absent. */
const char *dl_source_prj_path(const dl_source *src);
const char *dl_source_dbf_path(const dl_source *src);

/* Copies s into a message-safe form (printable ASCII, at most size-1
 * bytes): names from hostile files go into one-line messages. */
const char *dl_source_printable(const char *s, char *buf, size_t size);

/* Big- and little-endian reads from validated buffers (two's complement
 * without relying on implementation-defined conversions). */
static inline int32_t dl_be32(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return v <= INT32_MAX ? (int32_t)v : -(int32_t)~v - 1;
}
static inline int32_t dl_le32(const unsigned char *p)
{
    uint32_t v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    return v <= INT32_MAX ? (int32_t)v : -(int32_t)~v - 1;
}
double dl_le_double(const unsigned char *p);

/* How DBF strings become UTF-8. */
typedef enum {
    DL_ENC_UTF8,     /* declared UTF-8: invalid sequences become U+FFFD */
    DL_ENC_GUESS,    /* nothing declared: UTF-8 when valid, else Latin-1 */
    DL_ENC_ICONV     /* anything else, through iconv */
} dl_enc_mode;

/* An open, checked .dbf with its own shapelib handle. */
typedef struct {
    char *path;
    FILE *fp;
    DBFHandle h;
    dl_memfile mem;
    unsigned char *header;
    size_t header_len;
    unsigned char *rec;
    size_t reclen;
    long nrecords;
    size_t nfields;
    dl_field *fields;
    char *names;        /* the fields' names, 12 bytes each */
    char *encoding;     /* iconv name */
    const char *origin; /* "cpg", "ldid", "style", "default" */
    dl_enc_mode mode;
    iconv_t cd;
    size_t *soff;       /* per field: where its string starts in strbuf */
    char *strbuf;       /* converted strings of the current record */
    size_t strcap;
    char errbuf[256];
} dl_dbf;

/* Opens BASE.dbf and checks its header against its size (see source.h);
 * *out = NULL when there is no .dbf. shp_path names the source in errors
 * about the encoding override. */
dline_status dl_source_dbf_open(dline_ctx *ctx, const char *base, int upper_first,
                                const char *shp_path, const char *encoding, dl_dbf **out);
void dl_source_dbf_free(dl_dbf *dbf);
/* Reads record `rec` into values (dbf->nfields entries); strings point into
 * dbf->strbuf until the next call. */
dline_status dl_source_dbf_read(dline_ctx *ctx, dl_dbf *dbf, long rec, dl_value *values);

/* The shapefile source (shp.c): the functions of source.h for shapefiles. */
typedef struct dl_shp dl_shp;
/* share, when not NULL, is an open source on the same .shp whose record
 * index the new one uses instead of building its own (counted, so either
 * may be freed first; see shp_index). */
dline_status dl_shp_open(dline_ctx *ctx, const char *path, const char *encoding,
                         const dl_shp *share, dl_shp **out);
void dl_shp_free(dl_shp *src);
const char *dl_shp_path(const dl_shp *src);
dl_geom_type dl_shp_geom_type(const dl_shp *src);
const char *dl_shp_shape_type_name(const dl_shp *src);
long dl_shp_record_count(const dl_shp *src);
dl_bbox dl_shp_bounds(const dl_shp *src);
const char *dl_shp_prj(const dl_shp *src);
const char *dl_shp_prj_path(const dl_shp *src);
const char *dl_shp_dbf_path(const dl_shp *src);
const char *dl_shp_encoding(const dl_shp *src);
const char *dl_shp_encoding_origin(const dl_shp *src);
size_t dl_shp_field_count(const dl_shp *src);
const dl_field *dl_shp_field(const dl_shp *src, size_t i);
long dl_shp_field_index(const dl_shp *src, const char *name);
long dl_shp_null_count(const dl_shp *src);
dline_status dl_shp_next(dline_ctx *ctx, dl_shp *src, const dl_feature **feature);
dline_status dl_shp_rewind(dline_ctx *ctx, dl_shp *src);
/* Records outside view (in the shapefile's CRS) are skipped before they
 * are parsed, and with a .qix index beside the .shp only the records it
 * lists are read; NULL reads every record. A .qix that does not check out
 * is ignored with a warning. */
void dl_shp_set_view(dline_ctx *ctx, dl_shp *src, const dl_bbox *view);
long dl_shp_records_read(const dl_shp *src);
/* `dline index`: writes PATH.qix from the records' boxes. */
dline_status dl_shp_write_index(dline_ctx *ctx, dl_shp *src, char **qix_path);

/* qix.c: the ids of the records whose nodes meet view, ascending and
 * unique (free *ids), or -1 with *why when the file does not check out. */
int dl_qix_search(const unsigned char *data, size_t size, long nrecords, const dl_bbox *view,
                  long **ids, size_t *n, const char **why);
/* Writes a .qix of n record boxes (empty boxes for null shapes) through a
 * temporary file renamed over qix_path. */
dline_status dl_qix_write(dline_ctx *ctx, const char *qix_path, const dl_bbox *boxes, long n,
                          dl_bbox bounds);

/* Maps the spellings of encodings found in .cpg files and styles ("UTF8",
 * "936", "ANSI 1252", "cp936", "Latin-1", ...) to iconv names (dbf.c). */
void dl_source_encoding_normalize(const char *name, char *out, size_t size);

/* ASCII case-insensitive comparison, as strcmp. */
int dl_source_casecmp(const char *a, const char *b);

/* A GeoJSON or CSV source. Both read and check the whole file at open (so
 * every error is known before anything is drawn, with the feature index or
 * line), fill in the summary below, and then decode one feature per
 * dl_text_next into `feature`, reusing its memory (GeoJSON: parsed again
 * from its offset in data, its tree freed before the call returns). The kind-specific state
 * is `impl`, owned by geojson.c or csv.c. */
typedef struct {
    dl_source_kind kind;
    char *path;
    char *data;      /* the file's bytes (CSV: converted to UTF-8), NUL-terminated */
    size_t size;
    dl_field *fields; /* names owned here (text_field_free) */
    size_t nfields;
    size_t *hash;    /* open addressing: field index + 1, 0 = empty */
    size_t hash_cap;
    unsigned char *kinds; /* per field while typing: see text.c */
    unsigned geom_mask;   /* 1 << dl_geom_type for each type present */
    char type_name[128];
    long nrecords, nnull;
    dl_bbox bounds;
    char *encoding;
    const char *origin;   /* "rfc", "bom", "style", "default" */
    dl_feature feature;
    char *strbuf;         /* strings of the current feature */
    size_t strcap, strused;
    size_t *soff;         /* per field: offset in strbuf, or SIZE_MAX */
    void *impl;
} dl_text;

/* text.c: the shared parts. */
dl_text *dl_text_new(dl_source_kind kind, const char *path);
void dl_text_free(dl_text *t);
/* Reads the whole file into t->data (at most DL_TEXT_MAX_BYTES). */
dline_status dl_text_read_file(dline_ctx *ctx, dl_text *t);
/* The index of field name (n bytes), added at the end when new (the union of
 * names in order of first appearance). -1 on allocation failure or when
 * over DL_TEXT_MAX_FIELDS (*over set). */
long dl_text_field_intern(dl_text *t, const char *name, size_t n, int *over);
/* Exact name first, then ASCII case-insensitive; -1 when absent. */
long dl_text_field_index(const dl_text *t, const char *name);
/* Notes that field i holds a value of type vt (DL_VAL_NULL: nothing) and
 * widens the field's type: int and double give double, any other mix
 * gives string. */
void dl_text_field_see(dl_text *t, size_t i, dl_value_type vt);
/* After the first pass: fields whose values were all null become strings;
 * allocates the feature's values. */
dline_status dl_text_fields_done(dline_ctx *ctx, dl_text *t);
/* Starts a feature's strings; then dl_text_put_string copies n bytes for
 * field i (value type string); dl_text_strings_done turns offsets into
 * pointers. -1 when memory runs out. */
void dl_text_strings_begin(dl_text *t);
int dl_text_put_string(dl_text *t, size_t i, const char *s, size_t n);
void dl_text_strings_done(dl_text *t);
/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t dl_text_utf8_seq(const unsigned char *s, size_t n);
/* Plain decimal numbers only (no hex, inf, nan), locale-independent. */
int dl_text_parse_int(const char *s, size_t n, long long *out);
int dl_text_parse_double(const char *s, size_t n, double *out);
/* The summary's geometry name from the set of type names seen. */
void dl_text_type_name(dl_text *t, const char *const *names, unsigned seen, size_t nnames);

/* geojson.c and csv.c */
dline_status dl_geojson_open(dline_ctx *ctx, dl_text *t, const dl_source_options *opt);
dline_status dl_geojson_next(dline_ctx *ctx, dl_text *t, const dl_feature **feature);
void dl_geojson_rewind(dl_text *t);
void dl_geojson_free(dl_text *t);
dline_status dl_csv_open(dline_ctx *ctx, dl_text *t, const dl_source_options *opt);
dline_status dl_csv_next(dline_ctx *ctx, dl_text *t, const dl_feature **feature);
void dl_csv_rewind(dl_text *t);
void dl_csv_free(dl_text *t);

#endif
