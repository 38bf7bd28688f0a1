// bp::NaivePool — the GWS article's "simple sync.Pool": one SyncPool of Buffers created with 1 KiB.
//
// Get(n) takes any retained buffer (or makes a 1 KiB one) and grows it to n with Buffer::Grow, as
// a Go user of the naive pool does by writing n bytes; so Cap() >= n always and the cost of that
// growth is part of the measurement. Put keeps whatever capacity the buffer has (Go's naive pool
// retains grown buffers, which is the article's point about unstable capacities: one large
// payload leaves a large buffer that later small requests keep around).
//
// Thread safety and retention: those of bp::SyncPool (sync_pool.h).
#pragma once

#include <cstddef>

#include "pool/buffer.h"
#include "pool/pool.h"
#include "pool/sync_pool.h"

namespace bp {

class NaivePool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "naive";
  // The article's New: bytes.NewBuffer(make([]byte, 0, 1024)).
  static constexpr size_t kInitialCapacity = 1024;

  explicit NaivePool(SyncPool::Options options = {})
      : pool_(options, [](size_t) { return new Buffer(kInitialCapacity); }) {}

  Buffer* Get(size_t n) {
    Buffer* b = pool_.Get(n);
    if (b->Cap() < n) b->Grow(n);
    return b;
  }
  void Put(Buffer* b) { pool_.Put(b); }
  PoolStats Stats() const { return pool_.Stats(); }
  void Clear() { pool_.Clear(); }

 private:
  SyncPool pool_;
};

}  // namespace bp
