// bp::LatencyClock: ticks convert to nanoseconds that agree with steady_clock, and a reading
// from the future (another core's skew) gives an elapsed time of 0, not 2^64 - skew.
#include "tool/run/latency_clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace bp {
namespace {

TEST(LatencyClock, TicksConvertToNanosecondsOfSteadyClock) {
  const double ns_per_tick = LatencyClock::NsPerTick();
  ASSERT_GT(ns_per_tick, 0.0);
  if (!LatencyClock::UsesTsc()) {
    EXPECT_EQ(ns_per_tick, 1.0);
  }
  // A sleep lasts at least what was asked; measured in ticks it must come out at least as long
  // (with 5% for the calibration's error) and not absurdly longer.
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = LatencyClock::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const double ticks_ns = static_cast<double>(LatencyClock::Elapsed(c0)) * ns_per_tick;
  const double steady_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(ticks_ns, 30e6 * 0.95);
  EXPECT_LE(ticks_ns, steady_ns * 1.05 + 1e6);
}

TEST(LatencyClock, ElapsedNeverWrapsBelowZero) {
  const uint64_t later = LatencyClock::Now() + (uint64_t{1} << 62);
  EXPECT_EQ(LatencyClock::Elapsed(later), 0u);
}

}  // namespace
}  // namespace bp
