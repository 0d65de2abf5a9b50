/* Style reuse before the style is read: `include:` of other style files,
 * `vars:` referenced as "$name", and command-line overrides ("--set
 * layers.sites.paint.circle-color=#06c"), all applied to the YAML node tree
 * so that the style loader sees one tree whose nodes still know their file
 * and line:column. Private to src/style/. */
#ifndef DL_STYLE_COMPOSE_H
#define DL_STYLE_COMPOSE_H

#include "style/yaml.h"

/* Bounds on what a style may ask for. */
#define DL_COMPOSE_MAX_INCLUDE_DEPTH 8
#define DL_COMPOSE_MAX_INCLUDES 64
#define DL_COMPOSE_MAX_VAR_DEPTH 16

typedef struct dl_compose dl_compose;

/* Reads path and everything it includes, merges them (the including file
 * wins; mappings merge key by key, `layers` merge by layer id, other
 * sequences are replaced), applies the overrides (each "PATH=VALUE"), then
 * replaces every scalar "$name" with the value of `name` under `vars:`.
 * `include` and `vars` are gone from the result. Errors name the file and
 * line:column of the node at fault (DLINE_ESTYLE), or the override
 * (DLINE_EUSAGE). On success *out owns every node of the tree; free with
 * dl_compose_free(). The root is NULL for a file with no document. */
dline_status dl_compose_load(dline_ctx *ctx, const char *path, const char *const *sets,
                             size_t nsets, dl_compose **out);
/* The same with the root file's bytes given (text, len); path stands for
 * it: messages name it, includes are found beside it. */
dline_status dl_compose_load_text(dline_ctx *ctx, const char *path, const char *text,
                                  size_t len, const char *const *sets, size_t nsets,
                                  dl_compose **out);
const dl_yaml_node *dl_compose_root(const dl_compose *c);
void dl_compose_free(dl_compose *c);

#endif
