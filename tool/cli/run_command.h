// `bpstress run`: select pools, run each under the runner, print a table or JSON, write the
// report atomically (also when interrupted), and return the exit code.
#pragma once

#include <string>
#include <vector>

#include "tool/run/runner.h"

namespace bp {

enum class OutputFormat { kTable, kJson };
enum class ProgressMode { kAuto, kAlways, kNever };

struct RunCommand {
  std::vector<std::string> pools{"all"};
  bool pools_given = false;
  std::vector<std::string> plugins;  // PATH[:OPTIONS]
  // Each pool in its own child process; default: on when more than one pool runs.
  enum class Isolate { kAuto, kOn, kOff } isolate = Isolate::kAuto;
  std::string dist = "random65k";
  RunOptions options;
  bool seed_given = false;
  bool duration_given = false;
  bool touch_given = false;  // else --dist edges touches the ends
  // --allocator: empty to run on the allocator this process has; else a list
  // (tool/process/allocator.h).
  std::string allocators;
  // The command line from the subcommand on, for re-executing bpstress under another allocator.
  std::vector<std::string> argv;
  std::string report_path = "bpstress-report.json";
  OutputFormat format = OutputFormat::kTable;
  ProgressMode progress = ProgressMode::kAuto;
  // --repeat: measured runs of each pool, interleaved across pools (A B C A B C ...).
  unsigned repeat = 1;
  // Finding bugs: the profile (hunt: the default, a hunt phase before each measured run; bench:
  // the clean benchmark alone) and whether double_put_accepted fails the run (--misuse-fails).
  std::string profile = "hunt";
  bool misuse_fails = false;
};

// Returns the process exit code; one line on stderr for every error.
//
// A run under an allocator other than this process's re-executes bpstress (same arguments, the
// seed made explicit) with the allocator in LD_PRELOAD and these variables set: the child builds
// the same job list, runs job kJobVariable in process, checks that kJobLibraryVariable is mapped,
// and sends the result back instead of writing a report.
// --profile hunt's preemption rate (interruptions per second over all workers); see README
// "Finding bugs" for how it was chosen.
inline constexpr double kHuntPreemptRate = 20000;
inline constexpr const char kHuntPreemptRateText[] = "20k";

inline constexpr const char kJobVariable[] = "BPSTRESS_JOB";
inline constexpr const char kJobAllocatorVariable[] = "BPSTRESS_JOB_ALLOCATOR";
inline constexpr const char kJobLibraryVariable[] = "BPSTRESS_JOB_LIBRARY";
int ExecuteRun(RunCommand& cmd);

}  // namespace bp
