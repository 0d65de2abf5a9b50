/* Labels and text blocks: Pango layout, placement around the anchor without
 * collisions (a uniform grid over obstacles and placed labels), halo then fill. */
#include "render/render_int.h"

#include <math.h>
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

static PangoLayout *layout_new(dl_render *r, const char *families, const char *weight,
                               double size, double line_height_em, double wrap_px,
                               PangoAlignment align, const char *text)
{
    PangoLayout *layout = pango_layout_new(r->pango);
    if (!layout)
        return NULL;
    PangoFontDescription *fd = font_new(families, weight, size);
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

/* Draws the layout with its origin at x,y: the halo is the glyph outlines
 * stroked twice as wide as the halo (only the outer half shows once the
 * text is filled over it). A whole label fades as one group, so the halo
 * does not show through its text.
 *
 * On images the text is filled as the same outline path: Cairo 1.16 puts
 * image glyphs on whole device pixels, which would shift the text against
 * its halo and against the PDF/SVG render by up to half a pixel. PDF keeps
 * real text so that it can be searched and copied. */
static void draw_layout(cairo_t *cr, PangoLayout *layout, double x, double y, dl_color color,
                        dl_color halo, double halo_width, double opacity)
{
    int image = cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE;
    cairo_save(cr);
    int group = opacity < 1;
    if (group)
        cairo_push_group(cr);
    cairo_new_path(cr);
    cairo_move_to(cr, x, y);
    int have_path = 0;
    if (halo_width > 0 && halo.a > 0) {
        pango_cairo_layout_path(cr, layout);
        have_path = 1;
        cairo_set_line_width(cr, 2 * halo_width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_dash(cr, NULL, 0, 0);
        cairo_set_source_rgba(cr, halo.r, halo.g, halo.b, halo.a);
        if (image)
            cairo_stroke_preserve(cr);
        else
            cairo_stroke(cr);
    }
    cairo_set_source_rgba(cr, color.r, color.g, color.b, color.a);
    if (image) {
        if (!have_path)
            pango_cairo_layout_path(cr, layout);
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
        cairo_fill(cr);
    } else {
        cairo_new_path(cr);
        cairo_move_to(cr, x, y);
        pango_cairo_show_layout(cr, layout);
    }
    if (group) {
        cairo_pop_group_to_source(cr);
        cairo_paint_with_alpha(cr, opacity < 0 ? 0 : opacity);
    }
    cairo_new_path(cr);
    cairo_restore(cr);
}

dline_status dl_render_queue_label(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                   const char *text, double x, double y)
{
    if (!text || !*text || !isfinite(x) || !isfinite(y))
        return DLINE_OK;
    if (r->nlabels == r->cap_labels) {
        size_t cap = r->cap_labels ? r->cap_labels * 2 : 64;
        dl_label *p = dl_realloc_array(r->labels, cap, sizeof *p);
        if (!p)
            return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory",
                            layer->id ? layer->id : "");
        r->labels = p;
        r->cap_labels = cap;
    }
    char *copy;
    /* Pango warns on invalid UTF-8; bad bytes from a mis-declared encoding
     * become U+FFFD here instead. */
    if (g_utf8_validate(text, -1, NULL)) {
        copy = dl_strdup(text);
    } else {
        char *valid = g_utf8_make_valid(text, -1);
        copy = dl_strdup(valid);
        g_free(valid);
    }
    if (!copy)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory",
                        layer->id ? layer->id : "");
    dl_label *l = &r->labels[r->nlabels++];
    memset(l, 0, sizeof *l);
    l->layer = layer;
    l->text = copy;
    l->x = x;
    l->y = y;
    return DLINE_OK;
}

void dl_render_clear_labels(dl_render *r)
{
    for (size_t i = 0; i < r->nlabels; i++)
        free(r->labels[i].text);
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

static int inside_frame(const dl_render *r, dl_box b)
{
    double p = DL_LABEL_FRAME_PAD;
    return b.x0 >= p && b.y0 >= p && b.x1 <= r->width - p && b.y1 <= r->height - p;
}

/* Finds a place for label l whose box (halo included) is w x h; 1 and *out
 * when one is free. */
static int place_label(const dl_render *r, const grid *g, const dl_label *l, double w, double h,
                       dl_box *out, dl_anchor *anchor)
{
    const dl_style_layer *layer = l->layer;
    double size = layer->text_size;
    double ox = layer->text_offset[0] * size, oy = layer->text_offset[1] * size;
    candidate fixed = {layer->text_anchor, 0, 0};
    const candidate *cands = &fixed;
    size_t ncands = 1;
    double dist = 0;
    if (layer->text_anchor_auto) {
        cands = auto_candidates;
        ncands = 8;
        double gap = hypot(ox, oy);
        if (!(gap > 0))
            gap = AUTO_GAP_EM * size;
        dist = own_radius(r, g, l->x, l->y) + gap;
    }
    for (size_t i = 0; i < ncands; i++) {
        double fx, fy;
        anchor_fraction(cands[i].anchor, &fx, &fy);
        double x = l->x - fx * w, y = l->y - fy * h;
        if (layer->text_anchor_auto) {
            x += cands[i].dx * dist;
            y += cands[i].dy * dist;
        } else {
            x += ox;
            y += oy;
        }
        dl_box b = {x, y, x + w, y + h};
        if (!inside_frame(r, b))
            continue;
        if (!layer->text_allow_overlap && collides(r, g, b, l->x, l->y))
            continue;
        *out = b;
        *anchor = cands[i].anchor;
        return 1;
    }
    return 0;
}

static dline_status render_error(dline_ctx *ctx, const dl_render *r, const char *id)
{
    return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "layer '%s': %s", id ? id : "",
                    cairo_status_to_string(cairo_status(r->cr)));
}

