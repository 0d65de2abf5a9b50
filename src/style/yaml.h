/* The YAML reader behind the style: libyaml events turned into a small node
 * tree that keeps every node's line:column. Private to src/style/. */
#ifndef DL_STYLE_YAML_H
#define DL_STYLE_YAML_H

#include <stddef.h>

#include "error.h"

/* Limits on hostile input, checked while the events are read. libyaml 0.2.5
 * slows down quadratically with nesting depth, so depth is stopped early;
 * aliases are counted by the nodes they expand to, which stops the
 * "billion laughs" that a naive expansion would build. */
#define DL_YAML_MAX_DEPTH 64
#define DL_YAML_MAX_EXPANSIONS 100000
#define DL_YAML_MAX_SCALAR (1u << 20)      /* 1 MiB */
#define DL_YAML_MAX_FILE (16u << 20)       /* 16 MiB */
#define DL_YAML_MAX_NODES 1000000

typedef struct {
    int max_depth;          /* at most DL_YAML_MAX_DEPTH */
    size_t max_expansions;
    size_t max_scalar;      /* bytes */
    size_t max_file;        /* bytes */
    size_t max_nodes;
} dl_yaml_limits;

/* The defaults above. */
dl_yaml_limits dl_yaml_default_limits(void);

typedef enum { DL_YAML_SCALAR, DL_YAML_SEQUENCE, DL_YAML_MAPPING } dl_yaml_kind;

typedef struct dl_yaml_node dl_yaml_node;
struct dl_yaml_node {
    dl_yaml_kind kind;
    int line, col;        /* 1-based, where the node starts */
    const char *file;     /* the file it was read from (includes have their own) */
    /* scalar */
    const char *text;     /* NUL-terminated; scalars holding a NUL are refused */
    size_t len;
    int plain;            /* written without quotes or tag: may be a number, bool or null */
    /* sequence: n items; mapping: n pairs stored key, value, key, value... */
    size_t n;
    dl_yaml_node **items;
    /* An alias shares the anchored node, so the tree is really a DAG; these
     * bound what a walk over it costs. */
    int height;           /* collection levels below and including this node */
    size_t weight;        /* nodes in the expanded subtree, saturating */
};

/* A parsed file: every node and string lives in one arena owned by the
 * document, which is what lets aliases share nodes without reference counts. */
typedef struct dl_yaml_doc dl_yaml_doc;

/* Reads the file at path within limits (NULL: the defaults). On success *out owns a new document (free with
 * dl_yaml_doc_free). Errors: DLINE_EIO when the file cannot be read,
 * DLINE_ESTYLE for syntax errors, duplicate keys and the limits above, with
 * the message "path:line:col: ...". */
dline_status dl_yaml_read(dline_ctx *ctx, const char *path, const dl_yaml_limits *limits,
                          dl_yaml_doc **out);

/* The same from memory; path only names the input in messages. limits may
 * be NULL for the defaults. */
dline_status dl_yaml_parse(dline_ctx *ctx, const char *path, const char *data, size_t size,
                           const dl_yaml_limits *limits, dl_yaml_doc **out);

void dl_yaml_doc_free(dl_yaml_doc *doc);

/* The document's root; NULL when the file holds no document (empty or only
 * comments). Owned by the document. */
const dl_yaml_node *dl_yaml_root(const dl_yaml_doc *doc);

/* Mapping access: the i-th key and value, and the value under key (NULL when
 * absent or when node is not a mapping). */
const dl_yaml_node *dl_yaml_key(const dl_yaml_node *map, size_t i);
const dl_yaml_node *dl_yaml_value(const dl_yaml_node *map, size_t i);
const dl_yaml_node *dl_yaml_get(const dl_yaml_node *map, const char *key);

/* A plain empty scalar, "~" or "null": what YAML reads as null. */
int dl_yaml_is_null(const dl_yaml_node *node);

/* Parses s[0..len) as a whole decimal number ([+-]digits[.digits][e[+-]digits])
 * independent of the C locale; 0 on success, -1 when it is not one or not
 * finite. Shared by the style (YAML numbers) and colour (CSS numbers) code. */
int dl_style_number(const char *s, size_t len, double *out);

#endif
