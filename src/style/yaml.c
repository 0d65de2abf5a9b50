/* Reads a style file with libyaml's event API into dl_yaml_node trees that
 * keep line:column marks, enforcing the limits in yaml.h as events arrive. */
#define _POSIX_C_SOURCE 200809L

#include "style/yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* A collection whose events are still arriving. Its items gather in a
 * scratch buffer that belongs to the nesting level and is reused by the next
 * collection there; the finished list is copied into the arena. */
typedef struct {
    dl_yaml_node *node;
    const char *anchor; /* registered only when the collection ends, so it cannot contain itself */
    dl_yaml_node **items;
    size_t count, cap;
} frame;

typedef struct anchor anchor;
struct anchor {
    const char *name;
    dl_yaml_node *node;
    anchor *next;
};

typedef struct block block;
struct block {
    block *next;
    size_t used, size;
    max_align_t data[]; /* aligned for any node */
};

struct dl_yaml_doc {
    block *blocks;
    dl_yaml_node *root;
};

typedef struct {
    dline_ctx *ctx;
    const char *path;
    const char *file; /* path, copied into the document's arena */
    const char *data;
    size_t size;
    dl_yaml_doc *doc;
    dl_yaml_limits limits;
    frame stack[DL_YAML_MAX_DEPTH];
    int depth;
    int documents;
    size_t nodes;
    size_t expansions;
    anchor **buckets;
    size_t nbuckets, nanchors;
} reader;

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

#define BLOCK_SIZE 65536

/* One malloc per 64 KiB instead of one per node: a style is read once and
 * freed whole, and a million small allocations would cost more than the
 * parse. Big requests get a block of their own. */
