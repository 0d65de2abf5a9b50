/* The graticule step of a render: meridians and parallels at a round
 * interval, densified in longitude/latitude and projected with the map's own
 * transformation, so they curve as the projection bends them. */
#include "graticule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Segments per line across the map's longitude/latitude box. */
#define SEGMENTS 50
/* More lines than this in one direction is an interval too fine to read. */
#define MAX_LINES 500

double dl_graticule_auto_interval(double span)
{
    static const double steps[] = {30, 15, 10, 5, 2, 1, 30 / 60.0, 15 / 60.0, 10 / 60.0,
                                   5 / 60.0, 2 / 60.0, 1 / 60.0};
    if (!(span > 0) || !isfinite(span))
        return 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] >= 4 - 1e-9)
            return steps[i];
    return 1 / 60.0;
}

/* Longitudes in -180..180, so a line past the antimeridian reads as it should. */
static double wrap_lon(double lon)
{
    lon = fmod(lon, 360);
    if (lon > 180)
        lon -= 360;
    else if (lon < -180)
        lon += 360;
    return lon;
}

static const char *hemisphere(int is_lon, double deg, int zero, int antimeridian)
{
    if (zero || (is_lon && antimeridian))
        return "";
    if (is_lon)
        return deg < 0 ? "W" : "E";
    return deg < 0 ? "S" : "N";
}

int dl_graticule_format(double deg, int is_lon, int format, double interval, char *buf,
                        size_t size)
{
    if (is_lon)
        deg = wrap_lon(deg);
    double a = fabs(deg);
    if (format == DL_GRATICULE_DECIMAL) {
        int d = 0;
        double p = 1;
        while (d < 3 && fabs(interval * p - round(interval * p)) > 1e-9 * p) {
            d++;
            p *= 10;
        }
        if (d == 3 && interval < 0.001 && interval > 0)
            d = (int)fmin(8, ceil(-log10(interval)) + 1);
        double r = round(a * pow(10, d)) / pow(10, d);
        return snprintf(buf, size, "%.*f\u00b0%s", d, r,
                        hemisphere(is_lon, deg, r == 0, r == 180));
    }
    /* One rounding, in the unit shown, then split: 30°59′59.9″ shown to
     * the second becomes 31°00′00″, never 30°59′60″. */
    long long iv = llround(interval * 3600);
    long long unit = iv % 60 ? 1 : iv % 3600 ? 60 : 3600;
    long long total = llround(a * 3600 / (double)unit) * unit;
    long long d = total / 3600, m = total % 3600 / 60, s = total % 60;
    const char *h = hemisphere(is_lon, deg, total == 0, total == 180 * 3600);
    if (unit == 3600)
        return snprintf(buf, size, "%lld\u00b0%s", d, h);
    if (unit == 60)
        return snprintf(buf, size, "%lld\u00b0%02lld\u2032%s", d, m, h);
    return snprintf(buf, size, "%lld\u00b0%02lld\u2032%02lld\u2033%s", d, m, s, h);
}

void dl_graticule_free(dl_graticule *g)
{
    if (!g)
        return;
    free(g->lines);
    free(g->xy);
    free(g->labels);
    memset(g, 0, sizeof *g);
}

/* Where the polyline crosses the line coordinate `axis` (0 x, 1 y) = at,
 * first crossing only: a graticule line meets each edge once in the maps
 * dline draws. 1 with the other coordinate in *along. */
static int crossing(const dl_graticule_line *l, int axis, double at, double *along)
{
    for (size_t i = 1; i < l->n; i++) {
        const double *p = l->xy + 2 * (i - 1), *q = l->xy + 2 * i;
        if (isnan(p[0]) || isnan(q[0]))
            continue;
        double a = p[axis] - at, b = q[axis] - at;
        if ((a <= 0 && b > 0) || (a >= 0 && b < 0)) {
            double t = a / (a - b);
            *along = p[!axis] + t * (q[!axis] - p[!axis]);
            return 1;
        }
    }
    return 0;
}

