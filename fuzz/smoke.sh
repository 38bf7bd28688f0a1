#!/usr/bin/env bash
# The fuzz smoke (make fuzz-smoke): every fuzz target of a libFuzzer build for a short bounded time
# on a copy of its corpus and its regressions (fuzz/regressions/NAME: crash reproducers), with its
# options (fuzz/options/NAME.options, fuzz/dict/NAME.dict), JOBS targets at a time. A target that crashes, leaks or times out fails the smoke with its log's tail;
# its reproducer is kept as BUILD/smoke/NAME-crash-*.
#
#   fuzz/smoke.sh BUILD SECONDS JOBS
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BUILD SECONDS JOBS" >&2; exit 2; }
build=$1 seconds=$2 jobs=$3
root=$(cd "$(dirname "$0")/.." && pwd)

# smoke_one FUZZER: one target's run; prints one line, exit 1 when it failed.
smoke_one() {
  local f=$1 n work log dict opts asan
  n=$(basename "$f" _fuzzer)
  work=$build/smoke/$n log=$build/smoke/$n.log
  rm -rf "$work"
  mkdir -p "$work"
  cp -r "$root/fuzz/corpus/$n/." "$work/" 2> /dev/null || true
  cp -r "$root/fuzz/regressions/$n/." "$work/" 2> /dev/null || true
  dict=()
  [ -f "$root/fuzz/dict/$n.dict" ] && dict=("-dict=$root/fuzz/dict/$n.dict")
  # shellcheck disable=SC2207  # the options are flags without spaces
  opts=($("$root/fuzz/options.sh" "$n" libfuzzer))
  asan=$("$root/fuzz/options.sh" "$n" asan)
  if ! ASAN_OPTIONS="$asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
      "$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${dict[@]}" "${opts[@]}" \
      -artifact_prefix="$build/smoke/$n-" "$work" > "$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz-smoke: $n FAILED"
    return 1
  fi
  echo "fuzz-smoke: $n ok ($(find "$work" -type f | wc -l) inputs)"
}
export -f smoke_one
export build seconds root

fuzzers=()
for f in "$build"/*_fuzzer; do
  [ -x "$f" ] && fuzzers+=("$f")
done
[ ${#fuzzers[@]} -gt 0 ] || { echo "fuzz-smoke: no fuzz targets in $build" >&2; exit 1; }
mkdir -p "$build/smoke"
printf '%s\0' "${fuzzers[@]}" | xargs -0 -n 1 -P "$jobs" bash -c 'smoke_one "$1"' _
