/* Output files: a temporary file next to the target, a Cairo surface for the
 * format, and a rename once everything is written, so a failed render never
 * leaves a partial file or clobbers an existing one. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */

#include "output/output.h"
#include "output/svg.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Limits on a PNG before its pixels are allocated: 4 bytes a pixel, so the
 * default budget (DLINE_MAX_PIXELS_DEFAULT, dline_map_set_max_pixels) is
 * 1.6 GB. Cairo's image surfaces stop at 32767 a side, whatever the budget. */
#define MAX_SIDE 32767.0

#define CREATOR "dline " DLINE_VERSION_STRING

struct dl_output {
    dline_format format;
    char *path;
    char *tmp;   /* NULL when writing to standard output */
    FILE *fp;    /* the temporary file, or stdout */
    cairo_surface_t *surface;
    cairo_t *cr;
    dl_svg *svg; /* SVG: the writer; the surface only records state */
    double dpi;
    int opaque;
    int png_level;
    int threads;
    char *title;
    /* Vector output to stdout is kept in memory until commit, so a failed
     * render writes nothing. */
    unsigned char *buf;
    size_t len, cap;
    int write_errno; /* first failed write of the stream, 0 if none */
    /* In memory (dl_output_options.data): a PNG goes through a memory
     * stream, vector output into buf; commit hands the bytes over. */
    unsigned char **mem_data;
    size_t *mem_len;
    char *mstream; /* open_memstream's buffer */
    size_t mstream_len;
};

dline_format dl_output_format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot || strchr(dot, '/'))
        return DLINE_FORMAT_AUTO;
    if (strcasecmp(dot, ".png") == 0)
        return DLINE_FORMAT_PNG;
    if (strcasecmp(dot, ".svg") == 0)
        return DLINE_FORMAT_SVG;
    if (strcasecmp(dot, ".pdf") == 0)
        return DLINE_FORMAT_PDF;
    return DLINE_FORMAT_AUTO;
}

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int length)
{
    dl_output *o = closure;
    if (fwrite(data, 1, length, o->fp) != length) {
        if (!o->write_errno)
            o->write_errno = errno ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t write_memory(void *closure, const unsigned char *data, unsigned int length)
{
    dl_output *o = closure;
    if (length > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap - o->len < length) {
            if (cap > SIZE_MAX / 2) {
                o->write_errno = ENOMEM;
                return CAIRO_STATUS_NO_MEMORY;
            }
            cap *= 2;
        }
        unsigned char *p = realloc(o->buf, cap);
        if (!p) {
            o->write_errno = ENOMEM;
            return CAIRO_STATUS_NO_MEMORY;
        }
        o->buf = p;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, data, length);
    o->len += length;
    return CAIRO_STATUS_SUCCESS;
}

static int svg_write(void *closure, const char *buf, int len)
{
    dl_output *o = closure;
    if (len <= 0)
        return 0;
    cairo_write_func_t fn = o->tmp ? write_file : write_memory;
    return fn(o, (const unsigned char *)buf, (unsigned int)len) == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

static void output_free(dl_output *o)
{
    if (o->cr)
        cairo_destroy(o->cr);
    dl_svg_free(o->svg);
    if (o->surface)
        cairo_surface_destroy(o->surface);
    if (o->fp && o->fp != stdout)
        fclose(o->fp);
    free(o->mstream);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    free(o->title);
    free(o->buf);
    free(o);
}

/* "DIR/.NAME.XXXXXX" for path "DIR/NAME"; NULL when out of memory. */
static char *temp_template(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *name = slash ? slash + 1 : path;
    size_t n = dirlen + 1 + strlen(name) + 8;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s.%s.XXXXXX", (int)dirlen, path, name);
    return t;
}

static mode_t current_umask(void)
{
    /* umask() can only be read by setting it, which races with other
     * threads creating files; Linux shows it in /proc. */
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        unsigned int mask;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "Umask: %o", &mask) == 1) {
                fclose(f);
                return (mode_t)mask;
            }
        }
        fclose(f);
    }
    mode_t m = umask(022);
    umask(m);
    return m;
}

/* The PNG's size in pixels, checked against the limits before anything is
 * allocated or created. */
static dline_status png_size(dline_ctx *ctx, const char *path, const dl_output_options *opt,
                             double *pw, double *ph)
{
    double scale = opt->dpi / 96.0;
    *pw = fmax(1, round(opt->width * scale));
    *ph = fmax(1, round(opt->height * scale));
    if (*pw > MAX_SIDE || *ph > MAX_SIDE)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0,
                        "output of %.0fx%.0f pixels is over the limit of %.0f pixels a side", *pw,
                        *ph, MAX_SIDE);
    double budget = opt->max_pixels ? (double)opt->max_pixels : (double)DLINE_MAX_PIXELS_DEFAULT;
    if (*pw * *ph > budget)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0,
                        "output of %.0fx%.0f pixels is over the limit of %.0f pixels", *pw, *ph,
                        budget);
    return DLINE_OK;
}

