#include "tool/cli/run_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "base/units.h"
#include "build_info.h"
#include "pool/registry.h"
#include "tool/cli/reproduce.h"
#include "tool/process/allocator.h"
#include "tool/process/isolate.h"
#include "tool/process/plugin_probe.h"
#include "tool/report/report.h"
#include "tool/run/leak_cycles.h"
#include "tool/run/plugin_run.h"
#include "tool/run/preempt.h"
#include "tool/run/run_spec.h"
#include "tool/util/exit_codes.h"
#include "tool/util/output_file.h"
#include "tool/util/stats.h"
#include "tool/util/sysinfo.h"
#include "tool/util/text_format.h"

namespace bp {
namespace {

// Bytes written and checked per op (--touch full --checks full) from which the harness, not the
// pool, took most of an op's time: at 4 KiB 87% of sized's and 56% of malloc's, at 32 KiB 98% and
// 91% (2 threads, README "Reading the table"); at 64 B malloc's own cost was the larger half.
constexpr double kHarnessDominatesBytes = 4096;

// What the run injected (README "Finding bugs"), under the table: ops/s measured under
// injection are no clean benchmark, and the reader must see that.
// A pool's name in the table and the lines under it: with --allocator the same pool runs once per
// allocator, so the allocator is part of the name.
std::string RowName(const PoolRun& p, bool show_allocator) {
  return show_allocator ? p.name + "@" + p.allocator : p.name;
}

// Under the table: a leak finding's evidence — bytes per cycle and where they were allocated.
void PrintLeakEvidence(const Report& report, bool show_allocator, FILE* out) {
  for (const PoolRun& p : report.pools) {
    if (p.total.violations.count(Violation::kLeak) == 0) continue;
    if (p.leak_count.bytes_per_cycle != 0) {
      std::fprintf(out, "  %s: leak: %s per cycle allocated in the pool's calls and never freed\n",
                   RowName(p, show_allocator).c_str(),
                   FormatBytes(p.leak_count.bytes_per_cycle).c_str());
    } else if (p.outstanding != 0) {
      std::fprintf(out, "  %s: leak: %llu buffers never put back\n",
                   RowName(p, show_allocator).c_str(),
                   static_cast<unsigned long long>(p.outstanding));
    }
    for (const LeakSite& s : p.leak_sites) {
      std::fprintf(out, "    %s in %llu blocks at %s\n", FormatBytes(s.bytes).c_str(),
                   static_cast<unsigned long long>(s.blocks), s.where.c_str());
    }
  }
}

void PrintInjected(const Report& report, bool show_allocator, FILE* out) {
  const RunOptions& o = report.options;
  if (std::any_of(report.pools.begin(), report.pools.end(),
                  [](const PoolRun& p) { return p.hunt.ran; })) {
    std::fprintf(out,
                 "profile hunt: each pool first hunted bugs for %.0f%% of its time (--touch none, "
                 "--preempt %s/s), then was measured with nothing injected (--profile bench: "
                 "measurement only)\n",
                 100 * o.hunt_share, RunRate(o.hunt_rate).c_str());
    for (const PoolRun& p : report.pools) {
      if (!p.hunt.ran) continue;
      std::fprintf(out, "  %s: hunt phase %.2fs, %s ops, %llu preemptions%s\n",
                   RowName(p, show_allocator).c_str(), p.hunt.seconds,
                   RunRate(static_cast<double>(p.hunt.ops)).c_str(),
                   static_cast<unsigned long long>(p.hunt.preemptions),
                   p.hunt.found ? ": found it; the row above shows the hunt phase's figures" : "");
    }
  }
  // A warmup is never shown as the run: a finding of the warmup says so.
  for (const PoolRun& p : report.pools) {
    if (!p.warmup.found) continue;
    std::fprintf(out,
                 "  %s: phase: warmup; the %.2fs warmup (%s ops) found it; the row above shows "
                 "the warmup's figures; the measured run was not run\n",
                 RowName(p, show_allocator).c_str(), p.warmup.seconds,
                 RunRate(static_cast<double>(p.warmup.ops)).c_str());
  }
  PrintLeakEvidence(report, show_allocator, out);
  if (o.preempt_rate <= 0 && o.churn == 0 && o.double_put_rate <= 0) return;
  std::fprintf(out, "profile %s:", report.profile.c_str());
  if (o.preempt_rate > 0) std::fprintf(out, " --preempt %s/s", RunRate(o.preempt_rate).c_str());
  if (o.churn != 0) std::fprintf(out, " --churn %llu", static_cast<unsigned long long>(o.churn));
  if (o.double_put_rate > 0) std::fprintf(out, " --misuse double-put:%g", o.double_put_rate);
  std::fprintf(out, "; ops/s are under injection (--profile bench for a clean benchmark)\n");
  for (const PoolRun& p : report.pools) {
    const ThreadResult& t = p.total;
    std::fprintf(out, "  %s:", RowName(p, show_allocator).c_str());
    const char* sep = " ";
    if (o.preempt_rate > 0) {
      std::fprintf(out, "%s%llu preemptions", sep, static_cast<unsigned long long>(t.preemptions));
      sep = ", ";
    }
    if (o.churn != 0) {
      std::fprintf(out, "%s%llu threads", sep, static_cast<unsigned long long>(t.thread_starts));
      sep = ", ";
    }
    if (o.double_put_rate > 0) {
      std::fprintf(out, "%s%llu double puts, %llu double_put_accepted", sep,
                   static_cast<unsigned long long>(t.double_puts),
                   static_cast<unsigned long long>(t.double_put_accepted));
      if (t.double_put_side_effects != 0) {
        std::fprintf(out, " (+%llu side effects)",
                     static_cast<unsigned long long>(t.double_put_side_effects));
      }
      sep = ", ";
    }
    std::fprintf(out, "\n");
  }
}

// Under the table: where each crash happened, and the crashing thread's stack.
void PrintCrashes(const Report& report, bool show_allocator, FILE* out) {
  for (const PoolRun& p : report.pools) {
    if (p.outcome != Outcome::kCrashed) continue;
    std::string what = p.signal != 0 ? SignalName(p.signal) : "exit without a result";
    if (p.stderr_tail.rfind("panic: ", 0) == 0 || p.stderr_tail.rfind("fatal error: ", 0) == 0) {
      // A Go runtime's end (tool/process/isolate.h): its message says more than its signal.
      what = p.stderr_tail.substr(0, std::min<size_t>(p.stderr_tail.find('\n'), 160)) +
             (p.signal != 0 ? ", " + what : "");
    }
    if (p.has_fault_address) {
      char hex[32];
      std::snprintf(hex, sizeof hex, " at 0x%llx",
                    static_cast<unsigned long long>(p.fault_address));
      what += hex;
    }
    std::fprintf(out, "%s: crashed (%s) in phase %s after %.2fs; figures up to the crash\n",
                 RowName(p, show_allocator).c_str(), what.c_str(), PhaseName(p.phase), p.seconds);
    constexpr size_t kShownFrames = 12;
    for (size_t i = 0; i < p.crash_frames.size() && i < kShownFrames; ++i) {
      std::fprintf(out, "  #%zu %s\n", i, p.crash_frames[i].c_str());
    }
  }
}

// The findings of a row by kind: "double_handout 804740, leak 1"; "0" when none; the fixed pool's
// documented truncation, not a failure, after them in parentheses.
std::string FindingsCell(const ThreadResult& t) {
  std::string text;
  for (size_t k = 0; k < kViolationKinds; ++k) {
    const Violation v = static_cast<Violation>(k);
    if (!IsFailure(v) || t.violations.count(v) == 0) continue;
    text += (text.empty() ? "" : ", ") + std::string(kViolationNames[k]) + " " +
            std::to_string(t.violations.count(v));
  }
  if (text.empty()) text = "0";
  if (const uint64_t n = t.violations.count(Violation::kTruncated); n != 0) {
    text += " (+" + std::to_string(n) + " truncated)";
  }
  return text;
}

// What one example of a finding says, in words (tool/run/checks.h: ViolationExample).
std::string ExampleText(const PoolRun& p, const ViolationExample& e) {
  char where[64];
  std::snprintf(where, sizeof where, "thread %u, op %llu: ", e.thread,
                static_cast<unsigned long long>(e.op));
  char address[32];
  std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(e.address));
  const std::string n = std::to_string(e.size) + " B";
  switch (e.kind) {
    case Violation::kShortCapacity:
      return where + ("asked for " + n + ", got capacity " + std::to_string(e.capacity));
    case Violation::kNotEmpty:
      return where + ("a buffer fresh from get had len " + std::to_string(e.detail));
    case Violation::kDoubleHandout:
      return where + ("got buffer " + std::string(address) + " (" + n +
                      ") while another holder still had it");
    case Violation::kCorruption:
      return where + ("byte " + std::to_string(e.detail) + " of its " + n + " in " + address +
                      " changed before its put");
    case Violation::kLeak:
      if (p.outstanding != 0) return std::to_string(p.outstanding) + " buffers never put back";
      if (p.leak_growth_bytes_per_cycle != 0) {
        return "the heap grew by at least " + FormatBytes(p.leak_growth_bytes_per_cycle) +
               " in every create-run-destroy cycle";
      }
      return FormatBytes(p.heap_leaked_bytes) + " of heap not returned after destroy";
    case Violation::kTruncated:
    case Violation::kCount:
      break;
  }
  return where + std::string(kViolationNames[static_cast<size_t>(e.kind)]);
}

// Under the table, one line per pool with findings: when the first one happened and an example,
// so that the reader knows what was found without opening the report.
void PrintFindings(const Report& report, bool show_allocator, FILE* out) {
  for (const PoolRun& p : report.pools) {
    const Violations& v = p.total.violations;
    if (v.failures() == 0) continue;
    const ViolationExample* example = nullptr;
    for (size_t i = 0; i < v.num_examples() && example == nullptr; ++i) {
      if (IsFailure(v.example(i).kind)) example = &v.example(i);
    }
    std::string when = p.total.first_violation_s >= 0
                           ? "first violation at " + HumanNanos(p.total.first_violation_s * 1e9)
                           : std::string("found at the end of the run");
    if (p.hunt.found) when += " of the hunt phase";
    std::fprintf(out, "%s: %s", RowName(p, show_allocator).c_str(), when.c_str());
    if (example != nullptr) {
      std::fprintf(out, "; example: %s: %s", kViolationNames[static_cast<size_t>(example->kind)],
                   ExampleText(p, *example).c_str());
    }
    std::fprintf(out, "\n");
  }
}

// Bytes the harness wrote into each buffer, on average over the table's measured runs (what
// --touch writes of the n asked for; --checks reads the same bytes back at put).
double TouchedBytesPerOp(const Report& report) {
  uint64_t gets = 0, requested = 0;
  for (const PoolRun& p : report.pools) {
    if (p.hunt.found) continue;  // the hunt phase's figures: nothing was written (--touch none)
    gets += p.total.gets;
    requested += p.total.bytes_requested;
  }
  if (gets == 0) return 0;
  const double mean = static_cast<double>(requested) / static_cast<double>(gets);
  switch (report.options.touch) {
    case Touch::kNone:
      return 0;
    case Touch::kHead:
      return std::min<double>(mean, kHeadBytes);
    case Touch::kEnds:
      return std::min<double>(mean, 2 * kHeadBytes);
    case Touch::kFull:
      break;
  }
  return std::min<double>(mean, static_cast<double>(kFullTouchLimit));
}

// The footer: what the ops/s above measured besides the pools, and how to measure the pools
// alone. With --touch full --checks full from kHarnessDominatesBytes per op, the harness's writing
// and checking was most of each op's time for every pool measured (README "Reading the table").
void PrintCostFooter(const Report& report, FILE* out) {
  const RunOptions& o = report.options;
  if (o.touch == Touch::kNone && o.checks == CheckLevel::kNone) return;
  const double per_op = TouchedBytesPerOp(report);
  const std::string settings = "--touch " + std::string(TouchName(o.touch)) + " --checks " +
                               CheckLevelName(o.checks) +
                               (o.workload == Workload::kJson ? " --workload json" : "");
  const std::string bytes = FormatBytes(static_cast<uint64_t>(per_op));
  constexpr const char* kHow =
      "to rank pools by their own cost: --touch none --checks none --profile bench";
  if (o.touch == Touch::kFull && o.checks == CheckLevel::kFull &&
      per_op >= kHarnessDominatesBytes) {
    std::fprintf(out,
                 "time: the harness wrote and checked %s per op (%s); from %s per op that is "
                 "most of each op's time, not the pool's; %s\n",
                 bytes.c_str(), settings.c_str(),
                 FormatBytes(static_cast<uint64_t>(kHarnessDominatesBytes)).c_str(), kHow);
    return;
  }
  const std::string work = per_op > 0 ? ": it wrote " + bytes + " per op" : std::string();
  std::fprintf(out, "time: ops/s and latencies include the harness's own work (%s%s); %s\n",
               settings.c_str(), work.c_str(), kHow);
}

// Whether the pool's own counters (hits, misses) were read: a partial run (crash, hang, sanitizer
// report) before the drain has none, which is not the same as zero.
bool StatsKnown(const PoolRun& p) {
  return p.pool_counters && p.stats.gets != 0 &&
         (!IsPartial(p.outcome) || p.phase == Phase::kDestroy || p.phase == Phase::kDone ||
          p.phase == Phase::kDrain);
}

// A cell of the table: the figure, or "-" where the run cannot know it (no latency samples, a
// crash before the counters were read): never a zero that was not measured.
std::string Known(bool known, const std::string& text) { return known ? text : "-"; }

void PrintTable(const Report& report, bool show_allocator, FILE* out) {
  // Names left-aligned, numbers right-aligned.
  TextTable table({true, false, false, false, false, false, false, true, true, true});
  table.AddRow({"pool", "ops/s", "p50", "p99", "hit rate", "waste", "peak RSS", "findings",
                "outcome", "verdict"});
  std::set<std::string> labels;  // what "M ± H" means, with its coverage
  for (size_t i = 0; i < report.pools.size(); ++i) {
    const PoolRun& p = report.pools[i];
    const ThreadResult& t = p.total;
    const bool timed = t.latency.Count() != 0;
    std::string rate_text =
        Known(p.seconds > 0, RunRate(p.seconds > 0 ? static_cast<double>(t.ops) / p.seconds : 0));
    std::string p99_text = Known(timed, RunNanos(t.latency.Percentile(99)));
    if (i < report.repeats.size() && report.repeats[i].size() > 1) {
      // Repeats: the median and half its interval, the figures verify gates (report.h).
      const RepeatSummary rs = SummarizeRepeats(report.repeats[i]);
      const Summary &sr = rs.ops_per_s, &sp = rs.latency[2];
      if (sr.n >= 2) {
        rate_text = RunRate(sr.median) + " ± " + RunRate((sr.ci_high - sr.ci_low) / 2);
        labels.insert(IntervalLabel(sr));
      }
      if (sp.n >= 2) {
        p99_text = RunNanos(static_cast<uint64_t>(sp.median)) + " ± " +
                   RunNanos(static_cast<uint64_t>((sp.ci_high - sp.ci_low) / 2));
        labels.insert(IntervalLabel(sp));
      }
    }
    const double hit = StatsKnown(p) ? static_cast<double>(p.stats.hits) / p.stats.gets : 0;
    const double waste =
        t.bytes_capacity > t.bytes_requested
            ? static_cast<double>(t.bytes_capacity - t.bytes_requested) / t.bytes_capacity
            : 0;
    table.AddRow({RowName(p, show_allocator), rate_text,
                  Known(timed, RunNanos(t.latency.Percentile(50))), p99_text,
                  Known(StatsKnown(p), HumanPercent(hit)),
                  Known(t.bytes_capacity != 0, HumanPercent(waste)),
                  Known(p.peak_rss_bytes != 0, FormatBytes(p.peak_rss_bytes)), FindingsCell(t),
                  OutcomeName(p.outcome), PoolPassed(p) ? "pass" : "FAIL"});
  }
  std::fputs(table.Render().c_str(), out);
  PrintFindings(report, show_allocator, out);
  for (const std::string& label : labels) std::fprintf(out, "ops/s, p99: %s\n", label.c_str());
  PrintCrashes(report, show_allocator, out);
  PrintInjected(report, show_allocator, out);
  PrintCostFooter(report, out);
}

// Exit 4 says why on stderr, one line per pool that hit a limit.
void PrintLimitReasons(const Report& report) {
  for (const PoolRun& p : report.pools) {
    if (p.outcome == Outcome::kLimit) {
      std::fprintf(stderr,
                   "bpstress: %s: stopped at the --max-rss limit (%s) after %.1fs: exit 4\n",
                   p.name.c_str(), FormatBytes(report.options.max_rss_bytes).c_str(), p.seconds);
    } else if (p.outcome == Outcome::kHung) {
      std::fprintf(stderr,
                   "bpstress: %s: hung: still running at the --deadline of %.1fs (a get or put "
                   "never returned): exit 4\n",
                   p.name.c_str(), std::chrono::duration<double>(report.options.deadline).count());
    }
  }
}

int ExitCodeOf(const Report& report) {
  if (report.interrupted) return kExitInterrupted;
  bool limit = false, failed = false;
  for (const PoolRun& p : report.pools) {
    if (IsLimit(p.outcome)) limit = true;
    if (!PoolPassed(p)) failed = true;
    if (report.misuse_fails && p.total.double_put_accepted != 0) failed = true;
  }
  if (limit) return kExitLimit;
  return failed ? kExitCheckFailed : kExitOk;
}

// One pool to run: exactly one of builtin and plugin is set.
struct Job {
  std::string name;
  std::string spec;
  std::optional<PoolSpec> builtin;
  const PluginSpec* plugin = nullptr;
};

// Records the run's timeline from its live samples: a point per sample_interval while the
// workers run, and a last one with the final totals (phase done).
class TimelineRecorder {
 public:
  void Add(const LiveSample& s) {
    if (s.phase == Phase::kRun && s.t > 0) {
      Push(s, s.t);
    } else if (s.phase == Phase::kDone) {
      if (!points_.empty() && s.t <= points_.back().t) {
        // The workers' own clocks ended before the controller's last reading: the totals
        // replace that reading's counters.
        const TimelineSample last = points_.back();
        points_.pop_back();
        Push(s, last.t);
      } else {
        Push(s, s.t);
      }
    }
  }
  std::vector<TimelineSample> Take() { return std::move(points_); }

