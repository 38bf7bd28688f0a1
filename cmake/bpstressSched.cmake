# bp_sched_plugin(NAME SOURCE... [FUZZ]): a plugin module for `bpstress sched`, compiled with
# -fsanitize=thread (every atomic and memory access calls a __tsan_ hook) but linked without the
# ThreadSanitizer runtime: bpstress resolves the hooks when it loads the plugin. -g lets
# `bpstress replay` name the source line of each step. FUZZ (clang) adds libFuzzer's coverage
# (-fsanitize=fuzzer-no-link) for the schedule fuzzer, which provides its callbacks.
#
# Part of the installed CMake package: after find_package(bpstress),
#   bp_sched_plugin(mypool_sched mypool.c)
# builds a user's pool for `bpstress sched` (clang, or GCC: compile with the flag, link without).
function(bp_sched_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 BP_SCHED "FUZZ" "" "")
  add_library(${name} MODULE ${BP_SCHED_UNPARSED_ARGUMENTS})
  target_compile_options(${name} PRIVATE -fsanitize=thread -g)
  if(BP_SCHED_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  set_target_properties(${name} PROPERTIES C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden)
  if(TARGET bpstress_plugin)
    target_link_libraries(${name} PRIVATE bpstress_plugin)
  else()
    target_link_libraries(${name} PRIVATE bpstress::plugin)
  endif()
  if(NOT TARGET Threads::Threads)
    find_package(Threads REQUIRED)
  endif()
  target_link_libraries(${name} PRIVATE Threads::Threads)
endfunction()
