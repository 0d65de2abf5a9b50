/* Coordinate transformation through PROJ: one PJ_CONTEXT per dl_proj, batched
 * proj_trans_generic per feature, boxes with densified edges. */
#include "project/project.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <proj.h>

struct dl_proj {
    PJ_CONTEXT *pj;
    PJ *wgs84;            /* EPSG:4326, made on first use (equivalent_wgs84) */
    dl_proj_cache *cache; /* operations and CRSs made by other contexts, or NULL */
};

/* PROJ's search for the operations between two CRSs reads its database:
 * tens of milliseconds between two datums (WGS 84 to CGCS2000 takes 30-40 ms
 * here), more than the rest of a small map. A map's renders, its bands and
 * its tiles all ask for the same few pairs, so the operation found for a
 * pair of definitions is kept, in a context of the cache's own, and each
 * dl_proj gets a copy made for its context (proj_clone: no search, about
 * 0.1 ms). Every use of the cache's context is under the lock.
 *
 * The CRSs are kept the same way, by definition: making one ("EPSG:4549", a
 * .prj's WKT) reads the database too, a few M instructions, and every
 * context of a map asks for the same two or three. */
typedef struct {
    char *src, *dst; /* the definitions, as given to dl_transform_new; a CRS's
                        as given to create_crs, and "" */
    PJ *op;          /* normalised for visualisation (or the CRS), in the cache's context */
} cached_op;

typedef struct {
    cached_op *e;
    size_t n, cap;
} kept_list;

/* The cache's two lists: operations, CRSs. */
enum { KEPT_OP, KEPT_CRS };

struct dl_proj_cache {
    pthread_mutex_t lock;
    PJ_CONTEXT *pj;
    kept_list kept[2];
    char *dir;              /* a folder of operations found by earlier processes, or NULL */
    size_t searched, loaded; /* PROJ searches made, operations read from dir */
};

/* At most this many pairs (and CRSs): a map has a handful; past it, nothing
 * is added. */
#define CACHE_MAX 64

struct dl_transform {
    PJ *pj;
    int noop;           /* PROJ's part has nothing to do */
    int geographic;     /* noop between geographic CRSs: lon/lat are range-checked */
    dl_china_crs china; /* a GCJ-02/BD-09 source: converted to EPSG:4326 before PROJ */
};

/* PROJ logs to stderr by default; the library must not print, and every
 * failure reaches the caller through its error number instead. */
static void quiet_log(void *user, int level, const char *msg)
{
    (void)user;
    (void)level;
    (void)msg;
}

dline_status dl_proj_new(dline_ctx *ctx, dl_proj **out)
{
    *out = NULL;
    dl_proj *p = calloc(1, sizeof *p);
    if (!p)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    p->pj = proj_context_create();
    if (!p->pj) {
        free(p);
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0, "cannot create a PROJ context");
    }
    proj_log_func(p->pj, NULL, quiet_log);
    *out = p;
    return DLINE_OK;
}

