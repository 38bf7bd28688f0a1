// Sanitizer builds run these too: the ownership registry is shared by every worker thread.

#include "tool/run/checks.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace bp {
namespace {

TEST(Pattern, FillThenVerifyMatches) {
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 4096, 4099}) {
    std::vector<uint8_t> buf(n + 1, 0xEE);
    FillPattern(buf.data(), n, MakeTag(3, 17));
    EXPECT_EQ(FirstMismatch(buf.data(), n, MakeTag(3, 17)), n) << n;
    EXPECT_EQ(buf[n], 0xEE) << "wrote past n=" << n;
  }
}

TEST(Pattern, FindsTheFirstChangedByte) {
  for (size_t n : {1, 8, 13, 100, 4096}) {
    for (size_t bad : {size_t{0}, n / 2, n - 1}) {
      std::vector<uint8_t> buf(n);
      const uint64_t tag = MakeTag(1, 2);
      FillPattern(buf.data(), n, tag);
      buf[bad] ^= 0x01;
      EXPECT_EQ(FirstMismatch(buf.data(), n, tag), bad) << "n=" << n;
    }
  }
}

// The check runs over groups of four 256-byte blocks, then single blocks, then word by word: every
// offset, in and across blocks and groups, at an unaligned start, and in a block after a clean
// one, must be found exactly.
TEST(Pattern, FindsEveryOffsetAcrossBlocks) {
  const uint64_t tag = MakeTag(5, 9);
  for (size_t n : {63, 64, 65, 255, 256, 257, 600, 1024, 1031, 2300}) {
    std::vector<uint8_t> storage(n + 1);
    uint8_t* buf = storage.data() + 1;  // unaligned
    FillPattern(buf, n, tag);
    ASSERT_EQ(FirstMismatch(buf, n, tag), n) << "n=" << n;
    for (size_t bad = 0; bad < n; ++bad) {
      buf[bad] ^= 0x80;
      EXPECT_EQ(FirstMismatch(buf, n, tag), bad) << "n=" << n;
      if (bad + 1 < n) {
        buf[n - 1] ^= 0x01;  // a later change does not hide the first
        EXPECT_EQ(FirstMismatch(buf, n, tag), bad) << "n=" << n;
        buf[n - 1] ^= 0x01;
      }
      buf[bad] ^= 0x80;
    }
  }
}

// The block fill writes the same bytes as the word-by-word definition, PatternWord(tag, i).
TEST(Pattern, FillMatchesPatternWords) {
  const uint64_t tag = MakeTag(2, 4);
  std::vector<uint8_t> buf(603, 0);
  FillPattern(buf.data(), buf.size(), tag);
  for (size_t i = 0; i < buf.size(); ++i) {
    const uint64_t w = PatternWord(tag, i / 8);
    ASSERT_EQ(buf[i], static_cast<uint8_t>(w >> (8 * (i % 8)))) << i;
  }
}

TEST(Pattern, AnotherHoldersPatternDoesNotPass) {
  std::vector<uint8_t> buf(256);
  FillPattern(buf.data(), buf.size(), MakeTag(0, 1));
  EXPECT_LT(FirstMismatch(buf.data(), buf.size(), MakeTag(0, 2)), buf.size());
  EXPECT_LT(FirstMismatch(buf.data(), buf.size(), MakeTag(1, 1)), buf.size());
}

TEST(OwnershipRegistry, SecondClaimIsADoubleHandout) {
  OwnershipRegistry reg(16);
  EXPECT_TRUE(reg.Claim(0x1000));
  EXPECT_TRUE(reg.Claim(0x2000));
  EXPECT_FALSE(reg.Claim(0x1000));
  EXPECT_EQ(reg.Held(), 2u);
  reg.Release(0x1000);
  reg.Release(0x1000);
  EXPECT_EQ(reg.Held(), 1u);
  EXPECT_TRUE(reg.Claim(0x1000));  // released twice: free again
}

TEST(OwnershipRegistry, DeletionKeepsProbeChains) {
  // Many addresses in few shards: collisions force probe chains, and deleting from their middle
  // must not hide the rest.
  OwnershipRegistry reg(64);
  std::vector<uintptr_t> addrs;
  for (uintptr_t i = 1; i <= 200; ++i) addrs.push_back(i * 4096);
  for (uintptr_t a : addrs) ASSERT_TRUE(reg.Claim(a));
  for (size_t i = 0; i < addrs.size(); i += 2) reg.Release(addrs[i]);
  for (size_t i = 1; i < addrs.size(); i += 2) EXPECT_FALSE(reg.Claim(addrs[i])) << i;
  for (size_t i = 0; i < addrs.size(); i += 2) EXPECT_TRUE(reg.Claim(addrs[i])) << i;
}

TEST(OwnershipRegistry, ConcurrentClaimsOfDistinctBuffersNeverCollide) {
  OwnershipRegistry reg(8 * 64);
  std::atomic<int> false_alarms{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2000; ++round) {
        for (uintptr_t i = 0; i < 64; ++i) {
          if (!reg.Claim((t * 64 + i + 1) * 64)) ++false_alarms;
        }
        for (uintptr_t i = 0; i < 64; ++i) reg.Release((t * 64 + i + 1) * 64);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(false_alarms.load(), 0);
  EXPECT_EQ(reg.Held(), 0u);
}

TEST(Violations, CountsAndKeepsFewExamples) {
  Violations v;
  for (uint64_t i = 0; i < 10; ++i) {
    v.Add({.kind = Violation::kCorruption,
           .thread = 1,
           .op = i,
           .address = 0x10,
           .size = 5,
           .capacity = 8,
           .detail = 2});
  }
  v.Add({.kind = Violation::kTruncated});
  EXPECT_EQ(v.count(Violation::kCorruption), 10u);
  EXPECT_EQ(v.failures(), 10u);  // truncation is not a failure
  EXPECT_EQ(v.num_examples(), Violations::kMaxExamples + 1);
}

TEST(Violations, MergeAddsCountsAndCapsExamplesPerKind) {
  Violations a, b;
  auto example = [](Violation kind, uint32_t thread, uint64_t op, uint64_t detail) {
    return ViolationExample{.kind = kind,
                            .thread = thread,
                            .op = op,
                            .address = 1,
                            .size = 1,
                            .capacity = 1,
                            .detail = detail};
  };
  for (uint64_t i = 0; i < 3; ++i) a.Add(example(Violation::kDoubleHandout, 0, i, 0));
  for (uint64_t i = 0; i < 3; ++i) b.Add(example(Violation::kDoubleHandout, 1, i, 0));
  b.Add(example(Violation::kNotEmpty, 1, 9, 4));
  a.Merge(b);
  EXPECT_EQ(a.count(Violation::kDoubleHandout), 6u);
  EXPECT_EQ(a.count(Violation::kNotEmpty), 1u);
  size_t double_examples = 0;
  for (size_t i = 0; i < a.num_examples(); ++i) {
    double_examples += a.example(i).kind == Violation::kDoubleHandout;
  }
  EXPECT_EQ(double_examples, Violations::kMaxExamples);
}

}  // namespace
}  // namespace bp
