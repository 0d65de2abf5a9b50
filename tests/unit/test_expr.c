/* The expression engine: a table of expressions with the features and zoom
 * they are evaluated at and what they give, a table of compile errors with
 * their exact messages, and hostile input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "style/expr.h"
#include "style/yaml.h"

/* Heap allocations made through malloc, calloc and realloc by dline's code
 * and this file: the test is linked with -Wl,--wrap for the three
 * (tests/CMakeLists.txt), so every call from libdline's objects comes here. */
static size_t allocations;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

void *__wrap_malloc(size_t size)
{
    allocations++;
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    allocations++;
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    allocations++;
    return __real_realloc(p, size);
}

/* DBF names are at most 10 bytes, so MapLibre's "building_type" is "btype"
 * and "someProperty" is "someProp" in the examples below. */
static const dl_field fields[] = {
    {"name", DL_VAL_STRING, 40, 0},   {"population", DL_VAL_INT, 10, 0},
    {"mag", DL_VAL_DOUBLE, 10, 2},    {"btype", DL_VAL_STRING, 20, 0},
    {"point_count", DL_VAL_INT, 10, 0}, {"height", DL_VAL_DOUBLE, 10, 2},
    {"sq-km", DL_VAL_DOUBLE, 10, 2},  {"color", DL_VAL_STRING, 10, 0},
    {"flag", DL_VAL_BOOL, 1, 0},      {"code", DL_VAL_STRING, 10, 0},
    {"date", DL_VAL_DATE, 8, 0},      {"empty", DL_VAL_STRING, 10, 0},
    {"NAME_EN", DL_VAL_STRING, 40, 0},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static const dl_value feature0[NFIELDS] = {
    {DL_VAL_STRING, "Main Street", 0, 0}, {DL_VAL_INT, NULL, 5000, 0},
    {DL_VAL_DOUBLE, NULL, 0, 4.5},        {DL_VAL_STRING, "residential", 0, 0},
    {DL_VAL_INT, NULL, 120, 0},           {DL_VAL_DOUBLE, NULL, 0, 30},
    {DL_VAL_DOUBLE, NULL, 0, 2.5},        {DL_VAL_STRING, "red", 0, 0},
    {DL_VAL_BOOL, NULL, 1, 0},            {DL_VAL_STRING, "110", 0, 0},
    {DL_VAL_DATE, "2020-01-31", 20200131, 0}, {DL_VAL_NULL, NULL, 0, 0},
    {DL_VAL_STRING, "High Street", 0, 0},
};

static const dl_value feature1[NFIELDS] = {
    {DL_VAL_STRING, "\xC3\x96lberg", 0, 0}, {DL_VAL_NULL, NULL, 0, 0},
    {DL_VAL_DOUBLE, NULL, 0, 6.2},        {DL_VAL_STRING, "commercial", 0, 0},
    {DL_VAL_INT, NULL, 800, 0},           {DL_VAL_DOUBLE, NULL, 0, 12.5},
    {DL_VAL_DOUBLE, NULL, 0, 0},          {DL_VAL_STRING, "blue", 0, 0},
    {DL_VAL_BOOL, NULL, 0, 0},            {DL_VAL_STRING, "abc", 0, 0},
    {DL_VAL_NULL, NULL, 0, 0},            {DL_VAL_NULL, NULL, 0, 0},
    {DL_VAL_NULL, NULL, 0, 0},
};

static const dl_value *const features[] = {feature0, feature1};

#define A DL_EXPR_ANY
#define N DL_EXPR_NUMBER
#define S DL_EXPR_STRING
#define B DL_EXPR_BOOLEAN
#define C DL_EXPR_COLOR
#define F 99 /* compiled with dl_expr_compile_filter */

typedef struct {
    const char *text;   /* the expression, as YAML */
    int want;           /* dl_expr_type, or F for a filter */
    int feature;        /* index into features */
    double zoom;
    const char *expect; /* "n:NUMBER", "s:TEXT", "b:0|1", "c:R,G,B,A" (0..1), "a:LENGTH",
                           "null", "err" */
} eval_case;

/* MapLibre's documented examples: the "example" of each operator in
 * maplibre-style-spec src/reference/v8.json (field names shortened as
 * above; feature-state and image, which dline lacks, replaced by get).
 * test_every_operator_documented checks that each operator dline has is
 * used in at least one of them. */
static const eval_case spec_cases[] = {
    {"[\"get\", \"name\"]", A, 0, 0, "s:Main Street"},
    {"[\"has\", \"someProp\"]", B, 0, 0, "b:0"},
    {"[\"==\", [\"geometry-type\"], \"Polygon\"]", B, 0, 0, "b:1"},
    {"[\"id\"]", A, 0, 0, "n:7"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 15, 0, 15.05, [\"get\", \"height\"]]", N, 0, 14, "n:0"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 15, 0, 15.05, [\"get\", \"height\"]]", N, 0, 16, "n:30"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 15, 0, 15.05, [\"get\", \"height\"]]", N, 0, 15.025, "n:15"},
    {"[\"+\", 2, 3]", N, 0, 0, "n:5"},
    {"[\"*\", 2, 3]", N, 0, 0, "n:6"},
    {"[\"-\", 10]", N, 0, 0, "n:-10"},
    {"[\"/\", [\"get\", \"population\"], [\"get\", \"sq-km\"]]", N, 0, 0, "n:2000"},
    {"[\"%\", 10, 3]", N, 0, 0, "n:1"},
    {"[\"^\", 2, 3]", N, 0, 0, "n:8"},
    {"[\"sqrt\", 9]", N, 0, 0, "n:3"},
    {"[\"log10\", 8]", N, 0, 0, "n:0.9030899869919435"},
    {"[\"ln\", 8]", N, 0, 0, "n:2.0794415416798357"},
    {"[\"log2\", 8]", N, 0, 0, "n:3"},
    {"[\"min\", 1, 2]", N, 0, 0, "n:1"},
    {"[\"max\", 1, 2]", N, 0, 0, "n:2"},
    {"[\"round\", 1.5]", N, 0, 0, "n:2"},
    {"[\"round\", -1.5]", N, 0, 0, "n:-2"}, /* from round's doc text */
    {"[\"abs\", -1.5]", N, 0, 0, "n:1.5"},
    {"[\"ceil\", 1.5]", N, 0, 0, "n:2"},
    {"[\"floor\", 1.5]", N, 0, 0, "n:1"},
    {"[\"==\", \"$type\", \"Polygon\"]", B, 0, 0, "b:0"}, /* as an expression: two strings */
    {"[\"==\", \"$type\", \"Polygon\"]", F, 0, 0, "b:1"}, /* as a filter: legacy $type */
    {"[\"!=\", \"cluster\", true]", F, 0, 0, "b:1"},
    {"[\">\", [\"get\", \"mag\"], 2]", B, 0, 0, "b:1"},
    {"[\"<\", [\"get\", \"mag\"], 2]", B, 0, 0, "b:0"},
    {"[\">=\", [\"get\", \"mag\"], 6]", B, 1, 0, "b:1"},
    {"[\"<=\", [\"get\", \"mag\"], 6]", B, 1, 0, "b:0"},
    {"[\"all\", [\">=\", [\"get\", \"mag\"], 4], [\"<\", [\"get\", \"mag\"], 5]]", B, 0, 0, "b:1"},
    {"[\"all\", [\">=\", [\"get\", \"mag\"], 4], [\"<\", [\"get\", \"mag\"], 5]]", B, 1, 0, "b:0"},
    {"[\"any\", [\">=\", [\"get\", \"mag\"], 4], [\"<\", [\"get\", \"mag\"], 5]]", B, 1, 0, "b:1"},
    {"[\"!\", [\"has\", \"point_count\"]]", B, 0, 0, "b:0"},
    {"[\"upcase\", [\"get\", \"name\"]]", S, 0, 0, "s:MAIN STREET"},
    {"[\"upcase\", [\"get\", \"name\"]]", S, 1, 0, "s:\xC3\x96LBERG"},
    {"[\"downcase\", [\"get\", \"name\"]]", S, 1, 0, "s:\xC3\xB6lberg"},
    {"[\"concat\", \"square-rgb-\", [\"get\", \"color\"]]", S, 0, 0, "s:square-rgb-red"},
    {"[\"number-format\", [\"get\", \"mag\"], {\"min-fraction-digits\": 1, \"max-fraction-digits\": 1}]", S, 1, 0, "s:6.2"},
    {"[\"to-string\", [\"get\", \"mag\"]]", S, 0, 0, "s:4.5"},
    {"[\"to-number\", \"someProperty\"]", N, 0, 0, "err"},
    {"[\"to-boolean\", \"someProperty\"]", B, 0, 0, "b:1"},
    {"[\"to-color\", \"#edf8e9\"]", C, 0, 0, "c:0.929411764705882,0.972549019607843,0.913725490196078,1"},
    {"[\"rgb\", 255, 0, 0]", C, 0, 0, "c:1,0,0,1"},
    {"[\"rgba\", 255, 0, 0, 1]", C, 0, 0, "c:1,0,0,1"},
    {"[\"length\", [\"get\", \"myArray\"]]", N, 0, 0, "err"}, /* no such field: null */
    {"[\"in\", \"$type\", \"Point\"]", B, 0, 0, "b:0"},
    {"[\"case\", [\"boolean\", [\"get\", \"flag\"], false], 1, 0.5]", N, 0, 0, "n:1"},
    {"[\"case\", [\"boolean\", [\"get\", \"flag\"], false], 1, 0.5]", N, 1, 0, "n:0.5"},
    {"[\"match\", [\"get\", \"btype\"], \"residential\", \"#f00\", \"commercial\", \"#0f0\", \"#000\"]", C, 0, 0, "c:1,0,0,1"},
    {"[\"match\", [\"get\", \"btype\"], \"residential\", \"#f00\", \"commercial\", \"#0f0\", \"#000\"]", C, 1, 0, "c:0,1,0,1"},
    {"[\"step\", [\"get\", \"point_count\"], 20, 100, 30, 750, 40]", N, 0, 0, "n:30"},
    {"[\"step\", [\"get\", \"point_count\"], 20, 100, 30, 750, 40]", N, 1, 0, "n:40"},
    {"[\"string\", [\"get\", \"name\"]]", S, 0, 0, "s:Main Street"},
    {"[\"number\", [\"get\", \"population\"]]", N, 0, 0, "n:5000"},
    {"[\"literal\", [\"DIN Offc Pro Italic\", \"Arial Unicode MS Regular\"]]", A, 0, 0, "a:2"},
    /* ["coalesce", ["image", ["concat", ["get", "icon"], "_15"]], ["image", "marker_15"]]
     * without image: the first non-null of two attributes, then a constant */
    {"[\"coalesce\", [\"get\", \"empty\"], [\"get\", \"name\"], \"marker_15\"]", S, 0, 0, "s:Main Street"},
    {"[\"coalesce\", [\"get\", \"empty\"], [\"get\", \"nosuch\"], \"marker_15\"]", S, 0, 0, "s:marker_15"},
    {"[\"coalesce\", [\"concat\", [\"get\", \"empty\"], \"_15\"], \"marker_15\"]", S, 0, 0, "s:_15"},
    {"[\"sin\", 1]", N, 0, 0, "n:0.8414709848078965"},
    {"[\"cos\", 1]", N, 0, 0, "n:0.5403023058681398"},
    {"[\"tan\", 1]", N, 0, 0, "n:1.5574077246549023"},
    {"[\"asin\", 1]", N, 0, 0, "n:1.5707963267948966"},
    {"[\"acos\", 1]", N, 0, 0, "n:0"},
    {"[\"atan\", 1]", N, 0, 0, "n:0.7853981633974483"},
    {"[\"pi\"]", N, 0, 0, "n:3.141592653589793"},
    {"[\"e\"]", N, 0, 0, "n:2.718281828459045"},
    {"[\"ln2\"]", N, 0, 0, "n:0.6931471805599453"},
};

static const eval_case cases[] = {
    /* dline's own cases: edges and MapLibre's rules as its source has them */
    {"[\"to-string\", [\"literal\", [\"DIN Offc Pro Italic\", \"Arial Unicode MS Regular\"]]]", S, 0, 0,
     "s:[\"DIN Offc Pro Italic\",\"Arial Unicode MS Regular\"]"},
    {"42", N, 0, 0, "n:42"},
    {"\"42\"", S, 0, 0, "s:42"},
    {"[\"get\", \"name\"]", S, 1, 0, "s:\xC3\x96lberg"},
    {"[\"get\", \"name_en\"]", S, 0, 0, "s:High Street"}, /* any case */
    {"[\"get\", \"empty\"]", A, 0, 0, "null"},
    {"[\"get\", \"empty\"]", S, 0, 0, "s:"}, /* to-string of null */
    {"[\"get\", \"nosuch\"]", N, 0, 0, "err"},
    {"[\"get\", \"date\"]", S, 0, 0, "s:2020-01-31"},
    {"[\"==\", [\"get\", \"code\"], 110]", B, 0, 0, "b:0"}, /* strictly typed */
    {"[\"==\", \"code\", 110]", F, 0, 0, "b:1"},           /* legacy: numeric text */
    {"[\"==\", [\"get\", \"empty\"], null]", B, 0, 0, "b:1"},
    {"[\"!=\", [\"get\", \"nosuch\"], 1]", B, 0, 0, "b:1"},
    {"[\"==\", [\"get\", \"population\"], 5000]", B, 0, 0, "b:1"},
    {"[\"<\", [\"get\", \"name\"], \"N\"]", B, 0, 0, "b:1"},
    {"[\"<\", [\"get\", \"name\"], 5]", B, 0, 0, "err"},
    {"[\"<\", [\"get\", \"name\"], [\"get\", \"population\"]]", B, 0, 0, "err"},
    {"[\"in\", \"Main\", [\"get\", \"name\"]]", B, 0, 0, "b:1"},
    {"[\"in\", [\"get\", \"btype\"], [\"literal\", [\"residential\", \"x\"]]]", B, 0, 0, "b:1"},
    {"[\"in\", 5, [\"literal\", [1, 5]]]", B, 0, 0, "b:1"},
    {"[\"in\", \"5\", [\"literal\", [1, 5]]]", B, 0, 0, "b:0"},
    {"[\"in\", \"x\", [\"get\", \"empty\"]]", B, 0, 0, "b:0"},
    {"[\"match\", [\"get\", \"point_count\"], [100, 120], \"a\", 800, \"b\", \"c\"]", S, 0, 0, "s:a"},
    {"[\"match\", [\"get\", \"point_count\"], [100, 120], \"a\", 800, \"b\", \"c\"]", S, 1, 0, "s:b"},
    {"[\"match\", [\"get\", \"name\"], 1, \"one\", \"other\"]", S, 0, 0, "s:other"},
    {"[\"coalesce\", [\"get\", \"empty\"], [\"get\", \"name\"]]", S, 0, 0, "s:Main Street"},
    {"[\"coalesce\", [\"get\", \"population\"], 0]", N, 1, 0, "n:0"},
    {"[\"coalesce\", [\"get\", \"empty\"], [\"get\", \"nosuch\"]]", N, 0, 0, "err"},
    {"[\"case\", false, 1, [\"get\", \"flag\"], 2, 3]", N, 0, 0, "n:2"},
    {"[\"step\", [\"zoom\"], 1, 10, 2]", N, 0, 10, "n:2"},
    {"[\"step\", [\"zoom\"], 1, 10, 2]", N, 0, 9.99, "n:1"},
    {"[\"step\", [\"/\", 0, 0], 1, 10, 2]", N, 0, 0, "err"},
    {"[\"interpolate\", [\"exponential\", 2], [\"zoom\"], 0, 0, 2, 3]", N, 0, 1, "n:1"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 0, \"black\", 10, \"white\"]", C, 0, 5, "c:0.5,0.5,0.5,1"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 0, \"rgba(255,0,0,0)\", 10, \"blue\"]", C, 0, 5, "c:0.5,0,0.5,0.5"},
    {"[\"interpolate\", [\"linear\"], [\"get\", \"mag\"], 0, 0, 10, 100]", N, 1, 0, "n:62"},
    {"[\"interpolate\", [\"linear\"], [\"get\", \"population\"], 0, 0, 10, 100]", N, 1, 0, "err"},
    {"[\"%\", -7, 3]", N, 0, 0, "n:-1"},
    {"[\"/\", 0, 0]", N, 0, 0, "err"}, /* NaN: the default applies */
    {"[\"/\", 1, 0]", N, 0, 0, "n:inf"},
    {"[\"*\", 1e308, 10]", N, 0, 0, "n:inf"},
    {"[\"+\", [\"get\", \"name\"], 1]", N, 0, 0, "err"},
    {"[\"min\"]", N, 0, 0, "n:inf"},
    {"[\"length\", \"\xC3\x96lberg\"]", N, 0, 0, "n:6"},
    {"[\"length\", \"\xF0\x9F\x98\x80\"]", N, 0, 0, "n:2"}, /* UTF-16 units */
    {"[\"length\", [\"literal\", [1, 2, 3]]]", N, 0, 0, "n:3"},
    {"[\"to-number\", [\"get\", \"code\"]]", N, 0, 0, "n:110"},
    {"[\"to-number\", \"abc\", \"  12  \"]", N, 0, 0, "n:12"},
    {"[\"to-number\", null]", N, 0, 0, "n:0"},
    {"[\"to-number\", \".5\"]", N, 0, 0, "n:0.5"},
    {"[\"to-number\", \"0x1F\"]", N, 0, 0, "n:31"},
    {"[\"to-number\", true]", N, 0, 0, "n:1"},
    {"[\"to-boolean\", 0]", B, 0, 0, "b:0"},
    {"[\"to-boolean\", \"\"]", B, 0, 0, "b:0"},
    {"[\"to-string\", [\"+\", 0.1, 0.2]]", S, 0, 0, "s:0.30000000000000004"},
    {"[\"to-string\", 1e21]", S, 0, 0, "s:1e+21"},
    {"[\"to-string\", 123456789012]", S, 0, 0, "s:123456789012"},
    {"[\"to-string\", 0.000001]", S, 0, 0, "s:0.000001"},
    {"[\"to-string\", 1e-7]", S, 0, 0, "s:1e-7"},
    {"[\"to-string\", -1.5e-10]", S, 0, 0, "s:-1.5e-10"},
    {"[\"to-string\", [\"/\", 1, 0]]", S, 0, 0, "s:Infinity"},
    {"[\"to-string\", [\"rgba\", 255, 0, 0, 0.5]]", S, 0, 0, "s:rgba(255,0,0,0.5)"},
    {"[\"to-string\", true]", S, 0, 0, "s:true"},
    {"[\"to-string\", null]", S, 0, 0, "s:"},
    {"[\"get\", \"population\"]", S, 0, 0, "s:5000"},
    {"[\"concat\", [\"get\", \"name\"], \" (\", [\"get\", \"population\"], \")\"]", S, 0, 0, "s:Main Street (5000)"},
    {"[\"concat\"]", S, 0, 0, "s:"},
    {"[\"number-format\", 1234567.891, {}]", S, 0, 0, "s:1,234,567.891"},
    {"[\"number-format\", 0.125, {\"max-fraction-digits\": 2}]", S, 0, 0, "s:0.13"},
    {"[\"number-format\", 2.5, {\"max-fraction-digits\": 0}]", S, 0, 0, "s:3"},
    {"[\"number-format\", -1234.5, {\"min-fraction-digits\": 2}]", S, 0, 0, "s:-1,234.50"},
    {"[\"number-format\", 999.9996, {\"locale\": \"de-DE\"}]", S, 0, 0, "s:1,000"},
    {"[\"number-format\", 1, {\"min-fraction-digits\": 5}]", S, 0, 0, "s:1.00000"},
    {"[\"number-format\", 1, {\"min-fraction-digits\": 3, \"max-fraction-digits\": 1}]", S, 0, 0, "err"},
    {"[\"number-format\", 1e300, {\"max-fraction-digits\": 21}]", S, 0, 0, "err"},
    {"[\"upcase\", \"stra\xC3\x9F" "e \xC4\x8D \xCF\x82\"]", S, 0, 0, "s:STRA\xC3\x9F" "E \xC4\x8C \xCE\xA3"},
    {"[\"rgb\", 300, 0, 0]", C, 0, 0, "err"},
    {"[\"rgba\", 0, 0, 0, 2]", C, 0, 0, "err"},
    {"[\"to-color\", \"notacolor\", \"navy\"]", C, 0, 0, "c:0,0,0.501960784313725,1"},
    {"[\"to-color\", [\"get\", \"name\"]]", C, 0, 0, "err"},
    {"[\"to-color\", [\"literal\", [0, 255, 0]]]", C, 0, 0, "c:0,1,0,1"},
    {"[\"get\", \"color\"]", C, 1, 0, "c:0,0,1,1"},
    {"[\"boolean\", [\"get\", \"name\"]]", B, 0, 0, "err"},
    {"[\"pi\"]", N, 0, 0, "n:3.141592653589793"},

    /* filters: legacy forms with dline's documented rules, and expressions */
    {"true", F, 0, 0, "b:1"},
    {"[\"in\", \"btype\", \"residential\", \"commercial\"]", F, 1, 0, "b:1"},
    {"[\"!in\", \"btype\", \"commercial\"]", F, 0, 0, "b:1"},
    {"[\"in\", \"$type\", \"Point\", \"LineString\"]", F, 0, 0, "b:0"},
    {"[\"has\", \"name\"]", F, 0, 0, "b:1"},
    {"[\"has\", \"empty\"]", F, 0, 0, "b:0"},
    {"[\"!has\", \"empty\"]", F, 0, 0, "b:1"},
    {"[\"has\", \"$type\"]", F, 0, 0, "b:1"},
    {"[\"==\", \"$id\", 7]", F, 0, 0, "b:1"},
    {"[\"all\", [\"==\", \"btype\", \"residential\"], [\">=\", \"population\", 1000]]", F, 0, 0, "b:1"},
    {"[\">=\", \"population\", 1000]", F, 1, 0, "b:0"}, /* NULL */
    {"[\"!=\", \"population\", 1000]", F, 1, 0, "b:1"},
    {"[\"none\", [\"==\", \"btype\", \"residential\"]]", F, 0, 0, "b:0"},
    {"[\"any\", [\"==\", \"btype\", \"x\"], [\"==\", \"NAME\", \"Main Street\"]]", F, 0, 0, "b:1"},
    {"[\"all\", [\"==\", [\"get\", \"btype\"], \"residential\"], [\">=\", \"population\", 100000]]", F, 0, 0, "b:0"},
    {"[\"==\", \"date\", \"2020-01-31\"]", F, 0, 0, "b:1"},
    {"[\">\", \"date\", 20200101]", F, 0, 0, "b:1"},
    {"[\"==\", \"empty\", null]", F, 0, 0, "b:1"},
    {"[\"all\", [\">\", [\"get\", \"mag\"], 4], [\"==\", [\"geometry-type\"], \"Polygon\"]]", F, 0, 0, "b:1"},
    {"[\">\", [\"get\", \"name\"], 1]", F, 0, 0, "err"}, /* a run-time error: no match */
    {"[\"get\", \"flag\"]", F, 1, 0, "b:0"},
};

static dl_yaml_doc *parse(dline_ctx *ctx, const char *text)
{
    dl_yaml_doc *doc = NULL;
    if (dl_yaml_parse(ctx, "t.yaml", text, strlen(text), NULL, &doc) != DLINE_OK)
        fail_msg("YAML '%s': %s", text, dline_ctx_message(ctx));
    return doc;
}

static int close_to(double a, double b)
{
    if (isinf(b))
        return a == b;
    return fabs(a - b) <= 1e-9 * (1 + fabs(b));
}

static void check_value(const eval_case *tc, int rc, const dl_expr_value *v)
{
    const char *x = tc->expect;
    if (strcmp(x, "err") == 0) {
        if (rc != -1)
            fail_msg("%s: expected a run-time error, got type %d", tc->text, v->type);
        return;
    }
    if (rc != 0)
        fail_msg("%s: run-time error, expected %s", tc->text, x);
    if (x[0] == 'a') {
        if (v->type != DL_EXPR_ARRAY || v->len != strtoul(x + 2, NULL, 10))
            fail_msg("%s: expected an array of %s, got type %d", tc->text, x + 2, v->type);
    } else if (strcmp(x, "null") == 0) {
        if (v->type != DL_EXPR_NULL)
            fail_msg("%s: expected null, got type %d", tc->text, v->type);
    } else if (x[0] == 'n') {
        double want = strcmp(x + 2, "inf") == 0 ? INFINITY : strtod(x + 2, NULL);
        if (v->type != DL_EXPR_NUMBER || !close_to(v->num, want))
            fail_msg("%s: expected %s, got type %d %.17g", tc->text, x, v->type, v->num);
    } else if (x[0] == 's') {
        if (v->type != DL_EXPR_STRING || v->len != strlen(x + 2) || strcmp(v->str, x + 2) != 0)
            fail_msg("%s: expected '%s', got type %d '%s'", tc->text, x + 2, v->type,
                     v->type == DL_EXPR_STRING ? v->str : "");
    } else if (x[0] == 'b') {
        if (v->type != DL_EXPR_BOOLEAN || v->boolean != (x[2] == '1'))
            fail_msg("%s: expected %s, got type %d %d", tc->text, x, v->type, v->boolean);
    } else if (x[0] == 'c') {
        double c[4];
        sscanf(x + 2, "%lf,%lf,%lf,%lf", &c[0], &c[1], &c[2], &c[3]);
        if (v->type != DL_EXPR_COLOR || fabs(v->color.r - c[0]) > 1e-9 ||
            fabs(v->color.g - c[1]) > 1e-9 || fabs(v->color.b - c[2]) > 1e-9 ||
            fabs(v->color.a - c[3]) > 1e-9)
            fail_msg("%s: expected %s, got type %d %g,%g,%g,%g", tc->text, x, v->type,
                     v->color.r, v->color.g, v->color.b, v->color.a);
    }
}

static void eval_cases(const eval_case *table, size_t ncases)
{
    dline_ctx *ctx = dline_ctx_new();
    dl_expr_scratch scratch = {0};
    for (size_t k = 0; k < ncases; k++) {
        const eval_case *tc = &table[k];
        dl_yaml_doc *doc = parse(ctx, tc->text);
        dl_expr *e = NULL;
        dline_status st = tc->want == F
                              ? dl_expr_compile_filter(ctx, "t.yaml", dl_yaml_root(doc), &e)
                              : dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc),
                                                (dl_expr_type)tc->want, &e);
        dl_yaml_doc_free(doc);
        if (st != DLINE_OK)
            fail_msg("%s: did not compile: %s", tc->text, dline_ctx_message(ctx));
        dl_expr_bind(e, fields, NFIELDS);
        dl_expr_env env = {features[tc->feature], NFIELDS, tc->zoom, "Polygon", 7};
        dl_expr_value v;
        int rc = dl_expr_eval(e, &env, &scratch, &v);
        check_value(tc, rc, &v);
        dl_expr_free(e);
    }
    dl_expr_scratch_free(&scratch);
    dline_ctx_free(ctx);
}

static void test_spec_examples(void **state)
{
    (void)state;
    eval_cases(spec_cases, sizeof spec_cases / sizeof spec_cases[0]);
}

static void test_eval_table(void **state)
{
    (void)state;
    eval_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Every operator the engine has appears, as an operator (["name", ...), in
 * at least one of MapLibre's documented examples above. */
static void test_every_operator_documented(void **state)
{
    (void)state;
    size_t nops = 0;
    for (const char *op; (op = dl_expr_operator(nops)) != NULL; nops++) {
        char call[32];
        snprintf(call, sizeof call, "[\"%s\"", op);
        int found = 0;
        for (size_t k = 0; k < sizeof spec_cases / sizeof spec_cases[0] && !found; k++)
            found = strstr(spec_cases[k].text, call) != NULL;
        if (!found)
            fail_msg("operator '%s' has no MapLibre-documented example in spec_cases", op);
    }
    assert_true(nops >= 59); /* the table is really there */
}

/* The common case allocates nothing: evaluating compiled expressions of the
 * kinds styles use per feature (get, comparisons, match, case, coalesce,
 * interpolate, step, concat of up to 16 parts, arithmetic, legacy and
 * expression filters) makes no heap allocation, for any feature or zoom.
 * Counted through the --wrap'ed allocator: an allocation added to any of
 * these paths fails the test. */
static const struct {
    const char *text;
    int want;
} no_alloc[] = {
    {"[\"get\", \"name\"]", S},
    {"[\"get\", \"population\"]", N},
    {"[\"==\", [\"get\", \"btype\"], \"residential\"]", B},
    {"[\"!=\", [\"get\", \"mag\"], 4.5]", B},
    {"[\">=\", [\"get\", \"population\"], 1000]", B},
    {"[\"all\", [\"has\", \"name\"], [\"!\", [\"==\", [\"geometry-type\"], \"Point\"]]]", B},
    {"[\"in\", [\"get\", \"btype\"], [\"literal\", [\"residential\", \"commercial\"]]]", B},
    {"[\"match\", [\"get\", \"btype\"], \"residential\", \"#f00\", [\"commercial\", \"x\"], \"#0f0\", \"#000\"]", C},
    {"[\"match\", [\"get\", \"point_count\"], [100, 120], 1, 800, 2, 3]", N},
    {"[\"case\", [\"<\", [\"get\", \"mag\"], 5], \"small\", [\"has\", \"flag\"], \"flagged\", \"large\"]", S},
    {"[\"coalesce\", [\"get\", \"empty\"], [\"get\", \"name\"], \"?\"]", S},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 10, 1, 16, 6]", N},
    {"[\"interpolate\", [\"exponential\", 1.5], [\"zoom\"], 10, [\"get\", \"mag\"], 16, [\"*\", [\"get\", \"mag\"], 4]]", N},
    {"[\"interpolate\", [\"linear\"], [\"get\", \"height\"], 0, \"#ffffcc\", 20, \"#41b6c4\", 40, \"#253494\"]", C},
    {"[\"step\", [\"get\", \"point_count\"], \"#51bbd6\", 100, \"#f1f075\", 750, \"#f28cb1\"]", C},
    {"[\"step\", [\"zoom\"], 1, 8, 2, 12, 4]", N},
    {"[\"concat\", [\"get\", \"name\"], \" (\", [\"get\", \"population\"], \")\"]", S},
    {"[\"concat\", \"a\", [\"get\", \"name\"], \"c\", [\"get\", \"mag\"], \"e\", \"f\", \"g\", \"h\", "
     "\"i\", \"j\", \"k\", \"l\", \"m\", \"n\", [\"get\", \"code\"], [\"get\", \"btype\"]]", S}, /* 16 */
    {"[\"+\", [\"*\", [\"get\", \"mag\"], 2], [\"/\", [\"get\", \"height\"], 3], [\"-\", 1], [\"%\", 7, 4], [\"^\", 2, 3]]", N},
    {"[\"max\", 1, [\"sqrt\", [\"abs\", [\"get\", \"height\"]]], [\"round\", [\"get\", \"mag\"]]]", N},
    {"[\"to-string\", [\"get\", \"mag\"]]", S},
    {"[\"upcase\", [\"get\", \"name\"]]", S},
    {"[\"all\", [\"==\", \"btype\", \"residential\"], [\">=\", \"population\", 1000], [\"has\", \"name\"]]", F},
    {"[\"in\", \"btype\", \"residential\", \"commercial\"]", F},
    {"[\"all\", [\">\", [\"get\", \"mag\"], 4], [\"==\", [\"geometry-type\"], \"Polygon\"]]", F},
};

static void test_eval_allocates_nothing(void **state)
{
    (void)state;
    enum { NCASES = sizeof no_alloc / sizeof no_alloc[0] };
    dline_ctx *ctx = dline_ctx_new();
    dl_expr *e[NCASES];
    size_t before = allocations;
    for (size_t k = 0; k < NCASES; k++) {
        dl_yaml_doc *doc = parse(ctx, no_alloc[k].text);
        dline_status st = no_alloc[k].want == F
                              ? dl_expr_compile_filter(ctx, "t.yaml", dl_yaml_root(doc), &e[k])
                              : dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc),
                                                (dl_expr_type)no_alloc[k].want, &e[k]);
        dl_yaml_doc_free(doc);
        if (st != DLINE_OK)
            fail_msg("%s: did not compile: %s", no_alloc[k].text, dline_ctx_message(ctx));
        dl_expr_bind(e[k], fields, NFIELDS);
    }
    /* The counter sees dline's allocations: compiling made some. */
    assert_true(allocations > before);

    dl_expr_scratch scratch = {0};
    static const double zooms[] = {0, 9.5, 11, 14.25, 22};
    before = allocations;
    size_t evaluated = 0;
    for (int round = 0; round < 3; round++)
        for (size_t f = 0; f < 2; f++)
            for (size_t z = 0; z < sizeof zooms / sizeof zooms[0]; z++)
                for (size_t k = 0; k < NCASES; k++) {
                    dl_expr_env env = {features[f], NFIELDS, zooms[z], f ? "Point" : "Polygon",
                                       (long)f};
                    dl_expr_value v;
                    if (dl_expr_eval(e[k], &env, &scratch, &v) == 0)
                        evaluated++;
                }
    size_t made = allocations - before;
    /* Not vacuous: nearly every evaluation gave a value (the feature with
     * nulls fails a few, as MapLibre would). */
    assert_true(evaluated > 3 * 2 * 5 * NCASES * 3 / 4);
    if (made != 0)
        fail_msg("evaluating made %zu heap allocations, expected none", made);
    assert_null(scratch.chunks);

    /* And the counter does see the evaluator: concat of more than 16 parts
     * allocates its value array, which the test must notice. */
    dl_yaml_doc *doc = parse(ctx, "[\"concat\", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "
                                  "16, [\"get\", \"name\"]]");
    dl_expr *big;
    assert_int_equal(dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc), DL_EXPR_STRING, &big),
                     DLINE_OK);
    dl_yaml_doc_free(doc);
    dl_expr_bind(big, fields, NFIELDS);
    dl_expr_env env = {feature0, NFIELDS, 0, "Polygon", 0};
    dl_expr_value v;
    before = allocations;
    assert_int_equal(dl_expr_eval(big, &env, &scratch, &v), 0);
    assert_string_equal(v.str, "12345678910111213141516Main Street");
    assert_true(allocations > before);
    dl_expr_free(big);

    for (size_t k = 0; k < NCASES; k++)
        dl_expr_free(e[k]);
    dl_expr_scratch_free(&scratch);
    dline_ctx_free(ctx);
}

