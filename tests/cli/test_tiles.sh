#!/bin/sh
# dline tiles: the Qingpu map as XYZ tiles in an MBTiles file and a folder.
# Zooms 8-13 of the style's own extent (283 tiles) rather than 8-15: 15 alone
# is 2925 tiles, and the pyramid is rendered five times below (full, folder,
# two shards, interrupted and resumed), which would take minutes on two
# busy cores; 14 and 15 are covered by the @2x run on a small extent.
#   - metadata and the tile count of each zoom (worked out independently in
#     python from the bounds), every tile a 256 x 256 PNG (IHDR), TMS rows;
#   - the folder pyramid holds the same bytes, y from the north;
#   - two shards run side by side with & and wait (the stand-in for GNU
#     parallel in docs/scaling.md) and merged with its sqlite3 line give
#     exactly the tiles of the full run;
#   - resume: deleted tiles, and only those, are rendered again, identical;
#     a run stopped by SIGTERM exits 143 with what it finished committed,
#     and running it again completes it, identical to the full run;
#   - @2x tiles are 512 px (Y@2x.png; tile_size and scale in MBTiles);
#   - a label crossing a tile edge: four 256 px tiles of zoom 13 stitched
#     together equal the one 512 px tile of zoom 12 over the same ground
#     (the same pixel grid), the Xicen site label crossing their seam.
#   test_tiles.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
png() { python3 "$here/tiles_png.py" "$@"; }
style=../styles/digital-line.yaml
q() { sqlite3 "$@"; }
# Every tile as "z/x/y md5-of-data", y from the north, sorted.
dump() {
    python3 - "$1" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select zoom_level, tile_column, tile_row, tile_data from tiles")
out = sorted("%d/%d/%d %s" % (z, x, (1 << z) - 1 - r, hashlib.md5(d).hexdigest())
             for z, x, r, d in rows)
print("\n".join(out))
EOF
}

# The full run.
"$dline" tiles "$style" --zoom 8-13 -o "$out/full.mbtiles" 2>"$out/full.err" ||
    fail "full run: $(cat "$out/full.err")"
[ ! -s "$out/full.err" ] || fail "full run printed: $(cat "$out/full.err")"

meta=$(q "$out/full.mbtiles" "select name || '=' || value from metadata order by name" | tr '\n' ' ')
want="bounds=120.739560,30.910292,121.434708,31.324520 center=121.087134,31.117406,8 format=png maxzoom=13 minzoom=8 name=digital-line scale=1 tile_size=256 type=baselayer "
[ "$meta" = "$want" ] || fail "metadata: $meta"
q "$out/full.mbtiles" "select sql from sqlite_master where name = 'tile_index'" | grep -q "UNIQUE INDEX tile_index ON tiles" ||
    fail "no unique index on (zoom_level, tile_column, tile_row)"

