// The pool contract of pool/pool.h as a reusable typed test suite: instantiate it for any type
// that satisfies bp::BufferPool, e.g.
//
//   using MyPools = ::testing::Types<MyPool>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(Mine, PoolContractTest, MyPools);
//
// A pool is made by bp::testing::PoolFactory<P>::Make() (default: std::make_unique<P>());
// specialise it for pools that need arguments. PoolFactory<P>::kOwnCounters says whether
// Stats() counts hits, misses, drops and retained bytes itself (false for plugin pools, whose ABI
// has no counters: there only gets and puts are checked).
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "pool/pool.h"

namespace bp::testing {

template <class P>
struct PoolFactory {
  static constexpr bool kOwnCounters = true;
  static std::unique_ptr<P> Make() { return std::make_unique<P>(); }
};

template <class P>
class PoolContractTest : public ::testing::Test {
 protected:
  std::unique_ptr<P> pool_ = PoolFactory<P>::Make();
};

TYPED_TEST_SUITE_P(PoolContractTest);

TYPED_TEST_P(PoolContractTest, SatisfiesTheConcept) {
  static_assert(BufferPool<TypeParam>);
  EXPECT_STRNE(TypeParam::kName, "");
  ASSERT_NE(this->pool_, nullptr);
}

TYPED_TEST_P(PoolContractTest, GetReturnsEmptyItemWithCapacity) {
  size_t fixed_cap = 0;
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{4096}, size_t{5000}}) {
    auto* item = this->pool_->Get(n);
    ASSERT_NE(item, nullptr);
    EXPECT_EQ(item->Len(), 0u) << "n=" << n;
    if constexpr (TypeParam::kTraits.promises_capacity) {
      EXPECT_GE(item->Cap(), n);
    } else {
      if (fixed_cap == 0) fixed_cap = item->Cap();
      EXPECT_EQ(item->Cap(), fixed_cap);  // a fixed pool's documented truncation: one capacity
    }
    if (item->Cap() != 0) std::memset(item->data(), 0xab, item->Cap());  // all of it is usable
    this->pool_->Put(item);
  }
}

TYPED_TEST_P(PoolContractTest, HeldItemsAreDistinct) {
  std::vector<typename TypeParam::Item*> held;
  for (size_t i = 0; i < 16; ++i) held.push_back(this->pool_->Get(64 << (i % 4)));
  for (size_t i = 0; i < held.size(); ++i) {
    ASSERT_NE(held[i], nullptr);
    for (size_t j = 0; j < i; ++j) EXPECT_NE(held[i], held[j]) << i << " " << j;
    std::memset(held[i]->data(), static_cast<int>(i), std::min<size_t>(held[i]->Cap(), 64));
  }
  for (size_t i = 0; i < held.size(); ++i) {
    EXPECT_EQ(held[i]->data()[0], static_cast<uint8_t>(i)) << "item " << i << " shares memory";
  }
  for (auto* item : held) this->pool_->Put(item);
}

TYPED_TEST_P(PoolContractTest, PutItemComesBackEmptyOnTheSameThread) {
  auto* a = this->pool_->Get(300);
  ASSERT_GE(a->Cap(), 10u);
  if constexpr (requires { a->Write("", 0); }) {
    a->Write("0123456789", 10);
    ASSERT_EQ(a->Len(), 10u);
  } else {
    std::memcpy(a->data(), "0123456789", 10);
  }
  const uint8_t* storage = a->data();
  this->pool_->Put(a);
  const PoolStats before = this->pool_->Stats();
  auto* b = this->pool_->Get(300);
  const PoolStats after = this->pool_->Stats();
  EXPECT_EQ(b->Len(), 0u);
  EXPECT_EQ(after.gets, before.gets + 1);
  if constexpr (TypeParam::kTraits.pools) {
    EXPECT_EQ(b->data(), storage);
    if (PoolFactory<TypeParam>::kOwnCounters) {
      EXPECT_EQ(after.hits, before.hits + 1);
    }
  } else {
    EXPECT_EQ(after.misses, before.misses + 1);
  }
  this->pool_->Put(b);
}

TYPED_TEST_P(PoolContractTest, CountersAddUp) {
  constexpr size_t kHeld = 4;
  constexpr bool kOwn = PoolFactory<TypeParam>::kOwnCounters;
  std::vector<typename TypeParam::Item*> held;
  uint64_t gets = 0;
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < kHeld; ++i) {
      held.push_back(this->pool_->Get(256 << i));
      ++gets;
    }
    const PoolStats mid = this->pool_->Stats();
    EXPECT_EQ(mid.gets, gets);
    EXPECT_EQ(mid.gets, mid.hits + mid.misses);
    EXPECT_EQ(mid.puts, gets - held.size());
    uint64_t caps = 0;
    for (auto* item : held) caps += item->Cap();
    for (auto* item : held) this->pool_->Put(item);
    held.clear();
    this->pool_->Put(nullptr);  // ignored
    const PoolStats end = this->pool_->Stats();
    EXPECT_EQ(end.gets, end.puts);
    EXPECT_EQ(end.gets, end.hits + end.misses);
    if (!kOwn) continue;
    const uint64_t drops = end.drops - mid.drops;
    const uint64_t retained = end.retained_bytes - mid.retained_bytes;
    if constexpr (TypeParam::kTraits.pools) {
      EXPECT_EQ(drops, 0u);
      EXPECT_EQ(retained, caps) << "round " << round;
    } else {
      EXPECT_EQ(drops, kHeld);
      EXPECT_EQ(end.retained_bytes, 0u);
    }
    EXPECT_GE(end.peak_retained_bytes, end.retained_bytes);
  }
}

REGISTER_TYPED_TEST_SUITE_P(PoolContractTest, SatisfiesTheConcept, GetReturnsEmptyItemWithCapacity,
                            HeldItemsAreDistinct, PutItemComesBackEmptyOnTheSameThread,
                            CountersAddUp);

}  // namespace bp::testing
