/* Different maps on different threads (include/dline.h: "thread-safe across
 * different map objects"): four threads each load a style and render it to
 * PNG, SVG and PDF in memory, at the same time; every result is the same
 * bytes as a render of that style alone. Run from tests/ (ctest sets the
 * folder and FONTCONFIG_FILE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dline.h"

#define NTHREADS 4

typedef struct {
    const char *style;
    unsigned char *out[3];
    size_t len[3];
    dline_status st;
    char msg[256];
} job;

static const dline_format FORMATS[3] = {DLINE_FORMAT_PNG, DLINE_FORMAT_SVG, DLINE_FORMAT_PDF};

static void *render(void *arg)
{
    job *j = arg;
    dline_ctx *ctx = dline_ctx_new();
    dline_map *map = NULL;
    j->st = dline_map_load(ctx, j->style, &map);
    if (j->st == DLINE_OK)
        j->st = dline_map_set_creation_time(ctx, map, 0);
    for (int f = 0; f < 3 && j->st == DLINE_OK; f++)
        j->st = dline_map_render_memory(ctx, map, FORMATS[f], &j->out[f], &j->len[f]);
    snprintf(j->msg, sizeof j->msg, "%s", dline_ctx_message(ctx));
    dline_map_free(map);
    dline_ctx_free(ctx);
    return NULL;
}

static void different_maps_on_different_threads(void **state)
{
    (void)state;
    static const char *const styles[NTHREADS] = {
        "../styles/digital-line.yaml", "../styles/mono-print.yaml",
        "golden/styles/labels_bilingual.yaml", "golden/styles/icons_points.yaml"};
    job alone[NTHREADS], together[NTHREADS];
    memset(alone, 0, sizeof alone);
    memset(together, 0, sizeof together);
    for (int i = 0; i < NTHREADS; i++) {
        alone[i].style = together[i].style = styles[i];
        render(&alone[i]);
        if (alone[i].st != DLINE_OK)
            fail_msg("%s: %s", styles[i], alone[i].msg);
    }
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, render, &together[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < NTHREADS; i++) {
        if (together[i].st != DLINE_OK)
            fail_msg("%s on a thread: %s", styles[i], together[i].msg);
        for (int f = 0; f < 3; f++) {
            if (alone[i].len[f] != together[i].len[f] ||
                memcmp(alone[i].out[f], together[i].out[f], alone[i].len[f]) != 0)
                fail_msg("%s, format %d: differs on a thread", styles[i], f);
            dline_free(alone[i].out[f]);
            dline_free(together[i].out[f]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(different_maps_on_different_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
