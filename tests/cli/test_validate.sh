#!/bin/sh
# dline validate: a deliberately broken style gets every mistake reported,
# each at its file:line:column (cli/expected/validate_broken.txt), and exit 1;
# the shipped styles are "ok" with exit 0; an override that does not fit is a
# usage error (exit 2); a style that cannot be read is one problem.
#   test_validate.sh DLINE OUTDIR
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

"$dline" validate cli/validate_broken.yaml >"$out/broken.txt" 2>"$out/broken.err"
rc=$?
[ "$rc" = 1 ] || fail "exit $rc for the broken style, expected 1"
[ ! -s "$out/broken.err" ] || fail "stderr not empty: $(cat "$out/broken.err")"
diff -u cli/expected/validate_broken.txt "$out/broken.txt" || fail "report differs"
echo "ok: $(wc -l <"$out/broken.txt") problems of the broken style, each at its line and column"

# Several mistakes in one layer and in the sources, and an unknown map CRS:
# every one is reported (a layer or source does not stop at its first), and
# a source with an error gives no second "not declared" for its layers.
"$dline" validate cli/validate_many.yaml >"$out/many.txt" 2>"$out/many.err"
rc=$?
[ "$rc" = 1 ] || fail "exit $rc for the style with many mistakes, expected 1"
[ ! -s "$out/many.err" ] || fail "stderr not empty: $(cat "$out/many.err")"
diff -u cli/expected/validate_many.txt "$out/many.txt" || fail "report of many mistakes differs"
echo "ok: $(wc -l <"$out/many.txt") problems of one style with several per layer and source"

for s in ../styles/digital-line.yaml ../styles/mono-print.yaml; do
    got=$("$dline" validate "$s") || fail "validate $s: exit $?: $got"
    [ "$got" = "$s: ok" ] || fail "validate $s: $got"
done
echo "ok: the shipped styles validate"

got=$("$dline" validate ../styles/digital-line.yaml --set layers.site.paint.circle-color=red 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "exit $rc for a bad --set, expected 2"
[ "$got" = "dline: --set layers.site.paint.circle-color=red: no layer 'site' (did you mean 'sites'?)" ] ||
    fail "bad --set: $got"
got=$("$dline" validate ../styles/digital-line.yaml --set layers.sites.paint.circle-radius=big)
[ $? = 1 ] || fail "a value set to nonsense validates"
[ "$got" = "--set:1:1: 'circle-radius' must be a number" ] || fail "nonsense --set: $got"
# A field inside a --set value is at its place in the value, not in the style.
got=$("$dline" validate ../styles/digital-line.yaml --set 'layers.sites.paint.circle-radius=[get, RADIUS]')
[ $? = 1 ] || fail "an unknown field in a --set value validates"
case "$got" in
    "--set:1:7: layer 'sites': circle-radius: no field 'RADIUS' in "*) ;;
    *) fail "field in --set: $got" ;;
esac
got=$("$dline" validate ../styles/digital-line.yaml --set include=more.yaml 2>&1)
rc=$?
[ "$rc" = 2 ] || fail "exit $rc for --set include, expected 2"
[ "$got" = "dline: --set include=more.yaml: 'include' cannot be set; name the file in the style's 'include'" ] ||
    fail "--set include: $got"
echo "ok: overrides are validated"

printf 'size: [1, 2\n' >"$out/syntax.yaml"
got=$("$dline" validate "$out/syntax.yaml")
[ $? = 1 ] || fail "a YAML syntax error validates"
[ "$got" = "$out/syntax.yaml:2:1: did not find expected ',' or ']'" ] || fail "syntax: $got"
echo "ok: a style that cannot be read is one problem"

# At render, an attribute no feature has reads as null (as in MapLibre) with
# a warning naming it; validate calls it a problem.
"$dline" render bad/styles/render_sort_key_field.yaml -o "$out/map.png" 2>"$out/render.err" ||
    fail "render with an unknown sort-key field failed"
[ "$(cat "$out/render.err")" = "dline: warning: bad/styles/render_sort_key_field.yaml:10:32: layer 'labels': no field 'sq' in bad/styles/../../../geodata/qingpu_sites.shp (did you mean 'seq'?); it reads as null" ] ||
    fail "render warning: $(cat "$out/render.err")"
got=$("$dline" validate bad/styles/render_sort_key_field.yaml)
[ "$got" = "bad/styles/render_sort_key_field.yaml:10:32: layer 'labels': symbol-sort-key: no field 'sq' in bad/styles/../../../geodata/qingpu_sites.shp (did you mean 'seq'?)" ] ||
    fail "validate: $got"
echo "ok: an unknown attribute is a warning at render and a problem for validate"

# Characters no font has, and a map CRS PROJ does not know.
got=$("$dline" validate cli/validate_tofu.yaml)
[ $? = 1 ] || fail "a missing glyph validates"
[ "$got" = "cli/validate_tofu.yaml:4:59: no font has U+10FFFD '$(printf '\364\217\277\275')' in layer t (feature 0)" ] ||
    fail "tofu: $got"
got=$("$dline" validate cli/validate_tofu.yaml --set crs=EPSG:999999)
[ $? = 1 ] || fail "an unknown map CRS validates"
case "$got" in
    "--set:1:1: map crs: "*"EPSG:999999"*) ;;
    *) fail "map crs: $got" ;;
esac
echo "ok: missing glyphs and an unknown map CRS are problems"
