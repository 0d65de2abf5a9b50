#!/bin/sh
# Renders are deterministic, and the report examples (examples/report-*)
# build with make: the flagship gives the same PNG and SVG bytes twice, the
# same PDF bytes twice with one SOURCE_DATE_EPOCH, and with two values PDFs
# that differ only in their CreationDate. Each example is copied here and
# built against this checkout (REPO=, DLINE=), so the source tree is not
# written: the outputs exist, the HTML holds the SVG inline and passes
# xmllint, the PNG is 2x, a second make has nothing to do, and touching the
# style (in a copy of styles/, with the default DLINE) makes it render again.
# The LaTeX report is built only where pdflatex is installed
# (scripts/install-deps --reports); else "skip: no pdflatex".
#   test_reports.sh DLINE OUTDIR IMGCMP
set -u
dline=$1 out=$2
rm -rf "$out"
mkdir -p "$out"
case $dline in /*) ;; *) dline=$(pwd)/$dline ;; esac
repo=$(cd .. && pwd)
style=../styles/digital-line.yaml
fail() { echo "FAIL: $*"; exit 1; }

bytes() { od -An -tu1 -j "$2" -N "$3" "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
# shellcheck disable=SC2046 # the bytes are split into arguments on purpose
be32() { set -- $(bytes "$1" "$2" 4); echo $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )); }
# The PDF without its /CreationDate (...) entry; cairo writes no other date.
undated() { LC_ALL=C sed 's#/CreationDate ([^)]*)##' "$1"; }

# PNG and SVG: no date, no clock, the same bytes every time.
for fmt in png svg; do
    for n in 1 2; do
        "$dline" render "$style" -o "$out/flagship-$n.$fmt" || fail "render $fmt ($n)"
    done
    cmp -s "$out/flagship-1.$fmt" "$out/flagship-2.$fmt" || fail "two $fmt renders differ"
done
echo "ok: two renders of the flagship give the same PNG bytes and the same SVG bytes"

# PDF: byte-identical with one SOURCE_DATE_EPOCH; with another, only the
# CreationDate differs (same length, so the xref offsets stay).
for n in 1 2; do
    SOURCE_DATE_EPOCH=1790726400 "$dline" render "$style" -o "$out/flagship-$n.pdf" ||
        fail "render pdf ($n)"
done
cmp -s "$out/flagship-1.pdf" "$out/flagship-2.pdf" ||
    fail "two PDF renders with the same SOURCE_DATE_EPOCH differ"
SOURCE_DATE_EPOCH=1790812800 "$dline" render "$style" -o "$out/flagship-later.pdf" ||
    fail "render pdf (a day later)"
cmp -s "$out/flagship-1.pdf" "$out/flagship-later.pdf" &&
    fail "PDFs with different SOURCE_DATE_EPOCH are identical (is the date written?)"
grep -aq '/CreationDate (D:20260930000000Z)' "$out/flagship-1.pdf" ||
    grep -aq '/CreationDate (20260930000000Z)' "$out/flagship-1.pdf" ||
    fail "no CreationDate of 2026-09-30 in the PDF: $(grep -a /CreationDate "$out/flagship-1.pdf")"
undated "$out/flagship-1.pdf" >"$out/flagship-1.undated"
undated "$out/flagship-later.pdf" >"$out/flagship-later.undated"
cmp -s "$out/flagship-1.undated" "$out/flagship-later.undated" ||
    fail "PDFs with different SOURCE_DATE_EPOCH differ in more than the CreationDate"
[ "$(wc -c <"$out/flagship-1.pdf")" = "$(wc -c <"$out/flagship-later.pdf")" ] ||
    fail "PDFs with different SOURCE_DATE_EPOCH differ in size"
echo "ok: PDFs are byte-identical with one SOURCE_DATE_EPOCH and differ only in CreationDate with two"

# The examples' Makefiles list each map's style as its only style file.
if grep -n '^include:' ../styles/*.yaml; then
    fail "a shipped style includes another: add it to the examples/report-* Makefiles' prerequisites"
fi

# Every make below runs in a copy of an example, pointed at this checkout.
export SOURCE_DATE_EPOCH=1790726400
ex() { # ex NAME [COPY]: copy examples/NAME to $out/COPY (default: NAME)
    cp -R "../examples/$1" "$out/${2:-$1}" || fail "copy examples/$1"
    # Outputs of an earlier build in the source folder are not what is tested.
    make -C "$out/${2:-$1}" REPO="$repo" DLINE="$dline" clean >/dev/null 2>&1 ||
        fail "$1: make clean"
}
mk() { # mk NAME [ARGS...]: make in the copy of NAME, output in $out/NAME.log
    name=$1
    shift
    make -C "$out/$name" REPO="$repo" DLINE="$dline" "$@" >>"$out/$name.log" 2>&1
}
again() { # again NAME: a second make has nothing to do
    mk "$1" -q || fail "$1: make -q after make says something is out of date"
    mk "$1"
    grep -q 'Nothing to be done' "$out/$1.log" || fail "$1: a second make did something: $(tail -3 "$out/$1.log")"
}

# HTML: the SVG inlined without its XML declaration; xmllint's HTML parser
# (HTML 4: it calls every HTML5 and SVG element "Tag ... invalid") finds
# nothing else, and the page is well-formed XML.
ex report-html
mk report-html -j2 || fail "report-html: make -j2: $(tail -5 "$out/report-html.log")"
html=$out/report-html/report.html
[ -s "$html" ] || fail "report-html: no report.html"
grep -q '<svg' "$html" || fail "report-html: no <svg in report.html"
grep -q '<?xml' "$html" && fail "report-html: the SVG's XML declaration is still in report.html"
grep -q 'approximate' "$html" || fail "report-html: no caption saying positions are approximate"
xmllint --html --noout "$html" 2>"$out/html.lint" || fail "report-html: xmllint --html: $(head -3 "$out/html.lint")"
if grep 'parser error' "$out/html.lint" | grep -v 'Tag [a-zA-Z]* invalid' >"$out/html.errors"; then
    fail "report-html: xmllint --html: $(head -3 "$out/html.errors")"
fi
xmllint --noout "$html" 2>"$out/xml.lint" || fail "report-html: not well-formed XML: $(head -3 "$out/xml.lint")"
mk report-html check || fail "report-html: make check: $(tail -3 "$out/report-html.log")"
: >"$out/report-html.log"
again report-html
echo "ok: report-html builds with make -j2, holds the SVG inline, passes xmllint, and a second make does nothing"

# Markdown: the PNG at 192 dpi is twice the style's size.
ex report-markdown
mk report-markdown -j2 || fail "report-markdown: make -j2: $(tail -5 "$out/report-markdown.log")"
png=$out/report-markdown/qingpu@2x.png
[ -s "$png" ] || fail "report-markdown: no qingpu@2x.png"
[ "$(bytes "$png" 12 4)" = "73 72 68 82" ] || fail "report-markdown: no IHDR where a PNG has it"
w=$(sed -n 's/^size: *\[ *\([0-9]*\) *, *[0-9]* *\].*/\1/p' "$style")
h=$(sed -n 's/^size: *\[ *[0-9]* *, *\([0-9]*\) *\].*/\1/p' "$style")
if [ -z "$w" ] || [ -z "$h" ]; then fail "no size: [W, H] in $style"; fi
[ "$(be32 "$png" 16)x$(be32 "$png" 20)" = "$((w * 2))x$((h * 2))" ] ||
    fail "report-markdown: PNG is $(be32 "$png" 16)x$(be32 "$png" 20), not 2 x ${w}x$h"