typedef struct {
    const char *text;
    int want;
    const char *message;
} error_case;

static const error_case errors[] = {
    {"[\"interpolat\", [\"linear\"], [\"zoom\"], 0, 1, 5, 2]", N,
     "t.yaml:1:2: unknown expression operator 'interpolat' (did you mean 'interpolate'?)"},
    {"[\"concta\", \"a\", \"b\"]", S,
     "t.yaml:1:2: unknown expression operator 'concta' (did you mean 'concat'?)"},
    {"[\"frobnicate\", 1]", N, "t.yaml:1:2: unknown expression operator 'frobnicate'"},
    {"[\"feature-state\", \"hover\"]", A,
     "t.yaml:1:2: expression operator 'feature-state' is not supported"},
    {"[\"abs\", 1, 2]", N, "t.yaml:1:1: 'abs' takes 1 argument, found 2"},
    {"[\"zoom\", 1]", N, "t.yaml:1:1: 'zoom' takes 0 arguments, found 1"},
    {"[\"-\"]", N, "t.yaml:1:1: '-' takes 1 to 2 arguments, found 0"},
    {"[\"match\", [\"get\", \"x\"], \"a\", 1]", N,
     "t.yaml:1:1: 'match' takes at least 4 arguments, found 3"},
    {"[\"case\", true, 1]", N, "t.yaml:1:1: 'case' takes at least 3 arguments, found 2"},
    {"[\"case\", true, 1, false, 2]", N, "t.yaml:1:1: 'case' takes an odd number of arguments, found 4"},
    {"[\"step\", [\"zoom\"], 1, 5, 2, 6]", N,
     "t.yaml:1:1: 'step' takes an even number of arguments, found 5"},
    {"[\"+\", 1, \"two\"]", N, "t.yaml:1:10: expected number but found string instead"},
    {"[\"==\", 1, \"a\"]", B, "t.yaml:1:1: cannot compare types 'number' and 'string'"},
    {"[\"<\", true, 1]", B, "t.yaml:1:7: '<' comparisons are not supported for type 'boolean'"},
    {"5", C, "t.yaml:1:1: expected color but found number instead"},
    {"[\"upcase\", 5]", S, "t.yaml:1:12: expected string but found number instead"},
    {"[\"get\", \"a\"]", S, NULL}, /* fine: coerced */
    {"[\"concat\", \"a\"]", N, "t.yaml:1:1: expected number but found string instead"},
    {"[\"match\", [\"get\", \"k\"], \"a\", \"#ff00zz\", \"red\"]", C,
     "t.yaml:1:30: '#ff00zz' is not a colour"},
    {"[\"match\", [\"get\", \"k\"], \"a\", 1, 2, 3, 0]", N,
     "t.yaml:1:33: expected string but found number instead"},
    {"[\"match\", [\"get\", \"k\"], [\"a\", \"a\"], 1, 0]", N,
     "t.yaml:1:31: branch labels must be unique"},
    {"[\"match\", [\"get\", \"k\"], 1.5, 1, 0]", N,
     "t.yaml:1:25: numeric branch labels must be integers no larger than 9007199254740991"},
    {"[\"step\", [\"zoom\"], 0, 5, 1, 3, 2]", N,
     "t.yaml:1:29: stop inputs of 'step' must be in strictly ascending order"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], [\"get\", \"z\"], 1, 5, 2]", N,
     "t.yaml:1:39: stop inputs of 'interpolate' must be literal numbers"},
    {"[\"interpolate\", [\"cubic\"], [\"zoom\"], 0, 1, 5, 2]", N,
     "t.yaml:1:18: unknown interpolation type 'cubic'"},
    {"[\"interpolate\", [\"exponential\"], [\"zoom\"], 0, 1, 5, 2]", N,
     "t.yaml:1:17: exponential interpolation requires a numeric base"},
    {"[\"interpolate\", [\"linear\"], [\"zoom\"], 0, \"a\", 5, \"b\"]", A,
     "t.yaml:1:42: type string is not interpolatable"},
    {"[\"get\", [\"concat\", \"a\", \"b\"]]", A, "t.yaml:1:9: 'get' takes a literal attribute name"},
    {"[1, 2, 3]", A,
     "t.yaml:1:2: an expression starts with an operator name; write [\"literal\", [...]] for an array"},
    {"[\"number-format\", 1, {\"currency\": \"EUR\"}]", S,
     "t.yaml:1:23: number-format option 'currency' is not supported"},
    {"[\"number-format\", 1, {\"max-fractin-digits\": 2}]", S,
     "t.yaml:1:23: unknown number-format option 'max-fractin-digits' (did you mean 'max-fraction-digits'?)"},
    {"[\"literal\", [[1], 2]]", A,
     "t.yaml:1:14: literal arrays may hold numbers, strings, booleans and null, not lists or objects"},
    {"{\"a\": 1}", A,
     "t.yaml:1:1: an object is not an expression; write [\"literal\", ...] for a value"},
    {"[\"in\", 1, 2]", B,
     "t.yaml:1:11: expected the second argument to be an array or a string, but found number instead"},
    /* multi-line block YAML: the position of the item at fault */
    {"- all\n- [\">=\", [\"get\", \"mag\"], 4]\n- [\"<\", [\"get\", \"mag\"], [\"rgb\", 1, 2, 3]]\n", B,
     "t.yaml:3:25: '<' comparisons are not supported for type 'color'"},
};

