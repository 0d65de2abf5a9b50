/* The graticule step of a render: meridians and parallels densified in
 * longitude/latitude, projected with PROJ into map pixels, handed to the
 * render stage with their edge labels. */
#ifndef DL_GRATICULE_H
#define DL_GRATICULE_H

#include <stddef.h>

#include "error.h"
#include "project/project.h"
#include "render/graticule.h"
#include "style/style.h"

/* The auto interval, in degrees, for a map `span` degrees of longitude
 * wide: the largest of 30, 15, 10, 5, 2 and 1 degrees, 30', 15', 10', 5',
 * 2' and 1' that gives at least 4 lines across (about 4 to 8); 1' for
 * narrower maps. 0 when span is not a positive number. */
double dl_graticule_auto_interval(double span);

/* Writes the label of a meridian (is_lon) or parallel at `deg` degrees in
 * format DL_GRATICULE_DM ("121°05′E"; seconds only when the interval has
 * them, minutes only when it is not whole degrees) or DL_GRATICULE_DECIMAL
 * ("121.083°E"; as many decimals as the interval needs, 3 at most unless it
 * is finer). Values are rounded once, to the unit shown, before they are
 * split, so 30°59′60″ never appears. 0° and 180° have no hemisphere letter.
 * Returns snprintf's count. */
int dl_graticule_format(double deg, int is_lon, int format, double interval, char *buf,
                        size_t size);

/* Builds the graticule of a width x height px map on grid `g`. `ll`
 * transforms longitude/latitude (EPSG:4326) to the map CRS. interval in
 * degrees, 0 for auto. Each line gets 50 segments across the map's
 * longitude/latitude box and one dl_transform_points call. DLINE_EPROJ when
 * the map has no longitude/latitude box; DLINE_ENOMEM. On success *out owns
 * arrays; free with dl_graticule_free() (also after failure). */
dline_status dl_graticule_build(dline_ctx *ctx, dl_transform *ll, const dl_pixel_grid *g,
                                double width, double height, double interval, int format,
                                dl_graticule *out);

/* The render's graticule: builds it for the style (nothing when it has
 * none; a warning and nothing drawn when the map CRS has no
 * longitude/latitude) and draws its lines. *out keeps it for
 * dl_render_graticule_labels(). */
dline_status dl_graticule_draw(dline_ctx *ctx, dl_proj *proj, const dl_style *style,
                               const char *map_crs, const dl_pixel_grid *g, double width,
                               double height, dl_render *render, dl_graticule *out);

#endif
