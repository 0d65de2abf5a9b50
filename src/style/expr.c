/* The expression engine: MapLibre's expression syntax, type-checked when the
 * style is read and evaluated per feature by a small recursive interpreter
 * whose depth the compiler bounds. */
#include "style/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NOARG UINT32_MAX

enum {
    USES_ZOOM = 1,
    USES_FEATURE = 2
};

typedef enum {
    OP_LIT, OP_GET, OP_HAS, OP_GEOMTYPE, OP_ID, OP_ZOOM,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_ALL, OP_ANY, OP_NOT, OP_IN, OP_MATCH, OP_CASE, OP_COALESCE,
    OP_CONCAT, OP_UPCASE, OP_DOWNCASE, OP_TO_STRING, OP_TO_NUMBER, OP_TO_BOOLEAN,
    OP_TO_COLOR, OP_NUMBER_FORMAT, OP_STEP, OP_INTERPOLATE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_MIN, OP_MAX,
    OP_ABS, OP_CEIL, OP_FLOOR, OP_ROUND, OP_SQRT, OP_LN, OP_LOG10, OP_LOG2,
    OP_SIN, OP_COS, OP_TAN, OP_ASIN, OP_ACOS, OP_ATAN, OP_PI, OP_E, OP_LN2,
    OP_LENGTH, OP_RGB, OP_RGBA, OP_ASSERT,
    /* legacy filters, with dline's documented comparison rules */
    OP_LEGACY_CMP, OP_LEGACY_IN, OP_LEGACY_HAS
} opcode;

/* The compiled form is a flat array of nodes in one allocation with the
 * argument lists, literal values, stop inputs, field references and
 * strings: an expression is compiled once per style and evaluated once per
 * feature, so keeping it contiguous keeps evaluation cache-friendly and
 * freeing it one call, and indices instead of pointers let the builder
 * grow its arrays before the final copy. */
typedef struct {
    unsigned char op;
    unsigned char type;  /* static result type */
    unsigned char sub;   /* ASSERT: target type; LEGACY_CMP: comparison; GET: field kind */
    uint32_t arg, nargs; /* children are args[arg .. arg + nargs) */
    uint32_t aux, naux;  /* LIT: vals[aux]; GET/HAS: refs[aux]; STEP/INTERPOLATE:
                            nums[aux .. aux + naux); MATCH: labels; LEGACY: vals */
    double num;          /* INTERPOLATE: exponential base */
    int line, col;
} enode;

typedef struct {
    const char *name;
    long index; /* into the bound fields, -1: reads as null */
    int line, col;
} ref;

typedef struct {
    uint32_t val;    /* the label value, in vals */
    uint32_t branch; /* which output */
} label;

struct dl_expr {
    uint32_t root;
    unsigned flags;
    dl_expr_type want;
    enode *nodes; size_t nnodes;
    uint32_t *args; size_t nargs;
    dl_expr_value *vals; size_t nvals;
    double *nums; size_t nnums;
    ref *refs; size_t nrefs;
    label *labels; size_t nlabels;
    char *strings; size_t nstrings;
};

/* Compiling */

typedef struct {
    dline_ctx *ctx;
    const char *path;
    int depth;
    unsigned flags;
    int failed_nomem;
    enode *nodes; size_t nnodes, cnodes;
    uint32_t *args; size_t nargs, cargs;
    dl_expr_value *vals; size_t nvals, cvals;
    size_t *val_str; /* per value: offset of its string + 1, or 0 */
    size_t *val_items; /* per value: index of its first item + 1, or 0 */
    size_t cval_aux;
    double *nums; size_t nnums, cnums;
    ref *refs; size_t nrefs, crefs;
    size_t *ref_name;
    size_t cref_aux;
    label *labels; size_t nlabels, clabels;
    char *strings; size_t nstrings, cstrings;
} compiler;

static const char *type_name(dl_expr_type t)
{
    switch (t) {
    case DL_EXPR_NULL: return "null";
    case DL_EXPR_ANY: return "value";
    case DL_EXPR_NUMBER: return "number";
    case DL_EXPR_STRING: return "string";
    case DL_EXPR_BOOLEAN: return "boolean";
    case DL_EXPR_COLOR: return "color";
    case DL_EXPR_ARRAY: return "array";
    }
    return "value";
}

static dline_status fail(compiler *c, const dl_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dline_status fail(compiler *c, const dl_yaml_node *at, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dl_error(c->ctx, DLINE_ESTYLE, c->path, at ? at->line : 0, at ? at->col : 0, "%s",
                    msg);
}

static dline_status no_memory(compiler *c)
{
    return dl_error(c->ctx, DLINE_ENOMEM, c->path, 0, 0, "out of memory");
}

/* User text quoted in a message is cut at a character boundary. */
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

/* Grows an array to hold one more element; 0 or -1. */
static int grow(void **p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *q = dl_realloc_array(*p, nc, size);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static dline_status new_node(compiler *c, const dl_yaml_node *at, opcode op, dl_expr_type type,
                             uint32_t *out)
{
    if (c->nnodes >= DL_EXPR_MAX_NODES)
        return fail(c, at, "expression has more than %d parts", DL_EXPR_MAX_NODES);
    if (grow((void **)&c->nodes, c->nnodes, &c->cnodes, sizeof *c->nodes) != 0)
        return no_memory(c);
    enode *n = &c->nodes[c->nnodes];
    memset(n, 0, sizeof *n);
    n->op = (unsigned char)op;
    n->type = (unsigned char)type;
    n->line = at ? at->line : 0;
    n->col = at ? at->col : 0;
    *out = (uint32_t)c->nnodes++;
    return DLINE_OK;
}

/* Reserves count argument slots for node i (filled later by index). */
static dline_status reserve_args(compiler *c, uint32_t i, size_t count)
{
    if (count > DL_EXPR_MAX_NODES)
        return no_memory(c);
    while (c->nargs + count > c->cargs) {
        size_t nc = c->cargs ? c->cargs * 2 : 16;
        uint32_t *q = dl_realloc_array(c->args, nc, sizeof *q);
        if (!q)
            return no_memory(c);
        c->args = q;
        c->cargs = nc;
    }
    c->nodes[i].arg = (uint32_t)c->nargs;
    c->nodes[i].nargs = (uint32_t)count;
    for (size_t k = 0; k < count; k++)
        c->args[c->nargs + k] = NOARG;
    c->nargs += count;
    return DLINE_OK;
}

static dline_status add_string(compiler *c, const char *s, size_t len, size_t *off)
{
    if (len > SIZE_MAX / 2 - c->nstrings)
        return no_memory(c);
    if (c->nstrings + len + 1 > c->cstrings) {
        size_t nc = c->cstrings ? c->cstrings : 256;
        while (nc < c->nstrings + len + 1)
            nc *= 2;
        char *q = realloc(c->strings, nc);
        if (!q)
            return no_memory(c);
        c->strings = q;
        c->cstrings = nc;
    }
    memcpy(c->strings + c->nstrings, s, len);
    c->strings[c->nstrings + len] = '\0';
    *off = c->nstrings;
    c->nstrings += len + 1;
    return DLINE_OK;
}

static dline_status add_value(compiler *c, const dl_expr_value *v, const char *str,
                              uint32_t *out)
{
    if (grow((void **)&c->vals, c->nvals, &c->cvals, sizeof *c->vals) != 0)
        return no_memory(c);
    if (c->cval_aux < c->cvals) {
        size_t *a = dl_realloc_array(c->val_str, c->cvals, sizeof *a);
        if (a)
            c->val_str = a;
        size_t *b = dl_realloc_array(c->val_items, c->cvals, sizeof *b);
        if (b)
            c->val_items = b;
        if (!a || !b)
            return no_memory(c);
        c->cval_aux = c->cvals;
    }
    size_t i = c->nvals;
    c->vals[i] = *v;
    c->val_str[i] = 0;
    c->val_items[i] = 0;
    if (v->type == DL_EXPR_STRING) {
        size_t off;
        dline_status st = add_string(c, str, v->len, &off);
        if (st != DLINE_OK)
            return st;
        c->val_str[i] = off + 1;
    }
    c->nvals++;
    *out = (uint32_t)i;
    return DLINE_OK;
}

static dline_status add_ref(compiler *c, const dl_yaml_node *name, uint32_t *out)
{
    if (grow((void **)&c->refs, c->nrefs, &c->crefs, sizeof *c->refs) != 0)
        return no_memory(c);
    if (c->cref_aux < c->crefs) {
        size_t *a = dl_realloc_array(c->ref_name, c->crefs, sizeof *a);
        if (!a)
            return no_memory(c);
        c->ref_name = a;
        c->cref_aux = c->crefs;
    }
    size_t off = 0;
    dline_status st = add_string(c, name->text, name->len, &off);
    if (st != DLINE_OK)
        return st;
    c->refs[c->nrefs] = (ref){NULL, -1, name->line, name->col};
    c->ref_name[c->nrefs] = off;
    *out = (uint32_t)c->nrefs++;
    c->flags |= USES_FEATURE;
    return DLINE_OK;
}

static dline_status add_num(compiler *c, double v)
{
    if (grow((void **)&c->nums, c->nnums, &c->cnums, sizeof *c->nums) != 0)
        return no_memory(c);
    c->nums[c->nnums++] = v;
    return DLINE_OK;
}

static int is_scalar(const dl_yaml_node *n)
{
    return n && n->kind == DL_YAML_SCALAR;
}

/* A YAML scalar as JSON would read it: plain null, true, false and numbers
 * are typed; everything else (and anything quoted) is a string. */
static dl_expr_value scalar_value(const dl_yaml_node *n)
{
    dl_expr_value v = {0};
    if (n->plain) {
        double d;
        if (dl_yaml_is_null(n))
            return v;
        if (strcmp(n->text, "true") == 0 || strcmp(n->text, "false") == 0) {
            v.type = DL_EXPR_BOOLEAN;
            v.boolean = n->text[0] == 't';
            return v;
        }
        if (dl_style_number(n->text, n->len, &d) == 0) {
            v.type = DL_EXPR_NUMBER;
            v.num = d;
            return v;
        }
    }
    v.type = DL_EXPR_STRING;
    v.str = n->text;
    v.len = n->len;
    return v;
}

static int is_string_scalar(const dl_yaml_node *n)
{
    return is_scalar(n) && scalar_value(n).type == DL_EXPR_STRING;
}

static dline_status literal_node(compiler *c, const dl_yaml_node *at, const dl_expr_value *v,
                                 uint32_t *out)
{
    uint32_t vi = 0;
    dline_status st = add_value(c, v, v->str, &vi);
    if (st == DLINE_OK)
        st = new_node(c, at, OP_LIT, v->type, out);
    if (st == DLINE_OK)
        c->nodes[*out].aux = vi;
    return st;
}

/* ["literal", [a, b, ...]]: the items are stored right after the array's
 * own value so that items can point at them. */
static dline_status literal_array(compiler *c, const dl_yaml_node *seq, uint32_t *out)
{
    if (seq->n > DL_EXPR_MAX_ARRAY)
        return fail(c, seq, "a literal array has more than %d items", DL_EXPR_MAX_ARRAY);
    dl_expr_value arr = {0};
    arr.type = DL_EXPR_ARRAY;
    arr.len = seq->n;
    uint32_t ai;
    dline_status st = add_value(c, &arr, NULL, &ai);
    if (st != DLINE_OK)
        return st;
    c->val_items[ai] = (size_t)ai + 2;
    for (size_t i = 0; i < seq->n; i++) {
        const dl_yaml_node *it = seq->items[i];
        if (!is_scalar(it))
            return fail(c, it, "literal arrays may hold numbers, strings, booleans and null, "
                               "not lists or objects");
        dl_expr_value v = scalar_value(it);
        uint32_t vi;
        st = add_value(c, &v, v.str, &vi);
        if (st != DLINE_OK)
            return st;
    }
    st = new_node(c, seq, OP_LIT, DL_EXPR_ARRAY, out);
    if (st == DLINE_OK)
        c->nodes[*out].aux = ai;
    return st;
}

static dline_status compile_any(compiler *c, const dl_yaml_node *n, dl_expr_type expected,
                                uint32_t *out, dl_expr_type *type);

/* Wraps node i (of static type have, written at n) so that it gives `want`:
 * MapLibre's "assert" annotation for number, string, boolean and array, its
 * "coerce" for colours (and strings at the top of a string property). */
static dline_status annotate(compiler *c, const dl_yaml_node *n, uint32_t *i, dl_expr_type have,
                             dl_expr_type want, int coerce_string)
{
    if (want == DL_EXPR_ANY || have == want)
        return DLINE_OK;
    opcode op;
    if (have == DL_EXPR_ANY) {
        op = want == DL_EXPR_COLOR                          ? OP_TO_COLOR
             : want == DL_EXPR_STRING && coerce_string      ? OP_TO_STRING
                                                            : OP_ASSERT;
    } else if (want == DL_EXPR_COLOR && have == DL_EXPR_STRING) {
        op = OP_TO_COLOR;
        enode *lit = &c->nodes[*i];
        if (lit->op == OP_LIT) {
            /* A literal colour is parsed now, so a typo is a style error
             * with its line instead of a silent default at render time. */
            dl_expr_value *v = &c->vals[lit->aux];
            const char *s = c->strings + c->val_str[lit->aux] - 1;
            dl_color col;
            if (dl_color_parse(s, &col) != 0) {
                char b[80];
                return fail(c, n, "'%s' is not a colour", shown(s, b, sizeof b));
            }
            v->type = DL_EXPR_COLOR;
            v->color = col;
            v->len = 0;
            c->val_str[lit->aux] = 0;
            lit->type = DL_EXPR_COLOR;
            return DLINE_OK;
        }
    } else {
        return fail(c, n, "expected %s but found %s instead", type_name(want), type_name(have));
    }
    uint32_t w;
    dline_status st = new_node(c, n, op, want, &w);
    if (st == DLINE_OK)
        st = reserve_args(c, w, 1);
    if (st != DLINE_OK)
        return st;
    c->args[c->nodes[w].arg] = *i;
    c->nodes[w].sub = (unsigned char)want;
    *i = w;
    return DLINE_OK;
}

/* Compiles n expecting `want` and annotates it to give that. */
static dline_status compile_as(compiler *c, const dl_yaml_node *n, dl_expr_type want,
                               uint32_t *out)
{
    dl_expr_type t;
    dline_status st = compile_any(c, n, want, out, &t);
    if (st == DLINE_OK)
        st = annotate(c, n, out, t, want, 0);
    return st;
}

typedef struct {
    const char *name;
    opcode op;
    int min, max; /* argument counts; max -1: any number */
} op_info;

static const op_info ops[] = {
    {"literal", OP_LIT, 1, 1},           {"get", OP_GET, 1, 2},
    {"has", OP_HAS, 1, 2},               {"geometry-type", OP_GEOMTYPE, 0, 0},
    {"id", OP_ID, 0, 0},                 {"zoom", OP_ZOOM, 0, 0},
    {"==", OP_EQ, 2, 2},                 {"!=", OP_NE, 2, 2},
    {"<", OP_LT, 2, 2},                  {"<=", OP_LE, 2, 2},
    {">", OP_GT, 2, 2},                  {">=", OP_GE, 2, 2},
    {"all", OP_ALL, 0, -1},              {"any", OP_ANY, 0, -1},
    {"!", OP_NOT, 1, 1},                 {"in", OP_IN, 2, 2},
    {"match", OP_MATCH, 4, -1},          {"case", OP_CASE, 3, -1},
    {"coalesce", OP_COALESCE, 1, -1},    {"concat", OP_CONCAT, 0, -1},
    {"upcase", OP_UPCASE, 1, 1},         {"downcase", OP_DOWNCASE, 1, 1},
    {"to-string", OP_TO_STRING, 1, 1},   {"to-number", OP_TO_NUMBER, 1, -1},
    {"to-boolean", OP_TO_BOOLEAN, 1, 1}, {"to-color", OP_TO_COLOR, 1, -1},
    {"number-format", OP_NUMBER_FORMAT, 2, 2},
    {"step", OP_STEP, 4, -1},            {"interpolate", OP_INTERPOLATE, 4, -1},
    {"+", OP_ADD, 0, -1},                {"-", OP_SUB, 1, 2},
    {"*", OP_MUL, 0, -1},                {"/", OP_DIV, 2, 2},
    {"%", OP_MOD, 2, 2},                 {"^", OP_POW, 2, 2},
    {"min", OP_MIN, 0, -1},              {"max", OP_MAX, 0, -1},
    {"abs", OP_ABS, 1, 1},               {"ceil", OP_CEIL, 1, 1},
    {"floor", OP_FLOOR, 1, 1},           {"round", OP_ROUND, 1, 1},
    {"sqrt", OP_SQRT, 1, 1},             {"ln", OP_LN, 1, 1},
    {"log10", OP_LOG10, 1, 1},           {"log2", OP_LOG2, 1, 1},
    {"sin", OP_SIN, 1, 1},               {"cos", OP_COS, 1, 1},
    {"tan", OP_TAN, 1, 1},               {"asin", OP_ASIN, 1, 1},
    {"acos", OP_ACOS, 1, 1},             {"atan", OP_ATAN, 1, 1},
    {"pi", OP_PI, 0, 0},                 {"e", OP_E, 0, 0},
    {"ln2", OP_LN2, 0, 0},               {"length", OP_LENGTH, 1, 1},
    {"rgb", OP_RGB, 3, 3},               {"rgba", OP_RGBA, 4, 4},
    {"string", OP_ASSERT, 1, -1},        {"number", OP_ASSERT, 1, -1},
    {"boolean", OP_ASSERT, 1, -1},
};

/* MapLibre operators dline does not implement: named as such rather than
 * as unknown, so the message says what is missing. */
static const char *const unsupported[] = {
    "let", "var", "at", "index-of", "slice", "format", "image", "collator",
    "resolved-locale", "is-supported-script", "feature-state", "line-progress",
    "heatmap-density", "accumulated", "within", "distance", "interpolate-hcl",
    "interpolate-lab", "to-rgba", "typeof", "object", "array", "properties",
    "global-state", "elevation",
};

static int is_unsupported(const char *name)
{
    for (size_t i = 0; i < COUNT(unsupported); i++)
        if (strcmp(unsupported[i], name) == 0)
            return 1;
    return 0;
}

int dl_expr_is_operator(const char *name)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, name) == 0)
            return 1;
    return is_unsupported(name);
}

