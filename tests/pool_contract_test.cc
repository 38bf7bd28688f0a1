// The pool contract (pool/pool.h): the reusable typed suite of tests/support/pool_contract_suite.h
// instantiated for every correct built-in pool and for a plugin pool, then the
// behaviour specific to each pool, and one test per deliberately faulty pool showing that its
// planted bug is real and reachable in a few operations.
// Sanitizer builds run these too: every pool, driven through its contract.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pool/faulty/double_handout_pool.h"
#include "pool/faulty/hang_pool.h"
#include "pool/faulty/leak_pool.h"
#include "pool/faulty/race_pool.h"
#include "pool/faulty/scribble_pool.h"
#include "pool/faulty/short_capacity_pool.h"
#include "pool/faulty/stale_pool.h"
#include "pool/faulty/use_after_put_pool.h"
#include "pool/fixed_pool.h"
#include "pool/malloc_pool.h"
#include "pool/naive_pool.h"
#include "pool/null_pool.h"
#include "pool/plugin.h"
#include "pool/pool_list.h"
#include "pool/registry.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"
#include "tests/support/pool_contract_suite.h"
#include "tests/support/pool_lists.h"

namespace bp {
namespace {

constexpr size_t kFixedCount = 8;
constexpr size_t kFixedCapacity = 4096;

}  // namespace

namespace testing {
template <>
struct PoolFactory<FixedPool> {
  static constexpr bool kOwnCounters = true;
  static std::unique_ptr<FixedPool> Make() {
    return std::make_unique<FixedPool>(kFixedCount, kFixedCapacity);
  }
};

// A plugin pool: the example mutex_pool through the C ABI, as bpstress loads it.
template <>
struct PoolFactory<PluginPool> {
  static constexpr bool kOwnCounters = false;  // the ABI has no hit/miss counters
  static std::unique_ptr<PluginPool> Make() {
    std::string error;
    auto lib = PluginLibrary::Load(std::string(BP_BINARY_DIR) + "/libmutex_pool.so", &error);
    EXPECT_NE(lib, nullptr) << error;
    if (lib == nullptr) return nullptr;
    auto pool = PluginPool::Create(lib, "max=65536,keep=64", &error);
    EXPECT_NE(pool, nullptr) << error;
    return pool;
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Builtin, PoolContractTest, PoolTypes<CorrectPools>);
using PluginPools = ::testing::Types<PluginPool>;
INSTANTIATE_TYPED_TEST_SUITE_P(Plugin, PoolContractTest, PluginPools);
}  // namespace testing

namespace {

// --- The pool list ---

// Every built-in pool's own name is its registry name, so a run of the type reports the name the
// user typed (faulty pools were spelled "faulty-leak" by the type and "faulty:leak" by the table).
TEST(PoolListTest, RegistryNamesAreTheTypesNames) {
  std::vector<std::string> names;
  ForEachPoolEntry(BuiltinPools{}, [&]<class E>() {
    names.push_back(E::Pool::kName);
    const PoolEntry* entry = FindPool(E::Pool::kName);
    ASSERT_NE(entry, nullptr) << E::Pool::kName;
    EXPECT_EQ(entry->faulty, E::kAbout.detector.kind != DetectorKind::kNone) << entry->name;
  });
  ASSERT_EQ(names.size(), PoolEntries().size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], PoolEntries()[i].name);
  EXPECT_STREQ(LeakPool::kName, "faulty:leak");
}

// A faulty pool's check detector names a violation key; a correct pool has no detector.
TEST(PoolListTest, EveryFaultyPoolNamesItsDetector) {
  for (const PoolEntry& e : PoolEntries()) {
    EXPECT_EQ(e.faulty, e.detector_kind != DetectorKind::kNone) << e.name;
    EXPECT_EQ(e.faulty, std::string(e.detector) != "") << e.name;
    EXPECT_EQ(e.faulty, std::string_view(e.name).starts_with("faulty:")) << e.name;
    EXPECT_FALSE(e.faulty && e.in_all) << e.name;
  }
}

// The typed suites cover every correct pool of the list, the floor included.
TEST(PoolListTest, CorrectPoolsAreTheOnesWithoutAPlantedBug) {
  const auto names = testing::PoolNames(CorrectPools{});
  std::vector<std::string> expected;
  for (const PoolEntry& e : PoolEntries()) {
    if (!e.faulty) expected.push_back(e.name);
  }
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.end()), expected);
}

