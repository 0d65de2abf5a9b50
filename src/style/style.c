/* Builds a checked dl_style from the YAML node tree: keys, types, defaults
 * (MapLibre's where a property comes from it), ranges and references, each
 * error pointing at the line and column of the value at fault. */
#include "style/style.h"
#include "style/compose.h"
#include "style/eval.h"
#include "style/expr.h"
#include "style/maplibre.h"
#include "style/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_FONT "Noto Sans CJK SC, DejaVu Sans"
#define MAX_DPI 2400
#define MAX_TEXT_PX 1000 /* a glyph this big is already a poster */
#define MAX_EMS 100
#define MAX_DASH 1000    /* in line widths */
#define MAX_PATTERN_PX 1000 /* fill-pattern spacing and line width */
#define MAX_ZOOM 24
#define MAX_ICON_SCALE 100 /* icon-size, times the SVG's own size */
#define SUBTITLE_GAP 6   /* px between the title and the subtitle */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    dline_ctx *ctx;
    const char *path;
    dl_style *style;
    /* dline validate: problems are reported and the load goes on with the
     * next key, property or layer (NULL: stop at the first). */
    dl_style_problem_fn report;
    void *user;
    size_t problems;
    /* A MapLibre style (maplibre.c translated it): properties dline does not
     * have are warned about and ignored rather than errors. */
    int maplibre;
} loader;

/* After a step that may have failed: in a validating load a style error is
 * reported and cleared, and the caller goes on; otherwise st. */
static dline_status keep_going(loader *L, dline_status st)
{
    if (st != DLINE_ESTYLE || !L->report)
        return st;
    L->report(dline_ctx_message(L->ctx), L->user);
    L->problems++;
    dline_ctx_clear(L->ctx);
    return DLINE_OK;
}