 private:
  void Push(const LiveSample& s, double t) {
    TimelineSample p;
    p.t = t;
    p.ops = s.ops;
    p.rss_bytes = s.rss_bytes;
    p.retained_bytes = s.retained_bytes;
    p.outstanding = s.outstanding;
    for (size_t k = 0; k < kViolationKinds; ++k) {
      if (IsFailure(static_cast<Violation>(k))) p.violations += s.violations[k];
    }
    const double t0 = points_.empty() ? 0 : points_.back().t;
    const uint64_t ops0 = points_.empty() ? 0 : points_.back().ops;
    p.ops_per_s = t > t0 ? static_cast<double>(p.ops - std::min(p.ops, ops0)) / (t - t0) : 0;
    points_.push_back(p);
  }
  std::vector<TimelineSample> points_;
};

PoolRun RunJobOnce(const Job& job, const Distribution& dist, const RunOptions& options) {
  RunOptions o = options;
  auto recorder = std::make_shared<TimelineRecorder>();
  o.on_sample = [recorder, next = options.on_sample](const LiveSample& s) {
    recorder->Add(s);
    if (next) next(s);
  };
  PoolRun run = RunLeakCycles(
      [&](const RunOptions& cycle) {
        return job.plugin != nullptr ? RunPlugin(*job.plugin, dist, cycle)
                                     : RunSpec(*job.builtin, dist, cycle);
      },
      o);
  run.timeline = recorder->Take();
  return run;
}

// The warmup (options.warmup, a run of its own) and then the measured run, in the process that
// runs the job (an isolated child has its own caches to warm). A warmup that does not pass is a
// finding like any other: it is reported in place of the measured run, marked as the warmup's
// (PoolRun::warmup.found: the report's `warmup.phase` and the line under the table say so), and
// the measured run is not made: a pool that fails its warmup is not measured.
PoolRun RunWarmAndMeasured(const Job& job, const Distribution& dist, const RunOptions& options) {
  PoolRun::WarmupPhase warmup;
  if (options.warmup.count() > 0) {
    RunOptions warm = options;
    warm.duration = options.warmup;
    warm.ops_per_thread = 0;
    warm.warmup = {};
    warm.on_progress = nullptr;
    PoolRun run = RunJobOnce(job, dist, warm);
    warmup = {.ran = true, .found = !PoolPassed(run), .seconds = run.seconds, .ops = run.total.ops};
    if (warmup.found || run.stop_reason == StopReason::kSignal) {
      run.warmup = warmup;
      return run;
    }
  }
  PoolRun run = RunJobOnce(job, dist, options);
  run.warmup = warmup;
  return run;
}

// One job as the run command defines it: the hunt phase, then the warmup and the measured run.
PoolRun RunJob(const Job& job, const Distribution& dist, const RunOptions& given) {
  RunOptions options = given;
  PoolRun::HuntPhase hunt;
  // The hunt phase (--profile hunt): a share of the pool's time with nothing written and threads
  // preempted at random instructions. It needs a duration to share and detectors to report.
  if (options.hunt_rate > 0 && options.ops_per_thread == 0 && options.checks != CheckLevel::kNone) {
    RunOptions h = options;
    h.duration =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.duration * options.hunt_share);
    h.touch = Touch::kNone;
    h.preempt_rate = options.hunt_rate;
    h.warmup = {};
    h.on_progress = nullptr;
    PoolRun run = RunJobOnce(job, dist, h);
    hunt = {.ran = true,
            .found = !PoolPassed(run),
            .seconds = run.seconds,
            .ops = run.total.ops,
            .preemptions = run.total.preemptions,
            .preempt_rate = options.hunt_rate};
    run.hunt = hunt;
    if (hunt.found || run.stop_reason == StopReason::kSignal) return run;
    options.duration -= h.duration;
  }
  PoolRun run = RunWarmAndMeasured(job, dist, options);
  run.hunt = hunt;
  return run;
}

