/* Anti-aliased scan conversion by exact area per cell (see raster.h), after
 * AGG's rasterizer_cells_aa and scanline sweep.
 *
 * Coordinates are 24.8 fixed point. Every edge is cut at pixel rows and
 * columns; within a cell (one pixel) a piece of edge rising dy subpixels
 * (signed by its direction) adds dy to the cell's `cover` and dy times the
 * sum of its two distances from the cell's left side to its `area` (twice
 * the area, in 1/256 px units). Sweeping a row from the left, a pixel's
 * winding-weighted coverage is 2 * 256 * (the covers of the cells up to and
 * including it) minus its area; a run of pixels with no cell has the covers
 * summed so far. Its magnitude, clamped to one pixel, is the coverage. */
#include "render/raster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SHIFT 8
#define ONE (1 << SHIFT)
#define MASK (ONE - 1)
/* |coverage * 2 * 256| of a whole pixel. */
#define FULL (2 * ONE * ONE)
/* Input coordinates are clamped to this before anything else, so every
 * difference and product stays finite. */
#define HUGE_COORD 1e12
/* Edges are cut at |y| = FAR px (the same for every band) before they
 * become 24.8 fixed point, so differences of coordinates fit an int. */
#define FAR 2097152.0

typedef struct {
    int x, y, cover, area;
} cell;

struct dl_raster {
    int x0, y0, x1, y1; /* clip, in pixels */
    cell *cells;
    size_t ncells, cap_cells;
    cell cur; /* the cell being accumulated (AGG's m_curr_cell) */
    int min_y, max_y; /* rows that may hold cells */
    size_t sorted;    /* how many cells rows and by_row sort (0: none) */
    unsigned *rows;   /* per touched row, the start of its cells in by_row */
    size_t cap_rows;
    const cell **by_row;
    size_t cap_by_row;
    double *pts; /* stroke outline scratch */
    size_t npts, cap_pts;
    double *rev; /* the other side of a stroke, reversed at the end */
    size_t nrev, cap_rev;
    double *vtx; /* a stroke's distinct vertices */
    size_t nvtx, cap_vtx;
    double *dirs; /* its segments' unit directions and lengths (3 per segment) */
    size_t cap_dirs;
    double arc_hw, arc_step, arc_cos; /* arc_steps: the last half width's */
    /* Coverage kept by dl_raster_keep, the most of each shape's per pixel,
     * laid out over the clip box (kw pixels a row); row y - y0 has it in
     * [lo, hi), rows kmin..kmax (relative to y0) have any. */
    uint8_t *cov;
    size_t cap_cov;
    int *lo, *hi;
    size_t cap_lohi;
    int kw, kmin, kmax;
    int failed;
};

dl_raster *dl_raster_new(void)
{
    dl_raster *R = calloc(1, sizeof(dl_raster));
    if (R)
        dl_raster_reset(R, 0, 0, 0, 0);
    return R;
}

void dl_raster_free(dl_raster *R)
{
    if (!R)
        return;
    free(R->cells);
    free(R->rows);
    free(R->by_row);
    free(R->pts);
    free(R->rev);
    free(R->vtx);
    free(R->dirs);
    free(R->cov);
    free(R->lo);
    free(R->hi);
    free(R);
}

static void forget(dl_raster *R)
{
    R->ncells = 0;
    R->cur = (cell){INT32_MIN, INT32_MIN, 0, 0};
    R->min_y = INT32_MAX;
    R->max_y = INT32_MIN;
    R->sorted = 0;
    R->failed = 0;
}

static void clear_kept(dl_raster *R)
{
    for (int r = R->kmin; r <= R->kmax; r++) {
        if (R->lo[r] < R->hi[r])
            memset(R->cov + (size_t)r * (size_t)R->kw + (size_t)R->lo[r], 0,
                   (size_t)(R->hi[r] - R->lo[r]));
        R->lo[r] = INT32_MAX;
        R->hi[r] = INT32_MIN;
    }
    R->kmin = INT32_MAX;
    R->kmax = INT32_MIN;
}

void dl_raster_reset(dl_raster *R, int x0, int y0, int x1, int y1)
{
    if (R->cov)
        clear_kept(R);
    R->kmin = INT32_MAX;
    R->kmax = INT32_MIN;
    R->x0 = x0 < 0 ? 0 : x0;
    R->y0 = y0 < 0 ? 0 : y0;
    R->x1 = x1;
    R->y1 = y1;
    if (R->x1 <= R->x0 || R->y1 <= R->y0) { /* nothing visible */
        R->x1 = R->x0;
        R->y1 = R->y0;
    }
    forget(R);
}

/* Cells */

static void push_cell(dl_raster *R)
{
    if (R->ncells == R->cap_cells) {
        size_t cap = R->cap_cells ? 2 * R->cap_cells : 4096;
        cell *c = cap < SIZE_MAX / sizeof *c ? realloc(R->cells, cap * sizeof *c) : NULL;
        if (!c) {
            R->failed = 1;
            return;
        }
        R->cells = c;
        R->cap_cells = cap;
    }
    R->cells[R->ncells++] = R->cur;
}

static inline void set_cell(dl_raster *R, int x, int y)
{
    if (R->cur.x != x || R->cur.y != y) {
        if (R->cur.cover | R->cur.area)
            push_cell(R);
        R->cur.x = x;
        R->cur.y = y;
        R->cur.cover = 0;
        R->cur.area = 0;
    }
}

/* The part of an edge within pixel row ey, from (x1, y1) to (x2, y2) (x in
 * 24.8, y in subpixels within the row, 0..ONE). */
