# bpstress — build, run and test. Every target that builds first installs missing Debian
# packages (make deps), so `make run` and `make test` each work alone on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Everything the builds need, all from Debian: compilers, sanitizer and libFuzzer runtimes,
# llvm-symbolizer for readable sanitizer stacks, the four libraries, clang-format for CI.
DEPS := cmake make g++ clang-14 libclang-rt-14-dev llvm-14 clang-format-14 \
        libcli11-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev python3
BIN := build/release/bpstress
REPORT ?= bpstress-report.json
# The main job: the GWS article's workload from 64 threads against every built-in pool.
RUN_ARGS ?= --threads 64 --dist random65k

.PHONY: all deps build release debug asan tsan fuzz run test test-release test-asan test-tsan \
        bench format format-check clean

all: build

deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all packages present"; fi

# One configure+build per preset; cmake re-runs itself when CMakeLists.txt changes.
build/%/CMakeCache.txt: | deps
	cmake --preset $* > /dev/null

build release: deps build/release/CMakeCache.txt
	cmake --build --preset release -j $(JOBS)
debug: deps build/debug/CMakeCache.txt
	cmake --build --preset debug -j $(JOBS)
asan: deps build/asan/CMakeCache.txt
	cmake --build --preset asan -j $(JOBS)
tsan: deps build/tsan/CMakeCache.txt
	cmake --build --preset tsan -j $(JOBS)
fuzz: deps build/fuzz/CMakeCache.txt
	cmake --build --preset fuzz -j $(JOBS)

run: build
	$(BIN) $(RUN_ARGS) --report $(REPORT)

test-release: build
	cd build/release && ctest --output-on-failure -j $(JOBS)

test: test-release format-check

bench: build
	@mkdir -p build/bench-results
	@for b in build/release/*_bench; do \
	  [ -x "$$b" ] || continue; n=$$(basename $$b); \
	  echo "== $$n"; $$b --benchmark_out=build/bench-results/$$n.json --benchmark_out_format=json; \
	done

FORMAT_FILES = $(shell git ls-files '*.h' '*.cc' '*.c' 2>/dev/null)
format:
	clang-format-14 -i $(FORMAT_FILES)
format-check: deps
	@clang-format-14 --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

clean:
	rm -rf build
