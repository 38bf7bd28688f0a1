// faulty:round32, the GWS pool's 32-bit rounding, is caught as short_capacity by --dist edges at
// the first size it gets wrong (2^31 + 1), and is correct below 2 GiB. Plain builds only: the
// sizes are gigabytes, whose shadow a sanitizer build pays for while the logic is the same in
// every build (selftest runs faulty:round32 in each).
#include <gtest/gtest.h>

#include <cstdint>

#include "pool/faulty/round32_pool.h"
#include "tests/support/runs.h"

namespace bp {
namespace {

using bp::testing::RunNamed;

RunOptions Ends(unsigned threads, uint64_t ops) {
  RunOptions o = bp::testing::ShortOptions(threads, ops, 77);
  o.touch = Touch::kEnds;
  return o;
}

TEST(Round32Test, TheThirtyTwoBitRoundingIsShortCapacityAtEdgeSizes) {
  EXPECT_EQ(Round32Pool::BinaryCeil(5000), 8192u);
  EXPECT_EQ(Round32Pool::BinaryCeil((1u << 31) + 1), 0u);  // the wrap the pool inherits
  // edges:3G ends with 2^31 + 1, the first size the rounding gets wrong; its 93 sizes twice.
  const PoolRun run = RunNamed("faulty:round32", Ends(1, 186), "edges:3G");
  const Violations& v = run.total.violations;
  EXPECT_EQ(v.count(Violation::kShortCapacity), 2u);  // 2^31 + 1, once in each of two passes
  EXPECT_EQ(v.failures(), v.count(Violation::kShortCapacity));
  ASSERT_GT(v.num_examples(), 0u);
  EXPECT_EQ(v.example(0).size, (uint64_t{1} << 31) + 1);
  EXPECT_EQ(v.example(0).capacity, Round32Pool::kBegin);
  // Below 2 GiB the same pool is correct.
  EXPECT_EQ(RunNamed("faulty:round32", Ends(1, 200), "edges:1G").total.violations.failures(), 0u);
}

}  // namespace
}  // namespace bp
