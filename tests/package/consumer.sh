#!/bin/sh
# The installed package as a user meets it: `cmake --install` into a fresh
# prefix, every file checked, then examples/embed-pdf built against that
# prefix with find_package (CMake) and with pkg-config (make, shared and
# static), each build run and its PDF checked. Everything happens in one
# temporary folder under OUTDIR, removed when the test passes, but for the
# make build: make cannot take a path with a space (the CI's clone may have
# one), so it runs in a folder of its own under TMPDIR, on a copy of the
# installed prefix moved there (which also shows that dline.pc is
# relocatable).
#
#   consumer.sh SOURCE_DIR BUILD_DIR OUTDIR VERSION BINDIR LIBDIR INCLUDEDIR MANDIR DATADIR PYTHONDIR
set -eu

src=$1 build=$2 outdir=$3 version=$4
bindir=$5 libdir=$6 includedir=$7 mandir=$8 datadir=$9
shift 9
pythondir=$1
cmake=${CMAKE:-cmake} # ctest passes the cmake that configured the build

mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/consumer.XXXXXX")
failed=1
mk=$(mktemp -d "${TMPDIR:-/tmp}/dline-consumer.XXXXXX")
trap 'if [ $failed = 0 ]; then rm -rf "$tmp" "$mk"; else echo "left for a look: $tmp $mk"; fi' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

prefix=$tmp/prefix
lib=$prefix/$libdir
echo "== cmake --install $build --prefix $prefix"
$cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log"
    fail "cmake --install"
}

echo "== the installed files"
for f in "$bindir/dline" "$libdir/libdline.so.$version" "$libdir/libdline.a" \
    "$includedir/dline.h" "$libdir/pkgconfig/dline.pc" "$libdir/cmake/dline/dlineConfig.cmake" \
    "$libdir/cmake/dline/dlineConfigVersion.cmake" "$mandir/man1/dline.1" \
    "$mandir/man5/dline-style.5" "$datadir/bash-completion/completions/dline"; do
    [ -f "$prefix/$f" ] && [ ! -L "$prefix/$f" ] || fail "$f is not installed (as a file)"
done
[ -x "$prefix/$bindir/dline" ] || fail "$bindir/dline is not executable"
# libdline.so.0 -> libdline.so.VERSION for programs, libdline.so -> .so.0 for the linker.
major=${version%%.*}
[ "$(readlink "$lib/libdline.so.$major")" = "libdline.so.$version" ] ||
    fail "libdline.so.$major is not a link to libdline.so.$version"
[ "$(readlink "$lib/libdline.so")" = "libdline.so.$major" ] ||
    fail "libdline.so is not a link to libdline.so.$major"
readelf -d "$lib/libdline.so.$version" >"$tmp/dynamic.txt"
grep -q "(SONAME).*\[libdline.so.$major\]" "$tmp/dynamic.txt" ||
    fail "SONAME of libdline.so.$version is not libdline.so.$major: $(grep SONAME "$tmp/dynamic.txt")"
# Installed files must not point back into the build tree.
if grep -E "R(UN)?PATH" "$tmp/dynamic.txt" | grep -q "$build"; then
    fail "libdline.so keeps the build tree in its RPATH"
fi
if readelf -d "$prefix/$bindir/dline" | grep -E "R(UN)?PATH" | grep -q "$build"; then
    fail "dline keeps the build tree in its RPATH"
fi
nm -g --defined-only "$lib/libdline.a" | grep -q " T dline_map_render_cairo$" ||
    fail "libdline.a does not define dline_map_render_cairo"
nm -D --defined-only "$lib/libdline.so.$version" | grep -q " T dline_map_render_cairo$" ||
    fail "libdline.so does not export dline_map_render_cairo"
cmp -s "$src/include/dline.h" "$prefix/$includedir/dline.h" || fail "dline.h differs from the source's"
cmp -s "$src/docs/man/dline.1" "$prefix/$mandir/man1/dline.1" || fail "dline.1 differs"
cmp -s "$src/scripts/completion/dline.bash" "$prefix/$datadir/bash-completion/completions/dline" ||
    fail "the completion differs"
# The Python binding is installed when the sources have it.
if [ -d "$src/src/python/dline" ]; then
    [ -f "$prefix/$pythondir/dline/__init__.py" ] || fail "the Python package is not installed"
    [ -z "$(find "$prefix/$pythondir" -name __pycache__)" ] || fail "__pycache__ installed"
fi

echo "== the installed dline"
"$prefix/$bindir/dline" --version >"$tmp/version.txt" || fail "installed dline --version"
[ "$(cat "$tmp/version.txt")" = "dline $version" ] ||
    fail "installed dline --version says '$(cat "$tmp/version.txt")'"

# One A4 page that holds both maps: pdfinfo's page count and size, and the
# text pdftotext reads back, which the maps' labels are part of.
check_pdf() {
    [ -s "$1" ] || fail "$1 was not written"
    pdfinfo "$1" >"$1.info" || fail "pdfinfo $1"
    grep -q "^Pages: *1$" "$1.info" || fail "$1: $(grep Pages "$1.info")"
    grep -q "^Page size: *595.276 x 841.89 pts" "$1.info" || fail "$1: $(grep 'Page size' "$1.info")"
    pdftotext "$1" "$1.txt" || fail "pdftotext $1"
    for text in "Figure 1. Colour" "Figure 2. Black and white" "Shixi Software Park"; do
        grep -q "$text" "$1.txt" || fail "$1 has no text '$text'"
    done
    [ "$(grep -c "Huawei Lianqiu Lake R&D" "$1.txt")" -ge 2 ] ||
        fail "$1: a label of the maps is not on both"
}

