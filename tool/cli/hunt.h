// `bpstress hunt`: swarm testing of one pool (Groce, Zhang, Eide, Chen and Regehr, "Swarm
// Testing", ISSTA 2012). Instead of one long run with every feature on, many short trials, each
// with its own random configuration: threads, size distribution (edges included), hold,
// cross-thread share, touch mode, duration, and the injection knobs the run command offers. A
// feature left out of a trial cannot mask the bug another one provokes, and the configurations no
// one would write by hand get tried.
//
// Each trial is a child process: this binary re-executed with the trial's `run` command line
// (the same words its reproduce line shows, plus a temporary --report), killed past its deadline.
// The finding's trial keeps its report, stdout and stderr next to the hunt report, and
// `--replay` runs it again to tell how often it fires.
// So a pool that crashes, trips a sanitizer or hangs in a trial is a finding like a violation,
// and costs the hunt nothing. The hunt stops at the first finding (exit 1) or when the budget is
// spent (exit 0), prints the failing trial's reproduce line, and writes a JSON report of every
// trial (schema "bpstress-hunt/1", described in the README). The trial configurations are a
// function of --seed alone: the same seed draws the same trials.
//
// Thread safety: runs on the calling thread; not reentrant (one child at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tool/run/runner.h"

namespace bp {

struct HuntCommand {
  std::vector<std::string> pools;    // exactly one of pools and plugins has one entry
  std::vector<std::string> plugins;  // PATH[:OPTIONS]
  std::chrono::nanoseconds budget = std::chrono::minutes(5);
  uint64_t seed = 0;
  bool seed_given = false;
  std::string report_path = "bpstress-hunt.json";
  bool progress = false;  // always show progress (else only when stderr is a terminal)
  // --replay REPORT --times N: run the finding of a hunt report again N times instead of hunting.
  std::string replay_path;
  unsigned replay_times = 10;
};

// One trial's configuration: the run options and the canonical --dist.
struct HuntTrial {
  RunOptions options;
  std::string dist;
};

// The trial configurations the hunt draws for `seed`, in order (what `--seed` makes
// reproducible). `memory_bytes` bounds the edges MAX (the host's memory).
std::vector<HuntTrial> DrawHuntTrials(uint64_t seed, size_t count, uint64_t memory_bytes);

// Returns the exit code: 0 clean, 1 a finding, 2 bad options, 3 bad plugin, 130 interrupted.
// A finding's trial report, stdout and stderr are kept in REPORT.trial-N/ (report.json, stdout,
// stderr), N the trial's number as the messages and the report give it (from 1).
int RunHunt(const HuntCommand& options);

// `hunt --replay REPORT --times N`: runs the finding trial of a hunt report (its `args`, each run
// a child as in the hunt) N times and prints how often it fired. Returns 1 when it fired at least
// once, 0 when never, 3 for a file that is not a hunt report with a finding, 130 interrupted.
int RunHuntReplay(const HuntCommand& options);

}  // namespace bp