// The re-executed child (kJobVariable set): checks the preload, runs one job in this process and
// sends the result to the parent. Exits 3 when the allocator is not the one asked for.
int RunChildJob(const char* job_env, const std::vector<Job>& jobs, const Distribution& dist,
                const RunOptions& options) {
  const char* fd_env = std::getenv(kResultFdVariable);
  const char* name_env = std::getenv(kJobAllocatorVariable);
  const char* library_env = std::getenv(kJobLibraryVariable);
  char* end = nullptr;
  const unsigned long index = std::strtoul(job_env, &end, 10);
  if (fd_env == nullptr || name_env == nullptr || library_env == nullptr || *end != '\0' ||
      index >= jobs.size()) {
    std::fprintf(stderr, "bpstress: %s: not a job of this command line\n", kJobVariable);
    return kExitUsage;
  }
  const std::string name = name_env, library = library_env;
  const int fd = std::atoi(fd_env);
  OpenResultChannel(fd);  // before any pool code runs: a pool may close descriptors
  for (const char* v : {kJobVariable, kJobAllocatorVariable, kJobLibraryVariable,
                        static_cast<const char*>(kResultFdVariable)}) {
    unsetenv(v);
  }
  if (!library.empty() && !LibraryIsMapped(library)) {
    std::fprintf(stderr, "bpstress: --allocator %s: LD_PRELOAD=%s did not take effect\n",
                 name.c_str(), library.c_str());
    return kExitBadInput;
  }
  InstallSignalHandlers();
  RunOptions child_options = options;
  child_options.on_sample = StreamSample;  // the parent keeps the last state should this crash
  PoolRun run = RunJob(jobs[index], dist, child_options);
  run.allocator = name;
  const bool sent = SendResult(fd, run);
  std::fflush(nullptr);
  // A hung pool still has a thread inside it: the process cannot wind down normally.
  if (run.outcome == Outcome::kHung) _exit(sent ? kExitOk : kExitCheckFailed);
  return sent ? kExitOk : kExitCheckFailed;
}

