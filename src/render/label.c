/* Labels and text blocks: Pango layout, placement around the anchor without
 * collisions (a uniform grid over obstacles and placed labels), leader lines
 * for labels pushed further out, text along lines, halo then fill. */
#include "render/render_int.h"
#include "render/halo.h"
#include "render/raster.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Used when a style names no font; "sans-serif" alone is not enough under a
 * pinned fonts.conf without the generic aliases. */
#define DEFAULT_FONT "Noto Sans CJK SC, DejaVu Sans, sans-serif"
/* Space between a label and its point (or its circle) when text-offset is
 * not given, in ems. */
#define AUTO_GAP_EM 0.2

static PangoFontDescription *font_new(const char *families, const char *weight, double size)
{
    PangoFontDescription *fd =
        pango_font_description_from_string(families && *families ? families : DEFAULT_FONT);
    if (weight && *weight) {
        char *end;
        long w = strtol(weight, &end, 10);
        if (*end == '\0' && w >= 100 && w <= 1000) {
            pango_font_description_set_weight(fd, (PangoWeight)w);
        } else if (g_ascii_strcasecmp(weight, "normal") == 0 ||
                   g_ascii_strcasecmp(weight, "regular") == 0) {
            pango_font_description_set_weight(fd, PANGO_WEIGHT_NORMAL);
        } else {
            /* Pango knows "bold", "light", "semibold", ... */
            PangoFontDescription *wd = pango_font_description_from_string(weight);
            if (pango_font_description_get_set_fields(wd) & PANGO_FONT_MASK_WEIGHT)
                pango_font_description_set_weight(fd, pango_font_description_get_weight(wd));
            pango_font_description_free(wd);
        }
    }
    /* User space is 1 unit = 1 px, so an absolute size is a size in px.
     * Pango keeps sizes in an int of 1/1024 px: stay well inside it. */
    pango_font_description_set_absolute_size(fd, fmin(size, 100000.0) * PANGO_SCALE);
    return fd;
}

PangoFontDescription *dl_render_font_new(const char *families, const char *weight, double size)
{
    return font_new(families, weight, size);
}

static PangoLayout *layout_new(dl_render *r, const char *families, const char *weight,
                               double size, double line_height_em, double wrap_px,
                               PangoAlignment align, const char *text)
{
    PangoContext *pc = dl_render_pango(r);
    PangoLayout *layout = pc ? pango_layout_new(pc) : NULL;
    if (!layout)
        return NULL;
    PangoFontDescription *fd = font_new(dl_render_families(r, families), weight, size);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    pango_layout_set_alignment(layout, align);
    if (wrap_px > 0 && wrap_px * PANGO_SCALE < INT32_MAX) {
        pango_layout_set_width(layout, (int)(wrap_px * PANGO_SCALE));
        pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    }
    if (line_height_em > 0 && line_height_em * size * PANGO_SCALE < INT32_MAX) {
        /* Every line gets exactly this logical height (baseline to baseline,
         * as MapLibre's text-line-height) whatever the font's own leading. */
        PangoAttrList *attrs = pango_attr_list_new();
        pango_attr_list_insert(attrs, pango_attr_line_height_new_absolute(
                                          (int)lround(line_height_em * size * PANGO_SCALE)));
        pango_layout_set_attributes(layout, attrs);
        pango_attr_list_unref(attrs);
    }
    pango_layout_set_text(layout, text, -1);
    return layout;
}

PangoLayout *dl_render_label_layout(dl_render *r, const dl_style_layer *layer, const char *text)
{
    double wrap = layer->text_max_width > 0 ? layer->text_max_width * layer->text_size : 0;
    return layout_new(r, layer->text_font, layer->text_weight, layer->text_size,
                      layer->text_line_height, wrap, PANGO_ALIGN_CENTER, text);
}

double dl_render_secondary_size(const dl_style_layer *layer)
{
    return layer->text_size_secondary > 0 ? layer->text_size_secondary : 0.8 * layer->text_size;
}

/* The label's text and, when it has one, its secondary line: one layout in
 * which the secondary text (after a line break) carries its own font, size
 * and line height as attributes, so justification treats both as one block. */
static PangoLayout *label_layout(dl_render *r, const dl_style_layer *layer, const char *text,
                                 const char *secondary)
{
    if (!secondary || !*secondary)
        return dl_render_label_layout(r, layer, text);
    size_t n1 = strlen(text), n2 = strlen(secondary);
    char *all = malloc(n1 + n2 + 2);
    if (!all)
        return NULL;
    memcpy(all, text, n1);
    all[n1] = '\n';
    memcpy(all + n1 + 1, secondary, n2 + 1);
    PangoLayout *layout = dl_render_label_layout(r, layer, all);
    free(all);
    if (!layout)
        return NULL;
    double size2 = dl_render_secondary_size(layer);
    const char *font2 = layer->text_font_secondary ? layer->text_font_secondary : layer->text_font;
    PangoFontDescription *fd = font_new(dl_render_families(r, font2), layer->text_weight_secondary
                                                   ? layer->text_weight_secondary
                                                   : "normal",
                                        size2);
    PangoAttrList *attrs = pango_layout_get_attributes(layout);
    attrs = attrs ? pango_attr_list_copy(attrs) : pango_attr_list_new();
    PangoAttribute *a = pango_attr_font_desc_new(fd);
    a->start_index = (guint)(n1 + 1);
    a->end_index = G_MAXUINT;
    pango_attr_list_insert(attrs, a);
    pango_font_description_free(fd);
    double lh = layer->text_line_height;
    if (lh > 0 && lh * size2 * PANGO_SCALE < INT32_MAX) {
        a = pango_attr_line_height_new_absolute((int)lround(lh * size2 * PANGO_SCALE));
        a->start_index = (guint)(n1 + 1);
        a->end_index = G_MAXUINT;
        pango_attr_list_change(attrs, a);
    }
    pango_layout_set_attributes(layout, attrs);
    pango_attr_list_unref(attrs);
    return layout;
}

/* Point-label layouts by everything that shapes them: texts, fonts, sizes,
 * wrapping, line height and alignment. Maps repeat names (every station
 * "x站", every dot "x"), and shaping is most of a label's cost, so each
 * distinct label is shaped once per render. GLib's hash table (Pango's own
 * dependency) holds them; the key is the fields' bytes, each string
 * prefixed by its length, so keys of different labels differ (no printf:
 * formatting numbers cost more than the lookup). At LAYOUT_CACHE_MAX
 * entries the cache is emptied: memory stays bounded whatever the number
 * of distinct labels. */
#define LAYOUT_CACHE_MAX 4096

static guint key_hash(gconstpointer p)
{
    const GByteArray *k = p;
    guint h = 2166136261u; /* FNV-1a */
    for (guint i = 0; i < k->len; i++)
        h = (h ^ k->data[i]) * 16777619u;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const GByteArray *x = a, *y = b;
    return x->len == y->len && memcmp(x->data, y->data, x->len) == 0;
}

static void key_str(GByteArray *k, const char *s)
{
    size_t n = s ? strlen(s) + 1 : 0; /* 0: NULL, 1: "" */
    g_byte_array_append(k, (const guint8 *)&n, sizeof n);
    if (s)
        g_byte_array_append(k, (const guint8 *)s, (guint)(n - 1));
}

static void key_num(GByteArray *k, double v)
{
    g_byte_array_append(k, (const guint8 *)&v, sizeof v);
}

static void key_free(gpointer p)
{
    g_byte_array_unref(p);
}

static PangoLayout *cached_label_layout(dl_render *r, const dl_style_layer *layer,
                                        const char *text, const char *secondary,
                                        PangoAlignment align, int *fresh)
{
    *fresh = 0;
    if (!r->layouts) {
        r->layouts = g_hash_table_new_full(key_hash, key_equal, key_free, g_object_unref);
        r->layout_key = g_byte_array_sized_new(128);
    }
    GByteArray *k = r->layout_key;
    g_byte_array_set_size(k, 0);
    int two = secondary && *secondary;
    key_str(k, text);
    key_str(k, two ? secondary : NULL);
    key_str(k, layer->text_font);
    key_str(k, layer->text_weight);
    key_num(k, layer->text_size);
    key_num(k, layer->text_max_width);
    key_num(k, layer->text_line_height);
    if (two) {
        key_str(k, layer->text_font_secondary);
        key_str(k, layer->text_weight_secondary);
        key_num(k, layer->text_size_secondary);
    }
    key_num(k, (double)align);
    PangoLayout *layout = g_hash_table_lookup(r->layouts, k);
    if (layout)
        return g_object_ref(layout);
    layout = label_layout(r, layer, text, secondary);
    if (!layout)
        return NULL;
    pango_layout_set_alignment(layout, align);
    *fresh = 1;
    if (g_hash_table_size(r->layouts) >= LAYOUT_CACHE_MAX)
        g_hash_table_remove_all(r->layouts);
    GByteArray *copy = g_byte_array_sized_new(k->len);
    g_byte_array_append(copy, k->data, k->len);
    g_hash_table_insert(r->layouts, copy, g_object_ref(layout));
    return layout;
}

