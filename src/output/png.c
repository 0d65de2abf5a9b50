/* PNG encoding: Cairo's premultiplied native-endian ARGB32 turned into
 * straight RGBA (or RGB). libpng writes the signature, IHDR, pHYs, tEXt/iTXt
 * and IEND chunks; the image data is deflated here with zlib in two parts
 * of rows, at once on two threads (or in turn on one), and written as IDAT
 * chunks through libpng's png_write_chunk. libpng deflates one stream row by
 * row and cannot split it; the parts are raw deflate streams, the first
 * ended with a sync flush (byte-aligned, not final), joined under one zlib
 * header with the Adler-32 of all rows (adler32_combine), which is a valid
 * zlib stream, the same bytes whatever the thread count. */
#include "output/output.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <zlib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SOFTWARE "dline " DLINE_VERSION_STRING

#define IDAT_MAX ((size_t)1 << 20)

/* One part of the image's rows, deflated on its own. */
typedef struct {
    const unsigned char *data;
    int stride, width, row0, row1;
    int rgb, has_alpha, level, last;
    const volatile sig_atomic_t *cancel, *parent_cancel; /* the caller's flags, read only */
    unsigned char *out; /* raw deflate bytes */
    size_t len, cap;
    uLong adler;        /* of the part's filtered rows */
    size_t raw;         /* their length */
    int failed, canceled;
} png_part;

/* Everything the error path needs lives on the heap, so nothing it reads is
 * an automatic variable changed between setjmp and longjmp. */
typedef struct {
    FILE *fp;
    int rgb; /* write RGB (opaque) rather than RGBA */
    png_part parts[2];
    char msg[256];
} png_state;

