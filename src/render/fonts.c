/* Fonts and coverage: which face fontconfig gives each font request of a
 * style (`dline fonts`), and which characters of a laid-out text no face has,
 * warned once per character per render instead of silently drawn as boxes. */
#include "render/render_int.h"

#include <pango/pangofc-font.h>
#include <stdlib.h>
#include <string.h>

/* Used when a style names no font, as in label.c and furniture.c. */
#define FALLBACK_FONT "Noto Sans CJK SC, DejaVu Sans, sans-serif"

int dl_render_warned_add(dl_render *r, uint32_t cp)
{
    size_t lo = 0, hi = r->nwarned;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->warned[mid] == cp)
            return 0;
        if (r->warned[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (r->nwarned == r->cap_warned) {
        size_t cap = r->cap_warned ? 2 * r->cap_warned : 16;
        uint32_t *p = dl_realloc_array(r->warned, cap, sizeof *p);
        if (!p)
            return -1;
        r->warned = p;
        r->cap_warned = cap;
    }
    memmove(r->warned + lo + 1, r->warned + lo, (r->nwarned - lo) * sizeof *r->warned);
    r->warned[lo] = cp;
    r->nwarned++;
    return 1;
}

size_t dl_render_layout_missing(PangoLayout *layout, uint32_t *out, size_t cap)
{
    if (pango_layout_get_unknown_glyphs_count(layout) == 0)
        return 0;
    const char *text = pango_layout_get_text(layout);
    size_t n = 0;
    PangoLayoutIter *it = pango_layout_get_iter(layout);
    do {
        PangoLayoutRun *run = pango_layout_iter_get_run_readonly(it);
        if (!run)
            continue;
        const PangoGlyphString *gs = run->glyphs;
        for (int i = 0; i < gs->num_glyphs; i++) {
            PangoGlyph g = gs->glyphs[i].glyph;
            if (!(g & PANGO_GLYPH_UNKNOWN_FLAG) || g == PANGO_GLYPH_INVALID_INPUT)
                continue;
            /* The cluster's first character; the unknown glyph carries it too. */
            uint32_t cp = g_utf8_get_char(text + run->item->offset + gs->log_clusters[i]);
            if (cp == 0)
                cp = g & ~PANGO_GLYPH_UNKNOWN_FLAG;
            int seen = 0;
            for (size_t k = 0; k < n && !seen; k++)
                seen = out[k] == cp;
            if (!seen && n < cap)
                out[n++] = cp;
        }
    } while (pango_layout_iter_next_run(it));
    pango_layout_iter_free(it);
    return n;
}

/* "U+16A0 'ᚠ'", or just "U+0007" for a control character. */
static void format_char(uint32_t cp, char *buf, size_t size)
{
    char u[8] = {0};
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || !g_unichar_validate(cp)) {
        snprintf(buf, size, "U+%04X", (unsigned)cp);
        return;
    }
    g_unichar_to_utf8(cp, u);
    snprintf(buf, size, "U+%04X '%s'", (unsigned)cp, u);
}

#define MISSING_MAX 64

void dl_render_warn_missing(dline_ctx *ctx, dl_render *r, PangoLayout *layout, const char *what)
{
    uint32_t cps[MISSING_MAX];
    size_t n = dl_render_layout_missing(layout, cps, MISSING_MAX);
    for (size_t i = 0; i < n; i++) {
        /* Out of memory for the set: warn again rather than not at all. */
        if (dl_render_warned_add(r, cps[i]) == 0)
            continue;
        char c[32];
        format_char(cps[i], c, sizeof c);
        dl_warn(ctx, NULL, 0, 0, "no font has %s (%s); it is drawn as a box", c, what);
    }
}

/* Names fontconfig resolves through its own configuration, not as a family. */
static int generic_family(const char *name)
{
    static const char *const generic[] = {"sans-serif", "sans", "serif", "monospace", "mono",
                                          "cursive", "fantasy", "system-ui", "emoji", "math"};
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        if (g_ascii_strcasecmp(name, generic[i]) == 0)
            return 1;
    return 0;
}

