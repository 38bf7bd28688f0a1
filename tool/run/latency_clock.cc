#include "tool/run/latency_clock.h"

#include <thread>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace bp {
namespace {

bool InvariantTsc() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007u) return false;
  if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (edx & (1u << 8)) != 0;
#else
  return false;
#endif
}

double Calibrate() {
  if (!LatencyClock::UsesTsc()) return 1.0;
  using Steady = std::chrono::steady_clock;
  const Steady::time_point t0 = Steady::now();
  const uint64_t c0 = LatencyClock::Now();
  std::this_thread::sleep_for(LatencyClock::kCalibration);
  const uint64_t c1 = LatencyClock::Now();
  const double ns = std::chrono::duration<double, std::nano>(Steady::now() - t0).count();
  return c1 > c0 ? ns / static_cast<double>(c1 - c0) : 1.0;
}

}  // namespace

const bool LatencyClock::tsc_ = InvariantTsc();

bool LatencyClock::UsesTsc() { return tsc_; }

double LatencyClock::NsPerTick() {
  static const double ns_per_tick = Calibrate();
  return ns_per_tick;
}

double LatencyClock::ResolutionNs() {
  static const double resolution = [] {
    uint64_t step = 0;
    uint64_t last = Now();
    for (int i = 0; i < 10000; ++i) {
      const uint64_t now = Now();
      if (now > last && (step == 0 || now - last < step)) step = now - last;
      last = now;
    }
    return static_cast<double>(step == 0 ? 1 : step) * NsPerTick();
  }();
  return resolution;
}

}  // namespace bp
