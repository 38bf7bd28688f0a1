// bp::MallocPool — no pooling: the baseline every pool is compared with.
//
// Get(n) allocates a new Buffer of exactly n (a miss, every time); Put frees it (a drop, every
// time); nothing is retained. What it costs is what the allocator costs (glibc malloc here).
//
// Thread safety: Get, Put and Stats from any thread.
#pragma once

#include <cstddef>

#include "pool/buffer.h"
#include "pool/pool.h"

namespace bp {

class MallocPool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = false};
  static constexpr const char* kName = "malloc";

  Buffer* Get(size_t n) {
    counters_.Miss();
    return new Buffer(n);
  }
  void Put(Buffer* b) {
    if (b == nullptr) return;
    counters_.Dropped();
    delete b;
  }
  PoolStats Stats() const { return counters_.Snapshot(); }

 private:
  PoolCounters counters_;
};

}  // namespace bp
