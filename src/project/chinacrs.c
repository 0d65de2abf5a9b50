/* GCJ-02 and BD-09, the offset longitude/latitude of Chinese web maps
 * (Amap/Gaode and Tencent; Baidu), to and from WGS84. PROJ has no definition
 * of them and no Debian package provides one (only PyPI packages such as
 * eviltransform and coordtransform do), so dline carries the conversion.
 *
 * The formulas are the widely published ones, as in googollee/eviltransform
 * (transform.c: outOfChina, transform, delta, wgs2gcj) and
 * wandergis/coordtransform (index.js: transformlat, transformlng,
 * gcj02tobd09, bd09togcj02): the Krasovsky 1940 ellipsoid
 * (a = 6378245.0, e^2 = 0.00669342162296594323), the two trigonometric
 * polynomials in (lon - 105, lat - 35), and Baidu's polar twist of GCJ-02
 * with x_pi = pi * 3000 / 180 and the 0.0065/0.006 shift. Written here from
 * those formulas; the inverse is dline's own: iterated on the forward
 * formulas until the round trip is within 1e-10 degrees (about 0.01 mm),
 * where the published gcj2wgs is a one-step estimate good to a few metres. */
#include "project/project.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* Krasovsky 1940, as the published algorithm uses it. */
#define KRASOVSKY_A 6378245.0
#define KRASOVSKY_EE 0.00669342162296594323
#define BD_X_PI (M_PI * 3000.0 / 180.0)

/* Round-trip target and iteration bound of the inverse: 1e-10 degrees is
 * about 0.01 mm on the ground; a contraction factor of about 1e-3 per step
 * gets there in 3 to 5 steps, 30 is only a guard. */
#define INVERSE_EPS 1e-10
#define INVERSE_MAX_ITER 30

/* The box the published algorithm treats as mainland China (outOfChina in
 * eviltransform, out_of_china in coordtransform): longitude 72.004 to
 * 137.8347, latitude 0.8293 to 55.8271, bounds included. It is a rough box,
 * not a border: it takes in neighbouring countries and leaves nothing out
 * of the mainland. */
static int in_china(double lon, double lat)
{
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

/* The GCJ-02 offset of a WGS84 point, in degrees (eviltransform's delta). */
static void gcj_offset(double lon, double lat, double *dlon, double *dlat)
{
    double x = lon - 105.0, y = lat - 35.0;
    double both = (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
    double tlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x)) +
                  both + (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0 +
                  (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    double tlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x)) + both +
                  (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0 +
                  (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    double rad = lat / 180.0 * M_PI;
    double s = sin(rad);
    double magic = 1.0 - KRASOVSKY_EE * s * s;
    double sq = sqrt(magic);
    *dlat = tlat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sq) * M_PI);
    *dlon = tlon * 180.0 / (KRASOVSKY_A / sq * cos(rad) * M_PI);
}

void dl_china_gcj02_to_bd09(double *lon, double *lat)
{
    double x = *lon, y = *lat;
    double z = sqrt(x * x + y * y) + 0.00002 * sin(y * BD_X_PI);
    double theta = atan2(y, x) + 0.000003 * cos(x * BD_X_PI);
    *lon = z * cos(theta) + 0.0065;
    *lat = z * sin(theta) + 0.006;
}

void dl_china_bd09_to_gcj02(double *lon, double *lat)
{
    double x = *lon - 0.0065, y = *lat - 0.006;
    double z = sqrt(x * x + y * y) - 0.00002 * sin(y * BD_X_PI);
    double theta = atan2(y, x) - 0.000003 * cos(x * BD_X_PI);
    *lon = z * cos(theta);
    *lat = z * sin(theta);
}

/* WGS84 to c with no box test: the function the inverse iterates on. */
static void forward(dl_china_crs c, double lon, double lat, double *olon, double *olat)
{
    double dlon, dlat;
    gcj_offset(lon, lat, &dlon, &dlat);
    *olon = lon + dlon;
    *olat = lat + dlat;
    if (c == DL_CHINA_BD09)
        dl_china_gcj02_to_bd09(olon, olat);
}

void dl_china_from_wgs84(dl_china_crs c, double *xy, size_t n)
{
    if (c == DL_CHINA_NONE)
        return;
    for (size_t i = 0; i < n; i++) {
        double *p = xy + 2 * i;
        if (isfinite(p[0]) && isfinite(p[1]) && in_china(p[0], p[1]))
            forward(c, p[0], p[1], &p[0], &p[1]);
    }
}

/* The WGS84 point whose forward image is (tlon, tlat): fixed-point
 * iteration w += target - F(w), which converges because the offset changes
 * by about a thousandth of a degree per degree. Starts from the published
 * one-step estimate (bd09togcj02, then the GCJ-02 offset taken at the GCJ-02
 * point). */
static void inverse(dl_china_crs c, double tlon, double tlat, double *olon, double *olat)
{
    double glon = tlon, glat = tlat;
    if (c == DL_CHINA_BD09)
        dl_china_bd09_to_gcj02(&glon, &glat);
    double dlon, dlat;
    gcj_offset(glon, glat, &dlon, &dlat);
    double wlon = glon - dlon, wlat = glat - dlat;
    for (int i = 0; i < INVERSE_MAX_ITER; i++) {
        double flon, flat;
        forward(c, wlon, wlat, &flon, &flat);
        double ex = tlon - flon, ey = tlat - flat;
        if (fabs(ex) < INVERSE_EPS && fabs(ey) < INVERSE_EPS)
            break;
        wlon += ex;
        wlat += ey;
    }
    *olon = wlon;
    *olat = wlat;
}

void dl_china_to_wgs84(dl_china_crs c, double *xy, size_t n)
{
    if (c == DL_CHINA_NONE)
        return;
    for (size_t i = 0; i < n; i++) {
        double *p = xy + 2 * i;
        if (isfinite(p[0]) && isfinite(p[1]) && in_china(p[0], p[1]))
            inverse(c, p[0], p[1], &p[0], &p[1]);
    }
}

/* The accepted spellings, compared without case. */
static const struct {
    const char *name;
    dl_china_crs crs;
} names[] = {
    {"GCJ-02", DL_CHINA_GCJ02},
    {"GCJ02", DL_CHINA_GCJ02},
    {"BD-09", DL_CHINA_BD09},
    {"BD09", DL_CHINA_BD09},
};

/* def in upper case into buf; 0 when it does not fit (no name is that long). */
static int upper(const char *def, char *buf, size_t size)
{
    size_t n = strlen(def);
    if (n >= size)
        return 0;
    for (size_t i = 0; i <= n; i++)
        buf[i] = (char)toupper((unsigned char)def[i]);
    return 1;
}

dl_china_crs dl_china_crs_of(const char *def)
{
    char buf[16];
    if (!def || !upper(def, buf, sizeof buf))
        return DL_CHINA_NONE;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(buf, names[i].name))
            return names[i].crs;
    return DL_CHINA_NONE;
}

const char *dl_china_crs_name(dl_china_crs c)
{
    return c == DL_CHINA_GCJ02 ? "GCJ-02" : c == DL_CHINA_BD09 ? "BD-09" : NULL;
}
