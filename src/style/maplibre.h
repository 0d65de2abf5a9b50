/* MapLibre style documents (JSON, spec version 8): told apart from dline
 * styles and translated, on the YAML node tree libyaml gives for JSON too,
 * into the tree of a dline style, which the ordinary loader then reads.
 * What dline cannot draw is dropped with one warning each. Private to
 * src/style/. */
#ifndef DL_STYLE_MAPLIBRE_H
#define DL_STYLE_MAPLIBRE_H

#include "style/style.h"
#include "style/yaml.h"

/* Largest inline GeoJSON `data` written back to JSON text. */
#define DL_MAPLIBRE_MAX_INLINE (64u << 20)

typedef struct dl_maplibre dl_maplibre;

/* Whether root is a MapLibre style: a mapping with `version` and `layers`,
 * or any mapping read from a file whose name ends in .json (any case). */
int dl_maplibre_detect(const char *path, const dl_yaml_node *root);

/* Translates a MapLibre root into a dline style tree:
 * - `metadata.dline` becomes the top-level dline keys (size, title, ...);
 * - sources become dline sources: geojson `data` as a file name becomes
 *   `path`; an inline GeoJSON object becomes `data`, a scalar holding its
 *   JSON text, at the position of the object; shapefile and csv sources
 *   (dline extensions) take `path` or `data` as a file name;
 * - layers of types and sources dline draws are kept, without
 *   `source-layer`, `metadata` and `layout.visibility`; a layer with
 *   `visibility: none` is left out, and so is one whose `filter` uses an
 *   expression operator dline does not implement (with a warning);
 * - `center` and `zoom` are kept for dl_maplibre_view.
 * Everything dropped that changes the map gives a warning (dl_warn) with
 * its FILE:LINE:COL. Errors are DLINE_ESTYLE at the node at fault; with
 * report set (dline validate), each is reported, counted in *nproblems, and
 * the source or layer at fault is left out. On success *out owns the new
 * nodes (the tree also points into root's, which must outlive it); free
 * with dl_maplibre_free(). */
dline_status dl_maplibre_translate(dline_ctx *ctx, const char *path, const dl_yaml_node *root,
                                   dl_style_problem_fn report, void *user, size_t *nproblems,
                                   dl_maplibre **out);
const dl_yaml_node *dl_maplibre_root(const dl_maplibre *m);

/* For the loader, on each property of a MapLibre style given as an
 * expression: 1 when v uses an expression operator dline does not implement
 * (dl_expr_find_unsupported), after a warning naming the layer, the
 * property and the operator at the operator's FILE:LINE:COL; the caller then
 * leaves the property at its default and the rest of the map draws. 0
 * otherwise. (A layer whose filter uses one is skipped, with a warning, by
 * dl_maplibre_translate. A YAML style gets the compiler's error instead.) */
int dl_maplibre_drop_property(dline_ctx *ctx, const char *path, const char *layer,
                              const char *property, const dl_yaml_node *v);
/* 1 with center (longitude, latitude) and zoom when the style gives
 * `center` or `zoom` (the other then takes MapLibre's default, 0); else 0. */
int dl_maplibre_view(const dl_maplibre *m, double center[2], double *zoom);
void dl_maplibre_free(dl_maplibre *m);

/* The longitude/latitude box MapLibre shows around center at zoom on a
 * width x height px map: Web Mercator, 512 px tiles, so 78271.51696402048 /
 * 2^zoom metres per px; clamped to -180..180 and MapLibre's
 * -85.0511..85.0511 latitude. out: minlon, minlat, maxlon, maxlat. */
void dl_maplibre_extent(const double center[2], double zoom, double width, double height,
                        double out[4]);

#endif
