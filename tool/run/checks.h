// Detectors of the stress runner: what a broken pool looks like from the outside.
//
//   OwnershipRegistry — who holds which buffer. A buffer claimed while another holder still has it
//                       is a double hand-out. Sharded open-addressing tables behind tiny spinlocks:
//                       no allocation after construction, one uncontended lock per claim/release.
//   FillPattern / FirstMismatch — the bytes a holder writes are a function of a 64-bit tag derived
//                       from (thread, op), so whoever puts the buffer back can check that nobody
//                       else wrote into it meanwhile (corruption: scribbles, shared buffers).
//   Violations        — counts per kind and the first few examples (thread, op, address, size).
//
// Thread safety: OwnershipRegistry is safe from any thread; Violations is per thread (merged after
// join); the pattern functions are pure.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

namespace bp {

enum class Violation : uint8_t {
  kShortCapacity,  // Cap() < n from a pool that promises capacity
  kNotEmpty,       // Len() != 0 on a buffer fresh from Get
  kDoubleHandout,  // a buffer handed to a second holder while the first still holds it
  kCorruption,     // the holder's bytes changed between its write and its Put
  kLeak,           // buffers never put back, or heap not returned after the pool is destroyed
  kTruncated,      // a fixed-capacity pool's documented truncation (counted, not a failure)
  kCount,
};
inline constexpr size_t kViolationKinds = static_cast<size_t>(Violation::kCount);
inline constexpr const char* kViolationNames[kViolationKinds] = {
    "short_capacity", "not_empty", "double_handout", "corruption", "leak", "truncated"};
// Truncation is what FixedPool documents; every other kind fails the run.
inline constexpr bool IsFailure(Violation v) { return v != Violation::kTruncated; }

struct ViolationExample {
  Violation kind;
  uint32_t thread;
  uint64_t op;
  uintptr_t address;
  uint64_t size;      // bytes asked for
  uint64_t capacity;  // capacity handed out
  uint64_t detail;    // kind-specific: offset of the first bad byte, length found, ...
  bool operator==(const ViolationExample&) const = default;
};

class Violations {
 public:
  static constexpr size_t kMaxExamples = 4;

  void Add(const ViolationExample& e) {
    uint64_t& c = counts_[static_cast<size_t>(e.kind)];
    ++c;
    if (c <= kMaxExamples) examples_[num_examples_++ % kExampleSlots] = e;
  }
  void AddCount(Violation kind, uint64_t n) { counts_[static_cast<size_t>(kind)] += n; }
  uint64_t count(Violation v) const { return counts_[static_cast<size_t>(v)]; }
  uint64_t failures() const {
    uint64_t sum = 0;
    for (size_t i = 0; i < kViolationKinds; ++i) {
      if (IsFailure(static_cast<Violation>(i))) sum += counts_[i];
    }
    return sum;
  }
  size_t num_examples() const {
    return num_examples_ < kExampleSlots ? num_examples_ : kExampleSlots;
  }
  const ViolationExample& example(size_t i) const { return examples_[i]; }
  // Adds other's counts; keeps up to kMaxExamples examples per kind in total.
  void Merge(const Violations& other);
  bool operator==(const Violations&) const = default;

 private:
  static constexpr size_t kExampleSlots = kMaxExamples * kViolationKinds;
  std::array<uint64_t, kViolationKinds> counts_{};
  std::array<ViolationExample, kExampleSlots> examples_{};
  size_t num_examples_ = 0;
};

// Writes the pattern of `tag` into [p, p+n): word i (8 bytes) is tag + i*K, so any single changed
// byte shows in FirstMismatch. Both run over 256-byte blocks of vectors (GCC/Clang vector
// extensions), each vector of the block its own lane of the pattern, stepped in place by one add,
// so the loops are a load or store, an add and (check) an xor and an or per vector. Where the CPU
// has AVX2 (checked once), 32-byte vectors with three-operand forms (no register copies, the load
// folded into the xor): the check takes about 0.75 instructions per word, where 16-byte SSE2 takes
// 2.5 and a word at a time took 7 (its early exit kept the compiler from vectorising). The check
// ORs the differences of a block and searches word by word only a block that differs.
inline constexpr uint64_t kPatternStep = 0x9E3779B97F4A7C15ull;
inline uint64_t PatternWord(uint64_t tag, size_t i) { return tag + i * kPatternStep; }

namespace internal {
inline constexpr size_t kPatternBlock = 256;  // bytes

// Word-at-a-time check of [p, p+n), whose first word is word `first` of the pattern.
inline size_t FirstMismatchWords(const uint8_t* p, size_t n, uint64_t tag, size_t first) {
  const size_t words = n / 8;
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, p + i * 8, 8);
    const uint64_t want = PatternWord(tag, first + i);
    if (w != want) return i * 8 + std::countr_zero(w ^ want) / 8;
  }
  const size_t rest = n % 8;
  if (rest != 0) {
    uint64_t w = 0;
    const uint64_t want = PatternWord(tag, first + words);
    std::memcpy(&w, p + words * 8, rest);
    const uint64_t mask = (uint64_t{1} << (rest * 8)) - 1;
    if ((w ^ want) & mask) return words * 8 + std::countr_zero((w ^ want) & mask) / 8;
  }
  return n;
}