dl_proj_cache *dl_proj_cache_new(void)
{
    dl_proj_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void dl_proj_cache_free(dl_proj_cache *c)
{
    if (!c)
        return;
    for (int k = KEPT_OP; k <= KEPT_CRS; k++) {
        kept_list *l = &c->kept[k];
        for (size_t i = 0; i < l->n; i++) {
            free(l->e[i].src);
            free(l->e[i].dst);
            proj_destroy(l->e[i].op);
        }
        free(l->e);
    }
    free(c->dir);
    if (c->pj)
        proj_context_destroy(c->pj);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int dl_proj_cache_set_dir(dl_proj_cache *c, const char *dir)
{
    char *copy = dir && *dir ? strdup(dir) : NULL;
    if (dir && *dir && !copy)
        return -1;
    pthread_mutex_lock(&c->lock);
    free(c->dir);
    c->dir = copy;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void dl_proj_cache_stats(dl_proj_cache *c, size_t *searched, size_t *loaded)
{
    pthread_mutex_lock(&c->lock);
    *searched = c->searched;
    *loaded = c->loaded;
    pthread_mutex_unlock(&c->lock);
}

void dl_proj_use_cache(dl_proj *p, dl_proj_cache *c)
{
    p->cache = c;
}

size_t dl_proj_cache_count(dl_proj_cache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->kept[KEPT_OP].n;
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* A copy for p's context of the operation kept for (src, dst), or of the
 * CRS (kind KEPT_CRS, dst ""), or NULL. */
static PJ *cache_get(dl_proj *p, int kind, const char *src, const char *dst)
{
    dl_proj_cache *c = p->cache;
    PJ *op = NULL;
    if (!c)
        return NULL;
    pthread_mutex_lock(&c->lock);
    kept_list *l = &c->kept[kind];
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].src, src) && !strcmp(l->e[i].dst, dst)) {
            op = proj_clone(p->pj, l->e[i].op);
            break;
        }
    pthread_mutex_unlock(&c->lock);
    return op;
}

/* Keeps a copy of op, made by p for (src, dst) (see cache_get); on any
 * failure, nothing. */
static void cache_put(dl_proj *p, int kind, const char *src, const char *dst, const PJ *op)
{
    dl_proj_cache *c = p->cache;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    kept_list *l = &c->kept[kind];
    int known = 0;
    for (size_t i = 0; i < l->n && !known; i++)
        known = !strcmp(l->e[i].src, src) && !strcmp(l->e[i].dst, dst);
    if (!known && l->n < CACHE_MAX) {
        if (!c->pj && (c->pj = proj_context_create()))
            proj_log_func(c->pj, NULL, quiet_log);
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 8;
            cached_op *ops = c->pj ? realloc(l->e, cap * sizeof *ops) : NULL;
            if (ops) {
                l->e = ops;
                l->cap = cap;
            }
        }
        cached_op e = {strdup(src), strdup(dst), c->pj ? proj_clone(c->pj, op) : NULL};
        if (l->n < l->cap && e.src && e.dst && e.op) {
            l->e[l->n++] = e;
        } else {
            free(e.src);
            free(e.dst);
            proj_destroy(e.op);
        }
    }
    pthread_mutex_unlock(&c->lock);
}

void dl_proj_free(dl_proj *p)
{
    if (!p)
        return;
    proj_destroy(p->wgs84);
    proj_context_destroy(p->pj);
    free(p);
}

/* PROJ's text for the last error, unless it is its generic "Unknown error
 * (code N)", which tells a user nothing. */
static const char *proj_reason(PJ_CONTEXT *pj)
{
    int err = proj_context_errno(pj);
    const char *s = err ? proj_context_errno_string(pj, err) : NULL;
    if (!s || !strncmp(s, "Unknown error", 13))
        return "not an EPSG code, PROJ string or WKT that PROJ knows";
    return s;
}

const char *dl_proj_suggest_crs(const char *def)
{
    static const char *const names[] = {"GCJ-02", "BD-09"};
    char buf[16];
    size_t n = def ? strlen(def) : sizeof buf;
    if (n >= sizeof buf)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        buf[i] = (char)toupper((unsigned char)def[i]);
    /* Only what starts like one of them: never an EPSG code that happens
     * to be a few edits away. */
    if (strncmp(buf, "GCJ", 3) && strncmp(buf, "BD", 2))
        return NULL;
    return dl_suggest(buf, names, 2);
}

/* " (did you mean 'GCJ-02'?)" after an unknown CRS, or "" (constants: no
 * shared buffer, renders may run on several threads). */
static const char *did_you_mean(const char *def)
{
    const char *near = dl_proj_suggest_crs(def);
    if (!near)
        return "";
    return !strcmp(near, "GCJ-02") ? " (did you mean 'GCJ-02'?)" : " (did you mean 'BD-09'?)";
}

/* The .prj ArcGIS, QGIS and shapelib's tools write for WGS 84, compared
 * without whitespace: read as EPSG:4326 without PROJ parsing ESRI's names
 * (which it maps through its database, at a cost close to the rest of a
 * small render). Any other text goes to PROJ. */
static const char *const esri_wgs84[] = {
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,"
    "298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
    "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137,"
    "298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"Degree\",0.017453292519943295]]",
};

static int is_esri_wgs84(const char *def)
{
    for (size_t k = 0; k < sizeof esri_wgs84 / sizeof esri_wgs84[0]; k++) {
        const char *a = def, *b = esri_wgs84[k];
        for (;;) {
            while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
                a++;
            if (!*a || !*b || *a != *b)
                break;
            a++;
            b++;
        }
        if (!*a && !*b)
            return 1;
    }
    return 0;
}

/* Creates a CRS object and refuses anything that is not a CRS (a PROJ string
 * like "+proj=merc" is a conversion unless it carries +type=crs). A copy of
 * the one p's cache keeps for def when it has one. */
