/* What the files of the dline command share: exit statuses, messages,
 * signals, the render options, shards, worker processes and the progress
 * line. Built on include/dline.h only, like the rest of src/cli. */
#ifndef DLINE_CLI_H
#define DLINE_CLI_H

#include <stddef.h>

#include "dline.h"

enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

/* --set options a command line may give. */
#define MAX_SETS 64

/* main.c: "dline: MESSAGE (try 'dline --help')" with arg in fmt's %s;
 * returns EXIT_USAGE. */
int dl_cli_usage_error(const char *fmt, const char *arg);
/* A dline_warning_fn printing "dline: warning: MESSAGE". */
void dl_cli_print_warning(const char *message, void *user);

/* SIGINT and SIGTERM set a flag and ask ctx (may be NULL) to stop. once:
 * the handler is reset by the first signal, so that a second one ends the
 * process at once (the CLI's usual behaviour); worker processes keep it,
 * because the signal can reach them twice (from the terminal and from the
 * parent). dl_cli_signal_caught() is the signal's number, or 0. */
void dl_cli_catch_signals(dline_ctx *ctx, int once);
void dl_cli_release_signals(void);
int dl_cli_signal_caught(void);

/* The options of `dline render` other than the output, applied to every map
 * of a batch as to a single one. Zero and NULL mean the style's value (or
 * the library's default), as do png_level < 0 and creation_time < 0. */
typedef struct {
    const char *sets[MAX_SETS];
    size_t nsets;
    dline_format format;
    int width, height;
    const char *paper;
    int have_dpi;
    double dpi;
    int have_extent;
    double extent[4];
    const char *crs;
    int png_level;
    unsigned long long max_pixels;
    int threads;
    const char *svg_id_prefix;
    long long creation_time;
} dl_cli_options;

dline_status dl_cli_apply_options(dline_ctx *ctx, dline_map *map, const dl_cli_options *o);
/* The CLI's cache folder for map (dline_map_set_cache_dir): $DLINE_CACHE_DIR
 * when set (empty for none), else $XDG_CACHE_HOME/dline, else
 * $HOME/.cache/dline. dl_cli_apply_options does it too. */
dline_status dl_cli_use_cache(dline_ctx *ctx, dline_map *map);

/* --shard I/N: this run takes the items k with k % count == index - 1;
 * count 0 takes them all. */
typedef struct {
    long index, count;
} dl_cli_shard;

/* jobs.c: `dline render STYLE --jobs FILE.csv`. processes 0 is the cores
 * online. Returns the exit status. */
int dl_cli_jobs(const char *style, const dl_cli_options *o, const char *csv_path, long processes,
                dl_cli_shard shard);

/* tiles.c: `dline tiles`. */
typedef struct {
    const char *style;
    const char *output;
    const char *sets[MAX_SETS];
    size_t nsets;
    int zmin, zmax;
    int have_extent;
    double extent[4];
    int tile_size; /* 256 or 512 */
    int scale;     /* 1 or 2 */
    int buffer;    /* px at scale 1 */
    long processes;
    dl_cli_shard shard;
} dl_cli_tiles_options;

int dl_cli_tiles(const dl_cli_tiles_options *o);

/* jobs.c: a batch of n items run by worker processes forked from the
 * caller, item i by worker i % nproc, each worker with its own context.
 * In a worker: start makes its state once (NULL on failure, the message in
 * ctx), work runs one item and returns 0 with any result bytes in *data
 * (malloc'd; the pool frees them), or -1 with the message in ctx (or in
 * *data, NUL-terminated, when the library has none); stop frees the state.
 * In the parent, done gets each result in the order they arrive: ok and
 * the result bytes, or not ok and the message; it returns 0, or -1 to stop
 * the batch (the workers are told to stop). warning gets the library's
 * warnings from the workers, with the item they came from (SIZE_MAX before
 * the first). A worker stops after its current item on SIGINT or SIGTERM,
 * cancelling a render under way. */
typedef struct {
    void *(*start)(void *user, dline_ctx *ctx);
    int (*work)(void *state, size_t item, dline_ctx *ctx, unsigned char **data, size_t *len);
    void (*stop)(void *state);
    int (*done)(void *user, size_t item, int ok, const unsigned char *data, size_t len);
    void (*warning)(void *user, size_t item, const char *message);
    const char *unit; /* "maps", "tiles": the progress line's counts */
} dl_cli_pool;

/* Runs the batch; returns 0 when every worker ran to its end (failed items
 * are the done callback's to count) or stopped on a signal, -1 when a
 * worker process failed or done asked to stop (the message is printed).
 * Progress goes to stderr when it is a terminal. */
int dl_cli_pool_run(const dl_cli_pool *pool, void *user, size_t n, long nproc);

/* Clears the progress line (before a message on stderr). */
void dl_cli_progress_clear(void);

/* The cores online, at least 1. */
long dl_cli_cores(void);

#endif
