// Tests of the size distributions (tool/run/dist.h) and the per-thread RNG (tool/run/rng.h):
// ranges, means and shapes against independently computed expectations, determinism, spec and trace
// errors, and that sampling never allocates.
//
// Statistical checks use fixed seeds, so they are deterministic; their tolerances are five
// standard errors, wide enough for any honest seed and narrow enough to catch a wrong shape.
#include "tool/run/dist.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tool/run/alloc_track.h"
#include "tool/run/rng.h"

namespace bp {
namespace {

constexpr int kSamples = 100000;

Distribution Parsed(std::string_view spec) {
  auto r = Distribution::Parse(spec);
  if (auto* e = std::get_if<DistError>(&r)) throw std::runtime_error(e->message);
  return std::get<Distribution>(std::move(r));
}

DistError ErrorOf(std::string_view spec) {
  auto r = Distribution::Parse(spec);
  if (auto* e = std::get_if<DistError>(&r)) return *e;
  return {0, "parsed as " + std::get<Distribution>(r).spec()};
}

std::vector<uint64_t> Draw(const Distribution& d, int n, uint64_t seed = 42, unsigned thread = 0,
                           unsigned threads = 1) {
  auto s = d.MakeSampler(seed, thread, threads);
  std::vector<uint64_t> out(n);
  for (auto& v : out) v = s.Next();
  return out;
}

struct SizeSummary {
  double mean = 0, sd = 0;
  uint64_t min = UINT64_MAX, max = 0;
};

SizeSummary SummarizeSizes(const std::vector<uint64_t>& v) {
  SizeSummary s;
  for (uint64_t x : v) {
    s.mean += static_cast<double>(x);
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= static_cast<double>(v.size());
  for (uint64_t x : v)
    s.sd += (static_cast<double>(x) - s.mean) * (static_cast<double>(x) - s.mean);
  s.sd = std::sqrt(s.sd / static_cast<double>(v.size() - 1));
  return s;
}

double Share(const std::vector<uint64_t>& v, uint64_t lo, uint64_t hi) {
  return static_cast<double>(
             std::count_if(v.begin(), v.end(), [&](uint64_t x) { return x >= lo && x <= hi; })) /
         static_cast<double>(v.size());
}

// Five standard errors of an observed share p over n draws.
double ShareTolerance(double p, size_t n) {
  return 5 * std::sqrt(p * (1 - p) / static_cast<double>(n)) + 1e-12;
}

// Checks range, the reported bounds and mean, and the sample mean against `expected_mean`.
void ExpectRangeAndMean(const std::string& spec, uint64_t lo, uint64_t hi, double expected_mean) {
  SCOPED_TRACE(spec);
  const Distribution d = Parsed(spec);
  EXPECT_EQ(d.min_size(), lo);
  EXPECT_EQ(d.max_size(), hi);
  EXPECT_NEAR(d.mean(), expected_mean, 1e-9 * expected_mean);
  const auto v = Draw(d, kSamples);
  const SizeSummary s = SummarizeSizes(v);
  EXPECT_GE(s.min, lo);
  EXPECT_LE(s.max, hi);
  EXPECT_NEAR(s.mean, expected_mean, 5 * s.sd / std::sqrt(kSamples) + 1e-9);
}

TEST(DistTest, Random65kIsUniformOverOneTo65536) {
  ExpectRangeAndMean("random65k", 1, 65536, 32768.5);
  const auto v = Draw(Parsed("random65k"), kSamples);
  EXPECT_LE(*std::min_element(v.begin(), v.end()), 10u);
  EXPECT_GE(*std::max_element(v.begin(), v.end()), 65526u);
  EXPECT_NEAR(Share(v, 1, 16384), 0.25, ShareTolerance(0.25, v.size()));
}

TEST(DistTest, FixedAlwaysReturnsN) {
  for (uint64_t v : Draw(Parsed("fixed:4K"), 1000)) ASSERT_EQ(v, 4096u);
  ExpectRangeAndMean("fixed:1", 1, 1, 1);
  ExpectRangeAndMean("fixed:1G", 1u << 30, 1u << 30, 1u << 30);
}

TEST(DistTest, UniformIsInclusiveAndCentred) {
  ExpectRangeAndMean("uniform:10:5000", 10, 5000, 2505);
  ExpectRangeAndMean("uniform:7:7", 7, 7, 7);
  const auto v = Draw(Parsed("uniform:1:2"), kSamples);
  EXPECT_NEAR(Share(v, 1, 1), 0.5, ShareTolerance(0.5, v.size()));
  ExpectRangeAndMean("uniform:1:1G", 1, 1u << 30, (1.0 + (1u << 30)) / 2);
}

TEST(DistTest, BimodalDrawsLargeWithShareP) {
  ExpectRangeAndMean("bimodal:64:64K:0.1", 64, 65536, 0.9 * 64 + 0.1 * 65536);
  const auto v = Draw(Parsed("bimodal:64:64K:0.1"), kSamples);
  EXPECT_EQ(Share(v, 64, 64) + Share(v, 65536, 65536), 1.0);
  EXPECT_NEAR(Share(v, 65536, 65536), 0.1, ShareTolerance(0.1, v.size()));
  // The degenerate shares never draw the other mode, and the bounds say so.
  ExpectRangeAndMean("bimodal:64:64K:0", 64, 64, 64);
  ExpectRangeAndMean("bimodal:64:64K:1", 65536, 65536, 65536);
}

// The pow2 classes are those of a power-of-two pool: (2^(k-1), 2^k].
int PoolClass(uint64_t v) { return v <= 1 ? 0 : 64 - __builtin_clzll(v - 1); }

TEST(DistTest, Pow2GivesEachPoolClassAnEqualShare) {
  struct Case {
    const char* spec;
    uint64_t a, b;
    int first, last;
  };
  for (const Case& c :
       {Case{"pow2:1:64K", 1, 65536, 0, 16}, Case{"pow2:100:100000", 100, 100000, 7, 17},
        Case{"pow2:3K:3K", 3072, 3072, 12, 12}}) {
    SCOPED_TRACE(c.spec);
    const auto v = Draw(Parsed(c.spec), kSamples);
    std::map<int, std::vector<uint64_t>> by_class;
    for (uint64_t x : v) {
      ASSERT_GE(x, c.a);
      ASSERT_LE(x, c.b);
      by_class[PoolClass(x)].push_back(x);
    }
    const double share = 1.0 / (c.last - c.first + 1);
    double expected_mean = 0;
    for (int k = c.first; k <= c.last; ++k) {
      const uint64_t lo = std::max<uint64_t>(c.a, (uint64_t{1} << k) / 2 + 1);
      const uint64_t hi = std::min<uint64_t>(c.b, uint64_t{1} << k);
      const double class_mean = (static_cast<double>(lo) + static_cast<double>(hi)) / 2;
      expected_mean += share * class_mean;
      const auto& in = by_class[k];
      EXPECT_NEAR(static_cast<double>(in.size()) / kSamples, share, ShareTolerance(share, kSamples))
          << "class " << k;
      if (in.size() > 100 && hi > lo) {
        const SizeSummary s = SummarizeSizes(in);
        EXPECT_NEAR(s.mean, class_mean, 5 * s.sd / std::sqrt(in.size())) << "class " << k;
      }
    }
    EXPECT_EQ(by_class.size(), static_cast<size_t>(c.last - c.first + 1));
    ExpectRangeAndMean(c.spec, c.a, c.b, expected_mean);
  }
}

// Exact Zipf probabilities by direct summation, for comparison with both sampling methods.
struct ZipfExact {
  std::vector<double> p;  // p[r - 1] for rank r
  double mean_rank = 0;
  ZipfExact(uint64_t n, double s) : p(n) {
    double total = 0;
    for (uint64_t r = n; r >= 1; --r) total += p[r - 1] = std::pow(static_cast<double>(r), -s);
    for (uint64_t r = n; r >= 1; --r) {
      p[r - 1] /= total;
      mean_rank += p[r - 1] * static_cast<double>(r);
    }
  }
  double Mass(uint64_t r_lo, uint64_t r_hi) const {
    double m = 0;
    for (uint64_t r = r_lo; r <= r_hi; ++r) m += p[r - 1];
    return m;
  }
};

void ExpectZipf(const std::string& spec, uint64_t a, uint64_t n, double s, double mean_tol) {
  SCOPED_TRACE(spec);
  const ZipfExact exact(n, s);
  const Distribution d = Parsed(spec);
  EXPECT_EQ(d.min_size(), a);
  EXPECT_EQ(d.max_size(), a + n - 1);
  EXPECT_NEAR(d.mean(), static_cast<double>(a - 1) + exact.mean_rank, mean_tol * d.mean());
  const auto v = Draw(d, 4 * kSamples);
  for (uint64_t x : v) ASSERT_TRUE(x >= a && x < a + n) << x;
  const std::pair<uint64_t, uint64_t> bands[] = {{1, 1}, {2, 2}, {3, 10}, {11, 1000}, {1001, n}};
  for (auto [lo, hi] : bands) {
    const double mass = exact.Mass(lo, hi);
    EXPECT_NEAR(Share(v, a + lo - 1, a + hi - 1), mass, ShareTolerance(mass, v.size()))
        << "ranks " << lo << ".." << hi;
  }
}

TEST(DistTest, ZipfTableMatchesExactProbabilities) {
  ExpectZipf("zipf:1:1000:1", 1, 1000, 1.0, 1e-9);
  ExpectZipf("zipf:100:50099:0.8", 100, 50000, 0.8, 1e-9);
  ExpectZipf("zipf:1:1M:1.5", 1, 1 << 20, 1.5, 1e-9);
}

TEST(DistTest, ZipfRejectionInversionMatchesExactProbabilities) {
  // Above 2^20 sizes the sampler switches to rejection-inversion and the mean to an estimate.
  // S = 2.5 puts 9% more mass on rank 2 under the hat than under the histogram, so a sampler
  // that skipped its rejection step would fail there.
  ExpectZipf("zipf:1:2M:1.2", 1, 2 << 20, 1.2, 1e-10);
  ExpectZipf("zipf:1K:4195327:1", 1024, 4 << 20, 1.0, 1e-10);
  ExpectZipf("zipf:1:3M:0.7", 1, 3 << 20, 0.7, 1e-10);
  ExpectZipf("zipf:1:2M:2.5", 1, 2 << 20, 2.5, 1e-10);
  ExpectZipf("zipf:1:2M:0.01", 1, 2 << 20, 0.01, 1e-10);
}

TEST(DistTest, LognormalHasItsMedianAndQuantiles) {
  const Distribution d = Parsed("lognormal:4K:0.5");
  const auto v = Draw(d, kSamples);
  // P(X <= median) = 1/2 and P(X <= median * e^sigma) = Phi(1) = 0.841345.
  EXPECT_NEAR(Share(v, 0, 4096), 0.5, ShareTolerance(0.5, v.size()));
  EXPECT_NEAR(Share(v, 0, static_cast<uint64_t>(4096 * std::exp(0.5))), 0.841345,
              ShareTolerance(0.84, v.size()));
  const double analytic = 4096 * std::exp(0.5 * 0.5 / 2);
  EXPECT_NEAR(d.mean(), analytic, 1e-6 * analytic);
  const SizeSummary s = SummarizeSizes(v);
  EXPECT_NEAR(s.mean, analytic, 5 * s.sd / std::sqrt(kSamples));
  EXPECT_GE(s.min, d.min_size());
  EXPECT_LE(s.max, d.max_size());
}

TEST(DistTest, LognormalClampsAndRounds) {
  // Median 1: a sample is 1 exactly when exp(Z * 2) < 1.5, i.e. with probability
  // Phi(ln 1.5 / 2) = 0.580328; nothing falls below 1.
  const Distribution small = Parsed("lognormal:1:2");
  EXPECT_EQ(small.min_size(), 1u);
  const auto v = Draw(small, kSamples);
  EXPECT_NEAR(Share(v, 1, 1), 0.580328, ShareTolerance(0.58, v.size()));
  EXPECT_EQ(Share(v, 0, 0), 0.0);
  // Median 1T: half the samples are above the limit and come back as exactly 1T.
  const Distribution big = Parsed("lognormal:1T:1");
  EXPECT_EQ(big.max_size(), Distribution::kMaxSize);
  const auto w = Draw(big, kSamples);
  EXPECT_NEAR(Share(w, Distribution::kMaxSize, Distribution::kMaxSize), 0.5,
              ShareTolerance(0.5, w.size()));
  EXPECT_EQ(Share(w, Distribution::kMaxSize + 1, UINT64_MAX), 0.0);
}

// Sizes above the old 1 GiB limit are sizes like any other: sizes are 64-bit throughout.
TEST(DistTest, SizesBeyondFourGigabytesKeepAllSixtyFourBits) {
  ExpectRangeAndMean("fixed:6G", 6ull << 30, 6ull << 30, 6.0 * (1ull << 30));
  ExpectRangeAndMean("uniform:4G:8G", 4ull << 30, 8ull << 30, 6.0 * (1ull << 30));
  // The alias table holds 64-bit sizes: the zipf ranks above 2^32 come back whole.
  const auto v = Draw(Parsed("zipf:5368709120:5368710120:1"), 1000);
  for (uint64_t x : v) ASSERT_TRUE(x >= (5ull << 30) && x <= (5ull << 30) + 1000) << x;
  EXPECT_GT(Share(v, 5ull << 30, 5ull << 30), 0.1);  // rank 1 is the most frequent
}

// The boundary sizes of edges:MAX, each exactly once per pass, in a per-thread order.
std::vector<uint64_t> EdgeSizes(unsigned k_max) {
  std::vector<uint64_t> want{0, 1};
  for (unsigned k = 1; k <= k_max; ++k) {
    for (uint64_t v : {(1ull << k) - 1, 1ull << k, (1ull << k) + 1}) {
      if (v > want.back()) want.push_back(v);
    }
  }
  return want;
}

TEST(DistEdgesTest, EveryPassDrawsEachBoundarySizeOnce) {
  const std::pair<const char*, unsigned> cases[] = {
      {"edges", 33},  {"edges:8G", 33}, {"edges:4G", 32}, {"edges:5000", 12},
      {"edges:1", 0}, {"edges:2", 1},   {"edges:3G", 31}};
  for (auto [spec, k_max] : cases) {
    SCOPED_TRACE(spec);
    const Distribution d = Parsed(spec);
    const std::vector<uint64_t> want = EdgeSizes(k_max);
    EXPECT_TRUE(d.edges());
    EXPECT_EQ(d.min_size(), 0u);
    EXPECT_EQ(d.max_size(), want.back());
    double mean = 0;
    for (uint64_t v : want) mean += static_cast<double>(v);
    EXPECT_NEAR(d.mean(), mean / want.size(), 1e-9 * d.mean());
    auto s = d.MakeSampler(7, 0, 1);
    for (int pass = 0; pass < 3; ++pass) {
      std::vector<uint64_t> got(want.size());
      for (auto& v : got) v = s.Next();
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << "pass " << pass;
    }
  }
  EXPECT_EQ(Parsed("edges").spec(), "edges:8589934592");
  EXPECT_EQ(Parsed("edges:4G").spec(), "edges:4294967296");
  EXPECT_EQ(Parsed("edges:1T").max_size(), 1ull << 40);  // 2^40 + 1 is above the limit
  EXPECT_FALSE(Parsed("random65k").edges());
  EXPECT_NE(Parsed("edges:4G").Describe().find("boundary sizes"), std::string::npos);
}

TEST(DistEdgesTest, OrderIsShuffledPerThreadAndPassButFixedBySeed) {
  const Distribution d = Parsed("edges:4G");
  const size_t n = EdgeSizes(32).size();
  auto seq = [&](uint64_t seed, unsigned thread) {
    auto s = d.MakeSampler(seed, thread, 4);
    std::vector<uint64_t> out(2 * n);
    for (auto& v : out) v = s.Next();
    return out;
  };
  const auto a = seq(11, 0);
  EXPECT_EQ(a, seq(11, 0));  // deterministic from the seed
  EXPECT_NE(a, seq(11, 1));  // each thread its own order
  EXPECT_NE(a, seq(12, 0));  // another seed, another order
  const std::vector<uint64_t> first(a.begin(), a.begin() + n), second(a.begin() + n, a.end());
  EXPECT_NE(first, second);  // reshuffled every pass
  EXPECT_FALSE(std::is_sorted(first.begin(), first.end()));
}

TEST(DistTest, SameSeedAndThreadGiveTheSameSequence) {
  for (const char* spec : {"random65k", "pow2:1:1M", "zipf:1:1000:1", "zipf:1:2M:1.1",
                           "bimodal:1:2:0.5", "lognormal:1K:1"}) {
    SCOPED_TRACE(spec);
    const Distribution d = Parsed(spec);
    EXPECT_EQ(Draw(d, 1000, 7, 3, 8), Draw(Parsed(spec), 1000, 7, 3, 8));
    EXPECT_NE(Draw(d, 1000, 7, 3, 8), Draw(d, 1000, 7, 4, 8));
    EXPECT_NE(Draw(d, 1000, 7, 3, 8), Draw(d, 1000, 8, 3, 8));
  }
}

TEST(DistTest, ThreadsShareOneDistributionAndKeepTheirOwnSequences) {
  for (const char* spec : {"zipf:1:1000:1", "pow2:1:64K", "lognormal:4K:1"}) {
    SCOPED_TRACE(spec);
    const Distribution d = Parsed(spec);
    constexpr unsigned kThreads = 4;
    std::vector<std::vector<uint64_t>> got(kThreads);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < kThreads; ++t) {
      threads.emplace_back([&d, &got, t] { got[t] = Draw(d, 5000, 11, t, kThreads); });
    }
    for (auto& th : threads) th.join();
    for (unsigned t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], Draw(d, 5000, 11, t, kThreads));
  }
}

TEST(DistTest, SpecsAreCanonicalAndRoundTrip) {
  const std::pair<const char*, const char*> cases[] = {
      {"random65k", "random65k"},
      {"fixed:4KiB", "fixed:4096"},
      {"uniform:1K:64K", "uniform:1024:65536"},
      {"pow2:64:1M", "pow2:64:1048576"},
      {"zipf:1:1M:1.0", "zipf:1:1048576:1"},
      {"bimodal:1K:1M:0.25", "bimodal:1024:1048576:0.25"},
      {"bimodal:1:2:-0", "bimodal:1:2:0"},
      {"lognormal:4K:0.1", "lognormal:4096:0.1"},
  };
  for (auto [in, canonical] : cases) {
    const Distribution d = Parsed(in);
    EXPECT_EQ(d.spec(), canonical);
    EXPECT_EQ(Parsed(d.spec()).spec(), d.spec());
    EXPECT_EQ(d.Describe().find('\n'), std::string::npos);
    EXPECT_NE(d.Describe().find("mean"), std::string::npos);
  }
}

TEST(DistTest, MalformedSpecsAreUsageErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty spec"},
      {"foo", "unknown distribution 'foo' (known: random65k, fixed, uniform, pow2, zipf"},
      {"Uniform:1:2", "unknown distribution 'Uniform'"},
      {"random65k:1", "expected random65k"},
      {"fixed", "expected fixed:N"},
      {"uniform:1", "expected uniform:A:B"},
      {"uniform:1:2:3", "expected uniform:A:B"},
      {"zipf:1:2", "expected zipf:A:B:S"},
      {"bimodal:1:2:0.5:", "expected bimodal:SMALL:LARGE:P"},
      {"uniform:a:5", "A 'a' is not a size"},
      {"uniform:1:", "B '' is not a size"},
      {"fixed:-1", "N '-1' is not a size"},
      {"fixed:1.5K", "is not a size"},
      {"fixed:99999999999999999999", "is not a size"},
      {"uniform:10:5", "uniform:10:5: A must be <= B"},
      {"fixed:0", "N must be >= 1"},
      {"uniform:0:5", "A must be >= 1"},
      {"uniform:1:2T", "B must be <= 1T"},
      {"fixed:2T", "N must be <= 1T"},
      {"fixed:1099511627777", "N must be <= 1T"},
      {"edges:0", "MAX must be >= 1"},
      {"edges:", "MAX '' is not a size"},
      {"edges:2T", "MAX must be <= 1T"},
      {"edges:8G:1", "expected edges[:MAX]"},
      {"edges:1.5G", "MAX '1.5G' is not a size"},
      {"edges:-1", "MAX '-1' is not a size"},
      {"bimodal:1:2:1.5", "P must be in [0, 1]"},
      {"bimodal:1:2:-0.1", "P must be in [0, 1]"},
      {"bimodal:1:2:x", "P 'x' is not a finite number"},
      {"bimodal:5:2:0.5", "SMALL must be <= LARGE"},
      {"zipf:1:5:0", "S must be > 0"},
      {"zipf:1:5:-1", "S must be > 0"},
      {"zipf:1:5:nan", "S 'nan' is not a finite number"},
      {"lognormal:4K:0", "SIGMA must be > 0"},
      {"lognormal:4K:inf", "SIGMA 'inf' is not a finite number"},
      {"lognormal:0:1", "MEDIAN must be >= 1"},
      {"trace:", "expected trace:FILE"},
      {"trace", "expected trace:FILE"},
  };
  for (auto [spec, message] : cases) {
    const DistError e = ErrorOf(spec);
    EXPECT_EQ(e.exit_code, 2) << spec << ": " << e.message;
    EXPECT_NE(e.message.find(message), std::string::npos) << spec << ": " << e.message;
    EXPECT_EQ(e.message.rfind("--dist", 0), 0u) << e.message;
  }
  // A message stays one printable line whatever the spec holds.
  const DistError e = ErrorOf(std::string("fixed:1\n2") + std::string(500, 'x'));
  EXPECT_EQ(e.message.find('\n'), std::string::npos);
  EXPECT_LT(e.message.size(), 200u);
}

