// Reports held against bounds: fixed thresholds (`verify --min-ops-per-sec` ...), a baseline
// report (`verify --baseline OLD --max-regression 10%`), and other reports (`bpstress compare`);
// also the parsers of those bounds as users type them.
//
// Pools are matched across reports by their "pool" name; when a report runs the same pool more
// than once (two specs of "sized"), the k-th occurrence matches the k-th, shown as "sized#2".
// Pools with a partial outcome (hung, crashed) carry no trustworthy numbers: thresholds and the
// baseline skip them with a note (verify already fails them). A pool present on one side only is
// a note, never a failure, so adding a pool to a CI job does not break its gate.
//
// Thread safety: pure functions over JSON values the caller owns. Nothing throws.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tool/report/verify.h"

namespace bp {

struct Thresholds {
  std::optional<double> min_ops_per_sec;
  std::optional<uint64_t> max_p99_ns;
  std::optional<double> max_waste;     // waste_ratio, 0..1
  std::optional<double> min_hit_rate;  // 0..1; pools without counters are skipped with a note
  std::optional<uint64_t> max_rss_bytes;
  std::vector<std::string> pools;  // pool names the bounds apply to; empty: every pool
};

// Adds one finding per bound and pool. A name in t.pools that is not in the report fails (a
// typo must not turn a gate into a no-op).
void CheckThresholds(const nlohmann::json& report, const Thresholds& t, Findings* findings);

// Fails a pool whose ops_per_s fell by more than `max_regression` (0.1 = 10%) below the
// baseline's, or whose latency p99 rose by more than that above it. `pools` as in Thresholds.
void CheckBaseline(const nlohmann::json& report, const nlohmann::json& baseline,
                   double max_regression, const std::vector<std::string>& pools,
                   Findings* findings);

struct NamedReport {
  std::string name;  // shown in the table (the file name)
  nlohmann::json json;
};
// The side-by-side table of `bpstress compare`: one row per pool and report (ops/s, p99, hit
// rate, waste, peak RSS, verdict) with ratios to the first report that has the pool.
std::string CompareTable(const std::vector<NamedReport>& reports);

// Thresholds given on the verify command line, parsed: "10us" or a bare number of nanoseconds;
// a ratio "0.25" or "25%"; a rate "250000", "250K", "1.5M" (decimal suffixes K, M, G).
std::optional<uint64_t> ParseLatencyBound(std::string_view text);
std::optional<double> ParseRatio(std::string_view text);
std::optional<double> ParseRate(std::string_view text);

// Human forms used in tables and charts: 1.25M, 623ns / 1.5us / 2.0ms, 25.0%.
std::string HumanRate(double per_s);
std::string HumanNanos(double ns);
std::string HumanPercent(double ratio);

}  // namespace bp