// --- FixedPool ---

TEST(FixedPoolTest, NeverHoldsMoreThanCountAndMissesAreTransient) {
  FixedPool pool(2, 64);
  FixedBuffer* a = pool.Get(10);
  FixedBuffer* b = pool.Get(10);
  FixedBuffer* c = pool.Get(10);
  EXPECT_EQ(a->owner(), &pool);
  EXPECT_EQ(b->owner(), &pool);
  EXPECT_EQ(c->owner(), nullptr);
  EXPECT_EQ(c->Cap(), 64u);
  EXPECT_EQ(pool.Stats().misses, 1u);
  pool.Put(c);
  pool.Put(b);
  pool.Put(a);
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.drops, 1u);
  EXPECT_EQ(st.retained_bytes, 2u * 64);
  EXPECT_EQ(st.peak_retained_bytes, 2u * 64);
}

TEST(FixedPoolTest, TruncatesLikeTheOriginal) {
  FixedPool pool(1, 5);
  FixedBuffer* item = pool.Get(9);
  EXPECT_EQ(item->WriteString("the spice"), 5u);
  EXPECT_EQ(item->View(), "the s");
  pool.Put(item);
}

TEST(FixedPoolTest, LeaseClosesOnceAndMoves) {
  FixedPool pool(1, 16);
  FixedBuffer* first;
  {
    FixedPool::Lease lease = pool.Checkout();
    first = lease.get();
    EXPECT_EQ(first->owner(), &pool);
    FixedPool::Lease moved = std::move(lease);
    EXPECT_FALSE(lease.open());  // NOLINT(bugprone-use-after-move): moved-from state is defined
    EXPECT_TRUE(moved.open());
    moved.Close();
    moved.Close();  // no-op: the Go original's double Close defect
    EXPECT_EQ(pool.Stats().puts, 1u);
  }
  EXPECT_EQ(pool.Stats().puts, 1u);  // destruction of closed leases returned nothing more
  FixedPool::Lease again = pool.Checkout();
  EXPECT_EQ(again.get(), first);  // one item: closing then checking out returns the same item
  FixedPool::Lease other = pool.Checkout();
  EXPECT_EQ(other->owner(), nullptr);  // only one item, and it is out
}

// --- SizedPool ---

TEST(SizedPoolTest, ClassEdges) {
  SizedPool pool(64, 65536);
  EXPECT_EQ(pool.num_classes(), 11u);
  const std::pair<size_t, size_t> cases[] = {
      {0, 64},        {1, 64},        {63, 64},        {64, 64},     {65, 128},
      {128, 128},     {129, 256},     {4096, 4096},    {4097, 8192}, {65535, 65536},
      {65536, 65536}, {65537, 65537}, {100000, 100000}};
  for (auto [n, cap] : cases) {
    EXPECT_EQ(pool.CapacityFor(n), cap) << "n=" << n;
    Buffer* b = pool.Get(n);
    EXPECT_EQ(b->Cap(), cap) << "n=" << n;
    EXPECT_EQ(b->Len(), 0u);
    pool.Put(b);
  }
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.misses, 8u);  // one per class used, plus the two above the top class
  EXPECT_EQ(st.hits, 5u);    // 1, 63, 64 (class 64), 128 (class 128), 65536 (class 65536)
  EXPECT_EQ(st.drops, 2u);   // 65537 and 100000: above the top class, never pooled
}

