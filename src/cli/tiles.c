/* `dline tiles`: XYZ PNG tiles of a style in Web Mercator, to a folder
 * (DIR/Z/X/Y.png) or an MBTiles file, rendered by worker processes.
 *
 * Each tile is drawn as the middle of a larger image, the tile and a buffer
 * around it (dline_map_render_cairo on an image surface), so that lines,
 * symbols and labels crossing a tile edge are drawn by both neighbours from
 * the same features at the same pixel positions: the buffered image of a
 * tile starts on a whole pixel of the zoom level's pixel grid, so both
 * renders put a feature on the same pixels. What that does and does not
 * guarantee for labels is in docs/scaling.md.
 *
 * The workers only render; the parent alone writes, so the MBTiles file has
 * one writer (no locking between processes, one transaction per 100 tiles)
 * and a folder tile is written to a temporary name and renamed. */
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The latitude where Web Mercator's square world ends. */
#define MERCATOR_MAX_LAT 85.0511287798066
/* Tiles in one pyramid (their numbers are kept in memory, 8 bytes each). */
#define MAX_TILES 100000000ULL
#define MAX_ZOOM 24
/* MBTiles: tiles per transaction. */
#define TILES_PER_COMMIT 100

/* The tiles of one zoom level: columns x0..x1, rows y0..y1 (y from the
 * north); k of the first is `first` in the order zoom, x, y. */
typedef struct {
    long x0, x1, y0, y1;
    unsigned long long first, count;
} zoom_range;

typedef struct {
    const dl_cli_tiles_options *o;
    /* The style's overrides: the command line's, then the furniture's. */
    const char **sets;
    size_t nsets;
    char **owned; /* the overrides made here */
    size_t nowned;
    double extent[4];
    zoom_range zr[MAX_ZOOM + 1];
    unsigned long long total;
    unsigned long long *todo; /* k of the tiles this run renders */
    size_t ntodo;
    int mbtiles;
    sqlite3 *db;
    sqlite3_stmt *insert, *exists;
    size_t pending; /* tiles in the open transaction */
    mode_t mode;    /* of folder tiles */
    size_t failed;
    char **warned; /* warnings printed, each once */
    size_t nwarned;
} tiler;

static double tile_x(double lon, double n)
{
    return (lon + 180.0) / 360.0 * n;
}

static double tile_y(double lat, double n)
{
    lat = fmax(-MERCATOR_MAX_LAT, fmin(MERCATOR_MAX_LAT, lat));
    return (1.0 - asinh(tan(lat * M_PI / 180.0)) / M_PI) / 2.0 * n;
}

/* Pixel x or y of a world of `world` px to longitude or latitude. */
static double pixel_lon(double px, double world)
{
    return px / world * 360.0 - 180.0;
}

static double pixel_lat(double py, double world)
{
    return atan(sinh(M_PI * (1.0 - 2.0 * py / world))) * 180.0 / M_PI;
}

static long clamp_tile(long v, long n)
{
    return v < 0 ? 0 : v >= n ? n - 1 : v;
}

/* Every zoom's tiles that meet the extent (touching its edge is not
 * meeting it). */
static int plan_zooms(tiler *t)
{
    const double *e = t->extent;
    t->total = 0;
    for (int z = t->o->zmin; z <= t->o->zmax; z++) {
        double n = ldexp(1.0, z);
        zoom_range *r = &t->zr[z];
        r->x0 = clamp_tile((long)floor(tile_x(e[0], n)), (long)n);
        r->x1 = clamp_tile((long)ceil(tile_x(e[2], n)) - 1, (long)n);
        r->y0 = clamp_tile((long)floor(tile_y(e[3], n)), (long)n);
        r->y1 = clamp_tile((long)ceil(tile_y(e[1], n)) - 1, (long)n);
        if (r->x1 < r->x0)
            r->x1 = r->x0;
        if (r->y1 < r->y0)
            r->y1 = r->y0;
        r->first = t->total;
        r->count = (unsigned long long)(r->x1 - r->x0 + 1) * (unsigned long long)(r->y1 - r->y0 + 1);
        t->total += r->count;
        if (t->total > MAX_TILES) {
            fprintf(stderr,
                    "dline: --zoom %d-%d over the extent is more than %llu tiles (at zoom %d); "
                    "use fewer zoom levels or a smaller --extent\n",
                    t->o->zmin, t->o->zmax, MAX_TILES, z);
            return -1;
        }
    }
    return 0;
}