static PJ *create_crs(dl_proj *p, const char *def)
{
    if (is_esri_wgs84(def))
        def = "EPSG:4326";
    PJ *crs = cache_get(p, KEPT_CRS, def, "");
    if (crs)
        return crs;
    crs = proj_create(p->pj, def);
    if (crs && !proj_is_crs(crs)) {
        /* A bare PROJ string: retry as a CRS. */
        proj_destroy(crs);
        crs = NULL;
        if (def[0] == '+' && !strstr(def, "type=crs")) {
            size_t n = strlen(def) + 16;
            char *s = malloc(n);
            if (s) {
                snprintf(s, n, "%s +type=crs", def);
                crs = proj_create(p->pj, s);
                free(s);
                if (crs && !proj_is_crs(crs)) {
                    proj_destroy(crs);
                    crs = NULL;
                }
            }
        }
    }
    if (crs)
        cache_put(p, KEPT_CRS, def, "", crs);
    return crs;
}

/* crs itself, or EPSG:4326 in its place when it is that system under
 * another name (axis order aside: transformations are made in lon/lat
 * order). Takes crs; the caller destroys the result. */
static PJ *equivalent_wgs84(dl_proj *p, PJ *crs)
{
    PJ_TYPE type = proj_get_type(crs);
    if (type != PJ_TYPE_GEOGRAPHIC_2D_CRS)
        return crs;
    if (!p->wgs84 && !(p->wgs84 = create_crs(p, "EPSG:4326")))
        return crs;
    if (!proj_is_equivalent_to(crs, p->wgs84, PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS))
        return crs;
    PJ *same = proj_clone(p->pj, p->wgs84);
    if (!same)
        return crs;
    proj_destroy(crs);
    return same;
}

/* dl_proj_check_crs; `suggest` adds the nearest Chinese web-map name to the
 * error, which only makes sense where those are accepted. */
static dline_status check_crs(dline_ctx *ctx, dl_proj *p, const char *def, char *name,
                              size_t name_size, int suggest)
{
    dl_china_crs china = dl_china_crs_of(def);
    if (china) {
        if (name && name_size)
            snprintf(name, name_size, "%s (Chinese web-map offset of WGS 84)",
                     dl_china_crs_name(china));
        return DLINE_OK;
    }
    PJ *crs = create_crs(p, def);
    if (!crs)
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0, "unknown CRS '%.200s': %s%s", def,
                        proj_reason(p->pj), suggest ? did_you_mean(def) : "");
    if (name && name_size) {
        const char *n = proj_get_name(crs);
        snprintf(name, name_size, "%s", n ? n : "unnamed");
        const char *auth = proj_get_id_auth_name(crs, 0);
        const char *code = proj_get_id_code(crs, 0);
        if (!auth || !code) {
            /* An ESRI WKT from a .prj has no id: ask the database for one. */
            int *confidence = NULL;
            PJ_OBJ_LIST *list = proj_identify(p->pj, crs, "EPSG", NULL, &confidence);
            if (list && proj_list_get_count(list) > 0 && confidence[0] >= 70) {
                PJ *best = proj_list_get(p->pj, list, 0);
                auth = proj_get_id_auth_name(best, 0);
                code = proj_get_id_code(best, 0);
                if (auth && code) {
                    size_t len = strlen(name);
                    snprintf(name + len, name_size - len, " (%s:%s)", auth, code);
                }
                proj_destroy(best);
            }
            proj_int_list_destroy(confidence);
            proj_list_destroy(list);
        } else {
            size_t len = strlen(name);
            snprintf(name + len, name_size - len, " (%s:%s)", auth, code);
        }
    }
    proj_destroy(crs);
    return DLINE_OK;
}

dline_status dl_proj_check_crs(dline_ctx *ctx, dl_proj *p, const char *def, char *name,
                               size_t name_size)
{
    return check_crs(ctx, p, def, name, name_size, 1);
}

