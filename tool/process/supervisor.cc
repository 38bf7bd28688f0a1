#include "tool/process/supervisor.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "tool/process/child.h"
#include "tool/process/isolate.h"
#include "tool/process/stream.h"
#include "tool/process/symbolize.h"
#include "tool/process/wire_codec.h"

namespace bp::internal {
namespace {

using Clock = std::chrono::steady_clock;

// The exit status of a Go program that panicked or hit a fatal error (runtime.exit(2)); a Go
// library in a C program (c-shared, c-archive) raises SIGABRT instead.
constexpr int kGoPanicStatus = 2;

// What the parent has heard from the child: the running state (counters of the last sample, every
// example so far), the complete result when it came, and a crash record.
struct Heard {
  std::string pending;  // bytes of an incomplete frame
  bool broken = false;  // a frame that makes no sense: the rest of the stream is ignored
  bool any_sample = false;
  LiveSample last;
  std::vector<ViolationExample> examples;
  bool run_seen = false;
  Clock::time_point run_at{};
  bool has_result = false;
  PoolRun result;
  bool crashed = false;
  CrashRecord crash{};
  std::string maps;

  void Feed(const char* p, size_t n) {
    if (broken) return;
    pending.append(p, n);
    size_t at = 0;
    while (pending.size() - at >= sizeof(FrameHeader)) {
      FrameHeader h;
      std::memcpy(&h, pending.data() + at, sizeof h);
      if (h.magic != kFrameMagic || h.length > (uint64_t{1} << 32)) {
        broken = true;
        break;
      }
      if (pending.size() - at - sizeof h < h.length) break;
      Take(h.type, std::string_view(pending).substr(at + sizeof h, h.length));
      at += sizeof h + h.length;
    }
    pending.erase(0, at);
  }

