// The pool contract under contention: 8 threads get, fill, verify and put buffers, handing some of
// them to other threads to put back. Checks that no buffer is held by two threads at once, that
// the bytes a holder wrote are intact when it (or the thread it handed the buffer to) puts it
// back, and that the counters add up at the end. Bounded: 20,000 ops per thread or 1 second.
// Meant to run under ThreadSanitizer and AddressSanitizer as well as in release builds.
// Sanitizer builds run these too: pools under contention from several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "pool/fixed_pool.h"
#include "pool/malloc_pool.h"
#include "pool/naive_pool.h"
#include "pool/null_pool.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"
#include "tests/support/pool_lists.h"

namespace bp {
namespace {

constexpr unsigned kThreads = 8;
constexpr uint64_t kOpsPerThread = 20000;
constexpr auto kTimeLimit = std::chrono::seconds(1);
constexpr size_t kMaxSize = 8192;
constexpr size_t kMaxHeld = 4;  // per thread

template <class P>
std::unique_ptr<P> MakePool() {
  return std::make_unique<P>();
}
template <>
std::unique_ptr<FixedPool> MakePool<FixedPool>() {
  return std::make_unique<FixedPool>(16, 4096);  // fewer items than the threads can hold
}
template <>
std::unique_ptr<SyncBufferPool> MakePool<SyncBufferPool>() {
  // A small bound so that drops and the shared list both get exercised.
  return std::make_unique<SyncBufferPool>(
      SyncPool::Options{.max_retained_bytes = 64 << 10, .per_thread_items = 4});
}

// The bytes a holder writes: a function of a per-hold tag, so any foreign write shows.
uint8_t PatternByte(uint64_t tag, size_t i) {
  return static_cast<uint8_t>((tag * 0x9E3779B97F4A7C15ull + i * 131) >> 56);
}

template <class P>
class PoolMtTest : public ::testing::Test {
 protected:
  using Item = typename P::Item;
  struct Held {
    Item* item;
    uint64_t tag;
    size_t len;
  };

  void Claim(Item* item) {
    std::lock_guard<std::mutex> lock(held_mu_);
    if (!held_.insert(item).second) double_handouts_.fetch_add(1);
  }
  void Release(Item* item) {
    std::lock_guard<std::mutex> lock(held_mu_);
    held_.erase(item);
  }
  // Verifies and puts back; counts corruption.
  void Finish(P& pool, const Held& h) {
    const uint8_t* p = h.item->data();
    for (size_t i = 0; i < h.len; ++i) {
      if (p[i] != PatternByte(h.tag, i)) {
        corruptions_.fetch_add(1);
        break;
      }
    }
    Release(h.item);
    pool.Put(h.item);
    puts_.fetch_add(1);
  }

  void Worker(P& pool, unsigned thread, bool cross_thread) {
    std::mt19937_64 rng(thread * 7919 + 1);
    std::vector<Held> mine;
    const auto stop = std::chrono::steady_clock::now() + kTimeLimit;
    for (uint64_t op = 0; op < kOpsPerThread; ++op) {
      if (op % 256 == 0 && std::chrono::steady_clock::now() > stop) break;
      const size_t n = rng() % (kMaxSize + 1);
      Item* item = pool.Get(n);
      gets_.fetch_add(1);
      ASSERT_NE(item, nullptr);
      if (item->Len() != 0) not_empty_.fetch_add(1);
      if constexpr (P::kTraits.promises_capacity) {
        if (item->Cap() < n) short_capacity_.fetch_add(1);
      }
      Claim(item);
      const Held h{item, (uint64_t{thread} << 32) | op, std::min(n, item->Cap())};
      for (size_t i = 0; i < h.len; ++i) item->data()[i] = PatternByte(h.tag, i);
      mine.push_back(h);
      if (mine.size() > rng() % (kMaxHeld + 1)) {
        const Held oldest = mine.front();
        mine.erase(mine.begin());
        if (cross_thread && rng() % 4 == 0) {
          std::lock_guard<std::mutex> lock(exchange_mu_);
          exchange_.push_back(oldest);
        } else {
          Finish(pool, oldest);
        }
      }
      if (cross_thread && rng() % 4 == 0) {
        Held other{};
        {
          std::lock_guard<std::mutex> lock(exchange_mu_);
          if (!exchange_.empty()) {
            other = exchange_.front();
            exchange_.pop_front();
          }
        }
        if (other.item != nullptr) Finish(pool, other);
      }
    }
    for (const Held& h : mine) Finish(pool, h);
  }

  void Run(bool cross_thread) {
    auto pool = MakePool<P>();
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] { Worker(*pool, t, cross_thread); });
    }
    for (auto& t : threads) t.join();
    for (const Held& h : exchange_) Finish(*pool, h);
    exchange_.clear();