/* Operations kept on disk, for the next process.
 *
 * The search above runs once per process, and for two datums it is the
 * largest single cost of a small map (WGS 84 to CGCS2000: about 320 M
 * instructions, a quarter of the flagship's whole render). When the map has
 * a cache folder (dline_map_set_cache_dir; the CLI's is $DLINE_CACHE_DIR,
 * else $XDG_CACHE_HOME/dline or ~/.cache/dline), the operation found for a
 * pair is written there as PROJJSON and read back by later processes
 * (about 1.5 ms) instead of searching again.
 *
 * Only an answer that cannot change is kept: the search found one
 * operation, and a second search that counts every operation whatever
 * grids are installed (made once, when the entry is written) finds that one
 * alone. It must also read back whole: a bare conversion (WGS 84 to Web
 * Mercator or UTM, 10-30 ms to find) is written by PROJ without its source
 * and target CRSs, so it is not kept. An answer that picks among several operations by area, or that
 * could become a grid-based one once PROJ's grids are installed or its
 * network enabled, is searched for every time, as before.
 *
 * An entry's file name is a hash of its key; the key itself (PROJ's version,
 * its database's path, size and modification time, and the two
 * definitions) heads the file and must match byte for byte, and the
 * operation read must go from the source CRS asked for to the target asked
 * for. Anything else (another key, a damaged or foreign file, one past
 * DISK_MAX) is a miss: PROJ searches and the entry is written again. Entries
 * are written to a temporary file renamed into place, so a reader sees a
 * whole entry or none. A folder that cannot be made or written is no error:
 * the map is only as slow as without one. */

#define DISK_MAX (1u << 20) /* an entry is about 10 KB: anything past this is not one */

