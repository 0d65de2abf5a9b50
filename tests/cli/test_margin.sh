#!/bin/sh
# Map margins (frame.margin): golden/styles/frame_margin.yaml (a 420 x 320
# sheet, margins 30 12 34 40 px), and the A4 print style with margins in mm.
#   - the PDF (rasterised by pdftoppm) and the SVG (by librsvg) have the
#     PNG's layout, as in test_paper.sh and test_svg.sh;
#   - the margins are the frame's background, the face the map's, and the
#     PNG is the same from one thread and from two (bands clip to the face);
#   - the label report is in the face's px: width and height are the
#     face's, every placed box inside it;
#   - the extent is fitted to the face: a 0 margin gives the face's size
#     the same ground per px as the margin style's face (the scale bar's
#     length is the same);
#   - dline tiles ignores margins, as it ignores the frame: the tiles are
#     the same bytes with and without them.
#   test_margin.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2 imgcmp=$3
rm -rf "$out"
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
png() { python3 "$here/tiles_png.py" "$@"; }
style=golden/styles/frame_margin.yaml
fail() { echo "FAIL: $*"; exit 1; }
page() { pdfinfo "$1" | sed -n 's/^Page size: *//p'; }

"$dline" render "$style" -o "$out/m.png" || fail "png render"
"$dline" render "$style" -o "$out/m.pdf" || fail "pdf render"
"$dline" render "$style" -o "$out/m.svg" || fail "svg render"
[ "$(page "$out/m.pdf")" = "315 x 240 pts" ] || fail "PDF page: $(page "$out/m.pdf")"
pdftoppm -r 96 -x 0 -y 0 -W 420 -H 320 -png -singlefile "$out/m.pdf" "$out/m.pdf96" || fail "pdftoppm"
"$imgcmp" "$out/m.pdf96.png" "$out/m.png" "$out/pdf.diff.png" 96 1% || fail "PDF differs from the PNG"
rsvg-convert -w 420 -h 320 "$out/m.svg" -o "$out/m.rsvg.png" || fail "rsvg-convert"
"$imgcmp" "$out/m.rsvg.png" "$out/m.png" "$out/svg.diff.png" 16 0.05% || fail "SVG differs from the PNG"
echo "ok: the PDF and the SVG of a map with margins have the PNG's layout"

# The margins in frame.background (#fffbe6): the top-left corner and the
# sheet's last 20 rows (below the bottom labels); the face's top-left area
# in the style's background (#f7f4ee) just inside the neat line.
[ "$(png ink "$out/m.png" 0 0 25 25 fffbe6 0)" = 625 ] || fail "top-left margin"
[ "$(png ink "$out/m.png" 0 300 420 320 fffbe6 0)" = 8400 ] || fail "bottom margin below the labels"
[ "$(png ink "$out/m.png" 42 32 46 36 f7f4ee 0)" = 16 ] || fail "face background inside the neat line"
# The neat line at the face's edge: 1.5 px of #333333 from x = 40.
[ "$(png ink "$out/m.png" 40 100 41 110 333333 0)" = 10 ] || fail "neat line at x = 40"
"$dline" render "$style" --threads 1 -o "$out/t1.png" || fail "render --threads 1"
"$dline" render "$style" --threads 2 -o "$out/t2.png" || fail "render --threads 2"
cmp -s "$out/t1.png" "$out/t2.png" || fail "one thread and two give different PNGs"
echo "ok: margins in frame.background, the face in the map's, neat line at its edge; 1 and 2 threads agree"

# Graticule labels in the margins: ink of the label colour (#4a4f56) in
# the top, bottom and left margins, none in the narrow right one.
for box in "40 0 408 30 top" "40 286 408 320 bottom" "0 30 40 286 left"; do
    set -- $box
    [ "$(png ink "$out/m.png" $1 $2 $3 $4 4a4f56 40)" -gt 20 ] || fail "no graticule label in the $5 margin"
done
[ "$(png ink "$out/m.png" 409 40 420 280 4a4f56 40)" = 0 ] || fail "a graticule label in the 12 px right margin"
echo "ok: graticule labels in the top, bottom and left margins, inside on the narrow right side"

# The label report: the face's px.
cat > "$out/labels.yaml" <<'YAML'
size: [420, 320]
extent: [121.0, 31.0, 121.3, 31.2]
frame: {margin: [30, 12, 34, 40]}
sources: {points: ../../../../../tests/data/points.shp}
layers:
  - {id: names, type: symbol, source: points, layout: {text-field: "{NAME}", text-size: 14}}