// The command line of a child that runs job `index` under `allocator`.
ExecSpec ChildExec(const RunCommand& cmd, size_t index, const AllocatorChoice& allocator) {
  ExecSpec exec;
  exec.path = "/proc/self/exe";
  exec.argv.push_back("bpstress");
  exec.argv.insert(exec.argv.end(), cmd.argv.begin(), cmd.argv.end());
  if (!cmd.seed_given) {
    exec.argv.insert(exec.argv.end(), {"--seed", std::to_string(cmd.options.seed)});
  }
  std::string preload = allocator.path;
  if (const char* old = std::getenv("LD_PRELOAD"); old != nullptr && *old != '\0') {
    preload += std::string(":") + old;
  }
  exec.env = {"LD_PRELOAD=" + preload, std::string(kJobVariable) + "=" + std::to_string(index),
              std::string(kJobAllocatorVariable) + "=" + allocator.name,
              std::string(kJobLibraryVariable) + "=" + allocator.path};
  return exec;
}

// One `reproduce:` line per failing pool, after the table.
void PrintReproduceLines(const RunCommand& cmd, const Report& report,
                         const std::vector<AllocatorChoice>& allocators, const std::string& native,
                         bool isolate, FILE* out) {
  for (const PoolRun& p : report.pools) {
    if (PoolPassed(p)) continue;
    ReproducePool pool;
    pool.profile = cmd.profile;
    pool.misuse_fails = cmd.misuse_fails;
    pool.plugin = p.spec.rfind("plugin:", 0) == 0;
    pool.value = pool.plugin ? p.spec.substr(7) : p.spec;
    if (p.allocator != native) {
      pool.allocator = p.allocator;
      for (const AllocatorChoice& a : allocators) {
        // A NAME=PATH allocator is found again only by its path.
        if (a.name == p.allocator && cmd.allocators.find(a.name + "=") != std::string::npos) {
          pool.allocator = a.name + "=" + a.path;
        }
      }
    } else {
      pool.isolate = isolate;
    }
    std::fprintf(out, "reproduce: bpstress %s\n",
                 ShellJoin(ReproduceArgs(pool, report.dist, cmd.options)).c_str());
  }
}

