/* `dline info`: an ogrinfo -so style summary of a shapefile, GeoJSON or CSV
 * file. Every record is read first, which counts the null shapes and
 * validates the whole file, so a bad file prints its error and nothing
 * else. */
#include "dline.h"
#include "project/project.h"
#include "source_int.h"

#include <string.h>

/* OGR's names for the DBF column types, as ogrinfo prints them. */
static const char *ogr_type_name(const dl_field *f)
{
    switch (f->type) {
    case DL_VAL_STRING: return "String";
    case DL_VAL_INT: return f->width < 10 ? "Integer" : "Integer64";
    case DL_VAL_DOUBLE: return "Real";
    case DL_VAL_DATE: return "Date";
    case DL_VAL_BOOL: return "Logical";
    case DL_VAL_NULL: break;
    }
    return "Unknown";
}

static const char *origin_text(const char *origin)
{
    if (strcmp(origin, "cpg") == 0)
        return "from the .cpg";
    if (strcmp(origin, "ldid") == 0)
        return "from the DBF language driver byte";
    if (strcmp(origin, "style") == 0)
        return "from the style";
    if (strcmp(origin, "rfc") == 0)
        return "GeoJSON is UTF-8, RFC 8259";
    if (strcmp(origin, "bom") == 0)
        return "from the byte order mark";
    return "assumed; Latin-1 for values that are not valid UTF-8";
}

/* The layer name ogrinfo shows: the file name without folder and extension. */
static void layer_name(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    snprintf(buf, size, "%s", name);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = '\0';
}

static dline_status lonlat_extent(dline_ctx *ctx, const dl_source *src, const char *crs,
                                  dl_bbox native, char *crs_name, size_t name_size, int *have_ll,
                                  dl_bbox *ll)
{
    dl_proj *proj = NULL;
    dl_transform *t = NULL;
    *have_ll = 0;
    dline_status st = dl_proj_new(ctx, &proj);
    if (st)
        return st;
    st = dl_proj_check_crs(ctx, proj, crs, crs_name, name_size);
    if (!st && !dl_bbox_is_empty(native)) {
        st = dl_transform_new(ctx, proj, crs, "EPSG:4326", dl_source_prj_path(src), &t);
        if (!st)
            st = dl_transform_bbox(ctx, t, native, ll);
        if (!st)
            *have_ll = 1;
    }
    dl_transform_free(t);
    dl_proj_free(proj);
    return st;
}

dline_status dline_info(dline_ctx *ctx, const char *shp_path, FILE *out)
{
    if (!shp_path || !out)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "dline_info: no path or output stream");
    /* The kind comes from the extension; GeoJSON and CSV are read as
     * longitude/latitude (EPSG:4326), there being no style to say otherwise. */
    dl_source *src;
    dline_status st = dl_source_open(ctx, shp_path, NULL, &src);
    if (st)
        return st;
    const dl_feature *f;
    while ((st = dl_source_next(ctx, src, &f)) == DLINE_OK && f)
        continue;
    if (st) {
        dl_source_free(src);
        return st;
    }

    dl_bbox native = dl_source_bounds(src);
    char crs[256] = "";
    int have_ll = 0;
    dl_bbox ll = dl_bbox_empty();
    const char *crs_text = dl_source_prj(src) ? dl_source_prj(src) : dl_source_default_crs(src);
    if (crs_text) {
        st = lonlat_extent(ctx, src, crs_text, native, crs, sizeof crs, &have_ll, &ll);
        if (st) {
            dl_source_free(src);
            return st;
        }
    }

    char name[256];
    layer_name(dl_source_path(src), name, sizeof name);
    fprintf(out, "Layer name: %s\n", name);
    fprintf(out, "Geometry: %s\n", dl_source_shape_type_name(src));
    fprintf(out, "Feature Count: %ld\n", dl_source_record_count(src));
    fprintf(out, "Null Shapes: %ld\n", dl_source_null_count(src));
    if (dl_bbox_is_empty(native))
        fprintf(out, "Extent: none\n");
    else
        fprintf(out, "Extent: (%f, %f) - (%f, %f)\n", native.xmin, native.ymin, native.xmax,
                native.ymax);
    if (have_ll)
        fprintf(out, "Extent (lon/lat): (%f, %f) - (%f, %f)\n", ll.xmin, ll.ymin, ll.xmax,
                ll.ymax);
    if (!crs_text)
        fprintf(out, "CRS: unknown (no .prj)\n");
    else if (!dl_source_prj(src))
        fprintf(out, "CRS: %s (assumed; a style's 'crs' for the source overrides it)\n",
                crs[0] ? crs : "unnamed");
    else
        fprintf(out, "CRS: %s\n", crs[0] ? crs : "unnamed");
    if (dl_source_get_kind(src) != DL_SOURCE_SHAPEFILE || dl_source_dbf_path(src)) {
        fprintf(out, "Encoding: %s (%s)\n", dl_source_encoding(src),
                origin_text(dl_source_encoding_origin(src)));
    } else {
        fprintf(out, "Encoding: none (no .dbf)\n");
    }
    for (size_t i = 0; i < dl_source_field_count(src); i++) {
        const dl_field *fd = dl_source_field(src, i);
        fprintf(out, "%s: %s (%d.%d)\n", fd->name, ogr_type_name(fd), fd->width, fd->decimals);
    }
    st = DLINE_OK;
    if (fflush(out) != 0 || ferror(out))
        st = dl_error(ctx, DLINE_EIO, NULL, 0, 0, "could not write the summary of %s",
                      dl_source_path(src));
    dl_source_free(src);
    return st;
}
