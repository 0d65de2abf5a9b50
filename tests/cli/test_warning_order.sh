#!/bin/sh
# The warnings and the error of a PNG render come in the order of its steps
# (bands' layers, symbol layers, furniture, labels) although the symbol
# layers are read and their labels shaped while the bands draw
# (src/dline.c, draw_bands): stderr is compared line for line with
# expected/, made by dline before the symbol layers ran beside the bands,
# with --threads 1 and 2.
#   test_warning_order.sh DLINE OUTDIR
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

# check NAME STATUS STYLE [ARGS...]: stderr is cli/expected/NAME.txt and
# the exit status STATUS.
check() {
    name=$1 want=$2
    shift 2
    for t in 1 2; do
        "$dline" render "$@" --threads "$t" -o "$out/$name-$t.png" 2>"$out/$name-$t.err"
        rc=$?
        [ "$rc" = "$want" ] || fail "$name, threads $t: exit $rc, not $want: $(cat "$out/$name-$t.err")"
        cmp -s cli/expected/"$name".txt "$out/$name-$t.err" ||
            fail "$name, threads $t: stderr differs: $(diff cli/expected/"$name".txt "$out/$name-$t.err")"
    done
    if [ "$want" != 0 ] && ls "$out/$name"-*.png >/dev/null 2>&1; then
        fail "$name: an output was left behind"
    fi
}

check warnings_order 0 cli/warnings_order.yaml
# A band's error wins over a symbol layer's; without it the symbol layer's
# warning and error come after the bands' warning.
check errors_order 1 cli/errors_order.yaml
check errors_order_symbol 1 cli/errors_order.yaml --set layers.joined.source=points
echo "ok: warnings and errors in the order of the render's steps, with 1 and 2 threads"
