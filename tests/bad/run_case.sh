#!/bin/sh
# Runs one hostile-input case: tests/bad/cases/NAME.case holds
#   args: ARGUMENTS (split on spaces; @OUT@ is a fresh empty folder)
#   status: EXIT STATUS
#   stderr: THE EXACT STANDARD ERROR (one line; empty when the line is)
#   output: FILE (optional: a render that must succeed and write @OUT@/FILE)
# and checks the status, the message, that the process was not killed by a
# signal or a timeout, and that the output folder is still empty afterwards
# (or holds only FILE, not empty, when the case names one).
set -u
dline=$1
case_file=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

args=$(sed -n 's/^args: //p' "$case_file" | sed "s|@OUT@|$out|g")
want_status=$(sed -n 's/^status: //p' "$case_file")
want_err=$(sed -n 's/^stderr: \{0,1\}//p' "$case_file" | sed "s|@OUT@|$out|g")
want_out=$(sed -n 's/^output: //p' "$case_file")

# The timeout catches a hang. Under the sanitizers (DLINE_CASE_TIMEOUT from
# tests/CMakeLists.txt) every malloc unwinds its full stack, and a case whose
# CRS PROJ looks up by name (GCJ-2) takes about 7 s alone, 20 s on a busy
# machine.
# shellcheck disable=SC2086
timeout "${DLINE_CASE_TIMEOUT:-20}" "$dline" $args >"$out/.stdout" 2>"$out/.stderr" </dev/null
status=$?
got_err=$(cat "$out/.stderr")
rm -f "$out/.stdout" "$out/.stderr"

fail=0
if [ "$status" != "$want_status" ]; then
    echo "FAIL: exit status $status, expected $want_status"
    fail=1
fi
if [ "$got_err" != "$want_err" ]; then
    echo "FAIL: stderr differs"
    echo "  expected: $want_err"
    echo "  got:      $got_err"
    fail=1
fi
if [ -n "$want_out" ]; then
    if [ ! -s "$out/$want_out" ]; then
        echo "FAIL: no output $want_out"
        fail=1
    fi
    rm -f "$out/$want_out"
fi
left=$(ls -A "$out")
if [ -n "$left" ]; then
    echo "FAIL: files left in the output folder: $left"
    fail=1
fi
[ $fail -eq 0 ] && echo "ok: $(basename "$case_file")"
exit $fail