TEST(DistTest, HelpListsEveryDistributionTheParserKnows) {
  const auto help = DistributionHelp();
  ASSERT_EQ(help.size(), 9u);
  const std::string known = ErrorOf("nope").message;
  for (const auto& [syntax, line] : help) {
    const std::string name = syntax.substr(0, syntax.find_first_of(":["));
    EXPECT_NE(known.find(name), std::string::npos) << name;
    if (name != "trace") {  // a trace takes the rest of the spec as its file name
      EXPECT_NE(ErrorOf(name + ":1:2:3:4:5").message.find("expected " + syntax), std::string::npos);
    }
    EXPECT_FALSE(line.empty());
  }
}

class TraceTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::string path = ::testing::TempDir() + "dist_test_trace_" + std::to_string(getpid()) + "_" +
                       std::to_string(files_.size()) + ".txt";
    std::ofstream(path, std::ios::binary) << text;
    files_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
  }
  std::vector<std::string> files_;
};

TEST_F(TraceTest, SizePerLineReplaysInOrderFromPerThreadOffsets) {
  const std::string path = Write("# recorded sizes\n10\n\n20   # trailing comment\n 30\r\n4K\n");
  const Distribution d = Parsed("trace:" + path);
  EXPECT_EQ(d.spec(), "trace:" + path);
  EXPECT_EQ(d.min_size(), 10u);
  EXPECT_EQ(d.max_size(), 4096u);
  EXPECT_DOUBLE_EQ(d.mean(), (10 + 20 + 30 + 4096) / 4.0);
  EXPECT_EQ(Draw(d, 6, 1, 0, 2), (std::vector<uint64_t>{10, 20, 30, 4096, 10, 20}));
  EXPECT_EQ(Draw(d, 6, 1, 1, 2), (std::vector<uint64_t>{30, 4096, 10, 20, 30, 4096}));
  EXPECT_EQ(Draw(d, 3, 1, 2, 3), (std::vector<uint64_t>{30, 4096, 10}));
}