/* Tile k of the canonical order. */
static void tile_of(const tiler *t, unsigned long long k, int *z, long *x, long *y)
{
    int zz = t->o->zmin;
    while (zz < t->o->zmax && k >= t->zr[zz].first + t->zr[zz].count)
        zz++;
    const zoom_range *r = &t->zr[zz];
    unsigned long long off = k - r->first, ny = (unsigned long long)(r->y1 - r->y0 + 1);
    *z = zz;
    *x = r->x0 + (long)(off / ny);
    *y = r->y0 + (long)(off % ny);
}

/* Folder output. */

static int tile_path(const tiler *t, int z, long x, long y, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%d/%ld/%ld%s.png", t->o->output, z, x, y,
                     t->o->scale == 2 ? "@2x" : "");
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* mkdir -p: every folder of path. */
static int make_dirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int r = mkdir(path, 0777);
        int e = errno;
        *p = c;
        if (r != 0 && e != EEXIST) {
            errno = e;
            return -1;
        }
        if (!c)
            return 0;
    }
}

/* A tile is there when its file starts as a PNG. Renames make a file whole
 * or absent; after a crash a tile whose data never reached the disk reads
 * as empty and is rendered again, so no fsync is needed per tile. */
static int file_has_tile(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    unsigned char sig[8];
    ssize_t n = read(fd, sig, sizeof sig);
    close(fd);
    return n == 8 && !memcmp(sig, "\x89PNG\r\n\x1a\n", 8);
}

static int write_tile_file(const tiler *t, int z, long x, long y, const unsigned char *data,
                           size_t len)
{
    char path[4096], tmp[4200];
    if (tile_path(t, z, x, y, path, sizeof path) != 0) {
        fprintf(stderr, "dline: %s: the path is too long\n", t->o->output);
        return -1;
    }
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = make_dirs(path);
    snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", path, slash + 1);
    *slash = '/';
    int fd = rc == 0 ? mkstemp(tmp) : -1;
    int e = fd < 0 ? errno : 0;
    for (size_t done = 0; !e && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            done += (size_t)w;
    }
    if (!e && fchmod(fd, t->mode) != 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        if (fd >= 0)
            unlink(tmp);
        fprintf(stderr, "dline: %s: cannot write: %s\n", path, strerror(e));
        return -1;
    }
    return 0;
}

static int open_folder(tiler *t)
{
    struct stat st;
    if (stat(t->o->output, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "dline: %s: not a folder (an MBTiles file's name ends in .mbtiles)\n",
                t->o->output);
        return -1;
    }
    char *dir = strdup(t->o->output);
    int rc = dir ? make_dirs(dir) : -1;
    if (rc != 0)
        fprintf(stderr, "dline: %s: cannot create: %s\n", t->o->output,
                dir ? strerror(errno) : "out of memory");
    free(dir);
    /* umask can only be read by setting it; the parent has no threads. */
    mode_t mask = umask(022);
    umask(mask);
    t->mode = 0666 & ~mask;
    return rc;
}

/* MBTiles output (the 1.3 schema: metadata and a tiles table, rows
 * counted from the south as TMS does). */

static int db_error(const tiler *t)
{
    fprintf(stderr, "dline: %s: %s\n", t->o->output, sqlite3_errmsg(t->db));
    return -1;
}

static int db_exec(const tiler *t, const char *sql)
{
    return sqlite3_exec(t->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : db_error(t);
}

/* The text of metadata `name`, copied into buf; 0 when there is none. */
static int db_metadata(const tiler *t, const char *name, char *buf, size_t size)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(t->db, "SELECT value FROM metadata WHERE name = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return db_error(t);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int found = 0;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) {
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(s, 0));
        found = 1;
    }
    sqlite3_finalize(s);
    return found;
}

