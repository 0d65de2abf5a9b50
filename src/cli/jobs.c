/* `dline render STYLE --jobs FILE.csv`: one map per row of a CSV file; and
 * the worker processes and the progress line it shares with `dline tiles`.
 *
 * Workers are processes, not threads: each renders with its own context and
 * map exactly as a single `dline render` does, a crash or a leak in one
 * cannot touch the others, and the library's own threads (PNG bands) stay
 * as they are. A worker sends each result to the parent through a pipe; the
 * parent is the only process that prints progress and decides the exit
 * status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli.h"

long dl_cli_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : n;
}

/* The progress line: "1234/5678 tiles  21%  48.2 tiles/s  ETA 1:38", on
 * stderr when it is a terminal, redrawn at most ten times a second. */
typedef struct {
    int on;
    size_t done, total;
    const char *unit;
    double start, last;
} progress;

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void format_duration(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static void progress_show(progress *p, int force)
{
    if (!p->on)
        return;
    double t = seconds_now();
    if (!force && t - p->last < 0.1)
        return;
    p->last = t;
    double rate = t > p->start ? p->done / (t - p->start) : 0;
    char eta[32] = "--:--";
    if (p->done == p->total)
        format_duration(t - p->start, eta, sizeof eta);
    else if (rate > 0)
        format_duration((p->total - p->done) / rate, eta, sizeof eta);
    fprintf(stderr, "\r\033[K%zu/%zu %s  %3.0f%%  %.1f %s/s  %s %s", p->done, p->total, p->unit,
            p->total ? 100.0 * p->done / p->total : 100.0, rate, p->unit,
            p->done == p->total ? "in" : "ETA", eta);
}

void dl_cli_progress_clear(void)
{
    if (isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
}

/* A worker's message to the parent: this header, then len bytes: the
 * result (ok 1), the error message (ok 0) or a warning (ok 2). */
typedef struct {
    uint64_t item;
    uint32_t ok;
    uint32_t len;
} packet;

/* The item of a message about the worker itself: it could not start. */
#define ITEM_WORKER UINT64_MAX

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 when all n bytes were read, 0 at the end of the pipe, -1 on an error
 * or a message cut short. */
static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static int send_message(int fd, uint64_t item, int ok, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    packet m = {item, ok ? 1 : 0, (uint32_t)len};
    return write_all(fd, &m, sizeof m) == 0 && write_all(fd, data, len) == 0 ? 0 : -1;
}

static const char *ctx_message(const dline_ctx *ctx)
{
    const char *m = dline_ctx_message(ctx);
    return m && *m ? m : "out of memory";
}

/* The item a worker is on, for its warnings. */
typedef struct {
    int fd;
    uint64_t item;
} worker_link;

/* In a worker: a warning goes to the parent as one write, so that it cannot
 * interleave with a result (a message up to PIPE_BUF bytes is atomic). */
static void forward_warning(const char *text, void *user)
{
    const worker_link *link = user;
    char buf[4096];
    size_t n = strlen(text);
    if (n > sizeof buf - sizeof(packet))
        n = sizeof buf - sizeof(packet);
    packet m = {link->item, 2, (uint32_t)n};
    memcpy(buf, &m, sizeof m);
    memcpy(buf + sizeof m, text, n);
    write_all(link->fd, buf, sizeof m + n);
}

/* A worker: items k, k + nproc, ... of n, each result sent on fd. Never
 * returns. */
static void worker_main(const dl_cli_pool *pool, void *user, size_t n, long nproc, long k, int fd,
                        pid_t parent)
{
#ifdef __linux__
    /* When the parent is gone (a second Ctrl-C ends it at once), so are its
     * workers. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent)
        _exit(1);
    dline_ctx *ctx = dline_ctx_new();
    if (!ctx) {
        send_message(fd, ITEM_WORKER, 0, "out of memory", 13);
        _exit(1);
    }
    worker_link link = {fd, ITEM_WORKER};
    dline_ctx_set_warning_handler(ctx, forward_warning, &link);
    dl_cli_catch_signals(ctx, 0);
    int status = 0;
    void *state = pool->start(user, ctx);
    if (!state) {
        const char *m = ctx_message(ctx);
        if (!dl_cli_signal_caught())
            send_message(fd, ITEM_WORKER, 0, m, strlen(m));
        status = 1;
    }
    for (size_t i = (size_t)k; state && i < n && !dl_cli_signal_caught(); i += (size_t)nproc) {
        unsigned char *data = NULL;
        size_t len = 0;
        link.item = i;
        int r = pool->work(state, i, ctx, &data, &len);
        /* A render the signal cancelled is not a failure to report. */
        if (r != 0 && dl_cli_signal_caught()) {
            free(data);
            break;
        }
        int sent;
        if (r == 0)
            sent = send_message(fd, i, 1, data, len);
        else if (*dline_ctx_message(ctx) || !data)
            sent = send_message(fd, i, 0, ctx_message(ctx), strlen(ctx_message(ctx)));
        else
            sent = send_message(fd, i, 0, data, strlen((const char *)data));
        free(data);
        dline_ctx_clear(ctx);
        if (sent != 0) {
            status = 1;
            break;
        }
    }
    if (state)
        pool->stop(state);
    dl_cli_release_signals();
    dline_ctx_free(ctx);
    close(fd);
    _exit(status);
}

typedef struct {
    pid_t pid;
    int fd; /* -1 once the pipe is closed */
} worker;

/* Starts up to nproc workers; returns how many started (an error is
 * printed when fewer). */
static long start_workers(const dl_cli_pool *pool, void *user, size_t n, long nproc, worker *w)
{
    pid_t self = getpid();
    long started = 0;
    for (long k = 0; k < nproc && !dl_cli_signal_caught(); k++) {
        int p[2];
        if (pipe(p) != 0) {
            fprintf(stderr, "dline: cannot start a worker process: %s\n", strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "dline: cannot start a worker process: %s\n", strerror(errno));
            close(p[0]);
            close(p[1]);
            break;
        }
        if (pid == 0) {
            close(p[0]);
            for (long j = 0; j < started; j++)
                close(w[j].fd);
            worker_main(pool, user, n, nproc, k, p[1], self);
        }
        close(p[1]);
        w[k].pid = pid;
        w[k].fd = p[0];
        started++;
    }
    return started;
}

/* Reads one message from w and hands it on. Returns 0, or -1 when done asked
 * to stop or a worker could not start. Closes the pipe at its end. */
static int receive(const dl_cli_pool *pool, void *user, size_t n, worker *w, progress *pr,
                   int stopping)
{
    packet m;
    int got = read_all(w->fd, &m, sizeof m);
    unsigned char *data = got == 1 ? malloc((size_t)m.len + 1) : NULL;
    if (got == 1 && (!data || read_all(w->fd, data, m.len) != 1))
        got = -1;
    if (got != 1) {
        close(w->fd);
        w->fd = -1;
        free(data);
        return 0;
    }
    data[m.len] = '\0';
    int rc = 0;
    if (m.ok == 2) {
        dl_cli_progress_clear();
        pool->warning(user, m.item < n ? (size_t)m.item : SIZE_MAX, (const char *)data);
    } else if (m.item == ITEM_WORKER) {
        dl_cli_progress_clear();
        fprintf(stderr, "dline: %s\n", (const char *)data);
        rc = -1;
    } else if (m.item < n && !stopping) {
        if (!m.ok)
            dl_cli_progress_clear();
        rc = pool->done(user, (size_t)m.item, (int)m.ok, data, m.len);
        pr->done++;
    }
    free(data);
    return rc;
}

/* Waits for every worker; -1 when one ended other than as asked. */
static int reap_workers(worker *w, long started, int asked_to_stop)
{
    int rc = 0;
    for (long k = 0; k < started; k++) {
        int status;
        while (waitpid(w[k].pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(status)) {
            int sig = WTERMSIG(status);
            if (asked_to_stop && (sig == SIGINT || sig == SIGTERM))
                continue;
            dl_cli_progress_clear();
            fprintf(stderr, "dline: worker process %ld ended by signal %d\n", k + 1, sig);
            rc = -1;
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            rc = -1; /* its message, if it could send one, is printed */
        }
    }
    return rc;
}

int dl_cli_pool_run(const dl_cli_pool *pool, void *user, size_t n, long nproc)
{
    if (n == 0)
        return 0;
    if (nproc < 1)
        nproc = 1;
    if ((size_t)nproc > n)
        nproc = (long)n;
    worker *w = calloc((size_t)nproc, sizeof *w);
    struct pollfd *pfd = calloc((size_t)nproc, sizeof *pfd);
    if (!w || !pfd) {
        free(w);
        free(pfd);
        fputs("dline: out of memory\n", stderr);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    dl_cli_catch_signals(NULL, 1);
    long started = start_workers(pool, user, n, nproc, w);
    int rc = started < nproc && !dl_cli_signal_caught() ? -1 : 0;
    progress pr = {.on = isatty(STDERR_FILENO), .total = n, .unit = pool->unit,
                   .start = seconds_now()};
    int forwarded = 0;
    long open = started;
    while (open > 0) {
        int sig = dl_cli_signal_caught();
        if ((sig || rc != 0) && !forwarded) {
            /* A terminal's Ctrl-C reaches the workers too; `kill PID` only
             * the parent. Workers finish or cancel their item and stop. */
            for (long k = 0; k < started; k++)
                if (w[k].fd >= 0)
                    kill(w[k].pid, sig ? sig : SIGTERM);
            forwarded = 1;
        }
        for (long k = 0; k < started; k++)
            pfd[k] = (struct pollfd){.fd = w[k].fd, .events = POLLIN};
        int r = poll(pfd, (nfds_t)started, 100);
        for (long k = 0; r > 0 && k < started; k++) {
            if (w[k].fd < 0 || !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (receive(pool, user, n, &w[k], &pr, rc != 0) != 0)
                rc = -1;
            if (w[k].fd < 0)
                open--;
        }
        progress_show(&pr, 0);
    }
    if (reap_workers(w, started, forwarded) != 0)
        rc = -1;
    if (pr.on) {
        progress_show(&pr, 1);
        fputc('\n', stderr);
    }
    /* A worker stopped by a signal of its own (not through the parent)
     * leaves its items undone: the run is not complete. */
    if (rc == 0 && !forwarded && pr.done < n) {
        fprintf(stderr, "dline: %zu %s not done: a worker process stopped early\n", n - pr.done,
                pool->unit);
        rc = -1;
    }
    dl_cli_release_signals();
    free(w);
    free(pfd);
    return rc;
}

/* The batch: a CSV table read whole. Fields point into one buffer of the
 * decoded text (quotes undone, each field NUL-terminated). */
typedef struct {
    char **fields;
    size_t nfields;
    long line; /* where the record starts */
} csv_row;

typedef struct {
    char *text;
    csv_row *rows;
    size_t nrows;
} csv_table;

typedef struct {
    const char *s;
    size_t len, pos;
    long line;
    char *out;
    size_t o;
    long err_line;
    char msg[160];
} csv_reader;

static int csv_fail(csv_reader *r, long line, const char *msg)
{
    r->err_line = line;
    snprintf(r->msg, sizeof r->msg, "%s", msg);
    return -1;
}

/* At a comma, a line end (LF or CRLF) or the end of the text. */
static int at_field_end(const csv_reader *r)
{
    if (r->pos >= r->len)
        return 1;
    char c = r->s[r->pos];
    return c == ',' || c == '\n' ||
           (c == '\r' && (r->pos + 1 == r->len || r->s[r->pos + 1] == '\n'));
}

static int csv_field(csv_reader *r)
{
    if (r->pos < r->len && r->s[r->pos] == '"') {
        long opened = r->line;
        r->pos++;
        for (;;) {
            if (r->pos == r->len)
                return csv_fail(r, opened, "a quoted field is not closed");
            char c = r->s[r->pos++];
            if (c == '"') {
                if (r->pos < r->len && r->s[r->pos] == '"') {
                    r->out[r->o++] = '"';
                    r->pos++;
                    continue;
                }
                break;
            }
            if (c == '\0')
                return csv_fail(r, r->line, "a NUL byte");
            if (c == '\n')
                r->line++;
            r->out[r->o++] = c;
        }
        if (!at_field_end(r))
            return csv_fail(r, r->line, "text after the closing quote of a field");
    } else {
        while (!at_field_end(r)) {
            char c = r->s[r->pos++];
            if (c == '"')
                return csv_fail(r, r->line, "a quote inside an unquoted field (quote the whole "
                                            "field and double the quote: \"a \"\"b\"\"\")");
            if (c == '\0')
                return csv_fail(r, r->line, "a NUL byte");
            r->out[r->o++] = c;
        }
    }
    r->out[r->o++] = '\0';
    return 0;
}

static int csv_record(csv_reader *r, csv_row *row)
{
    size_t cap = 0;
    row->line = r->line;
    for (;;) {
        if (row->nfields == cap) {
            cap = cap ? 2 * cap : 8;
            char **f = realloc(row->fields, cap * sizeof *f);
            if (!f)
                return csv_fail(r, r->line, "out of memory");
            row->fields = f;
        }
        char *start = r->out + r->o;
        if (csv_field(r) != 0)
            return -1;
        row->fields[row->nfields++] = start;
        if (r->pos < r->len && r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        break;
    }
    if (r->pos < r->len && r->s[r->pos] == '\r')
        r->pos++;
    if (r->pos < r->len && r->s[r->pos] == '\n') {
        r->pos++;
        r->line++;
    }
    return 0;
}

static void csv_free(csv_table *t)
{
    for (size_t i = 0; i < t->nrows; i++)
        free(t->rows[i].fields);
    free(t->rows);
    free(t->text);
    *t = (csv_table){0};
}

/* Parses RFC 4180 CSV (a UTF-8 byte order mark is skipped, empty lines
 * between records too). 0, or -1 with *line and msg. */
static int csv_parse(const char *s, size_t len, csv_table *t, long *line, char *msg,
                     size_t msgsize)
{
    csv_reader r = {.s = s, .len = len, .line = 1};
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        r.pos = 3;
    /* Every field adds at most one NUL to its text: 2 len + 1 is enough. */
    r.out = len < SIZE_MAX / 2 - 1 ? malloc(2 * len + 1) : NULL;
    int rc = r.out ? 0 : csv_fail(&r, 1, "out of memory");
    t->text = r.out;
    size_t cap = 0;
    while (rc == 0 && r.pos < len) {
        if (s[r.pos] == '\n' || (s[r.pos] == '\r' && r.pos + 1 < len && s[r.pos + 1] == '\n')) {
            r.pos += s[r.pos] == '\r' ? 2 : 1;
            r.line++;
            continue;
        }
        if (t->nrows == cap) {
            cap = cap ? 2 * cap : 64;
            csv_row *rows = realloc(t->rows, cap * sizeof *rows);
            if (!rows) {
                rc = csv_fail(&r, r.line, "out of memory");
                break;
            }
            t->rows = rows;
        }
        t->rows[t->nrows] = (csv_row){0};
        rc = csv_record(&r, &t->rows[t->nrows]);
        t->nrows++;
    }
    if (rc != 0) {
        *line = r.err_line;
        snprintf(msg, msgsize, "%s", r.msg);
    }
    return rc;
}

/* The whole file; NULL with msg on failure. */
static char *read_file(const char *path, size_t *len, char *msg, size_t msgsize)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, msgsize, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *b = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (!buf) {
        snprintf(msg, msgsize, "out of memory");
        return NULL;
    }
    if (err) {
        snprintf(msg, msgsize, "cannot read: %s", strerror(err ? err : EIO));
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

typedef struct {
    const char *style, *csv_path;
    const dl_cli_options *o;
    csv_table t;
    char **outputs; /* rows[i + 1]'s output, relative paths resolved */
    size_t *todo;   /* the rows this run renders (shard), as row numbers */
    size_t ntodo;
    int threads; /* per map, when the options leave it to us */
    size_t failed;
} batch;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int batch_error(const batch *b, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dline: %s:%ld: ", b->csv_path, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

/* The header: output, then distinct style paths. */
static int check_header(const batch *b)
{
    const csv_row *h = &b->t.rows[0];
    if (strcmp(h->fields[0], "output") != 0)
        return batch_error(b, h->line, "the first column is '%.60s', not 'output'", h->fields[0]);
    for (size_t c = 1; c < h->nfields; c++) {
        const char *p = h->fields[c];
        if (!*p)
            return batch_error(b, h->line, "column %zu has no style path", c + 1);
        if (strchr(p, '='))
            return batch_error(b, h->line, "column %zu: '%.60s' is not a style path", c + 1, p);
        for (size_t d = 1; d < c; d++)
            if (!strcmp(p, h->fields[d]))
                return batch_error(b, h->line, "columns %zu and %zu are both '%.60s'", d + 1, c + 1,
                                   p);
    }
    return 0;
}

/* A relative output is relative to the CSV's folder. */
static char *resolve_output(const char *csv_path, const char *out)
{
    const char *slash = strrchr(csv_path, '/');
    size_t dir = out[0] == '/' || !slash ? 0 : (size_t)(slash - csv_path) + 1;
    size_t n = strlen(out);
    char *p = malloc(dir + n + 1);
    if (p) {
        memcpy(p, csv_path, dir);
        memcpy(p + dir, out, n + 1);
    }
    return p;
}

typedef struct {
    const char *path; /* resolved */
    const csv_row *row;
} output_ref;

static int output_order(const void *a, const void *b)
{
    const output_ref *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->row->line > y->row->line) - (x->row->line < y->row->line);
}

/* No two rows may write one file: two workers would race for it. Sorted by
 * path, then line, a clash is two equal neighbours. */
static int check_clashes(const batch *b)
{
    size_t n = b->t.nrows - 1;
    output_ref *refs = malloc((n ? n : 1) * sizeof *refs);
    if (!refs) {
        fputs("dline: out of memory\n", stderr);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        refs[i] = (output_ref){b->outputs[i], &b->t.rows[i + 1]};
    qsort(refs, n, sizeof *refs, output_order);
    int rc = 0;
    for (size_t i = 1; rc == 0 && i < n; i++)
        if (!strcmp(refs[i].path, refs[i - 1].path))
            rc = batch_error(b, refs[i].row->line, "output '%.200s' is also the output of line %ld",
                             refs[i].row->fields[0], refs[i - 1].row->line);
    free(refs);
    return rc;
}

/* Every row: as many fields as the header, an output file. */
static int check_rows(batch *b)
{
    size_t nf = b->t.rows[0].nfields, n = b->t.nrows - 1;
    b->outputs = calloc(n ? n : 1, sizeof *b->outputs);
    if (!b->outputs) {
        fputs("dline: out of memory\n", stderr);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const csv_row *row = &b->t.rows[i + 1];
        if (row->nfields != nf)
            return batch_error(b, row->line, "%zu field%s, but the header has %zu", row->nfields,
                               row->nfields == 1 ? "" : "s", nf);
        if (!*row->fields[0])
            return batch_error(b, row->line, "no output file in the first column");
        if (!strcmp(row->fields[0], "-"))
            return batch_error(b, row->line, "output '-' (standard output) cannot be used in a batch");
        if (!(b->outputs[i] = resolve_output(b->csv_path, row->fields[0]))) {
            fputs("dline: out of memory\n", stderr);
            return -1;
        }
    }
    return check_clashes(b);
}

/* Reads and checks the whole file before anything is rendered: a malformed
 * batch renders nothing. */
static int load_batch(batch *b)
{
    char msg[200];
    size_t len = 0;
    char *text = read_file(b->csv_path, &len, msg, sizeof msg);
    if (!text) {
        fprintf(stderr, "dline: %s: %s\n", b->csv_path, msg);
        return -1;
    }
    long line = 0;
    int rc = csv_parse(text, len, &b->t, &line, msg, sizeof msg);
    free(text);
    if (rc != 0)
        return batch_error(b, line, "%s", msg);
    if (b->t.nrows == 0) {
        fprintf(stderr, "dline: %s: no header line (output,PATH,...)\n", b->csv_path);
        return -1;
    }
    if (check_header(b) != 0 || check_rows(b) != 0)
        return -1;
    return 0;
}

/* The rows of this shard: data row r (0 for the first) when
 * r % count == index - 1. */
static int select_rows(batch *b, dl_cli_shard shard)
{
    size_t n = b->t.nrows - 1;
    b->todo = malloc((n ? n : 1) * sizeof *b->todo);
    if (!b->todo) {
        fputs("dline: out of memory\n", stderr);
        return -1;
    }
    for (size_t r = 0; r < n; r++)
        if (!shard.count || r % (size_t)shard.count == (size_t)shard.index - 1)
            b->todo[b->ntodo++] = r + 1;
    return 0;
}

static void batch_free(batch *b)
{
    for (size_t i = 0; b->outputs && i + 1 < b->t.nrows; i++)
        free(b->outputs[i]);
    free(b->outputs);
    free(b->todo);
    csv_free(&b->t);
}

static void *job_start(void *user, dline_ctx *ctx)
{
    (void)ctx;
    return user;
}

static void job_stop(void *state)
{
    (void)state;
}

/* A warning names the row it came from. */
static void job_warning(void *user, size_t item, const char *message)
{
    const batch *b = user;
    if (item == SIZE_MAX)
        fprintf(stderr, "dline: warning: %s\n", message);
    else
        fprintf(stderr, "dline: warning: %s:%ld: %s\n", b->csv_path,
                b->t.rows[b->todo[item]].line, message);
}

/* The --set list of one row: the command line's, then "PATH=VALUE" for
 * each non-empty cell, so that the row wins. */
static char **row_sets(const batch *b, const csv_row *row, size_t *n)
{
    const csv_row *head = &b->t.rows[0];
    char **sets = calloc(b->o->nsets + head->nfields, sizeof *sets);
    if (!sets)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < b->o->nsets; i++)
        if (!(sets[(*n)++] = strdup(b->o->sets[i])))
            goto fail;
    for (size_t c = 1; c < head->nfields; c++) {
        if (!*row->fields[c])
            continue;
        size_t len = strlen(head->fields[c]) + strlen(row->fields[c]) + 2;
        if (!(sets[*n] = malloc(len)))
            goto fail;
        snprintf(sets[(*n)++], len, "%s=%s", head->fields[c], row->fields[c]);
    }
    return sets;
fail:
    for (size_t i = 0; i < *n; i++)
        free(sets[i]);
    free(sets);
    return NULL;
}

static int job_work(void *state, size_t item, dline_ctx *ctx, unsigned char **data, size_t *len)
{
    (void)data;
    (void)len;
    const batch *b = state;
    size_t r = b->todo[item];
    const csv_row *row = &b->t.rows[r];
    size_t nsets = 0;
    char **sets = row_sets(b, row, &nsets);
    if (!sets)
        return -1;
    dline_map *map = NULL;
    dline_status st = dline_map_load_with(ctx, b->style, (const char *const *)sets, nsets, &map);
    if (st == DLINE_OK)
        st = dl_cli_apply_options(ctx, map, b->o);
    if (st == DLINE_OK && !b->o->threads && b->threads)
        st = dline_map_set_threads(ctx, map, b->threads);
    if (st == DLINE_OK)
        st = dline_map_render_file(ctx, map, b->outputs[r - 1], b->o->format);
    dline_map_free(map);
    for (size_t i = 0; i < nsets; i++)
        free(sets[i]);
    free(sets);
    return st == DLINE_OK ? 0 : -1;
}

static int job_done(void *user, size_t item, int ok, const unsigned char *data, size_t len)
{
    batch *b = user;
    if (!ok) {
        fprintf(stderr, "dline: %s:%ld: %.*s\n", b->csv_path, b->t.rows[b->todo[item]].line,
                (int)len, (const char *)data);
        b->failed++;
    }
    return 0;
}

int dl_cli_jobs(const char *style, const dl_cli_options *o, const char *csv_path, long processes,
                dl_cli_shard shard)
{
    batch b = {.style = style, .csv_path = csv_path, .o = o};
    int rc = 0;
    if (load_batch(&b) != 0 || select_rows(&b, shard) != 0) {
        batch_free(&b);
        return EXIT_INPUT;
    }
    long nproc = processes ? processes : dl_cli_cores();
    /* The processes fill the cores; a map's own second thread would only
     * compete with them (the output is the same either way). */
    if (nproc > 1)
        b.threads = 1;
    static const dl_cli_pool pool = {job_start, job_work, job_stop, job_done, job_warning,
                                     "maps"};
    if (dl_cli_pool_run(&pool, &b, b.ntodo, nproc) != 0 || b.failed)
        rc = EXIT_INPUT;
    if (dl_cli_signal_caught()) {
        dl_cli_progress_clear();
        fputs("dline: interrupted\n", stderr);
        rc = 128 + dl_cli_signal_caught();
    }
    batch_free(&b);
    return rc;
}