// A run as planned from its command line before anything runs: the distribution, the pools
// (jobs) and the allocators. `jobs` point into `plugins`, so a plan is filled in place and never
// copied or moved.
struct RunPlan {
  RunPlan() = default;
  RunPlan(const RunPlan&) = delete;
  RunPlan& operator=(const RunPlan&) = delete;

  std::optional<Distribution> dist;
  std::vector<PluginSpec> plugins;
  std::vector<Job> jobs;
  std::string native;  // the allocator this process runs on
  std::vector<AllocatorChoice> allocators;
  const char* child_job = nullptr;  // kJobVariable: this process is a re-executed child
  bool report_to_stdout = false;    // `--report -`: the JSON goes to stdout, the table to stderr
  std::vector<std::string> notes;   // for the report: defaults this build changed
};

// --dist and the options that depend on it.
std::optional<int> PlanDistribution(RunCommand& cmd, RunPlan* plan) {
  auto parsed = Distribution::Parse(cmd.dist);
  if (const DistError* e = std::get_if<DistError>(&parsed)) {
    std::fprintf(stderr, "bpstress: %s\n", e->message.c_str());
    return e->exit_code;
  }
  plan->dist.emplace(std::get<Distribution>(std::move(parsed)));
  if (cmd.options.workload == Workload::kJson && cmd.options.touch == Touch::kEnds) {
    std::fprintf(stderr, "bpstress: --touch ends: writes the byte pattern; use --workload bytes\n");
    return kExitUsage;
  }
  // Gigabyte sizes are probed where a lying pool would fail: at the two ends of the n asked for.
  if (plan->dist->edges() && !cmd.touch_given && cmd.options.workload == Workload::kBytes) {
    cmd.options.touch = Touch::kEnds;
  }
  return std::nullopt;
}

