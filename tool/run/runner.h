// The stress runner: N threads hammer one pool with sizes from a distribution, with the detectors
// of tool/run/checks.h chosen before the loop starts.
//
// One op = sample n, Get(n), check (capacity, emptiness, ownership), touch (write a pattern), then
// either Put at once or hold (K buffers per thread, released oldest first) and release — locally
// or, with probability cross_thread, through a lock-free hand-off to another thread, which checks
// the pattern and puts it back. Threads start together on a latch; a controller thread (the caller)
// stops them on duration, op count, signal, RSS cap or deadline.
//
// The loop (Loop::RunLoop) is templated on the pool type and on the check level, so checks that are
// off are not compiled in: no virtual call, no allocation, no lock of the runner's own in the loop
// (the ownership registry's shard lock is the one exception, and only with --checks full).
// Per-thread state sits in its own cache lines and is merged after join.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pool/pool.h"
#include "tool/run/checks.h"
#include "tool/run/dist.h"
#include "tool/run/histogram.h"

namespace bp {

enum class Touch : uint8_t { kNone, kHead, kFull, kEnds };
enum class CheckLevel : uint8_t { kNone, kBasic, kFull };
// bytes: a pattern of n bytes; json: a JSON array of integers of about n bytes (bp::JsonWriter).
enum class Workload : uint8_t { kBytes, kJson };
enum class StopReason : uint8_t { kDuration, kOps, kSignal, kMaxRss, kDeadline };
const char* TouchName(Touch t);
const char* WorkloadName(Workload w);
const char* CheckLevelName(CheckLevel c);
const char* StopReasonName(StopReason s);

// Bytes written by --touch head, and at each end of the n bytes asked for by --touch ends (the
// write past what a pool really allocated when it claims more capacity than it has).
inline constexpr size_t kHeadBytes = 64;
// --touch full writes at most this much per op: a larger buffer is touched at its ends, so that
// sizes of gigabytes (--dist edges) cost two cache lines, not their size in page faults.
inline constexpr uint64_t kFullTouchLimit = uint64_t{64} << 20;

struct RunOptions {
  unsigned threads = 1;
  std::chrono::nanoseconds duration = std::chrono::seconds(2);
  uint64_t ops_per_thread = 0;  // non-zero: each thread stops after this many ops (no duration)
  uint64_t seed = 0;
  unsigned hold = 0;
  double cross_thread = 0;
  Touch touch = Touch::kFull;
  Workload workload = Workload::kBytes;
  CheckLevel checks = CheckLevel::kFull;
  uint64_t max_rss_bytes = 0;            // 0: no cap
  std::chrono::nanoseconds deadline{0};  // per pool; 0: no watchdog
  unsigned latency_sample_shift = 6;     // time one op in 2^shift
  // Finding bugs (README "Finding bugs"): interruptions per second over all workers (0: off), a
  // fresh thread per worker every `churn` ops (0: off), and the share of puts the harness repeats
  // as a buggy caller would (--misuse double-put; 0: off).
  double preempt_rate = 0;
  uint64_t churn = 0;
  double double_put_rate = 0;
  // Called from the controller thread about every 100 ms with (ops so far, seconds so far).
  std::function<void(uint64_t, double)> on_progress;
};

// What one thread did; merged into the pool's totals after join.
struct alignas(64) ThreadResult {
  uint64_t ops = 0;  // Get calls made
  uint64_t gets = 0;
  uint64_t puts = 0;
  uint64_t refused = 0;   // Get returned nullptr
  uint64_t handoffs = 0;  // buffers released through another thread
  uint64_t bytes_requested = 0;
  uint64_t bytes_capacity = 0;
  double seconds = 0;
  // Finding bugs: signals handled (total only), threads that ran this worker, puts repeated on
  // purpose (--misuse double-put), hand-outs of a double-put item to two holders at once, and
  // other findings on double-put items (corruption, not_empty), kept out of `violations`.
  uint64_t preemptions = 0;
  uint64_t thread_starts = 0;
  uint64_t double_puts = 0;
  uint64_t double_put_accepted = 0;
  uint64_t double_put_side_effects = 0;
  double first_violation_s = -1;  // seconds from the start to the first violation; < 0: none
  std::array<uint64_t, 65> capacity_log2{};  // [i]: capacity in (2^(i-1), 2^i]; [0]: capacity 0
  Histogram latency;
  Violations violations;

  void Merge(const ThreadResult& other);
};

// kCrashed (a signal) and kSanitizer (a sanitizer report) come from isolated child processes.
enum class Outcome : uint8_t {
  kOk,
  kViolations,
  kHung,
  kInterrupted,
  kLimit,
  kCrashed,
  kSanitizer
};
const char* OutcomeName(Outcome o);

struct PoolRun {
  std::string name;                 // registry name (or plugin name)
  std::string spec;                 // canonical spec with every option
  std::string allocator = "glibc";  // the general-purpose allocator the process ran on
  PoolTraits traits{};
  bool pool_counters = true;  // the pool keeps hits/misses/drops (plugins may not)
  Outcome outcome = Outcome::kOk;
  StopReason stop_reason = StopReason::kDuration;
  double seconds = 0;
  PoolStats stats;  // the pool's own counters at the end
  ThreadResult total;
  std::vector<ThreadResult> threads;
  uint64_t outstanding = 0;  // got and not put at the end
  uint64_t peak_rss_bytes = 0;
  uint64_t heap_leaked_bytes = 0;  // heap not returned once the pool was destroyed
  // Isolated runs only: the signal that ended the child (0 if none) and its last stderr lines.
  int signal = 0;
  std::string stderr_tail;
};

// Stop requests from outside the run (SIGINT/SIGTERM): set from a signal handler.
std::atomic<int>& PendingSignal();
// Installs the SIGINT/SIGTERM handlers that set PendingSignal().
void InstallSignalHandlers();

// Heap growth below this is noise (allocator caches, thread bookkeeping), above it a leak.
inline constexpr uint64_t kLeakThresholdBytes = 4u << 20;

// Runs `make_pool()` (returning std::unique_ptr<P>) under `options`. Defined in runner_impl.h,
// which only tool/run/dispatch.cc and tool/run/plugin_run.cc include, so each pool type's loop is
// compiled once per check level.
template <class P, class MakePool>
PoolRun RunPool(MakePool&& make_pool, const Distribution& dist, const RunOptions& options);

}  // namespace bp