static inline void render_hline(dl_raster *R, int ey, int x1, int y1, int x2, int y2)
{
    int ex1 = x1 >> SHIFT, ex2 = x2 >> SHIFT;
    int fx1 = x1 & MASK, fx2 = x2 & MASK;
    if (y1 == y2) {
        set_cell(R, ex2, ey);
        return;
    }
    if (ex1 == ex2) {
        int delta = y2 - y1;
        R->cur.cover += delta;
        R->cur.area += (fx1 + fx2) * delta;
        return;
    }
    /* A run of cells along the row: the rise is shared out by the exact
     * intercepts (integer division with the remainder carried). */
    long long p = (long long)(ONE - fx1) * (y2 - y1);
    int first = ONE, incr = 1;
    long long dx = (long long)x2 - x1;
    if (dx < 0) {
        p = (long long)fx1 * (y2 - y1);
        first = 0;
        incr = -1;
        dx = -dx;
    }
    long long delta = p / dx, mod = p % dx;
    if (mod < 0) {
        delta--;
        mod += dx;
    }
    R->cur.cover += (int)delta;
    R->cur.area += (fx1 + first) * (int)delta;
    ex1 += incr;
    set_cell(R, ex1, ey);
    y1 += (int)delta;
    if (ex1 != ex2) {
        p = (long long)ONE * (y2 - y1 + delta);
        long long lift = p / dx, rem = p % dx;
        if (rem < 0) {
            lift--;
            rem += dx;
        }
        mod -= dx;
        while (ex1 != ex2) {
            delta = lift;
            mod += rem;
            if (mod >= 0) {
                mod -= dx;
                delta++;
            }
            R->cur.cover += (int)delta;
            R->cur.area += ONE * (int)delta;
            y1 += (int)delta;
            ex1 += incr;
            set_cell(R, ex1, ey);
        }
    }
    int d = y2 - y1;
    R->cur.cover += d;
    R->cur.area += (fx2 + ONE - first) * d;
}

static inline long long floor_div(long long p, long long d, long long *mod)
{
    long long q = p / d, m = p % d;
    if (m < 0) {
        q--;
        m += d;
    }
    *mod = m;
    return q;
}

/* An edge in 24.8 fixed point (x inside the clip box's columns or on x1,
 * whose cells are never drawn). Only the clip box's rows get cells: where
 * the edge starts above (or, rising, below) them, the walk starts at the
 * first visible row with the state it would have reached there, so a
 * band's rows come out exactly as the whole surface's. */
static void line(dl_raster *R, int x1, int y1, int x2, int y2)
{
    /* A cell's sums grow by at most 2 * ONE * ONE per edge; start another
     * cell (for the same pixel: the sweep adds them) long before int
     * overflows. */
    if (R->cur.area > (1 << 29) || R->cur.area < -(1 << 29) || R->cur.cover > (1 << 29) ||
        R->cur.cover < -(1 << 29)) {
        push_cell(R);
        R->cur.cover = 0;
        R->cur.area = 0;
    }
    int ylo = R->y0, yhi = R->y1 - 1; /* visible rows */
    int dx = x2 - x1, dy = y2 - y1;
    int ex1 = x1 >> SHIFT, ey1 = y1 >> SHIFT, ey2 = y2 >> SHIFT;
    int fy1 = y1 & MASK, fy2 = y2 & MASK;
    {
        /* The rows this edge can give cells (sort_cells sorts over them). */
        int lo = ey1 < ey2 ? ey1 : ey2, hi = ey1 < ey2 ? ey2 : ey1;
        if (lo < ylo)
            lo = ylo;
        if (hi > yhi)
            hi = yhi;
        if (lo > hi)
            return;
        if (lo < R->min_y)
            R->min_y = lo;
        if (hi > R->max_y)
            R->max_y = hi;
    }
    if (ey1 == ey2) {
        if (ey1 >= ylo && ey1 <= yhi) {
            set_cell(R, ex1, ey1);
            render_hline(R, ey1, x1, fy1, x2, fy2);
        }
        return;
    }
    int incr = dy > 0 ? 1 : -1, first = dy > 0 ? ONE : 0;
    long long ldy = dy > 0 ? dy : -(long long)dy;
    /* The last row walked whole (exclusive): ey2's, or the edge of the
     * visible rows. */
    int stop = dy > 0 ? (ey2 < yhi + 1 ? ey2 : yhi + 1) : (ey2 > ylo - 1 ? ey2 : ylo - 1);
    if (dx == 0) {
        /* Vertical: one cell per row. */
        int two_fx = (x1 - (ex1 << SHIFT)) << 1;
        if (ey1 >= ylo && ey1 <= yhi) {
            int delta = first - fy1;
            set_cell(R, ex1, ey1);
            R->cur.cover += delta;
            R->cur.area += two_fx * delta;
        }
        int r = ey1 + incr;
        if (dy > 0 && r < ylo)
            r = ylo;
        if (dy < 0 && r > yhi)
            r = yhi;
        int delta = first + first - ONE, area = two_fx * delta;
        for (; (dy > 0 ? r < stop : r > stop); r += incr) {
            set_cell(R, ex1, r); /* may be the cell the last edge ended in */
            R->cur.cover += delta;
            R->cur.area += area;
        }
        if (r == ey2 && ey2 >= ylo && ey2 <= yhi) {
            set_cell(R, ex1, ey2);
            delta = fy2 - ONE + first;
            R->cur.cover += delta;
            R->cur.area += two_fx * delta;
        }
        return;
    }
    long long mod;
    int x_from;
    if (ey1 >= ylo && ey1 <= yhi) {
        long long p = (long long)(dy > 0 ? ONE - fy1 : fy1) * dx;
        x_from = x1 + (int)floor_div(p, ldy, &mod);
        set_cell(R, ex1, ey1);
        render_hline(R, ey1, x1, fy1, x_from, first);
        ey1 += incr;
    } else {
        /* Outside: enter the first visible row where the walk would. */
        if (dy > 0 ? ey1 > yhi || ey2 < ylo : ey1 < ylo || ey2 > yhi)
            return;
        ey1 = dy > 0 ? ylo : yhi;
        long long Y = (long long)(dy > 0 ? ey1 : ey1 + 1) * ONE;
        long long p = (dy > 0 ? Y - y1 : y1 - Y) * dx;
        x_from = x1 + (int)floor_div(p, ldy, &mod);
    }
    if (ey1 != stop) {
        long long rem, lift = floor_div((long long)ONE * dx, ldy, &rem);
        mod -= ldy;
        while (ey1 != stop) {
            long long delta = lift;
            mod += rem;
            if (mod >= 0) {
                mod -= ldy;
                delta++;
            }
            int x_to = x_from + (int)delta;
            set_cell(R, x_from >> SHIFT, ey1);
            render_hline(R, ey1, x_from, ONE - first, x_to, first);
            x_from = x_to;
            ey1 += incr;
        }
    }
    if (ey1 == ey2 && ey2 >= ylo && ey2 <= yhi) {
        set_cell(R, x_from >> SHIFT, ey1);
        render_hline(R, ey1, x_from, ONE - first, x2, fy2);
    }
}