// Vectors of W words, kLanes lanes of one vector each; a block is several rounds of the lanes, each
// lane stepped by kLanes * W words after its use. Always inlined, so that the AVX2 entry points
// below compile them with 32-byte registers.
template <int W>
struct PatternVecOf;
// Set(v, tag, i, d): v = the pattern's words i, i+d, ... (d = 0: all word i's step of a lane).
template <>
struct PatternVecOf<2> {
  typedef uint64_t type __attribute__((vector_size(16)));
  [[gnu::always_inline]] static void Set(type* v, uint64_t a, uint64_t d) { *v = type{a, a + d}; }
};
template <>
struct PatternVecOf<4> {
  typedef uint64_t type __attribute__((vector_size(32)));
  [[gnu::always_inline]] static void Set(type* v, uint64_t a, uint64_t d) {
    *v = type{a, a + d, a + 2 * d, a + 3 * d};
  }
};
template <int W, int kLanes>
struct PatternKernel {
  using V = typename PatternVecOf<W>::type;
  static constexpr size_t kRounds = kPatternBlock / (8 * W * kLanes);
  [[gnu::always_inline]] static void Start(uint64_t tag, V* lane, V* step) {
#pragma GCC unroll 8
    for (int k = 0; k < kLanes; ++k) {
      PatternVecOf<W>::Set(&lane[k], PatternWord(tag, W * k), kPatternStep);
    }
    PatternVecOf<W>::Set(step, kLanes * W * kPatternStep, 0);
  }
  [[gnu::always_inline]] static void Fill(uint8_t* p, size_t blocks, uint64_t tag) {
    V lane[kLanes];
    V step;
    Start(tag, lane, &step);
    for (size_t i = 0; i < blocks * kRounds; ++i) {
#pragma GCC unroll 8
      for (int k = 0; k < kLanes; ++k) {
        std::memcpy(p + (i * kLanes + k) * 8 * W, &lane[k], 8 * W);
        lane[k] += step;
      }
    }
  }
  // The first block that differs from the pattern, or `blocks`: groups of kGroup blocks share one
  // reduction of their lanes (the reduction costs as much as a block's loads); a group that differs
  // is searched block by block.
  static constexpr size_t kGroup = 4;
  [[gnu::always_inline]] static size_t FirstBad(const uint8_t* p, size_t blocks, uint64_t tag) {
    const size_t groups = blocks / kGroup;
    const size_t g = FirstBadEach(p, groups, tag, kGroup);
    const size_t from = g * kGroup;
    const uint64_t at = PatternWord(tag, from * (kPatternBlock / 8));
    if (g != groups) return from + FirstBadEach(p + from * kPatternBlock, kGroup, at, 1);
    return from + FirstBadEach(p + from * kPatternBlock, blocks - from, at, 1);
  }
  // The first run of `per` blocks that differs, or `runs`.
  [[gnu::always_inline]] static size_t FirstBadEach(const uint8_t* p, size_t runs, uint64_t tag,
                                                    size_t per) {
    V lane[kLanes];
    V step;
    Start(tag, lane, &step);
    for (size_t b = 0; b < runs; ++b) {
      V diff = {};
      const uint8_t* run = p + b * per * kPatternBlock;
#pragma GCC unroll 4
      for (size_t r = 0; r < per * kRounds; ++r) {
#pragma GCC unroll 8
        for (int k = 0; k < kLanes; ++k) {
          V w;
          std::memcpy(&w, run + (r * kLanes + k) * 8 * W, 8 * W);
          diff |= w ^ lane[k];
          lane[k] += step;
        }
      }
      uint64_t any = 0;
#pragma GCC unroll 4
      for (int j = 0; j < W; ++j) any |= diff[j];
      if (any != 0) [[unlikely]] {
        return b;
      }
    }
    return runs;
  }
};

#if defined(__x86_64__) && !defined(__AVX2__)
#define BP_PATTERN_AVX2 1
[[gnu::target("avx2")]] inline void FillBlocksAvx2(uint8_t* p, size_t blocks, uint64_t tag) {
  PatternKernel<4, 8>::Fill(p, blocks, tag);
}
[[gnu::target("avx2")]] inline size_t FirstBadBlockAvx2(const uint8_t* p, size_t blocks,
                                                        uint64_t tag) {
  return PatternKernel<4, 8>::FirstBad(p, blocks, tag);
}
inline bool HasAvx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}
#endif