const char *dl_expr_operator(size_t i)
{
    return i < COUNT(ops) ? ops[i].name : NULL;
}

const dl_yaml_node *dl_expr_find_unsupported(const dl_yaml_node *n)
{
    if (!n || n->kind != DL_YAML_SEQUENCE || n->n == 0 || !is_string_scalar(n->items[0]))
        return NULL;
    const char *name = n->items[0]->text;
    if (is_unsupported(name))
        return n->items[0];
    if (strcmp(name, "literal") == 0)
        return NULL;
    /* match labels are values (["image", "x"] there is two strings): only
     * the input, the outputs and the fallback are expressions. */
    int match = strcmp(name, "match") == 0;
    if (strcmp(name, "interpolate") == 0 && n->n > 1 && n->items[1]->kind == DL_YAML_SEQUENCE &&
        n->items[1]->n > 0 && is_scalar(n->items[1]->items[0]) &&
        strcmp(n->items[1]->items[0]->text, "cubic-bezier") == 0)
        return n->items[1]->items[0];
    for (size_t i = 1; i < n->n; i++) {
        if (match && i >= 2 && i % 2 == 0 && i + 1 < n->n)
            continue;
        const dl_yaml_node *u = dl_expr_find_unsupported(n->items[i]);
        if (u)
            return u;
    }
    return NULL;
}

static dline_status arity_error(compiler *c, const dl_yaml_node *n, const op_info *o,
                                size_t nargs)
{
    if (o->min == o->max)
        return fail(c, n, "'%s' takes %d argument%s, found %zu", o->name, o->min,
                    o->min == 1 ? "" : "s", nargs);
    if (o->max < 0)
        return fail(c, n, "'%s' takes at least %d argument%s, found %zu", o->name, o->min,
                    o->min == 1 ? "" : "s", nargs);
    return fail(c, n, "'%s' takes %d to %d arguments, found %zu", o->name, o->min, o->max,
                nargs);
}

/* Compiles args[from ..] of n as the children of node i, each as `want`. */
static dline_status compile_children(compiler *c, const dl_yaml_node *n, uint32_t i,
                                     size_t from, dl_expr_type want)
{
    size_t count = n->n - from;
    dline_status st = reserve_args(c, i, count);
    uint32_t base = c->nodes[i].arg;
    for (size_t k = 0; k < count && st == DLINE_OK; k++) {
        uint32_t child;
        st = compile_as(c, n->items[from + k], want, &child);
        if (st == DLINE_OK)
            c->args[base + k] = child;
    }
    return st;
}

/* The output type of branching expressions: the expected type, else the
 * first branch's; a first branch of unknown type or null leaves it open. */
static dl_expr_type branch_type(dl_expr_type expected, dl_expr_type first)
{
    if (expected != DL_EXPR_ANY)
        return expected;
    return first == DL_EXPR_NULL ? DL_EXPR_ANY : first;
}

static dline_status compile_comparison(compiler *c, const dl_yaml_node *n, const op_info *o,
                                       uint32_t i)
{
    int ordering = o->op != OP_EQ && o->op != OP_NE;
    dline_status st = reserve_args(c, i, 2);
    if (st != DLINE_OK)
        return st;
    uint32_t a[2];
    dl_expr_type t[2];
    for (int k = 0; k < 2; k++) {
        st = compile_any(c, n->items[1 + k], DL_EXPR_ANY, &a[k], &t[k]);
        if (st != DLINE_OK)
            return st;
        int ok = ordering ? t[k] == DL_EXPR_STRING || t[k] == DL_EXPR_NUMBER || t[k] == DL_EXPR_ANY
                          : t[k] != DL_EXPR_COLOR && t[k] != DL_EXPR_ARRAY;
        if (!ok)
            return fail(c, n->items[1 + k], "'%s' comparisons are not supported for type '%s'",
                        o->name, type_name(t[k]));
    }
    if (t[0] != t[1] && t[0] != DL_EXPR_ANY && t[1] != DL_EXPR_ANY)
        return fail(c, n, "cannot compare types '%s' and '%s'", type_name(t[0]),
                    type_name(t[1]));
    if (ordering && t[0] != t[1]) {
        /* (value, T) asserts the value is a T, as MapLibre does. */
        int k = t[0] == DL_EXPR_ANY ? 0 : 1;
        st = annotate(c, n->items[1 + k], &a[k], DL_EXPR_ANY, t[1 - k], 0);
        if (st != DLINE_OK)
            return st;
    }
    c->args[c->nodes[i].arg] = a[0];
    c->args[c->nodes[i].arg + 1] = a[1];
    return DLINE_OK;
}

