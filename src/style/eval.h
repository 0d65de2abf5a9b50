/* Expressions of a style at render time: which layers show at the map's zoom
 * and scale, and the values of zoom- and data-driven properties. Implemented
 * in style.c, next to the property table they write through. */
#ifndef DL_STYLE_EVAL_H
#define DL_STYLE_EVAL_H

#include "style/expr.h"
#include "style/style.h"

/* MapLibre's zoom for a map whose centre is at latitude lat (degrees) with
 * ground_mpp metres on the ground per px: log2(78271.517 x cos(lat) /
 * ground_mpp), 78271.517 m being a px of a 512 px world at the equator.
 * The scale denominator: ground_mpp over the size of a px at 96 dpi
 * (0.0254 / 96 m), the 1:N a reader measures on the printed map. */
double dl_style_zoom_of(double lat, double ground_mpp);
double dl_style_scale_of(double ground_mpp);

/* minzoom <= zoom < maxzoom, and min-scale <= scale < max-scale where
 * given. */
int dl_style_layer_visible(const dl_style_layer *layer, double zoom, double scale);

/* Resolves the attribute names of the layer's filter and expressions
 * against a source's fields: once per source and render. */
void dl_style_layer_bind(dl_style_layer *layer, const dl_field *fields, size_t nfields);

/* Writes the values of the layer's zoom-only expressions into its fields. */
void dl_style_layer_eval_zoom(dl_style_layer *layer, double zoom);

/* *out becomes a copy of *base (sharing its strings and expressions: never
 * free it) with the per-feature expressions evaluated for env. A property
 * whose expression fails at run time keeps its value in base, as MapLibre
 * falls back to the default. */
void dl_style_layer_eval_feature(const dl_style_layer *base, dl_style_layer *out,
                                 const dl_expr_env *env, dl_expr_scratch *scratch,
                                 dl_style_eval_text *text);

/* *out becomes a copy of *base (as dl_style_layer_eval_feature's) whose
 * sizes that widen a feature's ink (line-width, line-gap-width,
 * line-offset, circle-radius, circle-stroke-width) are at least as large,
 * in absolute value, as any feature can make them. -1 when a per-feature
 * expression of one of them has no known bound (dl_expr_number_bound). */
int dl_style_layer_ink_bound(const dl_style_layer *base, dl_style_layer *out);

/* Whether a feature passes the layer's filter (no filter: every one). */
int dl_style_layer_filter(const dl_style_layer *layer, const dl_expr_env *env,
                          dl_expr_scratch *scratch);

#endif
