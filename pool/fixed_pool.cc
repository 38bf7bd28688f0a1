#include "pool/fixed_pool.h"

namespace bp {

FixedPool::FixedPool(size_t count, size_t capacity)
    : count_(std::min<size_t>(count, kNil - 1)),
      capacity_(capacity),
      next_(std::make_unique<std::atomic<uint32_t>[]>(count_)),
      head_(Pack(0, count_ == 0 ? kNil : 0)) {
  items_.reserve(count_);
  for (size_t i = 0; i < count_; ++i) {
    items_.emplace_back(capacity_);
    items_.back().set_owner(this);
    next_[i].store(i + 1 < count_ ? static_cast<uint32_t>(i + 1) : kNil, std::memory_order_relaxed);
    PoisonRegion(items_.back().data(), capacity_);
    counters_.Preallocated(capacity_);
  }
  counters_.NotePeak(count_ * capacity_);
}

FixedPool::~FixedPool() {
  for (FixedBuffer& item : items_) UnpoisonRegion(item.data(), capacity_);
}

FixedBuffer* FixedPool::Get(size_t /*n*/) {
  uint64_t head = head_.load(std::memory_order_acquire);
  for (;;) {
    const auto index = static_cast<uint32_t>(head);
    if (index == kNil) break;
    // next_[index] may be stale if another thread popped and pushed meanwhile; then the tag in
    // head has moved on and the exchange fails.
    const uint32_t next = next_[index].load(std::memory_order_relaxed);
    const uint64_t fresh = Pack(static_cast<uint32_t>(head >> 32) + 1, next);
    if (head_.compare_exchange_weak(head, fresh, std::memory_order_acquire,
                                    std::memory_order_acquire)) {
      FixedBuffer* item = &items_[index];
      counters_.Hit(capacity_);
      UnpoisonRegion(item->data(), capacity_);
      item->Reset();
      return item;
    }
  }
  counters_.Miss();
  return new FixedBuffer(capacity_);  // transient: owner() == nullptr, freed by Put
}

void FixedPool::Put(FixedBuffer* item) {
  if (item == nullptr) return;
  if (item->owner() != this) {
    counters_.Dropped();
    delete item;
    return;
  }
  item->Reset();
  counters_.Kept(capacity_);
  PoisonRegion(item->data(), capacity_);
  const auto index = static_cast<uint32_t>(item - items_.data());
  uint64_t head = head_.load(std::memory_order_relaxed);
  for (;;) {
    next_[index].store(static_cast<uint32_t>(head), std::memory_order_relaxed);
    const uint64_t fresh = Pack(static_cast<uint32_t>(head >> 32) + 1, index);
    if (head_.compare_exchange_weak(head, fresh, std::memory_order_release,
                                    std::memory_order_relaxed)) {
      return;
    }
  }
}

}  // namespace bp