static dline_status compile_match(compiler *c, const dl_yaml_node *n, dl_expr_type expected,
                                  uint32_t i)
{
    size_t nargs = n->n - 1;
    if (nargs % 2 != 0)
        return fail(c, n, "'match' takes an even number of arguments, found %zu", nargs);
    size_t nbranches = (nargs - 2) / 2;
    /* args: input, output 1..k, fallback */
    dline_status st = reserve_args(c, i, nbranches + 2);
    if (st != DLINE_OK)
        return st;
    uint32_t base = c->nodes[i].arg;
    dl_expr_type label_type = DL_EXPR_NULL, out_type = expected;
    c->nodes[i].aux = (uint32_t)c->nlabels;
    for (size_t b = 0; b < nbranches; b++) {
        const dl_yaml_node *lab = n->items[2 + 2 * b];
        const dl_yaml_node *const *items = (const dl_yaml_node *const *)&lab;
        size_t nitems = 1;
        if (lab->kind == DL_YAML_SEQUENCE) {
            items = (const dl_yaml_node *const *)lab->items;
            nitems = lab->n;
            if (nitems == 0)
                return fail(c, lab, "expected at least one branch label");
            if (nitems > DL_EXPR_MAX_ARRAY)
                return fail(c, lab, "a branch label has more than %d values",
                            DL_EXPR_MAX_ARRAY);
        }
        for (size_t k = 0; k < nitems; k++) {
            const dl_yaml_node *it = items[k];
            dl_expr_value v = is_scalar(it) ? scalar_value(it) : (dl_expr_value){0};
            if (v.type != DL_EXPR_NUMBER && v.type != DL_EXPR_STRING)
                return fail(c, it, "branch labels must be numbers or strings");
            if (v.type == DL_EXPR_NUMBER && (fabs(v.num) > 9007199254740991.0 || floor(v.num) != v.num))
                return fail(c, it, "numeric branch labels must be integers no larger than "
                                   "9007199254740991");
            if (label_type == DL_EXPR_NULL)
                label_type = v.type;
            else if (label_type != v.type)
                return fail(c, it, "expected %s but found %s instead", type_name(label_type),
                            type_name(v.type));
            for (size_t j = c->nodes[i].aux; j < c->nlabels; j++) {
                const dl_expr_value *w = &c->vals[c->labels[j].val];
                const char *ws = w->type == DL_EXPR_STRING
                                     ? c->strings + c->val_str[c->labels[j].val] - 1
                                     : NULL;
                if (v.type == DL_EXPR_NUMBER ? w->num == v.num
                                             : w->len == v.len && memcmp(ws, v.str, v.len) == 0)
                    return fail(c, it, "branch labels must be unique");
            }
            uint32_t vi;
            st = add_value(c, &v, v.str, &vi);
            if (st != DLINE_OK)
                return st;
            if (grow((void **)&c->labels, c->nlabels, &c->clabels, sizeof *c->labels) != 0)
                return no_memory(c);
            c->labels[c->nlabels++] = (label){vi, (uint32_t)b};
        }
        uint32_t out;
        dl_expr_type t;
        st = compile_any(c, n->items[3 + 2 * b], out_type, &out, &t);
        if (st == DLINE_OK)
            st = annotate(c, n->items[3 + 2 * b], &out, t, out_type, 0);
        if (st != DLINE_OK)
            return st;
        if (b == 0)
            out_type = branch_type(expected, t);
        c->args[base + 1 + b] = out;
    }
    c->nodes[i].naux = (uint32_t)(c->nlabels - c->nodes[i].aux);
    uint32_t in, fb;
    dl_expr_type tin;
    st = compile_any(c, n->items[1], DL_EXPR_ANY, &in, &tin);
    if (st == DLINE_OK && tin != DL_EXPR_ANY && tin != label_type)
        st = fail(c, n->items[1], "expected %s but found %s instead", type_name(label_type),
                  type_name(tin));
    if (st == DLINE_OK)
        st = compile_as(c, n->items[n->n - 1], out_type, &fb);
    if (st != DLINE_OK)
        return st;
    c->args[base] = in;
    c->args[base + nbranches + 1] = fb;
    c->nodes[i].type = (unsigned char)out_type;
    return DLINE_OK;
}

static dline_status compile_case(compiler *c, const dl_yaml_node *n, dl_expr_type expected,
                                 uint32_t i)
{
    size_t nargs = n->n - 1;
    if (nargs % 2 != 1)
        return fail(c, n, "'case' takes an odd number of arguments, found %zu", nargs);
    dline_status st = reserve_args(c, i, nargs);
    if (st != DLINE_OK)
        return st;
    uint32_t base = c->nodes[i].arg;
    dl_expr_type out_type = expected;
    for (size_t k = 0; k + 1 < nargs; k += 2) {
        uint32_t cond, out;
        dl_expr_type t;
        st = compile_as(c, n->items[1 + k], DL_EXPR_BOOLEAN, &cond);
        if (st == DLINE_OK)
            st = compile_any(c, n->items[2 + k], out_type, &out, &t);
        if (st == DLINE_OK)
            st = annotate(c, n->items[2 + k], &out, t, out_type, 0);
        if (st != DLINE_OK)
            return st;
        if (k == 0)
            out_type = branch_type(expected, t);
        c->args[base + k] = cond;
        c->args[base + k + 1] = out;
    }
    uint32_t fb;
    st = compile_as(c, n->items[n->n - 1], out_type, &fb);
    if (st != DLINE_OK)
        return st;
    c->args[base + nargs - 1] = fb;
    c->nodes[i].type = (unsigned char)out_type;
    return DLINE_OK;
}

/* coalesce: arguments are not asserted one by one (a null must reach
 * coalesce, not fail an assertion); when one would need it, the whole
 * coalesce gives a value of unknown type and is asserted instead. */
static dline_status compile_coalesce(compiler *c, const dl_yaml_node *n, dl_expr_type expected,
                                     uint32_t i)
{
    dline_status st = reserve_args(c, i, n->n - 1);
    if (st != DLINE_OK)
        return st;
    uint32_t base = c->nodes[i].arg;
    dl_expr_type out_type = expected;
    int loose = 0;
    for (size_t k = 1; k < n->n; k++) {
        uint32_t a;
        dl_expr_type t;
        st = compile_any(c, n->items[k], out_type, &a, &t);
        if (st != DLINE_OK)
            return st;
        if (out_type == DL_EXPR_ANY && t != DL_EXPR_NULL && k == 1)
            out_type = t;
        if (t == DL_EXPR_ANY || t == DL_EXPR_NULL || (out_type == DL_EXPR_COLOR && t == DL_EXPR_STRING))
            loose = 1;
        else if (out_type != DL_EXPR_ANY && t != out_type)
            return fail(c, n->items[k], "expected %s but found %s instead",
                        type_name(out_type), type_name(t));
        c->args[base + k - 1] = a;
    }
    c->nodes[i].type = (unsigned char)(loose ? DL_EXPR_ANY : out_type);
    return DLINE_OK;
}

static dline_status compile_stops(compiler *c, const dl_yaml_node *n, const op_info *o,
                                  dl_expr_type expected, uint32_t i)
{
    int interp = o->op == OP_INTERPOLATE;
    size_t nargs = n->n - 1;
    if (nargs % 2 != 0)
        return fail(c, n, "'%s' takes an even number of arguments, found %zu", o->name, nargs);
    size_t first = interp ? 3 : 2; /* index of the first output (step) / stop input */
    size_t nout = interp ? (n->n - 3) / 2 : (n->n - 3) / 2 + 1;
    dline_status st = reserve_args(c, i, 1 + nout);
    if (st != DLINE_OK)
        return st;
    uint32_t base = c->nodes[i].arg;
    enode *me = &c->nodes[i];
    me->num = 1;
    if (interp) {
        const dl_yaml_node *how = n->items[1];
        if (how->kind != DL_YAML_SEQUENCE || how->n == 0 || !is_scalar(how->items[0]))
            return fail(c, how, "expected an interpolation type such as [\"linear\"]");
        const char *name = how->items[0]->text;
        if (strcmp(name, "linear") == 0) {
            if (how->n != 1)
                return fail(c, how, "'linear' takes no arguments");
        } else if (strcmp(name, "exponential") == 0) {
            dl_expr_value b = how->n == 2 && is_scalar(how->items[1]) ? scalar_value(how->items[1])
                                                                      : (dl_expr_value){0};
            if (b.type != DL_EXPR_NUMBER)
                return fail(c, how, "exponential interpolation requires a numeric base");
            c->nodes[i].num = b.num;
        } else if (strcmp(name, "cubic-bezier") == 0) {
            return fail(c, how, "cubic-bezier interpolation is not supported");
        } else {
            char bf[80];
            return fail(c, how->items[0], "unknown interpolation type '%s'",
                        shown(name, bf, sizeof bf));
        }
    }
    uint32_t in;
    st = compile_as(c, n->items[interp ? 2 : 1], DL_EXPR_NUMBER, &in);
    if (st != DLINE_OK)
        return st;
    c->args[base] = in;
    c->nodes[i].aux = (uint32_t)c->nnums;
    dl_expr_type out_type = expected;
    double last = -INFINITY;
    size_t k = 0;
    for (size_t pos = first; pos < n->n; pos += 2, k++) {
        const dl_yaml_node *outn;
        if (!interp && pos == first) {
            outn = n->items[pos];
            pos--; /* output 0 has no stop input */
        } else {
            const dl_yaml_node *lab = n->items[pos];
            dl_expr_value v = is_scalar(lab) ? scalar_value(lab) : (dl_expr_value){0};
            if (v.type != DL_EXPR_NUMBER)
                return fail(c, lab, "stop inputs of '%s' must be literal numbers", o->name);
            if (v.num <= last)
                return fail(c, lab, "stop inputs of '%s' must be in strictly ascending order",
                            o->name);
            last = v.num;
            st = add_num(c, v.num);
            if (st != DLINE_OK)
                return st;
            outn = n->items[pos + 1];
        }
        uint32_t out;
        dl_expr_type t;
        st = compile_any(c, outn, out_type, &out, &t);
        if (st == DLINE_OK)
            st = annotate(c, outn, &out, t, out_type, 0);
        if (st != DLINE_OK)
            return st;
        if (k == 0)
            out_type = branch_type(expected, t);
        if (k == 0 && interp && out_type != DL_EXPR_NUMBER && out_type != DL_EXPR_COLOR)
            return fail(c, outn, "type %s is not interpolatable", type_name(out_type));
        c->args[base + 1 + k] = out;
    }
    c->nodes[i].naux = (uint32_t)(c->nnums - c->nodes[i].aux);
    c->nodes[i].type = (unsigned char)out_type;
    return DLINE_OK;
}

static dline_status compile_number_format(compiler *c, const dl_yaml_node *n, uint32_t i)
{
    const dl_yaml_node *opts = n->items[2];
    if (opts->kind != DL_YAML_MAPPING)
        return fail(c, opts, "number-format options must be an object");
    dline_status st = reserve_args(c, i, 3);
    if (st != DLINE_OK)
        return st;
    uint32_t base = c->nodes[i].arg, a;
    st = compile_as(c, n->items[1], DL_EXPR_NUMBER, &a);
    if (st != DLINE_OK)
        return st;
    c->args[base] = a;
    for (size_t k = 0; k < opts->n; k++) {
        const dl_yaml_node *key = dl_yaml_key(opts, k), *v = dl_yaml_value(opts, k);
        if (!is_scalar(key))
            return fail(c, key, "number-format option names must be strings");
        if (strcmp(key->text, "locale") == 0) {
            /* Checked, then ignored: dline formats as en-US (see below). */
            st = compile_as(c, v, DL_EXPR_STRING, &a);
        } else if (strcmp(key->text, "min-fraction-digits") == 0 ||
                   strcmp(key->text, "max-fraction-digits") == 0) {
            st = compile_as(c, v, DL_EXPR_NUMBER, &a);
            if (st == DLINE_OK)
                c->args[base + (key->text[1] == 'i' ? 1 : 2)] = a;
        } else if (strcmp(key->text, "currency") == 0 || strcmp(key->text, "unit") == 0) {
            return fail(c, key, "number-format option '%s' is not supported", key->text);
        } else {
            static const char *const known[] = {"locale", "min-fraction-digits",
                                                "max-fraction-digits", "currency"};
            const char *best = dl_suggest(key->text, known, COUNT(known));
            char b1[80];
            return fail(c, key, "unknown number-format option '%s'%s%s%s",
                        shown(key->text, b1, sizeof b1), best ? " (did you mean '" : "",
                        best ? best : "", best ? "'?)" : "");
        }
        if (st != DLINE_OK)
            return st;
    }
    return DLINE_OK;
}

