/* Style reuse (src/style/compose.c): include: merging, vars: "$name",
 * --set overrides, YAML anchors through them, and every error with its
 * file, line:column and exact message. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "style/style.h"
#include "style_fixture.h"

/* dir/NAME written with text; the path is returned in buf. */
static const char *put(fixture *fx, const char *name, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", fx->dir, name);
    write_file(buf, text, strlen(text));
    return buf;
}

static void drop(fixture *fx, const char *name)
{
    char p[160];
    snprintf(p, sizeof p, "%s/%s", fx->dir, name);
    unlink(p);
}

static dl_style *load_with(fixture *fx, const char *path, const char *const *sets, size_t n)
{
    dl_style *s = NULL;
    dline_ctx_clear(fx->ctx);
    if (dl_style_load_with(fx->ctx, path, sets, n, &s) != DLINE_OK)
        fail_msg("%s: %s", path, dline_ctx_message(fx->ctx));
    return s;
}

/* The load fails with status want and exactly msg, in which "DIR" stands
 * for the fixture's folder. */
static void expect_fail(fixture *fx, const char *path, const char *const *sets, size_t n,
                        dline_status want, const char *msg)
{
    char expected[1024] = "";
    for (const char *m = msg; *m;) {
        if (strncmp(m, "DIR", 3) == 0) {
            strncat(expected, fx->dir, sizeof expected - strlen(expected) - 1);
            m += 3;
        } else {
            size_t l = strlen(expected);
            if (l + 1 < sizeof expected) {
                expected[l] = *m;
                expected[l + 1] = '\0';
            }
            m++;
        }
    }
    dl_style *s = (dl_style *)1;
    dline_ctx_clear(fx->ctx);
    dline_status st = dl_style_load_with(fx->ctx, path, sets, n, &s);
    if (st != want || s != NULL || strcmp(dline_ctx_message(fx->ctx), expected) != 0)
        fail_msg("status %d (want %d)\n  got:      %s\n  expected: %s", st, want,
                 dline_ctx_message(fx->ctx), expected);
}

static const char BASE[] =
    "size: [800, 600]\n"
    "vars:\n"
    "  ink: \"#102030\"\n"
    "  width: 2\n"
    "sources:\n"
    "  roads: roads.shp\n"
    "layers:\n"
    "  - id: roads\n"
    "    type: line\n"
    "    source: roads\n"
    "    paint: {line-color: $ink, line-width: $width}\n"
    "  - id: halo\n"
    "    type: line\n"
    "    source: roads\n"
    "    paint: {line-color: \"#ffffff\"}\n";

static void include_merges_and_overrides(void **state)
{
    fixture *fx = *state;
    char base[160], child[160];
    put(fx, "base.yaml", BASE, base, sizeof base);
    put(fx, "child.yaml",
        "include: base.yaml\n"
        "vars: {ink: red}\n"            /* overrides the base's variable */
        "background: $ink\n"
        "layers:\n"
        "  - id: roads\n"               /* merged into the base's layer */
        "    paint: {line-width: 4}\n"
        "  - id: extra\n"               /* appended */
        "    type: circle\n"
        "    source: roads\n",
        child, sizeof child);
    dl_style *s = load_with(fx, child, NULL, 0);
    assert_int_equal(s->width, 800);
    assert_int_equal(s->nlayers, 3);
    assert_string_equal(s->layers[0].id, "roads");
    assert_string_equal(s->layers[1].id, "halo");
    assert_string_equal(s->layers[2].id, "extra");
    /* The base's $ink reads the child's value: variables are resolved
     * after merging. */
    assert_true(s->layers[0].line_color.r == 1 && s->layers[0].line_color.g == 0);
    assert_true(s->background.r == 1 && s->background.b == 0);
    assert_true(s->layers[0].line_width == 4);
    /* A source path in an included file is relative to that file. */
    char want[200];
    snprintf(want, sizeof want, "%s/roads.shp", fx->dir);
    assert_string_equal(s->sources[0].path, want);
    /* Layers remember the file they came from for later messages. */
    assert_string_equal(dl_style_layer_file(s, &s->layers[1]), base);
    assert_string_equal(dl_style_layer_file(s, &s->layers[2]), child);
    dl_style_free(s);
    drop(fx, "base.yaml");
    drop(fx, "child.yaml");
}

