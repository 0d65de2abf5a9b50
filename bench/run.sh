#!/bin/sh
# Renders the benchmark map with dline, MapServer, Mapnik and GMT, checks every
# PNG, and prints a Markdown table of median wall time, CPU time and peak RSS
# (also written to bench/results/latest.md). Then, once per size and not
# timed, every tool draws the map without its labels and each peer's pixels
# are compared with dline's (png_diff): more than the share allowed off by
# more than T levels fails the run. Last, the flagship map's whole-process
# time with the same dline (bench/flagship.py). See bench/README.md.
#
#   bench/run.sh [small] [medium] [large] | all   [--runs N]
#
# Installs nothing. dline is built in Release into bench/build, or taken from
# $BUILD/dline when BUILD is set; the data are generated when missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
sizes=
runs=3
while [ $# -gt 0 ]; do
    case $1 in
    small | medium | large) sizes="${sizes:+$sizes }$1" ;;
    all) sizes="small medium large" ;;
    --runs)
        [ $# -ge 2 ] || { echo "run.sh: --runs needs a number" >&2; exit 2; }
        runs=$2
        shift
        ;;
    --runs=*) runs=${1#--runs=} ;;
    -h | --help)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) echo "run.sh: unknown argument '$1' (small, medium, large, all, --runs N)" >&2; exit 2 ;;
    esac
    shift
done
sizes=${sizes:-small}
case $runs in '' | *[!0-9]* | 0) echo "run.sh: --runs wants a whole number > 0" >&2; exit 2 ;; esac

# The peers, and what each needs at run time.
missing=""
command -v map2img >/dev/null || missing="$missing map2img(mapserver-bin)"
/usr/bin/python3 -c 'import mapnik' 2>/dev/null || missing="$missing python3-mapnik"
command -v gmt >/dev/null || missing="$missing gmt"
command -v ogr2ogr >/dev/null || missing="$missing ogr2ogr(gdal-bin,for-gmt)"
command -v gs >/dev/null || missing="$missing gs(ghostscript,for-gmt)"
[ -x /usr/bin/time ] || missing="$missing /usr/bin/time(time)"
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing="$missing fonts-noto-cjk"
if [ -n "$missing" ]; then
    echo "run.sh: missing:$missing" >&2
    echo "install them with (as root, or with sudo):" >&2
    echo "  apt-get install mapserver-bin mapnik-utils python3-mapnik gmt gmt-gshhg-low gdal-bin ghostscript fonts-noto-cjk time" >&2
    exit 1
fi

# Helpers (and dline unless BUILD is given) from one Release tree.
hb=$here/build
if [ ! -f "$hb/CMakeCache.txt" ]; then
    cmake -S "$top" -B "$hb" -DCMAKE_BUILD_TYPE=Release -DDLINE_TESTS=OFF -DDLINE_BENCH=ON >/dev/null
fi
targets="gen_bench png_check png_diff"
[ -n "${BUILD:-}" ] || targets="$targets dline_cli"
cmake --build "$hb" -j2 --target $targets >"$hb/bench-build.log" 2>&1 ||
    { tail -n 20 "$hb/bench-build.log" >&2; exit 1; }
dline=${BUILD:+$BUILD/dline}
dline=${dline:-$hb/dline}
[ -x "$dline" ] || { echo "run.sh: no dline at $dline" >&2; exit 1; }
gen=$hb/bench/gen_bench
check=$hb/bench/png_check
diff=$hb/bench/png_diff

# The geometry tolerance (bench/README.md, "How the maps are compared"): a
# pixel is off when one of its channels differs from dline's by more than T
# levels; a peer passes while at most MAX percent of the pixels are off.
# T is 32 for MapServer and Mapnik, which draw with AGG, exact-area coverage
# like dline's, and 48 for GMT, whose map goes through Ghostscript's 4-bit
# antialiasing (16 coverage levels, sampled). What stays off is the rings of
# the dots (a few levels more or less white at their edges, more where dots
# overlap), so MAX grows with their number: 0.5% at small and medium, 3% at
# large, where 50,000 dots cover much of the map.
tolerance() { # TOOL SIZE -> "T MAX"
    t=32
    [ "$1" != gmt ] || t=48
    max=0.5
    [ "$2" != large ] || max=3
    echo "$t $max"
}

