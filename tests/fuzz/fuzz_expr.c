/* Expressions: the input is YAML (usually a JSON-style list such as
 * ["interpolate", ["linear"], ["zoom"], ...]); its root is compiled as a
 * value of every type and as a layer filter, then each is evaluated at zoom
 * 10 for a fixed feature, before and after its fields are bound. */
#include <stdio.h>

#include "dline.h"
#include "fuzz.h"
#include "style/expr.h"
#include "style/yaml.h"

static const dl_field fields[] = {
    {"name", DL_VAL_STRING, 40, 0}, {"pop", DL_VAL_INT, 10, 0},
    {"mag", DL_VAL_DOUBLE, 10, 2},  {"flag", DL_VAL_BOOL, 1, 0},
    {"date", DL_VAL_DATE, 8, 0},    {"empty", DL_VAL_STRING, 10, 0},
    {"code", DL_VAL_STRING, 10, 0}, {"color", DL_VAL_STRING, 10, 0},
    {"NAME_EN", DL_VAL_STRING, 40, 0},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static const dl_value values[NFIELDS] = {
    {DL_VAL_STRING, "Main Street \xC3\x96lberg", 0, 0},
    {DL_VAL_INT, NULL, 5000, 0},
    {DL_VAL_DOUBLE, NULL, 0, 4.5},
    {DL_VAL_BOOL, NULL, 1, 0},
    {DL_VAL_DATE, "2020-01-31", 20200131, 0},
    {DL_VAL_NULL, NULL, 0, 0},
    {DL_VAL_STRING, "110", 0, 0},
    {DL_VAL_STRING, "red", 0, 0},
    {DL_VAL_STRING, "", 0, 0},
};

static void run(dl_expr *e, dl_expr_scratch *scratch)
{
    const char *names[8];
    int lines[8], cols[8];
    dl_expr_is_constant(e);
    dl_expr_uses_zoom(e);
    dl_expr_uses_feature(e);
    dl_expr_fields(e, names, lines, cols, 8);
    dl_expr_env env = {values, NFIELDS, 10, "Point", 7};
    dl_expr_value v;
    dl_expr_eval(e, &env, scratch, &v);
    dl_expr_bind(e, fields, NFIELDS);
    dl_expr_eval(e, &env, scratch, &v);
    env.geometry_type = "Polygon";
    env.id = -1;
    dl_expr_eval(e, &env, scratch, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dline_ctx *ctx = dline_ctx_new();
    if (!ctx)
        return 0;
    dl_yaml_doc *doc = NULL;
    if (dl_yaml_parse(ctx, "fuzz.yaml", size ? (const char *)data : "", size, NULL, &doc) !=
        DLINE_OK) {
        dline_ctx_free(ctx);
        return 0;
    }
    const dl_yaml_node *root = dl_yaml_root(doc);
    dl_expr_scratch scratch = {0};
    if (root) {
        static const dl_expr_type types[] = {DL_EXPR_ANY, DL_EXPR_NUMBER, DL_EXPR_STRING,
                                             DL_EXPR_BOOLEAN, DL_EXPR_COLOR};
        for (size_t i = 0; i <= sizeof types / sizeof types[0]; i++) {
            /* Each compile gets a fresh context: the first error wins. */
            dline_ctx *c = dline_ctx_new();
            if (!c)
                break;
            dl_expr *e = NULL;
            dline_status st = i < sizeof types / sizeof types[0]
                                  ? dl_expr_compile(c, "fuzz.yaml", root, types[i], &e)
                                  : dl_expr_compile_filter(c, "fuzz.yaml", root, &e);
            if (st == DLINE_OK && e)
                run(e, &scratch);
            dl_expr_free(e);
            dline_ctx_free(c);
        }
        if (root->kind == DL_YAML_SCALAR)
            dl_expr_is_operator(root->text);
    }
    dl_expr_scratch_free(&scratch);
    dl_yaml_doc_free(doc);
    dline_ctx_free(ctx);
    return 0;
}
