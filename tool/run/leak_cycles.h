// Leaks told apart from caches: a pool's create-run-destroy life run more than once.
//
// One reading of the heap after destroy cannot tell memory lost from memory kept on purpose: a
// thread-caching allocator keeps its per-thread magazines and slabs after the pool object is
// gone, and at 64 threads they weigh megabytes. What tells them apart is the next cycle: a cache
// is reused (the heap after the second destroy is where it was after the first), a leak grows
// again with every cycle. So:
//   cycle 1 is the measured run (its figures are the report's); when the heap it left behind
//   exceeds kLeakFloorBytes, kLeakExtraCycles more cycles run, each doing half the
//   first cycle's ops (counted, not timed: a loss per op shows the same on a loaded machine),
//   with the same options otherwise and no live samples;
//   heap_after_destroy_bytes[i] = heap in use after cycle i's destroy minus before cycle 1's
//   create; leak_growth_bytes_per_cycle = the smallest increase from one cycle to the next;
//   a leak (Violation::kLeak, detail = the growth) when that growth exceeds
//   kLeakGrowthThresholdBytes: every cycle lost memory again.
// Buffers never put back are a leak in any case (RunPool's outstanding check).
//
// Thread safety: call from the controlling thread; `once` starts and joins its own threads.
#pragma once

#include <chrono>
#include <functional>

#include "tool/run/runner.h"

namespace bp {

inline constexpr uint64_t kLeakFloorBytes = 64u << 10;
inline constexpr uint64_t kLeakGrowthThresholdBytes = 64u << 10;
inline constexpr unsigned kLeakExtraCycles = 2;

// Runs once(options) — one create-run-destroy cycle, e.g. RunPlugin or RunSpec — as above.
PoolRun RunLeakCycles(const std::function<PoolRun(const RunOptions&)>& once,
                      const RunOptions& options);

}  // namespace bp
