/* Lengths and directions on the ground for map furniture: geodesic distances
 * on the WGS84 ellipsoid (PROJ's geodesic.h, Karney's algorithms) and the
 * ground scale and true north at a pixel of the map. */
#include "project/project.h"

#include <math.h>

#include <geodesic.h>

#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)

/* Half the span, in px, over which the ground scale is measured: short
 * enough that the scale does not change across it, long enough that the
 * projected coordinates carry many significant digits. */
#define SCALE_SPAN_PX 10.0
/* North is found by projecting a point this many degrees of latitude north. */
#define NORTH_STEP_DEG 0.01

double dl_proj_geodesic_distance(double lon1, double lat1, double lon2, double lat2)
{
    if (!isfinite(lon1) || !isfinite(lat1) || !isfinite(lon2) || !isfinite(lat2) ||
        fabs(lat1) > 90 || fabs(lat2) > 90)
        return NAN;
    struct geod_geodesic g;
    geod_init(&g, WGS84_A, WGS84_F);
    double s12 = NAN;
    geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, NULL, NULL);
    return s12;
}

static void pixel_to_map(const dl_pixel_grid *g, double px, double py, double *x, double *y)
{
    *x = g->minx + px * g->res;
    *y = g->maxy - py * g->res;
}

dline_status dl_proj_ground_resolution(dline_ctx *ctx, dl_transform *ll, const dl_pixel_grid *g,
                                       double px, double py, double *metres_per_px)
{
    double xy[4];
    pixel_to_map(g, px - SCALE_SPAN_PX, py, &xy[0], &xy[1]);
    pixel_to_map(g, px + SCALE_SPAN_PX, py, &xy[2], &xy[3]);
    double d = NAN;
    if (dl_transform_points_inv(ll, xy, 2) == 2)
        d = dl_proj_geodesic_distance(xy[0], xy[1], xy[2], xy[3]);
    if (!(d > 0) || !isfinite(d))
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0,
                        "cannot measure the ground distance at the map centre "
                        "(it has no longitude/latitude)");
    *metres_per_px = d / (2 * SCALE_SPAN_PX);
    return DLINE_OK;
}

dline_status dl_proj_north_angle(dline_ctx *ctx, dl_transform *ll, const dl_pixel_grid *g,
                                 double px, double py, double *degrees)
{
    double xy[4];
    pixel_to_map(g, px, py, &xy[0], &xy[1]);
    int ok = dl_transform_points_inv(ll, xy, 1) == 1;
    if (ok) {
        /* Step south instead near the north pole. */
        double step = xy[1] + NORTH_STEP_DEG <= 90 ? NORTH_STEP_DEG : -NORTH_STEP_DEG;
        xy[2] = xy[0];
        xy[3] = xy[1] + step;
        ok = dl_transform_points(ll, xy, 2) == 2;
        if (ok) {
            double dx = (xy[2] - xy[0]) * (step > 0 ? 1 : -1);
            double dy = (xy[3] - xy[1]) * (step > 0 ? 1 : -1);
            ok = dx != 0 || dy != 0;
            /* Map y grows up, so atan2(east, north) is clockwise from up. */
            if (ok)
                *degrees = atan2(dx, dy) * 180 / M_PI;
        }
    }
    if (!ok)
        return dl_error(ctx, DLINE_EPROJ, NULL, 0, 0,
                        "cannot find north at the map centre (it has no longitude/latitude)");
    return DLINE_OK;
}
