/* One dl_source over three kinds of file: the kind is chosen at open (the
 * style's `type`, else the extension) and every call is a switch on it. A
 * switch rather than a table of function pointers: there are three kinds,
 * and the text kinds share their summary (dl_text) so most calls are one
 * field read. */
#include "source_int.h"

#include <stdlib.h>
#include <string.h>

struct dl_source {
    dl_source_kind kind; /* never AUTO */
    dl_shp *shp;         /* DL_SOURCE_SHAPEFILE */
    dl_text *text;       /* DL_SOURCE_GEOJSON, DL_SOURCE_CSV */
};

int dl_source_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb || !ca)
            return ca - cb;
    }
}

dl_source_kind dl_source_kind_from_path(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *dot = path ? strrchr(slash ? slash : path, '.') : NULL;
    if (!dot)
        return DL_SOURCE_SHAPEFILE;
    if (dl_source_casecmp(dot, ".geojson") == 0 || dl_source_casecmp(dot, ".json") == 0)
        return DL_SOURCE_GEOJSON;
    if (dl_source_casecmp(dot, ".csv") == 0)
        return DL_SOURCE_CSV;
    return DL_SOURCE_SHAPEFILE;
}

dline_status dl_source_open(dline_ctx *ctx, const char *path, const char *encoding,
                            dl_source **out)
{
    dl_source_options opt = {.encoding = encoding};
    return dl_source_open_ex(ctx, path, &opt, out);
}

dline_status dl_source_open_ex(dline_ctx *ctx, const char *path, const dl_source_options *opt,
                               dl_source **out)
{
    static const dl_source_options none = {0};
    *out = NULL;
    if (!opt)
        opt = &none;
    dl_source_kind kind = opt->kind != DL_SOURCE_AUTO ? opt->kind : dl_source_kind_from_path(path);
    if (opt->data && kind != DL_SOURCE_GEOJSON)
        return dl_error(ctx, DLINE_EUSAGE, path, 0, 0, "data in memory must be GeoJSON");
    if (kind == DL_SOURCE_SHAPEFILE) {
        dl_shp *shp;
        const dl_shp *share = opt->share && opt->share->kind == DL_SOURCE_SHAPEFILE
                                  ? opt->share->shp
                                  : NULL;
        dline_status st = dl_shp_open(ctx, path, opt->encoding, share, &shp);
        if (st)
            return st;
        dl_source *src = calloc(1, sizeof *src);
        if (!src) {
            dl_shp_free(shp);
            return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
        }
        src->kind = kind;
        src->shp = shp;
        *out = src;
        return DLINE_OK;
    }
    if (!path || !*path)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "no data file path given");
    dl_source *src = calloc(1, sizeof *src);
    dl_text *t = dl_text_new(kind, path);
    if (!src || !t) {
        free(src);
        dl_text_free(t);
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    }
    src->kind = kind;
    src->text = t;
    dline_status st = kind == DL_SOURCE_GEOJSON ? dl_geojson_open(ctx, t, opt)
                                                : dl_csv_open(ctx, t, opt);
    if (st) {
        dl_source_free(src);
        return st;
    }
    *out = src;
    return DLINE_OK;
}

void dl_source_free(dl_source *src)
{
    if (!src)
        return;
    dl_shp_free(src->shp);
    if (src->text) {
        if (src->kind == DL_SOURCE_GEOJSON)
            dl_geojson_free(src->text);
        else
            dl_csv_free(src->text);
        dl_text_free(src->text);
    }
    free(src);
}

dl_source_kind dl_source_get_kind(const dl_source *src)
{
    return src->kind;
}

const char *dl_source_path(const dl_source *src)
{
    return src->shp ? dl_shp_path(src->shp) : src->text->path;
}

dl_geom_type dl_source_geom_type(const dl_source *src)
{
    if (src->shp)
        return dl_shp_geom_type(src->shp);
    unsigned m = src->text->geom_mask;
    /* exactly one bit */
    if (m && !(m & (m - 1)))
        for (int t = DL_GEOM_POINT; t <= DL_GEOM_POLYGON; t++)
            if (m == 1u << t)
                return (dl_geom_type)t;
    return DL_GEOM_NONE;
}

