/* Features, parts and rings: growable geometry buffers, bounding boxes, ring
 * orientation and the outer-ring/hole grouping that polygon filling needs. */
#include "geom.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dl_geom_init(dl_geom *g)
{
    memset(g, 0, sizeof *g);
    g->type = DL_GEOM_NONE;
}

void dl_geom_clear(dl_geom *g)
{
    if (!g)
        return;
    free(g->xy);
    free(g->part_start);
    free(g->hole);
    dl_geom_init(g);
}

/* Doubling keeps the number of reallocations logarithmic when a reader
 * streams features of growing size through one geometry. */
static size_t grow_to(size_t cap, size_t need)
{
    size_t c = cap ? cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return need;
        c *= 2;
    }
    return c;
}

int dl_geom_reserve(dl_geom *g, size_t npoints, size_t nparts)
{
    if (npoints > g->cap_points || !g->xy) {
        size_t cap = grow_to(g->cap_points, npoints);
        if (cap > SIZE_MAX / (2 * sizeof(double)))
            return -1;
        double *xy = realloc(g->xy, cap * 2 * sizeof(double));
        if (!xy)
            return -1;
        g->xy = xy;
        g->cap_points = cap;
    }
    /* part_start always exists (nparts + 1 entries, so at least one) even for
     * an empty geometry: readers may look at part_start[nparts]. */
    if (nparts > g->cap_parts || !g->part_start || !g->hole) {
        size_t cap = grow_to(g->cap_parts, nparts);
        if (cap >= SIZE_MAX / sizeof(size_t))
            return -1;
        size_t *ps = realloc(g->part_start, (cap + 1) * sizeof(size_t));
        if (!ps)
            return -1;
        g->part_start = ps;
        unsigned char *hole = realloc(g->hole, cap);
        if (!hole)
            return -1;
        g->hole = hole;
        g->cap_parts = cap;
    }
    return 0;
}

int dl_geom_copy(dl_geom *dst, const dl_geom *src)
{
    if (dl_geom_reserve(dst, src->npoints, src->nparts) != 0)
        return -1;
    dst->type = src->type;
    dst->npoints = src->npoints;
    dst->nparts = src->nparts;
    if (src->npoints)
        memcpy(dst->xy, src->xy, src->npoints * 2 * sizeof(double));
    if (src->part_start)
        memcpy(dst->part_start, src->part_start, (src->nparts + 1) * sizeof(size_t));
    else
        dst->part_start[0] = 0;
    if (src->nparts) {
        if (src->hole)
            memcpy(dst->hole, src->hole, src->nparts);
        else
            memset(dst->hole, 0, src->nparts);
    }
    return 0;
}