static inline int fix(double v)
{
    v *= ONE;
    return (int)(v >= 0 ? v + 0.5 : v - 0.5);
}

/* A piece of edge with x inside [x0, x1] and |y| <= FAR (doubles, pixels),
 * to fixed point (rounded to nearest). */
static void line_px(dl_raster *R, double xa, double ya, double xb, double yb)
{
    line(R, fix(xa), fix(ya), fix(xb), fix(yb));
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One edge, clipped in double: to the clip box's columns (left of x0 the
 * edge still winds every visible pixel of its rows, so that part runs down
 * the line x = x0; right of x1 it winds no visible pixel and is dropped),
 * and to |y| <= FAR, the same for every band; line() keeps the rows. */
static void add_edge(dl_raster *R, double xa, double ya, double xb, double yb)
{
    double top = R->y0, bot = R->y1, L = R->x0, H = R->x1;
    if (ya == yb || (ya <= top && yb <= top) || (ya >= bot && yb >= bot) ||
        (xa >= H && xb >= H) || R->x1 <= R->x0)
        return;
    if (ya < -FAR || ya > FAR || yb < -FAR || yb > FAR) {
        double dxdy = (xb - xa) / (yb - ya);
        double ca = clampd(ya, -FAR, FAR), cb = clampd(yb, -FAR, FAR);
        double nxa = xa + (ca - ya) * dxdy, nxb = xa + (cb - ya) * dxdy;
        xa = nxa;
        xb = nxb;
        ya = ca;
        yb = cb;
        if (ya == yb || (xa >= H && xb >= H))
            return;
    }
    if (xa >= L && xa <= H && xb >= L && xb <= H) {
        line_px(R, xa, ya, xb, yb);
        return;
    }
    if (xa <= L && xb <= L) {
        line_px(R, L, ya, L, yb);
        return;
    }
    /* Cut where the edge crosses x0 and x1, clamping each piece's x. */
    double t[4] = {0, 0, 0, 1};
    int n = 1;
    double ta = (L - xa) / (xb - xa), tb = (H - xa) / (xb - xa);
    if (ta > tb) {
        double s = ta;
        ta = tb;
        tb = s;
    }
    if (ta > 0 && ta < 1)
        t[n++] = ta;
    if (tb > 0 && tb < 1)
        t[n++] = tb;
    t[n++] = 1;
    double px = xa, py = ya;
    for (int i = 1; i < n; i++) {
        double qx = i == n - 1 ? xb : xa + (xb - xa) * t[i];
        double qy = i == n - 1 ? yb : ya + (yb - ya) * t[i];
        double cx0 = clampd(px, L, H), cx1 = clampd(qx, L, H);
        if (!(cx0 >= H && cx1 >= H) && py != qy)
            line_px(R, cx0, py, cx1, qy);
        px = qx;
        py = qy;
    }
}

/* The polygon xy moved by (dx, dy), its points in reverse order when
 * reverse is set. */
static void add_polygon(dl_raster *R, const double *xy, size_t n, int reverse, double dx,
                        double dy)
{
    double fx = 0, fy = 0, lx = 0, ly = 0;
    int have = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = reverse ? n - 1 - k : k;
        double x = xy[2 * i] + dx, y = xy[2 * i + 1] + dy;
        if (!isfinite(x) || !isfinite(y))
            continue;
        x = clampd(x, -HUGE_COORD, HUGE_COORD);
        y = clampd(y, -HUGE_COORD, HUGE_COORD);
        if (have)
            add_edge(R, lx, ly, x, y);
        else {
            fx = x;
            fy = y;
            have = 1;
        }
        lx = x;
        ly = y;
    }
    if (have)
        add_edge(R, lx, ly, fx, fy);
}

void dl_raster_polygon(dl_raster *R, const double *xy, size_t n)
{
    add_polygon(R, xy, n, 0, 0, 0);
}

void dl_raster_polygon_at(dl_raster *R, const double *xy, size_t n, double dx, double dy,
                          int reverse)
{
    if (!isfinite(dx) || !isfinite(dy))
        return;
    add_polygon(R, xy, n, reverse, dx, dy);
}
/* Strokes */

static void push(dl_raster *R, double **buf, size_t *n, size_t *cap, double x, double y)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        double *p = realloc(*buf, c * 2 * sizeof *p);
        if (!p) {
            R->failed = 1;
            return;
        }
        *buf = p;
        *cap = c;
    }
    (*buf)[2 * *n] = x;
    (*buf)[2 * *n + 1] = y;
    (*n)++;
}

typedef struct {
    dl_raster *R;
    double **buf;
    size_t *n, *cap;
} side;

static void put(side *s, double x, double y)
{
    push(s->R, s->buf, s->n, s->cap, x, y);
}

/* Points of an arc about (cx, cy) of radius hw from angle a0 through da
 * radians, ends excluded; steps keep it within 0.1 px of the circle (Cairo's
 * default tolerance). */
static void arc_steps(dl_raster *R, double hw)
{
    if (hw != R->arc_hw) {
        R->arc_hw = hw;
        R->arc_step = hw > 0.1 ? 2 * acos(1 - 0.1 / hw) : M_PI;
        R->arc_cos = cos(R->arc_step);
    }
}

