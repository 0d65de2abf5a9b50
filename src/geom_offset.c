/* Offset curves: a polyline moved sideways by a distance, for line-offset and
 * line-gap-width. The renderer calls this per part with buffers it reuses. */
#include "geom.h"

#include <math.h>
#include <stdint.h>

static int usable(const double *xy, size_t i)
{
    return isfinite(xy[2 * i]) && isfinite(xy[2 * i + 1]);
}

static int same(const double *xy, size_t i, size_t j)
{
    return xy[2 * i] == xy[2 * j] && xy[2 * i + 1] == xy[2 * j + 1];
}

/* The next usable vertex after i that differs from vertex i, or n: repeated
 * vertices have no direction to offset along. */
static size_t next_distinct(const double *xy, size_t n, size_t i)
{
    for (size_t j = i + 1; j < n; j++)
        if (usable(xy, j) && !same(xy, i, j))
            return j;
    return n;
}

/* Unit normal to the right of a -> b on a y-down screen. */
static void right_normal(const double *xy, size_t a, size_t b, double nrm[2])
{
    double dx = xy[2 * b] - xy[2 * a], dy = xy[2 * b + 1] - xy[2 * a + 1];
    double len = hypot(dx, dy);
    nrm[0] = -dy / len;
    nrm[1] = dx / len;
}

static size_t emit(double *out, size_t k, double x, double y)
{
    out[2 * k] = x;
    out[2 * k + 1] = y;
    return k + 1;
}

/* The corner at vertex `cur` between the offset segments prev -> cur and
 * cur -> next: their intersection (the miter point), or both segment ends
 * (a bevel) where the miter would reach further than limit x |off|. */
static size_t join(const double *xy, size_t prev, size_t cur, size_t next, double off,
                   double limit, double *out, size_t k)
{
    double na[2], nb[2];
    right_normal(xy, prev, cur, na);
    right_normal(xy, cur, next, nb);
    double px = xy[2 * cur], py = xy[2 * cur + 1];
    double c = 1 + na[0] * nb[0] + na[1] * nb[1]; /* 1 + cos of the turn */
    double mx = na[0] + nb[0], my = na[1] + nb[1];
    /* |m| / c is the miter length over |off|: 1 / cos(half the turn). */
    if (c > 1e-12 && hypot(mx, my) <= limit * c) {
        if (c > 2 - 1e-12)
            return emit(out, k, px + off * na[0], py + off * na[1]); /* straight on */
        return emit(out, k, px + off * mx / c, py + off * my / c);
    }
    k = emit(out, k, px + off * na[0], py + off * na[1]);
    return emit(out, k, px + off * nb[0], py + off * nb[1]);
}

size_t dl_geom_offset_line(const double *xy, size_t n, int closed, double off,
                           double miter_limit, double *out)
{
    size_t i0 = 0;
    while (i0 < n && !usable(xy, i0))
        i0++;
    size_t i1 = next_distinct(xy, n, i0);
    if (i1 >= n)
        return 0;
    size_t k = 0;
    double nrm[2];
    if (!closed) {
        right_normal(xy, i0, i1, nrm);
        k = emit(out, k, xy[2 * i0] + off * nrm[0], xy[2 * i0 + 1] + off * nrm[1]);
        size_t prev = i0, cur = i1;
        for (;;) {
            size_t next = next_distinct(xy, n, cur);
            if (next >= n) {
                right_normal(xy, prev, cur, nrm);
                return emit(out, k, xy[2 * cur] + off * nrm[0], xy[2 * cur + 1] + off * nrm[1]);
            }
            k = join(xy, prev, cur, next, off, miter_limit, out, k);
            prev = cur;
            cur = next;
        }
    }
    /* A ring: the last vertex that differs from the first closes it (rings
     * usually repeat their first vertex at the end). */
    size_t last = n;
    for (size_t j = n; j-- > i1;) {
        if (usable(xy, j) && !same(xy, j, i0)) {
            last = j;
            break;
        }
    }
    if (last >= n || last == i1)
        return 0; /* fewer than three corners: no area to go round */
    size_t prev = last, cur = i0;
    do {
        size_t next = cur == last ? i0 : next_distinct(xy, n, cur);
        if (next > last)
            next = i0;
        if (same(xy, cur, next))
            break; /* the ring touches its first vertex early: stop there */
        k = join(xy, prev, cur, next, off, miter_limit, out, k);
        prev = cur;
        cur = next;
    } while (cur != i0);
    return k;
}
