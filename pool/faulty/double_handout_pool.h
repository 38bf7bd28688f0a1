// bp::DoubleHandoutPool — FAULTY: every kEvery-th Get returns the buffer handed out just before,
// while its holder still has it.
//
// Planted bug: one buffer, two holders. Expected detector: the ownership registry
// (double_handout), and the content check (corruption) when both holders write. It doubles only a
// buffer that is still held and already has capacity >= n, so it never reallocates storage under
// the first holder's feet; the second Put of the doubled buffer is counted as a drop and not
// listed again, so the list never holds it twice. Everything else follows the contract.
//
// Thread safety: Get, Put and Stats from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "pool/faulty/list_pool.h"

namespace bp {

class DoubleHandoutPool : public FaultyListPool {
 public:
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:double-handout";
  static constexpr uint64_t kEvery = 100;

  Buffer* Get(size_t n) {
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      ++gets_;
      if (gets_ % kEvery == 0 && last_ != nullptr && last_held_ && doubled_ == nullptr &&
          last_->Cap() >= n) {
        doubled_ = last_;
        counters_.Hit(0);  // a hit that takes nothing out of the list
        doubled_->Reset();
        return doubled_;
      }
    }
    Buffer* b = Take(n);
    std::lock_guard<std::mutex> lock(state_mu_);
    last_ = b;
    last_held_ = true;
    return b;
  }

  void Put(Buffer* b) {
    if (b == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (b == last_) last_held_ = false;
      if (b == doubled_) {
        doubled_ = nullptr;  // the first of its two Puts: the other holder still has it
        counters_.Dropped();
        return;
      }
    }
    Give(b);
  }

 private:
  std::mutex state_mu_;
  uint64_t gets_ = 0;
  Buffer* last_ = nullptr;
  bool last_held_ = false;
  Buffer* doubled_ = nullptr;
};

}  // namespace bp