/* A PNG's pixels: an anonymous mapping of their own, 2 MiB aligned and
 * marked for transparent huge pages where the system has them, so the 7 MB
 * of a 1600x1100 map fault in as four huge pages instead of 1,700 small ones
 * (each a fault, and in a VM often a TLB flush of the band threads). The
 * kernel hands the mapping over zeroed, as calloc did, and it goes back to
 * the system with the surface. Images under 4 MiB stay Cairo's own. */
#define HUGE_PAGE ((size_t)2 << 20)

typedef struct {
    void *map;
    size_t len;
} pixel_map;

static const cairo_user_data_key_t pixels_key;

static void pixels_free(void *data)
{
    pixel_map *m = data;
    munmap(m->map, m->len);
    free(m);
}

static cairo_surface_t *image_create(int w, int h)
{
    int stride = cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, w);
    if (stride <= 0 || h <= 0 || (size_t)h > (SIZE_MAX - 2 * HUGE_PAGE) / (size_t)stride)
        return cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    size_t len = (size_t)stride * (size_t)h;
    if (len < 2 * HUGE_PAGE) /* small: a huge page would mostly be waste */
        return cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    len = (len + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    pixel_map *m = malloc(sizeof *m);
    unsigned char *p = m ? mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                         : MAP_FAILED;
    if (p == MAP_FAILED) {
        free(m);
        return cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    }
    /* Trim the mapping to the aligned run inside it. */
    size_t head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
    if (head)
        munmap(p, head);
    munmap(p + head + len, HUGE_PAGE - head);
    m->map = p + head;
    m->len = len;
#ifdef MADV_HUGEPAGE
    madvise(m->map, len, MADV_HUGEPAGE); /* a hint: small pages if refused */
#endif
    cairo_surface_t *s =
        cairo_image_surface_create_for_data(m->map, CAIRO_FORMAT_ARGB32, w, h, stride);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_set_user_data(s, &pixels_key, m, pixels_free) != CAIRO_STATUS_SUCCESS) {
        pixels_free(m);
        cairo_surface_destroy(s);
        return cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    }
    return s;
}

static dline_status create_surface(dline_ctx *ctx, dl_output *o, const dl_output_options *opt)
{
    const char *what = o->path;
    if (o->format == DLINE_FORMAT_PNG) {
        double pw, ph;
        dline_status st = png_size(ctx, what, opt, &pw, &ph);
        if (st != DLINE_OK)
            return st;
        o->surface = image_create((int)pw, (int)ph);
        if (cairo_surface_status(o->surface) != CAIRO_STATUS_SUCCESS)
            return dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "cannot create a %.0fx%.0f image: %s",
                            pw, ph, cairo_status_to_string(cairo_surface_status(o->surface)));
        o->cr = cairo_create(o->surface);
        /* One scale for both axes, so circles stay round; a pixel row or
         * column left partly outside the map by rounding is covered by the
         * background, which paints the whole surface. */
        cairo_scale(o->cr, opt->dpi / 96.0, opt->dpi / 96.0);
    } else if (o->format == DLINE_FORMAT_SVG) {
        /* dline's SVG writer: Cairo keeps the paths and state, a recording
         * surface with nothing recorded stands under the context. */
        o->svg = dl_svg_new(svg_write, o, opt->width, opt->height, o->title,
                            opt->svg_id_prefix);
        if (!o->svg)
            return dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "out of memory");
        o->surface = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
        if (cairo_surface_status(o->surface) != CAIRO_STATUS_SUCCESS)
            return dl_error(ctx, DLINE_ERENDER, what, 0, 0, "cannot create the SVG surface: %s",
                            cairo_status_to_string(cairo_surface_status(o->surface)));
        o->cr = cairo_create(o->surface);
        dl_svg_attach(o->svg, o->cr);
    } else {
        cairo_write_func_t fn = o->tmp ? write_file : write_memory;
        double wpt = opt->width * 0.75, hpt = opt->height * 0.75;
        o->surface = cairo_pdf_surface_create_for_stream(fn, o, wpt, hpt);
        if (cairo_surface_status(o->surface) == CAIRO_STATUS_SUCCESS) {
            if (o->title)
                cairo_pdf_surface_set_metadata(o->surface, CAIRO_PDF_METADATA_TITLE,
                                               o->title);
            cairo_pdf_surface_set_metadata(o->surface, CAIRO_PDF_METADATA_CREATOR, CREATOR);
            /* A fixed date (SOURCE_DATE_EPOCH in the CLI) instead of
             * the clock makes the PDF reproducible byte for byte.
             * Cairo 1.16 writes it without the "D:" prefix, which the
             * PDF 1.5 it writes allows ("optional"); poppler reads it. */
            struct tm tm;
            char date[32];
            if (opt->has_creation_time && gmtime_r(&opt->creation_time, &tm) &&
                strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
                cairo_pdf_surface_set_metadata(o->surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                               date);
        }
        if (cairo_surface_status(o->surface) != CAIRO_STATUS_SUCCESS)
            return dl_error(ctx, DLINE_ERENDER, what, 0, 0, "cannot create the PDF surface: %s",
                            cairo_status_to_string(cairo_surface_status(o->surface)));
        o->cr = cairo_create(o->surface);
        cairo_scale(o->cr, 0.75, 0.75);
    }
    if (cairo_status(o->cr) != CAIRO_STATUS_SUCCESS)
        return dl_error(ctx, DLINE_ERENDER, what, 0, 0, "cannot draw: %s",
                        cairo_status_to_string(cairo_status(o->cr)));
    return DLINE_OK;
}

