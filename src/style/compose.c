/* include:, vars: and --set on the YAML node tree (see compose.h). Nodes read
 * from files stay in their documents' arenas; the nodes this file makes
 * (merged mappings, substituted collections, override values) are owned by
 * the compose object, so the tree may mix them freely. */
#include "style/compose.h"
#include "style/maplibre.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct dl_compose {
    dl_yaml_doc **docs;
    size_t ndocs;
    void **owned; /* nodes, item arrays and strings made here */
    size_t nowned, cap;
    const dl_yaml_node *root;
};

typedef struct {
    dline_ctx *ctx;
    dl_compose *c;
    const char *chain[DL_COMPOSE_MAX_INCLUDE_DEPTH + 1]; /* canonical paths being read */
    int depth;
    size_t includes;
    const dl_yaml_node *vars;
    size_t expanded; /* nodes put in place of "$name" so far */
    const char *text; /* the root file's bytes when given in memory, or NULL */
    size_t text_len;
} composer;

static dline_status no_memory(composer *K)
{
    return dl_error(K->ctx, DLINE_ENOMEM, NULL, 0, 0, "out of memory");
}

static dline_status node_error(composer *K, const dl_yaml_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dline_status node_error(composer *K, const dl_yaml_node *at, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dl_error(K->ctx, DLINE_ESTYLE, at->file, at->line, at->col, "%s", msg);
}

static void *own(composer *K, void *p)
{
    if (!p)
        return NULL;
    dl_compose *c = K->c;
    if (c->nowned == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        void **q = dl_realloc_array(c->owned, cap, sizeof *q);
        if (!q) {
            free(p);
            return NULL;
        }
        c->owned = q;
        c->cap = cap;
    }
    c->owned[c->nowned++] = p;
    return p;
}

/* A collection like `like` (kind, position, file) holding n items (2n for
 * a mapping's keys and values), with its cost bounds recomputed. */
static dl_yaml_node *new_collection(composer *K, const dl_yaml_node *like, size_t n,
                                    dl_yaml_node **items)
{
    dl_yaml_node *m = own(K, calloc(1, sizeof *m));
    size_t count = like->kind == DL_YAML_MAPPING ? 2 * n : n;
    dl_yaml_node **copy = count ? own(K, dl_calloc_array(count, sizeof *copy)) : NULL;
    if (!m || (count && !copy))
        return NULL;
    *m = *like;
    m->n = n;
    m->items = copy;
    m->weight = 1;
    m->height = 1;
    for (size_t i = 0; i < count; i++) {
        copy[i] = items[i];
        m->weight = m->weight + items[i]->weight < m->weight ? SIZE_MAX
                                                             : m->weight + items[i]->weight;
        if (items[i]->height + 1 > m->height)
            m->height = items[i]->height + 1;
    }
    return m;
}

static int is_mapping(const dl_yaml_node *n)
{
    return n && n->kind == DL_YAML_MAPPING;
}

static const char *layer_id(const dl_yaml_node *layer)
{
    const dl_yaml_node *id = is_mapping(layer) ? dl_yaml_get(layer, "id") : NULL;
    return id && id->kind == DL_YAML_SCALAR ? id->text : NULL;
}

static dl_yaml_node *merge(composer *K, const dl_yaml_node *a, const dl_yaml_node *b, int top);

/* Layers of b replace (merged key by key) the layers of a with the same id,
 * where a has them; the others are appended. */
static dl_yaml_node *merge_layers(composer *K, const dl_yaml_node *a, const dl_yaml_node *b)
{
    size_t n = a->n;
    dl_yaml_node **items = dl_calloc_array(a->n + b->n + 1, sizeof *items);
    if (!items)
        return NULL;
    memcpy(items, a->items, a->n * sizeof *items);
    for (size_t j = 0; j < b->n; j++) {
        const char *id = layer_id(b->items[j]);
        size_t at = n;
        for (size_t i = 0; id && i < a->n && at == n; i++) {
            const char *ai = layer_id(items[i]);
            if (ai && strcmp(ai, id) == 0)
                at = i;
        }
        if (at < n) {
            items[at] = merge(K, items[at], b->items[j], 0);
            if (!items[at]) {
                free(items);
                return NULL;
            }
        } else {
            items[n++] = b->items[j];
        }
    }
    dl_yaml_node *m = new_collection(K, b, n, items);
    free(items);
    return m;
}

/* b over a: mappings merge key by key (a's order, b's new keys after);
 * anything else is b. */
static dl_yaml_node *merge(composer *K, const dl_yaml_node *a, const dl_yaml_node *b, int top)
{
    if (!is_mapping(a) || !is_mapping(b))
        return (dl_yaml_node *)b;
    dl_yaml_node **items = dl_calloc_array(2 * (a->n + b->n) + 1, sizeof *items);
    if (!items)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(a, i), *v = dl_yaml_value(a, i);
        const dl_yaml_node *bv = dl_yaml_get(b, k->text);
        dl_yaml_node *mv = (dl_yaml_node *)v;
        if (bv) {
            if (top && strcmp(k->text, "layers") == 0 && v->kind == DL_YAML_SEQUENCE &&
                bv->kind == DL_YAML_SEQUENCE)
                mv = merge_layers(K, v, bv);
            else
                mv = merge(K, v, bv, 0);
            if (!mv) {
                free(items);
                return NULL;
            }
        }
        items[2 * n] = (dl_yaml_node *)k;
        items[2 * n + 1] = mv;
        n++;
    }
    for (size_t j = 0; j < b->n; j++) {
        const dl_yaml_node *k = dl_yaml_key(b, j);
        if (dl_yaml_get(a, k->text))
            continue;
        items[2 * n] = (dl_yaml_node *)k;
        items[2 * n + 1] = (dl_yaml_node *)dl_yaml_value(b, j);
        n++;
    }
    dl_yaml_node *m = new_collection(K, b, n, items);
    free(items);
    return m;
}

