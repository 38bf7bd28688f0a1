#include "tool/run/runner.h"

#include <string.h>

#include <csignal>

namespace bp {

const char* StopReasonName(StopReason s) {
  switch (s) {
    case StopReason::kDuration:
      return "duration";
    case StopReason::kOps:
      return "ops";
    case StopReason::kSignal:
      return "signal";
    case StopReason::kMaxRss:
      return "max_rss";
    case StopReason::kDeadline:
      return "deadline";
  }
  return "?";
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

void ThreadResult::Merge(const ThreadResult& other) {
  ops += other.ops;
  gets += other.gets;
  puts += other.puts;
  refused += other.refused;
  handoffs += other.handoffs;
  bytes_requested += other.bytes_requested;
  bytes_capacity += other.bytes_capacity;
  seconds = std::max(seconds, other.seconds);
  preemptions += other.preemptions;
  thread_starts += other.thread_starts;
  double_puts += other.double_puts;
  double_put_accepted += other.double_put_accepted;
  double_put_side_effects += other.double_put_side_effects;
  if (other.first_violation_s >= 0 &&
      (first_violation_s < 0 || other.first_violation_s < first_violation_s)) {
    first_violation_s = other.first_violation_s;
  }
  for (size_t i = 0; i < capacity_log2.size(); ++i) capacity_log2[i] += other.capacity_log2[i];
  latency.Merge(other.latency);
  violations.Merge(other.violations);
}

std::atomic<int>& PendingSignal() {
  static std::atomic<int> pending{0};
  static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");
  return pending;
}

namespace {
extern "C" void OnStopSignal(int sig) { PendingSignal().store(sig); }
}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sa.sa_flags = SA_ONSTACK;  // it may run on a thread of a plugin's runtime (signals.h)
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace bp
