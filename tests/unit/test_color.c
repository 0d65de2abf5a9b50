/* dl_color_parse: every accepted form, its edges, and what it refuses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "style/style.h"

#define EPS 1e-9

static void check(const char *s, double r, double g, double b, double a)
{
    dl_color c = {-1, -1, -1, -1};
    if (dl_color_parse(s, &c) != 0)
        fail_msg("'%s' did not parse", s);
    if (fabs(c.r - r) > EPS || fabs(c.g - g) > EPS || fabs(c.b - b) > EPS || fabs(c.a - a) > EPS)
        fail_msg("'%s' gave %g %g %g %g, expected %g %g %g %g", s, c.r, c.g, c.b, c.a, r, g, b,
                 a);
}

static void check_bad(const char *s)
{
    dl_color c = {0.25, 0.25, 0.25, 0.25};
    if (dl_color_parse(s, &c) == 0)
        fail_msg("'%s' parsed but should not", s);
    /* A failed parse leaves the output alone. */
    assert_true(c.r == 0.25 && c.g == 0.25 && c.b == 0.25 && c.a == 0.25);
}

static void test_hex(void **state)
{
    (void)state;
    check("#000", 0, 0, 0, 1);
    check("#fff", 1, 1, 1, 1);
    check("#f00", 1, 0, 0, 1);
    check("#abc", 0xaa / 255.0, 0xbb / 255.0, 0xcc / 255.0, 1);
    check("#ABC", 0xaa / 255.0, 0xbb / 255.0, 0xcc / 255.0, 1);
    check("#f008", 1, 0, 0, 0x88 / 255.0);
    check("#123456", 0x12 / 255.0, 0x34 / 255.0, 0x56 / 255.0, 1);
    check("#12345678", 0x12 / 255.0, 0x34 / 255.0, 0x56 / 255.0, 0x78 / 255.0);
    check("#FfEeDd", 1, 0xee / 255.0, 0xdd / 255.0, 1);
    check("#00000000", 0, 0, 0, 0);
}

static void test_hex_bad(void **state)
{
    (void)state;
    check_bad("#");
    check_bad("#1");
    check_bad("#12");
    check_bad("#12345");
    check_bad("#1234567");
    check_bad("#123456789");
    check_bad("#ggg");
    check_bad("#12 456");
    check_bad("##123");
    check_bad("123456");
}

static void test_rgb(void **state)
{
    (void)state;
    check("rgb(255, 0, 0)", 1, 0, 0, 1);
    check("rgb(0,128,255)", 0, 128 / 255.0, 1, 1);
    check("rgb( 0 , 0 , 0 )", 0, 0, 0, 1);
    check("RGB(255, 255, 255)", 1, 1, 1, 1);
    check("rgba(255, 0, 0, 0.5)", 1, 0, 0, 0.5);
    check("rgba(0, 0, 0, 0)", 0, 0, 0, 0);
    check("rgba(0, 0, 0, 1)", 0, 0, 0, 1);
    check("rgba(0, 0, 0, .25)", 0, 0, 0, 0.25);
    check("rgb(100%, 50%, 0%)", 1, 0.5, 0, 1);
    check("rgba(0, 0, 0, 50%)", 0, 0, 0, 0.5);
    check("rgb(127.5, 0, 0)", 0.5, 0, 0, 1);
    /* CSS Color 4: rgb() takes an alpha and rgba() may omit it. */
    check("rgb(0, 0, 255, 0.5)", 0, 0, 1, 0.5);
    check("rgba(0, 0, 255)", 0, 0, 1, 1);
    check("  rgb(1e2, 0, 0)  ", 100 / 255.0, 0, 0, 1);
}

static void test_rgb_bad(void **state)
{
    (void)state;
    check_bad("rgb(256, 0, 0)");
    check_bad("rgb(-1, 0, 0)");
    check_bad("rgb(0, 0)");
    check_bad("rgb(0, 0, 0, 0, 0)");
    check_bad("rgba(0, 0, 0, 1.5)");
    check_bad("rgba(0, 0, 0, -0.1)");
    check_bad("rgb(0, 0, 0");
    check_bad("rgb 0, 0, 0)");
    check_bad("rgb()");
    check_bad("rgb(a, b, c)");
    check_bad("rgb(0,, 0, 0)");
    check_bad("rgb(0 0 0)");
    check_bad("rgb(0, 0, 0,)");
    check_bad("rgb(101%, 0, 0)");
    check_bad("rgb(nan, 0, 0)");
    check_bad("rgb(inf, 0, 0)");
    check_bad("rgb(0x10, 0, 0)");
    check_bad("rgb(10deg, 0, 0)");
    check_bad("rgbx(0, 0, 0)");
    check_bad("rgb(0, 0, 0) x");
}

static void test_hsl(void **state)
{
    (void)state;
    check("hsl(0, 100%, 50%)", 1, 0, 0, 1);
    check("hsl(120, 100%, 50%)", 0, 1, 0, 1);
    check("hsl(240, 100%, 50%)", 0, 0, 1, 1);
    check("hsl(360, 100%, 50%)", 1, 0, 0, 1);
    check("hsl(-120, 100%, 50%)", 0, 0, 1, 1);
    check("hsl(120deg, 100%, 25%)", 0, 0.5, 0, 1);
    check("hsl(0, 0%, 50%)", 0.5, 0.5, 0.5, 1);
    check("hsl(0, 0%, 100%)", 1, 1, 1, 1);
    check("hsla(0, 100%, 50%, 0.5)", 1, 0, 0, 0.5);
    check("HSLA(60, 100%, 50%, 25%)", 1, 1, 0, 0.25);
}