static dline_status compile_op(compiler *c, const dl_yaml_node *n, dl_expr_type expected,
                               uint32_t *out, dl_expr_type *type)
{
    const dl_yaml_node *opn = n->items[0];
    const char *name = opn->text;
    const op_info *o = NULL;
    for (size_t k = 0; k < COUNT(ops) && !o; k++)
        if (strcmp(ops[k].name, name) == 0)
            o = &ops[k];
    if (!o) {
        char b1[80];
        if (is_unsupported(name))
            return fail(c, opn, "expression operator '%s' is not supported", name);
        const char *names[COUNT(ops)];
        for (size_t k = 0; k < COUNT(ops); k++)
            names[k] = ops[k].name;
        const char *best = dl_suggest(name, names, COUNT(names));
        return fail(c, opn, "unknown expression operator '%s'%s%s%s", shown(name, b1, sizeof b1),
                    best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
    }
    size_t nargs = n->n - 1;
    if ((int)nargs < o->min || (o->max >= 0 && nargs > (size_t)o->max))
        return arity_error(c, n, o, nargs);

    dl_expr_type t = DL_EXPR_NUMBER;
    switch (o->op) {
    case OP_GET: case OP_HAS: case OP_LIT:
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
    case OP_ALL: case OP_ANY: case OP_NOT: case OP_IN:
    case OP_TO_BOOLEAN: t = DL_EXPR_BOOLEAN; break;
    case OP_GEOMTYPE: case OP_CONCAT: case OP_UPCASE: case OP_DOWNCASE: case OP_TO_STRING:
    case OP_NUMBER_FORMAT: t = DL_EXPR_STRING; break;
    case OP_TO_COLOR: case OP_RGB: case OP_RGBA: t = DL_EXPR_COLOR; break;
    case OP_ID: t = DL_EXPR_ANY; break;
    default: break;
    }
    if (o->op == OP_GET)
        t = DL_EXPR_ANY;
    if (o->op == OP_ASSERT)
        t = name[0] == 's' ? DL_EXPR_STRING : name[0] == 'n' ? DL_EXPR_NUMBER : DL_EXPR_BOOLEAN;

    if (o->op == OP_LIT) {
        const dl_yaml_node *v = n->items[1];
        if (v->kind == DL_YAML_SEQUENCE) {
            *type = DL_EXPR_ARRAY;
            return literal_array(c, v, out);
        }
        if (v->kind == DL_YAML_MAPPING)
            return fail(c, v, "object literals are not supported");
        dl_expr_value lv = scalar_value(v);
        *type = lv.type;
        return literal_node(c, v, &lv, out);
    }

    uint32_t i;
    dline_status st = new_node(c, n, o->op, t, &i);
    if (st != DLINE_OK)
        return st;
    *out = i;
    switch (o->op) {
    case OP_GET:
    case OP_HAS: {
        if (nargs == 2)
            return fail(c, n->items[2], "'%s' from an object is not supported", name);
        if (!is_string_scalar(n->items[1]))
            return fail(c, n->items[1], "'%s' takes a literal attribute name", name);
        uint32_t r;
        st = add_ref(c, n->items[1], &r);
        c->nodes[i].aux = r;
        break;
    }
    case OP_GEOMTYPE:
    case OP_ID:
        c->flags |= USES_FEATURE;
        break;
    case OP_ZOOM:
        c->flags |= USES_ZOOM;
        break;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        st = compile_comparison(c, n, o, i);
        break;
    case OP_ALL: case OP_ANY: case OP_NOT:
        st = compile_children(c, n, i, 1, DL_EXPR_BOOLEAN);
        break;
    case OP_IN: {
        st = reserve_args(c, i, 2);
        uint32_t a[2];
        dl_expr_type at[2];
        for (int k = 0; k < 2 && st == DLINE_OK; k++)
            st = compile_any(c, n->items[1 + k], DL_EXPR_ANY, &a[k], &at[k]);
        if (st != DLINE_OK)
            return st;
        if (at[0] == DL_EXPR_COLOR || at[0] == DL_EXPR_ARRAY)
            return fail(c, n->items[1], "expected the first argument to be a boolean, string, "
                                        "number or null, but found %s instead", type_name(at[0]));
        if (at[1] != DL_EXPR_STRING && at[1] != DL_EXPR_ARRAY && at[1] != DL_EXPR_ANY)
            return fail(c, n->items[2], "expected the second argument to be an array or a "
                                        "string, but found %s instead", type_name(at[1]));
        c->args[c->nodes[i].arg] = a[0];
        c->args[c->nodes[i].arg + 1] = a[1];
        break;
    }
    case OP_MATCH: st = compile_match(c, n, expected, i); break;
    case OP_CASE: st = compile_case(c, n, expected, i); break;
    case OP_COALESCE: st = compile_coalesce(c, n, expected, i); break;
    case OP_STEP: case OP_INTERPOLATE: st = compile_stops(c, n, o, expected, i); break;
    case OP_NUMBER_FORMAT: st = compile_number_format(c, n, i); break;
    case OP_CONCAT: case OP_TO_STRING: case OP_TO_NUMBER: case OP_TO_BOOLEAN: case OP_TO_COLOR:
        st = compile_children(c, n, i, 1, DL_EXPR_ANY);
        break;
    case OP_ASSERT:
        c->nodes[i].sub = (unsigned char)t;
        st = compile_children(c, n, i, 1, DL_EXPR_ANY);
        break;
    case OP_UPCASE: case OP_DOWNCASE:
        st = compile_children(c, n, i, 1, DL_EXPR_STRING);
        break;
    case OP_LENGTH: {
        st = reserve_args(c, i, 1);
        uint32_t a;
        dl_expr_type at;
        if (st == DLINE_OK)
            st = compile_any(c, n->items[1], DL_EXPR_ANY, &a, &at);
        if (st != DLINE_OK)
            return st;
        if (at != DL_EXPR_STRING && at != DL_EXPR_ARRAY && at != DL_EXPR_ANY)
            return fail(c, n->items[1], "expected an array or a string but found %s instead",
                        type_name(at));
        c->args[c->nodes[i].arg] = a;
        break;
    }
    default: /* arithmetic, maths and rgb/rgba: numbers in */
        st = compile_children(c, n, i, 1, DL_EXPR_NUMBER);
        break;
    }
    *type = (dl_expr_type)c->nodes[i].type;
    return st;
}

static dline_status compile_any(compiler *c, const dl_yaml_node *n, dl_expr_type expected,
                                uint32_t *out, dl_expr_type *type)
{
    if (!n)
        return fail(c, n, "missing expression");
    if (n->kind == DL_YAML_SCALAR) {
        dl_expr_value v = scalar_value(n);
        *type = v.type;
        return literal_node(c, n, &v, out);
    }
    if (n->kind == DL_YAML_MAPPING)
        return fail(c, n, "an object is not an expression; write [\"literal\", ...] for a value");
    if (n->n == 0)
        return fail(c, n, "an empty list is not an expression; write [\"literal\", []] for an "
                          "empty array");
    if (!is_string_scalar(n->items[0]))
        return fail(c, n->items[0], "an expression starts with an operator name; write "
                                    "[\"literal\", [...]] for an array");
    if (c->depth >= DL_EXPR_MAX_DEPTH)
        return fail(c, n, "expression nested deeper than %d levels", DL_EXPR_MAX_DEPTH);
    c->depth++;
    dline_status st = compile_op(c, n, expected, out, type);
    c->depth--;
    return st;
}

/* Legacy filters */

/* MapLibre's isExpressionFilter, on the YAML tree. */
static int is_expression_filter(const dl_yaml_node *f)
{
    if (is_scalar(f)) {
        dl_expr_value v = scalar_value(f);
        return v.type == DL_EXPR_BOOLEAN;
    }
    if (!f || f->kind != DL_YAML_SEQUENCE || f->n == 0 || !is_scalar(f->items[0]))
        return 0;
    const char *op = f->items[0]->text;
    if (strcmp(op, "has") == 0)
        return f->n >= 2 && !(is_scalar(f->items[1]) && (strcmp(f->items[1]->text, "$id") == 0 ||
                                                        strcmp(f->items[1]->text, "$type") == 0));
    if (strcmp(op, "in") == 0)
        return f->n >= 3 && (!is_string_scalar(f->items[1]) ||
                             f->items[2]->kind == DL_YAML_SEQUENCE);
    if (strcmp(op, "!in") == 0 || strcmp(op, "!has") == 0 || strcmp(op, "none") == 0)
        return 0;
    if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0 || strcmp(op, "<") == 0 ||
        strcmp(op, "<=") == 0 || strcmp(op, ">") == 0 || strcmp(op, ">=") == 0)
        return f->n != 3 || f->items[1]->kind == DL_YAML_SEQUENCE ||
               f->items[2]->kind == DL_YAML_SEQUENCE;
    if (strcmp(op, "any") == 0 || strcmp(op, "all") == 0) {
        for (size_t i = 1; i < f->n; i++)
            if (!is_expression_filter(f->items[i]))
                return 0;
        return 1;
    }
    /* dline's legacy filters had "!" of a filter (MapLibre's have "none"):
     * the negation of a legacy filter stays legacy. */
    if (strcmp(op, "!") == 0 && f->n == 2)
        return is_expression_filter(f->items[1]);
    return 1;
}

enum { LEG_EQ, LEG_NE, LEG_LT, LEG_LE, LEG_GT, LEG_GE };

/* The node that reads a legacy filter's key: a field, "$type" or "$id". */
static dline_status legacy_key(compiler *c, const dl_yaml_node *k, uint32_t *out)
{
    if (!is_string_scalar(k))
        return fail(c, k, "a filter field must be a name");
    if (strcmp(k->text, "$type") == 0) {
        c->flags |= USES_FEATURE;
        return new_node(c, k, OP_GEOMTYPE, DL_EXPR_STRING, out);
    }
    if (strcmp(k->text, "$id") == 0) {
        c->flags |= USES_FEATURE;
        return new_node(c, k, OP_ID, DL_EXPR_ANY, out);
    }
    uint32_t r;
    dline_status st = add_ref(c, k, &r);
    if (st == DLINE_OK)
        st = new_node(c, k, OP_GET, DL_EXPR_ANY, out);
    if (st == DLINE_OK)
        c->nodes[*out].aux = r;
    return st;
}

static dline_status wrap_not(compiler *c, const dl_yaml_node *at, uint32_t *i)
{
    uint32_t w = 0;
    dline_status st = new_node(c, at, OP_NOT, DL_EXPR_BOOLEAN, &w);
    if (st == DLINE_OK)
        st = reserve_args(c, w, 1);
    if (st == DLINE_OK) {
        c->args[c->nodes[w].arg] = *i;
        *i = w;
    }
    return st;
}