static int family_installed(dl_render *r, const char *name)
{
    if (!r->installed) {
        r->installed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        PangoFontFamily **fams = NULL;
        int n = 0;
        if (dl_render_pango(r))
            pango_font_map_list_families(r->fontmap, &fams, &n);
        for (int i = 0; i < n; i++)
            g_hash_table_add(r->installed, g_ascii_strdown(pango_font_family_get_name(fams[i]), -1));
        g_free(fams);
    }
    char *low = g_ascii_strdown(name, -1);
    int found = g_hash_table_contains(r->installed, low);
    g_free(low);
    return found;
}

/* Whether one of the families of a Pango family list is installed (or is a
 * generic name fontconfig resolves itself). */
static int any_installed(dl_render *r, const char *list)
{
    int any = 0;
    char **names = g_strsplit(list ? list : "", ",", -1);
    for (char **n = names; *n && !any; n++) {
        g_strstrip(*n);
        any = **n && (generic_family(*n) || family_installed(r, *n));
    }
    g_strfreev(names);
    return any;
}

int dl_render_fonts_installed(dl_render *r, const char *families)
{
    if (!families || !*families)
        return 1;
    /* Pango's own parse: "A, B Bold" is the families A and B, weight bold. */
    PangoFontDescription *fd = pango_font_description_from_string(families);
    int any = any_installed(r, pango_font_description_get_family(fd));
    pango_font_description_free(fd);
    return any;
}

const char *dl_render_fallback_fonts(void)
{
    return FALLBACK_FONT;
}

const char *dl_render_families(dl_render *r, const char *families)
{
    if (!families || !*families)
        return FALLBACK_FONT;
    if (!r->family_lists)
        r->family_lists = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *known = g_hash_table_lookup(r->family_lists, families);
    if (known) {
        if (!r->quiet_fonts && r->fonts_pending &&
            g_hash_table_remove(r->fonts_pending, families) && r->ctx)
            dl_warn(r->ctx, NULL, 0, 0, "font '%s' is not installed; using %s instead", families,
                    FALLBACK_FONT);
        return known;
    }
    PangoFontDescription *fd = pango_font_description_from_string(families);
    const char *list = pango_font_description_get_family(fd);
    int any = any_installed(r, list);
    char *use;
    if (any) {
        use = g_strdup(families);
    } else {
        char *more = g_strdup_printf("%s,%s", list ? list : "", FALLBACK_FONT);
        pango_font_description_set_family(fd, more);
        g_free(more);
        use = pango_font_description_to_string(fd);
        if (r->quiet_fonts) {
            if (!r->fonts_pending)
                r->fonts_pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            g_hash_table_add(r->fonts_pending, g_strdup(families));
        } else if (r->ctx) {
            dl_warn(r->ctx, NULL, 0, 0, "font '%s' is not installed; using %s instead", families,
                    FALLBACK_FONT);
        }
    }
    pango_font_description_free(fd);
    g_hash_table_insert(r->family_lists, g_strdup(families), use);
    return use;
}

/* One font request: what the style asks for and the face fontconfig gives. */
static void report_font(dl_render *r, FILE *out, const char *what, PangoFontDescription *fd)
{
    pango_font_description_unset_fields(fd, PANGO_FONT_MASK_SIZE);
    char *asked = pango_font_description_to_string(fd);
    /* Any size: fontconfig picks the same face for every size here. */
    pango_font_description_set_absolute_size(fd, 16 * PANGO_SCALE);
    PangoFont *font =
        dl_render_pango(r) ? pango_font_map_load_font(r->fontmap, r->pango, fd) : NULL;
    const char *family = NULL, *style = NULL, *file = NULL;
    if (font && PANGO_IS_FC_FONT(font)) {
        FcPattern *p = pango_fc_font_get_pattern(PANGO_FC_FONT(font));
        FcChar8 *s;
        if (p && FcPatternGetString(p, FC_FAMILY, 0, &s) == FcResultMatch)
            family = (const char *)s;
        if (p && FcPatternGetString(p, FC_STYLE, 0, &s) == FcResultMatch)
            style = (const char *)s;
        if (p && FcPatternGetString(p, FC_FILE, 0, &s) == FcResultMatch)
            file = (const char *)s;
    }
    if (family)
        fprintf(out, "%s: \"%s\" -> %s%s%s (%s)\n", what, asked, family, style ? " " : "",
                style ? style : "", file ? file : "no file");
    else
        fprintf(out, "%s: \"%s\" -> no font\n", what, asked);
    if (font)
        g_object_unref(font);
    g_free(asked);
}

