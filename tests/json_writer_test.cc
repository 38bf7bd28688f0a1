// bp::JsonWriter: the output is checked by parsing it with nlohmann::json and comparing to what
// was written — escaping, UTF-8 replacement, numbers — plus every misuse and limit error, and
// overflow of a fixed-capacity item.
// Sanitizer builds run these too: the writer fills fixed-capacity memory.
#include "pool/json_writer.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace bp {
namespace {

using Error = JsonWriter::Error;
using nlohmann::json;

// The document a string becomes once written: parsed back from the writer's output.
json RoundTrip(const std::string& s) {
  Buffer out;
  JsonWriter w(out);
  w.String(s);
  EXPECT_TRUE(w.Complete());
  return json::parse(out.View());
}

TEST(JsonWriterTest, SeedDocuments) {
  {
    Buffer b;
    JsonWriter w(b);
    w.BeginArray().EndArray();
    EXPECT_EQ(b.View(), "[]");
    EXPECT_TRUE(w.Complete());
  }
  {
    Buffer b;
    JsonWriter w(b);
    w.BeginArray().Int(90).EndArray();
    EXPECT_EQ(b.View(), "[90]");
    EXPECT_EQ(json::parse(b.View()), json::array({90}));
  }
  {
    Buffer b;
    JsonWriter w(b);
    w.BeginArray().Int(90).Bool(false).String("2012-12-12T00:00:00Z").String("abc").Bool(true);
    w.EndArray();
    EXPECT_EQ(b.View(), R"([90,false,"2012-12-12T00:00:00Z","abc",true])");
    EXPECT_EQ(json::parse(b.View()), json::array({90, false, "2012-12-12T00:00:00Z", "abc", true}));
    EXPECT_TRUE(w.Complete());
  }
  {
    Buffer b;
    JsonWriter w(b);
    w.BeginObject().EndObject();
    EXPECT_EQ(b.View(), "{}");
    EXPECT_TRUE(w.Complete());
  }
  {
    Buffer b;
    JsonWriter w(b);
    w.BeginObject().Key("over").String("90\"00!").EndObject();
    EXPECT_EQ(b.View(), R"({"over":"90\"00!"})");
    EXPECT_EQ(json::parse(b.View()), json({{"over", "90\"00!"}}));
  }
}

TEST(JsonWriterTest, NestedContainers) {
  Buffer b;
  JsonWriter w(b);
  w.BeginObject();
  w.Key("a").BeginArray().Int(1).BeginArray().EndArray().BeginObject().EndObject().Null();
  w.EndArray();
  w.Key("b").BeginObject().Key("c").BeginObject().Key("d").Uint(7).EndObject().EndObject();
  w.Key("e").Raw(R"({"raw":[1,2]})");
  w.EndObject();
  ASSERT_TRUE(w.Complete());
  EXPECT_EQ(b.View(), R"({"a":[1,[],{},null],"b":{"c":{"d":7}},"e":{"raw":[1,2]}})");
  const json expect = {{"a", {1, json::array(), json::object(), nullptr}},
                       {"b", {{"c", {{"d", 7}}}}},
                       {"e", {{"raw", {1, 2}}}}};
  EXPECT_EQ(json::parse(b.View()), expect);
}

TEST(JsonWriterTest, ScalarAtTopLevel) {
  Buffer b;
  JsonWriter w(b);
  EXPECT_FALSE(w.Complete());
  w.Int(-5);
  EXPECT_TRUE(w.Complete());
  EXPECT_EQ(b.View(), "-5");
}

TEST(JsonWriterTest, CompleteOnlyWhenClosed) {
  Buffer b;
  JsonWriter w(b);
  w.BeginObject().Key("k");
  EXPECT_FALSE(w.Complete());
  w.BeginArray();
  EXPECT_FALSE(w.Complete());
  w.EndArray();
  EXPECT_FALSE(w.Complete());
  w.EndObject();
  EXPECT_TRUE(w.Complete());
  EXPECT_TRUE(w.ok());
}

TEST(JsonWriterTest, EveryControlCharacterIsEscaped) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) {
    const std::string one(1, static_cast<char>(c));
    all += one;
    Buffer b;
    JsonWriter w(b);
    w.String(one);
    for (char out : b.View()) EXPECT_GE(static_cast<unsigned char>(out), 0x20) << "char " << c;
    EXPECT_EQ(json::parse(b.View()), json(one)) << "char " << c;
  }
  EXPECT_EQ(RoundTrip(all), json(all));
  EXPECT_EQ(RoundTrip("\b\f\n\r\t"), json("\b\f\n\r\t"));
}

