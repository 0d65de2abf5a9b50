#!/bin/sh
# The benchmark map for GMT 6 (classic mode), as close to dline.yaml as GMT
# allows. Usage: gmt.sh DATA_DIR OUT.png [--no-labels]
# (--no-labels: no pstext, for run.sh's geometry comparison.)
# GMT reads shapefiles through GDAL's ogr2ogr (gdal-bin), so the conversion is
# part of the render: once to OGR/GMT text, where awk puts each feature's
# colour and pen into its segment header (GMT styles segments, not attributes),
# and once to CSV for the labels.
# Differences, none of which GMT offers: labels are Latin only (GMT's
# PostScript fonts have no CJK without a Ghostscript CID font set-up), and
# every label is drawn: GMT has no label collision avoidance.
set -eu
data=$(cd "$1" && pwd)
out=$2
labels=${3:-}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# Sizes: the map is 20 x 15 in, rasterised at 100 dpi, so 1 px = 0.72 pt.
R=-R120.866304/121.333696/31.0/31.3
J=-JM20i
# Spherical Mercator: on a sphere -JM is EPSG:3857 up to scale, and the width fixes the scale.
common="$R $J --PROJ_ELLIPSOID=Sphere"

ogr2ogr -f OGR_GMT parcels.gmt "$data/parcels.shp"
ogr2ogr -f OGR_GMT roads.gmt "$data/roads.shp"
ogr2ogr -f CSV -lco GEOMETRY=AS_XY points.csv "$data/points.shp"

# OGR/GMT -> GMT's own multisegment text, which styles segments, not
# attributes: a feature's "# @D id|value" line follows its ">", so the ">" is
# held until then and written as "> -Gfill" or "> -Wpen"; a hole's ">" is
# followed by "# @H" and becomes "> -Ph". Other comments are dropped.
style() {
    awk -v what="$1" '
    BEGIN {
        split("residential #e8d9c4 farmland #dfe8c8 industrial #d9d4e6 park #c8e0bf water #bcd6e8", a, " ")
        for (i = 1; i < 10; i += 2) fill[a[i]] = a[i + 1]
        pen["primary"] = "1.8p,#d0783c"; pen["secondary"] = "1.08p,#b59a5a"; pen["local"] = "0.576p,#8a8a8a"
    }
    $0 == ">" { held = 1; next }
    held && /^# @D/ {
        split(substr($0, 5), v, "|")
        if (what == "fill") print "> -G" (v[2] in fill ? fill[v[2]] : "#dddddd")
        else print "> -W" (v[2] in pen ? pen[v[2]] : pen["local"])
        held = 0; next
    }
    held && /^# @H/ { print "> -Ph"; held = 0; next }
    held { print ">"; held = 0 }
    /^#/ { next }
    { print }' "$2"
}
style fill parcels.gmt > parcels.styled.gmt
style pen roads.gmt > roads.styled.gmt

gmt psxy $common parcels.styled.gmt -W0.72p,#9a8f80 -X0 -Y0 -P -K \
    --PS_MEDIA=20ix15i --PS_PAGE_COLOR=#f4f1ea > map.ps
gmt psxy $common roads.styled.gmt -O -K >> map.ps
# X,Y,id,NAME,NAME_ZH -> x y name (names have no commas)
awk -F, 'NR > 1 { print $1, $2 }' points.csv > points.xy
awk -F, 'NR > 1 { gsub(/"/, "", $4); print $1, $2, $4 }' points.csv > points.txt
# 0.07i = 7 px with the 1 px pen centred on its edge: a radius-3 disc and a
# ring from 3 to 4 px, as dline's (0.06i drew a radius-2.5 disc).
gmt psxy $common points.xy -Sc0.07i -G#1f5fa8 -W0.72p,white -O -K >> map.ps
if [ "$labels" = --no-labels ]; then
    gmt psxy $common -T -O >> map.ps
else
    gmt pstext $common points.txt -F+f7.92p,Helvetica,#222222=~2.16p,white+jML -D0.07i/0 -O >> map.ps
fi
gmt psconvert map.ps -Tg -E100 -Qg4 -Qt4 -Fmap
mv map.png "$out"
