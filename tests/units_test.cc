#include "base/units.h"

#include <gtest/gtest.h>

#include "pool/registry.h"
#include "tool/run/dist.h"

namespace bp {
namespace {

TEST(ParseSize, PlainAndSuffixed) {
  EXPECT_EQ(ParseSize("0"), 0u);
  EXPECT_EQ(ParseSize("4096"), 4096u);
  EXPECT_EQ(ParseSize("64K"), 65536u);
  EXPECT_EQ(ParseSize("64k"), 65536u);
  EXPECT_EQ(ParseSize("1M"), 1u << 20);
  EXPECT_EQ(ParseSize("2G"), uint64_t{2} << 30);
  EXPECT_EQ(ParseSize("4KiB"), 4096u);
  EXPECT_EQ(ParseSize("512MB"), uint64_t{512} << 20);
  EXPECT_EQ(ParseSize("1T"), uint64_t{1} << 40);
}

TEST(ParseSize, RejectsGarbage) {
  for (const char* bad : {"", "K", "-1", "+5", "1.5M", "12X", "1KK", "0x10", " 1", "1 ", "iB",
                          "18446744073709551616", "16777216T"}) {
    EXPECT_FALSE(ParseSize(bad).has_value()) << bad;
  }
}

TEST(ParseDuration, Units) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseDuration("500ms"), nanoseconds(500000000));
  EXPECT_EQ(ParseDuration("5s"), nanoseconds(5000000000));
  EXPECT_EQ(ParseDuration("2m"), nanoseconds(120000000000));
  EXPECT_EQ(ParseDuration("1h"), nanoseconds(3600000000000));
  EXPECT_EQ(ParseDuration("1.5"), nanoseconds(1500000000));
  EXPECT_EQ(ParseDuration("10us"), nanoseconds(10000));
  EXPECT_EQ(ParseDuration("7ns"), nanoseconds(7));
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* bad : {"", "s", "-1s", "5x", "1e400s", "nan", "inf", "5 s", "ms"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
}

TEST(ParseDouble, FiniteOnly) {
  EXPECT_DOUBLE_EQ(*ParseDouble("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseDouble("1e-3"), 0.001);
  EXPECT_FALSE(ParseDouble("inf").has_value());
  EXPECT_FALSE(ParseDouble("0.5x").has_value());
}

TEST(ParseSize, EverySpellingOfOneSize) {
  for (const char* text : {"65536", "64k", "64K", "64KiB", "64kib", "64KB", "64kb"}) {
    EXPECT_EQ(ParseSize(text), 65536u) << text;
  }
  EXPECT_EQ(ParseSize("64B"), 64u);
}

// The registry reads its options with the same parser (it had one of its own that refused
// "64KiB" while --dist took it).
TEST(ParseSize, PoolOptionsTakeEverySpelling) {
  for (const char* text :
       {"sized:max=64KiB", "sized:max=64k", "sized:max=65536", "sized:max=64KB"}) {
    std::string error;
    const auto spec = ParsePoolSpec(text, &error);
    ASSERT_TRUE(spec.has_value()) << text << ": " << error;
    EXPECT_EQ(spec->Value("max"), 65536u) << text;
  }
  std::string error;
  EXPECT_FALSE(ParsePoolSpec("sized:max=64KiX", &error).has_value());
  EXPECT_NE(error.find("64KiX"), std::string::npos) << error;
}

TEST(ParseRate, DecimalSuffixes) {
  EXPECT_DOUBLE_EQ(*ParseRate("20k"), 20e3);
  EXPECT_DOUBLE_EQ(*ParseRate("20K"), 20e3);
  EXPECT_DOUBLE_EQ(*ParseRate("1.5M"), 1.5e6);
  EXPECT_DOUBLE_EQ(*ParseRate("2G"), 2e9);
  EXPECT_DOUBLE_EQ(*ParseRate("5000"), 5000);
  EXPECT_DOUBLE_EQ(*ParseRate("0"), 0);
  EXPECT_DOUBLE_EQ(*ParseRate(".5k"), 500);
  for (const char* bad : {"", "k", "-5", "+5", "20m", "20x", "fast", "inf", "nan", "1e400", " 5"}) {
    EXPECT_FALSE(ParseRate(bad).has_value()) << bad;
  }
}

TEST(ParseRatio, PercentOrFraction) {
  EXPECT_DOUBLE_EQ(*ParseRatio("25%"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseRatio("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseRatio("150%"), 1.5);
  EXPECT_DOUBLE_EQ(*ParseFraction("25%"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseFraction("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseFraction("100%"), 1);
  EXPECT_DOUBLE_EQ(*ParseFraction("0"), 0);
  for (const char* bad : {"1.5", "150%", "-1", "%", "", "25 %", "x%"}) {
    EXPECT_FALSE(ParseFraction(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseRatio("-1").has_value());
  EXPECT_FALSE(ParseRatio("%").has_value());
}

TEST(ParseLatencyBound, BareNumbersAreNanoseconds) {
  EXPECT_EQ(ParseLatencyBound("250"), 250u);
  EXPECT_EQ(ParseLatencyBound("10us"), 10000u);
  EXPECT_EQ(ParseLatencyBound("1.5ms"), 1500000u);
  EXPECT_FALSE(ParseLatencyBound("fast"));
  EXPECT_FALSE(ParseLatencyBound(""));
  EXPECT_FALSE(ParseLatencyBound("-1us"));
}

// A share is a fraction or a percentage wherever one is meant, --dist bimodal's P included.
TEST(ParseFraction, DistributionSharesTakePercentages) {
  const auto percent = Distribution::Parse("bimodal:64:64K:25%");
  const auto fraction = Distribution::Parse("bimodal:64:64K:0.25");
  ASSERT_TRUE(std::holds_alternative<Distribution>(percent));
  ASSERT_TRUE(std::holds_alternative<Distribution>(fraction));
  EXPECT_EQ(std::get<Distribution>(percent).spec(), std::get<Distribution>(fraction).spec());
  EXPECT_TRUE(std::holds_alternative<DistError>(Distribution::Parse("bimodal:64:64K:150%")));
}

}  // namespace
}  // namespace bp
