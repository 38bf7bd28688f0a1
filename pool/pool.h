// The pool contract: what every pool under test promises, checked by one typed test suite
// (tests/pool_contract_test.cc) and relied on by the stress runner (tool/run/runner.h).
//
// A pool P hands out items of type P::Item (bp::Buffer, bp::FixedBuffer, or a plugin's buffer):
//   P::Item* Get(size_t n)  — any thread. Returns an item the caller now holds alone, with
//                             Len() == 0 and, when P::kTraits.promises_capacity, Cap() >= n. A pool
//                             with fixed capacity (kTraits.fixed_capacity) may return Cap() < n:
//                             the caller's writes are truncated, which is that pool's documented
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
#include <functional>
#include <mutex>
#include <queue>
#include <vector>

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
  bool operator==(const PoolTraits&) const = default;
};

struct PoolStats {
  uint64_t gets = 0;
  uint64_t puts = 0;
  uint64_t hits = 0;                 // Get served from retained items
  uint64_t misses = 0;               // Get that had to allocate
  uint64_t drops = 0;                // Put that freed the item instead of keeping it
  uint64_t retained_bytes = 0;       // capacity held by the pool now
  uint64_t peak_retained_bytes = 0;  // the most it held at once (see each pool for precision)
  bool operator==(const PoolStats&) const = default;
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

namespace internal {

inline constexpr unsigned kNoSlot = ~0u;
// The calling thread's slot, kNoSlot until its first ThreadSlot() call and again after the thread's
// thread_local destructors released it. Constant-initialised, so reading it costs one TLS load.
inline constinit thread_local unsigned tls_thread_slot = kNoSlot;

// Slots of exited threads, reused lowest first so that the live slots stay dense (below
// PoolCounters::kShards for up to that many live threads). Never destroyed: threads may exit after
// static destructors ran.
struct SlotRegistry {
  std::mutex mu;
  std::priority_queue<unsigned, std::vector<unsigned>, std::greater<unsigned>> free;
  unsigned next = 0;
};
inline SlotRegistry& Slots() {
  static SlotRegistry* registry = new SlotRegistry;
  return *registry;
}
struct SlotReleaser {
  ~SlotReleaser() {
    SlotRegistry& r = Slots();
    std::lock_guard<std::mutex> lock(r.mu);
    r.free.push(tls_thread_slot);
    tls_thread_slot = kNoSlot;
  }
};
inline unsigned AcquireThreadSlot() {
  SlotRegistry& r = Slots();
  {
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.free.empty()) {
      tls_thread_slot = r.next++;
    } else {
      tls_thread_slot = r.free.top();
      r.free.pop();
    }
  }
  static thread_local SlotReleaser releaser;
  (void)releaser;
  return tls_thread_slot;
}

}  // namespace internal

// A small per-thread index: unique among the threads alive at the same time and stable for a
// thread's life; the slot of a thread that exited is given to a later thread (lowest free first),
// so slots stay below the number of threads ever alive at once. Pools key per-thread state on it.
// Cost: one TLS load and a predictable branch.
inline unsigned ThreadSlot() {
  const unsigned slot = internal::tls_thread_slot;
  if (slot != internal::kNoSlot) [[likely]] {
    return slot;
  }
  return internal::AcquireThreadSlot();
}

// Event counters that do not serialise threads. A thread whose slot is below kShards owns a shard
// (slots are unique among live threads) and updates it with a relaxed load and store: no atomic
// read-modify-write, about 1 ns per event. Threads with higher slots share kOverflowShards shards
// through relaxed fetch_add (about 5 ns, still without a lock). Reading sums the shards; exact at
// quiescence.
class PoolCounters {
 public:
  static constexpr unsigned kShards = 64;
  static constexpr unsigned kOverflowShards = 8;