/* Points of an arc about (cx, cy) of radius hw from the unit vector
 * (ux, uy) through da radians, ends excluded; steps keep it within 0.1 px
 * of the circle (Cairo's default tolerance; arc_steps). Each point is the
 * last turned by one step. */
static void arc(side *s, double cx, double cy, double hw, double ux, double uy, double da)
{
    dl_raster *R = s->R;
    int k = (int)ceil(fabs(da) / R->arc_step);
    if (k > 1024)
        k = 1024;
    if (k < 2)
        return;
    double c = cos(da / k), sn = sin(da / k);
    for (int i = 1; i < k; i++) {
        double t = ux * c - uy * sn;
        uy = ux * sn + uy * c;
        ux = t;
        put(s, cx + hw * ux, cy + hw * uy);
    }
}

/* The points of one side (sgn: +1 left normal, -1 right) at the join of
 * segments with unit directions d1 then d2 at (px, py). */
static void join_side(side *s, double px, double py, const double *d1, const double *d2,
                      double len1, double len2, double sgn, double hw, dl_rjoin join,
                      double miter_limit)
{
    double n1x = -d1[1] * sgn, n1y = d1[0] * sgn, n2x = -d2[1] * sgn, n2y = d2[0] * sgn;
    double cross = d1[0] * d2[1] - d1[1] * d2[0], dot = d1[0] * d2[0] + d1[1] * d2[1];
    if (fabs(cross) < 1e-12 && dot > 0) {
        put(s, px + hw * n1x, py + hw * n1y);
        return;
    }
    int inner = sgn * cross > 0;
    if (inner) {
        /* Where the two offset lines cross, when both segments reach it;
         * else through the vertex (the body covers the notch). */
        double t = 1 + dot > 1e-9 ? hw * fabs(cross) / (1 + dot) : HUGE_VAL;
        if (t <= len1 && t <= len2) {
            put(s, px + hw * (n1x + n2x) / (1 + dot), py + hw * (n1y + n2y) / (1 + dot));
        } else {
            put(s, px + hw * n1x, py + hw * n1y);
            put(s, px, py);
            put(s, px + hw * n2x, py + hw * n2y);
        }
        return;
    }
    put(s, px + hw * n1x, py + hw * n1y);
    if (join == DL_RJOIN_MITER && miter_limit * miter_limit * (1 + dot) >= 2 && 1 + dot > 1e-9) {
        put(s, px + hw * (n1x + n2x) / (1 + dot), py + hw * (n1y + n2y) / (1 + dot));
    } else if (join == DL_RJOIN_ROUND) {
        /* The turn from n1 to n2; most joins of dense lines turn less than
         * one step and need no point between. */
        if (dot < s->R->arc_cos)
            arc(s, px, py, hw, n1x, n1y, atan2(cross, dot));
    }
    put(s, px + hw * n2x, py + hw * n2y);
}

/* A cap at (px, py), direction d pointing out of the line, from the side
 * at +normal to the side at -normal (n = left normal of d). */
static void cap_points(side *s, double px, double py, const double *d, double hw, dl_rcap cap)
{
    double nx = -d[1], ny = d[0];
    if (cap == DL_RCAP_SQUARE) {
        put(s, px + hw * (nx + d[0]), py + hw * (ny + d[1]));
        put(s, px + hw * (-nx + d[0]), py + hw * (-ny + d[1]));
    } else if (cap == DL_RCAP_ROUND) {
        /* From +n through d to -n: d is +n turned by -90 degrees. */
        double da = (nx * d[1] - ny * d[0]) > 0 ? M_PI : -M_PI;
        arc(s, px, py, hw, nx, ny, da);
    }
}

/* A dot: a zero-length line with round caps is a disc, with square caps
 * a square along the axes (as Cairo draws them); butt caps draw nothing. */
static void dot(dl_raster *R, double x, double y, double hw, dl_rcap cap)
{
    if (cap == DL_RCAP_BUTT)
        return;
    R->npts = 0;
    side s = {R, &R->pts, &R->npts, &R->cap_pts};
    if (cap == DL_RCAP_SQUARE) {
        put(&s, x - hw, y - hw);
        put(&s, x + hw, y - hw);
        put(&s, x + hw, y + hw);
        put(&s, x - hw, y + hw);
    } else {
        put(&s, x + hw, y);
        arc(&s, x, y, hw, 1, 0, 2 * M_PI);
    }
    add_polygon(R, R->pts, R->npts, 1, 0, 0); /* drawn anticlockwise: turned as strokes wind */
}

