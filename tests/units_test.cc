#include "base/units.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace bp
