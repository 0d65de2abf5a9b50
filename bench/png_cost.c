/* What encoding a map as PNG costs, against the floor: deflate alone on the
 * same bytes. Reads a PNG (a rendered map) into a Cairo image, then does one
 * of:
 *   dline     dl_png_write, as `dline render` does (RGB, no filter, level L)
 *   convert   only the premultiplied-ARGB to RGB conversion of every row
 *   deflate   zlib's deflate at level L of the RGB rows, each led by its
 *             filter byte (exactly the bytes a PNG's IDAT compresses)
 *   crc       deflate plus the CRC-32 of the compressed bytes (what libpng
 *             adds for its chunks)
 * and prints the output size. Run each mode under
 * `valgrind --tool=callgrind` to count instructions (bench/png_cost.sh).
 *   png_cost MODE LEVEL MAP.png */
#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dline.h"
#include "output/output.h"

static void to_rgb(const cairo_surface_t *img, int y, unsigned char *dst)
{
    cairo_surface_t *s = (cairo_surface_t *)img;
    int w = cairo_image_surface_get_width(s);
    const uint32_t *src = (const uint32_t *)(const void *)(cairo_image_surface_get_data(s) +
                                                         (size_t)y *
                                                             (size_t)cairo_image_surface_get_stride(s));
    for (int x = 0; x < w; x++) {
        uint32_t p = src[x];
        *dst++ = (unsigned char)(p >> 16);
        *dst++ = (unsigned char)(p >> 8);
        *dst++ = (unsigned char)p;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: png_cost dline|convert|deflate|crc LEVEL MAP.png\n");
        return 2;
    }
    const char *mode = argv[1];
    int level = atoi(argv[2]);
    cairo_surface_t *img = cairo_image_surface_create_from_png(argv[3]);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "png_cost: %s: %s\n", argv[3],
                cairo_status_to_string(cairo_surface_status(img)));
        return 1;
    }
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    size_t out = 0;
    if (strcmp(mode, "dline") == 0) {
        dline_ctx *ctx = dline_ctx_new();
        FILE *fp = tmpfile();
        if (!ctx || !fp || dl_png_write(ctx, fp, "png_cost", img, 96, 1, NULL, level, 1) != DLINE_OK) {
            fprintf(stderr, "png_cost: %s\n", ctx ? dline_ctx_message(ctx) : "out of memory");
            return 1;
        }
        out = (size_t)ftell(fp);
        fclose(fp);
        dline_ctx_free(ctx);
    } else {
        size_t rowlen = 1 + 3 * (size_t)w;
        unsigned char *row = calloc(rowlen, 1);
        unsigned char buf[1 << 16];
        z_stream z;
        memset(&z, 0, sizeof z);
        int zip = strcmp(mode, "convert") != 0;
        int crc = strcmp(mode, "crc") == 0;
        if (!row || (zip && deflateInit(&z, level) != Z_OK))
            return 1;
        uLong c = crc32(0, NULL, 0);
        for (int y = 0; y < h; y++) {
            to_rgb(img, y, row + 1);
            if (!zip) {
                out += row[1 + (size_t)y % (rowlen - 1)]; /* keep the work */
                continue;
            }
            z.next_in = row;
            z.avail_in = (uInt)rowlen;
            int flush = y == h - 1 ? Z_FINISH : Z_NO_FLUSH;
            do {
                z.next_out = buf;
                z.avail_out = sizeof buf;
                deflate(&z, flush);
                size_t n = sizeof buf - z.avail_out;
                if (crc)
                    c = crc32(c, buf, (uInt)n);
                out += n;
            } while (z.avail_out == 0);
        }
        if (zip)
            deflateEnd(&z);
        free(row);
        if (crc)
            printf("crc %08lx\n", (unsigned long)c);
    }
    printf("%s level %d: %dx%d, %zu bytes\n", mode, level, w, h, out);
    cairo_surface_destroy(img);
    return 0;
}
