// bp::FixedPool — the Viki bytepool: `count` preallocated FixedBuffers of one fixed capacity.
//
// Get(n) ignores n (capacity is fixed: writes past Cap() are truncated, kTraits.fixed_capacity)
// and returns a pooled item, or on an empty pool a transient item (a miss; owner() == nullptr).
// Put resets the item; a pooled item goes back, a transient one is freed (a drop), so the pool
// never holds more than `count` items and never grows. Checkout() wraps Get in an RAII Lease whose
// Close() (or destruction) returns the item once: closing twice is a no-op, where the Go original
// either blocks forever or lets two holders share one item.
//
// The free list is a lock-free Treiber stack of item indices; the head carries a 32-bit tag bumped
// on every push and pop, so a stale compare-and-swap (ABA) cannot succeed. Items live as long as
// the pool, so reading a popped item's next link is safe. With 64 threads on a few items this
// costs retries, never a lock convoy; a miss never waits. Retained bytes start at
// count * capacity, which is also the exact peak.
//
// Thread safety: Get, Put, Checkout and Stats from any thread; a Lease belongs to one thread at a
// time. The destructor needs quiescence and every pooled item back (transient ones may be out).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
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

  FixedBuffer* Get(size_t n);
  void Put(FixedBuffer* item);
  PoolStats Stats() const { return counters_.Snapshot(); }

  size_t count() const { return count_; }
  size_t capacity() const { return capacity_; }

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

  const size_t count_;
  const size_t capacity_;
  std::vector<FixedBuffer> items_;                 // never resized: an item's index is its offset
  std::unique_ptr<std::atomic<uint32_t>[]> next_;  // free-list links, by item index
  alignas(64) std::atomic<uint64_t> head_;         // (tag << 32) | index of the top item
  alignas(64) PoolCounters counters_;
};

}  // namespace bp