  struct Shard;
  // A thread slot's shard, for a pool that keeps it in its own per-thread table (a slot's shard
  // never changes) and so skips the ThreadSlot() lookup and range check of each event (about 5
  // instructions each).
  struct Ref {
    Shard* shard;
    bool owned;
  };
  Ref RefOf(unsigned slot) {
    if (slot < kShards) return {&shards_[slot], true};
    return {&overflow_[slot % kOverflowShards], false};
  }

  [[gnu::always_inline]] void Hit(size_t cap) { Hit(Local(), cap); }
  [[gnu::always_inline]] void Hit(Ref r, size_t cap) {
    Add(r, r.shard->hits, 1);
    Add(r, r.shard->retained, 0 - static_cast<uint64_t>(cap));
  }
  [[gnu::always_inline]] void Miss() {
    Ref r = Local();
    Add(r, r.shard->misses, 1);
  }
  [[gnu::always_inline]] void Kept(size_t cap) { Kept(Local(), cap); }
  [[gnu::always_inline]] void Kept(Ref r, size_t cap) {
    Add(r, r.shard->kept, 1);
    Add(r, r.shard->retained, cap);
  }
  [[gnu::always_inline]] void Dropped() {
    Ref r = Local();
    Add(r, r.shard->drops, 1);
  }
  // Items freed by the pool on its own (a victim generation dropped, retention over its bound).
  void Evicted(size_t cap) {
    Ref r = Local();
    Add(r, r.shard->retained, 0 - static_cast<uint64_t>(cap));
  }
  // Items the pool holds without a Put (preallocated at construction).
  void Preallocated(size_t cap) {
    Ref r = Local();
    Add(r, r.shard->retained, cap);
  }
  // Records a retained-bytes reading as a candidate for the peak.
  void NotePeak(uint64_t retained) {
    uint64_t p = peak_.load(std::memory_order_relaxed);
    while (retained > p && !peak_.compare_exchange_weak(p, retained, std::memory_order_relaxed)) {
    }
  }

  uint64_t RetainedBytes() const {
    uint64_t sum = 0;  // modular: the shards' signed parts cancel
    for (const Shard& s : shards_) sum += s.retained.load(std::memory_order_relaxed);
    for (const Shard& s : overflow_) sum += s.retained.load(std::memory_order_relaxed);
    const auto signed_sum = static_cast<int64_t>(sum);
    return signed_sum < 0 ? 0 : static_cast<uint64_t>(signed_sum);
  }

  PoolStats Snapshot() const {
    PoolStats st;
    uint64_t kept = 0;
    auto add = [&](const Shard& s) {
      st.hits += s.hits.load(std::memory_order_relaxed);
      st.misses += s.misses.load(std::memory_order_relaxed);
      st.drops += s.drops.load(std::memory_order_relaxed);
      kept += s.kept.load(std::memory_order_relaxed);
    };
    for (const Shard& s : shards_) add(s);
    for (const Shard& s : overflow_) add(s);
    st.gets = st.hits + st.misses;
    st.puts = kept + st.drops;
    st.retained_bytes = RetainedBytes();
    st.peak_retained_bytes = std::max(peak_.load(std::memory_order_relaxed), st.retained_bytes);
    return st;
  }

  struct alignas(64) Shard {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
    std::atomic<uint64_t> kept{0};
    std::atomic<uint64_t> drops{0};
    std::atomic<uint64_t> retained{0};  // two's complement: a shard may give away more than it got
  };

 private:
  [[gnu::always_inline]] Ref Local() {
    const unsigned slot = ThreadSlot();
    if (slot < kShards) [[likely]] {
      return {&shards_[slot], true};
    }
    return {&overflow_[slot % kOverflowShards], false};
  }
  [[gnu::always_inline]] static void Add(Ref r, std::atomic<uint64_t>& c, uint64_t v) {
    if (r.owned) {
      c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    } else {
      c.fetch_add(v, std::memory_order_relaxed);
    }
  }

  Shard shards_[kShards];
  Shard overflow_[kOverflowShards];
  std::atomic<uint64_t> peak_{0};
};

}  // namespace bp
