/* Map furniture: the scale bar, the north arrow, the legend and the neat
 * frame. Each block sits at a corner of the map, stacks with the text blocks
 * there and becomes a label obstacle; the ground scale and the direction of
 * north come in already computed (src/project/geodesic.c). */
#include "render/render_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Used when a style names no font, as for labels. */
#define FALLBACK_FONT "Noto Sans CJK SC, DejaVu Sans, sans-serif"

static dline_status cairo_check(dline_ctx *ctx, const dl_render *r, const char *what)
{
    cairo_status_t st = cairo_status(r->cr);
    if (st != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, NULL, 0, 0, "%s: %s", what,
                        cairo_status_to_string(st));
    return DLINE_OK;
}

static void set_color(cairo_t *cr, dl_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

static PangoLayout *text_layout(dl_render *r, const char *font, double size, const char *text)
{
    PangoContext *pc = dl_render_pango(r);
    PangoLayout *layout = pc ? pango_layout_new(pc) : NULL;
    if (!layout)
        return NULL;
    PangoFontDescription *fd =
        pango_font_description_from_string(font && *font ? font : FALLBACK_FONT);
    pango_font_description_set_absolute_size(fd, fmin(size, 100000.0) * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_font_description_free(fd);
    char *valid = g_utf8_make_valid(text, -1);
    pango_layout_set_text(layout, valid, -1);
    g_free(valid);
    return layout;
}

/* The logical box of a layout in px, relative to its origin. */
static dl_box text_box(PangoLayout *layout)
{
    PangoRectangle lg;
    pango_layout_get_extents(layout, NULL, &lg);
    dl_box b = {(double)lg.x / PANGO_SCALE, (double)lg.y / PANGO_SCALE,
                (double)(lg.x + lg.width) / PANGO_SCALE, (double)(lg.y + lg.height) / PANGO_SCALE};
    return b;
}

/* Halo then text with the layout's logical box at x,y. */
static void draw_text(dl_render *r, PangoLayout *layout, double x, double y, dl_color color,
                      dl_color halo, double halo_width)
{
    dl_box b = text_box(layout);
    dl_render_draw_layout(r->cr, layout, x - b.x0, y - b.y0, color, halo, halo_width, 1.0);
}

/* The top-left corner of a w x h block at its position, `stack` px after
 * the blocks already at that corner (as dl_render_text_block places text). */
static void place_block(const dl_render *r, dl_anchor pos, const double off[2], double stack,
                        double w, double h, double *x, double *y)
{
    double fx = 0.5, fy = 0.5;
    switch (pos) {
    case DL_ANCHOR_TOP_LEFT: fx = 0; fy = 0; break;
    case DL_ANCHOR_TOP_RIGHT: fx = 1; fy = 0; break;
    case DL_ANCHOR_BOTTOM_LEFT: fx = 0; fy = 1; break;
    case DL_ANCHOR_BOTTOM_RIGHT: fx = 1; fy = 1; break;
    case DL_ANCHOR_TOP: fy = 0; break;
    case DL_ANCHOR_BOTTOM: fy = 1; break;
    case DL_ANCHOR_LEFT: fx = 0; break;
    case DL_ANCHOR_RIGHT: fx = 1; break;
    case DL_ANCHOR_CENTER: break;
    }
    *x = fx == 0 ? off[0] : fx == 1 ? r->width - off[0] - w : (r->width - w) / 2 + off[0];
    *y = fy == 0 ? off[1] + stack : fy == 1 ? r->height - off[1] - stack - h
                                            : (r->height - h) / 2 + off[1] + stack;
}

/* Scale bar */

#define FOOT 0.3048          /* m, the international foot */
#define MILE 1609.344        /* m, 5280 ft */
#define NAUTICAL_MILE 1852.0 /* m */

/* The longest of 1, 2 or 5 x 10^n that is at most `most`; its leading
 * digit in *lead. */
static double round_length(double most, int *lead)
{
    double p = pow(10, floor(log10(most)));
    /* floor(log10) can land one decade off at exact powers of ten. */
    if (p * 10 <= most)
        p *= 10;
    else if (p > most)
        p /= 10;
    static const double steps[] = {5, 2, 1};
    *lead = 1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i] * p <= most * (1 + 1e-12)) {
            *lead = (int)steps[i];
            break;
        }
    }
    return *lead * p;
}

