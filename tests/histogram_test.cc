// Tests of bp::Histogram (tool/run/histogram.h): percentiles against a sorted reference within the
// documented error (never below the true value, at most 1/64 above it), monotonicity, merge,
// exact min/max/mean, the empty histogram and values up to 2^64 - 1.
#include "tool/run/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "tool/run/rng.h"

namespace bp {
namespace {

const double kQuantiles[] = {0,  0.1, 1,  5,    10,   25,    50,     75,
                             90, 95,  99, 99.5, 99.9, 99.99, 99.999, 100};

// The nearest-rank value of q in sorted data, computed without the histogram.
uint64_t Reference(const std::vector<uint64_t>& sorted, double q) {
  if (q <= 0) return sorted.front();
  if (q >= 100) return sorted.back();
  return sorted[Histogram::RankFor(q, sorted.size()) - 1];
}

void ExpectMatchesReference(const Histogram& h, std::vector<uint64_t> values) {
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.Count(), values.size());
  EXPECT_EQ(h.Min(), values.front());
  EXPECT_EQ(h.Max(), values.back());
  long double sum = 0;
  for (uint64_t v : values) sum += v;
  EXPECT_NEAR(h.Mean(), static_cast<double>(sum / values.size()), 1e-12 * h.Mean());
  uint64_t previous = 0;
  for (double q : kQuantiles) {
    const uint64_t want = Reference(values, q);
    const uint64_t got = h.Percentile(q);
    EXPECT_GE(got, want) << "q=" << q;
    EXPECT_LE(static_cast<long double>(got - want), static_cast<long double>(want) / 64)
        << "q=" << q << " want " << want;
    EXPECT_GE(got, previous) << "q=" << q;
    previous = got;
  }
}

TEST(HistogramTest, RankDefinitionIsNearestRank) {
  EXPECT_EQ(Histogram::RankFor(50, 10), 5u);
  EXPECT_EQ(Histogram::RankFor(50, 11), 6u);
  EXPECT_EQ(Histogram::RankFor(0.001, 10), 1u);
  EXPECT_EQ(Histogram::RankFor(99.999, 10), 10u);
  EXPECT_EQ(Histogram::RankFor(90, 1000), 900u);
}

TEST(HistogramTest, BucketsTileTheRangeWithBoundedWidth) {
  EXPECT_EQ(Histogram::BucketIndex(0), 0u);
  EXPECT_EQ(Histogram::BucketIndex(127), 127u);
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX), Histogram::kBuckets - 1);
  EXPECT_EQ(Histogram::BucketHigh(Histogram::kBuckets - 1), UINT64_MAX);
  for (size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    const uint64_t lo = Histogram::BucketLow(i), hi = Histogram::BucketHigh(i);
    ASSERT_LE(lo, hi) << i;
    ASSERT_EQ(Histogram::BucketLow(i + 1), hi + 1) << i;
    ASSERT_EQ(Histogram::BucketIndex(lo), i);
    ASSERT_EQ(Histogram::BucketIndex(hi), i);
    ASSERT_LE(hi - lo, lo / 64) << i;
  }
}

TEST(HistogramTest, UniformRandomDataMatchesSortedReference) {
  Rng rng(1, 0);
  auto h = std::make_unique<Histogram>();
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    values.push_back(rng.Below(10'000'000));
    h->Record(values.back());
  }
  ExpectMatchesReference(*h, values);
}

TEST(HistogramTest, SkewedDataMatchesSortedReference) {
  // Latency-like: mostly a few hundred ns, a log-spread tail up to seconds, a few huge outliers.
  Rng rng(2, 0);
  auto h = std::make_unique<Histogram>();
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    uint64_t v;
    if (i % 1000 == 0) {
      v = rng.Next() >> rng.Below(64);
    } else if (i % 10 == 0) {
      v = uint64_t{1} << rng.Below(32) | rng.Below(1024);
    } else {
      v = 200 + rng.Below(100);
    }
    values.push_back(v);
    h->Record(v);
  }
  ExpectMatchesReference(*h, values);
}

TEST(HistogramTest, SmallValuesAreExact) {
  auto h = std::make_unique<Histogram>();
  for (uint64_t v = 0; v < 128; ++v) h->Record(v);
  for (uint64_t v = 0; v < 128; ++v) {
    const double q = 100.0 * static_cast<double>(v + 1) / 128;
    EXPECT_EQ(h->Percentile(q), v) << q;
  }
}

