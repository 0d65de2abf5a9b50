/* Output stage: PNG encoding read back with libpng, SVG/PDF files, and the
 * temporary-file-and-rename rules (nothing left behind, nothing clobbered). */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/output.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/dline-test-output-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    return 0;
}

static char *path_in(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* Files in the test folder. */
static int count_files(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static dl_output_options opts(dline_format f, double w, double h, double dpi)
{
    dl_output_options o = {.format = f, .width = w, .height = h, .dpi = dpi};
    return o;
}

typedef struct {
    png_uint_32 w, h;
    int color_type;
    png_uint_32 ppm_x, ppm_y;
    int unit;
    char software[64], title[128];
    unsigned char *rows; /* w * channels * h */
    int channels;
} png_info_read;

static void read_png(const char *path, png_info_read *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng could not read %s", path);
    png_init_io(png, fp);
    png_read_info(png, info);
    out->w = png_get_image_width(png, info);
    out->h = png_get_image_height(png, info);
    out->color_type = png_get_color_type(png, info);
    png_get_pHYs(png, info, &out->ppm_x, &out->ppm_y, &out->unit);
    out->channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    out->rows = malloc(rowbytes * out->h);
    for (png_uint_32 y = 0; y < out->h; y++)
        png_read_row(png, out->rows + y * rowbytes, NULL);
    png_read_end(png, info);
    png_textp text;
    int ntext = png_get_text(png, info, &text, NULL);
    for (int i = 0; i < ntext; i++) {
        if (strcmp(text[i].key, "Software") == 0)
            snprintf(out->software, sizeof out->software, "%s", text[i].text);
        if (strcmp(text[i].key, "Title") == 0)
            snprintf(out->title, sizeof out->title, "%s", text[i].text);
    }
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
}

static void format_from_extension(void **state)
{
    (void)state;
    assert_int_equal(dl_output_format_from_path("a.png"), DLINE_FORMAT_PNG);
    assert_int_equal(dl_output_format_from_path("out/Map.PNG"), DLINE_FORMAT_PNG);
    assert_int_equal(dl_output_format_from_path("map.svg"), DLINE_FORMAT_SVG);
    assert_int_equal(dl_output_format_from_path("x.y/map.Pdf"), DLINE_FORMAT_PDF);
    assert_int_equal(dl_output_format_from_path("map"), DLINE_FORMAT_AUTO);
    assert_int_equal(dl_output_format_from_path("map.png/x"), DLINE_FORMAT_AUTO);
    assert_int_equal(dl_output_format_from_path("map.jpeg"), DLINE_FORMAT_AUTO);
    assert_int_equal(dl_output_format_from_path("-"), DLINE_FORMAT_AUTO);
}

static void opaque_png_is_rgb_with_phys_and_text(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 40, 30, 96);
    opt.opaque = 1;
    opt.title = "Qingpu";
    const char *p = path_in("opaque.png");
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    cairo_t *cr = dl_output_cairo(o);
    cairo_set_source_rgb(cr, 1, 0.5, 0);
    cairo_paint(cr);
    assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
    png_info_read r;
    read_png(p, &r);
    assert_int_equal(r.w, 40);
    assert_int_equal(r.h, 30);
    assert_int_equal(r.color_type, PNG_COLOR_TYPE_RGB);
    assert_int_equal(r.unit, PNG_RESOLUTION_METER);
    assert_int_equal(r.ppm_x, 3780); /* 96 / 0.0254 */
    assert_int_equal(r.ppm_y, 3780);
    assert_string_equal(r.software, "dline 0.1.0");
    assert_string_equal(r.title, "Qingpu");
    assert_int_equal(r.rows[0], 255);
    assert_int_equal(r.rows[1], 128);
    assert_int_equal(r.rows[2], 0);
    free(r.rows);
    /* The file a new file would be: 0666 less the umask, not mkstemp's 0600. */
    mode_t mask = umask(0);
    umask(mask);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    assert_int_equal(count_files(), 1);
    unlink(p);
    dline_ctx_free(ctx);
}

static void png_at_300_dpi_is_scaled(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 100, 50, 300);
    const char *p = path_in("hires.png");
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    cairo_t *cr = dl_output_cairo(o);
    /* The right half of the map in user space is the right half of the image. */
    cairo_rectangle(cr, 50, 0, 50, 50);
    cairo_set_source_rgba(cr, 0, 0, 1, 1);
    cairo_fill(cr);
    assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
    png_info_read r;
    read_png(p, &r);
    assert_int_equal(r.w, 313); /* round(100 * 300 / 96) */
    assert_int_equal(r.h, 156); /* round(50 * 300 / 96) */
    assert_int_equal(r.color_type, PNG_COLOR_TYPE_RGB_ALPHA);
    assert_int_equal(r.ppm_x, 11811); /* 300 / 0.0254 */
    assert_string_equal(r.title, "");
    const unsigned char *row = r.rows + 10 * r.w * 4;
    assert_int_equal(row[155 * 4 + 3], 0);
    assert_int_equal(row[157 * 4 + 2], 255);
    assert_int_equal(row[157 * 4 + 3], 255);
    free(r.rows);
    unlink(p);
    dline_ctx_free(ctx);
}

