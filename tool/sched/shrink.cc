#include "tool/sched/shrink.h"

#include <time.h>

#include <algorithm>

#include "tool/sched/campaign.h"

namespace bp::sched {
namespace {

// A size in the smaller-is-better order of shrinking.
uint64_t Weight(const ScheduleFile& f) {
  return f.workload.OpCount() + static_cast<uint64_t>(f.workload.threads) + f.workload.prefill;
}

}  // namespace

ShrinkResult Shrink(const ScheduleFile& input, double budget_seconds, int tries) {
  ShrinkResult out;
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  auto elapsed = [&start] {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec - start.tv_sec) +
           static_cast<double>(now.tv_nsec - start.tv_nsec) * 1e-9;
  };
  ReplayResult first = Replay(input, 0);
  ++out.candidates;
  out.file = first.failed ? first.file : input;
  if (!first.failed) return out;
  out.failed_at_start = true;
  const std::string kind = first.file.finding.kind;
  ScheduleFile& best = out.file;

  // Tries a candidate; keeps it when it still fails the same way and is not larger.
  auto attempt = [&](const ScheduleFile& candidate, int candidate_tries) {
    if (elapsed() > budget_seconds) return false;
    ReplayResult r = Replay(candidate, candidate_tries);
    ++out.candidates;
    if (!r.failed || r.file.finding.kind != kind) return false;
    const uint64_t w = Weight(r.file), b = Weight(best);
    if (w > b || (w == b && r.file.preemptions >= best.preemptions)) return false;
    best = r.file;
    return true;
  };

  bool progress = true;
  while (progress && elapsed() < budget_seconds) {
    progress = false;
    // Fewer threads: drop one, with its ops and its switches.
    for (int t = best.workload.threads - 1; t >= 0 && best.workload.threads > 1; --t) {
      ScheduleFile c = best;
      c.workload.ops.erase(c.workload.ops.begin() + t);
      --c.workload.threads;
      std::vector<Switch> trace;
      for (Switch s : c.trace) {
        if (s.from == static_cast<uint32_t>(t) || s.to == static_cast<uint32_t>(t)) continue;
        if (s.from != UINT32_MAX && s.from > static_cast<uint32_t>(t)) --s.from;
        if (s.to > static_cast<uint32_t>(t)) --s.to;
        trace.push_back(s);
      }
      c.trace = trace;
      progress |= attempt(c, tries);
    }
    // Fewer ops: chunks of each thread's list, halves first (ddmin).
    for (size_t t = 0; t < best.workload.ops.size(); ++t) {
      for (size_t chunk = std::max<size_t>(best.workload.ops[t].size() / 2, 1); chunk >= 1;
           chunk /= 2) {
        for (size_t at = 0; at + chunk <= best.workload.ops[t].size();) {
          ScheduleFile c = best;
          auto& ops = c.workload.ops[t];
          ops.erase(ops.begin() + static_cast<long>(at),
                    ops.begin() + static_cast<long>(at + chunk));
          if (attempt(c, tries)) {
            progress = true;
          } else {
            at += chunk;
          }
        }
        if (chunk == 1) break;
      }
    }
    // A smaller prefill.
    while (best.workload.prefill > 0) {
      ScheduleFile c = best;
      --c.workload.prefill;
      if (!attempt(c, tries)) break;
      progress = true;
    }
    // Fewer preemptions: the trace alone, without the one switch.
    for (size_t i = 0; i < best.trace.size();) {
      if (!best.trace[i].preempt) {
        ++i;
        continue;
      }
      ScheduleFile c = best;
      c.trace.erase(c.trace.begin() + static_cast<long>(i));
      if (attempt(c, 0)) {
        progress = true;
        i = 0;  // the trace kept is the new run's own
      } else {
        ++i;
      }
    }
  }
  return out;
}

}  // namespace bp::sched