void dl_render_layout_cache_free(dl_render *r)
{
    if (r->layouts)
        g_hash_table_destroy(r->layouts);
    if (r->layout_key)
        g_byte_array_unref(r->layout_key);
    r->layouts = NULL;
    r->layout_key = NULL;
}

/* The logical box of a layout in px, relative to the layout origin. */
static dl_box layout_box(PangoLayout *layout)
{
    PangoRectangle logical;
    pango_layout_get_extents(layout, NULL, &logical);
    dl_box b = {(double)logical.x / PANGO_SCALE, (double)logical.y / PANGO_SCALE,
                (double)(logical.x + logical.width) / PANGO_SCALE,
                (double)(logical.y + logical.height) / PANGO_SCALE};
    return b;
}

/* The device-space box of the current path grown by grow px, on whole
 * pixels: x0, y0, width, height. */
static void device_box(cairo_t *cr, double grow, int box[4])
{
    double x0, y0, x1, y1, d[4];
    cairo_path_extents(cr, &x0, &y0, &x1, &y1);
    dl_render_device_extents(cr, x0, y0, x1, y1, d);
    double dx0 = floor(d[0] - grow), dy0 = floor(d[1] - grow);
    double dx1 = ceil(d[2] + grow), dy1 = ceil(d[3] + grow);
    /* Labels sit on the page; anything far off it is not drawn. */
    if (!(dx0 > -1e6 && dy0 > -1e6 && dx1 < 1e6 && dy1 < 1e6 && dx1 > dx0 && dy1 > dy0)) {
        box[0] = box[1] = box[2] = box[3] = 0;
        return;
    }
    box[0] = (int)dx0;
    box[1] = (int)dy0;
    box[2] = (int)(dx1 - dx0);
    box[3] = (int)(dy1 - dy0);
}

/* The flat path (device space: cairo_copy_path_flat under an identity
 * matrix) moved by (-x0, -y0) and filled, non-zero, into the w x h 8-bit
 * mask data (stride) by raster.c, each pixel's exact covered area. 0, or
 * -1 when memory ran out (the mask is then cleared). */
static int fill_a8(const cairo_path_t *flat, int x0, int y0, unsigned char *data, int stride,
                   int w, int h)
{
    dl_raster *R = dl_raster_new();
    double *xy = NULL;
    size_t n = 0, cap = 0;
    int rc = R ? 0 : -1;
    if (R)
        dl_raster_reset(R, 0, 0, w, h);
    for (int i = 0; rc == 0 && i < flat->num_data; i += flat->data[i].header.length) {
        const cairo_path_data_t *d = &flat->data[i];
        if (d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_CLOSE_PATH) {
            if (n >= 3)
                dl_raster_polygon(R, xy, n);
            n = 0;
        }
        if (d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_LINE_TO) {
            if (n == cap) {
                size_t c = cap ? cap * 2 : 256;
                double *p = realloc(xy, c * 2 * sizeof *xy);
                if (!p) {
                    rc = -1;
                    break;
                }
                xy = p;
                cap = c;
            }
            xy[2 * n] = d[1].point.x - x0;
            xy[2 * n + 1] = d[1].point.y - y0;
            n++;
        }
    }
    if (rc == 0 && n >= 3)
        dl_raster_polygon(R, xy, n);
    if (rc == 0)
        rc = dl_raster_write_a8(R, data, stride);
    if (rc != 0)
        memset(data, 0, (size_t)stride * (size_t)h);
    free(xy);
    dl_raster_free(R);
    return rc;
}

/* Paints cr's source through the halo, r device px wide, of the text
 * whose outline is flat (device space, see fill_a8) over the device box
 * `box`: the outline filled into an A8 mask by raster.c (a third of the
 * instructions of Cairo's fill, which samples 15 sub-rows a pixel row),
 * dilated by dl_halo_dilate(). 0 with *text the outline's own coverage
 * mask (the caller paints the text through it and destroys it; NULL when
 * the box is empty), or -1 when the masks could not be made (the caller
 * then strokes instead). */
static int mask_halo(cairo_t *cr, const cairo_path_t *flat, double r, const int box[4],
                     cairo_surface_t **text)
{
    int w = box[2], h = box[3];
    *text = NULL;
    if (w <= 0 || h <= 0)
        return 0;
    if ((size_t)w * (size_t)h > (size_t)1 << 26)
        return -1;
    cairo_surface_t *cov = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
    cairo_surface_t *out = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
    int rc = -1;
    if (cairo_surface_status(cov) || cairo_surface_status(out))
        goto done;
    cairo_surface_flush(cov);
    cairo_surface_flush(out);
    if (fill_a8(flat, box[0], box[1], cairo_image_surface_get_data(cov),
                cairo_image_surface_get_stride(cov), w, h) != 0)
        goto done;
    cairo_surface_mark_dirty(cov);
    if (dl_halo_dilate(cairo_image_surface_get_data(cov), w, h,
                       cairo_image_surface_get_stride(cov), r,
                       cairo_image_surface_get_data(out)) != 0)
        goto done;
    cairo_surface_mark_dirty(out);
    cairo_save(cr);
    cairo_identity_matrix(cr);
    cairo_mask_surface(cr, out, box[0], box[1]);
    cairo_restore(cr);
    rc = 0;
    *text = cov;
    cov = NULL;
done:
    cairo_surface_destroy(cov);
    cairo_surface_destroy(out);
    return rc;
}

/* Halo then fill of the current path (cr's user space), which it clears.
 * Below full opacity the two fade as one group, so the halo does not show
 * through the text. On vector surfaces the halo is the path stroked twice
 * as wide as the halo (only the outer half shows once the text is filled
 * over it); on images it is the text's coverage dilated (mask_halo), which
 * costs a fraction of stroking glyph outlines, and the group is clipped to
 * the label first so that Cairo sizes it to the label, not the page. */
