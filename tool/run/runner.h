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
#include "tool/run/vocabulary.h"

namespace bp {

// Touch, CheckLevel, Workload, Phase and Outcome, with their names: tool/run/vocabulary.h.
enum class StopReason : uint8_t { kDuration, kOps, kSignal, kMaxRss, kDeadline };
const char* StopReasonName(StopReason s);

// Bytes written by --touch head, and at each end of the n bytes asked for by --touch ends (the
// write past what a pool really allocated when it claims more capacity than it has).
inline constexpr size_t kHeadBytes = 64;
// --touch full writes at most this much per op: a larger buffer is touched at its ends, so that
// sizes of gigabytes (--dist edges) cost two cache lines, not their size in page faults.
inline constexpr uint64_t kFullTouchLimit = uint64_t{64} << 20;

// "SIGSEGV" for 11; "signal N" for a number without a name.
std::string SignalName(int sig);

// A live reading of a run, over all workers, delivered to RunOptions::on_sample from the
// controller thread: at each phase change and every sample_interval while the workers run.
//
// During the run the counters are what the workers last published (each worker publishes every
// kLivePublishOps ops and when its loop ends), so they trail the truth by at most
// threads * kLivePublishOps ops and never run ahead of it; each worker's share is one whole batch,
// so gets + refused == ops in every sample (puts may lead gets briefly: a buffer handed to another
// thread is put there, and that thread may have published more recently). From the first sample
// with `exact` set (phase drain, after every worker has joined) they are the final totals: equal to
// the PoolRun's total, violations included (leak findings are added by the sample of phase
// destroy/done that follows the heap reading).
struct LiveSample {
  Phase phase = Phase::kCreate;
  double t = 0;        // seconds since the workers started (0 before)
  bool exact = false;  // every worker has joined: the counters are final
  uint64_t ops = 0;    // Get calls made
  uint64_t gets = 0;   // Gets that returned a buffer
  uint64_t puts = 0;
  uint64_t refused = 0;  // Get returned nullptr
  uint64_t handoffs = 0;
  uint64_t double_puts = 0;  // --misuse double-put: items put twice so far (out at once)
  // The pool's own counters (hits/misses/...): read only once the workers have joined
  // (stats_known), since reading them mid-run would call into the pool from another thread.
  bool stats_known = false;
  PoolStats stats{};
  std::array<uint64_t, kViolationKinds> violations{};  // counts per kind so far
  // Examples found since the previous sample, in the order the controller saw them; at most
  // Violations::kMaxExamples per kind over the whole run (the ones the final result keeps may
  // differ when several workers found the same kind at once).
  std::vector<ViolationExample> new_examples;
  // Room for more readings (RSS, bytes retained by the pool, buffers outstanding): add them here
  // and fill them in internal::RunController::Fill (runner_impl.h).
  uint64_t rss_bytes = 0;       // resident set size of the process now
  uint64_t retained_bytes = 0;  // the pool's Stats().retained_bytes (any thread may read it)
  uint64_t outstanding = 0;     // gets - puts so far: buffers held or in hand-off
};

// One point of a pool's timeline (the report's "timeline"): the run seen every sample_interval.
// Counters are cumulative; ops_per_s is the rate over the interval since the previous point.
struct TimelineSample {
  double t = 0;  // seconds since the workers started
  double ops_per_s = 0;
  uint64_t ops = 0;
  uint64_t rss_bytes = 0;
  uint64_t retained_bytes = 0;
  uint64_t outstanding = 0;
  uint64_t violations = 0;  // failure-kind findings so far
  bool operator==(const TimelineSample&) const = default;
};

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
  // Run the pool this long first, unmeasured (a separate run of the same job: caches, allocator
  // arenas and CPU frequency settle). A warmup that fails is reported instead of the run.
  std::chrono::nanoseconds warmup{0};
  // Pin worker i to the i-th (mod count) CPU of the process's affinity mask (sched_getaffinity).
  bool pin = false;
  // Finding bugs (README "Finding bugs"): interruptions per second over all workers (0: off), a
  // fresh thread per worker every `churn` ops (0: off), and the share of puts the harness repeats
  // as a buggy caller would (--misuse double-put; 0: off).
  double preempt_rate = 0;
  uint64_t churn = 0;
  double double_put_rate = 0;
  // --profile hunt (the default): before each pool is measured, a hunt phase of hunt_share of its
  // duration runs it with nothing written (--touch none: ops as short as the pool allows) and
  // preemption at hunt_rate, so a race window of a few instructions is hit; the measured run that
  // follows injects nothing. 0: no hunt phase. Run by tool/cli/run_command.cc; RunPool ignores it.
  double hunt_rate = 0;
  double hunt_share = 0.3;
  // Stop the run at its first violation (the hunt phase, --stop-on-violation): a hunt needs the
  // finding, not the rest of the duration.
  bool stop_on_violation = false;
  // Called from the controller thread about every 100 ms with (ops so far, seconds so far).
  std::function<void(uint64_t, double)> on_progress;
  // Live readings (see LiveSample), from the controller thread: every sample_interval while the
  // workers run, and at each phase change. Empty: no sampling cost beyond the workers' batched
  // stores.
  std::chrono::nanoseconds sample_interval{std::chrono::milliseconds(100)};
  std::function<void(const LiveSample&)> on_sample;
  // 1: counted blocks that the pool's calls left allocated and unreachable after destroy are a
  // leak. More: the caller runs the pool's life several times and judges what each cycle leaves
  // (RunLeakCycles in tool/run/leak_cycles.h); RunPool then only measures.
  unsigned leak_cycles = 1;
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
  bool operator==(const ThreadResult&) const = default;
};