static dline_status compile_legacy(compiler *c, const dl_yaml_node *f, uint32_t *out)
{
    if (is_expression_filter(f))
        return compile_as(c, f, DL_EXPR_BOOLEAN, out);
    if (!f || f->kind != DL_YAML_SEQUENCE || f->n == 0 || !is_scalar(f->items[0]))
        return fail(c, f, "a filter must be a list such as [\"==\", \"field\", \"value\"]");
    if (c->depth >= DL_EXPR_MAX_DEPTH)
        return fail(c, f, "expression nested deeper than %d levels", DL_EXPR_MAX_DEPTH);
    const char *op = f->items[0]->text;
    size_t nargs = f->n - 1;
    dline_status st;
    c->depth++;
    if (strcmp(op, "!") == 0 && nargs == 1) {
        st = compile_legacy(c, f->items[1], out);
        if (st == DLINE_OK)
            st = wrap_not(c, f, out);
        c->depth--;
        return st;
    }
    if (strcmp(op, "all") == 0 || strcmp(op, "any") == 0 || strcmp(op, "none") == 0) {
        int none = op[0] == 'n';
        st = new_node(c, f, strcmp(op, "any") == 0 ? OP_ANY : OP_ALL, DL_EXPR_BOOLEAN, out);
        if (st == DLINE_OK)
            st = reserve_args(c, *out, nargs);
        for (size_t k = 0; k < nargs && st == DLINE_OK; k++) {
            uint32_t a;
            st = compile_legacy(c, f->items[1 + k], &a);
            if (st == DLINE_OK && none)
                st = wrap_not(c, f->items[1 + k], &a);
            if (st == DLINE_OK)
                c->args[c->nodes[*out].arg + k] = a;
        }
        c->depth--;
        return st;
    }
    int neg = op[0] == '!' && op[1] != '=';
    const char *base = neg ? op + 1 : op;
    if (strcmp(base, "has") == 0) {
        if (nargs != 1) {
            c->depth--;
            return fail(c, f, "filter '%s' takes a field", op);
        }
        uint32_t key;
        st = legacy_key(c, f->items[1], &key);
        if (st == DLINE_OK && c->nodes[key].op == OP_GEOMTYPE) {
            dl_expr_value t = {.type = DL_EXPR_BOOLEAN, .boolean = 1};
            st = literal_node(c, f, &t, out);
        } else if (st == DLINE_OK) {
            st = new_node(c, f, OP_LEGACY_HAS, DL_EXPR_BOOLEAN, out);
            if (st == DLINE_OK)
                st = reserve_args(c, *out, 1);
            if (st == DLINE_OK)
                c->args[c->nodes[*out].arg] = key;
        }
    } else if (strcmp(base, "in") == 0) {
        if (nargs < 1) {
            c->depth--;
            return fail(c, f, "filter '%s' takes a field and values", op);
        }
        if (nargs - 1 > DL_EXPR_MAX_ARRAY) {
            c->depth--;
            return fail(c, f, "filter '%s' has more than %d values", op, DL_EXPR_MAX_ARRAY);
        }
        uint32_t key;
        st = legacy_key(c, f->items[1], &key);
        if (st == DLINE_OK)
            st = new_node(c, f, OP_LEGACY_IN, DL_EXPR_BOOLEAN, out);
        if (st == DLINE_OK)
            st = reserve_args(c, *out, 1);
        if (st == DLINE_OK) {
            c->args[c->nodes[*out].arg] = key;
            c->nodes[*out].aux = (uint32_t)c->nvals;
        }
        for (size_t k = 2; k < f->n && st == DLINE_OK; k++) {
            if (!is_scalar(f->items[k])) {
                st = fail(c, f->items[k], "a filter value must be a string, number, boolean or "
                                          "null");
                break;
            }
            dl_expr_value v = scalar_value(f->items[k]);
            uint32_t vi;
            st = add_value(c, &v, v.str, &vi);
        }
        if (st == DLINE_OK)
            c->nodes[*out].naux = (uint32_t)(nargs - 1);
    } else {
        static const char *const cmp[] = {"==", "!=", "<", "<=", ">", ">="};
        size_t k = 0;
        while (k < COUNT(cmp) && strcmp(op, cmp[k]) != 0)
            k++;
        if (k == COUNT(cmp)) {
            static const char *const names[] = {"==", "!=", "<", "<=", ">", ">=", "in", "!in",
                                                "has", "!has", "all", "any", "none"};
            const char *best = dl_suggest(op, names, COUNT(names));
            char b1[80];
            c->depth--;
            return fail(c, f->items[0], "unknown filter operator '%s'%s%s%s",
                        shown(op, b1, sizeof b1), best ? " (did you mean '" : "",
                        best ? best : "", best ? "'?)" : "");
        }
        neg = 0;
        const dl_yaml_node *vn = f->items[2];
        if (!is_scalar(vn)) {
            c->depth--;
            return fail(c, vn, "a filter value must be a string, number, boolean or null");
        }
        dl_expr_value v = scalar_value(vn);
        if (k >= LEG_LT && v.type != DL_EXPR_NUMBER && v.type != DL_EXPR_STRING) {
            c->depth--;
            return fail(c, vn, "filter '%s' compares with a number or a string", op);
        }
        uint32_t key, vi;
        st = legacy_key(c, f->items[1], &key);
        if (st == DLINE_OK)
            st = add_value(c, &v, v.str, &vi);
        if (st == DLINE_OK)
            st = new_node(c, f, OP_LEGACY_CMP, DL_EXPR_BOOLEAN, out);
        if (st == DLINE_OK)
            st = reserve_args(c, *out, 1);
        if (st == DLINE_OK) {
            c->args[c->nodes[*out].arg] = key;
            c->nodes[*out].aux = vi;
            c->nodes[*out].sub = (unsigned char)k;
        }
    }
    if (st == DLINE_OK && neg)
        st = wrap_not(c, f, out);
    c->depth--;
    return st;
}

static void compiler_free(compiler *c)
{
    free(c->nodes);
    free(c->args);
    free(c->vals);
    free(c->val_str);
    free(c->val_items);
    free(c->nums);
    free(c->refs);
    free(c->ref_name);
    free(c->labels);
    free(c->strings);
}

/* Copies the builder's arrays into one block and turns offsets into
 * pointers. */
static dline_status finish(compiler *c, uint32_t root, dl_expr_type want, dl_expr **out)
{
    size_t sizes[7] = {sizeof(dl_expr), c->nnodes * sizeof(enode), c->nargs * sizeof(uint32_t),
                       c->nvals * sizeof(dl_expr_value), c->nnums * sizeof(double),
                       c->nrefs * sizeof(ref), c->nlabels * sizeof(label)};
    size_t total = 0, offs[8];
    for (int k = 0; k < 7; k++) {
        offs[k] = total;
        total += (sizes[k] + 15) & ~(size_t)15;
    }
    offs[7] = total;
    total += c->nstrings + 1;
    char *block = calloc(1, total);
    if (!block)
        return no_memory(c);
    dl_expr *e = (dl_expr *)block;
    e->root = root;
    e->flags = c->flags;
    e->want = want;
    e->nodes = (enode *)(block + offs[1]);
    e->args = (uint32_t *)(block + offs[2]);
    e->vals = (dl_expr_value *)(block + offs[3]);
    e->nums = (double *)(block + offs[4]);
    e->refs = (ref *)(block + offs[5]);
    e->labels = (label *)(block + offs[6]);
    e->strings = block + offs[7];
    e->nnodes = c->nnodes;
    e->nargs = c->nargs;
    e->nvals = c->nvals;
    e->nnums = c->nnums;
    e->nrefs = c->nrefs;
    e->nlabels = c->nlabels;
    e->nstrings = c->nstrings;
    if (c->nnodes) memcpy(e->nodes, c->nodes, sizes[1]);
    if (c->nargs) memcpy(e->args, c->args, sizes[2]);
    if (c->nvals) memcpy(e->vals, c->vals, sizes[3]);
    if (c->nnums) memcpy(e->nums, c->nums, sizes[4]);
    if (c->nrefs) memcpy(e->refs, c->refs, sizes[5]);
    if (c->nlabels) memcpy(e->labels, c->labels, sizes[6]);
    if (c->nstrings) memcpy(e->strings, c->strings, c->nstrings);
    for (size_t k = 0; k < c->nvals; k++) {
        e->vals[k].str = c->val_str[k] ? e->strings + c->val_str[k] - 1 : NULL;
        e->vals[k].items = c->val_items[k] ? e->vals + c->val_items[k] - 1 : NULL;
    }
    for (size_t k = 0; k < c->nrefs; k++)
        e->refs[k].name = e->strings + c->ref_name[k];
    *out = e;
    return DLINE_OK;
}

dline_status dl_expr_compile(dline_ctx *ctx, const char *path, const dl_yaml_node *node,
                             dl_expr_type want, dl_expr **out)
{
    *out = NULL;
    compiler c = {.ctx = ctx, .path = path};
    uint32_t root;
    dl_expr_type t;
    dline_status st = compile_any(&c, node, want, &root, &t);
    if (st == DLINE_OK)
        st = annotate(&c, node, &root, t, want, 1);
    if (st == DLINE_OK)
        st = finish(&c, root, want, out);
    compiler_free(&c);
    return st;
}

dline_status dl_expr_compile_filter(dline_ctx *ctx, const char *path, const dl_yaml_node *node,
                                    dl_expr **out)
{
    *out = NULL;
    compiler c = {.ctx = ctx, .path = path};
    uint32_t root;
    dline_status st = compile_legacy(&c, node, &root);
    if (st == DLINE_OK)
        st = finish(&c, root, DL_EXPR_BOOLEAN, out);
    compiler_free(&c);
    return st;
}

void dl_expr_free(dl_expr *e)
{
    free(e);
}

int dl_expr_is_constant(const dl_expr *e)
{
    return e && !(e->flags & (USES_ZOOM | USES_FEATURE));
}

int dl_expr_uses_zoom(const dl_expr *e)
{
    return e && (e->flags & USES_ZOOM) != 0;
}

int dl_expr_uses_feature(const dl_expr *e)
{
    return e && (e->flags & USES_FEATURE) != 0;
}

/* A bound on |number| over the values node i can give, or -1 when it
 * depends on data in a way not followed here (arithmetic, a field). The
 * branch operators give one of their outputs; interpolate stays between
 * two of its stops' outputs. */
static int node_bound(const dl_expr *e, uint32_t i, int depth, double *bound)
{
    const enode *n = &e->nodes[i];
    const uint32_t *a = e->args + n->arg;
    uint32_t from;
    if (depth > DL_EXPR_MAX_DEPTH)
        return -1;
    switch ((opcode)n->op) {
    case OP_LIT: {
        const dl_expr_value *v = &e->vals[n->aux];
        if (v->type == DL_EXPR_NUMBER && !isfinite(v->num))
            return -1;
        *bound = v->type == DL_EXPR_NUMBER ? fabs(v->num) : 0; /* else not a number */
        return 0;
    }
    case OP_MATCH: case OP_STEP: case OP_INTERPOLATE:
        from = 1; /* after the input */
        break;
    case OP_COALESCE: case OP_ASSERT:
        from = 0;
        break;
    case OP_CASE: {
        double b = 0, c;
        for (uint32_t k = 1; k < n->nargs; k += 2) {
            if (node_bound(e, a[k], depth + 1, &c) != 0)
                return -1;
            b = fmax(b, c);
        }
        if (n->nargs == 0 || node_bound(e, a[n->nargs - 1], depth + 1, &c) != 0)
            return -1;
        *bound = fmax(b, c);
        return 0;
    }
    default:
        return -1;
    }
    double b = 0, c;
    for (uint32_t k = from; k < n->nargs; k++) {
        if (node_bound(e, a[k], depth + 1, &c) != 0)
            return -1;
        b = fmax(b, c);
    }
    *bound = b;
    return 0;
}

int dl_expr_number_bound(const dl_expr *e, double *bound)
{
    if (!e || e->nnodes == 0)
        return -1;
    return node_bound(e, e->root, 0, bound);
}

size_t dl_expr_fields(const dl_expr *e, const char **names, int *lines, int *cols, size_t cap)
{
    if (!e)
        return 0;
    for (size_t k = 0; k < e->nrefs && k < cap; k++) {
        if (names)
            names[k] = e->refs[k].name;
        if (lines)
            lines[k] = e->refs[k].line;
        if (cols)
            cols[k] = e->refs[k].col;
    }
    return e->nrefs;
}

static int ascii_lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

void dl_expr_bind(dl_expr *e, const dl_field *fields, size_t nfields)
{
    if (!e)
        return;
    for (size_t k = 0; k < e->nrefs; k++) {
        ref *r = &e->refs[k];
        r->index = -1;
        for (size_t i = 0; i < nfields && r->index < 0; i++)
            if (strcmp(fields[i].name, r->name) == 0)
                r->index = (long)i;
        for (size_t i = 0; i < nfields && r->index < 0; i++) {
            const char *a = fields[i].name, *b = r->name;
            while (*a && *b && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b))
                a++, b++;
            if (!*a && !*b)
                r->index = (long)i;
        }
    }
}

/* Scratch strings */

