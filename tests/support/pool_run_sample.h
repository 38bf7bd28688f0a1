// PoolRun samples for the tests of what carries or merges a PoolRun (isolation codec, report,
// MergeRepeats): SampleRun, a run's figures with examples; FullRun, every field of PoolRun::Fields
// set to something other than its default.
#pragma once

#include <signal.h>

#include "tool/run/runner.h"

namespace bp::testing {

inline ThreadResult SampleThread(uint64_t k) {
  ThreadResult t;
  t.ops = 1000 * k + 1;
  t.gets = 900 * k + 2;
  t.puts = 800 * k + 3;
  t.refused = k + 4;
  t.handoffs = k + 5;
  t.bytes_requested = 123456789 * k;
  t.bytes_capacity = 223456789 * k;
  t.seconds = 0.25 * static_cast<double>(k + 1);
  t.capacity_log2[static_cast<size_t>(k % 65)] = k + 7;
  t.capacity_log2[64] = 3;
  for (uint64_t v : {uint64_t{3}, uint64_t{150}, uint64_t{99999}, 1000 * k + 17}) {
    t.latency.Record(v);
  }
  t.violations.Add({.kind = Violation::kCorruption,
                    .thread = static_cast<uint32_t>(k),
                    .op = 77 + k,
                    .address = 0xdead0 + k,
                    .size = 64,
                    .capacity = 32,
                    .detail = 5});
  t.violations.Add({.kind = Violation::kDoubleHandout,
                    .thread = 1,
                    .op = 2,
                    .address = 0xbeef0,
                    .size = 16,
                    .capacity = 16,
                    .detail = 0});
  t.violations.AddCount(Violation::kTruncated, 40 + k);
  return t;
}

inline PoolRun SampleRun() {
  PoolRun run;
  run.name = "sample";
  run.spec = "plugin:/x/libsample.so:a=1";
  run.traits = {.promises_capacity = true, .fixed_capacity = true, .pools = false};
  run.pool_counters = false;
  run.outcome = Outcome::kViolations;
  run.stop_reason = StopReason::kOps;
  run.seconds = 1.5;
  run.stats = {.gets = 11,
               .puts = 12,
               .hits = 13,
               .misses = 14,
               .drops = 15,
               .retained_bytes = 16,
               .peak_retained_bytes = 17};
  for (uint64_t k = 1; k <= 3; ++k) {
    run.threads.push_back(SampleThread(k));
    run.total.Merge(run.threads.back());
  }
  run.outstanding = 21;
  run.peak_rss_bytes = 22ull << 30;
  run.heap_leaked_bytes = 23;
  run.stderr_tail = "from the body\n";
  return run;
}

// SampleRun with every other field set too: what a crashed or hunted run carries.
inline PoolRun FullRun() {
  PoolRun run = SampleRun();
  run.allocator = "jemalloc";
  run.timeline = {{.t = 0.1,
                   .ops_per_s = 2e6,
                   .ops = 200000,
                   .rss_bytes = 24,
                   .retained_bytes = 25,
                   .outstanding = 26,
                   .violations = 27},
                  {.t = 0.2, .ops_per_s = 1e6, .ops = 300000}};
  run.signal = SIGSEGV;
  run.phase = Phase::kDrain;
  run.has_fault_address = true;
  run.fault_address = 0xdeadbeef;
  run.crash_frames = {"libx.so+0x10 f (x.c:1)", "bpstress+0x20"};
  run.heap_after_destroy_bytes = {28, 29, 30};
  run.leak_growth_bytes_per_cycle = 31;
  run.hunt = {.ran = true,
              .found = true,
              .seconds = 0.3,
              .ops = 32,
              .preemptions = 33,
              .preempt_rate = 20000};
  run.leak_count = {.counted = true,
                    .residue_bytes = 34,
                    .residue_blocks = 35,
                    .unreachable_bytes = 36,
                    .unreachable_blocks = 37,
                    .bytes_per_cycle = 38};
  run.leak_sites = {{"libx.so+0x10 f", 39, 40}, {"bpstress+0x20", 41, 42}};
  run.warmup = {.ran = true, .found = true, .seconds = 0.25, .ops = 43};
  return run;
}

}  // namespace bp::testing
