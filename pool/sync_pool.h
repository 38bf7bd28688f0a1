// bp::SyncPool — the C++ analogue of Go's sync.Pool for bp::Buffer*, with a bound on what it keeps;
// and bp::SyncBufferPool, the BufferPool that uses it directly ("sync").
//
// Layout (Go: poolLocal{private, shared} per P, plus victim):
//   per thread  a private slot and a cache of up to per_thread_items buffers, touched only by the
//               owning thread: the fast path is a TLS table probe, a relaxed epoch load, a pop or
//               push, and the owner-only counters (no lock, no atomic read-modify-write);
//   shared      a LIFO list any thread takes from when its own cache is empty (mutex; visited in
//               batches of half a cache so a producer/consumer pair takes the lock once per
//               per_thread_items / 2 buffers);
//   victim      the previous generation. Clear() (the GC analogue) frees the victim, moves shared
//               to victim, and bumps the epoch. A buffer survives one Clear and is gone after two.
// Clear never touches a per-thread cache. A cache sees the new epoch on its owner's next Get/Put
// and hands its contents over then: to the victim if it missed one Clear, freed if it missed two.
//
// Retention bound: shared + victim <= max_retained_bytes, exactly (checked under the mutex; a Put
// that would pass it frees the buffer and counts a drop). Per-thread caches are outside it: in all,
// the pool holds at most max_retained_bytes + T * (per_thread_items + 1) * C, where T is the number
// of threads that ever used the pool at the same time and C the largest capacity put.
// A thread that exits leaves its cache to the pool: the next thread given the same ThreadSlot()
// adopts it, and the destructor frees it.
//
// Stats: exact at quiescence, except peak_retained_bytes, a lower bound of the true peak: the
// largest shared + victim total seen under the mutex, or the retained total at a Stats() call.
//
// Thread safety: Get, Put, Clear and Stats from any thread. The destructor needs quiescence.
// Get returns a buffer with Len() == 0 (Reset on get, as the GWS pool does) and unpoisoned storage;
// resting buffers are poisoned for ASan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "pool/buffer.h"
#include "pool/pool.h"

namespace bp {

namespace internal {

struct SyncLocal;

// Direct-mapped per-thread table from pool id to that thread's cache. Pool ids are never reused,
// so a stale entry of a destroyed pool can never match; the slot check makes entries left behind
// by a thread's exit path (after its ThreadSlot was released) miss.
struct SyncTlsEntry {
  uint64_t pool_id;
  unsigned slot;
  SyncLocal* cache;
};
inline constexpr size_t kSyncTlsEntries = 256;  // 4 KiB per thread
inline constinit thread_local SyncTlsEntry tls_sync_caches[kSyncTlsEntries] = {};

inline constexpr size_t kMaxPerThreadItems = 64;

struct alignas(64) SyncLocal {
  Buffer* private_item = nullptr;
  uint32_t count = 0;
  uint64_t epoch = 0;
  Buffer* items[kMaxPerThreadItems] = {};
};

}  // namespace internal

struct SyncPoolOptions {
  size_t max_retained_bytes = size_t{64} << 20;
  size_t per_thread_items = 8;  // clamped to [1, 64]
};

class SyncPool {
 public:
  using Options = SyncPoolOptions;
  // Makes the buffer a miss returns, given the size asked for. Default: new Buffer(n).
  using Factory = std::function<Buffer*(size_t)>;

  explicit SyncPool(Options options = {}, Factory factory = nullptr,
                    PoolCounters* shared_counters = nullptr);
  ~SyncPool();
  SyncPool(const SyncPool&) = delete;
  SyncPool& operator=(const SyncPool&) = delete;

  // A retained buffer (a hit; any capacity) or factory(n) (a miss). Len() == 0.
  [[gnu::always_inline]] Buffer* Get(size_t n) { return GetFrom(Cache(), n); }

  // Keeps b (any capacity) or frees it when the bound is reached. nullptr is ignored.
  [[gnu::always_inline]] void Put(Buffer* b) {
    if (b == nullptr) return;
    PutTo(Cache(), b);
  }

