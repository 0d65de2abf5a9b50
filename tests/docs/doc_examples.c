/* The doc test: every ```yaml example of docs/style.md becomes one or more
 * complete styles, which must validate with no problem and render to PNG
 * with no warning, placing a label when they have any to place; ```json
 * examples render when they are whole MapLibre styles (`version` and
 * `layers`) and are parsed otherwise. Usage: doc_examples SOURCE_DIR OUT_DIR.
 *
 * How a yaml block becomes styles (yaml_block(), yaml_example()):
 * - a list ("- id: ...") is a list of layers, wrapped under `layers:`;
 * - top-level keys that repeat (three `filter:` lines) are alternatives:
 *   each entry is its own example;
 * - top-level keys of a map (size, layers, inset, ...) make a fragment,
 *   merged over tests/docs/harness.yaml by `include:` (unless it has its
 *   own); a block with both `sources` and `layers` is complete and renders
 *   alone;
 * - layer keys (filter, paint, layout, ...) or properties (line-gradient,
 *   text-field, ...) become one layer on the harness's `places` source, of
 *   the type its properties belong to (a line layer when they name none):
 *   properties of two layer types in one block are an error in the docs.
 * Fragments without `size` or `paper` get a small size. The styles and PNGs
 * are written to OUT_DIR/docs/, beside symlinks OUT_DIR/geodata, styles and
 * tests to the repository's, so paths read as they do from docs/.
 *
 * The inline examples of the expression operator table (`[get, name]`, ...)
 * are compiled with the style's expression compiler and evaluated on one
 * feature stated below (expression_table()); each must give the value
 * written for it in `table_values`, and every value there must still have
 * its example in the table. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dline.h"
#include "style/expr.h"
#include "style/yaml.h"

#define DOC "docs/style.md"
#define MAP_SIZE "size: [480, 360]\n"
#define MAX_LINES 400
#define MAX_KEYS 64

typedef struct {
    const char *text[MAX_LINES]; /* each a NUL-terminated line of the doc */
    int docline[MAX_LINES];
    int n;
} lines;

static int failures, rendered, parsed, table_checked;
static const char *out_docs;

