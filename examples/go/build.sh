#!/bin/bash
# Builds every Go example (examples/go/NAME/main.go) into OUTDIR as libNAME.so, and with --race
# also as libNAME-race.so (Go's race detector compiled in), with `go build -buildmode=c-shared`.
#
#   examples/go/build.sh OUTDIR [--race]
#
# Offline, in GOPATH mode (GO111MODULE=off): OUTDIR/gopath/src/bpstress links the adapter
# (bpstress/bpplugin) and the examples (bpstress/examples/NAME); Debian's Go libraries come from
# /usr/share/gocode (golang-github-oxtoacart-bpool-dev for the bpool example). The build cache is
# OUTDIR/gocache.
#
# A race build is linked to load at 128 MiB (-Ttext-segment; the loader takes the address as a
# hint). Go's race runtime places the shadow of a memory range by a formula made for the addresses
# of a Go executable and the Go heap: for a shared object at the usual 0x7f... addresses the shadow
# falls beyond the user address space and the runtime stops at start ("ThreadSanitizer failed to
# allocate ... bytes at address ...").
#
# Exit 0 when every example built, 1 when one did not, 2 on bad arguments, and 77 (a skip, for the
# tests) when there is no Go toolchain or a package an example needs is absent.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR [--race]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
race=0
if [ $# -eq 2 ]; then [ "$2" = --race ] || usage; race=1; fi

if ! command -v go > /dev/null; then
  echo "go-examples: skipped: no Go toolchain (go) in PATH; install golang-go" >&2
  exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ ! -d /usr/share/gocode/src/github.com/oxtoacart/bpool ]; then
  echo "go-examples: skipped: /usr/share/gocode/src/github.com/oxtoacart/bpool is missing;" \
       "install golang-github-oxtoacart-bpool-dev" >&2
  exit 77
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
mkdir -p "$out/gopath/src/bpstress"
ln -sfn "$root/adapters/go" "$out/gopath/src/bpstress/bpplugin"
ln -sfn "$here" "$out/gopath/src/bpstress/examples"
unset GOFLAGS GOROOT
export GOPATH="$out/gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$out/gocache"
export CGO_ENABLED=1 GOTOOLCHAIN=local

race_base=0x8000000
status=0
for dir in "$here"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/main.go" ] || continue
  for flavour in plain race; do
    [ $flavour = race ] && [ $race = 0 ] && continue
    lib="$out/lib$name.so"
    flags=()
    if [ $flavour = race ]; then
      lib="$out/lib$name-race.so"
      flags=(-race "-ldflags=-extldflags=-Wl,-Ttext-segment=$race_base")
    fi
    if go build "${flags[@]}" -buildmode=c-shared -o "$lib" "bpstress/examples/$name"; then
      rm -f "${lib%.so}.h"  # the header c-shared writes: the plugin's interface is plugin_abi.h
      echo "go-examples: built $lib"
    else
      echo "go-examples: FAILED to build $lib" >&2
      status=1
    fi
  done
done
exit $status
