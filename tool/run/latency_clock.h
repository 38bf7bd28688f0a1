// bp::LatencyClock — the clock the stress loop times sampled get+put pairs with.
//
// Where the CPU has an invariant time-stamp counter (x86-64 with CPUID 0x80000007 EDX bit 8: the
// TSC ticks at a constant rate in every power state), Now() is one rdtsc: about 11 ns on the
// 2-core machines bpstress is tested on, against 26 ns for steady_clock (clock_gettime through the
// vDSO). A timed op reads the clock four times, so at the default one op in 64 this is the
// difference between 0.7 and 1.6 ns on every op of the harness floor. Elsewhere Now() is
// steady_clock in nanoseconds.
//
// Ticks become nanoseconds with NsPerTick(), measured once per process (the first call blocks for
// kCalibration) against steady_clock. Differences of two readings on different cores may be off
// by the cores' TSC skew; Elapsed() clamps a negative difference to 0.
//
// Thread safety: all functions may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace bp {

class LatencyClock {
 public:
  static constexpr std::chrono::milliseconds kCalibration{10};

  // True when Now() reads the TSC.
  static bool UsesTsc();
  static uint64_t Now() {
#if defined(__x86_64__)
    if (tsc_) return __rdtsc();
#endif
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  static uint64_t Elapsed(uint64_t since) {
    const uint64_t now = Now();
    return now > since ? now - since : 0;
  }
  // Nanoseconds per tick (1 without a TSC). The first call calibrates.
  static double NsPerTick();
  // The clock's step in nanoseconds: the smallest non-zero difference of two readings in a row
  // (measured once; a virtualised TSC may advance in steps of tens of ticks). Latencies are
  // multiples of it, so two runs of one binary differ in their percentiles by whole steps.
  static double ResolutionNs();

 private:
  static const bool tsc_;
};

}  // namespace bp
