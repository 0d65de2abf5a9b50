#!/bin/sh
# A MapLibre JSON style whose properties use expression operators dline does
# not implement (interpolate-hcl, feature-state, at, interpolate-lab) still
# renders: one warning each, naming the layer, the property and the operator
# at its line:column (cli/expected/maplibre_unsupported.txt, exactly), the
# property at its default and a layer whose filter uses one left out; the
# map is pixel for pixel its YAML twin without them. (In a YAML style the
# same operator is an error: bad/cases/style_expr_unsupported.case.)
#   test_maplibre_unsupported.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2 imgcmp=$3
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

"$dline" render cli/maplibre_unsupported.json -o "$out/json.png" 2>"$out/json.err" ||
    fail "exit $? for the MapLibre style: $(cat "$out/json.err")"
diff -u cli/expected/maplibre_unsupported.txt "$out/json.err" || fail "warnings differ"
echo "ok: $(wc -l <"$out/json.err") warnings, one per unsupported property or filter"

"$dline" render cli/maplibre_unsupported_twin.yaml -o "$out/twin.png" 2>"$out/twin.err" ||
    fail "twin: exit $?: $(cat "$out/twin.err")"
[ ! -s "$out/twin.err" ] || fail "twin warns: $(cat "$out/twin.err")"
"$imgcmp" "$out/json.png" "$out/twin.png" "$out/diff.png" 0 0 ||
    fail "the MapLibre render differs from its twin; see $out/json.png and $out/diff.png"
echo "ok: the rest of the map renders as the YAML twin"
