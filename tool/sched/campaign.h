// Running schedules in child processes: a campaign (schedules drawn from a seed until the first
// finding or the budget) and a replay (one schedule file's trace again; shrink.h builds on it).
//
// Each runs in a forked child that loads the plugin itself, so a crash or a hang is a finding and
// the parent stays clean. The child's record (the switch trace, the last 256 steps, the finding)
// lives in memory shared with the parent, so even a crash leaves the schedule that caused it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tool/sched/schedule.h"
#include "tool/sched/scheduler.h"

namespace bp::sched {

struct CampaignOptions {
  std::string plugin;
  std::string options;
  uint64_t seed = 1;
  int depth = 3;
  bool all_points = false;
  uint64_t max_schedules = 0;  // 0: only the budget stops it
  double budget_seconds = 10;  // of the child's CPU time
  double hang_seconds = 10;    // no scheduling point for this long while a worker runs: a hang
  int threads = 0;             // 0: drawn per schedule
  uint32_t ops = 0;            // per thread; 0: drawn per schedule
};

struct CampaignResult {
  bool found = false;
  uint64_t schedules = 0;  // run to the end, plus the one with the finding
  double cpu_seconds = 0;
  uint64_t ops = 0;   // the workers' ops in those schedules
  ScheduleFile file;  // the finding's schedule
  std::string error;  // the plugin could not be loaded or created: nothing ran
};

CampaignResult RunCampaign(const CampaignOptions& options);

struct ReplayResult {
  bool failed = false;
  ScheduleFile file;          // the input with this run's trace, steps and finding
  std::vector<Event> events;  // the last steps, oldest first
  uint64_t plugin_base = 0;   // where the plugin was loaded in the child
  std::string error;
};

// Follows the file's trace; when that run is clean and tries > 0, runs up to `tries` PCT
// schedules of the same workload (seeded from the file's seed) and keeps the first that fails.
ReplayResult Replay(const ScheduleFile& file, int tries, double hang_seconds = 10);

// The file's trace in this process (no child), stopping with SIGTRAP at the finding: for a
// debugger (`gdb --args bpstress replay FILE --gdb`). Returns false with a reason when the plugin
// cannot be loaded; *failed says whether the finding was reached.
bool ReplayHere(const ScheduleFile& file, bool* failed, std::string* error);

}  // namespace bp::sched
