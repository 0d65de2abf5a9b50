/* The SVG back end (see svg.h): Cairo's path and paint state read at each
 * drawing operation and written as elements with libxml2's xmlTextWriter,
 * which does the escaping and the nesting. Groups whose attributes are only
 * known at their end (opacity) or whose content arrives out of order (labels
 * by layer) are written to memory first and copied in when they close. */
#include "output/svg.h"

#include <glib.h>
#include <libxml/xmlwriter.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INKSCAPE_NS "http://www.inkscape.org/namespaces/inkscape"
/* After the face Pango picked and the style's own families: faces that
 * cover Chinese on Linux, macOS and Windows, then the generic family. */
#define CJK_FALLBACKS "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', " \
                      "'PingFang SC', 'Microsoft YaHei'"
#define MAX_DEPTH 64
/* A definition's id: the prefix (64 bytes at most), a word, a count. */
#define ID_MAX 96

/* Where elements are written: the document, or a buffer in memory. */
typedef struct {
    xmlTextWriterPtr w;
    xmlBufferPtr buf; /* NULL for the document */
    char *id;         /* label groups: the layer id */
    uintptr_t order;
    int clips;        /* clip groups opened since the matching save */
} sink;

struct dl_svg {
    xmlTextWriterPtr doc;
    dl_svg_write_fn write;
    void *closure;
    int failed;
    double width, height;
    GHashTable *ids; /* ids used, so each is unique */
    char prefix[DL_SVG_ID_PREFIX_MAX + 1]; /* before every id (--svg-id-prefix) */
    unsigned next_def;

    /* Open levels: 0 is the document (or the selected label group, which
     * is not owned by the stack); each dl_cr_save and group pushes one. */
    sink stack[MAX_DEPTH];
    int kind[MAX_DEPTH]; /* LEVEL_* */
    int depth;
    int overflow; /* levels refused past MAX_DEPTH, popped without output */

    sink *labels; /* label groups, by first use */
    size_t nlabels;
    int label_selected;

    GString *d; /* path data scratch */
};

enum { LEVEL_BASE, LEVEL_SAVE, LEVEL_GROUP };

static const cairo_user_data_key_t svg_key;
static const cairo_user_data_key_t pattern_key;

/* A failed write is remembered and the rest discarded, but reported to
 * libxml2 as written: it would print its own "I/O error" line, and the
 * caller reports the failure once, with the file's name. */
static int io_write(void *context, const char *buf, int len)
{
    dl_svg *svg = context;
    if (!svg->failed && svg->write(svg->closure, buf, len) != 0)
        svg->failed = 1;
    return len;
}

static int io_close(void *context)
{
    (void)context;
    return 0;
}

static xmlTextWriterPtr cur(dl_svg *svg)
{
    return svg->stack[svg->depth].w;
}

static void check(dl_svg *svg, int rc)
{
    if (rc < 0)
        svg->failed = 1;
}

/* Numbers rounded to `decimals` places with trailing zeros dropped: "12.5",
 * "3", "-0.25"; never an exponent, and what rounds to zero is "0". */