static void png_is_unpremultiplied_exactly(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 1);
    uint32_t *px = (uint32_t *)(void *)cairo_image_surface_get_data(img);
    cairo_surface_flush(img);
    px[0] = 0x80804000; /* 50% of (255, 128, 0) */
    px[1] = 0x00000000;
    px[2] = 0xff102030;
    px[3] = 0x40202020; /* 25% of (128, 128, 128) */
    cairo_surface_mark_dirty(img);
    const char *p = path_in("alpha.png");
    FILE *fp = fopen(p, "wb");
    assert_int_equal(dl_png_write(ctx, fp, p, img, 96, 0, "Zhujiajiao 朱家角", -1, 2), DLINE_OK);
    fclose(fp);
    png_info_read r;
    read_png(p, &r);
    assert_int_equal(r.color_type, PNG_COLOR_TYPE_RGB_ALPHA);
    static const unsigned char expect[16] = {255, 128, 0, 128, 0, 0, 0, 0,
                                             16, 32, 48, 255, 128, 128, 128, 64};
    assert_memory_equal(r.rows, expect, 16);
    /* A non-ASCII title goes in iTXt, which libpng returns as UTF-8. */
    assert_string_equal(r.title, "Zhujiajiao 朱家角");
    free(r.rows);
    unlink(p);
    cairo_surface_destroy(img);
    dline_ctx_free(ctx);
}

/* The image data is deflated in two parts of rows joined into one zlib
 * stream: libpng (which checks every CRC and the Adler-32) must read back
 * exactly the pixels, at every level, for heights that split unevenly and
 * for one row, and one thread and two must write the same bytes. */