void dl_raster_stroke(dl_raster *R, const double *xy, size_t n, int closed, double hw,
                      dl_rcap cap, dl_rjoin join, double miter_limit)
{
    if (n == 0 || !(hw > 0) || !isfinite(hw))
        return;
    if (hw > HUGE_COORD)
        hw = HUGE_COORD;
    arc_steps(R, hw);
    /* Distinct consecutive points. */
    R->nvtx = 0;
    side v = {R, &R->vtx, &R->nvtx, &R->cap_vtx};
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y))
            continue;
        x = clampd(x, -HUGE_COORD, HUGE_COORD);
        y = clampd(y, -HUGE_COORD, HUGE_COORD);
        if (R->nvtx && R->vtx[2 * R->nvtx - 2] == x && R->vtx[2 * R->nvtx - 1] == y)
            continue;
        put(&v, x, y);
    }
    size_t m = R->nvtx;
    const double *p = R->vtx;
    if (closed && m > 1 && p[0] == p[2 * m - 2] && p[1] == p[2 * m - 1])
        m--;
    if (R->failed || m == 0)
        return;
    if (m == 1) {
        dot(R, p[0], p[1], hw, cap);
        return;
    }
    if (closed && m < 3)
        closed = 0;
    if (R->cap_dirs < m) {
        double *d = realloc(R->dirs, m * 3 * sizeof *d);
        if (!d) {
            R->failed = 1;
            return;
        }
        R->dirs = d;
        R->cap_dirs = m;
    }
    double *dir = R->dirs;
    size_t nseg = closed ? m : m - 1;
    for (size_t i = 0; i < nseg; i++) {
        size_t j = (i + 1) % m;
        double dx = p[2 * j] - p[2 * i], dy = p[2 * j + 1] - p[2 * i + 1];
        double len = hypot(dx, dy);
        dir[3 * i] = dx / len;
        dir[3 * i + 1] = dy / len;
        dir[3 * i + 2] = len;
    }
    for (int pass = 0; pass < 2; pass++) {
        double sgn = pass == 0 ? 1 : -1;
        size_t *cnt = pass == 0 ? &R->npts : &R->nrev;
        *cnt = 0;
        side s = pass == 0 ? (side){R, &R->pts, &R->npts, &R->cap_pts}
                           : (side){R, &R->rev, &R->nrev, &R->cap_rev};
        if (!closed) {
            double nx = -dir[1] * sgn, ny = dir[0] * sgn;
            put(&s, p[0] + hw * nx, p[1] + hw * ny);
        }
        size_t first = closed ? 0 : 1, last = closed ? m : m - 1;
        for (size_t i = first; i < last; i++) {
            size_t a = (i + nseg - 1) % nseg, b = i;
            join_side(&s, p[2 * i], p[2 * i + 1], dir + 3 * a, dir + 3 * b, dir[3 * a + 2],
                      dir[3 * b + 2], sgn, hw, join, miter_limit);
        }
        if (!closed) {
            const double *d = dir + 3 * (nseg - 1);
            double nx = -d[1] * sgn, ny = d[0] * sgn;
            put(&s, p[2 * m - 2] + hw * nx, p[2 * m - 1] + hw * ny);
        }
    }
    if (closed) {
        /* The left side and the right side reversed: whichever way the
         * ring runs, one of them is the outer ring and runs opposite to the
         * other, and the band between them winds as an open stroke's
         * outline does. */
        add_polygon(R, R->pts, R->npts, 0, 0, 0);
        add_polygon(R, R->rev, R->nrev, 1, 0, 0);
    } else {
        /* Left side out, end cap, right side back, start cap. */
        side s = {R, &R->pts, &R->npts, &R->cap_pts};
        const double *de = dir + 3 * (nseg - 1);
        cap_points(&s, p[2 * m - 2], p[2 * m - 1], de, hw, cap);
        for (size_t i = R->nrev; i-- > 0;)
            put(&s, R->rev[2 * i], R->rev[2 * i + 1]);
        double ds[2] = {-dir[0], -dir[1]};
        cap_points(&s, p[0], p[1], ds, hw, cap);
        add_polygon(R, R->pts, R->npts, 0, 0, 0);
    }
}

/* Sorting and sweeping */

static void sort_x(const cell **c, size_t n);

/* Counting sort of the cells' pointers by row over the rows they touch
 * (R->rows[y - min_y] .. R->rows[y - min_y + 1] index row y's in by_row),
 * then each row by column. -1 when out of memory. */
static int sort_cells(dl_raster *R)
{
    if (R->cur.cover | R->cur.area) {
        push_cell(R);
        R->cur.cover = 0;
        R->cur.area = 0;
    }
    if (R->failed)
        return -1;
    if (R->sorted == R->ncells)
        return 0;
    size_t nrows = (size_t)(R->max_y - R->min_y) + 1;
    if (R->cap_rows < nrows + 1) {
        unsigned *p = realloc(R->rows, (nrows + 1) * sizeof *p);
        if (!p)
            return -1;
        R->rows = p;
        R->cap_rows = nrows + 1;
    }
    if (R->cap_by_row < R->ncells) {
        const cell **p = realloc(R->by_row, R->ncells * sizeof *p);
        if (!p)
            return -1;
        R->by_row = p;
        R->cap_by_row = R->ncells;
    }
    unsigned *rows = R->rows;
    memset(rows, 0, (nrows + 1) * sizeof *rows);
    const cell *cells = R->cells;
    size_t n = R->ncells;
    int min_y = R->min_y;
    for (size_t i = 0; i < n; i++)
        rows[cells[i].y - min_y]++;
    /* rows[r] becomes the end of row r; filling backwards leaves it the
     * start. */
    unsigned sum = 0;
    for (size_t r = 0; r < nrows; r++) {
        sum += rows[r];
        rows[r] = sum;
    }
    rows[nrows] = sum;
    for (size_t i = n; i-- > 0;)
        R->by_row[--rows[cells[i].y - min_y]] = &cells[i];
    for (size_t r = 0; r < nrows; r++)
        sort_x(R->by_row + rows[r], rows[r + 1] - rows[r]);
    R->sorted = R->ncells;
    return 0;
}

static int by_x(const void *a, const void *b)
{
    const cell *p = *(const cell *const *)a, *q = *(const cell *const *)b;
    return (p->x > q->x) - (p->x < q->x);
}

static void sort_x(const cell **c, size_t n)
{
    if (n > 32) {
        qsort(c, n, sizeof *c, by_x);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        const cell *t = c[i];
        int x = t->x;
        size_t j = i;
        while (j > 0 && c[j - 1]->x > x) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = t;
    }
}

/* The coverage 0..255 of a winding-weighted area (FULL: one pixel). */
static inline unsigned alpha_of(long long a)
{
    if (a < 0)
        a = -a;
    if (a >= FULL)
        return 255;
    return (unsigned)((a * 255 + FULL / 2) >> (2 * SHIFT + 1));
}

/* src over dst with coverage a (1..254), all channels at once: two at a
 * time in 16-bit lanes, each (s * a + d * (255 - a)) / 255 rounded. */
