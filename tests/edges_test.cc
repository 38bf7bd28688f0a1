// Edge sizes end to end: --touch ends catches a pool that claims capacity it does not have,
// --touch full stops at kFullTouchLimit per op, and every correct pool stays clean at edge sizes.
// Sanitizer builds run these too: edge sizes are touched to the last byte a pool claims.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <bit>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "build_info.h"
#include "pool/registry.h"
#include "tests/support/cli.h"
#include "tests/support/pool_lists.h"
#include "tests/support/runs.h"
#include "tool/run/run_spec.h"
#include "tool/run/runner_impl.h"

namespace bp {
namespace {

using bp::testing::Dist;
using bp::testing::RunNamed;

RunOptions Touching(unsigned threads, uint64_t ops, Touch touch) {
  RunOptions o = bp::testing::ShortOptions(threads, ops, 77);
  o.touch = touch;
  return o;
}

bool Sanitized() { return build::kSanitizers[0] != '\0'; }

struct RawItem {
  uint8_t* p;
  size_t cap;
  uint8_t* data() { return p; }
  size_t Cap() const { return cap; }
  size_t Len() const { return 0; }
};

// A slab that lies: above 4 KiB it carves only bit_floor(n) bytes for a request of n, one region
// after the other, yet reports Cap() = n. A holder writing the end of its n bytes writes into the
// next region; the first 64 bytes of every item are its own.
class LyingSlabPool {
 public:
  using Item = RawItem;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "lying-slab";
  static constexpr size_t kArena = size_t{16} << 20, kSlack = size_t{2} << 20;

  RawItem* Get(size_t n) {
    const size_t real = n > 4096 ? std::bit_floor(n) : std::max<size_t>(n, 1);
    std::lock_guard<std::mutex> lock(mu_);
    if (next_ + real > kArena) next_ = 0;
    auto* item = new RawItem{arena_.data() + next_, n};
    next_ += real;
    return item;
  }
  void Put(RawItem* item) { delete item; }
  PoolStats Stats() const { return {}; }

 private:
  std::mutex mu_;
  std::vector<uint8_t> arena_ = std::vector<uint8_t>(kArena + kSlack);
  size_t next_ = 0;
};

PoolRun RunLying(Touch touch) {
  RunOptions o = Touching(1, 1000, touch);
  o.hold = 1;  // the neighbour is written while the liar's buffer is still held
  return RunPool<LyingSlabPool>([] { return std::make_unique<LyingSlabPool>(); }, Dist("edges:1M"),
                                o);
}

TEST(TouchEndsTest, CatchesAPoolThatReturnsLessThanItClaims) {
  const PoolRun ends = RunLying(Touch::kEnds);
  EXPECT_GT(ends.total.violations.count(Violation::kCorruption), 0u);
  EXPECT_EQ(ends.total.violations.count(Violation::kShortCapacity), 0u);  // the lie is in Cap()
  EXPECT_EQ(ends.outcome, Outcome::kViolations);
  // The corrupted bytes are at the end of the n asked for, not in the head.
  bool tail_example = false;
  const Violations& v = ends.total.violations;
  for (size_t i = 0; i < v.num_examples(); ++i) {
    const ViolationExample& e = v.example(i);
    if (e.kind == Violation::kCorruption) tail_example |= e.detail >= e.size - kHeadBytes;
  }
  EXPECT_TRUE(tail_example);
  // Writing only the head, the same run sees nothing: the lie is past the first 64 bytes.
  const PoolRun head = RunLying(Touch::kHead);
  EXPECT_EQ(head.total.violations.failures(), 0u);
}

// Hands out n bytes of anonymous memory whose pages between the first and the last are
// inaccessible: any write there kills the process.
class GuardedPool {
 public:
  using Item = RawItem;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = false};
  static constexpr const char* kName = "guarded";
  RawItem* Get(size_t n) {
    const size_t page = 4096, bytes = (n + page - 1) / page * page;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    if (bytes > 2 * page) mprotect(static_cast<uint8_t*>(p) + page, bytes - 2 * page, PROT_NONE);
    return new RawItem{static_cast<uint8_t*>(p), n};
  }
  void Put(RawItem* item) {
    munmap(item->p, (item->cap + 4095) / 4096 * 4096);
    delete item;
  }
  PoolStats Stats() const { return {}; }
};

TEST(TouchFullTest, BuffersAboveTheLimitAreTouchedAtTheirEnds) {
  // 96 MiB > kFullTouchLimit: a full write would fault in the guarded middle.
  const PoolRun run = RunPool<GuardedPool>(
      [] { return std::make_unique<GuardedPool>(); },
      Dist("fixed:" + std::to_string(kFullTouchLimit + (32 << 20))), Touching(1, 20, Touch::kFull));
  EXPECT_EQ(run.outcome, Outcome::kOk);
  EXPECT_EQ(run.total.gets, 20u);
  EXPECT_EQ(run.total.violations.failures(), 0u);
}

class EdgesCleanTest : public ::testing::TestWithParam<const char*> {};

// Correct pools serve every edge size; 4 GiB of virtual memory at once is far below the machine,
// and sanitizer builds (whose shadow makes each freed gigabyte costly) stop at 64 MiB.
TEST_P(EdgesCleanTest, NoFindings) {
  RunOptions o = Touching(2, 150, Touch::kEnds);
  o.hold = 1;
  const PoolRun run = RunNamed(GetParam(), o, Sanitized() ? "edges:64M" : "edges:4G");
  EXPECT_EQ(run.total.violations.failures(), 0u) << GetParam();
  EXPECT_EQ(run.outcome, Outcome::kOk);
  EXPECT_EQ(run.total.gets, 300u);
}

INSTANTIATE_TEST_SUITE_P(BuiltIn, EdgesCleanTest,
                         ::testing::ValuesIn(testing::PoolNames(CorrectPools{})));

}  // namespace
}  // namespace bp
