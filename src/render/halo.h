/* Text halos on image surfaces: an anti-aliased dilation of the text's
 * coverage, in place of stroking the glyph outlines. */
#ifndef DL_RENDER_HALO_H
#define DL_RENDER_HALO_H

#include <stdint.h>

/* Writes into out (w x h, the same stride as cov, overwritten) the halo
 * coverage of a halo r device px wide around the coverage cov (A8, 0..255):
 * h(p) = max over q with cov(q) > 0 and |p - q| < r + 1 of
 * clamp(r + cov(q) / 255 - |p - q|, 0, 1), an edge pixel of coverage c
 * standing ~(0.5 - c) px from the edge. 0, or -1 when out of memory (out
 * is then all zero). */
int dl_halo_dilate(const uint8_t *cov, int w, int h, int stride, double r, uint8_t *out);

#endif
