#!/usr/bin/env python3
"""Renders the flagship Qingpu map through the Python binding: at its own
size, at 800x550, and with the four sites in blue; prints each file's size.

    PYTHONPATH=src/python DLINE_LIBRARY=build/libdline.so.0 \\
        python3 examples/python/render_maps.py [OUTDIR]

OUTDIR defaults to out/python in the current folder.
"""

import os
import sys

import dline

HERE = os.path.dirname(os.path.abspath(__file__))
STYLE = os.path.join(HERE, os.pardir, os.pardir, "styles", "digital-line.yaml")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("out", "python")
    os.makedirs(outdir, exist_ok=True)

    with dline.Map(STYLE) as m:
        width, height = m.size
        print(f"{os.path.basename(STYLE)}: {width:g}x{height:g} px, {len(m.layers)} layers, "
              "extent {:.3f},{:.3f},{:.3f},{:.3f}".format(*m.extent()))
        full = os.path.join(outdir, "qingpu.png")
        m.render(full)
        m.set_size(800, 550)
        small = os.path.join(outdir, "qingpu-800.png")
        m.render(small)

    # The same style with one value changed, as the CLI's
    # --set layers.sites.paint.circle-color=#06c.
    blue = os.path.join(outdir, "qingpu-blue.png")
    dline.render(STYLE, blue, **{"layers.sites.paint.circle-color": "#06c"})

    for path in (full, small, blue):
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    try:
        main()
    except dline.DlineError as e:
        sys.exit(f"render_maps: {e}")