static void test_compile_errors(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof errors / sizeof errors[0]; k++) {
        const error_case *tc = &errors[k];
        dline_ctx *ctx = dline_ctx_new();
        dl_yaml_doc *doc = parse(ctx, tc->text);
        dl_expr *e = NULL;
        dline_status st = dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc),
                                          (dl_expr_type)tc->want, &e);
        dl_yaml_doc_free(doc);
        if (!tc->message) {
            if (st != DLINE_OK)
                fail_msg("%s: %s", tc->text, dline_ctx_message(ctx));
        } else if (st != DLINE_ESTYLE || e != NULL ||
                   strcmp(dline_ctx_message(ctx), tc->message) != 0) {
            fail_msg("%s:\n  got      %d '%s'\n  expected '%s'", tc->text, st,
                     dline_ctx_message(ctx), tc->message);
        }
        dl_expr_free(e);
        dline_ctx_free(ctx);
    }
}

static void test_filter_errors(void **state)
{
    (void)state;
    static const error_case ferrors[] = {
        {"[\"in\"]", 0, "t.yaml:1:1: filter 'in' takes a field and values"},
        {"[\"!has\"]", 0, "t.yaml:1:1: filter '!has' takes a field"},
        {"[\"<\", \"pop\", true]", 0, "t.yaml:1:14: filter '<' compares with a number or a string"},
        {"[\"all\", [\"!in\", \"a\", [1]], [\"==\", \"b\", 1]]", 0,
         "t.yaml:1:22: a filter value must be a string, number, boolean or null"},
        {"[\"==\", [\"get\", \"a\"], \"x\", 1]", 0,
         "t.yaml:1:1: '==' takes 2 arguments, found 3"},
        {"\"name\"", 0, "t.yaml:1:1: a filter must be a list such as [\"==\", \"field\", \"value\"]"},
    };
    for (size_t k = 0; k < sizeof ferrors / sizeof ferrors[0]; k++) {
        dline_ctx *ctx = dline_ctx_new();
        dl_yaml_doc *doc = parse(ctx, ferrors[k].text);
        dl_expr *e = NULL;
        dline_status st = dl_expr_compile_filter(ctx, "t.yaml", dl_yaml_root(doc), &e);
        dl_yaml_doc_free(doc);
        if (st != DLINE_ESTYLE || strcmp(dline_ctx_message(ctx), ferrors[k].message) != 0)
            fail_msg("%s:\n  got      %d '%s'\n  expected '%s'", ferrors[k].text, st,
                     dline_ctx_message(ctx), ferrors[k].message);
        dline_ctx_free(ctx);
    }
}

