/* Unit tests for src/geom.c: buffers, boxes, ring orientation, the grouping
 * of polygon rings into outer rings and holes, and value formatting. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "geom.h"

#define assert_near(a, b)                                                                     \
    do {                                                                                      \
        double a_ = (a), b_ = (b);                                                            \
        if (!(fabs(a_ - b_) <= 1e-9 * (1 + fabs(b_))))                                        \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                               \
    } while (0)

/* Builds a polygon from rings given as flat x,y arrays of n[i] points. */
static void make_polygon(dl_geom *g, size_t nrings, const size_t *n, const double *const *xy)
{
    size_t total = 0;
    for (size_t i = 0; i < nrings; i++)
        total += n[i];
    assert_int_equal(dl_geom_reserve(g, total, nrings), 0);
    g->type = DL_GEOM_POLYGON;
    g->nparts = nrings;
    g->npoints = total;
    size_t at = 0;
    for (size_t i = 0; i < nrings; i++) {
        g->part_start[i] = at;
        memcpy(g->xy + 2 * at, xy[i], n[i] * 2 * sizeof(double));
        at += n[i];
        g->hole[i] = 0;
    }
    g->part_start[nrings] = at;
}

static size_t ring_len(const dl_geom *g, size_t i)
{
    return g->part_start[i + 1] - g->part_start[i];
}

/* Squares as closed rings, cw (outer) and ccw (hole), in y-up coordinates. */
static const double OUTER_CW[] = {0, 0, 0, 10, 10, 10, 10, 0, 0, 0};
static const double OUTER_CCW[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
static const double HOLE_CCW[] = {2, 2, 4, 2, 4, 4, 2, 4, 2, 2};
static const double HOLE_CW[] = {2, 2, 2, 4, 4, 4, 4, 2, 2, 2};
static const double FAR_CCW[] = {20, 20, 25, 20, 25, 25, 20, 20};

static void test_init_reserve_copy(void **state)
{
    dl_geom g, h;
    dl_geom_init(&g);
    dl_geom_init(&h);
    assert_int_equal(g.type, DL_GEOM_NONE);
    assert_null(g.xy);
    assert_int_equal(dl_geom_reserve(&g, 3, 2), 0);
    assert_true(g.cap_points >= 3);
    assert_true(g.cap_parts >= 2);
    g.type = DL_GEOM_LINE;
    g.npoints = 3;
    g.nparts = 2;
    double xy[] = {1, 2, 3, 4, 5, 6};
    memcpy(g.xy, xy, sizeof xy);
    g.part_start[0] = 0;
    g.part_start[1] = 1;
    g.part_start[2] = 3;
    g.hole[0] = g.hole[1] = 0;

    /* growing keeps the contents */
    double *before = g.xy;
    assert_int_equal(dl_geom_reserve(&g, 1000, 100), 0);
    assert_true(g.cap_points >= 1000);
    assert_memory_equal(g.xy, xy, sizeof xy);
    /* reserving less than the capacity does not reallocate */
    before = g.xy;
    assert_int_equal(dl_geom_reserve(&g, 10, 1), 0);
    assert_ptr_equal(g.xy, before);

    assert_int_equal(dl_geom_copy(&h, &g), 0);
    assert_int_equal(h.type, DL_GEOM_LINE);
    assert_int_equal(h.npoints, 3);
    assert_int_equal(h.nparts, 2);
    assert_memory_equal(h.xy, xy, sizeof xy);
    assert_int_equal(h.part_start[1], 1);
    assert_int_equal(h.part_start[2], 3);
    assert_true(h.xy != g.xy);

    /* overflow is refused, not wrapped */
    assert_int_equal(dl_geom_reserve(&g, SIZE_MAX / 4, 1), -1);
    assert_int_equal(dl_geom_reserve(&g, 1, SIZE_MAX - 1), -1);

    dl_geom_clear(&g);
    dl_geom_clear(&h);
    assert_null(g.xy);
    dl_geom_clear(NULL);

    /* an empty copy still has part_start[0] */
    dl_geom e, f;
    dl_geom_init(&e);
    dl_geom_init(&f);
    assert_int_equal(dl_geom_copy(&f, &e), 0);
    assert_non_null(f.part_start);
    assert_int_equal(f.part_start[0], 0);
    dl_geom_clear(&f);
}

static void test_bbox(void **state)
{
    dl_bbox b = dl_bbox_empty();
    assert_true(dl_bbox_is_empty(b));
    dl_bbox_add(&b, 3, -1);
    assert_false(dl_bbox_is_empty(b));
    dl_bbox_add(&b, -2, 5);
    assert_near(b.xmin, -2);
    assert_near(b.ymin, -1);
    assert_near(b.xmax, 3);
    assert_near(b.ymax, 5);

    dl_bbox c = {3, 5, 10, 10}; /* touches b's corner */
    dl_bbox d = {3.5, 5.5, 10, 10};
    assert_true(dl_bbox_intersects(b, c));
    assert_false(dl_bbox_intersects(b, d));
    assert_false(dl_bbox_intersects(b, dl_bbox_empty()));
    dl_bbox nan_box = {NAN, 0, 1, 1};
    assert_true(dl_bbox_is_empty(nan_box));

    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 1, (size_t[]){5}, (const double *const[]){OUTER_CW});
    dl_bbox gb = dl_geom_bbox(&g);
    assert_near(gb.xmin, 0);
    assert_near(gb.ymax, 10);
    dl_geom_clear(&g);
}

