/* Label points for polygons: the pole of inaccessibility (polylabel, after
 * Vladimir Agafonkin's algorithm for Mapbox), the interior point farthest
 * from the outline, which stays inside C-shaped polygons and out of holes. */
#include "geom.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    double x, y; /* centre */
    double h;    /* half the side */
    double d;    /* signed distance from the centre to the outline, > 0 inside */
    double max;  /* the best distance any point of the cell could have */
} cell;

typedef struct {
    const dl_geom *g;
    size_t first, last; /* parts [first, last): the outer ring and its holes */
} polygon;

static double segment_dist2(double px, double py, double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double x = ax, y = ay;
    if (dx != 0 || dy != 0) {
        double t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);
        if (t > 1) {
            x = bx;
            y = by;
        } else if (t > 0) {
            x += dx * t;
            y += dy * t;
        }
    }
    dx = px - x;
    dy = py - y;
    return dx * dx + dy * dy;
}

/* Distance from (x,y) to the nearest edge of any ring, negative outside
 * (even-odd over the rings, so holes count as outside). */
static double signed_dist(const polygon *pg, double x, double y)
{
    const dl_geom *g = pg->g;
    int inside = 0;
    double best = HUGE_VAL;
    for (size_t p = pg->first; p < pg->last; p++) {
        size_t s = g->part_start[p], e = g->part_start[p + 1];
        if (e == s)
            continue;
        for (size_t i = s, j = e - 1; i < e; j = i++) {
            double ax = g->xy[2 * i], ay = g->xy[2 * i + 1];
            double bx = g->xy[2 * j], by = g->xy[2 * j + 1];
            if ((ay > y) != (by > y) && x < (bx - ax) * (y - ay) / (by - ay) + ax)
                inside = !inside;
            double d2 = segment_dist2(x, y, ax, ay, bx, by);
            if (d2 < best)
                best = d2;
        }
    }
    return (inside ? 1 : -1) * sqrt(best);
}

static cell make_cell(const polygon *pg, double x, double y, double h)
{
    cell c = {x, y, h, signed_dist(pg, x, y), 0};
    c.max = c.d + h * 1.4142135623730951;
    return c;
}

/* A max-heap on cell.max: the most promising cell first. */
typedef struct {
    cell *a;
    size_t n, cap;
} heap;

static int heap_push(heap *q, cell c)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        if (cap > SIZE_MAX / sizeof(cell))
            return -1;
        cell *a = realloc(q->a, cap * sizeof(cell));
        if (!a)
            return -1;
        q->a = a;
        q->cap = cap;
    }
    size_t i = q->n++;
    while (i > 0 && q->a[(i - 1) / 2].max < c.max) {
        q->a[i] = q->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->a[i] = c;
    return 0;
}

static cell heap_pop(heap *q)
{
    cell top = q->a[0], last = q->a[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && q->a[c + 1].max > q->a[c].max)
            c++;
        if (!(q->a[c].max > last.max))
            break;
        q->a[i] = q->a[c];
        i = c;
    }
    if (q->n)
        q->a[i] = last;
    return top;
}

/* The area centroid of the outer ring as a first guess (the first vertex
 * when the ring has no area). */
static cell centroid_cell(const polygon *pg)
{
    const dl_geom *g = pg->g;
    size_t s = g->part_start[pg->first], e = g->part_start[pg->first + 1];
    double x0 = g->xy[2 * s], y0 = g->xy[2 * s + 1];
    double a2 = 0, cx = 0, cy = 0;
    for (size_t i = s; i < e; i++) {
        size_t j = i + 1 < e ? i + 1 : s;
        double xi = g->xy[2 * i] - x0, yi = g->xy[2 * i + 1] - y0;
        double xj = g->xy[2 * j] - x0, yj = g->xy[2 * j + 1] - y0;
        double f = xi * yj - xj * yi;
        cx += (xi + xj) * f;
        cy += (yi + yj) * f;
        a2 += f;
    }
    if (a2 == 0)
        return make_cell(pg, x0, y0, 0);
    return make_cell(pg, x0 + cx / (3 * a2), y0 + cy / (3 * a2), 0);
}

/* Bounds the work on hostile input: a million cells is far beyond what any
 * map polygon at a pixel's precision needs. */
#define MAX_CELLS 1000000

int dl_geom_pole_of_inaccessibility(const dl_geom *g, size_t outer_part, double precision,
                                    double *x, double *y)
{
    if (!g->part_start || outer_part >= g->nparts)
        return -1;
    size_t s = g->part_start[outer_part], e = g->part_start[outer_part + 1];
    if (e <= s)
        return -1;
    polygon pg = {g, outer_part, outer_part + 1};
    while (g->hole && pg.last < g->nparts && g->hole[pg.last])
        pg.last++;

    dl_bbox b = dl_bbox_empty();
    for (size_t i = s; i < e; i++)
        dl_bbox_add(&b, g->xy[2 * i], g->xy[2 * i + 1]);
    if (dl_bbox_is_empty(b) || !isfinite(b.xmin) || !isfinite(b.xmax) || !isfinite(b.ymin) ||
        !isfinite(b.ymax))
        return -1;
    double w = b.xmax - b.xmin, h = b.ymax - b.ymin;
    double size = fmin(w, h);
    if (!(precision > 0))
        precision = 1;
    /* A ring thinner than the coordinates' own rounding (a polygon clipped
     * to a sliver at an image edge) has no inside to search: its box's
     * centre will do. */
    if (!(size > 1e-9 * (1 + fabs(b.xmin) + fabs(b.ymin)))) {
        *x = b.xmin + w / 2;
        *y = b.ymin + h / 2;
        return 0;
    }

    heap q = {NULL, 0, 0};
    /* Very long thin rings would need a vast first grid; start coarser. */
    while (ceil(w / size) * ceil(h / size) > MAX_CELLS / 4)
        size *= 2;
    double half = size / 2;
    /* Counted, not stepped by adding size: a step below the coordinates'
     * precision would never reach the end. */
    double nx = ceil(w / size), ny = ceil(h / size);
    for (double i = 0; i < nx; i++)
        for (double j = 0; j < ny; j++)
            if (heap_push(&q, make_cell(&pg, b.xmin + i * size + half, b.ymin + j * size + half,
                                        half)) != 0)
                goto fail;

    cell best = centroid_cell(&pg);
    cell mid = make_cell(&pg, b.xmin + w / 2, b.ymin + h / 2, 0);
    if (mid.d > best.d)
        best = mid;

    size_t made = q.n;
    while (q.n > 0) {
        cell c = heap_pop(&q);
        if (c.d > best.d)
            best = c;
        if (c.max - best.d <= precision || made > MAX_CELLS)
            continue;
        double hh = c.h / 2;
        if (heap_push(&q, make_cell(&pg, c.x - hh, c.y - hh, hh)) != 0 ||
            heap_push(&q, make_cell(&pg, c.x + hh, c.y - hh, hh)) != 0 ||
            heap_push(&q, make_cell(&pg, c.x - hh, c.y + hh, hh)) != 0 ||
            heap_push(&q, make_cell(&pg, c.x + hh, c.y + hh, hh)) != 0)
            goto fail;
        made += 4;
    }
    free(q.a);
    *x = best.x;
    *y = best.y;
    return 0;
fail:
    free(q.a);
    return -1;
}