static void *arena_alloc(dl_yaml_doc *doc, size_t size)
{
    const size_t align = sizeof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size = (size + align - 1) / align * align;
    block *b = doc->blocks;
    if (!b || b->size - b->used < size) {
        size_t cap = size > BLOCK_SIZE / 4 ? size : BLOCK_SIZE;
        if (cap > SIZE_MAX - sizeof(block))
            return NULL;
        block *nb = malloc(sizeof(block) + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->size = cap;
        if (b && cap != BLOCK_SIZE) {
            /* Keep filling the current block after a big one. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            doc->blocks = nb;
        }
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

static char *arena_strdup(dl_yaml_doc *doc, const char *s, size_t len)
{
    char *d = arena_alloc(doc, len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

void dl_yaml_doc_free(dl_yaml_doc *doc)
{
    if (!doc)
        return;
    for (block *b = doc->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(doc);
}

const dl_yaml_node *dl_yaml_root(const dl_yaml_doc *doc)
{
    return doc ? doc->root : NULL;
}

const dl_yaml_node *dl_yaml_key(const dl_yaml_node *map, size_t i)
{
    return map && map->kind == DL_YAML_MAPPING && i < map->n ? map->items[2 * i] : NULL;
}

const dl_yaml_node *dl_yaml_value(const dl_yaml_node *map, size_t i)
{
    return map && map->kind == DL_YAML_MAPPING && i < map->n ? map->items[2 * i + 1] : NULL;
}

const dl_yaml_node *dl_yaml_get(const dl_yaml_node *map, const char *key)
{
    if (!map || map->kind != DL_YAML_MAPPING)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->text, key) == 0)
            return map->items[2 * i + 1];
    return NULL;
}

int dl_yaml_is_null(const dl_yaml_node *node)
{
    if (!node || node->kind != DL_YAML_SCALAR || !node->plain)
        return 0;
    const char *t = node->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int dl_style_number(const char *s, size_t len, double *out)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len && is_digit(s[i]); i++)
        digits++;
    size_t dot = SIZE_MAX;
    if (i < len && s[i] == '.') {
        dot = i++;
        for (; i < len && is_digit(s[i]); i++)
            digits++;
    }
    if (digits == 0)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp_digits = 0;
        for (; i < len && is_digit(s[i]); i++)
            exp_digits++;
        if (exp_digits == 0)
            return -1;
    }
    if (i != len)
        return -1;

    /* strtod follows LC_NUMERIC; a host program may have set a locale whose
     * decimal point is ',' and the style must read the same everywhere. */
    const char *point = localeconv()->decimal_point;
    size_t plen = point && *point ? strlen(point) : 1;
    if (!point || !*point)
        point = ".";
    char small[64];
    size_t need = len + plen + 1;
    char *buf = need <= sizeof small ? small : malloc(need);
    if (!buf)
        return -1;
    size_t o = 0;
    for (size_t k = 0; k < len; k++) {
        if (k == dot) {
            memcpy(buf + o, point, plen);
            o += plen;
        } else {
            buf[o++] = s[k];
        }
    }
    buf[o] = '\0';
    char *end;
    double v = strtod(buf, &end);
    int ok = end == buf + o && isfinite(v);
    if (buf != small)
        free(buf);
    if (!ok)
        return -1;
    *out = v;
    return 0;
}

static dline_status fail(reader *r, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dline_status fail(reader *r, yaml_mark_t mark, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dl_error(r->ctx, DLINE_ESTYLE, r->path, (int)mark.line + 1, (int)mark.column + 1, "%s",
                    msg);
}

/* "1 MiB", "512 KiB" or "100 bytes", for messages about limits. */
static const char *size_text(size_t n, char *buf, size_t size)
{
    if (n && n % (1u << 20) == 0)
        snprintf(buf, size, "%zu MiB", n >> 20);
    else if (n && n % 1024 == 0)
        snprintf(buf, size, "%zu KiB", n >> 10);
    else
        snprintf(buf, size, "%zu bytes", n);
    return buf;
}

static dline_status out_of_memory(reader *r)
{
    return dl_error(r->ctx, DLINE_ENOMEM, r->path, 0, 0, "out of memory");
}

static dl_yaml_node *new_node(reader *r, dl_yaml_kind kind, yaml_mark_t mark)
{
    if (r->nodes >= r->limits.max_nodes) {
        fail(r, mark, "more than %zu YAML nodes", r->limits.max_nodes);
        return NULL;
    }
    dl_yaml_node *n = arena_alloc(r->doc, sizeof *n);
    if (!n) {
        out_of_memory(r);
        return NULL;
    }
    r->nodes++;
    *n = (dl_yaml_node){.kind = kind,
                        .line = (int)mark.line + 1,
                        .col = (int)mark.column + 1,
                        .file = r->file,
                        .text = "",
                        .weight = 1,
                        .height = kind == DL_YAML_SCALAR ? 0 : 1};
    return n;
}

static size_t hash_name(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static anchor *find_anchor(const reader *r, const char *name)
{
    if (!r->nbuckets)
        return NULL;
    for (anchor *a = r->buckets[hash_name(name) & (r->nbuckets - 1)]; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* A hash table rather than a list: a hostile file may hold a great many
 * anchors and aliases, and a linear search per alias would be quadratic. */
static dline_status add_anchor(reader *r, const char *name, dl_yaml_node *node)
{
    anchor *a = find_anchor(r, name);
    if (a) {
        /* YAML lets a later anchor of the same name replace an earlier one. */
        a->node = node;
        return DLINE_OK;
    }
    if (r->nanchors + 1 > r->nbuckets / 4 * 3) {
        size_t nb = r->nbuckets ? r->nbuckets * 2 : 64;
        anchor **b = dl_calloc_array(nb, sizeof *b);
        if (!b)
            return out_of_memory(r);
        for (size_t i = 0; i < r->nbuckets; i++) {
            for (anchor *x = r->buckets[i], *next; x; x = next) {
                next = x->next;
                size_t h = hash_name(x->name) & (nb - 1);
                x->next = b[h];
                b[h] = x;
            }
        }
        free(r->buckets);
        r->buckets = b;
        r->nbuckets = nb;
    }
    a = arena_alloc(r->doc, sizeof *a);
    const char *copy = arena_strdup(r->doc, name, strlen(name));
    if (!a || !copy)
        return out_of_memory(r);
    size_t h = hash_name(name) & (r->nbuckets - 1);
    *a = (anchor){copy, node, r->buckets[h]};
    r->buckets[h] = a;
    r->nanchors++;
    return DLINE_OK;
}

static yaml_mark_t node_mark(const dl_yaml_node *n)
{
    yaml_mark_t m = {0, (size_t)n->line - 1, (size_t)n->col - 1};
    return m;
}

/* Adds node to the open collection, or makes it the root. */
static dline_status attach(reader *r, dl_yaml_node *node)
{
    if (r->depth == 0) {
        r->doc->root = node;
        return DLINE_OK;
    }
    frame *f = &r->stack[r->depth - 1];
    if (f->node->kind == DL_YAML_MAPPING && f->count % 2 == 0 && node->kind != DL_YAML_SCALAR)
        return fail(r, node_mark(node), "mapping keys must be scalars");
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        dl_yaml_node **items = dl_realloc_array(f->items, cap, sizeof *items);
        if (!items)
            return out_of_memory(r);
        f->items = items;
        f->cap = cap;
    }
    f->items[f->count++] = node;
    f->node->weight = add_sat(f->node->weight, node->weight);
    if (node->height + 1 > f->node->height)
        f->node->height = node->height + 1;
    return DLINE_OK;
}

typedef struct {
    dl_yaml_node *key, *value;
    size_t order; /* position in the result: explicit pairs first, then merges */
    int is_explicit;
} entry;

static int entry_cmp(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (a->key->len != b->key->len)
        return a->key->len < b->key->len ? -1 : 1;
    int c = memcmp(a->key->text, b->key->text, a->key->len);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int same_key(const dl_yaml_node *a, const dl_yaml_node *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static int order_cmp(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int is_merge_key(const dl_yaml_node *k)
{
    return k->plain && strcmp(k->text, "<<") == 0;
}

static void add_merge_source(const dl_yaml_node *src, entry *e, size_t *ne, size_t cap)
{
    for (size_t j = 0; j < src->n && *ne < cap; j++) {
        entry *x = &e[(*ne)++];
        x->key = src->items[2 * j];
        x->value = src->items[2 * j + 1];
        x->order = *ne; /* after every explicit pair, see finish_mapping */
        x->is_explicit = 0;
    }
}

/* Copies the frame's items into the arena as the node's own. */
static dline_status take_items(reader *r, dl_yaml_node *node, dl_yaml_node *const *items,
                               size_t count)
{
    if (count > SIZE_MAX / sizeof *items)
        return out_of_memory(r);
    node->items = arena_alloc(r->doc, count * sizeof *items);
    if (!node->items)
        return out_of_memory(r);
    if (count)
        memcpy(node->items, items, count * sizeof *items);
    return DLINE_OK;
}

/* Ends a mapping: refuses duplicate keys and applies YAML merge keys
 * ("<<: *base" or "<<: [*a, *b]"): explicit keys win over merged ones and
 * earlier merge sources over later ones. Sorting instead of comparing every
 * pair keeps a mapping with a million keys from taking a million squared. */
static dline_status finish_mapping(reader *r, frame *f)
{
    dl_yaml_node *map = f->node;
    dl_yaml_node **items = f->items;
    size_t pairs = f->count / 2;
    size_t merged = 0, merges = 0;
    for (size_t i = 0; i < pairs; i++) {
        const dl_yaml_node *k = items[2 * i], *v = items[2 * i + 1];
        if (!is_merge_key(k))
            continue;
        merges++;
        if (v->kind == DL_YAML_MAPPING) {
            merged += v->n;
        } else if (v->kind == DL_YAML_SEQUENCE) {
            for (size_t j = 0; j < v->n; j++) {
                if (v->items[j]->kind != DL_YAML_MAPPING)
                    return fail(r, node_mark(k), "'<<' merges a mapping or a list of mappings");
                merged += v->items[j]->n;
            }
        } else {
            return fail(r, node_mark(k), "'<<' merges a mapping or a list of mappings");
        }
    }
    if (pairs < 2 && merges == 0) {
        map->n = pairs;
        return take_items(r, map, items, f->count);
    }

    size_t cap = pairs + merged;
    entry *e = dl_calloc_array(cap, sizeof *e);
    if (!e)
        return out_of_memory(r);
    size_t ne = 0;
    for (size_t i = 0; i < pairs; i++) {
        if (is_merge_key(items[2 * i]))
            continue;
        e[ne] = (entry){items[2 * i], items[2 * i + 1], ne, 1};
        ne++;
    }
    for (size_t i = 0; i < pairs; i++) {
        const dl_yaml_node *k = items[2 * i], *v = items[2 * i + 1];
        if (!is_merge_key(k))
            continue;
        if (v->kind == DL_YAML_MAPPING)
            add_merge_source(v, e, &ne, cap);
        else
            for (size_t j = 0; j < v->n; j++)
                add_merge_source(v->items[j], e, &ne, cap);
    }

    qsort(e, ne, sizeof *e, entry_cmp);
    /* Within a run of equal keys the first entry wins. The duplicate reported
     * is the explicit one that comes first in the file. */
    const dl_yaml_node *dup = NULL;
    size_t dup_order = SIZE_MAX;
    int first_line = 0;
    size_t kept = 0;
    for (size_t i = 0; i < ne;) {
        size_t g = i + 1;
        while (g < ne && same_key(e[g].key, e[i].key))
            g++;
        for (size_t j = i + 1; j < g; j++) {
            if (e[j].is_explicit && e[j].order < dup_order) {
                dup = e[j].key;
                dup_order = e[j].order;
                first_line = e[i].key->line;
            }
        }
        e[kept++] = e[i];
        i = g;
    }
    if (dup) {
        free(e);
        return dl_error(r->ctx, DLINE_ESTYLE, r->path, dup->line, dup->col,
                        "duplicate key '%s' (first at line %d)", dup->text, first_line);
    }
    qsort(e, kept, sizeof *e, order_cmp);

    /* The merged pairs are shared, not copied, but count as expansions. */
    size_t added = 0;
    map->weight = 1;
    map->height = 1;
    for (size_t i = 0; i < kept; i++) {
        size_t w = add_sat(e[i].key->weight, e[i].value->weight);
        if (!e[i].is_explicit)
            added = add_sat(added, w);
        map->weight = add_sat(map->weight, w);
        if (e[i].value->height + 1 > map->height)
            map->height = e[i].value->height + 1;
    }
    r->expansions = add_sat(r->expansions, added);
    if (added > 0 && r->expansions > r->limits.max_expansions) {
        free(e);
        return fail(r, node_mark(map), "too many alias expansions (more than %zu nodes)",
                    r->limits.max_expansions);
    }
    map->items = arena_alloc(r->doc, 2 * kept * sizeof *map->items);
    if (!map->items) {
        free(e);
        return out_of_memory(r);
    }
    for (size_t i = 0; i < kept; i++) {
        map->items[2 * i] = e[i].key;
        map->items[2 * i + 1] = e[i].value;
    }
    map->n = kept;
    free(e);
    return DLINE_OK;
}

static dline_status on_scalar(reader *r, const yaml_event_t *ev)
{
    size_t len = ev->data.scalar.length;
    if (len > r->limits.max_scalar) {
        char size[32];
        return fail(r, ev->start_mark, "scalar longer than %s",
                    size_text(r->limits.max_scalar, size, sizeof size));
    }
    const char *value = (const char *)ev->data.scalar.value;
    if (memchr(value, '\0', len))
        return fail(r, ev->start_mark, "scalar holds a NUL character");
    dl_yaml_node *n = new_node(r, DL_YAML_SCALAR, ev->start_mark);
    if (!n)
        return r->ctx->status;
    if (!(n->text = arena_strdup(r->doc, value, len)))
        return out_of_memory(r);
    n->len = len;
    /* A tag or quotes make a scalar a string even when it reads as a number. */
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.plain_implicit;
    if (ev->data.scalar.anchor) {
        dline_status st = add_anchor(r, (const char *)ev->data.scalar.anchor, n);
        if (st != DLINE_OK)
            return st;
    }
    return attach(r, n);
}

static dline_status on_start(reader *r, const yaml_event_t *ev, dl_yaml_kind kind)
{
    if (r->depth >= r->limits.max_depth)
        return fail(r, ev->start_mark, "nesting deeper than %d levels", r->limits.max_depth);
    const char *name = (const char *)(kind == DL_YAML_MAPPING ? ev->data.mapping_start.anchor
                                                              : ev->data.sequence_start.anchor);
    dl_yaml_node *n = new_node(r, kind, ev->start_mark);
    if (!n)
        return r->ctx->status;
    frame *f = &r->stack[r->depth];
    f->node = n;
    f->count = 0;
    f->anchor = NULL;
    if (name && !(f->anchor = arena_strdup(r->doc, name, strlen(name))))
        return out_of_memory(r);
    r->depth++;
    return DLINE_OK;
}

static dline_status on_end(reader *r)
{
    frame *f = &r->stack[r->depth - 1];
    dl_yaml_node *node = f->node;
    dline_status st;
    if (node->kind == DL_YAML_MAPPING) {
        st = finish_mapping(r, f);
    } else {
        node->n = f->count;
        st = take_items(r, node, f->items, f->count);
    }
    if (st != DLINE_OK)
        return st;
    r->depth--;
    if (f->anchor && (st = add_anchor(r, f->anchor, node)) != DLINE_OK)
        return st;
    return attach(r, node);
}

static dline_status on_alias(reader *r, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    anchor *a = find_anchor(r, name);
    if (!a)
        return fail(r, ev->start_mark, "undefined alias '%s'", name);
    /* An alias puts a whole subtree here: its depth counts from here and its
     * nodes count as expansions, or nested aliases grow exponentially. */
    if (r->depth + a->node->height > r->limits.max_depth)
        return fail(r, ev->start_mark, "nesting deeper than %d levels", r->limits.max_depth);
    r->expansions = add_sat(r->expansions, a->node->weight);
    if (r->expansions > r->limits.max_expansions)
        return fail(r, ev->start_mark, "too many alias expansions (more than %zu nodes)",
                    r->limits.max_expansions);
    return attach(r, a->node);
}

/* libyaml's reader errors carry a byte offset rather than a mark. */
static void offset_to_mark(const reader *r, size_t offset, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < offset && i < r->size; i++) {
        unsigned char ch = (unsigned char)r->data[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static dline_status syntax_error(reader *r, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return out_of_memory(r);
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        offset_to_mark(r, p->problem_offset, &line, &col);
        return dl_error(r->ctx, DLINE_ESTYLE, r->path, line, col, "%s", problem);
    }
    return dl_error(r->ctx, DLINE_ESTYLE, r->path, (int)p->problem_mark.line + 1,
                    (int)p->problem_mark.column + 1, "%s", problem);
}

dl_yaml_limits dl_yaml_default_limits(void)
{
    return (dl_yaml_limits){DL_YAML_MAX_DEPTH, DL_YAML_MAX_EXPANSIONS, DL_YAML_MAX_SCALAR,
                            DL_YAML_MAX_FILE, DL_YAML_MAX_NODES};
}

dline_status dl_yaml_parse(dline_ctx *ctx, const char *path, const char *data, size_t size,
                           const dl_yaml_limits *limits, dl_yaml_doc **out)
{
    *out = NULL;
    reader *r = calloc(1, sizeof *r);
    dl_yaml_doc *doc = calloc(1, sizeof *doc);
    if (!r || !doc) {
        free(r);
        free(doc);
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    }
    *r = (reader){.ctx = ctx, .path = path, .data = data, .size = size, .doc = doc,
                  .limits = limits ? *limits : dl_yaml_default_limits()};
    /* The frame stack is sized for the default, the most it may be. */
    if (r->limits.max_depth > DL_YAML_MAX_DEPTH || r->limits.max_depth < 1)
        r->limits.max_depth = DL_YAML_MAX_DEPTH;
    /* Every node names its file: a style's nodes outlive the caller's path
     * string once files are included. */
    if (!(r->file = arena_strdup(doc, path ? path : "", path ? strlen(path) : 0))) {
        free(r);
        dl_yaml_doc_free(doc);
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    }

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(r);
        free(doc);
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, size);

    dline_status st = DLINE_OK;
    for (int done = 0; !done && st == DLINE_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            st = syntax_error(r, &parser);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++r->documents > 1)
                st = fail(r, ev.start_mark, "a style holds one YAML document; this is a second");
            break;
        case YAML_SCALAR_EVENT: st = on_scalar(r, &ev); break;
        case YAML_SEQUENCE_START_EVENT: st = on_start(r, &ev, DL_YAML_SEQUENCE); break;
        case YAML_MAPPING_START_EVENT: st = on_start(r, &ev, DL_YAML_MAPPING); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: st = on_end(r); break;
        case YAML_ALIAS_EVENT: st = on_alias(r, &ev); break;
        case YAML_STREAM_END_EVENT: done = 1; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    for (int i = 0; i < DL_YAML_MAX_DEPTH; i++)
        free(r->stack[i].items);
    free(r->buckets);
    free(r);
    if (st != DLINE_OK) {
        dl_yaml_doc_free(doc);
        return st;
    }
    *out = doc;
    return DLINE_OK;
}

dline_status dl_yaml_read(dline_ctx *ctx, const char *path, const dl_yaml_limits *limits,
                          dl_yaml_doc **out)
{
    *out = NULL;
    const dl_yaml_limits lim = limits ? *limits : dl_yaml_default_limits();
    char size[32];
    size_text(lim.max_file, size, sizeof size);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot read: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return dl_error(ctx, DLINE_EIO, path, 0, 0, "is a directory");
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > lim.max_file) {
        close(fd);
        return dl_error(ctx, DLINE_ESTYLE, path, 0, 0, "file is larger than %s", size);
    }
    /* Read to the limit whatever the size claims: pipes and /proc files
     * report 0, and a file may grow while it is read. */
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 && (uintmax_t)st.st_size < lim.max_file
                     ? (size_t)st.st_size + 1
                     : 65536;
    size_t len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    }
    for (;;) {
        if (len == cap) {
            if (cap > lim.max_file) {
                free(buf);
                close(fd);
                return dl_error(ctx, DLINE_ESTYLE, path, 0, 0, "file is larger than %s", size);
            }
            size_t ncap = cap * 2 > (size_t)lim.max_file + 1 ? (size_t)lim.max_file + 1
                                                                  : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                close(fd);
                return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            close(fd);
            if (e == EISDIR)
                return dl_error(ctx, DLINE_EIO, path, 0, 0, "is a directory");
            return dl_error(ctx, DLINE_EIO, path, 0, 0, "cannot read: %s", strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (len > lim.max_file) {
        free(buf);
        return dl_error(ctx, DLINE_ESTYLE, path, 0, 0, "file is larger than %s", size);
    }
    dline_status s = dl_yaml_parse(ctx, path, buf, len, &lim, out);
    free(buf);
    return s;
}