static void report_desc(dl_render *r, FILE *out, const char *what, const char *desc)
{
    PangoFontDescription *fd = pango_font_description_from_string(dl_render_families(r, desc));
    report_font(r, out, what, fd);
    pango_font_description_free(fd);
}

/* Collects the missing characters of one text laid out as the render does,
 * the first place each is found in. */
typedef struct {
    uint32_t cp;
    char *where;  /* "layer places", "title", ... */
    long feature; /* the first feature with it; -1 when not a feature's label */
} missing_char;

typedef struct {
    missing_char *v;
    size_t n, cap;
} missing_list;

static int missing_add(missing_list *m, PangoLayout *layout, const char *where, long feature)
{
    uint32_t cps[MISSING_MAX];
    size_t n = dl_render_layout_missing(layout, cps, MISSING_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < m->n && !(m->v[k].cp == cps[i] && !strcmp(m->v[k].where, where)))
            k++;
        if (k < m->n)
            continue;
        if (m->n == m->cap) {
            size_t cap = m->cap ? 2 * m->cap : 16;
            missing_char *p = dl_realloc_array(m->v, cap, sizeof *p);
            if (!p)
                return -1;
            m->v = p;
            m->cap = cap;
        }
        if (!(m->v[m->n].where = dl_strdup(where)))
            return -1;
        m->v[m->n].feature = feature;
        m->v[m->n++].cp = cps[i];
    }
    return 0;
}