inline void FillBlocks(uint8_t* p, size_t blocks, uint64_t tag) {
#ifdef BP_PATTERN_AVX2
  if (HasAvx2()) return FillBlocksAvx2(p, blocks, tag);
#endif
  PatternKernel<2, 8>::Fill(p, blocks, tag);
}
inline size_t FirstBadBlock(const uint8_t* p, size_t blocks, uint64_t tag) {
#ifdef BP_PATTERN_AVX2
  if (HasAvx2()) return FirstBadBlockAvx2(p, blocks, tag);
#endif
  return PatternKernel<2, 8>::FirstBad(p, blocks, tag);
}
}  // namespace internal

inline void FillPattern(uint8_t* p, size_t n, uint64_t tag) {
  const size_t blocks = n / internal::kPatternBlock;
  internal::FillBlocks(p, blocks, tag);
  const size_t done = blocks * internal::kPatternBlock;
  const size_t words = (n - done) / 8;
  const size_t first = done / 8;
  for (size_t i = 0; i < words; ++i) {
    const uint64_t w = PatternWord(tag, first + i);
    std::memcpy(p + done + i * 8, &w, 8);
  }
  if (n % 8 != 0) {
    const uint64_t w = PatternWord(tag, first + words);
    std::memcpy(p + done + words * 8, &w, n % 8);
  }
}

// The offset of the first byte that differs from the pattern of `tag`, or n when all match.
inline size_t FirstMismatch(const uint8_t* p, size_t n, uint64_t tag) {
  constexpr size_t kBlock = internal::kPatternBlock;
  const size_t blocks = n / kBlock;
  const size_t bad = internal::FirstBadBlock(p, blocks, tag);
  if (bad != blocks) {
    return bad * kBlock + internal::FirstMismatchWords(p + bad * kBlock, kBlock, tag, bad * 32);
  }
  const size_t done = blocks * kBlock;
  return done + internal::FirstMismatchWords(p + done, n - done, tag, done / 8);
}

// A tag that differs for every (thread, op) pair, from a splitmix64 finaliser.
inline uint64_t MakeTag(uint32_t thread, uint64_t op) {
  uint64_t z = (uint64_t{thread} << 40) ^ op ^ 0xD1B54A32D192ED03ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class OwnershipRegistry {
 public:
  // `max_held`: the most buffers that can be held at once across all threads (sizes the tables).
  explicit OwnershipRegistry(size_t max_held);

  // Records that a holder now has the buffer at `address`. Returns false when someone else already
  // holds it: a double hand-out (the second claim is still recorded, so both releases balance).
  bool Claim(uintptr_t address);
  // The holder gives the buffer back (just before Put).
  void Release(uintptr_t address);
  // Addresses still claimed (at the end of a run: buffers got and never put).
  size_t Held() const;

 private:
  static constexpr size_t kShards = 64;
  struct Entry {
    uintptr_t address;  // 0 = empty
    uint32_t holders;
  };
  struct alignas(64) Shard {
    std::atomic<bool> locked{false};
    std::unique_ptr<Entry[]> slots;
    size_t mask = 0;
    size_t used = 0;
    void Lock() {
      while (locked.exchange(true, std::memory_order_acquire)) {
        while (locked.load(std::memory_order_relaxed)) std::this_thread::yield();
      }
    }
    void Unlock() { locked.store(false, std::memory_order_release); }
  };
  static size_t Hash(uintptr_t a) {
    return static_cast<size_t>((a >> 4) * 0x9E3779B97F4A7C15ull >> 20);
  }
  Shard& ShardOf(uintptr_t a) { return shards_[(a >> 4) * 0x9E3779B97F4A7C15ull >> 58]; }

  std::array<Shard, kShards> shards_;
};

// The items the harness put twice on purpose (--misuse double-put). A pool that accepts the
// second put may list the item twice, from then on for as long as it lives (both holders put it
// back), so an item stays marked for the rest of the run: what the detectors find on a marked
// item is a consequence of the misuse, not of the pool's own logic. Rare by design (one put in
// thousands), so a mutex and a hash set suffice; the loop asks only when a detector fired.
class DoublePutLog {
 public:
  void Mark(uintptr_t address) {
    std::lock_guard<std::mutex> lock(mu_);
    marked_.insert(address);
  }
  bool Marked(uintptr_t address) const {
    std::lock_guard<std::mutex> lock(mu_);
    return marked_.count(address) != 0;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<uintptr_t> marked_;
};

}  // namespace bp
