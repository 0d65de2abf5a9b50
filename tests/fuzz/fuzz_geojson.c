/* GeoJSON reader: the input is the document, read from memory (as a
 * MapLibre style's inline data is) and then as a file, to the end. */
#include "dline.h"
#include "fuzz.h"
#include "fuzz_source_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dline_ctx *ctx = dline_ctx_new();
    if (!ctx)
        return 0;
    /* data may be NULL when size is 0; the reader wants a pointer. */
    dl_source_options opt = {.kind = DL_SOURCE_GEOJSON,
                             .data = size ? (const char *)data : "",
                             .data_len = size};
    dl_source *src = NULL;
    if (dl_source_open_ex(ctx, "fuzz.geojson", &opt, &src) == DLINE_OK) {
        fuzz_read_source(ctx, src);
        dl_source_free(src);
    }
    dline_ctx_free(ctx);
    return 0;
}
