#!/bin/sh
# --debug-labels writes JSON that check_labels accepts: no overlapping placed
# labels, none outside the frame and its padding, leader lines joining their
# anchor and box, icons clear of other labels and icons, for a crowd of 300
# points (as names, and as icons with names) and for the flagship map; and
# the JSON is written only when the render succeeds.
#   debug_labels.sh DLINE CHECK_LABELS OUTDIR
set -u
dline=$1 check=$2 out=$3
mkdir -p "$out"
fail=0
rm -f "$out/dense.json" "$out/icons.json" "$out/qingpu.json"
if ! "$dline" render cli/labels_dense.yaml -o "$out/dense.png" --debug-labels "$out/dense.json"; then
    echo "FAIL: dense render"; fail=1
elif ! "$check" "$out/dense.json" 60 5; then
    echo "FAIL: dense labels"; fail=1
fi
if ! "$dline" render cli/labels_icons.yaml -o "$out/icons.png" --debug-labels "$out/icons.json"; then
    echo "FAIL: icons render"; fail=1
elif ! "$check" "$out/icons.json" 60 1; then
    echo "FAIL: icon labels"; fail=1
elif [ "$(grep -c '"icon": {' "$out/icons.json")" -lt 60 ]; then
    echo "FAIL: fewer than 60 placed icons"; fail=1
fi
if ! "$dline" render ../styles/digital-line.yaml -o "$out/qingpu.png" \
        --debug-labels "$out/qingpu.json"; then
    echo "FAIL: digital-line render"; fail=1
elif ! "$check" "$out/qingpu.json" 10; then
    echo "FAIL: digital-line labels"; fail=1
elif ! grep -q '"placement": "line"' "$out/qingpu.json"; then
    echo "FAIL: digital-line has no label along its line"; fail=1
fi
# The checker sees an icon on another label's text, and an icon alone that
# was placed by icon-allow-overlap is not blamed for it.
label() { # TEXT BOX ICON ICON_ALLOW_OVERLAP
    printf '{"layer": "t", "text": "%s", "anchor": [50, 50], "padding": 0, "placed": true,
      "allow_overlap": false, "box": %s, "icon": %s, "icon_allow_overlap": %s,
      "leader": null}' "$1" "$2" "$3" "$4"
}
a='{"x0": 10, "y0": 10, "x1": 60, "y1": 30}' b='{"x0": 50, "y0": 20, "x1": 70, "y1": 40}'
c='{"x0": 80, "y0": 10, "x1": 120, "y1": 30}'
for case in "false 1" "true 0"; do
    set -- $case
    { printf '{"width": 200, "height": 100, "frame_padding": 2, "labels": [\n'
      label A "$a" null false; printf ',\n'
      label B "$b" "$b" "$1"; printf ',\n'
      label C "$c" '{"x0": 62, "y0": 12, "x1": 78, "y1": 28}' false; printf ']}\n'
    } > "$out/forged.json"
    if "$check" "$out/forged.json" 1 >/dev/null 2>&1; then got=0; else got=1; fi
    if [ "$got" != "$2" ]; then
        echo "FAIL: check_labels on an icon over a label (icon-allow-overlap $1)"; fail=1
    fi
done
# A failed render writes no label file.
rm -f "$out/bad.json"
if "$dline" render cli/labels_dense.yaml -o "$out/missing-dir/x.png" \
        --debug-labels "$out/bad.json" 2>/dev/null; then
    echo "FAIL: render into a missing folder succeeded"; fail=1
elif [ -e "$out/bad.json" ]; then
    echo "FAIL: a failed render left $out/bad.json"; fail=1
fi
[ $fail = 0 ] && echo "ok: --debug-labels"
exit $fail