/* A tick value as people write it: no exponent ("10000", not "1e+04"), no
 * trailing zeros ("2.5", "0.025"). Round lengths and their halves need at
 * most a few decimals; six keep any that a pick can give. */
static void tick_text(char *out, size_t n, double v)
{
    snprintf(out, n, "%.6f", v);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    char *e = out + strlen(out) - 1;
    while (e > dot && *e == '0')
        *e-- = '\0';
    if (e == dot)
        *e = '\0';
}

int dl_render_scale_bar_pick(dl_scale_units units, double metres_per_px, double max_width,
                             dl_scale_bar_choice *out)
{
    memset(out, 0, sizeof *out);
    if (!(metres_per_px > 0) || !isfinite(metres_per_px) || !(max_width >= 1) ||
        !isfinite(max_width))
        return -1;
    double most = metres_per_px * max_width;
    double unit = 1;
    out->unit = "m";
    if (units == DL_UNITS_IMPERIAL) {
        /* Miles from one mile, feet below it, as Leaflet's scale does:
         * a short distance reads "500 ft", not "0.1 mi". */
        int miles = most / MILE * (1 + 1e-12) >= 1;
        unit = miles ? MILE : FOOT;
        out->unit = miles ? "mi" : "ft";
    } else if (units == DL_UNITS_NAUTICAL) {
        /* Fractions of the mile (0.1, 0.2, 0.5 nmi), not a smaller unit,
         * as on charts. */
        unit = NAUTICAL_MILE;
        out->unit = "nmi";
    }
    /* In feet or nautical miles the room is a quotient, rounded: the slack
     * keeps a room of exactly one mile from shrinking to half a mile.
     * Metres divide by nothing and keep their pick as it always was. */
    double room = units == DL_UNITS_METRIC ? most : most / unit * (1 + 1e-12);
    int lead;
    out->length = round_length(room, &lead);
    out->metres = out->length * unit;
    out->width = out->metres / metres_per_px;
    /* Quarters of 1 and 2 are round (0.25, 0.5); of 5 they are not, so a
     * 5 bar is halved. Narrow bars keep two segments to stay legible. */
    out->segments = lead != 5 && out->width >= 60 ? 4 : 2;
    if (units == DL_UNITS_METRIC && out->metres >= 1000) {
        out->length = out->metres / 1000;
        out->unit = "km";
    }
    char half[24], whole[24]; /* a round length of any map: at most 1e7 km */
    tick_text(half, sizeof half, out->length / 2);
    tick_text(whole, sizeof whole, out->length);
    snprintf(out->ticks[0], sizeof out->ticks[0], "0");
    snprintf(out->ticks[1], sizeof out->ticks[1], "%s", half);
    snprintf(out->ticks[2], sizeof out->ticks[2], "%s %s", whole, out->unit);
    return 0;
}

