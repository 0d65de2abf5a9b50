/* Lengths with units and paper sizes in the style: the parsers themselves,
 * the style keys that take them, every error with its exact message, and
 * the public paper and creation-time overrides. Runs from tests/ (ctest's
 * working directory). */
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

#define PX_PER_MM (96 / 25.4)
#define PX_PER_PT (96.0 / 72)


/* The message is given without the path: ":3:5: ...". */
static void expect_error_at(fixture *fx, const char *yaml, const char *msg, int line)
{
    write_file(fx->path, yaml, strlen(yaml));
    dl_style *s = (dl_style *)1;
    dline_ctx_clear(fx->ctx);
    dline_status st = dl_style_load(fx->ctx, fx->path, &s);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s%s", fx->path, msg);
    if (st != DLINE_ESTYLE || strcmp(dline_ctx_message(fx->ctx), expected) != 0 || s) {
        print_error("case at test_units.c:%d\n  got:      %s\n  expected: %s\n", line,
                    dline_ctx_message(fx->ctx), expected);
        fx->failures++;
    }
}
#define expect_error(fx, yaml, msg) expect_error_at(fx, yaml, msg, __LINE__)

static void all_passed(fixture *fx)
{
    int n = fx->failures;
    fx->failures = 0;
    if (n)
        fail_msg("%d case(s) failed", n);
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-9 * fmax(1, fabs(want)))
        fail_msg("%.12g, expected %.12g", got, want);
}

static double length(const char *s)
{
    double px = NAN;
    const char *unit;
    size_t ulen;
    if (dl_style_length(s, strlen(s), &px, &unit, &ulen) != 0)
        fail_msg("'%s' is not a length", s);
    return px;
}

static void test_length_units(void **state)
{
    (void)state;
    assert_near(length("12"), 12);
    assert_near(length("12px"), 12);
    assert_near(length("-3.5px"), -3.5);
    assert_near(length("9pt"), 12);
    assert_near(length("72pt"), 96);
    assert_near(length("4mm"), 4 * PX_PER_MM);
    assert_near(length("25.4mm"), 96);
    assert_near(length("0.5cm"), 5 * PX_PER_MM);
    assert_near(length("1in"), 96);
    assert_near(length("1e1mm"), 10 * PX_PER_MM);
    assert_near(length(".5in"), 48);
    assert_near(length("2PT"), 2 * PX_PER_PT); /* units are case-insensitive, as in CSS */
    assert_near(length("1In"), 96);
}

static void test_length_errors(void **state)
{
    (void)state;
    double px = 0;
    const char *unit = NULL;
    size_t ulen = 0;
    static const char *const not_lengths[] = {"", "mm", "px", "wide", "2 mm", "2mm ", "mm2",
                                              "2px3", "--2px", "0x10", ".inf", "nan", "1_0px"};
    for (size_t i = 0; i < sizeof not_lengths / sizeof not_lengths[0]; i++)
        if (dl_style_length(not_lengths[i], strlen(not_lengths[i]), &px, &unit, &ulen) != -1)
            fail_msg("'%s' was read as a length", not_lengths[i]);

    const char *s = "2pc";
    assert_int_equal(dl_style_length(s, 3, &px, &unit, &ulen), -2);
    assert_ptr_equal(unit, s + 1);
    assert_int_equal(ulen, 2);
    s = "12%";
    assert_int_equal(dl_style_length(s, 3, &px, &unit, &ulen), -2);
    assert_int_equal(ulen, 1);
    s = "3em";
    assert_int_equal(dl_style_length(s, 3, &px, &unit, &ulen), -2);
    s = "1e"; /* an exponent with no digits reads as the unit 'e' */
    assert_int_equal(dl_style_length(s, 2, &px, &unit, &ulen), -2);
    assert_int_equal(ulen, 1);
    /* Only len bytes are read: "4mmX" cut to 3 is 4 mm. */
    assert_int_equal(dl_style_length("4mmX", 3, &px, &unit, &ulen), 0);
    assert_near(px, 4 * PX_PER_MM);
}

