// What one schedule is: the workload (threads, each thread's ops, the pool's state before) and the
// decisions (the switch trace), and the schedule file that keeps both for `bpstress replay` and
// `bpstress shrink`.
//
// The workload is drawn from the schedule's seed (DrawWorkload): a fixed op sequence can make a
// bug unreachable, so thread count, ops per thread, how many buffers a thread holds at most, the
// sizes and the prefill all vary. The file keeps the ops themselves, not only the seed, so that a
// shrunk workload is a file like any other.
//
// File format (JSON, version 1):
//   {"version":1, "plugin":PATH, "options":TEXT, "seed":N, "depth":D, "points":"atomics"|"all",
//    "expected_steps":K, "threads":N, "prefill":N, "prefill_size":BYTES,
//    "ops":["g64 g64 p0", ...],     // per thread: gSIZE a get, pINDEX a put of the INDEXth held
//    "trace":"-@0>1 1@7>0! ...",     // FROM@POINT>TO: thread FROM switched to TO at its POINTth
//                                    // point; ! a preemption (FROM could go on); '-' first pick
//    "finding":{"kind":..., "message":..., "step":N, "thread":T}, "steps":N, "preemptions":N}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tool/sched/scheduler.h"

namespace bp::sched {

struct Op {
  bool get = true;
  uint32_t value = 0;  // get: the size; put: the index among the buffers the thread holds
};

struct Workload {
  int threads = 2;
  uint32_t prefill = 0;  // buffers got and put back by one thread before the schedule
  uint32_t prefill_size = 64;
  std::vector<std::vector<Op>> ops;  // one list per thread

  size_t OpCount() const;
};

// Threads 2..8 (mostly 2 or 3), 2..8 ops each, at most 1..3 buffers held, 1 or 2 sizes; a
// non-zero `threads` or `ops` (per thread) fixes that instead of drawing it.
Workload DrawWorkload(uint64_t seed, int threads = 0, uint32_t ops = 0);

struct ScheduleFile {
  std::string plugin;
  std::string options;
  uint64_t seed = 0;
  int depth = 3;
  bool all_points = false;
  uint64_t expected_steps = 0;
  Workload workload;
  std::vector<Switch> trace;
  Finding finding;
  uint64_t steps = 0;
  uint32_t preemptions = 0;
};

std::string ToJson(const ScheduleFile& file);
// Returns false with a one-line reason on invalid input.
bool FromJson(const std::string& text, ScheduleFile* file, std::string* error);

// The trace as kept in a Record, as a vector.
std::vector<Switch> TraceOf(const Record& record);
uint32_t PreemptionsOf(const std::vector<Switch>& trace);

}  // namespace bp::sched
