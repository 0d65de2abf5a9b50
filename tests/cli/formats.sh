#!/bin/sh
# One style to PNG, SVG and PDF: the PNG's size, colour type and pHYs; the SVG
# holds vector content only and, rasterised by rsvg-convert, matches the PNG;
# the PDF page has the map's size in points, embedded fonts and extractable
# text; "-o -" writes to standard output.
#   formats.sh DLINE IMGCMP OUTDIR
set -u
dline=$1 imgcmp=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
style=../styles/digital-line.yaml
fail() { echo "FAIL: $*"; exit 1; }

# Bytes of a file as decimal numbers, from offset $2, count $3.
bytes() { od -An -tu1 -j "$2" -N "$3" "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
be32() { set -- $(bytes "$1" "$2" 4); echo $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )); }

"$dline" render "$style" -o "$out/map.png" || fail "png render"
"$dline" render "$style" -o "$out/map.svg" || fail "svg render"
"$dline" render "$style" -o "$out/map.pdf" || fail "pdf render"

# PNG: signature, IHDR 1600x1100, colour type 2 (RGB: the background is opaque).
[ "$(bytes "$out/map.png" 0 8)" = "137 80 78 71 13 10 26 10" ] || fail "PNG signature"
[ "$(be32 "$out/map.png" 16)" = 1600 ] || fail "PNG width $(be32 "$out/map.png" 16)"
[ "$(be32 "$out/map.png" 20)" = 1100 ] || fail "PNG height"
[ "$(bytes "$out/map.png" 25 1)" = 2 ] || fail "PNG colour type $(bytes "$out/map.png" 25 1), expected RGB"
grep -q "Software" "$out/map.png" || fail "PNG tEXt Software"
echo "ok: PNG 1600x1100 RGB"

# --dpi 192: twice the pixels, same layout; pHYs = 192 / 0.0254 = 7559 px/m.
"$dline" render "$style" -o "$out/map192.png" --dpi 192 || fail "dpi render"
[ "$(be32 "$out/map192.png" 16)" = 3200 ] || fail "PNG at 192 dpi is not 3200 px wide"
[ "$(be32 "$out/map192.png" 20)" = 2200 ] || fail "PNG at 192 dpi is not 2200 px high"
off=$(grep -abo pHYs "$out/map192.png" | head -n1 | cut -d: -f1)
[ -n "$off" ] || fail "no pHYs chunk"
[ "$(be32 "$out/map192.png" $((off + 4)))" = 7559 ] || fail "pHYs $(be32 "$out/map192.png" $((off + 4))) px/m, expected 7559"
echo "ok: --dpi 192 gives 3200x2200 with pHYs 7559 px/m"

# --png-compression: the same pixels at every level; 0 stores, 9 squeezes.
"$dline" render "$style" -o "$out/l0.png" --png-compression 0 || fail "png-compression 0"
"$dline" render "$style" -o "$out/l9.png" --png-compression 9 || fail "png-compression 9"
"$imgcmp" "$out/l0.png" "$out/map.png" "$out/l0.diff.png" 0 0 || fail "level 0 pixels differ"
"$imgcmp" "$out/l9.png" "$out/map.png" "$out/l9.diff.png" 0 0 || fail "level 9 pixels differ"
s0=$(wc -c <"$out/l0.png") s3=$(wc -c <"$out/map.png") s9=$(wc -c <"$out/l9.png")
[ "$s0" -gt "$s3" ] && [ "$s3" -gt "$s9" ] || fail "sizes: level 0 $s0, default $s3, level 9 $s9"
echo "ok: --png-compression 0/default/9 give $s0/$s3/$s9 bytes of the same pixels"

# SVG: vector content, no embedded raster of the map.
head -c 200 "$out/map.svg" | grep -q "<svg" || fail "not an SVG"
# Icons are embedded as SVG documents; no raster image of any kind.
if grep -qE "data:image/(png|jpeg|gif|webp)" "$out/map.svg"; then fail "SVG embeds a raster image"; fi
rsvg-convert -w 1600 -h 1100 -b white "$out/map.svg" -o "$out/map.svg.png" || fail "rsvg-convert"
"$imgcmp" "$out/map.svg.png" "$out/map.png" "$out/svg.diff.png" 24 0.2% || fail "SVG raster differs from PNG"
echo "ok: SVG is vector and matches the PNG"

