#!/bin/bash -eu
# Builds every fuzz/*_fuzzer.cc into $OUT with the toolchain the fuzzing infrastructure provides:
# $CC, $CXX, $CFLAGS and $CXXFLAGS carry the sanitizer and coverage flags, $LIB_FUZZING_ENGINE the
# engine to link. Each target gets its seed corpus ($OUT/NAME_seed_corpus.zip) and, when there is
# one, its dictionary ($OUT/NAME.dict) and its libFuzzer options ($OUT/NAME.options).
#
# Locally, with clang-14 and libFuzzer:
#   SRC=$PWD/.. WORK=/tmp/cfl-work OUT=/tmp/cfl-out CC=clang-14 CXX=clang++-14 \
#   CFLAGS="-fsanitize=address,undefined,fuzzer-no-link -g -O1" CXXFLAGS="$CFLAGS" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer .clusterfuzzlite/build.sh
src="${BP_SRC:-$SRC/bpstress}"
build="$WORK/bpstress-build"

cmake -S "$src" -B "$build" \
  -DCMAKE_BUILD_TYPE=Fuzzing \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DBP_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DBP_TESTS=OFF -DBP_BENCH=OFF
targets=()
for f in "$src"/fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" .cc)"); done
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

mkdir -p "$OUT"
for name in "${targets[@]}"; do
  surface="${name%_fuzzer}"
  cp "$build/$name" "$OUT/"
  corpus=("$src/fuzz/corpus/$surface"/* "$src/fuzz/regressions/$surface"/*)
  files=()
  for c in "${corpus[@]}"; do [ -f "$c" ] && files+=("$c"); done
  rm -f "$OUT/${name}_seed_corpus.zip"
  if [ "${#files[@]}" -gt 0 ]; then
    python3 -m zipfile -c "$OUT/${name}_seed_corpus.zip" "${files[@]}"
  fi
  if [ -f "$src/fuzz/dict/$surface.dict" ]; then
    cp "$src/fuzz/dict/$surface.dict" "$OUT/$name.dict"
  fi
  if [ -f "$src/fuzz/options/$surface.options" ]; then
    cp "$src/fuzz/options/$surface.options" "$OUT/$name.options"
  fi
  echo "build.sh: $name (${#files[@]} seed inputs)"
done