static long file_bytes(const char *p, unsigned char **out)
{
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    *out = malloc((size_t)n);
    assert_int_equal(fread(*out, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return n;
}

static void png_parts_join_into_one_stream(void **state)
{
    (void)state;
    static const int heights[] = {1, 2, 7, 301};
    static const int levels[] = {0, 1, 3, 6, 9};
    for (size_t hi = 0; hi < sizeof heights / sizeof heights[0]; hi++) {
        int w = 257, h = heights[hi];
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
        cairo_surface_flush(img);
        unsigned char *data = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        uint32_t seed = 12345;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                seed = seed * 1103515245u + 12345u;
                /* Opaque; runs and noise, as maps have both. */
                uint32_t v = (x / 16 + y) % 3 == 0 ? 0x00406080u : (seed >> 8);
                ((uint32_t *)(void *)(data + (size_t)y * (size_t)stride))[x] = 0xff000000u | v;
            }
        cairo_surface_mark_dirty(img);
        for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
            unsigned char *bytes[2];
            long n[2];
            for (int t = 1; t <= 2; t++) {
                dline_ctx *ctx = dline_ctx_new();
                const char *p = path_in(t == 1 ? "parts1.png" : "parts2.png");
                FILE *fp = fopen(p, "wb");
                assert_int_equal(dl_png_write(ctx, fp, p, img, 96, 1, NULL, levels[li], t),
                                 DLINE_OK);
                fclose(fp);
                png_info_read r;
                read_png(p, &r);
                assert_int_equal(r.w, (png_uint_32)w);
                assert_int_equal(r.h, (png_uint_32)h);
                assert_int_equal(r.color_type, PNG_COLOR_TYPE_RGB);
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) {
                        uint32_t px = ((uint32_t *)(void *)(data + (size_t)y * (size_t)stride))[x];
                        const unsigned char *q = r.rows + ((size_t)y * (size_t)w + (size_t)x) * 3;
                        if (q[0] != ((px >> 16) & 0xff) || q[1] != ((px >> 8) & 0xff) ||
                            q[2] != (px & 0xff))
                            fail_msg("height %d level %d threads %d: pixel %d,%d differs", h,
                                     levels[li], t, x, y);
                    }
                free(r.rows);
                n[t - 1] = file_bytes(p, &bytes[t - 1]);
                unlink(p);
                dline_ctx_free(ctx);
            }
            assert_int_equal(n[0], n[1]);
            assert_memory_equal(bytes[0], bytes[1], (size_t)n[0]);
            free(bytes[0]);
            free(bytes[1]);
        }
        cairo_surface_destroy(img);
    }
}

static void png_write_error_is_reported(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
    FILE *fp = fopen("/dev/full", "wb");
    if (!fp) {
        cairo_surface_destroy(img);
        dline_ctx_free(ctx);
        skip();
    }
    setvbuf(fp, NULL, _IONBF, 0);
    assert_int_equal(dl_png_write(ctx, fp, "full.png", img, 96, 0, NULL, -1, 2), DLINE_EIO);
    assert_string_equal(dline_ctx_message(ctx),
                        "full.png: PNG write failed: No space left on device");
    fclose(fp);
    cairo_surface_destroy(img);
    dline_ctx_free(ctx);
}

static void read_head(const char *p, char *buf, size_t n)
{
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    size_t got = fread(buf, 1, n - 1, fp);
    buf[got] = '\0';
    fclose(fp);
}

static void svg_and_pdf_have_magic_and_size(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_SVG, 800, 600, 96);
    const char *svg = "map.svg", *pdf = "map.pdf";
    char ps[512], pp[512];
    snprintf(ps, sizeof ps, "%s", path_in(svg));
    snprintf(pp, sizeof pp, "%s", path_in(pdf));
    assert_int_equal(dl_output_open(ctx, ps, &opt, &o), DLINE_OK);
    cairo_rectangle(dl_output_cairo(o), 0, 0, 400, 300);
    cairo_fill(dl_output_cairo(o));
    assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
    char head[4096];
    read_head(ps, head, sizeof head);
    assert_memory_equal(head, "<?xml", 5);
    assert_non_null(strstr(head, "<svg"));
    assert_non_null(strstr(head, "width=\"600pt\""));
    assert_non_null(strstr(head, "height=\"450pt\""));

    opt.format = DLINE_FORMAT_PDF;
    opt.title = "Qingpu";
    assert_int_equal(dl_output_open(ctx, pp, &opt, &o), DLINE_OK);
    cairo_rectangle(dl_output_cairo(o), 0, 0, 400, 300);
    cairo_fill(dl_output_cairo(o));
    assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
    read_head(pp, head, 6);
    assert_string_equal(head, "%PDF-");
    /* 800 x 600 px at 96 dpi is 600 x 450 pt. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", pp);
    FILE *pi = popen(cmd, "r");
    int checked = 0;
    if (pi) {
        char line[256];
        while (fgets(line, sizeof line, pi)) {
            double w, h;
            if (sscanf(line, "Page size: %lf x %lf pts", &w, &h) == 2) {
                assert_true(w == 600 && h == 450);
                checked++;
            }
            if (strncmp(line, "Title:", 6) == 0) {
                assert_non_null(strstr(line, "Qingpu"));
                checked++;
            }
            if (strncmp(line, "Creator:", 8) == 0) {
                assert_non_null(strstr(line, "dline 0.1.0"));
                checked++;
            }
        }
        pclose(pi);
    }
    if (checked != 3) {
        /* No pdfinfo: look for the page's MediaBox in the file itself. */
        FILE *fp = fopen(pp, "rb");
        static char all[1 << 16];
        size_t n = fread(all, 1, sizeof all - 1, fp);
        fclose(fp);
        all[n] = '\0';
        int found = 0;
        for (size_t i = 0; i + 10 < n; i++)
            if (memcmp(all + i, "/MediaBox", 9) == 0 && strstr(all + i, "0 0 600 450"))
                found = 1;
        assert_true(found);
    }
    assert_int_equal(count_files(), 2);
    unlink(ps);
    unlink(pp);
    dline_ctx_free(ctx);
}