TEST_F(TraceTest, HistogramIsSampledByWeight) {
  const std::string path = Write("# size,count\n64,3\n1K , 1\n128,0\n");
  const Distribution d = Parsed("trace:" + path);
  EXPECT_EQ(d.min_size(), 64u);
  EXPECT_EQ(d.max_size(), 1024u);
  EXPECT_DOUBLE_EQ(d.mean(), (64 * 3 + 1024) / 4.0);
  const auto v = Draw(d, kSamples);
  EXPECT_NEAR(Share(v, 64, 64), 0.75, ShareTolerance(0.75, v.size()));
  EXPECT_EQ(Share(v, 64, 64) + Share(v, 1024, 1024), 1.0);
}

TEST_F(TraceTest, BadContentIsInvalidInputWithItsLineNumber) {
  const std::pair<const char*, const char*> cases[] = {
      {"10\n# fine\nabc\n", "line 3: 'abc' is not a size"},
      {"10,x\n", "line 1: 'x' is not a count"},
      {"10,-1\n", "line 1: '-1' is not a count"},
      {"10\n20,3\n", "line 2: expected one size as on line 1"},
      {"10,1\n\n20\n", "line 3: expected size,count as on line 1"},
      {"5\n0\n", "line 2: size 0 is outside [1, 1T]"},
      {"2T\n", "line 1: size 2199023255552 is outside [1, 1T]"},
      {"", "the trace holds no sizes"},
      {"# nothing\n\n   \n", "the trace holds no sizes"},
      {"64,0\n", "the trace holds no sizes"},
  };
  for (auto [text, message] : cases) {
    const std::string path = Write(text);
    const DistError e = ErrorOf("trace:" + path);
    EXPECT_EQ(e.exit_code, 3) << text << ": " << e.message;
    EXPECT_NE(e.message.find(message), std::string::npos) << text << ": " << e.message;
    EXPECT_NE(e.message.find(path), std::string::npos) << e.message;
  }
}

