// bp::RacePool — FAULTY: the free list is shared by all threads without any synchronisation.
//
// Planted bug: a data race on the list (top index and slots). Expected detector: ThreadSanitizer
// ("data race" in RacePool::Get/Put) as soon as two threads use the pool. Without TSan the race
// shows as double hand-outs (two threads pop the same top) and lost buffers (two pushes to one
// slot), which the ownership registry and the leak check may also catch.
// Everything else is as the contract says: cap >= n, Len() == 0, counters add up (they are
// PoolCounters, which are race-free); single-threaded it is a correct pool.
// The list is a fixed array with bounds checks, so the race corrupts ownership, never the
// process's heap; the destructor frees each listed buffer once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "pool/buffer.h"
#include "pool/pool.h"

namespace bp {

class RacePool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:race";
  static constexpr size_t kSlots = 1024;

  RacePool() = default;
  ~RacePool() {
    std::vector<Buffer*> listed(slots_, slots_ + std::min(top_, kSlots));
    std::sort(listed.begin(), listed.end());
    listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
    for (Buffer* b : listed) {
      if (b == nullptr) continue;
      UnpoisonRegion(b->data(), b->Cap());
      delete b;
    }
  }
  RacePool(const RacePool&) = delete;
  RacePool& operator=(const RacePool&) = delete;

  Buffer* Get(size_t n) {
    const size_t top = top_;  // unsynchronised read: the planted race
    Buffer* b = top == 0 || top > kSlots ? nullptr : slots_[top - 1];
    if (b == nullptr) {
      counters_.Miss();
      return new Buffer(n);
    }
    top_ = top - 1;
    counters_.Hit(b->Cap());
    UnpoisonRegion(b->data(), b->Cap());
    b->Reset();
    if (b->Cap() < n) b->Grow(n);
    return b;
  }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    const size_t top = top_;
    if (top >= kSlots) {
      counters_.Dropped();
      delete b;
      return;
    }
    b->Reset();
    counters_.Kept(b->Cap());
    PoisonRegion(b->data(), b->Cap());
    slots_[top] = b;
    top_ = top + 1;
  }

  PoolStats Stats() const { return counters_.Snapshot(); }

 private:
  size_t top_ = 0;
  Buffer* slots_[kSlots] = {};
  PoolCounters counters_;
};

}  // namespace bp
