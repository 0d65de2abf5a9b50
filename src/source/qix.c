/* The .qix spatial index of a shapefile (shapelib's quadtree, as MapServer
 * writes it with shptree): read by dline's own code, because shapelib's
 * SHPSearchDiskTreeEx trusts the file's offsets and counts, and written
 * through shapelib's tree builder from record boxes dline has checked.
 *
 * File layout (shapelib shptree.c): "SQT", byte order (1 LSB, 2 MSB),
 * version 1, three reserved bytes, int32 shape count, int32 depth; then the
 * nodes depth first, each: int32 size of its sub-nodes in bytes, 4 doubles
 * (xmin, ymin, xmax, ymax), int32 n, n int32 shape ids, int32 sub-node count
 * (at most 4). */
#define _POSIX_C_SOURCE 200809L

#include "source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QIX_MAX_DEPTH 64
#define QIX_MAX_SIZE (1u << 30)

typedef struct {
    const unsigned char *p;
    size_t size;
    int msb;
    long nrecords;
    char *why; /* first problem, static text */
    long *ids;
    size_t n, cap;
} qix_reader;

static int32_t qi32(const qix_reader *q, size_t at)
{
    const unsigned char *b = q->p + at;
    uint32_t v = q->msb ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                        : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
    return (int32_t)v;
}

static double qdouble(const qix_reader *q, size_t at)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = q->p[at + (q->msb ? 7 - i : i)];
    return dl_le_double(b);
}

static int add_id(qix_reader *q, long id)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 256;
        long *p = dl_realloc_array(q->ids, cap, sizeof *p);
        if (!p)
            return -1;
        q->ids = p;
        q->cap = cap;
    }
    q->ids[q->n++] = id;
    return 0;
}

/* Searches the node at *at (advancing *at past it and its sub-nodes);
 * 0, or -1 with q->why set. */
static int search(qix_reader *q, size_t *at, const dl_bbox *v, int depth)
{
    if (depth > QIX_MAX_DEPTH) {
        q->why = "nodes nest too deep";
        return -1;
    }
    size_t pos = *at;
    if (q->size - pos < 4 + 32 + 4) {
        q->why = "a node runs past the end of the file";
        return -1;
    }
    int32_t sub = qi32(q, pos);
    double b[4];
    for (int i = 0; i < 4; i++)
        b[i] = qdouble(q, pos + 4 + 8 * (size_t)i);
    int32_t n = qi32(q, pos + 36);
    pos += 40;
    if (sub < 0 || n < 0 || (size_t)n > (q->size - pos) / 4 ||
        (size_t)n > (size_t)q->nrecords) {
        q->why = "a node's counts do not fit the file";
        return -1;
    }
    int hit = !(b[0] > v->xmax || b[2] < v->xmin || b[1] > v->ymax || b[3] < v->ymin) ||
              isnan(b[0]) || isnan(b[1]) || isnan(b[2]) || isnan(b[3]);
    if (hit)
        for (int32_t i = 0; i < n; i++) {
            int32_t id = qi32(q, pos + 4 * (size_t)i);
            if (id < 0 || id >= q->nrecords) {
                q->why = "a shape id is not a record of the .shp";
                return -1;
            }
            if (add_id(q, id) != 0) {
                q->why = "out of memory";
                return -1;
            }
        }
    pos += 4 * (size_t)n;
    if (q->size - pos < 4) {
        q->why = "a node runs past the end of the file";
        return -1;
    }
    int32_t nsub = qi32(q, pos);
    pos += 4;
    if (nsub < 0 || nsub > 4 || (size_t)sub > q->size - pos) {
        q->why = "a node's sub-nodes do not fit the file";
        return -1;
    }
    size_t end = pos + (size_t)sub;
    if (!hit) {
        *at = end;
        return 0;
    }
    for (int32_t i = 0; i < nsub; i++)
        if (search(q, &pos, v, depth + 1) != 0)
            return -1;
    if (pos != end) {
        q->why = "a node's size does not match its sub-nodes";
        return -1;
    }
    *at = end;
    return 0;
}

