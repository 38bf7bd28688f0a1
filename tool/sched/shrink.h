// Shrinking a failing schedule file (`bpstress shrink`): delta debugging over threads (one
// dropped with its switches), each thread's ops (halves, then smaller chunks), the prefill and the
// trace's preemptions, keeping a candidate when its replay (campaign.h: a child each) still fails
// the same way and the schedule is smaller. A candidate whose edited trace no longer fails gets up
// to `tries` PCT schedules of its workload before it is dropped.
#pragma once

#include "tool/sched/schedule.h"

namespace bp::sched {

struct ShrinkResult {
  bool failed_at_start = false;  // the input did fail when replayed
  ScheduleFile file;             // the smallest failing schedule found
  int candidates = 0;            // schedules tried
};

ShrinkResult Shrink(const ScheduleFile& file, double budget_seconds, int tries);

}  // namespace bp::sched
