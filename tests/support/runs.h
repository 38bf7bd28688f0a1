// In-process runs of a built-in pool for the runner's tests: short bounded options, and a run of
// a pool and a distribution given by their specs.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "pool/registry.h"
#include "tests/support/cli.h"
#include "tool/run/run_spec.h"

namespace bp::testing {

// `threads` workers doing `ops` ops each from `seed`, with a watchdog far beyond what they need.
inline RunOptions ShortOptions(unsigned threads, uint64_t ops, uint64_t seed) {
  RunOptions o;
  o.threads = threads;
  o.ops_per_thread = ops;
  o.seed = seed;
  o.deadline = std::chrono::seconds(120);
  return o;
}

// Runs the built-in pool of the spec `pool` on the distribution `dist`; specs the test knows to
// be valid (a bad one fails the test, naming why).
inline PoolRun RunNamed(std::string_view pool, const RunOptions& o,
                        std::string_view dist = "random65k") {
  std::string error;
  auto spec = ParsePoolSpec(pool, &error);
  EXPECT_TRUE(spec.has_value()) << pool << ": " << error;
  return RunSpec(*spec, Dist(dist), o);
}

}  // namespace bp::testing
