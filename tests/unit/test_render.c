/* Render stage: pixels of fills, lines and circles on an image surface, and
 * label placement, fonts and text blocks. Needs FONTCONFIG_FILE=tests/fonts.conf
 * (ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo-pdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"
#include "canvas.h"

static const dl_color WHITE = {1, 1, 1, 1};
static const dl_color BLACK = {0, 0, 0, 1};
static const dl_color RED = {1, 0, 0, 1};
static const dl_color GREEN = {0, 1, 0, 1};
static const dl_color BLUE = {0, 0, 1, 1};

/* Pixels that are not white. */
static size_t ink(canvas *c, int x0, int y0, int x1, int y1)
{
    size_t n = 0;
    for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
            int rgb[3];
            pixel(c, x, y, rgb);
            if (rgb[0] < 200 || rgb[1] < 200 || rgb[2] < 200)
                n++;
        }
    }
    return n;
}

static dl_style_layer layer_of(dl_layer_type type, const char *id)
{
    dl_style_layer l;
    memset(&l, 0, sizeof l);
    l.id = (char *)id;
    l.type = type;
    l.fill_opacity = l.line_opacity = l.circle_opacity = l.text_opacity = 1;
    l.line_width = 1;
    l.text_size = 14;
    l.text_color = BLACK;
    l.text_halo_color = WHITE;
    l.text_line_height = 1.2;
    l.text_font = "DejaVu Sans";
    return l;
}

static dl_geom geom_of(dl_geom_type type, double *xy, size_t npoints, size_t *parts,
                       size_t nparts)
{
    dl_geom g;
    memset(&g, 0, sizeof g);
    g.type = type;
    g.xy = xy;
    g.npoints = npoints;
    g.part_start = parts;
    g.nparts = nparts;
    return g;
}

static void fill_cuts_hole_with_opposite_winding(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    /* Outer clockwise on screen, hole counter-clockwise, as organize_rings
     * leaves them. */
    double xy[] = {10, 10, 90, 10, 90, 90, 10, 90, 10, 10,
                   30, 30, 30, 70, 70, 70, 70, 30, 30, 30};
    size_t parts[] = {0, 5, 10};
    dl_geom g = geom_of(DL_GEOM_POLYGON, xy, 10, parts, 2);
    dl_style_layer l = layer_of(DL_LAYER_FILL, "land");
    l.fill_color = RED;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 20, 20, 255, 0, 0, 0);
    assert_pixel(&c, 80, 50, 255, 0, 0, 0);
    assert_pixel(&c, 50, 50, 255, 255, 255, 0); /* the hole */
    assert_pixel(&c, 5, 5, 255, 255, 255, 0);
    canvas_close(&c);
}

static void fill_keeps_overlap_of_outer_rings(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    /* Two outer rings in the same direction: non-zero fills the overlap
     * (even-odd would not). */
    double xy[] = {10, 10, 60, 10, 60, 60, 10, 60, 40, 40, 90, 40, 90, 90, 40, 90};
    size_t parts[] = {0, 4, 8};
    dl_geom g = geom_of(DL_GEOM_POLYGON, xy, 8, parts, 2);
    dl_style_layer l = layer_of(DL_LAYER_FILL, "land");
    l.fill_color = BLUE;
    l.fill_opacity = 0.5;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 50, 50, 128, 128, 255, 1); /* overlap: painted once */
    assert_pixel(&c, 20, 20, 128, 128, 255, 1);
    canvas_close(&c);
}

static void fill_outline_is_one_pixel(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {10.5, 10.5, 89.5, 10.5, 89.5, 89.5, 10.5, 89.5};
    dl_geom g = geom_of(DL_GEOM_POLYGON, xy, 4, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_FILL, "land");
    l.fill_color = RED;
    l.fill_outline_color = BLUE;
    l.has_fill_outline = 1;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 10, 50, 0, 0, 255, 0);
    assert_pixel(&c, 11, 50, 255, 0, 0, 0);
    assert_pixel(&c, 9, 50, 255, 255, 255, 0);
    assert_pixel(&c, 50, 89, 0, 0, 255, 0);
    canvas_close(&c);
}

