// The pool contract: what every pool under test promises, checked by one typed test suite
// (tests/pool_contract_test.cc) and relied on by the stress runner (tool/runner.h).
//
// A pool P hands out items of type P::Item (bp::Buffer, bp::FixedBuffer, or a plugin's buffer):
//   P::Item* Get(size_t n)  — any thread. Returns an item the caller now holds alone, with Len() == 0
//                             and, when P::kTraits.promises_capacity, Cap() >= n. A pool with
//                             fixed capacity (kTraits.fixed_capacity) may return Cap() < n: the
//                             caller's writes are truncated, which is that pool's documented
//                             behaviour. Returns nullptr only when the pool refuses (a plugin's
//                             get failed); built-in pools never do. Never throws.
//   void Put(P::Item* item) — any thread, including one other than the thread that got it. Accepts
//                             exactly the items Get returned, each once; nullptr is ignored. After
//                             Put the caller must not touch the item (ASan builds poison it).
//   PoolStats Stats() const — any thread; exact when no Get/Put is running (quiescence), a
//                             consistent-enough snapshot otherwise.
// Accounting identities at quiescence: gets == hits + misses; puts == gets - outstanding;
// every put is either kept (retained) or dropped (freed).
#pragma once

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BP_ASAN 1
#endif
#endif
#if !defined(BP_ASAN) && defined(__SANITIZE_ADDRESS__)
#define BP_ASAN 1
#endif
#ifdef BP_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace bp {

struct PoolTraits {
  bool promises_capacity;  // Get(n) returns Cap() >= n
  bool fixed_capacity;     // items never grow; writes past Cap() are truncated
  bool pools;              // a Put item can come back from a later Get (false: malloc baseline)
};

struct PoolStats {
  uint64_t gets = 0;
  uint64_t puts = 0;
  uint64_t hits = 0;    // Get served from retained items
  uint64_t misses = 0;  // Get that had to allocate
  uint64_t drops = 0;   // Put that freed the item instead of keeping it
  uint64_t retained_bytes = 0;       // capacity held by the pool now
  uint64_t peak_retained_bytes = 0;  // the most it held at once (see each pool for precision)
};

template <class P>
concept BufferPool = requires(P& pool, const P& cpool, size_t n, typename P::Item* item) {
  { pool.Get(n) } -> std::same_as<typename P::Item*>;
  { pool.Put(item) } -> std::same_as<void>;
  { cpool.Stats() } -> std::same_as<PoolStats>;
  { P::kTraits } -> std::convertible_to<PoolTraits>;
  { P::kName } -> std::convertible_to<const char*>;
  { item->data() } -> std::same_as<uint8_t*>;
  { item->Cap() } -> std::same_as<size_t>;
  { item->Len() } -> std::same_as<size_t>;
};

// Poisoning for AddressSanitizer: memory resting in a pool is unaddressable, so a holder that
// writes after Put is reported. No-ops in other builds.
inline void PoisonRegion(const void* p, size_t n) {
#ifdef BP_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}
inline void UnpoisonRegion(const void* p, size_t n) {
#ifdef BP_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p;
  (void)n;
#endif
}

// A small per-thread index, stable for the thread's life, for spreading counters over shards.
inline unsigned ThreadSlot() {
  static std::atomic<unsigned> next{0};
  thread_local const unsigned slot = next.fetch_add(1, std::memory_order_relaxed);
  return slot;
}

// Event counters that do not serialise threads: each thread adds to its own cache line (threads
// beyond kShards share lines, still without a lock). Reading sums the shards; exact at quiescence.
// Cost on the hot path: one uncontended relaxed fetch_add per event (about 5 ns on x86).
class PoolCounters {
 public:
  static constexpr unsigned kShards = 64;

  void Hit(size_t cap) {
    Shard& s = shards_[ThreadSlot() % kShards];
    s.hits.fetch_add(1, std::memory_order_relaxed);
    s.retained.fetch_sub(static_cast<int64_t>(cap), std::memory_order_relaxed);
  }
  void Miss() { Local().misses.fetch_add(1, std::memory_order_relaxed); }
  void Kept(size_t cap) {
    Shard& s = Local();
    s.kept.fetch_add(1, std::memory_order_relaxed);
    s.retained.fetch_add(static_cast<int64_t>(cap), std::memory_order_relaxed);
  }
  void Dropped() { Local().drops.fetch_add(1, std::memory_order_relaxed); }
  // Items freed by the pool on its own (a victim generation dropped, retention over its bound).
  void Evicted(size_t cap) {
    Local().retained.fetch_sub(static_cast<int64_t>(cap), std::memory_order_relaxed);
  }
  // Records a retained-bytes reading as a candidate for the peak.
  void NotePeak(uint64_t retained) {
    uint64_t p = peak_.load(std::memory_order_relaxed);
    while (retained > p && !peak_.compare_exchange_weak(p, retained, std::memory_order_relaxed)) {
    }
  }

  uint64_t RetainedBytes() const {
    int64_t sum = 0;
    for (const Shard& s : shards_) sum += s.retained.load(std::memory_order_relaxed);
    return sum < 0 ? 0 : static_cast<uint64_t>(sum);
  }

  PoolStats Snapshot() const {
    PoolStats st;
    uint64_t kept = 0;
    for (const Shard& s : shards_) {
      st.hits += s.hits.load(std::memory_order_relaxed);
      st.misses += s.misses.load(std::memory_order_relaxed);
      st.drops += s.drops.load(std::memory_order_relaxed);
      kept += s.kept.load(std::memory_order_relaxed);
    }
    st.gets = st.hits + st.misses;
    st.puts = kept + st.drops;
    st.retained_bytes = RetainedBytes();
    st.peak_retained_bytes = std::max(peak_.load(std::memory_order_relaxed), st.retained_bytes);
    return st;
  }

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
    std::atomic<uint64_t> kept{0};
    std::atomic<uint64_t> drops{0};
    std::atomic<int64_t> retained{0};
  };
  Shard& Local() { return shards_[ThreadSlot() % kShards]; }

  Shard shards_[kShards];
  std::atomic<uint64_t> peak_{0};
};

}  // namespace bp
