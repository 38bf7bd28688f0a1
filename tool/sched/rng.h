// bp::sched::SplitMix — the scheduler's random numbers: splitmix64 (Steele, Lea and Flood), one
// 64-bit word of state. Schedules must draw the same numbers from the same seed on every machine,
// so only integer arithmetic is used. Not cryptographic; no thread safety (one per user).
#pragma once

#include <cstdint>

namespace bp::sched {

class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (the modulo bias is below 2^-40 for the small n used here).
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }

 private:
  uint64_t state_;
};

}  // namespace bp::sched