static void num_places(char *out, size_t n, double v, int decimals)
{
    if (!isfinite(v))
        v = 0;
    snprintf(out, n, "%.*f", decimals, v);
    char *dot = strchr(out, '.');
    if (dot) {
        char *e = out + strlen(out) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    if (strcmp(out, "-0") == 0)
        strcpy(out, "0");
}

/* Coordinates: to 0.01. */
static void num(char *out, size_t n, double v)
{
    num_places(out, n, v, 2);
}

static void attr(dl_svg *svg, const char *name, const char *value)
{
    check(svg, xmlTextWriterWriteAttribute(cur(svg), BAD_CAST name, BAD_CAST value));
}

static void attr_num(dl_svg *svg, const char *name, double v)
{
    char b[64];
    num(b, sizeof b, v);
    attr(svg, name, b);
}

static void start(dl_svg *svg, const char *name)
{
    check(svg, xmlTextWriterStartElement(cur(svg), BAD_CAST name));
}

static void end(dl_svg *svg)
{
    check(svg, xmlTextWriterEndElement(cur(svg)));
}

/* <text> keeps SVG's default white-space handling: the indentation before
 * its <tspan>s is dropped. (xml:space="preserve" would render it as spaces;
 * the price is that runs of spaces inside a label collapse to one.) */
static void text_start(dl_svg *svg)
{
    start(svg, "text");
}

static void text_end(dl_svg *svg)
{
    end(svg);
}

static void color_hex(char *out, size_t n, double r, double g, double b)
{
    int R = (int)lround(fmin(fmax(r, 0), 1) * 255), G = (int)lround(fmin(fmax(g, 0), 1) * 255),
        B = (int)lround(fmin(fmax(b, 0), 1) * 255);
    snprintf(out, n, "#%02x%02x%02x", R, G, B);
}

/* An id for a definition: "gradient3", "clip12". */
static void def_id(dl_svg *svg, char *out, size_t n, const char *what)
{
    snprintf(out, n, "%s%s%u", svg->prefix, what, ++svg->next_def);
}

/* The characters dline puts in an id: an XML name's, ASCII only; the first
 * may not be a digit, '-' or '.'. */
static int id_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int id_char(char c)
{
    return id_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

int dl_svg_id_prefix_ok(const char *prefix)
{
    if (!id_start(prefix[0]) || strlen(prefix) > DL_SVG_ID_PREFIX_MAX)
        return 0;
    for (const char *p = prefix; *p; p++)
        if (!id_char(*p))
            return 0;
    return 1;
}

/* A valid XML id made from s (other characters become '_'; '_' in front
 * of a first character that cannot start one), unique in the document.
 * Caller frees. */
static char *unique_id(dl_svg *svg, const char *s)
{
    GString *g = g_string_new(svg->prefix);
    for (const char *p = s && *s ? s : "group"; *p; p++)
        g_string_append_c(g, id_char(*p) ? *p : '_');
    if (!id_start(g->str[0]))
        g_string_prepend_c(g, '_');
    size_t base = g->len;
    for (unsigned k = 2; g_hash_table_contains(svg->ids, g->str); k++) {
        g_string_truncate(g, base);
        g_string_append_printf(g, "-%u", k);
    }
    g_hash_table_add(svg->ids, g_strdup(g->str));
    return g_string_free(g, FALSE);
}

dl_svg *dl_svg_new(dl_svg_write_fn write, void *closure, double width, double height,
                   const char *title, const char *id_prefix)
{
    dl_svg *svg = calloc(1, sizeof *svg);
    if (!svg)
        return NULL;
    if (id_prefix)
        snprintf(svg->prefix, sizeof svg->prefix, "%s", id_prefix);
    svg->write = write;
    svg->closure = closure;
    svg->width = width;
    svg->height = height;
    svg->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    svg->d = g_string_sized_new(4096);
    xmlOutputBufferPtr out = xmlOutputBufferCreateIO(io_write, io_close, svg, NULL);
    if (out) {
        svg->doc = xmlNewTextWriter(out); /* owns out once it succeeds */
        if (!svg->doc)
            xmlOutputBufferClose(out);
    }
    if (!svg->doc) {
        dl_svg_free(svg);
        return NULL;
    }
    svg->stack[0].w = svg->doc;
    xmlTextWriterSetIndent(svg->doc, 1);
    xmlTextWriterSetIndentString(svg->doc, BAD_CAST " ");
    check(svg, xmlTextWriterStartDocument(svg->doc, "1.0", "UTF-8", NULL));
    start(svg, "svg");
    attr(svg, "xmlns", "http://www.w3.org/2000/svg");
    attr(svg, "xmlns:xlink", "http://www.w3.org/1999/xlink");
    attr(svg, "xmlns:inkscape", INKSCAPE_NS);
    attr(svg, "version", "1.1");
    char b[64], v[200];
    num(b, sizeof b, width * 0.75);
    snprintf(v, sizeof v, "%spt", b);
    attr(svg, "width", v);
    num(b, sizeof b, height * 0.75);
    snprintf(v, sizeof v, "%spt", b);
    attr(svg, "height", v);
    char w[64], h[64];
    num(w, sizeof w, width);
    num(h, sizeof h, height);
    snprintf(v, sizeof v, "0 0 %s %s", w, h);
    attr(svg, "viewBox", v);
    /* Outlines as drawn, not snapped to a browser's pixel grid. */
    attr(svg, "text-rendering", "geometricPrecision");
    if (title && *title) {
        char *t = g_utf8_make_valid(title, -1);
        check(svg, xmlTextWriterWriteElement(svg->doc, BAD_CAST "title", BAD_CAST t));
        g_free(t);
    }
    return svg;
}

static void sink_drop(sink *s)
{
    if (s->w)
        xmlFreeTextWriter(s->w);
    if (s->buf)
        xmlBufferFree(s->buf);
    g_free(s->id);
    memset(s, 0, sizeof *s);
}

/* A new level writing to memory; 0, or -1 when out of memory. */
static int sink_open(sink *s)
{
    memset(s, 0, sizeof *s);
    s->buf = xmlBufferCreate();
    if (s->buf)
        s->w = xmlNewTextWriterMemory(s->buf, 0);
    if (!s->w) {
        sink_drop(s);
        return -1;
    }
    xmlTextWriterSetIndent(s->w, 1);
    xmlTextWriterSetIndentString(s->w, BAD_CAST " ");
    return 0;
}

/* The memory sink's elements, closed, copied into the current level. */
static void sink_copy(dl_svg *svg, sink *s)
{
    check(svg, xmlTextWriterEndDocument(s->w));
    check(svg, xmlTextWriterFlush(s->w));
    const xmlChar *content = xmlBufferContent(s->buf);
    if (content && *content)
        check(svg, xmlTextWriterWriteRaw(cur(svg), content));
}

static void labels_flush(dl_svg *svg);

int dl_svg_finish(dl_svg *svg)
{
    if (svg->label_selected || svg->nlabels)
        labels_flush(svg);
    while (svg->depth > 0) {
        sink *s = &svg->stack[svg->depth];
        int k = svg->kind[svg->depth];
        svg->depth--;
        if (k == LEVEL_GROUP)
            sink_copy(svg, s);
        sink_drop(s);
    }
    for (int i = 0; i < svg->stack[0].clips; i++)
        end(svg);
    svg->stack[0].clips = 0;
    check(svg, xmlTextWriterEndDocument(svg->doc));
    check(svg, xmlTextWriterFlush(svg->doc));
    /* Closing the writer closes its output buffer, which may write: all of
     * it happens here, while the caller's stream is still open. */
    xmlFreeTextWriter(svg->doc);
    svg->doc = NULL;
    svg->stack[0].w = NULL;
    return svg->failed ? -1 : 0;
}

void dl_svg_free(dl_svg *svg)
{
    if (!svg)
        return;
    for (int i = 1; i <= svg->depth; i++)
        if (svg->kind[i] != LEVEL_SAVE)
            sink_drop(&svg->stack[i]);
    for (size_t i = 0; i < svg->nlabels; i++)
        sink_drop(&svg->labels[i]);
    free(svg->labels);
    if (svg->doc)
        xmlFreeTextWriter(svg->doc);
    if (svg->ids)
        g_hash_table_destroy(svg->ids);
    if (svg->d)
        g_string_free(svg->d, TRUE);
    free(svg);
}

void dl_svg_attach(dl_svg *svg, cairo_t *cr)
{
    cairo_set_user_data(cr, &svg_key, svg, NULL);
}

dl_svg *dl_svg_of(cairo_t *cr)
{
    return cr ? cairo_get_user_data(cr, &svg_key) : NULL;
}

/* cr's current path in device space (the document's user space) as path
 * data in svg->d; 0 when the path is empty. */
static int path_data(dl_svg *svg, cairo_t *cr)
{
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    cairo_identity_matrix(cr);
    cairo_path_t *p = cairo_copy_path(cr);
    cairo_set_matrix(cr, &m);
    g_string_truncate(svg->d, 0);
    if (!p || p->status != CAIRO_STATUS_SUCCESS) {
        cairo_path_destroy(p);
        return 0;
    }
    char a[64], b[64];
    for (int i = 0; i < p->num_data; i += p->data[i].header.length) {
        const cairo_path_data_t *d = &p->data[i];
        switch (d->header.type) {
        case CAIRO_PATH_MOVE_TO:
        case CAIRO_PATH_LINE_TO:
            num(a, sizeof a, d[1].point.x);
            num(b, sizeof b, d[1].point.y);
            g_string_append_printf(svg->d, "%s%s %s ",
                                   d->header.type == CAIRO_PATH_MOVE_TO ? "M" : "L", a, b);
            break;
        case CAIRO_PATH_CURVE_TO:
            g_string_append_c(svg->d, 'C');
            for (int k = 1; k <= 3; k++) {
                num(a, sizeof a, d[k].point.x);
                num(b, sizeof b, d[k].point.y);
                g_string_append_printf(svg->d, "%s %s ", a, b);
            }
            break;
        case CAIRO_PATH_CLOSE_PATH:
            g_string_append(svg->d, "Z ");
            break;
        }
    }
    cairo_path_destroy(p);
    /* A path of a lone move-to draws nothing. */
    int drawn = strchr(svg->d->str, 'L') || strchr(svg->d->str, 'C') || strchr(svg->d->str, 'Z');
    if (svg->d->len && svg->d->str[svg->d->len - 1] == ' ')
        g_string_truncate(svg->d, svg->d->len - 1);
    return drawn;
}

/* The scale of user space to device space (1 when the CTM only translates). */
static double ctm_scale(cairo_t *cr)
{
    double x = 1, y = 0;
    cairo_user_to_device_distance(cr, &x, &y);
    return hypot(x, y);
}

static void matrix_attr(dl_svg *svg, const char *name, const cairo_matrix_t *m)
{
    /* The linear part needs more than 0.01 (a scale of 0.005 px per unit,
     * a rotation's sine), but not the 6.12323e-17 that is cos(90 degrees)
     * in doubles: editors should read matrix(0 -1 1 0 ...). Six places, no
     * exponent; a double in %f takes at most 317 characters. */
    char v[6][400], s[2600];
    num_places(v[0], sizeof v[0], m->xx, 6);
    num_places(v[1], sizeof v[1], m->yx, 6);
    num_places(v[2], sizeof v[2], m->xy, 6);
    num_places(v[3], sizeof v[3], m->yy, 6);
    num(v[4], sizeof v[4], m->x0);
    num(v[5], sizeof v[5], m->y0);
    snprintf(s, sizeof s, "matrix(%s %s %s %s %s %s)", v[0], v[1], v[2], v[3], v[4], v[5]);
    attr(svg, name, s);
}

/* Writes what the source needs defined (a gradient) and puts the paint's
 * value in out ("#rrggbb" or "url(#id)") and its alpha in *alpha. */
static void paint_of(dl_svg *svg, cairo_t *cr, char *out, size_t n, double *alpha)
{
    cairo_pattern_t *p = cairo_get_source(cr);
    double r = 0, g = 0, b = 0, a = 1;
    *alpha = 1;
    switch (cairo_pattern_get_type(p)) {
    case CAIRO_PATTERN_TYPE_SOLID:
        cairo_pattern_get_rgba(p, &r, &g, &b, &a);
        color_hex(out, n, r, g, b);
        *alpha = a;
        return;
    case CAIRO_PATTERN_TYPE_LINEAR: {
        double x0, y0, x1, y1;
        cairo_pattern_get_linear_points(p, &x0, &y0, &x1, &y1);
        cairo_user_to_device(cr, &x0, &y0);
        cairo_user_to_device(cr, &x1, &y1);
        char id[ID_MAX];
        def_id(svg, id, sizeof id, "gradient");
        start(svg, "linearGradient");
        attr(svg, "id", id);
        attr(svg, "gradientUnits", "userSpaceOnUse");
        attr_num(svg, "x1", x0);
        attr_num(svg, "y1", y0);
        attr_num(svg, "x2", x1);
        attr_num(svg, "y2", y1);
        int count = 0;
        cairo_pattern_get_color_stop_count(p, &count);
        for (int i = 0; i < count; i++) {
            double off;
            cairo_pattern_get_color_stop_rgba(p, i, &off, &r, &g, &b, &a);
            char c[16];
            color_hex(c, sizeof c, r, g, b);
            start(svg, "stop");
            attr_num(svg, "offset", off);
            attr(svg, "stop-color", c);
            if (a < 1)
                attr_num(svg, "stop-opacity", a);
            end(svg);
        }
        end(svg);
        snprintf(out, n, "url(#%s)", id);
        return;
    }
    default: {
        const char *id = cairo_pattern_get_user_data(p, &pattern_key);
        if (id) {
            snprintf(out, n, "url(#%s)", id);
            return;
        }
        /* Not made by dline's renderer: black rather than nothing. */
        snprintf(out, n, "#000000");
        return;
    }
    }
}

static void write_fill(dl_svg *svg, cairo_t *cr)
{
    if (!path_data(svg, cr))
        return;
    char paint[ID_MAX + 8];
    double alpha;
    paint_of(svg, cr, paint, sizeof paint, &alpha);
    start(svg, "path");
    attr(svg, "d", svg->d->str);
    attr(svg, "fill", paint);
    if (alpha < 1)
        attr_num(svg, "fill-opacity", alpha);
    if (cairo_get_fill_rule(cr) == CAIRO_FILL_RULE_EVEN_ODD)
        attr(svg, "fill-rule", "evenodd");
    end(svg);
}

static void stroke_attrs(dl_svg *svg, cairo_t *cr)
{
    double s = ctm_scale(cr);
    attr_num(svg, "stroke-width", cairo_get_line_width(cr) * s);
    switch (cairo_get_line_cap(cr)) {
    case CAIRO_LINE_CAP_ROUND: attr(svg, "stroke-linecap", "round"); break;
    case CAIRO_LINE_CAP_SQUARE: attr(svg, "stroke-linecap", "square"); break;
    case CAIRO_LINE_CAP_BUTT: break;
    }
    switch (cairo_get_line_join(cr)) {
    case CAIRO_LINE_JOIN_ROUND: attr(svg, "stroke-linejoin", "round"); break;
    case CAIRO_LINE_JOIN_BEVEL: attr(svg, "stroke-linejoin", "bevel"); break;
    case CAIRO_LINE_JOIN_MITER:
        /* SVG's default limit is 4, Cairo's 10. */
        if (cairo_get_miter_limit(cr) != 4)
            attr_num(svg, "stroke-miterlimit", fmax(cairo_get_miter_limit(cr), 1));
        break;
    }
    int nd = cairo_get_dash_count(cr);
    if (nd > 0) {
        double *dash = g_new(double, nd), offset = 0;
        cairo_get_dash(cr, dash, &offset);
        GString *v = g_string_new(NULL);
        char b[64];
        for (int i = 0; i < nd; i++) {
            num(b, sizeof b, dash[i] * s);
            g_string_append_printf(v, i ? " %s" : "%s", b);
        }
        attr(svg, "stroke-dasharray", v->str);
        if (offset != 0)
            attr_num(svg, "stroke-dashoffset", offset * s);
        g_string_free(v, TRUE);
        g_free(dash);
    }
}

static void write_stroke(dl_svg *svg, cairo_t *cr)
{
    if (!path_data(svg, cr) || !(cairo_get_line_width(cr) > 0))
        return;
    char paint[ID_MAX + 8];
    double alpha;
    paint_of(svg, cr, paint, sizeof paint, &alpha);
    start(svg, "path");
    attr(svg, "d", svg->d->str);
    attr(svg, "fill", "none");
    attr(svg, "stroke", paint);
    if (alpha < 1)
        attr_num(svg, "stroke-opacity", alpha);
    stroke_attrs(svg, cr);
    end(svg);
}

void dl_cr_fill(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg) {
        cairo_fill(cr);
        return;
    }
    write_fill(svg, cr);
    cairo_new_path(cr);
}

void dl_cr_fill_preserve(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg)
        cairo_fill_preserve(cr);
    else
        write_fill(svg, cr);
}

