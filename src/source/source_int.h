/* Private to src/source/: the shapelib I/O hooks that shp.c and dbf.c share,
 * the DBF reader and the small text sidecars (.prj, .cpg). */
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

#endif