static void on_error(png_structp png, png_const_charp msg)
{
    png_state *s = png_get_error_ptr(png);
    if (!s->msg[0])
        snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void on_write(png_structp png, png_bytep data, size_t length)
{
    png_state *s = png_get_io_ptr(png);
    if (fwrite(data, 1, length, s->fp) != length) {
        snprintf(s->msg, sizeof s->msg, "%s", strerror(errno ? errno : EIO));
        png_error(png, "write error");
    }
}

static void on_flush(png_structp png)
{
    (void)png; /* the caller flushes once at the end */
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* One row of premultiplied ARGB32 to straight RGB(A) bytes. Rounds as Cairo's
 * own PNG writer does, so a colour premultiplied by Cairo comes back. */
static void convert_row(const uint32_t *src, unsigned char *dst, int width, int opaque,
                        int has_alpha)
{
    for (int x = 0; x < width; x++) {
        uint32_t p = src[x];
        unsigned a = has_alpha ? p >> 24 : 255;
        unsigned r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
        if (opaque) {
            /* Straight channels of an opaque pixel are its premultiplied ones. */
            *dst++ = (unsigned char)r;
            *dst++ = (unsigned char)g;
            *dst++ = (unsigned char)b;
            continue;
        }
        if (a == 0) {
            r = g = b = 0;
        } else if (a < 255) {
            r = (r * 255 + a / 2) / a;
            g = (g * 255 + a / 2) / a;
            b = (b * 255 + a / 2) / a;
        }
        *dst++ = (unsigned char)(r > 255 ? 255 : r);
        *dst++ = (unsigned char)(g > 255 ? 255 : g);
        *dst++ = (unsigned char)(b > 255 ? 255 : b);
        *dst++ = (unsigned char)a;
    }
}

static int part_grow(png_part *p, size_t need)
{
    if (p->cap - p->len >= need)
        return 0;
    size_t cap = p->cap ? p->cap : 65536;
    while (cap - p->len < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    unsigned char *o = realloc(p->out, cap);
    if (!o)
        return -1;
    p->out = o;
    p->cap = cap;
    return 0;
}

static void *deflate_part(void *arg)
{
    png_part *p = arg;
    size_t rowlen = 1 + (size_t)p->width * (p->rgb ? 3 : 4);
    unsigned char *row = calloc(rowlen, 1); /* row[0] = 0: filter type None */
    z_stream z;
    memset(&z, 0, sizeof z);
    if (!row || deflateInit2(&z, p->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(row);
        p->failed = 1;
        return NULL;
    }
    p->adler = adler32(0L, Z_NULL, 0);
    for (int y = p->row0; y < p->row1 && !p->failed; y++) {
        /* A big image takes seconds to encode: a cancel is seen per row. */
        if (*p->cancel || (p->parent_cancel && *p->parent_cancel)) {
            p->canceled = 1;
            break;
        }
        convert_row((const uint32_t *)(const void *)(p->data + (size_t)y * (size_t)p->stride),
                    row + 1, p->width, p->rgb, p->has_alpha);
        p->adler = adler32(p->adler, row, (uInt)rowlen);
        p->raw += rowlen;
        int flush = y + 1 < p->row1 ? Z_NO_FLUSH : p->last ? Z_FINISH : Z_SYNC_FLUSH;
        z.next_in = row;
        z.avail_in = (uInt)rowlen;
        do {
            if (part_grow(p, 65536) != 0) {
                p->failed = 1;
                break;
            }
            z.next_out = p->out + p->len;
            z.avail_out = (uInt)(p->cap - p->len);
            int rc = deflate(&z, flush);
            p->len = p->cap - z.avail_out;
            if (rc == Z_STREAM_ERROR)
                p->failed = 1;
        } while (!p->failed && z.avail_out == 0);
    }
    deflateEnd(&z);
    free(row);
    return NULL;
}

typedef struct {
    const unsigned char *p;
    size_t n;
} segment;

/* The zlib stream, in pieces, as IDAT chunks of at most IDAT_MAX bytes. */
static void write_idat(png_structp png, const segment *segs, size_t nsegs)
{
    size_t total = 0;
    for (size_t i = 0; i < nsegs; i++)
        total += segs[i].n;
    size_t si = 0, so = 0;
    while (total > 0) {
        size_t chunk = total < IDAT_MAX ? total : IDAT_MAX;
        png_write_chunk_start(png, (png_const_bytep) "IDAT", (png_uint_32)chunk);
        for (size_t left = chunk; left > 0;) {
            size_t take = segs[si].n - so < left ? segs[si].n - so : left;
            if (take)
                png_write_chunk_data(png, segs[si].p + so, take);
            so += take;
            left -= take;
            if (so == segs[si].n) {
                si++;
                so = 0;
            }
        }
        png_write_chunk_end(png);
        total -= chunk;
    }
}

dline_status dl_png_write(dline_ctx *ctx, FILE *fp, const char *what, cairo_surface_t *image,
                          double dpi, int opaque, const char *title, int level, int threads)
{
    cairo_format_t fmt = cairo_image_surface_get_format(image);
    if (fmt != CAIRO_FORMAT_ARGB32 && fmt != CAIRO_FORMAT_RGB24)
        return dl_error(ctx, DLINE_ERENDER, what, 0, 0, "PNG write failed: not an ARGB32 image");
    cairo_surface_flush(image);
    int width = cairo_image_surface_get_width(image);
    int height = cairo_image_surface_get_height(image);
    int stride = cairo_image_surface_get_stride(image);
    const unsigned char *data = cairo_image_surface_get_data(image);
    if (!data || width <= 0 || height <= 0)
        return dl_error(ctx, DLINE_ERENDER, what, 0, 0, "PNG write failed: empty image");
    int has_alpha = fmt == CAIRO_FORMAT_ARGB32;
    size_t channels = opaque || !has_alpha ? 3 : 4;

    png_state *s = calloc(1, sizeof *s);
    if (!s)
        return dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "PNG write failed: out of memory");
    s->fp = fp;
    /* Everything used after setjmp lives in *s, which longjmp cannot clobber. */
    s->rgb = channels == 3;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, s, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        free(s);
        return dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "PNG write failed: out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        dline_status st =
            dl_error(ctx, DLINE_EIO, what, 0, 0, "PNG write failed: %s", s->msg);
        for (int k = 0; k < 2; k++)
            free(s->parts[k].out);
        free(s);
        return st;
    }
    png_set_write_fn(png, s, on_write, on_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 s->rgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (dpi > 0 && isfinite(dpi) && dpi / 0.0254 < 4294967295.0) {
        png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    }
    png_text text[2];
    memset(text, 0, sizeof text);
    int ntext = 0;
    text[ntext].compression = PNG_TEXT_COMPRESSION_NONE;
    text[ntext].key = "Software";
    text[ntext].text = SOFTWARE;
    ntext++;
    if (title && *title) {
        /* tEXt is Latin-1; a UTF-8 title (say, in Chinese) needs iTXt. */
        text[ntext].compression =
            is_ascii(title) ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
        text[ntext].key = "Title";
        text[ntext].text = (char *)title;
        ntext++;
    }
    png_set_text(png, info, text, ntext);
    png_write_info(png, info);
    /* Maps are mostly flat areas and straight edges, which deflate finds
     * as long runs with no filter at all. Measured on the flagship (1600 x
     * 1100, callgrind): no filter at level 3 encodes in a fifth of the
     * instructions of libpng's default (level 6, a filter picked per row)
     * and the file is 8% smaller; level 9 saves another 10% at 7 times the
     * cost. Level 3 is the default, --png-compression sets it. On the
     * medium benchmark map this costs 1% more than deflate alone on the
     * same bytes (bench/png_cost.c). */
    png_part *parts = s->parts;
    int nparts = height >= 2 ? 2 : 1;
    for (int k = 0; k < nparts; k++) {
        parts[k].data = data;
        parts[k].stride = stride;
        parts[k].width = width;
        parts[k].row0 = (int)((long long)height * k / nparts);
        parts[k].row1 = (int)((long long)height * (k + 1) / nparts);
        parts[k].rgb = s->rgb;
        parts[k].has_alpha = has_alpha;
        parts[k].level = level >= 0 && level <= 9 ? level : 3;
        parts[k].last = k == nparts - 1;
        parts[k].cancel = &ctx->cancel;
        parts[k].parent_cancel = ctx->parent_cancel;
    }
    pthread_t other;
    int spawned = nparts == 2 && threads >= 2 &&
                  pthread_create(&other, NULL, deflate_part, &parts[1]) == 0;
    deflate_part(&parts[0]);
    if (spawned)
        pthread_join(other, NULL);
    else if (nparts == 2)
        deflate_part(&parts[1]);
    int failed = 0, canceled = 0;
    for (int k = 0; k < nparts; k++) {
        failed |= parts[k].failed;
        canceled |= parts[k].canceled;
    }
    if (failed || canceled) {
        for (int k = 0; k < nparts; k++)
            free(parts[k].out);
        png_destroy_write_struct(&png, &info);
        free(s);
        return canceled ? dl_check_cancel(ctx)
                        : dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "PNG write failed: out of memory");
    }
    /* One zlib stream: header (deflate, 32 KiB window, no dictionary, the
     * level's FLEVEL), the parts, the Adler-32 of every row. */
    int lv = parts[0].level;
    unsigned flevel = lv < 2 ? 0 : lv < 6 ? 1 : lv == 6 ? 2 : 3;
    unsigned char head[2] = {0x78, (unsigned char)(flevel << 6)};
    head[1] = (unsigned char)(head[1] + (31 - (0x78 * 256 + head[1]) % 31) % 31);
    uLong adler = parts[0].adler;
    for (int k = 1; k < nparts; k++)
        adler = adler32_combine(adler, parts[k].adler, (z_off_t)parts[k].raw);
    unsigned char tail[4] = {(unsigned char)(adler >> 24), (unsigned char)(adler >> 16),
                             (unsigned char)(adler >> 8), (unsigned char)adler};
    const segment segs[] = {{head, sizeof head},
                            {parts[0].out, parts[0].len},
                            {parts[1].out, nparts > 1 ? parts[1].len : 0},
                            {tail, sizeof tail}};
    write_idat(png, segs, sizeof segs / sizeof segs[0]);
    png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
    png_destroy_write_struct(&png, &info);
    for (int k = 0; k < 2; k++)
        free(s->parts[k].out);
    free(s);
    return DLINE_OK;
}
