/* Text halos on image surfaces: the halo's coverage dilated from the
 * text's coverage (see halo.h). */
#include "render/halo.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int dx, dy;
    ptrdiff_t at; /* dy * stride + dx */
    int base; /* round((r - |offset|) * 255): the halo there is base + cov */
} offset;

static int by_base(const void *a, const void *b)
{
    const offset *p = a, *q = b;
    return (q->base > p->base) - (q->base < p->base);
}

int dl_halo_dilate(const uint8_t *cov, int w, int h, int stride, double r, uint8_t *out)
{
    if (w <= 0 || h <= 0)
        return 0;
    memset(out, 0, (size_t)stride * (size_t)(h - 1) + (size_t)w);
    if (!(r > 0))
        r = 0;
    if (r > 1000)
        r = 1000;
    int R = (int)ceil(r + 1);
    size_t side = 2 * (size_t)R + 1;
    offset *off = malloc(side * side * sizeof *off);
    if (!off)
        return -1;
    int n = 0;
    for (int dy = -R; dy <= R; dy++)
        for (int dx = -R; dx <= R; dx++) {
            double d = hypot(dx, dy);
            if (d < r + 1)
                off[n++] = (offset){dx, dy, (ptrdiff_t)dy * stride + dx, (int)lround((r - d) * 255)};
        }
    /* Nearest first: a pixel's reach ends at the first offset it cannot
     * cover. */
    qsort(off, (size_t)n, sizeof *off, by_base);
    for (int y = 0; y < h; y++) {
        const uint8_t *row = cov + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            int c = row[x];
            if (!c)
                continue;
            /* A fully covered pixel whose four neighbours are too adds
             * nothing: from any other pixel p, the neighbour one step
             * towards p is closer and as covered. */
            if (c == 255 && x > 0 && x + 1 < w && y > 0 && y + 1 < h && row[x - 1] == 255 &&
                row[x + 1] == 255 && row[x - stride] == 255 && row[x + stride] == 255) {
                out[(size_t)y * stride + x] = 255;
                continue;
            }
            uint8_t *o = out + (size_t)y * stride + x;
            if (x >= R && x + R < w && y >= R && y + R < h) {
                /* The whole disc inside: the usual case, as callers leave
                 * a margin. */
                for (int k = 0; k < n; k++) {
                    int v = off[k].base + c;
                    if (v <= 0)
                        break;
                    if (v > 255)
                        v = 255;
                    if (v > o[off[k].at])
                        o[off[k].at] = (uint8_t)v;
                }
                continue;
            }
            for (int k = 0; k < n; k++) {
                int v = off[k].base + c;
                if (v <= 0)
                    break;
                int px = x + off[k].dx, py = y + off[k].dy;
                if (px < 0 || px >= w || py < 0 || py >= h)
                    continue;
                if (v > 255)
                    v = 255;
                if (v > o[off[k].at])
                    o[off[k].at] = (uint8_t)v;
            }
        }
    }
    free(off);
    return 0;
}
