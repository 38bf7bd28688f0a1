// bp::Distribution — the `--dist SPEC` size distributions of the stress runner: the spec parser,
// the per-thread samplers, and the help table of `bpstress list`.
//
// Specs (sizes take K/M/G/T suffixes, binary; every size given is in [1, 1T]; see
// DistributionHelp()):
//   random65k              uniform over 1..65536 (the GWS article's benchmark payloads)
//   fixed:N                always N
//   uniform:A:B            uniform over A..B, inclusive
//   pow2:A:B               equal share for every power-of-two size class that meets [A, B]. Class k
//                          holds the sizes a power-of-two pool serves from its 2^k class:
//                          (2^(k-1), 2^k], and class 0 = {1}. k is uniform over
//                          [ceil(log2 A), ceil(log2 B)]; the size is uniform over class k ∩ [A, B].
//                          (Classes [2^k, 2^(k+1)) from floor(log2 A) to ceil(log2 B) would leave
//                          the top class empty whenever B is not a power of two.)
//   zipf:A:B:S             size A+r-1 has probability proportional to 1/r^S for rank r = 1..B-A+1,
//                          S > 0. Up to 2^20 sizes: an alias table built at parse time (24 bytes
//                          per size, O(1) per sample); above: rejection-inversion sampling (Hörmann
//                          and Derflinger 1996; O(1) expected, about 1.05 tries, no table).
//   bimodal:SMALL:LARGE:P  LARGE with probability P in [0, 1], else SMALL; SMALL <= LARGE
//   lognormal:MEDIAN:SIGMA round(exp(N(ln MEDIAN, SIGMA^2))) clamped to [1, 1T], SIGMA > 0 finite
//   edges[:MAX]            boundary sizes: 0, 1, and 2^k-1, 2^k, 2^k+1 for k = 1..floor(log2 MAX)
//                          (MAX defaults to 8G; sizes above 1T are left out), each thread walking
//                          the table in its own order, reshuffled (Fisher-Yates, from the thread's
//                          RNG) on every pass: every size once per pass. The only distribution
//                          that draws 0. A pool must really serve these sizes, so MAX must fit
//                          the machine's memory (see the README's "Finding bugs").
//   trace:FILE             replay of a recorded workload. Lines hold one size each, or `size,count`
//                          (a histogram); blank lines and `#` comments are skipped; the two forms
//                          do not mix. A size-per-line trace is replayed in order, thread i of T
//                          starting at entry i * len / T and wrapping; a histogram is sampled by
//                          weight with an alias table (Vose), O(1) per sample.
//
// Errors are one line each. Exit code 2 (usage): malformed spec — unknown name, wrong field count,
// non-numbers, out-of-range values. Exit code 3 (unreadable/invalid input): the trace file cannot
// be read, has a bad line (reported with its number), or holds no sizes.
//
// Thread safety: a Distribution is immutable after Parse and may be shared by any number of
// threads; each thread draws from its own Sampler. A Sampler keeps the distribution's tables alive
// by itself. Cost: Sampler::Next never allocates; it is a switch on the kind and a few nanoseconds
// (rejection- inversion zipf and lognormal call log/exp: tens of nanoseconds).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tool/run/rng.h"

namespace bp {

struct DistError {
  int exit_code;  // kExitUsage (bad spec) or kExitBadInput (unreadable or invalid trace file)
  std::string message;
};

class Distribution {
 public:
  // The largest size a spec may name (1 TiB): beyond any machine this runs on, small enough that
  // sums of sizes and the doubled capacities of growing buffers stay far from overflow.
  static constexpr uint64_t kMaxSize = uint64_t{1} << 40;

  static std::variant<Distribution, DistError> Parse(std::string_view spec);

  // Canonical form, e.g. "uniform:1:65536"; parsing it again gives the same distribution.
  const std::string& spec() const { return spec_; }
  // One line: what the distribution draws and its mean.
  std::string Describe() const;
  // The boundary sizes of `edges`, whose buffers the runner touches at their ends by default.
  bool edges() const { return params_.kind == Kind::kEdges; }
  // Every sample lies in [min_size(), max_size()]; both bounds are attainable except for
  // lognormal, whose bounds are those of the sampler's most extreme normal deviates (|z| < 8.2).
  uint64_t min_size() const { return min_; }
  uint64_t max_size() const { return max_; }
  // Exact for all but zipf above 2^20 sizes (Euler-Maclaurin, relative error < 1e-10) and
  // lognormal (the clamped continuous distribution; rounding to whole bytes is ignored).
  double mean() const { return mean_; }

