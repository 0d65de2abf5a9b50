/* Shapefile reader: one input holds the .shp, .shx, .dbf, .prj and .cpg.
 * Layout: five little-endian uint32 lengths, then the five files' bytes in
 * that order. A length with the top bit set means the file is absent (a
 * missing .shx is rebuilt, a missing .dbf gives no attributes); lengths
 * past the end of the input are cut to what is left. pack_shapefile.sh
 * writes seeds in this form. */
#include <stdio.h>
#include <string.h>

#include "dline.h"
#include "fuzz.h"
#include "source/source.h"

static const char *const exts[5] = {"in.shp", "in.shx", "in.dbf", "in.prj", "in.cpg"};

static void read_all(dline_ctx *ctx, dl_source *src)
{
    const dl_feature *f;
    char buf[64];
    while (dl_source_next(ctx, src, &f) == DLINE_OK && f) {
        for (size_t i = 0; i < f->nvalues; i++)
            dl_value_format(&f->values[i], buf, sizeof buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        return 0;
    if (size < 20)
        return 0;
    const uint8_t *p = data + 20;
    size_t left = size - 20;
    char path[4200], shp[4200] = "";
    for (int i = 0; i < 5; i++) {
        const uint8_t *h = data + 4 * i;
        uint32_t n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
                     (uint32_t)h[3] << 24;
        int absent = (n & 0x80000000u) != 0;
        size_t len = n & 0x7fffffffu;
        if (len > left)
            len = left;
        if (dl_fuzz_write(exts[i], absent ? NULL : p, len, path, sizeof path) != 0)
            return 0;
        if (i == 0)
            memcpy(shp, path, strlen(path) + 1);
        if (!absent) {
            p += len;
            left -= len;
        }
    }

    dline_ctx *ctx = dline_ctx_new();
    if (!ctx)
        return 0;
    dl_source *src = NULL;
    if (dl_source_open(ctx, shp, NULL, &src) == DLINE_OK) {
        dl_source_geom_type(src);
        dl_source_shape_type_name(src);
        dl_source_bounds(src);
        dl_source_encoding(src);
        for (size_t i = 0; i < dl_source_field_count(src); i++)
            dl_source_field_index(src, dl_source_field(src, i)->name);
        read_all(ctx, src);
        /* Again through the view, which skips records by their box first. */
        if (dl_source_rewind(ctx, src) == DLINE_OK) {
            dl_bbox b = dl_source_bounds(src);
            dl_bbox half = b;
            half.xmax = b.xmin + (b.xmax - b.xmin) / 2;
            dl_source_set_view(ctx, src, &half);
            read_all(ctx, src);
        }
        dl_source_free(src);
    }
    dline_ctx_free(ctx);

    ctx = dline_ctx_new();
    if (!ctx)
        return 0;
    dline_info(ctx, shp, devnull);
    dline_ctx_free(ctx);
    return 0;
}
