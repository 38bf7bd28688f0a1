// Property: bp::JsonWriter never presents invalid JSON as a complete document, and what it writes
// means what was asked. A byte-coded sequence of calls drives the writer into a bp::Buffer while
// a model builds the expected nlohmann::json value and predicts the grammar errors. After every
// call the writer's error must equal the model's and Complete() must equal "no error and one
// closed top-level value"; when Complete(), the output must parse with nlohmann::json and equal
// the model (doubles compare by value). Strings are arbitrary bytes: the model applies its own,
// independently written U+FFFD replacement. The same calls are then replayed into FixedBuffers —
// one of a fuzzer-chosen small capacity, one of exactly the document's size — where the output
// must be the matching prefix and the error kOverflow from the first call that did not fit.
//
// Input: a byte with max_depth (0..15), a byte with the small capacity (0..510), then calls,
// each an opcode byte followed by its arguments.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "pool/json_writer.h"

namespace {

using bp::fuzz::Input;

using Error = bp::JsonWriter::Error;
using nlohmann::json;

// Pre-encoded values for Raw; the empty one is misuse.
constexpr const char* kRawValues[] = {"[]",     "{}",   "0", "\"r\"", "[1,{\"a\":null}]",
                                      "-1.5e3", "true", ""};
constexpr size_t kRawCount = sizeof kRawValues / sizeof kRawValues[0];

enum class Op : uint8_t {
  kBeginObject,
  kEndObject,
  kBeginArray,
  kEndArray,
  kKey,
  kString,
  kInt,
  kUint,
  kDouble,
  kBool,
  kNull,
  kRaw,
  kCount
};

struct Call {
  Op op;
  std::string_view text;  // Key, String: a view into the input, which outlives the calls
  uint64_t bits = 0;      // Int, Uint, Double (its bit pattern), Bool, Raw index
};

// Whether some Unicode scalar value encoded in `len` bytes starts with the bytes p[0..k). The
// values sharing a prefix form one interval (the unknown payload bits all 0 .. all 1), so this
// asks whether that interval meets the scalar values of that length.
bool PrefixCanComplete(const unsigned char* p, size_t k, size_t len) {
  static constexpr uint32_t kLeadMask[] = {0, 0, 0x1F, 0x0F, 0x07};
  uint32_t v = p[0] & kLeadMask[len];
  for (size_t i = 1; i < k; ++i) v = v << 6 | (p[i] & 0x3F);
  const unsigned unknown_bits = static_cast<unsigned>(6 * (len - k));
  const uint32_t lo = v << unknown_bits;
  const uint32_t hi = lo | ((1u << unknown_bits) - 1);
  auto meets = [&](uint32_t a, uint32_t b) { return lo <= b && hi >= a; };
  switch (len) {
    case 2:
      return meets(0x80, 0x7FF);
    case 3:
      return meets(0x800, 0xD7FF) || meets(0xE000, 0xFFFF);
    default:
      return meets(0x10000, 0x10FFFF);
  }
}

// The text a JSON string must decode to: valid UTF-8 unchanged, each maximal ill-formed subpart
// (the longest prefix that could still have been completed) replaced by one U+FFFD.
std::string ExpectedText(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  std::string out;
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    size_t len = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) len = 2;
    if ((c & 0xF0) == 0xE0) len = 3;
    if ((c & 0xF8) == 0xF0) len = 4;
    size_t good = 0;  // length of the longest prefix that can still complete
    for (size_t k = 1; len != 0 && k <= len && i + k <= n; ++k) {
      if (k > 1 && (p[i + k - 1] & 0xC0) != 0x80) break;
      if (!PrefixCanComplete(p + i, k, len)) break;
      good = k;
    }
    if (len != 0 && good == len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += good == 0 ? 1 : good;
    }
  }
  return out;
}

// The grammar as a stack of open containers, each holding the value built so far.
class Model {
 public:
  explicit Model(int max_depth) : max_depth_(max_depth) {}

  Error error() const { return error_; }
  bool Complete() const { return error_ == Error::kNone && done_; }
  const json& root() const { return root_; }

  void Apply(const Call& c) {
    if (error_ != Error::kNone) return;
    switch (c.op) {
      case Op::kBeginObject:
      case Op::kBeginArray:
        if (!ValueAllowed()) return Fail(Error::kMisuse);
        if (static_cast<int>(stack_.size()) >= max_depth_) return Fail(Error::kDepth);
        stack_.push_back({c.op == Op::kBeginObject ? json::object() : json::array(), "", false});
        return;
      case Op::kEndObject:
      case Op::kEndArray: {
        const bool object = c.op == Op::kEndObject;
        if (stack_.empty() || stack_.back().value.is_object() != object || stack_.back().key_due) {
          return Fail(Error::kMisuse);
        }
        json v = std::move(stack_.back().value);
        stack_.pop_back();
        return AddValue(std::move(v));
      }
      case Op::kKey:
        if (stack_.empty() || !stack_.back().value.is_object() || stack_.back().key_due) {
          return Fail(Error::kMisuse);
        }
        stack_.back().key = ExpectedText(c.text);
        stack_.back().key_due = true;
        return;
      case Op::kString:
        return Value(json(ExpectedText(c.text)));
      case Op::kInt:
        return Value(json(static_cast<int64_t>(c.bits)));
      case Op::kUint:
        return Value(json(c.bits));
      case Op::kDouble: {
        double d;
        std::memcpy(&d, &c.bits, sizeof d);
        if (!std::isfinite(d)) return Fail(Error::kNonFinite);
        return Value(json(d));
      }
      case Op::kBool:
        return Value(json(c.bits != 0));
      case Op::kNull:
        return Value(json(nullptr));
      case Op::kRaw: {
        const std::string_view raw = kRawValues[c.bits];
        if (raw.empty()) return Fail(Error::kMisuse);
        return Value(json::parse(raw));
      }
      case Op::kCount:
        break;
    }
  }