grep -q '<img src="qingpu@2x.png" width="'"$w"'"' "$out/report-markdown/report.md" ||
    fail "report-markdown: report.md does not show the PNG at its 1x width $w"
if command -v pandoc >/dev/null 2>&1; then
    grep -q 'qingpu@2x.png' "$out/report-markdown/report.html" 2>/dev/null ||
        fail "report-markdown: pandoc is installed but report.html has no image"
    echo "ok: report-markdown: pandoc preview report.html"
fi
: >"$out/report-markdown.log"
again report-markdown
echo "ok: report-markdown renders a ${w}x$h map at 2x, $(be32 "$png" 16)x$(be32 "$png" 20), and a second make does nothing"

# Touching the style renders again; touching another style does not. In a
# checkout of our own, with the built page above: a copy of styles/ (mtimes
# kept), geodata/ linked (not to change the real files' mtimes), and
# build/dline, so make runs with its default DLINE and default goal.
mkdir -p "$out/repo/build"
cp -Rp ../styles "$out/repo/styles" || fail "copy styles"
ln -s "$repo/geodata" "$out/repo/geodata" || fail "link geodata"
ln -s "$dline" "$out/repo/build/dline" || fail "link dline"
cp -Rp "$out/report-html" "$out/touch-html" || fail "copy report-html"
make -C "$out/touch-html" REPO="$out/repo" -q ||
    fail "touch-html: out of date in a checkout whose styles are older than the page"
