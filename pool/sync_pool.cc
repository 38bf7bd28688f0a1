#include "pool/sync_pool.h"

#include <algorithm>

namespace bp {
namespace {

// Never reused, so a thread's TLS table entry for a destroyed pool can never match a new pool.
std::atomic<uint64_t> next_pool_id{1};

}  // namespace

SyncPool::SyncPool(Options options, Factory factory, PoolCounters* shared_counters)
    : id_(next_pool_id.fetch_add(1, std::memory_order_relaxed)),
      options_(options),
      per_thread_items_(static_cast<uint32_t>(
          std::clamp<size_t>(options.per_thread_items, 1, internal::kMaxPerThreadItems))),
      factory_(factory ? std::move(factory) : Factory([](size_t n) { return new Buffer(n); })),
      own_counters_(shared_counters ? nullptr : std::make_unique<PoolCounters>()),
      counters_(shared_counters ? shared_counters : own_counters_.get()) {}

SyncPool::~SyncPool() {
  for (auto& c : caches_) {
    if (!c) continue;
    if (c->private_item != nullptr) Free(c->private_item);
    for (uint32_t i = 0; i < c->count; ++i) Free(c->items[i]);
  }
  for (Buffer* b : shared_.items) Free(b);
  for (Buffer* b : victim_.items) Free(b);
}

internal::SyncLocal* SyncPool::CacheSlow() {
  const unsigned slot = ThreadSlot();
  internal::SyncLocal* cache;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (slot >= caches_.size()) caches_.resize(slot + 1);
    if (!caches_[slot]) {
      caches_[slot] = std::make_unique<internal::SyncLocal>();
      caches_[slot]->epoch = epoch_.load(std::memory_order_relaxed);
    }
    cache = caches_[slot].get();
  }
  internal::tls_sync_caches[id_ % internal::kSyncTlsEntries] = {id_, slot, cache};
  return cache;
}

void SyncPool::HandOverLocked(internal::SyncLocal* c) {
  const uint64_t now = epoch_.load(std::memory_order_relaxed);
  if (c->epoch == now) return;
  const bool to_victim = now - c->epoch == 1;  // missed one Clear: its contents are the victim
  auto hand = [&](Buffer* b) {
    const size_t cap = b->Cap();
    if (to_victim && shared_.bytes + victim_.bytes + cap <= options_.max_retained_bytes) {
      victim_.items.push_back(b);
      victim_.bytes += cap;
    } else {
      counters_->Evicted(cap);
      Free(b);
    }
  };
  if (c->private_item != nullptr) hand(std::exchange(c->private_item, nullptr));
  for (uint32_t i = 0; i < c->count; ++i) hand(c->items[i]);
  c->count = 0;
  c->epoch = now;
}

bool SyncPool::PushSharedLocked(Buffer* b) {
  const size_t cap = b->Cap();
  if (shared_.bytes + victim_.bytes + cap > options_.max_retained_bytes) return false;
  shared_.items.push_back(b);
  shared_.bytes += cap;
  return true;
}

Buffer* SyncPool::GetSlow(internal::SyncLocal* c, size_t n) {
  Buffer* got = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    HandOverLocked(c);
    // Take one for the caller and refill half the cache, so the next few Gets stay local.
    for (List* from : {&shared_, &victim_}) {
      while (!from->items.empty() && (got == nullptr || c->count < per_thread_items_ / 2)) {
        Buffer* b = from->items.back();
        from->items.pop_back();
        from->bytes -= b->Cap();
        if (got == nullptr) {
          got = b;
        } else {
          c->items[c->count++] = b;
        }
      }
    }
  }
  if (got != nullptr) return Handout(got);
  counters_->Miss();
  Buffer* b = factory_(n);
  b->Reset();
  return b;
}

void SyncPool::PutSlow(internal::SyncLocal* c, Buffer* b) {
  std::lock_guard<std::mutex> lock(mu_);
  HandOverLocked(c);
  if (c->private_item == nullptr) {
    c->private_item = b;
    return Keep(b);
  }
  if (c->count < per_thread_items_) {
    c->items[c->count++] = b;
    return Keep(b);
  }
  // The cache is full: b and the older half of the cache go to shared while the bound allows.
  if (!PushSharedLocked(b)) {
    counters_->Dropped();
    Free(b);
    return;
  }
  counters_->Kept(b->Cap());
  PoisonRegion(b->data(), b->Cap());
  const uint32_t move = per_thread_items_ / 2;
  uint32_t moved = 0;
  while (moved < move && PushSharedLocked(c->items[moved])) ++moved;
  std::copy(c->items + moved, c->items + c->count, c->items);
  c->count -= moved;
  counters_->NotePeak(shared_.bytes + victim_.bytes);
}

void SyncPool::Clear() {
  std::vector<Buffer*> dead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead.swap(victim_.items);
    for (Buffer* b : dead) counters_->Evicted(b->Cap());
    victim_.items.swap(shared_.items);
    victim_.bytes = shared_.bytes;
    shared_.bytes = 0;
    epoch_.fetch_add(1, std::memory_order_relaxed);
  }
  for (Buffer* b : dead) Free(b);
}

size_t SyncPool::SharedAndVictimBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shared_.bytes + victim_.bytes;
}

}  // namespace bp
