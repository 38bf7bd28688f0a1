// bp::StalePool — FAULTY: Put does not Reset and Get does not reset, so a buffer comes back with
// the length its previous holder left.
//
// Planted bug: Get returns Len() != 0 whenever the previous holder wrote. Expected detector: the
// emptiness check (not_empty). Capacity still covers n beyond the stale bytes, and everything else
// follows the contract.
//
// Thread safety: Get, Put and Stats from any thread.
#pragma once

#include <cstddef>

#include "pool/faulty/list_pool.h"

namespace bp {

class StalePool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:stale";

  Buffer* Get(size_t n) { return Take(n, /*reset=*/false); }
  void Put(Buffer* b) {
    if (b != nullptr) Give(b, /*reset=*/false);
  }
};

}  // namespace bp
