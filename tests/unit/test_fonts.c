/* Fonts (src/render/fonts.c): the default font stack covers Chinese, Latin,
 * digits and common punctuation with no box, Han comes from Noto Sans CJK,
 * characters no font has are found in a layout and warned about once per
 * render. Needs FONTCONFIG_FILE=tests/fonts.conf (ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pango/pangofc-font.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dline.h"
#include "render/render_int.h"

typedef struct {
    cairo_surface_t *surface;
    cairo_t *cr;
    dline_ctx *ctx;
    dl_render *r;
    char warnings[4096];
    int nwarnings;
} canvas;

static void collect(const char *message, void *user)
{
    canvas *c = user;
    size_t n = strlen(c->warnings);
    snprintf(c->warnings + n, sizeof c->warnings - n, "%s\n", message);
    c->nwarnings++;
}

static void canvas_open(canvas *c)
{
    memset(c, 0, sizeof *c);
    c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 200, 100);
    c->cr = cairo_create(c->surface);
    c->ctx = dline_ctx_new();
    dline_ctx_set_warning_handler(c->ctx, collect, c);
    assert_int_equal(dl_render_new(c->ctx, c->cr, 200, 100, &c->r), DLINE_OK);
}

static void canvas_close(canvas *c)
{
    dl_render_free(c->r);
    cairo_destroy(c->cr);
    cairo_surface_destroy(c->surface);
    dline_ctx_free(c->ctx);
}

/* A style with one symbol layer that names no font, so every font is the
 * style's default. The caller frees it. */
static dl_style *default_style(void)
{
    char dir[] = "/tmp/dline-test-fonts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("size: [200, 100]\n"
          "title: \"x\"\n"
          "sources:\n"
          "  pts: pts.shp\n"
          "layers:\n"
          "  - {id: names, type: symbol, source: pts, layout: {text-field: \"{NAME}\"}}\n",
          f);
    assert_int_equal(fclose(f), 0);
    dline_ctx *ctx = dline_ctx_new();
    dl_style *s = NULL;
    assert_int_equal(dl_style_load(ctx, path, &s), DLINE_OK);
    dline_ctx_free(ctx);
    unlink(path);
    rmdir(dir);
    return s;
}

/* Han, Latin, digits and the punctuation maps use. */
static const char COMMON[] = "青浦区北斗创新基地 Qingpu Lianqiu Lake R&D Center 0123456789\n"
                             "“双引号” ‘单’ · — – … → ± ° ，。、：；！？（）《》【】 "
                             "\"quotes\" 'x' (a) [b] 3.5 km, 12% / 1:50000 - A+B=C?!";

static void no_boxes_with(canvas *c, const char *font, const char *weight)
{
    PangoFontDescription *fd = dl_render_font_new(font, weight, 14);
    PangoLayout *layout = pango_layout_new(dl_render_pango(c->r));
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, COMMON, -1);
    uint32_t missing[8];
    size_t n = dl_render_layout_missing(layout, missing, 8);
    if (n)
        fail_msg("font '%s': U+%04X has no glyph", font ? font : "(none)", (unsigned)missing[0]);
    assert_int_equal(pango_layout_get_unknown_glyphs_count(layout), 0);

    /* The Han comes from Noto Sans CJK, not a fallback. */
    PangoLayoutIter *it = pango_layout_get_iter(layout);
    PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
    assert_non_null(run);
    assert_int_equal(run->item->offset, 0);
    PangoFont *font0 = run->item->analysis.font;
    assert_true(PANGO_IS_FC_FONT(font0));
    FcChar8 *file = NULL;
    assert_int_equal(FcPatternGetString(pango_fc_font_get_pattern(PANGO_FC_FONT(font0)), FC_FILE,
                                        0, &file),
                     FcResultMatch);
    assert_non_null(strstr((const char *)file, "NotoSansCJK"));
    pango_layout_iter_free(it);
    g_object_unref(layout);
}

