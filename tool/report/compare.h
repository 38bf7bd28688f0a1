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

// The figure of a pool that the tables show and the thresholds gate: with two repeats or more
// (stats.*.n >= 2) the median over the repeats, as `bpstress run`'s table, `compare` and the HTML
// report show it; else the run's own figure. `what` names it for messages ("ops_per_s (median of
// 3 repeats)").
struct ShownFigure {
  double value;
  std::string what;
};
std::optional<ShownFigure> ShownOpsPerSec(const nlohmann::json& pool);
std::optional<ShownFigure> ShownP99(const nlohmann::json& pool);

// Adds one finding per bound and pool, on the shown figures (ShownOpsPerSec, ShownP99). A name
// in t.pools that is not in the report fails (a typo must not turn a gate into a no-op).
void CheckThresholds(const nlohmann::json& report, const Thresholds& t, Findings* findings);

// The baseline gate is noise-aware. When both sides ran a pool several times (--repeat, n >= 2
// in stats.ops_per_s), a pool regressed only when its whole 95% interval of the median lies more
// than the bound below the baseline's interval: new ci_high < old ci_low * (1 - bound) (for p99:
// new ci_low > old ci_high * (1 + bound)). With a single run on either side there is no interval:
// a note says so and the point figures are compared with a wider default bound.
// With repeats on one side only, that side's interval end nearest the other is the figure (its
// noise floor). Latencies come in whole steps of the latency clock (host.latency_resolution_ns,
// e.g. 8 ns on a virtual machine's TSC): a p99 rise is a regression only when it is more than the
// bound and more than kLatencyResolutionSteps steps, so that 50 ns -> 70 ns between two runs of
// one binary is not a 40% regression.
inline constexpr double kLatencyResolutionSteps = 4;
inline constexpr double kAssumedResolutionNs = 10;     // reports without latency_resolution_ns
inline constexpr double kDefaultMaxRegression = 0.10;  // intervals on both sides
inline constexpr double kDefaultSingleRunMaxRegression = 0.25;  // a single run on a side
struct BaselineGate {
  std::optional<double> max_regression;  // --max-regression; nullopt: the defaults above
  bool allow_mismatch = false;           // settings that differ are notes instead of failures
};
// Fails a pool whose ops_per_s fell, or whose latency p99 rose, beyond the gate's bound, and
// (unless allow_mismatch) every setting in which the reports differ (SettingsDifferences). `pools`
// as in Thresholds.
void CheckBaseline(const nlohmann::json& report, const nlohmann::json& baseline,
                   const BaselineGate& gate, const std::vector<std::string>& pools,
                   Findings* findings);
// The same with an explicit bound (0.1 = 10%) and the settings guard on.
void CheckBaseline(const nlohmann::json& report, const nlohmann::json& baseline,
                   double max_regression, const std::vector<std::string>& pools,
                   Findings* findings);

// The settings guard: the run settings in which two reports differ, one line each ("threads: 2
// vs 64"): distribution, threads, hold, cross-thread, touch, checks, workload, allocators,
// preemption rate, build type, sanitizers and CPU count. A field absent from a report (older
// versions) reads as "-", the preemption rate as 0.
std::vector<std::string> SettingsDifferences(const nlohmann::json& a, const nlohmann::json& b);

struct NamedReport {
  std::string name;  // shown in the table (the file name)
  nlohmann::json json;
};
// The side-by-side table of `bpstress compare`: one row per pool and report (ops/s, p99, hit
// rate, waste, peak RSS, verdict) with ratios to the first report that has the pool. A pool run
// several times shows the median ops/s and p99 ± half their interval, whose coverage a line under
// the table (text and markdown) and `ci_level` (JSON) state.
enum class CompareFormat { kTable, kMarkdown, kCsv, kJson };
std::string CompareTable(const std::vector<NamedReport>& reports,
                         CompareFormat format = CompareFormat::kTable);

}  // namespace bp