static dline_status err(loader *L, const dl_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dline_status err(loader *L, const dl_yaml_node *at, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A node from an included file names that file. */
    return dl_error(L->ctx, DLINE_ESTYLE, at && at->file ? at->file : L->path, at ? at->line : 0,
                    at ? at->col : 0, "%s", msg);
}

/* The file a node was read from (an included file, or the style). */
static const char *node_file(const loader *L, const dl_yaml_node *n)
{
    return n && n->file ? n->file : L->path;
}

static char *dir_of(const char *path);
static const char *keep_file(loader *L, const dl_yaml_node *v);

/* The folder of the file a node was read from. Caller frees. */
static char *n_dir_of(const loader *L, const dl_yaml_node *n)
{
    return dir_of(node_file(L, n));
}

static dline_status no_memory(loader *L)
{
    return dl_error(L->ctx, DLINE_ENOMEM, L->path, 0, 0, "out of memory");
}

/* User text quoted in a message is cut to a readable length, at a UTF-8
 * character boundary so the message stays valid text. */
static const char *shown(const char *s, char *buf, size_t size)
{
    const size_t max = 60;
    size_t len = strlen(s);
    if (len <= max || size < max + 4)
        return s;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(buf, s, cut);
    memcpy(buf + cut, "...", 4);
    return buf;
}

/* " (did you mean 'x'?)" or "". */
static const char *hint(const char *word, const char *const *valid, size_t n, char *buf,
                        size_t size)
{
    const char *best = dl_suggest(word, valid, n);
    if (!best)
        return "";
    snprintf(buf, size, " (did you mean '%s'?)", best);
    return buf;
}

static int is_scalar(const dl_yaml_node *n)
{
    return n && n->kind == DL_YAML_SCALAR;
}

static dline_status check_key(loader *L, const dl_yaml_node *k, const char *const *valid,
                              size_t n)
{
    for (size_t j = 0; j < n; j++)
        if (strcmp(k->text, valid[j]) == 0)
            return DLINE_OK;
    char b1[80], b2[128];
    return err(L, k, "unknown key '%s'%s", shown(k->text, b1, sizeof b1),
               hint(k->text, valid, n, b2, sizeof b2));
}

static dline_status check_keys(loader *L, const dl_yaml_node *map, const char *const *valid,
                               size_t n)
{
    /* A validating load reports every unknown key, not only the first. */
    for (size_t i = 0; i < map->n; i++) {
        dline_status st = keep_going(L, check_key(L, dl_yaml_key(map, i), valid, n));
        if (st != DLINE_OK)
            return st;
    }
    return DLINE_OK;
}

static dline_status get_number(loader *L, const dl_yaml_node *n, const char *name, double min,
                               double max, double *out)
{
    double v;
    if (!is_scalar(n) || !n->plain || dl_style_number(n->text, n->len, &v) != 0)
        return err(L, n, "'%s' must be a number", name);
    if (v < min) {
        if (min == 0)
            return err(L, n, "'%s' must not be negative", name);
        return err(L, n, "'%s' must be at least %g", name, min);
    }
    if (v > max)
        return err(L, n, "'%s' %g is over the limit of %g", name, v, max);
    *out = v;
    return DLINE_OK;
}

/* A length node: a plain number of px, or a number with a unit ("9pt",
 * "4mm"), quoted or not. A quoted number without a unit is refused, as
 * everywhere a number is needed. Returns as dl_style_length. */
static int length_of(const dl_yaml_node *n, double *px, const char **unit, size_t *unit_len)
{
    *unit_len = 0;
    if (!is_scalar(n) || dl_yaml_is_null(n))
        return -1;
    int r = dl_style_length(n->text, n->len, px, unit, unit_len);
    if (r == 0 && *unit_len == 0 && !n->plain)
        return -1;
    return r;
}

static dline_status unit_error(loader *L, const dl_yaml_node *n, const char *name,
                               const char *unit, size_t unit_len)
{
    char b[80];
    return err(L, n, "'%s': unknown unit '%.*s' in '%s' (use px, pt, mm, cm or in)", name,
               (int)(unit_len < 16 ? unit_len : 16), unit, shown(n->text, b, sizeof b));
}

/* A length (see length_of) within min..max px. */
static dline_status get_length(loader *L, const dl_yaml_node *n, const char *name, double min,
                               double max, double *out)
{
    double v;
    const char *unit;
    size_t ulen;
    int r = length_of(n, &v, &unit, &ulen);
    if (r == -2)
        return unit_error(L, n, name, unit, ulen);
    if (r != 0)
        return err(L, n, "'%s' must be a number", name);
    if (v < min) {
        if (min == 0)
            return err(L, n, "'%s' must not be negative", name);
        return err(L, n, "'%s' must be at least %g", name, min);
    }
    if (v > max) {
        char b[80];
        if (ulen)
            return err(L, n, "'%s' %s is over the limit of %g px", name,
                       shown(n->text, b, sizeof b), max);
        return err(L, n, "'%s' %g is over the limit of %g", name, v, max);
    }
    *out = v;
    return DLINE_OK;
}

/* [x, y] of lengths within -limit..limit px. */
static dline_status get_length_pair(loader *L, const dl_yaml_node *n, const char *name,
                                    double limit, double out[2])
{
    if (!n || n->kind != DL_YAML_SEQUENCE || n->n != 2)
        return err(L, n, "'%s' must be [x, y]", name);
    for (size_t i = 0; i < 2; i++) {
        double v;
        const char *unit;
        size_t ulen;
        const dl_yaml_node *e = n->items[i];
        int r = length_of(e, &v, &unit, &ulen);
        if (r == -2)
            return unit_error(L, e, name, unit, ulen);
        if (r != 0)
            return err(L, e, "'%s' must be [x, y] numbers", name);
        if (fabs(v) > limit) {
            char b[80];
            if (ulen)
                return err(L, e, "'%s' %s is over the limit of %g px", name,
                           shown(e->text, b, sizeof b), limit);
            return err(L, e, "'%s' %g is over the limit of %g", name, v, limit);
        }
        out[i] = v;
    }
    return DLINE_OK;
}

static dline_status get_unit(loader *L, const dl_yaml_node *n, const char *name, double *out)
{
    double v;
    if (!is_scalar(n) || !n->plain || dl_style_number(n->text, n->len, &v) != 0)
        return err(L, n, "'%s' must be a number", name);
    if (v < 0 || v > 1)
        return err(L, n, "'%s' must be between 0 and 1", name);
    *out = v;
    return DLINE_OK;
}

static dline_status get_bool(loader *L, const dl_yaml_node *n, const char *name, int *out)
{
    /* Only true and false: YAML 1.1's yes/no/on/off surprise more than they help. */
    if (is_scalar(n) && n->plain && strcmp(n->text, "true") == 0)
        *out = 1;
    else if (is_scalar(n) && n->plain && strcmp(n->text, "false") == 0)
        *out = 0;
    else
        return err(L, n, "'%s' must be true or false", name);
    return DLINE_OK;
}

/* Replaces *out (freeing the old value) with a copy of the scalar. */
static dline_status get_string(loader *L, const dl_yaml_node *n, const char *name,
                               int allow_empty, char **out)
{
    if (!is_scalar(n) || dl_yaml_is_null(n))
        return err(L, n, "'%s' must be a string", name);
    if (!allow_empty && n->len == 0)
        return err(L, n, "'%s' must not be empty", name);
    char *s = dl_strdup(n->text);
    if (!s)
        return no_memory(L);
    free(*out);
    *out = s;
    return DLINE_OK;
}

static dline_status get_color(loader *L, const dl_yaml_node *n, const char *name, dl_color *out)
{
    if (dl_yaml_is_null(n))
        /* The usual cause: an unquoted "#rrggbb" reads as a YAML comment. */
        return err(L, n, "'%s' has no value (quote colours: '#' starts a YAML comment)", name);
    if (!is_scalar(n))
        return err(L, n, "'%s' must be a colour", name);
    if (dl_color_parse(n->text, out) != 0) {
        char b[80];
        return err(L, n, "'%s': invalid colour '%s'", name, shown(n->text, b, sizeof b));
    }
    return DLINE_OK;
}

static dline_status get_enum(loader *L, const dl_yaml_node *n, const char *name,
                             const char *const *values, size_t nvalues, int *out)
{
    if (is_scalar(n)) {
        for (size_t i = 0; i < nvalues; i++) {
            if (strcmp(n->text, values[i]) == 0) {
                *out = (int)i;
                return DLINE_OK;
            }
        }
        const char *best = dl_suggest(n->text, values, nvalues);
        if (best) {
            char b[80];
            return err(L, n, "'%s': unknown value '%s' (did you mean '%s'?)", name,
                       shown(n->text, b, sizeof b), best);
        }
    }
    char list[256] = "";
    for (size_t i = 0; i < nvalues; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", values[i]);
    }
    return err(L, n, "'%s' must be one of %s", name, list);
}

/* [x, y] of numbers within -limit..limit. */
static dline_status get_pair(loader *L, const dl_yaml_node *n, const char *name, double limit,
                             double out[2])
{
    if (!n || n->kind != DL_YAML_SEQUENCE || n->n != 2)
        return err(L, n, "'%s' must be [x, y]", name);
    for (size_t i = 0; i < 2; i++) {
        double v;
        const dl_yaml_node *e = n->items[i];
        if (!is_scalar(e) || !e->plain || dl_style_number(e->text, e->len, &v) != 0)
            return err(L, e, "'%s' must be [x, y] numbers", name);
        if (fabs(v) > limit)
            return err(L, e, "'%s' %g is over the limit of %g", name, v, limit);
        out[i] = v;
    }
    return DLINE_OK;
}

static const char *const cap_names[] = {"butt", "round", "square"};
static const char *const join_names[] = {"miter", "round", "bevel"};
static const char *const anchor_names[] = {"center", "left", "right", "top", "bottom",
                                           "top-left", "top-right", "bottom-left",
                                           "bottom-right"};

/* Splits family names (a string, a comma-separated string or a list of
 * them) into a Pango family list. A trailing " Bold" or " Regular", as in
 * MapLibre font stacks, becomes the weight: Pango would otherwise look for a
 * family called "Noto Sans Bold". */
/* "A, B" from font names (each may itself be a comma list), with a trailing
 * " Bold" or " Regular" taken off each (*bold set when one was Bold).
 * NULL when out of memory; "" when no name is left. */
static char *font_family_list(const char *const *names, size_t count, int *bold)
{
    size_t total = 1;
    for (size_t i = 0; i < count; i++)
        total += 2 * strlen(names[i]) + 2; /* "a,b" becomes "a, b" */
    char *out = malloc(total);
    if (!out)
        return NULL;
    size_t o = 0;
    *bold = 0;
    for (size_t i = 0; i < count; i++) {
        const char *s = names[i];
        while (*s) {
            const char *end = strchr(s, ',');
            if (!end)
                end = s + strlen(s);
            const char *a = s, *b = end;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            static const char *const weights[] = {" Bold", " Regular"};
            for (size_t w = 0; w < COUNT(weights); w++) {
                size_t wl = strlen(weights[w]);
                if ((size_t)(b - a) > wl && strncmp(b - wl, weights[w], wl) == 0) {
                    b -= wl;
                    if (w == 0)
                        *bold = 1;
                    break;
                }
            }
            if (b > a) {
                if (o) {
                    out[o++] = ',';
                    out[o++] = ' ';
                }
                memcpy(out + o, a, (size_t)(b - a));
                o += (size_t)(b - a);
            }
            s = *end ? end + 1 : end;
        }
    }
    out[o] = '\0';
    return out;
}

static dline_status get_fonts(loader *L, const dl_yaml_node *n, const char *name, char **families,
                              int *bold)
{
    const dl_yaml_node *const *items = &n;
    size_t count = 1;
    if (n && n->kind == DL_YAML_SEQUENCE) {
        items = (const dl_yaml_node *const *)n->items;
        count = n->n;
    }
    const char **names = dl_calloc_array(count + 1, sizeof *names);
    if (!names)
        return no_memory(L);
    for (size_t i = 0; i < count; i++) {
        if (!is_scalar(items[i]) || dl_yaml_is_null(items[i])) {
            free(names);
            return err(L, items[i], "'%s' must be a font name or a list of them", name);
        }
        names[i] = items[i]->text;
    }
    char *out = font_family_list(names, count, bold);
    free(names);
    if (!out)
        return no_memory(L);
    if (!*out) {
        free(out);
        return err(L, n, "'%s' names no font", name);
    }
    free(*families);
    *families = out;
    return DLINE_OK;
}

/* dline's built-in fill patterns, in dl_fill_pattern order after NONE. */
static const char *const pattern_names[] = {"hatch", "hatch-135", "crosshatch",
                                            "horizontal", "vertical", "dots"};
static const char *const placement_names[] = {"point", "line"};
static const char *const alignment_names[] = {"auto", "map", "viewport"};

/* Paint and layout properties, named as in the MapLibre style spec. */
enum {
    T_BACKGROUND = 1 << DL_LAYER_BACKGROUND,
    T_FILL = 1 << DL_LAYER_FILL,
    T_LINE = 1 << DL_LAYER_LINE,
    T_CIRCLE = 1 << DL_LAYER_CIRCLE,
    T_SYMBOL = 1 << DL_LAYER_SYMBOL
};

typedef enum {
    K_COLOR, K_NUMBER, K_LENGTH, K_OPACITY, K_DASHES, K_CAP, K_JOIN, K_ANCHOR, K_TEXT_FIELD, K_FONT,
    K_OFFSET, K_BOOL, K_ANCHORS, K_SORT_KEY, K_PLACEMENT, K_FONT_SECONDARY,
    K_SIGNED, K_POSITIVE, K_GRADIENT, K_PATTERN,
    K_ICON_IMAGE, K_ICON_ANCHOR, K_ICON_OFFSET, K_ANGLE, K_ALIGNMENT
} prop_kind;

typedef struct {
    const char *name;
    unsigned types;
    int layout;
    prop_kind kind;
    size_t offset; /* into dl_style_layer */
    double max;    /* for numbers */
} prop_def;

#define F(field) offsetof(dl_style_layer, field)
static const prop_def props[] = {
    {"background-color", T_BACKGROUND, 0, K_COLOR, F(background_color), 0},
    {"background-opacity", T_BACKGROUND, 0, K_OPACITY, F(background_opacity), 0},
    {"fill-color", T_FILL, 0, K_COLOR, F(fill_color), 0},
    {"fill-opacity", T_FILL, 0, K_OPACITY, F(fill_opacity), 0},
    {"fill-outline-color", T_FILL, 0, K_COLOR, F(fill_outline_color), 0},
    {"fill-pattern", T_FILL, 0, K_PATTERN, F(fill_pattern), 0},
    {"fill-pattern-spacing", T_FILL, 0, K_POSITIVE, F(fill_pattern_spacing), MAX_PATTERN_PX},
    {"fill-pattern-width", T_FILL, 0, K_LENGTH, F(fill_pattern_width), MAX_PATTERN_PX},
    {"line-color", T_LINE, 0, K_COLOR, F(line_color), 0},
    {"line-width", T_LINE, 0, K_LENGTH, F(line_width), DL_MAX_SIZE_PX},
    {"line-opacity", T_LINE, 0, K_OPACITY, F(line_opacity), 0},
    {"line-dasharray", T_LINE, 0, K_DASHES, F(line_dasharray), MAX_DASH},
    {"line-cap", T_LINE, 1, K_CAP, F(line_cap), 0},
    {"line-join", T_LINE, 1, K_JOIN, F(line_join), 0},
    {"line-offset", T_LINE, 0, K_SIGNED, F(line_offset), DL_MAX_SIZE_PX},
    {"line-gap-width", T_LINE, 0, K_LENGTH, F(line_gap_width), DL_MAX_SIZE_PX},
    {"line-gradient", T_LINE, 0, K_GRADIENT, F(line_gradient), 0},
    {"circle-radius", T_CIRCLE, 0, K_LENGTH, F(circle_radius), DL_MAX_SIZE_PX},
    {"circle-color", T_CIRCLE, 0, K_COLOR, F(circle_color), 0},
    {"circle-opacity", T_CIRCLE, 0, K_OPACITY, F(circle_opacity), 0},
    {"circle-stroke-color", T_CIRCLE, 0, K_COLOR, F(circle_stroke_color), 0},
    {"circle-stroke-width", T_CIRCLE, 0, K_LENGTH, F(circle_stroke_width), DL_MAX_SIZE_PX},
    {"text-field", T_SYMBOL, 1, K_TEXT_FIELD, F(text_field), 0},
    {"text-font", T_SYMBOL, 1, K_FONT, F(text_font), 0},
    {"text-size", T_SYMBOL, 1, K_LENGTH, F(text_size), MAX_TEXT_PX},
    {"text-offset", T_SYMBOL, 1, K_OFFSET, F(text_offset), MAX_EMS},
    {"text-anchor", T_SYMBOL, 1, K_ANCHOR, F(text_anchor), 0},
    {"text-line-height", T_SYMBOL, 1, K_NUMBER, F(text_line_height), MAX_EMS},
    {"text-max-width", T_SYMBOL, 1, K_NUMBER, F(text_max_width), MAX_EMS},
    {"text-allow-overlap", T_SYMBOL, 1, K_BOOL, F(text_allow_overlap), 0},
    {"text-variable-anchor", T_SYMBOL, 1, K_ANCHORS, F(text_variable_anchor), 0},
    {"text-radial-offset", T_SYMBOL, 1, K_NUMBER, F(text_radial_offset), MAX_EMS},
    {"text-padding", T_SYMBOL, 1, K_LENGTH, F(text_padding), MAX_TEXT_PX},
    {"text-optional", T_SYMBOL, 1, K_BOOL, F(text_optional), 0},
    {"symbol-sort-key", T_SYMBOL, 1, K_SORT_KEY, F(symbol_sort_key), 0},
    {"symbol-placement", T_SYMBOL, 1, K_PLACEMENT, F(symbol_placement_line), 0},
    {"symbol-spacing", T_SYMBOL, 1, K_LENGTH, F(symbol_spacing), DL_MAX_SIZE_PX},
    {"text-max-angle", T_SYMBOL, 1, K_NUMBER, F(text_max_angle), 180},
    {"text-leader", T_SYMBOL, 1, K_BOOL, F(text_leader), 0},
    {"text-leader-threshold", T_SYMBOL, 1, K_LENGTH, F(text_leader_threshold), DL_MAX_SIZE_PX},
    {"text-leader-color", T_SYMBOL, 0, K_COLOR, F(text_leader_color), 0},
    {"text-leader-width", T_SYMBOL, 0, K_LENGTH, F(text_leader_width), MAX_TEXT_PX},
    {"text-leader-halo-width", T_SYMBOL, 0, K_LENGTH, F(text_leader_halo_width), MAX_TEXT_PX},
    {"text-field-secondary", T_SYMBOL, 1, K_TEXT_FIELD, F(text_field_secondary), 0},
    {"text-size-secondary", T_SYMBOL, 1, K_LENGTH, F(text_size_secondary), MAX_TEXT_PX},
    {"text-font-secondary", T_SYMBOL, 1, K_FONT_SECONDARY, F(text_font_secondary), 0},
    {"text-color", T_SYMBOL, 0, K_COLOR, F(text_color), 0},
    {"text-opacity", T_SYMBOL, 0, K_OPACITY, F(text_opacity), 0},
    {"text-halo-color", T_SYMBOL, 0, K_COLOR, F(text_halo_color), 0},
    {"text-halo-width", T_SYMBOL, 0, K_LENGTH, F(text_halo_width), MAX_TEXT_PX},
    {"icon-image", T_SYMBOL, 1, K_ICON_IMAGE, F(icon_image), 0},
    {"icon-size", T_SYMBOL, 1, K_NUMBER, F(icon_size), MAX_ICON_SCALE},
    {"icon-anchor", T_SYMBOL, 1, K_ICON_ANCHOR, F(icon_anchor), 0},
    {"icon-offset", T_SYMBOL, 1, K_ICON_OFFSET, F(icon_offset), DL_MAX_SIZE_PX},
    {"icon-rotate", T_SYMBOL, 1, K_ANGLE, F(icon_rotate), 0},
    {"icon-rotation-alignment", T_SYMBOL, 1, K_ALIGNMENT, F(icon_rotation_alignment), 0},
    {"icon-allow-overlap", T_SYMBOL, 1, K_BOOL, F(icon_allow_overlap), 0},
    {"icon-opacity", T_SYMBOL, 0, K_OPACITY, F(icon_opacity), 0},
};
#undef F

static const char *const type_names[] = {"background", "fill", "line", "circle", "symbol"};

static dline_status set_cartography(loader *L, dl_style_layer *layer, const prop_def *p,
                                    const dl_yaml_node *v);

static dline_status set_property(loader *L, dl_style_layer *layer, const prop_def *p,
                                 const dl_yaml_node *v)
{
    void *field = (char *)layer + p->offset;
    int e;
    dline_status st;
    switch (p->kind) {
    case K_COLOR:
        st = get_color(L, v, p->name, field);
        if (st == DLINE_OK && p->offset == offsetof(dl_style_layer, fill_outline_color))
            layer->has_fill_outline = 1;
        if (st == DLINE_OK && p->offset == offsetof(dl_style_layer, text_leader_color))
            layer->has_text_leader_color = 1;
        return st;
    case K_NUMBER:
        st = get_number(L, v, p->name, 0, p->max, field);
        if (st == DLINE_OK && p->offset == offsetof(dl_style_layer, text_radial_offset))
            layer->has_text_radial_offset = 1;
        return st;
    case K_LENGTH: return get_length(L, v, p->name, 0, p->max, field);
    case K_OPACITY: return get_unit(L, v, p->name, field);
    case K_BOOL: return get_bool(L, v, p->name, field);
    case K_OFFSET: return get_pair(L, v, p->name, p->max, field);
    case K_SIGNED:
    case K_POSITIVE:
    case K_GRADIENT:
    case K_PATTERN:
    case K_ICON_IMAGE:
    case K_ICON_ANCHOR:
    case K_ICON_OFFSET:
    case K_ANGLE:
    case K_ALIGNMENT: return set_cartography(L, layer, p, v);
    case K_CAP: {
        if ((st = get_enum(L, v, p->name, cap_names, COUNT(cap_names), &e)) == DLINE_OK)
            layer->line_cap = (dl_line_cap)e;
        return st;
    }
    case K_JOIN: {
        if ((st = get_enum(L, v, p->name, join_names, COUNT(join_names), &e)) == DLINE_OK)
            layer->line_join = (dl_line_join)e;
        return st;
    }
    case K_ANCHOR:
        if ((st = get_enum(L, v, p->name, anchor_names, COUNT(anchor_names), &e)) == DLINE_OK) {
            layer->text_anchor = (dl_anchor)e;
            layer->text_anchor_auto = 0;
        }
        return st;
    case K_DASHES: {
        if (!v || v->kind != DL_YAML_SEQUENCE)
            return err(L, v, "'%s' must be a list of numbers", p->name);
        if (v->n > DL_MAX_DASHES)
            return err(L, v, "'%s' has more than %d values", p->name, DL_MAX_DASHES);
        double sum = 0;
        for (size_t i = 0; i < v->n; i++) {
            st = get_number(L, v->items[i], p->name, 0, p->max, &layer->line_dasharray[i]);
            if (st != DLINE_OK)
                return st;
            sum += layer->line_dasharray[i];
        }
        /* Cairo refuses a dash pattern whose lengths are all zero. */
        if (v->n > 0 && sum <= 0)
            return err(L, v, "'%s' must not be all zeros", p->name);
        layer->line_ndash = (int)v->n;
        return DLINE_OK;
    }
    case K_TEXT_FIELD:
        /* ["get", "name"], the expression form, is the template "{name}". */
        if (v && v->kind == DL_YAML_SEQUENCE) {
            if (v->n != 2 || !is_scalar(v->items[0]) || strcmp(v->items[0]->text, "get") != 0 ||
                !is_scalar(v->items[1]))
                return err(L, v, "'%s' must be a string such as \"{name}\" or [\"get\", \"name\"]",
                           p->name);
            char *t = malloc(v->items[1]->len + 3);
            if (!t)
                return no_memory(L);
            snprintf(t, v->items[1]->len + 3, "{%s}", v->items[1]->text);
            free(*(char **)field);
            *(char **)field = t;
            return DLINE_OK;
        }
        return get_string(L, v, p->name, 1, field);
    case K_FONT: {
        int bold;
        st = get_fonts(L, v, p->name, &layer->text_font, &bold);
        if (st != DLINE_OK)
            return st;
        char *w = dl_strdup(bold ? "bold" : "normal");
        if (!w)
            return no_memory(L);
        free(layer->text_weight);
        layer->text_weight = w;
        return DLINE_OK;
    }
    case K_FONT_SECONDARY: {
        int bold;
        st = get_fonts(L, v, p->name, &layer->text_font_secondary, &bold);
        if (st != DLINE_OK)
            return st;
        char *w = dl_strdup(bold ? "bold" : "normal");
        if (!w)
            return no_memory(L);
        free(layer->text_weight_secondary);
        layer->text_weight_secondary = w;
        return DLINE_OK;
    }
    case K_ANCHORS: {
        /* MapLibre text-variable-anchor: candidates in the order given. */
        if (!v || v->kind != DL_YAML_SEQUENCE || v->n == 0)
            return err(L, v, "'%s' must be a list of anchors such as [top, bottom, left]",
                       p->name);
        if (v->n > COUNT(layer->text_variable_anchor))
            return err(L, v, "'%s' has more than %zu anchors", p->name,
                       COUNT(layer->text_variable_anchor));
        for (size_t i = 0; i < v->n; i++) {
            if ((st = get_enum(L, v->items[i], p->name, anchor_names, COUNT(anchor_names), &e)))
                return st;
            for (size_t j = 0; j < i; j++)
                if (layer->text_variable_anchor[j] == (dl_anchor)e)
                    return err(L, v->items[i], "'%s' names '%s' twice", p->name,
                               anchor_names[e]);
            layer->text_variable_anchor[i] = (dl_anchor)e;
        }
        layer->text_nvariable_anchor = (int)v->n;
        return DLINE_OK;
    }
    case K_SORT_KEY: {
        /* A number, or an expression (set_expression). */
        double key;
        if (!is_scalar(v) || !v->plain || dl_style_number(v->text, v->len, &key) != 0)
            return err(L, v, "'%s' must be a number or an expression such as [\"get\", \"rank\"]",
                       p->name);
        layer->symbol_sort_key = key;
        dl_expr_free(layer->sort_key_expr);
        layer->sort_key_expr = NULL;
        layer->has_sort_key = 1;
        return DLINE_OK;
    }
    case K_PLACEMENT: {
        if ((st = get_enum(L, v, p->name, placement_names, COUNT(placement_names), &e)) ==
            DLINE_OK)
            layer->symbol_placement_line = e == 1;
        return st;
    }
    }
    return DLINE_OK;
}

/* line-gradient: MapLibre's ["interpolate", ["linear"], ["line-progress"], 0, C0, 1, C1, ...]
 * (the only expression dline reads until expressions come) or dline's shorter
 * list of [progress, colour] stops. */
static const char GRADIENT_FORMS[] =
    "must be [\"interpolate\", [\"linear\"], [\"line-progress\"], 0, COLOUR, 1, COLOUR] "
    "or a list of [progress, colour] stops";

static int is_call(const dl_yaml_node *n, const char *name)
{
    return n && n->kind == DL_YAML_SEQUENCE && n->n == 1 && is_scalar(n->items[0]) &&
           strcmp(n->items[0]->text, name) == 0;
}

static dline_status gradient_stop(loader *L, dl_style_layer *layer, const char *name,
                                  const dl_yaml_node *at, const dl_yaml_node *color)
{
    int i = layer->line_ngradient;
    if (i == DL_MAX_GRADIENT_STOPS)
        return err(L, at, "'%s' has more than %d stops", name, DL_MAX_GRADIENT_STOPS);
    double v;
    if (!is_scalar(at) || !at->plain || dl_style_number(at->text, at->len, &v) != 0 || v < 0 ||
        v > 1)
        return err(L, at, "'%s': a stop's progress must be a number between 0 and 1", name);
    if (i > 0 && !(v > layer->line_gradient[i - 1].at))
        return err(L, at, "'%s': stops must be in ascending order of progress", name);
    dline_status st = get_color(L, color, name, &layer->line_gradient[i].color);
    if (st != DLINE_OK)
        return st;
    layer->line_gradient[i].at = v;
    layer->line_ngradient = i + 1;
    return DLINE_OK;
}

static dline_status get_gradient(loader *L, dl_style_layer *layer, const char *name,
                                 const dl_yaml_node *v)
{
    layer->line_ngradient = 0;
    if (!v || v->kind != DL_YAML_SEQUENCE || v->n == 0)
        return err(L, v, "'%s' %s", name, GRADIENT_FORMS);
    dline_status st;
    if (is_scalar(v->items[0])) {
        if (strcmp(v->items[0]->text, "interpolate") != 0)
            return err(L, v->items[0], "'%s' %s", name, GRADIENT_FORMS);
        if (v->n < 3 || !is_call(v->items[1], "linear"))
            return err(L, v->n > 1 ? v->items[1] : v,
                       "'%s': only [\"linear\"] interpolation is supported", name);
        if (!is_call(v->items[2], "line-progress"))
            return err(L, v->items[2], "'%s': the input must be [\"line-progress\"]", name);
        if (v->n < 5 || (v->n - 3) % 2 != 0)
            return err(L, v, "'%s': \"interpolate\" needs progress, colour pairs", name);
        for (size_t i = 3; i < v->n; i += 2)
            if ((st = gradient_stop(L, layer, name, v->items[i], v->items[i + 1])) != DLINE_OK)
                return st;
        return DLINE_OK;
    }
    for (size_t i = 0; i < v->n; i++) {
        const dl_yaml_node *s = v->items[i];
        if (s->kind != DL_YAML_SEQUENCE || s->n != 2)
            return err(L, s, "'%s': each stop must be [progress, colour]", name);
        if ((st = gradient_stop(L, layer, name, s->items[0], s->items[1])) != DLINE_OK)
            return st;
    }
    return DLINE_OK;
}

static dline_status get_icon_image(loader *L, dl_style_layer *layer, const dl_yaml_node *v);

static dline_status set_cartography(loader *L, dl_style_layer *layer, const prop_def *p,
                                    const dl_yaml_node *v)
{
    void *field = (char *)layer + p->offset;
    switch (p->kind) {
    case K_SIGNED:
        return get_length(L, v, p->name, -p->max, p->max, field);
    case K_POSITIVE: {
        double d;
        dline_status st = get_length(L, v, p->name, 0, p->max, &d);
        if (st == DLINE_OK && !(d > 0))
            return err(L, v, "'%s' must be greater than 0", p->name);
        if (st == DLINE_OK)
            *(double *)field = d;
        return st;
    }
    case K_GRADIENT:
        return get_gradient(L, layer, p->name, v);
    case K_PATTERN: {
        int e;
        dline_status st = get_enum(L, v, p->name, pattern_names, COUNT(pattern_names), &e);
        if (st == DLINE_OK)
            layer->fill_pattern = (dl_fill_pattern)(e + 1);
        return st;
    }
    case K_ICON_IMAGE:
        return get_icon_image(L, layer, v);
    case K_ICON_ANCHOR: {
        int e;
        dline_status st = get_enum(L, v, p->name, anchor_names, COUNT(anchor_names), &e);
        if (st == DLINE_OK)
            layer->icon_anchor = (dl_anchor)e;
        return st;
    }
    case K_ICON_OFFSET:
        return get_length_pair(L, v, p->name, p->max, field);
    case K_ANGLE: {
        double a;
        if (!is_scalar(v) || !v->plain || dl_style_number(v->text, v->len, &a) != 0)
            return err(L, v, "'%s' must be a number of degrees", p->name);
        if (fabs(a) > 360)
            return err(L, v, "'%s' %g is outside -360..360 degrees", p->name, a);
        *(double *)field = a;
        return DLINE_OK;
    }
    case K_ALIGNMENT:
        return get_enum(L, v, p->name, alignment_names, COUNT(alignment_names), field);
    default:
        return DLINE_OK;
    }
}

/* Expressions */

/* A list whose first item is an operator name: ["get", "pop"]. (A list of
 * numbers, [0, -1], is a value.) */
static int is_expression(const dl_yaml_node *v)
{
    return v && v->kind == DL_YAML_SEQUENCE && v->n >= 1 && is_scalar(v->items[0]) &&
           !(v->items[0]->plain && dl_style_number(v->items[0]->text, v->items[0]->len,
                                                   &(double){0}) == 0);
}

/* Kinds whose value may be an expression, and what it must give.
 * line-gradient has its own interpolate form. */
static int takes_expression(prop_kind k)
{
    switch (k) {
    case K_COLOR: case K_NUMBER: case K_LENGTH: case K_OPACITY: case K_SIGNED:
    case K_POSITIVE: case K_ANGLE: case K_BOOL: case K_CAP: case K_JOIN: case K_ANCHOR:
    case K_TEXT_FIELD: case K_SORT_KEY: case K_DASHES: case K_OFFSET: case K_ICON_OFFSET:
    case K_ANCHORS: case K_FONT: case K_FONT_SECONDARY: case K_ICON_IMAGE: case K_ICON_ANCHOR:
    case K_PATTERN: case K_PLACEMENT: case K_ALIGNMENT:
        return 1;
    default:
        return 0;
    }
}

static dl_expr_type expr_type_of(prop_kind k)
{
    switch (k) {
    case K_COLOR: return DL_EXPR_COLOR;
    case K_BOOL: return DL_EXPR_BOOLEAN;
    case K_CAP: case K_JOIN: case K_ANCHOR: case K_TEXT_FIELD: case K_ICON_IMAGE:
    case K_ICON_ANCHOR: case K_PATTERN: case K_PLACEMENT: case K_ALIGNMENT:
        return DL_EXPR_STRING;
    case K_DASHES: case K_OFFSET: case K_ICON_OFFSET: case K_ANCHORS: return DL_EXPR_ARRAY;
    case K_FONT: case K_FONT_SECONDARY: return DL_EXPR_ANY; /* a name or a list of names */
    default: return DL_EXPR_NUMBER;
    }
}

static long enum_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (long)i;
    return -1;
}