/* The mapping without the keys `drop` (NULL-terminated). */
static const dl_yaml_node *without(composer *K, const dl_yaml_node *map, const char *const *drop)
{
    dl_yaml_node **items = dl_calloc_array(2 * map->n + 1, sizeof *items);
    if (!items)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < map->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(map, i);
        int skip = 0;
        for (const char *const *d = drop; *d; d++)
            skip |= strcmp(k->text, *d) == 0;
        if (skip)
            continue;
        items[2 * n] = (dl_yaml_node *)k;
        items[2 * n + 1] = (dl_yaml_node *)dl_yaml_value(map, i);
        n++;
    }
    dl_yaml_node *m = n == map->n ? (dl_yaml_node *)map : new_collection(K, map, n, items);
    free(items);
    return m;
}

/* "a/b.yaml" + "c.yaml" -> "a/c.yaml"; absolute names stay. Owned by K. */
static char *beside(composer *K, const char *file, const char *name)
{
    if (name[0] == '/')
        return own(K, dl_strdup(name));
    const char *slash = strrchr(file, '/');
    size_t dl = slash ? (size_t)(slash - file) + 1 : 0, nl = strlen(name);
    char *p = own(K, malloc(dl + nl + 1));
    if (p) {
        memcpy(p, file, dl);
        memcpy(p + dl, name, nl + 1);
    }
    return p;
}

static dline_status read_file(composer *K, const char *path, const dl_yaml_node *from,
                              const dl_yaml_node **out);

/* The included files of `inc` (a path or a list of paths, relative to the
 * including file), read and merged in order. */
