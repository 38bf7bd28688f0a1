// The quantities users type, parsed one way for every command and every pool option: sizes
// ("65536", "64k", "64K", "64KiB", "64KB"), rates ("5000", "20k", "1.5M"), shares ("0.25",
// "25%"), durations ("500ms", "5s", "2m", "1h") and latency bounds ("10us", "250" = 250 ns).
//
// A leaf: the pool registry (pool/) and every tool layer include it, and it includes nothing of
// the project, so that `sized:max=64KiB` and `--dist fixed:64KiB` cannot disagree again.
//
// Every parser returns std::nullopt on anything else — never a partial value, never an exception.
// Suffixes of sizes and durations are case-insensitive; those of rates are not ("m" would read as
// milli). No parser accepts signs, spaces, "inf" or "nan".
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bp {

// A whole non-negative number without suffix, rejecting overflow.
std::optional<uint64_t> ParseUint(std::string_view text);
// A finite decimal number without suffix: "0.25", "1e-3", "-2".
std::optional<double> ParseDouble(std::string_view text);

// Bytes: a whole number with an optional K/M/G/T suffix (binary: K = 1024), optionally followed
// by "B" or "iB" ("4KiB", "4KB", "4k", "64B"). Rejects overflow, fractions and "iB" alone.
std::optional<uint64_t> ParseSize(std::string_view text);

// Events per second: a non-negative decimal number with an optional decimal suffix k or K
// (1e3), M (1e6) or G (1e9): "20k" = 20000, "1.5M", "0".
std::optional<double> ParseRate(std::string_view text);

// A non-negative ratio: a decimal number ("0.25") or a percentage ("25%" = 0.25). No upper bound
// ("150%" = 1.5): for a share of a whole, use ParseFraction.
std::optional<double> ParseRatio(std::string_view text);
// A share of a whole, in [0, 1]: "0.25" or "25%".
std::optional<double> ParseFraction(std::string_view text);

// A duration with unit ns, us, ms, s, m or h; a bare number is seconds; fractions allowed.
std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text);
// A latency bound in nanoseconds: a duration with its unit ("10us", "1.5ms"), or a bare whole
// number of nanoseconds (latencies are reported in ns).
std::optional<uint64_t> ParseLatencyBound(std::string_view text);

// The examples each kind's error messages quote, so that every command words them alike.
inline constexpr const char kSizeExamples[] = "e.g. 4096, 64K, 64KiB, 512M, 2G";
inline constexpr const char kRateExamples[] = "e.g. 5000, 20k, 1.5M";
inline constexpr const char kFractionExamples[] = "a share in 0..1, e.g. 0.25 or 25%";
inline constexpr const char kDurationExamples[] = "e.g. 500ms, 5s, 2m, 1h";

}  // namespace bp