dline_status dl_render_scale_bar(dline_ctx *ctx, dl_render *r, const dl_style_scale_bar *s,
                                 double metres_per_px, double stack, double *used,
                                 dl_scale_bar_drawn *drawn)
{
    if (used)
        *used = 0;
    if (drawn)
        memset(drawn, 0, sizeof *drawn);
    dl_scale_bar_choice c;
    if (dl_render_scale_bar_pick(s->units, metres_per_px, s->max_width, &c) != 0)
        return DLINE_OK;

    dl_render_pango_update(r);
    PangoLayout *l0 = text_layout(r, s->font, s->size, c.ticks[0]);
    PangoLayout *lm = text_layout(r, s->font, s->size, c.ticks[1]);
    PangoLayout *le = text_layout(r, s->font, s->size, c.ticks[2]);
    if (!l0 || !lm || !le) {
        if (l0)
            g_object_unref(l0);
        if (lm)
            g_object_unref(lm);
        if (le)
            g_object_unref(le);
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "scale bar: out of memory");
    }
    dl_box b0 = text_box(l0), bm = text_box(lm), be = text_box(le);
    double halo = s->halo_width > 0 ? s->halo_width : 0;
    double th = fmax(b0.y1 - b0.y0, be.y1 - be.y0);
    double bar_h = fmax(3, round(s->size * 0.45));
    double gap = 2;
    double left = fmax((b0.x1 - b0.x0) / 2, 1), right = fmax((be.x1 - be.x0) / 2, 1);
    double w = left + c.width + right + 2 * halo, h = th + gap + bar_h + 2 * halo;
    double bx, by;
    place_block(r, s->position, s->offset, stack, w, h, &bx, &by);
    /* The bar's ends on whole pixels keep its outline crisp. */
    double x0 = round(bx + halo + left), x1 = x0 + c.width;
    double yb = round(by + halo + th + gap);

    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (halo > 0 && s->halo_color.a > 0) {
        cairo_rectangle(cr, x0, yb, c.width, bar_h);
        cairo_set_line_width(cr, 2 * halo + 1);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
        set_color(cr, s->halo_color, 1);
        dl_cr_stroke(cr);
    }
    dl_color light = s->halo_color;
    light.a = 1; /* a see-through light segment would read as a gap */
    double seg = c.width / c.segments;
    for (int i = 0; i < c.segments; i++) {
        cairo_rectangle(cr, x0 + i * seg, yb, seg, bar_h);
        set_color(cr, i % 2 == 0 ? s->color : light, 1);
        dl_cr_fill(cr);
    }
    set_color(cr, s->color, 1);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x0 + 0.5, yb + 0.5, c.width - 1, bar_h - 1);
    /* Ticks up from the bar under each number. */
    double tick = fmin(3, gap + 1);
    for (int i = 0; i <= 2; i++) {
        double x = x0 + c.width * i / 2;
        x = i == 0 ? x + 0.5 : i == 2 ? x - 0.5 : round(x) + 0.5;
        cairo_move_to(cr, x, yb);
        cairo_line_to(cr, x, yb - tick);
    }
    dl_cr_stroke(cr);
    cairo_restore(cr);

    double ty = yb - gap - th;
    draw_text(r, l0, x0 - (b0.x1 - b0.x0) / 2, ty, s->color, s->halo_color, halo);
    draw_text(r, lm, x0 + c.width / 2 - (bm.x1 - bm.x0) / 2, ty, s->color, s->halo_color, halo);
    draw_text(r, le, x1 - (be.x1 - be.x0) / 2, ty, s->color, s->halo_color, halo);
    g_object_unref(l0);
    g_object_unref(lm);
    g_object_unref(le);

    dl_render_add_named_obstacle(r, "scale-bar", NULL, bx, by, bx + w, by + h);
    if (used)
        *used = s->offset[1] + h;
    if (drawn) {
        drawn->x0 = x0;
        drawn->x1 = x1;
        drawn->y = yb + bar_h / 2;
        drawn->metres = c.metres;
        drawn->segments = c.segments;
    }
    return cairo_check(ctx, r, "scale bar");
}

/* North arrow */

/* x,y rotated clockwise (on a y-down screen) by the angle with cosine c and
 * sine s. */
static void rotate(double x, double y, double c, double s, double *ox, double *oy)
{
    *ox = x * c - y * s;
    *oy = x * s + y * c;
}