static void line_width_and_butt_caps(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {10, 50, 90, 50};
    dl_geom g = geom_of(DL_GEOM_LINE, xy, 2, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "road");
    l.line_color = BLACK;
    l.line_width = 10;
    l.line_cap = DL_CAP_BUTT;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 50, 45, 0, 0, 0, 0);
    assert_pixel(&c, 50, 54, 0, 0, 0, 0);
    assert_pixel(&c, 50, 44, 255, 255, 255, 0);
    assert_pixel(&c, 50, 55, 255, 255, 255, 0);
    assert_pixel(&c, 10, 50, 0, 0, 0, 0);
    assert_pixel(&c, 9, 50, 255, 255, 255, 0);
    canvas_close(&c);
}

static void line_round_cap_and_opacity(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {20, 50, 80, 50};
    dl_geom g = geom_of(DL_GEOM_LINE, xy, 2, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "road");
    l.line_color = BLACK;
    l.line_width = 10;
    l.line_opacity = 0.5;
    l.line_cap = DL_CAP_ROUND;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 50, 50, 128, 128, 128, 1);
    assert_pixel(&c, 16, 50, 128, 128, 128, 1); /* inside the round cap */
    assert_pixel(&c, 15, 45, 255, 255, 255, 0); /* outside it, where a square cap would be */
    canvas_close(&c);
}

static void line_dashes_are_in_line_widths(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {0, 50, 100, 50};
    dl_geom g = geom_of(DL_GEOM_LINE, xy, 2, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "border");
    l.line_color = BLACK;
    l.line_width = 4;
    l.line_dasharray[0] = 2; /* 8 px on */
    l.line_dasharray[1] = 1; /* 4 px off */
    l.line_ndash = 2;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 4, 50, 0, 0, 0, 0);
    assert_pixel(&c, 10, 50, 255, 255, 255, 0);
    assert_pixel(&c, 16, 50, 0, 0, 0, 0);
    assert_pixel(&c, 22, 50, 255, 255, 255, 0);
    assert_pixel(&c, 28, 50, 0, 0, 0, 0);
    canvas_close(&c);
}

static void line_with_bad_dashes_draws_solid(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {0, 50, 100, 50};
    dl_geom g = geom_of(DL_GEOM_LINE, xy, 2, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "border");
    l.line_color = BLACK;
    l.line_width = 4;
    l.line_ndash = 2; /* all zero: Cairo would refuse it */
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 10, 50, 0, 0, 0, 0);
    canvas_close(&c);
}

static void smooth_line_curves_through_vertices(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {10, 50, 50, 10, 90, 50};
    dl_geom g = geom_of(DL_GEOM_LINE, xy, 3, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "route");
    l.line_color = BLACK;
    l.line_width = 3;
    l.connect_smooth = 1;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    /* Through the middle vertex, where the curve is level. */
    assert_pixel(&c, 50, 10, 0, 0, 0, 0);
    assert_pixel(&c, 50, 13, 255, 255, 255, 0);
    /* Half way along the first span the curve runs at y = 25 (the straight
     * line would be at y = 30). */
    assert_pixel(&c, 30, 25, 0, 0, 0, 100);
    assert_pixel(&c, 30, 30, 255, 255, 255, 0);
    canvas_close(&c);
}

static void circles_at_every_vertex_are_obstacles(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 100, 100);
    double xy[] = {30, 30, 70, 70};
    dl_geom g = geom_of(DL_GEOM_POINT, xy, 2, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_CIRCLE, "towns");
    l.circle_radius = 10;
    l.circle_color = GREEN;
    l.circle_stroke_color = BLACK;
    l.circle_stroke_width = 2;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    assert_pixel(&c, 30, 30, 0, 255, 0, 0);
    assert_pixel(&c, 70, 70, 0, 255, 0, 0);
    assert_pixel(&c, 70, 77, 0, 255, 0, 0);
    assert_pixel(&c, 70, 80, 0, 0, 0, 0);  /* the stroke lies outside r */
    assert_pixel(&c, 70, 83, 255, 255, 255, 0);
    assert_int_equal(c.r->ncircles, 2);
    assert_true(c.r->circles[1].x == 70 && c.r->circles[1].r == 12);
    /* circle-opacity fades the fill, not the stroke (as in MapLibre). */
    double one[] = {20, 80};
    dl_geom g1 = geom_of(DL_GEOM_POINT, one, 1, NULL, 0);
    l.circle_opacity = 0.5;
    l.circle_radius = 6;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g1), DLINE_OK);
    assert_pixel(&c, 20, 80, 128, 255, 128, 1);
    assert_pixel(&c, 20, 86, 0, 0, 0, 0);
    canvas_close(&c);
}

