/* Checks that a benchmark output is a readable PNG of the expected size that
 * is not blank (not every pixel the same), and prints how much of it differs
 * from the map background. Usage: png_check FILE.png WIDTH HEIGHT [#rrggbb].
 * Exit 0 when it passes, 1 otherwise, with one line saying why. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: png_check FILE.png WIDTH HEIGHT [#rrggbb]\n");
        return 2;
    }
    const char *path = argv[1];
    unsigned want_w = (unsigned)strtoul(argv[2], NULL, 10);
    unsigned want_h = (unsigned)strtoul(argv[3], NULL, 10);
    unsigned bg[3] = {0, 0, 0};
    int has_bg = argc == 5 && sscanf(argv[4], "#%2x%2x%2x", &bg[0], &bg[1], &bg[2]) == 3;

    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) {
        printf("%s: not a readable PNG (%s)\n", path, img.message);
        return 1;
    }
    if (img.width != want_w || img.height != want_h) {
        printf("%s: %ux%u, expected %ux%u\n", path, img.width, img.height, want_w, want_h);
        png_image_free(&img);
        return 1;
    }
    img.format = PNG_FORMAT_RGBA;
    size_t n = (size_t)img.width * img.height;
    png_bytep px = malloc(n * 4);
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        printf("%s: cannot decode (%s)\n", path, px ? img.message : "out of memory");
        free(px);
        return 1;
    }
    size_t differ = 0, off_bg = 0;
    for (size_t i = 0; i < n; i++) {
        const png_byte *p = px + 4 * i;
        differ += memcmp(p, px, 4) != 0;
        if (has_bg) {
            int d = abs(p[0] - (int)bg[0]) + abs(p[1] - (int)bg[1]) + abs(p[2] - (int)bg[2]);
            off_bg += d > 24 || p[3] < 250;
        }
    }
    free(px);
    if (!differ) {
        printf("%s: blank (every pixel is the same)\n", path);
        return 1;
    }
    if (has_bg)
        printf("%s: ok, %ux%u, %.1f%% not background\n", path, want_w, want_h,
               100.0 * (double)off_bg / (double)n);
    else
        printf("%s: ok, %ux%u\n", path, want_w, want_h);
    return 0;
}
