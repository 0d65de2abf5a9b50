/* icon-image: SVG files drawn with librsvg straight into Cairo, so PDF and SVG
 * outputs keep the icon as vectors. Each file is parsed once per renderer. */
#include "render/render_int.h"

#include <librsvg/rsvg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
/* An icon larger than this (px at icon-size 1) is refused as not an icon. */
#define MAX_ICON_PX 4096.0

struct dl_icon {
    char *path;
    RsvgHandle *svg; /* NULL when the file could not be read */
    char *data;      /* the file's bytes, for SVG output */
    gsize len;
    double w, h;     /* px at icon-size 1 */
    char *why;       /* g_error's message when svg is NULL */
};

static void icon_free(dl_icon *icon)
{
    if (!icon)
        return;
    if (icon->svg)
        g_object_unref(icon->svg);
    free(icon->path);
    g_free(icon->data);
    free(icon->why);
    free(icon);
}

void dl_render_icons_free(dl_render *r)
{
    for (size_t i = 0; i < r->nicons; i++)
        icon_free(r->icons[i]);
    free(r->icons);
    r->icons = NULL;
    r->nicons = 0;
}

/* Reads the file; a failed read is cached too, with its reason, so a bad
 * icon is reported once and not parsed again for every feature. */
static dl_icon *icon_read(const char *path)
{
    dl_icon *icon = calloc(1, sizeof *icon);
    if (!icon || !(icon->path = dl_strdup(path))) {
        free(icon);
        return NULL;
    }
    GError *gerr = NULL;
    /* Read once: librsvg parses the bytes, the SVG writer embeds them. */
    RsvgHandle *svg = NULL;
    if (g_file_get_contents(path, &icon->data, &icon->len, &gerr))
        svg = rsvg_handle_new_from_data((const guint8 *)icon->data, icon->len, &gerr);
    const char *why = NULL;
    gdouble w = 0, h = 0;
    if (!svg) {
        why = gerr && gerr->message ? gerr->message : "cannot be read";
    } else {
        /* 96 dpi: one CSS px is one map px. */
        rsvg_handle_set_dpi(svg, 96);
        if (!rsvg_handle_get_intrinsic_size_in_pixels(svg, &w, &h)) {
            /* Only a viewBox: take its size as px. */
            RsvgRectangle vb;
            gboolean has_vb = FALSE;
            rsvg_handle_get_intrinsic_dimensions(svg, NULL, NULL, NULL, NULL, &has_vb, &vb);
            if (has_vb) {
                w = vb.width;
                h = vb.height;
            }
        }
        if (!(w > 0) || !(h > 0) || w > MAX_ICON_PX || h > MAX_ICON_PX)
            why = "it has no size in px (give the <svg> width and height or a viewBox, "
                  "at most 4096 px)";
    }
    if (why) {
        /* librsvg's messages end in a newline. */
        if ((icon->why = dl_strdup(why))) {
            size_t n = strlen(icon->why);
            while (n > 0 && (icon->why[n - 1] == '\n' || icon->why[n - 1] == ' '))
                icon->why[--n] = '\0';
        }
        if (svg)
            g_object_unref(svg);
        svg = NULL;
    }
    if (gerr)
        g_error_free(gerr);
    icon->svg = svg;
    icon->w = w;
    icon->h = h;
    return icon;
}

/* The cached entry for path, read on first use; NULL only when out of memory. */
static dl_icon *icon_entry(dl_render *r, const char *path)
{
    for (size_t i = 0; i < r->nicons; i++)
        if (strcmp(r->icons[i]->path, path) == 0)
            return r->icons[i];
    dl_icon **p = dl_realloc_array(r->icons, r->nicons + 1, sizeof *p);
    if (!p)
        return NULL;
    r->icons = p;
    dl_icon *icon = icon_read(path);
    if (!icon)
        return NULL;
    r->icons[r->nicons++] = icon;
    return icon;
}

const dl_icon *dl_render_icon_get(dl_render *r, const char *path)
{
    if (!path)
        return NULL;
    dl_icon *icon = icon_entry(r, path);
    return icon && icon->svg ? icon : NULL;
}

dline_status dl_render_icon_load(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                 const char *style_path)
{
    if (!layer->icon_image)
        return DLINE_OK;
    dl_icon *icon = icon_entry(r, layer->icon_image);
    if (!icon)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory",
                        layer->id ? layer->id : "");
    if (icon->svg)
        return DLINE_OK;
    return dl_error(ctx, DLINE_ESTYLE, style_path, layer->icon_line, layer->icon_col,
                    "'icon-image': '%s' is not a usable SVG file: %s", layer->icon_image,
                    icon->why ? icon->why : "cannot be read");
}

