#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) into
# build-fuzz/ and runs each for SECONDS (default 60) on its seed corpus and
# dictionary. Exits non-zero when any target crashes, leaks, times out or
# fails to build; crash inputs are written to tests/fuzz/crashes/<target>/.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
# Environment: JOBS (targets run at once, default 1), BUILD (build folder).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-shapefile geojson csv style expr}
build=${BUILD:-$root/build-fuzz}
jobs=${JOBS:-1}

CC=${CC:-clang} cmake -S "$root" -B "$build" -DDLINE_FUZZ=ON -DDLINE_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
for t in $targets; do
    cmake --build "$build" -j2 --target "fuzz_$t" >/dev/null || { echo "build of fuzz_$t failed" >&2; exit 1; }
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
mkdir -p "$build/logs"

run_one() {
    t=$1
    work="$build/corpus/$t" # new inputs go here, the seeds stay as committed
    mkdir -p "$work" "$here/crashes/$t"
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -dict="$here/$t.dict" \
        -artifact_prefix="$here/crashes/$t/" "$work" "$here/corpus/$t" \
        </dev/null >"$build/logs/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "$t: ok, ${execs:-?} execs in ${secs}s"
    else
        echo "$t: FAILED (exit $rc), see $build/logs/$t.log and $here/crashes/$t/"
        grep -m 3 -E 'ERROR: |runtime error|SUMMARY' "$build/logs/$t.log" | sed 's/^/  /'
    fi
    return $rc
}

status=0
running=0
pids=""
for t in $targets; do
    run_one "$t" > "$build/logs/$t.result" &
    pids="$pids $!"
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        for p in $pids; do wait "$p" || status=1; done
        pids="" running=0
    fi
done
for p in $pids; do wait "$p" || status=1; done
for t in $targets; do cat "$build/logs/$t.result"; done
exit $status
