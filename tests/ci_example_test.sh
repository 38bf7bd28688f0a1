#!/bin/bash
# examples/ci/stress-my-pool.sh against the example plugins, with this tree's three builds
# standing in for the installed bpstress, bpstress-asan and bpstress-tsan: green on mutex_pool,
# red on buggy_pool (the contract's two-thread check and the stress runs catch its race).
# Run by `make test-ci-example` once build/{release,asan,tsan}/bpstress exist.
set -eu -o pipefail
cd "$(dirname "$0")/.."
export BPSTRESS=$PWD/build/release/bpstress BPSTRESS_ASAN=$PWD/build/asan/bpstress \
       BPSTRESS_TSAN=$PWD/build/tsan/bpstress BPSTRESS_CFLAGS=-I$PWD/include
out=build/ci-example
rm -rf $out
fail() { echo "ci_example_test: $*" >&2; exit 1; }

examples/ci/stress-my-pool.sh --duration 300ms --threads 4 --out $out/mutex \
  examples/plugins/mutex_pool.c || fail "red on the correct mutex_pool (see $out/mutex)"
grep -q 'failures="0"' $out/mutex/junit.xml || fail "mutex_pool: junit.xml records failures"
for f in report-plain.json report-asan.json report-tsan.json report.html; do
  [ -s $out/mutex/$f ] || fail "mutex_pool: no $f"
done
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' $out/mutex/junit.xml

if examples/ci/stress-my-pool.sh --duration 300ms --threads 4 --out $out/buggy \
     examples/plugins/buggy_pool.c; then
  fail "green on buggy_pool"
fi
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' $out/buggy/junit.xml
grep -q 'name="concurrent" time="0"><failure' $out/buggy/junit.xml ||
  fail "buggy_pool: the contract's concurrent check is not a failure in junit.xml"
echo "ci_example_test: green on mutex_pool, red on buggy_pool"
