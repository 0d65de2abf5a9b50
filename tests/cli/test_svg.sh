#!/bin/sh
# dline's own SVG: one <g> per style layer in draw order (Inkscape layers),
# furniture in named groups, labels as real <text> with the halo as a stroke
# painted first, the CJK face named with fallbacks, markup characters
# escaped, coordinates rounded to 0.01 px; and it looks like the PNG when
# rasterised by librsvg and by headless Chromium.
#   test_svg.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2 imgcmp=$3
rm -rf "$out"
mkdir -p "$out"
style=../styles/digital-line.yaml
fail() { echo "FAIL: $*"; exit 1; }
# XPath over the SVG namespace without declaring it.
xp() { xmllint --xpath "$2" "$1" 2>/dev/null; }
el() { echo "*[local-name()='$1']"; }

"$dline" render "$style" -o "$out/map.svg" || fail "svg render"
"$dline" render "$style" -o "$out/map.png" || fail "png render"
xmllint --noout "$out/map.svg" || fail "not well-formed XML"

# Style layers, in draw order: the geometry layers as the style lists them
# (not the inset-only one), then the symbol layers with their labels.
xp "$out/map.svg" "//$(el g)[@*[local-name()='groupmode']='layer']/@*[local-name()='label']" |
    sed 's/^ *[a-z:]*label="//; s/"$//' > "$out/layers.txt"
diff -u cli/expected/svg_layers.txt "$out/layers.txt" || fail "layer groups differ"
echo "ok: one Inkscape layer group per style layer, in draw order"

for id in title subtitle attribution legend scale-bar north-arrow graticule graticule-labels \
          inset inset-districts-fill inset-qingpu-inset; do
    [ "$(xp "$out/map.svg" "count(//$(el g)[@id='$id'])")" = 1 ] || fail "no group '$id'"
done
echo "ok: furniture groups title, subtitle, attribution, legend, scale-bar, north-arrow, graticule, inset"

# A bilingual site label: Chinese then English, real text in the label
# group, halo as a stroke under the fill.
site="//$(el g)[@id='site-labels']/$(el text)[$(el tspan)='北斗西虹桥基地']"
[ "$(xp "$out/map.svg" "count($site)")" = 1 ] || fail "no <text> with 北斗西虹桥基地 in site-labels"
[ "$(xp "$out/map.svg" "string($site/$(el tspan)[2])")" = "BeiDou Innovation Base" ] ||
    fail "second line is '$(xp "$out/map.svg" "string($site/$(el tspan)[2])")'"
[ "$(xp "$out/map.svg" "string($site/@paint-order)")" = stroke ] || fail "halo not painted first"
[ "$(xp "$out/map.svg" "string($site/@stroke)")" = "#ffffff" ] || fail "halo colour"
fam=$(xp "$out/map.svg" "string($site/$(el tspan)[1]/@font-family)")
case "$fam" in
    "'Noto Sans CJK SC'"*"'WenQuanYi Micro Hei'"*", sans-serif") ;;
    *) fail "CJK font-family without fallbacks: $fam" ;;
esac
[ "$(xp "$out/map.svg" "string($site/$(el tspan)[1]/@font-weight)")" = 700 ] || fail "primary line not bold"
echo "ok: bilingual label as <text>/<tspan> with paint-order halo and font fallbacks ($fam)"

# The line's name along the line: one <text> per character, turned.
along="//$(el g)[@id='digital-line-name']/$(el g)[@class='label-along']"
[ "$(xp "$out/map.svg" "count($along)")" -ge 1 ] || fail "no label along the line"
name=$(xp "$out/map.svg" "$along[1]/$(el text)/text()" | tr -d '\n')
[ "$name" = "数字干线 Digital Line" ] || fail "text along the line is '$name'"
xp "$out/map.svg" "string($along[1]/$(el text)[1]/@transform)" | grep -q "rotate(" ||
    fail "characters along the line are not turned"
echo "ok: line label as per-character <text> along the curve"

