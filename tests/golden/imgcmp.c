/* imgcmp: compares a rendered PNG with its reference for the golden tests.
 *
 *   imgcmp ACTUAL.png EXPECTED.png DIFF.png TOLERANCE MAXBAD
 *
 * A pixel is bad when any RGBA channel differs by more than TOLERANCE
 * (0-255); two fully transparent pixels are equal whatever their colour. Exits 0 when at most MAXBAD pixels are bad (a count, or a share
 * of all pixels such as "0.5%"); otherwise writes DIFF.png (the reference in
 * pale grey, bad pixels in red), prints "N of M pixels differ by more than T"
 * and exits 1. Exit 2 on usage or file errors. */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpng's last error, for the message (a tool: one thread). */
static char png_msg[200];

static void on_png_error(png_structp png, png_const_charp msg)
{
    snprintf(png_msg, sizeof png_msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

typedef struct {
    uint32_t width, height;
    unsigned char *rgba; /* width * height * 4 */
} image;

/* Reads any PNG (grey, palette, RGB, with or without alpha, 1-16 bits,
 * interlaced or not) as 8-bit RGBA. 0 on success. */
static int read_png(const char *path, image *img)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "imgcmp: %s: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char sig[8];
    if (fread(sig, 1, 8, fp) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fprintf(stderr, "imgcmp: %s: not a PNG file\n", path);
        fclose(fp);
        return -1;
    }
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    /* Changed after setjmp and read by the error path, hence volatile. */
    unsigned char **volatile rows = NULL;
    image *out = img;
    out->rgba = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp);
        fprintf(stderr, "imgcmp: out of memory\n");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        free(rows);
        free(out->rgba);
        out->rgba = NULL;
        fprintf(stderr, "imgcmp: %s: cannot decode the PNG: %s\n", path, png_msg);
        return -1;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    /* Large references are fine; pathological headers are not. */
    png_set_user_limits(png, 32767, 32767);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info);
    png_set_expand(png); /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    png_set_strip_16(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4)
        png_error(png, "unexpected row size");
    out->rgba = malloc((size_t)w * h * 4);
    rows = malloc(sizeof *rows * h);
    if (!out->rgba || !rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = out->rgba + (size_t)y * w * 4;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    out->width = w;
    out->height = h;
    return 0;
}

static int write_png(const char *path, const image *img)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        fprintf(stderr, "imgcmp: %s: %s\n", path, strerror(errno));
        return -1;
    }
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(fp);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        remove(path);
        fprintf(stderr, "imgcmp: %s: cannot write the PNG: %s\n", path, png_msg);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, img->width, img->height, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < img->height; y++)
        png_write_row(png, img->rgba + (size_t)y * img->width * 4);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (fclose(fp) != 0) {
        fprintf(stderr, "imgcmp: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* MAXBAD as a pixel count; -1 when malformed. */
static double parse_maxbad(const char *s, double total)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || !isfinite(v))
        return -1;
    if (*end == '%' && end[1] == '\0')
        return v > 100 ? -1 : floor(v / 100 * total);
    return *end == '\0' ? floor(v) : -1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: imgcmp ACTUAL.png EXPECTED.png DIFF.png TOLERANCE MAXBAD\n"
                        "  MAXBAD is a pixel count or a percentage such as 0.5%%\n");
        return 2;
    }
    char *end;
    long tol = strtol(argv[4], &end, 10);
    if (end == argv[4] || *end || tol < 0 || tol > 255) {
        fprintf(stderr, "imgcmp: TOLERANCE must be 0-255, not '%s'\n", argv[4]);
        return 2;
    }
    image act, exp;
    if (read_png(argv[1], &act) != 0)
        return 2;
    if (read_png(argv[2], &exp) != 0) {
        free(act.rgba);
        return 2;
    }
    int rc = 0;
    if (act.width != exp.width || act.height != exp.height) {
        printf("%s is %ux%u but %s is %ux%u\n", argv[1], (unsigned)act.width,
               (unsigned)act.height, argv[2], (unsigned)exp.width, (unsigned)exp.height);
        rc = 1;
        goto out;
    }
    size_t total = (size_t)act.width * act.height;
    double maxbad = parse_maxbad(argv[5], (double)total);
    if (maxbad < 0) {
        fprintf(stderr, "imgcmp: MAXBAD must be a count or a percentage, not '%s'\n", argv[5]);
        rc = 2;
        goto out;
    }
    size_t bad = 0;
    for (size_t i = 0; i < total; i++) {
        const unsigned char *a = act.rgba + i * 4, *e = exp.rgba + i * 4;
        unsigned char *d = act.rgba + i * 4; /* the diff image reuses act */
        int is_bad = 0;
        /* Fully transparent pixels look the same whatever colour they hold. */
        if (a[3] != 0 || e[3] != 0)
            for (int c = 0; c < 4; c++)
                if (abs((int)a[c] - (int)e[c]) > tol)
                    is_bad = 1;
        if (is_bad) {
            bad++;
            d[0] = 255;
            d[1] = 0;
            d[2] = 0;
        } else {
            /* Luma of the reference over white, faded so red stands out. */
            double alpha = e[3] / 255.0;
            double lum = (0.299 * e[0] + 0.587 * e[1] + 0.114 * e[2]) * alpha + 255 * (1 - alpha);
            unsigned char g = (unsigned char)lround(160 + lum * 95 / 255);
            d[0] = d[1] = d[2] = g;
        }
        d[3] = 255;
    }
    if ((double)bad > maxbad) {
        printf("%zu of %zu pixels differ by more than %ld\n", bad, total, tol);
        rc = write_png(argv[3], &act) == 0 ? 1 : 2;
    }
out:
    free(act.rgba);
    free(exp.rgba);
    return rc;
}