struct dl_expr_chunk {
    dl_expr_chunk *next;
    size_t size, used;
    char data[];
};

void dl_expr_scratch_free(dl_expr_scratch *s)
{
    if (!s)
        return;
    while (s->chunks) {
        dl_expr_chunk *next = s->chunks->next;
        free(s->chunks);
        s->chunks = next;
    }
    s->used = 0;
    s->total = 0;
}

static void scratch_reset(dl_expr_scratch *s)
{
    s->used = 0;
    s->total = 0;
    for (dl_expr_chunk *ch = s->chunks; ch; ch = ch->next)
        ch->used = 0;
}

static char *scratch_alloc(dl_expr_scratch *s, size_t n)
{
    if (n > DL_EXPR_MAX_STRING + 1 || s->total + n > DL_EXPR_MAX_SCRATCH)
        return NULL;
    s->total += n;
    if (sizeof s->buf - s->used >= n) {
        char *p = s->buf + s->used;
        s->used += n;
        return p;
    }
    for (dl_expr_chunk *ch = s->chunks; ch; ch = ch->next)
        if (ch->size - ch->used >= n) {
            char *p = ch->data + ch->used;
            ch->used += n;
            return p;
        }
    size_t size = n > 65536 ? n : 65536;
    dl_expr_chunk *ch = malloc(sizeof *ch + size);
    if (!ch)
        return NULL;
    ch->size = size;
    ch->used = n;
    ch->next = s->chunks;
    s->chunks = ch;
    return ch->data;
}

/* Conversions */

/* A number as JavaScript's Number.prototype.toString writes it: the
 * shortest digits that read back the same, in plain notation for decimal
 * exponents -7 < e < 21 and in exponent notation otherwise. buf holds 40. */
static size_t js_number(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, 40, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, 40, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0)
        return (size_t)snprintf(buf, 40, "0");
    char tmp[48];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp is [-]d[<point>ddd]e<sign>dd in any locale: take the digits. */
    char digits[24];
    int k = 0, neg = tmp[0] == '-';
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && k < 20)
            digits[k++] = *p;
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    int n = exp10 + 1;
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    if (k <= n && n <= 21) {
        memcpy(buf + o, digits, (size_t)k);
        o += (size_t)k;
        for (int z = 0; z < n - k; z++)
            buf[o++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(buf + o, digits, (size_t)n);
        o += (size_t)n;
        buf[o++] = '.';
        memcpy(buf + o, digits + n, (size_t)(k - n));
        o += (size_t)(k - n);
    } else if (-6 < n && n <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int z = 0; z < -n; z++)
            buf[o++] = '0';
        memcpy(buf + o, digits, (size_t)k);
        o += (size_t)k;
    } else {
        buf[o++] = digits[0];
        if (k > 1) {
            buf[o++] = '.';
            memcpy(buf + o, digits + 1, (size_t)(k - 1));
            o += (size_t)(k - 1);
        }
        o += (size_t)snprintf(buf + o, 40 - o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    buf[o] = '\0';
    return o;
}

/* A colour as MapLibre's Color.toString: rgba(r,g,b,a), r g b 0..255. */
static size_t color_string(dl_color c, char *buf, size_t size)
{
    char a[40];
    if (c.a <= 0)
        return (size_t)snprintf(buf, size, "rgba(0,0,0,0)");
    js_number(c.a, a);
    return (size_t)snprintf(buf, size, "rgba(%d,%d,%d,%s)", (int)lround(c.r * 255),
                            (int)lround(c.g * 255), (int)lround(c.b * 255), a);
}

/* The text of a value as to-string gives it. Short results go to small
 * (at least 64 bytes), strings are returned as they are, arrays are
 * written to scratch as JSON. NULL when scratch runs out. */
static const char *value_text(const dl_expr_value *v, char *small, dl_expr_scratch *s,
                              size_t *len)
{
    switch (v->type) {
    case DL_EXPR_NULL: *len = 0; return "";
    case DL_EXPR_STRING: *len = v->len; return v->str;
    case DL_EXPR_BOOLEAN: *len = v->boolean ? 4 : 5; return v->boolean ? "true" : "false";
    case DL_EXPR_NUMBER: *len = js_number(v->num, small); return small;
    case DL_EXPR_COLOR: *len = color_string(v->color, small, 64); return small;
    case DL_EXPR_ARRAY: {
        /* JSON.stringify of a flat array: measure, then write. */
        size_t need = 2;
        char num[48];
        for (size_t k = 0; k < v->len; k++) {
            const dl_expr_value *it = &v->items[k];
            need += k ? 1 : 0;
            if (it->type == DL_EXPR_STRING) {
                need += 2;
                for (size_t j = 0; j < it->len; j++)
                    need += (unsigned char)it->str[j] < 0x20 ? 6
                            : it->str[j] == '"' || it->str[j] == '\\' ? 2 : 1;
            } else if (it->type == DL_EXPR_NUMBER) {
                need += isfinite(it->num) ? js_number(it->num, num) : 4;
            } else {
                need += it->type == DL_EXPR_BOOLEAN && !it->boolean ? 5 : 4;
            }
        }
        char *out = scratch_alloc(s, need + 1);
        if (!out)
            return NULL;
        size_t o = 0;
        out[o++] = '[';
        for (size_t k = 0; k < v->len; k++) {
            const dl_expr_value *it = &v->items[k];
            if (k)
                out[o++] = ',';
            if (it->type == DL_EXPR_STRING) {
                out[o++] = '"';
                for (size_t j = 0; j < it->len; j++) {
                    unsigned char ch = (unsigned char)it->str[j];
                    if (ch < 0x20) {
                        o += (size_t)snprintf(out + o, 7, "\\u%04x", ch);
                    } else {
                        if (ch == '"' || ch == '\\')
                            out[o++] = '\\';
                        out[o++] = (char)ch;
                    }
                }
                out[o++] = '"';
            } else if (it->type == DL_EXPR_NUMBER && isfinite(it->num)) {
                o += js_number(it->num, out + o);
            } else {
                const char *w = it->type == DL_EXPR_BOOLEAN ? (it->boolean ? "true" : "false")
                                                            : "null";
                memcpy(out + o, w, strlen(w));
                o += strlen(w);
            }
        }
        out[o++] = ']';
        out[o] = '\0';
        *len = o;
        return out;
    }
    default: *len = 0; return "";
    }
}

/* JavaScript's Number(string): surrounding white space is ignored, empty
 * text is 0, decimal numbers with an optional leading or trailing point,
 * Infinity, and 0x hexadecimal. -1 when it is NaN. */
static int js_string_number(const char *s, size_t len, double *out)
{
    while (len && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
        s++, len--;
    while (len && (s[len - 1] == ' ' || (s[len - 1] >= '\t' && s[len - 1] <= '\r')))
        len--;
    if (len == 0) {
        *out = 0;
        return 0;
    }
    if (len > 400)
        return -1;
    /* Room for a '0' added on both sides of every '.' below. */
    char buf[3 * 400 + 1];
    size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (len - sign == 8 && memcmp(s + sign, "Infinity", 8) == 0) {
        *out = s[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    if (!sign && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        double v = 0;
        for (size_t k = 2; k < len; k++) {
            int d = s[k] >= '0' && s[k] <= '9'   ? s[k] - '0'
                    : s[k] >= 'a' && s[k] <= 'f' ? s[k] - 'a' + 10
                    : s[k] >= 'A' && s[k] <= 'F' ? s[k] - 'A' + 10
                                                 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        *out = v;
        return 0;
    }
    /* "5." and ".5" are numbers to JavaScript; dl_style_number wants digits
     * on both sides of the point, so add them. */
    size_t o = 0;
    for (size_t k = 0; k < len; k++) {
        if (s[k] == '.' && (k == sign || !(s[k - 1] >= '0' && s[k - 1] <= '9')))
            buf[o++] = '0';
        buf[o++] = s[k];
        if (s[k] == '.' && (k + 1 == len || !(s[k + 1] >= '0' && s[k + 1] <= '9')))
            buf[o++] = '0';
    }
    return dl_style_number(buf, o, out);
}

/* Evaluation */

typedef struct {
    const dl_expr *e;
    const dl_expr_env *env;
    dl_expr_scratch *s;
} evaluator;

static int eval(const evaluator *x, uint32_t i, dl_expr_value *out);

static void field_value(const evaluator *x, const enode *n, dl_value *raw, dl_expr_value *out)
{
    const ref *r = &x->e->refs[n->aux];
    *raw = (dl_value){DL_VAL_NULL, NULL, 0, 0};
    if (r->index >= 0 && x->env->values && (size_t)r->index < x->env->nvalues)
        *raw = x->env->values[r->index];
    memset(out, 0, sizeof *out);
    switch (raw->type) {
    case DL_VAL_STRING:
    case DL_VAL_DATE:
        out->type = DL_EXPR_STRING;
        out->str = raw->s ? raw->s : "";
        out->len = strlen(out->str);
        break;
    case DL_VAL_INT: out->type = DL_EXPR_NUMBER; out->num = (double)raw->i; break;
    case DL_VAL_DOUBLE: out->type = DL_EXPR_NUMBER; out->num = raw->d; break;
    case DL_VAL_BOOL: out->type = DL_EXPR_BOOLEAN; out->boolean = raw->i != 0; break;
    default: break;
    }
}

static int strict_equal(const dl_expr_value *a, const dl_expr_value *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case DL_EXPR_NULL: return 1;
    case DL_EXPR_NUMBER: return a->num == b->num;
    case DL_EXPR_BOOLEAN: return a->boolean == b->boolean;
    case DL_EXPR_STRING: return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    case DL_EXPR_COLOR:
        return a->color.r == b->color.r && a->color.g == b->color.g &&
               a->color.b == b->color.b && a->color.a == b->color.a;
    default: return a == b;
    }
}

static int compare_strings(const dl_expr_value *a, const dl_expr_value *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->str, b->str, n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* dline's legacy comparison (docs/style.md, Filters): -1, 0, 1, or 2 when
 * the two do not compare. */
static int legacy_number(const dl_value *v, double *out)
{
    switch (v->type) {
    case DL_VAL_INT:
    case DL_VAL_DATE: *out = (double)v->i; return 1;
    case DL_VAL_DOUBLE: *out = v->d; return 1;
    case DL_VAL_STRING: return v->s && dl_style_number(v->s, strlen(v->s), out) == 0;
    default: return 0;
    }
}

static int legacy_compare(const dl_value *v, const dl_expr_value *lit)
{
    if (lit->type == DL_EXPR_NULL || v->type == DL_VAL_NULL)
        return lit->type == DL_EXPR_NULL && v->type == DL_VAL_NULL ? 0 : 2;
    if (lit->type == DL_EXPR_BOOLEAN || v->type == DL_VAL_BOOL)
        return lit->type == DL_EXPR_BOOLEAN && v->type == DL_VAL_BOOL
                   ? ((v->i != 0) == (lit->boolean != 0) ? 0 : 2)
                   : 2;
    if (lit->type == DL_EXPR_STRING && (v->type == DL_VAL_STRING || v->type == DL_VAL_DATE)) {
        int c = strcmp(v->s ? v->s : "", lit->str);
        return c < 0 ? -1 : c > 0;
    }
    double a, b;
    dl_value lv = {DL_VAL_STRING, lit->str, 0, lit->num};
    if (lit->type == DL_EXPR_NUMBER)
        lv.type = DL_VAL_DOUBLE;
    if (!legacy_number(v, &a) || !legacy_number(&lv, &b) || isnan(a))
        return 2;
    return a < b ? -1 : a > b;
}

/* The key of a legacy filter as a dl_value: the raw field (so dates keep
 * their number), the geometry type or the id. */
static void legacy_key_value(const evaluator *x, uint32_t key, dl_value *out)
{
    const enode *k = &x->e->nodes[key];
    dl_expr_value tmp;
    if (k->op == OP_GET) {
        field_value(x, k, out, &tmp);
        return;
    }
    *out = (dl_value){DL_VAL_NULL, NULL, 0, 0};
    if (k->op == OP_GEOMTYPE && x->env->geometry_type) {
        out->type = DL_VAL_STRING;
        out->s = x->env->geometry_type;
    } else if (k->op == OP_ID && x->env->id >= 0) {
        out->type = DL_VAL_INT;
        out->i = x->env->id;
    }
}

static int eval_number(const evaluator *x, uint32_t i, double *out)
{
    dl_expr_value v;
    if (eval(x, i, &v) != 0 || v.type != DL_EXPR_NUMBER)
        return -1;
    *out = v.num;
    return 0;
}

static int eval_bool(const evaluator *x, uint32_t i, int *out)
{
    dl_expr_value v;
    if (eval(x, i, &v) != 0 || v.type != DL_EXPR_BOOLEAN)
        return -1;
    *out = v.boolean;
    return 0;
}

static void set_string(dl_expr_value *out, const char *s, size_t len)
{
    memset(out, 0, sizeof *out);
    out->type = DL_EXPR_STRING;
    out->str = s;
    out->len = len;
}

static int make_string(const evaluator *x, const char *s, size_t len, dl_expr_value *out)
{
    char *p = scratch_alloc(x->s, len + 1);
    if (!p)
        return -1;
    memcpy(p, s, len);
    p[len] = '\0';
    set_string(out, p, len);
    return 0;
}

/* Simple case mappings that keep the UTF-8 length: ASCII, Latin-1,
 * Latin Extended-A, Greek and Cyrillic. Other scripts are left as they are. */
static unsigned map_case(unsigned cp, int upper)
{
    if (upper) {
        if (cp == 0x3C2) /* final sigma */
            return 0x3A3;
        if ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) ||
            (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) || (cp >= 0x430 && cp <= 0x44F))
            return cp - 32;
        if (cp >= 0x450 && cp <= 0x45F)
            return cp - 80;
        if (cp >= 0x100 && cp <= 0x17F && cp != 0x131 && cp != 0x138 && cp != 0x149 &&
            cp != 0x17F && ((cp >= 0x139 && cp <= 0x148) || cp >= 0x179 ? !(cp & 1) : (cp & 1)))
            return cp - 1;
    } else {
        if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
            (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) || (cp >= 0x410 && cp <= 0x42F))
            return cp + 32;
        if (cp >= 0x400 && cp <= 0x40F)
            return cp + 80;
        if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x138 && cp != 0x149 &&
            cp != 0x178 && cp != 0x17F && ((cp >= 0x139 && cp <= 0x148) || cp >= 0x179 ? (cp & 1) : !(cp & 1)))
            return cp + 1;
    }
    return cp;
}

static int change_case(const evaluator *x, const dl_expr_value *in, int upper,
                       dl_expr_value *out)
{
    char *p = scratch_alloc(x->s, in->len + 1);
    if (!p)
        return -1;
    const unsigned char *s = (const unsigned char *)in->str;
    size_t k = 0;
    while (k < in->len) {
        unsigned char c0 = s[k];
        if (c0 < 0x80) {
            p[k] = (char)map_case(c0, upper);
            k++;
        } else if ((c0 & 0xE0) == 0xC0 && k + 1 < in->len && (s[k + 1] & 0xC0) == 0x80) {
            unsigned cp = ((c0 & 0x1Fu) << 6) | (s[k + 1] & 0x3Fu);
            unsigned m = cp >= 0x80 ? map_case(cp, upper) : cp;
            if (m < 0x80 || m > 0x7FF)
                m = cp;
            p[k] = (char)(0xC0 | (m >> 6));
            p[k + 1] = (char)(0x80 | (m & 0x3F));
            k += 2;
        } else {
            p[k] = (char)c0;
            k++;
        }
    }
    p[in->len] = '\0';
    set_string(out, p, in->len);
    return 0;
}

/* Intl.NumberFormat("en-US") with fraction digits between min and max:
 * grouping commas, '.' for the point, halves rounded away from zero on the
 * exact binary value (as ECMA-402 rounds). */
static int number_format(const evaluator *x, double v, int minfd, int maxfd,
                         dl_expr_value *out)
{
    char res[800];
    size_t o = 0;
    if (signbit(v) && !isnan(v))
        res[o++] = '-';
    if (isnan(v))
        return make_string(x, "NaN", 3, out);
    if (isinf(v)) {
        memcpy(res + o, "\xE2\x88\x9E", 3); /* U+221E infinity */
        return make_string(x, res, o + 3, out);
    }
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%.*f", maxfd + 25, fabs(v));
    char ip[400], fp[64];
    size_t ni = 0, nf = 0, k = 0;
    for (; tmp[k] >= '0' && tmp[k] <= '9' && ni < sizeof ip - 2; k++)
        ip[ni++] = tmp[k];
    while (tmp[k] && !(tmp[k] >= '0' && tmp[k] <= '9'))
        k++;
    for (; tmp[k] >= '0' && tmp[k] <= '9' && nf < sizeof fp - 1; k++)
        fp[nf++] = tmp[k];
    while (nf < (size_t)maxfd + 1)
        fp[nf++] = '0';
    int up = fp[maxfd] >= '5';
    nf = (size_t)maxfd;
    for (size_t j = nf; up && j > 0; j--) {
        if (fp[j - 1] == '9') {
            fp[j - 1] = '0';
        } else {
            fp[j - 1]++;
            up = 0;
        }
    }
    for (size_t j = ni; up && j > 0; j--) {
        if (ip[j - 1] == '9') {
            ip[j - 1] = '0';
        } else {
            ip[j - 1]++;
            up = 0;
        }
    }
    if (up) {
        memmove(ip + 1, ip, ni);
        ip[0] = '1';
        ni++;
    }
    while (nf > (size_t)minfd && fp[nf - 1] == '0')
        nf--;
    for (size_t j = 0; j < ni; j++) {
        if (j && (ni - j) % 3 == 0)
            res[o++] = ',';
        res[o++] = ip[j];
    }
    if (nf) {
        res[o++] = '.';
        memcpy(res + o, fp, nf);
        o += nf;
    }
    return make_string(x, res, o, out);
}

static int eval_concat(const evaluator *x, const enode *n, dl_expr_value *out)
{
    /* Values are kept until the total length is known, so the result is
     * written once; only concat of more than 16 arguments allocates. */
    dl_expr_value local[16], *vals = local;
    if (n->nargs > COUNT(local)) {
        vals = dl_calloc_array(n->nargs, sizeof *vals);
        if (!vals)
            return -1;
    }
    int rc = 0;
    size_t total = 0;
    char small[64];
    for (uint32_t k = 0; k < n->nargs && rc == 0; k++) {
        rc = eval(x, x->e->args[n->arg + k], &vals[k]);
        size_t len = 0;
        if (rc == 0 && value_text(&vals[k], small, x->s, &len) == NULL)
            rc = -1;
        total += len;
        if (total > DL_EXPR_MAX_STRING)
            rc = -1;
    }
    char *p = rc == 0 ? scratch_alloc(x->s, total + 1) : NULL;
    if (!p)
        rc = -1;
    if (rc == 0) {
        size_t o = 0;
        for (uint32_t k = 0; k < n->nargs; k++) {
            size_t len;
            const char *t = value_text(&vals[k], small, x->s, &len);
            if (!t || o + len > total) {
                rc = -1;
                break;
            }
            memcpy(p + o, t, len);
            o += len;
        }
        p[o < total ? o : total] = '\0';
        set_string(out, p, total);
    }
    if (vals != local)
        free(vals);
    return rc;
}

static size_t utf16_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if ((c & 0xC0) != 0x80)
            n += c >= 0xF0 ? 2 : 1;
    }
    return n;
}

