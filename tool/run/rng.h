// bp::Rng — the per-thread random number generator of the stress runner: xoshiro256** (Blackman
// and Vigna), seeded through splitmix64 from (seed, thread index).
//
// Guarantees: the same (seed, thread index) always gives the same sequence, with any compiler and
// libm (only 64-bit integer arithmetic and exactly representable doubles are involved; building
// needs unsigned __int128, i.e. gcc or clang on a 64-bit target), so a report's seed and thread
// count reproduce every thread's size sequence. Different thread indices
// start from unrelated states. Not cryptographic.
//
// Cost: Next() is about 1 ns (four 64-bit words of state, no memory beyond the object). Below(n)
// adds one 64x64->128 multiply and, with probability n / 2^64, a retry.
//
// Thread safety: none; each thread owns its own instance (copyable, 32 bytes).
#pragma once

#include <cstdint>

namespace bp {

class Rng {
 public:
  Rng(uint64_t seed, uint64_t thread_index) {
    // Hashing both inputs before the splitmix64 walk keeps the per-thread walks far apart:
    // a plain seed + index would make thread i+1 reuse three of thread i's four state words.
    uint64_t walk = Mix64(Mix64(seed) ^ (thread_index * kGolden + kGolden));
    for (uint64_t& word : s_) {
      walk += kGolden;
      word = Mix64(walk);
    }
  }

  // 64 uniformly distributed bits.
  [[gnu::always_inline]] uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n) without modulo bias (Lemire, "Fast Random Integer Generation in an
  // Interval", 2019): the high word of Next() * n, rejecting the few low words that would favour
  // some results. The division computing the rejection bound runs only when the low word falls
  // below n, so almost never. Requires n >= 1.
  [[gnu::always_inline]] uint64_t Below(uint64_t n) {
    const U128 m = static_cast<U128>(Next()) * n;
    if (static_cast<uint64_t>(m) < n) [[unlikely]] {
      return BelowSlow(n, m);
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [0, 1) on the grid of multiples of 2^-53 (every value exactly representable).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // splitmix64's output function (Steele, Lea, Flood): a bijection on 64-bit words.
  static uint64_t Mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  __extension__ typedef unsigned __int128 U128;
  static constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio, odd

  // Below's rare path: a low word under n may fall in the biased zone, then draw again.
  [[gnu::noinline]] uint64_t BelowSlow(uint64_t n, U128 m) {
    const uint64_t bound = (0 - n) % n;  // 2^64 mod n
    while (static_cast<uint64_t>(m) < bound) m = static_cast<U128>(Next()) * n;
    return static_cast<uint64_t>(m >> 64);
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t s_[4];
};

}  // namespace bp
