// bp::ScribblePool — FAULTY: on every Get it flips a byte (XOR 0xA5, so the byte always changes) at
// offset 0 of the most recently handed-out buffer that is still held by someone.
//
// Planted bug: the pool writes into a buffer it does not own, between the holder's write and the
// holder's check. Expected detector: the content check (corruption at offset 0): with two threads,
// or one thread holding K >= 1 buffers, the next Get lands while a holder has filled its buffer,
// so a stress run catches it within milliseconds. Under TSan the write is also a data race.
// Held buffers are tracked under the mutex, and Put removes a buffer before poisoning it, so the
// scribble never touches a poisoned buffer (ASan stays quiet; the bug is corruption, not a use
// after free). Everything else follows the contract.
//
// Thread safety: Get, Put and Stats from any thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <mutex>

#include "pool/faulty/list_pool.h"

namespace bp {

class ScribblePool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:scribble";
  static constexpr uint8_t kScribble = 0xA5;

  Buffer* Get(size_t n) {
    Buffer* b = Take(n);
    std::lock_guard<std::mutex> lock(held_mu_);
    for (size_t i = kRing; i-- > 0;) {  // newest first
      Buffer* victim = held_[(next_ + i) % kRing];
      if (victim != nullptr && victim != b && victim->Cap() > 0) {
        victim->data()[0] ^= kScribble;
        break;
      }
    }
    held_[next_] = b;
    next_ = (next_ + 1) % kRing;
    return b;
  }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(held_mu_);
      std::replace(held_.begin(), held_.end(), b, static_cast<Buffer*>(nullptr));
    }
    Give(b);
  }

 private:
  static constexpr size_t kRing = 8;  // recently handed-out buffers; nullptr once put back
  std::mutex held_mu_;
  std::array<Buffer*, kRing> held_{};
  size_t next_ = 0;
};

}  // namespace bp
