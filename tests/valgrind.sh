#!/bin/sh
# Valgrind memcheck over the dline command: renders of the flagship to PNG,
# SVG and PDF, info, validate, fonts, index and a few hostile inputs, each
# under
#   valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
# with tests/valgrind.supp for the libraries' own leaks. Any memory error or
# definite leak fails the run; the command's own exit status must be the
# expected one too. About 2 minutes. Run from tests/ (ctest valgrind.cli,
# with -DDLINE_VALGRIND=ON):
#   valgrind.sh DLINE OUTDIR
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
supp=$(dirname "$0")/valgrind.supp
fails=0
n=0

# check STATUS ARGS...: runs dline ARGS under valgrind and expects STATUS.
check() {
    want=$1
    shift
    n=$((n + 1))
    log="$out/vg$n.log"
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --num-callers=40 --suppressions="$supp" \
        --log-file="$log" "$dline" "$@" >"$out/vg$n.stdout" 2>"$out/vg$n.stderr" </dev/null
    status=$?
    if [ "$status" = 99 ] || [ -s "$log" ]; then
        echo "FAIL: valgrind reports errors for: dline $*"
        cat "$log"
        fails=$((fails + 1))
    elif [ "$status" != "$want" ]; then
        echo "FAIL: exit status $status, expected $want, for: dline $*"
        cat "$out/vg$n.stderr"
        fails=$((fails + 1))
    else
        echo "ok: dline $*"
    fi
}

flagship=../styles/digital-line.yaml
check 0 render "$flagship" -o "$out/map.png"
check 0 render "$flagship" -o "$out/map.svg"
check 0 render "$flagship" -o "$out/map.pdf"
check 0 render ../styles/mono-print.yaml --debug-labels "$out/labels.json" -o "$out/print.png"
check 0 info ../geodata/qingpu_sites.shp
check 0 info data/sites.csv
check 0 validate "$flagship"
check 0 fonts "$flagship"
cp ../geodata/rivers.shp ../geodata/rivers.shx ../geodata/rivers.dbf ../geodata/rivers.prj "$out/"
check 0 index "$out/rivers.shp"
# Hostile inputs: the error paths free what they took.
check 1 render bad/styles/shp_huge_parts.yaml -o "$out/bad.png"
check 1 render bad/styles/style_size_over.yaml -o "$out/bad.png"
check 1 info bad/text/truncated.geojson
check 1 validate cli/validate_broken.yaml
check 1 render "$flagship" --max-pixels 1000 -o "$out/bad.png"
check 2 render "$flagship" --bogus

[ ! -e "$out/bad.png" ] || { echo "FAIL: a failed render left bad.png"; fails=$((fails + 1)); }
if [ $fails -ne 0 ]; then
    echo "FAIL: $fails of $n commands"
    exit 1
fi
echo "ok: $n commands, no memory errors, no definite leaks"