dline_status dl_render_north_arrow(dline_ctx *ctx, dl_render *r, const dl_style_north_arrow *a,
                                   double degrees, double stack, double *used)
{
    if (used)
        *used = 0;
    if (!(a->size > 0) || !isfinite(degrees))
        return DLINE_OK;
    double len = a->size, half = len / 2;
    /* A needle pointing up, centred on 0,0: tip, right barb, notch, left barb. */
    const double shape[4][2] = {
        {0, -half}, {len * 0.26, half}, {0, half - len * 0.28}, {-len * 0.26, half}};
    double th = degrees * M_PI / 180, c = cos(th), s = sin(th);
    double pts[4][2];
    dl_bbox bb = dl_bbox_empty();
    for (int i = 0; i < 4; i++) {
        rotate(shape[i][0], shape[i][1], c, s, &pts[i][0], &pts[i][1]);
        dl_bbox_add(&bb, pts[i][0], pts[i][1]);
    }
    dl_render_pango_update(r);
    PangoLayout *n = text_layout(r, a->font, len * 0.42, "N");
    if (!n)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "north arrow: out of memory");
    dl_box nb = text_box(n);
    double nw = nb.x1 - nb.x0, nh = nb.y1 - nb.y0;
    /* The letter beyond the tip, upright, its centre on the arrow's axis at
     * a distance that keeps its box clear of the tip whatever the angle. */
    double reach = half + 2 + 0.5 * (fabs(s) * nw + fabs(c) * nh);
    double ncx, ncy;
    rotate(0, -reach, c, s, &ncx, &ncy);
    dl_bbox_add(&bb, ncx - nw / 2, ncy - nh / 2);
    dl_bbox_add(&bb, ncx + nw / 2, ncy + nh / 2);
    double halo = 1.5;
    double w = bb.xmax - bb.xmin + 2 * halo, h = bb.ymax - bb.ymin + 2 * halo;
    double bx, by;
    place_block(r, a->position, a->offset, stack, w, h, &bx, &by);
    double ox = bx + halo - bb.xmin, oy = by + halo - bb.ymin;

    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_set_miter_limit(cr, 10);
    cairo_new_path(cr);
    for (int i = 0; i < 4; i++)
        cairo_line_to(cr, ox + pts[i][0], oy + pts[i][1]);
    cairo_close_path(cr);
    set_color(cr, a->halo_color, 1);
    cairo_set_line_width(cr, 1 + 2 * halo);
    dl_cr_stroke_preserve(cr);
    dl_cr_fill(cr); /* the light half */
    /* The dark half: tip, notch, left barb. */
    cairo_move_to(cr, ox + pts[0][0], oy + pts[0][1]);
    cairo_line_to(cr, ox + pts[2][0], oy + pts[2][1]);
    cairo_line_to(cr, ox + pts[3][0], oy + pts[3][1]);
    cairo_close_path(cr);
    set_color(cr, a->color, 1);
    dl_cr_fill(cr);
    for (int i = 0; i < 4; i++)
        cairo_line_to(cr, ox + pts[i][0], oy + pts[i][1]);
    cairo_close_path(cr);
    cairo_set_line_width(cr, 1);
    dl_cr_stroke(cr);
    cairo_restore(cr);
    draw_text(r, n, ox + ncx - nw / 2, oy + ncy - nh / 2, a->color, a->halo_color, halo);
    g_object_unref(n);

    dl_render_add_named_obstacle(r, "north-arrow", NULL, bx, by, bx + w, by + h);
    if (used)
        *used = a->offset[1] + h;
    return cairo_check(ctx, r, "north arrow");
}

/* Legend */

/* The height a row's swatch needs for the layer's paint. */
static double swatch_height(const dl_style_layer *l, double base)
{
    switch (l->type) {
    case DL_LAYER_CIRCLE: {
        double d = 2 * (fmax(l->circle_radius, 0) + fmax(l->circle_stroke_width, 0));
        return fmax(base, fmin(d, 2.5 * base));
    }
    case DL_LAYER_LINE:
        return fmax(base, fmin(l->line_width + 2, 2 * base));
    default:
        return base;
    }
}

/* Draws a sample of the layer in the box, with the layer's own paint
 * through dl_render_feature, sizes kept within the swatch. */