static dline_status read_includes(composer *K, const dl_yaml_node *inc, const dl_yaml_node **out)
{
    *out = NULL;
    size_t n = inc->kind == DL_YAML_SEQUENCE ? inc->n : 1;
    if (inc->kind == DL_YAML_MAPPING)
        return node_error(K, inc, "'include' must be a file name or a list of file names");
    for (size_t i = 0; i < n; i++) {
        const dl_yaml_node *item = inc->kind == DL_YAML_SEQUENCE ? inc->items[i] : inc;
        if (item->kind != DL_YAML_SCALAR || dl_yaml_is_null(item))
            return node_error(K, item, "'include' must be a file name or a list of file names");
        char *path = beside(K, item->file, item->text);
        if (!path)
            return no_memory(K);
        const dl_yaml_node *root;
        dline_status st = read_file(K, path, item, &root);
        if (st != DLINE_OK)
            return st;
        if (!is_mapping(root))
            return node_error(K, item, "'include': '%s' is not a style (its top level must be a mapping)",
                              item->text);
        *out = *out ? merge(K, *out, root, 1) : root;
        if (!*out)
            return no_memory(K);
    }
    return DLINE_OK;
}

static dline_status read_file(composer *K, const char *path, const dl_yaml_node *from,
                              const dl_yaml_node **out)
{
    *out = NULL;
    char real[PATH_MAX];
    if (from) {
        if (++K->includes > DL_COMPOSE_MAX_INCLUDES)
            return node_error(K, from, "more than %d included files", DL_COMPOSE_MAX_INCLUDES);
        if (K->depth > DL_COMPOSE_MAX_INCLUDE_DEPTH)
            return node_error(K, from, "includes nest more than %d deep",
                              DL_COMPOSE_MAX_INCLUDE_DEPTH);
        if (!realpath(path, real))
            return node_error(K, from, "'include': cannot open '%s': %s", path, strerror(errno));
        for (int i = 0; i < K->depth; i++)
            if (strcmp(K->chain[i], real) == 0)
                return node_error(K, from, "'include': '%s' includes itself", from->text);
    } else if (!realpath(path, real)) {
        snprintf(real, sizeof real, "%s", path); /* dl_yaml_read reports it */
    }

    dl_compose *c = K->c;
    dl_yaml_doc **docs = dl_realloc_array(c->docs, c->ndocs + 1, sizeof *docs);
    if (!docs)
        return no_memory(K);
    c->docs = docs;
    dl_yaml_doc *doc;
    dline_status st = !from && K->text
                          ? dl_yaml_parse(K->ctx, path, K->text, K->text_len, NULL, &doc)
                          : dl_yaml_read(K->ctx, path, NULL, &doc);
    if (st != DLINE_OK)
        return st;
    c->docs[c->ndocs++] = doc;
    const dl_yaml_node *root = dl_yaml_root(doc);
    const dl_yaml_node *inc = is_mapping(root) ? dl_yaml_get(root, "include") : NULL;
    if (!inc) {
        *out = root;
        return DLINE_OK;
    }
    char *canon = own(K, dl_strdup(real));
    if (!canon)
        return no_memory(K);
    K->chain[K->depth++] = canon;
    const dl_yaml_node *base;
    st = read_includes(K, inc, &base);
    K->depth--;
    if (st != DLINE_OK)
        return st;
    static const char *const drop[] = {"include", NULL};
    const dl_yaml_node *own_keys = without(K, root, drop);
    if (!own_keys)
        return no_memory(K);
    *out = base ? merge(K, base, own_keys, 1) : own_keys;
    return *out ? DLINE_OK : no_memory(K);
}

/* Overrides */