out=$here/out
res=$here/results
mkdir -p "$out" "$res"
raw=$res/latest-runs.tsv
printf 'size\ttool\trun\twall_s\tuser_s\tsys_s\tmaxrss_kib\n' > "$raw"
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT

tools="dline mapserver mapnik gmt"
failed=0
for size in $sizes; do
    if [ ! -f "$here/data/$size/points.dbf" ]; then
        mkdir -p "$here/data/$size"
        "$gen" "$here/data/$size" "$size"
    fi
    i=1
    while [ "$i" -le "$runs" ]; do
        # Tools take turns within a run, so a slow patch of the machine is shared.
        for tool in $tools; do
            png=$out/$tool-$size.png
            rm -f "$png"
            log=$out/$tool-$size.log
            d=$here/data/$size
            # The command goes into "$@" so that GNU time runs the tool itself.
            case $tool in
            dline)
                set -- "$dline" render "$here/styles/dline.yaml" -o "$png" \
                    --set "sources.parcels=$d/parcels.shp" --set "sources.roads=$d/roads.shp" \
                    --set "sources.points=$d/points.shp" ;;
            mapserver)
                set -- map2img -conf "$here/styles/mapserver.conf" -m "$here/styles/mapserver.map" \
                    -o "$png" -d parcels "$d/parcels.shp" -d roads "$d/roads.shp" -d points "$d/points.shp" ;;
            mapnik) set -- /usr/bin/python3 "$here/styles/mapnik_render.py" "$d" "$png" ;;
            gmt) set -- "$here/styles/gmt.sh" "$d" "$png" ;;
            esac
            if ! /usr/bin/time -f '%e %U %S %M' -o "$timing" "$@" >"$log" 2>&1 ||
                ! "$check" "$png" 2000 1500 '#f4f1ea' >>"$log"; then
                echo "run.sh: $tool $size run $i failed; see $log" >&2
                tail -n 3 "$log" >&2
                failed=1
                printf '%s\t%s\t%s\tFAIL\t\t\t\n' "$size" "$tool" "$i" >> "$raw"
            else
                read -r wall user sys rss < "$timing"
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$tool" "$i" "$wall" "$user" "$sys" "$rss" >> "$raw"
                echo "$size $tool run $i: ${wall}s wall, $(tail -n 1 "$log")" >&2
            fi
        done
        i=$((i + 1))
    done
done

# Geometry: each tool once per size without labels (not timed), each peer
# against dline.
geom=$(mktemp)
trap 'rm -f "$timing" "$geom"' EXIT
line=
for size in $sizes; do
    d=$here/data/$size
    for tool in $tools; do
        png=$out/$tool-$size-geometry.png
        rm -f "$png"
        log=$out/$tool-$size-geometry.log
        case $tool in
        dline)
            set -- "$dline" render "$here/styles/dline.yaml" -o "$png" \
                --set "sources.parcels=$d/parcels.shp" --set "sources.roads=$d/roads.shp" \
                --set "sources.points=$d/points.shp" --set layers.names.minzoom=24 ;;
        mapserver)
            # The map without its labels: no TEXT line, no LABEL block.
            sed -e '/^ *TEXT (/d' -e '/^      LABEL$/,/^      END$/d' \
                -e "s|FONTSET \"fonts.txt\"|FONTSET \"$here/styles/fonts.txt\"|" \
                "$here/styles/mapserver.map" > "$out/mapserver-geometry.map"
            if grep -v '^ *#' "$out/mapserver-geometry.map" | grep -q 'LABEL\|TEXT'; then
                echo "run.sh: could not take the labels out of mapserver.map" >&2
                exit 1
            fi
            set -- map2img -conf "$here/styles/mapserver.conf" -m "$out/mapserver-geometry.map" \
                -o "$png" -d parcels "$d/parcels.shp" -d roads "$d/roads.shp" -d points "$d/points.shp" ;;
        mapnik) set -- /usr/bin/python3 "$here/styles/mapnik_render.py" "$d" "$png" --no-labels ;;
        gmt) set -- "$here/styles/gmt.sh" "$d" "$png" --no-labels ;;
        esac
        if ! "$@" >"$log" 2>&1 || ! "$check" "$png" 2000 1500 '#f4f1ea' >>"$log"; then
            echo "run.sh: $tool $size without labels failed; see $log" >&2
            failed=1
            printf '%s\t%s\tfailed\n' "$size" "$tool" >> "$geom"
            continue
        fi
        [ "$tool" != dline ] || continue
        set -- $(tolerance "$tool" "$size")
        if [ -f "$out/dline-$size-geometry.png" ] &&
            line=$("$diff" "$out/dline-$size-geometry.png" "$png" "$1" "$2" "$out/diff-$tool-$size.png"); then
            printf '%s\t%s\t%s\n' "$size" "$tool" "$line" >> "$geom"
        else
            failed=1
            printf '%s\t%s\t%s\n' "$size" "$tool" "${line:-no dline image}" >> "$geom"
        fi
        echo "$size $tool geometry: ${line:-failed}" >&2
        line=
    done
