#!/bin/sh
# dline fonts: the flagship style resolves to the Noto Sans CJK SC files and
# misses no character (exit 0); a style with runic labels names each missing
# character with its layer and first feature, and the title, and exits 1; a
# render of that style prints exactly one warning per character and exits 0.
# Font families that are not installed fall back to the default families
# with one warning each (fonts_not_installed.yaml). Fontconfig is not set up
# at all for a map without text.
#   test_fonts.sh DLINE OUTDIR
set -u
dline=$1 out=$2
mkdir -p "$out"
fail=0

"$dline" fonts ../styles/digital-line.yaml >"$out/flagship.txt" 2>"$out/flagship.err"
status=$?
if [ $status -ne 0 ]; then
    echo "FAIL: dline fonts digital-line.yaml exited with $status"
    cat "$out/flagship.txt" "$out/flagship.err"
    fail=1
fi
if [ "$(tail -n 1 "$out/flagship.txt")" != "missing: none" ]; then
    echo "FAIL: the flagship style misses characters:"
    grep '^missing:' "$out/flagship.txt"
    fail=1
fi
for want in \
    'layer site-labels: "Noto Sans CJK SC Bold" -> Noto Sans CJK SC Bold (/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc)' \
    'title: "Noto Sans CJK SC Bold" -> Noto Sans CJK SC Bold (/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc)' \
    'subtitle: "Noto Sans CJK SC" -> Noto Sans CJK SC Regular (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)' \
    'graticule: "Noto Sans CJK SC" -> Noto Sans CJK SC Regular (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)'; do
    if ! grep -qxF "$want" "$out/flagship.txt"; then
        echo "FAIL: no line: $want"
        fail=1
    fi
done
if [ -s "$out/flagship.err" ]; then
    echo "FAIL: dline fonts wrote to stderr:"
    cat "$out/flagship.err"
    fail=1
fi

"$dline" fonts cli/fonts_missing.yaml >"$out/missing.txt" 2>"$out/missing.err"
status=$?
if [ $status -ne 1 ]; then
    echo "FAIL: dline fonts fonts_missing.yaml exited with $status, expected 1"
    fail=1
fi
cat >"$out/missing.want" <<'END'
missing: U+16A0 'ᚠ' in layer runes (feature 0)
missing: U+16A2 'ᚢ' in layer runes (feature 0)
missing: U+16A0 'ᚠ' in title
END
grep '^missing:' "$out/missing.txt" >"$out/missing.got"
if ! diff -u "$out/missing.want" "$out/missing.got"; then
    echo "FAIL: missing characters of fonts_missing.yaml"
    fail=1
fi

"$dline" render cli/fonts_missing.yaml -o "$out/missing.png" 2>"$out/render.err"
status=$?
if [ $status -ne 0 ]; then
    echo "FAIL: render of fonts_missing.yaml exited with $status"
    fail=1
fi
cat >"$out/render.want" <<'END'
dline: warning: no font has U+16A0 'ᚠ' (title); it is drawn as a box
dline: warning: no font has U+16A2 'ᚢ' (layer 'runes'); it is drawn as a box
END
if ! diff -u "$out/render.want" "$out/render.err"; then
    echo "FAIL: render warnings of fonts_missing.yaml"
    fail=1
fi

# Families that are not installed: one warning per family list, the default
# families used instead (Noto Sans CJK SC, so the Chinese draws and nothing is
# missing), a list with one installed family kept as written; the same in a
# render, which succeeds.
"$dline" fonts cli/fonts_not_installed.yaml >"$out/notinst.txt" 2>"$out/notinst.err"
status=$?
[ $status -eq 0 ] || { echo "FAIL: dline fonts fonts_not_installed.yaml exited with $status"; fail=1; }
for want in \
    'layer places: "No Such Font,Noto Sans CJK SC,DejaVu Sans,sans-serif" -> Noto Sans CJK SC Regular (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)' \
    'layer partly: "No Such Font,DejaVu Sans" -> DejaVu Sans Book (/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf)' \
    'title: "Nonexistent Sans,Noto Sans CJK SC,DejaVu Sans,sans-serif Bold" -> Noto Sans CJK SC Bold (/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc)' \
    'missing: none'; do
    if ! grep -qxF "$want" "$out/notinst.txt"; then
        echo "FAIL: no line: $want"
        cat "$out/notinst.txt"
        fail=1
    fi
done
cat >"$out/notinst.want" <<'END'
dline: warning: font 'No Such Font' is not installed; using Noto Sans CJK SC, DejaVu Sans, sans-serif instead
dline: warning: font 'Nonexistent Sans Bold' is not installed; using Noto Sans CJK SC, DejaVu Sans, sans-serif instead
END
if ! diff -u "$out/notinst.want" "$out/notinst.err"; then
    echo "FAIL: dline fonts warnings of fonts_not_installed.yaml"
    fail=1
fi
"$dline" render cli/fonts_not_installed.yaml -o "$out/notinst.png" 2>"$out/notinst-render.err"
status=$?
[ $status -eq 0 ] || { echo "FAIL: render of fonts_not_installed.yaml exited with $status"; fail=1; }
sort "$out/notinst.want" >"$out/notinst.sorted"
if ! sort "$out/notinst-render.err" | diff -u "$out/notinst.sorted" -; then
    echo "FAIL: render warnings of fonts_not_installed.yaml"
    fail=1
fi

# Fontconfig is set up only for a map with text (the map's font map is made
# early, before the render's set-up, only then): with a configuration file
# that does not exist, a map with labels makes fontconfig complain on stderr
# and a map with no text at all (polygons, no furniture) leaves it silent.
FONTCONFIG_FILE=$out/no-such-fonts.conf "$dline" render golden/styles/labels_bilingual.yaml \
    -o "$out/fc-text.png" >/dev/null 2>"$out/fc-text.err"
if ! grep -q 'Fontconfig' "$out/fc-text.err"; then
    echo "FAIL: a map with labels did not set fontconfig up (the check below proves nothing)"
    cat "$out/fc-text.err"
    fail=1
fi
FONTCONFIG_FILE=$out/no-such-fonts.conf "$dline" render golden/styles/polygons.yaml \
    -o "$out/fc-none.png" >/dev/null 2>"$out/fc-none.err"
status=$?
if [ $status -ne 0 ] || [ -s "$out/fc-none.err" ]; then
    echo "FAIL: a map without text set fontconfig up or failed (exit $status):"
    cat "$out/fc-none.err"
    fail=1
fi

"$dline" fonts >/dev/null 2>&1
status=$?
if [ $status -ne 2 ]; then
    echo "FAIL: dline fonts without a style exited with $status, expected 2"
    fail=1
fi

[ $fail -eq 0 ] && echo "ok: dline fonts"
exit $fail