YAML
sed -i "s|../../../../../tests/data|$here/../data|" "$out/labels.yaml"
"$dline" render "$out/labels.yaml" --debug-labels "$out/labels.json" -o "$out/labels.png" ||
    fail "render with --debug-labels"
python3 - "$out/labels.json" <<'PY' || fail "label report"
import json, sys
r = json.load(open(sys.argv[1]))
assert (r["width"], r["height"]) == (368, 256), (r["width"], r["height"])
placed = [l for l in r["labels"] if l["placed"]]
assert placed, "no label placed"
for l in placed:
    b = l["box"]
    assert 0 <= b["x0"] and b["x1"] <= 368 and 0 <= b["y0"] and b["y1"] <= 256, l
print("ok: %d labels placed, all inside the 368 x 256 face" % len(placed))
PY

# The extent is the face's: the same style with the face's size and no
# margin shows the same ground, pixel for pixel inside the neat line.
"$dline" render "$style" --size 368x256 --set frame.margin=0 --set graticule.labels=false \
    -o "$out/face.png" || fail "render the face alone"
"$dline" render "$style" --set graticule.labels=false -o "$out/nolabels.png" || fail "render without labels"
python3 - "$here/tiles_png.py" "$out/nolabels.png" "$out/face.png" <<'PY' || fail "the face differs from the same map without margins"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("t", sys.argv[1]); t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
w, h, rows = t.read(sys.argv[2])
fw, fh, frows = t.read(sys.argv[3])
assert (fw, fh) == (368, 256)
bad = sum(1 for y in range(fh) for x in range(fw * 4)
          if abs(rows[30 + y][40 * 4 + x] - frows[y][x]) > 0)
assert bad == 0, "%d channel values differ" % bad
print("ok: the face of the margin map is, byte for byte, the 368 x 256 map without margins")
PY

# On paper, in mm: the A4 print style with 10 mm margins (set here, the
# shipped style has none) keeps its A4 landscape page; its 150-dpi PNG is
# 1754 x 1240 with the first 59 rows and columns (10 mm) white, and the
# PDF rasterised at 150 dpi has the PNG's layout.
print=../styles/mono-print.yaml
"$dline" render "$print" --set frame.margin=10mm -o "$out/a4.pdf" || fail "A4 with margins, PDF"
[ "$(page "$out/a4.pdf")" = "841.89 x 595.276 pts (A4)" ] || fail "A4 page with margins: $(page "$out/a4.pdf")"
"$dline" render "$print" --set frame.margin=10mm --dpi 150 -o "$out/a4.png" || fail "A4 with margins, PNG"
[ "$(png size "$out/a4.png")" = "1754 1240" ] || fail "A4 PNG at 150 dpi: $(png size "$out/a4.png")"
[ "$(png ink "$out/a4.png" 0 0 1754 59 ffffff 0)" = 103486 ] || fail "A4 top margin not white"
[ "$(png ink "$out/a4.png" 0 0 59 1240 ffffff 0)" = 73160 ] || fail "A4 left margin not white"
pdftoppm -r 150 -x 0 -y 0 -W 1754 -H 1240 -png -singlefile "$out/a4.pdf" "$out/a4.pdf150" || fail "pdftoppm A4"
"$imgcmp" "$out/a4.pdf150.png" "$out/a4.png" "$out/a4.diff.png" 96 1% || fail "A4 PDF differs from its PNG"
echo "ok: A4 with 10 mm margins: the page is A4, the margins white, the PDF laid out as the PNG"

# Tiles ignore margins (and the frame): the same tiles with and without.
"$dline" tiles "$style" --zoom 11-11 --processes 1 -o "$out/with" || fail "tiles with margins"
"$dline" tiles "$style" --zoom 11-11 --processes 1 --set frame.margin=0 -o "$out/without" ||
    fail "tiles without margins"
n=$(find "$out/with" -name '*.png' | wc -l)
[ "$n" -gt 0 ] || fail "no tiles"
diff -r "$out/with" "$out/without" >/dev/null || fail "tiles differ with margins"
[ "$(png size $(find "$out/with" -name '*.png' | head -n 1))" = "256 256" ] || fail "tile size"
echo "ok: dline tiles makes the same $n tiles with and without margins"
exit 0
