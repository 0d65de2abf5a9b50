/* Small text sidecars of a shapefile: the .prj (the CRS as WKT, handed to the
 * project stage as text) and the reading helper the .cpg shares. */
#include "source_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

dline_status dl_source_read_text(dline_ctx *ctx, FILE *fp, const char *path, long max,
                                 char **out)
{
    *out = NULL;
    /* Read one byte more than allowed: that tells "too large" apart without
     * trusting a size from fseek on something that may not be a file. */
    char *buf = malloc((size_t)max + 2);
    if (!buf)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    size_t n = fread(buf, 1, (size_t)max + 1, fp);
    if (ferror(fp)) {
        free(buf);
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "could not be read");
    }
    if (n > (size_t)max) {
        free(buf);
        return dl_error(ctx, DLINE_EDATA, path, 0, 0, "larger than %ld bytes", max);
    }
    buf[n] = '\0';
    /* A NUL ends the text: what follows cannot reach PROJ or iconv anyway. */
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'
                     || buf[n - 1] == '\n'))
        buf[--n] = '\0';
    /* Windows editors put a UTF-8 byte order mark in front. */
    if (n >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb
        && (unsigned char)buf[2] == 0xbf)
        memmove(buf, buf + 3, n - 2);
    *out = buf;
    return DLINE_OK;
}

dline_status dl_source_prj_read(dline_ctx *ctx, const char *base, int upper_first, char **out,
                                char **prj_path)
{
    *out = NULL;
    *prj_path = NULL;
    char *path;
    FILE *fp;
    dline_status st = dl_source_sidecar_optional(ctx, base, "prj", upper_first, &path, &fp);
    if (!fp) {
        free(path);
        return st;
    }
    char *text;
    st = dl_source_read_text(ctx, fp, path, DL_PRJ_MAX, &text);
    fclose(fp);
    if (st || !text) {
        free(path);
        return st;
    }
    if (!text[0]) {
        /* An empty .prj says nothing: treat it as absent. */
        free(text);
        free(path);
        return DLINE_OK;
    }
    *out = text;
    *prj_path = path;
    return DLINE_OK;
}