counts=$(q "$out/full.mbtiles" "select zoom_level || ':' || count(*) from tiles group by zoom_level" | tr '\n' ' ')
expected=$(python3 - "$(q "$out/full.mbtiles" "select value from metadata where name = 'bounds'")" <<'EOF'
import math, sys
w, s, e, n = (float(v) for v in sys.argv[1].split(","))
tx = lambda lon, k: (lon + 180) / 360 * k
ty = lambda lat, k: (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k
out = []
for z in range(8, 14):
    k = 2 ** z
    nx = math.ceil(tx(e, k)) - math.floor(tx(w, k))
    ny = math.ceil(ty(s, k)) - math.floor(ty(n, k))
    out.append("%d:%d" % (z, nx * ny))
print(" ".join(out) + " ")
EOF
)
[ "$counts" = "$expected" ] || fail "tiles per zoom: $counts, expected $expected"
[ "$counts" = "8:2 9:2 10:6 11:15 12:54 13:204 " ] || fail "tiles per zoom: $counts"
bad=$(q "$out/full.mbtiles" "select count(*) from tiles where substr(tile_data, 1, 16) != x'89504e470d0a1a0a0000000d49484452' or substr(tile_data, 17, 8) != x'0000010000000100'")
[ "$bad" = 0 ] || fail "$bad tiles are not 256 x 256 PNGs"
# TMS rows: zoom 8's two tiles are rows 151 (y 104 from the north).
[ "$(q "$out/full.mbtiles" "select group_concat(tile_column || '/' || tile_row, ' ') from tiles where zoom_level = 8")" = "213/151 214/151" ] ||
    fail "zoom 8 tiles: $(q "$out/full.mbtiles" "select group_concat(tile_column || '/' || tile_row, ' ') from tiles where zoom_level = 8")"
dump "$out/full.mbtiles" >"$out/full.list"
echo "ok: MBTiles of zooms 8-13: metadata, $(wc -l <"$out/full.list") tiles as counted per zoom, every one a 256x256 PNG"

# The folder pyramid, one process: the same bytes at Z/X/Y.png.
"$dline" tiles "$style" --zoom 8-13 --processes 1 -o "$out/dir" || fail "folder run"
(cd "$out/dir" && find . -name '*.png' | sed 's|^\./||; s|\.png$||' | sort | while read -r t; do
    echo "$t $(md5sum <"$t.png" | cut -d' ' -f1)"
done) >"$out/dir.list"
diff "$out/full.list" "$out/dir.list" >/dev/null || fail "folder tiles differ from the MBTiles ones"
[ -z "$(find "$out/dir" -name '.*')" ] || fail "temporary files left in the folder"
echo "ok: folder pyramid: the same $(wc -l <"$out/dir.list") tiles byte for byte, no temporary files"

# Two shards side by side, merged as docs/scaling.md says.
for i in 1 2; do
    "$dline" tiles "$style" --zoom 8-13 --shard $i/2 --processes 1 -o "$out/shard-$i.mbtiles" &
done
wait
n1=$(q "$out/shard-1.mbtiles" "select count(*) from tiles")
n2=$(q "$out/shard-2.mbtiles" "select count(*) from tiles")
[ "$n1" = 142 ] && [ "$n2" = 141 ] || fail "shards hold $n1 and $n2 tiles, expected 142 and 141"
cp "$out/shard-1.mbtiles" "$out/merged.mbtiles"
(cd "$out" && sqlite3 merged.mbtiles "ATTACH 'shard-2.mbtiles' AS s; INSERT OR IGNORE INTO tiles SELECT * FROM s.tiles; DETACH s;") ||
    fail "merge"
dump "$out/merged.mbtiles" | diff "$out/full.list" - >/dev/null || fail "shards 1/2 + 2/2 differ from the full run"
echo "ok: shards 1/2 ($n1 tiles) and 2/2 ($n2) merged equal the full run byte for byte"

# Resume, MBTiles: delete 18 tiles; the progress line (on a terminal, faked
# by script) counts what a run renders.
cp "$out/full.mbtiles" "$out/resume.mbtiles"
q "$out/resume.mbtiles" "delete from tiles where zoom_level = 12 and tile_column % 3 = 0"
left=$(q "$out/resume.mbtiles" "select count(*) from tiles")
[ "$left" = 265 ] || fail "after deleting, $left tiles"
# The paths go through the environment: no quoting of them in the command.
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
    DL=$dline ST=$style OUTF=$out/resume.mbtiles \
        script -qec '"$DL" tiles "$ST" --zoom 8-13 -o "$OUTF"' /dev/null >"$out/resume.tty" ||
        fail "resume run"
    tr '\r' '\n' <"$out/resume.tty" | grep -q '^.*18/18 tiles  100%' ||
        fail "resume did not render exactly 18 tiles: $(tr '\r' '\n' <"$out/resume.tty" | tail -2)"
else
    "$dline" tiles "$style" --zoom 8-13 -o "$out/resume.mbtiles" || fail "resume run"
fi
dump "$out/resume.mbtiles" | diff "$out/full.list" - >/dev/null || fail "resumed MBTiles differ"
echo "ok: resume: the 18 deleted tiles rendered again (progress 18/18), identical to the full run"

# Resume, folder: deleted and emptied tiles are written again; the others
# are not touched (same inode and time).
rm "$out/dir/12/3423/1674.png" "$out/dir/13/6850/3349.png"
: >"$out/dir/11/1712/837.png"
(cd "$out/dir" && find . -name '*.png' ! -path './12/3423/1674.png' ! -path './13/6850/3349.png' \
    ! -path './11/1712/837.png' -exec stat -c '%n %i %Y' {} + | sort) >"$out/before.stat"
sleep 1
"$dline" tiles "$style" --zoom 8-13 -o "$out/dir" || fail "folder resume"
(cd "$out/dir" && find . -name '*.png' ! -path './12/3423/1674.png' ! -path './13/6850/3349.png' \
    ! -path './11/1712/837.png' -exec stat -c '%n %i %Y' {} + | sort) >"$out/after.stat"
diff "$out/before.stat" "$out/after.stat" >/dev/null || fail "tiles that were there were written again"
(cd "$out/dir" && find . -name '*.png' | sed 's|^\./||; s|\.png$||' | sort | while read -r t; do
    echo "$t $(md5sum <"$t.png" | cut -d' ' -f1)"
done) | diff "$out/full.list" - >/dev/null || fail "resumed folder differs"
echo "ok: folder resume: 2 deleted and 1 empty tile rendered again, the other 280 untouched"

# SIGTERM once the first 100 tiles are committed, then run again.
"$dline" tiles "$style" --zoom 8-13 --processes 1 -o "$out/stopped.mbtiles" 2>"$out/stopped.err" &
pid=$!
(sleep 60; kill -KILL "$pid") >/dev/null 2>&1 &
dog=$!
n=0
until [ "$(sqlite3 "$out/stopped.mbtiles" "select count(*) from tiles" 2>/dev/null)" -ge 100 ] 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || break
    n=$((n + 1))
    [ $n -lt 1200 ] || break
    sleep 0.05
done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
status=$?
kill "$dog" 2>/dev/null
wait "$dog" 2>/dev/null
done_before=$(q "$out/stopped.mbtiles" "select count(*) from tiles")
if [ "$status" = 0 ]; then
    echo "note: the run ended before SIGTERM reached it ($done_before tiles)"
else
    [ "$status" = 143 ] || fail "SIGTERM: exit status $status ($(cat "$out/stopped.err"))"
    [ "$(cat "$out/stopped.err")" = "dline: interrupted" ] || fail "SIGTERM: stderr '$(cat "$out/stopped.err")'"
    [ "$done_before" -ge 100 ] && [ "$done_before" -lt 283 ] || fail "after SIGTERM, $done_before tiles"
fi
"$dline" tiles "$style" --zoom 8-13 -o "$out/stopped.mbtiles" || fail "run after SIGTERM"
dump "$out/stopped.mbtiles" | diff "$out/full.list" - >/dev/null || fail "stopped and resumed run differs"
echo "ok: SIGTERM: exit 143 with $done_before tiles committed; run again, the same 283 tiles"

# @2x: 512 px tiles, Y@2x.png, tile_size and scale in MBTiles; a file of
# other tiles is not continued.
ext=121.029785,31.301083,121.064941,31.312347
"$dline" tiles "$style" --zoom 14-15 --extent $ext --scale 2 -o "$out/retina" || fail "@2x folder"
names=$(cd "$out/retina" && find . -name '*.png' | sort | tr '\n' ' ')
[ "$names" = "./14/13700/6690@2x.png ./14/13701/6690@2x.png ./15/27400/13380@2x.png ./15/27400/13381@2x.png ./15/27401/13380@2x.png ./15/27401/13381@2x.png ./15/27402/13380@2x.png ./15/27402/13381@2x.png ./15/27403/13380@2x.png ./15/27403/13381@2x.png " ] ||
    fail "@2x names: $names"
sizes=$(cd "$out/retina" && png size $(find . -name '*.png') | sort -u)
[ "$sizes" = "512 512" ] || fail "@2x sizes: $sizes"
"$dline" tiles "$style" --zoom 14 --extent $ext --scale 2 -o "$out/retina.mbtiles" || fail "@2x MBTiles"
[ "$(q "$out/retina.mbtiles" "select value from metadata where name = 'tile_size'")" = 512 ] &&
    [ "$(q "$out/retina.mbtiles" "select value from metadata where name = 'scale'")" = 2 ] || fail "@2x metadata"
[ "$(q "$out/retina.mbtiles" "select count(*) from tiles where substr(tile_data, 17, 8) = x'0000020000000200'")" = 2 ] ||
    fail "@2x MBTiles tiles are not 512 px"
"$dline" tiles "$style" --zoom 14 --extent $ext -o "$out/retina.mbtiles" 2>"$out/mix.err"
status=$?
[ $status = 1 ] && [ "$(cat "$out/mix.err")" = "dline: $out/retina.mbtiles: holds tiles with tile_size '512', not '256': write to a new file" ] ||
    fail "1x tiles into an @2x file: status $status, $(cat "$out/mix.err")"
echo "ok: @2x tiles are 512x512 (Y@2x.png; tile_size 512 and scale 2 in MBTiles); 1x tiles refused in that file"

# A label across a tile edge: the buffer (384 px) is over twice the reach
# of the widest label here, so both tiles place the Xicen label alike.
ext=120.946289,31.060463,121.016602,31.120675
"$dline" tiles "$style" --zoom 13 --extent $ext --buffer 384 -o "$out/seam" || fail "seam, zoom 13"
"$dline" tiles "$style" --zoom 12 --extent $ext --buffer 384 --tile-size 512 -o "$out/seam512" ||
    fail "seam, 512 px tile"
t=$out/seam/13
png stitch "$out/stitched.png" 2 2 "$t/6848/3350.png" "$t/6849/3350.png" "$t/6848/3351.png" "$t/6849/3351.png" ||
    fail "stitch"
[ "$(png size "$out/seam512/12/3424/1675.png")" = "512 512" ] || fail "the 512 px tile"
left=$(png ink "$out/stitched.png" 226 360 256 400 1f2a36 80)
right=$(png ink "$out/stitched.png" 256 360 286 400 1f2a36 80)
[ "$left" -gt 20 ] && [ "$right" -gt 20 ] ||
    fail "no label text on both sides of the edge at x=256 ($left and $right dark pixels)"
result=$(png diff "$out/stitched.png" "$out/seam512/12/3424/1675.png" 8)
[ "$result" = "0 differ of 262144" ] || fail "four zoom-13 tiles against the 512 px tile: $result"
near=$(png diff "$out/stitched.png" "$out/seam512/12/3424/1675.png" 0)
echo "ok: a label across a tile edge ($left and $right text pixels either side) matches: four 256 px tiles equal the 512 px tile (no pixel off by more than 8 levels; by any amount: $near)"