static inline uint32_t blend(uint32_t s_rb, uint32_t s_ag, uint32_t d, uint32_t a)
{
    uint32_t ia = 255 - a;
    uint32_t rb = s_rb * a + (d & 0xff00ffu) * ia + 0x800080u;
    rb = ((rb + ((rb >> 8) & 0xff00ffu)) >> 8) & 0xff00ffu;
    uint32_t ag = s_ag * a + ((d >> 8) & 0xff00ffu) * ia + 0x800080u;
    ag = (ag + ((ag >> 8) & 0xff00ffu)) & 0xff00ff00u;
    return rb | ag;
}

/* x's two 16-bit lanes (each 0..255) times a (0..255), each / 255
 * rounded, as pixman's UN8x4_MUL_UN8. */
static inline uint32_t mul_lanes(uint32_t x, uint32_t a)
{
    uint32_t t = x * a + 0x800080u;
    return ((t + ((t >> 8) & 0xff00ffu)) >> 8) & 0xff00ffu;
}

enum { FILL, FILL_ARGB, KEEP, PROBE, A8, LINEAR };

/* A two-stop linear gradient as pixman's gradient walker evaluates it:
 * per colour, float slopes and bases over the stops' span (t in 0..1,
 * alpha in 0..255, colours in 0..1, premultiplied when a pixel is made),
 * and the pads' colours beyond it. */
typedef struct {
    double gx, gy, ux, uy; /* t = (centre - (gx, gy)) . (ux, uy) */
    float a_s, a_b, r_s, r_b, g_s, g_b, b_s, b_b;
    uint32_t pad0, pad1; /* premultiplied pixels for t < 0 and t >= 1 */
    int source;          /* SOURCE: the coverage blends to the source */
} linear;

typedef struct {
    unsigned char *data; /* FILL, FILL_ARGB, A8, LINEAR */
    int stride;
    /* The source pixel and its lanes (red and blue; alpha and green);
     * FILL_ARGB's is premultiplied. */
    uint32_t src, s_rb, s_ag;
    uint8_t *out; /* PROBE: dl_raster_coverage */
    int oy, ox, olen;
    const linear *lin; /* LINEAR */
} target;

/* A walker's premultiplied pixel at y (pixman's
 * _pixman_gradient_walker_pixel_32). */
static uint32_t walker_pixel(float a_s, float a_b, float r_s, float r_b, float g_s, float g_b,
                             float b_s, float b_b, float y)
{
    float a = a_s * y + a_b;
    float r = a * (r_s * y + r_b), g = a * (g_s * y + g_b), b = a * (b_s * y + b_b);
    uint8_t a8 = (uint8_t)(a + 0.5f), r8 = (uint8_t)(r + 0.5f), g8 = (uint8_t)(g + 0.5f),
            b8 = (uint8_t)(b + 0.5f);
    return (uint32_t)a8 << 24 | (uint32_t)r8 << 16 | (uint32_t)g8 << 8 | b8;
}

/* The gradient's pixel at the centre of (x, y): t in pixman's 16.16 fixed
 * point, truncated, then the walker's colour there. */
static inline uint32_t linear_pixel(const linear *l, int x, int y)
{
    double t = ((x + 0.5) - l->gx) * l->ux + ((y + 0.5) - l->gy) * l->uy;
    if (!(t >= 0))
        return l->pad0;
    if (!(t < 1))
        return l->pad1;
    long long f = (long long)(t * 65536);
    return walker_pixel(l->a_s, l->a_b, l->r_s, l->r_b, l->g_s, l->g_b, l->b_s, l->b_b,
                        (float)f * (1.0f / 65536.0f));
}

/* A run of len pixels of coverage a from x of row y (drow: its pixels in
 * the image, krow: in the kept coverage). */
static inline void span(dl_raster *R, const target *t, int mode, uint32_t *drow, uint8_t *krow,
                        int y, int x, int len, unsigned a)
{
    if (mode == FILL) {
        uint32_t *p = drow + x;
        if (a == 255) {
            for (int i = 0; i < len; i++)
                p[i] = t->src;
        } else {
            for (int i = 0; i < len; i++)
                p[i] = blend(t->s_rb, t->s_ag, p[i], a);
        }
    } else if (mode == FILL_ARGB) {
        /* Premultiplied OVER, as pixman composites a solid source through
         * an 8-bit mask: the source times the coverage, then the
         * destination times one minus that alpha, each rounded. */
        uint32_t s_rb = t->s_rb, s_ag = t->s_ag;
        if (a != 255) {
            s_rb = mul_lanes(s_rb, a);
            s_ag = mul_lanes(s_ag, a);
        }
        uint32_t s = s_rb | s_ag << 8, ia = 255 - (s_ag >> 16);
        uint32_t *p = drow + x;
        for (int i = 0; i < len; i++) {
            uint32_t d = p[i];
            p[i] = s + (mul_lanes(d & 0xff00ffu, ia) | mul_lanes((d >> 8) & 0xff00ffu, ia) << 8);
        }
    } else if (mode == LINEAR) {
        /* OVER as FILL_ARGB, pixel by pixel; SOURCE as Cairo's image
         * compositor does it through a mask: the destination times one
         * minus the coverage (OUT_REVERSE), then the source times it added
         * (ADD), each rounded. */
        uint32_t *p = drow + x;
        for (int i = 0; i < len; i++) {
            uint32_t s = linear_pixel(t->lin, x + i, y);
            uint32_t s_rb = s & 0xff00ffu, s_ag = (s >> 8) & 0xff00ffu, d = p[i];
            if (a != 255) {
                s_rb = mul_lanes(s_rb, a);
                s_ag = mul_lanes(s_ag, a);
            }
            uint32_t ia = t->lin->source ? 255 - a : 255 - (s_ag >> 16);
            uint32_t d_rb = mul_lanes(d & 0xff00ffu, ia), d_ag = mul_lanes((d >> 8) & 0xff00ffu, ia);
            /* Each lane at most 255 (OVER: premultiplied; SOURCE: a
             * weighted mean), so no lane carries into the next. */
            p[i] = (s_rb + d_rb) | (s_ag + d_ag) << 8;
        }
    } else if (mode == A8) {
        memset(t->data + (size_t)y * (size_t)t->stride + (size_t)x, (int)a, (size_t)len);
    } else if (mode == KEEP) {
        int r = y - R->y0, cx = x - R->x0;
        uint8_t *p = krow + cx;
        for (int i = 0; i < len; i++)
            if (p[i] < a)
                p[i] = (uint8_t)a;
        if (cx < R->lo[r])
            R->lo[r] = cx;
        if (cx + len > R->hi[r])
            R->hi[r] = cx + len;
    } else if (y == t->oy) {
        for (int i = x; i < x + len; i++)
            if (i >= t->ox && i < t->ox + t->olen)
                t->out[i - t->ox] = (uint8_t)a;
    }
}