dline_status dl_output_open(dline_ctx *ctx, const char *path, const dl_output_options *opt,
                            dl_output **out)
{
    *out = NULL;
    if (!path || !*path)
        return dl_error(ctx, DLINE_EUSAGE, NULL, 0, 0, "no output path");
    if (opt->format != DLINE_FORMAT_PNG && opt->format != DLINE_FORMAT_SVG &&
        opt->format != DLINE_FORMAT_PDF)
        return dl_error(ctx, DLINE_EUSAGE, path, 0, 0,
                        "unknown output format (use .png, .svg or .pdf)");
    if (!(opt->width > 0) || !(opt->height > 0) || !isfinite(opt->width) ||
        !isfinite(opt->height))
        return dl_error(ctx, DLINE_EUSAGE, path, 0, 0, "map size %gx%g is not positive",
                        opt->width, opt->height);
    if (opt->format == DLINE_FORMAT_PNG && (!(opt->dpi > 0) || !isfinite(opt->dpi)))
        return dl_error(ctx, DLINE_EUSAGE, path, 0, 0, "resolution %g dpi is not positive",
                        opt->dpi);

    if (opt->format == DLINE_FORMAT_PNG) {
        /* Before any file exists. */
        double pw, ph;
        dline_status st = png_size(ctx, path, opt, &pw, &ph);
        if (st != DLINE_OK)
            return st;
    }

    int to_memory = opt->data != NULL && opt->len != NULL;
    int to_stdout = !to_memory && strcmp(path, "-") == 0;
    if (!to_stdout && !to_memory) {
        struct stat st;
        size_t len = strlen(path);
        if (path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
            return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot create output: %s",
                            strerror(EISDIR));
    }

    dl_output *o = calloc(1, sizeof *o);
    if (!o)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    o->format = opt->format;
    o->dpi = opt->dpi;
    o->png_level = opt->png_level;
    o->threads = opt->threads;
    o->opaque = opt->opaque;
    o->path = dl_strdup(path);
    o->title = opt->title ? dl_strdup(opt->title) : NULL;
    if (!o->path || (opt->title && !o->title)) {
        output_free(o);
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    }

    if (to_memory) {
        o->mem_data = opt->data;
        o->mem_len = opt->len;
        if (o->format == DLINE_FORMAT_PNG &&
            !(o->fp = open_memstream(&o->mstream, &o->mstream_len))) {
            output_free(o);
            return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
        }
    } else if (to_stdout) {
        o->fp = stdout;
    } else {
        char *tmp = temp_template(path);
        if (!tmp) {
            output_free(o);
            return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
        }
        int fd = mkstemp(tmp);
        if (fd < 0) {
            int e = errno;
            free(tmp);
            output_free(o);
            return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot create output: %s", strerror(e));
        }
        o->tmp = tmp;
        o->fp = fdopen(fd, "wb");
        if (!o->fp) {
            int e = errno;
            close(fd);
            output_free(o);
            return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot create output: %s", strerror(e));
        }
    }

    dline_status st = create_surface(ctx, o, opt);
    if (st != DLINE_OK) {
        output_free(o);
        return st;
    }
    *out = o;
    return DLINE_OK;
}

cairo_t *dl_output_cairo(dl_output *o)
{
    return o->cr;
}

