/* Coordinate transformation through PROJ. One dl_proj (one PJ_CONTEXT) per
 * render; nothing outside src/project/ sees PROJ types. */
#ifndef DL_PROJECT_H
#define DL_PROJECT_H

#include "error.h"
#include "geom.h"

typedef struct dl_proj dl_proj;
typedef struct dl_transform dl_transform;

/* A new PROJ context with its own error and log handling (PROJ's log goes
 * nowhere; failures come back as dline errors). Free with dl_proj_free(). */
dline_status dl_proj_new(dline_ctx *ctx, dl_proj **out);
void dl_proj_free(dl_proj *p);

/* The operations PROJ found between pairs of CRS definitions, shared by
 * the dl_proj of one map's renders (its bands, tiles and repeated renders),
 * so that PROJ's database search for a pair runs once: tens of ms between two
 * datums. Each dl_proj gets its own copy of an operation. The CRSs made
 * from definitions are kept and copied the same way. Thread-safe; NULL
 * when out of memory (a dl_proj then searches by itself). */
typedef struct dl_proj_cache dl_proj_cache;
dl_proj_cache *dl_proj_cache_new(void);
void dl_proj_cache_free(dl_proj_cache *c);
/* p's transformations come from c, and go into it; c must outlive p. */
void dl_proj_use_cache(dl_proj *p, dl_proj_cache *c);
/* How many pairs c holds. */
size_t dl_proj_cache_count(dl_proj_cache *c);
/* Also keep operations in the folder dir (made when missing), for later
 * processes, and look there before searching (see project.c for which
 * operations are kept). NULL or "" for none, the default. -1 when out of
 * memory. */
int dl_proj_cache_set_dir(dl_proj_cache *c, const char *dir);
/* How many PROJ searches c's users made, and how many operations they read
 * from the folder instead. */
void dl_proj_cache_stats(dl_proj_cache *c, size_t *searched, size_t *loaded);

/* Checks that def names a CRS PROJ knows ("EPSG:4326", a PROJ string, WKT or
 * ESRI WKT). On success and when name is not NULL, writes the CRS's name. */
dline_status dl_proj_check_crs(dline_ctx *ctx, dl_proj *p, const char *def, char *name,
                               size_t name_size);

/* dl_proj_check_crs for a map's (or inset's) CRS: also refuses GCJ-02 and
 * BD-09, which dline reads in sources only. */
dline_status dl_proj_check_map_crs(dline_ctx *ctx, dl_proj *p, const char *def);

/* The Chinese web-map name closest to def ("GCJ-02" for "GCJ-2"), or NULL
 * when def does not look like one. A static string. */
const char *dl_proj_suggest_crs(const char *def);

/* A transformation from src_def to dst_def, normalised for visualisation
 * (longitude/easting first). `what` names the CRS's origin in errors, e.g. the
 * .prj path. Free with dl_transform_free().
 * src_def may be GCJ-02 or BD-09 (see dl_china_crs_of): points are converted
 * to WGS84 longitude/latitude by chinacrs.c, then by PROJ from EPSG:4326 to
 * dst_def; the inverse runs the other way. dst_def may not be one of them. */
dline_status dl_transform_new(dline_ctx *ctx, dl_proj *p, const char *src_def,
                              const char *dst_def, const char *what, dl_transform **out);
void dl_transform_free(dl_transform *t);
/* 1 when source and destination are the same CRS (no work to do). */
int dl_transform_is_noop(const dl_transform *t);

/* Transforms n interleaved x,y pairs in place with one proj_trans_generic
 * call. Points PROJ cannot transform become HUGE_VAL; returns how many did. */
size_t dl_transform_points(dl_transform *t, double *xy, size_t n);
/* Inverse direction (destination to source), same contract. */
size_t dl_transform_points_inv(dl_transform *t, double *xy, size_t n);

/* Transforms a box, densifying its edges (21 points a side), to the
 * destination CRS. */