/* Every touched row, left to right, as runs of equal coverage; mode is a
 * constant where this is inlined, so each use gets its own loop. */
static inline int sweep(dl_raster *R, const target *t, int mode)
{
    if (sort_cells(R) != 0)
        return -1;
    if (R->ncells == 0)
        return 0;
    int xend = R->x1;
    size_t nrows = (size_t)(R->max_y - R->min_y) + 1;
    const unsigned *rows = R->rows;
    for (size_t r = 0; r < nrows; r++) {
        const cell *const *c = R->by_row + rows[r];
        size_t n = rows[r + 1] - rows[r];
        if (n == 0)
            continue;
        int y = R->min_y + (int)r;
        uint32_t *drow = NULL;
        uint8_t *krow = NULL;
        if (mode == FILL || mode == FILL_ARGB || mode == LINEAR)
            drow = (uint32_t *)(t->data + (size_t)y * (size_t)t->stride);
        if (mode == KEEP) {
            int kr = y - R->y0;
            krow = R->cov + (size_t)kr * (size_t)R->kw;
            if (kr < R->kmin)
                R->kmin = kr;
            if (kr > R->kmax)
                R->kmax = kr;
        }
        long long cover = 0;
        size_t i = 0;
        while (i < n) {
            const cell *ci = c[i];
            int x = ci->x;
            long long area = ci->area;
            cover += ci->cover;
            for (i++; i < n && c[i]->x == x; i++) {
                area += c[i]->area;
                cover += c[i]->cover;
            }
            if (x >= xend)
                break;
            if (area) {
                unsigned a = alpha_of(cover * (2 * ONE) - area);
                if (a)
                    span(R, t, mode, drow, krow, y, x, 1, a);
                x++;
            }
            if (cover) {
                int next = i < n ? c[i]->x : xend;
                if (next > xend)
                    next = xend;
                if (next > x) {
                    unsigned a = alpha_of(cover * (2 * ONE));
                    if (a)
                        span(R, t, mode, drow, krow, y, x, next - x, a);
                }
            }
        }
    }
    return 0;
}

int dl_raster_fill(dl_raster *R, unsigned char *data, int stride, uint8_t r, uint8_t g,
                   uint8_t b)
{
    uint32_t src = 0xff000000u | (uint32_t)r << 16 | (uint32_t)g << 8 | b;
    target t = {data, stride, src, src & 0xff00ffu, (src >> 8) & 0xff00ffu, NULL, 0, 0, 0, NULL};
    int rc = sweep(R, &t, FILL);
    forget(R);
    return rc;
}

int dl_raster_fill_argb(dl_raster *R, unsigned char *data, int stride, uint32_t argb)
{
    if (argb >> 24 == 255)
        return dl_raster_fill(R, data, stride, (uint8_t)(argb >> 16), (uint8_t)(argb >> 8),
                              (uint8_t)argb);
    target t = {data, stride, argb, argb & 0xff00ffu, (argb >> 8) & 0xff00ffu, NULL, 0, 0, 0, NULL};
    int rc = sweep(R, &t, FILL_ARGB);
    forget(R);
    return rc;
}

int dl_raster_fill_linear(dl_raster *R, unsigned char *data, int stride, const double p[4],
                          const uint16_t c0[4], const uint16_t c1[4], int source)
{
    double dx = p[2] - p[0], dy = p[3] - p[1], l2 = dx * dx + dy * dy;
    if (!(l2 > 0) || !isfinite(l2)) {
        forget(R);
        return 0; /* Cairo draws a degenerate gradient's pieces not at all */
    }
    /* As pixman's walker: stops' 16-bit channels / 257 in floats. */
    float la = c0[0] * (1.0f / 257.0f), lr = c0[1] * (1.0f / 257.0f),
          lg = c0[2] * (1.0f / 257.0f), lb = c0[3] * (1.0f / 257.0f);
    float ra = c1[0] * (1.0f / 257.0f), rr = c1[1] * (1.0f / 257.0f),
          rg = c1[2] * (1.0f / 257.0f), rb = c1[3] * (1.0f / 257.0f);
    linear lin = {p[0],
                  p[1],
                  dx / l2,
                  dy / l2,
                  ra - la,
                  la,
                  (rr - lr) * (1.0f / 255.0f),
                  lr * (1.0f / 255.0f),
                  (rg - lg) * (1.0f / 255.0f),
                  lg * (1.0f / 255.0f),
                  (rb - lb) * (1.0f / 255.0f),
                  lb * (1.0f / 255.0f),
                  walker_pixel(0, (la + la) / 2.0f, 0, (lr + lr) / 510.0f, 0,
                               (lg + lg) / 510.0f, 0, (lb + lb) / 510.0f, 0),
                  walker_pixel(0, (ra + ra) / 2.0f, 0, (rr + rr) / 510.0f, 0,
                               (rg + rg) / 510.0f, 0, (rb + rb) / 510.0f, 0),
                  source};
    target t = {data, stride, 0, 0, 0, NULL, 0, 0, 0, &lin};
    int rc = sweep(R, &t, LINEAR);
    forget(R);
    return rc;
}

int dl_raster_write_a8(dl_raster *R, unsigned char *data, int stride)
{
    target t = {data, stride, 0, 0, 0, NULL, 0, 0, 0, NULL};
    int rc = sweep(R, &t, A8);
    forget(R);
    return rc;
}

