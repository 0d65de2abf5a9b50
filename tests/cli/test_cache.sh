#!/bin/sh
# The CLI's cache folder (dline_map_set_cache_dir): PROJ operations found by
# one render are read back by the next. Where it is ($DLINE_CACHE_DIR, else
# $XDG_CACHE_HOME/dline, else ~/.cache/dline), that an empty DLINE_CACHE_DIR
# turns it off, and that a render from the cache, from a damaged cache or
# with a folder that cannot be written gives the same bytes, exit 0 and no
# message.
#   test_cache.sh DLINE OUTDIR
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }
style=../styles/digital-line.yaml
unset DLINE_CACHE_DIR XDG_CACHE_HOME

# name ENV...: renders the flagship with the environment given; checks exit
# 0, no message, and the bytes of the first render.
render() {
    name=$1
    shift
    env "$@" "$dline" render "$style" -o "$out/$name.png" 2>"$out/$name.err" ||
        fail "$name: exit $?: $(cat "$out/$name.err")"
    [ -s "$out/$name.err" ] && fail "$name: said: $(cat "$out/$name.err")"
    [ -f "$out/none.png" ] && ! cmp -s "$out/none.png" "$out/$name.png" &&
        fail "$name: not the same bytes as without a cache"
    return 0
}
entries() { ls "$1" 2>/dev/null | grep -c '^proj-.*\.op$'; }

render none HOME="$out/home-none" DLINE_CACHE_DIR=
[ -e "$out/home-none" ] && fail "an empty DLINE_CACHE_DIR still wrote $(find "$out/home-none")"

render home-first HOME="$out/home"
n=$(entries "$out/home/.cache/dline")
[ "$n" -ge 1 ] || fail "nothing kept in ~/.cache/dline"
render home-again HOME="$out/home"
[ "$(entries "$out/home/.cache/dline")" = "$n" ] || fail "a second render added entries"

render xdg HOME="$out/home-xdg" XDG_CACHE_HOME="$out/xdg"
[ "$(entries "$out/xdg/dline")" = "$n" ] || fail "nothing kept in \$XDG_CACHE_HOME/dline"
[ -e "$out/home-xdg" ] && fail "XDG_CACHE_HOME set, but ~/.cache written"

render dir DLINE_CACHE_DIR="$out/dir" XDG_CACHE_HOME="$out/xdg-unused"
[ "$(entries "$out/dir")" = "$n" ] || fail "nothing kept in \$DLINE_CACHE_DIR"
[ -e "$out/xdg-unused" ] && fail "DLINE_CACHE_DIR set, but XDG_CACHE_HOME written"

# Damaged entries: cut to 40 bytes; the render searches and writes them anew.
for f in "$out/dir"/proj-*.op; do
    cp "$f" "$f.good"
    head -c 40 "$f.good" >"$f"
done
render damaged DLINE_CACHE_DIR="$out/dir"
for f in "$out/dir"/proj-*.op; do
    cmp -s "$f" "$f.good" || fail "damaged entry $(basename "$f") not written again"
done

# A folder that cannot be made: a file stands where its parent should be.
: >"$out/file"
render unwritable DLINE_CACHE_DIR="$out/file/dline"

echo "ok: $n entries kept; the same bytes with no cache, a new, a kept, a damaged and an unwritable one"
