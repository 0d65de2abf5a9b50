/* The context, its first-error-wins message, warnings and name suggestions. */
#include "error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *dline_status_string(dline_status status)
{
    switch (status) {
    case DLINE_OK: return "success";
    case DLINE_ENOMEM: return "out of memory or over a size limit";
    case DLINE_EIO: return "input/output error";
    case DLINE_EDATA: return "malformed data file";
    case DLINE_ESTYLE: return "style error";
    case DLINE_EPROJ: return "projection error";
    case DLINE_ERENDER: return "rendering error";
    case DLINE_EUSAGE: return "usage error";
    case DLINE_ECANCELED: return "interrupted";
    }
    return "unknown status";
}

dline_ctx *dline_ctx_new(void)
{
    return calloc(1, sizeof(dline_ctx));
}

void dline_ctx_free(dline_ctx *ctx)
{
    free(ctx);
}

dline_status dline_ctx_status(const dline_ctx *ctx)
{
    return ctx ? ctx->status : DLINE_OK;
}

const char *dline_ctx_message(const dline_ctx *ctx)
{
    return ctx ? ctx->message : "";
}

void dline_ctx_clear(dline_ctx *ctx)
{
    if (!ctx)
        return;
    ctx->status = DLINE_OK;
    ctx->message[0] = '\0';
    ctx->cancel = 0;
}

void dline_ctx_cancel(dline_ctx *ctx)
{
    if (ctx)
        ctx->cancel = 1;
}

dline_status dl_check_cancel(dline_ctx *ctx)
{
    if (ctx && (ctx->cancel || (ctx->parent_cancel && *ctx->parent_cancel)))
        return dl_error(ctx, DLINE_ECANCELED, NULL, 0, 0, "interrupted");
    return DLINE_OK;
}

void dline_ctx_set_warning_handler(dline_ctx *ctx, dline_warning_fn fn, void *user)
{
    if (!ctx)
        return;
    ctx->warn = fn;
    ctx->warn_user = user;
}

static void format_message(char *buf, size_t size, const char *path, int line, int col,
                           const char *fmt, va_list ap)
{
    int n = 0;
    if (path && line > 0)
        n = snprintf(buf, size, "%s:%d:%d: ", path, line, col > 0 ? col : 1);
    else if (path)
        n = snprintf(buf, size, "%s: ", path);
    if (n < 0 || (size_t)n >= size)
        n = 0;
    vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    /* Messages are one line: a newline from data would break the format. */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

dline_status dl_error(dline_ctx *ctx, dline_status status, const char *path, int line, int col,
                      const char *fmt, ...)
{
    if (!ctx || ctx->status != DLINE_OK)
        return status;
    ctx->status = status;
    va_list ap;
    va_start(ap, fmt);
    format_message(ctx->message, sizeof ctx->message, path, line, col, fmt, ap);
    va_end(ap);
    return status;
}

void dl_warn(dline_ctx *ctx, const char *path, int line, int col, const char *fmt, ...)
{
    if (!ctx || !ctx->warn)
        return;
    char buf[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    format_message(buf, sizeof buf, path, line, col, fmt, ap);
    va_end(ap);
    ctx->warn(buf, ctx->warn_user);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *dl_suggest(const char *word, const char *const *candidates, size_t n)
{
    size_t limit = strlen(word) / 3;
    if (limit < 2)
        limit = 2;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i]) /* e.g. the id of a layer that failed to load */
            continue;
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

void *dl_calloc_array(size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return calloc(1, 1);
    return calloc(n, size);
}

void *dl_realloc_array(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    return realloc(p, bytes ? bytes : 1);
}

char *dl_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
