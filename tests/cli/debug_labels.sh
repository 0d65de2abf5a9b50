#!/bin/sh
# --debug-labels writes JSON that check_labels accepts: no overlapping placed
# labels, none outside the frame and its padding, leader lines joining their
# anchor and box, for a crowd of 300 points and for the flagship map; and the
# JSON is written only when the render succeeds.
#   debug_labels.sh DLINE CHECK_LABELS OUTDIR
set -u
dline=$1 check=$2 out=$3
mkdir -p "$out"
fail=0
rm -f "$out/dense.json" "$out/qingpu.json"
if ! "$dline" render cli/labels_dense.yaml -o "$out/dense.png" --debug-labels "$out/dense.json"; then
    echo "FAIL: dense render"; fail=1
elif ! "$check" "$out/dense.json" 60 5; then
    echo "FAIL: dense labels"; fail=1
fi
if ! "$dline" render ../styles/digital-line.yaml -o "$out/qingpu.png" \
        --debug-labels "$out/qingpu.json"; then
    echo "FAIL: digital-line render"; fail=1
elif ! "$check" "$out/qingpu.json" 10; then
    echo "FAIL: digital-line labels"; fail=1
elif ! grep -q '"placement": "line"' "$out/qingpu.json"; then
    echo "FAIL: digital-line has no label along its line"; fail=1
fi
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