// One allocation site of a leak: where, and what it left allocated after destroy.
struct LeakSite {
  bool operator==(const LeakSite&) const = default;
  std::string where;
  uint64_t bytes = 0;
  uint64_t blocks = 0;
};
inline constexpr size_t kLeakSitesKept = 5;

// How MergeRepeats (tool/report/report.h) combines one PoolRun field over a pool's repeats. Each
// field of PoolRun::Fields names one; a field listed without a rule does not compile.
namespace merge {
struct First {};      // the pool's identity, the same in every repeat: the first repeat's
struct Worst {};      // how the run ended: the worst repeat's (a partial outcome, then findings)
struct Sum {};        // counts and seconds: summed
struct Max {};        // peaks: the largest
struct PerRepeat {};  // not merged: each repeat keeps its own (Report::repeats); empty when merged
struct Own {};        // the type's own rule: MergeRepeat(T& into, const T& repeat) in report.cc
}  // namespace merge

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
  // Points every sample_interval while the workers ran, the last one at the end with the totals.
  std::vector<TimelineSample> timeline;
  // Isolated runs only: the signal that ended the child (0 if none) and its last stderr lines.
  int signal = 0;
  std::string stderr_tail;
  // Where the pool's life ended: kDone for a run that completed, else the phase a crash, hang or
  // sanitizer report happened in (isolated runs; from the child's last live sample).
  Phase phase = Phase::kDone;
  // A crash's details, from the child's signal handler: the faulting address (SIGSEGV/SIGBUS)
  // and the crashing thread's stack, one "module+0xOFFSET[ symbol (file:line)]" per frame.
  bool has_fault_address = false;
  uint64_t fault_address = 0;
  std::vector<std::string> crash_frames;
  // The leak measure over several create-run-destroy cycles (RunLeakCycles): the heap still in
  // use after each cycle's destroy, relative to before the first create, and the smallest growth
  // from one cycle to the next (a leak grows every cycle; a cache stops growing). Empty / 0 when
  // only one cycle ran.
  std::vector<uint64_t> heap_after_destroy_bytes;
  uint64_t leak_growth_bytes_per_cycle = 0;
  // The hunt phase that ran before the measured run (RunOptions::hunt_rate). `found`: it found
  // something, and this PoolRun is the hunt phase's own result (its figures were made with
  // --touch none under preemption), reported in place of the measured run.
  struct HuntPhase {
    bool ran = false;
    bool found = false;
    double seconds = 0;
    uint64_t ops = 0;
    uint64_t preemptions = 0;
    double preempt_rate = 0;
    bool operator==(const HuntPhase&) const = default;
  } hunt;
  // Leak evidence (tool/run/alloc_track.h), counted with --checks basic or full: the bytes and
  // blocks that the pool's own calls (create, get, put, destroy) allocated in this cycle and had
  // not freed when destroy returned (residue), and of those the ones no global of any loaded
  // module reaches (unreachable: lost, not cached). With several cycles (RunLeakCycles) these
  // are cycle 1's, and bytes_per_cycle is the smallest unreachable residue of the extra cycles
  // (0 when none ran).
  struct LeakCount {
    bool operator==(const LeakCount&) const = default;
    bool counted = false;
    uint64_t residue_bytes = 0;
    uint64_t residue_blocks = 0;
    uint64_t unreachable_bytes = 0;
    uint64_t unreachable_blocks = 0;
    uint64_t bytes_per_cycle = 0;
  } leak_count;
  // Where the residue was allocated, largest first (at most kLeakSitesKept): the sites of the last
  // cycle that ran, described in the process that ran it ("module+0xOFFSET symbol").
  std::vector<LeakSite> leak_sites;
  // The warmup run (RunOptions::warmup). `found`: it found something, and this PoolRun is the
  // warmup's own result: a pool that fails its warmup is not measured.
  struct WarmupPhase {
    bool operator==(const WarmupPhase&) const = default;
    bool ran = false;
    bool found = false;
    double seconds = 0;
    uint64_t ops = 0;
  } warmup;

  bool operator==(const PoolRun&) const = default;

  // The one list of the fields above, each once with its merge rule, in declaration order:
  // v(name, &PoolRun::field, merge::Rule{}). The isolation codec (tool/process/wire_codec.cc) sends
  // them in this order and MergeRepeats applies the rules; a static_assert below checks that the
  // list has as many entries as the struct has members. Adding a field: the member, one line here.
  template <class Visit>
  static constexpr void Fields(Visit&& v) {
    v("name", &PoolRun::name, merge::First{});
    v("spec", &PoolRun::spec, merge::First{});
    v("allocator", &PoolRun::allocator, merge::First{});
    v("traits", &PoolRun::traits, merge::First{});
    v("pool_counters", &PoolRun::pool_counters, merge::First{});
    v("outcome", &PoolRun::outcome, merge::Worst{});
    v("stop_reason", &PoolRun::stop_reason, merge::Worst{});
    v("seconds", &PoolRun::seconds, merge::Sum{});
    v("stats", &PoolRun::stats, merge::Own{});      // counters summed, retained the last, peak max
    v("total", &PoolRun::total, merge::Own{});      // ThreadResult::Merge, seconds summed
    v("threads", &PoolRun::threads, merge::Own{});  // thread i of every repeat, as total
    v("outstanding", &PoolRun::outstanding, merge::Sum{});
    v("peak_rss_bytes", &PoolRun::peak_rss_bytes, merge::Max{});
    v("heap_leaked_bytes", &PoolRun::heap_leaked_bytes, merge::Max{});
    v("timeline", &PoolRun::timeline, merge::PerRepeat{});
    v("signal", &PoolRun::signal, merge::Worst{});
    v("stderr_tail", &PoolRun::stderr_tail, merge::Worst{});
    v("phase", &PoolRun::phase, merge::Worst{});
    v("has_fault_address", &PoolRun::has_fault_address, merge::Worst{});
    v("fault_address", &PoolRun::fault_address, merge::Worst{});
    v("crash_frames", &PoolRun::crash_frames, merge::Worst{});
    v("heap_after_destroy_bytes", &PoolRun::heap_after_destroy_bytes, merge::Worst{});
    v("leak_growth_bytes_per_cycle", &PoolRun::leak_growth_bytes_per_cycle, merge::Worst{});
    v("hunt", &PoolRun::hunt, merge::Own{});  // ran/found by any repeat, time and counts summed
    v("leak_count", &PoolRun::leak_count, merge::Worst{});
    v("leak_sites", &PoolRun::leak_sites, merge::Worst{});
    v("warmup", &PoolRun::warmup, merge::Worst{});
  }
};

