/* dline's own geometry and feature types, passed between the stages
 * (source -> project -> render) so no stage sees another's library types. */
#ifndef DL_GEOM_H
#define DL_GEOM_H

#include <stddef.h>

typedef enum {
    DL_GEOM_NONE = 0,
    DL_GEOM_POINT,   /* Point and MultiPoint: every vertex is a point */
    DL_GEOM_LINE,    /* PolyLine: every part is a line string */
    DL_GEOM_POLYGON  /* Polygon: parts are rings, see dl_geom_organize_rings */
} dl_geom_type;

typedef struct {
    double xmin, ymin, xmax, ymax;
} dl_bbox;

/* Coordinates are interleaved x,y pairs. part_start has nparts + 1 entries,
 * the last equal to npoints. For polygons, hole[i] is 1 when part i is a hole;
 * after dl_geom_organize_rings() each outer ring is followed by its holes. */
typedef struct {
    dl_geom_type type;
    size_t npoints;
    size_t nparts;
    double *xy;
    size_t *part_start;
    unsigned char *hole;
    /* capacities; the geometry owns its arrays and reuses them */
    size_t cap_points, cap_parts;
} dl_geom;

void dl_geom_init(dl_geom *g);
/* Frees the arrays, not g itself. */
void dl_geom_clear(dl_geom *g);
/* Makes room for npoints points and nparts parts; 0 on success, -1 on
 * allocation failure or overflow. Contents are kept. */
int dl_geom_reserve(dl_geom *g, size_t npoints, size_t nparts);
/* Deep copy into dst (dst must be initialised). 0 or -1. */
int dl_geom_copy(dl_geom *dst, const dl_geom *src);

dl_bbox dl_bbox_empty(void);
int dl_bbox_is_empty(dl_bbox b);
void dl_bbox_add(dl_bbox *b, double x, double y);
int dl_bbox_intersects(dl_bbox a, dl_bbox b);
dl_bbox dl_geom_bbox(const dl_geom *g);

/* Signed area of ring i by the shoelace formula: positive when the ring runs
 * counter-clockwise in a y-up coordinate system. */
double dl_geom_ring_area(const dl_geom *g, size_t part);

/* Groups polygon rings into outer rings and holes by orientation (the
 * shapefile rule: outer rings clockwise, holes counter-clockwise), assigns
 * each hole to the smallest outer ring that contains it, reorders the parts
 * as outer, its holes, next outer, ... and sets hole[]. A hole that lies in no
 * outer ring becomes an outer ring (as GDAL does). Winding is normalised so
 * that outer rings and holes run in opposite directions: filling with the
 * non-zero rule then cuts the holes. 0 on success, -1 on allocation failure. */
int dl_geom_organize_rings(dl_geom *g);

/* Point-in-ring test (even-odd) against ring `part`. */
int dl_geom_ring_contains(const dl_geom *g, size_t part, double x, double y);

/* The offset curve of the polyline xy[0..n) (x,y pairs on a y-down screen)
 * for line-offset: every segment moved `off` px to its right (left when
 * negative), consecutive segments joined where their offset lines cross, or
 * by a bevel (both segment ends) where that miter point lies more than
 * miter_limit x |off| from the vertex. With `closed` the polyline is a ring
 * (its first vertex may or may not be repeated at the end) and every vertex
 * gets a join. Non-finite and repeated vertices are skipped. out must have
 * room for 2n points; returns the number written (0 when there is no
 * segment). In geom_offset.c. */
size_t dl_geom_offset_line(const double *xy, size_t n, int closed, double off,
                           double miter_limit, double *out);

/* The pole of inaccessibility of a polygon (the polylabel algorithm of
 * Agafonkin, Mapbox 2016): the interior point farthest from the outline,
 * found by a priority search over square cells to within `precision` (in the
 * geometry's units). The polygon is ring outer_part and the holes that follow
 * it (hole[] set; see dl_geom_organize_rings). A better label point than the
 * centroid, which may fall outside a C-shaped polygon or in a hole. 0 on
 * success, -1 when the ring has no points or on allocation failure. In
 * geom_label.c. */
int dl_geom_pole_of_inaccessibility(const dl_geom *g, size_t outer_part, double precision,
                                    double *x, double *y);

/* Attribute values. Strings are UTF-8, owned by the feature's reader. */
typedef enum {
    DL_VAL_NULL = 0,
    DL_VAL_STRING,
    DL_VAL_INT,
    DL_VAL_DOUBLE,
    DL_VAL_BOOL,
    DL_VAL_DATE /* s holds "YYYY-MM-DD", i holds YYYYMMDD */
} dl_value_type;

typedef struct {
    dl_value_type type;
    const char *s;
    long long i;
    double d;
} dl_value;

typedef struct {
    const char *name;   /* UTF-8, owned by the source (DBF names: at most 10 bytes;
                         * GeoJSON properties and CSV columns: any length) */
    dl_value_type type; /* the column's type; a cell may still be NULL */
    int width;
    int decimals;
} dl_field;

typedef struct {
    long id;       /* record number in the source, from 0 */
    dl_geom geom;
    size_t nvalues;
    dl_value *values; /* one per field of the source */
} dl_feature;

/* Formats a value as text into buf (integers without decimals, doubles with
 * %.15g, booleans as true/false, NULL as the empty string). Returns buf. */
const char *dl_value_format(const dl_value *v, char *buf, size_t size);

#endif