static void halo_fill_path(cairo_t *cr, int image, dl_color color, dl_color halo,
                           double halo_width, double opacity)
{
    int with_halo = halo_width > 0 && halo.a > 0;
    int group = opacity < 1;
    /* The outline flat in device space for the masks (Cairo keeps paths in
     * device space: read back under an identity matrix), and a copy to
     * draw again inside a group. */
    int masks = image && with_halo && cairo_get_antialias(cr) != CAIRO_ANTIALIAS_NONE;
    cairo_path_t *path = NULL, *flat = NULL;
    int box[4] = {0, 0, 0, 0};
    double r = 0;
    cairo_save(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    if (masks) {
        cairo_save(cr);
        cairo_identity_matrix(cr);
        flat = cairo_copy_path_flat(cr);
        cairo_restore(cr);
    }
    if (group)
        path = cairo_copy_path(cr);
    if ((masks && (!flat || flat->status != CAIRO_STATUS_SUCCESS)) ||
        (group && (!path || path->status != CAIRO_STATUS_SUCCESS))) {
        cairo_path_destroy(flat);
        cairo_path_destroy(path);
        cairo_new_path(cr);
        cairo_restore(cr);
        return;
    }
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    if (image) {
        r = with_halo ? halo_width * sqrt(fabs(m.xx * m.yy - m.xy * m.yx)) : 0;
        device_box(cr, r + 2, box);
    }
    if (group) {
        cairo_new_path(cr);
        if (image) {
            cairo_identity_matrix(cr);
            cairo_rectangle(cr, box[0], box[1], box[2], box[3]);
            cairo_clip(cr);
            cairo_set_matrix(cr, &m);
        }
        dl_cr_push_group(cr);
        cairo_append_path(cr, path);
    }
    /* On images the text is painted through the coverage mask the halo was
     * dilated from, rather than filled a second time: the same coverage,
     * composited through a mask (at most 1 level apart from a fill, at a few
     * hundred of the flagship's pixels), for a third of the text's cost. */
    cairo_surface_t *text = NULL;
    int masked = 0;
    if (with_halo) {
        cairo_set_source_rgba(cr, halo.r, halo.g, halo.b, halo.a);
        if (masks && mask_halo(cr, flat, r, box, &text) == 0) {
            masked = 1;
        } else {
            cairo_set_line_width(cr, 2 * halo_width);
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
            cairo_set_dash(cr, NULL, 0, 0);
            dl_cr_stroke_preserve(cr);
        }
    }
    cairo_set_source_rgba(cr, color.r, color.g, color.b, color.a);
    if (masked) {
        cairo_new_path(cr);
        if (text) {
            cairo_save(cr);
            cairo_identity_matrix(cr);
            cairo_mask_surface(cr, text, box[0], box[1]);
            cairo_restore(cr);
            cairo_surface_destroy(text);
        }
    } else {
        dl_cr_fill(cr);
    }
    if (group)
        dl_cr_pop_group_paint(cr, opacity < 0 ? 0 : opacity);
    cairo_new_path(cr);
    cairo_restore(cr);
    cairo_path_destroy(path);
    cairo_path_destroy(flat);
}

/* Draws the layout with its origin at x,y, halo then fill (halo_fill_path).
 *
 * On images the text is filled as the same outline path: Cairo 1.16 puts
 * image glyphs on whole device pixels, which would shift the text against
 * its halo and against the PDF/SVG render by up to half a pixel. PDF keeps
 * real text so that it can be searched and copied, over a stroked halo. */
void dl_render_draw_layout(cairo_t *cr, PangoLayout *layout, double x, double y, dl_color color,
                           dl_color halo, double halo_width, double opacity)
{
    if (dl_svg_of(cr)) {
        double f[4] = {color.r, color.g, color.b, color.a}, h[4] = {halo.r, halo.g, halo.b, halo.a};
        dl_svg_text(cr, layout, x, y, f, h, halo_width, opacity < 0 ? 0 : opacity);
        return;
    }
    int image = cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE;
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_move_to(cr, x, y);
    if (image) {
        pango_cairo_layout_path(cr, layout);
        halo_fill_path(cr, 1, color, halo, halo_width, opacity);
        cairo_restore(cr);
        return;
    }
    int group = opacity < 1;
    if (group)
        dl_cr_push_group(cr);
    if (halo_width > 0 && halo.a > 0) {
        pango_cairo_layout_path(cr, layout);
        cairo_set_line_width(cr, 2 * halo_width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgba(cr, halo.r, halo.g, halo.b, halo.a);
        dl_cr_stroke(cr);
    }
    cairo_set_source_rgba(cr, color.r, color.g, color.b, color.a);
    cairo_new_path(cr);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    if (group)
        dl_cr_pop_group_paint(cr, opacity < 0 ? 0 : opacity);
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* A copy of text as valid UTF-8: Pango warns on invalid UTF-8, and bad
 * bytes from a mis-declared encoding become U+FFFD here instead. */
static char *utf8_copy(const char *text)
{
    if (g_utf8_validate(text, -1, NULL))
        return dl_strdup(text);
    char *valid = g_utf8_make_valid(text, -1);
    char *copy = dl_strdup(valid);
    g_free(valid);
    return copy;
}

dline_status dl_render_queue(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                             const dl_label_spec *spec)
{
    const char *id = layer->id ? layer->id : "";
    int has_text = spec->text && *spec->text;
    if (!has_text && !layer->icon_image)
        return DLINE_OK;
    if (spec->line ? spec->nline < 2 : (!isfinite(spec->x) || !isfinite(spec->y)))
        return DLINE_OK;
    if (r->nlabels >= DL_MAX_LABELS)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': more than %d labels", id,
                        DL_MAX_LABELS);
    if (r->nlabels == r->cap_labels) {
        size_t cap = r->cap_labels ? r->cap_labels * 2 : 64;
        dl_label *p = dl_realloc_array(r->labels, cap, sizeof *p);
        if (!p)
            return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory", id);
        r->labels = p;
        r->cap_labels = cap;
    }
    dl_label l;
    memset(&l, 0, sizeof l);
    l.layer = layer;
    l.x = spec->x;
    l.y = spec->y;
    l.sort_key = isfinite(spec->sort_key) ? spec->sort_key : 0;
    l.seq = r->nlabels;
    l.smooth = spec->smooth;
    l.has_feature = spec->has_feature;
    l.feature = spec->feature;
    l.text = utf8_copy(has_text ? spec->text : "");
    int ok = l.text != NULL;
    if (ok && spec->secondary && *spec->secondary)
        ok = (l.secondary = utf8_copy(spec->secondary)) != NULL;
    if (ok && spec->line) {
        l.line = dl_calloc_array(spec->nline, 2 * sizeof *l.line);
        if ((ok = l.line != NULL)) {
            memcpy(l.line, spec->line, spec->nline * 2 * sizeof *l.line);
            l.nline = spec->nline;
            /* A line label's anchor, for the debug output: its first vertex. */
            l.x = spec->line[0];
            l.y = spec->line[1];
        }
    }
    if (ok && spec->own_layer) {
        /* Shares the base layer's expressions, which the style owns; its
         * fonts and icon may be per feature (in a buffer the next feature
         * overwrites), so they are the label's own. */
        if ((ok = (l.owned_layer = malloc(sizeof *l.owned_layer)) != NULL)) {
            *l.owned_layer = *layer;
            l.layer = l.owned_layer;
            char **own[] = {&l.owned_layer->text_font, &l.owned_layer->text_weight,
                            &l.owned_layer->text_font_secondary,
                            &l.owned_layer->text_weight_secondary, &l.owned_layer->icon_image};
            for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
                l.owned_text[k] = *own[k] ? dl_strdup(*own[k]) : NULL;
                ok &= !*own[k] || l.owned_text[k] != NULL;
                *own[k] = l.owned_text[k];
            }
        }
    }
    if (!ok) {
        free(l.text);
        free(l.secondary);
        free(l.line);
        free(l.owned_layer);
        for (size_t k = 0; k < sizeof l.owned_text / sizeof l.owned_text[0]; k++)
            free(l.owned_text[k]);
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory", id);
    }
    r->labels[r->nlabels++] = l;
    return DLINE_OK;
}

dline_status dl_render_queue_label(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                   const char *text, double x, double y)
{
    dl_label_spec spec = {.text = text, .x = x, .y = y};
    return dl_render_queue(ctx, r, layer, &spec);
}

void dl_render_clear_labels(dl_render *r)
{
    for (size_t i = 0; i < r->nlabels; i++) {
        free(r->labels[i].text);
        free(r->labels[i].secondary);
        free(r->labels[i].line);
        free(r->labels[i].parts);
        free(r->labels[i].owned_layer);
        for (size_t k = 0; k < sizeof r->labels[i].owned_text / sizeof r->labels[i].owned_text[0];
             k++)
            free(r->labels[i].owned_text[k]);
        if (r->labels[i].layout)
            g_object_unref(r->labels[i].layout);
    }
    r->nlabels = 0;
    r->labels_done = 0;
}

void dl_render_label_counts(const dl_render *r, size_t *placed, size_t *dropped)
{
    if (placed)
        *placed = r->placed;
    if (dropped)
        *dropped = r->dropped;
}

/* A uniform grid over the map: each cell lists the boxes and circles that
 * touch it (index * 2, + 1 for circles), so a candidate is tested only
 * against its neighbours. Things off the map land in the edge cells. */
typedef struct {
    size_t *items;
    size_t n, cap;
} cell;

typedef struct {
    double size;
    size_t cols, rows;
    cell *cells;
} grid;

static int grid_init(grid *g, double width, double height)
{
    g->size = fmax(64.0, ceil(fmax(width, height) / 256));
    g->cols = (size_t)ceil(width / g->size) + 1;
    g->rows = (size_t)ceil(height / g->size) + 1;
    g->cells = dl_calloc_array(g->cols * g->rows, sizeof *g->cells);
    return g->cells ? 0 : -1;
}

static void grid_free(grid *g)
{
    if (!g->cells)
        return;
    for (size_t i = 0; i < g->cols * g->rows; i++)
        free(g->cells[i].items);
    free(g->cells);
}

static size_t cell_index(double v, double size, size_t n)
{
    double c = floor(v / size);
    if (!(c > 0)) /* also NaN */
        return 0;
    if (c >= (double)(n - 1))
        return n - 1;
    return (size_t)c;
}

static void grid_span(const grid *g, dl_box b, size_t *c0, size_t *c1, size_t *r0, size_t *r1)
{
    *c0 = cell_index(b.x0, g->size, g->cols);
    *c1 = cell_index(b.x1, g->size, g->cols);
    *r0 = cell_index(b.y0, g->size, g->rows);
    *r1 = cell_index(b.y1, g->size, g->rows);
}

static int grid_add(grid *g, dl_box b, size_t item)
{
    size_t c0, c1, r0, r1;
    grid_span(g, b, &c0, &c1, &r0, &r1);
    for (size_t row = r0; row <= r1; row++) {
        for (size_t col = c0; col <= c1; col++) {
            cell *c = &g->cells[row * g->cols + col];
            if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 8;
                size_t *p = dl_realloc_array(c->items, cap, sizeof *p);
                if (!p)
                    return -1;
                c->items = p;
                c->cap = cap;
            }
            c->items[c->n++] = item;
        }
    }
    return 0;
}

static dl_box circle_box(dl_circle c)
{
    dl_box b = {c.x - c.r, c.y - c.r, c.x + c.r, c.y + c.r};
    return b;
}

