// bp::ExitFlushPool — FAULTY: a per-thread cache whose thread-exit flush puts buffers it has
// just freed.
//
// Each thread keeps up to kCache buffers of its own (no lock); the rest go to the shared list of
// FaultyListPool. When a thread exits, its cache's TLS destructor flushes: buffers larger than
// kKeepMax are not worth keeping once their thread is gone and are freed, the others go to the
// shared list. Planted bug: the freeing loop does not clear the slots it freed, and the hand-over
// loop walks every slot, so it gives freed buffers to the shared list — a use-after-free in the TLS
// destructor (Give resets and poisons the freed Buffer), and later a freed buffer handed out.
// Expected detector: AddressSanitizer (heap-use-after-free at thread exit); worker threads exit at
// the end of every run, and `--churn` makes them exit thousands of times. In other builds the
// behaviour is undefined (heap corruption), so selftest runs it only under ASan.
//
// Thread safety: Get, Put and Stats from any thread; the destructor needs quiescence (every
// thread that used the pool has exited).
#pragma once

#include <cstddef>

#include "pool/faulty/list_pool.h"

namespace bp {

class ExitFlushPool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:exit-flush";
  static constexpr size_t kCache = 8;
  static constexpr size_t kKeepMax = 4096;

  Buffer* Get(size_t n) {
    Cache& c = Local();
    if (c.owner != this || c.count == 0) return Take(n);
    Buffer* b = c.items[--c.count];
    c.items[c.count] = nullptr;
    counters_.Hit(b->Cap());
    UnpoisonRegion(b->data(), b->Cap());
    b->Reset();
    if (b->Available() < n) b->Grow(n);
    return b;
  }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    Cache& c = Local();
    if (c.owner != this || c.count == kCache) {
      Give(b);
      return;
    }
    b->Reset();
    counters_.Kept(b->Cap());
    PoisonRegion(b->data(), b->Cap());
    c.items[c.count++] = b;
  }

 private:
  struct Cache {
    ExitFlushPool* owner = nullptr;
    Buffer* items[kCache] = {};
    size_t count = 0;
    ~Cache() {
      if (owner == nullptr) return;
      // Big buffers are not worth keeping once their thread is gone ...
      for (size_t i = 0; i < count; ++i) {
        if (items[i]->Cap() > kKeepMax) {
          UnpoisonRegion(items[i]->data(), items[i]->Cap());
          delete items[i];  // THE BUG: the slot still points at the freed buffer
        }
      }
      // ... the others go to the shared list.
      for (size_t i = 0; i < count; ++i) owner->Adopt(items[i]);
    }
  };
  Cache& Local() {
    thread_local Cache cache;
    if (cache.owner == nullptr) cache.owner = this;
    return cache;
  }
  // A cached buffer (already counted as kept) moves to the shared list.
  void Adopt(Buffer* b) {
    b->Reset();
    PoisonRegion(b->data(), b->Cap());
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(b);
  }
};

}  // namespace bp
