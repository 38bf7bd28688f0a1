// bp::LeakPool — FAULTY: every kEvery-th Put counts a drop but never frees the buffer.
//
// Planted bug: memory leaked by the pool. Expected detector: the runner's leak check (heap not
// returned after the pool is destroyed). In ASan builds the leaked blocks are marked ignored for
// LeakSanitizer, so that the processes that run this pool on purpose (tests, selftest) still exit
// cleanly and the runner's own detector is the one being proven. The leaked buffer is left
// unpoisoned and untouched; everything else follows the contract (the drop is counted, so the
// identities still add up: the pool lies only about having freed it).
//
// Thread safety: Get, Put and Stats from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "pool/faulty/list_pool.h"

#ifdef BP_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace bp {

class LeakPool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:leak";
  static constexpr uint64_t kEvery = 10;

  Buffer* Get(size_t n) { return Take(n); }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    const uint64_t k = puts_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (k % kEvery == 0) {
      counters_.Dropped();  // the planted leak: "dropped", yet never deleted
#ifdef BP_ASAN
      __lsan_ignore_object(b);
      if (b->data() != nullptr) __lsan_ignore_object(b->data());
#endif
      return;
    }
    Give(b);
  }

 private:
  std::atomic<uint64_t> puts_{0};
};

}  // namespace bp
