/* Icons: icon-image SVGs drawn at their point in their size, anchor and
 * rotation; markers along a line turned with it; icons in label collisions
 * (with each other, with their own text, text-optional); the style
 * properties and the errors for a missing or broken icon file. */
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

#include "dline.h"
#include "render/render_int.h"
#include "canvas.h"

static const dl_color BLACK = {0, 0, 0, 1};

/* A folder of test icons, made once per run. */
static char dir[64];
static char square_svg[128], halves_svg[128], not_svg[128];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/dline-icons-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(square_svg, sizeof square_svg, "%s/square.svg", dir);
    snprintf(halves_svg, sizeof halves_svg, "%s/halves.svg", dir);
    snprintf(not_svg, sizeof not_svg, "%s/not.svg", dir);
    /* A 20 x 20 px red square. */
    write_file(square_svg, "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='20'>"
                           "<rect width='20' height='20' fill='#ff0000'/></svg>\n");
    /* 20 x 10: red on the left (its back), blue on the right (where it points). */
    write_file(halves_svg, "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='10'>"
                           "<rect width='10' height='10' fill='#ff0000'/>"
                           "<rect x='10' width='10' height='10' fill='#0000ff'/></svg>\n");
    write_file(not_svg, "this is not an SVG file\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(square_svg);
    unlink(halves_svg);
    unlink(not_svg);
    char style[128];
    snprintf(style, sizeof style, "%s/style.yaml", dir);
    unlink(style);
    rmdir(dir);
    return 0;
}

/* 'r', 'b', 'w' (white) or '?' for the pixel at x,y. */
static char colour_at(canvas *c, int x, int y)
{
    int rgb[3];
    pixel(c, x, y, rgb);
    int r = rgb[0], g = rgb[1], b = rgb[2];
    if (r > 220 && g < 40 && b < 40)
        return 'r';
    if (b > 220 && r < 40 && g < 40)
        return 'b';
    if (r > 240 && g > 240 && b > 240)
        return 'w';
    return '?';
}

static dl_style_layer icon_layer(const char *id, const char *svg)
{
    dl_style_layer l;
    memset(&l, 0, sizeof l);
    l.id = (char *)id;
    l.type = DL_LAYER_SYMBOL;
    l.text_opacity = 1;
    l.text_size = 14;
    l.text_color = BLACK;
    l.text_line_height = 1.2;
    l.text_font = "DejaVu Sans";
    l.text_anchor = DL_ANCHOR_CENTER;
    l.text_anchor_auto = 1;
    l.symbol_spacing = 250;
    l.text_max_angle = 45;
    l.icon_image = (char *)svg;
    l.icon_size = 1;
    l.icon_anchor = DL_ANCHOR_CENTER;
    l.icon_opacity = 1;
    return l;
}

static void queue_point(canvas *c, const dl_style_layer *l, const char *text, double x, double y)
{
    dl_label_spec spec = {.text = text, .x = x, .y = y};
    assert_int_equal(dl_render_queue(c->ctx, c->r, l, &spec), DLINE_OK);
}

static void icon_sits_on_its_point(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    dl_style_layer l = icon_layer("icons", square_svg);
    queue_point(&c, &l, NULL, 50, 50);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    /* Centred: 40..60 on both axes. */
    assert_int_equal(colour_at(&c, 50, 50), 'r');
    assert_int_equal(colour_at(&c, 41, 41), 'r');
    assert_int_equal(colour_at(&c, 58, 58), 'r');
    assert_int_equal(colour_at(&c, 62, 50), 'w');
    assert_int_equal(colour_at(&c, 37, 50), 'w');
    assert_int_equal(colour_at(&c, 50, 62), 'w');
    assert_int_equal(colour_at(&c, 50, 37), 'w');
    const dl_label *lb = &c.r->labels[0];
    assert_true(lb->placed && lb->has_icon);
    assert_true(fabs(lb->icon_box.x0 - 40) < 1e-9 && fabs(lb->icon_box.x1 - 60) < 1e-9);
    canvas_close(&c);
}

static void icon_size_scales_and_anchor_moves(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 120, 120);
    dl_style_layer l = icon_layer("icons", square_svg);
    l.icon_size = 2;
    l.icon_anchor = DL_ANCHOR_BOTTOM;
    queue_point(&c, &l, NULL, 60, 80);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    /* 40 x 40 with its bottom middle on the point: x 40..80, y 40..80. */
    assert_int_equal(colour_at(&c, 42, 42), 'r');
    assert_int_equal(colour_at(&c, 78, 78), 'r');
    assert_int_equal(colour_at(&c, 60, 83), 'w');
    assert_int_equal(colour_at(&c, 83, 60), 'w');
    assert_int_equal(colour_at(&c, 37, 60), 'w');
    assert_int_equal(colour_at(&c, 60, 37), 'w');
    canvas_close(&c);
}