TEST_F(TraceTest, UnreadableFileIsInvalidInput) {
  const DistError missing = ErrorOf("trace:/nonexistent/dist_test.txt");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.message.find("cannot open"), std::string::npos) << missing.message;
  const DistError directory = ErrorOf("trace:" + ::testing::TempDir());
  EXPECT_EQ(directory.exit_code, 3);
  EXPECT_NE(directory.message.find("cannot"), std::string::npos) << directory.message;
}

TEST_F(TraceTest, SamplersKeepTheirTablesAlive) {
  const std::string seq = Write("1\n2\n3\n");
  const std::string hist = Write("7,1\n9,1\n");
  std::optional<Distribution> d1(Parsed("trace:" + seq)), d2(Parsed("trace:" + hist)),
      d3(Parsed("zipf:1:100:1"));
  auto s1 = d1->MakeSampler(1, 0, 1);
  auto s2 = d2->MakeSampler(1, 0, 1);
  auto s3 = d3->MakeSampler(1, 0, 1);
  d1.reset();
  d2.reset();
  d3.reset();
  EXPECT_EQ(s1.Next(), 1u);
  EXPECT_EQ(s1.Next(), 2u);
  for (int i = 0; i < 100; ++i) {
    const uint64_t v = s2.Next();
    EXPECT_TRUE(v == 7 || v == 9) << v;
    const uint64_t z = s3.Next();
    EXPECT_TRUE(z >= 1 && z <= 100) << z;
  }
}

