// bp::Histogram — a log-linear latency histogram (the HdrHistogram layout with 64 sub-buckets per
// power of two), one per stress thread, merged after join.
//
// Buckets: values 0..127 have a bucket each (exact). A value v >= 128 with highest set bit e goes
// to the bucket of its top 7 bits, which is 2^(e-6) values wide and starts at >= 2^e, so a bucket
// spans less than 1/64 (1.56%) of any value in it. 3776 buckets cover all of uint64_t in a fixed
// array of 30 KiB; nothing is allocated, ever.
//
// Exact: Count(), Min(), Max(), Mean() (the sum is kept in 128 bits, so 2^64 values near 2^64 still
// average correctly). Approximate: Percentile(q) uses the nearest-rank definition — the value of
// rank max(1, ceil(q / 100 * Count())) in sorted order — and reports the upper bound of that
// value's bucket, clamped to [Min(), Max()]. The report is therefore never below the true value and
// at most 1/64 of it above (exact below 128); it is Min() at q = 0 and Max() at q = 100, and
// monotone in q. An empty histogram reports 0 everywhere.
//
// Cost: Record is one count-leading-zeros, a shift, an add and four updates of the object's own
// fields (no branches beyond min/max, which compile to conditional moves).
//
// Thread safety: none; each thread records into its own instance, Merge after the threads join.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace bp {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 6;  // 64 sub-buckets per power of two
  static constexpr size_t kBuckets = (64 - kSubBucketBits) * 64 + 64;  // 3776

  // Index of the bucket holding v. For v < 128 the index is v; above, exponent and top bits.
  static size_t BucketIndex(uint64_t v) {
    const int e = std::bit_width(v | 64) - 1;  // >= 6
    const int shift = e - kSubBucketBits;
    return (static_cast<size_t>(shift) << kSubBucketBits) + static_cast<size_t>(v >> shift);
  }
  // Smallest and largest value that map to bucket i.
  static uint64_t BucketLow(size_t i) {
    if (i < 128) return i;
    const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
    return ((i & 63) + 64) << shift;
  }
  static uint64_t BucketHigh(size_t i) {
    if (i < 128) return i;
    const int shift = static_cast<int>(i >> kSubBucketBits) - 1;
    return BucketLow(i) + ((uint64_t{1} << shift) - 1);
  }

  void Record(uint64_t v) {
    ++counts_[BucketIndex(v)];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  void Merge(const Histogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  void Reset() { *this = Histogram(); }
  bool operator==(const Histogram&) const = default;

  uint64_t Count() const { return count_; }
  uint64_t Min() const { return count_ == 0 ? 0 : min_; }
  uint64_t Max() const { return max_; }
  double Mean() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }
  // Number of recorded values in bucket i (for reports that export the distribution).
  uint64_t BucketCount(size_t i) const { return counts_[i]; }

  // See the file comment: nearest rank, bucket upper bound, clamped to [Min, Max]; a NaN or
  // negative q reads as 0 and q above 100 as 100.
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    if (!(q > 0)) return min_;
    if (q >= 100) return max_;
    const uint64_t rank = RankFor(q, count_);
    uint64_t seen = 0;
    size_t i = BucketIndex(min_);
    for (;; ++i) {
      seen += counts_[i];
      if (seen >= rank) break;
    }
    return std::clamp(BucketHigh(i), min_, max_);
  }

  // The nearest-rank definition used by Percentile, for 0 < q < 100 and count >= 1.
  static uint64_t RankFor(double q, uint64_t count) {
    const double r = std::ceil(q / 100.0 * static_cast<double>(count));
    if (!(r >= 1)) return 1;
    if (r >= static_cast<double>(count)) return count;
    return static_cast<uint64_t>(r);
  }

 private:
  __extension__ typedef unsigned __int128 U128;

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  U128 sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace bp
