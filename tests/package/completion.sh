#!/bin/bash
# The bash completion: it parses, `dline render --for<TAB>` gives --format,
# every command of `dline --help` is offered after dline and every option of
# render (and tiles) after a style, the values of --format and --paper, and
# file names filtered by extension per command.
#
#   completion.sh DLINE COMPLETION_SCRIPT OUTDIR
set -eu

dline=$1 script=$2 outdir=$3
bash -n "$script"
# shellcheck source=/dev/null
. "$script"
complete -p dline | grep -q -- "-F _dline" || { echo "FAIL: no completion for dline" >&2; exit 1; }

status=0
# expect "WORDS..." "COMPLETIONS": the line as typed so far, <TAB> at its end.
expect() {
    COMP_WORDS=($1)
    [[ $1 == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$1
    COMP_POINT=${#1}
    COMPREPLY=()
    # As bash runs it: not under set -e (compgen fails when nothing matches).
    _dline || true
    local got
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
    local want
    want=$(printf '%s\n' $2 | sort | tr '\n' ' ')
    if [[ $got != "$want" ]]; then
        echo "FAIL: '$1<TAB>' gives '$got', not '$want'" >&2
        status=1
    fi
}

expect "dline render --for" "--format"
expect "dline re" "render"
# Every command of the usage lines, and the two options that stand alone.
help=$("$dline" render --help)
commands=$(sed -n 's/^\(Usage:\)\{0,1\} *dline \([a-z][a-z]*\).*/\2/p' <<<"$help" | sort -u)
[[ $(wc -w <<<"$commands") -ge 5 ]] || { echo "FAIL: too few commands: $commands" >&2; exit 1; }
expect "dline " "$commands --help --version"
expect "dline render map.yaml --format " "png svg pdf"
expect "dline render map.yaml --paper A4" "A4 A4:landscape"
# With ':' in COMP_WORDBREAKS, "A4:" and "A4:la" are the words A4, : (and la).
expect "dline render map.yaml --paper A4 :" ":landscape"
expect "dline render map.yaml --paper A4 : la" "landscape"
expect "dline render map.yaml --paper A4:la" "A4:landscape"
expect "dline validate map.yaml --s" "--set"

# The options a command's blocks of `dline --help` name (BLOCK is the start
# of a block's first line, which runs to the next blank line) are all offered
# after a style, and nothing the help does not name.
options_of() {
    local block
    for block in "$@"; do
        sed -n "/^$block/,/^\$/p" <<<"$help"
    done | grep -oE -- '(^|[^[:alnum:]-])--?[[:alpha:]][[:alnum:]-]*' | sed 's/^[^-]*//' | sort -u
}
all=$(options_of "")
offers() { # COMMAND BLOCK...
    local cmd=$1 opt
    shift
    COMP_WORDS=(dline "$cmd" map.yaml -)
    COMP_CWORD=3
    COMPREPLY=()
    _dline || true
    local got=" ${COMPREPLY[*]} "
    for opt in $(options_of "$@"); do
        [[ $got == *" $opt "* ]] || { echo "FAIL: 'dline $cmd map.yaml -<TAB>' lacks $opt" >&2; status=1; }
    done
    for opt in $got; do
        grep -qxF -- "$opt" <<<"$all" || { echo "FAIL: 'dline $cmd' offers $opt, unknown to --help" >&2; status=1; }
    done
}
[[ $(options_of "Options for render:" | wc -l) -ge 12 ]] || { echo "FAIL: too few render options" >&2; exit 1; }
offers render "Options for render:" "Batch:"
# tiles, when the help has its block.
grep -q '^tiles ' <<<"$help" && offers tiles "tiles "

# File names by extension, and folders.
tmp=$(mktemp -d "$outdir/completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sub"
touch "$tmp/a.yaml" "$tmp/b.yml" "$tmp/c.json" "$tmp/d.txt" "$tmp/e.shp" "$tmp/f.geojson" \
    "$tmp/g.csv" "$tmp/h.dbf" "$tmp/i.PNG"
expect "dline render $tmp/" "$tmp/a.yaml $tmp/b.yml $tmp/c.json $tmp/sub"
expect "dline fonts $tmp/" "$tmp/a.yaml $tmp/b.yml $tmp/c.json $tmp/sub"
expect "dline info $tmp/" "$tmp/c.json $tmp/e.shp $tmp/f.geojson $tmp/g.csv $tmp/sub"
expect "dline index $tmp/" "$tmp/e.shp $tmp/sub"
expect "dline render $tmp/a.yaml -o $tmp/" "$tmp/i.PNG $tmp/sub"
expect "dline render $tmp/a.yaml --debug-labels $tmp/" "$tmp/c.json $tmp/sub"

# A folder with a space, typed with a backslash or in quotes as in a shell.
mkdir "$tmp/my maps"
touch "$tmp/my maps/x.yaml" "$tmp/my maps/y.txt"
for typed in "$tmp/my\\ maps/" "'$tmp/my maps/" "\"$tmp/my maps/"; do
    COMP_WORDS=(dline render "$typed")
    COMP_CWORD=2
    COMPREPLY=()
    _dline || true
    [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == "$tmp/my maps/x.yaml" ]] ||
        { echo "FAIL: 'dline render $typed<TAB>' gives '${COMPREPLY[*]}'" >&2; status=1; }
done

[[ $status == 0 ]] && echo "ok"
exit $status