TEST(HistogramTest, PercentilesAreMonotoneInQ) {
  Rng rng(3, 0);
  auto h = std::make_unique<Histogram>();
  for (int i = 0; i < 5000; ++i) h->Record(rng.Next() >> rng.Below(64));
  uint64_t previous = 0;
  for (double q = 0; q <= 100; q += 0.01) {
    const uint64_t got = h->Percentile(q);
    ASSERT_GE(got, previous) << q;
    previous = got;
  }
  EXPECT_EQ(h->Percentile(0), h->Min());
  EXPECT_EQ(h->Percentile(100), h->Max());
  EXPECT_EQ(h->Percentile(-5), h->Min());
  EXPECT_EQ(h->Percentile(std::nan("")), h->Min());
  EXPECT_EQ(h->Percentile(250), h->Max());
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  Rng rng(4, 0);
  auto a = std::make_unique<Histogram>();
  auto b = std::make_unique<Histogram>();
  auto all = std::make_unique<Histogram>();
  std::vector<uint64_t> values;
  for (int i = 0; i < 50000; ++i) {
    const uint64_t v = rng.Below(1 << 20) + (i % 2 == 0 ? 0 : uint64_t{1} << 40);
    (i % 3 == 0 ? a : b)->Record(v);
    all->Record(v);
    values.push_back(v);
  }
  a->Merge(*b);
  EXPECT_EQ(a->Count(), all->Count());
  EXPECT_EQ(a->Min(), all->Min());
  EXPECT_EQ(a->Max(), all->Max());
  EXPECT_EQ(a->Mean(), all->Mean());
  for (size_t i = 0; i < Histogram::kBuckets; ++i)
    ASSERT_EQ(a->BucketCount(i), all->BucketCount(i));
  for (double q : kQuantiles) EXPECT_EQ(a->Percentile(q), all->Percentile(q)) << q;
  ExpectMatchesReference(*a, values);
  // Merging an empty histogram changes nothing, in either direction.
  auto empty = std::make_unique<Histogram>();
  a->Merge(*empty);
  EXPECT_EQ(a->Min(), all->Min());
  EXPECT_EQ(a->Count(), all->Count());
  empty->Merge(*all);
  EXPECT_EQ(empty->Min(), all->Min());
  EXPECT_EQ(empty->Percentile(50), all->Percentile(50));
}

TEST(HistogramTest, EmptyHistogramReportsZero) {
  auto h = std::make_unique<Histogram>();
  EXPECT_EQ(h->Count(), 0u);
  EXPECT_EQ(h->Min(), 0u);
  EXPECT_EQ(h->Max(), 0u);
  EXPECT_EQ(h->Mean(), 0.0);
  for (double q : kQuantiles) EXPECT_EQ(h->Percentile(q), 0u) << q;
  h->Record(5);
  h->Reset();
  EXPECT_EQ(h->Count(), 0u);
  EXPECT_EQ(h->Percentile(50), 0u);
}

TEST(HistogramTest, SingleValueIsReportedExactlyAtEveryQuantile) {
  // Clamping to [Min, Max] makes a one-valued histogram exact even in a wide bucket.
  auto h = std::make_unique<Histogram>();
  h->Record(1'000'003);
  h->Record(1'000'003);
  for (double q : kQuantiles) EXPECT_EQ(h->Percentile(q), 1'000'003u) << q;
  EXPECT_EQ(h->Mean(), 1'000'003.0);
}

TEST(HistogramTest, HugeValuesUpToTheTopOfUint64) {
  auto h = std::make_unique<Histogram>();
  const std::vector<uint64_t> values = {
      uint64_t{1} << 63, (uint64_t{1} << 63) + 12345, UINT64_MAX - 1, UINT64_MAX, 3, 1u << 30};
  for (uint64_t v : values) h->Record(v);
  ExpectMatchesReference(*h, values);
  EXPECT_EQ(h->Max(), UINT64_MAX);
  // The 128-bit sum keeps the mean exact where a 64-bit sum would wrap.
  auto top = std::make_unique<Histogram>();
  for (int i = 0; i < 1000; ++i) top->Record(UINT64_MAX);
  EXPECT_EQ(top->Mean(), static_cast<double>(UINT64_MAX));
  EXPECT_EQ(top->Percentile(50), UINT64_MAX);
}

}  // namespace
}  // namespace bp
