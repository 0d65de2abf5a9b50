/* Reading shapefiles: header and record validation (shapelib 1.5 trusts its
 * headers, we don't), DBF attributes converted to UTF-8, the .prj CRS, and a
 * streaming feature cursor. Nothing outside src/source/ sees shapelib types. */
#ifndef DL_SOURCE_H
#define DL_SOURCE_H

#include "error.h"
#include "geom.h"

typedef struct dl_source dl_source;

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
void dl_source_free(dl_source *src);

/* The path of the .shp as given (used in messages). */
const char *dl_source_path(const dl_source *src);
/* DL_GEOM_POINT, DL_GEOM_LINE or DL_GEOM_POLYGON. */
dl_geom_type dl_source_geom_type(const dl_source *src);
/* "Point", "PolygonZ", "MultiPointM", ... */
const char *dl_source_shape_type_name(const dl_source *src);
/* Number of records in the .shp (null shapes included). */
long dl_source_record_count(const dl_source *src);
/* Bounding box from the .shp header, in the source's own CRS. */
dl_bbox dl_source_bounds(const dl_source *src);
/* Contents of the .prj (ESRI or OGC WKT), or NULL when there is none. */
const char *dl_source_prj(const dl_source *src);
/* The encoding used for DBF strings: the iconv name, e.g. "UTF-8", "GBK";
 * plus where it came from: "cpg", "ldid", "style", or "default". */
const char *dl_source_encoding(const dl_source *src);
const char *dl_source_encoding_origin(const dl_source *src);

size_t dl_source_field_count(const dl_source *src);
const dl_field *dl_source_field(const dl_source *src, size_t i);
/* Index of the field with this name (case-insensitive, as DBF names are), or -1. */
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
/* Null shapes skipped so far. */
long dl_source_null_count(const dl_source *src);

#endif
