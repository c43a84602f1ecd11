#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (build-fuzz/) and runs each one, one
# after the other, for FUZZ_SECONDS (default 60) each, starting from its seed corpus in
# fuzz/corpus/<name>/. New inputs go to build-fuzz/fuzz-work/<name>/ (never into the tree), a
# finding to build-fuzz/fuzz-findings/<name>/, each run's log to build-fuzz/fuzz-logs/<name>.log.
# Usage: fuzz/run.sh [NAME...]   (default: every fuzz/fuzz_*.c)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$here/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
rss=${FUZZ_RSS_MB:-2048}
jobs=${FUZZ_BUILD_JOBS:-2}

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$here"/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        names+=("${n#fuzz_}")
    done
fi

command -v clang >/dev/null || { echo "fuzz/run.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DGC_FUZZ=ON -DGC_SANITIZE=ON >/dev/null
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for n in "${names[@]}"; do
    work=$build/fuzz-work/$n findings=$build/fuzz-findings/$n log=$build/fuzz-logs/$n.log
    mkdir -p "$work" "$findings" "$(dirname "$log")"
    echo "== fuzz_$n for ${seconds}s (log: $log)"
    if nice -n 10 "$build/fuzz_$n" -max_total_time="$seconds" -rss_limit_mb="$rss" \
            -print_final_stats=1 -artifact_prefix="$findings/" "$work" "$here/fuzz/corpus/$n" \
            >"$log" 2>&1; then
        grep -E '^#[0-9]+' "$log" | tail -1 || true
        grep -E 'stat::number_of_executed_units' "$log" || true
    else
        status=1
        echo "fuzz_$n: FINDING (see $log; input in $findings/)"
        grep -E 'ERROR|SUMMARY|check failed' "$log" | head -5 || true
    fi
done
exit $status
