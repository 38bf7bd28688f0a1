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
  target_sources(bpstress PRIVATE ${BP_SCHED_RUNTIME})
  target_link_options(bpstress PRIVATE "LINKER:--dynamic-list=${BP_SCHED_EXPORTS}")
  set_property(TARGET bpstress APPEND PROPERTY LINK_DEPENDS ${BP_SCHED_EXPORTS})
endif()

# bp_sched_plugin(NAME SOURCE): a plugin module for `bpstress sched`, compiled with
# -fsanitize=thread (every atomic and memory access calls a __tsan_ hook) but linked without the
# ThreadSanitizer runtime: bpstress resolves the hooks when it loads the plugin. -g lets
# `bpstress replay` name the source line of each step.
function(bp_sched_plugin name src)
  add_library(${name} MODULE ${src})
  target_compile_options(${name} PRIVATE -fsanitize=thread -g)
  set_target_properties(${name} PROPERTIES C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden)
  target_link_libraries(${name} PRIVATE bpstress_plugin Threads::Threads)
endfunction()

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
  list(APPEND BP_PLUGIN_TARGETS aba_pool_sched mutex_pool_sched caching_alloc_pool_sched
       blocking_pool_sched futex_pool_sched lock_order_pool_sched)
endif()