/* A string of `levels` nested ["abs", ...] around 1. */
static char *nested(int levels)
{
    char *s = malloc((size_t)levels * 9 + 8);
    size_t o = 0;
    for (int k = 0; k < levels; k++)
        o += (size_t)sprintf(s + o, "[\"abs\", ");
    s[o++] = '1';
    for (int k = 0; k < levels; k++)
        s[o++] = ']';
    s[o] = '\0';
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    char *ok = nested(DL_EXPR_MAX_DEPTH);
    dl_yaml_doc *doc = parse(ctx, ok);
    dl_expr *e = NULL;
    assert_int_equal(dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc), N, &e), DLINE_OK);
    dl_expr_scratch scratch = {0};
    dl_expr_env env = {0};
    dl_expr_value v;
    assert_int_equal(dl_expr_eval(e, &env, &scratch, &v), 0);
    assert_true(v.type == DL_EXPR_NUMBER && v.num == 1);
    dl_expr_free(e);
    dl_yaml_doc_free(doc);
    free(ok);

    char *deep = nested(DL_EXPR_MAX_DEPTH + 1);
    doc = parse(ctx, deep);
    assert_int_equal(dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc), N, &e), DLINE_ESTYLE);
    assert_null(e);
    /* the 33rd list starts after 32 times `["abs", ` (8 characters) */
    assert_string_equal(dline_ctx_message(ctx),
                        "t.yaml:1:257: expression nested deeper than 32 levels");
    dl_yaml_doc_free(doc);
    free(deep);
    dline_ctx_free(ctx);
}

