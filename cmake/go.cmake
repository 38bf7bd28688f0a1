# The Go examples (examples/go, built over the adapter in adapters/go) as ctest tests, in plain
# builds only: a Go plugin under bpstress-asan/-tsan would bring a second sanitizer runtime
# (the -race builds) or none that knows Go's memory. With a Go toolchain: the target go_examples
# (not part of `all`) builds every example into build/<preset>/go, and the tests
# go_examples.{build,gotest,contract,run,race} run tests/go_examples_test.sh, the build first
# (a fixture). Without one, a single test go_examples is reported skipped with the reason.
if(NOT BP_TESTS OR BP_FUZZ OR NOT BP_FUZZ_ENGINE STREQUAL "" OR NOT BP_SANITIZE STREQUAL "")
  return()
endif()
set(BP_GO_DIR ${CMAKE_BINARY_DIR}/go)
set(BP_GO_TEST ${CMAKE_SOURCE_DIR}/tests/go_examples_test.sh)
find_program(BP_GO_EXECUTABLE go)
if(NOT BP_GO_EXECUTABLE)
  add_test(NAME go_examples COMMAND ${BP_GO_TEST} build $<TARGET_FILE:bpstress> ${BP_GO_DIR})
  set_tests_properties(go_examples PROPERTIES SKIP_RETURN_CODE 77 LABELS go)
  return()
endif()

add_custom_target(go_examples
  COMMAND ${CMAKE_SOURCE_DIR}/examples/go/build.sh ${BP_GO_DIR} --race
  COMMENT "Building the Go examples into ${BP_GO_DIR}" USES_TERMINAL)
add_test(NAME go_examples.build COMMAND ${BP_GO_TEST} build $<TARGET_FILE:bpstress> ${BP_GO_DIR})
# The steps are a chain (the build, then each step in turn) of about a minute: COST starts it
# first in a parallel ctest run, beside the unit tests.
set_tests_properties(go_examples.build PROPERTIES FIXTURES_SETUP go_examples TIMEOUT 900 COST 2000
                                                  SKIP_RETURN_CODE 77 LABELS go)
foreach(step gotest contract run race)
  add_test(NAME go_examples.${step}
           COMMAND ${BP_GO_TEST} ${step} $<TARGET_FILE:bpstress> ${BP_GO_DIR})
  set_tests_properties(go_examples.${step} PROPERTIES FIXTURES_REQUIRED go_examples TIMEOUT 600
                                                      SKIP_RETURN_CODE 77 RESOURCE_LOCK go_examples
                                                      COST 1500 LABELS go)
endforeach()