 private:
  struct Level {
    json value;
    std::string key;
    bool key_due;
  };

  void Fail(Error e) { error_ = e; }
  bool ValueAllowed() const {
    if (stack_.empty()) return !done_;
    return !stack_.back().value.is_object() || stack_.back().key_due;
  }
  void Value(json v) {
    if (!ValueAllowed()) return Fail(Error::kMisuse);
    AddValue(std::move(v));
  }
  void AddValue(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      done_ = true;
    } else if (stack_.back().value.is_object()) {
      stack_.back().value[stack_.back().key] = std::move(v);
      stack_.back().key_due = false;
    } else {
      stack_.back().value.push_back(std::move(v));
    }
  }

  int max_depth_;
  Error error_ = Error::kNone;
  std::vector<Level> stack_;
  json root_;
  bool done_ = false;
};

void Call1(bp::JsonWriter& w, const Call& c) {
  switch (c.op) {
    case Op::kBeginObject:
      w.BeginObject();
      break;
    case Op::kEndObject:
      w.EndObject();
      break;
    case Op::kBeginArray:
      w.BeginArray();
      break;
    case Op::kEndArray:
      w.EndArray();
      break;
    case Op::kKey:
      w.Key(c.text);
      break;
    case Op::kString:
      w.String(c.text);
      break;
    case Op::kInt:
      w.Int(static_cast<int64_t>(c.bits));
      break;
    case Op::kUint:
      w.Uint(c.bits);
      break;
    case Op::kDouble: {
      double d;
      std::memcpy(&d, &c.bits, sizeof d);
      w.Double(d);
      break;
    }
    case Op::kBool:
      w.Bool(c.bits != 0);
      break;
    case Op::kNull:
      w.Null();
      break;
    case Op::kRaw:
      w.Raw(kRawValues[c.bits]);
      break;
    case Op::kCount:
      break;
  }
}

std::vector<Call> ParseCalls(Input& in) {
  std::vector<Call> calls;
  while (!in.empty()) {
    Call c{static_cast<Op>(in.Byte() % static_cast<uint8_t>(Op::kCount)), {}, 0};
    switch (c.op) {
      case Op::kKey:
      case Op::kString:
        c.text = in.Bytes(in.Byte() % 64);
        break;
      case Op::kInt:
      case Op::kUint:
      case Op::kDouble:
        c.bits = in.U64();
        break;
      case Op::kBool:
        c.bits = in.Byte() & 1;
        break;
      case Op::kRaw:
        c.bits = in.Byte() % kRawCount;
        break;
      default:
        break;
    }
    calls.push_back(std::move(c));
  }
  return calls;
}

// Replays the calls into a FixedBuffer of `cap` bytes and checks it against the growable run:
// after call i the output is the first min(cap, sizes[i]) bytes of `text`, and the error is the
// growable run's error or kOverflow, whichever happened first.
void CheckFixed(const std::vector<Call>& calls, int max_depth, size_t cap, const std::string& text,
                const std::vector<size_t>& sizes, const std::vector<Error>& errors,
                const std::vector<bool>& complete) {
  bp::FixedBuffer item(cap);
  bp::JsonWriter w(item, bp::JsonWriter::Options{max_depth});
  Error expect = Error::kNone;
  for (size_t i = 0; i < calls.size(); ++i) {
    Call1(w, calls[i]);
    if (expect == Error::kNone) {
      if (errors[i] != Error::kNone) {
        expect = errors[i];
      } else if (sizes[i] > cap) {
        expect = Error::kOverflow;
      }
    }
    FUZZ_CHECK(w.error() == expect);
    FUZZ_CHECK(item.View() == std::string_view(text).substr(0, std::min(cap, sizes[i])));
    FUZZ_CHECK(w.Complete() == (complete[i] && expect == Error::kNone));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const int max_depth = in.Byte() % 16;
  const size_t small_cap = 2u * in.Byte();
  const std::vector<Call> calls = ParseCalls(in);

  bp::Buffer out;
  bp::JsonWriter w(out, bp::JsonWriter::Options{max_depth});
  Model model(max_depth);
  std::vector<size_t> sizes;
  std::vector<Error> errors;
  std::vector<bool> complete;
  for (const Call& c : calls) {
    Call1(w, c);
    model.Apply(c);
    FUZZ_CHECK(w.error() == model.error());
    FUZZ_CHECK(w.ok() == (model.error() == Error::kNone));
    FUZZ_CHECK(w.Complete() == model.Complete());
    if (w.Complete()) {
      const json parsed = json::parse(out.View(), nullptr, /*allow_exceptions=*/false);
      FUZZ_CHECK(!parsed.is_discarded());
      FUZZ_CHECK(parsed == model.root());
    }
    sizes.push_back(out.Len());
    errors.push_back(w.error());
    complete.push_back(w.Complete());
  }
  const std::string text(out.View());
  CheckFixed(calls, max_depth, small_cap, text, sizes, errors, complete);
  CheckFixed(calls, max_depth, text.size(), text, sizes, errors, complete);
  return 0;
}