static dline_status set_error(composer *K, const char *set, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static dline_status set_error(composer *K, const char *set, const char *fmt, ...)
{
    char msg[DL_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dl_error(K->ctx, DLINE_EUSAGE, NULL, 0, 0, "--set %s: %s", set, msg);
}

/* The value of an override: YAML when it is a flow collection ("[800, 600]"),
 * otherwise the text itself as a plain scalar, so that "#06c" is a colour
 * and not a YAML comment. */
static dline_status set_value(composer *K, const char *set, const char *text,
                              const dl_yaml_node **out)
{
    if (text[0] == '[' || text[0] == '{') {
        dl_compose *c = K->c;
        dl_yaml_doc **docs = dl_realloc_array(c->docs, c->ndocs + 1, sizeof *docs);
        if (!docs)
            return no_memory(K);
        c->docs = docs;
        dl_yaml_doc *doc;
        dline_status st = dl_yaml_parse(K->ctx, "--set", text, strlen(text), NULL, &doc);
        if (st != DLINE_OK)
            return st;
        c->docs[c->ndocs++] = doc;
        *out = dl_yaml_root(doc);
        if (!*out)
            return set_error(K, set, "no value after '='");
        return DLINE_OK;
    }
    dl_yaml_node *n = own(K, calloc(1, sizeof *n));
    char *t = own(K, dl_strdup(text));
    if (!n || !t)
        return no_memory(K);
    *n = (dl_yaml_node){.kind = DL_YAML_SCALAR, .line = 1, .col = 1, .file = "--set",
                        .text = t, .len = strlen(t), .plain = 1, .weight = 1};
    *out = n;
    return DLINE_OK;
}

/* A copy of `node` with the value at segs[0..nseg) replaced by (or set to)
 * value; mappings are created on the way as needed. */
static dline_status set_at(composer *K, const char *set, const dl_yaml_node *node, char **segs,
                           size_t nseg, const dl_yaml_node *value, const dl_yaml_node **out)
{
    if (nseg == 0) {
        *out = value;
        return DLINE_OK;
    }
    const char *seg = segs[0];
    if (node && node->kind == DL_YAML_SEQUENCE) {
        /* A list of layers is addressed by id, any list by position. */
        size_t at = node->n;
        const char *ids[256];
        size_t nids = 0;
        for (size_t i = 0; i < node->n && at == node->n; i++) {
            const char *id = layer_id(node->items[i]);
            if (id && strcmp(id, seg) == 0)
                at = i;
            else if (id && nids < 256)
                ids[nids++] = id;
        }
        char *end;
        long idx = strtol(seg, &end, 10);
        if (at == node->n && *seg && !*end && idx >= 0 && (size_t)idx < node->n)
            at = (size_t)idx;
        if (at == node->n) {
            const char *near = dl_suggest(seg, ids, nids);
            if (near)
                return set_error(K, set, "no layer '%s' (did you mean '%s'?)", seg, near);
            return set_error(K, set, "no layer or item '%s'", seg);
        }
        const dl_yaml_node *child;
        dline_status st = set_at(K, set, node->items[at], segs + 1, nseg - 1, value, &child);
        if (st != DLINE_OK)
            return st;
        dl_yaml_node **items = dl_calloc_array(node->n, sizeof *items);
        if (!items)
            return no_memory(K);
        memcpy(items, node->items, node->n * sizeof *items);
        items[at] = (dl_yaml_node *)child;
        *out = new_collection(K, node, node->n, items);
        free(items);
        return *out ? DLINE_OK : no_memory(K);
    }
    if (node && node->kind == DL_YAML_SCALAR && !dl_yaml_is_null(node))
        return set_error(K, set, "'%s' is set inside a value that is not a mapping", seg);
    /* A mapping, or nothing yet (a new one). */
    static const dl_yaml_node empty = {.kind = DL_YAML_MAPPING, .line = 1, .col = 1,
                                       .file = "--set", .text = "", .height = 1, .weight = 1};
    const dl_yaml_node *map = is_mapping(node) ? node : &empty;
    const dl_yaml_node *child;
    dline_status st = set_at(K, set, dl_yaml_get(map, seg), segs + 1, nseg - 1, value, &child);
    if (st != DLINE_OK)
        return st;
    dl_yaml_node **items = dl_calloc_array(2 * map->n + 2, sizeof *items);
    if (!items)
        return no_memory(K);
    size_t n = 0;
    int found = 0;
    for (size_t i = 0; i < map->n; i++) {
        const dl_yaml_node *k = dl_yaml_key(map, i);
        items[2 * n] = (dl_yaml_node *)k;
        items[2 * n + 1] = (dl_yaml_node *)dl_yaml_value(map, i);
        if (strcmp(k->text, seg) == 0) {
            items[2 * n + 1] = (dl_yaml_node *)child;
            found = 1;
        }
        n++;
    }
    if (!found) {
        dl_yaml_node *k = own(K, calloc(1, sizeof *k));
        char *t = own(K, dl_strdup(seg));
        if (!k || !t) {
            free(items);
            return no_memory(K);
        }
        *k = (dl_yaml_node){.kind = DL_YAML_SCALAR, .line = 1, .col = 1, .file = "--set",
                            .text = t, .len = strlen(t), .plain = 1, .weight = 1};
        items[2 * n] = k;
        items[2 * n + 1] = (dl_yaml_node *)child;
        n++;
    }
    *out = new_collection(K, map, n, items);
    free(items);
    return *out ? DLINE_OK : no_memory(K);
}

static dline_status apply_set(composer *K, const char *set, const dl_yaml_node **root)
{
    const char *eq = strchr(set, '=');
    if (!eq || eq == set)
        return dl_error(K->ctx, DLINE_EUSAGE, NULL, 0, 0,
                        "--set %s: expected PATH=VALUE, e.g. layers.sites.paint.circle-color=#06c",
                        set);
    size_t plen = (size_t)(eq - set);
    char *path = own(K, malloc(plen + 1));
    if (!path)
        return no_memory(K);
    memcpy(path, set, plen);
    path[plen] = '\0';
    if (path[0] == '.' || path[plen - 1] == '.' || strstr(path, ".."))
        return set_error(K, set, "the path has an empty part");
    char *segs[32];
    size_t nseg = 0;
    for (char *p = path, *save = NULL, *s; (s = strtok_r(p, ".", &save)); p = NULL) {
        if (nseg == 32)
            return set_error(K, set, "the path has more than 32 parts");
        segs[nseg++] = s;
    }
    /* The includes are read before any --set applies; honouring one here
     * would need a second pass whose values could undo the sets before it. */
    if (strcmp(segs[0], "include") == 0)
        return set_error(K, set, "'include' cannot be set; name the file in the style's "
                                 "'include'");
    const dl_yaml_node *value;
    dline_status st = set_value(K, set, eq + 1, &value);
    if (st == DLINE_OK)
        st = set_at(K, set, *root, segs, nseg, value, root);
    return st;
}

/* vars */

/* "$name": a '$' and then letters, digits, '_' or '-', starting with a
 * letter or '_' ("$5" stays text). */
static int var_ref(const dl_yaml_node *n)
{
    if (n->kind != DL_YAML_SCALAR || n->text[0] != '$')
        return 0;
    /* MapLibre's legacy filters name the geometry type and feature id so. */
    if (strcmp(n->text, "$type") == 0 || strcmp(n->text, "$id") == 0)
        return 0;
    const char *s = n->text + 1;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static dline_status substitute(composer *K, const dl_yaml_node *n, int depth,
                               const dl_yaml_node **out)
{
    *out = n;
    if (var_ref(n)) {
        const char *name = n->text + 1;
        const dl_yaml_node *v = K->vars ? dl_yaml_get(K->vars, name) : NULL;
        if (!v) {
            const char *names[256];
            size_t nn = 0;
            for (size_t i = 0; K->vars && i < K->vars->n && nn < 256; i++)
                names[nn++] = dl_yaml_key(K->vars, i)->text;
            const char *near = dl_suggest(name, names, nn);
            if (near)
                return node_error(K, n, "unknown variable '$%s' (did you mean '$%s'?)", name,
                                  near);
            return node_error(K, n, "unknown variable '$%s'%s", name,
                              K->vars ? "" : " (the style has no 'vars')");
        }
        if (depth >= DL_COMPOSE_MAX_VAR_DEPTH)
            return node_error(K, n, "variables refer to each other more than %d deep",
                              DL_COMPOSE_MAX_VAR_DEPTH);
        K->expanded += v->weight;
        if (K->expanded > DL_YAML_MAX_EXPANSIONS)
            return node_error(K, n, "variables expand to more than %d nodes",
                              DL_YAML_MAX_EXPANSIONS);
        return substitute(K, v, depth + 1, out);
    }
    if (n->kind == DL_YAML_SCALAR)
        return DLINE_OK;
    size_t count = n->kind == DL_YAML_MAPPING ? 2 * n->n : n->n;
    dl_yaml_node **items = NULL;
    for (size_t i = 0; i < count; i++) {
        /* Keys are names, never variables. */
        if (n->kind == DL_YAML_MAPPING && i % 2 == 0)
            continue;
        const dl_yaml_node *s;
        dline_status st = substitute(K, n->items[i], depth, &s);
        if (st != DLINE_OK) {
            free(items);
            return st;
        }
        if (s == n->items[i])
            continue;
        if (!items) {
            items = dl_calloc_array(count, sizeof *items);
            if (!items)
                return no_memory(K);
            memcpy(items, n->items, count * sizeof *items);
        }
        items[i] = (dl_yaml_node *)s;
    }
    if (!items)
        return DLINE_OK;
    *out = new_collection(K, n, n->n, items);
    free(items);
    return *out ? DLINE_OK : no_memory(K);
}

dline_status dl_compose_load(dline_ctx *ctx, const char *path, const char *const *sets,
                             size_t nsets, dl_compose **out)
{
    return dl_compose_load_text(ctx, path, NULL, 0, sets, nsets, out);
}

dline_status dl_compose_load_text(dline_ctx *ctx, const char *path, const char *text,
                                  size_t len, const char *const *sets, size_t nsets,
                                  dl_compose **out)
{
    *out = NULL;
    dl_compose *c = calloc(1, sizeof *c);
    if (!c)
        return dl_error(ctx, DLINE_ENOMEM, path, 0, 0, "out of memory");
    composer K = {.ctx = ctx, .c = c, .text = text, .text_len = len};
    const dl_yaml_node *root;
    dline_status st = read_file(&K, path, NULL, &root);
    for (size_t i = 0; st == DLINE_OK && i < nsets; i++) {
        if (!is_mapping(root)) {
            st = dl_error(ctx, DLINE_ESTYLE, path, 0, 0, "--set needs a style whose top level is a mapping");
            break;
        }
        st = apply_set(&K, sets[i], &root);
    }
    /* A MapLibre style has no vars: "$name" there is text. */
    if (st == DLINE_OK && is_mapping(root) && !dl_maplibre_detect(path, root)) {
        const dl_yaml_node *vars = dl_yaml_get(root, "vars");
        if (vars && !is_mapping(vars)) {
            st = node_error(&K, vars, "'vars' must be a mapping of names to values");
        } else {
            K.vars = vars;
            static const char *const drop[] = {"vars", "include", NULL};
            const dl_yaml_node *rest = without(&K, root, drop);
            st = rest ? substitute(&K, rest, 0, &root) : no_memory(&K);
        }
    }
    if (st != DLINE_OK) {
        dl_compose_free(c);
        return st;
    }
    c->root = root;
    *out = c;
    return DLINE_OK;
}

const dl_yaml_node *dl_compose_root(const dl_compose *c)
{
    return c->root;
}

void dl_compose_free(dl_compose *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ndocs; i++)
        dl_yaml_doc_free(c->docs[i]);
    free(c->docs);
    for (size_t i = 0; i < c->nowned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c);
}