/* Ink (0..1 a pixel) of the black on white in the canvas. */
static double ink_sum(canvas *c, int w, int h)
{
    double sum = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int rgb[3];
            pixel(c, x, y, rgb);
            sum += (255 - rgb[0]) / 255.0;
        }
    return sum;
}

/* Whether the picture is the same mirrored about pixel (cx, cy)'s centre
 * both ways (within a level: the scan converter shares an edge's rise
 * among the pixels it crosses in whole 1/256ths, rounding down whichever
 * way the edge runs) and, within 12 levels, turned a quarter (x and y
 * swapped): Cairo flattens a circle as two half-circle curves cut in
 * halves of their parameter, so a quarter's points are not placed
 * symmetrically about its diagonal. */
static void assert_symmetric(canvas *c, int cx, int cy, int reach)
{
    for (int dy = -reach; dy <= reach; dy++)
        for (int dx = -reach; dx <= reach; dx++) {
            int a[3], b[3], d[3], e[3];
            pixel(c, cx + dx, cy + dy, a);
            pixel(c, cx - dx, cy + dy, b);
            pixel(c, cx + dx, cy - dy, d);
            pixel(c, cx + dy, cy + dx, e);
            if (abs(a[0] - b[0]) > 1 || abs(a[0] - d[0]) > 1 || abs(a[0] - e[0]) > 12)
                fail_msg("pixel %+d,%+d: %d, mirrored %d, %d, turned %d", dx, dy, a[0], b[0],
                         d[0], e[0]);
        }
}

/* A dashed line on an image goes to raster, split into its dashes as
 * Cairo dashes it: every pixel within a few levels of Cairo's own dashed
 * stroke of the same path, with butt, round and square caps (the pattern's
 * zero-length dash a dot with the latter two, none with butt), opaque and
 * translucent. */
