#!/bin/sh
# dline info prints the expected summary (geometry, counts, extents, CRS,
# encoding and fields) for a few files, exactly: shapefiles, a GeoJSON file
# mixing geometry types and a CSV point list.
#   test_info.sh DLINE OUTDIR
set -u
dline=$1 out=$2
mkdir -p "$out"
fail=0
for f in ../geodata/qingpu_sites.shp data/gbk_ldid.shp ../geodata/qingpu_boundary_cgcs2000.shp \
         data/nulls.shp data/noprj.shp data/mixed.geojson data/sites.csv; do
    n=$(basename "$f"); n=${n%.*}
    if ! "$dline" info "$f" > "$out/info_$n.txt"; then
        echo "FAIL: dline info $f exited with $?"
        fail=1
    elif ! diff -u "cli/expected/info_$n.txt" "$out/info_$n.txt"; then
        echo "FAIL: dline info $f differs from cli/expected/info_$n.txt"
        fail=1
    else
        echo "ok: dline info $f"
    fi
done
exit $fail
