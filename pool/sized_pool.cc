#include "pool/sized_pool.h"

#include <algorithm>

namespace bp {

std::unique_ptr<SizedPool> SizedPool::Create(const Options& options, std::string* error) {
  if (options.max > kMaxClassSize) {
    if (error != nullptr) {
      *error = "sized pool: max " + std::to_string(options.max) + " is above 2^62";
    }
    return nullptr;
  }
  if (options.min > options.max) {
    if (error != nullptr) {
      *error = "sized pool: min " + std::to_string(options.min) + " is greater than max " +
               std::to_string(options.max);
    }
    return nullptr;
  }
  return std::make_unique<SizedPool>(options);
}

SizedPool::SizedPool(Options options) {
  const uint64_t max = std::clamp<uint64_t>(options.max, 1, kMaxClassSize);
  const uint64_t min = std::clamp<uint64_t>(options.min, 1, max);
  bottom_ = Ceil2(min);
  top_ = Ceil2(max);
  bottom_shift_ = std::countr_zero(bottom_);
  for (uint64_t size = bottom_; size <= top_ && size != 0; size <<= 1) {
    // The class makes buffers of its own size whatever n was asked, so every buffer it hands out
    // has exactly the class capacity and comes back to the same class.
    classes_.push_back(std::make_unique<SyncPool>(
        options.per_class, [size](size_t) { return new Buffer(size); }, &counters_));
    class_[classes_.size() - 1] = classes_.back().get();
  }
  num_classes_ = static_cast<unsigned>(classes_.size());
}

SizedPool::~SizedPool() {
  for (unsigned i = 0; i < kMaxLocalThreads; ++i) delete locals_[i];
}

SizedPool::Local* SizedPool::MakeLocal(unsigned slot) {
  auto* l = new Local{};
  l->counters = counters_.RefOf(slot);
  for (size_t i = 0; i < classes_.size(); ++i) l->cache[i] = classes_[i]->CacheOfThisThread();
  locals_[slot] = l;
  return l;
}

void SizedPool::Clear() {
  for (auto& c : classes_) c->Clear();
}

Buffer* SizedPool::GetUnpooled(size_t n) {
  counters_.Miss();
  return new Buffer(n);
}

void SizedPool::DropUnpooled(Buffer* b) {
  counters_.Dropped();
  delete b;
}

}  // namespace bp