// Plugins first: their names can be selected with --pool.
std::optional<int> LoadPlugins(const RunCommand& cmd, std::vector<PluginSpec>* plugins) {
  for (const std::string& arg : cmd.plugins) {
    std::string error;
    auto plugin = LoadPluginSpec(arg, &error, cmd.isolate != RunCommand::Isolate::kOff);
    if (!plugin) {
      std::fprintf(stderr, "bpstress: --plugin %s: %s\n", arg.c_str(), error.c_str());
      return kExitBadInput;
    }
    // Names are how --pool selects and how reports tell pools apart: make them unique.
    const std::string base = plugin->name;
    for (int k = 2; FindPool(plugin->name) != nullptr ||
                    std::any_of(plugins->begin(), plugins->end(),
                                [&](const PluginSpec& p) { return p.name == plugin->name; });
         ++k) {
      plugin->name = base + "#" + std::to_string(k);
    }
    plugins->push_back(std::move(*plugin));
  }
  return std::nullopt;
}

// One --pool text that names no plugin: a built-in spec, valid with the run's options.
std::optional<PoolSpec> ParseBuiltinPool(const std::string& text, const RunOptions& options) {
  std::string error;
  auto spec = ParsePoolSpec(text, &error);
  if (!spec) {
    std::fprintf(stderr, "bpstress: --pool %s: %s\n", text.c_str(), error.c_str());
    return std::nullopt;
  }
  std::optional<std::string> problem = ValidatePoolSpec(*spec);
  if (!problem) problem = ValidateRunOptions(*spec, options);
  if (problem) {
    std::fprintf(stderr, "bpstress: --pool %s: %s\n", text.c_str(), problem->c_str());
    return std::nullopt;
  }
  return spec;
}

// What runs: built-in specs and plugins, in the order given. `plan->plugins` no longer changes,
// so the pointers hold.
std::optional<int> SelectJobs(const RunCommand& cmd, RunPlan* plan) {
  std::vector<Job>& jobs = plan->jobs;
  const std::vector<PluginSpec>& plugins = plan->plugins;
  auto add_builtin = [&](const PoolSpec& spec) {
    jobs.push_back({spec.entry->name, spec.Canonical(), spec, nullptr});
  };
  auto add_plugin = [&](const PluginSpec& plugin) {
    jobs.push_back({plugin.name, PluginSpecText(plugin), std::nullopt, &plugin});
  };
  const bool only_plugins = !plugins.empty() && !cmd.pools_given;
  for (const std::string& text : only_plugins ? std::vector<std::string>{} : cmd.pools) {
    if (text == "all") {
      for (const PoolEntry& e : PoolEntries()) {
        if (e.in_all) add_builtin(*ParsePoolSpec(e.name, nullptr));
      }
      continue;
    }
    if (auto it = std::find_if(plugins.begin(), plugins.end(),
                               [&](const PluginSpec& p) { return p.name == text; });
        it != plugins.end()) {
      add_plugin(*it);
      continue;
    }
    const std::optional<PoolSpec> spec = ParseBuiltinPool(text, cmd.options);
    if (!spec) return kExitUsage;
    add_builtin(*spec);
  }
  if (cmd.options.workload == Workload::kJson && !plugins.empty()) {
    std::fprintf(stderr,
                 "bpstress: --workload json: plugin buffers have no length to write JSON into\n");
    return kExitUsage;
  }
  if (only_plugins) {
    for (const PluginSpec& p : plugins) add_plugin(p);
  }
  if (jobs.empty()) {
    std::fprintf(stderr, "bpstress: --pool: no pool selected\n");
    return kExitUsage;
  }
  return std::nullopt;
}

// Which allocators: this process's own, or the --allocator list (not parsed again in a
// re-executed child, which runs on the one it was given).
std::optional<int> ChooseAllocators(const RunCommand& cmd, RunPlan* plan) {
  const std::string& native = plan->native = ActiveAllocator();
  plan->allocators = {{native, ""}};
  if (cmd.allocators.empty() || plan->child_job != nullptr) return std::nullopt;
  AllocatorError error;
  if (!ParseAllocators(cmd.allocators, &plan->allocators, &error)) {
    std::fprintf(stderr, "bpstress: --allocator: %s\n", error.message.c_str());
    return error.exit_code;
  }
  for (const AllocatorChoice& a : plan->allocators) {
    if (a.name == native) continue;
    if (build::kAnySanitizer) {
      std::fprintf(stderr,
                   "bpstress: --allocator %s: a sanitizer build runs on its sanitizer's "
                   "allocator (%s); use a release build\n",
                   a.name.c_str(), native.c_str());
      return kExitUsage;
    }
    if (a.path.empty()) {
      std::fprintf(stderr,
                   "bpstress: --allocator %s: this process already runs on %s (LD_PRELOAD?)\n",
                   a.name.c_str(), native.c_str());
      return kExitUsage;
    }
  }
  return std::nullopt;
}