// Allocations are counted by the allocation functions the program defines for leak evidence
// (tool/run/alloc_track.h); a sanitizer's runtime owns them instead.
TEST_F(TraceTest, SamplingNeverAllocates) {
  if (!alloc_track::ThreadAllocations()) {
    GTEST_SKIP() << "the sanitizer's runtime owns the allocation functions in this build";
  }
  std::vector<std::string> specs = {"random65k",       "fixed:1K",         "uniform:1:1M",
                                    "pow2:1:1G",       "zipf:1:1000:1.1",  "zipf:1:1G:0.9",
                                    "bimodal:1:2:0.5", "lognormal:4K:1.5", "edges:8G"};
  specs.push_back("trace:" + Write("1\n2\n3\n"));
  specs.push_back("trace:" + Write("1,5\n2,7\n"));
  for (const auto& spec : specs) {
    const Distribution d = Parsed(spec);
    auto s = d.MakeSampler(3, 1, 2);
    uint64_t sum = 0;
    const uint64_t before = *alloc_track::ThreadAllocations();
    for (int i = 0; i < 10000; ++i) sum += s.Next();
    EXPECT_EQ(*alloc_track::ThreadAllocations(), before) << spec;
    EXPECT_GT(sum, 0u);
  }
  // The counter itself works: parsing a table-backed distribution allocates.
  const uint64_t before = *alloc_track::ThreadAllocations();
  Parsed("zipf:1:10:1");
  EXPECT_GT(*alloc_track::ThreadAllocations(), before);
}