/* Reads a whole small file into buf (NUL-terminated, NULs inside kept);
 * returns its length. */
static size_t read_all(const char *p, char *buf, size_t n)
{
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    size_t got = fread(buf, 1, n - 1, fp);
    assert_true(feof(fp));
    buf[got] = '\0';
    fclose(fp);
    return got;
}

static const char *find_bytes(const char *hay, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(hay + i, needle, nl) == 0)
            return hay + i;
    return NULL;
}

/* An A4 page in px at 96 dpi is fractional; the PDF page keeps it exactly,
 * and a fixed creation time gives the same bytes twice. */
static void pdf_paper_size_and_fixed_date(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output_options opt = opts(DLINE_FORMAT_PDF, 210 / 25.4 * 96, 297 / 25.4 * 96, 96);
    opt.has_creation_time = 1;
    opt.creation_time = 1795996800; /* 2026-11-30T00:00:00Z */
    static char a[65536], b[65536];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        dl_output *o;
        const char *p = path_in(i ? "b.pdf" : "a.pdf");
        assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
        cairo_rectangle(dl_output_cairo(o), 10, 10, 100, 100);
        cairo_fill(dl_output_cairo(o));
        assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
        len[i] = read_all(p, i ? b : a, sizeof a);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(a, b, len[0]);
    assert_non_null(find_bytes(a, len[0], "/MediaBox [ 0 0 595.275591 841.889764 ]"));
    /* Cairo 1.16 leaves out the optional "D:" prefix; later versions write it. */
    assert_true(find_bytes(a, len[0], "/CreationDate (20261130000000Z)") ||
                find_bytes(a, len[0], "/CreationDate (D:20261130000000Z)"));
    unlink(path_in("a.pdf"));
    unlink(path_in("b.pdf"));
    dline_ctx_free(ctx);
}

static void missing_folder_leaves_nothing(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o = (dl_output *)1;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 10, 10, 96);
    char p[512];
    snprintf(p, sizeof p, "%s/no-such-folder/map.png", dir);
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_EIO);
    assert_null(o);
    char expect[600];
    snprintf(expect, sizeof expect, "%s: cannot create output: No such file or directory", p);
    assert_string_equal(dline_ctx_message(ctx), expect);
    assert_int_equal(count_files(), 0);
    dline_ctx_free(ctx);
}

static void folder_as_output_is_refused(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 10, 10, 96);
    assert_int_equal(dl_output_open(ctx, dir, &opt, &o), DLINE_EIO);
    char expect[600];
    snprintf(expect, sizeof expect, "%s: cannot create output: Is a directory", dir);
    assert_string_equal(dline_ctx_message(ctx), expect);
    assert_int_equal(count_files(), 0);
    dline_ctx_free(ctx);
}

