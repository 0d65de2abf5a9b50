#!/bin/sh
# dline render STYLE --jobs FILE.csv: one map per row, on worker processes.
#   - jobs_maps.csv (CRLF line ends; a quoted output name holding quotes and
#     a comma, a quoted value with a comma, empty cells, an output in a
#     subfolder): three maps of the right sizes and colours, written beside
#     the CSV; with --dpi 192 (applied to every job) twice the pixels;
#   - jobs_bad_render.csv: its third row (line 4: the second row spans two
#     lines) has a bad colour: exactly that message, exit 1, the other two
#     maps written and no temporary file left;
#   - jobs_shards.csv: --shard 1/2 writes rows 0, 2, 4 and --shard 2/2 rows 1
#     and 3, one process each; together the same bytes as a full run on the
#     default number of processes.
#   test_jobs.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
png() { python3 "$here/tiles_png.py" "$@"; }
style=cli/jobs_style.yaml

# check FILE W H RRGGBB: the PNG's size and its top-left pixel.
check() {
    [ -s "$1" ] || fail "no $1"
    size=$(png size "$1")
    [ "$size" = "$2 $3" ] || fail "$1 is $size, expected $2 $3"
    [ "$(png ink "$1" 1 1 2 2 "$4" 0)" = 1 ] || fail "$1: the background is not #$4"
}

mkdir -p "$out/maps/maps"
cp cli/jobs_maps.csv "$out/maps/"
"$dline" render "$style" --jobs "$out/maps/jobs_maps.csv" 2>"$out/maps.err" ||
    fail "jobs_maps.csv: $(cat "$out/maps.err")"
[ ! -s "$out/maps.err" ] || fail "jobs_maps.csv printed: $(cat "$out/maps.err")"
check "$out/maps/red.png" 200 100 ff0000
check "$out/maps/with \"quotes\", and a comma.png" 120 80 0000ff
check "$out/maps/maps/green.png" 160 90 00ff00
[ "$(ls -A "$out/maps" | wc -l)" = 4 ] || fail "other files beside the CSV: $(ls -A "$out/maps")"
echo "ok: jobs_maps.csv: 3 maps of the right sizes and backgrounds (quoted names and values, CRLF, empty cells)"

mkdir -p "$out/dpi/maps"
cp cli/jobs_maps.csv "$out/dpi/"
"$dline" render "$style" --dpi 192 --processes 1 --jobs "$out/dpi/jobs_maps.csv" || fail "--dpi 192"
check "$out/dpi/red.png" 400 200 ff0000
check "$out/dpi/with \"quotes\", and a comma.png" 240 160 0000ff
check "$out/dpi/maps/green.png" 320 180 00ff00
echo "ok: --dpi 192 applies to every job"

mkdir -p "$out/bad"
cp cli/jobs_bad_render.csv "$out/bad/"
"$dline" render "$style" --jobs "$out/bad/jobs_bad_render.csv" 2>"$out/bad.err"
status=$?
[ $status = 1 ] || fail "a bad row: exit status $status"
want="dline: $out/bad/jobs_bad_render.csv:4: --set:1:1: 'background': invalid colour 'nope'"
[ "$(cat "$out/bad.err")" = "$want" ] || fail "a bad row: stderr '$(cat "$out/bad.err")', expected '$want'"
check "$out/bad/one.png" 160 90 ffffff
check "$out/bad/three.png" 160 90 000000
[ ! -e "$out/bad/two.png" ] || fail "two.png was written"
[ -z "$(ls -A "$out/bad" | grep '^\.')" ] || fail "temporary files left: $(ls -A "$out/bad")"
echo "ok: a bad row: '$want', exit 1, the other maps written"

mkdir -p "$out/full" "$out/sharded"
cp cli/jobs_shards.csv "$out/full/"
cp cli/jobs_shards.csv "$out/sharded/"
"$dline" render "$style" --jobs "$out/full/jobs_shards.csv" || fail "shards: full run"
"$dline" render "$style" --jobs "$out/sharded/jobs_shards.csv" --shard 1/2 --processes 1 || fail "shard 1/2"
[ "$(cd "$out/sharded" && ls *.png | tr '\n' ' ')" = "s0.png s2.png s4.png " ] ||
    fail "shard 1/2 wrote $(cd "$out/sharded" && ls *.png | tr '\n' ' ')"
"$dline" render "$style" --jobs "$out/sharded/jobs_shards.csv" --shard 2/2 --processes 1 || fail "shard 2/2"
for i in 0 1 2 3 4; do
    cmp -s "$out/full/s$i.png" "$out/sharded/s$i.png" || fail "s$i.png differs between the full and the sharded runs"
done
echo "ok: --shard 1/2 wrote rows 0, 2, 4 and 2/2 rows 1, 3: together the full run's 5 maps byte for byte"