TEST(JsonWriterTest, ShortEscapes) {
  Buffer b;
  JsonWriter w(b);
  w.String(std::string("\"\\\b\f\n\r\t\x01\x1f/\0", 11));
  EXPECT_EQ(b.View(), R"("\"\\\b\f\n\r\t\u0001\u001f/\u0000")");
}

TEST(JsonWriterTest, QuotesAndBackslashesInKeysAndValues) {
  Buffer b;
  JsonWriter w(b);
  const std::string key = "k\"\\\n";
  const std::string value = "\\\"\\\"";
  w.BeginObject().Key(key).String(value).EndObject();
  EXPECT_EQ(json::parse(b.View()), json({{key, value}}));
}

TEST(JsonWriterTest, AllAsciiRoundTrips) {
  std::string s;
  for (int c = 0; c < 0x80; ++c) s += static_cast<char>(c);
  EXPECT_EQ(RoundTrip(s), json(s));
}

TEST(JsonWriterTest, ValidUtf8PassesThroughUnchanged) {
  // The first and last code point of each encoded length, and either side of the surrogates.
  const std::vector<std::string> valid = {
      "\xC2\x80",         "\xDF\xBF",         "\xE0\xA0\x80",
      "\xED\x9F\xBF",     "\xEE\x80\x80",     "\xEF\xBF\xBF",
      "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"};
  for (const std::string& s : valid) {
    Buffer b;
    JsonWriter w(b);
    w.String(s);
    EXPECT_EQ(b.View(), "\"" + s + "\"");
    EXPECT_EQ(json::parse(b.View()), json(s));
  }
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacters) {
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  struct Case {
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"\x80", r},  // stray continuation byte
      {"a\xBF"
       "b",
       "a" + r + "b"},                      // stray continuation byte inside
      {"\xC0\xAF", r + r},                  // overlong '/': C0 can never start a sequence
      {"\xC1\xBF", r + r},                  // overlong
      {"\xE0\x80\xAF", r + r + r},          // overlong 3-byte form: E0 needs A0..BF next
      {"\xF0\x80\x80\xAF", r + r + r + r},  // overlong 4-byte form
      {"\xED\xA0\x80", r + r + r},          // U+D800, a surrogate
      {"\xED\xBF\xBF", r + r + r},          // U+DFFF
      {"\xF4\x90\x80\x80", r + r + r + r},  // U+110000, above the last code point
      {"\xF5\x80", r + r},                  // F5..FF never start a sequence
      {"\xFF", r},
      {"\xE2\x82", r},             // truncated at the end: one replacement for the prefix
      {"a\xF0\x9F\x98", "a" + r},  // truncated 4-byte sequence
      {"\xE2\x82"
       "a",
       r + "a"},                         // cut short by an ASCII byte
      {"\xC3", r},                       // lone lead byte at the end
      {"\xC3\xC3\xA9", r + "\xC3\xA9"},  // a lead byte interrupted by a valid sequence
  };
  for (const Case& c : cases) {
    Buffer b;
    JsonWriter w(b);
    w.String(c.in);
    ASSERT_TRUE(w.Complete());
    EXPECT_EQ(b.View(), "\"" + c.out + "\"") << "input " << json(c.out).dump();
    EXPECT_EQ(json::parse(b.View()), json(c.out));
  }
}

TEST(JsonWriterTest, InvalidUtf8InKeys) {
  Buffer b;
  JsonWriter w(b);
  w.BeginObject().Key("k\xFF").Int(1).EndObject();
  EXPECT_EQ(json::parse(b.View()), json({{"k\xEF\xBF\xBD", 1}}));
}

TEST(JsonWriterTest, IntegerLimits) {
  Buffer b;
  JsonWriter w(b);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr uint64_t kUMax = std::numeric_limits<uint64_t>::max();
  w.BeginArray().Int(kMin).Int(kMax).Uint(kUMax).Int(0).Uint(0).Int(-1).Int(9).Int(10).Int(-99);
  w.Int(100).EndArray();
  EXPECT_EQ(b.View(),
            "[-9223372036854775808,9223372036854775807,18446744073709551615,0,0,-1,9,10,-99,100]");
  const json parsed = json::parse(b.View());
  EXPECT_EQ(parsed[0].get<int64_t>(), kMin);
  EXPECT_EQ(parsed[1].get<int64_t>(), kMax);
  EXPECT_EQ(parsed[2].get<uint64_t>(), kUMax);
}

