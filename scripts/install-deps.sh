#!/usr/bin/env bash
# Installs the Debian packages of the named groups that are missing; a no-op (no apt-get update,
# no root needed) when all are present. `make deps` runs it with `build go`, `make test-deps` with
# `build go test`. Runs as root, or through sudo.
# Usage: scripts/install-deps.sh GROUP...   (groups: build, test, go)
set -euo pipefail

# build: compilers, the sanitizer and libFuzzer runtimes, llvm-symbolizer for readable sanitizer
# stacks, the allocators of --allocator, the four libraries, help2man for the man page,
# clang-format for format-check, ninja for the builds (CMake's Makefiles when it is absent).
build=(cmake ninja-build make g++ clang-14 libclang-rt-14-dev llvm-14 clang-format-14
       libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
       libcli11-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev python3
       help2man pkg-config dpkg-dev)
# test: the test jobs also render the HTML report in a real browser (chromium), read the man page
# (man-db) and parse the workflow files (python3-yaml).
test=(chromium man-db python3-yaml)
# go: the Go toolchain (Go 1.19 in bookworm) and the Go buffer pool that examples/go/bpool wraps,
# for the Go examples and their tests (GOPATH mode: Debian's Go libraries, no downloads).
go=(golang-go golang-github-oxtoacart-bpool-dev)

[ $# -gt 0 ] || { echo "usage: $0 GROUP... (build, test, go)" >&2; exit 2; }
wanted=()
for group in "$@"; do
  case $group in
    build) wanted+=("${build[@]}") ;;
    test) wanted+=("${test[@]}") ;;
    go) wanted+=("${go[@]}") ;;
    *) echo "install-deps: unknown group '$group' (build, test, go)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps ($*): all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps ($*): installing ${missing[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
