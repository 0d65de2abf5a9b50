/* MapLibre style expressions (["get", "pop"], ["interpolate", ...]) compiled
 * from the YAML node tree into a compact form, checked once for types and
 * arity, and evaluated per feature without allocating. Private to dline. */
#ifndef DL_STYLE_EXPR_H
#define DL_STYLE_EXPR_H

#include <stddef.h>

#include "error.h"
#include "geom.h"
#include "style/style.h"
#include "style/yaml.h"

/* Limits on hostile styles. Depth is counted in nested expressions; the YAML
 * reader already stops at 64 levels for the whole document, so 32 leaves a
 * style room around its expressions and bounds the evaluator's recursion. */
#define DL_EXPR_MAX_DEPTH 32
#define DL_EXPR_MAX_NODES 65536      /* compiled nodes in one expression */
#define DL_EXPR_MAX_ARRAY 4096       /* items in one literal array or match label */
#define DL_EXPR_MAX_STRING (64u << 10) /* bytes of one string made at run time */
#define DL_EXPR_MAX_SCRATCH (4u << 20) /* bytes of strings made in one evaluation */

/* Static types (what an expression is compiled to give) and the kinds of
 * run-time values. NULL is zero so that a zeroed value is null. ANY is only
 * a static type ("any value", MapLibre's `value`); no value has it. */
typedef enum {
    DL_EXPR_NULL = 0,
    DL_EXPR_ANY,
    DL_EXPR_NUMBER,
    DL_EXPR_STRING,
    DL_EXPR_BOOLEAN,
    DL_EXPR_COLOR,
    DL_EXPR_ARRAY
} dl_expr_type;

typedef struct dl_expr dl_expr;

/* A run-time value. Only the fields of its type are set:
 *   NUMBER: num (may be NaN or infinite)      BOOLEAN: boolean (0 or 1)
 *   STRING: str, len (str is NUL-terminated)  COLOR: color
 *   ARRAY: items, len (a literal array of the expression; no nested arrays)
 * str and items point into the expression, the feature's values or the
 * scratch buffer: they live until the next dl_expr_eval with the same
 * scratch, dl_expr_scratch_free or dl_expr_free, whichever comes first. */
typedef struct dl_expr_value dl_expr_value;
struct dl_expr_value {
    dl_expr_type type;
    int boolean;
    double num;
    const char *str;
    size_t len;
    dl_color color;
    const dl_expr_value *items;
};

/* What an evaluation reads: the feature's values (in the order of the fields
 * given to dl_expr_bind), the map's zoom, the geometry type as MapLibre names
 * it ("Point", "LineString", "Polygon"; NULL for none) and the feature id
 * (negative: none, ["id"] is then null). */
typedef struct {
    const dl_value *values;
    size_t nvalues;
    double zoom;
    const char *geometry_type;
    long id;
} dl_expr_env;

/* Strings made while evaluating (concat, upcase, to-string, number-format):
 * a fixed buffer first, then heap chunks that are never moved (so earlier
 * strings stay valid) and are reused by later evaluations. Zero-initialise it
 * ({0}) before first use; free its chunks with dl_expr_scratch_free. One
 * scratch per thread of evaluation. */
typedef struct dl_expr_chunk dl_expr_chunk;
typedef struct {
    char buf[1024];
    size_t used;
    dl_expr_chunk *chunks; /* heap overflow, newest first */
    size_t total;          /* bytes handed out in this evaluation */
} dl_expr_scratch;

void dl_expr_scratch_free(dl_expr_scratch *s);

/* Compiles node, a sequence whose first item is an operator name or a plain
 * scalar (a literal), expecting a result of type `want` (ANY for no
 * expectation). As in MapLibre, a value of unknown type is asserted to the
 * wanted number or boolean, and converted to a wanted string (as to-string)
 * or colour (as to-color). Errors are DLINE_ESTYLE "path:line:col: ..." at
 * the node at fault: unknown operators (with the nearest name suggested),
 * argument counts, static type mismatches, colours that do not parse, depth
 * over DL_EXPR_MAX_DEPTH and the other limits above; DLINE_ENOMEM. On
 * success *out owns a new expression (free with dl_expr_free). Every field
 * reads as null until dl_expr_bind is called. */