static dline_status draw_swatch(dline_ctx *ctx, dl_render *r, const dl_style_layer *layer,
                                double x, double y, double w, double h)
{
    dl_style_layer l = *layer; /* shallow: only numbers change */
    double xy[10];
    size_t parts[2] = {0, 0};
    dl_geom g = {.xy = xy, .part_start = parts, .nparts = 1};
    switch (l.type) {
    case DL_LAYER_FILL:
        g.type = DL_GEOM_POLYGON;
        g.npoints = 5;
        xy[0] = x + 0.5; xy[1] = y + 0.5;
        xy[2] = x + w - 0.5; xy[3] = y + 0.5;
        xy[4] = x + w - 0.5; xy[5] = y + h - 0.5;
        xy[6] = x + 0.5; xy[7] = y + h - 0.5;
        xy[8] = xy[0]; xy[9] = xy[1];
        break;
    case DL_LAYER_LINE:
        g.type = DL_GEOM_LINE;
        g.npoints = 2;
        l.line_width = fmin(l.line_width, h);
        /* A swatch shows the line itself: an offset would push it out of its
         * row (a cased line keeps its gap, scaled to the row). */
        l.line_offset = 0;
        if (l.line_gap_width > 0 && 2 * l.line_width + l.line_gap_width > h)
            l.line_gap_width = fmax(0, h - 2 * l.line_width);
        {
            double inset = l.line_cap == DL_CAP_BUTT && !l.connect_smooth ? 0 : l.line_width / 2;
            xy[0] = x + inset; xy[1] = y + h / 2;
            xy[2] = x + w - inset; xy[3] = y + h / 2;
        }
        break;
    case DL_LAYER_CIRCLE: {
        g.type = DL_GEOM_POINT;
        g.npoints = 1;
        double rr = fmax(l.circle_radius, 0) + fmax(l.circle_stroke_width, 0);
        if (rr > h / 2) {
            double f = h / 2 / rr;
            l.circle_radius *= f;
            l.circle_stroke_width *= f;
        }
        xy[0] = x + w / 2;
        xy[1] = y + h / 2;
        break;
    }
    default:
        return DLINE_OK;
    }
    parts[1] = g.npoints;
    dline_status st = dl_render_feature(ctx, r, &l, &g);
    dl_render_flush(r); /* now, under the legend's text */
    return st;
}