static void abort_removes_the_temporary_file(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PDF, 100, 100, 96);
    assert_int_equal(dl_output_open(ctx, path_in("gone.pdf"), &opt, &o), DLINE_OK);
    /* The temporary file sits next to the target, hidden. */
    DIR *d = opendir(dir);
    struct dirent *e;
    int tmp = 0;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, ".gone.pdf.", 10) == 0 && strlen(e->d_name) == 16)
            tmp++;
    closedir(d);
    assert_int_equal(tmp, 1);
    dl_output_abort(o);
    dl_output_abort(NULL);
    assert_int_equal(count_files(), 0);
    dline_ctx_free(ctx);
}

static void failed_commit_keeps_the_old_file(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    const char *p = path_in("keep.png");
    FILE *fp = fopen(p, "w");
    fputs("old map", fp);
    fclose(fp);
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 20, 20, 96);
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    cairo_restore(dl_output_cairo(o)); /* a Cairo error during the render */
    assert_int_equal(dl_output_commit(ctx, o), DLINE_ERENDER);
    char expect[600];
    snprintf(expect, sizeof expect,
             "%s: rendering failed: cairo_restore() without matching cairo_save()", p);
    assert_string_equal(dline_ctx_message(ctx), expect);
    char head[32];
    read_head(p, head, sizeof head);
    assert_string_equal(head, "old map");
    assert_int_equal(count_files(), 1);

    /* The same for a vector format, and then a good render does replace it. */
    dline_ctx_clear(ctx);
    opt.format = DLINE_FORMAT_SVG;
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    cairo_restore(dl_output_cairo(o));
    assert_int_equal(dl_output_commit(ctx, o), DLINE_ERENDER);
    read_head(p, head, sizeof head);
    assert_string_equal(head, "old map");
    assert_int_equal(count_files(), 1);
    opt.format = DLINE_FORMAT_PNG;
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
    read_head(p, head, 5);
    assert_memory_equal(head, "\x89PNG", 4);
    assert_int_equal(count_files(), 1);
    unlink(p);
    dline_ctx_free(ctx);
}

static void pixel_limit_is_checked_first(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 20001, 20000, 96);
    const char *p = path_in("huge.png");
    char expect[600];
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_ENOMEM);
    snprintf(expect, sizeof expect,
             "%s: output of 20001x20000 pixels is over the limit of 400000000 pixels", p);
    assert_string_equal(dline_ctx_message(ctx), expect);
    assert_int_equal(count_files(), 0);

    dline_ctx_clear(ctx);
    opt = opts(DLINE_FORMAT_PNG, 20000, 100, 192);
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_ENOMEM);
    snprintf(expect, sizeof expect,
             "%s: output of 40000x200 pixels is over the limit of 32767 pixels a side", p);
    assert_string_equal(dline_ctx_message(ctx), expect);
    assert_int_equal(count_files(), 0);

    /* A budget of the caller's: 100 x 100 fits 10000, 101 x 100 does not. */
    dline_ctx_clear(ctx);
    opt = opts(DLINE_FORMAT_PNG, 101, 100, 96);
    opt.max_pixels = 10000;
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_ENOMEM);
    snprintf(expect, sizeof expect,
             "%s: output of 101x100 pixels is over the limit of 10000 pixels", p);
    assert_string_equal(dline_ctx_message(ctx), expect);
    assert_int_equal(count_files(), 0);
    dline_ctx_clear(ctx);
    opt.width = 100;
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    dl_output_abort(o);
    assert_int_equal(count_files(), 0);
    /* A budget over the default still stops at 32767 a side. */
    opt = opts(DLINE_FORMAT_PNG, 32768, 10, 96);
    opt.max_pixels = 1000000000000ULL;
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_ENOMEM);
    assert_int_equal(count_files(), 0);

    /* Vector formats have no pixels. */
    dline_ctx_clear(ctx);
    opt = opts(DLINE_FORMAT_PDF, 20000, 20000, 96);
    assert_int_equal(dl_output_open(ctx, path_in("huge.pdf"), &opt, &o), DLINE_OK);
    dl_output_abort(o);
    assert_int_equal(count_files(), 0);
    dline_ctx_free(ctx);
}

/* A cancel that arrives while the file is written: the commit fails with
 * DLINE_ECANCELED, nothing is left, and an existing target is untouched. */