dline_status dl_render_labels(dline_ctx *ctx, dl_render *r)
{
    if (r->labels_done >= r->nlabels)
        return DLINE_OK;
    grid g = {0};
    if (grid_init(&g, r->width, r->height) != 0)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
    dline_status st = DLINE_OK;
    for (size_t i = 0; i < r->nboxes && st == DLINE_OK; i++)
        if (grid_add(&g, r->boxes[i], i * 2) != 0)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
    for (size_t i = 0; i < r->ncircles && st == DLINE_OK; i++)
        if (grid_add(&g, circle_box(r->circles[i]), i * 2 + 1) != 0)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");

    pango_cairo_update_context(r->cr, r->pango);
    for (; r->labels_done < r->nlabels && st == DLINE_OK; r->labels_done++) {
        dl_label *l = &r->labels[r->labels_done];
        const dl_style_layer *layer = l->layer;
        if (!(layer->text_size > 0))
            continue;
        PangoLayout *layout = dl_render_label_layout(r, layer, l->text);
        if (!layout) {
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "layer '%s': out of memory",
                          layer->id ? layer->id : "");
            break;
        }
        dl_box lb = layout_box(layout);
        double halo = layer->text_halo_width > 0 ? layer->text_halo_width : 0;
        double w = lb.x1 - lb.x0 + 2 * halo, h = lb.y1 - lb.y0 + 2 * halo;
        dl_box b;
        dl_anchor anchor;
        if (w > 2 * halo && place_label(r, &g, l, w, h, &b, &anchor)) {
            /* MapLibre's text-justify "auto": lines line up on the side
             * facing the point. The lines do not change, only where each
             * starts, so the box stays the same. */
            double fx, fy;
            anchor_fraction(anchor, &fx, &fy);
            pango_layout_set_alignment(layout, fx == 0   ? PANGO_ALIGN_LEFT
                                               : fx == 1 ? PANGO_ALIGN_RIGHT
                                                         : PANGO_ALIGN_CENTER);
            lb = layout_box(layout);
            if (dl_render_push_box(r, b) != 0 || grid_add(&g, b, (r->nboxes - 1) * 2) != 0) {
                g_object_unref(layout);
                st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "labels: out of memory");
                break;
            }
            draw_layout(r->cr, layout, b.x0 + halo - lb.x0, b.y0 + halo - lb.y0,
                        layer->text_color, layer->text_halo_color, halo, layer->text_opacity);
            l->placed = 1;
            l->box = b;
            r->placed++;
        } else {
            r->dropped++;
        }
        g_object_unref(layout);
        if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
            st = render_error(ctx, r, layer->id);
    }
    grid_free(&g);
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

    pango_cairo_update_context(r->cr, r->pango);
    char *valid = g_utf8_make_valid(t->text, -1);
    PangoLayout *layout = layout_new(r, t->font, NULL, t->size, 0, wrap > t->size ? wrap : 0,
                                     align, valid);
    g_free(valid);
    if (!layout)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "text block: out of memory");
    dl_box lb = layout_box(layout);
    double w = lb.x1 - lb.x0, h = lb.y1 - lb.y0;

    /* Offsets point into the map from the chosen side; a block centred on
     * a side is shifted by them instead. */
    double x = fx == 0 ? t->offset[0] : fx == 1 ? r->width - t->offset[0] - w
                                                : (r->width - w) / 2 + t->offset[0];
    double y = fy == 0 ? t->offset[1] + stack : fy == 1 ? r->height - t->offset[1] - stack - h
                                                        : (r->height - h) / 2 + t->offset[1] + stack;
    draw_layout(r->cr, layout, x - lb.x0, y - lb.y0, t->color, t->halo_color, halo, 1.0);
    g_object_unref(layout);
    dl_render_add_obstacle(r, x - halo, y - halo, x + w + halo, y + h + halo);
    if (used)
        *used = t->offset[1] + h;
    if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "text block: %s",
                        cairo_status_to_string(cairo_status(r->cr)));
    return DLINE_OK;
}