static int check_text(dl_render *r, missing_list *m, const char *desc, double size,
                      const char *text, const char *where)
{
    if (!text || !*text)
        return 0;
    PangoContext *pc = dl_render_pango(r);
    PangoLayout *layout = pc ? pango_layout_new(pc) : NULL;
    if (!layout)
        return -1;
    PangoFontDescription *fd = pango_font_description_from_string(dl_render_families(r, desc));
    pango_font_description_set_absolute_size(fd, (size > 0 ? size : 16) * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    char *valid = g_utf8_make_valid(text, -1);
    pango_layout_set_text(layout, valid, -1);
    g_free(valid);
    int rc = missing_add(m, layout, where, -1);
    g_object_unref(layout);
    return rc;
}

static int legend_shown(const dl_style *s)
{
    if (s->furniture.legend.enabled == 0)
        return 0;
    for (size_t i = 0; i < s->nlayers; i++)
        if (s->layers[i].legend)
            return 1;
    return 0;
}

dline_status dl_render_fonts_report(dline_ctx *ctx, dl_render *r, const dl_style *s, FILE *out,
                                    size_t *nmissing)
{
    *nmissing = 0;
    char what[256];
    for (size_t i = 0; i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (l->type != DL_LAYER_SYMBOL || !l->text_field)
            continue;
        snprintf(what, sizeof what, "layer %s", l->id);
        PangoFontDescription *fd =
            dl_render_font_new(dl_render_families(r, l->text_font), l->text_weight, 16);
        report_font(r, out, what, fd);
        pango_font_description_free(fd);
        if (l->text_field_secondary) {
            snprintf(what, sizeof what, "layer %s secondary", l->id);
            fd = dl_render_font_new(dl_render_families(r, l->text_font_secondary
                                                              ? l->text_font_secondary
                                                              : l->text_font),
                                    l->text_weight_secondary ? l->text_weight_secondary
                                                             : "normal",
                                    16);
            report_font(r, out, what, fd);
            pango_font_description_free(fd);
        }
    }
    const struct {
        const char *name;
        const dl_style_text *t;
    } blocks[] = {{"title", &s->title}, {"subtitle", &s->subtitle},
                  {"attribution", &s->attribution}};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (blocks[i].t->text && *blocks[i].t->text)
            report_desc(r, out, blocks[i].name, blocks[i].t->font);
    const dl_style_furniture *fu = &s->furniture;
    if (legend_shown(s))
        report_desc(r, out, "legend", fu->legend.font);
    if (fu->scale_bar.enabled)
        report_desc(r, out, "scale-bar", fu->scale_bar.font);
    if (fu->north_arrow.enabled)
        report_desc(r, out, "north-arrow", fu->north_arrow.font);
    if (fu->graticule.enabled && fu->graticule.labels)
        report_desc(r, out, "graticule", fu->graticule.font);

    /* Every text the render would lay out, in the layouts it would use. */
    missing_list m = {0};
    int rc = 0;
    for (size_t i = 0; i < r->nlabels && rc == 0; i++) {
        const dl_label *l = &r->labels[i];
        if (!(l->layer->text_size > 0))
            continue; /* not drawn either */
        PangoLayout *layout = dl_render_queued_layout(r, l);
        if (!layout) {
            rc = -1;
            break;
        }
        snprintf(what, sizeof what, "layer %s", l->layer->id);
        rc = missing_add(&m, layout, what, l->has_feature ? l->feature : -1);
        g_object_unref(layout);
    }
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0] && rc == 0; i++)
        rc = check_text(r, &m, blocks[i].t->font, blocks[i].t->size, blocks[i].t->text,
                        blocks[i].name);
    if (rc == 0 && legend_shown(s)) {
        if (fu->legend.title && *fu->legend.title) {
            char bold[512];
            snprintf(bold, sizeof bold, "%s Bold", fu->legend.font ? fu->legend.font
                                                                   : FALLBACK_FONT);
            rc = check_text(r, &m, bold, fu->legend.size, fu->legend.title, "legend");
        }
        for (size_t i = 0; i < s->nlayers && rc == 0; i++)
            rc = check_text(r, &m, fu->legend.font, fu->legend.size, s->layers[i].legend,
                            "legend");
    }
    /* The scale bar's ticks are digits and its unit (m, km, ft, mi, nmi); the
     * arrow says "N". */
    if (rc == 0 && fu->scale_bar.enabled)
        rc = check_text(r, &m, fu->scale_bar.font, fu->scale_bar.size, "0123456789. kmftin",
                        "scale-bar");
    if (rc == 0 && fu->north_arrow.enabled)
        rc = check_text(r, &m, fu->north_arrow.font, fu->north_arrow.size, "N", "north-arrow");
    /* Graticule labels: digits, the degree, minute and second signs, the
     * hemisphere letters and the decimal point (121°05′E, 31.25°N). */
    if (rc == 0 && fu->graticule.enabled && fu->graticule.labels)
        rc = check_text(r, &m, fu->graticule.font, fu->graticule.size,
                        "0123456789.\u00b0\u2032\u2033NSEW", "graticule");

    if (rc == 0 && m.n == 0)
        fputs("missing: none\n", out);
    for (size_t i = 0; rc == 0 && i < m.n; i++) {
        char c[32];
        format_char(m.v[i].cp, c, sizeof c);
        if (m.v[i].feature >= 0)
            fprintf(out, "missing: %s in %s (feature %ld)\n", c, m.v[i].where, m.v[i].feature);
        else
            fprintf(out, "missing: %s in %s\n", c, m.v[i].where);
    }
    *nmissing = m.n;
    for (size_t i = 0; i < m.n; i++)
        free(m.v[i].where);
    free(m.v);
    if (rc != 0)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "fonts: out of memory");
    return DLINE_OK;
}