int dl_source_has_geom(const dl_source *src, dl_geom_type t)
{
    if (t == DL_GEOM_NONE)
        return 0;
    if (src->shp)
        return dl_shp_geom_type(src->shp) == t;
    return (src->text->geom_mask >> t) & 1;
}

const char *dl_source_shape_type_name(const dl_source *src)
{
    return src->shp ? dl_shp_shape_type_name(src->shp) : src->text->type_name;
}

long dl_source_record_count(const dl_source *src)
{
    return src->shp ? dl_shp_record_count(src->shp) : src->text->nrecords;
}

dl_bbox dl_source_bounds(const dl_source *src)
{
    return src->shp ? dl_shp_bounds(src->shp) : src->text->bounds;
}

const char *dl_source_prj(const dl_source *src)
{
    return src->shp ? dl_shp_prj(src->shp) : NULL;
}

const char *dl_source_default_crs(const dl_source *src)
{
    return src->shp ? NULL : "EPSG:4326";
}

const char *dl_source_prj_path(const dl_source *src)
{
    return src->shp ? dl_shp_prj_path(src->shp) : NULL;
}

const char *dl_source_dbf_path(const dl_source *src)
{
    return src->shp ? dl_shp_dbf_path(src->shp) : NULL;
}

const char *dl_source_encoding(const dl_source *src)
{
    return src->shp ? dl_shp_encoding(src->shp) : src->text->encoding;
}

const char *dl_source_encoding_origin(const dl_source *src)
{
    return src->shp ? dl_shp_encoding_origin(src->shp) : src->text->origin;
}

size_t dl_source_field_count(const dl_source *src)
{
    return src->shp ? dl_shp_field_count(src->shp) : src->text->nfields;
}

const dl_field *dl_source_field(const dl_source *src, size_t i)
{
    if (src->shp)
        return dl_shp_field(src->shp, i);
    return i < src->text->nfields ? &src->text->fields[i] : NULL;
}

long dl_source_field_index(const dl_source *src, const char *name)
{
    return src->shp ? dl_shp_field_index(src->shp, name) : dl_text_field_index(src->text, name);
}

dline_status dl_source_next(dline_ctx *ctx, dl_source *src, const dl_feature **feature)
{
    switch (src->kind) {
    case DL_SOURCE_GEOJSON: return dl_geojson_next(ctx, src->text, feature);
    case DL_SOURCE_CSV: return dl_csv_next(ctx, src->text, feature);
    default: return dl_shp_next(ctx, src->shp, feature);
    }
}

dline_status dl_source_rewind(dline_ctx *ctx, dl_source *src)
{
    switch (src->kind) {
    case DL_SOURCE_GEOJSON: dl_geojson_rewind(src->text); return DLINE_OK;
    case DL_SOURCE_CSV: dl_csv_rewind(src->text); return DLINE_OK;
    default: return dl_shp_rewind(ctx, src->shp);
    }
}

long dl_source_null_count(const dl_source *src)
{
    return src->shp ? dl_shp_null_count(src->shp) : src->text->nnull;
}

void dl_source_set_view(dline_ctx *ctx, dl_source *src, const dl_bbox *view)
{
    /* GeoJSON and CSV are in memory already: the caller's own box test is
     * all there is to gain. */
    if (src->kind == DL_SOURCE_SHAPEFILE)
        dl_shp_set_view(ctx, src->shp, view);
}

dline_status dl_source_write_index(dline_ctx *ctx, dl_source *src, char **qix_path)
{
    *qix_path = NULL;
    if (src->kind != DL_SOURCE_SHAPEFILE)
        return dl_error(ctx, DLINE_EUSAGE, dl_source_path(src), 0, 0,
                        "only shapefiles have a spatial index (.qix)");
    return dl_shp_write_index(ctx, src->shp, qix_path);
}

long dl_source_records_read(const dl_source *src)
{
    return src->kind == DL_SOURCE_SHAPEFILE ? dl_shp_records_read(src->shp) : 0;
}
