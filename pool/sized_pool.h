// bp::SizedPool — the GWS BufferPool: one bp::SyncPool per power-of-two size class.
//
// Classes are the powers of two from ceil2(min) to ceil2(max). Get(n) returns a Buffer with
// Len() == 0 and Cap() == max(ceil2(n), ceil2(min)) for n <= ceil2(max); above the top class it
// returns a new, unpooled Buffer of exactly n (a miss). Put keeps a buffer only if its Cap() is
// exactly a class size, so a buffer grown by writes moves to the class of its new capacity, and one
// whose capacity is not a class size (or is above the top class) is freed (a drop); nullptr is
// ignored.
//
// The Go original's defects are fixed: sizes are 64-bit (Get(n) for n above 2^31 is not truncated),
// min = 0 is treated as 1 (Go loops forever), and min > max is rejected by Create() (the
// constructor, which cannot fail, clamps min to max instead). Defaults: min 64, max 65536, the
// range of the article's random-payload benchmark (the Go library's own default is 128 .. 256 KiB).
//
// Cost: the class index is one std::bit_width; the thread's table of class caches (and of its
// counter shard) is one ThreadSlot() load and an index, so get+put of a pooled size is the
// SyncPool fast path on an already found cache and shard plus a shift and a compare.
// Retention: each class is bounded by per_class.max_retained_bytes (see sync_pool.h), so shared and
// victim lists hold at most num_classes() * per_class.max_retained_bytes in all. One PoolCounters
// is shared by the classes: Stats() covers the whole pool; peak_retained_bytes is the lower bound
// SyncPool documents (the largest single class's shared + victim, or the total at a Stats call).
//
// Thread safety: as SyncPool: Get, Put, Clear and Stats from any thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pool/buffer.h"
#include "pool/pool.h"
#include "pool/sync_pool.h"

namespace bp {

struct SizedPoolOptions {
  uint64_t min = 64;
  uint64_t max = 65536;
  SyncPoolOptions per_class;
};

class SizedPool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "sized";
  // The largest top class: ceil2 of anything above it would not fit in 64 bits with headroom.
  static constexpr uint64_t kMaxClassSize = uint64_t{1} << 62;

  using Options = SizedPoolOptions;

  // Validates: min > max or max > kMaxClassSize is an error (nullptr, reason in *error).
  static std::unique_ptr<SizedPool> Create(const Options& options, std::string* error);
  // Never fails: min = 0 becomes 1, max above kMaxClassSize becomes kMaxClassSize, min > max
  // becomes min = max.
  explicit SizedPool(Options options = {});
  SizedPool(uint64_t min, uint64_t max) : SizedPool(Options{min, max, {}}) {}
  ~SizedPool();
  SizedPool(const SizedPool&) = delete;
  SizedPool& operator=(const SizedPool&) = delete;

  // The smallest power of two >= n (1 for n <= 1); n <= 2^63.
  static constexpr uint64_t Ceil2(uint64_t n) {
    return n <= 1 ? 1 : uint64_t{1} << std::bit_width(n - 1);
  }
  // The capacity Get(n) returns: the class size, or n itself above the top class.
  uint64_t CapacityFor(uint64_t n) const { return n > top_ ? n : std::max(Ceil2(n), bottom_); }
  // The class of Get(n), or -1 above the top class.
  int ClassIndex(uint64_t n) const {
    if (n > top_) return -1;
    return n <= bottom_ ? 0 : std::bit_width(n - 1) - bottom_shift_;
  }
  size_t num_classes() const { return classes_.size(); }
  uint64_t min_class() const { return bottom_; }
  uint64_t max_class() const { return top_; }

  // Fast path: the class index, one TLS load, this thread's table of its class caches, then the
  // SyncPool fast path on the class's cache (no per-class TLS table probe).
  [[gnu::always_inline]] Buffer* Get(size_t n) {
    if (n > top_) [[unlikely]] {
      return GetUnpooled(n);
    }
    const int i = n <= bottom_ ? 0 : std::bit_width(n - 1) - bottom_shift_;
    Local* l = ThisThread();
    if (l != nullptr) [[likely]] {
      return class_[i]->GetFrom(l->cache[i], n, &l->counters);
    }
    return class_[i]->Get(n);
  }

  [[gnu::always_inline]] void Put(Buffer* b) {
    if (b == nullptr) return;
    const uint64_t cap = b->Cap();
    // (cap & (cap - 1)) == 0: a power of two (std::has_single_bit would call popcount, which
    // without -mpopcnt is a libgcc call of about 20 instructions). Below the bottom class (or 0)
    // the index wraps to a huge unsigned value, so one compare checks both ends of the range.
    const auto i = static_cast<unsigned>(std::bit_width(cap) - 1 - bottom_shift_);
    if ((cap & (cap - 1)) == 0 && i < num_classes_) [[likely]] {
      Local* l = ThisThread();
      if (l != nullptr) [[likely]] {
        return class_[i]->PutTo(l->cache[i], b, &l->counters);
      }
      return class_[i]->Put(b);
    }
    DropUnpooled(b);
  }

  // Clear() of every class (the garbage-collection analogue).
  void Clear();
  PoolStats Stats() const { return counters_.Snapshot(); }

 private:
  static constexpr unsigned kMaxClasses = 63;  // 2^0 .. 2^62
  static constexpr unsigned kMaxLocalThreads = 1024;
  // One thread's caches of every class, looked up once per op by ThreadSlot() (each SyncPool's
  // own lookup is a hashed TLS table probe per class), and the slot's counter shard (the classes
  // share counters_), so that counting a hit or a keep does not look the shard up again. Written
  // only by the thread that owns the slot; a later thread given the same slot adopts it, as
  // SyncPool adopts a cache (the shard belongs to the slot, so it stays right).
  struct Local {
    PoolCounters::Ref counters;
    internal::SyncLocal* cache[kMaxClasses];
  };
  [[gnu::always_inline]] Local* ThisThread() {
    const unsigned slot = ThreadSlot();
    if (slot < kMaxLocalThreads) [[likely]] {
      Local* l = locals_[slot];
      if (l != nullptr) [[likely]] {
        return l;
      }
      return MakeLocal(slot);
    }
    return nullptr;  // threads beyond the table use each class's own lookup
  }
  Local* MakeLocal(unsigned slot);
  Buffer* GetUnpooled(size_t n);
  void DropUnpooled(Buffer* b);

  uint64_t bottom_;
  uint64_t top_;
  int bottom_shift_;  // log2(bottom_)
  unsigned num_classes_ = 0;
  PoolCounters counters_;
  std::vector<std::unique_ptr<SyncPool>> classes_;
  SyncPool* class_[kMaxClasses] = {};     // classes_[i].get(): one load on the fast path
  Local* locals_[kMaxLocalThreads] = {};  // by ThreadSlot(); inline: no load of an array pointer
};

}  // namespace bp