TEST(SizedPoolTest, GoTestExpectations) {
  SizedPool pool(128, 256 << 10);
  for (auto [n, cap] :
       {std::pair<size_t, size_t>{125, 128}, {500, 512}, {2000, 2048}, {5000, 8192}}) {
    Buffer* b = pool.Get(n);
    EXPECT_EQ(b->Cap(), cap);
    EXPECT_EQ(b->Len(), 0u);
    pool.Put(b);
  }
}

TEST(SizedPoolTest, SizesAbove32BitsAreNotTruncated) {
  SizedPool pool(64, uint64_t{1} << 33);  // classes only: nothing is allocated here
  EXPECT_EQ(pool.max_class(), uint64_t{1} << 33);
  EXPECT_EQ(pool.CapacityFor((uint64_t{1} << 31) + 1), uint64_t{1} << 32);
  EXPECT_EQ(pool.CapacityFor((uint64_t{1} << 32) + 1), uint64_t{1} << 33);
  EXPECT_EQ(pool.ClassIndex((uint64_t{1} << 32) + 1), 33 - 6);
  EXPECT_EQ(pool.ClassIndex((uint64_t{1} << 33) + 1), -1);
  EXPECT_EQ(pool.CapacityFor((uint64_t{1} << 33) + 1), (uint64_t{1} << 33) + 1);
  EXPECT_EQ(SizedPool::Ceil2((uint64_t{1} << 40) - 1), uint64_t{1} << 40);
}

TEST(SizedPoolTest, BadBoundsAreRejectedOrClamped) {
  std::string error;
  EXPECT_EQ(SizedPool::Create({.min = 1024, .max = 64}, &error), nullptr);
  EXPECT_NE(error.find("greater than max"), std::string::npos) << error;
  EXPECT_EQ(SizedPool::Create({.min = 1, .max = uint64_t{1} << 63}, &error), nullptr);
  auto zero = SizedPool::Create({.min = 0, .max = 1024}, &error);
  ASSERT_NE(zero, nullptr);  // Go loops forever on min 0
  EXPECT_EQ(zero->min_class(), 1u);
  EXPECT_EQ(zero->num_classes(), 11u);
  Buffer* b = zero->Get(0);
  EXPECT_EQ(b->Cap(), 1u);
  zero->Put(b);
  SizedPool clamped(4096, 64);
  EXPECT_EQ(clamped.min_class(), 64u);
  EXPECT_EQ(clamped.max_class(), 64u);
}

TEST(SizedPoolTest, GrownBuffersMoveToTheirNewClassOrAreDropped) {
  SizedPool pool(64, 65536);
  Buffer* b = pool.Get(64);
  ASSERT_EQ(b->Cap(), 64u);
  b->Grow(128);  // Go's growth: 2 * 64 + 128 = 256, a class size
  ASSERT_EQ(b->Cap(), 256u);
  const uint8_t* storage = b->data();
  pool.Put(b);
  Buffer* again = pool.Get(200);
  EXPECT_EQ(again->data(), storage);
  EXPECT_EQ(pool.Stats().hits, 1u);
  again->Grow(300);  // 2 * 256 + 300 = 812: not a class size
  ASSERT_EQ(again->Cap(), 812u);
  pool.Put(again);
  pool.Put(new Buffer(100));  // a foreign capacity
  pool.Put(nullptr);
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.drops, 2u);
  EXPECT_EQ(st.retained_bytes, 0u);
  EXPECT_EQ(st.gets, 2u);
}

// --- SyncPool ---

TEST(SyncPoolTest, RetentionBoundHolds) {
  SyncPool pool({.max_retained_bytes = 4 * 1024, .per_thread_items = 1});
  std::vector<Buffer*> held;
  for (int i = 0; i < 20; ++i) held.push_back(pool.Get(1024));
  for (Buffer* b : held) pool.Put(b);
  // Private slot + one cached item per thread, then shared up to the bound; the rest is dropped.
  EXPECT_EQ(pool.SharedAndVictimBytes(), 4u * 1024);
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.drops, 20u - 2 - 4);
  EXPECT_EQ(st.retained_bytes, (2u + 4) * 1024);
  EXPECT_EQ(st.peak_retained_bytes, (2u + 4) * 1024);
}

