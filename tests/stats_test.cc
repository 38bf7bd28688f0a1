// Tests of tool/util/stats.h: the summary figures and the order-statistics interval of the median,
// whose coverage is checked by simulation on a skewed distribution (no normality assumed).
#include "tool/util/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace bp {
namespace {

TEST(StatsTest, SummaryFigures) {
  const Summary s = Summarize({4, 1, 3, 2, 10});
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 4);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_NEAR(s.stddev, 3.5355339, 1e-6);  // sqrt(50 / 4)
  EXPECT_NEAR(Cv(s), 3.5355339 / 4, 1e-6);
  EXPECT_DOUBLE_EQ(Summarize({1, 2, 3, 4}).median, 2.5);
  const Summary empty = Summarize({});
  EXPECT_EQ(empty.n, 0u);
  const Summary one = Summarize({7});
  EXPECT_EQ(one.stddev, 0);
  EXPECT_EQ(one.ci_low, 7);
  EXPECT_EQ(one.ci_high, 7);
  EXPECT_EQ(one.ci_level, 0) << "one sample says nothing about the spread";
}

TEST(StatsTest, IntervalIsOrderStatisticsWithItsCoverage) {
  // Five samples cannot reach 95%: [min, max] covers the median with 1 - 2/32.
  const Summary five = Summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(five.ci_low, 1);
  EXPECT_EQ(five.ci_high, 5);
  EXPECT_DOUBLE_EQ(five.ci_level, 0.9375);
  // Ten: P(X <= 1) = 11/1024 <= 2.5% < P(X <= 2), so the 2nd and 9th order statistics.
  std::vector<double> ten;
  for (int i = 10; i >= 1; --i) ten.push_back(i);
  const Summary s = Summarize(ten);
  EXPECT_EQ(s.ci_low, 2);
  EXPECT_EQ(s.ci_high, 9);
  EXPECT_NEAR(s.ci_level, 1 - 22.0 / 1024, 1e-12);
  EXPECT_GE(s.ci_level, 0.95);
}

TEST(StatsTest, IntervalCoversTheTrueMedianOfASkewedDistribution) {
  // Exponential samples (median ln 2), n = 11: the interval must hold the true median in at least
  // ~95% of 4000 trials. The generator is seeded: the test is deterministic.
  uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
  };
  const double median = std::log(2.0);
  int covered = 0;
  constexpr int kTrials = 4000;
  for (int t = 0; t < kTrials; ++t) {
    std::vector<double> v;
    for (int i = 0; i < 11; ++i) v.push_back(-std::log(uniform()));
    const Summary s = Summarize(v);
    covered += s.ci_low <= median && median <= s.ci_high;
  }
  // For n = 11: P(X <= 1) = 12/2048 <= 2.5% < P(X <= 2) = 67/2048, so l = 2, level 1 - 24/2048.
  const double level = Summarize(std::vector<double>(11, 1.0)).ci_level;
  EXPECT_GE(level, 0.95);
  EXPECT_GE(static_cast<double>(covered) / kTrials, level - 0.015) << covered;
}

}  // namespace
}  // namespace bp
