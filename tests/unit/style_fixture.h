/* Shared by the style unit tests: a temporary folder with a style file the
 * tests write and load, and the context errors land in. Include after
 * cmocka.h and style/style.h. */
#ifndef DL_TEST_STYLE_FIXTURE_H
#define DL_TEST_STYLE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char path[96]; /* dir/s.yaml: where error cases are written */
    dline_ctx *ctx;
    int failures; /* error cases report every mismatch, then fail once */
} fixture;

static inline int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/dline-test-style-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/s.yaml", fx->dir);
    fx->ctx = dline_ctx_new();
    *state = fx;
    return fx->ctx ? 0 : -1;
}

static inline int teardown(void **state)
{
    fixture *fx = *state;
    unlink(fx->path);
    rmdir(fx->dir);
    dline_ctx_free(fx->ctx);
    free(fx);
    return 0;
}

static inline void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static inline dl_style *load_ok(fixture *fx, const char *path)
{
    dl_style *s = NULL;
    dline_ctx_clear(fx->ctx);
    dline_status st = dl_style_load(fx->ctx, path, &s);
    if (st != DLINE_OK)
        fail_msg("%s: %s", path, dline_ctx_message(fx->ctx));
    assert_non_null(s);
    return s;
}

/* Writes yaml to the fixture's file and loads it; fails the test on error. */
static inline dl_style *load_text(fixture *fx, const char *yaml)
{
    write_file(fx->path, yaml, strlen(yaml));
    return load_ok(fx, fx->path);
}

#endif
