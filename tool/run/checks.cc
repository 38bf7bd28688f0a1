#include "tool/run/checks.h"

#include <algorithm>

namespace bp {

void Violations::Merge(const Violations& other) {
  std::array<uint64_t, kViolationKinds> kept{};
  for (size_t i = 0; i < num_examples(); ++i) ++kept[static_cast<size_t>(examples_[i].kind)];
  for (size_t i = 0; i < kViolationKinds; ++i) counts_[i] += other.counts_[i];
  for (size_t i = 0; i < other.num_examples(); ++i) {
    const ViolationExample& e = other.examples_[i];
    uint64_t& k = kept[static_cast<size_t>(e.kind)];
    if (k < kMaxExamples && num_examples_ < kExampleSlots) {
      examples_[num_examples_++] = e;
      ++k;
    }
  }
}

OwnershipRegistry::OwnershipRegistry(size_t max_held) {
  // Four slots per expected entry plus slack: the multiplicative hash spreads addresses well, and
  // a shard that still fills past 7/8 stops tracking new claims (see Claim) instead of looping.
  const size_t per_shard = std::bit_ceil(4 * max_held / kShards + 64);
  for (Shard& s : shards_) {
    s.slots = std::make_unique<Entry[]>(per_shard);
    s.mask = per_shard - 1;
  }
}

bool OwnershipRegistry::Claim(uintptr_t address) {
  Shard& s = ShardOf(address);
  s.Lock();
  size_t i = Hash(address) & s.mask;
  while (s.slots[i].address != 0 && s.slots[i].address != address) i = (i + 1) & s.mask;
  Entry& e = s.slots[i];
  bool first = true;
  if (e.address == address) {
    first = e.holders == 0;
    ++e.holders;
  } else if (s.used < s.mask - s.mask / 8) {
    e = {address, 1};
    ++s.used;
  }
  s.Unlock();
  return first;
}

void OwnershipRegistry::Release(uintptr_t address) {
  Shard& s = ShardOf(address);
  s.Lock();
  size_t i = Hash(address) & s.mask;
  while (s.slots[i].address != 0 && s.slots[i].address != address) i = (i + 1) & s.mask;
  if (s.slots[i].address == address && --s.slots[i].holders == 0) {
    // Backward-shift deletion keeps probe chains intact without tombstones.
    size_t hole = i;
    size_t j = i;
    for (;;) {
      j = (j + 1) & s.mask;
      if (s.slots[j].address == 0) break;
      const size_t home = Hash(s.slots[j].address) & s.mask;
      // Move j into the hole if its home is not in the cyclic range (hole, j].
      const bool in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!in_range) {
        s.slots[hole] = s.slots[j];
        hole = j;
      }
    }
    s.slots[hole] = {0, 0};
    --s.used;
  }
  s.Unlock();
}

size_t OwnershipRegistry::Held() const {
  size_t n = 0;
  for (const Shard& s : shards_) n += s.used;
  return n;
}

}  // namespace bp