/* Text of a font or icon value: into text (a per-feature buffer) when given,
 * else a new string that replaces *field (the style's own). */
static int put_text(char **field, const char *value, char *text, size_t size)
{
    if (text) {
        if (strlen(value) >= size)
            return -1;
        memcpy(text, value, strlen(value) + 1);
        *field = text;
        return 0;
    }
    char *copy = dl_strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* Fonts: a name or a list of names, as text-font takes them. */
static int store_fonts(dl_style_layer *l, const prop_def *p, const dl_expr_value *v,
                       dl_style_eval_text *text)
{
    const char *one[1], *list[64];
    const char *const *names = one;
    size_t n = 1;
    if (v->type == DL_EXPR_STRING) {
        one[0] = v->str;
    } else if (v->type == DL_EXPR_ARRAY && v->len > 0 && v->len <= 64) {
        for (size_t i = 0; i < v->len; i++) {
            if (v->items[i].type != DL_EXPR_STRING)
                return -1;
            list[i] = v->items[i].str;
        }
        names = list;
        n = v->len;
    } else {
        return -1;
    }
    int bold;
    char *families = font_family_list(names, n, &bold);
    int secondary = p->kind == K_FONT_SECONDARY;
    int rc = families && *families ? 0 : -1;
    if (rc == 0)
        rc = put_text(secondary ? &l->text_font_secondary : &l->text_font, families,
                      text ? (secondary ? text->font2 : text->font) : NULL,
                      sizeof text->font);
    if (rc == 0) {
        /* The weight is one of two words: shared, never written to. */
        static char bold_w[] = "bold", normal_w[] = "normal";
        char **w = secondary ? &l->text_weight_secondary : &l->text_weight;
        if (text)
            *w = bold ? bold_w : normal_w;
        else
            rc = put_text(w, bold ? "bold" : "normal", NULL, 0);
    }
    free(families);
    return rc;
}

/* Writes an expression's value into the property's field, within the range
 * a literal would be checked against (MapLibre clamps too); 0, or -1 when
 * the value does not fit the property (the field is left as it was).
 * Fonts and icons are written into text when given (per feature), else
 * owned by the layer. */
static int store_value(dl_style_layer *l, const prop_def *p, const dl_expr_value *v,
                       dl_style_eval_text *text)
{
    void *field = (char *)l + p->offset;
    double max = p->max > 0 ? p->max : INFINITY;
    switch (p->kind) {
    case K_FONT:
    case K_FONT_SECONDARY:
        return store_fonts(l, p, v, text);
    case K_ICON_IMAGE: {
        if (v->type != DL_EXPR_STRING)
            return -1;
        if (!*v->str) { /* no icon for this feature */
            if (!text)
                free(l->icon_image);
            l->icon_image = NULL;
            return 0;
        }
        char path[1024];
        const char *dir = l->icon_dir ? l->icon_dir : ".";
        if (v->str[0] == '/')
            snprintf(path, sizeof path, "%s", v->str);
        else if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, v->str) >= sizeof path)
            return -1;
        return put_text(&l->icon_image, path, text ? text->icon : NULL, sizeof text->icon);
    }
    case K_DASHES: {
        if (v->type != DL_EXPR_ARRAY || v->len > DL_MAX_DASHES)
            return -1;
        double sum = 0;
        for (size_t i = 0; i < v->len; i++) {
            if (v->items[i].type != DL_EXPR_NUMBER || !(v->items[i].num >= 0) ||
                v->items[i].num > max)
                return -1;
            sum += v->items[i].num;
        }
        if (v->len && !(sum > 0))
            return -1;
        for (size_t i = 0; i < v->len; i++)
            l->line_dasharray[i] = v->items[i].num;
        l->line_ndash = (int)v->len;
        return 0;
    }
    case K_OFFSET:
    case K_ICON_OFFSET: {
        if (v->type != DL_EXPR_ARRAY || v->len != 2 || v->items[0].type != DL_EXPR_NUMBER ||
            v->items[1].type != DL_EXPR_NUMBER || isnan(v->items[0].num) ||
            isnan(v->items[1].num))
            return -1;
        double *xy = field;
        xy[0] = fmin(fmax(v->items[0].num, -max), max);
        xy[1] = fmin(fmax(v->items[1].num, -max), max);
        return 0;
    }
    case K_ANCHORS: {
        if (v->type != DL_EXPR_ARRAY || v->len == 0 ||
            v->len > COUNT(l->text_variable_anchor))
            return -1;
        dl_anchor a[COUNT(l->text_variable_anchor)];
        for (size_t i = 0; i < v->len; i++) {
            long e = v->items[i].type == DL_EXPR_STRING
                         ? enum_index(anchor_names, COUNT(anchor_names), v->items[i].str)
                         : -1;
            if (e < 0)
                return -1;
            a[i] = (dl_anchor)e;
        }
        memcpy(l->text_variable_anchor, a, v->len * sizeof a[0]);
        l->text_nvariable_anchor = (int)v->len;
        return 0;
    }
    case K_ICON_ANCHOR: {
        long e = v->type == DL_EXPR_STRING ? enum_index(anchor_names, COUNT(anchor_names), v->str)
                                           : -1;
        if (e < 0)
            return -1;
        l->icon_anchor = (dl_anchor)e;
        return 0;
    }
    case K_COLOR:
        if (v->type != DL_EXPR_COLOR)
            return -1;
        *(dl_color *)field = v->color;
        if (p->offset == offsetof(dl_style_layer, fill_outline_color))
            l->has_fill_outline = 1;
        if (p->offset == offsetof(dl_style_layer, text_leader_color))
            l->has_text_leader_color = 1;
        return 0;
    case K_BOOL:
        if (v->type != DL_EXPR_BOOLEAN)
            return -1;
        *(int *)field = v->boolean;
        return 0;
    case K_CAP:
    case K_JOIN:
    case K_ANCHOR: {
        if (v->type != DL_EXPR_STRING)
            return -1;
        long e = p->kind == K_CAP    ? enum_index(cap_names, COUNT(cap_names), v->str)
                 : p->kind == K_JOIN ? enum_index(join_names, COUNT(join_names), v->str)
                                     : enum_index(anchor_names, COUNT(anchor_names), v->str);
        if (e < 0)
            return -1;
        if (p->kind == K_CAP)
            l->line_cap = (dl_line_cap)e;
        else if (p->kind == K_JOIN)
            l->line_join = (dl_line_join)e;
        else {
            l->text_anchor = (dl_anchor)e;
            l->text_anchor_auto = 0;
        }
        return 0;
    }
    case K_PATTERN: {
        /* "" or "none": this feature is filled flat. */
        if (v->type != DL_EXPR_STRING)
            return -1;
        if (!*v->str || strcmp(v->str, "none") == 0) {
            l->fill_pattern = DL_PATTERN_NONE;
            return 0;
        }
        long e = enum_index(pattern_names, COUNT(pattern_names), v->str);
        if (e < 0)
            return -1;
        l->fill_pattern = (dl_fill_pattern)(e + 1);
        return 0;
    }
    case K_PLACEMENT:
    case K_ALIGNMENT: {
        if (v->type != DL_EXPR_STRING)
            return -1;
        long e = p->kind == K_PLACEMENT
                     ? enum_index(placement_names, COUNT(placement_names), v->str)
                     : enum_index(alignment_names, COUNT(alignment_names), v->str);
        if (e < 0)
            return -1;
        if (p->kind == K_PLACEMENT)
            l->symbol_placement_line = e == 1;
        else
            l->icon_rotation_alignment = (int)e;
        return 0;
    }
    case K_SORT_KEY:
        if (v->type != DL_EXPR_NUMBER || !isfinite(v->num))
            return -1;
        l->symbol_sort_key = v->num;
        return 0;
    default:
        break;
    }
    if (v->type != DL_EXPR_NUMBER || isnan(v->num))
        return -1;
    double x = v->num;
    if (p->kind == K_OPACITY)
        x = fmin(fmax(x, 0), 1);
    else if (p->kind == K_SIGNED)
        x = fmin(fmax(x, -max), max);
    else if (p->kind == K_ANGLE)
        x = isfinite(x) ? fmod(x, 360) : 0;
    else
        x = fmin(fmax(x, 0), max);
    if (p->kind == K_POSITIVE && !(x > 0))
        return -1;
    *(double *)field = x;
    if (p->offset == offsetof(dl_style_layer, text_radial_offset))
        l->has_text_radial_offset = 1;
    return 0;
}

/* A property given as an expression: constant ones are evaluated now and
 * stored as a literal would be; the others are kept for the render. */
static dline_status set_expression(loader *L, dl_style_layer *layer, const prop_def *p,
                                   const dl_yaml_node *v)
{
    /* ["get", "name"] as text is the template "{name}", which is checked
     * against the data's fields like any template. */
    if (p->kind == K_TEXT_FIELD && v->n == 2 && strcmp(v->items[0]->text, "get") == 0 &&
        is_scalar(v->items[1]) && !dl_yaml_is_null(v->items[1]) &&
        !strpbrk(v->items[1]->text, "{}")) {
        char *t = malloc(v->items[1]->len + 3);
        if (!t)
            return no_memory(L);
        snprintf(t, v->items[1]->len + 3, "{%s}", v->items[1]->text);
        char **field = (char **)((char *)layer + p->offset);
        free(*field);
        *field = t;
        return DLINE_OK;
    }
    dl_expr *e;
    dline_status st = dl_expr_compile(L->ctx, node_file(L, v), v, expr_type_of(p->kind), &e);
    if (st != DLINE_OK)
        return st;
    /* As in MapLibre, where a layer's symbols go and how its icons turn
     * may change with the zoom, not from feature to feature. */
    if ((p->kind == K_PLACEMENT || p->kind == K_ALIGNMENT) && dl_expr_uses_feature(e)) {
        dl_expr_free(e);
        return err(L, v, "'%s' may depend on the zoom but not on feature data", p->name);
    }
    if (p->kind == K_TEXT_FIELD || p->kind == K_SORT_KEY) {
        dl_expr **slot = p->kind == K_SORT_KEY ? &layer->sort_key_expr
                         : p->offset == offsetof(dl_style_layer, text_field)
                             ? &layer->text_field_expr
                             : &layer->text_field_secondary_expr;
        dl_expr_free(*slot);
        *slot = e;
        if (p->kind == K_SORT_KEY)
            layer->has_sort_key = 1;
        else {
            /* The template is unused; a non-NULL one marks the text as given. */
            char **field = (char **)((char *)layer + p->offset);
            free(*field);
            if (!(*field = dl_strdup("")))
                return no_memory(L);
        }
        return DLINE_OK;
    }
    if (dl_expr_is_constant(e)) {
        dl_expr_env env = {.id = -1};
        dl_expr_scratch scratch = {0};
        dl_expr_value val;
        int rc = dl_expr_eval(e, &env, &scratch, &val);
        if (rc == 0)
            rc = store_value(layer, p, &val, NULL);
        dl_expr_scratch_free(&scratch);
        dl_expr_free(e);
        if (rc != 0)
            return err(L, v, "'%s': the expression's value does not fit the property",
                       p->name);
        return DLINE_OK;
    }
    dl_style_expr *x = dl_realloc_array(layer->exprs, layer->nexprs + 1, sizeof *x);
    if (!x) {
        dl_expr_free(e);
        return no_memory(L);
    }
    layer->exprs = x;
    /* A later value for the same property replaces this one. */
    for (size_t i = 0; i < layer->nexprs; i++)
        if (x[i].prop == (int)(p - props)) {
            dl_expr_free(x[i].expr);
            x[i] = x[--layer->nexprs];
            break;
        }
    /* Fonts and icons are text: evaluated with each label, into its own
     * copy, even when they read only the zoom. */
    int text = p->kind == K_FONT || p->kind == K_FONT_SECONDARY || p->kind == K_ICON_IMAGE;
    int per = dl_expr_uses_feature(e) || text;
    if (p->kind == K_ICON_IMAGE && !layer->icon_dir &&
        !(layer->icon_dir = n_dir_of(L, v))) {
        dl_expr_free(e);
        return no_memory(L);
    }
    x[layer->nexprs++] = (dl_style_expr){(int)(p - props), e, per, keep_file(L, v)};
    layer->per_feature |= per;
    return DLINE_OK;
}

