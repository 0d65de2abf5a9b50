/* Reading a GeoJSON or CSV source to the end, shared by their targets. */
#ifndef DL_FUZZ_SOURCE_COMMON_H
#define DL_FUZZ_SOURCE_COMMON_H

#include "source/source.h"

static void fuzz_read_source(dline_ctx *ctx, dl_source *src)
{
    char buf[64];
    dl_source_geom_type(src);
    dl_source_has_geom(src, DL_GEOM_POLYGON);
    dl_source_shape_type_name(src);
    dl_source_record_count(src);
    dl_source_bounds(src);
    dl_source_encoding(src);
    dl_source_encoding_origin(src);
    for (size_t i = 0; i < dl_source_field_count(src); i++)
        dl_source_field_index(src, dl_source_field(src, i)->name);
    for (int pass = 0; pass < 2; pass++) {
        const dl_feature *f;
        while (dl_source_next(ctx, src, &f) == DLINE_OK && f) {
            for (size_t i = 0; i < f->nvalues; i++)
                dl_value_format(&f->values[i], buf, sizeof buf);
        }
        if (dl_source_rewind(ctx, src) != DLINE_OK)
            break;
    }
}

#endif
