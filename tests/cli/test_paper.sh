#!/bin/sh
# Print output: --paper gives PDF pages of exactly the paper's size (A4
# portrait and landscape, letter) and PNGs of round(mm / 25.4 * dpi) pixels;
# the style's `paper` key does the same and --paper/--size override it; a
# 300-dpi PNG and the PDF of the same style, rasterised at 300 dpi, have the
# same layout, and their --debug-labels reports place the same labels with
# every box within 0.1 px; with SOURCE_DATE_EPOCH two PDFs are
# byte-identical and carry that creation date, and a malformed value is
# refused.
#   test_paper.sh DLINE OUTDIR IMGCMP CHECK_LABELS
set -u
dline=$1 out=$2 imgcmp=$3 check=$4
rm -rf "$out"
mkdir -p "$out"
style=../styles/digital-line.yaml
print=../styles/mono-print.yaml
fail() { echo "FAIL: $*"; exit 1; }

bytes() { od -An -tu1 -j "$2" -N "$3" "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
be32() { set -- $(bytes "$1" "$2" 4); echo $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )); }
page() { pdfinfo "$1" | sed -n 's/^Page size: *//p'; }
png_size() { echo "$(be32 "$1" 16)x$(be32 "$1" 20)"; }

# Page sizes in points: A4 is 210 x 297 mm = 595.276 x 841.89 pt.
"$dline" render "$style" --paper A4 -o "$out/a4.pdf" --debug-labels "$out/a4.pdf.json" ||
    fail "render --paper A4"
[ "$(page "$out/a4.pdf")" = "595.276 x 841.89 pts (A4)" ] || fail "A4 page: $(page "$out/a4.pdf")"
pdfinfo "$out/a4.pdf" | grep -q "^Pages: *1$" || fail "A4 PDF is not one page"
"$dline" render "$style" --paper A4:landscape -o "$out/a4l.pdf" || fail "render A4:landscape"
[ "$(page "$out/a4l.pdf")" = "841.89 x 595.276 pts (A4)" ] || fail "A4 landscape page: $(page "$out/a4l.pdf")"
"$dline" render "$style" --paper letter -o "$out/letter.pdf" || fail "render --paper letter"
[ "$(page "$out/letter.pdf")" = "612 x 792 pts (letter)" ] || fail "letter page: $(page "$out/letter.pdf")"
echo "ok: --paper A4, A4:landscape and letter give pages of 595.276 x 841.89, 841.89 x 595.276 and 612 x 792 pt"

# Fonts embedded and text selectable on a paper-size page too.
pdffonts "$out/a4.pdf" | awk 'NR > 2 && $(NF-4) != "yes" { bad = 1 } END { exit bad }' || fail "a PDF font is not embedded"
pdftotext "$out/a4.pdf" "$out/a4.txt" || fail "pdftotext"
grep -q "西岑科创中心" "$out/a4.txt" || fail "pdftotext does not find a site name"
echo "ok: A4 PDF has embedded fonts and selectable text"

# PNG pixels: round(210 / 25.4 * 300) x round(297 / 25.4 * 300).
"$dline" render "$style" --paper A4 --dpi 300 -o "$out/a4.png" --debug-labels "$out/a4.png.json" ||
    fail "render A4 PNG at 300 dpi"
[ "$(png_size "$out/a4.png")" = 2480x3508 ] || fail "A4 PNG at 300 dpi is $(png_size "$out/a4.png")"
echo "ok: --paper A4 --dpi 300 gives a 2480x3508 PNG"

# Same layout in the PNG and the PDF: poppler and Cairo rasterise text and
# edges differently (0.2% of the pixels differ by more than 96 per channel),
# so up to 1% may; the PDF rasterised at 300.5 dpi instead, a drift of up to
# 6 pixels, already fails with 2%.
# pdftoppm rounds the page up to 2481 pixels wide: crop it to the PNG's size.
pdftoppm -r 300 -x 0 -y 0 -W 2480 -H 3508 -png -singlefile "$out/a4.pdf" "$out/a4.pdf300" ||
    fail "pdftoppm"
