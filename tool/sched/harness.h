// One schedule of a plugin pool under the scheduler, with the detectors of `run`:
//   create the pool, get and put back `prefill` buffers (one thread, not scheduled), run each
//   thread's ops under the Scheduler (double hand-out at every get, short capacity, the holder's
//   pattern checked at put: corruption), put back what is still held, then drain: take every
//   buffer the pool will give without putting any back, so that a corrupted free list (which
//   often shows nothing during the run) hands a buffer out twice. Then destroy.
// A finding during the run ends it (Scheduler::Fail; the workers stay parked); a finding of the
// drain is returned the same way. The caller runs this in a child process that exits soon after a
// finding.
#pragma once

#include <string>

#include "bpstress/plugin_abi.h"
#include "tool/sched/schedule.h"
#include "tool/sched/scheduler.h"

namespace bp::sched {

struct ScheduleRun {
  const bp_pool_api* api = nullptr;
  std::string options;
  const Workload* workload = nullptr;
  SchedulerConfig config;  // threads is taken from the workload
};

// Returns true when the schedule ran clean; false with *finding filled otherwise. A pool that
// cannot be created is a finding of kind "create_failed".
bool RunOneSchedule(const ScheduleRun& run, Record* record, Finding* finding);

}  // namespace bp::sched
