#!/bin/sh
# Renders the example outputs shown in the README from the shipped styles:
#   examples/qingpu.png        the flagship map, 1600 x 1100 px
#   examples/qingpu.svg        the same as SVG (dline's own, editable SVG)
#   examples/qingpu-flagship-a4.pdf  the flagship style on one A4 landscape page
#   examples/qingpu-flagship-a4.png  that page at 150 dpi, for a quick look
#   examples/qingpu-a4.pdf     the black-and-white print style, A4 landscape
#   examples/qingpu-a4.png     that print style at 150 dpi, for a quick look
# Usage: examples/render.sh [path/to/dline]   (default: build/dline)
set -eu
cd "$(dirname "$0")/.."
dline=${1:-build/dline}
# Fixed date so the PDF is byte-identical from run to run.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1790726400}
"$dline" render styles/digital-line.yaml -o examples/qingpu.png
"$dline" render styles/digital-line.yaml -o examples/qingpu.svg
"$dline" render styles/digital-line.yaml --paper A4:landscape -o examples/qingpu-flagship-a4.pdf
"$dline" render styles/digital-line.yaml --paper A4:landscape --dpi 150 \
    -o examples/qingpu-flagship-a4.png
"$dline" render styles/mono-print.yaml -o examples/qingpu-a4.pdf
"$dline" render styles/mono-print.yaml -o examples/qingpu-a4.png --dpi 150
echo "wrote examples/qingpu.png qingpu.svg qingpu-flagship-a4.pdf qingpu-flagship-a4.png qingpu-a4.pdf qingpu-a4.png"
