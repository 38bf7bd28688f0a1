#include "base/units.h"

#include <charconv>
#include <cmath>

namespace bp {
namespace {

// Removes `suffix` (lower case) from the end of `s`, ignoring the case of `s`.
bool ConsumeSuffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  std::string_view tail = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = tail[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != suffix[i]) return false;
  }
  s.remove_suffix(suffix.size());
  return true;
}

// A non-negative decimal number: a digit or '.' first, so that "-1", "+1", "inf" and "nan" are
// refused before from_chars sees them.
std::optional<double> ParseUnsignedDecimal(std::string_view s) {
  if (s.empty() || !((s.front() >= '0' && s.front() <= '9') || s.front() == '.')) {
    return std::nullopt;
  }
  return ParseDouble(s);
}

}  // namespace

std::optional<uint64_t> ParseUint(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  std::string_view s = text;
  const bool ib = ConsumeSuffix(s, "ib");
  if (!ib) ConsumeSuffix(s, "b");
  unsigned shift = 0;
  if (ConsumeSuffix(s, "k")) {
    shift = 10;
  } else if (ConsumeSuffix(s, "m")) {
    shift = 20;
  } else if (ConsumeSuffix(s, "g")) {
    shift = 30;
  } else if (ConsumeSuffix(s, "t")) {
    shift = 40;
  } else if (ib) {
    return std::nullopt;  // "iB" without a multiplier
  }
  auto v = ParseUint(s);
  if (!v) return std::nullopt;
  if (shift != 0 && *v > (UINT64_MAX >> shift)) return std::nullopt;
  return *v << shift;
}

std::optional<double> ParseRate(std::string_view text) {
  std::string_view s = text;
  double scale = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'k':
      case 'K':
        scale = 1e3;
        break;
      case 'M':
        scale = 1e6;
        break;
      case 'G':
        scale = 1e9;
        break;
      default:
        break;
    }
    if (scale != 1) s.remove_suffix(1);
  }
  const auto v = ParseUnsignedDecimal(s);
  if (!v || !std::isfinite(*v * scale)) return std::nullopt;
  return *v * scale;
}

std::optional<double> ParseRatio(std::string_view text) {
  std::string_view s = text;
  const bool percent = !s.empty() && s.back() == '%';
  if (percent) s.remove_suffix(1);
  const auto v = ParseUnsignedDecimal(s);
  if (!v) return std::nullopt;
  return percent ? *v / 100 : *v;
}

std::optional<double> ParseFraction(std::string_view text) {
  const auto v = ParseRatio(text);
  if (!v || *v > 1) return std::nullopt;
  return v;
}

std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  std::string_view s = text;
  double scale = 1e9;  // bare number: seconds
  if (ConsumeSuffix(s, "ns")) {
    scale = 1;
  } else if (ConsumeSuffix(s, "us")) {
    scale = 1e3;
  } else if (ConsumeSuffix(s, "ms")) {
    scale = 1e6;
  } else if (ConsumeSuffix(s, "s")) {
    scale = 1e9;
  } else if (ConsumeSuffix(s, "m")) {
    scale = 60e9;
  } else if (ConsumeSuffix(s, "h")) {
    scale = 3600e9;
  }
  const auto v = ParseUnsignedDecimal(s);
  if (!v) return std::nullopt;
  const double ns = *v * scale;
  if (ns > 9.0e18) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

std::optional<uint64_t> ParseLatencyBound(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    return ParseUint(text);
  }
  const auto d = ParseDuration(text);
  if (!d) return std::nullopt;
  return static_cast<uint64_t>(d->count());
}

}  // namespace bp
