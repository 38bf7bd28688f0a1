// bp::NullPool — the harness floor: what the stress loop costs around a pool that does nothing.
//
// Each thread has its own kPerThread preallocated Buffers in this pool (kept in a per-ThreadSlot
// array, created on the thread's first Get). Get(n) hands out a free one, grown to n if it is
// smaller (so capacities settle at the largest size asked); Put marks it free again. When all
// kPerThread are out (holding more at once), or for threads beyond kMaxSlots, Get allocates a
// transient Buffer that Put frees. Counting keeps the identities: a hand-out of a buffer with
// storage is a hit, of one without (first use) or a transient one a miss; every Put of a per-thread
// buffer is kept, of a transient one a drop.
//
// Thread safety: Get and Stats from any thread, but Put must come from the thread that got the
// buffer (there is no cross-thread path: that is what keeps the floor free of atomics). A put from
// another thread is outside what NullPool supports; the runner uses it without cross-thread
// hand-offs. The destructor needs quiescence.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "pool/buffer.h"
#include "pool/pool.h"

namespace bp {

class NullPool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "null";
  static constexpr unsigned kPerThread = 16;
  static constexpr unsigned kMaxSlots = 1024;

  NullPool() = default;
  ~NullPool() {
    for (unsigned i = 0; i < kMaxSlots; ++i) {
      PerThread* t = slots_[i].load(std::memory_order_acquire);
      if (t == nullptr) continue;
      for (Buffer& b : t->buffers) UnpoisonRegion(b.data(), b.Cap());
      delete t;
    }
  }
  NullPool(const NullPool&) = delete;
  NullPool& operator=(const NullPool&) = delete;

  // Fast path (a per-thread buffer already big enough): a TLS load, two loads, a bit scan and
  // one counter store, inline. Growing, first use and transient buffers are out of line.
  [[gnu::always_inline]] Buffer* Get(size_t n) {
    PerThread* t = Local();
    const uint32_t mask = t == nullptr ? 0 : t->free_mask.load(std::memory_order_relaxed);
    if (mask != 0) [[likely]] {
      const int i = std::countr_zero(mask);
      t->free_mask.store(mask & ~(1u << i), std::memory_order_relaxed);
      Buffer& b = t->buffers[i];
      const size_t cap = b.Cap();
      if (cap >= n && cap != 0) [[likely]] {
        Bump(t->hits, 1);
        UnpoisonRegion(b.data(), cap);
        b.Reset();
        return &b;
      }
      return Prepare(t, i, n);
    }
    return Transient(n);
  }

  // Fast path: a range check and one bit set; no counter (Stats derives puts and retained bytes
  // from the free mask).
  [[gnu::always_inline]] void Put(Buffer* b) {
    if (b == nullptr) return;
    PerThread* t = Local();
    const auto at = reinterpret_cast<uintptr_t>(b);
    const auto first = t == nullptr ? 0 : reinterpret_cast<uintptr_t>(&t->buffers[0]);
    if (t != nullptr && at >= first && at < first + sizeof(t->buffers)) [[likely]] {
      PoisonRegion(b->data(), b->Cap());
      const uint32_t bit = 1u << ((at - first) / sizeof(Buffer));
      t->free_mask.store(t->free_mask.load(std::memory_order_relaxed) | bit,
                         std::memory_order_relaxed);
      return;
    }
    Drop(b);
  }

  // Every thread's own counters plus the transient buffers' (exact at quiescence). A per-thread
  // buffer that is not out has been put back once per get, so a thread's puts are its gets less
  // the buffers it holds now, and what it retains is the capacity of its free buffers. Only
  // per-thread buffers are retained; the peak is not tracked separately (it is the end state
  // once every thread's buffers have grown).
  PoolStats Stats() const {
    PoolStats st = counters_.Snapshot();  // transient buffers: misses and drops
    uint64_t retained = 0;
    for (unsigned i = 0; i < kMaxSlots; ++i) {
      const PerThread* t = slots_[i].load(std::memory_order_acquire);
      if (t == nullptr) continue;
      const uint64_t gets =
          t->hits.load(std::memory_order_relaxed) + t->misses.load(std::memory_order_relaxed);
      const uint32_t free = t->free_mask.load(std::memory_order_relaxed);
      const uint32_t used = t->used_mask.load(std::memory_order_relaxed);
      const uint64_t out = std::popcount(used & ~free);
      for (unsigned k = 0; k < kPerThread; ++k) {
        if ((used & free) >> k & 1) retained += t->caps[k].load(std::memory_order_relaxed);
      }
      st.hits += t->hits.load(std::memory_order_relaxed);
      st.misses += t->misses.load(std::memory_order_relaxed);
      st.puts += gets - std::min(gets, out);
    }
    st.gets = st.hits + st.misses;
    st.retained_bytes = retained;
    st.peak_retained_bytes = std::max(st.peak_retained_bytes, st.retained_bytes);
    return st;
  }

 private:
  // Owned by one thread: it updates its counters with a relaxed load and store (no atomic
  // read-modify-write, no shard lookup: the entry is already in a register); Stats reads them.
  // Transient buffers (no free per-thread one, or a thread beyond kMaxSlots) count in counters_.
  // used_mask: buffers handed out at least once; caps[k]: buffers[k].Cap() as of its last growth.
  // Both are written by the owner only on first use or growth, so that Stats never reads a Buffer
  // another thread may change.
  struct PerThread {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
    std::atomic<uint32_t> free_mask{(uint32_t{1} << kPerThread) - 1};
    std::atomic<uint32_t> used_mask{0};
    std::atomic<uint64_t> caps[kPerThread] = {};
    Buffer buffers[kPerThread];
  };
  static void Bump(std::atomic<uint64_t>& c, uint64_t v) {
    c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }
  static_assert(kPerThread <= 32);

  // The owner creates its own entry, so the only other reader is the destructor.
  [[gnu::always_inline]] PerThread* Local() {
    const unsigned slot = ThreadSlot();
    if (slot >= kMaxSlots) [[unlikely]] {
      return nullptr;
    }
    PerThread* t = slots_[slot].load(std::memory_order_relaxed);
    if (t == nullptr) [[unlikely]] {
      return Create(slot);
    }
    return t;
  }
  [[gnu::noinline]] PerThread* Create(unsigned slot) {
    PerThread* t = new PerThread;
    slots_[slot].store(t, std::memory_order_release);
    return t;
  }
  // A per-thread buffer without storage (first use: a miss) or too small (a hit that grows).
  [[gnu::noinline]] Buffer* Prepare(PerThread* t, int i, size_t n) {
    Buffer& b = t->buffers[i];
    if (b.Cap() == 0) {
      Bump(t->misses, 1);
    } else {
      Bump(t->hits, 1);
      UnpoisonRegion(b.data(), b.Cap());
    }
    if (b.Cap() < n) b.Grow(n);
    b.Reset();
    t->caps[i].store(b.Cap(), std::memory_order_relaxed);
    t->used_mask.store(t->used_mask.load(std::memory_order_relaxed) | (1u << i),
                       std::memory_order_relaxed);
    return &b;
  }
  [[gnu::noinline]] Buffer* Transient(size_t n) {
    counters_.Miss();
    return new Buffer(n);
  }
  [[gnu::noinline]] void Drop(Buffer* b) {
    counters_.Dropped();
    delete b;
  }

  std::unique_ptr<std::atomic<PerThread*>[]> slots_ =
      std::make_unique<std::atomic<PerThread*>[]>(kMaxSlots);
  PoolCounters counters_;
};

}  // namespace bp
