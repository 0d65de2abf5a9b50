/* Error and warning reporting shared by every stage: the context object and
 * the FILE:LINE:COL message format. */
#ifndef DL_ERROR_H
#define DL_ERROR_H

#include <signal.h>

#include "dline.h"

#define DL_MSG_MAX 1024

struct dline_ctx {
    dline_status status;
    char message[DL_MSG_MAX];
    dline_warning_fn warn;
    void *warn_user;
    volatile sig_atomic_t cancel; /* dline_ctx_cancel(), maybe from a signal handler */
    /* A context made for one thread of a render is cancelled with the
     * caller's: its flag, or NULL. */
    const volatile sig_atomic_t *parent_cancel;
};

/* DLINE_ECANCELED ("interrupted") once dline_ctx_cancel() was called, else
 * DLINE_OK. Cheap: long loops call it for every item. */
dline_status dl_check_cancel(dline_ctx *ctx);

/* Records an error and returns status. The first error wins: later calls
 * return their status but leave the message alone. Message form:
 *   "path:line:col: text"  when line > 0 (col > 0),
 *   "path: text"           when path is set and line is 0,
 *   "text"                 when path is NULL.
 * Every error passes through here, so one breakpoint catches them all. */
dline_status dl_error(dline_ctx *ctx, dline_status status, const char *path, int line, int col,
                      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Same formatting, sent to the warning callback. */
void dl_warn(dline_ctx *ctx, const char *path, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The candidate closest to word by edit distance, or NULL when none is close
 * enough to be a plausible typo (distance <= max(2, strlen(word)/3)). NULL
 * candidates are skipped. */
const char *dl_suggest(const char *word, const char *const *candidates, size_t n);

/* Allocation helpers: NULL on overflow or failure. */
void *dl_calloc_array(size_t n, size_t size);
void *dl_realloc_array(void *p, size_t n, size_t size);
char *dl_strdup(const char *s);

#endif
