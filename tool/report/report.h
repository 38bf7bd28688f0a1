// The stress report: the model of one bpstress run and its JSON form ("bpstress-report/1").
//
// Key names are a contract users script against (documented in README.md): top level `schema`,
// `tool`, `host`, `started_at`, `config` (holding `seed`), `pools` (a list), `interrupted`,
// `exit_code`, `verdict`; per pool `pool`, `outcome`, `ops`, `ops_per_s`, `gets`, `puts`, `hits`,
// `misses`, `drops`, `latency_ns`, `capacity_histogram`, `peak_rss_bytes`, `retained_bytes_end`,
// `violations`, `threads`, `verdict`. Unknown fields may be added in later versions of schema 1.
//
// The JSON is produced with bp::JsonWriter (the project's own writer); the commands write it with
// tool/util/output_file.h (atomically to a file, in place to a device or FIFO).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "tool/run/runner.h"
#include "tool/util/stats.h"
#include "tool/util/sysinfo.h"

namespace bp {

inline constexpr const char kReportSchema[] = "bpstress-report/1";

struct Report {
  std::string started_at;
  HostInfo host;
  std::string dist;                     // canonical distribution spec
  std::vector<std::string> pool_specs;  // as selected
  RunOptions options;
  bool seed_given = false;
  std::vector<std::string> allocators;  // --allocator, in order (one: this process's own)
  std::vector<std::string> notes;       // defaults that were scaled (e.g. under ThreadSanitizer)
  std::string profile = "hunt";         // --profile: hunt (the default) or bench
  bool misuse_fails = false;            // --misuse-fails
  // One entry per pool (and allocator): MergeRepeats of its repeats, which repeats[i] keeps.
  std::vector<PoolRun> pools;
  std::vector<std::vector<PoolRun>> repeats;  // parallel to pools; empty: one repeat, pools[i]
  unsigned repeat = 1;                        // --repeat
  std::vector<int> pin_cpus;                  // --pin: the CPUs workers were pinned over
  bool interrupted = false;
  int exit_code = 0;
};

// The repeats of one pool as one result, each field by its rule in PoolRun::Fields: counts,
// histograms, violations and seconds summed (so ops_per_s is total ops / total seconds and every
// identity of a single run holds), peak figures the maximum, the worst outcome (a hung or crashed
// repeat makes the pool partial) with its crash record, and the hunt phases of all repeats.
PoolRun MergeRepeats(const std::vector<PoolRun>& repeats);

// The statistics of a pool's repeats that have figures (not hung, crashed or sanitizer): ops/s
// and the latency percentiles p50, p90, p99, p99.9 of each repeat (the report's `stats`). With two
// repeats or more, every view shows and gates the median of these: the table, the report's
// `stats`, `verify`'s thresholds, `compare` and the HTML report.
struct RepeatSummary {
  static constexpr double kPercentiles[] = {50, 90, 99, 99.9};
  Summary ops_per_s;
  std::array<Summary, 4> latency;  // kPercentiles
};
RepeatSummary SummarizeRepeats(const std::vector<PoolRun>& repeats);

// Whether a pool's result passes: outcome ok and no failure-kind violation.
bool PoolPassed(const PoolRun& run);

// The report as JSON text (complete and valid, or an empty string if the writer failed).
std::string RenderReport(const Report& report);

}  // namespace bp
