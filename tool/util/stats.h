// Summary statistics of a few repeated measurements (ops/s of N repeats of one pool), and the
// confidence interval of their median that the noise-aware baseline gate compares.
//
// The interval is distribution-free: order statistics x(l) <= median <= x(u) of the sorted sample,
// with l and u chosen from the binomial(n, 1/2) distribution so that P(x(l) <= true median <=
// x(u)) >= 95% — no assumption of normality, which throughput on a shared machine (long upper or
// lower tails when another process takes a core) does not meet. Below 6 samples no pair of order
// statistics reaches 95%: the interval is then [min, max] and `ci_level` says what it reaches
// (93.75% for 5, 87.5% for 4, 0 for 1).
//
// Thread safety: pure functions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace bp {

struct Summary {
  size_t n = 0;
  double mean = 0;
  double median = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for n < 2
  double min = 0;
  double max = 0;
  double ci_low = 0;  // confidence interval of the median
  double ci_high = 0;
  double ci_level = 0;  // its coverage: >= 0.95 from 6 samples on
};

// The coefficient of variation, stddev / mean (0 when the mean is 0).
inline double Cv(const Summary& s) { return s.mean != 0 ? s.stddev / s.mean : 0; }

// P(X <= k) for X ~ binomial(n, 1/2).
inline double BinomialHalfCdf(size_t n, size_t k) {
  double term = std::pow(0.5, static_cast<double>(n));  // P(X = 0)
  double sum = term;
  for (size_t i = 1; i <= k && i <= n; ++i) {
    term *= static_cast<double>(n - i + 1) / static_cast<double>(i);
    sum += term;
  }
  return std::min(sum, 1.0);
}

inline Summary Summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.min = v.front();
  s.max = v.back();
  s.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(n);
  if (n >= 2) {
    double sq = 0;
    for (double x : v) sq += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(sq / static_cast<double>(n - 1));
  }
  // The widest l (1-based) with P(X <= l - 1) <= 2.5%: then [x(l), x(n - l + 1)] covers the
  // median with probability 1 - 2 P(X <= l - 1) >= 95%.
  size_t l = 0;
  while (l + 1 <= n / 2 && BinomialHalfCdf(n, l) <= 0.025) ++l;
  if (l == 0) {
    s.ci_low = s.min;
    s.ci_high = s.max;
    s.ci_level = n >= 2 ? 1 - 2 * std::pow(0.5, static_cast<double>(n)) : 0;
  } else {
    s.ci_low = v[l - 1];
    s.ci_high = v[n - l];
    s.ci_level = 1 - 2 * BinomialHalfCdf(n, l - 1);
  }
  return s;
}

// What "M ± H" means where a view shows the median M of n repeats and H, half the width of its
// interval, with the interval's real coverage: "median of 3 repeats ± half its interval, which
// holds the true median with 75% probability (order statistics)". Empty below 2 repeats.
inline std::string IntervalLabel(const Summary& s) {
  if (s.n < 2) return {};
  char level[32];
  std::snprintf(level, sizeof level, "%.4g%%", 100 * s.ci_level);
  return "median of " + std::to_string(s.n) + " repeats ± half its interval, which holds the " +
         "true median with " + level + " probability (order statistics)";
}

}  // namespace bp