    EXPECT_EQ(double_handouts_.load(), 0u);
    EXPECT_EQ(corruptions_.load(), 0u);
    EXPECT_EQ(not_empty_.load(), 0u);
    EXPECT_EQ(short_capacity_.load(), 0u);
    EXPECT_TRUE(held_.empty());
    const PoolStats st = pool->Stats();
    EXPECT_GT(gets_.load(), kThreads);
    EXPECT_EQ(st.gets, gets_.load());
    EXPECT_EQ(st.puts, puts_.load());
    EXPECT_EQ(st.gets, st.puts);
    EXPECT_EQ(st.gets, st.hits + st.misses);
    EXPECT_GE(st.peak_retained_bytes, st.retained_bytes);
    if constexpr (P::kTraits.pools) {
      EXPECT_GT(st.hits, 0u);
    } else {
      EXPECT_EQ(st.retained_bytes, 0u);
    }
  }

  std::mutex held_mu_;
  std::set<const Item*> held_;  // the Item, not data(): a 0-byte Buffer has no storage
  std::mutex exchange_mu_;
  std::deque<Held> exchange_;
  std::atomic<uint64_t> gets_{0}, puts_{0};
  std::atomic<uint64_t> double_handouts_{0}, corruptions_{0}, not_empty_{0}, short_capacity_{0};
};

TYPED_TEST_SUITE(PoolMtTest, testing::PoolTypes<testing::CrossThreadPools>);

TYPED_TEST(PoolMtTest, EightThreadsWithCrossThreadPuts) { this->Run(/*cross_thread=*/true); }

TYPED_TEST(PoolMtTest, EightThreadsSameThreadPuts) { this->Run(/*cross_thread=*/false); }

// NullPool supports only same-thread puts (null_pool.h), so it runs without the exchange.
using NullPoolMtTest = PoolMtTest<NullPool>;
TEST_F(NullPoolMtTest, EightThreadsSameThreadPuts) { Run(/*cross_thread=*/false); }

// FixedPool's per-thread caches: what an exiting thread cached goes back to the shared list, so
// threads restarted round after round never strand items and never make later threads miss.
TEST(FixedPoolCacheTest, ExitedThreadsGiveTheirCachesBack) {
  constexpr size_t kCount = 64;
  FixedPool pool(kCount, 256);
  ASSERT_EQ(pool.cache_items(), FixedPool::kMaxCacheItems);
  constexpr size_t kHeldEach = 24;  // 2 * (24 + a full cache) <= 64: a miss would be a lost item
  uint64_t gets = 0;
  for (int round = 0; round < 20; ++round) {
    std::atomic<uint64_t> pooled{0}, transient{0};
    auto worker = [&](unsigned seed) {
      std::mt19937 rng(seed);
      std::vector<FixedBuffer*> mine;
      for (int op = 0; op < 200; ++op) {
        if (mine.size() < kHeldEach && rng() % 2 == 0) {
          FixedBuffer* item = pool.Get(0);
          (item->owner() == &pool ? pooled : transient).fetch_add(1);
          mine.push_back(item);
        } else if (!mine.empty()) {
          pool.Put(mine.back());
          mine.pop_back();
        }
      }
      for (FixedBuffer* item : mine) pool.Put(item);  // leaves a full cache behind
    };
    std::thread a(worker, round * 2 + 1), b(worker, round * 2 + 2);
    a.join();
    b.join();
    gets += pooled + transient;
    EXPECT_EQ(transient.load(), 0u) << "round " << round;
    EXPECT_EQ(pool.SharedFree(), kCount) << "round " << round;
  }
  // All count items come back on this thread, and not one more: the count bound.
  std::vector<FixedBuffer*> all;
  for (size_t i = 0; i < kCount; ++i) all.push_back(pool.Get(0));
  for (FixedBuffer* item : all) EXPECT_EQ(item->owner(), &pool);
  FixedBuffer* extra = pool.Get(0);
  EXPECT_EQ(extra->owner(), nullptr);
  pool.Put(extra);
  for (FixedBuffer* item : all) pool.Put(item);
  const PoolStats st = pool.Stats();
  EXPECT_EQ(st.gets, gets + kCount + 1);
  EXPECT_EQ(st.gets, st.puts);
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.retained_bytes, kCount * 256);
}

// A thread that cached items of a pool destroyed before it exits: its exit must not touch the
// destroyed pool (ASan reports it if it does), and must still drain a pool that lives on.
TEST(FixedPoolCacheTest, ThreadOutlivesAPoolItCachedIn) {
  auto gone = std::make_unique<FixedPool>(64, 64);
  FixedPool kept(64, 64);
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;
  std::thread t([&] {
    FixedBuffer* item = gone->Get(0);
    gone->Put(item);
    FixedBuffer* other = kept.Get(0);
    kept.Put(other);
    std::unique_lock<std::mutex> lock(mu);
    stage = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return stage == 2; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stage == 1; });
  }
  EXPECT_EQ(kept.SharedFree(), 63u);  // one item rests in the thread's cache
  gone.reset();
  {
    std::lock_guard<std::mutex> lock(mu);
    stage = 2;
  }
  cv.notify_all();
  t.join();
  EXPECT_EQ(kept.SharedFree(), 64u);
}

}  // namespace
}  // namespace bp