dline_status dl_render_legend(dline_ctx *ctx, dl_render *r, const dl_style_legend *g,
                              const dl_style_layer *layers, size_t nlayers, double stack,
                              double *used)
{
    if (used)
        *used = 0;
    size_t n = 0;
    for (size_t i = 0; i < nlayers; i++)
        n += layers[i].legend != NULL;
    if (n == 0 || !(g->size > 0))
        return DLINE_OK;
    PangoLayout **texts = dl_calloc_array(n, sizeof *texts);
    if (!texts)
        return dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "legend: out of memory");
    dl_render_pango_update(r);
    dline_status st = DLINE_OK;
    PangoLayout *title = NULL;
    if (g->title && *g->title) {
        size_t len = strlen(g->font ? g->font : FALLBACK_FONT) + sizeof " Bold";
        char *bold = g_malloc(len);
        snprintf(bold, len, "%s Bold", g->font ? g->font : FALLBACK_FONT);
        title = text_layout(r, bold, g->size * 1.15, g->title);
        g_free(bold);
        if (!title)
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "legend: out of memory");
        else
            dl_render_warn_missing(ctx, r, title, "legend");
    }
    double sw = round(g->size * 2.4), sh = round(g->size * 1.1);
    double gap = round(g->size * 0.6), row_gap = round(g->size * 0.35);
    double pad = g->padding, bw = g->border_width > 0 ? g->border_width : 0;
    double text_w = 0, rows_h = 0, title_h = 0, title_w = 0;
    size_t k = 0;
    for (size_t i = 0; st == DLINE_OK && i < nlayers; i++) {
        if (!layers[i].legend)
            continue;
        texts[k] = text_layout(r, g->font, g->size, layers[i].legend);
        if (!texts[k]) {
            st = dl_error(ctx, DLINE_ENOMEM, NULL, 0, 0, "legend: out of memory");
            break;
        }
        dl_render_warn_missing(ctx, r, texts[k], "legend");
        dl_box b = text_box(texts[k]);
        text_w = fmax(text_w, b.x1 - b.x0);
        rows_h += fmax(b.y1 - b.y0, swatch_height(&layers[i], sh)) + (k ? row_gap : 0);
        k++;
    }
    if (st == DLINE_OK && title) {
        dl_box b = text_box(title);
        title_w = b.x1 - b.x0;
        title_h = b.y1 - b.y0 + round(g->size * 0.5);
    }
    if (st == DLINE_OK) {
        double w = ceil(fmax(sw + gap + text_w, title_w) + 2 * pad + 2 * bw);
        double h = ceil(title_h + rows_h + 2 * pad + 2 * bw);
        double bx, by;
        place_block(r, g->position, g->offset, stack, w, h, &bx, &by);
        bx = round(bx);
        by = round(by);
        cairo_t *cr = r->cr;
        cairo_save(cr);
        cairo_rectangle(cr, bx + bw / 2, by + bw / 2, w - bw, h - bw);
        set_color(cr, g->background_color, g->background_opacity);
        dl_cr_fill_preserve(cr);
        if (bw > 0) {
            cairo_set_dash(cr, NULL, 0, 0);
            cairo_set_line_width(cr, bw);
            set_color(cr, g->border_color, 1);
            dl_cr_stroke(cr);
        }
        cairo_new_path(cr);
        cairo_restore(cr);
        dl_color none = {0, 0, 0, 0};
        double x = bx + bw + pad, y = by + bw + pad;
        if (title) {
            draw_text(r, title, x, y, g->color, none, 0);
            y += title_h;
        }
        k = 0;
        for (size_t i = 0; st == DLINE_OK && i < nlayers; i++) {
            if (!layers[i].legend)
                continue;
            dl_box b = text_box(texts[k]);
            double th = b.y1 - b.y0, swh = swatch_height(&layers[i], sh);
            double rh = fmax(th, swh);
            st = draw_swatch(ctx, r, &layers[i], x, y + (rh - swh) / 2, sw, swh);
            draw_text(r, texts[k], x + sw + gap, y + (rh - th) / 2, g->color, none, 0);
            y += rh + row_gap;
            k++;
        }
        dl_render_add_named_obstacle(r, "legend", NULL, bx, by, bx + w, by + h);
        if (used)
            *used = g->offset[1] + h;
        if (st == DLINE_OK)
            st = cairo_check(ctx, r, "legend");
    }
    for (size_t i = 0; i < n; i++)
        if (texts[i])
            g_object_unref(texts[i]);
    free(texts);
    if (title)
        g_object_unref(title);
    return st;
}

/* Frame */

void dl_render_frame_obstacles(dl_render *r, const dl_style_frame *f)
{
    if (!f->enabled || !(f->width > 0))
        return;
    double w = f->width, W = r->width, H = r->height;
    dl_render_add_named_obstacle(r, "frame", NULL, 0, 0, W, w);
    dl_render_add_named_obstacle(r, "frame", NULL, 0, H - w, W, H);
    dl_render_add_named_obstacle(r, "frame", NULL, 0, 0, w, H);
    dl_render_add_named_obstacle(r, "frame", NULL, W - w, 0, W, H);
}

dline_status dl_render_frame(dline_ctx *ctx, dl_render *r, const dl_style_frame *f)
{
    if (!f->enabled || !(f->width > 0))
        return DLINE_OK;
    double w = fmin(f->width, fmin(r->width, r->height) / 2);
    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    cairo_set_line_width(cr, w);
    set_color(cr, f->color, 1);
    cairo_rectangle(cr, w / 2, w / 2, r->width - w, r->height - w);
    dl_cr_stroke(cr);
    cairo_restore(cr);
    return cairo_check(ctx, r, "frame");
}
