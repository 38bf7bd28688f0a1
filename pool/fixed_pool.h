// bp::FixedPool — the Viki bytepool: `count` preallocated FixedBuffers of one fixed capacity.
//
// Get(n) ignores n (capacity is fixed: writes past Cap() are truncated, kTraits.fixed_capacity)
// and returns a pooled item, or on an empty pool a transient item (a miss; owner() == nullptr).
// Put resets the item; a pooled item goes back, a transient one is freed (a drop), so the pool
// never holds more than `count` items and never grows. Checkout() wraps Get in an RAII Lease whose
// Close() (or destruction) returns the item once: closing twice is a no-op, where the Go original
// either blocks forever or lets two holders share one item.
//
// Layout: a small cache per thread in front of a shared free list. A free item is either in the
// shared list or in exactly one thread's cache, so the bound on what the pool holds is unchanged:
//   per thread  up to cache_items() item indices (min(kMaxCacheItems, count / 8): none when
//               count < 8, so a small pool stays one shared list), indexed by ThreadSlot() and
//               touched only by the owning thread. Get pops from it and Put pushes onto it: a TLS
//               load, a compare and a store, no atomic read-modify-write (the single shared head
//               made 2 threads 12x slower per op than 1: both cores fought over its cache line).
//   shared      a lock-free Treiber stack of item indices; the head carries a 32-bit tag bumped on
//               every push and pop, so a stale compare-and-swap (ABA) cannot succeed. Items live as
//               long as the pool, so reading a popped item's next link is safe. Get takes from it
//               when its cache is empty; Put of a full cache pushes half the cache and the item in
//               one exchange. A miss never waits.
// A thread's cache goes back to the shared list when the thread exits (a thread_local hook, armed
// on the thread's first cached Put, drains that thread's cache in every live FixedPool under one
// mutex that the destructor also takes), so restarting workers never strands items. While a thread
// lives, its cache may hold up to cache_items() free items another thread would miss on: that is
// the price of not sharing a cache line per op. Threads whose slot is kMaxCachedThreads or above
// use the shared list only. Retained bytes start at count * capacity, which is also the exact peak.
//
// Thread safety: Get, Put, Checkout and Stats from any thread; a Lease belongs to one thread at a
// time. The destructor needs quiescence and every pooled item back (transient ones may be out).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "pool/fixed_buffer.h"
#include "pool/pool.h"

namespace bp {

class FixedPool {
 public:
  using Item = FixedBuffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = false, .fixed_capacity = true, .pools = true};
  static constexpr const char* kName = "fixed";

  // Defaults of the article's benchmark: 64 items of 64 KiB.
  explicit FixedPool(size_t count = 64, size_t capacity = 65536);
  ~FixedPool();
  FixedPool(const FixedPool&) = delete;
  FixedPool& operator=(const FixedPool&) = delete;

  static constexpr uint32_t kMaxCacheItems = 8;
  static constexpr unsigned kMaxCachedThreads = 256;

  // Fast path (an item in this thread's cache): a TLS load, a pop, the owner-only counters.
  [[gnu::always_inline]] FixedBuffer* Get(size_t /*n*/) {
    Cache* c = LocalCache();
    if (c != nullptr && c->count != 0) [[likely]] {
      return Handout(c->items[--c->count]);
    }
    return GetShared();
  }

  // Fast path (room in this thread's cache): the counters, a TLS load and a push.
  [[gnu::always_inline]] void Put(FixedBuffer* item) {
    if (item == nullptr) return;
    if (item->owner() != this) [[unlikely]] {
      return DropTransient(item);
    }
    item->Reset();
    counters_.Kept(capacity_);
    PoisonRegion(item->data(), capacity_);
    const auto index = static_cast<uint32_t>(reinterpret_cast<const Slot*>(item) - items_.data());
    Cache* c = LocalCache();
    if (c != nullptr && c->count < cache_items_ && c->armed) [[likely]] {
      c->items[c->count++] = index;
      return;
    }
    PutSlow(c, index);
  }