TEST(RngTest, BelowIsUnbiasedAndInRange) {
  Rng rng(1, 0);
  EXPECT_EQ(rng.Below(1), 0u);
  // n = 3 * 2^62 is where shortcuts show: x % n gives [0, 2^62) half the draws, and the
  // multiply-shift without its rejection step gives multiples of 3 half the draws.
  const uint64_t n = 3ULL << 62;
  int low = 0, multiples_of_3 = 0;
  for (int i = 0; i < kSamples; ++i) {
    const uint64_t v = rng.Below(n);
    ASSERT_LT(v, n);
    low += v < n / 3;
    multiples_of_3 += v % 3 == 0;
  }
  EXPECT_NEAR(low / double(kSamples), 1.0 / 3, ShareTolerance(1.0 / 3, kSamples));
  EXPECT_NEAR(multiples_of_3 / double(kSamples), 1.0 / 3, ShareTolerance(1.0 / 3, kSamples));
  int counts[7] = {};
  for (int i = 0; i < 7 * 10000; ++i) ++counts[rng.Below(7)];
  for (int c : counts) EXPECT_NEAR(c, 10000, 5 * std::sqrt(10000 * 6.0 / 7));
}

TEST(RngTest, NextDoubleIsInTheHalfOpenUnitInterval) {
  Rng rng(9, 2);
  double sum = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double u = rng.NextDouble();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / kSamples, 0.5, 5 * std::sqrt(1.0 / 12 / kSamples));
}

TEST(RngTest, StreamsDependOnSeedAndThread) {
  auto first = [](uint64_t seed, uint64_t thread) {
    Rng r(seed, thread);
    std::vector<uint64_t> v(4);
    for (auto& x : v) x = r.Next();
    return v;
  };
  EXPECT_EQ(first(5, 1), first(5, 1));
  EXPECT_NE(first(5, 1), first(5, 2));
  EXPECT_NE(first(5, 1), first(6, 1));
}

}  // namespace
}  // namespace bp
