/* The error context: message formats, first error wins, warnings, and
 * nearest-name suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"

static void formats(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    assert_int_equal(dline_ctx_status(ctx), DLINE_OK);
    assert_string_equal(dline_ctx_message(ctx), "");
    assert_int_equal(dl_error(ctx, DLINE_ESTYLE, "a.yaml", 12, 7, "unknown key '%s'", "x"),
                     DLINE_ESTYLE);
    assert_string_equal(dline_ctx_message(ctx), "a.yaml:12:7: unknown key 'x'");
    dline_ctx_clear(ctx);
    dl_error(ctx, DLINE_EDATA, "d.shp", 0, 0, "record %d: bad", 3);
    assert_string_equal(dline_ctx_message(ctx), "d.shp: record 3: bad");
    dline_ctx_clear(ctx);
    dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
    assert_string_equal(dline_ctx_message(ctx), "out of memory");
    dline_ctx_free(ctx);
}

static void first_error_wins(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_error(ctx, DLINE_EDATA, "first.shp", 0, 0, "first");
    assert_int_equal(dl_error(ctx, DLINE_EIO, "second.shp", 0, 0, "second"), DLINE_EIO);
    assert_int_equal(dline_ctx_status(ctx), DLINE_EDATA);
    assert_string_equal(dline_ctx_message(ctx), "first.shp: first");
    dline_ctx_free(ctx);
}

static void messages_are_one_line_and_bounded(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dl_error(ctx, DLINE_EDATA, "f", 0, 0, "a\nb\r%s", big);
    const char *m = dline_ctx_message(ctx);
    assert_null(strchr(m, '\n'));
    assert_null(strchr(m, '\r'));
    assert_int_equal(strlen(m), DL_MSG_MAX - 1);
    assert_true(!strncmp(m, "f: a b ", 7));
    dline_ctx_free(ctx);
}

static void collect(const char *message, void *user)
{
    strcpy(user, message);
}

static void warnings_go_to_the_handler(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_warn(ctx, "s.yaml", 1, 2, "dropped"); /* no handler: nothing happens */
    char got[DL_MSG_MAX] = "";
    dline_ctx_set_warning_handler(ctx, collect, got);
    dl_warn(ctx, "s.yaml", 3, 4, "layer '%s' has no text-field", "l");
    assert_string_equal(got, "s.yaml:3:4: layer 'l' has no text-field");
    assert_int_equal(dline_ctx_status(ctx), DLINE_OK);
    dline_ctx_free(ctx);
}

static void suggestions(void **state)
{
    (void)state;
    const char *const keys[] = {"size", "dpi", "crs", "extent", "background", "layers"};
    size_t n = sizeof keys / sizeof keys[0];
    assert_string_equal(dl_suggest("sise", keys, n), "size");
    assert_string_equal(dl_suggest("backgrund", keys, n), "background");
    assert_string_equal(dl_suggest("layer", keys, n), "layers");
    assert_null(dl_suggest("zoom", keys, n));
    assert_null(dl_suggest("sise", keys, 0));
}

static void status_strings(void **state)
{
    (void)state;
    assert_string_equal(dline_status_string(DLINE_OK), "success");
    assert_string_equal(dline_status_string(DLINE_ESTYLE), "style error");
    assert_string_equal(dline_status_string(DLINE_ECANCELED), "interrupted");
    assert_string_equal(dline_status_string((dline_status)99), "unknown status");
    dline_ctx_free(NULL); /* no-op */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats),
        cmocka_unit_test(first_error_wins),
        cmocka_unit_test(messages_are_one_line_and_bounded),
        cmocka_unit_test(warnings_go_to_the_handler),
        cmocka_unit_test(suggestions),
        cmocka_unit_test(status_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