void dl_cr_stroke(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg) {
        cairo_stroke(cr);
        return;
    }
    write_stroke(svg, cr);
    cairo_new_path(cr);
}

void dl_cr_stroke_preserve(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg)
        cairo_stroke_preserve(cr);
    else
        write_stroke(svg, cr);
}

void dl_cr_paint(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg) {
        cairo_paint(cr);
        return;
    }
    /* The whole document; a clip in force limits it. */
    char paint[ID_MAX + 8];
    double alpha;
    paint_of(svg, cr, paint, sizeof paint, &alpha);
    start(svg, "rect");
    attr(svg, "x", "0");
    attr(svg, "y", "0");
    attr_num(svg, "width", svg->width);
    attr_num(svg, "height", svg->height);
    attr(svg, "fill", paint);
    if (alpha < 1)
        attr_num(svg, "fill-opacity", alpha);
    end(svg);
}

void dl_cr_clip(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (svg && path_data(svg, cr)) {
        char id[ID_MAX], url[ID_MAX + 8];
        def_id(svg, id, sizeof id, "clip");
        start(svg, "clipPath");
        attr(svg, "id", id);
        start(svg, "path");
        attr(svg, "d", svg->d->str);
        end(svg);
        end(svg);
        snprintf(url, sizeof url, "url(#%s)", id);
        start(svg, "g");
        attr(svg, "clip-path", url);
        svg->stack[svg->depth].clips++;
    }
    cairo_clip(cr);
}