const char *dl_style_prop_name(int prop)
{
    return prop >= 0 && (size_t)prop < COUNT(props) ? props[prop].name : "";
}

double dl_style_zoom_of(double lat, double ground_mpp)
{
    double c = cos(lat * 3.14159265358979323846 / 180);
    if (!(ground_mpp > 0) || !(c > 1e-9)) /* no zoom at the poles */
        return 0;
    return log2(78271.51696402048 * c / ground_mpp);
}

double dl_style_scale_of(double ground_mpp)
{
    return ground_mpp > 0 ? ground_mpp / (0.0254 / 96) : 0;
}

int dl_style_layer_visible(const dl_style_layer *l, double zoom, double scale)
{
    /* maxzoom 24 (MapLibre's highest, the default) bounds nothing: a
     * detailed plan may be past zoom 24. */
    if (zoom < l->minzoom || (l->maxzoom < MAX_ZOOM && zoom >= l->maxzoom))
        return 0;
    if (l->min_scale > 0 && scale < l->min_scale)
        return 0;
    if (l->max_scale > 0 && scale >= l->max_scale)
        return 0;
    return 1;
}

void dl_style_layer_bind(dl_style_layer *l, const dl_field *fields, size_t nfields)
{
    if (l->filter)
        dl_expr_bind(l->filter, fields, nfields);
    for (size_t i = 0; i < l->nexprs; i++)
        dl_expr_bind(l->exprs[i].expr, fields, nfields);
    dl_expr *more[] = {l->text_field_expr, l->text_field_secondary_expr, l->sort_key_expr};
    for (size_t i = 0; i < COUNT(more); i++)
        if (more[i])
            dl_expr_bind(more[i], fields, nfields);
}

static void eval_into(dl_style_layer *out, const dl_style_expr *x, const dl_expr_env *env,
                      dl_expr_scratch *scratch, dl_style_eval_text *text)
{
    dl_expr_value v;
    if (dl_expr_eval(x->expr, env, scratch, &v) == 0)
        (void)store_value(out, &props[x->prop], &v, text);
}

void dl_style_layer_eval_zoom(dl_style_layer *l, double zoom)
{
    dl_expr_env env = {.zoom = zoom, .id = -1};
    dl_expr_scratch scratch = {0};
    for (size_t i = 0; i < l->nexprs; i++)
        if (!l->exprs[i].per_feature)
            eval_into(l, &l->exprs[i], &env, &scratch, NULL);
    dl_expr_scratch_free(&scratch);
}

void dl_style_layer_eval_feature(const dl_style_layer *base, dl_style_layer *out,
                                 const dl_expr_env *env, dl_expr_scratch *scratch,
                                 dl_style_eval_text *text)
{
    *out = *base;
    for (size_t i = 0; i < base->nexprs; i++)
        if (base->exprs[i].per_feature)
            eval_into(out, &base->exprs[i], env, scratch, text);
}

int dl_style_layer_ink_bound(const dl_style_layer *base, dl_style_layer *out)
{
    static const size_t sizes[] = {
        offsetof(dl_style_layer, line_width), offsetof(dl_style_layer, line_gap_width),
        offsetof(dl_style_layer, line_offset), offsetof(dl_style_layer, circle_radius),
        offsetof(dl_style_layer, circle_stroke_width)};
    *out = *base;
    for (size_t i = 0; i < base->nexprs; i++) {
        const dl_style_expr *x = &base->exprs[i];
        for (size_t k = 0; x->per_feature && k < sizeof sizes / sizeof *sizes; k++) {
            if (props[x->prop].offset != sizes[k])
                continue;
            double b, *field = (double *)((char *)out + sizes[k]);
            if (dl_expr_number_bound(x->expr, &b) != 0)
                return -1;
            *field = fmax(fabs(*field), b);
        }
    }
    return 0;
}

int dl_style_layer_filter(const dl_style_layer *l, const dl_expr_env *env,
                          dl_expr_scratch *scratch)
{
    if (!l->filter)
        return 1;
    dl_expr_value v;
    return dl_expr_eval(l->filter, env, scratch, &v) == 0 && v.type == DL_EXPR_BOOLEAN &&
           v.boolean;
}

/* An icon-image dline can draw: a file name ending in .svg. */
static int names_svg(const dl_yaml_node *v)
{
    return is_scalar(v) && v->len >= 4 && strcasecmp(v->text + v->len - 4, ".svg") == 0;
}

/* The name of the file v was read from, kept in the style for messages
 * after the node tree is gone; NULL when out of memory. */
static const char *keep_file(loader *L, const dl_yaml_node *v)
{
    const char *f = node_file(L, v);
    dl_style *s = L->style;
    for (size_t i = 0; i < s->nfiles; i++)
        if (strcmp(s->files[i], f) == 0)
            return s->files[i];
    char **more = dl_realloc_array(s->files, s->nfiles + 1, sizeof *more);
    if (!more)
        return NULL;
    s->files = more;
    if (!(s->files[s->nfiles] = dl_strdup(f)))
        return NULL;
    return s->files[s->nfiles++];
}

/* Remembers where a value the checks against the data look at was given. */
static void note_where(loader *L, dl_style_layer *layer, const prop_def *p,
                       const dl_yaml_node *v)
{
    int *line, *col;
    const char **file;
    if (p->offset == offsetof(dl_style_layer, text_field))
        line = &layer->text_field_line, col = &layer->text_field_col,
        file = &layer->text_field_file;
    else if (p->offset == offsetof(dl_style_layer, text_field_secondary))
        line = &layer->text_field_secondary_line, col = &layer->text_field_secondary_col,
        file = &layer->text_field_secondary_file;
    else if (p->offset == offsetof(dl_style_layer, text_font))
        line = &layer->text_font_line, col = &layer->text_font_col,
        file = &layer->text_font_file;
    else if (p->offset == offsetof(dl_style_layer, text_font_secondary))
        line = &layer->text_font_secondary_line, col = &layer->text_font_secondary_col,
        file = &layer->text_font_secondary_file;
    else if (p->kind == K_SORT_KEY)
        line = NULL, col = NULL, file = &layer->sort_key_file;
    else
        return;
    *file = keep_file(L, v);
    if (!line)
        return;
    /* [get, NAME] is kept as the template "{NAME}": point at the name. */
    if (p->kind == K_TEXT_FIELD && v->kind == DL_YAML_SEQUENCE && v->n == 2 &&
        is_scalar(v->items[0]) && strcmp(v->items[0]->text, "get") == 0)
        v = v->items[1];
    *line = v->line;
    *col = v->col;
}

static dline_status load_properties(loader *L, dl_style_layer *layer, const dl_yaml_node *block,
                                    int layout)
{
    const char *block_name = layout ? "layout" : "paint";
    if (dl_yaml_is_null(block))
        return DLINE_OK;
    if (block->kind != DL_YAML_MAPPING)
        return err(L, block, "'%s' must be a mapping", block_name);
    unsigned type_bit = 1u << layer->type;
    for (size_t i = 0; i < block->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(block, i);
        const prop_def *p = NULL;
        for (size_t j = 0; j < COUNT(props) && !p; j++)
            if (strcmp(k->text, props[j].name) == 0)
                p = &props[j];
        if (!p && L->maplibre) {
            char b1[80], b2[80];
            dl_warn(L->ctx, node_file(L, k), k->line, k->col,
                    "layer '%s': '%s' is not supported and is ignored",
                    shown(layer->id ? layer->id : "?", b1, sizeof b1),
                    shown(k->text, b2, sizeof b2));
            continue;
        }
        if (!p) {
            /* Suggest from what fits here first, then from everything. */
            const char *here[COUNT(props)], *all[COUNT(props)];
            size_t nhere = 0;
            for (size_t j = 0; j < COUNT(props); j++) {
                all[j] = props[j].name;
                if ((props[j].types & type_bit) && props[j].layout == layout)
                    here[nhere++] = props[j].name;
            }
            const char *best = dl_suggest(k->text, here, nhere);
            if (!best)
                best = dl_suggest(k->text, all, COUNT(props));
            char b[80];
            dline_status st =
                best ? err(L, k, "unknown property '%s' (did you mean '%s'?)",
                           shown(k->text, b, sizeof b), best)
                     : err(L, k, "unknown property '%s'", shown(k->text, b, sizeof b));
            if ((st = keep_going(L, st)) != DLINE_OK)
                return st;
            continue;
        }
        dline_status wrong = DLINE_OK;
        if (!(p->types & type_bit))
            wrong = err(L, k, "'%s' does not apply to %s layers", p->name,
                        type_names[layer->type]);
        else if (p->layout != layout)
            wrong = err(L, k, "'%s' is a %s property", p->name, p->layout ? "layout" : "paint");
        if (wrong != DLINE_OK) {
            if ((wrong = keep_going(L, wrong)) != DLINE_OK)
                return wrong;
            continue;
        }
        const dl_yaml_node *v = dl_yaml_value(block, i);
        int expr = is_expression(v) && takes_expression(p->kind);
        if (expr && (p->kind == K_FONT || p->kind == K_FONT_SECONDARY || p->kind == K_ANCHORS))
            expr = dl_expr_is_operator(v->items[0]->text); /* [Noto Sans, DejaVu Sans] */
        /* A MapLibre style's icon names are sprite images, also when an
         * expression picks them. */
        if (L->maplibre && p->kind == K_ICON_IMAGE)
            expr = 0;
        if (L->maplibre && p->kind == K_ICON_IMAGE && !expr && !names_svg(v)) {
            /* MapLibre names an image of the style's sprite. */
            char b1[80], b2[80];
            if (is_scalar(v))
                dl_warn(L->ctx, node_file(L, v), v->line, v->col,
                        "layer '%s': 'icon-image' '%s' is a sprite image, which dline does not "
                        "draw (name an .svg file); the icon is left out",
                        shown(layer->id, b1, sizeof b1), shown(v->text, b2, sizeof b2));
            else
                dl_warn(L->ctx, node_file(L, v), v->line, v->col,
                        "layer '%s': 'icon-image' must name an .svg file; the icon is left out",
                        shown(layer->id, b1, sizeof b1));
            continue;
        }
        if (L->maplibre && expr &&
            dl_maplibre_drop_property(L->ctx, L->path, layer->id, p->name, v))
            continue;
        if (!expr && is_expression(v) && !takes_expression(p->kind) && p->kind != K_GRADIENT &&
            dl_expr_is_operator(v->items[0]->text)) {
            dline_status bad = err(L, v, "'%s' does not take an expression", p->name);
            if ((bad = keep_going(L, bad)) != DLINE_OK)
                return bad;
            continue;
        }
        dline_status st =
            expr ? set_expression(L, layer, p, v) : set_property(L, layer, p, v);
        if (st == DLINE_OK)
            note_where(L, layer, p, v);
        if ((st = keep_going(L, st)) != DLINE_OK)
            return st;
    }
    return DLINE_OK;
}

/* The field named name: exact first, then ignoring ASCII case (DBF names
 * are often upper case); -1 when none. */
static long find_field(const dl_field *fields, size_t nfields, const char *name)
{
    for (size_t i = 0; i < nfields; i++)
        if (strcmp(fields[i].name, name) == 0)
            return (long)i;
    for (size_t i = 0; i < nfields; i++) {
        const char *a = fields[i].name, *b = name;
        for (; *a && *b; a++, b++) {
            char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
            char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
            if (ca != cb)
                break;
        }
        if (!*a && !*b)
            return (long)i;
    }
    return -1;
}

/* Text templates */

typedef struct {
    char *buf;
    size_t size, len;
    int full; /* once something did not fit, nothing later is written */
} text_out;

static void put(text_out *t, const char *s, size_t n)
{
    if (t->full)
        return;
    if (n > t->size - 1 - t->len) {
        n = t->size - 1 - t->len;
        /* Never end on half a UTF-8 character: Pango refuses invalid text. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        t->full = 1;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static size_t utf8_len(const char *p)
{
    unsigned char c = (unsigned char)*p;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            return i;
    return n;
}

static void put_value(text_out *t, const dl_value *v)
{
    if (v->type == DL_VAL_STRING || v->type == DL_VAL_DATE) {
        if (v->s)
            put(t, v->s, strlen(v->s));
    } else if (v->type != DL_VAL_NULL) {
        char num[64];
        const char *s = dl_value_format(v, num, sizeof num);
        put(t, s, strlen(s));
    }
}

size_t dl_style_expand_text(const char *tmpl, const dl_field *fields, size_t nfields,
                            const dl_value *values, char *buf, size_t size)
{
    if (!buf || size == 0)
        return 0;
    buf[0] = '\0';
    if (!tmpl)
        return 0;
    text_out t = {buf, size, 0, 0};
    int first_line = 1;
    const char *p = tmpl;
    for (;;) {
        /* One template line: up to a newline or the two characters "\n",
         * which a single-quoted or plain YAML string keeps as written. */
        size_t line_start = t.len;
        int had_field = 0, was_full = t.full;
        if (!first_line)
            put(&t, "\n", 1);
        size_t text_start = t.len;
        while (*p && *p != '\n' && !(p[0] == '\\' && p[1] == 'n')) {
            const char *close = p[0] == '{' ? strchr(p + 1, '}') : NULL;
            const char *nl = strchr(p, '\n');
            if (close && close > p + 1 && (!nl || close < nl)) {
                char name[256];
                size_t nlen = (size_t)(close - p - 1);
                had_field = 1;
                if (nlen < sizeof name) {
                    memcpy(name, p + 1, nlen);
                    name[nlen] = '\0';
                    long idx = find_field(fields, nfields, name);
                    if (idx >= 0)
                        put_value(&t, &values[idx]);
                }
                p = close + 1;
                continue;
            }
            size_t n = utf8_len(p);
            put(&t, p, n);
            p += n;
        }
        /* A line that only missing values left blank is dropped. */
        int blank = 1;
        for (size_t i = text_start; i < t.len; i++)
            if (buf[i] != ' ' && buf[i] != '\t')
                blank = 0;
        if (had_field && blank) {
            t.len = line_start;
            t.full = was_full;
            buf[t.len] = '\0';
        } else {
            first_line = 0;
        }
        if (!*p)
            break;
        p += *p == '\n' ? 1 : 2;
    }
    return t.len;
}

/* Title, subtitle, attribution */

static const char *const position_names[] = {"top-left", "top-right", "bottom-left",
                                             "bottom-right", "top", "bottom"};
static const dl_anchor position_values[] = {DL_ANCHOR_TOP_LEFT, DL_ANCHOR_TOP_RIGHT,
                                            DL_ANCHOR_BOTTOM_LEFT, DL_ANCHOR_BOTTOM_RIGHT,
                                            DL_ANCHOR_TOP, DL_ANCHOR_BOTTOM};

typedef struct {
    int position, offset;
} text_given;

static dline_status text_defaults(loader *L, dl_style_text *t, const char *font, double size,
                                  const char *color, dl_anchor pos, double dx, double dy,
                                  double halo)
{
    t->font = dl_strdup(font);
    if (!t->font)
        return no_memory(L);
    t->size = size;
    dl_color_parse(color, &t->color);
    dl_color_parse("rgba(255, 255, 255, 0.8)", &t->halo_color);
    t->halo_width = halo;
    t->position = pos;
    t->offset[0] = dx;
    t->offset[1] = dy;
    return DLINE_OK;
}

