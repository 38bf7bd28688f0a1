# bpstress — build, run and test. Every target that builds first installs missing Debian
# packages (make deps), so `make run` and `make test` each work alone on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Everything the builds need, all from Debian: compilers, sanitizer and libFuzzer runtimes,
# llvm-symbolizer for readable sanitizer stacks, the allocators of --allocator, the four
# libraries, clang-format for CI.
DEPS := cmake make g++ clang-14 libclang-rt-14-dev llvm-14 clang-format-14 \
        libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 \
        libcli11-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev python3 \
        help2man pkg-config dpkg-dev
# The test jobs also render the HTML report in a real browser, read the man page (man-db) and
# parse the workflow files (python3-yaml).
TEST_DEPS := chromium man-db python3-yaml
BIN := build/release/bpstress
REPORT ?= bpstress-report.json
# The main job: the GWS article's workload from 64 threads against every built-in pool.
RUN_ARGS ?= --threads 64 --dist random65k
include sanitizers/options.mk
FUZZ_SMOKE_SECONDS ?= 10

.PHONY: all deps bin build release debug asan tsan fuzz run test test-release test-asan test-tsan \
        fuzz-smoke fuzz-run selftest test-deps bench format format-check clean \
        install uninstall deb sanitizer-bins test-ci-example

all: build

define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: all packages present"; fi
endef

deps:
	$(call install_missing,$(DEPS))

test-deps: deps
	$(call install_missing,$(TEST_DEPS))

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

# Just the tool (and its example plugins), not the test and benchmark binaries.
bin: deps build/release/CMakeCache.txt
	cmake --build --preset release -j $(JOBS) --target bpstress

run: bin
	$(BIN) $(RUN_ARGS) --report $(REPORT)
	@if $(BIN) verify --help > /dev/null 2>&1; then \
	  echo "make run: verifying $(REPORT)"; $(BIN) verify $(REPORT); fi

selftest: bin
	$(BIN) selftest

# Each test job prints one summary line; `make test` runs them all (the README's test command).
test-release: build
	@start=$$SECONDS; \
	(cd build/release && ctest --output-on-failure -j $(JOBS)); \
	build/release/bpstress selftest; \
	echo "== test-release: passed in $$(( SECONDS - start ))s"

test-asan: asan
	@start=$$SECONDS; \
	(cd build/asan && ctest --output-on-failure -j $(JOBS)); \
	build/asan/bpstress selftest; \
	sanitizers/stress-matrix.sh build/asan 1; \
	echo "== test-asan: passed in $$(( SECONDS - start ))s"

test-tsan: tsan
	@start=$$SECONDS; \
	(cd build/tsan && ctest --output-on-failure -j $(JOBS)); \
	build/tsan/bpstress selftest; \
	sanitizers/stress-matrix.sh build/tsan 1; \
	echo "== test-tsan: passed in $$(( SECONDS - start ))s"

