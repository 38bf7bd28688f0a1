// bp::HangPool — FAULTY: the hang_at-th Get (the 1000th by default, counted over all threads)
// never returns: the calling thread sleeps in a loop of 100 ms naps.
//
// Planted bug: a pool that blocks. Expected detector: the runner's watchdog (--deadline), which
// reports the run as hung and abandons the thread (it cannot be joined; the pool must then be
// leaked, not destroyed). ReleaseHung() lets a blocked Get finish within 100 ms: that is for tests
// only, the bug is what happens without it. Everything else follows the contract.
//
// Thread safety: Get, Put, Stats and ReleaseHung from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "pool/faulty/list_pool.h"

namespace bp {

class HangPool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:hang";

  explicit HangPool(uint64_t hang_at = 1000) : hang_at_(hang_at) {}

  Buffer* Get(size_t n) {
    if (gets_.fetch_add(1, std::memory_order_relaxed) + 1 == hang_at_) {
      hung_.fetch_add(1, std::memory_order_relaxed);
      while (!released_.load(std::memory_order_acquire)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      hung_.fetch_sub(1, std::memory_order_relaxed);
    }
    return Take(n);
  }
  void Put(Buffer* b) {
    if (b != nullptr) Give(b);
  }

  // Threads blocked in Get now.
  unsigned hung() const { return hung_.load(std::memory_order_relaxed); }
  void ReleaseHung() { released_.store(true, std::memory_order_release); }

 private:
  const uint64_t hang_at_;
  std::atomic<uint64_t> gets_{0};
  std::atomic<unsigned> hung_{0};
  std::atomic<bool> released_{false};
};

}  // namespace bp