dline_status dl_expr_compile(dline_ctx *ctx, const char *path, const dl_yaml_node *node,
                             dl_expr_type want, dl_expr **out);

/* A layer filter. MapLibre's legacy filter syntax (["==", "field", v],
 * ["in", "field", v...], ["has", "f"], ["!in", ...], ["!has", ...], ["none",
 * ...], ["all"/"any" of legacy filters], "$type" and "$id") is recognised by
 * MapLibre's isExpressionFilter rules (a comparison is legacy when it has
 * three items and neither operand is a list) and keeps dline's documented
 * legacy semantics (docs/style.md, Filters: numeric text compares as a
 * number, NULL fails every comparison but != and !in). Anything else is an
 * expression compiled as boolean. A scalar true/false is a constant filter.
 * Errors and ownership as dl_expr_compile. */
dline_status dl_expr_compile_filter(dline_ctx *ctx, const char *path, const dl_yaml_node *node,
                                    dl_expr **out);

/* Whether name is a MapLibre expression operator (supported or not): a list
 * of names, such as text-font's, is a value unless it starts with one. */
int dl_expr_is_operator(const char *name);

/* The i-th operator dline implements (its table's order), NULL past the
 * last: for tests that every one is documented and exercised. */
const char *dl_expr_operator(size_t i);

/* The operator name node of the first MapLibre operator dline does not
 * implement (format, image, feature-state, interpolate-hcl, ...; the names
 * dl_expr_compile calls "not supported", and the cubic-bezier
 * interpolation) used in the expression or filter
 * node, in the order written; NULL when there is none. Literal arrays and
 * match labels are values and not searched. For MapLibre styles, which
 * drop what uses one with a warning instead of failing (maplibre.c). */
const dl_yaml_node *dl_expr_find_unsupported(const dl_yaml_node *node);

/* Frees e; NULL is a no-op. */
void dl_expr_free(dl_expr *e);

/* What the result depends on. Constant: neither zoom nor feature data (it
 * may be evaluated once with any env). Feature data: get, has, id,
 * geometry-type and legacy filters. */
int dl_expr_is_constant(const dl_expr *e);
int dl_expr_uses_zoom(const dl_expr *e);
int dl_expr_uses_feature(const dl_expr *e);

/* 0 with *bound >= |v| for every number v that e can give (whatever the
 * feature), when e picks among literal outputs (match, case, coalesce,
 * step, interpolate over literals); -1 when no such bound is known. */
int dl_expr_number_bound(const dl_expr *e, double *bound);

/* The attribute names read by get/has/legacy filters, one entry per place
 * they are named, in the order written, each with the line:column of its
 * name. Fills at most cap entries (names owned by e; lines/cols may be NULL)
 * and returns the total number, which may exceed cap. */
size_t dl_expr_fields(const dl_expr *e, const char **names, int *lines, int *cols, size_t cap);

/* Resolves the attribute names against a source's fields, exact name first,
 * then ignoring ASCII case (DBF names are often upper case); a name not found
 * reads as null. Call once per source before evaluating features from it;
 * not safe while another thread evaluates e. */
void dl_expr_bind(dl_expr *e, const dl_field *fields, size_t nfields);

/* Evaluates e for one feature. Returns 0 with *out set, or -1 on a run-time
 * error (a type assertion that fails, a colour that does not parse, a
 * string over DL_EXPR_MAX_STRING, ...): the property then takes its default
 * and a filter does not match, as in MapLibre. When e was compiled for a
 * type other than ANY (filters: BOOLEAN), a null or NaN result is also -1
 * (MapLibre uses the default then too); for ANY, null is a value. Does not
 * allocate unless made strings overflow the scratch's fixed buffer. */
int dl_expr_eval(const dl_expr *e, const dl_expr_env *env, dl_expr_scratch *scratch,
                 dl_expr_value *out);

#endif