static void test_limits(void **state)
{
    (void)state;
    /* A literal array over the limit. */
    size_t n = DL_EXPR_MAX_ARRAY + 1;
    char *text = malloc(n * 3 + 32);
    size_t o = (size_t)sprintf(text, "[\"literal\", [");
    for (size_t k = 0; k < n; k++)
        o += (size_t)sprintf(text + o, k ? ",1" : "1");
    strcpy(text + o, "]]");
    dline_ctx *ctx = dline_ctx_new();
    dl_yaml_doc *doc = parse(ctx, text);
    dl_expr *e = NULL;
    assert_int_equal(dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc), A, &e), DLINE_ESTYLE);
    assert_string_equal(dline_ctx_message(ctx),
                        "t.yaml:1:13: a literal array has more than 4096 items");
    dl_yaml_doc_free(doc);
    free(text);
    dline_ctx_free(ctx);

    /* Aliases expand: a few lines of YAML can name a huge tree, which the
     * node limit stops before it is built. */
    ctx = dline_ctx_new();
    const char *bomb =
        "a: &a [\"+\", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        "b: &b [\"+\", *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [\"+\", *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [\"+\", *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: [\"+\", *d, *d, *d, *d, *d, *d, *d]\n";
    doc = parse(ctx, bomb);
    const dl_yaml_node *root = dl_yaml_get(dl_yaml_root(doc), "e");
    assert_int_equal(dl_expr_compile(ctx, "t.yaml", root, N, &e), DLINE_ESTYLE);
    assert_non_null(strstr(dline_ctx_message(ctx), "expression has more than 65536 parts"));
    dl_yaml_doc_free(doc);
    dline_ctx_free(ctx);
}

