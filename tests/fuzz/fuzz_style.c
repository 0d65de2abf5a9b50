/* Style reader: the input is a style file (YAML, or a MapLibre JSON style,
 * which is detected by its keys), loaded plainly and then as `dline
 * validate` does, with every problem reported to a callback that drops it. */
#include "dline.h"
#include "fuzz.h"
#include "style/style.h"

static void ignore(const char *message, void *user)
{
    (void)message;
    (*(size_t *)user)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    if (dl_fuzz_write("style.yaml", data, size, path, sizeof path) != 0)
        return 0;

    dline_ctx *ctx = dline_ctx_new();
    if (!ctx)
        return 0;
    dl_style *style = NULL;
    if (dl_style_load(ctx, path, &style) == DLINE_OK)
        dl_style_free(style);
    dline_ctx_free(ctx);

    ctx = dline_ctx_new();
    if (!ctx)
        return 0;
    size_t seen = 0, nproblems = 0;
    style = NULL;
    dl_style_load_checked(ctx, path, NULL, 0, ignore, &seen, &nproblems, &style);
    dl_style_free(style);
    dline_ctx_free(ctx);
    return 0;
}