namespace internal {
// Counts the members of an aggregate: the most initializers T{...} accepts (each AnyField converts
// to any member type, so none is taken for a nested aggregate's first member).
struct AnyField {
  template <class T>
  operator T() const;  // declared only: used in unevaluated braced initializers
};
template <class T, class... A>
consteval size_t CountMembers() {
  if constexpr (requires { T{A{}..., AnyField{}}; }) {
    return CountMembers<T, A..., AnyField>();
  } else {
    return sizeof...(A);
  }
}
consteval size_t CountListedFields() {
  size_t n = 0;
  PoolRun::Fields([&n](const char*, auto, auto) { ++n; });
  return n;
}
}  // namespace internal
static_assert(internal::CountMembers<PoolRun>() == internal::CountListedFields(),
              "every PoolRun member is listed once in PoolRun::Fields, with its merge rule");

// Stop requests from outside the run (SIGINT/SIGTERM): set from a signal handler.
std::atomic<int>& PendingSignal();
// Installs the SIGINT/SIGTERM handlers that set PendingSignal().
void InstallSignalHandlers();

// Workers publish their counters for LiveSample once every this many ops (a power of two).
inline constexpr uint64_t kLivePublishOps = 1024;

// Runs `make_pool()` (returning std::unique_ptr<P>) under `options`. Defined in runner_impl.h,
// which only tool/run/run_spec_{correct,faulty}.cc and tool/run/plugin_run.cc include, so each pool
// type's loop is compiled once per check level.
template <class P, class MakePool>
PoolRun RunPool(MakePool&& make_pool, const Distribution& dist, const RunOptions& options);

}  // namespace bp
