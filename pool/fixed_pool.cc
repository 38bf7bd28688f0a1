#include "pool/fixed_pool.h"

#include <algorithm>
#include <mutex>

namespace bp {

// Thread exit: every live FixedPool gives the exiting thread's cache back to its shared list. The
// registry is never destroyed (threads may exit after static destructors ran); its mutex orders a
// thread's exit against a pool's construction and destruction.
struct FixedPoolExitHook {
  struct Registry {
    std::mutex mu;
    std::vector<FixedPool*> live;
  };
  static Registry& Live() {
    static Registry* registry = new Registry;
    return *registry;
  }
  // Constructed on the thread's first cached Put, after its ThreadSlot() (which acquired the slot
  // and the slot's own thread_local releaser): thread_locals are destroyed in reverse order, so
  // this drains while the slot is still the thread's.
  ~FixedPoolExitHook() {
    const unsigned slot = internal::tls_thread_slot;
    if (slot == internal::kNoSlot) return;
    Registry& r = Live();
    std::lock_guard<std::mutex> lock(r.mu);
    for (FixedPool* pool : r.live) pool->DrainSlot(slot);
  }
  static void Arm() {
    static thread_local FixedPoolExitHook hook;
    (void)hook;
  }
};

FixedPool::FixedPool(size_t count, size_t capacity)
    : count_(std::min<size_t>(count, kNil - 1)),
      capacity_(capacity),
      cache_items_(static_cast<uint32_t>(std::min<size_t>(kMaxCacheItems, count_ / 8))),
      cached_threads_(cache_items_ == 0 ? 0 : kMaxCachedThreads),
      caches_(cached_threads_ == 0 ? nullptr : std::make_unique<Cache[]>(cached_threads_)),
      next_(std::make_unique<std::atomic<uint32_t>[]>(count_)),
      head_(Pack(0, count_ == 0 ? kNil : 0)) {
  items_.reserve(count_);
  for (size_t i = 0; i < count_; ++i) {
    items_.emplace_back(capacity_);
    items_.back().item.set_owner(this);
    next_[i].store(i + 1 < count_ ? static_cast<uint32_t>(i + 1) : kNil, std::memory_order_relaxed);
    PoisonRegion(items_.back().item.data(), capacity_);
    counters_.Preallocated(capacity_);
  }
  counters_.NotePeak(count_ * capacity_);
  if (cached_threads_ != 0) {
    FixedPoolExitHook::Registry& r = FixedPoolExitHook::Live();
    std::lock_guard<std::mutex> lock(r.mu);
    r.live.push_back(this);
  }
}

FixedPool::~FixedPool() {
  if (cached_threads_ != 0) {
    FixedPoolExitHook::Registry& r = FixedPoolExitHook::Live();
    std::lock_guard<std::mutex> lock(r.mu);
    r.live.erase(std::find(r.live.begin(), r.live.end(), this));
  }
  for (Slot& slot : items_) UnpoisonRegion(slot.item.data(), capacity_);
}

FixedBuffer* FixedPool::GetShared() {
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
      return Handout(index);
    }
  }
  counters_.Miss();
  return new FixedBuffer(capacity_);  // transient: owner() == nullptr, freed by Put
}

void FixedPool::DropTransient(FixedBuffer* item) {
  counters_.Dropped();
  delete item;
}

void FixedPool::PushShared(uint32_t first, uint32_t last) {
  uint64_t head = head_.load(std::memory_order_relaxed);
  for (;;) {
    next_[last].store(static_cast<uint32_t>(head), std::memory_order_relaxed);
    const uint64_t fresh = Pack(static_cast<uint32_t>(head >> 32) + 1, first);
    if (head_.compare_exchange_weak(head, fresh, std::memory_order_release,
                                    std::memory_order_relaxed)) {
      return;
    }
  }
}

void FixedPool::PutSlow(Cache* c, uint32_t index) {
  if (c == nullptr) return PushShared(index, index);
  if (!c->armed) {
    FixedPoolExitHook::Arm();
    c->armed = true;
  }
  if (c->count < cache_items_) {
    c->items[c->count++] = index;
    return;
  }
  // Full: the item and the older half of the cache go to the shared list in one exchange, so a
  // thread that only puts (items got elsewhere) pays one exchange per cache_items_ / 2 + 1 puts.
  const uint32_t move = (cache_items_ + 1) / 2;
  uint32_t last = index;
  for (uint32_t i = 0; i < move; ++i) {
    next_[last].store(c->items[i], std::memory_order_relaxed);
    last = c->items[i];
  }
  std::copy(c->items + move, c->items + c->count, c->items);
  c->count -= move;
  PushShared(index, last);
}

void FixedPool::DrainSlot(unsigned slot) {
  if (slot >= cached_threads_) return;
  Cache& c = caches_[slot];
  c.armed = false;
  if (c.count == 0) return;
  for (uint32_t i = 0; i + 1 < c.count; ++i) {
    next_[c.items[i]].store(c.items[i + 1], std::memory_order_relaxed);
  }
  PushShared(c.items[0], c.items[c.count - 1]);
  c.count = 0;
}

void FixedPool::DrainLocalCache() {
  const unsigned slot = internal::tls_thread_slot;
  if (slot != internal::kNoSlot) DrainSlot(slot);
}

size_t FixedPool::SharedFree() const {
  size_t n = 0;
  for (uint32_t i = static_cast<uint32_t>(head_.load(std::memory_order_acquire)); i != kNil;
       i = next_[i].load(std::memory_order_relaxed)) {
    ++n;
  }
  return n;
}

}  // namespace bp
