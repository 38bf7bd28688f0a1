#!/usr/bin/env bash
# The sanitizer stress matrix: every correct pool at 64 threads, two size distributions, with
# held buffers and cross-thread puts, each report then checked by `bpstress verify`.
# Usage: sanitizers/stress-matrix.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$1
seconds=${2:-1}
bin="$build/bpstress"
out="$build/stress-matrix"
mkdir -p "$out"
start=$SECONDS
failed=0
for dist in random65k pow2:1:1M; do
  name=${dist%%:*}
  report="$out/$name.json"
  if ! "$bin" --threads 64 --dist "$dist" --hold 8 --cross-thread 0.25 --duration "${seconds}s" \
      --progress never --report "$report"; then
    echo "stress-matrix: $dist FAILED" >&2
    failed=1
    continue
  fi
  if "$bin" verify --help > /dev/null 2>&1; then
    "$bin" verify "$report" || failed=1
  fi
done
echo "stress-matrix ($build): $(( SECONDS - start ))s, $([ $failed = 0 ] && echo passed || echo FAILED)"
exit $failed