static int find_stop(const double *stops, size_t n, double v)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (stops[mid] <= v)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (int)lo;
}

static int eval(const evaluator *x, uint32_t i, dl_expr_value *out)
{
    const dl_expr *e = x->e;
    const enode *n = &e->nodes[i];
    const uint32_t *a = e->args + n->arg;
    dl_expr_value v, w;
    double p, q;
    memset(out, 0, sizeof *out);
    switch ((opcode)n->op) {
    case OP_LIT:
        *out = e->vals[n->aux];
        return 0;
    case OP_GET: {
        dl_value raw;
        field_value(x, n, &raw, out);
        return 0;
    }
    case OP_HAS:
    case OP_LEGACY_HAS: {
        dl_value raw;
        if (n->op == OP_HAS)
            field_value(x, n, &raw, &v);
        else
            legacy_key_value(x, a[0], &raw);
        out->type = DL_EXPR_BOOLEAN;
        out->boolean = raw.type != DL_VAL_NULL;
        return 0;
    }
    case OP_GEOMTYPE:
        if (x->env->geometry_type)
            set_string(out, x->env->geometry_type, strlen(x->env->geometry_type));
        return 0;
    case OP_ID:
        if (x->env->id >= 0) {
            out->type = DL_EXPR_NUMBER;
            out->num = (double)x->env->id;
        }
        return 0;
    case OP_ZOOM:
        out->type = DL_EXPR_NUMBER;
        out->num = x->env->zoom;
        return 0;
    case OP_EQ:
    case OP_NE:
        if (eval(x, a[0], &v) != 0 || eval(x, a[1], &w) != 0)
            return -1;
        out->type = DL_EXPR_BOOLEAN;
        out->boolean = strict_equal(&v, &w) == (n->op == OP_EQ);
        return 0;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
        if (eval(x, a[0], &v) != 0 || eval(x, a[1], &w) != 0)
            return -1;
        int c;
        if (v.type == DL_EXPR_NUMBER && w.type == DL_EXPR_NUMBER) {
            out->type = DL_EXPR_BOOLEAN;
            out->boolean = n->op == OP_LT   ? v.num < w.num
                           : n->op == OP_LE ? v.num <= w.num
                           : n->op == OP_GT ? v.num > w.num
                                            : v.num >= w.num;
            return 0;
        }
        if (v.type != DL_EXPR_STRING || w.type != DL_EXPR_STRING)
            return -1;
        c = compare_strings(&v, &w);
        out->type = DL_EXPR_BOOLEAN;
        out->boolean = n->op == OP_LT   ? c < 0
                       : n->op == OP_LE ? c <= 0
                       : n->op == OP_GT ? c > 0
                                        : c >= 0;
        return 0;
    }
    case OP_ALL:
    case OP_ANY: {
        int want = n->op == OP_ANY, b;
        out->type = DL_EXPR_BOOLEAN;
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (eval_bool(x, a[k], &b) != 0)
                return -1;
            if (b == want) {
                out->boolean = want;
                return 0;
            }
        }
        out->boolean = !want;
        return 0;
    }
    case OP_NOT: {
        int b;
        if (eval_bool(x, a[0], &b) != 0)
            return -1;
        out->type = DL_EXPR_BOOLEAN;
        out->boolean = !b;
        return 0;
    }
    case OP_IN: {
        if (eval(x, a[0], &v) != 0 || eval(x, a[1], &w) != 0)
            return -1;
        out->type = DL_EXPR_BOOLEAN;
        if (w.type == DL_EXPR_NULL || (w.type == DL_EXPR_STRING && w.len == 0))
            return 0; /* MapLibre: a falsy haystack holds nothing */
        if (v.type == DL_EXPR_COLOR || v.type == DL_EXPR_ARRAY)
            return -1;
        if (w.type == DL_EXPR_ARRAY) {
            for (size_t k = 0; k < w.len && !out->boolean; k++)
                out->boolean = strict_equal(&v, &w.items[k]);
            return 0;
        }
        if (w.type != DL_EXPR_STRING)
            return -1;
        /* String.prototype.indexOf turns the needle into text first. */
        char small[64];
        size_t nl;
        const char *needle = v.type == DL_EXPR_NULL ? "null" : value_text(&v, small, x->s, &nl);
        if (v.type == DL_EXPR_NULL)
            nl = 4;
        if (!needle)
            return -1;
        for (size_t k = 0; k + nl <= w.len && !out->boolean; k++)
            out->boolean = memcmp(w.str + k, needle, nl) == 0;
        return 0;
    }
    case OP_MATCH: {
        if (eval(x, a[0], &v) != 0)
            return -1;
        uint32_t branch = n->nargs - 2; /* the fallback, after input and outputs */
        for (uint32_t k = 0; k < n->naux; k++) {
            const label *l = &e->labels[n->aux + k];
            if (strict_equal(&v, &e->vals[l->val])) {
                branch = l->branch;
                break;
            }
        }
        return eval(x, a[1 + branch], out);
    }
    case OP_CASE:
        for (uint32_t k = 0; k + 1 < n->nargs; k += 2) {
            int b;
            if (eval_bool(x, a[k], &b) != 0)
                return -1;
            if (b)
                return eval(x, a[k + 1], out);
        }
        return eval(x, a[n->nargs - 1], out);
    case OP_COALESCE:
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (eval(x, a[k], out) != 0)
                return -1;
            if (out->type != DL_EXPR_NULL)
                return 0;
        }
        return 0;
    case OP_CONCAT:
        return eval_concat(x, n, out);
    case OP_UPCASE:
    case OP_DOWNCASE:
        if (eval(x, a[0], &v) != 0 || v.type != DL_EXPR_STRING)
            return -1;
        return change_case(x, &v, n->op == OP_UPCASE, out);
    case OP_TO_STRING: {
        if (eval(x, a[0], &v) != 0)
            return -1;
        char small[64];
        size_t len;
        const char *t = value_text(&v, small, x->s, &len);
        if (!t)
            return -1;
        if (t == small)
            return make_string(x, t, len, out);
        set_string(out, t, len);
        return 0;
    }
    case OP_TO_NUMBER:
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (eval(x, a[k], &v) != 0)
                return -1;
            out->type = DL_EXPR_NUMBER;
            switch (v.type) {
            case DL_EXPR_NULL: out->num = 0; return 0;
            case DL_EXPR_NUMBER: out->num = v.num; return 0;
            case DL_EXPR_BOOLEAN: out->num = v.boolean; return 0;
            case DL_EXPR_STRING:
                if (js_string_number(v.str, v.len, &out->num) == 0)
                    return 0;
                break;
            default: break;
            }
        }
        return -1;
    case OP_TO_BOOLEAN:
        if (eval(x, a[0], &v) != 0)
            return -1;
        out->type = DL_EXPR_BOOLEAN;
        out->boolean = v.type == DL_EXPR_BOOLEAN  ? v.boolean
                       : v.type == DL_EXPR_NUMBER ? v.num != 0 && !isnan(v.num)
                       : v.type == DL_EXPR_STRING ? v.len > 0
                                                  : v.type != DL_EXPR_NULL;
        return 0;
    case OP_TO_COLOR:
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (eval(x, a[k], &v) != 0)
                return -1;
            out->type = DL_EXPR_COLOR;
            if (v.type == DL_EXPR_COLOR) {
                out->color = v.color;
                return 0;
            }
            if (v.type == DL_EXPR_STRING && strlen(v.str) == v.len &&
                dl_color_parse(v.str, &out->color) == 0)
                return 0;
            if (v.type == DL_EXPR_ARRAY && (v.len == 3 || v.len == 4)) {
                double c[4] = {0, 0, 0, 1};
                int ok = 1;
                for (size_t j = 0; j < v.len; j++) {
                    ok = ok && v.items[j].type == DL_EXPR_NUMBER;
                    c[j] = v.items[j].num;
                }
                if (ok && c[0] >= 0 && c[0] <= 255 && c[1] >= 0 && c[1] <= 255 && c[2] >= 0 &&
                    c[2] <= 255 && c[3] >= 0 && c[3] <= 1) {
                    out->color = (dl_color){c[0] / 255, c[1] / 255, c[2] / 255, c[3]};
                    return 0;
                }
            }
        }
        return -1;
    case OP_NUMBER_FORMAT: {
        double num, fd;
        int minfd = 0, maxfd = -1;
        if (eval_number(x, a[0], &num) != 0)
            return -1;
        if (a[1] != NOARG) {
            if (eval_number(x, a[1], &fd) != 0 || !(fd >= 0 && fd <= 20))
                return -1;
            minfd = (int)fd;
        }
        if (a[2] != NOARG) {
            if (eval_number(x, a[2], &fd) != 0 || !(fd >= 0 && fd <= 20))
                return -1;
            maxfd = (int)fd;
            if (maxfd < minfd)
                return -1;
        } else {
            maxfd = minfd > 3 ? minfd : 3;
        }
        return number_format(x, num, minfd, maxfd, out);
    }
    case OP_STEP: {
        const double *stops = e->nums + n->aux;
        if (eval_number(x, a[0], &p) != 0 || isnan(p))
            return -1;
        if (n->naux == 0 || p < stops[0])
            return eval(x, a[1], out);
        return eval(x, a[2 + find_stop(stops, n->naux, p)], out);
    }
    case OP_INTERPOLATE: {
        const double *stops = e->nums + n->aux;
        size_t ns = n->naux;
        if (eval_number(x, a[0], &p) != 0)
            return -1;
        if (ns == 1 || p <= stops[0])
            return eval(x, a[1], out);
        if (p >= stops[ns - 1])
            return eval(x, a[ns], out);
        if (isnan(p))
            return -1;
        int k = find_stop(stops, ns, p);
        double lo = stops[k], hi = stops[k + 1], t;
        double diff = hi - lo, prog = p - lo;
        if (diff == 0)
            t = 0;
        else if (n->num == 1)
            t = prog / diff;
        else
            t = (pow(n->num, prog) - 1) / (pow(n->num, diff) - 1);
        if (eval(x, a[1 + k], &v) != 0 || eval(x, a[2 + k], &w) != 0 || v.type != w.type)
            return -1;
        out->type = v.type;
        if (v.type == DL_EXPR_NUMBER) {
            out->num = v.num * (1 - t) + w.num * t;
        } else if (v.type == DL_EXPR_COLOR) {
            out->color.r = v.color.r * (1 - t) + w.color.r * t;
            out->color.g = v.color.g * (1 - t) + w.color.g * t;
            out->color.b = v.color.b * (1 - t) + w.color.b * t;
            out->color.a = v.color.a * (1 - t) + w.color.a * t;
        } else {
            return -1;
        }
        return 0;
    }
    case OP_ADD: case OP_MUL: case OP_MIN: case OP_MAX: {
        double acc = n->op == OP_ADD ? 0 : n->op == OP_MUL ? 1
                     : n->op == OP_MIN ? INFINITY : -INFINITY;
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (eval_number(x, a[k], &p) != 0)
                return -1;
            if (n->op == OP_ADD)
                acc += p;
            else if (n->op == OP_MUL)
                acc *= p;
            else if (isnan(p) || isnan(acc))
                acc = NAN; /* as Math.min/max */
            else
                acc = n->op == OP_MIN ? (p < acc ? p : acc) : (p > acc ? p : acc);
        }
        out->type = DL_EXPR_NUMBER;
        out->num = acc;
        return 0;
    }
    case OP_SUB: case OP_DIV: case OP_MOD: case OP_POW:
        if (eval_number(x, a[0], &p) != 0)
            return -1;
        out->type = DL_EXPR_NUMBER;
        if (n->nargs == 1) {
            out->num = -p;
            return 0;
        }
        if (eval_number(x, a[1], &q) != 0)
            return -1;
        out->num = n->op == OP_SUB   ? p - q
                   : n->op == OP_DIV ? p / q
                   : n->op == OP_MOD ? fmod(p, q)
                                     : pow(p, q);
        return 0;
    case OP_ABS: case OP_CEIL: case OP_FLOOR: case OP_ROUND: case OP_SQRT: case OP_LN:
    case OP_LOG10: case OP_LOG2: case OP_SIN: case OP_COS: case OP_TAN: case OP_ASIN:
    case OP_ACOS: case OP_ATAN:
        if (eval_number(x, a[0], &p) != 0)
            return -1;
        out->type = DL_EXPR_NUMBER;
        switch ((opcode)n->op) {
        case OP_ABS: out->num = fabs(p); break;
        case OP_CEIL: out->num = ceil(p); break;
        case OP_FLOOR: out->num = floor(p); break;
        case OP_ROUND: out->num = round(p); break; /* halves away from zero, as MapLibre */
        case OP_SQRT: out->num = sqrt(p); break;
        case OP_LN: out->num = log(p); break;
        case OP_LOG10: out->num = log10(p); break;
        case OP_LOG2: out->num = log2(p); break;
        case OP_SIN: out->num = sin(p); break;
        case OP_COS: out->num = cos(p); break;
        case OP_TAN: out->num = tan(p); break;
        case OP_ASIN: out->num = asin(p); break;
        case OP_ACOS: out->num = acos(p); break;
        default: out->num = atan(p); break;
        }
        return 0;
    case OP_PI: out->type = DL_EXPR_NUMBER; out->num = 3.14159265358979323846; return 0;
    case OP_E: out->type = DL_EXPR_NUMBER; out->num = 2.71828182845904523536; return 0;
    case OP_LN2: out->type = DL_EXPR_NUMBER; out->num = 0.69314718055994530942; return 0;
    case OP_LENGTH:
        if (eval(x, a[0], &v) != 0)
            return -1;
        out->type = DL_EXPR_NUMBER;
        if (v.type == DL_EXPR_STRING)
            out->num = (double)utf16_length(v.str, v.len);
        else if (v.type == DL_EXPR_ARRAY)
            out->num = (double)v.len;
        else
            return -1;
        return 0;
    case OP_RGB:
    case OP_RGBA: {
        double c[4] = {0, 0, 0, 1};
        for (uint32_t k = 0; k < n->nargs; k++)
            if (eval_number(x, a[k], &c[k]) != 0)
                return -1;
        for (int k = 0; k < 3; k++)
            if (!(c[k] >= 0 && c[k] <= 255))
                return -1;
        if (!(c[3] >= 0 && c[3] <= 1))
            return -1;
        out->type = DL_EXPR_COLOR;
        out->color = (dl_color){c[0] / 255, c[1] / 255, c[2] / 255, c[3]};
        return 0;
    }
    case OP_ASSERT:
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (eval(x, a[k], out) != 0)
                return -1;
            if (out->type == (dl_expr_type)n->sub)
                return 0;
        }
        return -1;
    case OP_LEGACY_CMP: {
        dl_value key;
        legacy_key_value(x, a[0], &key);
        int c = legacy_compare(&key, &e->vals[n->aux]);
        out->type = DL_EXPR_BOOLEAN;
        switch (n->sub) {
        case LEG_EQ: out->boolean = c == 0; break;
        case LEG_NE: out->boolean = c != 0; break;
        case LEG_LT: out->boolean = c == -1; break;
        case LEG_LE: out->boolean = c == -1 || c == 0; break;
        case LEG_GT: out->boolean = c == 1; break;
        default: out->boolean = c == 0 || c == 1; break;
        }
        return 0;
    }
    case OP_LEGACY_IN: {
        dl_value key;
        legacy_key_value(x, a[0], &key);
        out->type = DL_EXPR_BOOLEAN;
        for (uint32_t k = 0; k < n->naux && !out->boolean; k++)
            out->boolean = legacy_compare(&key, &e->vals[n->aux + k]) == 0;
        return 0;
    }
    }
    return -1;
}

int dl_expr_eval(const dl_expr *e, const dl_expr_env *env, dl_expr_scratch *scratch,
                 dl_expr_value *out)
{
    memset(out, 0, sizeof *out);
    if (!e || !env || !scratch)
        return -1;
    scratch_reset(scratch);
    evaluator x = {e, env, scratch};
    if (eval(&x, e->root, out) != 0)
        return -1;
    if (e->want != DL_EXPR_ANY &&
        (out->type == DL_EXPR_NULL || (out->type == DL_EXPR_NUMBER && isnan(out->num))))
        return -1;
    return 0;
}