static void dashed_line_on_raster_matches_cairo(void **state)
{
    (void)state;
    const dl_line_cap caps[] = {DL_CAP_BUTT, DL_CAP_ROUND, DL_CAP_SQUARE};
    const dl_line_join joins[] = {DL_JOIN_MITER, DL_JOIN_ROUND, DL_JOIN_BEVEL};
    const cairo_line_cap_t ccaps[] = {CAIRO_LINE_CAP_BUTT, CAIRO_LINE_CAP_ROUND,
                                      CAIRO_LINE_CAP_SQUARE};
    const cairo_line_join_t cjoins[] = {CAIRO_LINE_JOIN_MITER, CAIRO_LINE_JOIN_ROUND,
                                        CAIRO_LINE_JOIN_BEVEL};
    double xy[] = {4.3, 6.2, 50.7, 14.9, 30.1, 34.6, 58.2, 36.4};
    const double pattern[] = {3, 1.5, 0, 1.5};
    for (int k = 0; k < 6; k++) {
        int ci = k % 3;
        double alpha = k < 3 ? 1 : 0.6;
        canvas c, ref;
        canvas_open(&c, 64, 44);
        canvas_open(&ref, 64, 44);
        dl_geom g = geom_of(DL_GEOM_LINE, xy, 4, NULL, 0);
        dl_style_layer l = layer_of(DL_LAYER_LINE, "dashed");
        l.line_width = 2.5;
        l.line_color = (dl_color){0.1, 0.2, 0.6, alpha};
        l.line_cap = caps[ci];
        l.line_join = joins[ci];
        memcpy(l.line_dasharray, pattern, sizeof pattern);
        l.line_ndash = 4;
        assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
        dl_render_flush(c.r);
        assert_non_null(c.r->raster); /* drawn by raster, not Cairo */

        cairo_t *cr = ref.cr;
        cairo_move_to(cr, xy[0], xy[1]);
        for (int i = 1; i < 4; i++)
            cairo_line_to(cr, xy[2 * i], xy[2 * i + 1]);
        double dash[4];
        for (int i = 0; i < 4; i++)
            dash[i] = pattern[i] * l.line_width;
        cairo_set_dash(cr, dash, 4, 0);
        cairo_set_line_width(cr, l.line_width);
        cairo_set_line_cap(cr, ccaps[ci]);
        cairo_set_line_join(cr, cjoins[ci]);
        cairo_set_miter_limit(cr, 2.0);
        cairo_set_source_rgba(cr, 0.1, 0.2, 0.6, alpha);
        cairo_stroke(cr);

        int worst = 0, inked = 0, over12 = 0, over24 = 0;
        for (int y = 0; y < 44; y++)
            for (int x = 0; x < 64; x++) {
                int a[3], b[3], d = 0;
                pixel(&c, x, y, a);
                pixel(&ref, x, y, b);
                for (int i = 0; i < 3; i++)
                    d = abs(a[i] - b[i]) > d ? abs(a[i] - b[i]) : d;
                worst = d > worst ? d : worst;
                over12 += d > 12;
                over24 += d > 24;
                inked += b[2] < 200;
            }
        /* Within 12 levels but for a few pixels of round caps, and for the
         * inner corner of the two dashes that turn a vertex just after
         * starting or just before ending (2.2 and 0.7 px): their segments
         * overlap there, and raster sums the overlap where both cover a
         * pixel partly (raster.h), so one pixel each inks up to ~60 levels
         * more than Cairo's. With dots at the pattern's zero-length dash
         * (which Cairo does not draw there) case 1 differs by 230. */
        if (worst > 64 || over24 > 2 || over12 > 10 || inked < 60)
            fail_msg("case %d: pixels over 12 levels from Cairo's %d, over 24 %d, worst %d "
                     "(%d inked)",
                     k, over12, over24, worst, inked);
        canvas_close(&c);
        canvas_close(&ref);
    }
}

/* An opaque circle on an image goes to raster, on Cairo's polygon: a disc
 * of radius 3 at a pixel centre inks pi 9 px within 1 %, symmetrically;
 * its 1 px stroke alone (white fill) the ring between radii 3 and 4. */
static void circle_on_raster_has_its_area(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 24, 24);
    double xy[] = {11.5, 11.5};
    dl_geom g = geom_of(DL_GEOM_POINT, xy, 1, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_CIRCLE, "dots");
    l.circle_radius = 3;
    l.circle_color = BLACK;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    double disc = ink_sum(&c, 24, 24);
    assert_non_null(c.r->circle_xy); /* drawn by raster, not Cairo */
    if (fabs(disc - 9 * M_PI) > 0.01 * 9 * M_PI)
        fail_msg("disc inks %.3f px, expected %.3f", disc, 9 * M_PI);
    assert_pixel(&c, 11, 11, 0, 0, 0, 0);
    assert_pixel(&c, 11, 7, 255, 255, 255, 0);
    assert_symmetric(&c, 11, 11, 5);
    canvas_close(&c);

    canvas_open(&c, 24, 24);
    l.circle_color = WHITE;
    l.circle_stroke_color = BLACK;
    l.circle_stroke_width = 1;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_OK);
    double ring = ink_sum(&c, 24, 24);
    assert_non_null(c.r->circle_xy);
    if (fabs(ring - 7 * M_PI) > 0.01 * 7 * M_PI)
        fail_msg("ring inks %.3f px, expected %.3f", ring, 7 * M_PI);
    assert_pixel(&c, 11, 11, 255, 255, 255, 0); /* the fill, not the ring */
    assert_pixel(&c, 11, 9, 255, 255, 255, 0);
    /* The ring from 3 to 4 px above the centre: half of rows 7 and 8. */
    assert_pixel(&c, 11, 8, 128, 128, 128, 30);
    assert_pixel(&c, 11, 7, 128, 128, 128, 30);
    assert_pixel(&c, 11, 6, 255, 255, 255, 0);
    assert_symmetric(&c, 11, 11, 6);
    canvas_close(&c);
}

