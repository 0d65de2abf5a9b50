/* Label placement: symbol-sort-key order, text-variable-anchor order,
 * text-radial-offset, text-padding, leader lines, secondary lines, text
 * along lines, the style properties and the --debug-labels JSON (internal
 * and through the public API). Needs FONTCONFIG_FILE=
 * tests/fonts.conf (ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dline.h"
#include "render/render_int.h"
#include "style/expr.h"
#include "canvas.h"

static const dl_color WHITE = {1, 1, 1, 1};
static const dl_color BLACK = {0, 0, 0, 1};

static dl_style_layer symbol_layer(const char *id)
{
    dl_style_layer l;
    memset(&l, 0, sizeof l);
    l.id = (char *)id;
    l.type = DL_LAYER_SYMBOL;
    l.text_opacity = 1;
    l.text_size = 14;
    l.text_color = BLACK;
    l.text_halo_color = WHITE;
    l.text_line_height = 1.2;
    l.text_font = "DejaVu Sans";
    l.text_anchor = DL_ANCHOR_CENTER;
    l.symbol_spacing = 250;
    l.text_max_angle = 45;
    l.text_leader_width = 0.8;
    return l;
}

static void queue_keyed(canvas *c, const dl_style_layer *l, const char *text, double x, double y,
                        double key)
{
    dl_label_spec spec = {.text = text, .x = x, .y = y, .sort_key = key};
    assert_int_equal(dl_render_queue(c->ctx, c->r, l, &spec), DLINE_OK);
}

static const dl_label *find(const canvas *c, const char *text)
{
    for (size_t i = 0; i < c->r->nlabels; i++)
        if (strcmp(c->r->labels[i].text, text) == 0)
            return &c->r->labels[i];
    fail_msg("no label '%s'", text);
    return NULL;
}

static void sort_key_orders_placement(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    /* One fixed position for all: only the first placed survives. */
    dl_style_layer a = symbol_layer("a"), b = symbol_layer("b");
    queue_keyed(&c, &a, "A", 150, 100, 2);
    queue_keyed(&c, &a, "B", 150, 100, -1);
    queue_keyed(&c, &b, "C", 150, 100, 2);
    queue_keyed(&c, &b, "D", 150, 100, -1);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    /* Lowest key first; ties keep queue order (layer, then feature). */
    const char *order[] = {"B", "D", "A", "C"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(c.r->labels[i].text, order[i]);
    assert_true(find(&c, "B")->placed);
    assert_false(find(&c, "D")->placed);
    assert_false(find(&c, "A")->placed);
    assert_false(find(&c, "C")->placed);
    canvas_close(&c);
}

static void equal_keys_keep_queue_order(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = symbol_layer("a");
    char name[8];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "L%02d", i);
        queue_keyed(&c, &l, name, 150, 100, 0);
    }
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "L%02d", i);
        assert_string_equal(c.r->labels[i].text, name);
        assert_int_equal(c.r->labels[i].placed, i == 0);
    }
    canvas_close(&c);
}

static void variable_anchors_are_tried_in_style_order(void **state)
{
    (void)state;
    /* [top, bottom]: below the point first, then above; then the reverse. */
    for (int flip = 0; flip < 2; flip++) {
        canvas c;
        canvas_open(&c, 300, 200);
        dl_style_layer l = symbol_layer("a");
        l.text_variable_anchor[flip] = DL_ANCHOR_TOP;
        l.text_variable_anchor[!flip] = DL_ANCHOR_BOTTOM;
        l.text_nvariable_anchor = 2;
        dl_render_queue_label(c.ctx, c.r, &l, "One", 150, 100);
        dl_render_queue_label(c.ctx, c.r, &l, "Two", 150, 100);
        dl_render_queue_label(c.ctx, c.r, &l, "Three", 150, 100);
        assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
        dl_box one = c.r->labels[0].box, two = c.r->labels[1].box;
        assert_true(c.r->labels[0].placed);
        assert_true(c.r->labels[1].placed);
        assert_true(flip ? one.y1 < 100 : one.y0 > 100);
        assert_true(flip ? two.y0 > 100 : two.y1 < 100);
        assert_true(fabs((one.x0 + one.x1) / 2 - 150) < 0.01);
        assert_false(c.r->labels[2].placed); /* two anchors only: no third place */
        canvas_close(&c);
    }
}

