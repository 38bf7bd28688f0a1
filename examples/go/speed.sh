#!/bin/bash
# The GWS pool through the adapter against the same pool's own Go benchmark, side by side:
#
#   examples/go/speed.sh BPSTRESS GODIR [ROUNDS]
#
# GODIR is what examples/go/build.sh built (libgws.so, gopath/, gocache/). Each round runs, back to
# back, `go test -bench GetPut -cpu 1,2` (examples/go/gws: Get+Put on random65k sizes, nothing
# written) and bpstress on libgws.so with the same sizes and nothing written or checked, at 1 and
# 2 threads, and prints ns per get+put both ways and their ratio, one line per round and thread
# count (default 3 rounds). On a shared machine only the ratios within one round mean something.
set -eu -o pipefail
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 BPSTRESS GODIR [ROUNDS]" >&2; exit 2; }
bpstress=$1 dir=$(cd "$2" && pwd) rounds=${3:-3}
export GOPATH="$dir/gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$dir/gocache"
unset GOFLAGS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$dir" && go test -c -o "$tmp/gws.test" bpstress/examples/gws)

for round in $(seq "$rounds"); do
  "$tmp/gws.test" -test.run '^$' -test.bench GetPut -test.cpu 1,2 -test.benchtime 2s > "$tmp/go.txt"
  for t in 1 2; do
    "$bpstress" --plugin "$dir/libgws.so" --dist random65k --touch none --checks none \
      --profile bench --threads $t --duration 3s --report "$tmp/bp$t.json" > /dev/null
  done
  python3 - "$round" "$tmp" << 'PY'
import json, re, sys
round_, tmp = sys.argv[1], sys.argv[2]
go = {}
for line in open(tmp + "/go.txt"):
    m = re.match(r"BenchmarkGetPut(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op", line)
    if m:
        go[int(m.group(1) or 1)] = float(m.group(2))
for t in (1, 2):
    p = json.load(open(f"{tmp}/bp{t}.json"))["pools"][0]
    ns = 1e9 / p["ops_per_s"]
    print(f"round {round_} threads {t}: bpstress {p['ops_per_s']/1e6:.3f}M ops/s {ns:.0f} ns/op "
          f"(p50 {p['latency_ns']['p50']} ns, outcome {p['outcome']}); go test -cpu {t}: "
          f"{go[t]:.1f} ns/op; ratio {ns / go[t]:.2f}x")
PY
done
