#include "pool/json_writer.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace bp {
namespace {

using json_internal::DigitCount;
using json_internal::FormatDigits;

// How a string byte is written: copied as is, escaped, or checked as the start of UTF-8.
enum ByteClass : uint8_t { kPlain, kEscape, kMultiByte };

constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c < 0x20 || c == '"' || c == '\\') {
      t[c] = kEscape;
    } else if (c >= 0x80) {
      t[c] = kMultiByte;
    } else {
      t[c] = kPlain;
    }
  }
  return t;
}();

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Inspects the sequence that starts with the non-ASCII byte p[0] (n >= 1 bytes available).
// Returns its length (2..4) when it is well-formed UTF-8 per RFC 3629 / Unicode table 3-7: no
// overlong forms, no surrogates D800-DFFF, nothing above U+10FFFF. Otherwise returns 0 and sets
// *bad to the length of its maximal subpart (the lead byte plus the continuation bytes that
// could still have led to a valid sequence), which is replaced by one U+FFFD. This is Unicode's
// recommended substitution (chapter 3, "U+FFFD Substitution of Maximal Subparts"), the one
// WHATWG decoders use; a sequence cut short by the end of the string is a maximal subpart too.
size_t Utf8SequenceLength(const uint8_t* p, size_t n, size_t* bad) {
  const uint8_t lead = p[0];
  size_t need = 0;
  uint8_t lo = 0x80;  // the range allowed for the second byte; later bytes are always 80..BF
  uint8_t hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead == 0xE0) {
    need = 3;
    lo = 0xA0;  // E0 80..9F would be overlong
  } else if (lead == 0xED) {
    need = 3;
    hi = 0x9F;  // ED A0..BF would encode a surrogate
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    need = 3;
  } else if (lead == 0xF0) {
    need = 4;
    lo = 0x90;  // F0 80..8F would be overlong
  } else if (lead == 0xF4) {
    need = 4;
    hi = 0x8F;  // F4 90.. would exceed U+10FFFF
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    need = 4;
  } else {
    *bad = 1;  // 80..BF (a stray continuation), C0, C1 (always overlong), F5..FF
    return 0;
  }
  size_t k = 1;
  for (; k < need && k < n; ++k) {
    const uint8_t b = p[k];
    const uint8_t min = k == 1 ? lo : 0x80;
    const uint8_t max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) break;
  }
  if (k == need) return need;
  *bad = k;
  return 0;
}

}  // namespace

JsonWriter::JsonWriter(Buffer& out, Options options) : buffer_(&out), options_(options) {
  if (options_.max_depth > kMaxTrackedDepth) options_.max_depth = kMaxTrackedDepth;
}

JsonWriter::JsonWriter(FixedBuffer& out, Options options) : fixed_(&out), options_(options) {
  if (options_.max_depth > kMaxTrackedDepth) options_.max_depth = kMaxTrackedDepth;
}

const char* JsonWriter::ErrorName(Error e) {
  switch (e) {
    case Error::kNone:
      return "none";
    case Error::kOverflow:
      return "overflow";
    case Error::kMisuse:
      return "misuse";
    case Error::kDepth:
      return "depth";
    case Error::kNonFinite:
      return "non-finite";
  }
  return "unknown";
}

bool JsonWriter::Complete() const {
  if (!ok() || !top_level_done_ || depth_ != 0) return false;
  return fixed_ == nullptr || !fixed_->ShortWrite();
}

JsonWriter& JsonWriter::Fail(Error e) {
  if (error_ == Error::kNone) error_ = e;
  array_tail_ = false;
  return *this;
}

void JsonWriter::Put(const char* p, size_t n) {
  if (buffer_ != nullptr) {
    buffer_->Write(p, n);
  } else if (fixed_->Write(p, n) != n) {
    Fail(Error::kOverflow);
  }
}

bool JsonWriter::BeginValue(bool* comma) {
  *comma = false;
  array_tail_ = false;
  if (depth_ == 0) {
    if (!top_level_done_) return true;
    Fail(Error::kMisuse);  // a second top-level value
    return false;
  }
  uint8_t& level = stack_[depth_ - 1];
  if ((level & kObject) != 0) {
    if ((level & kValueDue) == 0) {
      Fail(Error::kMisuse);  // an object member needs its key first
      return false;
    }
    level &= static_cast<uint8_t>(~kValueDue);
    return true;
  }
  *comma = (level & kHasMember) != 0;
  level |= kHasMember;
  array_tail_ = ok();  // an array (not an object) with a member now
  return true;
}

