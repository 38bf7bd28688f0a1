# bpstress — build, run and test. Every target that builds first installs missing Debian
# packages (make deps: scripts/install-deps.sh), so `make run` and `make test` each work alone on
# a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := build/release/bpstress
REPORT ?= bpstress-report.json
# The main job: the GWS article's workload from 64 threads against every built-in pool.
RUN_ARGS ?= --threads 64 --dist random65k
include sanitizers/options.mk
FUZZ_SMOKE_SECONDS ?= 10
# The builds (CMakePresets.json) and what each builds: the fuzz tree only its fuzz targets.
FLAVOURS := release debug asan tsan fuzz
BUILD_TARGETS_fuzz := --target fuzzers
# The jobs of `make test`, in order; each prints one "== JOB: passed in Ns" line.
TEST_JOBS := test-release test-asan test-tsan test-ci-example fuzz-smoke format-check

.PHONY: all deps test-deps bin build $(FLAVOURS) run selftest test test-release test-asan test-tsan \
        test-go test-ci-example fuzz-smoke fuzz-run bench format format-check clean install \
        uninstall deb sanitizer-bins

all: build

deps:
	@scripts/install-deps.sh build go
test-deps:
	@scripts/install-deps.sh build go test

# One configure per preset, with Ninja when it is installed; cmake re-runs itself when
# CMakeLists.txt changes.
build/%/CMakeCache.txt: | deps
	cmake --preset $* $$(command -v ninja > /dev/null && echo -G Ninja) > /dev/null

# Each build says how long it took, and how much CPU (a busy machine stretches only the first).
build: release
$(FLAVOURS): %: deps build/%/CMakeCache.txt
	@TIMEFORMAT='== build $*: %0Rs (cpu %0Us user, %0Ss sys)'; \
	time cmake --build --preset $* -j $(JOBS) $(BUILD_TARGETS_$*)

# Just the tool (and its example plugins), not the test and benchmark binaries.
bin: deps build/release/CMakeCache.txt
	cmake --build --preset release -j $(JOBS) --target bpstress

run: bin
	$(BIN) $(RUN_ARGS) --report $(REPORT)
	$(BIN) verify $(REPORT)

selftest: bin
	$(BIN) selftest

# One test job per build: its ctest, which runs the unit tests, `bpstress selftest`, in the
# release build the Go examples' tests (cmake/go.cmake) and in the sanitizer builds the stress
# matrix (CMakeLists.txt), the long ones first so that both cores stay busy to the end.
test-release: release
test-asan: asan
test-tsan: tsan
test-release test-asan test-tsan:
	@start=$$SECONDS; \
	(cd build/$(@:test-%=%) && ctest --output-on-failure -j $(JOBS)); \
	echo "== $@: passed in $$(( SECONDS - start ))s"

# The Go examples alone: the tests labelled go in the release tree (cmake/go.cmake), when it has
# any (test-release runs them with the rest).
test-go: release
	@start=$$SECONDS; \
	if (cd build/release && ctest -N -L go | grep -q '^Total Tests: [1-9]'); then \
	  (cd build/release && ctest --output-on-failure -L go); \
	  echo "== test-go: passed in $$(( SECONDS - start ))s"; \
	else echo "== test-go: no Go tests in this tree"; fi

# Every fuzz target for a short bounded time on a copy of its corpus, with its options
# (fuzz/options/NAME.options: libFuzzer flags such as max_len, ASan settings), JOBS at a time.
fuzz-smoke: fuzz
	@start=$$SECONDS; fuzz/smoke.sh build/fuzz $(FUZZ_SMOKE_SECONDS) $(JOBS); \
	echo "== fuzz-smoke: passed in $$(( SECONDS - start ))s"

# A campaign: make fuzz-run TARGET=json_writer FUZZ_SECONDS=600 JOBS=2
TARGET ?= json_writer
FUZZ_SECONDS ?= 600
fuzz-run: fuzz
	@mkdir -p build/fuzz/campaign/$(TARGET) fuzz/crashes/$(TARGET)
	asan=$$(fuzz/options.sh $(TARGET) asan); ASAN_OPTIONS="$$asan$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}" \
	build/fuzz/$(TARGET)_fuzzer -fork=$(JOBS) -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    $$( [ -f fuzz/dict/$(TARGET).dict ] && echo -dict=fuzz/dict/$(TARGET).dict ) \
	    $$(fuzz/options.sh $(TARGET) libfuzzer) \
	    -artifact_prefix=fuzz/crashes/$(TARGET)/ build/fuzz/campaign/$(TARGET) fuzz/corpus/$(TARGET)
	build/fuzz/$(TARGET)_fuzzer -merge=1 fuzz/corpus/$(TARGET) build/fuzz/campaign/$(TARGET)

# The README's test command (and .ci/run): every job, one after the other.
test: test-deps
	@start=$$SECONDS; \
	for job in $(TEST_JOBS); do \
	  TIMEFORMAT="== $$job (with its build): %0Rs, cpu %0Us user %0Ss sys"; \
	  time $(MAKE) --no-print-directory $$job; \
	done; \
	echo "== make test: all jobs passed in $$(( SECONDS - start ))s"

# Where the three builds exist: the install test again (now with bpstress-asan and -tsan), and
# the users' CI script (examples/ci) green on a correct plugin and red on a buggy one.
test-ci-example: sanitizer-bins
	@start=$$SECONDS; \
	cmake --build --preset release -j $(JOBS) --target bp_tests mutex_pool buggy_pool; \
	build/release/bp_tests --gtest_filter='InstallTest.*'; \
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
