#!/bin/sh
# Packs a shapefile's .shp, .shx, .dbf, .prj and .cpg into one fuzz input
# (the layout fuzz_shapefile.c reads): five little-endian uint32 lengths,
# 0x80000000 for a file that is absent, then the files' bytes in order.
#   pack_shapefile.sh BASE OUT     (BASE without extension)
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BASE OUT" >&2; exit 2; }
base=$1 out=$2

le32() {
    n=$1
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n & 255)) $((n >> 8 & 255)) \
        $((n >> 16 & 255)) $((n >> 24 & 255)))"
}

: > "$out"
for ext in shp shx dbf prj cpg; do
    if [ -f "$base.$ext" ]; then
        le32 "$(wc -c < "$base.$ext")" >> "$out"
    else
        le32 $((0x80000000)) >> "$out"
    fi
done
for ext in shp shx dbf prj cpg; do
    [ -f "$base.$ext" ] && cat "$base.$ext" >> "$out"
done
exit 0