static void radial_offset_is_in_ems(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = symbol_layer("a");
    l.text_size = 10;
    l.text_variable_anchor[0] = DL_ANCHOR_LEFT;
    l.text_nvariable_anchor = 1;
    l.text_radial_offset = 2;
    l.has_text_radial_offset = 1;
    dl_render_queue_label(c.ctx, c.r, &l, "East", 100, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_true(c.r->labels[0].placed);
    assert_true(fabs(c.r->labels[0].box.x0 - 120) < 0.01);
    canvas_close(&c);
}

static void text_padding_spaces_labels_and_frame(void **state)
{
    (void)state;
    for (int padded = 0; padded < 2; padded++) {
        canvas c;
        canvas_open(&c, 300, 200);
        dl_style_layer l = symbol_layer("a");
        l.text_padding = padded ? 3 : 0;
        /* The same text twice, its box height plus 4 px apart. */
        PangoLayout *layout = dl_render_label_layout(c.r, &l, "Gap");
        PangoRectangle lr;
        pango_layout_get_extents(layout, NULL, &lr);
        g_object_unref(layout);
        double h = (double)lr.height / PANGO_SCALE;
        dl_render_queue_label(c.ctx, c.r, &l, "Gap", 150, 100);
        dl_render_queue_label(c.ctx, c.r, &l, "Gap", 150, 100 + h + 4);
        /* Near the top edge: inside the frame by the padding or not at all. */
        dl_render_queue_label(c.ctx, c.r, &l, "Edge", 60, h / 2 + 2.5);
        assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
        assert_true(c.r->labels[0].placed);
        assert_int_equal(c.r->labels[1].placed, !padded); /* 4 < 3 + 3 */
        assert_int_equal(c.r->labels[2].placed, !padded); /* 2.5 < 3 */
        canvas_close(&c);
    }
}

/* Obstacles left and right of the point, open above and below only
 * through a gap 8 px wide: every near position is taken. */
static void crowd(canvas *c)
{
    dl_render_add_obstacle(c->r, 60, 80, 146, 120);
    dl_render_add_obstacle(c->r, 154, 80, 240, 120);
}

static void leader_line_when_near_positions_are_taken(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    double xy[] = {150, 100};
    dl_geom g;
    memset(&g, 0, sizeof g);
    g.type = DL_GEOM_POINT;
    g.xy = xy;
    g.npoints = 1;
    dl_style_layer dots = symbol_layer("dots");
    dots.type = DL_LAYER_CIRCLE;
    dots.circle_radius = 3;
    dots.circle_color = BLACK;
    dots.circle_opacity = 1;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &dots, &g), DLINE_OK);
    crowd(&c);
    dl_style_layer l = symbol_layer("a");
    l.text_anchor_auto = 1;
    l.text_leader = 1;
    dl_render_queue_label(c.ctx, c.r, &l, "Town", 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    const dl_label *t = &c.r->labels[0];
    assert_true(t->placed);
    assert_true(t->has_leader);
    assert_true(t->box.y1 <= 80); /* above the obstacles */
    /* From the circle's edge to the nearest point of the box. */
    assert_true(fabs(hypot(t->leader[0] - 150, t->leader[1] - 100) - 3) < 1e-6);
    assert_true(fabs(t->leader[3] - t->box.y1) < 1e-6);
    assert_true(t->leader[2] >= t->box.x0 && t->leader[2] <= t->box.x1);
    canvas_close(&c);
}

/* The leader of leader_line_when_near_positions_are_taken, 2 px wide in red,
 * over a dark ground: it runs straight up x = 149..151 from the circle's top
 * (y = 97) to the label above the obstacles (y <= 80). Checked at y = 88. */