/* Which part of the icon sits on the point, as fractions of its size. */
static void anchor_of(dl_anchor a, double *fx, double *fy)
{
    *fx = 0.5;
    *fy = 0.5;
    if (a == DL_ANCHOR_LEFT || a == DL_ANCHOR_TOP_LEFT || a == DL_ANCHOR_BOTTOM_LEFT)
        *fx = 0;
    if (a == DL_ANCHOR_RIGHT || a == DL_ANCHOR_TOP_RIGHT || a == DL_ANCHOR_BOTTOM_RIGHT)
        *fx = 1;
    if (a == DL_ANCHOR_TOP || a == DL_ANCHOR_TOP_LEFT || a == DL_ANCHOR_TOP_RIGHT)
        *fy = 0;
    if (a == DL_ANCHOR_BOTTOM || a == DL_ANCHOR_BOTTOM_LEFT || a == DL_ANCHOR_BOTTOM_RIGHT)
        *fy = 1;
}

/* Sets cr so that the icon's own px run from 0,0 to w,h. */
static void icon_transform(cairo_t *cr, const dl_icon *icon, const dl_style_layer *l, double x,
                           double y, double degrees)
{
    double fx, fy;
    anchor_of(l->icon_anchor, &fx, &fy);
    double s = l->icon_size;
    cairo_translate(cr, x, y);
    cairo_rotate(cr, degrees * PI / 180);
    /* As MapLibre: icon-offset is scaled by icon-size and turns with the icon. */
    cairo_scale(cr, s, s);
    cairo_translate(cr, l->icon_offset[0] - fx * icon->w, l->icon_offset[1] - fy * icon->h);
}

dl_box dl_render_icon_box(const dl_icon *icon, const dl_style_layer *l, double x, double y,
                          double degrees)
{
    double fx, fy;
    anchor_of(l->icon_anchor, &fx, &fy);
    double s = l->icon_size;
    double a = degrees * PI / 180, c = cos(a), sn = sin(a);
    double x0 = (l->icon_offset[0] - fx * icon->w) * s, y0 = (l->icon_offset[1] - fy * icon->h) * s;
    double xs[2] = {x0, x0 + icon->w * s}, ys[2] = {y0, y0 + icon->h * s};
    dl_box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            double px = x + xs[i] * c - ys[j] * sn, py = y + xs[i] * sn + ys[j] * c;
            b.x0 = fmin(b.x0, px);
            b.y0 = fmin(b.y0, py);
            b.x1 = fmax(b.x1, px);
            b.y1 = fmax(b.y1, py);
        }
    }
    return b;
}

void dl_render_icon_draw(cairo_t *cr, const dl_icon *icon, const dl_style_layer *l, double x,
                         double y, double degrees)
{
    if (!icon || !icon->svg || !(l->icon_size > 0) || !(l->icon_opacity > 0))
        return;
    cairo_save(cr);
    int group = l->icon_opacity < 1;
    if (group && !dl_svg_of(cr)) {
        /* The group (to fade the icon as one) is only as big as the clip:
         * the icon's box, a pixel wider, rather than the whole map (on a
         * large image each marker composited the full surface). */
        dl_box b = dl_render_icon_box(icon, l, x, y, degrees);
        cairo_new_path(cr);
        cairo_rectangle(cr, floor(b.x0) - 1, floor(b.y0) - 1, ceil(b.x1) - floor(b.x0) + 2,
                        ceil(b.y1) - floor(b.y0) + 2);
        cairo_clip(cr);
    }
    if (group)
        dl_cr_push_group(cr);
    cairo_save(cr);
    icon_transform(cr, icon, l, x, y, degrees);
    cairo_new_path(cr);
    if (dl_svg_of(cr)) {
        dl_svg_image(cr, icon->data, icon->len, icon->w, icon->h);
    } else {
        RsvgRectangle vp = {0, 0, icon->w, icon->h};
        /* librsvg reports a failure on cr itself; dl_render_labels checks it. */
        rsvg_handle_render_document(icon->svg, cr, &vp, NULL);
    }
    cairo_restore(cr);
    if (group)
        dl_cr_pop_group_paint(cr, l->icon_opacity);
    cairo_new_path(cr);
    cairo_restore(cr);
}
