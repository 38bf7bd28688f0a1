// Parsing of the quantities users type: sizes ("64", "4K", "1M", "2G", powers of two) and
// durations ("500ms", "5s", "2m", "1h"; a bare number is seconds). Every parser returns
// std::nullopt on anything else — never a partial value, never an exception.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bp {

// Bytes: a whole number with an optional K/M/G/T suffix (binary: K = 1024), optional trailing
// 'B' or 'iB' ("4KiB"). Rejects overflow, signs, fractions and empty strings.
std::optional<uint64_t> ParseSize(std::string_view text);
// A whole non-negative number without suffix, rejecting overflow.
std::optional<uint64_t> ParseUint(std::string_view text);
// A finite decimal number (no suffix); "0.25", "1e-3".
std::optional<double> ParseDouble(std::string_view text);
// A rate (events per second): a finite non-negative decimal number with an optional decimal
// k/M suffix ("20k" = 20000, "1.5M", "0").
std::optional<double> ParseEventRate(std::string_view text);
// A duration with unit ns, us, ms, s, m or h (bare numbers are seconds); fractions allowed.
std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text);

}  // namespace bp