dline_status dl_transform_bbox(dline_ctx *ctx, dl_transform *t, dl_bbox in, dl_bbox *out);
/* The same from the destination CRS back to the source CRS. */
dline_status dl_transform_bbox_inv(dline_ctx *ctx, dl_transform *t, dl_bbox in, dl_bbox *out);

/* Chinese web-map coordinates (chinacrs.c): GCJ-02 (Amap/Gaode, Tencent) and
 * BD-09 (Baidu), longitude/latitude offset from WGS84 by up to a few hundred
 * metres, inside the box the published algorithm calls China (longitude
 * 72.004..137.8347, latitude 0.8293..55.8271); points outside it are
 * unchanged. */
typedef enum { DL_CHINA_NONE, DL_CHINA_GCJ02, DL_CHINA_BD09 } dl_china_crs;

/* Which one def names: "GCJ-02", "GCJ02", "BD-09" or "BD09", in any case;
 * DL_CHINA_NONE for anything else (NULL included). */
dl_china_crs dl_china_crs_of(const char *def);
/* "GCJ-02", "BD-09", or NULL for DL_CHINA_NONE. */
const char *dl_china_crs_name(dl_china_crs c);

/* n interleaved longitude,latitude pairs in place, WGS84 to c. Points that are
 * not finite or outside the box are left alone. */
void dl_china_from_wgs84(dl_china_crs c, double *xy, size_t n);
/* c to WGS84, same contract: the forward formulas inverted by iteration, the
 * round trip within 1e-10 degrees. */
void dl_china_to_wgs84(dl_china_crs c, double *xy, size_t n);

/* The published closed-form steps between GCJ-02 and BD-09 (everywhere, no
 * box; bd09_to_gcj02 is not an exact inverse of gcj02_to_bd09, only the
 * starting point of dl_china_to_wgs84's iteration). */
void dl_china_gcj02_to_bd09(double *lon, double *lat);
void dl_china_bd09_to_gcj02(double *lon, double *lat);

/* Geodesic distance in metres between two longitude/latitude points
 * (degrees) on the WGS84 ellipsoid; NaN when a point is not finite or its
 * latitude is outside -90..90. In geodesic.c. */
double dl_proj_geodesic_distance(double lon1, double lat1, double lon2, double lat2);

/* The map's pixel grid: pixel px,py (y down) is map CRS x = minx + px * res,
 * y = maxy - py * res. */
typedef struct {
    double minx, maxy, res;
} dl_pixel_grid;

/* The frame of a map `width` x `height` px on grid `from` (in t's source
 * CRS) as a ring in px of grid `to` (its destination CRS): each side cut
 * into `steps` pieces, as a frame turns and bends in another projection.
 * Writes 4 * steps points to xy, from the top-left corner along the top
 * edge, so corner k (top-left, top-right, bottom-right, bottom-left) is
 * point k * steps. Points PROJ cannot transform become HUGE_VAL; returns
 * how many did. */
size_t dl_transform_frame(dl_transform *t, const dl_pixel_grid *from, double width, double height,
                          const dl_pixel_grid *to, int steps, double *xy);

/* Metres on the ground per px along the map's horizontal at pixel px,py,
 * measured geodesically between points a few px either side. `ll` is a
 * transformation from longitude/latitude (EPSG:4326) to the map CRS; it is
 * used in reverse. DLINE_EPROJ when the points have no longitude/latitude. */
dline_status dl_proj_ground_resolution(dline_ctx *ctx, dl_transform *ll, const dl_pixel_grid *g,
                                       double px, double py, double *metres_per_px);

/* The direction of true north at pixel px,py, in degrees clockwise from up
 * the map: the bearing from the point to one 0.01 degrees of latitude north of
 * it, both projected. 0 in a north-up map; rotated and conic projections
 * give the meridian convergence. `ll` as above. */
dline_status dl_proj_north_angle(dline_ctx *ctx, dl_transform *ll, const dl_pixel_grid *g,
                                 double px, double py, double *degrees);

#endif