static int compare_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int dl_qix_search(const unsigned char *data, size_t size, long nrecords, const dl_bbox *view,
                  long **ids, size_t *n, const char **why)
{
    *ids = NULL;
    *n = 0;
    *why = NULL;
    qix_reader q = {.p = data, .size = size, .nrecords = nrecords};
    if (size < 16 || memcmp(data, "SQT", 3) != 0 || (data[3] != 1 && data[3] != 2) ||
        data[4] != 1) {
        *why = "not a shapelib quadtree (.qix) of version 1";
        return -1;
    }
    q.msb = data[3] == 2;
    if (qi32(&q, 8) != nrecords) {
        *why = "it indexes a different number of shapes than the .shp has";
        return -1;
    }
    size_t at = 16;
    if (search(&q, &at, view, 0) != 0 || at != size) {
        *why = q.why ? q.why : "bytes follow the last node";
        free(q.ids);
        return -1;
    }
    /* Ascending record order, each once: the file is read front to back,
     * and a shape may sit in a node and be listed again by a writer. */
    qsort(q.ids, q.n, sizeof *q.ids, compare_long);
    size_t k = 0;
    for (size_t i = 0; i < q.n; i++)
        if (k == 0 || q.ids[k - 1] != q.ids[i])
            q.ids[k++] = q.ids[i];
    *ids = q.ids;
    *n = k;
    return 0;
}

dline_status dl_qix_write(dline_ctx *ctx, const char *qix_path, const dl_bbox *boxes, long n,
                          dl_bbox bounds)
{
    double min[4] = {bounds.xmin, bounds.ymin, 0, 0}, max[4] = {bounds.xmax, bounds.ymax, 0, 0};
    /* Depth as shapelib picks it for a file: about 8 shapes a leaf. */
    int depth = 0;
    for (long nodes = 1; nodes * 8 < n && depth < 12; nodes *= 2)
        depth++;
    SHPTree *tree = SHPCreateTree(NULL, 2, depth, min, max);
    if (!tree)
        return dl_error(ctx, DLINE_ENOMEM, qix_path, 0, 0, "out of memory");
    for (long i = 0; i < n; i++) {
        if (dl_bbox_is_empty(boxes[i]))
            continue; /* a null shape: in no node */
        double x[2] = {boxes[i].xmin, boxes[i].xmax}, y[2] = {boxes[i].ymin, boxes[i].ymax};
        SHPObject *o = SHPCreateObject(SHPT_MULTIPOINT, (int)i, 0, NULL, NULL, 2, x, y, NULL, NULL);
        if (!o || !SHPTreeAddShapeId(tree, o)) {
            SHPDestroyObject(o);
            SHPDestroyTree(tree);
            return dl_error(ctx, DLINE_ENOMEM, qix_path, 0, 0, "out of memory");
        }
        SHPDestroyObject(o);
    }
    SHPTreeTrimExtraNodes(tree);
    /* Written beside the target and renamed, as every output. */
    size_t len = strlen(qix_path);
    char *tmp = malloc(len + 8 + 24);
    if (!tmp) {
        SHPDestroyTree(tree);
        return dl_error(ctx, DLINE_ENOMEM, qix_path, 0, 0, "out of memory");
    }
    /* A name of this process's own, created here (O_EXCL) with the
     * permissions the umask gives new files, unlike mkstemp's 0600. */
    snprintf(tmp, len + 8 + 24, "%s.%ld.tmp", qix_path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        SHPDestroyTree(tree);
        free(tmp);
        return dl_error(ctx, DLINE_EIO, qix_path, 0, 0, "cannot write: %s", strerror(e));
    }
    close(fd);
    int ok = SHPWriteTree(tree, tmp);
    SHPDestroyTree(tree);
    if (!ok) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return dl_error(ctx, DLINE_EIO, qix_path, 0, 0, "cannot write: %s",
                        strerror(e ? e : EIO));
    }
    if (rename(tmp, qix_path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return dl_error(ctx, DLINE_EIO, qix_path, 0, 0, "cannot write: %s", strerror(e));
    }
    free(tmp);
    return DLINE_OK;
}
