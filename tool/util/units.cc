#include "tool/util/units.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace bp {
namespace {

bool ConsumeSuffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  std::string_view tail = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i) {
    char a = tail[i], b = suffix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  s.remove_suffix(suffix.size());
  return true;
}

}  // namespace

std::optional<uint64_t> ParseUint(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  std::string_view s = text;
  if (!ConsumeSuffix(s, "ib")) ConsumeSuffix(s, "b");
  unsigned shift = 0;
  if (ConsumeSuffix(s, "k")) {
    shift = 10;
  } else if (ConsumeSuffix(s, "m")) {
    shift = 20;
  } else if (ConsumeSuffix(s, "g")) {
    shift = 30;
  } else if (ConsumeSuffix(s, "t")) {
    shift = 40;
  } else if (s.size() != text.size() && s.size() + 2 == text.size()) {
    return std::nullopt;  // "iB" without a multiplier
  }
  auto v = ParseUint(s);
  if (!v) return std::nullopt;
  if (shift != 0 && *v > (UINT64_MAX >> shift)) return std::nullopt;
  return *v << shift;
}

std::optional<double> ParseEventRate(std::string_view text) {
  std::string_view s = text;
  double scale = 1;
  if (!s.empty() && (s.back() == 'k' || s.back() == 'K')) {
    scale = 1e3;
    s.remove_suffix(1);
  } else if (!s.empty() && s.back() == 'M') {
    scale = 1e6;
    s.remove_suffix(1);
  }
  if (s.empty() || !((s.front() >= '0' && s.front() <= '9') || s.front() == '.')) {
    return std::nullopt;
  }
  const auto v = ParseDouble(s);
  if (!v || *v < 0 || !std::isfinite(*v * scale)) return std::nullopt;
  return *v * scale;
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
  if (s.empty() || !((s.front() >= '0' && s.front() <= '9') || s.front() == '.')) {
    return std::nullopt;
  }
  auto v = ParseDouble(s);
  if (!v || *v < 0) return std::nullopt;
  const double ns = *v * scale;
  if (ns > 9.0e18) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

}  // namespace bp
