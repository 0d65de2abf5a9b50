#!/bin/sh
# Resource limits that need data too big to check in: a render may queue
# 1000000 labels and no more (exact message, no output left), made from a
# CSV point list of 1000001 rows generated here. The pixel budget
# (--max-pixels) has its cases in tests/bad/cases/render_*pixel*.case.
#   test_limits.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out/map"
fail() { echo "FAIL: $*"; exit 1; }

awk 'BEGIN { print "lon,lat"; for (i = 0; i < 1000001; i++)
             printf "%.5f,%.5f\n", 121 + (i % 1000) / 10000, 31 + int(i / 1000) / 10000 }' \
    >"$out/over.csv" || fail "awk"
head -n 1000001 "$out/over.csv" >"$out/exact.csv" || fail "head"
for n in over exact; do
    cat >"$out/$n.yaml" <<EOF
size: [200, 200]
extent: [120.9, 30.9, 121.3, 31.3]
sources:
  points: {path: $n.csv, lon: lon, lat: lat}
layers:
  - {id: dots, type: symbol, source: points, layout: {text-field: "x"}}
EOF
done

"$dline" render "$out/over.yaml" -o "$out/map/over.png" 2>"$out/over.err"
status=$?
[ "$status" = 1 ] || fail "1000001 labels: exit status $status, expected 1"
[ "$(cat "$out/over.err")" = "dline: layer 'dots': more than 1000000 labels" ] ||
    fail "1000001 labels: stderr is '$(cat "$out/over.err")'"
[ -z "$(ls -A "$out/map")" ] || fail "1000001 labels: files left: $(ls -A "$out/map")"
echo "ok: 1000001 labels fail with \"layer 'dots': more than 1000000 labels\", nothing written"

"$dline" render "$out/exact.yaml" -o "$out/map/exact.png" || fail "1000000 labels do not render"
[ -s "$out/map/exact.png" ] || fail "1000000 labels: no map"
echo "ok: 1000000 labels render"
rm -f "$out/over.csv" "$out/exact.csv"