 private:
  enum class Kind : uint8_t {
    kFixed,
    kUniform,
    kPow2,
    kAlias,
    kZipf,
    kBimodal,
    kLognormal,
    kReplay,
    kEdges
  };

  // One column of an alias table: keep `keep` when the top 32 random bits are below `threshold`,
  // else take `alias`. Sizes are stored directly so a draw touches one entry.
  struct AliasEntry {
    uint64_t keep;
    uint64_t alias;
    uint32_t threshold;
  };

  // Everything Sampler::Next reads, copied into each sampler so the hot loop never chases a
  // pointer back to the Distribution.
  struct Params {
    Kind kind = Kind::kFixed;
    uint64_t lo = 1;     // fixed value, smallest size, bimodal SMALL, zipf A - 1
    uint64_t hi = 1;     // largest size, bimodal LARGE
    uint64_t span = 1;   // uniform: hi - lo + 1; pow2: number of classes; zipf: number of ranks
    uint32_t k_lo = 0;   // pow2: first class
    double p = 0;        // bimodal: share of LARGE; zipf: exponent S
    double mu = 0;       // lognormal: ln MEDIAN; zipf: H(x1)
    double sigma = 0;    // lognormal: SIGMA; zipf: H(n + 1/2)
    double squeeze = 0;  // zipf: the acceptance shortcut constant s of Hörmann and Derflinger
    const AliasEntry* alias = nullptr;
    const uint64_t* replay = nullptr;  // trace replay, or the edges table
    uint64_t count = 0;                // entries behind alias or replay
  };

 public:
  class Sampler {
   public:
    // The runner calls this once per op: fixed and uniform sizes (random65k) are answered inline
    // in a few instructions, every other kind by one out-of-line call.
    [[gnu::always_inline]] uint64_t Next() {
      if (p_.kind == Kind::kUniform) return p_.lo + rng_.Below(p_.span);
      if (p_.kind == Kind::kFixed) return p_.lo;
      return NextOther();
    }

   private:
    friend class Distribution;
    Sampler(const Params& p, std::shared_ptr<const void> tables, uint64_t seed,
            unsigned thread_index, unsigned thread_count);

    uint64_t NextPow2() {
      const uint32_t k = p_.k_lo + static_cast<uint32_t>(rng_.Below(p_.span));
      const uint64_t top = uint64_t{1} << k;
      const uint64_t lo = std::max(p_.lo, (top >> 1) + 1);
      const uint64_t hi = std::min(p_.hi, top);
      return lo + rng_.Below(hi - lo + 1);
    }
    uint64_t NextOther();
    uint64_t NextZipf();
    uint64_t NextLognormal();
    uint64_t NextEdge();

    Params p_;
    Rng rng_;
    uint64_t cursor_ = 0;
    std::shared_ptr<const void> tables_;
    std::vector<uint64_t> order_;  // edges: this thread's current permutation of the table
  };

  // thread_index < thread_count; the same (seed, thread_index, thread_count) gives the same
  // sequence (edges allocates its per-thread permutation here, never in Next) (lognormal and
  // rejection-inversion zipf go through libm's exp and log, so those two are reproducible on the
  // same libm). thread_count only places the replay cursor of a size-per-line trace.
  Sampler MakeSampler(uint64_t seed, unsigned thread_index, unsigned thread_count) const {
    return Sampler(params_, tables_, seed, thread_index, thread_count);
  }

 private:
  friend class DistParser;
  Distribution() = default;

  Params params_;
  std::shared_ptr<const void> tables_;  // owns what params_.alias / params_.replay point into
  std::string spec_;
  std::string summary_;  // Describe() without the mean
  uint64_t min_ = 1;
  uint64_t max_ = 1;
  double mean_ = 1;
};

// Name (with its fields) and one line of help per distribution, for `bpstress list`.
std::vector<std::pair<std::string, std::string>> DistributionHelp();

}  // namespace bp