static void cancel_removes_the_temporary_file(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    const char *p = path_in("kept.png");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_PNG, 300, 200, 96);
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    assert_int_equal(count_files(), 2); /* the target and .kept.png.XXXXXX */
    dline_ctx_cancel(ctx);
    assert_int_equal(dl_output_commit(ctx, o), DLINE_ECANCELED);
    assert_string_equal(dline_ctx_message(ctx), "interrupted");
    assert_int_equal(count_files(), 1);
    char buf[8] = {0};
    f = fopen(p, "r");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 3);
    fclose(f);
    assert_string_equal(buf, "old");
    unlink(p);
    /* dline_ctx_clear() withdraws the request. */
    dline_ctx_clear(ctx);
    assert_int_equal(dl_output_open(ctx, p, &opt, &o), DLINE_OK);
    assert_int_equal(dl_output_commit(ctx, o), DLINE_OK);
    assert_int_equal(count_files(), 1);
    unlink(p);
    dline_ctx_free(ctx);
}

/* Runs one render to "-" with stdout sent to a file; returns its first bytes. */
static void render_to_stdout(dline_format f, char *head, size_t n)
{
    const char *p = path_in("stdout.out");
    fflush(stdout);
    int saved = dup(1);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(f, 10, 10, 96);
    dline_status st = dl_output_open(ctx, "-", &opt, &o);
    int files = count_files();
    if (st == DLINE_OK)
        st = dl_output_commit(ctx, o);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(st, DLINE_OK);
    assert_int_equal(files, 1); /* no temporary file for "-" */
    read_head(p, head, n);
    unlink(p);
    dline_ctx_free(ctx);
}

static void dash_writes_to_stdout(void **state)
{
    (void)state;
    char head[8];
    render_to_stdout(DLINE_FORMAT_PNG, head, 5);
    assert_memory_equal(head, "\x89PNG", 4);
    render_to_stdout(DLINE_FORMAT_PDF, head, 6);
    assert_string_equal(head, "%PDF-");
    render_to_stdout(DLINE_FORMAT_SVG, head, 6);
    assert_string_equal(head, "<?xml");
}

static void bad_options_are_usage_errors(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_output *o;
    dl_output_options opt = opts(DLINE_FORMAT_AUTO, 10, 10, 96);
    assert_int_equal(dl_output_open(ctx, path_in("x.png"), &opt, &o), DLINE_EUSAGE);
    dline_ctx_clear(ctx);
    opt = opts(DLINE_FORMAT_PNG, 10, 10, 0);
    assert_int_equal(dl_output_open(ctx, path_in("x.png"), &opt, &o), DLINE_EUSAGE);
    dline_ctx_clear(ctx);
    opt = opts(DLINE_FORMAT_SVG, NAN, 10, 96);
    assert_int_equal(dl_output_open(ctx, path_in("x.svg"), &opt, &o), DLINE_EUSAGE);
    assert_int_equal(count_files(), 0);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_from_extension),
        cmocka_unit_test(opaque_png_is_rgb_with_phys_and_text),
        cmocka_unit_test(png_at_300_dpi_is_scaled),
        cmocka_unit_test(png_is_unpremultiplied_exactly),
        cmocka_unit_test(png_write_error_is_reported),
        cmocka_unit_test(png_parts_join_into_one_stream),
        cmocka_unit_test(svg_and_pdf_have_magic_and_size),
        cmocka_unit_test(pdf_paper_size_and_fixed_date),
        cmocka_unit_test(missing_folder_leaves_nothing),
        cmocka_unit_test(folder_as_output_is_refused),
        cmocka_unit_test(abort_removes_the_temporary_file),
        cmocka_unit_test(failed_commit_keeps_the_old_file),
        cmocka_unit_test(pixel_limit_is_checked_first),
        cmocka_unit_test(cancel_removes_the_temporary_file),
        cmocka_unit_test(dash_writes_to_stdout),
        cmocka_unit_test(bad_options_are_usage_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
