#!/bin/bash
# The README's baseline example, run for real: one baseline and RUNS more runs of the same binary
# with the same seed, each gated against the baseline (`verify --baseline --max-regression 15%`).
# On a quiet machine none may fail. Then a 2x slowdown derived from the baseline (every latency
# doubled, ops/s halved) must fail. Depends on the machine's load (run it on a quiet one); the
# unit test BaselineResolutionTest in tests/compare_test.cc checks the same without runs.
#
# Last, a real 2x slowdown: examples/plugins/work_pool.c at work=2000 as the baseline and at
# work=4000 (the same pool doing twice the work per get and put) with --repeat 3 on both sides
# must fail the default gate, and work=2000 against itself must pass.
#
# usage: tests/baseline_identical_runs.sh BPSTRESS [RUNS=20] [DURATION=5s]
# (libwork_pool.so is looked for next to BPSTRESS, as the build puts it)
set -u
bp=${1:?usage: $0 BPSTRESS [RUNS] [DURATION]}
runs=${2:-20}
duration=${3:-5s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run() { "$bp" --pool sized --duration "$duration" --seed 1 --progress never --report "$1" >/dev/null; }
run "$dir/main.json" || { echo "baseline run failed"; exit 2; }
failed=0
for i in $(seq 1 "$runs"); do
  run "$dir/new.json" || { echo "run $i failed"; exit 2; }
  if ! out=$("$bp" verify "$dir/new.json" --baseline "$dir/main.json" --max-regression 15%); then
    failed=$((failed + 1))
    echo "run $i: false failure:"
    grep '^FAIL' <<<"$out"
  fi
done
echo "identical runs: $failed of $runs failed the baseline gate"
python3 - "$dir/main.json" "$dir/slow.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for p in r["pools"]:
    for k in ("p50", "p90", "p99", "p99_9", "max", "mean"):
        p["latency_ns"][k] *= 2
    p["ops_per_s"] /= 2
json.dump(r, open(sys.argv[2], "w"))
PY
# The derived report no longer adds up (ops_per_s != ops / seconds): only the gate's lines count.
"$bp" verify "$dir/slow.json" --baseline "$dir/main.json" --max-regression 15% >"$dir/slow.out"
if ! grep -q "^FAIL.*ops_per_s fell" "$dir/slow.out" || ! grep -q "^FAIL.*latency p99 rose" "$dir/slow.out"; then
  echo "2x slowdown: PASSED the baseline gate (wrong)"
  exit 1
fi
echo "2x slowdown: failed the baseline gate as it must:"
grep -E '^FAIL.*(ops_per_s fell|latency p99 rose)' "$dir/slow.out"
plugin=$(dirname "$bp")/libwork_pool.so
if [ -f "$plugin" ]; then
  work() {
    "$bp" --plugin "$plugin:work=$1" --repeat 3 --duration 1s --profile bench --touch none \
      --checks none --seed 1 --progress never --report "$2" >/dev/null
  }
  work 2000 "$dir/w1.json" && work 2000 "$dir/w1b.json" && work 4000 "$dir/w2.json" ||
    { echo "work_pool runs failed"; exit 2; }
  if "$bp" verify "$dir/w1b.json" --baseline "$dir/w1.json" >"$dir/w.out"; then
    echo "work_pool work=2000 against itself: passed"
  else
    failed=$((failed + 1))
    echo "work_pool work=2000 against itself: false failure:"
    grep '^FAIL' "$dir/w.out"
  fi
  if "$bp" verify "$dir/w2.json" --baseline "$dir/w1.json" >"$dir/w.out"; then
    echo "work_pool work=4000 (2x work): PASSED the gate (wrong)"
    exit 1
  fi
  echo "work_pool work=4000 (2x work): failed the gate as it must:"
  grep '^FAIL' "$dir/w.out" | grep -v 'verify:'
fi
[ "$failed" -eq 0 ]
