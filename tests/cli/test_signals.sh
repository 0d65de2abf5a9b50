#!/bin/sh
# Nothing lost on signals: SIGINT or SIGTERM during a render removes the
# temporary file (.NAME.XXXXXX beside the target), leaves an existing target
# as it was, prints exactly "dline: interrupted" and exits 130 or 143. The
# render is the flagship at 8000x6000 px (a second or more of drawing and
# encoding); the signal goes out as soon as the temporary file exists.
# Every wait is bounded, so the test cannot hang.
#   test_signals.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
style=../styles/digital-line.yaml
fail() { echo "FAIL: $*"; exit 1; }

# interrupt SIGNAL STATUS: renders into a fresh folder holding an old map.png,
# signals the render once its temporary file exists, and checks the outcome.
interrupt() {
    sig=$1 want=$2
    dir="$out/$sig"
    mkdir -p "$dir"
    echo old >"$dir/map.png"
    "$dline" render "$style" --size 8000x6000 -o "$dir/map.png" >"$out/$sig.stdout" 2>"$out/$sig.stderr" &
    pid=$!
    # A watchdog: whatever happens, the render is gone after 60 s.
    (sleep 60; kill -KILL "$pid") >/dev/null 2>&1 &
    dog=$!
    # Up to 30 s for the temporary file (a sanitizer build is slow to start).
    n=0
    while ! ls -A "$dir" | grep -q '^\.map\.png\.'; do
        kill -0 "$pid" 2>/dev/null || { kill "$dog"; fail "$sig: the render ended before its temporary file was seen"; }
        n=$((n + 1))
        [ $n -lt 1500 ] || { kill -KILL "$pid"; kill "$dog"; fail "$sig: no temporary file after 30 s"; }
        sleep 0.02
    done
    sleep 0.1
    kill -"$sig" "$pid" 2>/dev/null || { kill "$dog"; fail "$sig: the render ended before the signal"; }
    wait "$pid"
    status=$?
    kill "$dog" 2>/dev/null
    wait "$dog" 2>/dev/null
    [ "$status" = "$want" ] || fail "$sig: exit status $status, expected $want ($(cat "$out/$sig.stderr"))"
    [ "$(cat "$out/$sig.stderr")" = "dline: interrupted" ] ||
        fail "$sig: stderr is '$(cat "$out/$sig.stderr")', expected 'dline: interrupted'"
    [ ! -s "$out/$sig.stdout" ] || fail "$sig: something on stdout"
    left=$(ls -A "$dir")
    [ "$left" = map.png ] || fail "$sig: the folder holds '$left', expected only map.png"
    [ "$(cat "$dir/map.png")" = old ] || fail "$sig: the existing map.png was changed"
    echo "ok: $sig during a render: exit $want, 'dline: interrupted', no temporary file, old map kept"
}

interrupt INT 130
interrupt TERM 143

# Without a signal the same render completes (the signal, not the size, stopped it).
"$dline" render ../styles/digital-line.yaml --size 800x600 -o "$out/small.png" || fail "render"
[ "$(ls -A "$out" | grep -c '^\.')" = 0 ] || fail "a temporary file left by a normal render"
echo "ok: a normal render leaves no temporary file"