static void test_ring_area_contains(void **state)
{
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 2, (size_t[]){5, 5}, (const double *const[]){OUTER_CW, HOLE_CCW});
    assert_near(dl_geom_ring_area(&g, 0), -100);
    assert_near(dl_geom_ring_area(&g, 1), 4);
    assert_true(dl_geom_ring_contains(&g, 0, 5, 5));
    assert_true(dl_geom_ring_contains(&g, 0, 3, 3));
    assert_false(dl_geom_ring_contains(&g, 0, 11, 5));
    assert_false(dl_geom_ring_contains(&g, 1, 5, 5));
    dl_geom_clear(&g);

    /* far from the origin the area keeps its precision */
    double big[] = {500000, 3400000, 500000, 3400001, 500001, 3400001, 500001, 3400000,
                    500000, 3400000};
    make_polygon(&g, 1, (size_t[]){5}, (const double *const[]){big});
    assert_near(dl_geom_ring_area(&g, 0), -1);
    dl_geom_clear(&g);
}

static void test_organize_single_ring_any_orientation(void **state)
{
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 1, (size_t[]){5}, (const double *const[]){OUTER_CCW});
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    assert_int_equal(g.nparts, 1);
    assert_int_equal(g.hole[0], 0);
    assert_true(dl_geom_ring_area(&g, 0) < 0); /* turned clockwise */
    dl_geom_clear(&g);
}

static void test_organize_in_order(void **state)
{
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 2, (size_t[]){5, 5}, (const double *const[]){OUTER_CW, HOLE_CCW});
    double *xy = g.xy;
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    assert_ptr_equal(g.xy, xy); /* the geometry's own buffer is kept */
    assert_int_equal(g.nparts, 2);
    assert_int_equal(g.hole[0], 0);
    assert_int_equal(g.hole[1], 1);
    assert_memory_equal(g.xy, OUTER_CW, sizeof OUTER_CW);
    assert_memory_equal(g.xy + 10, HOLE_CCW, sizeof HOLE_CCW);
    dl_geom_clear(&g);
}

static void test_organize_reorders_and_promotes(void **state)
{
    /* hole first, then a ccw ring in no outer ring, then the outer ring */
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 3, (size_t[]){5, 4, 5},
                 (const double *const[]){HOLE_CCW, FAR_CCW, OUTER_CW});
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    assert_int_equal(g.nparts, 3);
    assert_int_equal(g.npoints, 14);
    /* outer rings in their original order: FAR (promoted), OUTER, then its hole */
    assert_int_equal(ring_len(&g, 0), 4);
    assert_int_equal(ring_len(&g, 1), 5);
    assert_int_equal(ring_len(&g, 2), 5);
    assert_int_equal(g.hole[0], 0);
    assert_int_equal(g.hole[1], 0);
    assert_int_equal(g.hole[2], 1);
    assert_near(g.xy[0], 20);
    assert_near(dl_geom_ring_area(&g, 0), -12.5); /* reversed to clockwise */
    assert_near(dl_geom_ring_area(&g, 1), -100);
    assert_near(dl_geom_ring_area(&g, 2), 4);
    assert_memory_equal(g.xy + 8, OUTER_CW, sizeof OUTER_CW);
    assert_memory_equal(g.xy + 18, HOLE_CCW, sizeof HOLE_CCW);
    assert_int_equal(g.part_start[3], 14);
    dl_geom_clear(&g);
}