TEST(JsonWriterTest, EveryIntegerLengthRoundTrips) {
  std::vector<int64_t> values;
  int64_t power = 1;  // 10^0 .. 10^18, the largest power of ten an int64 holds
  for (int i = 0; i <= 18; ++i) {
    for (int64_t v : {power - 1, power, power + 1}) {
      values.push_back(v);
      values.push_back(-v);
    }
    if (i < 18) power *= 10;
  }
  Buffer b;
  JsonWriter w(b);
  w.BeginArray();
  for (int64_t v : values) w.Int(v);
  w.EndArray();
  ASSERT_TRUE(w.Complete());
  EXPECT_EQ(json::parse(b.View()), json(values));
}

TEST(JsonWriterTest, IntegersBetweenContainers) {
  Buffer b;
  JsonWriter w(b);
  w.BeginArray().BeginArray().Int(1).Uint(2).EndArray().Int(3).BeginObject().Key("k").Int(4);
  w.EndObject().Uint(5).Int(-6).EndArray();
  ASSERT_TRUE(w.Complete());
  EXPECT_EQ(b.View(), R"([[1,2],3,{"k":4},5,-6])");
}

TEST(JsonWriterTest, DoublesRoundTrip) {
  std::vector<double> values = {0.0,
                                -0.0,
                                0.1,
                                -2.5,
                                1.0,
                                100.0,
                                1e21,
                                1e300,
                                -1e-300,
                                5e-324,
                                DBL_MAX,
                                DBL_MIN,
                                1e-7,
                                3.14159,
                                1.2345678901234567e20,
                                123456789012.0,
                                1.8446744073709552e19};
  std::mt19937_64 rng(12345);
  while (values.size() < 2000) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
  }
  Buffer b;
  JsonWriter w(b);
  w.BeginArray();
  for (double v : values) w.Double(v);
  w.EndArray();
  ASSERT_TRUE(w.Complete());
  const json parsed = json::parse(b.View());
  ASSERT_EQ(parsed.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(parsed[i].get<double>(), values[i]) << "index " << i;
  }
}

TEST(JsonWriterTest, NonFiniteDoublesAreRejected) {
  for (double v :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()}) {
    Buffer b;
    JsonWriter w(b);
    w.BeginArray().Double(v);
    EXPECT_EQ(w.error(), Error::kNonFinite);
    EXPECT_EQ(b.View(), "[");
    w.EndArray();
    EXPECT_FALSE(w.Complete());
  }
}

// Each misuse fails the writer with kMisuse, writes nothing more, and is sticky.
void ExpectMisuse(void (*calls)(JsonWriter&), const char* what) {
  Buffer b;
  JsonWriter w(b);
  calls(w);
  EXPECT_EQ(w.error(), Error::kMisuse) << what;
  EXPECT_FALSE(w.Complete()) << what;
  const std::string before(b.View());
  w.EndArray().EndObject().Int(1).Null().String("x").Key("k");
  EXPECT_EQ(b.View(), before) << what;
  EXPECT_EQ(w.error(), Error::kMisuse) << what;
}

TEST(JsonWriterTest, MisuseIsDetected) {
  ExpectMisuse([](JsonWriter& w) { w.Key("k"); }, "key at top level");
  ExpectMisuse([](JsonWriter& w) { w.BeginArray().Key("k"); }, "key in an array");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().Key("a").Key("b"); }, "two keys");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().Int(1); }, "value without key");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().Key("a").Int(1).Int(2); }, "two values");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().BeginArray(); }, "array without key");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().Key("a").EndObject(); }, "pending key");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().EndArray(); }, "EndArray on object");
  ExpectMisuse([](JsonWriter& w) { w.BeginArray().EndObject(); }, "EndObject on array");
  ExpectMisuse([](JsonWriter& w) { w.EndArray(); }, "EndArray at top level");
  ExpectMisuse([](JsonWriter& w) { w.EndObject(); }, "EndObject at top level");
  ExpectMisuse([](JsonWriter& w) { w.Int(1).Int(2); }, "second top-level scalar");
  ExpectMisuse([](JsonWriter& w) { w.BeginArray().EndArray().BeginArray(); }, "second array");
  ExpectMisuse([](JsonWriter& w) { w.BeginObject().EndObject().String("x"); }, "after object");
  ExpectMisuse([](JsonWriter& w) { w.BeginArray().Raw(""); }, "empty raw value");
}

