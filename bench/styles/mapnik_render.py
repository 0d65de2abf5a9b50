#!/usr/bin/python3
"""Renders styles/mapnik.xml for one size folder to a 2000x1500 PNG with Mapnik's
Python binding (mapnik-render cannot set the extent).
Usage: mapnik_render.py DATA_DIR OUT.png [--no-labels]
--no-labels leaves the names style out (run.sh's geometry comparison)."""
import os
import sys

import mapnik

# dline's box in EPSG:3857 (styles/dline.yaml), exactly 4:3 like the image.
BOX = (13454775.465, 3632749.143, 13506805.205, 3671771.449)


def main():
    args = sys.argv[1:]
    labels = "--no-labels" not in args
    args = [a for a in args if a != "--no-labels"]
    if len(args) != 2:
        sys.exit("usage: mapnik_render.py DATA_DIR OUT.png [--no-labels]")
    data, out = os.path.abspath(args[0]), args[1]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "mapnik.xml"), encoding="utf-8") as f:
        xml = f.read().replace("{data}", data)
    if not labels:
        xml = xml.replace("<StyleName>names</StyleName>", "")
    m = mapnik.Map(2000, 1500)
    mapnik.load_map_from_string(m, xml, True, here)
    m.zoom_to_box(mapnik.Box2d(*BOX))
    # png32: full colour, like the other tools ("png" is quantised png8).
    mapnik.render_to_file(m, out, "png32")


if __name__ == "__main__":
    main()
