# Deterministic scheduling (tool/sched/, `bpstress sched`): the runtime that plugins compiled with
# -fsanitize=thread call instead of ThreadSanitizer's, and a function that builds such a plugin.
#
# The runtime (tool/sched/runtime/: the __tsan_* hooks and the interposed blocking calls) goes into
# the bpstress executable only, exported with a dynamic list that names just those symbols, so a
# dlopened plugin binds to it. Sanitizer and fuzzing builds link a real sanitizer runtime that
# defines the same names; there the runtime is left out and `bpstress sched` says so.
if(BP_SANITIZE STREQUAL "" AND NOT BP_FUZZ AND BP_FUZZ_ENGINE STREQUAL "")
  file(GLOB BP_SCHED_RUNTIME CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tool/sched/runtime/*.cc)
  set(BP_SCHED_EXPORTS ${CMAKE_SOURCE_DIR}/tool/sched/runtime/exports.list)
  # The stubs let bpstress load a plugin built for the schedule fuzzer (not in the fuzzer).
  target_sources(bpstress PRIVATE ${BP_SCHED_RUNTIME} ${CMAKE_SOURCE_DIR}/tool/sched/sancov_stubs.cc)
  target_link_options(bpstress PRIVATE "LINKER:--dynamic-list=${BP_SCHED_EXPORTS}")
  set_property(TARGET bpstress APPEND PROPERTY LINK_DEPENDS ${BP_SCHED_EXPORTS})
endif()

# bp_sched_plugin(NAME SOURCE... [FUZZ]) comes from cmake/bpstressSched.cmake, the file that
# find_package(bpstress) also gives users; FUZZ adds libFuzzer's coverage (sched_fuzzer below).
include(${CMAKE_CURRENT_LIST_DIR}/bpstressSched.cmake)

# The example and test pools built for sched, in the builds that have the runtime (a sanitizer
# build's own -fsanitize flags cannot be combined with -fsanitize=thread anyway).
if(TARGET bpstress_plugin AND BP_SCHED_RUNTIME)
  bp_sched_plugin(aba_pool_sched ${CMAKE_SOURCE_DIR}/examples/plugins/aba_pool.c)
  bp_sched_plugin(mutex_pool_sched ${CMAKE_SOURCE_DIR}/examples/plugins/mutex_pool.c)
  bp_sched_plugin(caching_alloc_pool_sched
                  ${CMAKE_SOURCE_DIR}/examples/plugins/caching_alloc_pool.c)
  # Test pools (tests/sched_test.cc): correct ones that use every blocking call the scheduler
  # models (C, and C++20 atomic wait), and one with a lock-order deadlock.
  bp_sched_plugin(blocking_pool_sched ${CMAKE_SOURCE_DIR}/tool/sched/testdata/blocking_pool.c)
  bp_sched_plugin(futex_pool_sched ${CMAKE_SOURCE_DIR}/tool/sched/testdata/futex_pool.cc)
  bp_sched_plugin(lock_order_pool_sched ${CMAKE_SOURCE_DIR}/tool/sched/testdata/lock_order_pool.c)
  # The built-in faulty pools as plugins (`bpstress selftest` runs sched on them).
  bp_sched_plugin(faulty_aba_sched ${CMAKE_SOURCE_DIR}/tool/sched/testdata/faulty_aba_plugin.cc)
  bp_sched_plugin(faulty_race_sched ${CMAKE_SOURCE_DIR}/tool/sched/testdata/faulty_race_plugin.cc
                  ${CMAKE_SOURCE_DIR}/pool/buffer.cc)
  foreach(faulty faulty_aba_sched faulty_race_sched)
    target_include_directories(${faulty} PRIVATE ${CMAKE_SOURCE_DIR})
  endforeach()
  list(APPEND BP_PLUGIN_TARGETS aba_pool_sched mutex_pool_sched caching_alloc_pool_sched
       blocking_pool_sched futex_pool_sched lock_order_pool_sched faulty_aba_sched
       faulty_race_sched)
  # selftest looks for them next to the binary.
  add_dependencies(bpstress faulty_aba_sched faulty_race_sched)
endif()

# The schedule fuzzer (fuzz/sched/sched_fuzzer.cc): libFuzzer drives the workload and the switches
# of one plugin built with bp_sched_plugin(... FUZZ). It needs the scheduling runtime, so not a
# sanitizer build (the fuzz preset is ASan), and libFuzzer, so clang: a build configured with
# clang and no sanitizers, e.g.
#   cmake -S . -B build/schedfuzz -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
#   cmake --build build/schedfuzz --target sched_fuzzer aba_pool_sched_fuzz
# Only the plugin carries coverage instrumentation, plus the fuzzer's interleaving counters: the
# scheduler's own code would only add noise. -rdynamic: the plugin binds to the hooks and to
# libFuzzer's coverage callbacks in the executable.
if(BP_SCHED_RUNTIME AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_executable(
    sched_fuzzer
    ${CMAKE_SOURCE_DIR}/fuzz/sched/sched_fuzzer.cc ${CMAKE_SOURCE_DIR}/tool/sched/scheduler.cc
    ${CMAKE_SOURCE_DIR}/tool/sched/harness.cc ${CMAKE_SOURCE_DIR}/tool/sched/schedule.cc
    ${BP_SCHED_RUNTIME})
  target_include_directories(sched_fuzzer PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(sched_fuzzer PRIVATE nlohmann_json::nlohmann_json Threads::Threads
                                             ${CMAKE_DL_LIBS})
  target_link_options(sched_fuzzer PRIVATE -fsanitize=fuzzer -rdynamic)
  bp_warnings(sched_fuzzer)
  bp_sched_plugin(aba_pool_sched_fuzz ${CMAKE_SOURCE_DIR}/examples/plugins/aba_pool.c FUZZ)
  # The target of the fuzzer: the ABA example within 100,000 executions, a crash file, and a
  # schedule file next to it that `bpstress replay` runs to the same finding (exit 1).
  set(dir ${CMAKE_BINARY_DIR}/sched_fuzzer_test)
  add_test(NAME sched_fuzzer.finds_aba
           COMMAND sh -c "rm -rf '${dir}' && mkdir -p '${dir}/corpus' && \
BP_SCHED_PLUGIN='$<TARGET_FILE:aba_pool_sched_fuzz>' '$<TARGET_FILE:sched_fuzzer>' -seed=1 \
-runs=100000 -artifact_prefix='${dir}/' '${dir}/corpus' 2>'${dir}/log'; \
ls '${dir}'/crash-* && f=$(ls '${dir}'/sched-*.json) && grep -q double_handout \"$f\" && \
{ '$<TARGET_FILE:bpstress>' replay \"$f\"; test $? -eq 1; }")
  set_tests_properties(sched_fuzzer.finds_aba PROPERTIES TIMEOUT 600)
endif()