# Gradient line: pieces with linear gradients under a mask of the stroke.
[ "$(xp "$out/map.svg" "count(//$(el g)[@id='digital-line']//$(el linearGradient))")" -gt 1 ] ||
    fail "line-gradient not written as gradients"
[ "$(xp "$out/map.svg" "count(//$(el g)[@id='digital-line']//$(el mask))")" -ge 1 ] ||
    fail "line-gradient has no mask"
# Icons along the line stay vector: SVG images, no PNG anywhere.
[ "$(xp "$out/map.svg" "count(//$(el g)[@id='digital-line-arrows']//$(el image))")" -ge 1 ] ||
    fail "no arrow icons"
if grep -q "data:image/png" "$out/map.svg"; then fail "SVG embeds a PNG"; fi
echo "ok: line-gradient as masked gradients, icons as embedded SVG"

# Coordinates and lengths rounded to 0.01 px.
if grep -oE ' (d|x|y|x1|y1|x2|y2|width|height|stroke-width|font-size)="[^"]*"' "$out/map.svg" |
    grep -qE '[0-9]\.[0-9]{3}'; then
    fail "a coordinate has more than 2 decimals: $(grep -oE ' d="[^"]*"' "$out/map.svg" | grep -oE '[0-9]+\.[0-9]{3,}' | head -n1)"
fi
echo "ok: coordinates rounded to 0.01"

# Same look: librsvg (the library dline's icons use, Inkscape's importer
# shares its rules) within the golden tolerance, Chromium within a looser
# one (Skia antialiases glyph edges differently).
rsvg-convert -w 1600 -h 1100 "$out/map.svg" -o "$out/map.rsvg.png" || fail "rsvg-convert"
"$imgcmp" "$out/map.rsvg.png" "$out/map.png" "$out/rsvg.diff.png" 16 0.05% || fail "librsvg render differs from the PNG"
echo "ok: librsvg render matches the PNG (16/255, 0.05%)"
abs=$(cd "$out" && pwd)
HOME="$abs" timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --force-device-scale-factor=1 --window-size=1600,1100 --user-data-dir="$abs/chromium" \
    --screenshot="$abs/map.chromium.png" "file://$abs/map.svg" >"$out/chromium.log" 2>&1 ||
    fail "chromium: $(tail -n 3 "$out/chromium.log")"
[ -s "$out/map.chromium.png" ] || fail "chromium wrote no screenshot: $(tail -n 3 "$out/chromium.log")"
"$imgcmp" "$out/map.chromium.png" "$out/map.png" "$out/chromium.diff.png" 64 0.1% ||
    fail "Chromium render differs from the PNG"
echo "ok: Chromium render matches the PNG (64/255, 0.1%)"

# Escaping and grouping of hostile text: markup characters in the title,
# the labels and a layer id.
"$dline" render cli/svg_text.yaml -o "$out/text.svg" || fail "render cli/svg_text.yaml"
xmllint --noout "$out/text.svg" || fail "text.svg is not well-formed"
[ "$(xp "$out/text.svg" "string(//$(el g)[@id='title']//$(el tspan))")" = 'Roads & Rivers <1:50 000> "draft"' ] ||
    fail "title text: $(xp "$out/text.svg" "string(//$(el g)[@id='title']//$(el tspan))")"
[ "$(xp "$out/text.svg" "string(/$(el svg)/$(el title))")" = 'Roads & Rivers <1:50 000> "draft"' ] ||
    fail "document title"
g="//$(el g)[@*[local-name()='label']='labels & names']"
[ "$(xp "$out/text.svg" "string($g/@id)")" = "labels___names" ] || fail "layer id not made a valid XML id"
[ "$(xp "$out/text.svg" "string($g/$(el text)[1]//$(el tspan))")" = "<P001> & co" ] || fail "label text"
[ "$(xp "$out/text.svg" "string($g/$(el text)[1]/@opacity)")" = 0.8 ] || fail "text-opacity"
echo "ok: markup characters escaped, layer ids made valid XML ids"

# Hatching: a <pattern> of vector lines in the lake's group.
"$dline" render ../styles/mono-print.yaml -o "$out/mono.svg" || fail "render mono-print"
pat=$(xp "$out/mono.svg" "string(//$(el g)[@id='lake-ruling']//$(el path)[starts-with(@fill,'url(#pattern')]/@fill)")
[ -n "$pat" ] || fail "hatched lake does not fill with a pattern"
id=$(echo "$pat" | sed 's/url(#\(.*\))/\1/')
[ "$(xp "$out/mono.svg" "count(//$(el pattern)[@id='$id']/$(el path)[@stroke])")" -ge 1 ] ||
    fail "pattern $id has no stroked lines"
echo "ok: fill-pattern as an SVG <pattern> of vector lines"

# A write that fails (standard output on a full device): one line naming
# the output and exit 1, not libxml2's own messages.
err=$("$dline" render cli/svg_text.yaml --format svg -o - 2>&1 >/dev/full)
rc=$?
[ "$rc" = 1 ] || fail "exit $rc writing SVG to a full device"
[ "$err" = "dline: <stdout>: cannot write output: No space left on device" ] ||
    fail "message writing SVG to a full device: $err"
echo "ok: a failed SVG write is one line and exit 1"