# Every fuzz target for a short bounded time on a copy of its corpus, with its options
# (fuzz/options/NAME.options: libFuzzer flags such as max_len, ASan settings).
fuzz-smoke: fuzz
	@start=$$SECONDS; \
	for f in build/fuzz/*_fuzzer; do \
	  [ -x "$$f" ] || continue; n=$$(basename $$f _fuzzer); \
	  work=build/fuzz/smoke/$$n; rm -rf $$work; mkdir -p $$work; \
	  cp -r fuzz/corpus/$$n/. $$work/ 2>/dev/null || true; \
	  dict=""; [ -f fuzz/dict/$$n.dict ] && dict="-dict=fuzz/dict/$$n.dict"; \
	  opts=$$(fuzz/options.sh $$n libfuzzer); asan=$$(fuzz/options.sh $$n asan); \
	  ASAN_OPTIONS="$$asan$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
	  $$f -max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=10 -rss_limit_mb=2048 $$dict $$opts \
	      -artifact_prefix=build/fuzz/smoke/$$n- $$work > build/fuzz/smoke/$$n.log 2>&1 \
	    || { tail -40 build/fuzz/smoke/$$n.log; echo "fuzz-smoke: $$n FAILED"; exit 1; }; \
	  echo "fuzz-smoke: $$n ok ($$(grep -c . $$work/* 2>/dev/null | wc -l) inputs)"; \
	done; \
	echo "== fuzz-smoke: passed in $$(( SECONDS - start ))s"

# A campaign: make fuzz-run TARGET=json_writer SECONDS=600 JOBS=2
TARGET ?= json_writer
SECONDS ?= 600
fuzz-run: fuzz
	@mkdir -p build/fuzz/campaign/$(TARGET) fuzz/crashes/$(TARGET)
	asan=$$(fuzz/options.sh $(TARGET) asan); ASAN_OPTIONS="$$asan$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
	build/fuzz/$(TARGET)_fuzzer -fork=$(JOBS) -max_total_time=$(SECONDS) -timeout=10 \
	    $$( [ -f fuzz/dict/$(TARGET).dict ] && echo -dict=fuzz/dict/$(TARGET).dict ) \
	    $$(fuzz/options.sh $(TARGET) libfuzzer) \
	    -artifact_prefix=fuzz/crashes/$(TARGET)/ build/fuzz/campaign/$(TARGET) fuzz/corpus/$(TARGET)
	build/fuzz/$(TARGET)_fuzzer -merge=1 fuzz/corpus/$(TARGET) build/fuzz/campaign/$(TARGET)

test: test-deps
	@start=$$SECONDS; \
	$(MAKE) --no-print-directory test-release; \
	$(MAKE) --no-print-directory test-asan; \
	$(MAKE) --no-print-directory test-tsan; \
	$(MAKE) --no-print-directory test-ci-example; \
	$(MAKE) --no-print-directory fuzz-smoke; \
	$(MAKE) --no-print-directory format-check; \
	echo "== make test: all jobs passed in $$(( SECONDS - start ))s"

# Where the three builds exist: the install test again (now with bpstress-asan and -tsan), and
# the users' CI script (examples/ci) green on a correct plugin and red on a buggy one.
test-ci-example: sanitizer-bins
	@start=$$SECONDS; \
	cmake --build --preset release -j $(JOBS) --target install_test mutex_pool buggy_pool; \
	build/release/install_test; \
	tests/ci_example_test.sh; \
	echo "== test-ci-example: passed in $$(( SECONDS - start ))s"

.PHONY: go-examples  # the Go examples (examples/go) as plugins: build/go/lib<name>.so and -race.so
go-examples:
	examples/go/build.sh build/go --race

# --- install: PREFIX=/usr/local; the sanitizer builds are installed as bpstress-asan/-tsan ---
PREFIX ?= /usr/local
SUDO_PREFIX = $(shell mkdir -p $(PREFIX) 2>/dev/null; [ -w $(PREFIX) ] || echo $(SUDO))
sanitizer-bins: deps build/release/CMakeCache.txt build/asan/CMakeCache.txt build/tsan/CMakeCache.txt
	cmake --build --preset release -j $(JOBS) --target bpstress bpstress_man
	cmake --build --preset asan -j $(JOBS) --target bpstress
	cmake --build --preset tsan -j $(JOBS) --target bpstress

install: sanitizer-bins
	$(SUDO_PREFIX) cmake --install build/release --prefix $(PREFIX)

uninstall:
	@[ -f build/release/install_manifest.txt ] || { echo "make uninstall: nothing installed"; exit 0; }; \
	xargs -d '\n' $(SUDO_PREFIX) rm -f < build/release/install_manifest.txt; \
	echo "make uninstall: removed $$(wc -l < build/release/install_manifest.txt) files"

# The Debian package: build/deb/bpstress_VERSION_ARCH.deb (apt-get install ./build/deb/bpstress_*.deb).
deb: sanitizer-bins
	@mkdir -p build/deb; rm -f build/deb/bpstress_*.deb
	cd build/release && cpack -G DEB -B $(CURDIR)/build/deb > $(CURDIR)/build/deb/cpack.log
	@ls -l build/deb/bpstress_*.deb

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
