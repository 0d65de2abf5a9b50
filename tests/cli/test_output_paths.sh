#!/bin/sh
# Outputs that cannot be written, and inputs that must not change. Each bad
# output path gives exactly one line naming it, exit 1 and no file left
# behind: a folder without write permission (as root, the render runs as
# "nobody" through util-linux's setpriv, since root may write anywhere), a
# path through a regular file, and a target that is a folder. A good render
# leaves every input file (style, shapefiles, .prj, .cpg, .dbf, icons)
# byte-identical and with its modification time.
#   test_output_paths.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
style=../styles/digital-line.yaml
fail() { echo "FAIL: $*"; exit 1; }

# expect NAME TARGET MESSAGE [RUNNER...]: renders to TARGET and checks the
# status, the one stderr line and that the folder holds nothing new.
expect() {
    name=$1 target=$2 msg=$3
    shift 3
    dir=$(dirname "$target")
    before=$(ls -A "$dir" 2>/dev/null)
    "$@" "$dline" render "$style" -o "$target" >"$out/$name.stdout" 2>"$out/$name.stderr"
    status=$?
    [ "$status" = 1 ] || fail "$name: exit status $status, expected 1"
    [ "$(cat "$out/$name.stderr")" = "$msg" ] ||
        fail "$name: stderr is '$(cat "$out/$name.stderr")', expected '$msg'"
    [ "$(ls -A "$dir" 2>/dev/null)" = "$before" ] || fail "$name: files left in $dir: $(ls -A "$dir")"
    echo "ok: $name: $msg"
}

# A folder the render may not write in.
mkdir -p "$out/locked"
chmod 555 "$out/locked"
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || fail "running as root and no setpriv to drop to nobody"
    chmod o+rx "$out"
    expect unwritable "$out/locked/map.png" \
        "dline: $out/locked/map.png: cannot create output: Permission denied" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups
else
    expect unwritable "$out/locked/map.png" \
        "dline: $out/locked/map.png: cannot create output: Permission denied"
fi
chmod 755 "$out/locked"

# A path whose folder is a regular file.
echo data >"$out/afile"
expect through_file "$out/afile/map.png" \
    "dline: $out/afile/map.png: cannot create output: Not a directory"
[ "$(cat "$out/afile")" = data ] || fail "through_file: $out/afile changed"

# A target that is a folder: the temporary file is made and removed, the
# folder stays as it was.
mkdir -p "$out/folder/map.png"
expect folder_target "$out/folder/map.png" \
    "dline: $out/folder/map.png: cannot create output: Is a directory"
[ -d "$out/folder/map.png" ] || fail "folder_target: the folder is gone"

# Inputs are only read: checksums and modification times before and after.
inputs="$style ../geodata/*.shp ../geodata/*.shx ../geodata/*.dbf ../geodata/*.prj ../geodata/*.cpg"
# shellcheck disable=SC2086
ls -l --time-style=+%s.%N $inputs | awk '{print $6, $7}' >"$out/mtimes.before"
# shellcheck disable=SC2086
sha256sum $inputs >"$out/sums.before"
"$dline" render "$style" -o "$out/good.png" 2>"$out/good.stderr" || fail "the flagship does not render"
# shellcheck disable=SC2086
ls -l --time-style=+%s.%N $inputs | awk '{print $6, $7}' >"$out/mtimes.after"
# shellcheck disable=SC2086
sha256sum $inputs >"$out/sums.after"
cmp -s "$out/sums.before" "$out/sums.after" || fail "an input file changed: $(diff "$out/sums.before" "$out/sums.after")"
cmp -s "$out/mtimes.before" "$out/mtimes.after" || fail "an input's modification time changed"
echo "ok: $(wc -l <"$out/sums.after") input files unchanged by a render (sha256, mtime)"
