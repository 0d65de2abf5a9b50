/* Compares a peer's PNG with dline's, pixel by pixel (bench/README.md, "How
 * the maps are compared"). Usage:
 *
 *   png_diff DLINE.png PEER.png T MAX_PERCENT [DIFF.png]
 *
 * A pixel differs when its largest channel difference (R, G or B; both images
 * are read as opaque RGB over black) is more than T levels. Prints one line:
 * the share of such pixels, the share over 64 levels, and whether the share
 * over T is within MAX_PERCENT. DIFF.png, when given, is dline's image in
 * faint grey with the pixels over T in red (over 64 in dark red), to look at.
 * Exit 0 within the tolerance, 1 outside it or on an unreadable or
 * mismatched image, 2 on a usage error. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *load(const char *path, png_uint_32 *w, png_uint_32 *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        printf("%s: not a readable PNG (%s)\n", path, img.message);
        return NULL;
    }
    img.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    png_color black = {0, 0, 0};
    if (!px || !png_image_finish_read(&img, &black, px, 0, NULL)) {
        printf("%s: cannot decode (%s)\n", path, px ? img.message : "out of memory");
        free(px);
        png_image_free(&img);
        return NULL;
    }
    *w = img.width;
    *h = img.height;
    return px;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: png_diff DLINE.png PEER.png T MAX_PERCENT [DIFF.png]\n");
        return 2;
    }
    char *end;
    long t = strtol(argv[3], &end, 10);
    if (*end || t < 0 || t > 255) {
        fprintf(stderr, "png_diff: T must be 0-255, not '%s'\n", argv[3]);
        return 2;
    }
    double max_pct = strtod(argv[4], &end);
    if (*end || max_pct < 0) {
        fprintf(stderr, "png_diff: MAX_PERCENT must be a number >= 0, not '%s'\n", argv[4]);
        return 2;
    }
    png_uint_32 w, h, pw, ph;
    unsigned char *a = load(argv[1], &w, &h);
    if (!a)
        return 1;
    unsigned char *b = load(argv[2], &pw, &ph);
    if (!b) {
        free(a);
        return 1;
    }
    if (w != pw || h != ph) {
        printf("%s: %ux%u, %s is %ux%u\n", argv[2], (unsigned)pw, (unsigned)ph, argv[1],
               (unsigned)w, (unsigned)h);
        free(a);
        free(b);
        return 1;
    }
    size_t n = (size_t)w * h, over = 0, over64 = 0;
    for (size_t i = 0; i < n; i++) {
        int m = 0;
        for (int c = 0; c < 3; c++) {
            int d = abs(a[3 * i + c] - b[3 * i + c]);
            m = d > m ? d : m;
        }
        over += m > t;
        over64 += m > 64;
        /* The difference image is written into b: faint dline, red where over T. */
        unsigned char *p = b + 3 * i;
        if (m > 64) {
            p[0] = 150, p[1] = 0, p[2] = 0;
        } else if (m > t) {
            p[0] = 255, p[1] = 40, p[2] = 40;
        } else {
            int g = (a[3 * i] + a[3 * i + 1] + a[3 * i + 2]) / 3;
            p[0] = p[1] = p[2] = (unsigned char)(192 + g / 4);
        }
    }
    double pct = 100.0 * (double)over / (double)n;
    int ok = pct <= max_pct;
    printf("%.2f%% of pixels differ by more than %ld (%.2f%% by more than 64): %s %.2f%%\n", pct,
           t, 100.0 * (double)over64 / (double)n, ok ? "within" : "OUTSIDE", max_pct);
    int rc = ok ? 0 : 1;
    if (argc == 6) {
        png_image out;
        memset(&out, 0, sizeof out);
        out.version = PNG_IMAGE_VERSION;
        out.width = w;
        out.height = h;
        out.format = PNG_FORMAT_RGB;
        if (!png_image_write_to_file(&out, argv[5], 0, b, 0, NULL)) {
            printf("%s: cannot write (%s)\n", argv[5], out.message);
            rc = 1;
        }
    }
    free(a);
    free(b);
    return rc;
}