static dl_expr *compile(dline_ctx *ctx, const char *text, dl_expr_type want)
{
    dl_yaml_doc *doc = parse(ctx, text);
    dl_expr *e = NULL;
    if (dl_expr_compile(ctx, "t.yaml", dl_yaml_root(doc), want, &e) != DLINE_OK)
        fail_msg("%s: %s", text, dline_ctx_message(ctx));
    dl_yaml_doc_free(doc);
    return e;
}

/* Made strings spill from the fixed buffer to the heap, stay valid while
 * the evaluation goes on, and stop at DL_EXPR_MAX_STRING. */
static void test_scratch(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char text[3200];
    snprintf(text, sizeof text, "[\"concat\", [\"upcase\", \"%s\"], \"-\", [\"get\", \"name\"]]",
             big);
    dl_expr *e = compile(ctx, text, S);
    dl_expr_bind(e, fields, NFIELDS);
    dl_expr_scratch scratch = {0};
    dl_expr_env env = {feature0, NFIELDS, 0, "Point", 0};
    dl_expr_value v;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(dl_expr_eval(e, &env, &scratch, &v), 0);
        assert_int_equal(v.len, 2999 + 1 + 11);
        assert_true(v.str[0] == 'X' && v.str[2998] == 'X' && v.str[2999] == '-');
        assert_string_equal(v.str + 3000, "Main Street");
    }
    dl_expr_free(e);

    /* 32 x 3000 bytes: over the limit of one made string. */
    char *huge = malloc(40 * 3100);
    size_t o = (size_t)sprintf(huge, "[\"concat\"");
    for (int k = 0; k < 32; k++)
        o += (size_t)sprintf(huge + o, ", \"%s\"", big);
    strcpy(huge + o, "]");
    e = compile(ctx, huge, S);
    assert_int_equal(dl_expr_eval(e, &env, &scratch, &v), -1);
    dl_expr_free(e);
    free(huge);
    dl_expr_scratch_free(&scratch);
    dline_ctx_free(ctx);
}

