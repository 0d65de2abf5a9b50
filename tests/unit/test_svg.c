/* The SVG back end (src/output/svg.c): what each drawing operation writes,
 * checked on the exact text of small documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/svg.h"

typedef struct {
    GString *text;
    int fail_after; /* bytes accepted before writes fail; -1: never */
} sink;

static int write_mem(void *closure, const char *buf, int len)
{
    sink *s = closure;
    if (s->fail_after >= 0 && (int)s->text->len + len > s->fail_after)
        return -1;
    g_string_append_len(s->text, buf, len);
    return 0;
}

typedef struct {
    sink out;
    dl_svg *svg;
    cairo_surface_t *surface;
    cairo_t *cr;
} doc;

static void doc_open_prefixed(doc *d, double w, double h, const char *title, const char *prefix)
{
    d->out.text = g_string_new(NULL);
    d->out.fail_after = -1;
    d->svg = dl_svg_new(write_mem, &d->out, w, h, title, prefix);
    assert_non_null(d->svg);
    d->surface = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
    d->cr = cairo_create(d->surface);
    dl_svg_attach(d->svg, d->cr);
}

static void doc_open(doc *d, double w, double h, const char *title)
{
    doc_open_prefixed(d, w, h, title, NULL);
}

/* Finishes the document and returns its text (owned by d). */
static const char *doc_close(doc *d, int expect_rc)
{
    cairo_destroy(d->cr);
    cairo_surface_destroy(d->surface);
    assert_int_equal(dl_svg_finish(d->svg), expect_rc);
    dl_svg_free(d->svg);
    return d->out.text->str;
}

static void doc_free(doc *d)
{
    g_string_free(d->out.text, TRUE);
}

static void assert_has(const char *text, const char *part)
{
    if (!strstr(text, part)) {
        fprintf(stderr, "expected to find:\n%s\nin:\n%s\n", part, text);
        fail();
    }
}

static void test_document_frame(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 1600, 1100, "Map & <key>");
    const char *t = doc_close(&d, 0);
    assert_true(strncmp(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
    assert_has(t, "width=\"1200pt\" height=\"825pt\" viewBox=\"0 0 1600 1100\"");
    assert_has(t, "xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\"");
    assert_has(t, "<title>Map &amp; &lt;key&gt;</title>");
    assert_has(t, "</svg>\n");
    doc_free(&d);
}

static void test_fill_rounds_and_translates(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 100, 100, NULL);
    cairo_translate(d.cr, 10, 20);
    cairo_rectangle(d.cr, 1.234, 2.345, 3.0051, 4);
    cairo_set_source_rgba(d.cr, 1, 0, 0.5, 0.25);
    dl_cr_fill(d.cr);
    /* The path is cleared as cairo_fill clears it. */
    assert_false(cairo_has_current_point(d.cr));
    const char *t = doc_close(&d, 0);
    /* Device coordinates (the translation applied), 0.01 px, no trailing
     * zeros; Cairo keeps 1/256 px, so 3.0051 wide ends at 14.24. */
    assert_has(t, "<path d=\"M11.23 22.34 L14.24 22.34 L14.24 26.34 L11.23 26.34 Z M11.23 22.34\" "
                  "fill=\"#ff0080\" fill-opacity=\"0.25\"/>");
    doc_free(&d);
}

static void test_stroke_attributes(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 100, 100, NULL);
    cairo_scale(d.cr, 2, 2); /* widths and dashes scale with the CTM */
    cairo_move_to(d.cr, 0, 0);
    cairo_line_to(d.cr, 10, 0);
    cairo_set_line_width(d.cr, 1.5);
    cairo_set_line_cap(d.cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(d.cr, CAIRO_LINE_JOIN_BEVEL);
    double dash[] = {2, 1};
    cairo_set_dash(d.cr, dash, 2, 0.5);
    cairo_set_source_rgb(d.cr, 0, 0, 0);
    dl_cr_stroke_preserve(d.cr);
    assert_true(cairo_has_current_point(d.cr));
    cairo_new_path(d.cr);
    const char *t = doc_close(&d, 0);
    assert_has(t, "<path d=\"M0 0 L20 0\" fill=\"none\" stroke=\"#000000\" stroke-width=\"3\" "
                  "stroke-linecap=\"round\" stroke-linejoin=\"bevel\" stroke-dasharray=\"4 2\" "
                  "stroke-dashoffset=\"1\"/>");
    doc_free(&d);
}