static void test_paper(void **state)
{
    (void)state;
    double w = 0, h = 0;
    assert_int_equal(dl_style_paper("A4", &w, &h), 0);
    assert_near(w, 210 * PX_PER_MM);
    assert_near(h, 297 * PX_PER_MM);
    /* The PDF page in points: exactly 595.276 x 841.89. */
    assert_near(w * 0.75, 210 / 25.4 * 72);
    assert_true(fabs(w * 0.75 - 595.276) < 5e-4 && fabs(h * 0.75 - 841.89) < 5e-3);
    assert_int_equal(dl_style_paper("a4:landscape", &w, &h), 0);
    assert_near(w, 297 * PX_PER_MM);
    assert_near(h, 210 * PX_PER_MM);
    assert_int_equal(dl_style_paper("A4:portrait", &w, &h), 0);
    assert_near(w, 210 * PX_PER_MM);
    assert_int_equal(dl_style_paper("A3", &w, &h), 0);
    assert_near(w, 297 * PX_PER_MM);
    assert_near(h, 420 * PX_PER_MM);
    assert_int_equal(dl_style_paper("A5:Landscape", &w, &h), 0);
    assert_near(w, 210 * PX_PER_MM);
    assert_near(h, 148 * PX_PER_MM);
    /* Inch papers are whole px and whole points. */
    assert_int_equal(dl_style_paper("letter", &w, &h), 0);
    assert_true(w == 816 && h == 1056);
    assert_int_equal(dl_style_paper("Legal:landscape", &w, &h), 0);
    assert_true(w == 1344 && h == 816);

    static const char *const bad[] = {"", "A6", "B5", "A4:", "A4:sideways", "A4 landscape",
                                      "A44", "letterx", ":landscape", "A4:landscape:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w = h = -1;
        if (dl_style_paper(bad[i], &w, &h) != -1 || w != -1 || h != -1)
            fail_msg("'%s' was read as a paper", bad[i]);
    }
}

#define LINE_LAYER                                                                              \
    "sources: {roads: r.shp}\nlayers:\n  - id: roads\n    type: line\n    source: roads\n"
#define SYMBOL_LAYER                                                                            \
    "sources: {places: p.shp}\nlayers:\n  - id: s\n    type: symbol\n    source: places\n"

static void test_style_lengths(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(fx,
                            "size: ['210mm', 297mm]\n"
                            "fit: {padding: 1cm}\n"
                            "title: {text: T, size: 18pt, halo-width: 0.5mm, offset: ['5mm', 12px]}\n"
                            LINE_LAYER
                            "    paint: {line-width: 0.35mm}\n"
                            "  - id: c\n    type: circle\n    source: roads\n"
                            "    paint: {circle-radius: 3pt, circle-stroke-width: '1px'}\n"
                            "  - id: s\n    type: symbol\n    source: roads\n"
                            "    layout: {text-field: x, text-size: 9pt, text-offset: [0, 1.2]}\n"
                            "    paint: {text-halo-width: 0.02in}\n");
    assert_near(s->width, 210 * PX_PER_MM);
    assert_near(s->height, 297 * PX_PER_MM);
    assert_near(s->fit_padding, 10 * PX_PER_MM);
    assert_near(s->title.size, 24);
    assert_near(s->title.halo_width, 0.5 * PX_PER_MM);
    assert_near(s->title.offset[0], 5 * PX_PER_MM);
    assert_near(s->title.offset[1], 12);
    assert_near(s->layers[0].line_width, 0.35 * PX_PER_MM);
    assert_near(s->layers[1].circle_radius, 4);
    assert_near(s->layers[1].circle_stroke_width, 1);
    assert_near(s->layers[2].text_size, 12);
    assert_near(s->layers[2].text_offset[1], 1.2); /* ems, not px */
    assert_near(s->layers[2].text_halo_width, 0.02 * 96);
    dl_style_free(s);

    /* Plain numbers are px as before, and the "WxH" form takes units too. */
    s = load_text(fx, "size: 800x600\n");
    assert_true(s->width == 800 && s->height == 600);
    dl_style_free(s);
    s = load_text(fx, "size: 297mmx210mm\n");
    assert_near(s->width, 297 * PX_PER_MM);
    assert_near(s->height, 210 * PX_PER_MM);
    dl_style_free(s);
    s = load_text(fx, "size: 800pxx6in\n");
    assert_true(s->width == 800 && s->height == 576);
    dl_style_free(s);
}

static void test_style_paper(void **state)
{
    fixture *fx = *state;
    dl_style *s = load_text(fx, "paper: A4:landscape\ndpi: 300\n");
    assert_near(s->width, 297 * PX_PER_MM);
    assert_near(s->height, 210 * PX_PER_MM);
    assert_near(s->dpi, 300);
    dl_style_free(s);
    s = load_text(fx, "paper: letter\n");
    assert_true(s->width == 816 && s->height == 1056);
    dl_style_free(s);
}