static void test_introspection(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    dl_expr *e = compile(ctx, "[\"+\", 1, 2]", N);
    assert_true(dl_expr_is_constant(e));
    assert_false(dl_expr_uses_zoom(e));
    assert_false(dl_expr_uses_feature(e));
    dl_expr_free(e);

    e = compile(ctx, "[\"interpolate\", [\"linear\"], [\"zoom\"], 5, 1, 10, 4]", N);
    assert_false(dl_expr_is_constant(e));
    assert_true(dl_expr_uses_zoom(e));
    assert_false(dl_expr_uses_feature(e));
    dl_expr_scratch scratch = {0};
    dl_expr_env env = {NULL, 0, 7.5, NULL, -1};
    dl_expr_value v;
    assert_int_equal(dl_expr_eval(e, &env, &scratch, &v), 0);
    assert_true(v.type == DL_EXPR_NUMBER && fabs(v.num - 2.5) < 1e-12);
    dl_expr_free(e);

    e = compile(ctx, "[\"concat\",\n  [\"get\", \"nmae\"],\n  [\"get\", \"pop\"]]", S);
    assert_true(dl_expr_uses_feature(e));
    const char *names[1];
    int lines[1], cols[1];
    assert_int_equal(dl_expr_fields(e, names, lines, cols, 1), 2);
    assert_string_equal(names[0], "nmae");
    assert_int_equal(lines[0], 2);
    assert_int_equal(cols[0], 11);
    /* Unbound, every field reads as null; "" as a string. */
    env = (dl_expr_env){feature0, NFIELDS, 0, NULL, -1};
    assert_int_equal(dl_expr_eval(e, &env, &scratch, &v), 0);
    assert_string_equal(v.str, "");
    dl_expr_free(e);

    dl_yaml_doc *doc = parse(ctx, "[\"==\", \"name\", \"x\"]");
    assert_int_equal(dl_expr_compile_filter(ctx, "t.yaml", dl_yaml_root(doc), &e), DLINE_OK);
    assert_int_equal(dl_expr_fields(e, NULL, NULL, NULL, 0), 1);
    dl_expr_free(e);
    dl_yaml_doc_free(doc);
    dl_expr_free(NULL);
    dl_expr_scratch_free(&scratch);
    dline_ctx_free(ctx);
}

