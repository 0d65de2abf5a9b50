#!/bin/sh
# A PNG's layers are drawn in two bands of rows, one per thread when there
# are two (src/dline.c, draw_bands): the same style gives the same bytes with
# --threads 1, --threads 2 and the default, on maps whose features cross the
# band boundary (lines with offsets, gaps and gradients, fill patterns,
# translucent and batched features, circles, icons, labels, an inset and a
# graticule, which each band draws after its layers), at 96 and 200 dpi.
#   test_threads.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

n=0
for style in ../styles/digital-line.yaml golden/styles/line_offset_gap.yaml \
    golden/styles/line_gradient.yaml golden/styles/fill_patterns.yaml \
    golden/styles/polygons.yaml golden/styles/icons_along_line.yaml \
    golden/styles/inset_overview.yaml golden/styles/graticule_dm.yaml cli/labels_dense.yaml; do
    name=$(basename "$style" .yaml)
    for dpi in 96 200; do
        for t in 1 2 default; do
            set -- --threads "$t"
            [ "$t" = default ] && set --
            "$dline" render "$style" --dpi "$dpi" "$@" -o "$out/$name-$dpi-$t.png" 2>"$out/$name-$dpi-$t.err" ||
                fail "$name at $dpi dpi, threads $t: $(cat "$out/$name-$dpi-$t.err")"
        done
        cmp -s "$out/$name-$dpi-1.png" "$out/$name-$dpi-2.png" ||
            fail "$name at $dpi dpi: --threads 1 and 2 differ"
        cmp -s "$out/$name-$dpi-1.png" "$out/$name-$dpi-default.png" ||
            fail "$name at $dpi dpi: --threads 1 and the default differ"
        cmp -s "$out/$name-$dpi-1.err" "$out/$name-$dpi-2.err" ||
            fail "$name at $dpi dpi: the warnings differ"
        n=$((n + 1))
    done
done
# The graticule's lines reach across the band seam (row 150 of 300): its
# meridians, in a colour nothing else has, ink the two rows above the seam
# (the first band's) and the two below (the second's), the same in each.
for t in 1 2; do
    "$dline" render golden/styles/graticule_dm.yaml --set graticule.color=#ff00ff \
        --set graticule.width=3 --set graticule.opacity=1 --threads "$t" \
        -o "$out/seam-$t.png" 2>"$out/seam-$t.err" || fail "seam, threads $t: $(cat "$out/seam-$t.err")"
    above=$(python3 cli/tiles_png.py ink "$out/seam-$t.png" 0 148 400 150 ff00ff 0)
    below=$(python3 cli/tiles_png.py ink "$out/seam-$t.png" 0 150 400 152 ff00ff 0)
    [ "$above" -gt 0 ] && [ "$above" = "$below" ] ||
        fail "graticule at the seam, threads $t: $above px of it above, $below below"
done
echo "ok: $n maps, the same bytes and warnings with 1, 2 and the default number of threads"