static void test_organize_smallest_container(void **state)
{
    /* A big outer ring, a hole in it, an island in the hole and a pond in
     * the island: the pond belongs to the island, not to the big ring. */
    static const double big[] = {0, 0, 0, 100, 100, 100, 100, 0, 0, 0};
    static const double lake[] = {10, 10, 90, 10, 90, 90, 10, 90, 10, 10};
    static const double island[] = {20, 20, 20, 80, 80, 80, 80, 20, 20, 20};
    static const double pond[] = {40, 40, 60, 40, 60, 60, 40, 60, 40, 40};
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 4, (size_t[]){5, 5, 5, 5},
                 (const double *const[]){pond, island, lake, big});
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    /* island (index 1) comes first, with the pond; then big with the lake */
    assert_memory_equal(g.xy, island, sizeof island);
    assert_memory_equal(g.xy + 10, pond, sizeof pond);
    assert_memory_equal(g.xy + 20, big, sizeof big);
    assert_memory_equal(g.xy + 30, lake, sizeof lake);
    unsigned char want[] = {0, 1, 0, 1};
    assert_memory_equal(g.hole, want, 4);
    dl_geom_clear(&g);
}

static void test_organize_hole_touching_outer(void **state)
{
    /* the hole shares the outer ring's corner (0,0) */
    static const double hole[] = {0, 0, 5, 1, 1, 5, 0, 0};
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 2, (size_t[]){5, 4}, (const double *const[]){OUTER_CW, hole});
    assert_true(dl_geom_ring_area(&g, 1) > 0);
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    assert_int_equal(g.hole[0], 0);
    assert_int_equal(g.hole[1], 1);
    dl_geom_clear(&g);
}

static void test_organize_two_outers_reversed_hole(void **state)
{
    /* An outer ring written ccw and its hole written cw: orientation says
     * the hole is the outer ring. The big ring contains no clockwise ring
     * larger than itself, so it is promoted; both end up outer rings, and
     * winding is normalised so they run the same way. */
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 2, (size_t[]){5, 5}, (const double *const[]){OUTER_CCW, HOLE_CW});
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    assert_int_equal(g.hole[0], 0);
    assert_int_equal(g.hole[1], 0);
    assert_true(dl_geom_ring_area(&g, 0) < 0);
    assert_true(dl_geom_ring_area(&g, 1) < 0);
    dl_geom_clear(&g);
}

static void test_organize_ignores_other_types(void **state)
{
    dl_geom g;
    dl_geom_init(&g);
    make_polygon(&g, 2, (size_t[]){5, 5}, (const double *const[]){HOLE_CCW, OUTER_CW});
    g.type = DL_GEOM_LINE;
    assert_int_equal(dl_geom_organize_rings(&g), 0);
    assert_memory_equal(g.xy, HOLE_CCW, sizeof HOLE_CCW);
    assert_int_equal(g.hole[0], 0);
    assert_int_equal(g.hole[1], 0);
    dl_geom_clear(&g);
    dl_geom_init(&g);
    assert_int_equal(dl_geom_organize_rings(&g), 0);
}

static void test_value_format(void **state)
{
    char buf[64];
    dl_value v = {0};
    v.type = DL_VAL_NULL;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "");
    v.type = DL_VAL_STRING;
    v.s = "青浦区";
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "青浦区");
    v.type = DL_VAL_INT;
    v.i = -1234567890123LL;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "-1234567890123");
    v.type = DL_VAL_DOUBLE;
    v.d = 0.1;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "0.1");
    v.d = 3.0;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "3");
    v.d = 1.0 / 3.0;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "0.333333333333333");
    v.type = DL_VAL_BOOL;
    v.i = 1;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "true");
    v.i = 0;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "false");
    v.type = DL_VAL_DATE;
    v.s = "2024-01-31";
    v.i = 20240131;
    assert_string_equal(dl_value_format(&v, buf, sizeof buf), "2024-01-31");
    /* truncation stays inside the buffer */
    char small[4];
    v.type = DL_VAL_STRING;
    v.s = "abcdef";
    assert_string_equal(dl_value_format(&v, small, sizeof small), "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_reserve_copy),
        cmocka_unit_test(test_bbox),
        cmocka_unit_test(test_ring_area_contains),
        cmocka_unit_test(test_organize_single_ring_any_orientation),
        cmocka_unit_test(test_organize_in_order),
        cmocka_unit_test(test_organize_reorders_and_promotes),
        cmocka_unit_test(test_organize_smallest_container),
        cmocka_unit_test(test_organize_hole_touching_outer),
        cmocka_unit_test(test_organize_two_outers_reversed_hole),
        cmocka_unit_test(test_organize_ignores_other_types),
        cmocka_unit_test(test_value_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