static int boxes_overlap(dl_box a, dl_box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static int box_hits_circle(dl_box b, dl_circle c)
{
    double nx = fmin(fmax(c.x, b.x0), b.x1);
    double ny = fmin(fmax(c.y, b.y0), b.y1);
    double dx = c.x - nx, dy = c.y - ny;
    return dx * dx + dy * dy < c.r * c.r;
}

/* The circles drawn at a label's own point are its symbol: they push the
 * label out by their radius instead of blocking it. */
static int is_own_circle(dl_circle c, double x, double y)
{
    return fabs(c.x - x) < 0.01 && fabs(c.y - y) < 0.01;
}

static int collides(const dl_render *r, const grid *g, dl_box b, double ax, double ay)
{
    size_t c0, c1, r0, r1;
    grid_span(g, b, &c0, &c1, &r0, &r1);
    for (size_t row = r0; row <= r1; row++) {
        for (size_t col = c0; col <= c1; col++) {
            const cell *c = &g->cells[row * g->cols + col];
            for (size_t k = 0; k < c->n; k++) {
                size_t item = c->items[k];
                if (item & 1) {
                    dl_circle ci = r->circles[item >> 1];
                    if (!is_own_circle(ci, ax, ay) && box_hits_circle(b, ci))
                        return 1;
                } else if (boxes_overlap(b, r->boxes[item >> 1])) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

static double own_radius(const dl_render *r, const grid *g, double x, double y)
{
    dl_box b = {x, y, x, y};
    size_t c0, c1, r0, r1;
    grid_span(g, b, &c0, &c1, &r0, &r1);
    const cell *c = &g->cells[r0 * g->cols + c0];
    double rad = 0;
    for (size_t k = 0; k < c->n; k++) {
        size_t item = c->items[k];
        if ((item & 1) && is_own_circle(r->circles[item >> 1], x, y))
            rad = fmax(rad, r->circles[item >> 1].r);
    }
    return rad;
}

/* Which part of the box sits on the anchor, as fractions of its size. */
static void anchor_fraction(dl_anchor a, double *fx, double *fy)
{
    *fx = 0.5;
    *fy = 0.5;
    switch (a) {
    case DL_ANCHOR_CENTER: break;
    case DL_ANCHOR_LEFT: *fx = 0; break;
    case DL_ANCHOR_RIGHT: *fx = 1; break;
    case DL_ANCHOR_TOP: *fy = 0; break;
    case DL_ANCHOR_BOTTOM: *fy = 1; break;
    case DL_ANCHOR_TOP_LEFT: *fx = 0; *fy = 0; break;
    case DL_ANCHOR_TOP_RIGHT: *fx = 1; *fy = 0; break;
    case DL_ANCHOR_BOTTOM_LEFT: *fx = 0; *fy = 1; break;
    case DL_ANCHOR_BOTTOM_RIGHT: *fx = 1; *fy = 1; break;
    }
}

typedef struct {
    dl_anchor anchor; /* the part of the label at the point */
    double dx, dy;    /* unit direction from the point */
} candidate;

#define DIAG 0.70710678118654752
#define PI 3.14159265358979323846
/* Leader lines: rings at 2, 3 and 4 times the near distance, each tried in
 * 16 directions (the 8 usual ones first, then those between them). */
#define LEADER_RING_FIRST 2
#define LEADER_RING_LAST 4
#define LEADER_DIRS 16
/* Line labels: positions tried around each repeat, as multiples of a tenth of
 * the spacing. */
#define LINE_SHIFTS 9

/* Label to the right, left, above, below, then the four diagonals. */
static const candidate auto_candidates[8] = {
    {DL_ANCHOR_LEFT, 1, 0},
    {DL_ANCHOR_RIGHT, -1, 0},
    {DL_ANCHOR_BOTTOM, 0, -1},
    {DL_ANCHOR_TOP, 0, 1},
    {DL_ANCHOR_BOTTOM_LEFT, DIAG, -DIAG},
    {DL_ANCHOR_BOTTOM_RIGHT, -DIAG, -DIAG},
    {DL_ANCHOR_TOP_LEFT, DIAG, DIAG},
    {DL_ANCHOR_TOP_RIGHT, -DIAG, DIAG},
};

/* The way a label moves off its point for an anchor: away from the side
 * that sits on the point (none for center). */
static candidate candidate_of(dl_anchor a)
{
    double fx, fy;
    anchor_fraction(a, &fx, &fy);
    double dx = 1 - 2 * fx, dy = 1 - 2 * fy, len = hypot(dx, dy);
    candidate c = {a, len > 0 ? dx / len : 0, len > 0 ? dy / len : 0};
    return c;
}

/* Leader segments already drawn: later labels keep off them. */
typedef struct {
    grid g;
    double *leaders; /* x0, y0, x1, y1 each */
    size_t nleaders, cap;
    size_t first_icon_circle; /* r->circles from here on are round placed icons */
} placer;

static dl_box grow(dl_box b, double pad)
{
    dl_box g = {b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad};
    return g;
}

/* The label box stays inside the map by its padding (at least the frame pad). */
static int inside_frame(const dl_render *r, dl_box b, double pad)
{
    double p = fmax(pad, DL_LABEL_FRAME_PAD);
    return b.x0 >= p && b.y0 >= p && b.x1 <= r->width - p && b.y1 <= r->height - p;
}

/* Whether segment a-b passes through the inside of box bx (Liang-Barsky). */
static int segment_hits_box(double ax, double ay, double bx_, double by, dl_box bx)
{
    double t0 = 0, t1 = 1, dx = bx_ - ax, dy = by - ay;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {ax - bx.x0, bx.x1 - ax, ay - bx.y0, bx.y1 - ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] <= 0)
                return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0) {
            if (t > t1)
                return 0;
            if (t > t0)
                t0 = t;
        } else {
            if (t < t0)
                return 0;
            if (t < t1)
                t1 = t;
        }
    }
    return t0 < t1;
}

static int segment_hits_circle(double ax, double ay, double bx, double by, dl_circle c)
{
    double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((c.x - ax) * dx + (c.y - ay) * dy) / len2 : 0;
    t = fmin(fmax(t, 0), 1);
    double nx = ax + t * dx - c.x, ny = ay + t * dy - c.y;
    return nx * nx + ny * ny < c.r * c.r;
}

/* A padded candidate box is free: inside the frame, clear of placed labels,
 * obstacles, other circles and leader lines. */
static int box_free(const dl_render *r, const placer *P, dl_box b, double pad, double ax,
                    double ay, int overlap)
{
    if (!inside_frame(r, b, pad))
        return 0;
    if (overlap)
        return 1;
    dl_box pb = grow(b, pad);
    if (collides(r, &P->g, pb, ax, ay))
        return 0;
    for (size_t i = 0; i < P->nleaders; i++) {
        const double *s = P->leaders + 4 * i;
        if (segment_hits_box(s[0], s[1], s[2], s[3], pb))
            return 0;
    }
    return 1;
}

/* The halo on each side of a leader: text-leader-halo-width, else the
 * text's halo capped at 1 px. A leader is a hairline: a halo as wide as
 * the text's (often 2-3 px) would turn it into a white band across the map. */
static double leader_halo_width(const dl_style_layer *layer)
{
    if (layer->text_leader_halo_width >= 0)
        return layer->text_leader_halo_width;
    return fmin(fmax(layer->text_halo_width, 0), 1);
}

/* How far a leader's casing reaches each side of its line (0 without one):
 * the casing is drawn over what is already on the map, so the leader keeps
 * that far from other circles, labels and obstacles, or its halo would bite
 * into them. */
static double leader_clearance(const dl_style_layer *layer)
{
    double halo = leader_halo_width(layer), width = layer->text_leader_width;
    if (!(halo > 0) || !(layer->text_halo_color.a > 0) || !(width > 0))
        return 0;
    return width / 2 + halo;
}

/* A leader line, clear by `clear` px, crosses no placed label, obstacle or
 * other circle. */
static int leader_free(const dl_render *r, const placer *P, const double s[4], double ax,
                       double ay, double clear)
{
    dl_box b = {fmin(s[0], s[2]) - clear, fmin(s[1], s[3]) - clear, fmax(s[0], s[2]) + clear,
                fmax(s[1], s[3]) + clear};
    size_t c0, c1, r0, r1;
    grid_span(&P->g, b, &c0, &c1, &r0, &r1);
    for (size_t row = r0; row <= r1; row++) {
        for (size_t col = c0; col <= c1; col++) {
            const cell *c = &P->g.cells[row * P->g.cols + col];
            for (size_t k = 0; k < c->n; k++) {
                size_t item = c->items[k];
                if (item & 1) {
                    dl_circle ci = r->circles[item >> 1];
                    ci.r += clear;
                    if (!is_own_circle(ci, ax, ay) &&
                        segment_hits_circle(s[0], s[1], s[2], s[3], ci))
                        return 0;
                } else if (segment_hits_box(s[0], s[1], s[2], s[3],
                                            grow(r->boxes[item >> 1], clear))) {
                    return 0;
                }
            }
        }
    }
    return 1;
}

/* Finds a place for point label l whose box (halo included) is w x h; 1 and
 * *out, *fx_out (which side faces the point, for justification) and maybe a
 * leader in l when one is free. */
static int place_label(const dl_render *r, const placer *P, dl_label *l, double w, double h,
                       dl_box *out, double *fx_out)
{
    const dl_style_layer *layer = l->layer;
    double size = layer->text_size;
    double pad = layer->text_padding > 0 ? layer->text_padding : 0;
    int overlap = layer->text_allow_overlap;
    double ox = layer->text_offset[0] * size, oy = layer->text_offset[1] * size;
    double fx, fy;
    if (!layer->text_nvariable_anchor && !layer->text_anchor_auto) {
        anchor_fraction(layer->text_anchor, &fx, &fy);
        double x = l->x - fx * w + ox, y = l->y - fy * h + oy;
        dl_box b = {x, y, x + w, y + h};
        if (!box_free(r, P, b, pad, l->x, l->y, overlap))
            return 0;
        *out = b;
        *fx_out = fx;
        return 1;
    }
    candidate cands[9];
    size_t ncands = 0;
    if (layer->text_nvariable_anchor) {
        for (int i = 0; i < layer->text_nvariable_anchor && i < 9; i++)
            cands[ncands++] = candidate_of(layer->text_variable_anchor[i]);
    } else {
        memcpy(cands, auto_candidates, sizeof auto_candidates);
        ncands = 8;
    }
    double gap = layer->has_text_radial_offset ? layer->text_radial_offset * size
                                                : hypot(ox, oy);
    if (!(gap > 0) && !layer->has_text_radial_offset)
        gap = AUTO_GAP_EM * size;
    double rad = own_radius(r, &P->g, l->x, l->y), dist = rad + gap;
    for (size_t i = 0; i < ncands; i++) {
        anchor_fraction(cands[i].anchor, &fx, &fy);
        double x = l->x - fx * w + cands[i].dx * dist, y = l->y - fy * h + cands[i].dy * dist;
        dl_box b = {x, y, x + w, y + h};
        if (box_free(r, P, b, pad, l->x, l->y, overlap)) {
            *out = b;
            *fx_out = fx;
            return 1;
        }
    }
    if (!layer->text_leader || overlap)
        return 0;

    /* Further out, with a leader line back to the point. */
    static const int order[LEADER_DIRS] = {0, 8, 12, 4, 14, 10, 2, 6, 15, 9, 13, 11, 1, 7, 3, 5};
    double base = fmax(dist, 0.75 * size);
    double threshold = layer->text_leader_threshold > 0 ? layer->text_leader_threshold : 1.5 * dist;
    for (int k = LEADER_RING_FIRST; k <= LEADER_RING_LAST; k++) {
        for (int j = 0; j < LEADER_DIRS; j++) {
            double a = order[j] * 2 * PI / LEADER_DIRS;
            double dx = cos(a), dy = sin(a);
            /* The box corner or side nearest the point faces it. */
            fx = 0.5 - 0.5 * fmin(fmax(dx * 1.5, -1), 1);
            fy = 0.5 - 0.5 * fmin(fmax(dy * 1.5, -1), 1);
            double x = l->x + dx * k * base - fx * w, y = l->y + dy * k * base - fy * h;
            dl_box b = {x, y, x + w, y + h};
            if (!box_free(r, P, b, pad, l->x, l->y, 0))
                continue;
            double nx = fmin(fmax(l->x, b.x0), b.x1), ny = fmin(fmax(l->y, b.y0), b.y1);
            double d = hypot(nx - l->x, ny - l->y);
            if (d > threshold) {
                double s[4] = {l->x + (nx - l->x) / d * rad, l->y + (ny - l->y) / d * rad, nx, ny};
                if (!leader_free(r, P, s, l->x, l->y, leader_clearance(layer)))
                    continue;
                l->has_leader = 1;
                memcpy(l->leader, s, sizeof s);
            }
            *out = b;
            *fx_out = fx < 0.25 ? 0 : fx > 0.75 ? 1 : 0.5;
            return 1;
        }
    }
    return 0;
}

/* A line flattened to px vertices with the arc length at each. */
typedef struct {
    double *xy, *cum;
    size_t n;
} polyline;

static void polyline_free(polyline *pl)
{
    free(pl->xy);
    free(pl->cum);
}

/* The line as drawn: the smooth curve of a connect-smooth line is the one
 * render.c strokes, flattened by Cairo. Repeated vertices are dropped. */
static int polyline_of(dl_render *r, const dl_label *l, polyline *pl)
{
    memset(pl, 0, sizeof *pl);
    const double *src = l->line;
    size_t n = l->nline;
    cairo_path_t *path = NULL;
    double *tmp = NULL;
    if (l->smooth && l->nline > 2) {
        cairo_save(r->cr);
        cairo_new_path(r->cr);
        dl_render_path_smooth(r->cr, l->line, l->nline);
        path = cairo_copy_path_flat(r->cr);
        cairo_new_path(r->cr);
        cairo_restore(r->cr);
        if (!path || path->status != CAIRO_STATUS_SUCCESS) {
            cairo_path_destroy(path);
            return -1;
        }
        tmp = dl_calloc_array((size_t)path->num_data + 1, 2 * sizeof *tmp);
        if (!tmp) {
            cairo_path_destroy(path);
            return -1;
        }
        n = 0;
        for (int i = 0; i < path->num_data; i += path->data[i].header.length) {
            const cairo_path_data_t *d = &path->data[i];
            if (d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_LINE_TO) {
                tmp[2 * n] = d[1].point.x;
                tmp[2 * n + 1] = d[1].point.y;
                n++;
            }
        }
        cairo_path_destroy(path);
        src = tmp;
    }
    pl->xy = dl_calloc_array(n ? n : 1, 2 * sizeof *pl->xy);
    pl->cum = dl_calloc_array(n ? n : 1, sizeof *pl->cum);
    if (!pl->xy || !pl->cum) {
        free(tmp);
        polyline_free(pl);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double x = src[2 * i], y = src[2 * i + 1];
        if (!isfinite(x) || !isfinite(y))
            continue;
        if (pl->n > 0) {
            double d = hypot(x - pl->xy[2 * pl->n - 2], y - pl->xy[2 * pl->n - 1]);
            if (!(d > 1e-9))
                continue;
            pl->cum[pl->n] = pl->cum[pl->n - 1] + d;
        }
        pl->xy[2 * pl->n] = x;
        pl->xy[2 * pl->n + 1] = y;
        pl->n++;
    }
    free(tmp);
    return 0;
}

/* Point and unit tangent at arc length s (extrapolated past the ends). */
static void at_length(const polyline *pl, double s, double *x, double *y, double *tx, double *ty)
{
    size_t lo = 0, hi = pl->n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (pl->cum[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    const double *a = pl->xy + 2 * lo, *b = pl->xy + 2 * (lo + 1);
    double seg = pl->cum[lo + 1] - pl->cum[lo];
    *tx = (b[0] - a[0]) / seg;
    *ty = (b[1] - a[1]) / seg;
    double f = s - pl->cum[lo];
    *x = a[0] + *tx * f;
    *y = a[1] + *ty * f;
}

/* Where a line label's text sits: from arc length s0 over w px, reversed to
 * stay upright, lifted by the text-offset's y. */
typedef struct {
    const polyline *pl;
    double s0, w, x0, yc, lift;
    int rev;
} along;

/* Maps a point of the laid-out text (layout px) onto the line. */
static void along_map(const along *A, double xl, double yl, double *x, double *y)
{
    double px, py, tx, ty;
    double t = xl - A->x0;
    at_length(A->pl, A->rev ? A->s0 + A->w - t : A->s0 + t, &px, &py, &tx, &ty);
    if (A->rev) {
        tx = -tx;
        ty = -ty;
    }
    double off = yl - A->yc + A->lift;
    *x = px - ty * off;
    *y = py + tx * off;
}

/* Whether the direction turns by more than max_angle between samples half an
 * em apart over the label's span (MapLibre's text-max-angle). */
static int too_curved(const polyline *pl, double s0, double w, double step, double max_angle)
{
    double prev = 0;
    int n = (int)fmin(ceil(w / step), 10000);
    for (int k = 0; k <= n; k++) {
        double x, y, tx, ty;
        at_length(pl, s0 + w * k / (n > 0 ? n : 1), &x, &y, &tx, &ty);
        double a = atan2(ty, tx);
        if (k > 0) {
            double d = fabs(a - prev);
            if (d > PI)
                d = 2 * PI - d;
            if (d > max_angle)
                return 1;
        }
        prev = a;
    }
    return 0;
}

/* Draws the text path mapped onto the line: each flattened outline point is
 * moved by the arc-length parameterisation, long edges subdivided first so
 * glyphs bend with the curve. Halo then fill as draw_layout does on images. */
static void along_map_fn(const void *A, double xl, double yl, double *x, double *y)
{
    along_map(A, xl, yl, x, y);
}

static void draw_along(cairo_t *cr, PangoLayout *layout, const along *A, dl_color color,
                       dl_color halo, double halo_width, double opacity)
{
    if (dl_svg_of(cr)) {
        /* Real text, one character cluster at a time along the curve. */
        double f[4] = {color.r, color.g, color.b, color.a}, h[4] = {halo.r, halo.g, halo.b, halo.a};
        dl_svg_text_along(cr, layout, along_map_fn, A, f, h, halo_width,
                          opacity < 0 ? 0 : opacity);
        return;
    }
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_move_to(cr, 0, 0);
    pango_cairo_layout_path(cr, layout);
    cairo_path_t *text = cairo_copy_path_flat(cr);
    cairo_new_path(cr);
    if (!text || text->status != CAIRO_STATUS_SUCCESS) {
        cairo_path_destroy(text);
        cairo_restore(cr);
        return;
    }
    double lx = 0, ly = 0, sx = 0, sy = 0;
    for (int i = 0; i < text->num_data; i += text->data[i].header.length) {
        const cairo_path_data_t *d = &text->data[i];
        double tx = lx, ty = ly;
        int close = d->header.type == CAIRO_PATH_CLOSE_PATH;
        if (d->header.type == CAIRO_PATH_MOVE_TO) {
            lx = sx = d[1].point.x;
            ly = sy = d[1].point.y;
            double x, y;
            along_map(A, lx, ly, &x, &y);
            cairo_move_to(cr, x, y);
            continue;
        }
        if (close) {
            tx = sx;
            ty = sy;
        } else if (d->header.type == CAIRO_PATH_LINE_TO) {
            tx = d[1].point.x;
            ty = d[1].point.y;
        } else {
            continue;
        }
        int steps = (int)ceil(hypot(tx - lx, ty - ly) / 1.0);
        if (steps < 1)
            steps = 1;
        if (steps > 1000)
            steps = 1000;
        for (int k = 1; k <= steps; k++) {
            double x, y;
            along_map(A, lx + (tx - lx) * k / steps, ly + (ty - ly) * k / steps, &x, &y);
            cairo_line_to(cr, x, y);
        }
        if (close)
            cairo_close_path(cr);
        lx = tx;
        ly = ty;
    }
    cairo_path_destroy(text);
    int image = cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE;
    halo_fill_path(cr, image, color, halo, halo_width, opacity);
    cairo_restore(cr);
}

static int add_part(dl_label *l, dl_box b)
{
    dl_box *p = dl_realloc_array(l->parts, l->nparts + 1, sizeof *p);
    if (!p)
        return -1;
    l->parts = p;
    p[l->nparts++] = b;
    return 0;
}

static dl_box box_union(dl_box a, dl_box b)
{
    dl_box u = {fmin(a.x0, b.x0), fmin(a.y0, b.y0), fmax(a.x1, b.x1), fmax(a.y1, b.y1)};
    return u;
}

/* Places and draws a symbol-placement line label: one text every
 * symbol-spacing px (at least one, in the middle), each moved along the line
 * until it is free, not too curved and inside the map. Collisions use
 * squares of the text's height along the path. 0, or -1 when out of memory. */
static int place_along(dl_render *r, placer *P, dl_label *l, PangoLayout *layout)
{
    const dl_style_layer *layer = l->layer;
    double size = layer->text_size;
    double halo = layer->text_halo_width > 0 ? layer->text_halo_width : 0;
    double pad = layer->text_padding > 0 ? layer->text_padding : 0;
    polyline pl;
    if (polyline_of(r, l, &pl) != 0)
        return -1;
    dl_box lb = layout_box(layout);
    double w = lb.x1 - lb.x0, h = lb.y1 - lb.y0;
    double len = pl.n >= 2 ? pl.cum[pl.n - 1] : 0;
    if (pl.n < 2 || !(w > 0) || len < w + 2 * halo) {
        polyline_free(&pl);
        return 0;
    }
    double spacing = layer->symbol_spacing > 1 ? layer->symbol_spacing : 1;
    double nrep_d = floor(len / spacing);
    size_t nrep = nrep_d < 1 ? 1 : nrep_d > 1000 ? 1000 : (size_t)nrep_d;
    double max_angle = (layer->text_max_angle >= 0 ? layer->text_max_angle : 45) * PI / 180;
    double side = h + 2 * halo, step = side / 2;
    size_t nparts = (size_t)ceil(w / step) + 1;
    double shift = 0.1 * fmin(spacing, len);
    for (size_t i = 0; i < nrep; i++) {
        double centre = len * ((double)i + 0.5) / (double)nrep;
        /* A label offset from its line (text-offset y) that finds no room
         * on its side tries the same positions on the other side, as a
         * cartographer would rather than drop the name. */
        double lift = layer->text_offset[1] * size;
        int done = 0;
        for (int sd = 0; sd < (lift != 0 ? 2 : 1) && !done; sd++) {
            for (int k = 0; k < LINE_SHIFTS; k++) {
                int m = (k + 1) / 2 * (k % 2 ? 1 : -1);
                double s0 = centre + m * shift - w / 2;
                if (s0 < halo || s0 + w > len - halo)
                    continue;
                if (too_curved(&pl, s0, w, fmax(size / 2, 1), max_angle))
                    continue;
                along A = {&pl, s0, w, lb.x0, (lb.y0 + lb.y1) / 2, sd ? -lift : lift,
                            0};
                double xa, ya, xb, yb;
                along_map(&A, lb.x0, A.yc, &xa, &ya);
                along_map(&A, lb.x1, A.yc, &xb, &yb);
                A.rev = xb < xa;
                int ok = 1;
                for (size_t j = 0; j < nparts && ok; j++) {
                    double cx, cy;
                    along_map(&A, lb.x0 + w * (double)j / (double)(nparts - 1), A.yc, &cx, &cy);
                    dl_box b = {cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2};
                    ok = box_free(r, P, b, pad, NAN, NAN, layer->text_allow_overlap);
                }
                if (!ok)
                    continue;
                for (size_t j = 0; j < nparts; j++) {
                    double cx, cy;
                    along_map(&A, lb.x0 + w * (double)j / (double)(nparts - 1), A.yc, &cx, &cy);
                    dl_box b = {cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2};
                    if (add_part(l, b) != 0 || dl_render_push_box(r, grow(b, pad)) != 0 ||
                        grid_add(&P->g, grow(b, pad), (r->nboxes - 1) * 2) != 0) {
                        polyline_free(&pl);
                        return -1;
                    }
                    l->box = l->placed ? box_union(l->box, b) : b;
                    l->placed = 1;
                }
                draw_along(r->cr, layout, &A, layer->text_color, layer->text_halo_color, halo,
                           layer->text_opacity);
                done = 1;
                break;
            }
        }
    }
    polyline_free(&pl);
    return 0;
}

static dline_status render_error(dline_ctx *ctx, const dl_render *r, const char *id)
{
    return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "layer '%s': %s", id ? id : "",
                    cairo_status_to_string(cairo_status(r->cr)));
}

/* symbol-sort-key ascending, then queue order: a total order, so the result
 * does not depend on qsort. */
static int compare_labels(const void *a, const void *b)
{
    const dl_label *p = a, *q = b;
    if (p->sort_key != q->sort_key)
        return p->sort_key < q->sort_key ? -1 : 1;
    return (p->seq > q->seq) - (p->seq < q->seq);
}

/* A leader over its casing: text-halo-color stroked leader + 2 x halo wide,
 * both with round caps, so the line stays readable over busy ground. The
 * casing starts one halo width further from the point: its cap then reaches
 * no further into the point's circle or icon than the leader's own cap does.
 * Below full text-opacity both fade as one group, as a label's text and halo
 * do, so the casing does not show through the leader. */
static void draw_leader(cairo_t *cr, const dl_label *l)
{
    const dl_style_layer *layer = l->layer;
    double width = layer->text_leader_width;
    if (!(width > 0))
        return;
    dl_color c = layer->has_text_leader_color ? layer->text_leader_color : layer->text_color;
    dl_color hc = layer->text_halo_color;
    double opacity = fmin(fmax(layer->text_opacity, 0), 1);
    const double *s = l->leader;
    double dx = s[2] - s[0], dy = s[3] - s[1], len = hypot(dx, dy);
    double halo = leader_halo_width(layer);
    int casing = halo > 0 && hc.a > 0 && len > halo;
    int group = casing && opacity < 1;
    double alpha = group ? 1 : opacity;
    cairo_save(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_dash(cr, NULL, 0, 0);
    if (group)
        dl_cr_push_group(cr);
    if (casing) {
        cairo_new_path(cr);
        cairo_move_to(cr, s[0] + dx / len * halo, s[1] + dy / len * halo);
        cairo_line_to(cr, s[2], s[3]);
        cairo_set_line_width(cr, width + 2 * halo);
        cairo_set_source_rgba(cr, hc.r, hc.g, hc.b, hc.a * alpha);
        dl_cr_stroke(cr);
    }
    cairo_new_path(cr);
    cairo_move_to(cr, s[0], s[1]);
    cairo_line_to(cr, s[2], s[3]);
    cairo_set_line_width(cr, width);
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * alpha);
    dl_cr_stroke(cr);
    if (group)
        dl_cr_pop_group_paint(cr, opacity);
    cairo_restore(cr);
}

/* Icons (icon-image). A point's icon stands in the grid as a circle round
 * the icon box (its centre, half its diagonal), and its text is anchored at
 * that centre: the text goes around the icon as around a circle layer's
 * circle, and other labels and icons keep off it. */

/* Whether b hits the circle of another label's icon centred on x,y: box_free
 * takes every circle at a label's point for its own (a circle layer's dot
 * under the icon), but an icon another layer put on the same point is not. */
static int hits_icon_at(const dl_render *r, const placer *P, dl_box b, double x, double y)
{
    const grid *g = &P->g;
    size_t c0, c1, r0, r1;
    grid_span(g, b, &c0, &c1, &r0, &r1);
    for (size_t row = r0; row <= r1; row++)
        for (size_t col = c0; col <= c1; col++) {
            const cell *c = &g->cells[row * g->cols + col];
            for (size_t k = 0; k < c->n; k++) {
                size_t item = c->items[k];
                if (!(item & 1) || (item >> 1) < P->first_icon_circle)
                    continue;
                dl_circle ci = r->circles[item >> 1];
                if (is_own_circle(ci, x, y) && box_hits_circle(b, ci))
                    return 1;
            }
        }
    return 0;
}

/* Finds room for a point's icon and marks it taken: 1 (l->has_icon set when
 * the icon could be loaded; l->x, l->y then move to the icon's centre), 0
 * when there is no room, -1 out of memory. */
static int place_point_icon(dl_render *r, placer *P, dl_label *l, const dl_icon **icon)
{
    const dl_style_layer *layer = l->layer;
    *icon = dl_render_icon_get(r, layer->icon_image);
    if (!*icon || !(layer->icon_size > 0))
        return 1;
    l->icon_box = dl_render_icon_box(*icon, layer, l->x, l->y, layer->icon_rotate);
    if (!box_free(r, P, l->icon_box, 0, l->x, l->y, layer->icon_allow_overlap) ||
        (!layer->icon_allow_overlap && hits_icon_at(r, P, l->icon_box, l->x, l->y)))
        return 0;
    dl_box b = l->icon_box;
    dl_circle c = {(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2, hypot(b.x1 - b.x0, b.y1 - b.y0) / 2};
    if (dl_render_push_circle(r, c) != 0 ||
        grid_add(&P->g, circle_box(c), (r->ncircles - 1) * 2 + 1) != 0)
        return -1;
    l->has_icon = 1;
    l->x = c.x;
    l->y = c.y;
    return 1;
}

/* Takes back the circle of place_point_icon, the last one added. */
static void unplace_point_icon(dl_render *r, placer *P, dl_label *l)
{
    dl_circle c = r->circles[r->ncircles - 1];
    size_t c0, c1, r0, r1;
    grid_span(&P->g, circle_box(c), &c0, &c1, &r0, &r1);
    for (size_t row = r0; row <= r1; row++)
        for (size_t col = c0; col <= c1; col++) {
            cell *ce = &P->g.cells[row * P->g.cols + col];
            if (ce->n > 0 && ce->items[ce->n - 1] == (r->ncircles - 1) * 2 + 1)
                ce->n--;
        }
    r->ncircles--;
    l->has_icon = 0;
}

/* symbol-placement line with icon-image: markers every symbol-spacing px (at
 * least one, in the middle), turned with the line unless
 * icon-rotation-alignment is viewport; one with no room is left out. 0, or
 * -1 when out of memory, -2 when ctx was cancelled (a marker on a big image
 * is a composite of the whole surface, so a cancel is seen per marker). */
static int place_icons_along(dline_ctx *ctx, dl_render *r, placer *P, dl_label *l)
{
    const dl_style_layer *layer = l->layer;
    const dl_icon *icon = dl_render_icon_get(r, layer->icon_image);
    if (!icon || !(layer->icon_size > 0))
        return 0;
    polyline pl;
    if (polyline_of(r, l, &pl) != 0)
        return -1;
    double len = pl.n >= 2 ? pl.cum[pl.n - 1] : 0;
    double spacing = layer->symbol_spacing > 1 ? layer->symbol_spacing : 1;
    double nrep_d = floor(len / spacing);
    size_t nrep = pl.n < 2 ? 0 : nrep_d < 1 ? 1 : nrep_d > 10000 ? 10000 : (size_t)nrep_d;
    double shift = 0.1 * fmin(spacing, len);
    for (size_t i = 0; i < nrep; i++) {
        if (dl_check_cancel(ctx) != DLINE_OK) {
            polyline_free(&pl);
            return -2;
        }
        /* As line labels: moved along the line in steps when blocked. */
        for (int k = 0; k < LINE_SHIFTS; k++) {
            int m = (k + 1) / 2 * (k % 2 ? 1 : -1);
            double at = len * ((double)i + 0.5) / (double)nrep + m * shift;
            if (at < 0 || at > len)
                continue;
            double x, y, tx, ty;
            at_length(&pl, at, &x, &y, &tx, &ty);
            double deg = layer->icon_rotate;
            if (layer->icon_rotation_alignment != 2)
                deg += atan2(ty, tx) * 180 / PI;
            dl_box b = dl_render_icon_box(icon, layer, x, y, deg);
            if (!box_free(r, P, b, 0, NAN, NAN, layer->icon_allow_overlap))
                continue;
            if (add_part(l, b) != 0 || dl_render_push_box(r, b) != 0 ||
                grid_add(&P->g, b, (r->nboxes - 1) * 2) != 0) {
                polyline_free(&pl);
                return -1;
            }
            l->box = l->placed ? box_union(l->box, b) : b;
            l->placed = 1;
            dl_render_icon_draw(r->cr, icon, layer, x, y, deg);
            break;
        }
    }
    polyline_free(&pl);
    return 0;
}

static char *one_line(const char *text)
{
    char *s = dl_strdup(text);
    for (char *p = s; p && *p; p++)
        if (*p == '\n')
            *p = ' ';
    return s;
}

/* The same layouts dl_render_labels makes below. */
PangoLayout *dl_render_queued_layout(dl_render *r, const dl_label *l)
{
    const dl_style_layer *layer = l->layer;
    if (!l->line)
        return label_layout(r, layer, l->text, l->secondary);
    char *flat = one_line(l->text);
    PangoLayout *layout = flat ? layout_new(r, layer->text_font, layer->text_weight,
                                            layer->text_size, 0, 0, PANGO_ALIGN_LEFT, flat)
                               : NULL;
    free(flat);
    return layout;
}

/* Each label's layout as dl_render_labels would make it first (one line
 * for a line label, else the centred layout, through the cache), shaped. */
void dl_render_prepare_labels(dline_ctx *ctx, dl_render *r)
{
    size_t made = 0;
    r->quiet_fonts = 1;
    for (size_t i = r->labels_done; i < r->nlabels && made < DL_PREPARE_MAX; i++) {
        if (dl_check_cancel(ctx) != DLINE_OK)
            break;
        dl_label *l = &r->labels[i];
        const dl_style_layer *layer = l->layer;
        /* What dl_render_labels lays out: text of a positive size. */
        if (l->layout || !(layer->text_size > 0) || !*l->text)
            continue;
        PangoLayout *layout;
        int fresh = 1;
        if (l->line) {
            char *flat = one_line(l->text);
            layout = flat ? layout_new(r, layer->text_font, layer->text_weight, layer->text_size,
                                       0, 0, PANGO_ALIGN_LEFT, flat)
                          : NULL;
            free(flat);
        } else {
            layout = cached_label_layout(r, layer, l->text, l->secondary, PANGO_ALIGN_CENTER,
                                         &fresh);
        }
        if (!layout)
            break;
        /* Shaped now: the lines, their glyphs (and the count of unknown
         * ones) and the extents are kept in the layout (a layout from the
         * cache already has them). */
        if (fresh) {
            PangoRectangle logical;
            pango_layout_get_extents(layout, NULL, &logical);
            made++;
        }
        l->layout_missing = pango_layout_get_unknown_glyphs_count(layout) > 0;
        l->layout = layout;
    }
    r->quiet_fonts = 0;
}

/* A label's layout shaped ahead, handed to the placement (the caller
 * unrefs it): its fonts are looked up again first, in the order
 * label_layout and layout_new look them up, and not quietly now, so a
 * fallback kept pending is warned about where making the layout here
 * would have warned. */
static PangoLayout *prepared_layout(dl_render *r, dl_label *l)
{
    const dl_style_layer *layer = l->layer;
    /* Shaping ahead resolved these lists: looking them up again can only
     * give a pending warning. */
    if (r->fonts_pending && g_hash_table_size(r->fonts_pending) > 0) {
        dl_render_families(r, layer->text_font);
        if (!l->line && l->secondary && *l->secondary)
            dl_render_families(r, layer->text_font_secondary ? layer->text_font_secondary
                                                             : layer->text_font);
    }
    PangoLayout *layout = l->layout;
    l->layout = NULL;
    return layout;
}

/* "layer 'ID'", for warnings. */
static const char *layer_what(const dl_style_layer *layer, char *buf, size_t size)
{
    snprintf(buf, size, "layer '%s'", layer->id ? layer->id : "");
    return buf;
}

dline_status dl_render_labels(dline_ctx *ctx, dl_render *r)
{
    /* Batched features first: their circles are obstacles. */
    dl_render_flush(r);
    char what[128];
    if (r->labels_done >= r->nlabels)
        return DLINE_OK;
    placer P;
    memset(&P, 0, sizeof P);
    /* Only place_point_icon adds circles while labels are placed. */
    P.first_icon_circle = r->ncircles;
    r->map_circles = r->ncircles;
    if (grid_init(&P.g, r->width, r->height) != 0)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
    dline_status st = DLINE_OK;
    for (size_t i = 0; i < r->nboxes && st == DLINE_OK; i++)
        if (grid_add(&P.g, r->boxes[i], i * 2) != 0)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
    for (size_t i = 0; i < r->ncircles && st == DLINE_OK; i++)
        if (grid_add(&P.g, circle_box(r->circles[i]), i * 2 + 1) != 0)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
    qsort(r->labels + r->labels_done, r->nlabels - r->labels_done, sizeof *r->labels,
          compare_labels);

    dl_render_pango_update(r);
    for (; r->labels_done < r->nlabels && st == DLINE_OK; r->labels_done++) {
        if ((st = dl_check_cancel(ctx)) != DLINE_OK)
            break;
        dl_label *l = &r->labels[r->labels_done];
        const dl_style_layer *layer = l->layer;
        if (!(layer->text_size > 0))
            continue;
        /* SVG: each layer's labels in its own group, in layer order. */
        dl_svg_label_group(r->cr, layer->id, (uintptr_t)layer->index);
        if (l->line) {
            if (layer->icon_image) {
                int rc = place_icons_along(ctx, r, &P, l);
                if (rc != 0) {
                    st = rc == -2 ? DLINE_ECANCELED
                                  : dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0,
                                             "layer '%s': out of memory",
                                             layer->id ? layer->id : "");
                    continue;
                }
                if (!*l->text) {
                    if (l->placed)
                        r->placed++;
                    else
                        r->dropped++;
                    if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
                        st = render_error(ctx, r, layer->id);
                    continue;
                }
            }
            PangoLayout *layout;
            int missing = 1; /* may have glyphs no font has */
            if (l->layout) {
                missing = l->layout_missing;
                layout = prepared_layout(r, l);
            } else {
                char *flat = one_line(l->text);
                layout = flat ? layout_new(r, layer->text_font, layer->text_weight,
                                           layer->text_size, 0, 0, PANGO_ALIGN_LEFT, flat)
                              : NULL;
                free(flat);
            }
            if (layout && missing)
                dl_render_warn_missing(ctx, r, layout, layer_what(layer, what, sizeof what));
            if (!layout || place_along(r, &P, l, layout) != 0)
                st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory",
                              layer->id ? layer->id : "");
            else if (l->placed)
                r->placed++;
            else
                r->dropped++;
            if (layout)
                g_object_unref(layout);
            if (st == DLINE_OK && cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
                st = render_error(ctx, r, layer->id);
            continue;
        }
        const dl_icon *icon = NULL;
        double px = l->x, py = l->y; /* the point, for the icon */
        if (layer->icon_image) {
            int room = place_point_icon(r, &P, l, &icon);
            if (room < 0) {
                st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
                break;
            }
            if (!room || (!l->has_icon && !*l->text)) {
                r->dropped++;
                continue;
            }
            if (!*l->text) {
                dl_render_icon_draw(r->cr, icon, layer, px, py, layer->icon_rotate);
                l->placed = 1;
                l->box = l->icon_box;
                l->x = px;
                l->y = py;
                r->placed++;
                if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
                    st = render_error(ctx, r, layer->id);
                continue;
            }
        }
        /* A layout shaped ahead with glyphs no font has counts as fresh:
         * warning about the same characters again says nothing (each is
         * warned once per render). */
        int fresh = l->layout_missing;
        PangoLayout *layout = l->layout ? prepared_layout(r, l)
                                        : cached_label_layout(r, layer, l->text, l->secondary,
                                                              PANGO_ALIGN_CENTER, &fresh);
        if (!layout) {
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory",
                          layer->id ? layer->id : "");
            break;
        }
        if (fresh)
            dl_render_warn_missing(ctx, r, layout, layer_what(layer, what, sizeof what));
        dl_box lb = layout_box(layout);
        double halo = layer->text_halo_width > 0 ? layer->text_halo_width : 0;
        double pad = layer->text_padding > 0 ? layer->text_padding : 0;
        double w = lb.x1 - lb.x0 + 2 * halo, h = lb.y1 - lb.y0 + 2 * halo;
        dl_box b;
        double fx;
        if (w > 2 * halo && place_label(r, &P, l, w, h, &b, &fx)) {
            /* MapLibre's text-justify "auto": lines line up on the side
             * facing the point. The lines do not change, only where each
             * starts, so the box stays the same. */
            PangoAlignment align = fx == 0   ? PANGO_ALIGN_LEFT
                                   : fx == 1 ? PANGO_ALIGN_RIGHT
                                             : PANGO_ALIGN_CENTER;
            if (align != PANGO_ALIGN_CENTER) {
                PangoLayout *aligned =
                    cached_label_layout(r, layer, l->text, l->secondary, align, &fresh);
                if (!aligned) {
                    g_object_unref(layout);
                    st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
                    break;
                }
                g_object_unref(layout);
                layout = aligned;
            }
            lb = layout_box(layout);
            dl_box pb = grow(b, pad);
            if (dl_render_push_box(r, pb) != 0 || grid_add(&P.g, pb, (r->nboxes - 1) * 2) != 0) {
                g_object_unref(layout);
                st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
                break;
            }
            if (l->has_leader) {
                if (P.nleaders == P.cap) {
                    size_t cap = P.cap ? 2 * P.cap : 16;
                    double *p = dl_realloc_array(P.leaders, cap, 4 * sizeof *p);
                    if (!p) {
                        g_object_unref(layout);
                        st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
                        break;
                    }
                    P.leaders = p;
                    P.cap = cap;
                }
                memcpy(P.leaders + 4 * P.nleaders++, l->leader, sizeof l->leader);
                draw_leader(r->cr, l);
            }
            if (l->has_icon)
                dl_render_icon_draw(r->cr, icon, layer, px, py, layer->icon_rotate);
            dl_render_draw_layout(r->cr, layout, b.x0 + halo - lb.x0, b.y0 + halo - lb.y0,
                        layer->text_color, layer->text_halo_color, halo, layer->text_opacity);
            l->placed = 1;
            l->box = b;
            r->placed++;
        } else if (l->has_icon && layer->text_optional) {
            /* As MapLibre: the icon stands alone when its text is optional. */
            dl_render_icon_draw(r->cr, icon, layer, px, py, layer->icon_rotate);
            l->placed = 1;
            l->box = l->icon_box;
            r->placed++;
        } else {
            if (l->has_icon)
                unplace_point_icon(r, &P, l);
            r->dropped++;
        }
        l->x = px;
        l->y = py;
        g_object_unref(layout);
        if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
            st = render_error(ctx, r, layer->id);
    }
    dl_svg_label_groups_end(r->cr);
    free(P.leaders);
    grid_free(&P.g);
    return st;
}

dline_status dl_render_text_block(dline_ctx *ctx, dl_render *r, const dl_style_text *t,
                                  double stack, double *used)
{
    if (used)
        *used = 0;
    if (!t || !t->text || !*t->text || !(t->size > 0))
        return DLINE_OK;
    double fx, fy;
    anchor_fraction(t->position, &fx, &fy);
    PangoAlignment align =
        fx == 0 ? PANGO_ALIGN_LEFT : fx == 1 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_CENTER;
    double halo = t->halo_width > 0 ? t->halo_width : 0;
    double wrap = r->width - 2 * fabs(t->offset[0]) - 2 * halo;

    dl_render_pango_update(r);
    char *valid = g_utf8_make_valid(t->text, -1);
    PangoLayout *layout = layout_new(r, t->font, NULL, t->size, 0, wrap > t->size ? wrap : 0,
                                     align, valid);
    g_free(valid);
    if (!layout)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "text block: out of memory");
    dl_render_warn_missing(ctx, r, layout, t->role ? t->role : "text block");
    dl_box lb = layout_box(layout);
    double w = lb.x1 - lb.x0, h = lb.y1 - lb.y0;

    /* Offsets point into the map from the chosen side; a block centred on
     * a side is shifted by them instead. */
    double x = fx == 0 ? t->offset[0] : fx == 1 ? r->width - t->offset[0] - w
                                                : (r->width - w) / 2 + t->offset[0];
    double y = fy == 0 ? t->offset[1] + stack : fy == 1 ? r->height - t->offset[1] - stack - h
                                                        : (r->height - h) / 2 + t->offset[1] + stack;
    /* A panel's outer edge sits where the text would: the text moves in by
     * the padding, away from the corner it is attached to. */
    double pad = t->background.a > 0 ? t->padding : 0;
    x += fx == 0 ? pad : fx == 1 ? -pad : 0;
    y += fy == 0 ? pad : fy == 1 ? -pad : 0;
    if (t->background.a > 0) {
        cairo_save(r->cr);
        cairo_set_source_rgba(r->cr, t->background.r, t->background.g, t->background.b,
                              t->background.a);
        cairo_rectangle(r->cr, x - pad, y - pad, w + 2 * pad, h + 2 * pad);
        dl_cr_fill(r->cr);
        cairo_restore(r->cr);
    }
    dl_render_draw_layout(r->cr, layout, x - lb.x0, y - lb.y0, t->color, t->halo_color, halo, 1.0);
    g_object_unref(layout);
    double m = pad > halo ? pad : halo;
    dl_render_add_named_obstacle(r, "text", t->role, x - m, y - m, x + w + m, y + h + m);
    if (used)
        *used = t->offset[1] + h + 2 * pad;
    if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "text block: %s",
                        cairo_status_to_string(cairo_status(r->cr)));
    return DLINE_OK;
}
