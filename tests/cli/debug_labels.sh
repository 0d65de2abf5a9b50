#!/bin/sh
# --debug-labels writes JSON that check_labels accepts: no overlapping placed
# labels, none outside the frame and its padding, leader lines joining their
# anchor and box, icons clear of other labels and icons, labels clear of
# the obstacles (furniture, graticule labels, circles), for a crowd of 300
# points (as names, and as icons with names) and for the flagship map at its
# own size and on A4 landscape; there every site and Digital Line name is
# placed and the placed labels are those of cli/expected/qingpu_placed.txt
# and qingpu_a4_placed.txt; and the JSON is written only when the render
# succeeds.
#   debug_labels.sh DLINE CHECK_LABELS OUTDIR
# When the flagship's look changes on purpose, rewrite the two lists (and
# review their diff) with
#   DLINE_UPDATE_EXPECTED=1 ctest --test-dir build -R cli.debug_labels
set -u
dline=$1 check=$2 out=$3
mkdir -p "$out"
fail=0
rm -f "$out/dense.json" "$out/icons.json" "$out/qingpu.json" "$out/qingpu-a4.json"
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
# The flagship: every label of the site and Digital Line name layers placed,
# and exactly the expected labels placed.
flagship() { # NAME DLINE_ARGS...
    name=$1
    shift
    expected=cli/expected/${name}_placed.txt
    if [ "${DLINE_UPDATE_EXPECTED:-0}" = 1 ]; then
        compare="--write-placed $expected"
    else
        compare="--expect $expected"
    fi
    if ! "$dline" render ../styles/digital-line.yaml -o "$out/$name.png" "$@" \
            --debug-labels "$out/$name.json"; then
        echo "FAIL: digital-line render ($name)"; fail=1
    elif ! "$check" --all-placed site-labels --all-placed digital-line-name $compare \
            "$out/$name.json" 10; then
        echo "FAIL: digital-line labels ($name)"; fail=1
    elif ! grep -q '"placement": "line"' "$out/$name.json"; then
        echo "FAIL: digital-line has no label along its line ($name)"; fail=1
    elif [ "$(grep -c '"kind": "legend"' "$out/$name.json")" != 1 ]; then
        echo "FAIL: digital-line's legend is not among the obstacles ($name)"; fail=1
    fi
    [ "${DLINE_UPDATE_EXPECTED:-0}" = 1 ] && echo "updated $expected"
}
flagship qingpu
flagship qingpu_a4 --paper A4:landscape
# text-allow-overlap: the Chinese names collide with the English ones and
# are all placed (the golden test labels_allow_overlap draws them).
if ! "$dline" render golden/styles/labels_allow_overlap.yaml -o "$out/overlap.png" \
        --debug-labels "$out/overlap.json"; then
    echo "FAIL: labels_allow_overlap render"; fail=1
elif ! "$check" --all-placed names --all-placed names-zh "$out/overlap.json" 8; then
    echo "FAIL: text-allow-overlap labels"; fail=1
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
    { printf '{"width": 200, "height": 100, "frame_padding": 2, "obstacles": [], "labels": [\n'
      label A "$a" null false; printf ',\n'
      label B "$b" "$b" "$1"; printf ',\n'
      label C "$c" '{"x0": 62, "y0": 12, "x1": 78, "y1": 28}' false; printf ']}\n'
    } > "$out/forged.json"
    if "$check" "$out/forged.json" 1 >/dev/null 2>&1; then got=0; else got=1; fi
    if [ "$got" != "$2" ]; then
        echo "FAIL: check_labels on an icon over a label (icon-allow-overlap $1)"; fail=1
    fi
done
# The checker sees a label on an obstacle: on the legend, within its
# padding of the legend, on another point's circle; not on its own point's
# circle, nor when it may overlap.
obstacle_case() { # EXPECTED_RC PADDING ALLOW_OVERLAP OBSTACLE
    printf '{"width": 200, "height": 100, "frame_padding": 2, "obstacles": [%s], "labels": [
      {"layer": "t", "text": "A", "anchor": [50, 50], "padding": %s, "placed": true,
       "allow_overlap": %s, "box": {"x0": 52, "y0": 40, "x1": 90, "y1": 60}, "icon": null,
       "icon_allow_overlap": false, "leader": null}]}\n' "$4" "$2" "$3" > "$out/forged.json"
    if "$check" "$out/forged.json" 1 >/dev/null 2>&1; then got=0; else got=1; fi
    if [ "$got" != "$1" ]; then
        echo "FAIL: check_labels on obstacle $4 (padding $2, allow-overlap $3): exit $got"; fail=1
    fi
}
legend='{"kind": "legend", "name": null, "box": {"x0": 80, "y0": 10, "x1": 120, "y1": 45}}'
near='{"kind": "legend", "name": null, "box": {"x0": 92, "y0": 10, "x1": 120, "y1": 45}}'
circle() { printf '{"kind": "circle", "name": null, "box": {"x0": %s, "y0": %s, "x1": %s, "y1": %s}, "circle": [%s, %s, 5]}' \
    $(($1 - 5)) $(($2 - 5)) $(($1 + 5)) $(($2 + 5)) "$1" "$2"; }
obstacle_case 1 0 false "$legend"
obstacle_case 0 0 true "$legend"
obstacle_case 0 0 false "$near"
obstacle_case 1 3 false "$near"
obstacle_case 1 0 false "$(circle 56 55)"
obstacle_case 0 0 false "$(circle 50 50)"
obstacle_case 0 0 false "$(circle 46 35)"

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
