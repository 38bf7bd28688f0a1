#include "tool/run/leak_cycles.h"

#include <algorithm>

namespace bp {

PoolRun RunLeakCycles(const std::function<PoolRun(const RunOptions&)>& once,
                      const RunOptions& options) {
  RunOptions o = options;
  o.leak_cycles = 1 + kLeakExtraCycles;
  PoolRun run = once(o);
  const bool judged = run.outcome == Outcome::kOk || run.outcome == Outcome::kViolations;
  if (!judged || options.checks == CheckLevel::kNone) return run;
  run.heap_after_destroy_bytes.push_back(run.heap_leaked_bytes);
  if (run.heap_leaked_bytes <= kLeakFloorBytes) return run;

  RunOptions extra = o;
  extra.on_sample = nullptr;
  extra.on_progress = nullptr;
  // Half the first cycle's work, counted in ops rather than time: a loss per op shows the same
  // way on a loaded machine as on an idle one.
  const unsigned threads = std::max(1u, options.threads);
  extra.ops_per_thread = std::max<uint64_t>(1, run.total.ops / threads / 2);
  uint64_t kept = run.heap_leaked_bytes;
  uint64_t growth = UINT64_MAX;
  for (unsigned i = 0; i < kLeakExtraCycles; ++i) {
    const PoolRun next = once(extra);
    if (next.outcome != Outcome::kOk && next.outcome != Outcome::kViolations) return run;
    if (PendingSignal().load() != 0) return run;
    kept += next.heap_leaked_bytes;
    run.heap_after_destroy_bytes.push_back(kept);
    growth = std::min(growth, next.heap_leaked_bytes);
  }
  run.leak_growth_bytes_per_cycle = growth;
  if (growth > kLeakGrowthThresholdBytes) {
    run.total.violations.Add({.kind = Violation::kLeak, .detail = growth});
    run.outcome = Outcome::kViolations;
  }
  return run;
}

}  // namespace bp
