#!/bin/bash
# The Go examples (examples/go) through bpstress, one step per ctest test (cmake/go.cmake):
#
#   tests/go_examples_test.sh STEP BPSTRESS DIR
#
#   build     examples/go/build.sh DIR --race: libNAME.so and libNAME-race.so for each example
#   gotest    go vet and go test of the adapter and the examples (the GWS and Viki pools' own
#             tests); the README's example main built and through bpstress contract
#   contract  bpstress contract: the correct pools pass, the buggy one fails its concurrent check
#             (given 3 s to race)
#   run       the default run at 8 threads under GODEBUG=cgocheck=2: the correct pools pass
#             (exit 0, outcome ok, the cgo pointer checks quiet), the buggy one is caught (exit 1,
#             double hand-outs or corruption in the report)
#   race      the -race builds under this (release) bpstress: the correct pools stay clean, the
#             buggy one is a sanitizer finding with the race report's first lines in the report
#
# Exit 77 (skipped, with the reason on stdout) when there is no Go toolchain.
set -eu -o pipefail
[ $# -eq 3 ] || { echo "usage: $0 build|gotest|contract|run|race BPSTRESS DIR" >&2; exit 2; }
step=$1 bpstress=$2 dir=$3
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v go > /dev/null; then
  echo "go_examples_test: skipped: no Go toolchain (go) in PATH; install golang-go"
  exit 77
fi
correct="gws viki bpool"
buggy=buggy
fail() { echo "go_examples_test $step: $*" >&2; exit 1; }

# pool_field REPORT EXPR: a Python expression over the report's one pool `p` (and the report `r`).
pool_field() {
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); p = r["pools"][0]
print(eval(sys.argv[2]))' "$1" "$2"
}
# bad=double_handout + corruption of the report's pool
found() { pool_field "$1" 'p["violations"]["double_handout"] + p["violations"]["corruption"]'; }

# expect_exit CODE LOG COMMAND...: runs COMMAND with its output in LOG, checks its exit status.
expect_exit() {
  local want=$1 log=$2 rc=0
  shift 2
  "$@" > "$log" 2>&1 || rc=$?
  [ $rc -eq "$want" ] || { tail -30 "$log" >&2; fail "exit $rc, want $want: $* (log: $log)"; }
}

for name in $correct $buggy; do
  if [ $step != build ] && [ $step != gotest ] && [ ! -f "$dir/lib$name.so" ]; then
    fail "$dir/lib$name.so is missing: the build step (go_examples.build) did not run or failed"
  fi
done
logs=$dir/logs
mkdir -p "$logs"

case $step in
build)
  "$root/examples/go/build.sh" "$dir" --race
  ;;
gotest)
  export GOPATH="$dir/gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$dir/gocache"
  unset GOFLAGS
  [ -d "$dir/gopath/src/bpstress" ] || fail "$dir/gopath is missing: run the build step first"
  pkgs="bpstress/bpplugin bpstress/examples/gws bpstress/examples/viki"
  (cd "$dir" && go vet $pkgs bpstress/examples/buggy bpstress/examples/bpool) || fail "go vet"
  (cd "$dir" && go test -count=1 $pkgs) || fail "go test"
  (cd "$dir" && go test -race -count=1 bpstress/bpplugin) || fail "go test -race"
  # The README's example main, as printed, beside the pool it names: builds and passes the contract.
  readme=$dir/readme/mypool
  mkdir -p "$readme"
  cp "$root/adapters/go/testdata/mypool/pool.go" "$readme/"
  python3 - "$root/README.md" "$readme/main.go" << 'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## Stress a Go pool"):]
open(sys.argv[2], "w").write(re.search(r"```go\n(.*?)```", section, re.S).group(1))
PY
  (cd "$dir/readme" && go build -buildmode=c-shared -o "$dir/readme/libmypool.so" ./mypool) ||
    fail "the README's example does not build"
  expect_exit 0 "$logs/contract-readme.log" "$bpstress" contract \
    --plugin "$dir/readme/libmypool.so:size=32K"
  ;;
contract)
  for name in $correct; do
    expect_exit 0 "$logs/contract-$name.log" "$bpstress" contract --plugin "$dir/lib$name.so"
  done
  # The contract's threads are bpstress's own, so each call into Go is slow (a thread Go does not
  # know) and the race is hit about twice in three 0.5 s checks: 3 s makes a miss about 1 in 1000.
  expect_exit 1 "$logs/contract-$buggy.log" "$bpstress" contract --plugin "$dir/lib$buggy.so" \
    --race-time 3s
  grep -Eq '^fail +concurrent' "$logs/contract-$buggy.log" ||
    fail "buggy: the contract failed, but not its concurrent check (log: $logs/contract-$buggy.log)"
  ;;
run)
  export GODEBUG=cgocheck=2
  for name in $correct; do
    report=$dir/run-$name.json
    expect_exit 0 "$logs/run-$name.log" "$bpstress" --plugin "$dir/lib$name.so" --threads 8 \
      --duration 2s --report "$report"
    [ "$(pool_field "$report" 'p["outcome"]')" = ok ] || fail "$name: outcome is not ok"
    ! grep -q 'Go pointer' "$logs/run-$name.log" ||
      fail "$name: cgocheck=2 complained (log: $logs/run-$name.log)"
  done
  report=$dir/run-$buggy.json
  expect_exit 1 "$logs/run-$buggy.log" "$bpstress" --plugin "$dir/lib$buggy.so" --threads 8 \
    --duration 2s --report "$report"
  [ "$(found "$report")" -gt 0 ] || fail "buggy: no double hand-out or corruption in $report"
  ;;
race)
  export GORACE="halt_on_error=0"
  for name in $correct; do
    report=$dir/race-$name.json
    expect_exit 0 "$logs/race-$name.log" "$bpstress" --plugin "$dir/lib$name-race.so" \
      --threads 8 --duration 2s --report "$report"
    [ "$(pool_field "$report" 'p["outcome"]')" = ok ] || fail "$name -race: outcome is not ok"
  done
  report=$dir/race-$buggy.json
  expect_exit 1 "$logs/race-$buggy.log" "$bpstress" --plugin "$dir/lib$buggy-race.so" \
    --threads 8 --duration 2s --report "$report"
  [ "$(pool_field "$report" 'p["outcome"]')" = sanitizer ] || fail "buggy -race: not a sanitizer finding"
  tail=$(pool_field "$report" 'p["stderr_tail"]')
  grep -q 'WARNING: DATA RACE' <<< "$tail" ||
    fail "buggy -race: the race report is not in the report's stderr_tail"
  grep -q 'main.(\*StackPool)' <<< "$tail" ||
    fail "buggy -race: the race report's lines do not name the pool's code"
  echo "go_examples_test race: buggy: $(found "$report") double hand-outs or corruptions beside the race"
  ;;
*)
  fail "unknown step (build, gotest, contract, run, race)"
  ;;
esac
echo "go_examples_test $step: ok"