static dline_status write_error(dline_ctx *ctx, const dl_output *o, int e)
{
    return dl_error(ctx, DLINE_EIO, o->tmp ? o->path : "<stdout>", 0, 0,
                    "cannot write output: %s", strerror(e ? e : EIO));
}

/* Flushes and closes the temporary file, gives it the permissions a new
 * file would get and puts it in place. */
static dline_status finish_file(dline_ctx *ctx, dl_output *o)
{
    FILE *fp = o->fp;
    o->fp = NULL;
    int e = 0;
    errno = 0;
    if (fflush(fp) != 0 || ferror(fp))
        e = errno ? errno : EIO;
    /* The rename must not land before the data: a crash would then leave
     * an empty file where the old one was. */
    if (!e && fsync(fileno(fp)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (!e && fchmod(fileno(fp), 0666 & ~current_umask()) != 0)
        e = errno;
    if (fclose(fp) != 0 && !e)
        e = errno ? errno : EIO;
    if (e)
        return write_error(ctx, o, e);
    if (rename(o->tmp, o->path) != 0)
        return dl_error(ctx, DLINE_EIO, o->path, 0, 0, "cannot create output: %s",
                        strerror(errno));
    free(o->tmp);
    o->tmp = NULL;
    return DLINE_OK;
}

dline_status dl_output_commit(dline_ctx *ctx, dl_output *o)
{
    dline_status st = DLINE_OK;
    const char *what = o->tmp || o->mem_data ? o->path : "<stdout>";
    cairo_status_t cs = cairo_status(o->cr);
    cairo_destroy(o->cr);
    o->cr = NULL;
    if (cs != CAIRO_STATUS_SUCCESS) {
        st = dl_error(ctx, DLINE_ERENDER, what, 0, 0, "rendering failed: %s",
                      cairo_status_to_string(cs));
        goto done;
    }
    if (o->format == DLINE_FORMAT_PNG) {
        cairo_surface_flush(o->surface);
        cs = cairo_surface_status(o->surface);
        if (cs == CAIRO_STATUS_SUCCESS)
            st = dl_png_write(ctx, o->fp, what, o->surface, o->dpi, o->opaque, o->title,
                              o->png_level, o->threads);
    } else if (o->svg) {
        if (dl_svg_finish(o->svg) != 0 || o->write_errno) {
            st = o->write_errno ? write_error(ctx, o, o->write_errno)
                                : dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "cannot write SVG: out of memory");
            goto done;
        }
    } else {
        /* Vector surfaces write as they go and at finish: only now is it
         * known whether the file was written. */
        cairo_surface_finish(o->surface);
        cs = cairo_surface_status(o->surface);
        if (cs == CAIRO_STATUS_WRITE_ERROR || o->write_errno) {
            st = write_error(ctx, o, o->write_errno);
            goto done;
        }
    }
    if (cs != CAIRO_STATUS_SUCCESS) {
        st = dl_error(ctx, DLINE_ERENDER, what, 0, 0, "rendering failed: %s",
                      cairo_status_to_string(cs));
        goto done;
    }
    if (st != DLINE_OK)
        goto done;
    /* The last moment a cancel can keep the target from being written. */
    if ((st = dl_check_cancel(ctx)) != DLINE_OK)
        goto done;
    if (o->mem_data) {
        if (o->format == DLINE_FORMAT_PNG) {
            /* The stream's buffer is final once it is closed. */
            FILE *fp = o->fp;
            o->fp = NULL;
            if (fflush(fp) != 0 || ferror(fp)) {
                fclose(fp);
                st = dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "out of memory");
                goto done;
            }
            fclose(fp);
            *o->mem_data = (unsigned char *)o->mstream;
            *o->mem_len = o->mstream_len;
            o->mstream = NULL;
        } else {
            /* A NUL after the bytes: SVG can be used as a C string. */
            if (write_memory(o, (const unsigned char *)"", 1) != CAIRO_STATUS_SUCCESS) {
                st = dl_error(ctx, DLINE_ENOMEM, what, 0, 0, "out of memory");
                goto done;
            }
            *o->mem_data = o->buf;
            *o->mem_len = o->len - 1;
            o->buf = NULL;
        }
    } else if (o->tmp) {
        st = finish_file(ctx, o);
    } else {
        if (o->len && fwrite(o->buf, 1, o->len, stdout) != o->len)
            st = write_error(ctx, o, errno);
        else if (fflush(stdout) != 0 || ferror(stdout))
            st = write_error(ctx, o, errno);
    }
done:
    if (o->fp == stdout)
        o->fp = NULL;
    output_free(o);
    return st;
}

void dl_output_abort(dl_output *o)
{
    if (!o)
        return;
    if (o->fp == stdout)
        o->fp = NULL;
    output_free(o);
}