static void degenerate_geometry_is_skipped(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 50, 50);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "x");
    dl_geom empty = geom_of(DL_GEOM_LINE, NULL, 0, NULL, 0);
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &empty), DLINE_OK);
    /* A part table pointing past the points draws nothing rather than read
     * out of bounds; NaN and huge coordinates do not upset Cairo. */
    double xy[] = {1, 1, NAN, 5, 1e300, -1e300, 40, 40};
    size_t bad_parts[] = {0, 9};
    dl_geom bad = geom_of(DL_GEOM_LINE, xy, 4, bad_parts, 1);
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &bad), DLINE_OK);
    size_t ok_parts[] = {0, 4};
    dl_geom odd = geom_of(DL_GEOM_LINE, xy, 4, ok_parts, 1);
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &odd), DLINE_OK);
    l.type = DL_LAYER_FILL;
    odd.type = DL_GEOM_POLYGON;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &odd), DLINE_OK);
    l.type = DL_LAYER_CIRCLE;
    l.circle_radius = 3;
    odd.type = DL_GEOM_POINT;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &odd), DLINE_OK);
    assert_int_equal(c.r->ncircles, 3); /* the NaN point is not a circle */
    canvas_close(&c);
}

static void cairo_error_names_the_layer(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 50, 50);
    cairo_restore(c.cr); /* unbalanced: puts the context in an error state */
    double xy[] = {1, 1, 40, 40};
    dl_geom g = geom_of(DL_GEOM_LINE, xy, 2, NULL, 0);
    dl_style_layer l = layer_of(DL_LAYER_LINE, "roads");
    assert_int_equal(dl_render_feature(c.ctx, c.r, &l, &g), DLINE_ERENDER);
    assert_string_equal(dline_ctx_message(c.ctx),
                        "layer 'roads': cairo_restore() without matching cairo_save()");
    canvas_close(&c);
}

static int boxes_disjoint(dl_box a, dl_box b)
{
    return a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
}

static void assert_placed_disjoint(const dl_render *r)
{
    for (size_t i = 0; i < r->nlabels; i++)
        for (size_t j = i + 1; j < r->nlabels; j++)
            if (r->labels[i].placed && r->labels[j].placed)
                assert_true(boxes_disjoint(r->labels[i].box, r->labels[j].box));
}

static void auto_anchor_displaces_second_label(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_anchor_auto = 1;
    l.text_halo_width = 1;
    assert_int_equal(dl_render_queue_label(c.ctx, c.r, &l, "Zhujiajiao", 150, 100), DLINE_OK);
    assert_int_equal(dl_render_queue_label(c.ctx, c.r, &l, "Zhujiajiao", 150, 100), DLINE_OK);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 2);
    assert_int_equal(dropped, 0);
    /* First to the right of the point, then to the left. */
    assert_true(c.r->labels[0].box.x0 > 150);
    assert_true(c.r->labels[1].box.x1 < 150);
    assert_placed_disjoint(c.r);
    assert_true(ink(&c, 151, 90, 300, 110) > 20);
    assert_true(ink(&c, 0, 90, 149, 110) > 20);
    canvas_close(&c);
}

static void crowded_labels_are_dropped_without_overlap(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_anchor_auto = 1;
    for (int i = 0; i < 12; i++)
        assert_int_equal(dl_render_queue_label(c.ctx, c.r, &l, "Jinze", 150, 100), DLINE_OK);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed + dropped, 12);
    /* Left and right labels reach above and below the point, so the
     * positions straight above and below are taken by them. */
    assert_true(placed >= 2 && placed <= 8);
    assert_placed_disjoint(c.r);
    canvas_close(&c);
}

static void fixed_anchor_drops_second_label(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_anchor = DL_ANCHOR_TOP;
    l.text_offset[1] = 0.5;
    dl_render_queue_label(c.ctx, c.r, &l, "Xicen", 150, 100);
    dl_render_queue_label(c.ctx, c.r, &l, "Xicen", 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 1);
    assert_int_equal(dropped, 1);
    /* Top of the text half an em below the point, centred on it. */
    dl_box b = c.r->labels[0].box;
    assert_true(fabs(b.y0 - 107) < 0.01);
    assert_true(fabs((b.x0 + b.x1) / 2 - 150) < 0.01);
    canvas_close(&c);
}

