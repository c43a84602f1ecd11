#!/usr/bin/env bash
# Adds to the committed seed corpus fuzz/corpus/<name>/ the small inputs (at most
# FUZZ_MERGE_MAX_LEN bytes, default 160) that fuzz/run.sh found in build-fuzz/fuzz-work/<name>/
# and that reach code edges the corpus does not (libFuzzer -merge=1 with hit counts ignored),
# as found-<hash> files; stops short of 200 files in all.
# Usage: fuzz/merge.sh NAME...
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$here/build-fuzz}
max_len=${FUZZ_MERGE_MAX_LEN:-160}
max_files=200

for n in "$@"; do
    corpus=$here/fuzz/corpus/$n work=$build/fuzz-work/$n
    [ -x "$build/fuzz_$n" ] && [ -d "$work" ] || { echo "fuzz/merge.sh: run fuzz/run.sh $n first" >&2; exit 2; }
    tmp=$(mktemp -d)
    mkdir "$tmp/small" "$tmp/merged"
    find "$work" -type f -size -"$((max_len + 1))"c -exec cp {} "$tmp/small/" \;
    cp "$corpus"/* "$tmp/merged/"
    ASAN_OPTIONS=detect_leaks=0 nice -n 10 "$build/fuzz_$n" -merge=1 -use_counters=0 \
        "$tmp/merged" "$tmp/small" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; rm -rf "$tmp"; exit 1; }
    added=0
    have=$(find "$corpus" -type f | wc -l)
    for f in "$tmp/merged"/*; do
        b=$(basename "$f")
        [ -e "$corpus/$b" ] && continue
        [ "$have" -ge "$max_files" ] && break
        cp "$f" "$corpus/found-${b:0:12}"
        added=$((added + 1)) have=$((have + 1))
    done
    echo "$n: $added inputs added ($have files, $(du -sb "$corpus" | cut -f1) bytes)"
    rm -rf "$tmp"
done