static void fail(int docline, int example, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(int docline, int example, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (example > 0)
        printf("%s:%d: example %d: ", DOC, docline, example);
    else
        printf("%s:%d: ", DOC, docline);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    failures++;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static int write_all(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A growing string; the test stops on allocation failure. */
typedef struct {
    char *s;
    size_t len, cap;
} buf;

static void add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        if (!(b->s = realloc(b->s, b->cap)))
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

typedef struct {
    int docline, example, count;
    const char *what;
} report;

static void on_message(const char *message, void *user)
{
    report *r = user;
    fail(r->docline, r->example, "%s: %s", r->what, message);
    r->count++;
}

/* A render whose symbol layers queued labels must have placed one: an
 * example that shows no label shows nothing of what it is about. */
static int labels_placed(const char *json, int docline, int example)
{
    json_object *root = json_object_from_file(json), *labels, *placed;
    int ok = root && json_object_object_get_ex(root, "labels", &labels) &&
             json_object_object_get_ex(root, "placed", &placed);
    if (!ok)
        fail(docline, example, "cannot read the label placement %s", json);
    else if (json_object_array_length(labels) > 0 && json_object_get_int(placed) == 0) {
        fail(docline, example, "no label placed (of %zu); see %s",
             json_object_array_length(labels), json);
        ok = 0;
    }
    json_object_put(root);
    return ok;
}

/* Validates and renders one style; every problem and warning is a failure. */
static void run_style(const char *style, const char *png, int docline, int example)
{
    dline_ctx *ctx = dline_ctx_new();
    if (!ctx) {
        fail(docline, example, "out of memory");
        return;
    }
    report problems = {docline, example, 0, "validate"};
    report warnings = {docline, example, 0, "warning"};
    dline_ctx_set_warning_handler(ctx, on_message, &warnings);
    size_t n = 0;
    if (dline_validate(ctx, style, NULL, 0, on_message, &problems, &n) != DLINE_OK)
        fail(docline, example, "validate: %s", dline_ctx_message(ctx));
    dline_ctx_clear(ctx);
    dline_map *map = NULL;
    char labels[4200];
    snprintf(labels, sizeof labels, "%.4000s.labels.json", png);
    unlink(png);
    if (dline_map_load(ctx, style, &map) != DLINE_OK ||
        dline_map_set_debug_labels(ctx, map, labels) != DLINE_OK ||
        dline_map_render_file(ctx, map, png, DLINE_FORMAT_PNG) != DLINE_OK)
        fail(docline, example, "%s", dline_ctx_message(ctx));
    else if (labels_placed(labels, docline, example) && problems.count == 0 &&
             warnings.count == 0 && n == 0) {
        printf("%s:%d: example %d: ok, %s\n", DOC, docline, example, png);
        rendered++;
    }
    dline_map_free(map);
    dline_ctx_free(ctx);
}

static int is_top(const char *line)
{
    return line[0] && line[0] != ' ' && line[0] != '\t' && line[0] != '#';
}

/* The key of a top-level "key: value" line, into key; 0 when it has none. */
static int top_key(const char *line, char *key, size_t size)
{
    const char *colon = strchr(line, ':');
    if (!colon || (colon[1] && colon[1] != ' '))
        return 0;
    size_t n = (size_t)(colon - line);
    if (n >= 2 && (line[0] == '"' || line[0] == '\'') && line[n - 1] == line[0]) {
        line++;
        n -= 2;
    }
    if (n == 0 || n >= size)
        return 0;
    memcpy(key, line, n);
    key[n] = '\0';
    return 1;
}

static int in_set(const char *key, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(key, *set) == 0)
            return 1;
    return 0;
}

static const char *const map_keys[] = {
    "size", "paper", "dpi", "crs", "extent", "fit", "background", "title", "subtitle",
    "attribution", "scale-bar", "north-arrow", "legend", "frame", "graticule", "inset",
    "sources", "layers", "vars", "include", NULL};
static const char *const layer_keys[] = {
    "id", "type", "source", "filter", "minzoom", "maxzoom", "min-scale", "max-scale",
    "connect-by", "connect-smooth", "legend", "inset-only", "paint", "layout", NULL};
/* Symbol properties that are paint; the other text-, icon- and symbol- ones
 * are layout. */
static const char *const symbol_paint[] = {
    "text-color", "text-opacity", "text-halo-color", "text-halo-width", "text-leader-color",
    "text-leader-width", "text-leader-halo-width", "icon-opacity", NULL};

enum { T_FILL = 1, T_LINE = 2, T_CIRCLE = 4, T_SYMBOL = 8, T_BACKGROUND = 16 };

static int prop_type(const char *name)
{
    static const struct {
        const char *prefix;
        int type;
    } p[] = {{"fill-", T_FILL},         {"line-", T_LINE},     {"circle-", T_CIRCLE},
             {"text-", T_SYMBOL},       {"icon-", T_SYMBOL},   {"symbol-", T_SYMBOL},
             {"background-", T_BACKGROUND}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (strncmp(name, p[i].prefix, strlen(p[i].prefix)) == 0)
            return p[i].type;
    return 0;
}

static int is_layout(const char *name)
{
    if (strcmp(name, "line-cap") == 0 || strcmp(name, "line-join") == 0)
        return 1;
    return prop_type(name) == T_SYMBOL && !in_set(name, symbol_paint);
}

/* The layer types whose properties appear as keys ("line-width:",
 * "{circle-radius: 3}") anywhere in lines [from, to). */
static int types_named(const lines *L, int from, int to)
{
    int types = 0;
    for (int i = from; i < to; i++) {
        const char *s = L->text[i];
        for (const char *p = s; *p; p++) {
            if (p > s && !strchr(" \t{,", p[-1]))
                continue;
            char name[64];
            size_t n = 0;
            while (n < sizeof name - 1 && ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '-'))
                name[n] = p[n], n++;
            name[n] = '\0';
            const char *q = p + n;
            while (*q == ' ')
                q++;
            if (n && *q == ':' && (q[1] == ' ' || q[1] == '\0'))
                types |= prop_type(name);
        }
    }
    return types;
}

static const char *type_name(int t)
{
    switch (t) {
    case T_FILL: return "fill";
    case T_LINE: return "line";
    case T_CIRCLE: return "circle";
    case T_SYMBOL: return "symbol";
    case T_BACKGROUND: return "background";
    default: return "?";
    }
}

static void add_lines(buf *b, const lines *L, int from, int to, const char *indent)
{
    for (int i = from; i < to; i++)
        add(b, "%s%s\n", L->text[i][0] ? indent : "", L->text[i]);
}

static void write_and_run(const buf *b, int docline, int example, const char *ext)
{
    char style[4096], png[4096];
    snprintf(style, sizeof style, "%s/example-%d.%s", out_docs, example, ext);
    snprintf(png, sizeof png, "%s/example-%d.png", out_docs, example);
    if (write_all(style, b->s) != 0) {
        fail(docline, example, "cannot write %s: %s", style, strerror(errno));
        return;
    }
    run_style(style, png, docline, example);
}

/* One example: lines [from, to) of a yaml block, whose top-level keys are
 * keys[0..nkeys). */
static void yaml_example(const lines *L, int from, int to, char keys[][64], int nkeys,
                         int *example)
{
    int docline = L->docline[from];
    int n = ++*example;
    int map = 0, layer = 0, other = 0, has_sources = 0, has_layers = 0, has_size = 0,
        has_include = 0, has_type = 0, has_id = 0, has_source = 0;
    for (int k = 0; k < nkeys; k++) {
        const char *key = keys[k];
        int m = in_set(key, map_keys) || strncmp(key, "x-", 2) == 0;
        int l = in_set(key, layer_keys);
        /* `legend` is both; the other keys decide. */
        if (strcmp(key, "legend") != 0) {
            map |= m && !l;
            layer |= l && !m;
            other |= !m && !l;
        }
        has_sources |= strcmp(key, "sources") == 0;
        has_layers |= strcmp(key, "layers") == 0;
        has_size |= strcmp(key, "size") == 0 || strcmp(key, "paper") == 0;
        has_include |= strcmp(key, "include") == 0;
        has_type |= strcmp(key, "type") == 0;
        has_id |= strcmp(key, "id") == 0;
        has_source |= strcmp(key, "source") == 0;
    }
    if (map + layer + other > 1) {
        fail(docline, n, "mixes top-level, layer and property keys; cannot tell what it is");
        return;
    }
    buf b = {0};
    if (map) {
        if (!(has_sources && has_layers)) {
            if (!has_include)
                add(&b, "include: harness.yaml\n");
            if (!has_size)
                add(&b, MAP_SIZE);
        }
        add_lines(&b, L, from, to, "");
        write_and_run(&b, docline, n, "yaml");
        free(b.s);
        return;
    }
    int types = types_named(L, from, to);
    if (types & (types - 1)) {
        buf names = {0};
        for (int t = 1; t <= T_BACKGROUND; t <<= 1)
            if (types & t)
                add(&names, "%s%s", names.len ? " and " : "", type_name(t));
        fail(docline, n, "mixes properties of %s layers; a layer takes one type's", names.s);
        free(names.s);
        return;
    }
    add(&b, "include: harness.yaml\n" MAP_SIZE "layers:\n");
    if (has_id)
        add(&b, "  -\n");
    else
        add(&b, "  - id: example-%d\n", n);
    if (!has_type)
        add(&b, "    type: %s\n", types ? type_name(types) : "line");
    if (!has_source && types != T_BACKGROUND)
        add(&b, "    source: places\n");
    if (layer) {
        add_lines(&b, L, from, to, "    ");
    } else {
        /* Properties: each into paint or layout. */
        for (int pass = 0; pass < 2; pass++) {
            int any = 0;
            for (int i = from; i < to; i++) {
                char key[64];
                if (!is_top(L->text[i]) || !top_key(L->text[i], key, sizeof key) ||
                    is_layout(key) != pass)
                    continue;
                int end = i + 1;
                while (end < to && !is_top(L->text[end]))
                    end++;
                if (!any++)
                    add(&b, "    %s:\n", pass ? "layout" : "paint");
                add_lines(&b, L, i, end, "      ");
            }
        }
    }
    write_and_run(&b, docline, n, "yaml");
    free(b.s);
}

static void yaml_block(const lines *L, int from, int to, int *example)
{
    int first = -1;
    for (int i = from; i < to && first < 0; i++)
        if (is_top(L->text[i]))
            first = i;
    if (first < 0) {
        fail(L->docline[from], 0, "yaml block holds nothing");
        return;
    }
    if (L->text[first][0] == '-') {
        int n = ++*example;
        buf b = {0};
        add(&b, "include: harness.yaml\n" MAP_SIZE "layers:\n");
        add_lines(&b, L, from, to, "  ");
        write_and_run(&b, L->docline[first], n, "yaml");
        free(b.s);
        return;
    }
    char keys[MAX_KEYS][64];
    int at[MAX_KEYS], nkeys = 0, repeats = 0;
    for (int i = first; i < to; i++) {
        if (!is_top(L->text[i]))
            continue;
        if (nkeys == MAX_KEYS || !top_key(L->text[i], keys[nkeys], sizeof keys[0])) {
            fail(L->docline[i], 0, "not a 'key: value' line at the top of a yaml block");
            return;
        }
        for (int k = 0; k < nkeys; k++)
            repeats |= strcmp(keys[k], keys[nkeys]) == 0;
        at[nkeys++] = i;
    }
    if (!repeats) {
        yaml_example(L, from, to, keys, nkeys, example);
        return;
    }
    /* Alternatives shown together: each entry on its own. */
    for (int k = 0; k < nkeys; k++)
        yaml_example(L, at[k], k + 1 < nkeys ? at[k + 1] : to, &keys[k], 1, example);
}

static void json_block(const lines *L, int from, int to, int *example)
{
    buf b = {0};
    add_lines(&b, L, from, to, "");
    int docline = L->docline[from];
    json_tokener *tok = json_tokener_new();
    if (!tok)
        abort();
    json_object *root = json_tokener_parse_ex(tok, b.s ? b.s : "", (int)b.len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    if (!root || err != json_tokener_success) {
        fail(docline, 0, "json example does not parse: %s", json_tokener_error_desc(err));
    } else if (json_object_is_type(root, json_type_object) &&
               json_object_object_get_ex(root, "version", NULL) &&
               json_object_object_get_ex(root, "layers", NULL)) {
        write_and_run(&b, docline, ++*example, "json");
    } else {
        printf("%s:%d: json fragment parses\n", DOC, docline);
        parsed++;
    }
    json_object_put(root);
    json_tokener_free(tok);
    free(b.s);
}

/* The operator table's examples, evaluated on a Polygon feature with id 7
 * at zoom 11 whose attributes are name "Luojing", name_zh null, kind
 * "park", pop 98000, code "lj", rank 30, area 144 and width 3 (and no
 * `closed`). Expected: "n:NUMBER", "s:TEXT", "b:0|1", "c:R,G,B,A" (0..1). */
static const struct {
    const char *example, *expect;
} table_values[] = {
    {"[get, name]", "s:Luojing"},
    {"[has, name]", "b:1"},
    {"[\"==\", [geometry-type], Polygon]", "b:1"},
    {"[id]", "n:7"},
    {"[zoom]", "n:11"},
    {"[in, [get, kind], [literal, [hub, park]]]", "b:1"},
    {"[\">=\", [get, pop], 100000]", "b:0"},
    {"[all, [has, name], [\"!\", [has, closed]]]", "b:1"},
    {"[in, [get, kind], [literal, [a, b]]]", "b:0"},
    {"[in, \"Lu\", [get, name]]", "b:1"},
    {"[match, [get, kind], [hub, station], 8, park, 5, 3]", "n:5"},
    {"[case, [\"<\", [get, pop], 1000], small, large]", "s:large"},
    {"[coalesce, [get, name_zh], [get, name], \"?\"]", "s:Luojing"},
    {"[step, [get, rank], \"#d62728\", 25, \"#ff7f0e\", 100, \"#1f77b4\"]", "s:#ff7f0e"},
    {"[interpolate, [linear], [zoom], 10, 1, 16, 6]", "n:1.8333333333333333"},
    {"[interpolate, [exponential, 2], [zoom], 10, 1, 16, 6]", "n:1.0793650793650793"},
    {"[concat, [upcase, [get, code]], \" \", [get, name]]", "s:LJ Luojing"},
    {"[to-number, [get, pop], 0]", "n:98000"},
    {"[number-format, [get, area], {min-fraction-digits: 1, max-fraction-digits: 1}]",
     "s:144.0"},
    {"[number, [get, pop], 0]", "n:98000"},
    {"[\"*\", [get, width], 2]", "n:6"},
    {"[max, 1, [sqrt, [get, area]]]", "n:12"},
    {"[sin, [\"*\", [pi], 0.5]]", "n:1"},
    {"[length, [get, name]]", "n:7"},
    {"[rgba, 255, 0, 0, 0.5]", "c:1,0,0,0.5"},
};

static int same_number(double a, double b)
{
    return fabs(a - b) <= 1e-12 * (1 + fabs(b));
}

/* Whether v is what expect says. */
static int value_is(const dl_expr_value *v, const char *expect)
{
    const char *x = expect + 2;
    switch (expect[0]) {
    case 'n': return v->type == DL_EXPR_NUMBER && same_number(v->num, strtod(x, NULL));
    case 's': return v->type == DL_EXPR_STRING && strcmp(v->str, x) == 0;
    case 'b': return v->type == DL_EXPR_BOOLEAN && v->boolean == (x[0] == '1');
    case 'c': {
        double c[4];
        return sscanf(x, "%lf,%lf,%lf,%lf", &c[0], &c[1], &c[2], &c[3]) == 4 &&
               v->type == DL_EXPR_COLOR && same_number(v->color.r, c[0]) &&
               same_number(v->color.g, c[1]) && same_number(v->color.b, c[2]) &&
               same_number(v->color.a, c[3]);
    }
    default: return 0;
    }
}

static void show_value(const dl_expr_value *v, char *out, size_t size)
{
    switch (v->type) {
    case DL_EXPR_NUMBER: snprintf(out, size, "n:%.17g", v->num); break;
    case DL_EXPR_STRING: snprintf(out, size, "s:%s", v->str); break;
    case DL_EXPR_BOOLEAN: snprintf(out, size, "b:%d", v->boolean); break;
    case DL_EXPR_COLOR:
        snprintf(out, size, "c:%g,%g,%g,%g", v->color.r, v->color.g, v->color.b, v->color.a);
        break;
    default: snprintf(out, size, "type %d", (int)v->type); break;
    }
}

/* One inline example of the table: compiled, evaluated, compared. */
static void table_example(const char *example, int docline, int *used)
{
    static const dl_field fields[] = {
        {"name", DL_VAL_STRING, 40, 0}, {"name_zh", DL_VAL_STRING, 40, 0},
        {"kind", DL_VAL_STRING, 20, 0}, {"pop", DL_VAL_INT, 10, 0},
        {"code", DL_VAL_STRING, 10, 0}, {"rank", DL_VAL_INT, 10, 0},
        {"area", DL_VAL_DOUBLE, 10, 2}, {"width", DL_VAL_DOUBLE, 10, 2},
    };
    static const dl_value values[] = {
        {DL_VAL_STRING, "Luojing", 0, 0}, {DL_VAL_NULL, NULL, 0, 0},
        {DL_VAL_STRING, "park", 0, 0},    {DL_VAL_INT, NULL, 98000, 0},
        {DL_VAL_STRING, "lj", 0, 0},      {DL_VAL_INT, NULL, 30, 0},
        {DL_VAL_DOUBLE, NULL, 0, 144},    {DL_VAL_DOUBLE, NULL, 0, 3},
    };
    const size_t nfields = sizeof fields / sizeof fields[0];
    const char *expect = NULL;
    for (size_t k = 0; k < sizeof table_values / sizeof table_values[0] && !expect; k++)
        if (strcmp(table_values[k].example, example) == 0) {
            expect = table_values[k].expect;
            used[k] = 1;
        }
    dline_ctx *ctx = dline_ctx_new();
    dl_yaml_doc *doc = NULL;
    dl_expr *e = NULL;
    if (!ctx)
        abort();
    if (dl_yaml_parse(ctx, DOC, example, strlen(example), NULL, &doc) != DLINE_OK ||
        dl_expr_compile(ctx, DOC, dl_yaml_root(doc), DL_EXPR_ANY, &e) != DLINE_OK) {
        fail(docline, 0, "operator table: `%s` does not compile: %s", example,
             dline_ctx_message(ctx));
    } else if (!expect) {
        fail(docline, 0, "operator table: `%s` compiles; state what it gives in "
                         "tests/docs/doc_examples.c's table_values", example);
    } else {
        dl_expr_bind(e, fields, nfields);
        dl_expr_env env = {values, nfields, 11, "Polygon", 7};
        dl_expr_scratch scratch = {0};
        dl_expr_value v;
        char got[256];
        if (dl_expr_eval(e, &env, &scratch, &v) != 0)
            fail(docline, 0, "operator table: `%s` fails at run time, expected %s", example,
                 expect);
        else if (!value_is(&v, expect)) {
            show_value(&v, got, sizeof got);
            fail(docline, 0, "operator table: `%s` gives %s, expected %s", example, got, expect);
        } else {
            printf("%s:%d: `%s` gives %s\n", DOC, docline, example, expect);
            table_checked++;
        }
        dl_expr_scratch_free(&scratch);
    }
    dl_expr_free(e);
    dl_yaml_doc_free(doc);
    dline_ctx_free(ctx);
}

/* The table under "| operator | gives | example |": each `[...]` of its
 * example column. text is the doc, not modified. */
static void expression_table(const char *text)
{
    int used[sizeof table_values / sizeof table_values[0]] = {0};
    const char *header = strstr(text, "\n| operator | gives | example |\n");
    if (!header) {
        fail(1, 0, "no expression operator table ('| operator | gives | example |')");
        return;
    }
    int docline = 2;
    for (const char *p = text; p < header; p++)
        docline += *p == '\n';
    const char *line = strchr(header + 1, '\n') + 1;
    for (; *line == '|'; docline++) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        /* The example column: after the third '|'. */
        const char *col = line;
        for (int bars = 0; col < end && bars < 3; col++)
            bars += *col == '|';
        for (const char *q = col; q < end; q++) {
            if (q[0] != '`' || q[1] != '[')
                continue;
            const char *close = memchr(q + 1, '`', (size_t)(end - q - 1));
            if (!close)
                break;
            char example[512];
            snprintf(example, sizeof example, "%.*s", (int)(close - q - 1), q + 1);
            table_example(example, docline, used);
            q = close;
        }
        line = *end ? end + 1 : end;
    }
    for (size_t k = 0; k < sizeof table_values / sizeof table_values[0]; k++)
        if (!used[k])
            fail(docline, 0, "operator table: `%s` is no longer an example there; update "
                             "table_values", table_values[k].example);
}

/* Replaces what is at link with a symlink to target. */
static int relink(const char *target, const char *link)
{
    if (unlink(link) != 0 && errno != ENOENT)
        return -1;
    return symlink(target, link);
}

static int copy_file(const char *from, const char *to)
{
    char *text = read_all(from);
    int rc = text ? write_all(to, text) : -1;
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: doc_examples SOURCE_DIR OUT_DIR\n");
        return 2;
    }
    const char *src = argv[1], *out = argv[2];
    static char path[4096], path2[4096], docs[4096];
    snprintf(docs, sizeof docs, "%s/docs", out);
    out_docs = docs;
    if ((mkdir(out, 0777) != 0 && errno != EEXIST) || (mkdir(docs, 0777) != 0 && errno != EEXIST)) {
        fprintf(stderr, "doc_examples: cannot create %s: %s\n", docs, strerror(errno));
        return 1;
    }
    static const char *const linked[] = {"geodata", "styles", "tests"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", src, linked[i]);
        snprintf(path2, sizeof path2, "%s/%s", out, linked[i]);
        if (relink(path, path2) != 0) {
            fprintf(stderr, "doc_examples: cannot link %s: %s\n", path2, strerror(errno));
            return 1;
        }
    }
    static const char *const copied[] = {"harness.yaml", "house.yaml"};
    for (size_t i = 0; i < 2; i++) {
        if (snprintf(path, sizeof path, "%s/tests/docs/%s", src, copied[i]) >= (int)sizeof path ||
            snprintf(path2, sizeof path2, "%s/%s", docs, copied[i]) >= (int)sizeof path2 ||
            copy_file(path, path2) != 0) {
            fprintf(stderr, "doc_examples: cannot copy %s to %s\n", path, path2);
            return 1;
        }
    }

    snprintf(path, sizeof path, "%s/%s", src, DOC);
    char *text = read_all(path);
    if (!text) {
        fprintf(stderr, "doc_examples: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }
    expression_table(text);
    lines *L = calloc(1, sizeof *L);
    if (!L)
        return 1;
    int example = 0, blocks = 0, docline = 0;
    int in = 0; /* 0 outside a block, 1 in yaml, 2 in json, 3 in another */
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        docline++;
        if (!in && strncmp(line, "```", 3) == 0) {
            in = strcmp(line + 3, "yaml") == 0 ? 1 : strcmp(line + 3, "json") == 0 ? 2 : 3;
            L->n = 0;
            continue;
        }
        if (in && strcmp(line, "```") == 0) {
            if (in == 1 || in == 2) {
                blocks++;
                if (L->n == 0)
                    fail(docline, 0, "empty example");
                else if (in == 1)
                    yaml_block(L, 0, L->n, &example);
                else
                    json_block(L, 0, L->n, &example);
            }
            in = 0;
            continue;
        }
        if (in == 1 || in == 2) {
            if (L->n == MAX_LINES) {
                fail(docline, 0, "example longer than %d lines", MAX_LINES);
                in = 3;
                continue;
            }
            L->text[L->n] = line;
            L->docline[L->n++] = docline;
        }
    }
    if (in)
        fail(docline, 0, "code block not closed");
    if (blocks == 0)
        fail(1, 0, "no ```yaml or ```json block found");
    printf("%d blocks: %d examples rendered, %d json fragments parsed, %d operator table "
           "examples evaluated, %d failures\n",
           blocks, rendered, parsed, table_checked, failures);
    free(L);
    free(text);
    return failures ? 1 : 0;
}