// Defaults that depend on the build or on other options; the report records the result.
void ApplyRunDefaults(RunCommand& cmd, RunPlan* plan) {
  if (build::kThreadSanitizer && !cmd.duration_given && cmd.options.ops_per_thread == 0) {
    // ThreadSanitizer costs 5-15x in time: a shorter default keeps sanitizer jobs bounded.
    cmd.options.duration = std::chrono::seconds(1);
    plan->notes.push_back("ThreadSanitizer build: default --duration scaled from 2s to 1s");
  }
  if (cmd.options.deadline.count() == 0) {
    // The watchdog is always on: a pool that hangs must not hang bpstress.
    cmd.options.deadline = cmd.options.ops_per_thread != 0
                               ? std::chrono::nanoseconds(std::chrono::minutes(10))
                               : cmd.options.duration + std::chrono::seconds(30);
  }
}

// Plan: everything the command line asks is checked before anything runs, so a typo costs no
// stress run. Returns an exit code on bad input (one line on stderr).
std::optional<int> PlanRun(RunCommand& cmd, RunPlan* plan) {
  plan->child_job = std::getenv(kJobVariable);
  if (std::optional<int> code = PlanDistribution(cmd, plan)) return code;
  if (std::optional<int> code = LoadPlugins(cmd, &plan->plugins)) return code;
  if (std::optional<int> code = SelectJobs(cmd, plan)) return code;
  plan->report_to_stdout = cmd.report_path == "-";
  if (std::string error; !plan->report_to_stdout && !CheckOutputPath(cmd.report_path, &error)) {
    std::fprintf(stderr, "bpstress: --report: %s\n", error.c_str());
    return kExitUsage;
  }
  if (std::optional<int> code = ChooseAllocators(cmd, plan)) return code;
  ApplyRunDefaults(cmd, plan);
  // Preemption needs a signal nobody else handles (tool/run/signals.h); the hunt phase preempts.
  const RunOptions& o = cmd.options;
  if (std::string error; (o.preempt_rate > 0 || (o.hunt_rate > 0 && o.ops_per_thread == 0 &&
                                                 o.checks != CheckLevel::kNone)) &&
                         !Preempter::SignalAvailable(&error)) {
    std::fprintf(stderr, "bpstress: --preempt: %s\n", error.c_str());
    return kExitUsage;
  }
  return std::nullopt;
}

// The report's fields that are known before the first pool runs.
Report StartReport(const RunCommand& cmd, const RunPlan& plan) {
  Report report;
  report.started_at = UtcTimestamp();
  report.host = GetHostInfo();
  report.dist = plan.dist->spec();
  report.seed_given = cmd.seed_given;
  report.profile = cmd.profile;
  report.misuse_fails = cmd.misuse_fails;
  for (const Job& j : plan.jobs) report.pool_specs.push_back(j.spec);
  report.notes = plan.notes;
  report.options = cmd.options;
  report.repeat = cmd.repeat;
  if (cmd.options.pin) report.pin_cpus = AllowedCpus();
  for (const AllocatorChoice& a : plan.allocators) report.allocators.push_back(a.name);
  return report;
}

// One job under one allocator.
struct Task {
  size_t index;  // into RunPlan::jobs
  const AllocatorChoice* allocator;
};

// Built-in pools: isolated with --isolate, or by default when several pools run or when --misuse
// puts items twice (most pools crash on that: the crash must become a result, not end bpstress).
bool BuiltinsIsolated(const RunCommand& cmd, const RunPlan& plan) {
  if (cmd.isolate != RunCommand::Isolate::kAuto) return cmd.isolate == RunCommand::Isolate::kOn;
  return plan.jobs.size() > 1 || cmd.options.double_put_rate > 0;
}

// Plugins are foreign code: isolated unless --no-isolate (to debug one under gdb).
bool IsIsolated(const RunCommand& cmd, const RunPlan& plan, const Job& job) {
  if (job.plugin != nullptr) return cmd.isolate != RunCommand::Isolate::kOff;
  return BuiltinsIsolated(cmd, plan);
}

// One run of one task: in this process, in a forked child, or in a re-executed child when the
// task's allocator is not this process's own. Sets *hung_in_process when a pool hung here.
PoolRun RunTask(const RunCommand& cmd, const RunPlan& plan, const Task& task, bool progress,
                bool* hung_in_process) {
  const Job& job = plan.jobs[task.index];
  RunOptions options = cmd.options;
  const bool isolate = IsIsolated(cmd, plan, job);
  if (isolate) options.on_sample = StreamSample;
  if (progress) {
    options.on_progress = [name = job.name](uint64_t ops, double seconds) {
      std::fprintf(stderr, "\r%-12s %6.1fs  %10s ops/s ", name.c_str(), seconds,
                   RunRate(seconds > 0 ? ops / seconds : 0).c_str());
      std::fflush(stderr);
    };
  }
  const std::function<PoolRun()> body = [&] { return RunJob(job, *plan.dist, options); };
  const bool native_task = task.allocator->name == plan.native;
  // A child runs the warmup and then the pool, each under the deadline: watch it for both.
  RunOptions watch = options;
  watch.deadline += options.warmup;
  PoolRun run =
      !native_task ? RunExec(job.name, job.spec, watch, ChildExec(cmd, task.index, *task.allocator))
      : isolate    ? RunIsolated(job.name, job.spec, watch, body)
                   : body();
  if (progress) std::fprintf(stderr, "\r%60s\r", "");
  run.name = job.name;
  run.spec = job.spec;
  run.allocator = task.allocator->name;
  if (run.outcome == Outcome::kHung && native_task && !isolate) *hung_in_process = true;
  return run;
}