/* Pushes a level; -1 (and counted, so the pop matches) past MAX_DEPTH. */
static int level_push(dl_svg *svg, int kind)
{
    if (svg->overflow || svg->depth + 1 >= MAX_DEPTH) {
        svg->overflow++;
        svg->failed = 1;
        return -1;
    }
    sink *s = &svg->stack[svg->depth + 1];
    if (kind == LEVEL_GROUP) {
        if (sink_open(s) != 0) {
            svg->overflow++;
            svg->failed = 1;
            return -1;
        }
    } else {
        /* A save writes where its parent writes. */
        memset(s, 0, sizeof *s);
        s->w = cur(svg);
    }
    svg->kind[svg->depth + 1] = kind;
    svg->depth++;
    return 0;
}

/* Closes the clip groups of the top level and pops it; returns its sink
 * (to copy and drop for a group) or NULL. */
static sink *level_pop(dl_svg *svg)
{
    if (svg->overflow) {
        svg->overflow--;
        return NULL;
    }
    if (svg->depth == 0)
        return NULL;
    for (int i = 0; i < svg->stack[svg->depth].clips; i++)
        end(svg);
    svg->stack[svg->depth].clips = 0;
    sink *s = &svg->stack[svg->depth];
    svg->depth--;
    return s;
}