static void leader_over_dark(canvas *c, double halo_width, double leader_halo_width,
                             dl_color halo)
{
    static const dl_color dark = {0.125, 0.125, 0.25, 1}, red = {1, 0, 0, 1};
    canvas_open(c, 300, 200);
    dl_render_background(c->r, dark, 1.0);
    double xy[] = {150, 100};
    dl_geom g;
    memset(&g, 0, sizeof g);
    g.type = DL_GEOM_POINT;
    g.xy = xy;
    g.npoints = 1;
    dl_style_layer dots = symbol_layer("dots");
    dots.type = DL_LAYER_CIRCLE;
    dots.circle_radius = 3;
    dots.circle_color = BLACK;
    dots.circle_opacity = 1;
    assert_int_equal(dl_render_feature(c->ctx, c->r, &dots, &g), DLINE_OK);
    crowd(c);
    dl_style_layer l = symbol_layer("a");
    l.text_anchor_auto = 1;
    l.text_leader = 1;
    l.text_leader_width = 2;
    l.text_leader_color = red;
    l.has_text_leader_color = 1;
    l.text_halo_color = halo;
    l.text_halo_width = halo_width;
    l.text_leader_halo_width = leader_halo_width;
    dl_render_queue_label(c->ctx, c->r, &l, "Town", 150, 100);
    assert_int_equal(dl_render_labels(c->ctx, c->r), DLINE_OK);
    const dl_label *t = &c->r->labels[0];
    assert_true(t->placed && t->has_leader);
    assert_true(fabs(t->leader[0] - 150) < 1e-6 && fabs(t->leader[2] - 150) < 1e-6);
    assert_true(t->leader[3] < 85);
}

static void leader_has_a_halo(void **state)
{
    (void)state;
    static const dl_color yellow = {1, 1, 0, 1}, clear = {1, 1, 0, 0};
    canvas c;
    /* text-leader-halo-width 2: 2 px of halo colour each side, dark beyond. */
    leader_over_dark(&c, 1.5, 2, yellow);
    for (int x = 149; x <= 150; x++)
        assert_pixel(&c, x, 88, 255, 0, 0, 8);
    for (int x = 147; x <= 148; x++)
        assert_pixel(&c, x, 88, 255, 255, 0, 8);
    for (int x = 151; x <= 152; x++)
        assert_pixel(&c, x, 88, 255, 255, 0, 8);
    assert_pixel(&c, 146, 88, 32, 32, 64, 8);
    assert_pixel(&c, 153, 88, 32, 32, 64, 8);
    /* The casing starts its halo width further from the circle (y = 95):
     * started at the leader's start (y = 97) its cap would paint these
     * pixels inside the black circle yellow. */
    assert_pixel(&c, 148, 98, 0, 0, 0, 8);
    assert_pixel(&c, 151, 98, 0, 0, 0, 8);
    canvas_close(&c);

    /* Not given: the text's halo, at most 1 px (3 px here). */
    leader_over_dark(&c, 3, -1, yellow);
    assert_pixel(&c, 148, 88, 255, 255, 0, 8);
    assert_pixel(&c, 151, 88, 255, 255, 0, 8);
    assert_pixel(&c, 147, 88, 32, 32, 64, 8);
    assert_pixel(&c, 152, 88, 32, 32, 64, 8);
    canvas_close(&c);

    /* 0, or no halo colour: the bare leader. */
    leader_over_dark(&c, 3, 0, yellow);
    assert_pixel(&c, 148, 88, 32, 32, 64, 8);
    assert_pixel(&c, 151, 88, 32, 32, 64, 8);
    assert_pixel(&c, 150, 88, 255, 0, 0, 8);
    canvas_close(&c);
    leader_over_dark(&c, 3, -1, clear);
    assert_pixel(&c, 148, 88, 32, 32, 64, 8);
    assert_pixel(&c, 151, 88, 32, 32, 64, 8);
    canvas_close(&c);
}