touch "$out/repo/styles/mono-print.yaml"
make -C "$out/touch-html" REPO="$out/repo" -q ||
    fail "touch-html: out of date after touching a style the page does not use"
sleep 1 # a later mtime also where the file system keeps whole seconds
touch "$out/repo/styles/digital-line.yaml"
make -C "$out/touch-html" REPO="$out/repo" -q &&
    fail "touch-html: not out of date after touching its style"
make -C "$out/touch-html" REPO="$out/repo" >"$out/touch.log" 2>&1 || fail "touch-html: make after touch"
grep -q 'render .*digital-line.yaml' "$out/touch.log" || fail "touch-html: no render after touching the style"
grep -q 'mv report.html.tmp report.html' "$out/touch.log" ||
    fail "touch-html: report.html not made again after touching the style"
echo "ok: with the default DLINE, touching the style renders the map and page again, touching another style does not"

# LaTeX: only with pdflatex. Two figures, every font embedded, the caption
# there, and the same report.pdf bytes when pdflatex runs again.
if ! command -v pdflatex >/dev/null 2>&1; then
    echo "skip: no pdflatex (scripts/install-deps --reports installs it)"
    exit 0
fi
ex report-latex
mk report-latex -j2 || fail "report-latex: make -j2: $(tail -8 "$out/report-latex.log")"
pdf=$out/report-latex/report.pdf
[ -s "$pdf" ] || fail "report-latex: no report.pdf"
for f in qingpu.pdf qingpu-print.pdf; do
    [ -s "$out/report-latex/$f" ] || fail "report-latex: no $f"
done
if command -v pdffonts >/dev/null 2>&1; then
    pdffonts "$pdf" >"$out/latex.fonts" || fail "report-latex: pdffonts"
    awk 'NR > 2 && $(NF-4) != "yes" { bad = 1 } END { exit bad }' "$out/latex.fonts" ||
        fail "report-latex: a font is not embedded: $(cat "$out/latex.fonts")"
    grep -q NotoSansCJK "$out/latex.fonts" || fail "report-latex: the map's fonts are not in the report"
    pdftotext "$pdf" "$out/latex.txt" || fail "report-latex: pdftotext"
    grep -q 'Site positions are approximate' "$out/latex.txt" || fail "report-latex: no caption"
    grep -q 'Figure 2' "$out/latex.txt" || fail "report-latex: no second figure"
fi
cp "$pdf" "$out/report-1.pdf"
rm -f "$pdf" "$out/report-latex/report.aux"
mk report-latex || fail "report-latex: make again: $(tail -8 "$out/report-latex.log")"
cmp -s "$pdf" "$out/report-1.pdf" || fail "report-latex: pdflatex gives different bytes the second time"
: >"$out/report-latex.log"
again report-latex
echo "ok: report-latex builds report.pdf with make -j2 (fonts embedded, caption, reproducible), and a second make does nothing"