static void allow_overlap_places_both(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_anchor = DL_ANCHOR_CENTER;
    l.text_allow_overlap = 1;
    dl_render_queue_label(c.ctx, c.r, &l, "Xicen", 150, 100);
    dl_render_queue_label(c.ctx, c.r, &l, "Xicen", 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 2);
    assert_int_equal(dropped, 0);
    canvas_close(&c);
}

static void labels_stay_inside_the_frame(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer fixed = layer_of(DL_LAYER_SYMBOL, "places");
    dl_style_layer aut = fixed;
    aut.text_anchor_auto = 1;
    dl_render_queue_label(c.ctx, c.r, &fixed, "Edge", 3, 100);  /* would cross x = 0 */
    dl_render_queue_label(c.ctx, c.r, &aut, "Edge", 290, 100);  /* right side is out */
    dl_render_queue_label(c.ctx, c.r, &aut, "Edge", 150, 2);    /* only below fits */
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 2);
    assert_int_equal(dropped, 1);
    assert_false(c.r->labels[0].placed);
    assert_true(c.r->labels[1].box.x1 < 290);
    assert_true(c.r->labels[2].box.y0 > 2);
    for (size_t i = 1; i < 3; i++) {
        dl_box b = c.r->labels[i].box;
        assert_true(b.x0 >= DL_LABEL_FRAME_PAD && b.y0 >= DL_LABEL_FRAME_PAD);
        assert_true(b.x1 <= 300 - DL_LABEL_FRAME_PAD && b.y1 <= 200 - DL_LABEL_FRAME_PAD);
    }
    canvas_close(&c);
}