static void no_leader_unless_asked(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    crowd(&c);
    dl_style_layer l = symbol_layer("a");
    l.text_anchor_auto = 1;
    dl_render_queue_label(c.ctx, c.r, &l, "Town", 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_false(c.r->labels[0].placed);
    canvas_close(&c);
}

static void secondary_line_has_its_own_size(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = symbol_layer("a");
    l.text_font = "Noto Sans CJK SC, DejaVu Sans";
    l.text_size = 20;
    l.text_size_secondary = 10;
    dl_label_spec spec = {.text = "青浦区", .secondary = "Qingpu", .x = 150, .y = 100};
    assert_int_equal(dl_render_queue(c.ctx, c.r, &l, &spec), DLINE_OK);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    const dl_label *t = &c.r->labels[0];
    assert_true(t->placed);
    /* Each line is text-line-height ems of its own size. */
    assert_true(fabs((t->box.y1 - t->box.y0) - (1.2 * 20 + 1.2 * 10)) < 0.5);
    assert_string_equal(t->secondary, "Qingpu");
    assert_true(dl_render_secondary_size(&l) == 10);
    l.text_size_secondary = 0;
    assert_true(fabs(dl_render_secondary_size(&l) - 16) < 1e-9);
    canvas_close(&c);
}

static size_t ink(canvas *c)
{
    cairo_surface_flush(c->surface);
    const unsigned char *d = cairo_image_surface_get_data(c->surface);
    int stride = cairo_image_surface_get_stride(c->surface);
    size_t n = 0;
    for (int y = 0; y < cairo_image_surface_get_height(c->surface); y++)
        for (int x = 0; x < cairo_image_surface_get_width(c->surface); x++)
            n += d[y * stride + 4 * x] < 128;
    return n;
}

static void line_label(canvas *c, const dl_style_layer *l, const double *xy, size_t n)
{
    dl_label_spec spec = {.text = "River Name", .line = xy, .nline = n};
    assert_int_equal(dl_render_queue(c->ctx, c->r, l, &spec), DLINE_OK);
}

static void text_follows_a_line(void **state)
{
    (void)state;
    dl_style_layer l = symbol_layer("rivers");
    l.symbol_placement_line = 1;
    /* Long enough for two repeats, 250 px apart. */
    double straight[] = {10, 100, 590, 100};
    double reversed[] = {590, 100, 10, 100};
    double shorter[] = {100, 100, 140, 100};
    double zigzag[40];
    for (int i = 0; i < 20; i++) {
        zigzag[2 * i] = 100 + 12 * i;
        zigzag[2 * i + 1] = i % 2 ? 60 : 72;
    }
    canvas c;
    canvas_open(&c, 600, 200);
    line_label(&c, &l, straight, 2);
    line_label(&c, &l, shorter, 2);
    line_label(&c, &l, zigzag, 20);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    const dl_label *t = &c.r->labels[0];
    assert_true(t->placed);
    assert_true(t->nparts > 4);
    for (size_t i = 0; i < t->nparts; i++)
        assert_true(fabs((t->parts[i].y0 + t->parts[i].y1) / 2 - 100) < 0.01);
    /* Two repeats: parts around x = 155 and x = 445. */
    assert_true(t->box.x0 < 200 && t->box.x1 > 400);
    assert_false(c.r->labels[1].placed); /* shorter than its text */
    assert_false(c.r->labels[2].placed); /* turns 90 degrees every glyph or two */
    size_t forward = ink(&c);
    canvas_close(&c);

    /* Drawn right to left, the text is turned to read left to right: the
     * same pixels. */
    canvas_open(&c, 600, 200);
    line_label(&c, &l, straight, 2);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t a = ink(&c);
    canvas_close(&c);
    canvas_open(&c, 600, 200);
    line_label(&c, &l, reversed, 2);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t b = ink(&c);
    canvas_close(&c);
    assert_true(a > 100 && a == forward);
    assert_true(labs((long)a - (long)b) < 10);
}

/* A label offset to one side of its line (text-offset y) goes to the other
 * side, at the same distance, when its own side is taken all along. */
static void offset_line_label_takes_other_side(void **state)
{
    (void)state;
    dl_style_layer l = symbol_layer("line-name");
    l.symbol_placement_line = 1;
    l.symbol_spacing = 1000; /* one repeat, in the middle */
    l.text_offset[1] = -1.2; /* above the line: 1.2 x 14 = 16.8 px */
    double straight[] = {10, 100, 590, 100};
    for (int blocked = 0; blocked <= 1; blocked++) {
        canvas c;
        canvas_open(&c, 600, 200);
        if (blocked)
            dl_render_add_obstacle(c.r, 0, 40, 600, 97);
        line_label(&c, &l, straight, 2);
        assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
        const dl_label *t = &c.r->labels[0];
        assert_true(t->placed);
        double want = blocked ? 100 + 16.8 : 100 - 16.8;
        for (size_t i = 0; i < t->nparts; i++)
            assert_true(fabs((t->parts[i].y0 + t->parts[i].y1) / 2 - want) < 0.01);
        canvas_close(&c);
    }
    /* Both sides taken: dropped. */
    canvas c;
    canvas_open(&c, 600, 200);
    dl_render_add_obstacle(c.r, 0, 40, 600, 97);
    dl_render_add_obstacle(c.r, 0, 103, 600, 160);
    line_label(&c, &l, straight, 2);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_false(c.r->labels[0].placed);
    canvas_close(&c);
}

static void json_lists_every_label(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = symbol_layer("places");
    dl_render_queue_label(c.ctx, c.r, &l, "Here \"quoted\"", 150, 100);
    dl_render_queue_label(c.ctx, c.r, &l, "Gone", 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    char *text = dl_render_labels_json(c.r);
    assert_non_null(text);
    json_object *root = json_tokener_parse(text);
    assert_non_null(root);
    json_object *labels, *v;
    assert_true(json_object_object_get_ex(root, "labels", &labels));
    assert_int_equal(json_object_array_length(labels), 2);
    json_object *first = json_object_array_get_idx(labels, 0);
    assert_true(json_object_object_get_ex(first, "text", &v));
    assert_string_equal(json_object_get_string(v), "Here \"quoted\"");
    assert_true(json_object_object_get_ex(first, "layer", &v));
    assert_string_equal(json_object_get_string(v), "places");
    assert_true(json_object_object_get_ex(first, "placed", &v));
    assert_true(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(first, "box", &v));
    json_object *x0;
    assert_true(json_object_object_get_ex(v, "x0", &x0));
    assert_true(fabs(json_object_get_double(x0) - c.r->labels[0].box.x0) < 0.001);
    assert_true(json_object_object_get_ex(first, "leader", &v));
    assert_null(v);
    assert_true(json_object_object_get_ex(first, "icon", &v)); /* no icon-image */
    assert_null(v);
    assert_true(json_object_object_get_ex(first, "icon_allow_overlap", &v));
    assert_false(json_object_get_boolean(v));
    json_object *second = json_object_array_get_idx(labels, 1);
    assert_true(json_object_object_get_ex(second, "placed", &v));
    assert_false(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(second, "box", &v));
    assert_null(v);
    json_object_put(root);
    free(text);
    canvas_close(&c);
}

/* Loads a style from text; NULL and *msg (without the path) on error. */
static dl_style *style_of(const char *yaml, char *msg, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/dline-test-labels-%ld.yaml", (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    if (dl_style_load(ctx, path, &s) != DLINE_OK) {
        const char *m = dline_ctx_message(ctx);
        snprintf(msg, size, "%s", strncmp(m, path, strlen(path)) == 0 ? m + strlen(path) : m);
    }
    dline_ctx_free(ctx);
    remove(path);
    return s;
}

#define HEAD "sources: {p: p.shp}\nlayers:\n  - {id: a, type: symbol, source: p, "

static void style_reads_placement_properties(void **state)
{
    (void)state;
    char msg[512] = "";
    dl_style *s = style_of(
        HEAD "layout: {text-field: '{zh}', text-variable-anchor: [bottom, top-left],\n"
        "     text-radial-offset: 0.5, text-padding: 6, text-optional: true,\n"
        "     symbol-sort-key: [get, rank], text-leader: true, text-leader-threshold: 30,\n"
        "     text-field-secondary: [get, en], text-size-secondary: 11,\n"
        "     text-font-secondary: [Noto Sans CJK SC Bold]},\n"
        "     paint: {text-leader-color: red, text-leader-width: 1.5,\n"
        "             text-leader-halo-width: 0.5}}\n"
        "  - {id: b, type: symbol, source: p, connect-by: seq, connect-smooth: true,\n"
        "     layout: {text-field: Line, symbol-placement: line, symbol-spacing: 400,\n"
        "              text-max-angle: 30, symbol-sort-key: -2.5}}\n"
        "  - {id: c, type: symbol, source: p, layout: {text-field: x}}\n",
        msg, sizeof msg);
    if (!s)
        fail_msg("%s", msg);
    const dl_style_layer *a = &s->layers[0], *b = &s->layers[1], *c = &s->layers[2];
    assert_int_equal(a->text_nvariable_anchor, 2);
    assert_int_equal(a->text_variable_anchor[0], DL_ANCHOR_BOTTOM);
    assert_int_equal(a->text_variable_anchor[1], DL_ANCHOR_TOP_LEFT);
    assert_true(a->has_text_radial_offset && a->text_radial_offset == 0.5);
    assert_true(a->text_padding == 6);
    assert_true(a->text_optional);
    assert_true(a->has_sort_key);
    {
        const char *names[2];
        assert_non_null(a->sort_key_expr);
        assert_int_equal(dl_expr_fields(a->sort_key_expr, names, NULL, NULL, 2), 1);
        assert_string_equal(names[0], "rank");
    }
    assert_true(a->text_leader && a->text_leader_threshold == 30);
    assert_true(a->has_text_leader_color && a->text_leader_color.r == 1);
    assert_true(a->text_leader_width == 1.5);
    assert_true(a->text_leader_halo_width == 0.5);
    assert_string_equal(a->text_field_secondary, "{en}");
    assert_true(a->text_size_secondary == 11);
    assert_string_equal(a->text_font_secondary, "Noto Sans CJK SC");
    assert_string_equal(a->text_weight_secondary, "bold");
    assert_true(b->symbol_placement_line);
    assert_string_equal(b->connect_by, "seq");
    assert_true(b->symbol_spacing == 400 && b->text_max_angle == 30);
    assert_true(b->has_sort_key && b->symbol_sort_key == -2.5 && !b->sort_key_expr);
    /* MapLibre's defaults. */
    assert_int_equal(c->text_nvariable_anchor, 0);
    assert_false(c->has_text_radial_offset);
    assert_true(c->text_padding == 2);
    assert_false(c->has_sort_key);
    assert_false(c->symbol_placement_line);
    assert_true(c->symbol_spacing == 250 && c->text_max_angle == 45);
    assert_false(c->text_leader);
    assert_true(c->text_leader_width == 0.8);
    assert_true(c->text_leader_halo_width < 0); /* text-halo-width, at most 1 px */
    dl_style_free(s);
}

static void style_rejects_bad_placement_values(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *msg;
    } cases[] = {
        {HEAD "layout: {text-variable-anchor: middle}}\n",
         ":3:69: 'text-variable-anchor' must be a list of anchors such as [top, bottom, left]"},
        {HEAD "layout: {text-variable-anchor: [top, up]}}\n",
         ":3:75: 'text-variable-anchor': unknown value 'up' (did you mean 'top'?)"},
        {HEAD "layout: {text-variable-anchor: [top, top]}}\n",
         ":3:75: 'text-variable-anchor' names 'top' twice"},
        {HEAD "layout: {symbol-sort-key: [get]}}\n",
         ":3:64: 'get' takes 1 to 2 arguments, found 0"},
        {HEAD "layout: {symbol-sort-key: high}}\n",
         ":3:64: 'symbol-sort-key' must be a number or an expression such as [\"get\", \"rank\"]"},
        {HEAD "layout: {symbol-placement: curve}}\n",
         ":3:65: 'symbol-placement' must be one of point, line"},
        {HEAD "layout: {text-padding: -1}}\n", ":3:61: 'text-padding' must not be negative"},
        {HEAD "paint: {text-leader-width: -1}}\n",
         ":3:65: 'text-leader-width' must not be negative"},
        {HEAD "paint: {text-leader: true}}\n", ":3:46: 'text-leader' is a layout property"},
        {HEAD "paint: {text-leader-halo-width: -0.5}}\n",
         ":3:70: 'text-leader-halo-width' must not be negative"},
        {HEAD "layout: {text-leader-halo-width: 1}}\n",
         ":3:47: 'text-leader-halo-width' is a paint property"},
        {"sources: {p: p.shp}\nlayers:\n  - {id: a, type: circle, source: p, "
         "layout: {symbol-placement: line}}\n",
         ":3:47: 'symbol-placement' does not apply to circle layers"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[512] = "";
        dl_style *s = style_of(cases[i].yaml, msg, sizeof msg);
        if (s)
            fail_msg("case %zu loaded", i);
        if (strcmp(msg, cases[i].msg) != 0)
            fail_msg("case %zu: got '%s', expected '%s'", i, msg, cases[i].msg);
    }
}

/* The public API writes the JSON beside a successful render. */
static void api_writes_debug_labels(void **state)
{
    (void)state;
    char png[64], json[64];
    snprintf(png, sizeof png, "/tmp/dline-test-labels-%ld.png", (long)getpid());
    snprintf(json, sizeof json, "/tmp/dline-test-labels-%ld.json", (long)getpid());
    dline_ctx *ctx = dline_ctx_new();
    dline_map *map = NULL;
    assert_int_equal(dline_map_load(ctx, "golden/styles/labels_bilingual.yaml", &map), DLINE_OK);
    assert_int_equal(dline_map_set_debug_labels(ctx, map, json), DLINE_OK);
    assert_int_equal(dline_map_render_file(ctx, map, png, DLINE_FORMAT_AUTO), DLINE_OK);
    json_object *root = json_object_from_file(json);
    assert_non_null(root);
    json_object *labels, *v;
    assert_true(json_object_object_get_ex(root, "labels", &labels));
    assert_int_equal(json_object_array_length(labels), 4);
    for (size_t i = 0; i < 4; i++) {
        json_object *l = json_object_array_get_idx(labels, i);
        assert_true(json_object_object_get_ex(l, "placed", &v) && json_object_get_boolean(v));
        assert_true(json_object_object_get_ex(l, "secondary", &v));
        assert_true(json_object_object_get_ex(l, "layer", &v));
        assert_string_equal(json_object_get_string(v), "names");
    }
    json_object_put(root);
    /* Turned off again: no file. */
    remove(json);
    assert_int_equal(dline_map_set_debug_labels(ctx, map, NULL), DLINE_OK);
    assert_int_equal(dline_map_render_file(ctx, map, png, DLINE_FORMAT_AUTO), DLINE_OK);
    assert_int_equal(access(json, F_OK), -1);
    remove(png);
    dline_map_free(map);
    dline_ctx_free(ctx);
}

/* Each distinct label is shaped once: repeated texts share a cached layout,
 * a different size is a different entry, and the cache stays bounded. */
static void layouts_are_cached_per_distinct_label(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 600, 400);
    dl_style_layer a = symbol_layer("a"), big = symbol_layer("big");
    big.text_size = 28;
    queue_keyed(&c, &a, "Same", 60, 50, 0);
    queue_keyed(&c, &a, "Same", 300, 50, 0);
    queue_keyed(&c, &a, "Same", 540, 50, 0);
    queue_keyed(&c, &a, "Other", 60, 200, 0);
    queue_keyed(&c, &big, "Same", 300, 300, 0);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_int_equal(c.r->placed, 5);
    assert_non_null(c.r->layouts);
    assert_int_equal(g_hash_table_size(c.r->layouts), 3);
    /* The big one was laid out at its own size, not taken from the cache. */
    const dl_label *small = NULL, *large = NULL;
    for (size_t i = 0; i < c.r->nlabels; i++)
        if (strcmp(c.r->labels[i].text, "Same") == 0) {
            if (c.r->labels[i].layer == &big)
                large = &c.r->labels[i];
            else
                small = &c.r->labels[i];
        }
    assert_non_null(small);
    assert_non_null(large);
    double ws = small->box.x1 - small->box.x0, wl = large->box.x1 - large->box.x0;
    assert_true(wl > 1.8 * ws);

    /* 5000 distinct texts: never more than the cache's bound at once. */
    char text[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof text, "t%d", i);
        queue_keyed(&c, &a, text, 300, 200, 0);
    }
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_true(g_hash_table_size(c.r->layouts) <= 4096);
    assert_true(g_hash_table_size(c.r->layouts) > 0);
    canvas_close(&c);
}