static int db_set_metadata(const tiler *t, const char *name, const char *value)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(t->db, "DELETE FROM metadata WHERE name = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return db_error(t);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_error(t);
    if (sqlite3_prepare_v2(t->db, "INSERT INTO metadata (name, value) VALUES (?1, ?2)", -1, &s,
                           NULL) != SQLITE_OK)
        return db_error(t);
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_error(t);
}

/* A file from an earlier run must hold tiles like these to be continued:
 * a tiles table (not a view over deduplicated images), and the same format,
 * tile size and scale. */
static int check_tiles_table(const tiler *t)
{
    char kind[16] = "";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(t->db, "SELECT type FROM sqlite_master WHERE name = 'tiles'", -1, &s,
                           NULL) != SQLITE_OK)
        return db_error(t);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(kind, sizeof kind, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    if (*kind && strcmp(kind, "table") != 0) {
        fprintf(stderr, "dline: %s: 'tiles' is a %s, not a table (a deduplicated MBTiles file?); "
                        "write to a new file\n", t->o->output, kind);
        return -1;
    }
    return 0;
}

static int check_metadata(const tiler *t)
{
    char want[32], got[64];
    static const char *const names[] = {"format", "tile_size", "scale"};
    for (size_t i = 0; i < 3; i++) {
        if (i == 0)
            snprintf(want, sizeof want, "png");
        else
            snprintf(want, sizeof want, "%d",
                     i == 1 ? t->o->tile_size * t->o->scale : t->o->scale);
        int found = db_metadata(t, names[i], got, sizeof got);
        if (found < 0)
            return -1;
        if (found && strcmp(got, want) != 0) {
            fprintf(stderr, "dline: %s: holds tiles with %s '%s', not '%s': write to a new file\n",
                    t->o->output, names[i], got, want);
            return -1;
        }
    }
    return 0;
}

static char *style_name(const char *style)
{
    const char *base = strrchr(style, '/');
    base = base ? base + 1 : style;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *name = malloc(n + 1);
    if (name) {
        memcpy(name, base, n);
        name[n] = '\0';
    }
    return name;
}

static int write_metadata(const tiler *t)
{
    const double *e = t->extent;
    char bounds[128], center[128], minzoom[8], maxzoom[8], size[16], scale[8];
    snprintf(bounds, sizeof bounds, "%.6f,%.6f,%.6f,%.6f", e[0], e[1], e[2], e[3]);
    snprintf(center, sizeof center, "%.6f,%.6f,%d", (e[0] + e[2]) / 2, (e[1] + e[3]) / 2,
             t->o->zmin);
    snprintf(minzoom, sizeof minzoom, "%d", t->o->zmin);
    snprintf(maxzoom, sizeof maxzoom, "%d", t->o->zmax);
    /* Not in MBTiles 1.3: the pixels of a tile, and the pixel ratio (a
     * client shows a tile at tile_size / scale). */
    snprintf(size, sizeof size, "%d", t->o->tile_size * t->o->scale);
    snprintf(scale, sizeof scale, "%d", t->o->scale);
    char *name = style_name(t->o->style);
    if (!name) {
        fputs("dline: out of memory\n", stderr);
        return -1;
    }
    const char *pairs[][2] = {{"name", name},     {"format", "png"},   {"type", "baselayer"},
                              {"minzoom", minzoom}, {"maxzoom", maxzoom}, {"bounds", bounds},
                              {"center", center}, {"tile_size", size}, {"scale", scale}};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof pairs / sizeof pairs[0]; i++)
        rc = db_set_metadata(t, pairs[i][0], pairs[i][1]);
    free(name);
    return rc;
}

