/* The .qix spatial index: `dline index` writes it, a view reads only the
 * records it lists (the same features as a full scan, fewer read), and a
 * .qix that lies is ignored with a warning, never trusted. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dline.h"
#include "source/source.h"

static char dir[64];

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/dline-test-qix-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    static const char *const ext[] = {".shp", ".shx", ".dbf", ".prj", ".cpg"};
    for (size_t i = 0; i < 5; i++) {
        char from[128], to[128];
        snprintf(from, sizeof from, "data/dense%s", ext[i]);
        snprintf(to, sizeof to, "%s/dense%s", dir, ext[i]);
        copy_file(from, to);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const ext[] = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix"};
    for (size_t i = 0; i < 6; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/dense%s", dir, ext[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void collect_warning(const char *message, void *user)
{
    snprintf(user, DL_MSG_MAX, "%s", message);
}

static long last_read; /* records the last read_view read from the file */

/* The ids of the features in view, in order; returns how many. */
static size_t read_view(dline_ctx *ctx, const dl_bbox *view, long *ids, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "%s/dense.shp", dir);
    dl_source *src;
    assert_int_equal(dl_source_open(ctx, path, NULL, &src), DLINE_OK);
    dl_source_set_view(ctx, src, view);
    assert_int_equal(dl_source_rewind(ctx, src), DLINE_OK);
    size_t n = 0;
    const dl_feature *f;
    while (dl_source_next(ctx, src, &f) == DLINE_OK && f) {
        /* The caller's own test, as dline.c makes it. */
        double x = f->geom.xy[0], y = f->geom.xy[1];
        if (view && (x < view->xmin || x > view->xmax || y < view->ymin || y > view->ymax))
            continue;
        if (n < cap)
            ids[n] = f->id;
        n++;
    }
    last_read = dl_source_records_read(src);
    dl_source_free(src);
    return n;
}

static void index_gives_the_same_features(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    char warning[DL_MSG_MAX] = "";
    dline_ctx_set_warning_handler(ctx, collect_warning, warning);
    dl_bbox view = {121.02, 31.11, 121.05, 31.14};
    long plain[300], indexed[300];
    size_t n0 = read_view(ctx, &view, plain, 300);
    assert_true(n0 > 5 && n0 < 100);
    assert_int_equal(last_read, 300); /* no index: every record */

    char shp[128], out[512] = "";
    snprintf(shp, sizeof shp, "%s/dense.shp", dir);
    FILE *mem = fmemopen(out, sizeof out, "w");
    assert_int_equal(dline_index(ctx, shp, mem), DLINE_OK);
    fclose(mem);
    char want[256];
    snprintf(want, sizeof want, "wrote %s/dense.qix (300 records)\n", dir);
    assert_string_equal(out, want);

    size_t n1 = read_view(ctx, &view, indexed, 300);
    assert_int_equal(n1, n0);
    /* The index's nodes meet the view: a few more records than are in it,
     * far fewer than the file. */
    assert_true(last_read >= (long)n0 && last_read < 150);
    assert_memory_equal(plain, indexed, n0 * sizeof plain[0]);
    assert_string_equal(warning, "");
    /* The whole file through the index too. */
    assert_int_equal(read_view(ctx, NULL, indexed, 300), 300);
    dline_ctx_free(ctx);
}

/* A .qix that lies is checked and ignored: the same features, one warning. */
static void bad_index_is_ignored(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    char warning[DL_MSG_MAX] = "";
    dline_ctx_set_warning_handler(ctx, collect_warning, warning);
    char shp[128], qix[128];
    snprintf(shp, sizeof shp, "%s/dense.shp", dir);
    snprintf(qix, sizeof qix, "%s/dense.qix", dir);
    assert_int_equal(dline_index(ctx, shp, NULL), DLINE_OK);
    FILE *f = fopen(qix, "rb");
    assert_non_null(f);
    unsigned char buf[65536];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(size > 100);
    dl_bbox view = {121.02, 31.11, 121.05, 31.14};
    long plain[300], got[300];
    static const struct {
        size_t at;
        int value; /* a byte; -1: cut the file at `at` */
        const char *why;
    } cases[] = {
        {0, 'X', "not a shapelib quadtree (.qix) of version 1"},
        {8, 7, "it indexes a different number of shapes than the .shp has"},
        {60, -1, "a node's sub-nodes do not fit the file"},
        {30, -1, "a node runs past the end of the file"},
        {16 + 36, 0x7f, "a shape id is not a record of the .shp"},
        {16 + 39, 0x7f, "a node's counts do not fit the file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char bad[65536];
        memcpy(bad, buf, size);
        size_t n = size;
        if (cases[i].value < 0)
            n = cases[i].at;
        else
            bad[cases[i].at] = (unsigned char)cases[i].value;
        f = fopen(qix, "wb");
        assert_int_equal(fwrite(bad, 1, n, f), n);
        fclose(f);
        warning[0] = '\0';
        unlink(qix); /* the plain read first, without any index */
        size_t n0 = read_view(ctx, &view, plain, 300);
        f = fopen(qix, "wb");
        assert_int_equal(fwrite(bad, 1, n, f), n);
        fclose(f);
        size_t n1 = read_view(ctx, &view, got, 300);
        assert_int_equal(n1, n0);
        assert_memory_equal(plain, got, n0 * sizeof plain[0]);
        char want[DL_MSG_MAX];
        snprintf(want, sizeof want, "%s: spatial index ignored: %s; every record is read", qix,
                 cases[i].why);
        assert_string_equal(warning, want);
    }
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(index_gives_the_same_features, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_index_is_ignored, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
