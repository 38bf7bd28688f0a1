// bp::JsonWriter — a streaming RFC 8259 JSON writer into a bp::Buffer (grows) or a
// bp::FixedBuffer (fixed capacity, the Viki item).
//
// Guarantees: whatever sequence of calls is made, the writer never presents invalid JSON as a
// complete document. Commas and colons are inserted automatically; nesting is tracked up to a
// configurable depth. Strings are escaped per RFC 8259 ('"', '\\', every control character below
// 0x20 as a short escape or \u00XX); invalid UTF-8 sequences are replaced with U+FFFD (EF BF BD),
// so arbitrary bytes always give a valid string. Doubles use the shortest round-trip form; NaN
// and infinities are rejected. Integers are formatted with a digit-pair table (no allocation).
// The first error (misuse, depth, non-finite number, overflow of a FixedBuffer) is sticky: every
// later call is ignored, ok() is false and Complete() is false.
//
// Thread safety: none; a writer and its output belong to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pool/buffer.h"
#include "pool/fixed_buffer.h"

namespace bp {

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
  uint8_t stack_[kMaxTrackedDepth] = {};
};

}  // namespace bp