static int open_mbtiles(tiler *t)
{
    if (sqlite3_open_v2(t->o->output, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return db_error(t);
    /* Another shard writing the same file waits for our transaction. */
    sqlite3_busy_timeout(t->db, 60000);
    if (check_tiles_table(t) != 0 ||
        db_exec(t, "BEGIN;"
                   "CREATE TABLE IF NOT EXISTS metadata (name text, value text);"
                   "CREATE TABLE IF NOT EXISTS tiles (zoom_level integer, tile_column integer,"
                   " tile_row integer, tile_data blob);"
                   "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles"
                   " (zoom_level, tile_column, tile_row);") != 0 ||
        check_metadata(t) != 0 || write_metadata(t) != 0 || db_exec(t, "COMMIT") != 0)
        return -1;
    if (sqlite3_prepare_v2(t->db,
                           "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row,"
                           " tile_data) VALUES (?1, ?2, ?3, ?4)",
                           -1, &t->insert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(t->db,
                           "SELECT 1 FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2"
                           " AND tile_row = ?3",
                           -1, &t->exists, NULL) != SQLITE_OK)
        return db_error(t);
    return 0;
}

static long tms_row(int z, long y)
{
    return (1L << z) - 1 - y;
}

static int db_has_tile(const tiler *t, int z, long x, long y)
{
    sqlite3_bind_int(t->exists, 1, z);
    sqlite3_bind_int64(t->exists, 2, x);
    sqlite3_bind_int64(t->exists, 3, tms_row(z, y));
    int rc = sqlite3_step(t->exists);
    sqlite3_reset(t->exists);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_error(t);
}

static int db_put_tile(tiler *t, int z, long x, long y, const unsigned char *data, size_t len)
{
    if (t->pending == 0 && db_exec(t, "BEGIN") != 0)
        return -1;
    sqlite3_bind_int(t->insert, 1, z);
    sqlite3_bind_int64(t->insert, 2, x);
    sqlite3_bind_int64(t->insert, 3, tms_row(z, y));
    sqlite3_bind_blob64(t->insert, 4, data, len, SQLITE_STATIC);
    int rc = sqlite3_step(t->insert);
    sqlite3_reset(t->insert);
    if (rc != SQLITE_DONE)
        return db_error(t);
    if (++t->pending == TILES_PER_COMMIT) {
        t->pending = 0;
        return db_exec(t, "COMMIT");
    }
    return 0;
}

/* Commits what was written, also after a failure or a signal. */
static int close_mbtiles(tiler *t)
{
    int rc = 0;
    if (t->pending && sqlite3_get_autocommit(t->db) == 0)
        rc = db_exec(t, "COMMIT");
    sqlite3_finalize(t->insert);
    sqlite3_finalize(t->exists);
    if (t->db && sqlite3_close(t->db) != SQLITE_OK && rc == 0)
        rc = db_error(t);
    t->db = NULL;
    return rc;
}

/* The tiles of this run: the shard's, less those already there. */
static int select_tiles(tiler *t)
{
    const dl_cli_shard *sh = &t->o->shard;
    unsigned long long step = sh->count ? (unsigned long long)sh->count : 1;
    unsigned long long start = sh->count ? (unsigned long long)sh->index - 1 : 0;
    size_t cap = (size_t)(t->total / step + 1);
    t->todo = malloc(cap * sizeof *t->todo);
    if (!t->todo) {
        fputs("dline: out of memory\n", stderr);
        return -1;
    }
    /* One read transaction for all the lookups, not one each. */
    if (t->mbtiles && db_exec(t, "BEGIN") != 0)
        return -1;
    for (unsigned long long k = start; k < t->total; k += step) {
        int z;
        long x, y;
        tile_of(t, k, &z, &x, &y);
        int there;
        if (t->mbtiles) {
            if ((there = db_has_tile(t, z, x, y)) < 0)
                return -1;
        } else {
            char path[4096];
            there = tile_path(t, z, x, y, path, sizeof path) == 0 && file_has_tile(path);
        }
        if (!there)
            t->todo[t->ntodo++] = k;
    }
    return t->mbtiles ? db_exec(t, "COMMIT") : 0;
}

/* The worker's side: one map and one image for all its tiles. */
typedef struct {
    const tiler *t;
    dline_map *map;
    cairo_surface_t *image;
    int side; /* px of the buffered image */
} tile_worker;

static void *tile_start(void *user, dline_ctx *ctx)
{
    const tiler *t = user;
    tile_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->t = t;
    w->side = (t->o->tile_size + 2 * t->o->buffer) * t->o->scale;
    dline_status st = dline_map_load_with(ctx, t->o->style, t->sets, t->nsets, &w->map);
    if (st == DLINE_OK)
        st = dline_map_set_crs(ctx, w->map, "EPSG:3857");
    if (st == DLINE_OK)
        st = dl_cli_use_cache(ctx, w->map);
    if (st == DLINE_OK) {
        w->image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w->side, w->side);
        if (cairo_surface_status(w->image) != CAIRO_STATUS_SUCCESS)
            st = DLINE_ENOMEM;
    }
    if (st != DLINE_OK) {
        if (w->image)
            cairo_surface_destroy(w->image);
        dline_map_free(w->map);
        free(w);
        return NULL;
    }
    return w;
}

static void tile_stop(void *state)
{
    tile_worker *w = state;
    cairo_surface_destroy(w->image);
    dline_map_free(w->map);
    free(w);
}

typedef struct {
    unsigned char *p;
    size_t len, cap;
} bytes;

static cairo_status_t append_bytes(void *closure, const unsigned char *data, unsigned int n)
{
    bytes *b = closure;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p)
            return CAIRO_STATUS_NO_MEMORY;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return CAIRO_STATUS_SUCCESS;
}

/* The tile in the middle of the buffered image as a PNG: a surface over
 * those pixels of the image (no copy), RGB when every pixel is opaque, RGBA
 * otherwise. */
static int encode_tile(tile_worker *w, unsigned char **data, size_t *len)
{
    int off = w->t->o->buffer * w->t->o->scale, size = w->t->o->tile_size * w->t->o->scale;
    cairo_surface_flush(w->image);
    int stride = cairo_image_surface_get_stride(w->image);
    unsigned char *p = cairo_image_surface_get_data(w->image) + (size_t)off * stride + off * 4;
    int opaque = 1;
    for (int r = 0; opaque && r < size; r++) {
        const uint32_t *row = (const uint32_t *)(const void *)(p + (size_t)r * stride);
        for (int c = 0; c < size; c++)
            if (row[c] >> 24 != 0xff) {
                opaque = 0;
                break;
            }
    }
    cairo_surface_t *tile = cairo_image_surface_create_for_data(
        p, opaque ? CAIRO_FORMAT_RGB24 : CAIRO_FORMAT_ARGB32, size, size, stride);
    bytes b = {0};
    cairo_status_t cs = cairo_surface_write_to_png_stream(tile, append_bytes, &b);
    cairo_surface_destroy(tile);
    if (cs != CAIRO_STATUS_SUCCESS) {
        free(b.p);
        const char *why = cairo_status_to_string(cs);
        *data = (unsigned char *)strdup(why);
        return -1;
    }
    *data = b.p;
    *len = b.len;
    return 0;
}

/* Renders tile k: the map's size and extent become the buffered tile's (cut
 * at the edges of the world), drawn at the scale into the image. */
static int tile_work(void *state, size_t item, dline_ctx *ctx, unsigned char **data, size_t *len)
{
    tile_worker *w = state;
    const dl_cli_tiles_options *o = w->t->o;
    int z;
    long x, y;
    tile_of(w->t, w->t->todo[item], &z, &x, &y);
    double world = (double)o->tile_size * ldexp(1.0, z);
    double px0 = (double)x * o->tile_size - o->buffer, py0 = (double)y * o->tile_size - o->buffer;
    double side = o->tile_size + 2.0 * o->buffer;
    double x0 = fmax(px0, 0), y0 = fmax(py0, 0);
    double x1 = fmin(px0 + side, world), y1 = fmin(py0 + side, world);
    dline_status st = dline_map_set_size(ctx, w->map, (int)(x1 - x0), (int)(y1 - y0));
    if (st == DLINE_OK)
        st = dline_map_set_extent(ctx, w->map, pixel_lon(x0, world), pixel_lat(y1, world),
                                  pixel_lon(x1, world), pixel_lat(y0, world));
    cairo_t *cr = cairo_create(w->image);
    cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    if (st == DLINE_OK)
        st = dline_map_render_cairo(ctx, w->map, cr, (x0 - px0) * o->scale,
                                    (y0 - py0) * o->scale, (x1 - x0) * o->scale,
                                    (y1 - y0) * o->scale);
    cairo_destroy(cr);
    if (st != DLINE_OK)
        return -1;
    return encode_tile(w, data, len);
}

static int tile_done(void *user, size_t item, int ok, const unsigned char *data, size_t len)
{
    tiler *t = user;
    int z;
    long x, y;
    tile_of(t, t->todo[item], &z, &x, &y);
    if (!ok) {
        fprintf(stderr, "dline: tile %d/%ld/%ld: %s\n", z, x, y, (const char *)data);
        t->failed++;
        return 0;
    }
    return t->mbtiles ? db_put_tile(t, z, x, y, data, len) : write_tile_file(t, z, x, y, data, len);
}

/* Every tile renders the same style: a warning is printed once. */
static void tile_warning(void *user, size_t item, const char *message)
{
    (void)item;
    tiler *t = user;
    for (size_t i = 0; i < t->nwarned; i++)
        if (!strcmp(t->warned[i], message))
            return;
    fprintf(stderr, "dline: warning: %s\n", message);
    /* Out of memory only means that it may be printed again. */
    char *copy = strdup(message);
    char **w = copy ? realloc(t->warned, (t->nwarned + 1) * sizeof *w) : NULL;
    if (!w) {
        free(copy);
        return;
    }
    t->warned = w;
    t->warned[t->nwarned++] = copy;
}

static void parent_warning(const char *message, void *user)
{
    tile_warning(user, SIZE_MAX, message);
}

/* Map furniture belongs to a sheet, not to a tile: it is turned off with
 * overrides, as the API has no switch for it. A title cannot be removed by
 * an override, only emptied. */
static const char *const no_furniture[] = {
    "title={text: ''}", "subtitle={text: ''}", "attribution={text: ''}", "scale-bar=false",
    "north-arrow=false", "legend=false",     "frame=false",            "graticule=false",
    "inset=false"};
#define NO_FURNITURE (sizeof no_furniture / sizeof no_furniture[0])

static dline_status try_load(const tiler *t, dline_ctx *ctx, size_t nsets)
{
    dline_map *map = NULL;
    dline_status st = dline_map_load_with(ctx, t->o->style, t->sets, nsets, &map);
    dline_map_free(map);
    return st;
}

/* The inset must be off too (dline_map_render_cairo cannot draw one), but
 * a style refuses "inset=false" while a layer is inset-only: it would be
 * drawn nowhere. Such a layer is found by making every other layer
 * ordinary (inset-only=false): the style still refuses. It is then made
 * ordinary too, with a filter that keeps no feature. One load per layer,
 * and only for styles with an inset-only layer. */
static int settle_sets(tiler *t, dline_ctx *ctx, const dline_map *map)
{
    const dl_cli_tiles_options *o = t->o;
    size_t nl = dline_map_layer_count(map);
    t->sets = malloc((o->nsets + NO_FURNITURE + 2 * nl + 1) * sizeof *t->sets);
    t->owned = calloc(2 * nl + 1, sizeof *t->owned);
    char *inset_only = calloc(nl + 1, 1);
    int rc = t->sets && t->owned && inset_only ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < nl; i++) {
        const char *id = dline_map_layer_id(map, i);
        size_t len = strlen(id) + 40;
        if (!(t->owned[2 * i] = malloc(len)) || !(t->owned[2 * i + 1] = malloc(len)))
            rc = -1;
        else {
            snprintf(t->owned[2 * i], len, "layers.%s.inset-only=false", id);
            snprintf(t->owned[2 * i + 1], len, "layers.%s.filter=false", id);
        }
    }
    t->nowned = 2 * nl;
    if (rc != 0) {
        free(inset_only);
        fputs("dline: out of memory\n", stderr);
        return EXIT_INPUT;
    }
    size_t n0 = 0;
    for (size_t i = 0; i < o->nsets; i++)
        t->sets[n0++] = o->sets[i];
    for (size_t i = 0; i < NO_FURNITURE; i++)
        t->sets[n0++] = no_furniture[i];
    t->nsets = n0;
    dline_status st = try_load(t, ctx, n0);
    if (st != DLINE_OK) {
        dline_ctx_clear(ctx);
        for (size_t i = 0; i < nl; i++) {
            size_t n = n0;
            for (size_t j = 0; j < nl; j++)
                if (j != i)
                    t->sets[n++] = t->owned[2 * j];
            inset_only[i] = try_load(t, ctx, n) != DLINE_OK;
            dline_ctx_clear(ctx);
        }
        for (size_t i = 0; i < nl; i++)
            if (inset_only[i]) {
                t->sets[t->nsets++] = t->owned[2 * i];
                t->sets[t->nsets++] = t->owned[2 * i + 1];
            }
        st = try_load(t, ctx, t->nsets);
    }
    free(inset_only);
    if (st != DLINE_OK) {
        fprintf(stderr, "dline: %s: cannot leave out the map furniture: %s\n", o->style,
                dline_ctx_message(ctx));
        return EXIT_INPUT;
    }
    return 0;
}