static void test_errors(void **state)
{
    fixture *fx = *state;
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: 2pc\n",
                 ":7:19: 'line-width': unknown unit 'pc' in '2pc' (use px, pt, mm, cm or in)");
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: '2em'\n",
                 ":7:19: 'line-width': unknown unit 'em' in '2em' (use px, pt, mm, cm or in)");
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: 2 mm\n",
                 ":7:19: 'line-width' must be a number");
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: '2'\n",
                 ":7:19: 'line-width' must be a number");
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: -1mm\n",
                 ":7:19: 'line-width' must not be negative");
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: 6m\n",
                 ":7:19: 'line-width': unknown unit 'm' in '6m' (use px, pt, mm, cm or in)");
    expect_error(fx, LINE_LAYER "    paint:\n      line-width: 6000mm\n",
                 ":7:19: 'line-width' 6000mm is over the limit of 20000 px");
    expect_error(fx, LINE_LAYER "    paint:\n      line-opacity: 50pt\n",
                 ":7:21: 'line-opacity' must be a number");
    expect_error(fx, SYMBOL_LAYER "    layout:\n      text-size: 9pts\n",
                 ":7:18: 'text-size': unknown unit 'pts' in '9pts' (use px, pt, mm, cm or in)");
    /* text-offset stays in ems. */
    expect_error(fx, SYMBOL_LAYER "    layout:\n      text-offset: [0, 1mm]\n",
                 ":7:24: 'text-offset' must be [x, y] numbers");
    expect_error(fx, "title: {text: a, offset: [1mm, 2pc]}\n",
                 ":1:32: 'offset': unknown unit 'pc' in '2pc' (use px, pt, mm, cm or in)");
    expect_error(fx, "title: {text: a, size: 1km}\n",
                 ":1:24: 'size': unknown unit 'km' in '1km' (use px, pt, mm, cm or in)");
    expect_error(fx, "fit: {padding: 3ft}\n",
                 ":1:16: 'padding': unknown unit 'ft' in '3ft' (use px, pt, mm, cm or in)");
    expect_error(fx, "dpi: 300ppi\n", ":1:6: 'dpi' must be a number");

    expect_error(fx, "size: ['210mm', 297pc]\n",
                 ":1:17: 'size': unknown unit 'pc' in '297pc' (use px, pt, mm, cm or in)");
    expect_error(fx, "size: 210pcx297mm\n",
                 ":1:7: 'size': unknown unit 'pc' in '210pcx297mm' (use px, pt, mm, cm or in)");
    expect_error(fx, "size: [100.5px, 100]\n", ":1:8: 'size' width must be a whole number of px");
    expect_error(fx, "size: [6000mm, 100]\n",
                 ":1:8: 'size' width 6000mm is over the limit of 20000 px");
    expect_error(fx, "size: [0.1mm, 100]\n", ":1:8: 'size' width must be at least 1 px");
    expect_error(fx, "size: 10mmx\n", ":1:7: 'size' must be [width, height] or \"WxH\"");

    expect_error(fx, "paper: B5\n",
                 ":1:8: 'paper': unknown paper 'B5' (use A3, A4, A5, letter or legal, optionally "
                 "with :landscape)");
    expect_error(fx, "paper: A4:sideways\n",
                 ":1:8: 'paper': unknown paper 'A4:sideways' (use A3, A4, A5, letter or legal, "
                 "optionally with :landscape)");
    expect_error(fx, "paper: [A4]\n",
                 ":1:8: 'paper' must be a paper name such as A4 or A4:landscape");
    expect_error(fx, "paper:\n", ":1:7: 'paper' must be a paper name such as A4 or A4:landscape");
    expect_error(fx, "size: [800, 600]\npaper: A4\n", ":2:8: 'size' and 'paper' cannot both be given");
    expect_error(fx, "paper: A4\nsize: [800, 600]\n", ":1:8: 'size' and 'paper' cannot both be given");
    expect_error(fx, "papr: A4\n", ":1:1: unknown key 'papr' (did you mean 'paper'?)");
    all_passed(fx);
}

/* The public overrides the CLI's --paper and SOURCE_DATE_EPOCH go through. */
static void test_api(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dline_map *map = NULL;
    assert_int_equal(dline_map_load(ctx, "style/minimal.yaml", &map), DLINE_OK);
    assert_int_equal(dline_map_set_paper(ctx, map, "A4:landscape"), DLINE_OK);
    assert_int_equal(dline_map_set_paper(ctx, map, "B5"), DLINE_EUSAGE);
    assert_string_equal(dline_ctx_message(ctx),
                        "unknown paper 'B5' (use A3, A4, A5, letter or legal, optionally with "
                        ":landscape)");
    dline_ctx_clear(ctx);
    assert_int_equal(dline_map_set_creation_time(ctx, map, 0), DLINE_OK);
    assert_int_equal(dline_map_set_creation_time(ctx, map, (time_t)253402300799LL), DLINE_OK);
    assert_int_equal(dline_map_set_creation_time(ctx, map, -1), DLINE_EUSAGE);
    assert_string_equal(dline_ctx_message(ctx),
                        "creation time -1 is out of range (0 to 253402300799 seconds)");
    dline_ctx_clear(ctx);
    assert_int_equal(dline_map_set_creation_time(ctx, map, (time_t)253402300800LL), DLINE_EUSAGE);
    dline_map_free(map);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_units),
        cmocka_unit_test(test_length_errors),
        cmocka_unit_test(test_paper),
        cmocka_unit_test_setup_teardown(test_style_lengths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_style_paper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