  void Take(uint32_t type, std::string_view payload) {
    switch (type) {
      case kFrameSample: {
        LiveSample s;
        if (!internal::DecodeSample(payload, &s)) {
          broken = true;
          return;
        }
        examples.insert(examples.end(), s.new_examples.begin(), s.new_examples.end());
        s.new_examples.clear();
        if (s.phase == Phase::kRun && !run_seen) {
          run_seen = true;
          run_at = Clock::now();
        }
        last = std::move(s);
        any_sample = true;
        return;
      }
      case kFrameResult:
        has_result = internal::DecodePoolRun(payload, &result);
        return;
      case kFrameCrash:
        if (payload.size() == sizeof crash) {
          std::memcpy(&crash, payload.data(), sizeof crash);
          crashed = true;
        }
        return;
      case kFrameMaps:
        if (maps.size() < (16u << 20)) maps.append(payload);
        return;
      default:
        broken = true;
    }
  }
};

PoolRun Failed(const std::string& name, const std::string& spec, Outcome outcome, int signal,
               std::string tail) {
  PoolRun run;
  run.name = name;
  run.spec = spec;
  run.outcome = outcome;
  run.signal = signal;
  run.stderr_tail = std::move(tail);
  run.phase = Phase::kCreate;
  run.pool_counters = false;
  return run;
}

// A run that did not end with a complete result: what the child said before it stopped.
PoolRun FromHeard(const std::string& name, const std::string& spec, const Heard& h, Outcome outcome,
                  int signal, std::string tail) {
  PoolRun run = Failed(name, spec, outcome, signal, std::move(tail));
  if (h.any_sample) {
    const LiveSample& s = h.last;
    run.total.ops = s.ops;
    run.total.gets = s.gets;
    run.total.puts = s.puts;
    run.total.refused = s.refused;
    run.total.handoffs = s.handoffs;
    run.total.double_puts = s.double_puts;
    for (const ViolationExample& e : h.examples) run.total.violations.Add(e);
    for (size_t k = 0; k < kViolationKinds; ++k) {
      const Violation v = static_cast<Violation>(k);
      const uint64_t have = run.total.violations.count(v);
      if (s.violations[k] > have) run.total.violations.AddCount(v, s.violations[k] - have);
    }
    if (s.stats_known) {
      run.stats = s.stats;
      run.pool_counters = true;
    }
    if (s.exact) run.outstanding = s.gets - std::min(s.gets, s.puts);
    run.phase = s.phase;
    run.seconds = s.exact      ? s.t
                  : h.run_seen ? std::chrono::duration<double>(Clock::now() - h.run_at).count()
                               : 0;
  }
  if (h.crashed && h.crash.has_counters != 0) {
    // The crash handler's reading is at least as new as the last sample: counters only grow.
    const uint64_t* c = h.crash.counters;
    run.total.ops = std::max(run.total.ops, c[0]);
    run.total.gets = std::max(run.total.gets, c[1]);
    run.total.puts = std::max(run.total.puts, c[2]);
    run.total.refused = std::max(run.total.refused, c[3]);
    run.total.handoffs = std::max(run.total.handoffs, c[4]);
    run.total.double_puts = std::max(run.total.double_puts, c[5]);
    for (size_t k = 0; k < kViolationKinds; ++k) {
      const Violation v = static_cast<Violation>(k);
      const uint64_t have = run.total.violations.count(v);
      if (c[6 + k] > have) run.total.violations.AddCount(v, c[6 + k] - have);
    }
  }
  if (h.crashed) {
    run.has_fault_address = h.crash.has_address != 0;
    run.fault_address = h.crash.address;
    run.crash_frames = ResolveFrames(h.crash, h.maps);
    if (run.signal == 0) run.signal = h.crash.signal;
  }
  return run;
}

// What the parent has of the child once it ended.
struct Supervision {
  Heard heard;
  StderrTail tail;
  int status = 0;
  bool killed = false;
};

// What the child's end says: its complete result, or the last stream state with how it ended.
PoolRun Conclude(const std::string& name, const std::string& spec, Supervision& s) {
  Heard& heard = s.heard;
  StderrTail& tail = s.tail;
  const int status = s.status;
  const bool killed = s.killed;

  const bool complete = heard.has_result;
  PoolRun& decoded = heard.result;
  // Without a complete result, the figures are the child's last live sample.
  auto partial = [&](Outcome outcome, int signal, std::string text) {
    if (!complete) return FromHeard(name, spec, heard, outcome, signal, std::move(text));
    PoolRun run = decoded;
    run.outcome = outcome;
    run.signal = signal;
    run.stderr_tail = std::move(text);
    return run;
  };
  if (killed) return partial(Outcome::kHung, 0, tail.Text());
  if (tail.sanitizer()) {
    if (!complete) return partial(Outcome::kSanitizer, 0, tail.Text());
    decoded.outcome = Outcome::kSanitizer;
    decoded.stderr_tail = tail.Text();
    return decoded;
  }
  if (tail.panicked() &&
      ((WIFEXITED(status) && WEXITSTATUS(status) == kGoPanicStatus) || WIFSIGNALED(status))) {
    // A Go panic (or fatal error) is a crash like a signal: its message and the panicking
    // goroutine's frames (more telling than the runtime's own frames that raised the signal), the
    // figures up to it.
    PoolRun run =
        partial(Outcome::kCrashed, WIFSIGNALED(status) ? WTERMSIG(status) : 0, tail.PanicText());
    if (std::vector<std::string> frames = tail.PanicFrames(); !frames.empty()) {
      run.crash_frames = std::move(frames);
    }
    return run;
  }
  if (WIFSIGNALED(status)) return partial(Outcome::kCrashed, WTERMSIG(status), tail.Text());
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string text = tail.Text();
    if (WIFEXITED(status)) {
      text += "(child exited with status " + std::to_string(WEXITSTATUS(status)) +
              (complete ? ")\n" : " without a complete result)\n");
    }
    return partial(Outcome::kCrashed, 0, std::move(text));
  }
  if (decoded.stderr_tail.empty()) decoded.stderr_tail = tail.Text();
  return decoded;
}

}  // namespace

PoolRun Supervise(const std::string& name, const std::string& spec, const RunOptions& options,
                  const std::function<void(int, int)>& start_child) {
  Supervision supervision;
  ChildOptions child;
  // The runner in the child stops at the deadline itself: the grace is for sending the result.
  if (options.deadline.count() != 0) child.deadline = options.deadline + kIsolateGrace;
  child.interrupt = [] { return PendingSignal().load(); };
  child.grace = 2 * kIsolateGrace;
  child.record_stop_signals = true;
  child.on_result = [&](const char* p, size_t n) { supervision.heard.Feed(p, n); };
  ChildEnd end = ForkChild(child, start_child);
  if (!end.error.empty()) {
    return Failed(name, spec, Outcome::kCrashed, 0, "cannot isolate the run: " + end.error + "\n");
  }
  supervision.tail = std::move(end.tail);
  supervision.status = end.status;
  supervision.killed = end.killed;
  return Conclude(name, spec, supervision);
}

}  // namespace bp::internal
