#include "tool/run/dist.h"

#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "base/units.h"
#include "tool/util/exit_codes.h"
#include "tool/util/text_format.h"

namespace bp {
namespace {

__extension__ typedef unsigned __int128 U128;

constexpr uint64_t kZipfTableLimit = uint64_t{1} << 20;  // larger ranges use rejection-inversion
constexpr const char* kKnown =
    "random65k, fixed, uniform, pow2, zipf, bimodal, lognormal, trace, edges";
constexpr uint64_t kDefaultEdgesMax = uint64_t{8} << 30;

// Quotes user text for a one-line message: control bytes become '?', long text is cut.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 80) out += "...";
  return out;
}

std::string Num(uint64_t v) { return std::to_string(v); }

// Shortest text that parses back to the same double, so canonical specs round-trip.
std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Zipf helpers of Hörmann and Derflinger, "Rejection-inversion to generate variates from
// monotone discrete distributions" (1996), in the numerically careful form of Apache Commons
// RNG: H is an antiderivative of h(x) = x^-s that stays accurate as s -> 1.
double Log1pOverX(double x) {
  return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}
double Expm1OverX(double x) {
  return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}
double ZipfH(double x, double s) { return std::exp(-s * std::log(x)); }
double ZipfHIntegral(double x, double s) {
  const double log_x = std::log(x);
  return Expm1OverX((1 - s) * log_x) * log_x;
}
double ZipfHIntegralInverse(double x, double s) {
  double t = x * (1 - s);
  if (t < -1) t = -1;
  return std::exp(Log1pOverX(t) * x);
}

// sum_{r=1..n} r^-t for large n: exact up to 2^16, Euler-Maclaurin above (integral plus end
// correction; the first omitted term, t * 2^(-16(t+1)) / 12, is below 1e-10 of the sum).
double GeneralizedHarmonic(uint64_t n, double t) {
  const uint64_t m = std::min<uint64_t>(n, 1 << 16);
  double sum = 0;
  for (uint64_t r = m; r >= 1; --r) sum += ZipfH(static_cast<double>(r), t);
  if (n == m) return sum;
  const double a = static_cast<double>(m), b = static_cast<double>(n);
  sum += ZipfHIntegral(b, t) - ZipfHIntegral(a, t);
  sum += (ZipfH(b, t) - ZipfH(a, t)) / 2;
  return sum;
}

// Inverse of the standard normal CDF (P. J. Acklam's rational approximation, relative error
// 1.15e-9): no transcendental call in the central 95%, one log and one sqrt in the tails.
double InverseNormal(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  if (p < kLow) return tail(std::sqrt(-2 * std::log(p)));
  if (p > 1 - kLow) return -tail(std::sqrt(-2 * std::log(1 - p)));
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// The sampler's uniforms for the normal deviate: odd multiples of 2^-53, exactly representable and
// symmetric about 1/2, so neither 0 nor 1 (which would give infinite deviates) can occur.
double OpenUniform(uint64_t bits) { return static_cast<double>((bits >> 12) * 2 + 1) * 0x1.0p-53; }

uint64_t LognormalSize(double mu, double sigma, double z) {
  const double x = std::exp(mu + sigma * z);
  if (!(x < static_cast<double>(Distribution::kMaxSize))) return Distribution::kMaxSize;
  if (x < 1) return 1;
  return static_cast<uint64_t>(x + 0.5);
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// E[clamp(X, lo, hi)] for X = exp(N(mu, sigma^2)), in log space so large sigma cannot overflow.
double ClampedLognormalMean(double mu, double sigma, double lo, double hi) {
  const double a = (std::log(lo) - mu) / sigma, b = (std::log(hi) - mu) / sigma;
  const double inside = NormalCdf(b - sigma) - NormalCdf(a - sigma);
  double mean = lo * NormalCdf(a) + hi * NormalCdf(-b);
  if (inside > 0) mean += std::exp(mu + sigma * sigma / 2 + std::log(inside));
  return mean;
}

}  // namespace

// Builds distributions; a friend of Distribution so the public class stays small.
class DistParser {
 public:
  explicit DistParser(std::string_view spec) : spec_(spec) {}

  std::variant<Distribution, DistError> Run();

 private:
  using Fields = std::vector<std::string_view>;

  DistError Usage(const std::string& what) const {
    return {kExitUsage, "--dist " + Printable(spec_) + ": " + what};
  }
  DistError Invalid(const std::string& what) const {
    return {kExitBadInput, "--dist " + Printable(spec_) + ": " + what};
  }
  std::optional<DistError> Size(std::string_view text, const char* name, uint64_t* out) const;
  std::optional<DistError> Range(const Fields& f, uint64_t* a, uint64_t* b) const;
  std::optional<DistError> Real(std::string_view text, const char* name, double* out) const;

  std::optional<DistError> ParseTrace(size_t colon);
  std::optional<DistError> ParseEdges(size_t colon);
  Fields SplitFields() const;
  std::optional<DistError> CheckFieldCount(std::string_view name, const Fields& f) const;
  std::optional<DistError> ParseFields(std::string_view name, const Fields& f);

  void Fixed(uint64_t n);
  void Bimodal(uint64_t small, uint64_t large, double share);
  void Uniform(uint64_t a, uint64_t b);
  void Pow2(uint64_t a, uint64_t b);
  void Zipf(uint64_t a, uint64_t b, double s);
  void Lognormal(uint64_t median, double sigma);
  void Edges(uint64_t max);
  std::optional<DistError> Trace(std::string_view file);
  void SetAlias(const std::vector<double>& weights, const std::vector<uint64_t>& sizes);

  std::string_view spec_;
  Distribution d_;
};

std::optional<DistError> DistParser::Size(std::string_view text, const char* name,
                                          uint64_t* out) const {
  auto v = ParseSize(text);
  if (!v) return Usage(std::string(name) + " '" + Printable(text) + "' is not a size");
  if (*v < 1) return Usage(std::string(name) + " must be >= 1");
  if (*v > Distribution::kMaxSize) {
    return Usage(std::string(name) + " must be <= 1T (" + Num(Distribution::kMaxSize) + ")");
  }
  *out = *v;
  return std::nullopt;
}

std::optional<DistError> DistParser::Range(const Fields& f, uint64_t* a, uint64_t* b) const {
  if (auto e = Size(f[1], "A", a)) return e;
  if (auto e = Size(f[2], "B", b)) return e;
  if (*a > *b) return Usage("A must be <= B");
  return std::nullopt;
}

std::optional<DistError> DistParser::Real(std::string_view text, const char* name,
                                          double* out) const {
  auto v = ParseDouble(text);
  if (!v) return Usage(std::string(name) + " '" + Printable(text) + "' is not a finite number");
  *out = *v;
  return std::nullopt;
}

std::variant<Distribution, DistError> DistParser::Run() {
  if (spec_.empty())
    return DistError{kExitUsage, std::string("--dist: empty spec (known: ") + kKnown + ")"};
  const size_t colon = spec_.find(':');
  const std::string_view name = spec_.substr(0, colon);
  std::optional<DistError> error;
  if (name == "trace") {
    error = ParseTrace(colon);
  } else if (name == "edges") {
    error = ParseEdges(colon);
  } else {
    const Fields f = SplitFields();
    error = CheckFieldCount(name, f);
    if (!error) error = ParseFields(name, f);
  }
  if (error) return *error;
  return std::move(d_);
}

std::optional<DistError> DistParser::ParseTrace(size_t colon) {
  if (colon == std::string_view::npos || colon + 1 == spec_.size()) {
    return Usage("expected trace:FILE");
  }
  return Trace(spec_.substr(colon + 1));
}

// The only spec with an optional field.
std::optional<DistError> DistParser::ParseEdges(size_t colon) {
  uint64_t max = kDefaultEdgesMax;
  if (colon != std::string_view::npos) {
    const std::string_view text = spec_.substr(colon + 1);
    if (text.find(':') != std::string_view::npos) return Usage("expected edges[:MAX]");
    if (auto e = Size(text, "MAX", &max)) return e;
  }
  Edges(max);
  return std::nullopt;
}

DistParser::Fields DistParser::SplitFields() const {
  Fields f;
  for (size_t start = 0;;) {
    const size_t end = spec_.find(':', start);
    f.push_back(spec_.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return f;
}

// A known name must have as many fields as its syntax in DistributionHelp.
std::optional<DistError> DistParser::CheckFieldCount(std::string_view name, const Fields& f) const {
  for (const auto& [syntax, help] : DistributionHelp()) {
    const std::string_view known = std::string_view(syntax).substr(0, syntax.find(':'));
    if (name != known) continue;
    const size_t want = static_cast<size_t>(std::count(syntax.begin(), syntax.end(), ':')) + 1;
    if (f.size() != want) return Usage("expected " + syntax);
    break;
  }
  return std::nullopt;
}

// The specs of fixed fields, their count already checked.
std::optional<DistError> DistParser::ParseFields(std::string_view name, const Fields& f) {
  uint64_t a = 0, b = 0;
  if (name == "random65k") {
    Uniform(1, 65536);
    d_.spec_ = "random65k";
    d_.summary_ = "uniform sizes in [1, 65536] (the GWS benchmark)";
  } else if (name == "fixed") {
    if (auto e = Size(f[1], "N", &a)) return e;
    Fixed(a);
  } else if (name == "uniform") {
    if (auto e = Range(f, &a, &b)) return e;
    Uniform(a, b);
  } else if (name == "pow2") {
    if (auto e = Range(f, &a, &b)) return e;
    Pow2(a, b);
  } else if (name == "zipf") {
    double s = 0;
    if (auto e = Range(f, &a, &b)) return e;
    if (auto e = Real(f[3], "S", &s)) return e;
    if (!(s > 0)) return Usage("S must be > 0");
    Zipf(a, b, s);
  } else if (name == "bimodal") {
    double share = 0;
    if (auto e = Size(f[1], "SMALL", &a)) return e;
    if (auto e = Size(f[2], "LARGE", &b)) return e;
    if (a > b) return Usage("SMALL must be <= LARGE");
    if (!f[3].empty() && f[3].back() == '%') {  // a share as a percentage: "25%"
      const auto v = ParseFraction(f[3]);
      if (!v) return Usage("P must be in [0, 1] (0.25 or 25%)");
      share = *v;
    } else if (auto e = Real(f[3], "P", &share)) {
      return e;
    }
    if (!(share >= 0 && share <= 1)) return Usage("P must be in [0, 1]");
    Bimodal(a, b, share + 0.0);  // "-0" reads as -0.0; the canonical spec should say 0
  } else if (name == "lognormal") {
    double sigma = 0;
    if (auto e = Size(f[1], "MEDIAN", &a)) return e;
    if (auto e = Real(f[2], "SIGMA", &sigma)) return e;
    if (!(sigma > 0)) return Usage("SIGMA must be > 0");
    Lognormal(a, sigma);
  } else {
    return DistError{
        2, "--dist: unknown distribution '" + Printable(name) + "' (known: " + kKnown + ")"};
  }
  return std::nullopt;
}

void DistParser::Fixed(uint64_t n) {
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kFixed;
  p.lo = p.hi = d_.min_ = d_.max_ = n;
  d_.mean_ = static_cast<double>(n);
  d_.spec_ = "fixed:" + Num(n);
  d_.summary_ = "always " + Num(n) + " B";
}

void DistParser::Bimodal(uint64_t small, uint64_t large, double share) {
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kBimodal;
  p.lo = small;
  p.hi = large;
  p.p = share;
  d_.min_ = share == 1 ? large : small;
  d_.max_ = share == 0 ? small : large;
  d_.mean_ = (1 - share) * static_cast<double>(small) + share * static_cast<double>(large);
  d_.spec_ = "bimodal:" + Num(small) + ":" + Num(large) + ":" + Num(share);
  d_.summary_ = Num(large) + " B with probability " + Num(share) + ", else " + Num(small) + " B";
}

void DistParser::Uniform(uint64_t a, uint64_t b) {
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kUniform;
  p.lo = a;
  p.hi = b;
  p.span = b - a + 1;
  d_.min_ = a;
  d_.max_ = b;
  d_.mean_ = (static_cast<double>(a) + static_cast<double>(b)) / 2;
  d_.spec_ = "uniform:" + Num(a) + ":" + Num(b);
  d_.summary_ = "uniform sizes in [" + Num(a) + ", " + Num(b) + "]";
}

void DistParser::Pow2(uint64_t a, uint64_t b) {
  Distribution::Params& p = d_.params_;
  auto ceil_log2 = [](uint64_t v) { return static_cast<uint32_t>(std::bit_width(v - 1)); };
  p.kind = Distribution::Kind::kPow2;
  p.lo = a;
  p.hi = b;
  p.k_lo = ceil_log2(a);
  p.span = ceil_log2(b) - p.k_lo + 1;
  double sum = 0;
  for (uint32_t k = p.k_lo; k < p.k_lo + p.span; ++k) {
    const uint64_t top = uint64_t{1} << k;
    sum +=
        (static_cast<double>(std::max(a, (top >> 1) + 1)) + static_cast<double>(std::min(b, top))) /
        2;
  }
  d_.min_ = a;
  d_.max_ = b;
  d_.mean_ = sum / static_cast<double>(p.span);
  d_.spec_ = "pow2:" + Num(a) + ":" + Num(b);
  d_.summary_ = "equal share for each of " + Num(p.span) + " power-of-two classes in [" + Num(a) +
                ", " + Num(b) + "]";
}

void DistParser::Zipf(uint64_t a, uint64_t b, double s) {
  Distribution::Params& p = d_.params_;
  const uint64_t n = b - a + 1;
  d_.min_ = a;
  d_.max_ = b;
  d_.spec_ = "zipf:" + Num(a) + ":" + Num(b) + ":" + Num(s);
  d_.summary_ = "zipf over [" + Num(a) + ", " + Num(b) + "], exponent " + Num(s) + ", " + Num(a) +
                " B most frequent";
  if (n <= kZipfTableLimit) {
    std::vector<double> weights(n);
    std::vector<uint64_t> sizes(n);
    double total = 0, weighted = 0;
    for (uint64_t r = 1; r <= n; ++r) {
      weights[r - 1] = ZipfH(static_cast<double>(r), s);
      sizes[r - 1] = a + r - 1;
      total += weights[r - 1];
      weighted += weights[r - 1] * static_cast<double>(a + r - 1);
    }
    SetAlias(weights, sizes);
    d_.mean_ = weighted / total;
    return;
  }
  p.kind = Distribution::Kind::kZipf;
  p.lo = a - 1;
  p.span = n;
  p.p = s;
  p.mu = ZipfHIntegral(1.5, s) - 1;
  p.sigma = ZipfHIntegral(static_cast<double>(n) + 0.5, s);
  p.squeeze = 2 - ZipfHIntegralInverse(ZipfHIntegral(2.5, s) - ZipfH(2, s), s);
  d_.mean_ = static_cast<double>(a - 1) + GeneralizedHarmonic(n, s - 1) / GeneralizedHarmonic(n, s);
}

void DistParser::Lognormal(uint64_t median, double sigma) {
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kLognormal;
  p.mu = std::log(static_cast<double>(median));
  p.sigma = sigma;
  d_.min_ = LognormalSize(p.mu, sigma, InverseNormal(OpenUniform(0)));
  d_.max_ = LognormalSize(p.mu, sigma, InverseNormal(OpenUniform(~uint64_t{0})));
  d_.mean_ = ClampedLognormalMean(p.mu, sigma, 1, Distribution::kMaxSize);
  d_.spec_ = "lognormal:" + Num(median) + ":" + Num(sigma);
  d_.summary_ = "lognormal sizes, median " + Num(median) + " B, sigma " + Num(sigma);
}

// The boundary sizes: 0, 1, and 2^k - 1, 2^k, 2^k + 1 for k = 1..floor(log2 max), in increasing
// order (the samplers shuffle them), none above kMaxSize.
void DistParser::Edges(uint64_t max) {
  std::vector<uint64_t> sizes{0, 1};
  for (uint32_t k = 1; k < 64 && (uint64_t{1} << k) <= max; ++k) {
    for (uint64_t v : {(uint64_t{1} << k) - 1, uint64_t{1} << k, (uint64_t{1} << k) + 1}) {
      if (v > sizes.back() && v <= Distribution::kMaxSize) sizes.push_back(v);
    }
  }
  long double sum = 0;
  for (uint64_t v : sizes) sum += v;
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kEdges;
  p.count = sizes.size();
  d_.min_ = 0;
  d_.max_ = sizes.back();
  d_.mean_ = static_cast<double>(sum / sizes.size());
  d_.spec_ = "edges:" + Num(max);
  d_.summary_ = Num(static_cast<uint64_t>(sizes.size())) + " boundary sizes 0, 1, 2^k-1, 2^k, " +
                "2^k+1 up to " + Num(d_.max_) + ", shuffled per thread";
  auto table = std::make_shared<std::vector<uint64_t>>(std::move(sizes));
  p.replay = table->data();
  d_.tables_ = std::move(table);
}

// Vose's alias method: O(n) to build, O(1) to draw, exact up to the 32-bit thresholds.
void DistParser::SetAlias(const std::vector<double>& weights, const std::vector<uint64_t>& sizes) {
  const size_t n = weights.size();
  double total = 0;
  for (double w : weights) total += w;
  std::vector<double> scaled(n);
  std::vector<size_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] / total * static_cast<double>(n);
    (scaled[i] < 1 ? small : large).push_back(i);
  }
  auto table = std::make_shared<std::vector<Distribution::AliasEntry>>(n);
  auto& t = *table;
  for (size_t i = 0; i < n; ++i) t[i] = {sizes[i], sizes[i], UINT32_MAX};
  while (!small.empty() && !large.empty()) {
    const size_t l = small.back(), g = large.back();
    small.pop_back();
    t[l].threshold = static_cast<uint32_t>(scaled[l] * 0x1.0p32);
    t[l].alias = sizes[g];
    scaled[g] = (scaled[g] + scaled[l]) - 1;
    if (scaled[g] < 1) {
      large.pop_back();
      small.push_back(g);
    }
  }
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kAlias;
  p.alias = table->data();
  p.count = n;
  d_.tables_ = std::move(table);
}

std::optional<DistError> DistParser::Trace(std::string_view file) {
  const std::string path(file);
  d_.spec_ = "trace:" + path;
  FILE* in = std::fopen(path.c_str(), "r");
  if (in == nullptr) return Invalid(std::string("cannot open: ") + std::strerror(errno));
  std::unique_ptr<FILE, int (*)(FILE*)> closer(in, &std::fclose);
  std::vector<uint64_t> sizes;
  std::vector<double> weights;
  long double sum = 0, total = 0;
  bool histogram = false;
  uint64_t line_no = 0, first_line = 0;
  struct LineBuffer {  // ::getline's buffer, which it may reallocate
    char* data = nullptr;
    size_t capacity = 0;
    ~LineBuffer() { std::free(data); }
  } buf;
  auto line_error = [&](const std::string& what) {
    return Invalid("line " + Num(line_no) + ": " + what);
  };
  for (ssize_t len; (len = ::getline(&buf.data, &buf.capacity, in)) >= 0;) {
    ++line_no;
    std::string_view line(buf.data, static_cast<size_t>(len));
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t comma = line.find(',');
    if (first_line == 0) {
      first_line = line_no;
      histogram = comma != std::string_view::npos;
    } else if (histogram != (comma != std::string_view::npos)) {
      return line_error(std::string(histogram ? "expected size,count" : "expected one size") +
                        " as on line " + Num(first_line) + ", got '" + Printable(line) + "'");
    }
    const std::string_view size_text = Trim(line.substr(0, comma));
    auto size = ParseSize(size_text);
    if (!size) return line_error("'" + Printable(size_text) + "' is not a size");
    if (*size < 1 || *size > Distribution::kMaxSize) {
      return line_error("size " + Num(*size) + " is outside [1, 1T]");
    }
    uint64_t count = 1;
    if (histogram) {
      const std::string_view count_text = Trim(line.substr(comma + 1));
      auto c = ParseUint(count_text);
      if (!c) return line_error("'" + Printable(count_text) + "' is not a count");
      count = *c;
      if (count == 0) continue;
      weights.push_back(static_cast<double>(count));
    }
    sizes.push_back(*size);
    sum += static_cast<long double>(*size) * count;
    total += count;
  }
  if (std::ferror(in)) return Invalid(std::string("cannot read: ") + std::strerror(errno));
  if (sizes.empty()) return Invalid("the trace holds no sizes");
  d_.min_ = *std::min_element(sizes.begin(), sizes.end());
  d_.max_ = *std::max_element(sizes.begin(), sizes.end());
  d_.mean_ = static_cast<double>(sum / total);
  if (histogram) {
    d_.summary_ =
        Num(static_cast<uint64_t>(sizes.size())) + " sizes drawn by weight from " + Printable(path);
    SetAlias(weights, sizes);
    return std::nullopt;
  }
  d_.summary_ =
      "replay of " + Num(static_cast<uint64_t>(sizes.size())) + " sizes from " + Printable(path);
  auto table = std::make_shared<std::vector<uint64_t>>(std::move(sizes));
  Distribution::Params& p = d_.params_;
  p.kind = Distribution::Kind::kReplay;
  p.replay = table->data();
  p.count = table->size();
  d_.tables_ = std::move(table);
  return std::nullopt;
}

std::variant<Distribution, DistError> Distribution::Parse(std::string_view spec) {
  auto result = DistParser(spec).Run();
  // The means are sums of rounded terms; keep them inside the bounds they average.
  if (auto* d = std::get_if<Distribution>(&result)) {
    d->mean_ = std::clamp(d->mean_, static_cast<double>(d->min_), static_cast<double>(d->max_));
  }
  return result;
}

std::string Distribution::Describe() const {
  return summary_ + ", mean " + FormatBytes(static_cast<uint64_t>(std::llround(mean_)));
}

Distribution::Sampler::Sampler(const Params& p, std::shared_ptr<const void> tables, uint64_t seed,
                               unsigned thread_index, unsigned thread_count)
    : p_(p), rng_(seed, thread_index), tables_(std::move(tables)) {
  if (p_.kind == Kind::kReplay) {
    const uint64_t threads = std::max(thread_count, 1u);
    cursor_ = static_cast<uint64_t>(static_cast<U128>(thread_index % threads) * p_.count / threads);
  }
  if (p_.kind == Kind::kEdges) {
    order_.assign(p_.replay, p_.replay + p_.count);
    cursor_ = p_.count;  // the first Next shuffles
  }
}

// Fisher-Yates over this thread's copy of the table at the start of every pass.
uint64_t Distribution::Sampler::NextEdge() {
  if (cursor_ == order_.size()) {
    for (size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[rng_.Below(i + 1)]);
    cursor_ = 0;
  }
  return order_[cursor_++];
}

// Rejection-inversion (Hörmann and Derflinger): invert the integral of the continuous hat x^-s
// and accept the rounded point unless it falls in the sliver between hat and histogram; the
// squeeze test accepts most draws without evaluating a second log/exp.
uint64_t Distribution::Sampler::NextOther() {
  switch (p_.kind) {
    case Kind::kFixed:
      return p_.lo;
    case Kind::kUniform:
      return p_.lo + rng_.Below(p_.span);
    case Kind::kPow2:
      return NextPow2();
    case Kind::kAlias: {
      const AliasEntry& e = p_.alias[rng_.Below(p_.count)];
      return (rng_.Next() >> 32) < e.threshold ? e.keep : e.alias;
    }
    case Kind::kZipf:
      return NextZipf();
    case Kind::kBimodal:
      return rng_.NextDouble() < p_.p ? p_.hi : p_.lo;
    case Kind::kLognormal:
      return NextLognormal();
    case Kind::kReplay: {
      const uint64_t v = p_.replay[cursor_];
      if (++cursor_ == p_.count) cursor_ = 0;
      return v;
    }
    case Kind::kEdges:
      return NextEdge();
  }
  return p_.lo;
}

uint64_t Distribution::Sampler::NextZipf() {
  const double s = p_.p, h_x1 = p_.mu, h_n = p_.sigma;
  const double n = static_cast<double>(p_.span);
  for (;;) {
    const double u = h_n + rng_.NextDouble() * (h_x1 - h_n);
    const double x = ZipfHIntegralInverse(u, s);
    const double kd = std::floor(x + 0.5);
    const double k = !(kd >= 1) ? 1 : kd > n ? n : kd;
    if (k - x <= p_.squeeze || u >= ZipfHIntegral(k + 0.5, s) - ZipfH(k, s)) {
      return p_.lo + static_cast<uint64_t>(k);
    }
  }
}

uint64_t Distribution::Sampler::NextLognormal() {
  return LognormalSize(p_.mu, p_.sigma, InverseNormal(OpenUniform(rng_.Next())));
}

std::vector<std::pair<std::string, std::string>> DistributionHelp() {
  return {
      {"random65k", "uniform over 1..65536 bytes, the GWS article's benchmark payloads"},
      {"fixed:N", "always N bytes"},
      {"uniform:A:B", "uniform over A..B bytes, inclusive"},
      {"pow2:A:B",
       "equal share per power-of-two class (2^(k-1), 2^k] meeting A..B, uniform inside"},
      {"zipf:A:B:S", "size A+r-1 with probability proportional to 1/r^S (S > 0): A most frequent"},
      {"bimodal:SMALL:LARGE:P", "LARGE with probability P in [0, 1], else SMALL"},
      {"lognormal:MEDIAN:SIGMA", "exp(N(ln MEDIAN, SIGMA^2)) rounded, clamped to 1..1T"},
      {"trace:FILE", "replay FILE: one size per line in order, or size,count lines by weight"},
      {"edges[:MAX]",
       "0, 1, 2^k-1, 2^k, 2^k+1 for k up to log2 MAX (default 8G), shuffled per thread; "
       "--touch ends by default"},
  };
}

}  // namespace bp