void dl_cr_save(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (svg)
        level_push(svg, LEVEL_SAVE);
    cairo_save(cr);
}

void dl_cr_restore(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (svg) {
        sink *s = level_pop(svg);
        if (s && svg->kind[svg->depth + 1] == LEVEL_GROUP)
            sink_drop(s); /* unbalanced: a group closed by a restore */
    }
    cairo_restore(cr);
}

void dl_cr_push_group(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg) {
        cairo_push_group(cr);
        return;
    }
    level_push(svg, LEVEL_GROUP);
    cairo_save(cr); /* as push_group saves the state */
}

/* Pops a group level and writes its content inside <g>, with opacity
 * (and mask, when given) attributes. */
static void group_close(dl_svg *svg, double opacity, const char *mask)
{
    sink *s = level_pop(svg);
    if (!s)
        return;
    if (svg->kind[svg->depth + 1] != LEVEL_GROUP)
        return;
    if (opacity > 0) {
        check(svg, xmlTextWriterFlush(s->w));
        const xmlChar *content = xmlBufferContent(s->buf);
        if (content && *content) {
            start(svg, "g");
            if (opacity < 1)
                attr_num(svg, "opacity", opacity);
            if (mask)
                attr(svg, "mask", mask);
            sink_copy(svg, s);
            end(svg);
        }
    }
    sink_drop(s);
}

void dl_cr_pop_group_paint(cairo_t *cr, double alpha)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg) {
        cairo_pop_group_to_source(cr);
        cairo_paint_with_alpha(cr, alpha);
        return;
    }
    cairo_restore(cr);
    group_close(svg, alpha, NULL);
}

