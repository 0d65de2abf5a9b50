#!/bin/sh
# Golden-image test: renders a style and compares it with ref/NAME.png.
#   run_golden.sh DLINE IMGCMP OUTDIR NAME STYLE TOLERANCE MAXBAD [dline args...]
# TOLERANCE is the largest per-channel difference (0-255) a pixel may have;
# MAXBAD is how many pixels (or "N%") may exceed it. On failure the actual
# render and a diff image stay in OUTDIR. DLINE_UPDATE_GOLDEN=1 rewrites the
# reference instead (review the new image before committing it).
# GOLDEN_REF=OTHER compares with ref/OTHER.png instead of ref/NAME.png.
set -u
dline=$1 imgcmp=$2 outdir=$3 name=$4 style=$5 tol=$6 maxbad=$7
shift 7
here=$(dirname "$0")
mkdir -p "$outdir"
actual="$outdir/$name.actual.png"
diff="$outdir/$name.diff.png"
ref="$here/ref/${GOLDEN_REF:-$name}.png"
rm -f "$actual" "$diff"
if ! "$dline" render "$style" -o "$actual" "$@"; then
    echo "FAIL: dline render $style failed"
    exit 1
fi
if [ "${DLINE_UPDATE_GOLDEN:-0}" = 1 ] && [ -z "${GOLDEN_REF:-}" ]; then
    cp "$actual" "$ref"
    echo "updated $ref"
    exit 0
fi
if [ ! -f "$ref" ]; then
    echo "FAIL: no reference image $ref (render with DLINE_UPDATE_GOLDEN=1, look at it, commit it)"
    exit 1
fi
if "$imgcmp" "$actual" "$ref" "$diff" "$tol" "$maxbad"; then
    rm -f "$actual" "$diff"
    echo "ok: $name matches $ref (tolerance $tol, at most $maxbad pixels over)"
    exit 0
fi
echo "FAIL: $name differs from $ref; see $actual and $diff"
exit 1
