// bp::AbaPool — FAULTY: a lock-free free list (a Treiber stack) with no protection against ABA.
//
// Planted bug: the classic one of lock-free stacks. Pop reads head (A), reads A->next (B) and
// then CAS(head, A, B). If between the read of A->next and the CAS other threads pop A, pop B and
// push A again, head is A once more, the CAS succeeds, and head becomes B, a block that another
// thread now holds: B is handed out twice, and once its holder puts it back the list may even
// point at itself. Nothing widens the window (no sleeps, no yields, no counters): the bug shows
// only when a thread is suspended between those two loads and its CAS, which is what the OS
// scheduler does now and then and what `--preempt` does on purpose.
// Expected detector: the ownership registry (double_handout); the content check (corruption)
// when both holders write.
//
// Memory safety: a block is its header (the list link) followed by its bytes, allocated once and
// kept in an arena until the pool is destroyed, so the stale next a pop reads always points at
// live memory: the bug is a double hand-out, never a use-after-free, in every build. Blocks
// have a fixed capacity (kBlock); a larger request gets a block of its own, freed on Put and
// never listed. The item has no length (Len() is always 0), like a plugin's buffer: two holders
// of one block write over each other's bytes but never outside the block. The atomics make the
// link reads race-free, so ThreadSanitizer sees no data race in the pool itself: the defect is
// purely logical.
//
// Thread safety: Get, Put and Stats from any thread; the destructor needs quiescence.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

#include "pool/pool.h"

namespace bp {

// A block: the list link and the capacity, then the bytes.
class AbaBlock {
 public:
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
  size_t Cap() const { return cap_; }
  size_t Len() const { return 0; }

 private:
  friend class AbaPool;
  explicit AbaBlock(size_t cap, bool pooled) : cap_(cap), pooled_(pooled) {}
  static AbaBlock* Make(size_t cap, bool pooled) {
    void* raw = ::operator new (sizeof(AbaBlock) + cap, std::align_val_t{alignof(AbaBlock)});
    return new (raw) AbaBlock(cap, pooled);
  }
  static void Free(AbaBlock* b) {
    b->~AbaBlock();
    ::operator delete (b, std::align_val_t{alignof(AbaBlock)});
  }
  alignas(16) std::atomic<AbaBlock*> next_{nullptr};
  size_t cap_;
  bool pooled_;
};

class AbaPool {
 public:
  using Item = AbaBlock;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  static constexpr const char* kName = "faulty:aba";
  static constexpr size_t kBlock = 64 * 1024;

  AbaPool() = default;
  ~AbaPool() {
    for (AbaBlock* b : arena_) AbaBlock::Free(b);
  }
  AbaPool(const AbaPool&) = delete;
  AbaPool& operator=(const AbaPool&) = delete;

  AbaBlock* Get(size_t n) {
    if (n > kBlock) {
      counters_.Miss();
      return AbaBlock::Make(n, false);
    }
    AbaBlock* head = head_.load(std::memory_order_acquire);
    while (head != nullptr) {
      AbaBlock* next = head->next_.load(std::memory_order_relaxed);
      // THE BUG: head may have been popped, and pushed again with another next, since it was
      // read; the CAS compares the address only.
      if (head_.compare_exchange_weak(head, next, std::memory_order_acquire,
                                      std::memory_order_acquire)) {
        counters_.Hit(head->cap_);
        return head;
      }
    }
    counters_.Miss();
    AbaBlock* b = AbaBlock::Make(kBlock, true);
    std::lock_guard<std::mutex> lock(arena_mu_);
    arena_.push_back(b);
    return b;
  }

  void Put(AbaBlock* b) {
    if (b == nullptr) return;
    if (!b->pooled_) {
      counters_.Dropped();
      AbaBlock::Free(b);
      return;
    }
    counters_.Kept(b->cap_);
    AbaBlock* head = head_.load(std::memory_order_relaxed);
    do {
      b->next_.store(head, std::memory_order_relaxed);
    } while (!head_.compare_exchange_weak(head, b, std::memory_order_release,
                                          std::memory_order_relaxed));
  }

  PoolStats Stats() const { return counters_.Snapshot(); }

 private:
  alignas(64) std::atomic<AbaBlock*> head_{nullptr};
  alignas(64) std::mutex arena_mu_;
  std::vector<AbaBlock*> arena_;  // every pooled block ever made, freed once by the destructor
  PoolCounters counters_;
};

}  // namespace bp