void dl_svg_pop_group_stroke_mask(cairo_t *cr, double opacity)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg)
        return;
    cairo_restore(cr);
    char id[ID_MAX], url[ID_MAX + 8];
    def_id(svg, id, sizeof id, "mask");
    snprintf(url, sizeof url, "url(#%s)", id);
    /* The mask goes after the group that uses it, at the parent level:
     * references may point forward. */
    int drawn = path_data(svg, cr);
    group_close(svg, drawn ? opacity : 0, url);
    if (drawn) {
        start(svg, "mask");
        attr(svg, "id", id);
        attr(svg, "maskUnits", "userSpaceOnUse");
        attr(svg, "x", "0");
        attr(svg, "y", "0");
        attr_num(svg, "width", svg->width);
        attr_num(svg, "height", svg->height);
        start(svg, "path");
        attr(svg, "d", svg->d->str);
        attr(svg, "fill", "none");
        attr(svg, "stroke", "#ffffff");
        stroke_attrs(svg, cr);
        end(svg);
        end(svg);
    }
    cairo_new_path(cr);
}

/* <g id=...>, an Inkscape layer too when layer is set. */
static void group_start(dl_svg *svg, const char *id, int layer)
{
    char *uid = unique_id(svg, id);
    start(svg, "g");
    attr(svg, "id", uid);
    g_free(uid);
    if (layer) {
        char *label = g_utf8_make_valid(id ? id : "", -1);
        attr(svg, "inkscape:groupmode", "layer");
        attr(svg, "inkscape:label", label);
        g_free(label);
    }
}

void dl_svg_group_begin(cairo_t *cr, const char *id, int layer)
{
    dl_svg *svg = dl_svg_of(cr);
    if (svg)
        group_start(svg, id, layer);
}

void dl_svg_group_end(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (svg)
        end(svg);
}

static void label_deselect(dl_svg *svg)
{
    if (!svg->label_selected)
        return;
    /* The selected group sits at level 0 in place of the document. */
    svg->stack[0].w = svg->doc;
    svg->label_selected = 0;
}

void dl_svg_label_group(cairo_t *cr, const char *id, uintptr_t order)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg || svg->depth != 0)
        return; /* only between top-level drawing */
    const char *key = id ? id : "";
    sink *s = NULL;
    for (size_t i = 0; i < svg->nlabels && !s; i++)
        if (strcmp(svg->labels[i].id, key) == 0 && svg->labels[i].order == order)
            s = &svg->labels[i];
    if (!s) {
        sink *p = realloc(svg->labels, (svg->nlabels + 1) * sizeof *p);
        if (!p) {
            svg->failed = 1;
            return;
        }
        svg->labels = p;
        s = &svg->labels[svg->nlabels];
        if (sink_open(s) != 0) {
            svg->failed = 1;
            return;
        }
        s->id = g_strdup(key);
        s->order = order;
        svg->nlabels++;
    }
    svg->stack[0].w = s->w;
    svg->label_selected = 1;
}

static int compare_order(const void *a, const void *b)
{
    const sink *p = a, *q = b;
    return (p->order > q->order) - (p->order < q->order);
}

static void labels_flush(dl_svg *svg)
{
    label_deselect(svg);
    /* Stable for equal orders: by first use. */
    for (size_t i = 1; i < svg->nlabels; i++)
        for (size_t j = i; j > 0 && compare_order(&svg->labels[j - 1], &svg->labels[j]) > 0; j--) {
            sink t = svg->labels[j];
            svg->labels[j] = svg->labels[j - 1];
            svg->labels[j - 1] = t;
        }
    for (size_t i = 0; i < svg->nlabels; i++) {
        sink *s = &svg->labels[i];
        if (svg->depth == 0) {
            group_start(svg, s->id, 1);
            sink_copy(svg, s);
            end(svg);
        }
        sink_drop(s);
    }
    free(svg->labels);
    svg->labels = NULL;
    svg->nlabels = 0;
}

void dl_svg_label_groups_end(cairo_t *cr)
{
    dl_svg *svg = dl_svg_of(cr);
    if (svg && svg->depth == 0)
        labels_flush(svg);
}

/* "font-family" for a run: the face Pango used, the families the layout
 * asked for, CJK faces when the run has Chinese, then sans-serif. */
static char *family_list(const char *used, const char *asked, const char *text, size_t len)
{
    GString *g = g_string_new(NULL);
    GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
    char **asked_v = g_strsplit(asked ? asked : "", ",", -1);
    const char *first[1] = {used};
    int cjk = 0;
    for (const char *p = text; p < text + len; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_get_script(c) == G_UNICODE_SCRIPT_HAN ||
            (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef))
            cjk = 1;
    }
    char **cjk_v = g_strsplit(cjk ? CJK_FALLBACKS : "", ",", -1);
    char **lists[3] = {NULL, asked_v, cjk_v};
    for (int l = 0; l < 3; l++) {
        size_t n = l == 0 ? 1 : g_strv_length(lists[l]);
        for (size_t i = 0; i < n; i++) {
            char *f = g_strdup(l == 0 ? first[0] : lists[l][i]);
            if (!f)
                continue;
            g_strstrip(f);
            /* Quotes of the fallbacks written above come off, to be put back. */
            size_t fl = strlen(f);
            if (fl >= 2 && (f[0] == '\'' || f[0] == '"') && f[fl - 1] == f[0]) {
                memmove(f, f + 1, fl - 2);
                f[fl - 2] = '\0';
            }
            int dup = !*f || g_ascii_strcasecmp(f, "sans-serif") == 0 ||
                      g_ascii_strcasecmp(f, "sans") == 0;
            for (guint k = 0; k < seen->len && !dup; k++)
                dup = g_ascii_strcasecmp(seen->pdata[k], f) == 0;
            if (dup || strchr(f, '\'')) {
                g_free(f);
                continue;
            }
            g_string_append_printf(g, g->len ? ", '%s'" : "'%s'", f);
            g_ptr_array_add(seen, f);
        }
    }
    g_string_append(g, g->len ? ", sans-serif" : "sans-serif");
    g_strfreev(asked_v);
    g_strfreev(cjk_v);
    g_ptr_array_free(seen, TRUE);
    return g_string_free(g, FALSE);
}