/* The key of (src, dst) with p's PROJ, or NULL (no database file: no entry). */
static char *disk_key(dl_proj *p, const char *src, const char *dst)
{
    const char *db = proj_context_get_database_path(p->pj);
    struct stat st;
    if (!db || stat(db, &st) != 0)
        return NULL;
    PJ_INFO info = proj_info();
    const char *fmt = "dline PROJ operation 1\nproj %s\ndb %s %lld %lld.%09ld\nsrc %zu\n%s\n"
                      "dst %zu\n%s\n";
    int n = snprintf(NULL, 0, fmt, info.version, db, (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, strlen(src), src,
                     strlen(dst), dst);
    char *key = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (key)
        snprintf(key, (size_t)n + 1, fmt, info.version, db, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, strlen(src), src,
                 strlen(dst), dst);
    return key;
}

/* dir/proj-HASH.op, HASH the key's 64-bit FNV-1a; NULL when out of memory. */
static char *disk_path(const char *dir, const char *key)
{
    uint64_t h = 14695981039346656037u;
    for (const unsigned char *k = (const unsigned char *)key; *k; k++)
        h = (h ^ *k) * 1099511628211u;
    size_t n = strlen(dir) + 32;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/proj-%016" PRIx64 ".op", dir, h);
    return path;
}

static int is_operation(const PJ *op)
{
    PJ_TYPE t = proj_get_type(op);
    return t == PJ_TYPE_CONVERSION || t == PJ_TYPE_TRANSFORMATION ||
           t == PJ_TYPE_CONCATENATED_OPERATION || t == PJ_TYPE_OTHER_COORDINATE_OPERATION;
}

/* 1 when op goes from src to dst. */
static int op_joins(dl_proj *p, const PJ *op, const PJ *src, const PJ *dst)
{
    PJ *a = proj_get_source_crs(p->pj, op), *b = proj_get_target_crs(p->pj, op);
    int ok = a && b && proj_is_equivalent_to_with_ctx(p->pj, a, src, PJ_COMP_EQUIVALENT) &&
             proj_is_equivalent_to_with_ctx(p->pj, b, dst, PJ_COMP_EQUIVALENT);
    proj_destroy(a);
    proj_destroy(b);
    return ok;
}

/* The operation kept in dir for key, from src to dst, or NULL. */
static PJ *disk_load(dl_proj *p, const char *dir, const char *key, const PJ *src, const PJ *dst)
{
    char *path = disk_path(dir, key), *buf = NULL;
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    free(path);
    struct stat st;
    if (fd < 0)
        return NULL;
    size_t size = 0, got = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size <= DISK_MAX) {
        size = (size_t)st.st_size;
        buf = malloc(size + 1);
    }
    while (buf && got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    PJ *op = NULL;
    size_t klen = strlen(key), jlen = 0;
    int used = 0;
    if (buf && got == size) {
        buf[size] = '\0';
        /* key, "json LEN\n", LEN bytes of PROJJSON, "\n", and nothing more */
        if (size > klen && !memcmp(buf, key, klen) &&
            sscanf(buf + klen, "json %zu\n%n", &jlen, &used) == 1 && used > 0 &&
            jlen == size - klen - (size_t)used - 1 && buf[size - 1] == '\n' &&
            strlen(buf + klen + used) == jlen + 1) {
            buf[size - 1] = '\0';
            op = proj_create(p->pj, buf + klen + used);
        }
    }
    free(buf);
    if (op && !(is_operation(op) && op_joins(p, op, src, dst))) {
        proj_destroy(op);
        op = NULL;
    }
    return op;
}

/* 1 when every operation PROJ knows from src to dst, whatever grids are
 * installed or reachable, is the one op found: its answer cannot change. */
static int only_answer(dl_proj *p, const PJ *src, const PJ *dst, const PJ *op)
{
    if (!is_operation(op))
        return 0; /* several, chosen point by point: not exportable anyway */
    PJ_OPERATION_FACTORY_CONTEXT *f = proj_create_operation_factory_context(p->pj, NULL);
    if (!f)
        return 0;
    proj_operation_factory_context_set_spatial_criterion(
        p->pj, f, PROJ_SPATIAL_CRITERION_PARTIAL_INTERSECTION);
    proj_operation_factory_context_set_grid_availability_use(p->pj, f,
                                                             PROJ_GRID_AVAILABILITY_IGNORED);
    PJ_OBJ_LIST *all = proj_create_operations(p->pj, src, dst, f);
    int one = all && proj_list_get_count(all) == 1;
    proj_list_destroy(all);
    proj_operation_factory_context_destroy(f);
    return one;
}

/* mkdir -p, each new folder 0755; 0 when dir exists afterwards. */
static int make_dirs(const char *dir)
{
    char *d = strdup(dir);
    if (!d)
        return -1;
    for (char *s = d + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(d, 0755) != 0 && errno != EEXIST) {
            free(d);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(d, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(d);
    return rc;
}

/* Writes op, found for key, into dir when it is the pair's only answer;
 * any failure leaves no file behind and is otherwise ignored. */
static void disk_store(dl_proj *p, const char *dir, const char *key, const PJ *src,
                       const PJ *dst, const PJ *op)
{
    /* The folder first: without it the second search is wasted. */
    if (make_dirs(dir) != 0 || !only_answer(p, src, dst, op))
        return;
    const char *json = proj_as_projjson(p->pj, op, NULL);
    /* Read back as disk_load will: a bare conversion (WGS 84 to Web
     * Mercator is one) has no source or target CRS in PROJJSON, and without
     * them it would lose its axis order and units; such an entry would
     * never load, so none is written. */
    PJ *back = json ? proj_create(p->pj, json) : NULL;
    int ok_back = back && is_operation(back) && op_joins(p, back, src, dst);
    proj_destroy(back);
    if (!ok_back)
        return;
    char *path = disk_path(dir, key);
    size_t n = strlen(dir) + 32;
    char *tmp = path ? malloc(n) : NULL;
    if (!tmp) {
        free(path);
        return;
    }
    snprintf(tmp, n, "%s/.proj-XXXXXX", dir);
    int fd = mkstemp(tmp);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fd >= 0 && !fp)
        close(fd);
    int ok = fp && fprintf(fp, "%sjson %zu\n%s\n", key, strlen(json), json) > 0;
    if (fp && fclose(fp) != 0)
        ok = 0;
    /* The entry keeps mkstemp's 0600: the folder is the user's own. */
    if (fd >= 0 && !(ok && rename(tmp, path) == 0))
        unlink(tmp);
    free(tmp);
    free(path);
}

/* Why a map cannot be drawn in GCJ-02 or BD-09: they are WGS84 with a
 * deliberate, non-linear offset, meant to be undone, and a map in them would
 * be a plate carree of wrong positions. */
static dline_status china_map_crs(dline_ctx *ctx, const char *def)
{
    return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0,
                    "'%.200s' can only be a source's CRS (its coordinates are converted to "
                    "WGS 84); draw the map in a real CRS such as EPSG:4326 or EPSG:3857",
                    def);
}

dline_status dl_proj_check_map_crs(dline_ctx *ctx, dl_proj *p, const char *def)
{
    if (dl_china_crs_of(def))
        return china_map_crs(ctx, def);
    return check_crs(ctx, p, def, NULL, 0, 0);
}

dline_status dl_transform_new(dline_ctx *ctx, dl_proj *p, const char *src_def,
                              const char *dst_def, const char *what, dl_transform **out)
{
    *out = NULL;
    if (dl_china_crs_of(dst_def))
        return china_map_crs(ctx, dst_def);
    /* GCJ-02/BD-09: chinacrs.c takes the points to WGS84 lon/lat, PROJ the
     * rest of the way. */
    dl_china_crs china = dl_china_crs_of(src_def);
    if (china)
        src_def = "EPSG:4326";
    PJ *src = create_crs(p, src_def);
    if (!src)
        return dl_error(ctx, DLINE_EPROJ, what, 0, 0, "unknown CRS '%.200s': %s%s", src_def,
                        proj_reason(p->pj), did_you_mean(src_def));
    PJ *dst = create_crs(p, dst_def);
    if (!dst) {
        proj_destroy(src);
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0, "unknown map CRS '%.200s': %s", dst_def,
                        proj_reason(p->pj));
    }
    dl_transform *t = calloc(1, sizeof *t);
    if (!t) {
        proj_destroy(src);
        proj_destroy(dst);
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    }
    t->noop = proj_is_equivalent_to(src, dst, PJ_COMP_EQUIVALENT);
    t->china = china;
    if (t->noop) {
        /* Nothing for PROJ to do: no operation to look up either. PROJ
         * would refuse a latitude past the pole; without it, a check here
         * does, so a feature at latitude 1e300 is skipped whatever the map
         * CRS rather than drawn as a line off the map. */
        PJ_TYPE type = proj_get_type(src);
        t->geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
                        type == PJ_TYPE_GEOGRAPHIC_CRS;
        proj_destroy(src);
        proj_destroy(dst);
        *out = t;
        return DLINE_OK;
    }
    /* A .prj's WKT names WGS 84 its own way (ESRI's GCS_WGS_1984): PROJ then
     * searches its database for operations from a CRS it does not know by
     * code, which costs more than the rest of a small render. The same
     * system by its EPSG code is found at once. */
    PJ *given = src;
    src = equivalent_wgs84(p, src);
    /* Every spelling of WGS 84 is one entry of the cache. */
    const char *key = src != given ? "EPSG:4326" : src_def;
    t->pj = cache_get(p, KEPT_OP, key, dst_def);
    if (t->pj) {
        proj_destroy(src);
        proj_destroy(dst);
        *out = t;
        return DLINE_OK;
    }
    /* Then the cache folder, then PROJ's search (which the folder keeps). */
    char *dir = NULL, *dkey = NULL;
    if (p->cache) {
        pthread_mutex_lock(&p->cache->lock);
        dir = p->cache->dir ? strdup(p->cache->dir) : NULL;
        pthread_mutex_unlock(&p->cache->lock);
    }
    if (dir)
        dkey = disk_key(p, key, dst_def);
    PJ *op = dkey ? disk_load(p, dir, dkey, src, dst) : NULL;
    int loaded = op != NULL;
    if (!op) {
        op = proj_create_crs_to_crs_from_pj(p->pj, src, dst, NULL, NULL);
        if (op && dkey)
            disk_store(p, dir, dkey, src, dst, op);
    }
    if (p->cache) {
        pthread_mutex_lock(&p->cache->lock);
        if (loaded)
            p->cache->loaded++;
        else
            p->cache->searched++;
        pthread_mutex_unlock(&p->cache->lock);
    }
    free(dir);
    free(dkey);
    proj_destroy(src);
    proj_destroy(dst);
    if (op) {
        t->pj = proj_normalize_for_visualization(p->pj, op);
        proj_destroy(op);
    }
    if (t->pj)
        cache_put(p, KEPT_OP, key, dst_def, t->pj);
    if (!t->pj) {
        free(t);
        return dl_error(ctx, DLINE_EPROJ, what, 0, 0,
                        "no transformation from this CRS to the map CRS '%.200s': %s", dst_def,
                        proj_reason(p->pj));
    }
    *out = t;
    return DLINE_OK;
}

