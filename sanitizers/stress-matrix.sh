#!/usr/bin/env bash
# The sanitizer stress matrix: every correct pool at 64 threads, two size distributions, with
# held buffers and cross-thread puts, each report then checked by `bpstress verify`. The ctest of a
# sanitizer build runs it one distribution a test (stress_matrix.random65k, stress_matrix.pow2).
# Usage: sanitizers/stress-matrix.sh BUILD_DIR [SECONDS [DIST...]]   (default: both distributions)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [SECONDS [DIST...]]" >&2; exit 2; }
build=$1
seconds=${2:-1}
shift $(( $# < 2 ? $# : 2 ))
dists=("$@")
[ ${#dists[@]} -gt 0 ] || dists=(random65k pow2:1:1M)
bin="$build/bpstress"
out="$build/stress-matrix"
mkdir -p "$out"
start=$SECONDS
failed=0
for dist in "${dists[@]}"; do
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
echo "stress-matrix ($build, ${dists[*]}): $(( SECONDS - start ))s, $([ $failed = 0 ] && echo passed || echo FAILED)"
exit $failed