JsonWriter& JsonWriter::Scalar(char* p, char* end) {
  bool comma;
  if (!ok() || !BeginValue(&comma)) return *this;
  if (comma) *--p = ',';
  Put(p, static_cast<size_t>(end - p));
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Begin(uint8_t kind, char open) {
  bool comma;
  if (!ok() || !BeginValue(&comma)) return *this;
  if (depth_ >= options_.max_depth) return Fail(Error::kDepth);
  const char text[2] = {',', open};
  Put(comma ? text : text + 1, comma ? 2 : 1);
  stack_[depth_++] = kind;
  array_tail_ = false;  // the new value has no member yet
  return *this;
}

JsonWriter& JsonWriter::End(uint8_t kind, char close) {
  if (!ok()) return *this;
  if (depth_ == 0) return Fail(Error::kMisuse);
  const uint8_t level = stack_[depth_ - 1];
  if ((level & kObject) != kind || (level & kValueDue) != 0) return Fail(Error::kMisuse);
  --depth_;
  Put(&close, 1);
  EndValue();
  array_tail_ = ok() && depth_ > 0 && stack_[depth_ - 1] == kHasMember;
  return *this;
}

JsonWriter& JsonWriter::BeginObject() { return Begin(kObject, '{'); }
JsonWriter& JsonWriter::EndObject() { return End(kObject, '}'); }
JsonWriter& JsonWriter::BeginArray() { return Begin(0, '['); }
JsonWriter& JsonWriter::EndArray() { return End(0, ']'); }

JsonWriter& JsonWriter::Key(std::string_view key) {
  if (!ok()) return *this;
  if (depth_ == 0) return Fail(Error::kMisuse);
  uint8_t& level = stack_[depth_ - 1];
  if ((level & kObject) == 0 || (level & kValueDue) != 0) return Fail(Error::kMisuse);
  if ((level & kHasMember) != 0) Put(",", 1);
  level |= kHasMember | kValueDue;
  array_tail_ = false;
  PutString(key);
  Put(":", 1);
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  bool comma;
  if (!ok() || !BeginValue(&comma)) return *this;
  if (comma) Put(",", 1);
  PutString(value);
  EndValue();
  return *this;
}

void JsonWriter::PutString(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  Put("\"", 1);
  // Runs of bytes that need no change (ASCII and valid UTF-8) are copied with one Put each.
  size_t run = 0;
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    const uint8_t cls = kByteClass[c];
    if (cls == kPlain) {
      ++i;
      continue;
    }
    size_t bad = 0;
    if (cls == kMultiByte) {
      const size_t len = Utf8SequenceLength(p + i, n - i, &bad);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    if (i > run) Put(s.data() + run, i - run);
    if (cls == kMultiByte) {
      Put(kReplacement, 3);
      i += bad;
    } else {
      char esc[6] = {'\\', 0, '0', '0', 0, 0};
      size_t len = 2;
      switch (c) {
        case '"':
        case '\\':
          esc[1] = static_cast<char>(c);
          break;
        case '\b':
          esc[1] = 'b';
          break;
        case '\f':
          esc[1] = 'f';
          break;
        case '\n':
          esc[1] = 'n';
          break;
        case '\r':
          esc[1] = 'r';
          break;
        case '\t':
          esc[1] = 't';
          break;
        default:
          esc[1] = 'u';
          esc[4] = "0123456789abcdef"[c >> 4];
          esc[5] = "0123456789abcdef"[c & 0xF];
          len = 6;
          break;
      }
      Put(esc, len);
      ++i;
    }
    run = i;
  }
  if (n > run) Put(s.data() + run, n - run);
  Put("\"", 1);
}

// The hot path of the Viki benchmark (an array of integers). The digits are counted first, so
// that the room is taken once (one compare on a Buffer), and then written straight into the
// output, two at a time from the end: no temporary and no variable-length memcpy.
JsonWriter& JsonWriter::Integer(bool negative, uint64_t magnitude) {
  bool comma;
  if (!ok() || !BeginValue(&comma)) return *this;
  const bool small = magnitude <= UINT32_MAX;  // 32-bit divisions are cheaper
  const size_t prefix = static_cast<size_t>(comma) + static_cast<size_t>(negative);
  const size_t total =
      prefix + (small ? DigitCount(static_cast<uint32_t>(magnitude)) : DigitCount(magnitude));
  char staging[24];  // a comma, a sign and 20 digits: used only when the output lacks room
  char* dst = staging;
  if (buffer_ != nullptr) {
    dst = reinterpret_cast<char*>(buffer_->Extend(total));
  } else if (fixed_->Available() >= total) {
    dst = reinterpret_cast<char*>(fixed_->data()) + fixed_->Len();
  }
  if (comma) dst[0] = ',';
  if (negative) dst[prefix - 1] = '-';
  if (small) {
    FormatDigits(dst + total, static_cast<uint32_t>(magnitude));
  } else {
    FormatDigits(dst + total, magnitude);
  }
  if (buffer_ == nullptr) {
    if (dst == staging) {
      Put(staging, total);  // written short: fails with kOverflow
    } else {
      fixed_->Position(fixed_->Len() + total);
    }
  }
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  if (!ok()) return *this;
  if (!std::isfinite(value)) return Fail(Error::kNonFinite);
  // Shortest round-trip form: "0.1", "1e+300", "-0", "5e-324", or plain integers such as "100"
  // (which may exceed 64 bits, e.g. "123456789012345680000"). All are RFC 8259 numbers: finite
  // values never give "inf" or "nan", and to_chars writes no leading '+' or '.'.
  char text[32];  // one spare byte for the comma; the longest form is 24 characters
  const auto result = std::to_chars(text + 1, text + sizeof text, value);
  return Scalar(text + 1, result.ptr);
}

JsonWriter& JsonWriter::Bool(bool value) {
  char text[] = ",false";
  char* end = text + sizeof text - 1;
  if (value) {
    std::memcpy(text + 1, "true", 4);
    --end;
  }
  return Scalar(text + 1, end);
}

JsonWriter& JsonWriter::Null() {
  char text[] = ",null";
  return Scalar(text + 1, text + sizeof text - 1);
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  bool comma;
  if (!ok()) return *this;
  if (json.empty()) return Fail(Error::kMisuse);  // an empty value can never be valid JSON
  if (!BeginValue(&comma)) return *this;
  if (comma) Put(",", 1);
  Put(json.data(), json.size());
  EndValue();
  return *this;
}

}  // namespace bp