static dline_status load_text(loader *L, const char *name, const dl_yaml_node *n,
                              dl_style_text *t, text_given *given)
{
    if (is_scalar(n) && !dl_yaml_is_null(n))
        return get_string(L, n, name, 1, &t->text);
    if (!n || n->kind != DL_YAML_MAPPING)
        return err(L, n, "'%s' must be a string or a mapping", name);
    static const char *const keys[] = {"text",     "font",   "size",
                                       "color",    "halo-color", "halo-width",
                                       "position", "offset", "background-color",
                                       "padding"};
    dline_status st = check_keys(L, n, keys, COUNT(keys));
    if (st != DLINE_OK)
        return st;
    if (!dl_yaml_get(n, "text"))
        return err(L, n, "'%s' has no 'text'", name);
    for (size_t i = 0; i < n->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(n, i)->text;
        const dl_yaml_node *v = dl_yaml_value(n, i);
        if (strcmp(k, "text") == 0) {
            st = get_string(L, v, k, 1, &t->text);
        } else if (strcmp(k, "font") == 0) {
            int bold;
            char *families = NULL;
            st = get_fonts(L, v, k, &families, &bold);
            if (st == DLINE_OK) {
                /* A Pango font description: the family list, then the weight. */
                size_t len = strlen(families) + sizeof " Bold";
                char *desc = malloc(len);
                if (!desc) {
                    free(families);
                    return no_memory(L);
                }
                snprintf(desc, len, "%s%s", families, bold ? " Bold" : "");
                free(families);
                free(t->font);
                t->font = desc;
            }
        } else if (strcmp(k, "size") == 0) {
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &t->size);
        } else if (strcmp(k, "color") == 0) {
            st = get_color(L, v, k, &t->color);
        } else if (strcmp(k, "halo-color") == 0) {
            st = get_color(L, v, k, &t->halo_color);
        } else if (strcmp(k, "halo-width") == 0) {
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &t->halo_width);
        } else if (strcmp(k, "position") == 0) {
            int e;
            st = get_enum(L, v, k, position_names, COUNT(position_names), &e);
            if (st == DLINE_OK)
                t->position = position_values[e];
            given->position = 1;
        } else if (strcmp(k, "offset") == 0) {
            st = get_length_pair(L, v, k, DL_MAX_SIZE_PX, t->offset);
            given->offset = 1;
        } else if (strcmp(k, "background-color") == 0) {
            st = get_color(L, v, k, &t->background);
        } else if (strcmp(k, "padding") == 0) {
            st = get_length(L, v, k, 0, DL_MAX_SIZE_PX, &t->padding);
        }
    }
    return st;
}

/* The renderer stacks blocks that share a corner, each offset from the one
 * before it, so the subtitle follows the title unless told otherwise: same
 * corner, same x offset, and a y offset that is only the gap after it. */
static void place_subtitle(dl_style *s, text_given sub)
{
    dl_style_text *t = &s->title, *u = &s->subtitle;
    if (!sub.position)
        u->position = t->position;
    if (sub.offset || u->position != t->position)
        return;
    u->offset[0] = t->offset[0];
    u->offset[1] = t->text ? SUBTITLE_GAP : t->offset[1];
}

/* Map furniture: scale bar, north arrow, legend and frame. Each block is
 * `true`, `false` or a mapping of the keys below. */

static const char *const scale_bar_keys[] = {"position", "offset", "max-width", "units", "font",
                                             "size", "color", "halo-color", "halo-width"};
static const char *const north_arrow_keys[] = {"position", "offset", "size", "font", "color",
                                               "halo-color"};
static const char *const legend_keys[] = {"position", "offset", "title", "font", "size",
                                          "color", "background-color", "background-opacity",
                                          "border-color", "border-width", "padding"};
static const char *const frame_keys[] = {"width", "color", "margin", "background"};

/* *enabled from true/false, or 1 with *map set for a mapping (keys checked). */
static dline_status furniture_block(loader *L, const char *name, const dl_yaml_node *n,
                                    const char *const *keys, size_t nkeys, int *enabled,
                                    const dl_yaml_node **map)
{
    *map = NULL;
    if (n && n->kind == DL_YAML_MAPPING) {
        *enabled = 1;
        *map = n;
        return check_keys(L, n, keys, nkeys);
    }
    if (is_scalar(n) && n->plain && (!strcmp(n->text, "true") || !strcmp(n->text, "false")))
        return get_bool(L, n, name, enabled);
    return err(L, n, "'%s' must be true, false or a mapping", name);
}

/* A Pango font description: the family list, then " Bold" when asked for. */
static dline_status get_font_desc(loader *L, const dl_yaml_node *v, const char *name, char **out)
{
    int bold;
    char *families = NULL;
    dline_status st = get_fonts(L, v, name, &families, &bold);
    if (st != DLINE_OK)
        return st;
    size_t len = strlen(families) + sizeof " Bold";
    char *desc = malloc(len);
    if (!desc) {
        free(families);
        return no_memory(L);
    }
    snprintf(desc, len, "%s%s", families, bold ? " Bold" : "");
    free(families);
    free(*out);
    *out = desc;
    return DLINE_OK;
}

static dline_status get_position(loader *L, const dl_yaml_node *v, const char *name,
                                 dl_anchor *out)
{
    int e;
    dline_status st = get_enum(L, v, name, position_names, COUNT(position_names), &e);
    if (st == DLINE_OK)
        *out = position_values[e];
    return st;
}