static void labels_avoid_obstacles_and_hug_their_circle(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    /* The label's own circle pushes it out; another circle to its right
     * and an obstacle to its left leave the top. */
    double xy[] = {150, 100, 185, 100};
    dl_geom g = geom_of(DL_GEOM_POINT, xy, 2, NULL, 0);
    dl_style_layer circles = layer_of(DL_LAYER_CIRCLE, "towns");
    circles.circle_radius = 6;
    circles.circle_color = RED;
    assert_int_equal(dl_render_feature(c.ctx, c.r, &circles, &g), DLINE_OK);
    dl_render_add_obstacle(c.r, 100, 95, 140, 110);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_anchor_auto = 1;
    dl_render_queue_label(c.ctx, c.r, &l, "Town", 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_true(c.r->labels[0].placed);
    dl_box b = c.r->labels[0].box;
    assert_true(b.y1 <= 100 - 6); /* above, clear of its circle */
    assert_true(fabs((b.x0 + b.x1) / 2 - 150) < 0.01);
    canvas_close(&c);
}

static void chinese_label_uses_a_cjk_font(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_font = "Noto Sans CJK SC, DejaVu Sans";
    l.text_size = 20;
    l.text_halo_width = 1.5;
    const char *text = "青浦区\nQingpu";
    PangoLayout *layout = dl_render_label_layout(c.r, &l, text);
    assert_non_null(layout);
    assert_int_equal(pango_layout_get_unknown_glyphs_count(layout), 0);
    assert_int_equal(pango_layout_get_line_count(layout), 2);
    /* The Han glyphs come from Noto Sans CJK, not from a fallback box. */
    PangoLayoutIter *it = pango_layout_get_iter(layout);
    PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
    assert_non_null(run);
    PangoFontDescription *fd = pango_font_describe(run->item->analysis.font);
    assert_string_equal(pango_font_description_get_family(fd), "Noto Sans CJK SC");
    pango_font_description_free(fd);
    pango_layout_iter_free(it);
    /* Lines are text_line_height ems apart. */
    PangoRectangle logical;
    pango_layout_get_extents(layout, NULL, &logical);
    assert_int_equal(logical.height, 2 * 24 * PANGO_SCALE);
    g_object_unref(layout);

    l.text_anchor = DL_ANCHOR_CENTER;
    dl_render_queue_label(c.ctx, c.r, &l, text, 150, 100);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    assert_true(c.r->labels[0].placed);
    assert_true(ink(&c, 100, 70, 200, 100) > 150); /* 青浦区 */
    canvas_close(&c);
}

static void text_max_width_wraps(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_max_width = 5;
    PangoLayout *layout = dl_render_label_layout(c.r, &l, "Shanghai Hongqiao International Airport");
    assert_true(pango_layout_get_line_count(layout) >= 3);
    PangoRectangle logical;
    pango_layout_get_extents(layout, NULL, &logical);
    assert_true(logical.width <= 5 * 14 * PANGO_SCALE);
    g_object_unref(layout);
    canvas_close(&c);
}

static void invalid_utf8_is_repaired(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    assert_int_equal(dl_render_queue_label(c.ctx, c.r, &l, "Ab\xff\xfe" "c", 150, 100), DLINE_OK);
    assert_true(g_utf8_validate(c.r->labels[0].text, -1, NULL));
    assert_int_equal(dl_render_queue_label(c.ctx, c.r, &l, "", 150, 100), DLINE_OK);
    assert_int_equal(c.r->nlabels, 1); /* empty text queues nothing */
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    canvas_close(&c);
}

static void text_blocks_stack_and_block_labels(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_style_text title = {.text = "Qingpu 青浦", .font = "Noto Sans CJK SC", .size = 20,
                           .color = BLACK, .halo_color = WHITE, .halo_width = 2,
                           .position = DL_ANCHOR_TOP_LEFT, .offset = {10, 10}};
    dl_style_text sub = title;
    sub.text = "Digital line map";
    sub.size = 12;
    double used = 0, used2 = 0;
    /* used is the block's height plus its offset from the corner */
    assert_int_equal(dl_render_text_block(c.ctx, c.r, &title, 0, &used), DLINE_OK);
    assert_true(used > 10 + 20 && used < 10 + 40);
    assert_int_equal(dl_render_text_block(c.ctx, c.r, &sub, used, &used2), DLINE_OK);
    assert_true(used2 > 10 + 12 && used2 < 10 + 25);
    assert_int_equal(c.r->nboxes, 2);
    assert_true(c.r->boxes[1].y0 >= c.r->boxes[0].y1 + 10 - 2 * 2 - 0.01);
    assert_true(ink(&c, 10, 10, 150, (int)used) > 100);
    assert_true(ink(&c, 10, (int)used + 10, 150, (int)(used + used2)) > 40);

    dl_style_text attr = sub;
    attr.text = "© OpenStreetMap";
    attr.position = DL_ANCHOR_BOTTOM_RIGHT;
    attr.offset[0] = attr.offset[1] = 4;
    assert_int_equal(dl_render_text_block(c.ctx, c.r, &attr, 0, &used), DLINE_OK);
    assert_true(c.r->boxes[2].x1 <= 296 + 2.01 && c.r->boxes[2].y1 <= 196 + 2.01);
    assert_true(c.r->boxes[2].x0 > 150);

    /* A label where the title is cannot be placed. */
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    dl_render_queue_label(c.ctx, c.r, &l, "Under", 40, 20);
    assert_int_equal(dl_render_labels(c.ctx, c.r), DLINE_OK);
    size_t placed, dropped;
    dl_render_label_counts(c.r, &placed, &dropped);
    assert_int_equal(placed, 0);
    assert_int_equal(dropped, 1);

    dl_style_text none = {0};
    assert_int_equal(dl_render_text_block(c.ctx, c.r, &none, 0, &used), DLINE_OK);
    assert_true(used == 0);
    canvas_close(&c);
}

/* A text block with a background panel: the panel's outer edge sits at the
 * offset, the text moves in by the padding, and the panel counts in `used`. */
static void text_block_panel(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c, 300, 200);
    dl_render_background(c.r, BLUE, 1.0);
    dl_style_text t = {.text = "Title 标题", .font = "Noto Sans CJK SC", .size = 20,
                       .color = BLACK, .position = DL_ANCHOR_TOP_LEFT, .offset = {10, 10},
                       .background = WHITE, .padding = 8};
    double used = 0;
    assert_int_equal(dl_render_text_block(c.ctx, c.r, &t, 0, &used), DLINE_OK);
    assert_int_equal(c.r->nboxes, 1);
    assert_true(fabs(c.r->boxes[0].x0 - 10) < 0.01 && fabs(c.r->boxes[0].y0 - 10) < 0.01);
    assert_true(used > 10 + 20 + 16 && used < 10 + 40 + 16);
    assert_pixel(&c, 11, 11, 255, 255, 255, 0);  /* panel corner, inside the padding */
    assert_pixel(&c, 8, 8, 0, 0, 255, 0);        /* outside the panel */
    assert_true(ink(&c, 18, 18, 150, (int)used - 8) > 100); /* the text, inset */
    canvas_close(&c);
}