/* Loads the style as given (its errors are the user's), takes its extent
 * unless --extent gave one, and settles the overrides the workers use. */
static int prepare(tiler *t, dline_ctx *ctx)
{
    const dl_cli_tiles_options *o = t->o;
    dline_map *map = NULL;
    dline_status st = dline_map_load_with(ctx, o->style, o->sets, o->nsets, &map);
    if (st == DLINE_OK && o->have_extent) {
        /* The library checks the box. */
        st = dline_map_set_extent(ctx, map, o->extent[0], o->extent[1], o->extent[2],
                                  o->extent[3]);
        memcpy(t->extent, o->extent, sizeof t->extent);
    } else if (st == DLINE_OK) {
        st = dline_map_extent(ctx, map, t->extent);
    }
    int rc = 0;
    if (st != DLINE_OK) {
        fprintf(stderr, "dline: %s\n", dline_ctx_message(ctx));
        rc = st == DLINE_EUSAGE ? EXIT_USAGE : EXIT_INPUT;
    } else {
        rc = settle_sets(t, ctx, map);
    }
    dline_map_free(map);
    return rc;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++)
        if ((s[n - m + i] | 0x20) != suffix[i])
            return 0;
    return 1;
}

static void tiler_free(tiler *t)
{
    if (t->db)
        close_mbtiles(t);
    for (size_t i = 0; i < t->nwarned; i++)
        free(t->warned[i]);
    free(t->warned);
    for (size_t i = 0; t->owned && i < t->nowned; i++)
        free(t->owned[i]);
    free(t->owned);
    free(t->sets);
    free(t->todo);
}