int dl_raster_coverage(dl_raster *R, int y, int x, int len, uint8_t *out)
{
    memset(out, 0, (size_t)len);
    target t = {NULL, 0, 0, 0, 0, out, y, x, len, NULL};
    return sweep(R, &t, PROBE);
}

int dl_raster_keep(dl_raster *R)
{
    size_t w = (size_t)(R->x1 - R->x0), h = (size_t)(R->y1 - R->y0);
    if (!R->failed && (h > R->cap_lohi || (h && w > SIZE_MAX / h) || w * h > R->cap_cov)) {
        /* Everything kept was cleared when the clip was set: the layout
         * may change. */
        if (w * h > R->cap_cov) {
            free(R->cov);
            /* Zeroed by writing, not calloc: calloc's fresh pages are the
             * kernel's shared zero page until written, and the sweep reads
             * each byte before it writes it, so each page would fault twice
             * and the second fault flushes the other threads' TLBs (an IPI
             * in a VM): 15 ms of the flagship's CPU time (perf). */
            R->cov = malloc(w * h);
            if (R->cov)
                memset(R->cov, 0, w * h);
            R->cap_cov = R->cov ? w * h : 0;
        }
        if (h > R->cap_lohi) {
            free(R->lo);
            free(R->hi);
            R->lo = malloc(h * sizeof *R->lo);
            R->hi = malloc(h * sizeof *R->hi);
            R->cap_lohi = R->lo && R->hi ? h : 0;
            for (size_t r = 0; r < R->cap_lohi; r++) {
                R->lo[r] = INT32_MAX;
                R->hi[r] = INT32_MIN;
            }
        }
        if (!R->cov || R->cap_lohi < h) {
            R->failed = 1;
            R->cap_lohi = 0;
        }
    }
    R->kw = (int)w;
    target t = {NULL, 0, 0, 0, 0, NULL, 0, 0, 0, NULL};
    int rc = R->failed ? -1 : sweep(R, &t, KEEP);
    forget(R);
    R->failed = rc != 0;
    return rc;
}

int dl_raster_fill_kept(dl_raster *R, unsigned char *data, int stride, uint8_t r, uint8_t g,
                        uint8_t b)
{
    uint32_t src = 0xff000000u | (uint32_t)r << 16 | (uint32_t)g << 8 | b;
    uint32_t s_rb = src & 0xff00ffu, s_ag = (src >> 8) & 0xff00ffu;
    int rc = R->failed ? -1 : 0;
    for (int k = R->kmin; rc == 0 && k <= R->kmax; k++) {
        if (R->lo[k] >= R->hi[k])
            continue;
        const uint8_t *c = R->cov + (size_t)k * (size_t)R->kw;
        uint32_t *row = (uint32_t *)(data + (size_t)(k + R->y0) * (size_t)stride) + R->x0;
        for (int x = R->lo[k]; x < R->hi[k]; x++) {
            unsigned a = c[x];
            if (a == 255)
                row[x] = src;
            else if (a)
                row[x] = blend(s_rb, s_ag, row[x], a);
        }
    }
    if (R->cov)
        clear_kept(R);
    forget(R);
    return rc;
}

/* Dashes */

/* Appends (x, y) to the dash in buf (m points) unless it repeats the last. */
static void dash_put(double *buf, size_t *m, double x, double y)
{
    if (*m && buf[2 * *m - 2] == x && buf[2 * *m - 1] == y)
        return;
    buf[2 * *m] = x;
    buf[2 * *m + 1] = y;
    (*m)++;
}

size_t dl_raster_dash(const double *xy, size_t n, const double *dash, int nd, int dots,
                      double *buf, void (*each)(void *arg, const double *pts, size_t m),
                      void *arg)
{
    double total = 0;
    for (int i = 0; i < nd; i++) {
        if (!(dash[i] >= 0) || !isfinite(dash[i]))
            return 0;
        total += dash[i];
    }
    if (nd < 1 || !(total > 0) || !isfinite(total))
        return 0;
    int idx = 0, on = 1;
    double remain = dash[0]; /* what is left of the current dash or gap */
    size_t m = 0, count = 0; /* m: the open dash's points in buf (0: none open) */
    double px = 0, py = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y))
            continue;
        if (!have) {
            px = x;
            py = y;
            have = 1;
            continue;
        }
        double dx = x - px, dy = y - py, len = hypot(dx, dy);
        if (!(len > 0))
            continue;
        for (double t = 0;;) {
            double left = len - t;
            if (remain > left + 1e-9) { /* this dash or gap runs past the vertex */
                if (on) {
                    if (m == 0)
                        dash_put(buf, &m, px + dx * (t / len), py + dy * (t / len));
                    dash_put(buf, &m, x, y);
                }
                remain -= left;
                break;
            }
            double e = fmin(t + remain, len);
            if (on) {
                if (m == 0)
                    dash_put(buf, &m, px + dx * (t / len), py + dy * (t / len));
                if (e < len)
                    dash_put(buf, &m, px + dx * (e / len), py + dy * (e / len));
                else
                    dash_put(buf, &m, x, y);
                /* Zero length: a step along the segment. Cairo 1.16 draws
                 * only those that start the pattern (measured: [0, 4] and
                 * [0, 3, 0, 1] dot every 4 units, [3, 2, 0, 2] not at all). */
                if (m == 1 && dots && idx == 0)
                    dash_put(buf, &m, buf[0] + dx / len / 1024, buf[1] + dy / len / 1024);
                if (m > 1) {
                    each(arg, buf, m);
                    count++;
                }
                m = 0;
            }
            t = e;
            if (++idx == nd)
                idx = 0;
            on = !on;
            remain = dash[idx];
            if (t >= len && remain > 0)
                break;
        }
        px = x;
        py = y;
    }
    if (m > 1) {
        each(arg, buf, m);
        count++;
    }
    return count;
}