/* The font attributes of a run. */
static void run_font_attrs(dl_svg *svg, PangoLayout *layout, PangoGlyphItem *run, double scale)
{
    PangoFontDescription *used = pango_font_describe_with_absolute_size(run->item->analysis.font);
    const PangoFontDescription *asked = pango_layout_get_font_description(layout);
    const char *text = pango_layout_get_text(layout) + run->item->offset;
    char *families =
        family_list(pango_font_description_get_family(used),
                    asked ? pango_font_description_get_family(asked) : NULL, text,
                    (size_t)run->item->length);
    attr(svg, "font-family", families);
    g_free(families);
    attr_num(svg, "font-size", pango_font_description_get_size(used) / (double)PANGO_SCALE * scale);
    int weight = pango_font_description_get_weight(used);
    if (weight != PANGO_WEIGHT_NORMAL) {
        char w[16];
        snprintf(w, sizeof w, "%d", weight);
        attr(svg, "font-weight", w);
    }
    PangoStyle st = pango_font_description_get_style(used);
    if (st == PANGO_STYLE_ITALIC)
        attr(svg, "font-style", "italic");
    else if (st == PANGO_STYLE_OBLIQUE)
        attr(svg, "font-style", "oblique");
    pango_font_description_free(used);
}

static void text_paint(dl_svg *svg, const double fill[4], const double halo[4], double halo_width,
                       double scale)
{
    char c[16];
    color_hex(c, sizeof c, fill[0], fill[1], fill[2]);
    attr(svg, "fill", c);
    if (fill[3] < 1)
        attr_num(svg, "fill-opacity", fill[3]);
    if (halo_width > 0 && halo[3] > 0) {
        color_hex(c, sizeof c, halo[0], halo[1], halo[2]);
        attr(svg, "stroke", c);
        if (halo[3] < 1)
            attr_num(svg, "stroke-opacity", halo[3]);
        attr_num(svg, "stroke-width", 2 * halo_width * scale);
        attr(svg, "stroke-linejoin", "round");
        attr(svg, "stroke-linecap", "round");
        attr(svg, "paint-order", "stroke");
    }
}

static void write_run_text(dl_svg *svg, PangoLayout *layout, PangoGlyphItem *run, int start_b,
                           int end_b)
{
    const char *all = pango_layout_get_text(layout);
    char *t = g_utf8_make_valid(all + start_b, end_b - start_b);
    /* Line breaks belong to the layout, not to a run's text. */
    for (char *p = t; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    check(svg, xmlTextWriterWriteString(cur(svg), BAD_CAST t));
    g_free(t);
    (void)run;
}

void dl_svg_text(cairo_t *cr, PangoLayout *layout, double x, double y, const double fill[4],
                 const double halo[4], double halo_width, double opacity)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg || !layout || !(opacity > 0))
        return;
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    /* Translations fold into the coordinates; anything else is a transform. */
    int plain = m.xx == 1 && m.yy == 1 && m.xy == 0 && m.yx == 0;
    double ox = x, oy = y;
    if (plain)
        cairo_user_to_device(cr, &ox, &oy);
    text_start(svg);
    if (!plain)
        matrix_attr(svg, "transform", &m);
    text_paint(svg, fill, halo, halo_width, 1);
    if (opacity < 1)
        attr_num(svg, "opacity", opacity);
    PangoLayoutIter *it = pango_layout_get_iter(layout);
    do {
        PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
        PangoRectangle lr;
        pango_layout_iter_get_line_extents(it, NULL, &lr);
        double base = oy + pango_layout_iter_get_baseline(it) / (double)PANGO_SCALE;
        double rx = ox + lr.x / (double)PANGO_SCALE;
        for (GSList *l = line ? line->runs : NULL; l; l = l->next) {
            PangoGlyphItem *run = l->data;
            double w = pango_glyph_string_get_width(run->glyphs) / (double)PANGO_SCALE;
            if (run->item->length > 0) {
                start(svg, "tspan");
                attr_num(svg, "x", rx);
                attr_num(svg, "y", base);
                run_font_attrs(svg, layout, run, 1);
                write_run_text(svg, layout, run, run->item->offset,
                               run->item->offset + run->item->length);
                end(svg);
            }
            rx += w;
        }
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    text_end(svg);
}

