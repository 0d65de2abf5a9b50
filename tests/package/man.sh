#!/bin/sh
# The man pages cannot drift from the program: dline.1 names every command
# and every option `dline render --help` prints, dline-style.5 every
# top-level key of docs/style.md, and groff reads both without a warning.
#
#   man.sh DLINE SOURCE_DIR
set -eu

dline=$1 src=$2
status=0

# The pages as a reader sees them, one long line per paragraph so that no
# option is broken across lines; groff's own warnings go to stderr.
render() {
    warnings=$(groff -man -Tascii -ww -rLL=1000n -P-cbou "$1" 2>&1 >/dev/null)
    [ -z "$warnings" ] || { echo "FAIL: groff warns on $1: $warnings" >&2; exit 1; }
    groff -man -Tascii -rLL=1000n -P-cbou "$1"
}
page1=$(render "$src/docs/man/dline.1")
page5=$(render "$src/docs/man/dline-style.5")

# mentions PAGE NAME WORD: the word stands alone (not inside a longer option).
mentions() {
    printf '%s\n' "$1" | grep -qE -- "(^|[^[:alnum:]-])$3([^[:alnum:]-]|\$)" || {
        echo "FAIL: $2 does not mention $3" >&2
        status=1
    }
}

help=$("$dline" render --help)
options=$(printf '%s\n' "$help" | grep -oE -- '(^|[^[:alnum:]-])--?[[:alpha:]][[:alnum:]-]*' |
    sed 's/^[^-]*//' | sort -u)
[ "$(printf '%s\n' "$options" | wc -l)" -ge 14 ] || {
    echo "FAIL: too few options in dline render --help: $options" >&2
    exit 1
}
for opt in $options; do
    mentions "$page1" dline.1 "$opt"
done
# The commands: "Usage: dline CMD" and the lines under it.
commands=$(printf '%s\n' "$help" | sed -n 's/^\(Usage:\)\{0,1\} *dline \([a-z][a-z]*\).*/\2/p' | sort -u)
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 5 ] || {
    echo "FAIL: too few commands in dline render --help: $commands" >&2
    exit 1
}
for cmd in $commands; do
    mentions "$page1" dline.1 "$cmd"
done

# The top-level keys: the first column of the first table under "## Top-level
# keys", each in the page's section of that name.
keys=$(awk '/^## Top-level keys/ { on = 1; next }
            on && /^\|/ { table = 1; if (match($0, /^\| `[^`]+`/)) print substr($0, 4, RLENGTH - 4); next }
            table { exit }' "$src/docs/style.md")
[ "$(printf '%s\n' "$keys" | wc -l)" -ge 15 ] || {
    echo "FAIL: too few keys read from docs/style.md: $keys" >&2
    exit 1
}
section=$(printf '%s\n' "$page5" | sed -n '/^TOP-LEVEL KEYS/,/^SOURCES/p')
for key in $keys; do
    mentions "$section" "dline-style.5 (TOP-LEVEL KEYS)" "$key"
done

[ $status = 0 ] && echo "ok: $(echo $options | wc -w) options, $(echo $commands | wc -w) commands, $(echo $keys | wc -w) keys"
exit $status