static cairo_status_t discard(void *closure, const unsigned char *data, unsigned int length)
{
    (void)closure;
    (void)data;
    (void)length;
    return CAIRO_STATUS_SUCCESS;
}

static void layout_is_the_same_on_png_and_pdf(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 938, 625);
    cairo_t *icr = cairo_create(img);
    cairo_scale(icr, 300.0 / 96, 300.0 / 96);
    cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(discard, NULL, 225, 150);
    cairo_t *pcr = cairo_create(pdf);
    cairo_scale(pcr, 0.75, 0.75);
    dl_render *ri, *rp;
    assert_int_equal(dl_render_new(ctx, icr, 300, 200, &ri), DLINE_OK);
    assert_int_equal(dl_render_new(ctx, pcr, 300, 200, &rp), DLINE_OK);
    dl_style_layer l = layer_of(DL_LAYER_SYMBOL, "places");
    l.text_font = "Noto Sans CJK SC, DejaVu Sans";
    l.text_size = 13;
    const char *text = "朱家角镇 Zhujiajiao Town";
    PangoLayout *a = dl_render_label_layout(ri, &l, text);
    PangoLayout *b = dl_render_label_layout(rp, &l, text);
    PangoRectangle la, lb;
    pango_layout_get_extents(a, NULL, &la);
    pango_layout_get_extents(b, NULL, &lb);
    assert_int_equal(la.width, lb.width);
    assert_int_equal(la.height, lb.height);
    g_object_unref(a);
    g_object_unref(b);
    dl_render_free(ri);
    dl_render_free(rp);
    cairo_destroy(icr);
    cairo_destroy(pcr);
    cairo_surface_destroy(img);
    cairo_surface_destroy(pdf);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fill_cuts_hole_with_opposite_winding),
        cmocka_unit_test(fill_keeps_overlap_of_outer_rings),
        cmocka_unit_test(fill_outline_is_one_pixel),
        cmocka_unit_test(line_width_and_butt_caps),
        cmocka_unit_test(line_round_cap_and_opacity),
        cmocka_unit_test(line_dashes_are_in_line_widths),
        cmocka_unit_test(line_with_bad_dashes_draws_solid),
        cmocka_unit_test(smooth_line_curves_through_vertices),
        cmocka_unit_test(circles_at_every_vertex_are_obstacles),
        cmocka_unit_test(circle_on_raster_has_its_area),
        cmocka_unit_test(dashed_line_on_raster_matches_cairo),
        cmocka_unit_test(degenerate_geometry_is_skipped),
        cmocka_unit_test(cairo_error_names_the_layer),
        cmocka_unit_test(auto_anchor_displaces_second_label),
        cmocka_unit_test(crowded_labels_are_dropped_without_overlap),
        cmocka_unit_test(fixed_anchor_drops_second_label),
        cmocka_unit_test(allow_overlap_places_both),
        cmocka_unit_test(labels_stay_inside_the_frame),
        cmocka_unit_test(labels_avoid_obstacles_and_hug_their_circle),
        cmocka_unit_test(chinese_label_uses_a_cjk_font),
        cmocka_unit_test(text_max_width_wraps),
        cmocka_unit_test(invalid_utf8_is_repaired),
        cmocka_unit_test(text_blocks_stack_and_block_labels),
        cmocka_unit_test(text_block_panel),
        cmocka_unit_test(layout_is_the_same_on_png_and_pdf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