static void icon_rotate_turns_it(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    dl_style_layer l = icon_layer("icons", halves_svg);
    l.icon_rotate = 90; /* clockwise: its right (blue) half now points down */
    queue_point(&c, &l, NULL, 50, 50);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_int_equal(colour_at(&c, 50, 45), 'r');
    assert_int_equal(colour_at(&c, 50, 55), 'b');
    assert_int_equal(colour_at(&c, 42, 50), 'w');
    canvas_close(&c);
}

static void line_markers(canvas *c, const dl_style_layer *l, const double *xy, size_t n)
{
    dl_label_spec spec = {.line = xy, .nline = n};
    assert_int_equal(dl_render_queue(c->ctx, c->r, l, &spec), DLINE_OK);
    assert_int_equal(dl_render_labels(c->ctx, c->r), DLINE_OK);
}

static void markers_follow_the_line_direction(void **state)
{
    (void)state;
    dl_style_layer l = icon_layer("arrows", halves_svg);
    l.symbol_placement_line = 1;
    l.symbol_spacing = 1000; /* one marker, in the middle */

    canvas c;
    canvas_open(&c, 200, 200);
    const double east[] = {10, 50, 190, 50};
    line_markers(&c, &l, east, 2);
    assert_int_equal(colour_at(&c, 95, 50), 'r');
    assert_int_equal(colour_at(&c, 105, 50), 'b');
    canvas_close(&c);

    canvas_open(&c, 200, 200);
    const double west[] = {190, 50, 10, 50};
    line_markers(&c, &l, west, 2);
    assert_int_equal(colour_at(&c, 95, 50), 'b');
    assert_int_equal(colour_at(&c, 105, 50), 'r');
    canvas_close(&c);

    canvas_open(&c, 200, 200);
    const double south[] = {100, 10, 100, 190};
    line_markers(&c, &l, south, 2);
    assert_int_equal(colour_at(&c, 100, 95), 'r');
    assert_int_equal(colour_at(&c, 100, 105), 'b');
    assert_int_equal(colour_at(&c, 92, 100), 'w');
    canvas_close(&c);

    /* viewport alignment keeps them upright whatever the line does */
    l.icon_rotation_alignment = 2;
    canvas_open(&c, 200, 200);
    line_markers(&c, &l, south, 2);
    assert_int_equal(colour_at(&c, 95, 100), 'r');
    assert_int_equal(colour_at(&c, 105, 100), 'b');
    canvas_close(&c);
}

static void markers_repeat_every_spacing(void **state)
{
    (void)state;
    dl_style_layer l = icon_layer("arrows", halves_svg);
    l.symbol_placement_line = 1;
    l.symbol_spacing = 100;
    canvas c;
    canvas_open(&c, 420, 60);
    const double east[] = {10, 30, 410, 30}; /* 400 px: 4 markers at 50, 150, 250, 350 */
    line_markers(&c, &l, east, 2);
    assert_int_equal(c.r->labels[0].nparts, 4);
    for (int i = 0; i < 4; i++) {
        int x = 10 + 50 + 100 * i;
        assert_int_equal(colour_at(&c, x - 5, 30), 'r');
        assert_int_equal(colour_at(&c, x + 5, 30), 'b');
        assert_int_equal(colour_at(&c, x + 30, 30), 'w');
    }
    canvas_close(&c);
}

static void icons_avoid_each_other_unless_allowed(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    dl_style_layer l = icon_layer("icons", square_svg);
    queue_point(&c, &l, NULL, 40, 50);
    queue_point(&c, &l, NULL, 52, 50);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 1);
    assert_int_equal(dropped, 1);
    assert_int_equal(colour_at(&c, 61, 50), 'w'); /* the second would reach 52 + 10 */
    canvas_close(&c);

    l.icon_allow_overlap = 1;
    canvas_open(&c, 100, 100);
    queue_point(&c, &l, NULL, 40, 50);
    queue_point(&c, &l, NULL, 52, 50);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 2);
    assert_int_equal(colour_at(&c, 61, 50), 'r');
    canvas_close(&c);
}