[ "$(png_size "$out/a4.pdf300.png")" = 2480x3508 ] || fail "pdftoppm gave $(png_size "$out/a4.pdf300.png")"
"$imgcmp" "$out/a4.pdf300.png" "$out/a4.png" "$out/a4.diff.png" 96 1% || fail "PDF at 300 dpi differs from the 300-dpi PNG"
echo "ok: the PDF rasterised at 300 dpi matches the 300-dpi PNG"
# Both reports are in map px (96 dpi) whatever the output. Placement works on
# the same layout; the text's measure may differ slightly (Cairo hints the
# image's fonts at 300 dpi, the PDF's not), by 0.04 px at most here, so the
# boxes may differ by 0.1 px.
"$check" --same-as "$out/a4.pdf.json" 0.1 "$out/a4.png.json" 10 >/dev/null ||
    fail "the 300-dpi PNG and the PDF place different labels or boxes"
echo "ok: the 300-dpi PNG and the PDF place the same labels within 0.1 px"

# The style's paper key: mono-print.yaml is A4 landscape; --paper and --size override it.
"$dline" render "$print" -o "$out/print.pdf" || fail "render mono-print"
[ "$(page "$out/print.pdf")" = "841.89 x 595.276 pts (A4)" ] || fail "mono-print page: $(page "$out/print.pdf")"
"$dline" render "$print" --dpi 300 -o "$out/print.png" || fail "render mono-print PNG"
[ "$(png_size "$out/print.png")" = 3508x2480 ] || fail "mono-print PNG at 300 dpi is $(png_size "$out/print.png")"
"$dline" render "$print" --paper A5 -o "$out/print-a5.pdf" || fail "render mono-print --paper A5"
[ "$(page "$out/print-a5.pdf")" = "419.528 x 595.276 pts" ] || fail "--paper A5 page: $(page "$out/print-a5.pdf")"
"$dline" render "$print" --size 800x600 -o "$out/print-size.pdf" || fail "render mono-print --size"
[ "$(page "$out/print-size.pdf")" = "600 x 450 pts" ] || fail "--size page: $(page "$out/print-size.pdf")"
echo "ok: the style's paper key, overridden by --paper and --size"

# SOURCE_DATE_EPOCH: 1795996800 is 2026-11-30T00:00:00Z.
SOURCE_DATE_EPOCH=1795996800 "$dline" render "$style" --paper A4 -o "$out/r1.pdf" || fail "render r1"
sleep 1
SOURCE_DATE_EPOCH=1795996800 "$dline" render "$style" --paper A4 -o "$out/r2.pdf" || fail "render r2"
cmp -s "$out/r1.pdf" "$out/r2.pdf" || fail "two PDFs with the same SOURCE_DATE_EPOCH differ"
created=$(pdfinfo -isodates "$out/r1.pdf" | sed -n 's/^CreationDate: *//p')
[ "$created" = "2026-11-30T00:00:00Z" ] || fail "CreationDate $created"
echo "ok: SOURCE_DATE_EPOCH gives byte-identical PDFs dated 2026-11-30T00:00:00Z"

SOURCE_DATE_EPOCH=yesterday "$dline" render "$style" -o "$out/bad.pdf" 2> "$out/bad.err"
[ $? = 2 ] || fail "a malformed SOURCE_DATE_EPOCH is not a usage error"
[ "$(cat "$out/bad.err")" = "dline: SOURCE_DATE_EPOCH 'yesterday' is not a whole number of seconds" ] ||
    fail "message: $(cat "$out/bad.err")"
[ ! -e "$out/bad.pdf" ] || fail "a PDF was written with a malformed SOURCE_DATE_EPOCH"
echo "ok: a malformed SOURCE_DATE_EPOCH is refused"
exit 0