dline_status dl_graticule_build(dline_ctx *ctx, dl_transform *ll, const dl_pixel_grid *g,
                                double width, double height, double interval, int format,
                                dl_graticule *out)
{
    memset(out, 0, sizeof *out);
    dl_bbox map = {g->minx, g->maxy - height * g->res, g->minx + width * g->res, g->maxy};
    dl_bbox box;
    dline_status st = dl_transform_bbox_inv(ctx, ll, map, &box);
    if (st != DLINE_OK)
        return st;
    box.ymin = fmax(box.ymin, -90);
    box.ymax = fmin(box.ymax, 90);
    if (!(box.xmax > box.xmin) || !(box.ymax > box.ymin))
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0, "the map has no longitude/latitude box");
    if (interval <= 0)
        interval = dl_graticule_auto_interval(box.xmax - box.xmin);
    out->interval = interval;
    /* Lines at whole multiples of the interval, so labels are round. */
    double k0[2] = {ceil(box.xmin / interval - 1e-9), ceil(box.ymin / interval - 1e-9)};
    double k1[2] = {floor(box.xmax / interval + 1e-9), floor(box.ymax / interval + 1e-9)};
    size_t count[2];
    for (int i = 0; i < 2; i++) {
        count[i] = k1[i] >= k0[i] ? (size_t)(k1[i] - k0[i]) + 1 : 0;
        if (count[i] > MAX_LINES)
            return dl_error(ctx, DLINE_ESTYLE, NULL, 0, 0,
                            "interval %g gives more than %d lines", interval,
                            MAX_LINES);
    }
    size_t nlines = count[0] + count[1], npts = SEGMENTS + 1;
    out->lines = calloc(nlines ? nlines : 1, sizeof *out->lines);
    out->xy = malloc((nlines ? nlines : 1) * npts * 2 * sizeof *out->xy);
    out->labels = calloc(nlines ? 2 * nlines : 1, sizeof *out->labels);
    if (!out->lines || !out->xy || !out->labels)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    for (int dir = 0; dir < 2; dir++) {
        /* dir 0: meridians, densified along latitude; 1: parallels. */
        double lo = dir ? box.xmin : box.ymin, hi = dir ? box.xmax : box.ymax;
        for (size_t j = 0; j < count[dir]; j++) {
            dl_graticule_line *l = &out->lines[out->nlines];
            l->meridian = !dir;
            l->value = (k0[dir] + (double)j) * interval;
            l->xy = out->xy + out->nlines * npts * 2;
            l->n = npts;
            for (size_t i = 0; i < npts; i++) {
                double t = lo + (hi - lo) * (double)i / SEGMENTS;
                l->xy[2 * i] = dir ? t : l->value;
                l->xy[2 * i + 1] = dir ? l->value : t;
            }
            dl_transform_points(ll, l->xy, npts);
            for (size_t i = 0; i < npts; i++) {
                double *p = l->xy + 2 * i;
                if (p[0] == HUGE_VAL || p[1] == HUGE_VAL || !isfinite(p[0]) || !isfinite(p[1])) {
                    p[0] = p[1] = NAN;
                    continue;
                }
                p[0] = (p[0] - g->minx) / g->res;
                p[1] = (g->maxy - p[1]) / g->res;
            }
            out->nlines++;
        }
    }
    for (size_t i = 0; i < out->nlines; i++) {
        const dl_graticule_line *l = &out->lines[i];
        /* Meridians meet the top and bottom edges, parallels the sides. */
        for (int e = 0; e < 2; e++) {
            int edge = l->meridian ? (e ? DL_EDGE_BOTTOM : DL_EDGE_TOP)
                                   : (e ? DL_EDGE_RIGHT : DL_EDGE_LEFT);
            int axis = l->meridian ? 1 : 0;
            double at = e ? (l->meridian ? height : width) : 0, along;
            if (!crossing(l, axis, at, &along))
                continue;
            if (along < 0 || along > (l->meridian ? width : height))
                continue;
            dl_graticule_label *b = &out->labels[out->nlabels++];
            b->x = axis ? along : at;
            b->y = axis ? at : along;
            b->edge = edge;
            dl_graticule_format(l->value, l->meridian, format, interval, b->text,
                                sizeof b->text);
        }
    }
    return DLINE_OK;
}

dline_status dl_graticule_draw(dline_ctx *ctx, dl_proj *proj, const dl_style *style,
                               const char *map_crs, const dl_pixel_grid *g, double width,
                               double height, dl_render *render, dl_graticule *out)
{
    const dl_style_graticule *s = &style->furniture.graticule;
    memset(out, 0, sizeof *out);
    if (!s->enabled)
        return DLINE_OK;
    /* A map with no longitude/latitude (an engineering CRS) still renders,
     * without its graticule, as with the scale bar. */
    dline_ctx quiet = {0};
    dl_transform *ll = NULL;
    dline_status st = dl_transform_new(&quiet, proj, "EPSG:4326", map_crs, NULL, &ll);
    if (st == DLINE_OK)
        st = dl_graticule_build(&quiet, ll, g, width, height, s->interval, s->format, out);
    dl_transform_free(ll);
    if (st == DLINE_ENOMEM)
        return dl_error(ctx, st, NULL, 0, 0, "out of memory");
    if (st != DLINE_OK) {
        dl_warn(ctx, style->path, 0, 0, "graticule: not drawn: %s",
                quiet.message[0] ? quiet.message : "no longitude/latitude on the map");
        dl_graticule_free(out);
        return DLINE_OK;
    }
    dl_render_group_begin(render, "graticule", 0);
    st = dl_render_graticule_lines(ctx, render, s, out);
    dl_render_group_end(render);
    return st;
}