# needs BINARY yes|no: whether BINARY loads libdline.so.
needs() {
    [ -x "$1" ] || fail "$1 was not built"
    if readelf -d "$1" | grep -q "(NEEDED).*\[libdline.so.$major\]"; then
        [ "$2" = yes ] || fail "$1 links libdline.so but should hold libdline.a"
    else
        [ "$2" = no ] || fail "$1 does not link libdline.so"
    fi
}

style1=$src/styles/digital-line.yaml style2=$src/styles/mono-print.yaml
# A sanitizer build installs an instrumented library: programs that link it
# statically need the sanitizers' runtimes too, as its users would
# (DLINE_CONSUMER_FLAGS, set by tests/package/CMakeLists.txt).
flags=${DLINE_CONSUMER_FLAGS:-}

echo "== find_package(dline) with CMAKE_PREFIX_PATH"
$cmake -S "$src/examples/embed-pdf" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
    >"$tmp/cmake-configure.log" || {
    cat "$tmp/cmake-configure.log"
    fail "configuring examples/embed-pdf"
}
grep -q "^dline_DIR:PATH=$lib/cmake/dline$" "$tmp/cmake-build/CMakeCache.txt" ||
    fail "find_package found another dline: $(grep ^dline_DIR "$tmp/cmake-build/CMakeCache.txt")"
$cmake --build "$tmp/cmake-build" >"$tmp/cmake-build.log" 2>&1 || {
    cat "$tmp/cmake-build.log"
    fail "building examples/embed-pdf with CMake"
}
needs "$tmp/cmake-build/report" yes
needs "$tmp/cmake-build/report-static" no
# CMake gives the build's executables the imported library's folder as RPATH.
"$tmp/cmake-build/report" "$style1" "$style2" "$tmp/cmake.pdf" || fail "report (CMake, shared)"
check_pdf "$tmp/cmake.pdf"
"$tmp/cmake-build/report-static" "$style1" "$style2" "$tmp/cmake-static.pdf" || fail "report-static (CMake)"
check_pdf "$tmp/cmake-static.pdf"

echo "== pkg-config dline with PKG_CONFIG_PATH, the prefix moved to $mk"
cp -a "$prefix" "$mk/prefix"
prefix=$mk/prefix
lib=$prefix/$libdir
export PKG_CONFIG_PATH="$lib/pkgconfig"
[ "$(pkg-config --modversion dline)" = "$version" ] || fail "pkg-config --modversion dline"
# The relocatable prefix must resolve to this install's folders.
# pkg-config escapes a space in a path with a backslash, as a shell reads it.
eval "set -- $(pkg-config --cflags-only-I dline)"
for flag in "$@"; do
    [ "$(cd "${flag#-I}" && pwd -P)" = "$(cd "$prefix/$includedir" && pwd -P)" ] && found=1
done
[ "${found:-}" = 1 ] || fail "pkg-config --cflags dline has no -I$prefix/$includedir"
# Shared: libdline.so alone. Static: its Libs.private and every library of
# Requires.private too. (The Makefile links libdline.a with the libraries of
# Requires.private, not with all of --static's flags, which also name the
# private libraries of libcurl, under PROJ, whose -dev packages Debian lacks.)
libs=$(pkg-config --libs dline)
eval "set -- $libs"
[ $# = 2 ] && [ "$1" = "-L$(pkg-config --variable=libdir dline)" ] && [ "$2" = -ldline ] ||
    fail "pkg-config --libs dline gives '$libs'"
static=" $(pkg-config --static --libs dline) "
for flag in -ldline -pthread -lm -lshp -lproj -lcairo -lpangocairo-1.0 -lpng16 -lz -lyaml \
    -ljson-c -lpangoft2-1.0 -lfontconfig -lrsvg-2 -lxml2; do
    case $static in *" $flag "*) ;; *) fail "pkg-config --static --libs dline lacks $flag" ;; esac
done
mkdir "$mk/make"
cp "$src/examples/embed-pdf/Makefile" "$src/examples/embed-pdf/report.c" "$mk/make/"
make -C "$mk/make" CFLAGS="-O2 -Wall -Wextra $flags" >"$mk/make.log" 2>&1 || {
    cat "$mk/make.log"
    fail "building examples/embed-pdf with make"
}
needs "$mk/make/report" yes
needs "$mk/make/report-static" no
LD_LIBRARY_PATH=$lib ldd "$mk/make/report" | grep -q "libdline.so.$major => $lib/" ||
    fail "report does not load $lib/libdline.so.$major"
LD_LIBRARY_PATH=$lib "$mk/make/report" "$style1" "$style2" "$mk/make.pdf" || fail "report (pkg-config, shared)"
check_pdf "$mk/make.pdf"
"$mk/make/report-static" "$style1" "$style2" "$mk/make-static.pdf" || fail "report-static (pkg-config)"
check_pdf "$mk/make-static.pdf"

failed=0
echo "ok"
