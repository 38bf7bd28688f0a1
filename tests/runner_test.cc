// The runner's detectors against planted bugs (pool/faulty/), and silence on correct pools.
// Sanitizer builds run these too: the runner's threads and detectors on every pool.
#include "tool/run/runner.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>
#include <variant>

#include "build_info.h"
#include "pool/registry.h"
#include "tests/support/cli.h"
#include "tests/support/runs.h"
#include "tool/run/run_spec.h"

namespace bp {
namespace {

using bp::testing::Dist;

using bp::testing::RunNamed;

RunOptions Short(unsigned threads, uint64_t ops) {
  return bp::testing::ShortOptions(threads, ops, 1234);
}

struct Planted {
  const char* pool;
  Violation expected;
  // Two holders of one buffer write its bytes at once: a data race by construction, which
  // ThreadSanitizer reports before the runner's detector can. Under TSan the selftest runs
  // these pools in a child with TSan's reports off; here they are skipped.
  bool races_on_bytes;
};

void PrintTo(const Planted& p, std::ostream* os) { *os << p.pool; }

class DetectsPlantedBug : public ::testing::TestWithParam<Planted> {};

TEST_P(DetectsPlantedBug, CountIsPositive) {
  const Planted& p = GetParam();
  if (p.races_on_bytes && build::kThreadSanitizer) {
    GTEST_SKIP() << p.pool << " races on buffer bytes by design; covered by bpstress selftest";
  }
  RunOptions o = Short(8, 4000);
  o.hold = 2;
  const PoolRun run = RunNamed(p.pool, o, "uniform:1:16K");
  EXPECT_GT(run.total.violations.count(p.expected), 0u)
      << p.pool << " should be caught as " << kViolationNames[static_cast<size_t>(p.expected)];
  EXPECT_EQ(run.outcome, Outcome::kViolations);
  // Examples say where: thread and op within the run.
  ASSERT_GT(run.total.violations.num_examples(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    FaultyPools, DetectsPlantedBug,
    ::testing::Values(Planted{"faulty:double-handout", Violation::kDoubleHandout, true},
                      Planted{"faulty:short-capacity", Violation::kShortCapacity, false},
                      Planted{"faulty:scribble", Violation::kCorruption, true},
                      Planted{"faulty:stale", Violation::kNotEmpty, false},
                      Planted{"faulty:leak", Violation::kLeak, false}),
    [](const auto& info) {
      std::string name = info.param.pool + 7;  // after "faulty:"
      for (char& c : name) c = c == '-' ? '_' : c;
      return name;
    });

class CorrectPool : public ::testing::TestWithParam<const char*> {};

TEST_P(CorrectPool, NoViolationsFromSixtyFourThreads) {
  RunOptions o = Short(64, 300);
  o.hold = 4;
  // The null pool (the harness floor) supports no cross-thread puts.
  const bool cross = std::string_view(GetParam()) != "null";
  o.cross_thread = cross ? 0.25 : 0;
  const PoolRun run = RunNamed(GetParam(), o);
  EXPECT_EQ(run.total.violations.failures(), 0u);
  EXPECT_EQ(run.outcome, Outcome::kOk);
  EXPECT_EQ(run.total.ops, 64u * 300u);
  EXPECT_EQ(run.total.gets, run.total.puts);
  EXPECT_EQ(run.outstanding, 0u);
  if (cross) {
    EXPECT_GT(run.total.handoffs, 0u);
  }
  // The pool's own counters agree with what the runner saw.
  EXPECT_EQ(run.stats.gets, run.total.gets);
  EXPECT_EQ(run.stats.puts, run.total.puts);
  EXPECT_EQ(run.stats.hits + run.stats.misses, run.stats.gets);
}

INSTANTIATE_TEST_SUITE_P(Builtins, CorrectPool,
                         ::testing::Values("sized", "fixed:count=16,capacity=64K", "sync", "naive",
                                           "malloc", "null"));

TEST(Runner, FixedPoolTruncationIsCountedNotFailed) {
  const PoolRun run = RunNamed("fixed:count=4,capacity=1K", Short(2, 2000), "uniform:512:4K");
  EXPECT_GT(run.total.violations.count(Violation::kTruncated), 0u);
  EXPECT_EQ(run.total.violations.failures(), 0u);
  EXPECT_EQ(run.outcome, Outcome::kOk);
}

TEST(Runner, ChecksNoneFindsNothingButCountsEverything) {
  RunOptions o = Short(4, 1000);
  o.checks = CheckLevel::kNone;
  const PoolRun run = RunNamed("faulty:short-capacity", o);
  EXPECT_EQ(run.total.violations.failures(), 0u);  // nothing checked, nothing found
  EXPECT_EQ(run.total.gets, 4000u);
}

TEST(Runner, CapacityHistogramAndBytesAddUp) {
  const PoolRun run = RunNamed("sized:min=64,max=64K", Short(2, 5000), "uniform:1:64K");
  uint64_t hist = 0;
  for (uint64_t c : run.total.capacity_log2) hist += c;
  EXPECT_EQ(hist, run.total.gets);
  EXPECT_GE(run.total.bytes_capacity, run.total.bytes_requested);
  // Power-of-two classes from 64 to 64K: nothing outside buckets 6..16.
  for (size_t i = 0; i < run.total.capacity_log2.size(); ++i) {
    if (i < 6 || i > 16) {
      EXPECT_EQ(run.total.capacity_log2[i], 0u) << i;
    }
  }
  EXPECT_GT(run.total.latency.Count(), 0u);
}

TEST(Runner, DurationStopsTheRun) {
  RunOptions o;
  o.threads = 2;
  o.duration = std::chrono::milliseconds(200);
  o.deadline = std::chrono::seconds(60);
  const PoolRun run = RunNamed("sized", o);
  EXPECT_EQ(run.stop_reason, StopReason::kDuration);
  EXPECT_GE(run.seconds, 0.19);
  EXPECT_LT(run.seconds, 30.0);
  EXPECT_GT(run.total.ops, 0u);
}

}  // namespace
}  // namespace bp
