// The reproduce line: the bpstress command line that runs one pool of a run again, as it ran.
//
// Every option that changes what a run does is spelled out in its canonical form — the pool's
// full spec (or the plugin's PATH[:OPTIONS]), the canonical --dist, the seed, threads, duration
// or ops, hold, cross-thread, touch, checks, workload, deadline, profile, preempt rate, churn,
// and --misuse, --misuse-fails, --max-rss, --allocator and --isolate when they were in effect — so
// the line does not depend on defaults, on a random seed or on the other pools of the run. Words
// are shell-quoted: the line is copy-paste runnable. `bpstress hunt` builds its trials' command
// lines with the same function, so what a trial ran and what its reproduce line says are one list
// of words.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tool/run/runner.h"
#include "tool/util/shell.h"

namespace bp {

struct ReproducePool {
  bool plugin = false;            // --plugin VALUE, else --pool VALUE
  std::string value;              // canonical pool spec, or the plugin's PATH[:OPTIONS]
  std::string allocator;          // --allocator NAME when not empty
  bool isolate = false;           // --isolate
  std::string profile = "bench";  // --profile
  bool misuse_fails = false;      // --misuse-fails
};

// The words after `bpstress` (from "run" on), for one pool.
std::vector<std::string> ReproduceArgs(const ReproducePool& pool, const std::string& dist_spec,
                                       const RunOptions& options);

// "500ms", "2s", "90s", "1500us": the shortest whole-unit form ParseDuration reads back exactly.
std::string DurationArg(std::chrono::nanoseconds d);
// The shortest decimal that parses back to the same double ("0.25", "1e-05").
std::string DoubleArg(double v);

}  // namespace bp
