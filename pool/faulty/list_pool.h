// bp::FaultyListPool — the correct skeleton every deliberately faulty pool is built on, so that
// each of them breaks the contract only where it means to.
//
// A mutex-protected LIFO of Buffers with no retention bound: Take(n) pops the newest buffer (a
// hit), grows it to n and resets it, or allocates a Buffer of n (a miss); Give(b) poisons b and
// pushes it (kept). The destructor frees each listed buffer once, even if a planted bug listed it
// twice. Slow by design (one lock per call): faulty pools exist to be caught, not to be fast.
//
// Thread safety: Take, Give and Stats from any thread; the destructor needs quiescence.
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <vector>

#include "pool/buffer.h"
#include "pool/pool.h"

namespace bp {

class FaultyListPool {
 public:
  using Item = Buffer;

  FaultyListPool() = default;
  ~FaultyListPool() {
    std::sort(free_.begin(), free_.end());
    free_.erase(std::unique(free_.begin(), free_.end()), free_.end());
    for (Buffer* b : free_) {
      UnpoisonRegion(b->data(), b->Cap());
      delete b;
    }
  }
  FaultyListPool(const FaultyListPool&) = delete;
  FaultyListPool& operator=(const FaultyListPool&) = delete;

  PoolStats Stats() const { return counters_.Snapshot(); }

 protected:
  // `reset` false leaves the length a previous holder left (StalePool's bug).
  Buffer* Take(size_t n, bool reset = true) {
    Buffer* b = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        b = free_.back();
        free_.pop_back();
      }
    }
    if (b == nullptr) {
      counters_.Miss();
      return new Buffer(n);
    }
    counters_.Hit(b->Cap());
    UnpoisonRegion(b->data(), b->Cap());
    if (reset) b->Reset();
    if (b->Available() < n) b->Grow(n);
    return b;
  }
  void Give(Buffer* b, bool reset = true) {
    if (reset) b->Reset();
    counters_.Kept(b->Cap());
    PoisonRegion(b->data(), b->Cap());
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(b);
  }

  std::mutex mu_;
  std::vector<Buffer*> free_;
  PoolCounters counters_;
};

}  // namespace bp