TEST(JsonWriterTest, DepthLimit) {
  for (int max_depth : {1, 3, 64}) {
    Buffer b;
    JsonWriter w(b, JsonWriter::Options{max_depth});
    for (int i = 0; i < max_depth; ++i) w.BeginArray();
    ASSERT_TRUE(w.ok()) << max_depth;
    for (int i = 0; i < max_depth; ++i) w.EndArray();
    EXPECT_TRUE(w.Complete());
    EXPECT_EQ(b.View(), std::string(max_depth, '[') + std::string(max_depth, ']'));
    EXPECT_FALSE(json::parse(b.View(), nullptr, false).is_discarded());

    Buffer deep;
    JsonWriter too_deep(deep, JsonWriter::Options{max_depth});
    for (int i = 0; i < max_depth; ++i) too_deep.BeginObject().Key("k");
    too_deep.BeginArray();
    EXPECT_EQ(too_deep.error(), Error::kDepth) << max_depth;
    EXPECT_FALSE(too_deep.Complete());
  }
}

TEST(JsonWriterTest, DefaultDepthIs64) {
  Buffer b;
  JsonWriter w(b);
  for (int i = 0; i < 64; ++i) w.BeginArray();
  EXPECT_TRUE(w.ok());
  w.BeginArray();
  EXPECT_EQ(w.error(), Error::kDepth);
}

TEST(JsonWriterTest, DepthIsClampedToTheTrackedMaximum) {
  Buffer b;
  JsonWriter w(b, JsonWriter::Options{1 << 20});
  for (int i = 0; i < 1024; ++i) w.BeginArray();
  EXPECT_TRUE(w.ok());
  w.BeginArray();
  EXPECT_EQ(w.error(), Error::kDepth);
}

// The document used by the overflow tests and its full text.
void WriteSample(JsonWriter& w) {
  w.BeginObject().Key("name").String("caf\xC3\xA9\n").Key("values").BeginArray();
  w.Int(-12).Int(123456).Uint(4000000000u).Int(5000000000).Double(0.5).Bool(true).Null();
  w.EndArray().EndObject();
}

TEST(JsonWriterTest, FixedBufferOverflowAtEveryCapacity) {
  Buffer reference;
  JsonWriter full(reference);
  WriteSample(full);
  ASSERT_TRUE(full.Complete());
  const std::string text(reference.View());
  for (size_t cap = 0; cap <= text.size(); ++cap) {
    FixedBuffer item(cap);
    JsonWriter w(item);
    WriteSample(w);
    if (cap < text.size()) {
      EXPECT_EQ(w.error(), Error::kOverflow) << cap;
      EXPECT_FALSE(w.Complete()) << cap;
      EXPECT_TRUE(item.ShortWrite());
      EXPECT_EQ(item.View(), text.substr(0, cap));  // a truncated prefix, never garbage
    } else {
      EXPECT_TRUE(w.Complete()) << cap;
      EXPECT_EQ(item.View(), text);
    }
  }
}

TEST(JsonWriterTest, SmallFixedBufferOverflows) {
  FixedBuffer item(4);
  JsonWriter w(item);
  w.BeginArray().Int(12345).EndArray();
  EXPECT_EQ(w.error(), Error::kOverflow);
  EXPECT_FALSE(w.ok());
  EXPECT_FALSE(w.Complete());
  EXPECT_EQ(item.View(), "[123");
}

TEST(JsonWriterTest, ErrorNames) {
  EXPECT_STREQ(JsonWriter::ErrorName(Error::kNone), "none");
  EXPECT_STREQ(JsonWriter::ErrorName(Error::kOverflow), "overflow");
  EXPECT_STREQ(JsonWriter::ErrorName(Error::kMisuse), "misuse");
  EXPECT_STREQ(JsonWriter::ErrorName(Error::kDepth), "depth");
  EXPECT_STREQ(JsonWriter::ErrorName(Error::kNonFinite), "non-finite");
}

TEST(JsonWriterTest, TwentyThousandIntegers) {
  Buffer b;
  JsonWriter w(b);
  w.BeginArray();
  std::vector<int> expect;
  for (int i = 0; i < 20000; ++i) {
    w.Int(i);
    expect.push_back(i);
  }
  w.EndArray();
  ASSERT_TRUE(w.Complete());
  EXPECT_EQ(b.Len(), 108891u);  // the size the benchmark checks
  EXPECT_EQ(json::parse(b.View()), json(expect));
}

}  // namespace
}  // namespace bp