static void test_default_stack_covers_common_text(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c);
    dl_style *s = default_style();
    /* The style's defaults for labels, the title (bold) and furniture, and
     * the renderer's own when a font is NULL. */
    no_boxes_with(&c, s->layers[0].text_font, s->layers[0].text_weight);
    no_boxes_with(&c, s->title.font, NULL);
    no_boxes_with(&c, s->subtitle.font, NULL);
    no_boxes_with(&c, s->furniture.legend.font, NULL);
    no_boxes_with(&c, NULL, "bold");
    dl_style_free(s);
    assert_int_equal(c.nwarnings, 0);
    canvas_close(&c);
}

static void test_default_label_layout_no_warning(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c);
    dl_style *s = default_style();
    PangoLayout *layout = dl_render_label_layout(c.r, &s->layers[0], COMMON);
    assert_non_null(layout);
    assert_int_equal(pango_layout_get_unknown_glyphs_count(layout), 0);
    dl_render_warn_missing(c.ctx, c.r, layout, "layer 'names'");
    g_object_unref(layout);
    dl_style_free(s);
    assert_int_equal(c.nwarnings, 0);
    canvas_close(&c);
}

static void test_warned_set(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c);
    static const uint32_t in[] = {0x16A0, 0x41, 0x1F600, 0x16A0, 0xE000, 0x41, 0x10FFFF, 0};
    static const int fresh[] = {1, 1, 1, 0, 1, 0, 1, 1};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(dl_render_warned_add(c.r, in[i]), fresh[i]);
    assert_int_equal(c.r->nwarned, 6);
    for (size_t i = 1; i < c.r->nwarned; i++)
        assert_true(c.r->warned[i - 1] < c.r->warned[i]);
    /* Many more: the set grows and stays sorted. */
    for (uint32_t cp = 0x3000; cp > 0x2000; cp -= 7)
        assert_int_equal(dl_render_warned_add(c.r, cp), 1);
    for (uint32_t cp = 0x3000; cp > 0x2000; cp -= 7)
        assert_int_equal(dl_render_warned_add(c.r, cp), 0);
    for (size_t i = 1; i < c.r->nwarned; i++)
        assert_true(c.r->warned[i - 1] < c.r->warned[i]);
    canvas_close(&c);
}

static PangoLayout *plain_layout(canvas *c, const char *text)
{
    PangoFontDescription *fd = dl_render_font_new(NULL, NULL, 14);
    PangoLayout *layout = pango_layout_new(dl_render_pango(c->r));
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(layout, text, -1);
    return layout;
}

static void test_missing_found_and_warned_once(void **state)
{
    (void)state;
    canvas c;
    canvas_open(&c);
    /* Runic has no font under tests/fonts.conf; Han and Latin do. */
    PangoLayout *a = plain_layout(&c, "青浦 ᚠ Qingpu ᚢᚠ\nᚠ");
    uint32_t missing[8];
    assert_int_equal(dl_render_layout_missing(a, missing, 8), 2);
    assert_int_equal(missing[0], 0x16A0);
    assert_int_equal(missing[1], 0x16A2);
    dl_render_warn_missing(c.ctx, c.r, a, "layer 'runes'");
    dl_render_warn_missing(c.ctx, c.r, a, "layer 'runes'");
    PangoLayout *b = plain_layout(&c, "ᚢ ᚦ");
    dl_render_warn_missing(c.ctx, c.r, b, "title, subtitle or attribution");
    assert_string_equal(c.warnings,
                        "no font has U+16A0 'ᚠ' (layer 'runes'); it is drawn as a box\n"
                        "no font has U+16A2 'ᚢ' (layer 'runes'); it is drawn as a box\n"
                        "no font has U+16A6 'ᚦ' (title, subtitle or attribution); it is drawn "
                        "as a box\n");
    g_object_unref(a);
    g_object_unref(b);

    /* A new render warns again. */
    canvas d;
    canvas_open(&d);
    PangoLayout *e = plain_layout(&d, "ᚠ");
    dl_render_warn_missing(d.ctx, d.r, e, "layer 'x'");
    g_object_unref(e);
    assert_int_equal(d.nwarnings, 1);
    canvas_close(&d);
    canvas_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_stack_covers_common_text),
        cmocka_unit_test(test_default_label_layout_no_warning),
        cmocka_unit_test(test_warned_set),
        cmocka_unit_test(test_missing_found_and_warned_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
