#include "tool/run/crash_counters.h"

#include <atomic>

#include "tool/run/runner_impl.h"

namespace bp {
namespace {

std::atomic<const internal::LiveCounters* const*> g_counters{nullptr};
std::atomic<size_t> g_count{0};

}  // namespace

void SetCrashCounters(const internal::LiveCounters* const* counters, size_t n) {
  // Cleared count first, so a reader never pairs an old count with a new (shorter) array.
  g_count.store(0, std::memory_order_release);
  g_counters.store(counters, std::memory_order_release);
  g_count.store(counters != nullptr ? n : 0, std::memory_order_release);
}

bool ReadCrashCounters(uint64_t* out) {
  const size_t n = g_count.load(std::memory_order_acquire);
  const internal::LiveCounters* const* counters = g_counters.load(std::memory_order_acquire);
  if (counters == nullptr || n == 0) return false;
  for (size_t f = 0; f < kCrashCounterFields; ++f) out[f] = 0;
  for (size_t i = 0; i < n; ++i) {
    const internal::LiveCounters& c = *counters[i];
    out[0] += c.ops.load(std::memory_order_relaxed);
    out[1] += c.gets.load(std::memory_order_relaxed);
    out[2] += c.puts.load(std::memory_order_relaxed);
    out[3] += c.refused.load(std::memory_order_relaxed);
    out[4] += c.handoffs.load(std::memory_order_relaxed);
    out[5] += c.double_puts.load(std::memory_order_relaxed);
    for (size_t k = 0; k < kViolationKinds; ++k) {
      out[6 + k] += c.violations[k].load(std::memory_order_relaxed);
    }
  }
  return true;
}

}  // namespace bp
