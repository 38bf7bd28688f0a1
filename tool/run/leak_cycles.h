// Leaks told apart from caches: what a pool's own calls left allocated after destroy, counted
// (tool/run/alloc_track.h), over more than one create-run-destroy life when needed.
//
// The evidence is exact: every allocation made inside the pool's create/get/put/destroy is
// recorded with its call site and struck off when it is freed (by any thread, at any time). Heap
// totals are not evidence — the C library's per-thread caches and arenas, the harness's own
// buffers (the json workload's scratch) and other threads move them — and are kept as a figure
// only (heap_after_destroy_bytes, leak_growth_bytes_per_cycle). So:
//   cycle 1 is the measured run (its figures are the report's). What its calls left allocated after
//   destroy (leak_count.residue_*) is either kept on purpose — a cache, reachable from the pool's
//   globals (a thread-caching allocator under the pool) — or lost: unreachable, no global of any
//   loaded module pointing into it directly or through other residue blocks
//   (leak_count.unreachable_*). When nothing is unreachable there is no leak and nothing more
//   runs. Otherwise kLeakExtraCycles more cycles run, each doing half the first cycle's ops
//   (counted, not timed: a loss per op shows the same on a loaded machine), with the same options
//   otherwise and no live samples; a leak (Violation::kLeak, detail = bytes) when every one of
//   them loses more than kLeakMinBytesPerCycle again: leak_count.bytes_per_cycle = the smallest
//   unreachable residue of the extra cycles, leak_sites = the last cycle's sites of it. A one-time
//   structure held where the scan does not look (a thread's TLS, memory allocated outside the
//   pool's calls) is lost once, not in every cycle.
// Buffers never put back are a leak in any case (RunPool's outstanding check).
//
// Thread safety: call from the controlling thread; `once` starts and joins its own threads.
#pragma once

#include <chrono>
#include <functional>

#include "tool/run/runner.h"

namespace bp {

inline constexpr unsigned kLeakExtraCycles = 2;
// A loss below this per extra cycle is not called a leak: a third-party allocator's bookkeeping
// held where the scan does not look (GLib 2.74's slice allocator leaves 1-15 KiB per cycle that no
// global reaches at 128 threads) is not a pool losing buffers. One lost 64 KiB buffer (with its
// header) is above it.
inline constexpr uint64_t kLeakMinBytesPerCycle = 64u << 10;

// Runs once(options) — one create-run-destroy cycle, e.g. RunPlugin or RunSpec — as above.
PoolRun RunLeakCycles(const std::function<PoolRun(const RunOptions&)>& once,
                      const RunOptions& options);

}  // namespace bp