/* The bound a band's view takes for a data-driven size: the largest output
 * of the branch operators over literals, none when arithmetic or a field
 * gives the value. */
static void test_number_bound(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    static const struct {
        const char *text;
        int known;
        double bound;
    } bounds[] = {
        {"[\"match\", [\"get\", \"class\"], \"primary\", 2.5, \"secondary\", 1.5, 0.8]", 1, 2.5},
        {"[\"case\", [\"has\", \"w\"], -7, 3]", 1, 7},
        {"[\"step\", [\"get\", \"pop\"], 1, 100, 4, 1000, 2]", 1, 4},
        {"[\"interpolate\", [\"linear\"], [\"get\", \"pop\"], 0, 1, 10, 9]", 1, 9},
        {"[\"coalesce\", [\"match\", [\"get\", \"a\"], \"x\", 5, 2], 6]", 1, 6},
        {"[\"get\", \"pop\"]", 0, 0},
        {"[\"*\", [\"get\", \"pop\"], 2]", 0, 0},
        {"[\"match\", [\"get\", \"class\"], \"a\", [\"get\", \"pop\"], 1]", 0, 0},
    };
    for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
        dl_expr *e = compile(ctx, bounds[i].text, N);
        double b = -1;
        int rc = dl_expr_number_bound(e, &b);
        if (bounds[i].known) {
            assert_int_equal(rc, 0);
            assert_true(b == bounds[i].bound);
        } else {
            assert_int_equal(rc, -1);
        }
        dl_expr_free(e);
    }
    assert_int_equal(dl_expr_number_bound(NULL, &(double){0}), -1);
    dline_ctx_free(ctx);
}

/* Hostile values from the data: NaN, infinities, huge and long strings. */
static void test_hostile_values(void **state)
{
    (void)state;
    dline_ctx *ctx = dline_ctx_new();
    static const char *const exprs[] = {
        "[\"to-string\", [\"get\", \"mag\"]]",
        "[\"number-format\", [\"get\", \"mag\"], {\"max-fraction-digits\": 20}]",
        "[\"step\", [\"get\", \"mag\"], 0, 1, 1]",
        "[\"interpolate\", [\"exponential\", 1e308], [\"get\", \"mag\"], 0, 0, 1, 1]",
        "[\"match\", [\"get\", \"mag\"], 1, 1, 0]",
        "[\"upcase\", [\"to-string\", [\"get\", \"name\"]]]",
        "[\"length\", [\"to-string\", [\"get\", \"name\"]]]",
        "[\"to-number\", [\"get\", \"name\"], 0]",
        "[\"to-color\", [\"get\", \"name\"], \"red\"]",
        "[\"round\", [\"get\", \"mag\"]]",
        "[\"%\", [\"get\", \"mag\"], 0]",
    };
    char longs[5000];
    memset(longs, 0xC3, sizeof longs - 1); /* broken UTF-8 too */
    longs[sizeof longs - 1] = '\0';
    const double nums[] = {NAN, INFINITY, -INFINITY, 1.7976931348623157e308, -0.0, 5e-324};
    dl_expr_scratch scratch = {0};
    for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++) {
        dl_expr *e = compile(ctx, exprs[k], A);
        dl_expr_bind(e, fields, NFIELDS);
        for (size_t j = 0; j < sizeof nums / sizeof nums[0]; j++) {
            dl_value vals[NFIELDS];
            memcpy(vals, feature0, sizeof vals);
            vals[2].d = nums[j];
            vals[0].s = longs;
            dl_expr_env env = {vals, NFIELDS, nums[j], "Point", 0};
            dl_expr_value v;
            int rc = dl_expr_eval(e, &env, &scratch, &v);
            assert_true(rc == 0 || rc == -1);
            if (rc == 0 && v.type == DL_EXPR_STRING)
                assert_int_equal(strlen(v.str), v.len);
        }
        dl_expr_free(e);
    }
    dl_expr_scratch_free(&scratch);
    dline_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples),
        cmocka_unit_test(test_every_operator_documented),
        cmocka_unit_test(test_eval_table),
        cmocka_unit_test(test_eval_allocates_nothing),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_number_bound),
        cmocka_unit_test(test_filter_errors),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_scratch),
        cmocka_unit_test(test_introspection),
        cmocka_unit_test(test_hostile_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
