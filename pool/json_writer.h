// bp::JsonWriter — a streaming RFC 8259 JSON writer into a bp::Buffer (grows) or a
// bp::FixedBuffer (fixed capacity, the Viki item).
//
// Guarantees: whatever sequence of calls is made, the writer never presents invalid JSON as a
// complete document. Commas and colons are inserted automatically; nesting is tracked up to a
// configurable depth. Strings are escaped per RFC 8259 ('"', '\\', every control character below
// 0x20 as a short escape or \u00XX); invalid UTF-8 sequences are replaced with U+FFFD (EF BF BD),
// so arbitrary bytes always give a valid string. Invalid means not well-formed per RFC 3629:
// overlong forms, surrogates D800-DFFF, values above U+10FFFF, stray continuation bytes, and
// sequences cut short (also by the end of the string). Each maximal ill-formed subpart — the
// longest prefix that could still have been completed — becomes one U+FFFD (Unicode's
// recommended practice, as WHATWG decoders do): "\xE2\x82" gives one, "\xED\xA0\x80" three.
// Doubles use the shortest round-trip form; NaN and infinities are rejected. Integers are
// formatted with a digit-pair table (no allocation). The first error (misuse, depth, non-finite
// number, overflow of a FixedBuffer) is sticky: every later call is ignored, ok() is false and
// Complete() is false. Raw("") is misuse; other Raw text is trusted.
//
// Thread safety: none; a writer and its output belong to one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "pool/buffer.h"
#include "pool/fixed_buffer.h"

namespace bp {
namespace json_internal {

// "00" "01" ... "99": two digits per division by 100 halves the divisions of a digit-at-a-time
// loop.
inline constexpr std::array<char, 200> kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

// Number of decimal digits of v: four compares per four digits (the libstdc++ to_chars method).
// A template so that numbers below 2^32 use 32-bit multiplications for the divisions.
template <class U>
inline size_t DigitCount(U v) {
  size_t n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

// Writes the decimal digits of v so that they end at `end`.
template <class U>
inline void FormatDigits(char* end, U v) {
  while (v >= 100) {
    const U r = v % 100;
    v /= 100;
    end -= 2;
    std::memcpy(end, &kDigitPairs[2 * r], 2);
  }
  if (v >= 10) {
    end -= 2;
    std::memcpy(end, &kDigitPairs[2 * v], 2);
  } else {
    *--end = static_cast<char>('0' + v);
  }
}

}  // namespace json_internal

class JsonWriter {
 public:
  enum class Error : uint8_t {
    kNone,
    kOverflow,   // the FixedBuffer filled up; the output is a truncated prefix
    kMisuse,     // a call out of grammar: value where a key is due, unmatched end, ...
    kDepth,      // nesting deeper than Options::max_depth
    kNonFinite,  // NaN or infinity given to Double
  };
  struct Options {
    int max_depth = 64;
  };

  explicit JsonWriter(Buffer& out) : JsonWriter(out, Options{}) {}
  JsonWriter(Buffer& out, Options options);
  explicit JsonWriter(FixedBuffer& out) : JsonWriter(out, Options{}) {}
  JsonWriter(FixedBuffer& out, Options options);

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // A pre-encoded JSON value, written as is (the caller vouches for its validity).
  JsonWriter& Raw(std::string_view json);

  bool ok() const { return error_ == Error::kNone; }
  Error error() const { return error_; }
  static const char* ErrorName(Error e);
  // True when no error occurred and exactly one top-level value has been written and closed.
  bool Complete() const;

 private:
  // Bits of one open level in stack_.
  static constexpr uint8_t kObject = 1;     // an object (else an array)
  static constexpr uint8_t kHasMember = 2;  // a member was written: the next one needs a comma
  static constexpr uint8_t kValueDue = 4;   // a key was written: a value must come next
  // Deeper nesting than this is refused whatever Options::max_depth says (it is clamped).
  static constexpr int kMaxTrackedDepth = 1024;

  // Checks that a value may start here and updates the level. Returns false (and fails) on
  // misuse; *comma tells whether a separator must precede the value.
  bool BeginValue(bool* comma);
  // Marks the top-level value written when the value just closed was at depth 0.
  void EndValue() {
    if (depth_ == 0) top_level_done_ = true;
  }
  // Appends n bytes. On a FixedBuffer a cut fails the writer with kOverflow.
  void Put(const char* p, size_t n);
  // Writes a value whose text is [p, end); p has one spare byte in front for the comma.
  JsonWriter& Scalar(char* p, char* end);
  // Int and Uint: formats the number directly into the output.
  JsonWriter& Integer(bool negative, uint64_t magnitude);
  // The inline fast path of Int and Uint, for the common case of a document that is a long
  // array of numbers: a 32-bit number after the first element of an array. It skips the call
  // (which with its register saves cost as much as formatting the number) and the general
  // grammar step; false sends the number to Integer.
  bool FastArrayElement(uint32_t v) {
    if (!array_tail_) return false;
    const size_t total = 1 + json_internal::DigitCount(v);
    char* dst;
    if (buffer_ != nullptr) {
      dst = reinterpret_cast<char*>(buffer_->Extend(total));
    } else {
      dst = reinterpret_cast<char*>(fixed_->Claim(total));
      if (dst == nullptr) return false;
    }
    dst[0] = ',';
    json_internal::FormatDigits(dst + total, v);
    return true;
  }
  // Writes s as a quoted, escaped JSON string (invalid UTF-8 replaced by U+FFFD).
  void PutString(std::string_view s);
  JsonWriter& Begin(uint8_t kind, char open);
  JsonWriter& End(uint8_t kind, char close);
  JsonWriter& Fail(Error e);

  Buffer* buffer_ = nullptr;
  FixedBuffer* fixed_ = nullptr;
  Options options_;
  Error error_ = Error::kNone;
  int depth_ = 0;
  bool top_level_done_ = false;
  // No error, and the innermost open value is an array that already has a member: the state in
  // which FastArrayElement may write. One flag instead of three loads, kept by every call that
  // changes error_, depth_ or a level (BeginValue, Begin, End, Key, Fail).
  bool array_tail_ = false;
  uint8_t stack_[kMaxTrackedDepth] = {};
};

// Int and Uint are inline so that the fast path above costs no call.
inline JsonWriter& JsonWriter::Int(int64_t value) {
  if (value >= 0 && value <= UINT32_MAX && FastArrayElement(static_cast<uint32_t>(value))) {
    return *this;
  }
  const bool negative = value < 0;
  // Negating in unsigned arithmetic is defined for INT64_MIN too.
  return Integer(negative,
                 negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value));
}

inline JsonWriter& JsonWriter::Uint(uint64_t value) {
  if (value <= UINT32_MAX && FastArrayElement(static_cast<uint32_t>(value))) return *this;
  return Integer(false, value);
}

}  // namespace bp