static void sets_override_anything(void **state)
{
    fixture *fx = *state;
    char base[160];
    put(fx, "base.yaml", BASE, base, sizeof base);
    const char *sets[] = {"layers.roads.paint.line-color=#06c", "size=[640, 480]",
                          "layers.halo.paint.line-width=3", "title.text=Roads & rails",
                          "vars.width=5", "layers.1.paint.line-opacity=0.5"};
    dl_style *s = load_with(fx, base, sets, sizeof sets / sizeof sets[0]);
    assert_int_equal(s->width, 640);
    assert_int_equal(s->height, 480);
    assert_true(fabs(s->layers[0].line_color.b - 0xcc / 255.0) < 1e-9);
    assert_true(s->layers[0].line_width == 5); /* through $width */
    assert_true(s->layers[1].line_width == 3);
    assert_true(s->layers[1].line_opacity == 0.5);
    assert_string_equal(s->title.text, "Roads & rails");
    dl_style_free(s);
    drop(fx, "base.yaml");
}

static void errors_name_file_and_line(void **state)
{
    fixture *fx = *state;
    char base[160], child[160], loop[160];
    put(fx, "base.yaml", BASE, base, sizeof base);

    put(fx, "child.yaml", "include: base.yaml\nbackground: $inc\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/child.yaml:2:13: unknown variable '$inc' (did you mean '$ink'?)");

    /* A mistake inside an included file names that file. */
    put(fx, "bad.yaml", "layers:\n  - id: x\n    type: lin\n    source: s\n", loop,
        sizeof loop);
    put(fx, "child.yaml", "include: [bad.yaml]\nsources: {s: s.shp}\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/bad.yaml:3:11: unknown layer type 'lin' (did you mean 'line'?)");
    drop(fx, "bad.yaml");

    put(fx, "loop.yaml", "include: child.yaml\n", loop, sizeof loop);
    put(fx, "child.yaml", "include: loop.yaml\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/loop.yaml:1:10: 'include': 'child.yaml' includes itself");
    drop(fx, "loop.yaml");

    put(fx, "child.yaml", "include: nowhere.yaml\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/child.yaml:1:10: 'include': cannot open 'DIR/nowhere.yaml': No such file "
                "or directory");

    put(fx, "child.yaml", "include: {a: b}\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/child.yaml:1:10: 'include' must be a file name or a list of file names");

    put(fx, "child.yaml", "vars: [1, 2]\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/child.yaml:1:7: 'vars' must be a mapping of names to values");

    /* Variables that refer to each other in a circle stop at the limit. */
    put(fx, "child.yaml", "vars: {a: $b, b: $a}\nbackground: $a\n", child, sizeof child);
    expect_fail(fx, child, NULL, 0, DLINE_ESTYLE,
                "DIR/child.yaml:1:18: variables refer to each other more than 16 deep");

    /* A style that includes itself through 9 files stops at depth 8. */
    for (int i = 0; i < 10; i++) {
        char name[32], text[64], p[160];
        snprintf(name, sizeof name, "d%d.yaml", i);
        snprintf(text, sizeof text, "include: d%d.yaml\n", i + 1);
        put(fx, name, text, p, sizeof p);
    }
    char first[160];
    snprintf(first, sizeof first, "%s/d0.yaml", fx->dir);
    expect_fail(fx, first, NULL, 0, DLINE_ESTYLE,
                "DIR/d8.yaml:1:10: includes nest more than 8 deep");
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "d%d.yaml", i);
        drop(fx, name);
    }

    const char *bad_layer[] = {"layers.road.paint.line-color=red"};
    expect_fail(fx, base, bad_layer, 1, DLINE_EUSAGE,
                "--set layers.road.paint.line-color=red: no layer 'road' (did you mean 'roads'?)");
    const char *no_eq[] = {"layers.roads.paint.line-color"};
    expect_fail(fx, base, no_eq, 1, DLINE_EUSAGE,
                "--set layers.roads.paint.line-color: expected PATH=VALUE, e.g. "
                "layers.sites.paint.circle-color=#06c");
    const char *empty_part[] = {"layers..paint=1"};
    expect_fail(fx, base, empty_part, 1, DLINE_EUSAGE,
                "--set layers..paint=1: the path has an empty part");
    const char *into_scalar[] = {"size.0.x=1"};
    expect_fail(fx, base, into_scalar, 1, DLINE_EUSAGE,
                "--set size.0.x=1: 'x' is set inside a value that is not a mapping");
    /* An override is checked like the style: the error points at --set. */
    const char *bad_value[] = {"layers.roads.paint.line-width=wide"};
    expect_fail(fx, base, bad_value, 1, DLINE_ESTYLE,
                "--set:1:1: 'line-width' must be a number");
    drop(fx, "base.yaml");
    drop(fx, "child.yaml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(include_merges_and_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(sets_override_anything, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_file_and_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