// Execute: every job once per allocator and per --repeat, until done or interrupted; fills
// the report's pools, repeats, interrupted and exit code. Returns whether a pool hung in this
// process (it cannot wind down normally).
bool ExecuteTasks(const RunCommand& cmd, const RunPlan& plan, Report* report) {
  const bool progress = cmd.progress == ProgressMode::kAlways ||
                        (cmd.progress == ProgressMode::kAuto && isatty(STDERR_FILENO));
  InstallSignalHandlers();
  // Pools in the order given, once per allocator: allocator by allocator, so that a table reads
  // as one block of pools per allocator.
  std::vector<Task> tasks;
  for (const AllocatorChoice& a : plan.allocators) {
    for (size_t i = 0; i < plan.jobs.size(); ++i) tasks.push_back({i, &a});
  }
  // runs[k]: the repeats of tasks[k]. Repeats go round the tasks (A B C A B C ...), so that a
  // drift of the machine (another process, thermal throttling) spreads over every pool alike.
  std::vector<std::vector<PoolRun>> runs(tasks.size());
  bool hung_in_process = false;
  for (unsigned rep = 0; rep < cmd.repeat && !report->interrupted; ++rep) {
    for (size_t k = 0; k < tasks.size() && !report->interrupted; ++k) {
      if (PendingSignal().load() != 0) {
        report->interrupted = true;
        break;
      }
      PoolRun run = RunTask(cmd, plan, tasks[k], progress, &hung_in_process);
      if (run.stop_reason == StopReason::kSignal || PendingSignal().load() != 0) {
        report->interrupted = true;
      }
      runs[k].push_back(std::move(run));
    }
  }
  for (std::vector<PoolRun>& r : runs) {
    if (r.empty()) continue;
    report->pools.push_back(MergeRepeats(r));
    report->repeats.push_back(std::move(r));
  }
  report->exit_code = ExitCodeOf(*report);
  return hung_in_process;
}

// Emit: the table with its reproduce lines first (the results reach the user even when the
// report cannot be written), then the report file (or JSON on stdout), the line that says where
// it went, and the reasons for exit 4. Returns the exit code: kExitWriteFailed when any of it
// could not be written.
int EmitRun(const RunCommand& cmd, const RunPlan& plan, const Report& report) {
  int code = report.exit_code;
  bool write_failed = false;
  FILE* out = plan.report_to_stdout ? stderr : stdout;
  if (cmd.format == OutputFormat::kTable) {
    PrintTable(report, !cmd.allocators.empty(), out);
    // A pool that ran isolated among several reruns isolated: a crash stays a `crashed` result.
    PrintReproduceLines(cmd, report, plan.allocators, plan.native, BuiltinsIsolated(cmd, plan),
                        out);
  }
  const std::string json = RenderReport(report);
  bool saved = false;
  if (json.empty()) {
    std::fprintf(stderr, "bpstress: internal error: the report could not be rendered\n");
    code = kExitCheckFailed;
  } else {
    std::string error;
    if (!plan.report_to_stdout) {
      saved = WriteOutput(cmd.report_path, json, &error);
      if (!saved) std::fprintf(stderr, "bpstress: --report: %s\n", error.c_str());
      write_failed |= !saved;
    }
    if (cmd.format == OutputFormat::kJson || plan.report_to_stdout) {
      const bool printed = WriteOutput("-", json, &error);
      if (!printed) std::fprintf(stderr, "bpstress: %s\n", error.c_str());
      saved |= plan.report_to_stdout && printed;
      write_failed |= !printed;
    }
  }
  if (cmd.format == OutputFormat::kTable) {
    std::fprintf(out, "report: %s (seed %llu)%s\n",
                 !saved                  ? "not written"
                 : plan.report_to_stdout ? "stdout"
                                         : cmd.report_path.c_str(),
                 static_cast<unsigned long long>(cmd.options.seed),
                 report.interrupted ? ", interrupted" : "");
  }
  if (report.exit_code == kExitLimit) PrintLimitReasons(report);
  if (std::string error; !FlushStdout(&error)) {
    std::fprintf(stderr, "bpstress: %s\n", error.c_str());
    write_failed = true;
  }
  std::fflush(stderr);
  return write_failed ? kExitWriteFailed : code;
}

}  // namespace

int ExecuteRun(RunCommand& cmd) {
  RunPlan plan;
  if (std::optional<int> code = PlanRun(cmd, &plan)) return *code;
  if (plan.child_job != nullptr)
    return RunChildJob(plan.child_job, plan.jobs, *plan.dist, cmd.options);
  Report report = StartReport(cmd, plan);
  const bool hung_in_process = ExecuteTasks(cmd, plan, &report);
  const int code = EmitRun(cmd, plan, report);
  // A hung pool still has a thread inside it: the process cannot wind down normally.
  if (hung_in_process) _exit(code);
  return code;
}

}  // namespace bp
