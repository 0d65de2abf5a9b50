/* CSV point-list reader: the input is the file, read to the end; once with
 * the columns found by name and UTF-8, once as GBK with a style CRS (which
 * lifts the latitude range check). */
#include "dline.h"
#include "fuzz.h"
#include "fuzz_source_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    if (dl_fuzz_write("in.csv", data, size, path, sizeof path) != 0)
        return 0;
    static const dl_source_options opts[2] = {
        {.kind = DL_SOURCE_CSV},
        {.kind = DL_SOURCE_CSV, .encoding = "GBK", .crs = "EPSG:3857"},
    };
    for (int i = 0; i < 2; i++) {
        dline_ctx *ctx = dline_ctx_new();
        if (!ctx)
            return 0;
        dl_source *src = NULL;
        if (dl_source_open_ex(ctx, path, &opts[i], &src) == DLINE_OK) {
            fuzz_read_source(ctx, src);
            dl_source_free(src);
        }
        dline_ctx_free(ctx);
    }
    return 0;
}
