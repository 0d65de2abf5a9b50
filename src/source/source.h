/* Reading the data: shapefiles (header and record validation, since
 * shapelib 1.5 trusts its headers and we don't; DBF attributes converted to
 * UTF-8; the .prj CRS), GeoJSON (RFC 7946, through json-c) and CSV point
 * lists (RFC 4180), all behind one streaming feature cursor. Nothing outside
 * src/source/ sees shapelib or json-c types. */
#ifndef DL_SOURCE_H
#define DL_SOURCE_H

#include "error.h"
#include "geom.h"

typedef struct dl_source dl_source;

typedef enum {
    DL_SOURCE_AUTO = 0, /* from the extension: .geojson/.json, .csv, else shapefile */
    DL_SOURCE_SHAPEFILE,
    DL_SOURCE_GEOJSON,
    DL_SOURCE_CSV
} dl_source_kind;

/* How to open a source; zero-initialised means "from the extension, no
 * overrides". Strings are borrowed for the duration of the open call. */
typedef struct {
    dl_source_kind kind;
    const char *encoding; /* shapefile: overrides .cpg/LDID; CSV: the file's encoding */
    const char *crs;      /* the style's crs for the source, or NULL: CSV latitudes
                           * are checked against -90..90 only when this is
                           * NULL or EPSG:4326 */
    const char *lon, *lat; /* CSV: the coordinate columns, NULL to find them by name */
    /* GeoJSON only: the document itself, len bytes (no NUL needed), read
     * instead of a file; PATH then only names it in messages (a MapLibre
     * style's inline `data` is named by its FILE:LINE:COL). */
    const char *data;
    size_t data_len;
    /* Shapefiles: a source already open on the same file (or NULL), whose
     * validated record index this one shares instead of building another;
     * it is only read, from any thread, and either source may be freed
     * first. Used when it names the same path and the .shp's header has
     * not changed; otherwise the index is built as usual. */
    const dl_source *share;
} dl_source_options;

/* The kind a path names by its extension (any case): .shp -> shapefile,
 * .geojson and .json -> GeoJSON, .csv -> CSV, anything else (or none) ->
 * shapefile (a basename). */
dl_source_kind dl_source_kind_from_path(const char *path);

/* Opens PATH (the .shp, or the basename without extension). Checks the .shp
 * and .shx headers, every record's offset and length against the file size,
 * the .dbf header against its file size and the record counts of .shp and
 * .dbf, before any record is read. A missing .shx is rebuilt in memory by
 * walking the .shp; a missing .dbf gives features without attributes.
 * encoding overrides the .cpg / DBF language-driver byte when not NULL (an
 * iconv name such as "GBK"). Input files are only ever opened for reading.
 * On success *out owns the source; free with dl_source_free(). Errors are
 * "PATH: reason" with status DLINE_EIO or DLINE_EDATA. */
dline_status dl_source_open(dline_ctx *ctx, const char *path, const char *encoding,
                            dl_source **out);
/* Opens PATH as opt->kind (DL_SOURCE_AUTO: dl_source_kind_from_path), or
 * opt->data as GeoJSON when it is set (any other kind refuses it).
 * GeoJSON and CSV files are read and checked whole here (at most 512 MiB):
 * every malformed feature or row is an error now, "PATH: feature N:
 * reason" or "PATH:LINE: reason" (JSON syntax: "PATH:LINE:COL: reason").
 * Ownership as dl_source_open. opt may be NULL. */
dline_status dl_source_open_ex(dline_ctx *ctx, const char *path, const dl_source_options *opt,
                               dl_source **out);
void dl_source_free(dl_source *src);

dl_source_kind dl_source_get_kind(const dl_source *src);

/* The path of the .shp as given (used in messages). */
const char *dl_source_path(const dl_source *src);
/* DL_GEOM_POINT, DL_GEOM_LINE or DL_GEOM_POLYGON: the type of every
 * feature. DL_GEOM_NONE when a GeoJSON file mixes types (each feature then
 * has its own dl_feature.geom.type) or has no geometry at all. */
