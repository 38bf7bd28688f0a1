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
  // Whatever the pool's calls left allocated is reachable from its globals (a cache), or nothing
  // is left: nothing to tell apart.
  if (!run.leak_count.counted || run.leak_count.unreachable_bytes == 0) return run;

  RunOptions extra = o;
  extra.on_sample = nullptr;
  extra.on_progress = nullptr;
  // Half the first cycle's work, counted in ops rather than time: a loss per op shows the same
  // way on a loaded machine as on an idle one.
  const unsigned threads = std::max(1u, options.threads);
  extra.ops_per_thread = std::max<uint64_t>(1, run.total.ops / threads / 2);
  uint64_t kept = run.heap_leaked_bytes;
  uint64_t growth = UINT64_MAX;
  uint64_t lost = UINT64_MAX;
  std::vector<LeakSite> sites;
  for (unsigned i = 0; i < kLeakExtraCycles; ++i) {
    PoolRun next = once(extra);
    if (next.outcome != Outcome::kOk && next.outcome != Outcome::kViolations) return run;
    if (PendingSignal().load() != 0) return run;
    kept += next.heap_leaked_bytes;
    run.heap_after_destroy_bytes.push_back(kept);
    growth = std::min(growth, next.heap_leaked_bytes);
    lost = std::min(lost, next.leak_count.unreachable_bytes);
    sites = std::move(next.leak_sites);
  }
  run.leak_growth_bytes_per_cycle = growth;
  run.leak_count.bytes_per_cycle = lost;
  // Every cycle lost memory again: a leak, not a one-time structure held where the scan does not
  // look (another thread's TLS, a block allocated outside the pool's calls).
  if (lost > kLeakMinBytesPerCycle) {
    run.leak_sites = std::move(sites);
    run.total.violations.Add({.kind = Violation::kLeak, .detail = lost});
    if (run.total.first_violation_s < 0) run.total.first_violation_s = run.seconds;
    run.outcome = Outcome::kViolations;
  }
  return run;
}

}  // namespace bp