  // Get and Put with the calling thread's cache already looked up (CacheOfThisThread), for a
  // pool that keeps one table of its classes' caches per thread (SizedPool): the epoch check, a
  // pop or push, and the counters.
  // With `counters` (this pool's counters' shard of the calling thread, PoolCounters::RefOf),
  // the counters are updated without looking the shard up again.
  [[gnu::always_inline]] Buffer* GetFrom(internal::SyncLocal* c, size_t n) {
    return GetFrom(c, n, nullptr);
  }
  [[gnu::always_inline]] Buffer* GetFrom(internal::SyncLocal* c, size_t n,
                                         const PoolCounters::Ref* counters) {
    if (c->epoch == epoch_.load(std::memory_order_relaxed)) [[likely]] {
      Buffer* b = c->private_item;
      if (b != nullptr) {
        c->private_item = nullptr;
        return Handout(b, counters);
      }
      if (c->count != 0) return Handout(c->items[--c->count], counters);
    }
    return GetSlow(c, n);
  }
  [[gnu::always_inline]] void PutTo(internal::SyncLocal* c, Buffer* b) { PutTo(c, b, nullptr); }
  [[gnu::always_inline]] void PutTo(internal::SyncLocal* c, Buffer* b,
                                    const PoolCounters::Ref* counters) {
    if (c->epoch == epoch_.load(std::memory_order_relaxed)) [[likely]] {
      if (c->private_item == nullptr) {
        c->private_item = b;
        return Keep(b, counters);
      }
      if (c->count < per_thread_items_) {
        c->items[c->count++] = b;
        return Keep(b, counters);
      }
    }
    PutSlow(c, b);
  }
  // The calling thread's cache: owned by this pool, used only by this thread while it lives (and
  // by the next thread given its ThreadSlot() after it exits).
  internal::SyncLocal* CacheOfThisThread() { return Cache(); }

  // The garbage-collection analogue: frees the victim, shared becomes the victim.
  void Clear();

  PoolStats Stats() const { return counters_->Snapshot(); }
  const Options& options() const { return options_; }
  // Bytes in shared + victim now (under the mutex); never above max_retained_bytes.
  size_t SharedAndVictimBytes() const;

 private:
  struct List {
    std::vector<Buffer*> items;
    size_t bytes = 0;
  };

  [[gnu::always_inline]] internal::SyncLocal* Cache() {
    internal::SyncTlsEntry& e = internal::tls_sync_caches[id_ % internal::kSyncTlsEntries];
    if (e.pool_id == id_ && e.slot == internal::tls_thread_slot) [[likely]] {
      return e.cache;
    }
    return CacheSlow();
  }
  [[gnu::always_inline]] Buffer* Handout(Buffer* b, const PoolCounters::Ref* counters = nullptr) {
    if (counters != nullptr) {
      counters_->Hit(*counters, b->Cap());
    } else {
      counters_->Hit(b->Cap());
    }
    UnpoisonRegion(b->data(), b->Cap());
    b->Reset();
    return b;
  }
  [[gnu::always_inline]] void Keep(Buffer* b, const PoolCounters::Ref* counters = nullptr) {
    if (counters != nullptr) {
      counters_->Kept(*counters, b->Cap());
    } else {
      counters_->Kept(b->Cap());
    }
    PoisonRegion(b->data(), b->Cap());
  }
  void Free(Buffer* b) {
    UnpoisonRegion(b->data(), b->Cap());
    delete b;
  }

  internal::SyncLocal* CacheSlow();
  Buffer* GetSlow(internal::SyncLocal* c, size_t n);
  void PutSlow(internal::SyncLocal* c, Buffer* b);
  // Under mu_: brings c to the current epoch, moving or freeing what it held.
  void HandOverLocked(internal::SyncLocal* c);
  bool PushSharedLocked(Buffer* b);

  const uint64_t id_;
  const Options options_;
  const uint32_t per_thread_items_;
  Factory factory_;
  std::unique_ptr<PoolCounters> own_counters_;
  PoolCounters* counters_;
  std::atomic<uint64_t> epoch_{1};

  mutable std::mutex mu_;
  List shared_;
  List victim_;
  std::vector<std::unique_ptr<internal::SyncLocal>> caches_;  // indexed by ThreadSlot()
};

// Go's sync.Pool used directly as a buffer pool: New makes a buffer of exactly n, Get(n) grows a
// retained buffer that is too small (Buffer::Grow), Put keeps any capacity.
class SyncBufferPool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "sync";

  explicit SyncBufferPool(SyncPool::Options options = {}) : pool_(options) {}

  Buffer* Get(size_t n) {
    Buffer* b = pool_.Get(n);
    if (b->Cap() < n) b->Grow(n);
    return b;
  }
  void Put(Buffer* b) { pool_.Put(b); }
  PoolStats Stats() const { return pool_.Stats(); }
  void Clear() { pool_.Clear(); }
  SyncPool& engine() { return pool_; }

 private:
  SyncPool pool_;
};

}  // namespace bp