int dl_cli_tiles(const dl_cli_tiles_options *o)
{
    tiler t = {.o = o, .mbtiles = has_suffix(o->output, ".mbtiles")};
    dline_ctx *ctx = dline_ctx_new();
    if (!ctx) {
        fputs("dline: out of memory\n", stderr);
        return EXIT_INPUT;
    }
    dline_ctx_set_warning_handler(ctx, parent_warning, &t);
    int rc = prepare(&t, ctx);
    dline_ctx_free(ctx);
    if (rc == 0 && plan_zooms(&t) != 0)
        rc = EXIT_USAGE;
    if (rc == 0 && (t.mbtiles ? open_mbtiles(&t) : open_folder(&t)) != 0)
        rc = EXIT_INPUT;
    if (rc == 0 && select_tiles(&t) != 0)
        rc = EXIT_INPUT;
    if (rc == 0) {
        static const dl_cli_pool pool = {tile_start, tile_work, tile_stop,
                                         tile_done,  tile_warning, "tiles"};
        long nproc = o->processes ? o->processes : dl_cli_cores();
        if (dl_cli_pool_run(&pool, &t, t.ntodo, nproc) != 0 || t.failed)
            rc = EXIT_INPUT;
    }
    if (t.db && close_mbtiles(&t) != 0)
        rc = EXIT_INPUT;
    if (dl_cli_signal_caught()) {
        fputs("dline: interrupted\n", stderr);
        rc = 128 + dl_cli_signal_caught();
    }
    tiler_free(&t);
    return rc;
}