TEST(SyncPoolTest, VictimSurvivesOneClear) {
  SyncPool pool;
  Buffer* b = pool.Get(512);
  const uint8_t* storage = b->data();
  pool.Put(b);
  pool.Clear();
  Buffer* again = pool.Get(512);
  EXPECT_EQ(again->data(), storage);
  EXPECT_EQ(pool.Stats().hits, 1u);
  pool.Put(again);
}

TEST(SyncPoolTest, NothingSurvivesTwoClears) {
  SyncPool pool({.max_retained_bytes = 1 << 20, .per_thread_items = 2});
  std::vector<Buffer*> held;
  for (int i = 0; i < 10; ++i) held.push_back(pool.Get(512));
  for (Buffer* b : held) pool.Put(b);  // 2 stay in this thread's cache, 8 go to shared
  EXPECT_GT(pool.SharedAndVictimBytes(), 0u);
  pool.Clear();
  pool.Clear();
  EXPECT_EQ(pool.SharedAndVictimBytes(), 0u);
  Buffer* b = pool.Get(512);  // the owner notices the epoch: its cache is freed
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.hits, 0u);
  EXPECT_EQ(st.misses, 11u);
  EXPECT_EQ(st.retained_bytes, 0u);
  pool.Put(b);
}

TEST(SyncPoolTest, OtherThreadsTakeFromSharedAndVictim) {
  SyncPool pool({.max_retained_bytes = 1 << 20, .per_thread_items = 2});
  std::vector<Buffer*> held;
  for (int i = 0; i < 10; ++i) held.push_back(pool.Get(512));
  for (Buffer* b : held) pool.Put(b);
  pool.Clear();  // shared -> victim; this thread's cache is untouched
  std::thread other([&] {
    Buffer* b = pool.Get(512);
    EXPECT_EQ(b->Len(), 0u);
    EXPECT_EQ(b->Cap(), 512u);
    pool.Put(b);
  });
  other.join();
  EXPECT_EQ(pool.Stats().hits, 1u);
}

TEST(SyncPoolTest, ExitedThreadLeavesItsCacheToTheNextThread) {
  SyncPool pool;
  const uint8_t* storage = nullptr;
  std::thread first([&] {
    Buffer* b = pool.Get(256);
    storage = b->data();
    pool.Put(b);
  });
  first.join();
  const uint8_t* seen = nullptr;
  std::thread second([&] {  // gets the lowest free ThreadSlot: the one `first` released
    Buffer* b = pool.Get(256);
    seen = b->data();
    pool.Put(b);
  });
  second.join();
  EXPECT_EQ(seen, storage);
  EXPECT_EQ(pool.Stats().hits, 1u);
}

// --- Faulty pools: each planted bug shows within a few operations ---

TEST(FaultyPoolTest, DoubleHandoutReturnsAHeldBuffer) {
  DoubleHandoutPool pool;
  std::vector<Buffer*> held;
  for (uint64_t i = 1; i < DoubleHandoutPool::kEvery; ++i) held.push_back(pool.Get(64));
  Buffer* doubled = pool.Get(64);
  EXPECT_EQ(doubled, held.back());  // still held by its first holder
  pool.Put(doubled);
  for (Buffer* b : held) pool.Put(b);
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.gets, st.puts);
  EXPECT_EQ(st.gets, st.hits + st.misses);
}

TEST(FaultyPoolTest, ShortCapacityReturnsLessThanAsked) {
  ShortCapacityPool pool;
  size_t short_seen = 0;
  for (uint64_t i = 0; i < ShortCapacityPool::kEvery; ++i) {
    Buffer* b = pool.Get(1000);
    if (b->Cap() < 1000) ++short_seen;
    pool.Put(b);
  }
  EXPECT_EQ(short_seen, 1u);
}

