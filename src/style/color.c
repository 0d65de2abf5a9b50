/* CSS colour syntax as MapLibre styles use it: hex forms, rgb()/rgba(),
 * hsl()/hsla() and the named colours. */
#include "style/style.h"
#include "style/yaml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    unsigned rgb;
} named_color;

/* The 148 CSS Color Level 4 names, sorted for bsearch. */
static const named_color names[] = {
    {"aliceblue", 0xf0f8ff}, {"antiquewhite", 0xfaebd7}, {"aqua", 0x00ffff},
    {"aquamarine", 0x7fffd4}, {"azure", 0xf0ffff}, {"beige", 0xf5f5dc},
    {"bisque", 0xffe4c4}, {"black", 0x000000}, {"blanchedalmond", 0xffebcd},
    {"blue", 0x0000ff}, {"blueviolet", 0x8a2be2}, {"brown", 0xa52a2a},
    {"burlywood", 0xdeb887}, {"cadetblue", 0x5f9ea0}, {"chartreuse", 0x7fff00},
    {"chocolate", 0xd2691e}, {"coral", 0xff7f50}, {"cornflowerblue", 0x6495ed},
    {"cornsilk", 0xfff8dc}, {"crimson", 0xdc143c}, {"cyan", 0x00ffff},
    {"darkblue", 0x00008b}, {"darkcyan", 0x008b8b}, {"darkgoldenrod", 0xb8860b},
    {"darkgray", 0xa9a9a9}, {"darkgreen", 0x006400}, {"darkgrey", 0xa9a9a9},
    {"darkkhaki", 0xbdb76b}, {"darkmagenta", 0x8b008b}, {"darkolivegreen", 0x556b2f},
    {"darkorange", 0xff8c00}, {"darkorchid", 0x9932cc}, {"darkred", 0x8b0000},
    {"darksalmon", 0xe9967a}, {"darkseagreen", 0x8fbc8f}, {"darkslateblue", 0x483d8b},
    {"darkslategray", 0x2f4f4f}, {"darkslategrey", 0x2f4f4f}, {"darkturquoise", 0x00ced1},
    {"darkviolet", 0x9400d3}, {"deeppink", 0xff1493}, {"deepskyblue", 0x00bfff},
    {"dimgray", 0x696969}, {"dimgrey", 0x696969}, {"dodgerblue", 0x1e90ff},
    {"firebrick", 0xb22222}, {"floralwhite", 0xfffaf0}, {"forestgreen", 0x228b22},
    {"fuchsia", 0xff00ff}, {"gainsboro", 0xdcdcdc}, {"ghostwhite", 0xf8f8ff},
    {"gold", 0xffd700}, {"goldenrod", 0xdaa520}, {"gray", 0x808080},
    {"green", 0x008000}, {"greenyellow", 0xadff2f}, {"grey", 0x808080},
    {"honeydew", 0xf0fff0}, {"hotpink", 0xff69b4}, {"indianred", 0xcd5c5c},
    {"indigo", 0x4b0082}, {"ivory", 0xfffff0}, {"khaki", 0xf0e68c},
    {"lavender", 0xe6e6fa}, {"lavenderblush", 0xfff0f5}, {"lawngreen", 0x7cfc00},
    {"lemonchiffon", 0xfffacd}, {"lightblue", 0xadd8e6}, {"lightcoral", 0xf08080},
    {"lightcyan", 0xe0ffff}, {"lightgoldenrodyellow", 0xfafad2}, {"lightgray", 0xd3d3d3},
    {"lightgreen", 0x90ee90}, {"lightgrey", 0xd3d3d3}, {"lightpink", 0xffb6c1},
    {"lightsalmon", 0xffa07a}, {"lightseagreen", 0x20b2aa}, {"lightskyblue", 0x87cefa},
    {"lightslategray", 0x778899}, {"lightslategrey", 0x778899}, {"lightsteelblue", 0xb0c4de},
    {"lightyellow", 0xffffe0}, {"lime", 0x00ff00}, {"limegreen", 0x32cd32},
    {"linen", 0xfaf0e6}, {"magenta", 0xff00ff}, {"maroon", 0x800000},
    {"mediumaquamarine", 0x66cdaa}, {"mediumblue", 0x0000cd}, {"mediumorchid", 0xba55d3},
    {"mediumpurple", 0x9370db}, {"mediumseagreen", 0x3cb371}, {"mediumslateblue", 0x7b68ee},
    {"mediumspringgreen", 0x00fa9a}, {"mediumturquoise", 0x48d1cc},
    {"mediumvioletred", 0xc71585}, {"midnightblue", 0x191970}, {"mintcream", 0xf5fffa},
    {"mistyrose", 0xffe4e1}, {"moccasin", 0xffe4b5}, {"navajowhite", 0xffdead},
    {"navy", 0x000080}, {"oldlace", 0xfdf5e6}, {"olive", 0x808000},
    {"olivedrab", 0x6b8e23}, {"orange", 0xffa500}, {"orangered", 0xff4500},
    {"orchid", 0xda70d6}, {"palegoldenrod", 0xeee8aa}, {"palegreen", 0x98fb98},
    {"paleturquoise", 0xafeeee}, {"palevioletred", 0xdb7093}, {"papayawhip", 0xffefd5},
    {"peachpuff", 0xffdab9}, {"peru", 0xcd853f}, {"pink", 0xffc0cb},
    {"plum", 0xdda0dd}, {"powderblue", 0xb0e0e6}, {"purple", 0x800080},
    {"rebeccapurple", 0x663399}, {"red", 0xff0000}, {"rosybrown", 0xbc8f8f},
    {"royalblue", 0x4169e1}, {"saddlebrown", 0x8b4513}, {"salmon", 0xfa8072},
    {"sandybrown", 0xf4a460}, {"seagreen", 0x2e8b57}, {"seashell", 0xfff5ee},
    {"sienna", 0xa0522d}, {"silver", 0xc0c0c0}, {"skyblue", 0x87ceeb},
    {"slateblue", 0x6a5acd}, {"slategray", 0x708090}, {"slategrey", 0x708090},
    {"snow", 0xfffafa}, {"springgreen", 0x00ff7f}, {"steelblue", 0x4682b4},
    {"tan", 0xd2b48c}, {"teal", 0x008080}, {"thistle", 0xd8bfd8},
    {"tomato", 0xff6347}, {"turquoise", 0x40e0d0}, {"violet", 0xee82ee},
    {"wheat", 0xf5deb3}, {"white", 0xffffff}, {"whitesmoke", 0xf5f5f5},
    {"yellow", 0xffff00}, {"yellowgreen", 0x9acd32},
};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int name_cmp(const void *key, const void *elem)
{
    const char *a = key;
    const char *b = ((const named_color *)elem)->name;
    for (; *a && lower(*a) == *b; a++, b++)
        ;
    return (unsigned char)lower(*a) - (unsigned char)*b;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_hex(const char *s, size_t len, dl_color *out)
{
    int d[8];
    if (len != 3 && len != 4 && len != 6 && len != 8)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((d[i] = hex_digit(s[i])) < 0)
            return -1;
    double c[4] = {0, 0, 0, 255};
    if (len <= 4) {
        for (size_t i = 0; i < len; i++)
            c[i] = d[i] * 17;
    } else {
        for (size_t i = 0; i < len / 2; i++)
            c[i] = d[2 * i] * 16 + d[2 * i + 1];
    }
    *out = (dl_color){c[0] / 255, c[1] / 255, c[2] / 255, c[3] / 255};
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

typedef struct {
    double v;
    int percent;
    int degrees;
} component;

/* Splits "a, b, c" (the text between the parentheses) into at most 4
 * numbers, each optionally followed by '%' or "deg". */
static int parse_args(const char *s, size_t len, component *c, int *n)
{
    *n = 0;
    size_t i = 0;
    for (;;) {
        while (i < len && is_space(s[i]))
            i++;
        size_t start = i;
        while (i < len && s[i] != ',' && !is_space(s[i]) && s[i] != '%' && lower(s[i]) != 'd')
            i++;
        if (*n == 4)
            return -1;
        component *x = &c[(*n)++];
        *x = (component){0, 0, 0};
        if (dl_style_number(s + start, i - start, &x->v) != 0)
            return -1;
        if (i < len && s[i] == '%') {
            x->percent = 1;
            i++;
        } else if (i + 3 <= len && lower(s[i]) == 'd' && lower(s[i + 1]) == 'e' &&
                   lower(s[i + 2]) == 'g') {
            x->degrees = 1;
            i += 3;
        }
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            return 0;
        if (s[i] != ',')
            return -1;
        i++;
    }
}

/* A colour channel: 0..255 or a percentage. CSS would clamp out-of-range
 * values; a style checker does better to say they are wrong. */
static int channel(const component *c, double *out)
{
    if (c->degrees)
        return -1;
    double v = c->percent ? c->v / 100 : c->v / 255;
    if (v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

static int alpha(const component *c, double *out)
{
    if (c->degrees)
        return -1;
    double v = c->percent ? c->v / 100 : c->v;
    if (v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

static double hue_to_rgb(double m1, double m2, double h)
{
    if (h < 0)
        h += 1;
    if (h > 1)
        h -= 1;
    if (h * 6 < 1)
        return m1 + (m2 - m1) * h * 6;
    if (h * 2 < 1)
        return m2;
    if (h * 3 < 2)
        return m1 + (m2 - m1) * (2.0 / 3 - h) * 6;
    return m1;
}

static int parse_function(const char *s, size_t len, dl_color *out)
{
    size_t open = 0;
    while (open < len && s[open] != '(')
        open++;
    if (open == len || s[len - 1] != ')')
        return -1;
    char name[8];
    size_t nlen = open;
    while (nlen > 0 && is_space(s[nlen - 1]))
        nlen--;
    if (nlen == 0 || nlen >= sizeof name)
        return -1;
    for (size_t i = 0; i < nlen; i++)
        name[i] = lower(s[i]);
    name[nlen] = '\0';

    component c[4];
    int n;
    if (parse_args(s + open + 1, len - open - 2, c, &n) != 0 || n < 3)
        return -1;
    /* CSS Color 4 made rgb/rgba and hsl/hsla aliases: both take 3 or 4. */
    double a = 1;
    if (n == 4 && alpha(&c[3], &a) != 0)
        return -1;
    if (strcmp(name, "rgb") == 0 || strcmp(name, "rgba") == 0) {
        double r, g, b;
        if (channel(&c[0], &r) || channel(&c[1], &g) || channel(&c[2], &b))
            return -1;
        *out = (dl_color){r, g, b, a};
        return 0;
    }
    if (strcmp(name, "hsl") == 0 || strcmp(name, "hsla") == 0) {
        if (c[0].percent || !c[1].percent || !c[2].percent || c[1].degrees || c[2].degrees)
            return -1;
        double h = fmod(c[0].v, 360) / 360;
        if (h < 0)
            h += 1;
        double sat = c[1].v / 100, light = c[2].v / 100;
        if (sat < 0 || sat > 1 || light < 0 || light > 1)
            return -1;
        double m2 = light <= 0.5 ? light * (sat + 1) : light + sat - light * sat;
        double m1 = light * 2 - m2;
        *out = (dl_color){hue_to_rgb(m1, m2, h + 1.0 / 3), hue_to_rgb(m1, m2, h),
                          hue_to_rgb(m1, m2, h - 1.0 / 3), a};
        return 0;
    }
    return -1;
}

int dl_color_parse(const char *s, dl_color *out)
{
    if (!s)
        return -1;
    size_t len = strlen(s);
    while (len > 0 && is_space(s[len - 1]))
        len--;
    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    if (len == 0)
        return -1;
    dl_color c;
    if (s[0] == '#') {
        if (parse_hex(s + 1, len - 1, &c) != 0)
            return -1;
    } else if (memchr(s, '(', len)) {
        if (parse_function(s, len, &c) != 0)
            return -1;
    } else {
        char word[24];
        if (len >= sizeof word)
            return -1;
        memcpy(word, s, len);
        word[len] = '\0';
        if (name_cmp(word, &(named_color){"transparent", 0}) == 0) {
            c = (dl_color){0, 0, 0, 0};
        } else {
            const named_color *nc =
                bsearch(word, names, sizeof names / sizeof names[0], sizeof names[0], name_cmp);
            if (!nc)
                return -1;
            c = (dl_color){((nc->rgb >> 16) & 0xff) / 255.0, ((nc->rgb >> 8) & 0xff) / 255.0,
                           (nc->rgb & 0xff) / 255.0, 1};
        }
    }
    *out = c;
    return 0;
}