static void test_empty_path_writes_nothing(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 100, 100, NULL);
    cairo_move_to(d.cr, 5, 5); /* a lone move-to draws nothing */
    cairo_set_source_rgb(d.cr, 0, 0, 0);
    dl_cr_stroke(d.cr);
    dl_cr_fill(d.cr);
    const char *t = doc_close(&d, 0);
    assert_null(strstr(t, "<path"));
    doc_free(&d);
}

static void test_group_opacity(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 100, 100, NULL);
    dl_cr_push_group(d.cr);
    cairo_rectangle(d.cr, 0, 0, 1, 1);
    cairo_set_source_rgb(d.cr, 0, 0, 1);
    dl_cr_fill(d.cr);
    dl_cr_pop_group_paint(d.cr, 0.5);
    /* A group with nothing in it leaves no trace. */
    dl_cr_push_group(d.cr);
    dl_cr_pop_group_paint(d.cr, 0.5);
    const char *t = doc_close(&d, 0);
    const char *g = strstr(t, "<g opacity=\"0.5\">");
    assert_non_null(g);
    assert_non_null(strstr(g, "fill=\"#0000ff\""));
    assert_null(strstr(g + 1, "<g opacity"));
    doc_free(&d);
}

/* A green paint clipped to the square (10,10)-(60,60), inside save/restore. */
static void paint_clipped_square(cairo_t *cr)
{
    dl_cr_save(cr);
    cairo_rectangle(cr, 10, 10, 50, 50);
    dl_cr_clip(cr);
    cairo_set_source_rgb(cr, 0, 1, 0);
    dl_cr_paint(cr);
    dl_cr_restore(cr);
}

static void test_clip_closes_at_restore(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 100, 100, NULL);
    paint_clipped_square(d.cr);
    dl_svg_group_begin(d.cr, "after", 0);
    dl_svg_group_end(d.cr);
    const char *t = doc_close(&d, 0);
    assert_has(t, "<clipPath id=\"clip1\">\n  <path d=\"M10 10 L60 10 L60 60 L10 60 Z M10 10\"/>\n "
                  "</clipPath>\n <g clip-path=\"url(#clip1)\">\n  <rect x=\"0\" y=\"0\" "
                  "width=\"100\" height=\"100\" fill=\"#00ff00\"/>\n </g>\n <g id=\"after\"/>");
    doc_free(&d);
}

static void test_group_ids_valid_and_unique(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 10, 10, NULL);
    const char *ids[] = {"roads & rails", "roads & rails", "1st", "道路", ""};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        dl_svg_group_begin(d.cr, ids[i], i == 0);
        dl_svg_group_end(d.cr);
    }
    const char *t = doc_close(&d, 0);
    assert_has(t, "<g id=\"roads___rails\" inkscape:groupmode=\"layer\" "
                  "inkscape:label=\"roads &amp; rails\"/>");
    assert_has(t, "<g id=\"roads___rails-2\"/>");
    assert_has(t, "<g id=\"_1st\"/>");
    assert_has(t, "<g id=\"______\"/>"); /* 6 UTF-8 bytes, each replaced */
    assert_has(t, "<g id=\"group\"/>");
    doc_free(&d);
}

/* --svg-id-prefix: before every id, layer groups and definitions alike, and
 * in the references to them; a group id that would need a '_' in front
 * (it starts with a digit) has the prefix instead. */
static void test_id_prefix(void **state)
{
    (void)state;
    doc d;
    doc_open_prefixed(&d, 100, 100, NULL, "fig2-");
    dl_svg_group_begin(d.cr, "roads", 1);
    paint_clipped_square(d.cr);
    dl_svg_group_end(d.cr);
    dl_svg_group_begin(d.cr, "roads", 0);
    dl_svg_group_end(d.cr);
    dl_svg_group_begin(d.cr, "1st", 0);
    dl_svg_group_end(d.cr);
    const char *t = doc_close(&d, 0);
    assert_has(t, "<g id=\"fig2-roads\" inkscape:groupmode=\"layer\" inkscape:label=\"roads\">");
    assert_has(t, "<clipPath id=\"fig2-clip1\">");
    assert_has(t, "<g clip-path=\"url(#fig2-clip1)\">");
    assert_has(t, "<g id=\"fig2-roads-2\"/>");
    assert_has(t, "<g id=\"fig2-1st\"/>");
    assert_null(strstr(t, "\"clip1\""));
    assert_null(strstr(t, "#clip1"));
    doc_free(&d);
}