dl_bbox dl_bbox_empty(void)
{
    dl_bbox b = {HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
    return b;
}

int dl_bbox_is_empty(dl_bbox b)
{
    /* Written so that NaN bounds also count as empty. */
    return !(b.xmin <= b.xmax && b.ymin <= b.ymax);
}

void dl_bbox_add(dl_bbox *b, double x, double y)
{
    if (x < b->xmin)
        b->xmin = x;
    if (x > b->xmax)
        b->xmax = x;
    if (y < b->ymin)
        b->ymin = y;
    if (y > b->ymax)
        b->ymax = y;
}

int dl_bbox_intersects(dl_bbox a, dl_bbox b)
{
    if (dl_bbox_is_empty(a) || dl_bbox_is_empty(b))
        return 0;
    return a.xmin <= b.xmax && b.xmin <= a.xmax && a.ymin <= b.ymax && b.ymin <= a.ymax;
}

dl_bbox dl_geom_bbox(const dl_geom *g)
{
    dl_bbox b = dl_bbox_empty();
    for (size_t i = 0; i < g->npoints; i++)
        dl_bbox_add(&b, g->xy[2 * i], g->xy[2 * i + 1]);
    return b;
}

static dl_bbox ring_bbox(const dl_geom *g, size_t part)
{
    dl_bbox b = dl_bbox_empty();
    for (size_t i = g->part_start[part]; i < g->part_start[part + 1]; i++)
        dl_bbox_add(&b, g->xy[2 * i], g->xy[2 * i + 1]);
    return b;
}

double dl_geom_ring_area(const dl_geom *g, size_t part)
{
    size_t start = g->part_start[part], end = g->part_start[part + 1];
    if (end - start < 3)
        return 0.0;
    /* Coordinates relative to the first vertex: projected coordinates are
     * often in the millions and the products would lose the small area. */
    double x0 = g->xy[2 * start], y0 = g->xy[2 * start + 1];
    double sum = 0.0;
    for (size_t i = start; i < end; i++) {
        size_t j = i + 1 < end ? i + 1 : start;
        double xi = g->xy[2 * i] - x0, yi = g->xy[2 * i + 1] - y0;
        double xj = g->xy[2 * j] - x0, yj = g->xy[2 * j + 1] - y0;
        sum += xi * yj - xj * yi;
    }
    return sum / 2.0;
}

int dl_geom_ring_contains(const dl_geom *g, size_t part, double x, double y)
{
    size_t start = g->part_start[part], end = g->part_start[part + 1];
    if (end - start < 3)
        return 0;
    int inside = 0;
    for (size_t i = start, j = end - 1; i < end; j = i++) {
        double xi = g->xy[2 * i], yi = g->xy[2 * i + 1];
        double xj = g->xy[2 * j], yj = g->xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            inside = !inside;
    }
    return inside;
}

/* 1 when (x,y) lies exactly on an edge of ring `part`: such a vertex says
 * nothing about which side of the ring the rest of a touching hole is on. */
static int on_ring_boundary(const dl_geom *g, size_t part, double x, double y)
{
    size_t start = g->part_start[part], end = g->part_start[part + 1];
    if (end == start)
        return 0;
    for (size_t i = start, j = end - 1; i < end; j = i++) {
        double xi = g->xy[2 * i], yi = g->xy[2 * i + 1];
        double xj = g->xy[2 * j], yj = g->xy[2 * j + 1];
        double cross = (xj - xi) * (y - yi) - (yj - yi) * (x - xi);
        if (cross == 0.0 && x >= fmin(xi, xj) && x <= fmax(xi, xj) && y >= fmin(yi, yj)
            && y <= fmax(yi, yj))
            return 1;
    }
    return 0;
}

/* Whether ring `inner` lies inside ring `outer`: decided by the first vertex
 * of inner that is not on outer's boundary (holes often touch their outer
 * ring at a vertex). A ring lying wholly on the boundary counts as inside. */
static int ring_inside(const dl_geom *g, size_t inner, size_t outer)
{
    for (size_t i = g->part_start[inner]; i < g->part_start[inner + 1]; i++) {
        double x = g->xy[2 * i], y = g->xy[2 * i + 1];
        if (!on_ring_boundary(g, outer, x, y))
            return dl_geom_ring_contains(g, outer, x, y);
    }
    return 1;
}

static int bbox_within(dl_bbox in, dl_bbox out)
{
    return in.xmin >= out.xmin && in.xmax <= out.xmax && in.ymin >= out.ymin
           && in.ymax <= out.ymax;
}

static void reverse_ring(dl_geom *g, size_t part)
{
    size_t i = g->part_start[part], j = g->part_start[part + 1];
    if (j - i < 2)
        return;
    for (j--; i < j; i++, j--) {
        double tx = g->xy[2 * i], ty = g->xy[2 * i + 1];
        g->xy[2 * i] = g->xy[2 * j];
        g->xy[2 * i + 1] = g->xy[2 * j + 1];
        g->xy[2 * j] = tx;
        g->xy[2 * j + 1] = ty;
    }
}

/* Per-ring working state of dl_geom_organize_rings, one allocation. */
typedef struct {
    double area;
    dl_bbox box;
    size_t owner; /* the outer ring of a hole; the ring itself for an outer */
} ring_info;

int dl_geom_organize_rings(dl_geom *g)
{
    if (g->type != DL_GEOM_POLYGON || g->nparts == 0)
        return 0;
    size_t n = g->nparts;
    if (n == 1) {
        /* A lone ring is an outer ring whatever its orientation (as GDAL
         * reads it): many writers get the orientation wrong. */
        g->hole[0] = 0;
        if (dl_geom_ring_area(g, 0) > 0)
            reverse_ring(g, 0);
        return 0;
    }

    if (n > SIZE_MAX / (sizeof(ring_info) + 2 * sizeof(size_t)))
        return -1;
    ring_info *info = malloc(n * sizeof *info);
    size_t *order = malloc(n * sizeof *order);
    if (!info || !order) {
        free(info);
        free(order);
        return -1;
    }
    /* Shapefile rule: outer rings run clockwise (negative area, y up), holes
     * counter-clockwise. A degenerate ring (zero area) is taken as outer. */
    for (size_t i = 0; i < n; i++) {
        info[i].area = dl_geom_ring_area(g, i);
        info[i].box = ring_bbox(g, i);
        info[i].owner = i;
    }
    for (size_t h = 0; h < n; h++) {
        if (!(info[h].area > 0))
            continue;
        size_t best = SIZE_MAX;
        for (size_t o = 0; o < n; o++) {
            if (info[o].area > 0 || -info[o].area < info[h].area)
                continue;
            if (best != SIZE_MAX && -info[o].area >= -info[best].area)
                continue;
            if (bbox_within(info[h].box, info[o].box) && ring_inside(g, h, o))
                best = o;
        }
        /* A hole inside no outer ring is drawn as an outer ring (GDAL does
         * the same): usually a polygon written with the wrong orientation. */
        info[h].owner = best == SIZE_MAX ? h : best;
    }

    /* Outer rings keep their relative order; each is followed by its holes
     * in their relative order. */
    size_t k = 0;
    for (size_t o = 0; o < n; o++) {
        if (info[o].owner != o)
            continue;
        order[k++] = o;
        for (size_t h = 0; h < n; h++)
            if (h != o && info[h].owner == o)
                order[k++] = h;
    }

    int identity = 1;
    for (size_t i = 0; i < n; i++)
        if (order[i] != i)
            identity = 0;
    if (!identity) {
        /* Rebuild into scratch arrays and copy back, so the geometry keeps
         * its own (reused) buffers. Only reached for out-of-order rings. */
        double *xy = malloc(g->npoints ? g->npoints * 2 * sizeof(double) : 1);
        size_t *ps = malloc((n + 1) * sizeof(size_t));
        ring_info *tmp = malloc(n * sizeof *tmp);
        if (!xy || !ps || !tmp) {
            free(xy);
            free(ps);
            free(tmp);
            free(info);
            free(order);
            return -1;
        }
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = order[i];
            size_t start = g->part_start[r], len = g->part_start[r + 1] - start;
            ps[i] = at;
            if (len)
                memcpy(xy + 2 * at, g->xy + 2 * start, len * 2 * sizeof(double));
            at += len;
            tmp[i] = info[r];
            /* owners are ring indices; an outer ring is its own owner */
            tmp[i].owner = info[r].owner == r ? i : SIZE_MAX;
        }
        ps[n] = at;
        if (at)
            memcpy(g->xy, xy, at * 2 * sizeof(double));
        memcpy(g->part_start, ps, (n + 1) * sizeof(size_t));
        memcpy(info, tmp, n * sizeof *info);
        free(xy);
        free(ps);
        free(tmp);
    } else {
        for (size_t i = 0; i < n; i++)
            info[i].owner = info[i].owner == i ? i : SIZE_MAX;
    }

    /* Opposite windings for outer rings and holes, so the non-zero fill rule
     * cuts the holes; we keep the shapefile's convention (outer clockwise). */
    for (size_t i = 0; i < n; i++) {
        int is_hole = info[i].owner != i;
        g->hole[i] = (unsigned char)is_hole;
        if ((!is_hole && info[i].area > 0) || (is_hole && info[i].area < 0))
            reverse_ring(g, i);
    }
    free(info);
    free(order);
    return 0;
}

const char *dl_value_format(const dl_value *v, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    buf[0] = '\0';
    if (!v)
        return buf;
    switch (v->type) {
    case DL_VAL_NULL:
        break;
    case DL_VAL_STRING:
    case DL_VAL_DATE:
        snprintf(buf, size, "%s", v->s ? v->s : "");
        break;
    case DL_VAL_INT:
        snprintf(buf, size, "%lld", v->i);
        break;
    case DL_VAL_DOUBLE:
        snprintf(buf, size, "%.15g", v->d);
        break;
    case DL_VAL_BOOL:
        snprintf(buf, size, "%s", v->i ? "true" : "false");
        break;
    }
    return buf;
}
