// bp::UseAfterPutPool — FAULTY: every kEvery-th Put, after poisoning the buffer, the pool writes a
// "free" marker byte into the buffer's storage.
//
// Planted bug: the pool touches storage it has already poisoned. Expected detector:
// AddressSanitizer (use-after-poison in UseAfterPutPool::Put). In builds without ASan the write
// lands in memory the pool owns, so it is invisible except as the marker at offset 0 of a buffer
// that comes back from Get: nothing else is wrong, and everything else follows the contract.
//
// Thread safety: Get, Put and Stats from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "pool/faulty/list_pool.h"

namespace bp {

class UseAfterPutPool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:use-after-put";
  static constexpr uint64_t kEvery = 16;
  static constexpr uint8_t kFreeMarker = 0xDD;

  Buffer* Get(size_t n) { return Take(n); }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    const uint64_t k = puts_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (k % kEvery != 0 || b->Cap() == 0) return Give(b);
    b->Reset();
    counters_.Kept(b->Cap());
    PoisonRegion(b->data(), b->Cap());
    std::lock_guard<std::mutex> lock(mu_);
    b->data()[0] = kFreeMarker;  // the planted access: after poisoning, still under the list lock
    free_.push_back(b);
  }

 private:
  std::atomic<uint64_t> puts_{0};
};

}  // namespace bp