static void test_label_groups_in_layer_order(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 10, 10, NULL);
    cairo_set_source_rgb(d.cr, 0, 0, 0);
    /* Placed in priority order: b, a, b; written a then b. */
    dl_svg_label_group(d.cr, "b", 2);
    cairo_rectangle(d.cr, 2, 0, 1, 1);
    dl_cr_fill(d.cr);
    dl_svg_label_group(d.cr, "a", 1);
    cairo_rectangle(d.cr, 1, 0, 1, 1);
    dl_cr_fill(d.cr);
    dl_svg_label_group(d.cr, "b", 2);
    cairo_rectangle(d.cr, 3, 0, 1, 1);
    dl_cr_fill(d.cr);
    dl_svg_label_groups_end(d.cr);
    cairo_rectangle(d.cr, 9, 9, 1, 1); /* back in the document */
    dl_cr_fill(d.cr);
    const char *t = doc_close(&d, 0);
    const char *a = strstr(t, "<g id=\"a\""), *b = strstr(t, "<g id=\"b\"");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    const char *p1 = strstr(t, "M1 0"), *p2 = strstr(t, "M2 0"), *p3 = strstr(t, "M3 0"),
               *p9 = strstr(t, "M9 9");
    assert_true(a < p1 && p1 < b && b < p2 && p2 < p3 && p3 < p9);
    doc_free(&d);
}

static void test_text_runs_and_halo(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 200, 100, NULL);
    PangoFontMap *fm = pango_cairo_font_map_new();
    PangoContext *pc = pango_font_map_create_context(fm);
    PangoLayout *layout = pango_layout_new(pc);
    PangoFontDescription *fd = pango_font_description_from_string("Noto Sans CJK SC, DejaVu Sans");
    pango_font_description_set_absolute_size(fd, 20 * PANGO_SCALE);
    pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, "青浦 <A&B>\nline two", -1);
    double fill[4] = {0.2, 0.2, 0.2, 1}, halo[4] = {1, 1, 1, 0.5};
    dl_svg_text(d.cr, layout, 10, 5, fill, halo, 1.5, 0.75);
    const char *t = doc_close(&d, 0);
    assert_has(t, "<text fill=\"#333333\" stroke=\"#ffffff\" stroke-opacity=\"0.5\" "
                  "stroke-width=\"3\" stroke-linejoin=\"round\" stroke-linecap=\"round\" "
                  "paint-order=\"stroke\" opacity=\"0.75\">");
    /* CJK fallbacks for the run with Chinese only. */
    assert_has(t, "font-family=\"'Noto Sans CJK SC', 'DejaVu Sans', 'Source Han Sans SC', "
                  "'WenQuanYi Micro Hei', 'PingFang SC', 'Microsoft YaHei', sans-serif\" "
                  "font-size=\"20\" font-weight=\"700\">青浦");
    assert_has(t, "font-family=\"'Noto Sans CJK SC', 'DejaVu Sans', sans-serif\" "
                  "font-size=\"20\" font-weight=\"700\">A&amp;B");
    assert_has(t, "font-size=\"20\" font-weight=\"700\"");
    /* Pango splits runs by script: the brackets go with the Han run or
     * stand alone, the Latin letters are their own run. */
    assert_has(t, ">青浦 &lt;</tspan>");
    assert_has(t, ">A&amp;B</tspan>");
    assert_has(t, ">&gt;</tspan>");
    assert_has(t, ">line two</tspan>");
    /* Two lines: "line two" has its baseline about a line (20 px font)
     * below the first line's, which sits the ascent below y = 5; both
     * lines start at x = 10. */
    const char *first = strstr(t, "<tspan x=\"10\" y=\"");
    const char *second = first ? strstr(first + 1, "<tspan x=\"10\" y=\"") : NULL;
    assert_non_null(second);
    assert_non_null(strstr(second, ">line two</tspan>"));
    double b1 = atof(first + strlen("<tspan x=\"10\" y=\"")),
           b2 = atof(second + strlen("<tspan x=\"10\" y=\""));
    assert_true(b1 > 5 + 10 && b1 < 5 + 30);
    assert_true(b2 > b1 + 15 && b2 < b1 + 40);
    g_object_unref(layout);
    g_object_unref(pc);
    g_object_unref(fm);
    doc_free(&d);
}