/* Pango (and with it fontconfig's configuration and caches) is set up only
 * when a render has text: drawing and placing no labels leave it unmade. */
static void pango_is_made_on_first_text(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 200, 100);
    assert_null(c.r->pango);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_null(c.r->pango);
    dl_style_layer a = symbol_layer("a");
    queue_keyed(&c, &a, "Text", 100, 50, 0);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_non_null(c.r->pango);
    assert_int_equal(c.r->placed, 1);
    canvas_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_key_orders_placement),
        cmocka_unit_test(equal_keys_keep_queue_order),
        cmocka_unit_test(variable_anchors_are_tried_in_style_order),
        cmocka_unit_test(radial_offset_is_in_ems),
        cmocka_unit_test(text_padding_spaces_labels_and_frame),
        cmocka_unit_test(leader_line_when_near_positions_are_taken),
        cmocka_unit_test(leader_has_a_halo),
        cmocka_unit_test(no_leader_unless_asked),
        cmocka_unit_test(secondary_line_has_its_own_size),
        cmocka_unit_test(text_follows_a_line),
        cmocka_unit_test(offset_line_label_takes_other_side),
        cmocka_unit_test(json_lists_every_label),
        cmocka_unit_test(style_reads_placement_properties),
        cmocka_unit_test(style_rejects_bad_placement_values),
        cmocka_unit_test(api_writes_debug_labels),
        cmocka_unit_test(layouts_are_cached_per_distinct_label),
        cmocka_unit_test(pango_is_made_on_first_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