void dl_transform_free(dl_transform *t)
{
    if (!t)
        return;
    proj_destroy(t->pj);
    free(t);
}

int dl_transform_is_noop(const dl_transform *t)
{
    return t->noop && !t->china;
}

static size_t trans(dl_transform *t, PJ_DIRECTION dir, double *xy, size_t n)
{
    if (n == 0)
        return 0;
    /* A GCJ-02/BD-09 source: its step on the same arrays, before PROJ going
     * forward and after it coming back (the pipeline is china -> EPSG:4326 ->
     * destination). */
    if (t->china && dir == PJ_FWD)
        dl_china_to_wgs84(t->china, xy, n);
    if (!t->noop)
        proj_trans_generic(t->pj, dir, xy, 2 * sizeof(double), n, xy + 1, 2 * sizeof(double),
                           n, NULL, 0, 0, NULL, 0, 0);
    if (t->china && dir == PJ_INV)
        dl_china_from_wgs84(t->china, xy, n);
    /* Longitudes to one and a half turns either way (data crossing the
     * antimeridian is written past 180), latitudes to the poles. */
    double limx = t->geographic ? 540 : DBL_MAX, limy = t->geographic ? 90 : DBL_MAX;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        /* NaN fails both comparisons, infinities the second. */
        if (fabs(xy[2 * i]) <= limx && fabs(xy[2 * i + 1]) <= limy)
            ok++;
        else
            xy[2 * i] = xy[2 * i + 1] = HUGE_VAL;
    }
    return ok;
}