done

# Medians per size and tool; ratios are the peer's median over dline's.
table=$res/latest.md
{
    echo "Map 2000x1500 PNG, EPSG:3857; median of $runs runs; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores."
    echo
    echo "| tool | size | wall s | CPU s (user+sys) | peak RSS MiB | wall ratio peer/dline | CPU ratio peer/dline |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    awk -F'\t' -v tools="$tools" -v sizes="$sizes" '
    function median(list,   n, v, i, j, t) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    NR > 1 && $4 != "FAIL" {
        k = $1 SUBSEP $2
        wall[k] = wall[k] " " $4; cpu[k] = cpu[k] " " ($5 + $6); rss[k] = rss[k] " " $7
    }
    END {
        ns = split(sizes, S, " "); nt = split(tools, T, " ")
        for (s = 1; s <= ns; s++) {
            d = S[s] SUBSEP "dline"
            dw = (d in wall) ? median(wall[d]) : 0; dc = (d in cpu) ? median(cpu[d]) : 0
            for (t = 1; t <= nt; t++) {
                k = S[s] SUBSEP T[t]
                if (!(k in wall)) { printf "| %s | %s | failed | | | | |\n", T[t], S[s]; continue }
                w = median(wall[k]); c = median(cpu[k]); r = median(rss[k]) / 1024
                wr = dw > 0 ? sprintf("%.2f", w / dw) : "-"; cr = dc > 0 ? sprintf("%.2f", c / dc) : "-"
                printf "| %s | %s | %.2f | %.2f | %.0f | %s | %s |\n", T[t], S[s], w, c, r, wr, cr
            }
        }
    }' "$raw"
    echo
    echo "Geometry (labels off, each peer against dline; a pixel is off when a channel differs by more than T levels):"
    echo
    echo "| peer | size | pixels off | over 64 levels | T | allowed | |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
    # png_diff's line: "P% of pixels differ by more than T (Q% by more than 64): within|OUTSIDE M%"
    awk -F'\t' '{
        n = split($3, w, " ")
        if ($3 == "failed" || n < 12) { printf "| %s | %s | failed | | | | |\n", $2, $1; next }
        q = w[9]; sub(/^\(/, "", q)
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $1, w[1], q, w[8], w[n], w[n - 1] == "within" ? "ok" : "**out of tolerance**"
    }' "$geom"
    # The flagship with the same dline, in the same run: whole process, the
    # PROJ operation cache folder warm (bench/flagship.py).
    echo
    echo "Flagship (styles/digital-line.yaml, 1600x1100 PNG, whole process, cache folder warm):"
    echo
    (cd "$top" && python3 "$here/flagship.py" -n 30 "$dline") | sed 's/^[^ ]* *//; s/^/    /'
} > "$table"
cat "$table"
echo "(raw runs: $raw; images and logs: $out)" >&2
exit "$failed"