TEST(FaultyPoolTest, ScribbleCorruptsAHeldBuffer) {
  ScribblePool pool;
  Buffer* a = pool.Get(16);
  std::memset(a->Extend(16), 0x11, 16);
  Buffer* b = pool.Get(16);  // scribbles into a, which is still held
  EXPECT_NE(a->data()[0], 0x11);
  EXPECT_EQ(a->data()[1], 0x11);
  pool.Put(a);
  pool.Put(b);
}

TEST(FaultyPoolTest, UseAfterPutWritesIntoAPutBuffer) {
#ifdef BP_ASAN
  GTEST_SKIP() << "the planted access is a use-after-poison that ASan would report";
#else
  UseAfterPutPool pool;
  std::vector<Buffer*> held;
  for (uint64_t i = 0; i < UseAfterPutPool::kEvery; ++i) {
    held.push_back(pool.Get(32));
    held.back()->WriteByte(0);
  }
  for (Buffer* b : held) pool.Put(b);  // the last Put writes the marker after poisoning
  Buffer* b = pool.Get(32);
  EXPECT_EQ(b, held.back());
  EXPECT_EQ(b->data()[0], UseAfterPutPool::kFreeMarker);
  pool.Put(b);
#endif
}

TEST(FaultyPoolTest, LeakCountsADropButNeverFrees) {
  LeakPool pool;
  std::vector<Buffer*> held;
  for (uint64_t i = 0; i < LeakPool::kEvery; ++i) held.push_back(pool.Get(128));
  for (Buffer* b : held) pool.Put(b);
  EXPECT_EQ(pool.Stats().drops, 1u);
  Buffer* leaked = held.back();
  EXPECT_EQ(leaked->Cap(), 128u);  // still allocated: ASan would call this a use after free
  std::vector<Buffer*> back;
  for (uint64_t i = 1; i < LeakPool::kEvery; ++i) back.push_back(pool.Get(128));
  EXPECT_EQ(pool.Stats().hits, LeakPool::kEvery - 1);
  Buffer* fresh = pool.Get(128);  // the list is empty: the leaked buffer never went back
  EXPECT_EQ(pool.Stats().misses, LeakPool::kEvery + 1);
  for (Buffer* b : back) EXPECT_NE(b, leaked);
  for (Buffer* b : back) pool.Put(b);  // puts 11..19: none of them is leaked
  delete fresh;
  delete leaked;  // freeing it here is what shows the pool did not (no double free under ASan)
}

TEST(FaultyPoolTest, StaleReturnsANonEmptyBuffer) {
  StalePool pool;
  Buffer* b = pool.Get(64);
  b->WriteString("stale");
  pool.Put(b);
  Buffer* again = pool.Get(64);
  EXPECT_EQ(again, b);
  EXPECT_EQ(again->Len(), 5u);
  EXPECT_GE(again->Available(), 64u);
  pool.Put(again);
}

TEST(FaultyPoolTest, HangBlocksTheNthGet) {
  HangPool pool(3);
  std::atomic<int> done{0};
  std::thread t([&] {
    for (int i = 0; i < 3; ++i) {
      pool.Put(pool.Get(16));
      done.fetch_add(1);
    }
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pool.hung() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(pool.hung(), 1u);
  EXPECT_EQ(done.load(), 2);
  pool.ReleaseHung();
  t.join();
  EXPECT_EQ(done.load(), 3);
}

TEST(FaultyPoolTest, RacePoolIsCorrectOnOneThread) {
  // Its bug is a data race, shown by the TSan selftest of the runner; on one thread it must
  // honour the contract like any other pool.
  RacePool pool;
  Buffer* b = pool.Get(100);
  const uint8_t* storage = b->data();
  b->WriteString("x");
  pool.Put(b);
  Buffer* again = pool.Get(50);
  EXPECT_EQ(again->data(), storage);
  EXPECT_EQ(again->Len(), 0u);
  pool.Put(again);
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.gets, st.puts);
}

}  // namespace
}  // namespace bp