dl_geom_type dl_source_geom_type(const dl_source *src);
/* Whether any feature has (or, for a shapefile, the file's type is) t. */
int dl_source_has_geom(const dl_source *src, dl_geom_type t);
/* "Point", "PolygonZ", "MultiPointM", ... for shapefiles; the GeoJSON
 * type, or "Mixed (Point, Polygon)" when there are several; "Point" for
 * CSV; "None" for a GeoJSON file without geometries. */
const char *dl_source_shape_type_name(const dl_source *src);
/* Number of records in the .shp, features in the GeoJSON, rows in the CSV
 * (null shapes included). */
long dl_source_record_count(const dl_source *src);
/* Bounding box from the .shp header (computed from every coordinate for
 * GeoJSON and CSV), in the source's own CRS. */
dl_bbox dl_source_bounds(const dl_source *src);
/* Contents of the .prj (ESRI or OGC WKT), or NULL when there is none
 * (always NULL for GeoJSON and CSV). */
const char *dl_source_prj(const dl_source *src);
/* The CRS the data is in when neither a .prj nor the style says:
 * "EPSG:4326" for GeoJSON (RFC 7946) and CSV; NULL for shapefiles, whose
 * CRS must come from somewhere. */
const char *dl_source_default_crs(const dl_source *src);
/* The encoding used for strings: the iconv name, e.g. "UTF-8", "GBK";
 * plus where it came from: "cpg", "ldid", "style", "default", "bom" (a CSV
 * byte order mark) or "rfc" (GeoJSON is UTF-8 by RFC 8259). */
const char *dl_source_encoding(const dl_source *src);
const char *dl_source_encoding_origin(const dl_source *src);

size_t dl_source_field_count(const dl_source *src);
const dl_field *dl_source_field(const dl_source *src, size_t i);
/* Index of the field with this name, or -1: case-insensitive, as DBF names
 * are (GeoJSON and CSV: an exact match first, then case-insensitive). */
long dl_source_field_index(const dl_source *src, const char *name);

/* Reads the next non-null feature. *feature is NULL at the end. The feature
 * (geometry and values) is owned by the source and valid until the next call
 * to dl_source_next, dl_source_rewind or dl_source_free: memory grows with the
 * largest feature, not the file. Each record is validated before shapelib
 * parses it (length, part and point counts, part indices, shape type,
 * finite coordinates); a bad one ends the read with "PATH: record N: reason".
 * Polygon rings are organised with dl_geom_organize_rings(). */
dline_status dl_source_next(dline_ctx *ctx, dl_source *src, const dl_feature **feature);
/* Restarts the cursor at the first record. */
dline_status dl_source_rewind(dline_ctx *ctx, dl_source *src);
/* Reads only what lies in view (a box in the source's own CRS) from now on:
 * a shapefile skips records whose box misses it before parsing them, and
 * with a .qix beside it reads only the records the index lists (a .qix that
 * does not check out is ignored with a warning). NULL: everything. The
 * caller still tests each feature. */
void dl_source_set_view(dline_ctx *ctx, dl_source *src, const dl_bbox *view);

/* `dline index`: writes the shapefile's spatial index, BASE.qix (shapelib's
 * quadtree, as MapServer's shptree writes it), from every record's box;
 * *qix_path (caller frees) names it. */
dline_status dl_source_write_index(dline_ctx *ctx, dl_source *src, char **qix_path);
/* Shapefile records read since the last rewind (a view with a .qix reads
 * only what it lists); 0 for GeoJSON and CSV. */
long dl_source_records_read(const dl_source *src);

/* Null shapes skipped so far (GeoJSON and CSV: all of them, counted at
 * open). */
long dl_source_null_count(const dl_source *src);

#endif