/* A quarter turn's cosine is 6.12323e-17 in doubles: the transform says 0,
 * and the linear part keeps six places, no exponent. */
static void test_transform_rounded(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 200, 100, NULL);
    PangoFontMap *fm = pango_cairo_font_map_new();
    PangoContext *pc = pango_font_map_create_context(fm);
    PangoLayout *layout = pango_layout_new(pc);
    pango_layout_set_text(layout, "N", -1);
    double fill[4] = {0, 0, 0, 1}, halo[4] = {1, 1, 1, 0};
    cairo_save(d.cr);
    cairo_translate(d.cr, 40.004, 60);
    cairo_rotate(d.cr, -G_PI / 2);
    dl_svg_text(d.cr, layout, 0, 0, fill, halo, 0, 1);
    cairo_restore(d.cr);
    cairo_save(d.cr);
    cairo_translate(d.cr, 10, 20);
    cairo_rotate(d.cr, G_PI / 4);
    cairo_scale(d.cr, 0.5, 1e-9);
    dl_svg_text(d.cr, layout, 0, 0, fill, halo, 0, 1);
    cairo_restore(d.cr);
    const char *t = doc_close(&d, 0);
    assert_has(t, "transform=\"matrix(0 -1 1 0 40 60)\"");
    /* cos 45 degrees x 0.5, sin 45 x 0.5, -sin 45 x 1e-9 (nothing), cos 45 x 1e-9. */
    assert_has(t, "transform=\"matrix(0.353553 0.353553 0 0 10 20)\"");
    assert_null(strstr(t, "e-"));
    g_object_unref(layout);
    g_object_unref(pc);
    g_object_unref(fm);
    doc_free(&d);
}

static void test_write_failure_reported(void **state)
{
    (void)state;
    doc d;
    doc_open(&d, 100, 100, NULL);
    d.out.fail_after = 100;
    for (int i = 0; i < 200; i++) {
        cairo_rectangle(d.cr, i, i, 1, 1);
        cairo_set_source_rgb(d.cr, 0, 0, 0);
        dl_cr_fill(d.cr);
    }
    doc_close(&d, -1);
    assert_true(d.out.text->len <= 100);
    doc_free(&d);
}

static void test_plain_cairo_without_writer(void **state)
{
    (void)state;
    /* No writer attached: the stand-ins draw. */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 4);
    cairo_t *cr = cairo_create(s);
    assert_null(dl_svg_of(cr));
    cairo_set_source_rgb(cr, 1, 0, 0);
    dl_cr_push_group(cr);
    cairo_set_source_rgb(cr, 1, 0, 0);
    dl_cr_paint(cr);
    dl_cr_pop_group_paint(cr, 1.0);
    cairo_surface_flush(s);
    uint32_t px = *(uint32_t *)cairo_image_surface_get_data(s);
    assert_int_equal(px, 0xffff0000u);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document_frame),
        cmocka_unit_test(test_fill_rounds_and_translates),
        cmocka_unit_test(test_stroke_attributes),
        cmocka_unit_test(test_empty_path_writes_nothing),
        cmocka_unit_test(test_group_opacity),
        cmocka_unit_test(test_clip_closes_at_restore),
        cmocka_unit_test(test_group_ids_valid_and_unique),
        cmocka_unit_test(test_id_prefix),
        cmocka_unit_test(test_label_groups_in_layer_order),
        cmocka_unit_test(test_text_runs_and_halo),
        cmocka_unit_test(test_transform_rounded),
        cmocka_unit_test(test_write_failure_reported),
        cmocka_unit_test(test_plain_cairo_without_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
