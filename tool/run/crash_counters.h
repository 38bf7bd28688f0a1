// The running pool's counters as a crash handler can read them. A crash in the pool can come
// within microseconds of the harness's first double put or the first double hand-out, before the
// controller's next live sample (5 ms rounds) leaves the process; the crash handler then reads
// what every worker last published (LiveCounters, at ops 1, 2, 4, ... 1024 and every 1024 ops
// after, and at once after a double put) and sends it with the crash record.
//
// RunPool registers its workers' counters for the life of the run (CrashCountersScope) and clears
// them before they are freed. ReadCrashCounters is async-signal-safe: atomic loads only, no lock,
// no allocation. The sum may mix two publications of a worker that was publishing when the
// process crashed; each field is still one that worker published.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tool/run/checks.h"

namespace bp {

namespace internal {
struct LiveCounters;
}

// ops, gets, puts, refused, handoffs, double_puts, then the violation counts by kind.
inline constexpr size_t kCrashCounterFields = 6 + kViolationKinds;

// Registers `n` workers' counters (nullptr, 0 clears). One run at a time per process.
void SetCrashCounters(const internal::LiveCounters* const* counters, size_t n);

// Async-signal-safe. The sums into out[0..kCrashCounterFields); false (out untouched) when no
// run is registered.
bool ReadCrashCounters(uint64_t* out);

}  // namespace bp
