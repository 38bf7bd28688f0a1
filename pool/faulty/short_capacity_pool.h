// bp::ShortCapacityPool — FAULTY: every kEvery-th Get(n) with n >= 2 returns a new buffer of
// capacity bit_floor(n - 1) < n, as a pool that rounds down instead of up would.
//
// Planted bug: Cap() < n although kTraits.promises_capacity. Expected detector: the capacity check
// (short_capacity); ASan also reports a heap-buffer-overflow if a holder writes n bytes through
// data(). The short buffer is an ordinary pooled buffer afterwards; everything else follows the
// contract.
//
// Thread safety: Get, Put and Stats from any thread.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "pool/faulty/list_pool.h"

namespace bp {

class ShortCapacityPool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:short-capacity";
  static constexpr uint64_t kEvery = 50;

  Buffer* Get(size_t n) {
    const uint64_t k = gets_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (k % kEvery == 0 && n >= 2) {
      counters_.Miss();
      return new Buffer(std::bit_floor(n - 1));
    }
    return Take(n);
  }
  void Put(Buffer* b) {
    if (b != nullptr) Give(b);
  }

 private:
  std::atomic<uint64_t> gets_{0};
};

}  // namespace bp
