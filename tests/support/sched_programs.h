// Small programs for the deterministic scheduler's tests (tool/sched/scheduler.h), as bodies of
// Scheduler::Run: what each thread does, with the points and observations the instrumented code
// of a plugin would report.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include "build_info.h"
#include "tool/sched/scheduler.h"

// Skips the calling test in a ThreadSanitizer build.
#define BP_SKIP_UNDER_TSAN()                                                            \
  do {                                                                                  \
    if (std::string_view(build::kSanitizers).find("thread") != std::string_view::npos)  \
      GTEST_SKIP() << "the scheduler's futex hand-off is invisible to ThreadSanitizer"; \
  } while (0)

namespace bp::testing {

// Thread 0 spins on `flag` until thread 1 sets it: a program that only ends if the scheduler
// hands the spinner's turn over instead of letting it run into the step limit.
inline void SpinUntilTheOtherSets(std::atomic<uint64_t>& flag, int thread) {
  sched::Scheduler* sc = sched::Scheduler::Current();
  if (thread == 0) {
    for (;;) {
      sc->Point(sched::EventKind::kAtomicLoad, &flag, 8, nullptr);
      const uint64_t v = flag.load();
      if (v != 0) break;
      sc->Observe(&flag, v);
    }
  } else {
    sc->Point(sched::EventKind::kAtomicStore, &flag, 8, nullptr);
    flag = 1;
    sc->Wrote();
  }
}

}  // namespace bp::testing