static dline_status load_scale_bar(loader *L, const dl_yaml_node *n)
{
    dl_style_scale_bar *b = &L->style->furniture.scale_bar;
    const dl_yaml_node *map;
    dline_status st = furniture_block(L, "scale-bar", n, scale_bar_keys, COUNT(scale_bar_keys),
                                      &b->enabled, &map);
    for (size_t i = 0; map && i < map->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(map, i)->text;
        const dl_yaml_node *v = dl_yaml_value(map, i);
        if (!strcmp(k, "position"))
            st = get_position(L, v, k, &b->position);
        else if (!strcmp(k, "offset"))
            st = get_length_pair(L, v, k, DL_MAX_SIZE_PX, b->offset);
        else if (!strcmp(k, "max-width"))
            st = get_length(L, v, k, 1, DL_MAX_SIZE_PX, &b->max_width);
        else if (!strcmp(k, "units")) {
            /* Indexed by the enum, so a name cannot drift from its value. */
            static const char *const units[] = {[DL_UNITS_METRIC] = "metric",
                                                [DL_UNITS_IMPERIAL] = "imperial",
                                                [DL_UNITS_NAUTICAL] = "nautical"};
            int e;
            st = get_enum(L, v, k, units, COUNT(units), &e);
            if (st == DLINE_OK)
                b->units = (dl_scale_units)e;
        } else if (!strcmp(k, "font"))
            st = get_font_desc(L, v, k, &b->font);
        else if (!strcmp(k, "size"))
            st = get_length(L, v, k, 1, MAX_TEXT_PX, &b->size);
        else if (!strcmp(k, "color"))
            st = get_color(L, v, k, &b->color);
        else if (!strcmp(k, "halo-color"))
            st = get_color(L, v, k, &b->halo_color);
        else if (!strcmp(k, "halo-width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &b->halo_width);
    }
    return st;
}

static dline_status load_north_arrow(loader *L, const dl_yaml_node *n)
{
    dl_style_north_arrow *a = &L->style->furniture.north_arrow;
    const dl_yaml_node *map;
    dline_status st = furniture_block(L, "north-arrow", n, north_arrow_keys,
                                      COUNT(north_arrow_keys), &a->enabled, &map);
    for (size_t i = 0; map && i < map->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(map, i)->text;
        const dl_yaml_node *v = dl_yaml_value(map, i);
        if (!strcmp(k, "position"))
            st = get_position(L, v, k, &a->position);
        else if (!strcmp(k, "offset"))
            st = get_length_pair(L, v, k, DL_MAX_SIZE_PX, a->offset);
        else if (!strcmp(k, "size"))
            st = get_length(L, v, k, 1, MAX_TEXT_PX, &a->size);
        else if (!strcmp(k, "font"))
            st = get_font_desc(L, v, k, &a->font);
        else if (!strcmp(k, "color"))
            st = get_color(L, v, k, &a->color);
        else if (!strcmp(k, "halo-color"))
            st = get_color(L, v, k, &a->halo_color);
    }
    return st;
}

static dline_status load_legend(loader *L, const dl_yaml_node *n)
{
    dl_style_legend *g = &L->style->furniture.legend;
    const dl_yaml_node *map;
    g->line = n->line;
    g->col = n->col;
    dline_status st = furniture_block(L, "legend", n, legend_keys, COUNT(legend_keys),
                                      &g->enabled, &map);
    for (size_t i = 0; map && i < map->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(map, i)->text;
        const dl_yaml_node *v = dl_yaml_value(map, i);
        if (!strcmp(k, "position"))
            st = get_position(L, v, k, &g->position);
        else if (!strcmp(k, "offset"))
            st = get_length_pair(L, v, k, DL_MAX_SIZE_PX, g->offset);
        else if (!strcmp(k, "title"))
            st = get_string(L, v, k, 0, &g->title);
        else if (!strcmp(k, "font"))
            st = get_font_desc(L, v, k, &g->font);
        else if (!strcmp(k, "size"))
            st = get_length(L, v, k, 1, MAX_TEXT_PX, &g->size);
        else if (!strcmp(k, "color"))
            st = get_color(L, v, k, &g->color);
        else if (!strcmp(k, "background-color"))
            st = get_color(L, v, k, &g->background_color);
        else if (!strcmp(k, "background-opacity"))
            st = get_unit(L, v, k, &g->background_opacity);
        else if (!strcmp(k, "border-color"))
            st = get_color(L, v, k, &g->border_color);
        else if (!strcmp(k, "border-width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &g->border_width);
        else if (!strcmp(k, "padding"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &g->padding);
    }
    return st;
}

/* margin: one length for all four sides, or [top, right, bottom, left] as
 * in CSS; each 0..DL_MAX_SIZE_PX px. Whether a face is left is checked
 * once the size is known (load_top, and again at render). */
static dline_status get_margin(loader *L, const dl_yaml_node *v, dl_style_frame *f)
{
    double m[4];
    dline_status st = DLINE_OK;
    if (v && v->kind == DL_YAML_SEQUENCE && v->n == 4) {
        for (size_t i = 0; i < 4 && st == DLINE_OK; i++)
            st = get_length(L, v->items[i], "margin", 0, DL_MAX_SIZE_PX, &m[i]);
    } else if (is_scalar(v)) {
        st = get_length(L, v, "margin", 0, DL_MAX_SIZE_PX, &m[0]);
        m[1] = m[2] = m[3] = m[0];
    } else
        return err(L, v, "'margin' must be a length or [top, right, bottom, left]");
    if (st != DLINE_OK)
        return st;
    memcpy(f->margin, m, sizeof m);
    f->margin_line = v->line;
    f->margin_col = v->col;
    return DLINE_OK;
}

int dl_style_has_margin(const dl_style *s)
{
    const dl_style_frame *f = &s->furniture.frame;
    return f->enabled && (f->margin[0] > 0 || f->margin[1] > 0 || f->margin[2] > 0 ||
                          f->margin[3] > 0);
}

int dl_style_face_of(const dl_style *s, dl_style_face *face, char *why, size_t nwhy)
{
    *face = (dl_style_face){0, 0, s->width, s->height};
    if (!dl_style_has_margin(s))
        return 0;
    const double *m = s->furniture.frame.margin;
    double w = s->width - m[1] - m[3], h = s->height - m[0] - m[2];
    if (w < 1 || h < 1) {
        if (why && w < 1)
            snprintf(why, nwhy,
                     "'margin' leaves no room for the map: %g px left and %g px right of a "
                     "sheet %g px wide",
                     m[3], m[1], s->width);
        else if (why)
            snprintf(why, nwhy,
                     "'margin' leaves no room for the map: %g px top and %g px bottom of a "
                     "sheet %g px high",
                     m[0], m[2], s->height);
        return -1;
    }
    *face = (dl_style_face){m[3], m[0], w, h};
    return 0;
}

static dline_status load_frame(loader *L, const dl_yaml_node *n)
{
    dl_style_frame *f = &L->style->furniture.frame;
    const dl_yaml_node *map;
    dline_status st = furniture_block(L, "frame", n, frame_keys, COUNT(frame_keys), &f->enabled,
                                      &map);
    for (size_t i = 0; map && i < map->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(map, i)->text;
        const dl_yaml_node *v = dl_yaml_value(map, i);
        if (!strcmp(k, "width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &f->width);
        else if (!strcmp(k, "color"))
            st = get_color(L, v, k, &f->color);
        else if (!strcmp(k, "margin"))
            st = get_margin(L, v, f);
        else if (!strcmp(k, "background"))
            st = get_color(L, v, k, &f->background);
    }
    return st;
}

/* graticule: lines of longitude and latitude, labelled at the frame. */
static const char *const graticule_keys[] = {
    "interval", "format", "color", "width", "opacity", "dasharray", "labels", "font", "size",
    "label-color", "label-halo-color", "label-halo-width"};

/* A graticule interval: "auto", a number of degrees, or minutes written
 * with a prime ("5'", "30′"), which reads as the labels do. */
static dline_status get_interval(loader *L, const dl_yaml_node *v, double *out)
{
    if (is_scalar(v) && !strcmp(v->text, "auto")) {
        *out = 0;
        return DLINE_OK;
    }
    double x, div = 1;
    size_t len = is_scalar(v) ? v->len : 0;
    if (len > 1 && v->text[len - 1] == '\'') {
        len--;
        div = 60;
    } else if (len > 3 && !strcmp(v->text + len - 3, "\u2032")) {
        len -= 3;
        div = 60;
    }
    if (!len || dl_style_number(v->text, len, &x) != 0 || (div == 1 && !v->plain))
        return err(L, v, "'interval' must be auto, degrees or minutes (5')");
    x /= div;
    if (!(x >= 1.0 / 3600) || x > 90)
        return err(L, v, "'interval' must be between 1\" and 90 degrees");
    *out = x;
    return DLINE_OK;
}

static dline_status load_graticule(loader *L, const dl_yaml_node *n)
{
    dl_style_graticule *g = &L->style->furniture.graticule;
    const dl_yaml_node *map;
    dline_status st = furniture_block(L, "graticule", n, graticule_keys, COUNT(graticule_keys),
                                      &g->enabled, &map);
    for (size_t i = 0; map && i < map->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(map, i)->text;
        const dl_yaml_node *v = dl_yaml_value(map, i);
        if (!strcmp(k, "interval"))
            st = get_interval(L, v, &g->interval);
        else if (!strcmp(k, "format")) {
            static const char *const formats[] = {"dm", "decimal"};
            st = get_enum(L, v, k, formats, COUNT(formats), &g->format);
        } else if (!strcmp(k, "color"))
            st = get_color(L, v, k, &g->color);
        else if (!strcmp(k, "width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &g->width);
        else if (!strcmp(k, "opacity"))
            st = get_unit(L, v, k, &g->opacity);
        else if (!strcmp(k, "dasharray")) {
            if (!v || v->kind != DL_YAML_SEQUENCE)
                return err(L, v, "'%s' must be a list of numbers", k);
            if (v->n > DL_MAX_DASHES)
                return err(L, v, "'%s' has more than %d values", k, DL_MAX_DASHES);
            double sum = 0;
            for (size_t j = 0; j < v->n && st == DLINE_OK; j++) {
                st = get_number(L, v->items[j], k, 0, MAX_DASH, &g->dasharray[j]);
                sum += g->dasharray[j];
            }
            /* Cairo refuses a dash pattern whose lengths are all zero. */
            if (st == DLINE_OK && v->n > 0 && sum <= 0)
                return err(L, v, "'%s' must not be all zeros", k);
            g->ndash = (int)v->n;
        } else if (!strcmp(k, "labels"))
            st = get_bool(L, v, k, &g->labels);
        else if (!strcmp(k, "font"))
            st = get_font_desc(L, v, k, &g->font);
        else if (!strcmp(k, "size"))
            st = get_length(L, v, k, 1, MAX_TEXT_PX, &g->size);
        else if (!strcmp(k, "label-color"))
            st = get_color(L, v, k, &g->label_color);
        else if (!strcmp(k, "label-halo-color"))
            st = get_color(L, v, k, &g->label_halo_color);
        else if (!strcmp(k, "label-halo-width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &g->label_halo_width);
    }
    return st;
}

static void inset_defaults(dl_style_inset *in)
{
    in->position = DL_ANCHOR_BOTTOM_RIGHT;
    in->offset[0] = in->offset[1] = 16;
    in->size[0] = 200;
    in->size[1] = 150;
    in->padding = 8;
    dl_color_parse("#ffffff", &in->background);
    dl_color_parse("#444444", &in->frame_color);
    in->frame_width = 1;
    dl_color_parse("#d1402b", &in->outline_color);
    in->outline_width = 1.5;
}

static dline_status graticule_defaults(loader *L)
{
    dl_style_graticule *g = &L->style->furniture.graticule;
    g->format = DL_GRATICULE_DM;
    dl_color_parse("#8a8f96", &g->color);
    g->width = 0.6;
    g->opacity = 0.8;
    g->labels = 1;
    g->size = 9;
    dl_color_parse("#4a4f56", &g->label_color);
    dl_color_parse("rgba(255, 255, 255, 0.85)", &g->label_halo_color);
    g->label_halo_width = 1.5;
    if (!(g->font = dl_strdup(DEFAULT_FONT)))
        return no_memory(L);
    return DLINE_OK;
}

static dline_status furniture_defaults(loader *L)
{
    dl_style_furniture *f = &L->style->furniture;
    dl_style_scale_bar *b = &f->scale_bar;
    b->position = DL_ANCHOR_BOTTOM_LEFT;
    b->offset[0] = b->offset[1] = 16;
    b->max_width = 150;
    b->units = DL_UNITS_METRIC;
    b->size = 11;
    dl_color_parse("#222222", &b->color);
    dl_color_parse("rgba(255, 255, 255, 0.85)", &b->halo_color);
    b->halo_width = 1.5;
    dl_style_north_arrow *a = &f->north_arrow;
    a->position = DL_ANCHOR_TOP_RIGHT;
    a->offset[0] = a->offset[1] = 16;
    a->size = 36;
    dl_color_parse("#222222", &a->color);
    dl_color_parse("#ffffff", &a->halo_color);
    dl_style_legend *g = &f->legend;
    g->enabled = -1;
    g->position = DL_ANCHOR_BOTTOM_LEFT;
    g->offset[0] = g->offset[1] = 16;
    g->size = 12;
    dl_color_parse("#222222", &g->color);
    dl_color_parse("#ffffff", &g->background_color);
    g->background_opacity = 0.85;
    dl_color_parse("#999999", &g->border_color);
    g->border_width = 0.8;
    g->padding = 8;
    f->frame.width = 1;
    dl_color_parse("#222222", &f->frame.color);
    f->frame.background = (dl_color){1, 1, 1, 1};
    if (!(b->font = dl_strdup(DEFAULT_FONT)) || !(a->font = dl_strdup(DEFAULT_FONT " Bold")) ||
        !(g->font = dl_strdup(DEFAULT_FONT)))
        return no_memory(L);
    inset_defaults(&f->inset);
    return graticule_defaults(L);
}

/* The legend is drawn when a layer has a `legend` text, unless `legend:
 * false`; a legend block with nothing to list says so. */
static void check_legend(loader *L)
{
    dl_style *s = L->style;
    size_t entries = 0;
    for (size_t i = 0; i < s->nlayers; i++)
        entries += s->layers[i].legend != NULL;
    dl_style_legend *g = &s->furniture.legend;
    if (g->enabled == 1 && entries == 0)
        dl_warn(L->ctx, L->path, g->line, g->col,
                "'legend' has no entries: give layers a 'legend' text");
    if (g->enabled == -1)
        g->enabled = entries > 0;
}

/* Top-level values */

int dl_style_length(const char *s, size_t len, double *px, const char **unit, size_t *unit_len)
{
    static const struct {
        char name[3];
        double px;
    } units[] = {{"px", 1}, {"pt", 96.0 / 72}, {"mm", 96 / 25.4}, {"cm", 96 / 2.54}, {"in", 96}};
    size_t n = len;
    while (n > 0 && ((s[n - 1] >= 'a' && s[n - 1] <= 'z') || (s[n - 1] >= 'A' && s[n - 1] <= 'Z') ||
                     s[n - 1] == '%'))
        n--;
    *unit = s + n;
    *unit_len = len - n;
    double v;
    if (n == 0 || dl_style_number(s, n, &v) != 0)
        return -1;
    if (n == len) {
        *px = v;
        return 0;
    }
    for (size_t i = 0; i < COUNT(units); i++) {
        /* Units are ASCII letters: | 0x20 folds them to lower case. */
        if (len - n == 2 && (s[n] | 0x20) == units[i].name[0] &&
            (s[n + 1] | 0x20) == units[i].name[1]) {
            *px = v * units[i].px;
            return 0;
        }
    }
    return -2;
}

int dl_style_paper(const char *s, double *width, double *height)
{
    /* Sizes in the paper's own unit, so letter is exactly 816 x 1056 px. */
    static const struct {
        const char *name;
        double w, h, per_inch;
    } papers[] = {{"A3", 297, 420, 25.4}, {"A4", 210, 297, 25.4}, {"A5", 148, 210, 25.4},
                  {"letter", 8.5, 11, 1}, {"legal", 8.5, 14, 1}};
    const char *colon = strchr(s, ':');
    size_t len = colon ? (size_t)(colon - s) : strlen(s);
    int landscape = 0;
    if (colon) {
        if (strcasecmp(colon + 1, "landscape") == 0)
            landscape = 1;
        else if (strcasecmp(colon + 1, "portrait") != 0)
            return -1;
    }
    for (size_t i = 0; i < COUNT(papers); i++) {
        if (strlen(papers[i].name) == len && strncasecmp(s, papers[i].name, len) == 0) {
            double w = papers[i].w / papers[i].per_inch * 96;
            double h = papers[i].h / papers[i].per_inch * 96;
            *width = landscape ? h : w;
            *height = landscape ? w : h;
            return 0;
        }
    }
    return -1;
}

static int is_px(const char *unit, size_t len)
{
    return len == 2 && (unit[0] | 0x20) == 'p' && (unit[1] | 0x20) == 'x';
}

/* A side in px (no unit, or "px") must be whole px; a side in physical
 * units is kept as the exact fraction (210mm is 793.7 px), which the PDF
 * page keeps and a PNG rounds to whole pixels. */
static dline_status load_size(loader *L, const dl_yaml_node *n)
{
    static const char *const what[] = {"width", "height"};
    const char *shape = "'size' must be [width, height] or \"WxH\"";
    double v[2];
    int physical[2] = {0, 0};
    char text[2][64];
    const char *unit;
    size_t ulen;
    if (n->kind == DL_YAML_SEQUENCE && n->n == 2) {
        for (int i = 0; i < 2; i++) {
            const dl_yaml_node *e = n->items[i];
            int r = length_of(e, &v[i], &unit, &ulen);
            if (r == -2)
                return unit_error(L, e, "size", unit, ulen);
            if (r != 0)
                return err(L, e, "%s", shape);
            physical[i] = ulen && !is_px(unit, ulen);
            snprintf(text[i], sizeof text[i], "%s", e->text);
        }
    } else if (is_scalar(n) && !dl_yaml_is_null(n)) {
        /* "WxH" whose sides may have units ("210mmx297mm", "800pxx600px"):
         * split at the first 'x' that leaves a length on each side. */
        const char *bad_unit = NULL;
        size_t bad_len = 0;
        int found = 0;
        for (const char *x = strchr(n->text, 'x'); x && !found; x = strchr(x + 1, 'x')) {
            const char *u[2];
            size_t ul[2];
            size_t wl = (size_t)(x - n->text), hl = strlen(x + 1);
            int r0 = dl_style_length(n->text, wl, &v[0], &u[0], &ul[0]);
            int r1 = dl_style_length(x + 1, hl, &v[1], &u[1], &ul[1]);
            if (r0 == 0 && r1 == 0) {
                found = 1;
                for (int i = 0; i < 2; i++)
                    physical[i] = ul[i] && !is_px(u[i], ul[i]);
                snprintf(text[0], sizeof text[0], "%.*s", (int)wl, n->text);
                snprintf(text[1], sizeof text[1], "%s", x + 1);
            } else if (!bad_unit && r0 != -1 && r1 != -1) {
                bad_unit = r0 == -2 ? u[0] : u[1];
                bad_len = r0 == -2 ? ul[0] : ul[1];
            }
        }
        if (!found && bad_unit)
            return unit_error(L, n, "size", bad_unit, bad_len);
        if (!found)
            return err(L, n, "%s", shape);
    } else {
        return err(L, n, "%s", shape);
    }
    for (int i = 0; i < 2; i++) {
        const dl_yaml_node *at = n->kind == DL_YAML_SEQUENCE ? n->items[i] : n;
        if (!physical[i] && v[i] != floor(v[i]))
            return err(L, at, "'size' %s must be a whole number of px", what[i]);
        if (v[i] < 1)
            return err(L, at, "'size' %s must be at least 1 px", what[i]);
        if (v[i] > DL_MAX_SIZE_PX)
            return err(L, at, "'size' %s %s is over the limit of %d px", what[i], text[i],
                       DL_MAX_SIZE_PX);
    }
    L->style->width = v[0];
    L->style->height = v[1];
    return DLINE_OK;
}

static dline_status load_paper(loader *L, const dl_yaml_node *n)
{
    char b[80];
    if (!is_scalar(n) || dl_yaml_is_null(n))
        return err(L, n, "'paper' must be a paper name such as A4 or A4:landscape");
    if (dl_style_paper(n->text, &L->style->width, &L->style->height) != 0)
        return err(L, n,
                   "'paper': unknown paper '%s' (use A3, A4, A5, letter or legal, "
                   "optionally with :landscape)",
                   shown(n->text, b, sizeof b));
    return DLINE_OK;
}

static dline_status load_extent(loader *L, const dl_yaml_node *n)
{
    static const char *const what[] = {"minlon", "minlat", "maxlon", "maxlat"};
    if (n->kind != DL_YAML_SEQUENCE || n->n != 4)
        return err(L, n, "'extent' must be [minlon, minlat, maxlon, maxlat]");
    double *e = L->style->extent;
    for (int i = 0; i < 4; i++) {
        const dl_yaml_node *x = n->items[i];
        if (!is_scalar(x) || !x->plain || dl_style_number(x->text, x->len, &e[i]) != 0)
            return err(L, x, "'extent' %s must be a number", what[i]);
        double lim = i % 2 == 0 ? 180 : 90;
        if (e[i] < -lim || e[i] > lim)
            return err(L, x, "'extent' %s %g is outside -%g..%g", what[i], e[i], lim, lim);
    }
    if (e[0] >= e[2])
        return err(L, n, "'extent' minlon must be less than maxlon");
    if (e[1] >= e[3])
        return err(L, n, "'extent' minlat must be less than maxlat");
    L->style->has_extent = 1;
    return DLINE_OK;
}

/* "a/b.yaml" -> "a", "b.yaml" -> ".", "/b.yaml" -> "/". */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dl_strdup(".");
    size_t len = (size_t)(slash - path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    if (len == 0)
        return dl_strdup("/");
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, path, len);
        d[len] = '\0';
    }
    return d;
}

/* Relative paths stay relative so messages name them as the user would. */
static char *resolve(const char *dir, const char *path)
{
    if (path[0] == '/')
        return dl_strdup(path);
    size_t dl = strlen(dir), pl = strlen(path);
    int sep = !(dl > 0 && dir[dl - 1] == '/');
    char *r = malloc(dl + (size_t)sep + pl + 1);
    if (!r)
        return NULL;
    memcpy(r, dir, dl);
    if (sep)
        r[dl] = '/';
    memcpy(r + dl + (size_t)sep, path, pl + 1);
    return r;
}

/* A path written in the node's file: relative to that file's folder (an
 * included file's, or the style's). */
static char *resolve_at(loader *L, const dl_yaml_node *n, const char *rel)
{
    if (!n->file || strcmp(n->file, L->path) == 0)
        return resolve(L->style->dir, rel);
    char *dir = dir_of(n->file);
    char *r = dir ? resolve(dir, rel) : NULL;
    free(dir);
    return r;
}

/* icon-image: an SVG file, resolved as sources are; opened here so a wrong
 * path is reported at its line. Whether it is an SVG is for the renderer. */
static dline_status get_icon_image(loader *L, dl_style_layer *layer, const dl_yaml_node *v)
{
    char *rel = NULL;
    dline_status st = get_string(L, v, "icon-image", 0, &rel);
    if (st != DLINE_OK)
        return st;
    char *path = resolve_at(L, v, rel);
    free(rel);
    if (!path)
        return no_memory(L);
    FILE *f = fopen(path, "rb");
    if (!f) {
        char b[80];
        st = err(L, v, "'icon-image': cannot open '%s': %s", shown(path, b, sizeof b),
                 strerror(errno));
        free(path);
        return st;
    }
    fclose(f);
    free(layer->icon_image);
    layer->icon_image = path;
    layer->icon_line = v->line;
    layer->icon_col = v->col;
    return DLINE_OK;
}

/* A MapLibre geojson source's inline data: the JSON text maplibre.c wrote,
 * read from memory at render time and named by where the object is. */
static dline_status load_inline(loader *L, dl_style_source *src, const dl_yaml_node *v,
                                const dl_yaml_node *data)
{
    const char *file = node_file(L, data);
    char at[32];
    int n = snprintf(at, sizeof at, ":%d:%d", data->line, data->col);
    size_t fl = strlen(file);
    if (!(src->path = malloc(fl + (size_t)n + 1)) || !(src->data = malloc(data->len + 1)))
        return no_memory(L);
    memcpy(src->path, file, fl);
    memcpy(src->path + fl, at, (size_t)n + 1);
    memcpy(src->data, data->text, data->len + 1);
    src->data_len = data->len;
    src->type = DL_SOURCE_GEOJSON;
    const dl_yaml_node *x;
    dline_status st;
    if ((x = dl_yaml_get(v, "crs"))) {
        if ((st = get_string(L, x, "crs", 0, &src->crs)))
            return st;
        src->crs_line = x->line;
        src->crs_col = x->col;
    }
    if ((x = dl_yaml_get(v, "encoding")))
        return err(L, x, "'encoding' does not apply to geojson sources (GeoJSON is UTF-8)");
    static const char *const axes[] = {"lon", "lat"};
    for (int a = 0; a < 2; a++)
        if ((x = dl_yaml_get(v, axes[a])))
            return err(L, x, "'%s' applies to csv sources only", axes[a]);
    return DLINE_OK;
}

/* One entry of 'sources', its name already set. */
static dline_status load_source(loader *L, const dl_yaml_node *k, const dl_yaml_node *v,
                                dl_style_source *src)
{
    const dl_yaml_node *path = v;
    dline_status st;
    if (v->kind == DL_YAML_MAPPING) {
        /* "data" only as maplibre.c writes it: inline GeoJSON text. */
        static const char *const keys[] = {"path", "crs",  "encoding", "type",
                                           "lon",  "lat", "data"};
        st = check_keys(L, v, keys, COUNT(keys) - !L->maplibre);
        if (st != DLINE_OK)
            return st;
        const dl_yaml_node *data = L->maplibre ? dl_yaml_get(v, "data") : NULL;
        if (data)
            return load_inline(L, src, v, data);
        char b[80];
        if (!(path = dl_yaml_get(v, "path")))
            return err(L, v, "source '%s' has no 'path'", shown(k->text, b, sizeof b));
        const dl_yaml_node *x;
        if ((x = dl_yaml_get(v, "crs"))) {
            if ((st = get_string(L, x, "crs", 0, &src->crs)))
                return st;
            src->crs_line = x->line;
            src->crs_col = x->col;
        }
        if ((x = dl_yaml_get(v, "encoding")) &&
            (st = get_string(L, x, "encoding", 0, &src->encoding)))
            return st;
        if ((x = dl_yaml_get(v, "type"))) {
            if (!is_scalar(x) || dl_yaml_is_null(x))
                return err(L, x, "'type' must be a string");
            if (strcmp(x->text, "shapefile") == 0)
                src->type = DL_SOURCE_SHAPEFILE;
            else if (strcmp(x->text, "geojson") == 0)
                src->type = DL_SOURCE_GEOJSON;
            else if (strcmp(x->text, "csv") == 0)
                src->type = DL_SOURCE_CSV;
            else
                return err(L, x, "source type '%s' is not supported (shapefile, geojson or "
                           "csv)", shown(x->text, b, sizeof b));
        }
        if (src->type == DL_SOURCE_AUTO && is_scalar(path) && !dl_yaml_is_null(path))
            src->type = dl_source_kind_from_path(path->text);
        static const char *const axes[] = {"lon", "lat"};
        for (int a = 0; a < 2; a++) {
            if (!(x = dl_yaml_get(v, axes[a])))
                continue;
            if (src->type != DL_SOURCE_CSV)
                return err(L, x, "'%s' applies to csv sources only", axes[a]);
            if ((st = get_string(L, x, axes[a], 0, a ? &src->lat : &src->lon)))
                return st;
        }
        if ((x = dl_yaml_get(v, "encoding")) && src->type == DL_SOURCE_GEOJSON)
            return err(L, x, "'encoding' does not apply to geojson sources (GeoJSON is UTF-8)");
    } else if (!is_scalar(v) || dl_yaml_is_null(v)) {
        char b[80];
        return err(L, v, "source '%s' must be a path or a mapping with 'path'",
                   shown(k->text, b, sizeof b));
    }
    char *rel = NULL;
    if ((st = get_string(L, path, "path", 0, &rel)) != DLINE_OK)
        return st;
    if (src->type == DL_SOURCE_AUTO)
        src->type = dl_source_kind_from_path(rel);
    src->path = resolve_at(L, path, rel);
    free(rel);
    if (!src->path)
        return no_memory(L);
    return DLINE_OK;
}

static dline_status load_sources(loader *L, const dl_yaml_node *n)
{
    if (dl_yaml_is_null(n))
        return DLINE_OK;
    if (n->kind != DL_YAML_MAPPING)
        return err(L, n, "'sources' must be a mapping of names to paths");
    dl_style *s = L->style;
    s->sources = dl_calloc_array(n->n, sizeof *s->sources);
    if (!s->sources)
        return no_memory(L);
    for (size_t i = 0; i < n->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(n, i), *v = dl_yaml_value(n, i);
        dl_style_source *src = &s->sources[s->nsources++];
        src->line = k->line;
        src->col = k->col;
        if (k->file && strcmp(k->file, L->path) != 0 && !(src->file = dl_strdup(k->file)))
            return no_memory(L);
        if (!(src->name = dl_strdup(k->text)))
            return no_memory(L);
        /* A validating load goes on with the next source; this one keeps
         * its name, so the layers that use it are not told it is missing. */
        dline_status st = load_source(L, k, v, src);
        if (st != DLINE_OK || !src->path)
            src->broken = 1;
        if ((st = keep_going(L, st)) != DLINE_OK)
            return st;
    }
    return DLINE_OK;
}

static void layer_defaults(dl_style_layer *l)
{
    l->source = -1;
    l->minzoom = 0;
    l->maxzoom = MAX_ZOOM;
    dl_color black = {0, 0, 0, 1};
    l->background_color = black;
    l->background_opacity = 1;
    l->fill_color = black;
    l->fill_opacity = 1;
    l->fill_outline_color = black;
    l->line_color = black;
    l->line_width = 1;
    l->line_opacity = 1;
    l->line_cap = DL_CAP_BUTT;
    l->line_join = DL_JOIN_MITER;
    l->fill_pattern_spacing = 6;
    l->fill_pattern_width = 1;
    l->circle_radius = 5;
    l->circle_color = black;
    l->circle_opacity = 1;
    l->circle_stroke_color = black;
    l->circle_stroke_width = 0;
    l->text_color = black;
    l->text_halo_color = (dl_color){0, 0, 0, 0};
    l->text_halo_width = 0;
    l->text_opacity = 1;
    l->text_size = 16;
    l->text_anchor = DL_ANCHOR_CENTER;
    l->text_anchor_auto = 1;
    l->text_line_height = 1.2;
    l->text_max_width = 10;
    l->text_padding = 2;
    l->symbol_spacing = 250;
    l->text_max_angle = 45;
    l->text_leader_color = black;
    l->text_leader_width = 0.8;
    l->text_leader_halo_width = -1; /* text-halo-width, at most 1 px */
    l->icon_size = 1;
    l->icon_anchor = DL_ANCHOR_CENTER;
    l->icon_opacity = 1;
}

static const char *const layer_keys[] = {"id", "type", "source", "filter", "minzoom", "maxzoom",
                                         "connect-by", "connect-smooth", "paint", "layout",
                                         "legend", "inset-only", "min-scale", "max-scale"};

static dline_status load_layer(loader *L, const dl_yaml_node *n, size_t index)
{
    dl_style *s = L->style;
    dl_style_layer *layer = &s->layers[index];
    if (n->kind != DL_YAML_MAPPING)
        return err(L, n, "a layer must be a mapping");
    layer->line = n->line;
    layer->col = n->col;
    layer->index = index;
    if (n->file && strcmp(n->file, L->path) != 0 && !(layer->file = dl_strdup(n->file)))
        return no_memory(L);
    dline_status st = check_keys(L, n, layer_keys, COUNT(layer_keys));
    if (st != DLINE_OK)
        return st;

    const dl_yaml_node *id = dl_yaml_get(n, "id");
    if (!id)
        return err(L, n, "layer has no 'id'");
    if ((st = get_string(L, id, "id", 0, &layer->id)) != DLINE_OK)
        return st;
    char b1[80], b2[128];
    const char *idtext = shown(layer->id, b1, sizeof b1);
    for (size_t i = 0; i < index; i++) /* a broken layer (dl_style_load_checked) may have no id */
        if (s->layers[i].id && strcmp(s->layers[i].id, layer->id) == 0)
            return err(L, id, "duplicate layer id '%s' (first at line %d)", idtext,
                       s->layers[i].line);

    const dl_yaml_node *type = dl_yaml_get(n, "type");
    if (!type)
        return err(L, n, "layer '%s' has no 'type'", idtext);
    size_t t = 0;
    if (is_scalar(type))
        while (t < COUNT(type_names) && strcmp(type->text, type_names[t]) != 0)
            t++;
    if (!is_scalar(type) || t == COUNT(type_names)) {
        if (!is_scalar(type))
            return err(L, type, "'type' must be a string");
        const char *h = hint(type->text, type_names, COUNT(type_names), b2, sizeof b2);
        char b3[80];
        return err(L, type, "unknown layer type '%s'%s", shown(type->text, b3, sizeof b3),
                   *h ? h : " (expected background, fill, line, circle or symbol)");
    }
    layer->type = (dl_layer_type)t;

    /* From here on, a validating load reports a key's error and goes on
     * with the next key: the id and type above are needed to read them. */
    const dl_yaml_node *smooth = NULL;
    int source_given = 0;
    for (size_t i = 0; i < n->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(n, i), *v = dl_yaml_value(n, i);
        const char *key = k->text;
        st = DLINE_OK;
        if (strcmp(key, "source") == 0) {
            source_given = 1;
            if (layer->type == DL_LAYER_BACKGROUND)
                st = err(L, k, "'source' does not apply to background layers");
            else if (!is_scalar(v) || dl_yaml_is_null(v))
                st = err(L, v, "'source' must be a source name");
            else if ((layer->source = dl_style_source_index(s, v->text)) < 0) {
                const char **names = dl_calloc_array(s->nsources, sizeof *names);
                if (!names)
                    return no_memory(L);
                for (size_t j = 0; j < s->nsources; j++)
                    names[j] = s->sources[j].name;
                char b3[80];
                st = err(L, v, "source '%s' is not declared in 'sources'%s",
                         shown(v->text, b3, sizeof b3),
                         hint(v->text, names, s->nsources, b2, sizeof b2));
                free(names);
            }
        } else if (strcmp(key, "filter") == 0) {
            if (layer->type == DL_LAYER_BACKGROUND)
                st = err(L, k, "'filter' does not apply to background layers");
            else
            {
                st = dl_expr_compile_filter(L->ctx, node_file(L, v), v, &layer->filter);
                layer->filter_file = keep_file(L, v);
            }
        } else if (strcmp(key, "minzoom") == 0) {
            st = get_number(L, v, key, 0, MAX_ZOOM, &layer->minzoom);
        } else if (strcmp(key, "maxzoom") == 0) {
            st = get_number(L, v, key, 0, MAX_ZOOM, &layer->maxzoom);
        } else if (strcmp(key, "min-scale") == 0 || strcmp(key, "max-scale") == 0) {
            /* Scale denominators, as MapServer's MINSCALEDENOM/MAXSCALEDENOM. */
            st = get_number(L, v, key, 1, 1e12,
                            key[1] == 'i' ? &layer->min_scale : &layer->max_scale);
        } else if (strcmp(key, "connect-by") == 0 || strcmp(key, "connect-smooth") == 0) {
            /* A symbol layer joins the points too, to put text along the line. */
            if (layer->type != DL_LAYER_LINE && layer->type != DL_LAYER_SYMBOL) {
                st = err(L, k, "'%s' applies only to line and symbol layers", key);
            } else if (strcmp(key, "connect-by") == 0) {
                st = get_string(L, v, key, 0, &layer->connect_by);
                layer->connect_by_file = keep_file(L, v);
                layer->connect_by_line = v->line;
                layer->connect_by_col = v->col;
            } else {
                st = get_bool(L, v, key, &layer->connect_smooth);
                smooth = k;
            }
        } else if (strcmp(key, "legend") == 0) {
            if (layer->type != DL_LAYER_FILL && layer->type != DL_LAYER_LINE &&
                layer->type != DL_LAYER_CIRCLE)
                st = err(L, k, "'legend' applies only to fill, line and circle layers");
            else
                st = get_string(L, v, key, 0, &layer->legend);
        } else if (strcmp(key, "inset-only") == 0) {
            st = get_bool(L, v, key, &layer->inset_only);
        } else if (strcmp(key, "paint") == 0) {
            st = load_properties(L, layer, v, 0);
        } else if (strcmp(key, "layout") == 0) {
            st = load_properties(L, layer, v, 1);
        }
        if ((st = keep_going(L, st)) != DLINE_OK)
            return st;
    }
    /* A source that is named but wrong was reported above. */
    if (layer->type != DL_LAYER_BACKGROUND && layer->source < 0 && !source_given)
        st = keep_going(L, err(L, n, "layer '%s' has no 'source'", idtext));
    if (st == DLINE_OK && layer->minzoom > layer->maxzoom)
        st = keep_going(L, err(L, dl_yaml_get(n, "minzoom"), "'minzoom' is greater than 'maxzoom'"));
    if (st == DLINE_OK && layer->connect_smooth && !layer->connect_by)
        st = keep_going(L, err(L, smooth, "'connect-smooth' needs 'connect-by'"));
    if (st != DLINE_OK)
        return st;
    if (layer->type == DL_LAYER_SYMBOL && !layer->text_field && !layer->icon_image)
        dl_warn(L->ctx, L->path, n->line, n->col,
                "symbol layer '%s' has no 'text-field' and draws nothing", idtext);
    return DLINE_OK;
}

static dline_status load_layers(loader *L, const dl_yaml_node *n)
{
    if (dl_yaml_is_null(n))
        return DLINE_OK;
    if (n->kind != DL_YAML_SEQUENCE)
        return err(L, n, "'layers' must be a list of layers");
    dl_style *s = L->style;
    s->layers = dl_calloc_array(n->n, sizeof *s->layers);
    if (!s->layers)
        return no_memory(L);
    for (size_t i = 0; i < n->n; i++) {
        dl_style_layer *l = &s->layers[s->nlayers++];
        layer_defaults(l);
        if (!(l->text_font = dl_strdup(DEFAULT_FONT)) || !(l->text_weight = dl_strdup("normal")))
            return no_memory(L);
        dline_status st = load_layer(L, n->items[i], i);
        if (st == DLINE_ESTYLE && L->report)
            l->broken = 1;
        if ((st = keep_going(L, st)) != DLINE_OK)
            return st;
    }
    return DLINE_OK;
}

/* inset: an overview map; read after the layers, which it names. */
static const char *const inset_keys[] = {
    "position", "offset", "size", "extent", "padding", "layers", "background", "frame-color",
    "frame-width", "outline-color", "outline-width", "crs"};

static dline_status load_inset(loader *L, const dl_yaml_node *n)
{
    dl_style *s = L->style;
    dl_style_inset *in = &s->furniture.inset;
    const dl_yaml_node *map;
    dline_status st = furniture_block(L, "inset", n, inset_keys, COUNT(inset_keys), &in->enabled,
                                      &map);
    if (st != DLINE_OK || !in->enabled)
        return st;
    const dl_yaml_node *ids = map ? dl_yaml_get(map, "layers") : NULL;
    if (!ids)
        return err(L, n, "'inset' needs 'layers'");
    for (size_t i = 0; i < map->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(map, i)->text;
        const dl_yaml_node *v = dl_yaml_value(map, i);
        if (!strcmp(k, "position"))
            st = get_position(L, v, k, &in->position);
        else if (!strcmp(k, "offset"))
            st = get_length_pair(L, v, k, DL_MAX_SIZE_PX, in->offset);
        else if (!strcmp(k, "size")) {
            st = get_length_pair(L, v, k, DL_MAX_SIZE_PX, in->size);
            if (st == DLINE_OK && (in->size[0] < 8 || in->size[1] < 8))
                st = err(L, v, "'size' of the inset must be at least 8 px a side");
        } else if (!strcmp(k, "extent")) {
            static const char *const what[] = {"minlon", "minlat", "maxlon", "maxlat"};
            if (v->kind != DL_YAML_SEQUENCE || v->n != 4)
                return err(L, v, "'extent' must be [minlon, minlat, maxlon, maxlat]");
            for (int j = 0; j < 4; j++) {
                const dl_yaml_node *x = v->items[j];
                double lim = j % 2 == 0 ? 180 : 90;
                if (!is_scalar(x) || !x->plain ||
                    dl_style_number(x->text, x->len, &in->extent[j]) != 0)
                    return err(L, x, "'extent' %s must be a number", what[j]);
                if (in->extent[j] < -lim || in->extent[j] > lim)
                    return err(L, x, "'extent' %s %g is outside -%g..%g", what[j],
                               in->extent[j], lim, lim);
            }
            if (in->extent[0] >= in->extent[2] || in->extent[1] >= in->extent[3])
                return err(L, v, "'extent' must have minlon < maxlon and minlat < maxlat");
            in->has_extent = 1;
        } else if (!strcmp(k, "padding"))
            st = get_length(L, v, k, 0, DL_MAX_SIZE_PX, &in->padding);
        else if (!strcmp(k, "background"))
            st = get_color(L, v, k, &in->background);
        else if (!strcmp(k, "frame-color"))
            st = get_color(L, v, k, &in->frame_color);
        else if (!strcmp(k, "frame-width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &in->frame_width);
        else if (!strcmp(k, "outline-color"))
            st = get_color(L, v, k, &in->outline_color);
        else if (!strcmp(k, "outline-width"))
            st = get_length(L, v, k, 0, MAX_TEXT_PX, &in->outline_width);
        else if (!strcmp(k, "crs")) {
            /* Only PROJ can tell whether it is a CRS; the render asks it
             * and points back here. */
            st = get_string(L, v, k, 0, &in->crs);
            in->crs_line = v->line;
            in->crs_col = v->col;
        }
    }
    if (st != DLINE_OK)
        return st;
    if (ids->kind != DL_YAML_SEQUENCE || ids->n == 0)
        return err(L, ids, "'layers' of the inset must be a list of layer ids");
    if (!(in->layers = dl_calloc_array(ids->n, sizeof *in->layers)))
        return no_memory(L);
    for (size_t i = 0; i < ids->n; i++) {
        const dl_yaml_node *id = ids->items[i];
        char b[80];
        long li = is_scalar(id) ? dl_style_layer_index(s, id->text) : -1;
        if (li < 0)
            return err(L, id, "inset names unknown layer '%s'",
                       is_scalar(id) ? shown(id->text, b, sizeof b) : "?");
        /* Symbol and circle layers would place labels and obstacles in the
         * main map's label space; an overview needs areas and lines. */
        if (s->layers[li].type != DL_LAYER_FILL && s->layers[li].type != DL_LAYER_LINE &&
            s->layers[li].type != DL_LAYER_BACKGROUND)
            return err(L, id, "inset layer '%s' must be a fill, line or background layer",
                       shown(id->text, b, sizeof b));
        in->layers[in->nlayers++] = li;
    }
    return DLINE_OK;
}

static dline_status load_fit(loader *L, const dl_yaml_node *n)
{
    dl_style *s = L->style;
    const dl_yaml_node *ids = n;
    if (n->kind == DL_YAML_MAPPING) {
        static const char *const keys[] = {"layers", "padding"};
        dline_status st = check_keys(L, n, keys, COUNT(keys));
        if (st != DLINE_OK)
            return st;
        const dl_yaml_node *pad = dl_yaml_get(n, "padding");
        if (pad && (st = get_length(L, pad, "padding", 0, DL_MAX_SIZE_PX, &s->fit_padding)))
            return st;
        ids = dl_yaml_get(n, "layers");
        if (!ids)
            return DLINE_OK;
    }
    if (ids->kind != DL_YAML_SEQUENCE)
        return err(L, ids, "'fit' must be a list of layer ids or a mapping with 'layers'");
    s->fit_layers = dl_calloc_array(ids->n, sizeof *s->fit_layers);
    if (!s->fit_layers)
        return no_memory(L);
    for (size_t i = 0; i < ids->n; i++) {
        const dl_yaml_node *id = ids->items[i];
        if (!is_scalar(id) || dl_yaml_is_null(id))
            return err(L, id, "'fit' must name layer ids");
        long li = dl_style_layer_index(s, id->text);
        char b1[80], b2[128];
        if (li < 0) {
            const char **names = dl_calloc_array(s->nlayers, sizeof *names);
            if (!names)
                return no_memory(L);
            for (size_t j = 0; j < s->nlayers; j++)
                names[j] = s->layers[j].id;
            dline_status st = err(L, id, "'fit' names unknown layer '%s'%s",
                                  shown(id->text, b1, sizeof b1),
                                  hint(id->text, names, s->nlayers, b2, sizeof b2));
            free(names);
            return st;
        }
        if (s->layers[li].type == DL_LAYER_BACKGROUND)
            return err(L, id, "'fit' names background layer '%s', which has no data",
                       shown(id->text, b1, sizeof b1));
        if (!(s->fit_layers[s->nfit++] = dl_strdup(id->text)))
            return no_memory(L);
    }
    return DLINE_OK;
}

static const char *const top_keys[] = {"size", "paper", "dpi", "crs", "extent", "fit", "background",
                                       "title", "subtitle", "attribution", "sources", "layers",
                                       "scale-bar", "north-arrow", "legend", "frame", "graticule",
                                       "inset",
                                       /* gone before this point (compose.c); listed for the
                                        * suggestions: "var" -> "vars" */
                                       "vars", "include"};

static dline_status load_top(loader *L, const dl_yaml_node *root)
{
    dl_style *s = L->style;
    dline_status st = DLINE_OK;
    /* Keys starting with "x-" are ignored (as in Compose files): a place to
     * keep anchors for values that layers share. */
    for (size_t i = 0; i < root->n && st == DLINE_OK; i++) {
        const dl_yaml_node *k = dl_yaml_key(root, i);
        if (strncmp(k->text, "x-", 2) != 0)
            st = keep_going(L, check_key(L, k, top_keys, COUNT(top_keys)));
    }
    if (st != DLINE_OK)
        return st;
    text_given tg = {0, 0}, sg = {0, 0}, ag = {0, 0};
    for (size_t i = 0; i < root->n && st == DLINE_OK; i++) {
        const char *k = dl_yaml_key(root, i)->text;
        const dl_yaml_node *v = dl_yaml_value(root, i);
        if (strcmp(k, "size") == 0)
            st = load_size(L, v);
        else if (strcmp(k, "paper") == 0)
            st = load_paper(L, v);
        else if (strcmp(k, "dpi") == 0) {
            double dpi;
            if (!is_scalar(v) || !v->plain || dl_style_number(v->text, v->len, &dpi) != 0)
                st = err(L, v, "'dpi' must be a number");
            else if (dpi <= 0)
                st = err(L, v, "'dpi' must be greater than 0");
            else if (dpi > MAX_DPI)
                st = err(L, v, "'dpi' %g is over the limit of %d", dpi, MAX_DPI);
            else
                s->dpi = dpi;
        } else if (strcmp(k, "crs") == 0) {
            st = get_string(L, v, k, 0, &s->crs);
            s->crs_file = keep_file(L, v);
            s->crs_line = v->line;
            s->crs_col = v->col;
        }
        else if (strcmp(k, "extent") == 0)
            st = load_extent(L, v);
        else if (strcmp(k, "background") == 0)
            st = get_color(L, v, k, &s->background);
        else if (strcmp(k, "title") == 0)
            st = load_text(L, k, v, &s->title, &tg);
        else if (strcmp(k, "subtitle") == 0)
            st = load_text(L, k, v, &s->subtitle, &sg);
        else if (strcmp(k, "attribution") == 0)
            st = load_text(L, k, v, &s->attribution, &ag);
        else if (strcmp(k, "sources") == 0)
            st = load_sources(L, v);
        else if (strcmp(k, "scale-bar") == 0)
            st = load_scale_bar(L, v);
        else if (strcmp(k, "north-arrow") == 0)
            st = load_north_arrow(L, v);
        else if (strcmp(k, "legend") == 0)
            st = load_legend(L, v);
        else if (strcmp(k, "frame") == 0)
            st = load_frame(L, v);
        else if (strcmp(k, "graticule") == 0)
            st = load_graticule(L, v);
        st = keep_going(L, st);
    }
    if (st != DLINE_OK)
        return st;
    const dl_yaml_node *paper = dl_yaml_get(root, "paper");
    if (paper && dl_yaml_get(root, "size"))
        return err(L, paper, "'size' and 'paper' cannot both be given");
    /* Layers name sources and fit names layers, wherever they stand in the file. */
    const dl_yaml_node *layers = dl_yaml_get(root, "layers");
    if (layers && (st = load_layers(L, layers)) != DLINE_OK)
        return st;
    const dl_yaml_node *fit = dl_yaml_get(root, "fit");
    if (fit) {
        if (s->has_extent)
            return err(L, fit, "'fit' and 'extent' cannot both be given");
        if ((st = load_fit(L, fit)) != DLINE_OK)
            return st;
    }
    const dl_yaml_node *inset = dl_yaml_get(root, "inset");
    if (inset && (st = load_inset(L, inset)) != DLINE_OK)
        return st;
    /* An inset-only layer the inset does not draw would be drawn nowhere,
     * and one with a legend row would explain something the map lacks. */
    for (size_t i = 0; i < s->nlayers; i++) {
        const dl_style_layer *l = &s->layers[i];
        if (!l->inset_only)
            continue;
        int listed = 0;
        for (size_t k = 0; k < s->furniture.inset.nlayers; k++)
            listed |= s->furniture.inset.layers[k] == (long)i;
        if (!listed)
            return dl_error(L->ctx, DLINE_ESTYLE, dl_style_layer_file(s, l), l->line, l->col,
                            "layer '%s' is inset-only, but 'inset' does not list it", l->id);
        if (l->legend)
            return dl_error(L->ctx, DLINE_ESTYLE, dl_style_layer_file(s, l), l->line, l->col,
                            "layer '%s' is inset-only and cannot have a 'legend' row", l->id);
    }
    dl_style_face face;
    char why[160];
    if (dl_style_face_of(s, &face, why, sizeof why) != 0) {
        const dl_yaml_node *frame = dl_yaml_get(root, "frame");
        const dl_yaml_node *m = frame && frame->kind == DL_YAML_MAPPING
                                    ? dl_yaml_get(frame, "margin") : NULL;
        return err(L, m ? m : frame, "%s", why);
    }
    place_subtitle(s, sg);
    check_legend(L);
    return DLINE_OK;
}

static dline_status style_defaults(loader *L)
{
    dl_style *s = L->style;
    s->width = 1200;
    s->height = 900;
    s->dpi = 96;
    s->fit_padding = 20;
    s->background = (dl_color){1, 1, 1, 1};
    if (!(s->crs = dl_strdup("EPSG:3857")))
        return no_memory(L);
    dline_status st;
    if ((st = text_defaults(L, &s->title, DEFAULT_FONT " Bold", 22, "#222222",
                            DL_ANCHOR_TOP_LEFT, 16, 16, 2)) ||
        (st = text_defaults(L, &s->subtitle, DEFAULT_FONT, 14, "#444444", DL_ANCHOR_TOP_LEFT, 16,
                            16, 2)) ||
        (st = text_defaults(L, &s->attribution, DEFAULT_FONT, 10, "#666666",
                            DL_ANCHOR_BOTTOM_RIGHT, 8, 8, 1.5)) ||
        (st = furniture_defaults(L)))
        return st;
    s->title.role = "title";
    s->subtitle.role = "subtitle";
    s->attribution.role = "attribution";
    return DLINE_OK;
}

dline_status dl_style_load(dline_ctx *ctx, const char *path, dl_style **out)
{
    return dl_style_load_with(ctx, path, NULL, 0, out);
}

dline_status dl_style_load_with(dline_ctx *ctx, const char *path, const char *const *sets,
                                size_t nsets, dl_style **out)
{
    return dl_style_load_checked(ctx, path, sets, nsets, NULL, NULL, NULL, out);
}

static dline_status style_load(dline_ctx *ctx, const char *path, const char *text, size_t len,
                               const char *const *sets, size_t nsets,
                               dl_style_problem_fn report, void *user, size_t *nproblems,
                               dl_style **out);

dline_status dl_style_load_checked(dline_ctx *ctx, const char *path, const char *const *sets,
                                   size_t nsets, dl_style_problem_fn report, void *user,
                                   size_t *nproblems, dl_style **out)
{
    return style_load(ctx, path, NULL, 0, sets, nsets, report, user, nproblems, out);
}

dline_status dl_style_load_text(dline_ctx *ctx, const char *path, const char *text, size_t len,
                                const char *const *sets, size_t nsets, dl_style **out)
{
    return style_load(ctx, path, text, len, sets, nsets, NULL, NULL, NULL, out);
}

static dline_status style_load(dline_ctx *ctx, const char *path, const char *text, size_t len,
                               const char *const *sets, size_t nsets,
                               dl_style_problem_fn report, void *user, size_t *nproblems,
                               dl_style **out)
{
    if (nproblems)
        *nproblems = 0;
    *out = NULL;
    dl_compose *doc;
    dline_status st = text ? dl_compose_load_text(ctx, path, text, len, sets, nsets, &doc)
                           : dl_compose_load(ctx, path, sets, nsets, &doc);
    if (st != DLINE_OK)
        return st;
    const dl_yaml_node *root = dl_compose_root(doc);
    dl_style *s = calloc(1, sizeof *s);
    loader L = {ctx, path, s, report, user, 0, 0};
    if (!s || !(s->path = dl_strdup(path)) || !(s->dir = dir_of(path))) {
        st = no_memory(&L);
    } else if (!root || dl_yaml_is_null(root)) {
        st = dl_error(ctx, DLINE_ESTYLE, path, 0, 0, "style is empty");
    } else if (root->kind != DL_YAML_MAPPING) {
        st = err(&L, root, "the top level must be a mapping");
    } else if ((st = style_defaults(&L)) == DLINE_OK) {
        dl_maplibre *ml = NULL;
        if (dl_maplibre_detect(path, root)) {
            L.maplibre = 1;
            st = dl_maplibre_translate(ctx, path, root, report, user, &L.problems, &ml);
            if (st == DLINE_OK)
                root = dl_maplibre_root(ml);
        }
        if (st == DLINE_OK)
            st = load_top(&L, root);
        /* MapLibre's view, unless metadata.dline gives an extent or a fit. */
        if (st == DLINE_OK && ml && !s->has_extent && !s->nfit &&
            dl_maplibre_view(ml, s->view_center, &s->view_zoom)) {
            s->has_view = 1;
            dl_style_apply_view(s);
        }
        dl_maplibre_free(ml);
    }
    dl_compose_free(doc);
    if (nproblems)
        *nproblems = L.problems;
    if (st != DLINE_OK) {
        dl_style_free(s);
        return st;
    }
    *out = s;
    return DLINE_OK;
}

static void text_free(dl_style_text *t)
{
    free(t->text);
    free(t->font);
}

void dl_style_free(dl_style *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->dir);
    free(s->crs);
    for (size_t i = 0; i < s->nfit; i++)
        free(s->fit_layers[i]);
    free(s->fit_layers);
    text_free(&s->title);
    text_free(&s->subtitle);
    text_free(&s->attribution);
    free(s->furniture.scale_bar.font);
    free(s->furniture.north_arrow.font);
    free(s->furniture.legend.title);
    free(s->furniture.legend.font);
    free(s->furniture.graticule.font);
    free(s->furniture.inset.layers);
    free(s->furniture.inset.crs);
    for (size_t i = 0; i < s->nsources; i++) {
        free(s->sources[i].name);
        free(s->sources[i].path);
        free(s->sources[i].crs);
        free(s->sources[i].encoding);
        free(s->sources[i].file);
        free(s->sources[i].lon);
        free(s->sources[i].lat);
        free(s->sources[i].data);
    }
    free(s->sources);
    for (size_t i = 0; i < s->nlayers; i++) {
        dl_style_layer *l = &s->layers[i];
        free(l->id);
        free(l->file);
        free(l->icon_dir);
        dl_expr_free(l->filter);
        for (size_t k = 0; k < l->nexprs; k++)
            dl_expr_free(l->exprs[k].expr);
        free(l->exprs);
        dl_expr_free(l->text_field_expr);
        dl_expr_free(l->text_field_secondary_expr);
        dl_expr_free(l->sort_key_expr);
        free(l->connect_by);
        free(l->legend);
        free(l->text_field);
        free(l->text_font);
        free(l->text_weight);
        free(l->text_field_secondary);
        free(l->text_font_secondary);
        free(l->text_weight_secondary);
        free(l->icon_image);
    }
    free(s->layers);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    free(s);
}

const char *dl_style_layer_file(const dl_style *style, const dl_style_layer *layer)
{
    return layer->file ? layer->file : style->path;
}

long dl_style_layer_index(const dl_style *style, const char *id)
{
    for (size_t i = 0; style && i < style->nlayers; i++)
        if (style->layers[i].id && strcmp(style->layers[i].id, id) == 0)
            return (long)i;
    return -1;
}

long dl_style_source_index(const dl_style *style, const char *name)
{
    for (size_t i = 0; style && i < style->nsources; i++)
        if (style->sources[i].name && strcmp(style->sources[i].name, name) == 0)
            return (long)i;
    return -1;
}
