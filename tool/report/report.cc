#include "tool/report/report.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "build_info.h"
#include "pool/json_writer.h"
#include "tool/run/latency_clock.h"
#include "tool/util/stats.h"

namespace bp {
namespace {

void WriteViolationCounts(JsonWriter& w, const Violations& v) {
  w.BeginObject();
  for (size_t i = 0; i < kViolationKinds; ++i) {
    w.Key(kViolationNames[i]).Uint(v.count(static_cast<Violation>(i)));
  }
  w.EndObject();
}

void WriteExamples(JsonWriter& w, const Violations& v) {
  w.BeginArray();
  for (size_t i = 0; i < v.num_examples(); ++i) {
    const ViolationExample& e = v.example(i);
    char address[32];
    std::snprintf(address, sizeof address, "0x%llx", static_cast<unsigned long long>(e.address));
    w.BeginObject()
        .Key("kind")
        .String(kViolationNames[static_cast<size_t>(e.kind)])
        .Key("thread")
        .Uint(e.thread)
        .Key("op")
        .Uint(e.op)
        .Key("address")
        .String(address)
        .Key("size")
        .Uint(e.size)
        .Key("capacity")
        .Uint(e.capacity)
        .Key("detail")
        .Uint(e.detail)
        .EndObject();
  }
  w.EndArray();
}

void WriteCapacityHistogram(JsonWriter& w, const ThreadResult& t) {
  w.BeginArray();
  for (size_t i = 0; i < t.capacity_log2.size(); ++i) {
    if (t.capacity_log2[i] == 0) continue;
    w.BeginObject();
    w.Key("capacity_le");
    if (i < 64) {
      w.Uint(uint64_t{1} << i);
    } else {
      w.Double(18446744073709551616.0);
    }
    w.Key("count").Uint(t.capacity_log2[i]).EndObject();
  }
  w.EndArray();
}

void WriteLatency(JsonWriter& w, const Histogram& h) {
  w.BeginObject()
      .Key("samples")
      .Uint(h.Count())
      .Key("mean")
      .Double(h.Mean())
      .Key("p50")
      .Uint(h.Percentile(50))
      .Key("p90")
      .Uint(h.Percentile(90))
      .Key("p99")
      .Uint(h.Percentile(99))
      .Key("p99_9")
      .Uint(h.Percentile(99.9))
      .Key("max")
      .Uint(h.Max())
      .EndObject();
}

double Ratio(uint64_t num, uint64_t den) {
  return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

void WriteRepeats(JsonWriter& w, const std::vector<PoolRun>& repeats);

// The run's counters: time, ops, gets and puts, the pool's own counters, bytes and latency.
void WriteCounters(JsonWriter& w, const PoolRun& p) {
  const ThreadResult& t = p.total;
  w.Key("seconds").Double(p.seconds);
  w.Key("ops").Uint(t.ops);
  w.Key("ops_per_s").Double(p.seconds > 0 ? static_cast<double>(t.ops) / p.seconds : 0.0);
  w.Key("gets").Uint(t.gets);
  w.Key("puts").Uint(t.puts);
  w.Key("outstanding").Uint(p.outstanding);
  w.Key("refused").Uint(t.refused);
  w.Key("handoffs").Uint(t.handoffs);
  w.Key("hits").Uint(p.stats.hits);
  w.Key("misses").Uint(p.stats.misses);
  w.Key("drops").Uint(p.stats.drops);
  w.Key("pool_gets").Uint(p.stats.gets);
  w.Key("pool_puts").Uint(p.stats.puts);
  w.Key("hit_rate").Double(Ratio(p.stats.hits, p.stats.gets));
  w.Key("bytes_requested").Uint(t.bytes_requested);
  w.Key("bytes_capacity").Uint(t.bytes_capacity);
  w.Key("waste_ratio")
      .Double(t.bytes_capacity > t.bytes_requested
                  ? Ratio(t.bytes_capacity - t.bytes_requested, t.bytes_capacity)
                  : 0.0);
  w.Key("capacity_histogram");
  WriteCapacityHistogram(w, t);
  w.Key("latency_ns");
  WriteLatency(w, t.latency);
}

// Memory: RSS, what the pool retained, the heap after destroy and its growth per cycle.
void WriteMemory(JsonWriter& w, const PoolRun& p) {
  w.Key("peak_rss_bytes").Uint(p.peak_rss_bytes);
  w.Key("retained_bytes_end").Uint(p.stats.retained_bytes);
  w.Key("peak_retained_bytes").Uint(p.stats.peak_retained_bytes);
  w.Key("heap_leaked_bytes").Uint(p.heap_leaked_bytes);
  w.Key("heap_after_destroy_bytes").BeginArray();
  for (const uint64_t b : p.heap_after_destroy_bytes) w.Uint(b);
  w.EndArray();
  w.Key("leak_growth_bytes_per_cycle").Uint(p.leak_growth_bytes_per_cycle);
  // The leak evidence (tool/run/alloc_track.h): what the pool's own calls left allocated after
  // destroy, counted, and how much of it nothing reaches; null when nothing was counted (--checks
  // none, or no completed cycle).
  w.Key("leak_evidence");
  if (!p.leak_count.counted) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Key("residue_bytes").Uint(p.leak_count.residue_bytes);
  w.Key("residue_blocks").Uint(p.leak_count.residue_blocks);
  w.Key("unreachable_bytes").Uint(p.leak_count.unreachable_bytes);
  w.Key("unreachable_blocks").Uint(p.leak_count.unreachable_blocks);
  w.Key("bytes_per_cycle").Uint(p.leak_count.bytes_per_cycle);
  w.Key("sites").BeginArray();
  for (const LeakSite& s : p.leak_sites) {
    w.BeginObject();
    w.Key("where").String(s.where);
    w.Key("bytes").Uint(s.bytes);
    w.Key("blocks").Uint(s.blocks);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// What the detectors found, when, and under which injection (preemption, hunt phase, misuse).
void WriteFindings(JsonWriter& w, const PoolRun& p, const RunOptions& o) {
  const ThreadResult& t = p.total;
  w.Key("violations");
  WriteViolationCounts(w, t.violations);
  w.Key("violation_examples");
  WriteExamples(w, t.violations);
  w.Key("first_violation_s");
  if (t.first_violation_s >= 0) {
    w.Double(t.first_violation_s);
  } else {
    w.Null();
  }
  // A pool whose finding came from the hunt phase reports that phase's figures and rate.
  w.Key("preempt_rate").Double(p.hunt.found ? p.hunt.preempt_rate : o.preempt_rate);
  w.Key("preemptions").Uint(t.preemptions);
  if (p.hunt.ran) {
    w.Key("hunt").BeginObject();
    w.Key("found").Bool(p.hunt.found);
    w.Key("seconds").Double(p.hunt.seconds);
    w.Key("ops").Uint(p.hunt.ops);
    w.Key("preempt_rate").Double(p.hunt.preempt_rate);
    w.Key("preemptions").Uint(p.hunt.preemptions);
    w.EndObject();
  }
  // A finding of the warmup: `phase` "warmup", and the figures are the warmup's own (a pool that
  // fails its warmup is not measured).
  if (p.warmup.ran) {
    w.Key("warmup").BeginObject();
    w.Key("found").Bool(p.warmup.found);
    w.Key("phase").String(p.warmup.found ? "warmup" : "run");
    w.Key("seconds").Double(p.warmup.seconds);
    w.Key("ops").Uint(p.warmup.ops);
    w.Key("measured");
    if (p.warmup.found) {
      w.String("not run: the warmup found a failure");
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.Key("thread_starts").Uint(t.thread_starts);
  w.Key("double_puts").Uint(t.double_puts);
  w.Key("double_put_accepted").Uint(t.double_put_accepted);
  w.Key("double_put_side_effects").Uint(t.double_put_side_effects);
}

void WriteThreads(JsonWriter& w, const PoolRun& p) {
  w.Key("threads").BeginArray();
  for (size_t i = 0; i < p.threads.size(); ++i) {
    const ThreadResult& r = p.threads[i];
    w.BeginObject()
        .Key("thread")
        .Uint(i)
        .Key("ops")
        .Uint(r.ops)
        .Key("gets")
        .Uint(r.gets)
        .Key("puts")
        .Uint(r.puts)
        .Key("refused")
        .Uint(r.refused)
        .Key("handoffs")
        .Uint(r.handoffs)
        .Key("bytes_requested")
        .Uint(r.bytes_requested)
        .Key("bytes_capacity")
        .Uint(r.bytes_capacity)
        .Key("seconds")
        .Double(r.seconds);
    w.Key("violations");
    WriteViolationCounts(w, r.violations);
    w.EndObject();
  }
  w.EndArray();
}

// Every repeat's points, in order, each naming its repeat.
void WriteTimeline(JsonWriter& w, const std::vector<PoolRun>& runs) {
  w.Key("timeline").BeginArray();
  for (size_t i = 0; i < runs.size(); ++i) {
    for (const TimelineSample& t : runs[i].timeline) {
      w.BeginObject()
          .Key("repeat")
          .Uint(i)
          .Key("t")
          .Double(t.t)
          .Key("ops")
          .Uint(t.ops)
          .Key("ops_per_s")
          .Double(t.ops_per_s)
          .Key("rss_bytes")
          .Uint(t.rss_bytes)
          .Key("retained_bytes")
          .Uint(t.retained_bytes)
          .Key("outstanding")
          .Uint(t.outstanding)
          .Key("violations")
          .Uint(t.violations)
          .EndObject();
    }
  }
  w.EndArray();
}

// A crashed pool: its signal, fault address, phase and symbolised frames.
void WriteCrash(JsonWriter& w, const PoolRun& p) {
  if (p.outcome == Outcome::kCrashed) {
    w.Key("crash").BeginObject();
    if (p.signal != 0) {
      w.Key("signal").String(SignalName(p.signal));
    } else {
      w.Key("signal").Null();
    }
    if (p.has_fault_address) {
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(p.fault_address));
      w.Key("address").String(hex);
    } else {
      w.Key("address").Null();
    }
    w.Key("phase").String(PhaseName(p.phase));
    w.Key("frames").BeginArray();
    for (const std::string& f : p.crash_frames) w.String(f);
    w.EndArray();
    w.EndObject();
  }
}

void WritePool(JsonWriter& w, const PoolRun& p, const std::vector<PoolRun>& repeats,
               const RunOptions& o) {
  w.BeginObject();
  w.Key("pool").String(p.name);
  w.Key("spec").String(p.spec);
  w.Key("allocator").String(p.allocator);
  w.Key("outcome").String(OutcomeName(p.outcome));
  w.Key("stop_reason").String(StopReasonName(p.stop_reason));
  w.Key("promises_capacity").Bool(p.traits.promises_capacity);
  w.Key("fixed_capacity").Bool(p.traits.fixed_capacity);
  w.Key("pool_counters").Bool(p.pool_counters);
  WriteCounters(w, p);
  WriteMemory(w, p);
  w.Key("phase").String(PhaseName(p.phase));
  WriteFindings(w, p, o);
  WriteThreads(w, p);
  if (IsPartial(p.outcome) || !p.stderr_tail.empty()) {
    w.Key("signal").Int(p.signal);
    w.Key("stderr_tail").String(p.stderr_tail);
  }
  const std::vector<PoolRun>& runs = repeats.empty() ? std::vector<PoolRun>{p} : repeats;
  WriteRepeats(w, runs);
  WriteTimeline(w, runs);
  WriteCrash(w, p);
  w.Key("verdict").String(PoolPassed(p) ? "pass" : "fail");
  w.EndObject();
}

void WriteSummary(JsonWriter& w, const Summary& s) {
  w.BeginObject()
      .Key("n")
      .Uint(s.n)
      .Key("mean")
      .Double(s.mean)
      .Key("median")
      .Double(s.median)
      .Key("stddev")
      .Double(s.stddev)
      .Key("min")
      .Double(s.min)
      .Key("max")
      .Double(s.max)
      .Key("ci_low")
      .Double(s.ci_low)
      .Key("ci_high")
      .Double(s.ci_high)
      .Key("ci_level")
      .Double(s.ci_level)
      .EndObject();
}

double OpsPerSecond(const PoolRun& p) {
  return p.seconds > 0 ? static_cast<double>(p.total.ops) / p.seconds : 0.0;
}

bool HasFigures(const PoolRun& p) { return !IsPartial(p.outcome) && p.seconds > 0; }

// Each repeat's own figures, and their statistics over the repeats that have figures (a hung or
// crashed repeat has none).
void WriteRepeats(JsonWriter& w, const std::vector<PoolRun>& repeats) {
  w.Key("repeats").BeginArray();
  for (size_t i = 0; i < repeats.size(); ++i) {
    const PoolRun& r = repeats[i];
    w.BeginObject();
    w.Key("repeat").Uint(i);
    w.Key("outcome").String(OutcomeName(r.outcome));
    w.Key("seconds").Double(r.seconds);
    w.Key("ops").Uint(r.total.ops);
    w.Key("ops_per_s").Double(OpsPerSecond(r));
    w.Key("latency_ns");
    WriteLatency(w, r.total.latency);
    w.Key("peak_rss_bytes").Uint(r.peak_rss_bytes);
    w.Key("violations");
    WriteViolationCounts(w, r.total.violations);
    w.EndObject();
  }
  w.EndArray();
  const RepeatSummary stats = SummarizeRepeats(repeats);
  w.Key("stats").BeginObject();
  w.Key("ops_per_s");
  WriteSummary(w, stats.ops_per_s);
  static constexpr const char* kKeys[] = {"latency_p50_ns", "latency_p90_ns", "latency_p99_ns",
                                          "latency_p99_9_ns"};
  for (size_t k = 0; k < stats.latency.size(); ++k) {
    w.Key(kKeys[k]);
    WriteSummary(w, stats.latency[k]);
  }
  w.EndObject();
}

void WriteSanitizers(JsonWriter& w) {
  w.BeginArray();
  std::string_view list = build::kSanitizers;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    w.String(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  w.EndArray();
}

}  // namespace

namespace {

// merge::Own: the pool's counters summed, what it retains now the last repeat's, its peak the
// largest.
void MergeRepeat(PoolStats& into, const PoolStats& r) {
  into.gets += r.gets;
  into.puts += r.puts;
  into.hits += r.hits;
  into.misses += r.misses;
  into.drops += r.drops;
  into.retained_bytes = r.retained_bytes;
  into.peak_retained_bytes = std::max(into.peak_retained_bytes, r.peak_retained_bytes);
}
// ThreadResult::Merge adds threads that ran at once (seconds: the longest); repeats ran one after
// another, so their seconds add up.
void MergeRepeat(ThreadResult& into, const ThreadResult& r) {
  const double seconds = into.seconds + r.seconds;
  into.Merge(r);
  into.seconds = seconds;
}
void MergeRepeat(std::vector<ThreadResult>& into, const std::vector<ThreadResult>& r) {
  if (into.size() < r.size()) into.resize(r.size());
  for (size_t i = 0; i < r.size(); ++i) MergeRepeat(into[i], r[i]);
}
// The hunt phases of all repeats: ran or found in any, their time, ops and preemptions summed.
void MergeRepeat(PoolRun::HuntPhase& into, const PoolRun::HuntPhase& r) {
  into.ran = into.ran || r.ran;
  into.found = into.found || r.found;
  into.seconds += r.seconds;
  into.ops += r.ops;
  into.preemptions += r.preemptions;
  into.preempt_rate = std::max(into.preempt_rate, r.preempt_rate);
}

// The merge rules of PoolRun::Fields (merge:: in tool/run/runner.h) for one field. Start: the
// value before the first repeat is folded in (First keeps the first repeat's; the others start
// from nothing). MergeField folds in repeat r's value; `worst` is the worst repeat's.
template <class T>
void Start(T&, merge::First) {}
template <class T>
void Start(T&, merge::Worst) {}
template <class T, class Rule>
void Start(T& into, Rule) {
  into = T{};
}
template <class T>
void MergeField(T&, const T&, const T&, merge::First) {}
template <class T>
void MergeField(T& into, const T&, const T& worst, merge::Worst) {
  into = worst;
}
template <class T>
void MergeField(T& into, const T& r, const T&, merge::Sum) {
  into += r;
}
template <class T>
void MergeField(T& into, const T& r, const T&, merge::Max) {
  into = std::max(into, r);
}
template <class T>
void MergeField(T& into, const T&, const T&, merge::PerRepeat) {
  into = T{};
}
template <class T>
void MergeField(T& into, const T& r, const T&, merge::Own) {
  MergeRepeat(into, r);
}

}  // namespace

RepeatSummary SummarizeRepeats(const std::vector<PoolRun>& repeats) {
  std::vector<double> ops;
  std::array<std::vector<double>, 4> latency;
  for (const PoolRun& r : repeats) {
    if (!HasFigures(r)) continue;
    ops.push_back(OpsPerSecond(r));
    if (r.total.latency.Count() == 0) continue;
    for (size_t k = 0; k < latency.size(); ++k) {
      latency[k].push_back(
          static_cast<double>(r.total.latency.Percentile(RepeatSummary::kPercentiles[k])));
    }
  }
  RepeatSummary out;
  out.ops_per_s = Summarize(ops);
  for (size_t k = 0; k < latency.size(); ++k) out.latency[k] = Summarize(latency[k]);
  return out;
}

PoolRun MergeRepeats(const std::vector<PoolRun>& repeats) {
  if (repeats.size() == 1) return repeats.front();
  if (repeats.empty()) return PoolRun{};
  // Worst first: a partial outcome hides every figure, then limits, then findings.
  static constexpr Outcome kSeverity[] = {Outcome::kSanitizer,   Outcome::kCrashed,
                                          Outcome::kHung,        Outcome::kLimit,
                                          Outcome::kInterrupted, Outcome::kViolations};
  const PoolRun* worst = &repeats.back();
  for (Outcome o : kSeverity) {
    const auto it = std::find_if(repeats.begin(), repeats.end(),
                                 [o](const PoolRun& r) { return r.outcome == o; });
    if (it != repeats.end()) {
      worst = &*it;
      break;
    }
  }
  PoolRun out = repeats.front();
  PoolRun::Fields([&](const char*, auto member, auto rule) {
    Start(out.*member, rule);
    for (const PoolRun& r : repeats) MergeField(out.*member, r.*member, worst->*member, rule);
  });
  return out;
}

bool PoolPassed(const PoolRun& run) {
  return run.outcome == Outcome::kOk && run.total.violations.failures() == 0;
}

std::string RenderReport(const Report& r) {
  Buffer out(64 * 1024);
  JsonWriter w(out);
  const RunOptions& o = r.options;
  w.BeginObject();
  w.Key("schema").String(kReportSchema);
  w.Key("tool").BeginObject();
  w.Key("name").String("bpstress");
  w.Key("version").String(build::kVersion);
  w.Key("compiler").String(build::kCompiler);
  w.Key("build_type").String(build::kBuildType);
  w.Key("sanitizers");
  WriteSanitizers(w);
  w.EndObject();
  w.Key("host").BeginObject();
  w.Key("cpus").Uint(r.host.cpus);
  w.Key("memory_bytes").Uint(r.host.memory_bytes);
  w.Key("os").String(r.host.os);
  w.Key("latency_resolution_ns").Double(LatencyClock::ResolutionNs());
  w.EndObject();
  w.Key("started_at").String(r.started_at);
  w.Key("config").BeginObject();
  w.Key("seed").Uint(o.seed);
  w.Key("seed_given").Bool(r.seed_given);
  w.Key("threads").Uint(o.threads);
  w.Key("dist").String(r.dist);
  w.Key("duration_ms").Uint(o.ops_per_thread != 0 ? 0 : o.duration.count() / 1000000);
  w.Key("ops_per_thread").Uint(o.ops_per_thread);
  w.Key("hold").Uint(o.hold);
  w.Key("cross_thread").Double(o.cross_thread);
  w.Key("touch").String(TouchName(o.touch));
  w.Key("checks").String(CheckLevelName(o.checks));
  w.Key("workload").String(WorkloadName(o.workload));
  w.Key("max_rss_bytes").Uint(o.max_rss_bytes);
  w.Key("deadline_ms").Uint(o.deadline.count() / 1000000);
  w.Key("latency_sample_every").Uint(uint64_t{1} << o.latency_sample_shift);
  w.Key("repeat").Uint(r.repeat);
  w.Key("warmup_ms").Uint(o.warmup.count() / 1000000);
  w.Key("sample_interval_ms").Uint(o.sample_interval.count() / 1000000);
  w.Key("pin").Bool(o.pin);
  if (o.pin) {
    w.Key("pin_cpus").BeginArray();
    for (int c : r.pin_cpus) w.Uint(static_cast<uint64_t>(c));
    w.EndArray();
  }
  w.Key("profile").String(r.profile);
  w.Key("preempt_rate").Double(o.preempt_rate);
  w.Key("hunt_rate").Double(o.hunt_rate);
  w.Key("hunt_share").Double(o.hunt_rate > 0 ? o.hunt_share : 0);
  w.Key("churn").Uint(o.churn);
  w.Key("double_put_rate").Double(o.double_put_rate);
  w.Key("misuse_fails").Bool(r.misuse_fails);
  w.Key("allocators").BeginArray();
  for (const std::string& a : r.allocators) w.String(a);
  w.EndArray();
  w.Key("pools").BeginArray();
  for (const std::string& s : r.pool_specs) w.String(s);
  w.EndArray();
  w.Key("notes").BeginArray();
  for (const std::string& s : r.notes) w.String(s);
  w.EndArray();
  w.EndObject();
  w.Key("pools").BeginArray();
  for (size_t i = 0; i < r.pools.size(); ++i) {
    WritePool(w, r.pools[i], i < r.repeats.size() ? r.repeats[i] : std::vector<PoolRun>{}, o);
  }
  w.EndArray();
  w.Key("interrupted").Bool(r.interrupted);
  w.Key("exit_code").Int(r.exit_code);
  w.Key("verdict").String(r.exit_code == 0 ? "pass" : "fail");
  w.EndObject();
  if (!w.Complete()) return {};
  std::string text(out.View());
  text.push_back('\n');
  return text;
}

}  // namespace bp
