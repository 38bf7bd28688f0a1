// What the fuzz targets share: FUZZ_CHECK, the check that turns a broken property into a finding,
// bp::fuzz::Input, the cursor that decodes a target's operations from the input bytes, and
// bp::fuzz::Pattern, the known bytes targets write so that they can check them later.
//
// FUZZ_CHECK prints the failed condition with its file and line and aborts: libFuzzer saves the
// input as a crash, and the replay driver (replay_main.cc) dies on it, failing its ctest. It is
// always on (not assert: fuzz builds may define NDEBUG).
//
// Input never fails: reading past the end yields zero bytes, so every byte string is a valid
// program and a truncated input is the same program cut short. Multi-byte values are
// little-endian. The targets' encodings, and so their saved corpora, rest on these exact rules.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace bp::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  size_t U16() {
    const size_t lo = Byte();
    return lo | static_cast<size_t>(Byte()) << 8;
  }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(Byte()) << (8 * i);
    return v;
  }
  // The next min(n, remaining) bytes, as a view into the input.
  std::string_view Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    const std::string_view s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The n bytes seed + i * kStep (mod 256), i = 0..n-1, n <= kMaxLen, as a view into one static
// table: no allocation and no per-byte work per call. Under ASan every heap block a target makes
// costs a fill and, while the quarantine cycles, fresh pages; building each payload in a new
// std::string was most of a write's cost. The bytes are the ones the byte loop made: kStep is
// odd, so it has an inverse mod 256, and the sequence that starts at seed is the table
// table[k] = k * kStep started at k = seed / kStep (it repeats every 256 bytes: 256 * kStep is
// 0 mod 256).
template <uint8_t kStep, size_t kMaxLen>
std::string_view Pattern(size_t n, uint8_t seed) {
  static_assert(kStep % 2 == 1, "an even step has no inverse mod 256");
  static constexpr uint8_t kInverse = [] {
    uint8_t x = kStep;  // Newton's iteration: each step doubles the correct low bits (3 -> 24)
    for (int i = 0; i < 3; ++i) x = static_cast<uint8_t>(x * (2 - kStep * x));
    return x;
  }();
  static_assert(static_cast<uint8_t>(kStep * kInverse) == 1);
  static constexpr std::array<char, kMaxLen + 256> kTable = [] {
    std::array<char, kMaxLen + 256> t{};
    for (size_t k = 0; k < t.size(); ++k) t[k] = static_cast<char>(k * kStep);
    return t;
  }();
  FUZZ_CHECK(n <= kMaxLen);
  const size_t start = static_cast<uint8_t>(seed * kInverse);
  return {kTable.data() + start, n};
}

}  // namespace bp::fuzz
