// bp::Round32Pool — FAULTY: the GWS BufferPool exactly as the article wrote it, including its
// 32-bit size-class rounding. Get(n) computes the class as binaryCeil(uint32(n)): for any n above
// 2^31 the truncation and the overflow of the rounding give a class of 0 (or of n mod 2^32), which
// max(.., begin) turns into the smallest class, so the caller gets a buffer of 128 bytes where it
// asked for gigabytes. Sizes up to 2^31 behave as the original: power-of-two classes
// [kBegin, kEnd] (the library's defaults, 128 B .. 256 KiB), larger sizes unpooled and exact.
//
// Planted bug: Cap() < n for n > 2^31 although kTraits.promises_capacity. Expected detector: the
// capacity check (short_capacity), reached only by sizes above 2 GiB: `--dist edges` (whose
// 2^31 + 1 is the first size that fails). Everything else follows the contract.
//
// Thread safety: Get, Put and Stats from any thread (one mutex per class).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "pool/buffer.h"
#include "pool/pool.h"

namespace bp {

class Round32Pool {
 public:
  using Item = Buffer;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:round32";
  static constexpr uint64_t kBegin = 128, kEnd = 256 << 10;

  // The article's binaryCeil(v uint32) uint32, bit for bit: 0 and anything above 2^31 wrap to 0.
  static uint32_t BinaryCeil(uint32_t v) {
    v--;
    v |= v >> 1;
    v |= v >> 2;
    v |= v >> 4;
    v |= v >> 8;
    v |= v >> 16;
    v++;
    return v;
  }

  Round32Pool() = default;
  ~Round32Pool() {
    for (Class& c : classes_) {
      for (Buffer* b : c.free) delete b;
    }
  }
  Round32Pool(const Round32Pool&) = delete;
  Round32Pool& operator=(const Round32Pool&) = delete;

  Buffer* Get(size_t n) {
    // The bug: `uint32(n)` in Go, a silent truncation.
    const uint64_t size = std::max<uint64_t>(BinaryCeil(static_cast<uint32_t>(n)), kBegin);
    if (size > kEnd) {
      counters_.Miss();
      return new Buffer(n);
    }
    Class& c = classes_[std::countr_zero(size)];
    Buffer* b = nullptr;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      if (!c.free.empty()) {
        b = c.free.back();
        c.free.pop_back();
      }
    }
    if (b == nullptr) {
      counters_.Miss();
      return new Buffer(size);
    }
    counters_.Hit(b->Cap());
    b->Reset();
    return b;
  }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    const size_t cap = b->Cap();
    if (cap < kBegin || cap > kEnd || !std::has_single_bit(cap)) {  // not a class: dropped
      counters_.Dropped();
      delete b;
      return;
    }
    counters_.Kept(cap);
    Class& c = classes_[std::countr_zero(cap)];
    std::lock_guard<std::mutex> lock(c.mu);
    c.free.push_back(b);
  }

  PoolStats Stats() const { return counters_.Snapshot(); }

 private:
  struct Class {
    std::mutex mu;
    std::vector<Buffer*> free;
  };
  std::array<Class, 64> classes_;  // by log2 of the capacity; only kBegin..kEnd are used
  PoolCounters counters_;
};

}  // namespace bp