  PoolStats Stats() const { return counters_.Snapshot(); }

  size_t count() const { return count_; }
  size_t capacity() const { return capacity_; }
  uint32_t cache_items() const { return cache_items_; }
  // Free items in the shared list now (not in any thread's cache); for tests at quiescence.
  size_t SharedFree() const;
  // Moves the calling thread's cache to the shared list (what its exit does).
  void DrainLocalCache();

  // An item held until Close() or destruction; movable, not copyable.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), item_(std::exchange(other.item_, nullptr)) {}
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        Close();
        pool_ = std::exchange(other.pool_, nullptr);
        item_ = std::exchange(other.item_, nullptr);
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Close(); }

    // Returns the item to the pool; later calls do nothing.
    void Close() {
      if (item_ != nullptr) pool_->Put(std::exchange(item_, nullptr));
    }
    bool open() const { return item_ != nullptr; }
    FixedBuffer* get() const { return item_; }
    FixedBuffer* operator->() const { return item_; }
    FixedBuffer& operator*() const { return *item_; }

   private:
    friend class FixedPool;
    Lease(FixedPool* pool, FixedBuffer* item) : pool_(pool), item_(item) {}
    FixedPool* pool_ = nullptr;
    FixedBuffer* item_ = nullptr;
  };

  Lease Checkout() { return Lease(this, Get(0)); }

 private:
  static constexpr uint32_t kNil = ~0u;
  static uint64_t Pack(uint32_t tag, uint32_t index) { return (uint64_t{tag} << 32) | index; }

  // One thread's cache, on its own cache line. `armed`: the owner's exit hook is in place (reset
  // by a drain, so a later thread given the same slot arms its own).
  struct alignas(64) Cache {
    uint32_t count = 0;
    bool armed = false;
    uint32_t items[kMaxCacheItems];
  };
  static_assert(sizeof(Cache) == 64);
  // One item per cache line: Get and Put write the item they hand out (Reset), and with items
  // packed at 48 bytes two threads cycling neighbouring items wrote one line between them on every
  // op. The item is the first member, so an item's address is its slot's (and index = offset / 64,
  // a shift).
  struct alignas(64) Slot {
    explicit Slot(size_t capacity) : item(capacity) {}
    FixedBuffer item;
  };
  static_assert(sizeof(Slot) == 64 && std::is_standard_layout_v<Slot>);
  friend struct FixedPoolExitHook;

  [[gnu::always_inline]] Cache* LocalCache() {
    const unsigned slot = ThreadSlot();
    return slot < cached_threads_ ? &caches_[slot] : nullptr;
  }
  [[gnu::always_inline]] FixedBuffer* Handout(uint32_t index) {
    FixedBuffer* item = &items_[index].item;
    counters_.Hit(capacity_);
    UnpoisonRegion(item->data(), capacity_);
    item->Reset();
    return item;
  }
  FixedBuffer* GetShared();
  void PutSlow(Cache* c, uint32_t index);
  void DropTransient(FixedBuffer* item);
  // Pushes the chain first -> ... -> last (already linked through next_) in one exchange.
  void PushShared(uint32_t first, uint32_t last);
  void DrainSlot(unsigned slot);

  const size_t count_;
  const size_t capacity_;
  const uint32_t cache_items_;
  const unsigned cached_threads_;  // kMaxCachedThreads, or 0 when cache_items_ == 0
  std::unique_ptr<Cache[]> caches_;
  std::vector<Slot> items_;                        // never resized: an item's index is its offset
  std::unique_ptr<std::atomic<uint32_t>[]> next_;  // free-list links, by item index
  alignas(64) std::atomic<uint64_t> head_;         // (tag << 32) | index of the top item
  alignas(64) PoolCounters counters_;
};

}  // namespace bp
