/* report: one A4 page of a report, drawn with Cairo, with two dline maps on
 * it: a heading, the colour map and the print map stacked, each with its
 * caption. Uses only dline.h and cairo; build it with the CMakeLists.txt or
 * the Makefile beside it.
 *
 *     report COLOUR.yaml PRINT.yaml OUT.pdf
 *     report styles/digital-line.yaml styles/mono-print.yaml report.pdf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>

#include "dline.h"

/* A4 in points, and the page's layout: margins, the heading's height, each
 * map's height and the room for a caption under it. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define MARGIN 42.0
#define HEAD_H 48.0
#define MAP_H 330.0
#define CAPTION_H 30.0

static void print_warning(const char *message, void *user)
{
    (void)user;
    fprintf(stderr, "report: warning: %s\n", message);
}

/* Prints the context's message and exits when a dline call failed. */
static void check(dline_ctx *ctx, dline_status st)
{
    if (st != DLINE_OK) {
        fprintf(stderr, "report: %s\n", dline_ctx_message(ctx));
        exit(1);
    }
}

/* Text centred on x, baseline at y, in the toy font API (Latin only). */
static void text_centred(cairo_t *cr, double x, double y, const char *text)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, text, &e);
    cairo_move_to(cr, x - e.width / 2 - e.x_bearing, y);
    cairo_show_text(cr, text);
}

/* Draws the map of the style at path into the box x, y, w, h of the page, a hairline round it, and the caption under it,
 * which names the area the map shows (dline_map_extent).
 *
 * The map is laid out in the box's shape, px_per_pt px to each pt of it, so
 * that it fills the box. The style's lengths keep their proportions to the
 * map: at 4/3 px to the pt a px prints as 0.75 pt, as in dline's own PDFs,
 * and more px to the pt show more map round smaller type. */
static void draw_figure(dline_ctx *ctx, cairo_t *cr, const char *path, double px_per_pt,
                        double x, double y, double w, double h, const char *caption)
{
    dline_map *map = NULL;
    check(ctx, dline_map_load(ctx, path, &map));
    check(ctx, dline_map_set_size(ctx, map, (int)(w * px_per_pt + 0.5),
                                  (int)(h * px_per_pt + 0.5)));
    check(ctx, dline_map_render_cairo(ctx, map, cr, x, y, w, h));
    double box[4];
    check(ctx, dline_map_extent(ctx, map, box));
    dline_map_free(map);

    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 0.5);
    cairo_rectangle(cr, x, y, w, h);
    cairo_stroke(cr);

    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char line[256];
    snprintf(line, sizeof line, "%s (%s): %.2f-%.2f E, %.2f-%.2f N", caption, name, box[0],
             box[2], box[1], box[3]);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_ITALIC, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 8.5);
    text_centred(cr, x + w / 2, y + h + 13, line);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: report COLOUR.yaml PRINT.yaml OUT.pdf\n");
        return 2;
    }
    cairo_surface_t *page = cairo_pdf_surface_create(argv[3], PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(page, CAIRO_PDF_METADATA_TITLE, "Qingpu Digital Line");
    cairo_t *cr = cairo_create(page);
    dline_ctx *ctx = dline_ctx_new();
    if (!ctx) {
        fprintf(stderr, "report: out of memory\n");
        return 1;
    }
    dline_ctx_set_warning_handler(ctx, print_warning, NULL);

    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 18);
    cairo_move_to(cr, MARGIN, MARGIN + 14);
    cairo_show_text(cr, "The Qingpu digital line in two styles");
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 10);
    cairo_move_to(cr, MARGIN, MARGIN + 32);
    cairo_show_text(cr, "Four innovation sites along Shanghai Metro Line 17, drawn by dline "
                        DLINE_VERSION_STRING " onto this page.");

    /* The colour map was drawn for a 1600 px screen: laid out at 920 px its
     * title, legend and inset still fit. The print map, sized in pt and mm,
     * needs less room. */
    double w = PAGE_W - 2 * MARGIN;
    double y = MARGIN + HEAD_H;
    draw_figure(ctx, cr, argv[1], 1.8, MARGIN, y, w, MAP_H, "Figure 1. Colour");
    y += MAP_H + CAPTION_H;
    draw_figure(ctx, cr, argv[2], 1.5, MARGIN, y, w, MAP_H, "Figure 2. Black and white");

    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 7.5);
    text_centred(cr, PAGE_W / 2, PAGE_H - MARGIN + 16,
                 "Site positions are approximate (1-2 km). Boundaries: DataV.GeoAtlas, "
                 "development data.");

    dline_ctx_free(ctx);
    cairo_destroy(cr);
    /* A PDF is written lazily: whether it worked is only known once finished. */
    cairo_surface_finish(page);
    cairo_status_t st = cairo_surface_status(page);
    cairo_surface_destroy(page);
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "report: %s: %s\n", argv[3], cairo_status_to_string(st));
        return 1;
    }
    return 0;
}