size_t dl_transform_points(dl_transform *t, double *xy, size_t n)
{
    return trans(t, PJ_FWD, xy, n);
}

size_t dl_transform_points_inv(dl_transform *t, double *xy, size_t n)
{
    return trans(t, PJ_INV, xy, n);
}

static dline_status trans_bbox(dline_ctx *ctx, dl_transform *t, PJ_DIRECTION dir, dl_bbox in,
                               dl_bbox *out)
{
    if (dl_transform_is_noop(t)) {
        *out = in;
        return DLINE_OK;
    }
    /* Densify by hand rather than proj_trans_bounds: it refuses some
     * normalised pipelines, and 21 points a side is what it would use. */
    enum { N = 21 };
    double xy[4 * N * 2];
    size_t k = 0;
    for (int i = 0; i < N; i++) {
        double f = (double)i / (N - 1);
        double x = in.xmin + f * (in.xmax - in.xmin);
        double y = in.ymin + f * (in.ymax - in.ymin);
        xy[k++] = x; xy[k++] = in.ymin;
        xy[k++] = x; xy[k++] = in.ymax;
        xy[k++] = in.xmin; xy[k++] = y;
        xy[k++] = in.xmax; xy[k++] = y;
    }
    size_t n = k / 2;
    trans(t, dir, xy, n);
    dl_bbox b = dl_bbox_empty();
    for (size_t i = 0; i < n; i++)
        if (xy[2 * i] != HUGE_VAL)
            dl_bbox_add(&b, xy[2 * i], xy[2 * i + 1]);
    if (dl_bbox_is_empty(b))
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0,
                        "the box %.6g,%.6g,%.6g,%.6g cannot be transformed",
                        in.xmin, in.ymin, in.xmax, in.ymax);
    *out = b;
    return DLINE_OK;
}

dline_status dl_transform_bbox(dline_ctx *ctx, dl_transform *t, dl_bbox in, dl_bbox *out)
{
    return trans_bbox(ctx, t, PJ_FWD, in, out);
}

dline_status dl_transform_bbox_inv(dline_ctx *ctx, dl_transform *t, dl_bbox in, dl_bbox *out)
{
    return trans_bbox(ctx, t, PJ_INV, in, out);
}

size_t dl_transform_frame(dl_transform *t, const dl_pixel_grid *from, double width, double height,
                          const dl_pixel_grid *to, int steps, double *xy)
{
    static const double corner[5][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}};
    size_t k = 0;
    for (int side = 0; side < 4; side++) {
        for (int i = 0; i < steps; i++) {
            double f = (double)i / steps;
            double px = width * (corner[side][0] + f * (corner[side + 1][0] - corner[side][0]));
            double py = height * (corner[side][1] + f * (corner[side + 1][1] - corner[side][1]));
            xy[2 * k] = from->minx + px * from->res;
            xy[2 * k + 1] = from->maxy - py * from->res;
            k++;
        }
    }
    size_t ok = trans(t, PJ_FWD, xy, k);
    for (size_t i = 0; i < k; i++) {
        if (xy[2 * i] == HUGE_VAL)
            continue;
        xy[2 * i] = (xy[2 * i] - to->minx) / to->res;
        xy[2 * i + 1] = (to->maxy - xy[2 * i + 1]) / to->res;
    }
    return ok;
}