# --svg-id-prefix: every id starts with it, every url(#...) and href="#..."
# names an id of the document, none is an id of the plain SVG (so both can
# be inlined in one HTML page), and the picture is the same.
"$dline" render "$style" -o "$out/fig2.svg" --svg-id-prefix fig2- || fail "svg with an id prefix"
ids() { grep -oE ' id="[^"]*"' "$1" | sed 's/^ id="//; s/"$//' | sort; }
ids "$out/fig2.svg" >"$out/fig2.ids"
ids "$out/map.svg" >"$out/map.ids"
[ "$(wc -l <"$out/fig2.ids")" -gt 10 ] || fail "prefixed SVG: only $(wc -l <"$out/fig2.ids") ids"
[ "$(wc -l <"$out/fig2.ids")" = "$(wc -l <"$out/map.ids")" ] || fail "prefixed SVG: another count of ids"
! grep -v '^fig2-' "$out/fig2.ids" >/dev/null || fail "ids without the prefix: $(grep -v '^fig2-' "$out/fig2.ids" | head -3)"
[ -z "$(comm -12 "$out/fig2.ids" "$out/map.ids")" ] || fail "ids shared with the plain SVG"
grep -oE 'url\(#[^)]*\)|href="#[^"]*"' "$out/fig2.svg" | sed 's/^url(#//; s/)$//; s/^href="#//; s/"$//' |
    sort -u >"$out/fig2.refs"
[ -s "$out/fig2.refs" ] || fail "prefixed SVG: no references"
[ -z "$(comm -23 "$out/fig2.refs" "$out/fig2.ids")" ] ||
    fail "references to no id: $(comm -23 "$out/fig2.refs" "$out/fig2.ids" | head -3)"
rsvg-convert -w 1600 -h 1100 -b white "$out/fig2.svg" -o "$out/fig2.svg.png" || fail "rsvg-convert fig2"
"$imgcmp" "$out/fig2.svg.png" "$out/map.svg.png" "$out/fig2.diff.png" 0 0 || fail "prefixed SVG looks different"
echo "ok: --svg-id-prefix: $(wc -l <"$out/fig2.ids") ids, all prefixed and none shared, $(wc -l <"$out/fig2.refs") references resolved, same picture"

# PDF: page size in points (1600x1100 px at 96 dpi = 1200x825 pt), fonts
# embedded, site names extractable.
pdfinfo "$out/map.pdf" > "$out/pdfinfo.txt" || fail "pdfinfo"
grep -q "^Pages: *1$" "$out/pdfinfo.txt" || fail "PDF is not one page"
grep -q "^Page size: *1200 x 825 pts" "$out/pdfinfo.txt" || fail "PDF page size: $(grep 'Page size' "$out/pdfinfo.txt")"
pdffonts "$out/map.pdf" | awk 'NR > 2 && $(NF-4) != "yes" { bad = 1 } END { exit bad }' || fail "a PDF font is not embedded"
pdftotext "$out/map.pdf" "$out/map.txt" || fail "pdftotext"
for name in 北斗西虹桥基地 市西软件信息园 西岑科创中心 华为练秋湖研发中心 "BeiDou Innovation Base"; do
    grep -q "$name" "$out/map.txt" || fail "pdftotext does not find '$name'"
done
echo "ok: PDF 1200x825 pt, fonts embedded, site names extractable"

# Standard output.
"$dline" render "$style" -o - > "$out/stdout.png" || fail "render to stdout"
[ "$(bytes "$out/stdout.png" 0 4)" = "137 80 78 71" ] || fail "stdout is not PNG"
"$dline" render "$style" --format pdf -o - > "$out/stdout.pdf" || fail "pdf to stdout"
head -c 5 "$out/stdout.pdf" | grep -q "%PDF-" || fail "stdout is not PDF"
echo "ok: -o - writes PNG and PDF to standard output"

# A failed render keeps an existing file intact and leaves no temporary file.
printf keep > "$out/existing.png"
"$dline" render ../styles/digital-line.yaml --crs EPSG:999999 -o "$out/existing.png" 2>/dev/null && fail "bad CRS accepted"
[ "$(cat "$out/existing.png")" = keep ] || fail "existing file was clobbered"
ls -A "$out" | grep -q '^\.' && fail "temporary file left: $(ls -A "$out" | grep '^\.')"
echo "ok: failed render leaves the existing file and no temporary file"
exit 0