static int overlap(dl_box a, dl_box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static void text_goes_around_its_icon_and_labels_avoid_icons(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = icon_layer("icons", square_svg);
    queue_point(&c, &l, "Station", 150, 100);
    /* A plain label right on the icon of the first one. */
    dl_style_layer t = icon_layer("names", NULL);
    t.icon_image = NULL;
    t.text_anchor_auto = 0;
    queue_point(&c, &t, "X", 155, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    const dl_label *a = &c.r->labels[0], *b = &c.r->labels[1];
    assert_true(a->placed && a->has_icon);
    assert_false(overlap(a->box, a->icon_box));
    assert_true(a->box.x0 >= a->icon_box.x1); /* first choice: to the right */
    assert_false(b->placed);
    assert_int_equal(colour_at(&c, 150, 100), 'r');
    canvas_close(&c);
}

static void text_optional_keeps_the_icon(void **state)
{
    (void)state;
    dl_style_layer l = icon_layer("icons", square_svg);
    size_t placed, dropped;
    canvas c;
    for (int optional = 0; optional <= 1; optional++) {
        canvas_open(&c, 100, 100);
        l.text_optional = optional;
        /* Boxes all round the icon leave its text nowhere to go. */
        dl_render_add_obstacle(c.r, 0, 0, 100, 38);
        dl_render_add_obstacle(c.r, 0, 62, 100, 100);
        dl_render_add_obstacle(c.r, 0, 38, 38, 62);
        dl_render_add_obstacle(c.r, 62, 38, 100, 62);
        queue_point(&c, &l, "A long name", 50, 50);
        assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
        dl_render_label_counts(c.r, &placed, &dropped);
        assert_int_equal(placed, (size_t)optional);
        assert_int_equal(colour_at(&c, 50, 50), optional ? 'r' : 'w');
        /* The icon's room is given back when it is dropped. */
        assert_int_equal(c.r->ncircles, (size_t)optional);
        canvas_close(&c);
    }
}

static dl_style *style_of(const char *layout, char *msg, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/style.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "sources: {p: points.shp}\nlayers:\n"
               "  - {id: a, type: symbol, source: p,\n     layout: %s}\n", layout);
    fclose(f);
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    if (dl_style_load(ctx, path, &s) != DLINE_OK)
        snprintf(msg, size, "%s", dline_ctx_message(ctx));
    dline_ctx_free(ctx);
    return s;
}

static void style_reads_icon_properties(void **state)
{
    (void)state;
    char msg[512] = "", want[256];
    dl_style *s = style_of("{icon-image: square.svg, icon-size: 1.5, icon-anchor: bottom,\n"
                           "      icon-offset: [2, 3mm], icon-rotate: -45,\n"
                           "      icon-allow-overlap: true, icon-rotation-alignment: viewport}",
                           msg, sizeof msg);
    if (!s)
        fail_msg("%s", msg);
    const dl_style_layer *a = &s->layers[0];
    assert_string_equal(a->icon_image, square_svg); /* against the style's folder */
    assert_true(a->icon_size == 1.5);
    assert_int_equal(a->icon_anchor, DL_ANCHOR_BOTTOM);
    assert_true(a->icon_offset[0] == 2 && fabs(a->icon_offset[1] - 3 * 96 / 25.4) < 1e-9);
    assert_true(a->icon_rotate == -45);
    assert_true(a->icon_allow_overlap);
    assert_int_equal(a->icon_rotation_alignment, 2);
    assert_true(a->icon_opacity == 1);
    dl_style_free(s);

    assert_null(style_of("{icon-image: nothere.svg}", msg, sizeof msg));
    snprintf(want, sizeof want,
             "%s/style.yaml:4:27: 'icon-image': cannot open '%s/nothere.svg': "
             "No such file or directory", dir, dir);
    assert_string_equal(msg, want);
    assert_null(style_of("{icon-image: square.svg, icon-rotate: 400}", msg, sizeof msg));
    assert_non_null(strstr(msg, "'icon-rotate' 400 is outside -360..360 degrees"));
    assert_null(style_of("{icon-image: square.svg, icon-anchor: middle}", msg, sizeof msg));
    assert_non_null(strstr(msg, "'icon-anchor' must be one of center"));
}

static void broken_icon_is_reported_with_its_file(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 50, 50);
    dl_style_layer l = icon_layer("icons", not_svg);
    l.icon_line = 7;
    l.icon_col = 20;
    assert_int_equal(dl_render_icon_load(c.ctx, c.r, &l, "style.yaml"), DLINE_ESTYLE);
    char want[256];
    snprintf(want, sizeof want, "style.yaml:7:20: 'icon-image': '%s' is not a usable SVG file:",
             not_svg);
    assert_memory_equal(dline_ctx_message(c.ctx), want, strlen(want));
    /* Placement skips it rather than fail again. */
    queue_point(&c, &l, NULL, 25, 25);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    canvas_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(icon_sits_on_its_point),
        cmocka_unit_test(icon_size_scales_and_anchor_moves),
        cmocka_unit_test(icon_rotate_turns_it),
        cmocka_unit_test(markers_follow_the_line_direction),
        cmocka_unit_test(markers_repeat_every_spacing),
        cmocka_unit_test(icons_avoid_each_other_unless_allowed),
        cmocka_unit_test(text_goes_around_its_icon_and_labels_avoid_icons),
        cmocka_unit_test(text_optional_keeps_the_icon),
        cmocka_unit_test(style_reads_icon_properties),
        cmocka_unit_test(broken_icon_is_reported_with_its_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
