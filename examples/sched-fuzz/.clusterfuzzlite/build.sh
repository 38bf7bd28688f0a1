#!/bin/bash -eu
# Schedule fuzzing of your own pool on ClusterFuzzLite: copy this .clusterfuzzlite/ directory into
# your pool's repository and set POOL_SOURCES (and POOL_NAME) below or in the Dockerfile. It builds
#   $OUT/${POOL_NAME}_sched_fuzzer             bpstress's schedule fuzzer (fuzz/sched/)
#   $OUT/${POOL_NAME}_sched_fuzzer_plugin.so   your pool, instrumented for the scheduler; the
#                                              fuzzer loads the file named after it
# A crash file replays on your machine: build the fuzzer and your pool there (bp_sched_plugin(NAME
# SRC FUZZ) after find_package(bpstress), sched_fuzzer from the bpstress sources), run
#   BP_SCHED_PLUGIN=./libNAME.so ./sched_fuzzer crash-...
# which writes sched-*.json, a schedule file, and `bpstress replay sched-*.json`. (The plugin
# built here calls UBSan's handlers, which only the fuzzer provides.)
#
# The scheduler provides the __tsan_ hooks itself, so no AddressSanitizer or MemorySanitizer
# (project.yaml asks for UndefinedBehaviorSanitizer); the coverage flags are kept.
bpstress="${BP_SRC:-$SRC/bpstress}"
pool_sources="${POOL_SOURCES:-$SRC/mypool/mypool.c}"
name="${POOL_NAME:-mypool}"

# $CFLAGS without address or memory in any -fsanitize= list.
strip_asan() {
  local out=() f list
  for f in $1; do
    if [[ "$f" == -fsanitize=* ]]; then
      list=$(echo "${f#-fsanitize=}" | tr ',' '\n' | grep -vxE 'address|memory' | paste -sd, -)
      [ -n "$list" ] && out+=("-fsanitize=$list")
    else
      out+=("$f")
    fi
  done
  echo "${out[@]}"
}
cflags="$(strip_asan "$CFLAGS")"
cxxflags="$(strip_asan "$CXXFLAGS")"
# The scheduler's seeded generators and the fuzzer's hashes wrap on purpose.
bp_flags="-fno-sanitize=unsigned-integer-overflow -Wno-error"

build="$WORK/bpstress-sched"
cmake -S "$bpstress" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$cflags $bp_flags" -DCMAKE_CXX_FLAGS="$cxxflags $bp_flags" \
  -DBP_TESTS=OFF -DBP_BENCH=OFF
cmake --build "$build" -j "$(nproc)" --target sched_fuzzer
cp "$build/sched_fuzzer" "$OUT/${name}_sched_fuzzer"

# The pool: compiled with -fsanitize=thread (the hooks) but linked without its runtime.
objs=()
for src in $pool_sources; do
  obj="$WORK/$(basename "$src").o"
  case "$src" in
    *.c) $CC $cflags -fsanitize=thread -g -fPIC -I"$bpstress/include" -c "$src" -o "$obj" ;;
    *) $CXX $cxxflags -fsanitize=thread -g -fPIC -I"$bpstress/include" -c "$src" -o "$obj" ;;
  esac
  objs+=("$obj")
done
$CXX -shared -o "$OUT/${name}_sched_fuzzer_plugin.so" "${objs[@]}" -lpthread
echo "build.sh: $OUT/${name}_sched_fuzzer with $OUT/${name}_sched_fuzzer_plugin.so"