void dl_svg_text_along(cairo_t *cr, PangoLayout *layout, dl_svg_map_fn map, const void *closure,
                       const double fill[4], const double halo[4], double halo_width,
                       double opacity)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg || !layout || !(opacity > 0))
        return;
    start(svg, "g");
    attr(svg, "class", "label-along");
    if (opacity < 1)
        attr_num(svg, "opacity", opacity);
    const char *text = pango_layout_get_text(layout);
    PangoLayoutIter *it = pango_layout_get_iter(layout);
    PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
    PangoRectangle lr;
    pango_layout_iter_get_line_extents(it, NULL, &lr);
    double base = pango_layout_iter_get_baseline(it) / (double)PANGO_SCALE;
    double rx = lr.x / (double)PANGO_SCALE;
    for (GSList *l = line ? line->runs : NULL; l; l = l->next) {
        PangoGlyphItem *run = l->data;
        PangoGlyphItemIter ci;
        /* Glyph positions within the run, from its start. */
        int ng = run->glyphs->num_glyphs;
        double *gx = g_new(double, ng + 1);
        gx[0] = 0;
        for (int g = 0; g < ng; g++)
            gx[g + 1] = gx[g] + run->glyphs->glyphs[g].geometry.width / (double)PANGO_SCALE;
        for (gboolean ok = pango_glyph_item_iter_init_start(&ci, run, text); ok;
             ok = pango_glyph_item_iter_next_cluster(&ci)) {
            int g0 = ci.start_glyph < ci.end_glyph ? ci.start_glyph : ci.end_glyph + 1;
            int g1 = ci.start_glyph < ci.end_glyph ? ci.end_glyph : ci.start_glyph + 1;
            if (g0 < 0 || g1 > ng || g0 >= g1)
                continue;
            double x0 = rx + gx[g0], x1 = rx + gx[g1], cx = (x0 + x1) / 2;
            /* The cluster's centre on the curve and the curve's direction. */
            double px, py, ax, ay, bx, by;
            map(closure, cx, base, &px, &py);
            map(closure, cx - 0.5, base, &ax, &ay);
            map(closure, cx + 0.5, base, &bx, &by);
            cairo_user_to_device(cr, &px, &py);
            cairo_user_to_device(cr, &ax, &ay);
            cairo_user_to_device(cr, &bx, &by);
            double deg = atan2(by - ay, bx - ax) * 180 / G_PI;
            char a[64], b[64], d[64], tr[256];
            num(a, sizeof a, px);
            num(b, sizeof b, py);
            num(d, sizeof d, deg);
            snprintf(tr, sizeof tr, "translate(%s %s) rotate(%s)", a, b, d);
            text_start(svg);
            attr(svg, "transform", tr);
            attr_num(svg, "x", -(x1 - x0) / 2);
            attr(svg, "y", "0");
            run_font_attrs(svg, layout, run, ctm_scale(cr));
            text_paint(svg, fill, halo, halo_width, ctm_scale(cr));
            write_run_text(svg, layout, run, ci.start_index, ci.end_index);
            text_end(svg);
        }
        g_free(gx);
        rx += pango_glyph_string_get_width(run->glyphs) / (double)PANGO_SCALE;
    }
    pango_layout_iter_free(it);
    end(svg);
}

void dl_svg_image(cairo_t *cr, const char *data, size_t len, double w, double h)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg || !data || !len)
        return;
    gchar *b64 = g_base64_encode((const guchar *)data, len);
    GString *href = g_string_new("data:image/svg+xml;base64,");
    g_string_append(href, b64);
    g_free(b64);
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    start(svg, "image");
    attr(svg, "x", "0");
    attr(svg, "y", "0");
    attr_num(svg, "width", w);
    attr_num(svg, "height", h);
    matrix_attr(svg, "transform", &m);
    attr(svg, "xlink:href", href->str);
    end(svg);
    g_string_free(href, TRUE);
}

void dl_svg_pattern_begin(cairo_t *cr, cairo_t *tile, double w, double h)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg)
        return;
    char id[ID_MAX];
    def_id(svg, id, sizeof id, "pattern");
    start(svg, "pattern");
    attr(svg, "id", id);
    attr(svg, "patternUnits", "userSpaceOnUse");
    attr_num(svg, "width", w);
    attr_num(svg, "height", h);
    cairo_matrix_t m;
    cairo_get_matrix(cr, &m);
    if (!(m.xx == 1 && m.yy == 1 && m.xy == 0 && m.yx == 0 && m.x0 == 0 && m.y0 == 0))
        matrix_attr(svg, "patternTransform", &m);
    dl_svg_attach(svg, tile);
    cairo_set_user_data(tile, &pattern_key, g_strdup(id), g_free);
}

void dl_svg_pattern_end(cairo_t *cr, cairo_t *tile, cairo_pattern_t *source)
{
    dl_svg *svg = dl_svg_of(cr);
    if (!svg)
        return;
    end(svg);
    const char *id = cairo_get_user_data(tile, &pattern_key);
    if (source && id)
        cairo_pattern_set_user_data(source, &pattern_key, g_strdup(id), g_free);
}