static void test_hsl_bad(void **state)
{
    (void)state;
    check_bad("hsl(0, 100, 50)");
    check_bad("hsl(0%, 100%, 50%)");
    check_bad("hsl(0, 101%, 50%)");
    check_bad("hsl(0, 100%, -1%)");
    check_bad("hsla(0, 100%, 50%, 2)");
    check_bad("hsl(0, 100%)");
}

static void test_named(void **state)
{
    (void)state;
    check("red", 1, 0, 0, 1);
    check("black", 0, 0, 0, 1);
    check("white", 1, 1, 1, 1);
    check("RED", 1, 0, 0, 1);
    check("Red", 1, 0, 0, 1);
    check("transparent", 0, 0, 0, 0);
    check("Transparent", 0, 0, 0, 0);
    /* The CSS values, which differ from X11's for these. */
    check("gray", 128 / 255.0, 128 / 255.0, 128 / 255.0, 1);
    check("grey", 128 / 255.0, 128 / 255.0, 128 / 255.0, 1);
    check("green", 0, 128 / 255.0, 0, 1);
    check("maroon", 128 / 255.0, 0, 0, 1);
    check("purple", 128 / 255.0, 0, 128 / 255.0, 1);
    /* The ends of the sorted table and a few in between. */
    check("aliceblue", 240 / 255.0, 248 / 255.0, 1, 1);
    check("yellowgreen", 154 / 255.0, 205 / 255.0, 50 / 255.0, 1);
    check("rebeccapurple", 0x66 / 255.0, 0x33 / 255.0, 0x99 / 255.0, 1);
    check("lightgoldenrodyellow", 250 / 255.0, 250 / 255.0, 210 / 255.0, 1);
    check("mediumspringgreen", 0, 250 / 255.0, 154 / 255.0, 1);
    check("darkslategrey", 47 / 255.0, 79 / 255.0, 79 / 255.0, 1);
    check("navy", 0, 0, 128 / 255.0, 1);
    check(" teal ", 0, 128 / 255.0, 128 / 255.0, 1);
}

static void test_all_names_parse(void **state)
{
    (void)state;
    static const char *const all[] = {
        "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
        "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
        "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue",
        "darkcyan", "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki",
        "darkmagenta", "darkolivegreen", "darkorange", "darkorchid", "darkred", "darksalmon",
        "darkseagreen", "darkslateblue", "darkslategray", "darkslategrey", "darkturquoise",
        "darkviolet", "deeppink", "deepskyblue", "dimgray", "dimgrey", "dodgerblue", "firebrick",
        "floralwhite", "forestgreen", "fuchsia", "gainsboro", "ghostwhite", "gold", "goldenrod",
        "gray", "green", "greenyellow", "grey", "honeydew", "hotpink", "indianred", "indigo",
        "ivory", "khaki", "lavender", "lavenderblush", "lawngreen", "lemonchiffon", "lightblue",
        "lightcoral", "lightcyan", "lightgoldenrodyellow", "lightgray", "lightgreen", "lightgrey",
        "lightpink", "lightsalmon", "lightseagreen", "lightskyblue", "lightslategray",
        "lightslategrey", "lightsteelblue", "lightyellow", "lime", "limegreen", "linen",
        "magenta", "maroon", "mediumaquamarine", "mediumblue", "mediumorchid", "mediumpurple",
        "mediumseagreen", "mediumslateblue", "mediumspringgreen", "mediumturquoise",
        "mediumvioletred", "midnightblue", "mintcream", "mistyrose", "moccasin", "navajowhite",
        "navy", "oldlace", "olive", "olivedrab", "orange", "orangered", "orchid", "palegoldenrod",
        "palegreen", "paleturquoise", "palevioletred", "papayawhip", "peachpuff", "peru", "pink",
        "plum", "powderblue", "purple", "rebeccapurple", "red", "rosybrown", "royalblue",
        "saddlebrown", "salmon", "sandybrown", "seagreen", "seashell", "sienna", "silver",
        "skyblue", "slateblue", "slategray", "slategrey", "snow", "springgreen", "steelblue",
        "tan", "teal", "thistle", "tomato", "turquoise", "violet", "wheat", "white",
        "whitesmoke", "yellow", "yellowgreen"};
    assert_int_equal(sizeof all / sizeof all[0], 148);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        dl_color c;
        if (dl_color_parse(all[i], &c) != 0)
            fail_msg("named colour '%s' did not parse", all[i]);
        assert_true(c.a == 1);
    }
}

static void test_named_bad(void **state)
{
    (void)state;
    check_bad("");
    check_bad("   ");
    check_bad("redd");
    check_bad("re");
    check_bad("light gray");
    check_bad("notacolourwithaverylongname");
    check_bad("transparentx");
    check_bad("a");
    check_bad("zzz");
    assert_int_equal(dl_color_parse(NULL, &(dl_color){0, 0, 0, 0}), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),        cmocka_unit_test(test_hex_bad),
        cmocka_unit_test(test_rgb),        cmocka_unit_test(test_rgb_bad),
        cmocka_unit_test(test_hsl),        cmocka_unit_test(test_hsl_bad),
        cmocka_unit_test(test_named),      cmocka_unit_test(test_all_names_parse),
        cmocka_unit_test(test_named_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
