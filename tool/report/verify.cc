#include "tool/report/verify.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "tool/report/report_reader.h"
#include "tool/run/checks.h"
#include "tool/util/exit_codes.h"

namespace bp {
namespace {

using nlohmann::json;
using U64 = std::optional<uint64_t>;
using F64 = std::optional<double>;
// Sums of up to 2^64 values of up to 2^64 - 1 cannot overflow 128 bits: a hostile report cannot
// make a wrong sum look right by wrapping around.
__extension__ typedef unsigned __int128 U128;

std::string Num(uint64_t v) { return std::to_string(v); }
std::string Num(double v) {
  char out[40];
  std::snprintf(out, sizeof out, "%.10g", v);
  return out;
}
std::string Num(U128 v) {
  if (v <= UINT64_MAX) return Num(static_cast<uint64_t>(v));
  return ">2^64";
}

bool Close(double a, double b, double relative) {
  return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

// Runner totals that the per-thread breakdown must add up to.
constexpr const char* kThreadSums[] = {
    "ops", "gets", "puts", "refused", "handoffs", "bytes_requested", "bytes_capacity"};
constexpr size_t kNumThreadSums = std::size(kThreadSums);

struct Counts {
  std::array<U64, kViolationKinds> kinds;
  uint64_t failing_kinds = 0;  // failure kinds with a non-zero count
};

Counts ReadViolations(const json* obj, const std::string& label, bool required, Findings* f,
                      const std::string& prefix) {
  Counts c;
  if (obj == nullptr) return c;
  FieldReader r(*obj, label, required, f, prefix);
  for (size_t i = 0; i < kViolationKinds; ++i) {
    c.kinds[i] = r.Uint(kViolationNames[i]);
    if (c.kinds[i] && IsFailure(static_cast<Violation>(i))) c.failing_kinds += *c.kinds[i] != 0;
  }
  return c;
}

void CheckThreads(FieldReader& r, const json& threads, bool required, const json& pool,
                  const Counts& totals, Findings* f) {
  std::array<U128, kNumThreadSums> sums{};
  std::array<U128, kViolationKinds> kind_sums{};
  bool complete = true;
  for (size_t t = 0; t < threads.size(); ++t) {
    const std::string label = r.label() + " thread " + std::to_string(t);
    if (!threads[t].is_object()) {
      f->Fail(label + ": not an object");
      complete = false;
      continue;
    }
    FieldReader tr(threads[t], label, required, f);
    tr.Uint("thread");
    tr.Number("seconds");
    for (size_t i = 0; i < kNumThreadSums; ++i) {
      const U64 v = tr.Uint(kThreadSums[i]);
      complete &= v.has_value();
      sums[i] += v.value_or(0);
    }
    const Counts c = ReadViolations(tr.Object("violations"), label, required, f, "violations.");
    for (size_t i = 0; i < kViolationKinds; ++i) {
      complete &= c.kinds[i].has_value();
      kind_sums[i] += c.kinds[i].value_or(0);
    }
  }
  if (!complete) return;  // the missing fields have been reported; sums would mislead
  for (size_t i = 0; i < kNumThreadSums; ++i) {
    if (const U64 total = UintField(pool, kThreadSums[i])) {
      r.Check(sums[i] == *total, std::string(kThreadSums[i]) + " (" + Num(*total) +
                                     ") != sum over threads (" + Num(sums[i]) + ")");
    }
  }
  for (size_t i = 0; i < kViolationKinds; ++i) {
    if (!totals.kinds[i]) continue;
    const std::string name = std::string("violations.") + kViolationNames[i];
    if (static_cast<Violation>(i) == Violation::kLeak) {
      r.Check(
          kind_sums[i] <= *totals.kinds[i],
          name + " (" + Num(*totals.kinds[i]) + ") < sum over threads (" + Num(kind_sums[i]) + ")");
    } else {
      r.Check(kind_sums[i] == *totals.kinds[i], name + " (" + Num(*totals.kinds[i]) +
                                                    ") != sum over threads (" + Num(kind_sums[i]) +
                                                    ")");
    }
  }
}

void CheckLatency(FieldReader& r, const json* latency, bool required, U64 ops, Findings* f) {
  if (latency == nullptr) return;
  FieldReader lr(*latency, r.label(), required, f, "latency_ns.");
  const U64 samples = lr.Uint("samples");
  const F64 mean = lr.Number("mean");
  static constexpr const char* kOrder[] = {"p50", "p90", "p99", "p99_9", "max"};
  std::array<U64, std::size(kOrder)> v;
  for (size_t i = 0; i < v.size(); ++i) v[i] = lr.Uint(kOrder[i]);
  if (!samples || *samples == 0) return;
  if (ops) {
    r.Check(*samples <= *ops,
            "latency_ns.samples (" + Num(*samples) + ") > ops (" + Num(*ops) + ")");
  }
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    if (!v[i] || !v[i + 1]) continue;
    r.Check(*v[i] <= *v[i + 1], std::string("latency_ns.") + kOrder[i] + " (" + Num(*v[i]) +
                                    ") > " + kOrder[i + 1] + " (" + Num(*v[i + 1]) + ")");
  }
  if (mean && v.back()) {
    r.Check(*mean <= static_cast<double>(*v.back()) * (1 + 1e-12),
            "latency_ns.mean (" + Num(*mean) + ") > max (" + Num(*v.back()) + ")");
  }
}

bool IsPowerOfTwo(const json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t x = v.get<uint64_t>();
    return x != 0 && (x & (x - 1)) == 0;
  }
  if (!v.is_number()) return false;
  const double x = v.get<double>();
  int exponent = 0;
  return std::isfinite(x) && x > 0 && std::frexp(x, &exponent) == 0.5;
}

void CheckCapacityHistogram(FieldReader& r, const json* hist, bool required, U64 gets,
                            Findings* f) {
  if (hist == nullptr) return;
  U128 sum = 0;
  double previous = 0;
  bool complete = true;
  for (size_t i = 0; i < hist->size(); ++i) {
    const std::string key = "capacity_histogram[" + std::to_string(i) + "].";
    const json& bucket = (*hist)[i];
    if (!bucket.is_object()) {
      r.Check(false, key.substr(0, key.size() - 1) + " is not an object");
      complete = false;
      continue;
    }
    FieldReader br(bucket, r.label(), required, f, key);
    const F64 le = br.Number("capacity_le");
    const U64 count = br.Uint("count");
    complete &= le && count;
    sum += count.value_or(0);
    if (!le) continue;
    r.Check(IsPowerOfTwo(bucket["capacity_le"]),
            key + "capacity_le (" + Num(*le) + ") is not a power of two");
    r.Check(i == 0 || *le > previous, key + "capacity_le (" + Num(*le) +
                                          ") is not above the previous bound (" + Num(previous) +
                                          ")");
    previous = *le;
  }
  if (complete && gets) {
    r.Check(sum == *gets,
            "capacity_histogram counts sum to " + Num(sum) + ", gets is " + Num(*gets));
  }
}

// A stats summary (tool/util/stats.h): min <= ci_low <= median <= ci_high <= max, mean inside.
void CheckSummary(FieldReader& r, const json& summary, const std::string& name, size_t repeats,
                  Findings* f) {
  FieldReader sr(summary, r.label(), true, f, "stats." + name + ".");
  const U64 n = sr.Uint("n");
  const F64 mean = sr.Number("mean"), median = sr.Number("median"), min = sr.Number("min"),
            max = sr.Number("max"), low = sr.Number("ci_low"), high = sr.Number("ci_high"),
            level = sr.Number("ci_level");
  sr.Number("stddev");
  const std::string key = "stats." + name;
  if (n) {
    r.Check(*n <= repeats, key + ".n (" + Num(*n) + ") > repeats (" + Num(uint64_t{repeats}) + ")");
  }
  if (level) r.Check(*level <= 1, key + ".ci_level (" + Num(*level) + ") > 1");
  if (!n || *n == 0 || !mean || !median || !min || !max || !low || !high) return;
  const double order[] = {*min, *low, *median, *high, *max};
  r.Check(std::is_sorted(std::begin(order), std::end(order)),
          key + ": not min <= ci_low <= median <= ci_high <= max (" + Num(*min) + ", " + Num(*low) +
              ", " + Num(*median) + ", " + Num(*high) + ", " + Num(*max) + ")");
  r.Check(*mean >= *min * (1 - 1e-12) && *mean <= *max * (1 + 1e-12),
          key + ".mean (" + Num(*mean) + ") outside min..max");
}

// "repeats" (one entry per measured run) and "stats" over them; optional, as in reports of
// bpstress before --repeat. Totals of the pool are the sums over its repeats.
void CheckRepeats(FieldReader& r, const json& pool, bool partial, const Counts& totals,
                  Findings* f) {
  FieldReader opt(pool, r.label(), false, f);
  const json* repeats = opt.Array("repeats");
  const json* stats = opt.Object("stats");
  if (repeats == nullptr) return;
  r.Check(!repeats->empty(), "repeats is empty");
  U128 ops_sum = 0;
  double seconds_sum = 0;
  std::array<U128, kViolationKinds> kinds{};
  bool complete = true;
  for (size_t i = 0; i < repeats->size(); ++i) {
    const json& e = (*repeats)[i];
    const std::string key = "repeats[" + std::to_string(i) + "].";
    if (!e.is_object()) {
      r.Check(false, key.substr(0, key.size() - 1) + " is not an object");
      complete = false;
      continue;
    }
    FieldReader er(e, r.label(), true, f, key);
    const U64 index = er.Uint("repeat");
    const std::optional<std::string> outcome = er.String("outcome");
    const F64 seconds = er.Number("seconds"), rate = er.Number("ops_per_s");
    const U64 ops = er.Uint("ops");
    const json* latency = er.Object("latency_ns");
    er.Uint("peak_rss_bytes");
    const Counts c =
        ReadViolations(er.Object("violations"), r.label(), true, f, key + "violations.");
    if (index) r.Check(*index == i, key + "repeat (" + Num(*index) + ") != " + Num(uint64_t{i}));
    if (outcome) {
      r.Check(RowNamed(kOutcomeRows, *outcome) != nullptr,
              key + "outcome '" + Printable(*outcome) + "' is not a known outcome");
    }
    if (rate && ops && seconds && *seconds > 0) {
      const double want = static_cast<double>(*ops) / *seconds;
      r.Check(Close(*rate, want, 1e-6),
              key + "ops_per_s (" + Num(*rate) + ") != ops / seconds (" + Num(want) + ")");
    }
    if (latency != nullptr) {
      FieldReader lr(*latency, r.label(), true, f, key + "latency_ns.");
      const U64 samples = lr.Uint("samples");
      if (samples && ops) {
        r.Check(*samples <= *ops,
                key + "latency_ns.samples (" + Num(*samples) + ") > ops (" + Num(*ops) + ")");
      }
    }
    complete &= ops && seconds;
    ops_sum += ops.value_or(0);
    seconds_sum += seconds.value_or(0);
    for (size_t k = 0; k < kViolationKinds; ++k) {
      complete &= c.kinds[k].has_value();
      kinds[k] += c.kinds[k].value_or(0);
    }
  }
  if (stats != nullptr) {
    for (const char* name :
         {"ops_per_s", "latency_p50_ns", "latency_p90_ns", "latency_p99_ns", "latency_p99_9_ns"}) {
      FieldReader st(*stats, r.label(), true, f, "stats.");
      if (const json* summary = st.Object(name)) {
        CheckSummary(r, *summary, name, repeats->size(), f);
      }
    }
  }
  if (partial || !complete) return;
  if (const U64 ops = UintField(pool, "ops")) {
    r.Check(ops_sum == *ops, "ops (" + Num(*ops) + ") != sum over repeats (" + Num(ops_sum) + ")");
  }
  if (const F64 seconds = NumberField(pool, "seconds")) {
    r.Check(Close(*seconds, seconds_sum, 1e-9),
            "seconds (" + Num(*seconds) + ") != sum over repeats (" + Num(seconds_sum) + ")");
  }
  for (size_t k = 0; k < kViolationKinds; ++k) {
    if (!totals.kinds[k]) continue;
    r.Check(kinds[k] == *totals.kinds[k], std::string("violations.") + kViolationNames[k] + " (" +
                                              Num(*totals.kinds[k]) + ") != sum over repeats (" +
                                              Num(kinds[k]) + ")");
  }
}

// "timeline" (optional): points of each repeat in order — repeat indexes non-decreasing and
// within repeats, t, ops and violations non-decreasing within a repeat, ops_per_s the rate of the
// interval, and each repeat's last point at most its totals (equal to its ops when it ended ok).
void CheckTimeline(FieldReader& r, const json& pool, Findings* f) {
  FieldReader opt(pool, r.label(), false, f);
  const json* timeline = opt.Array("timeline");
  if (timeline == nullptr) return;
  const json* repeats = Field(pool, "repeats");
  const size_t n_repeats = repeats != nullptr && repeats->is_array() ? repeats->size() : 1;
  struct Last {
    uint64_t repeat = 0;
    double t = 0;
    uint64_t ops = 0, violations = 0;
    bool any = false;
  } last;
  std::vector<std::optional<uint64_t>> last_ops(n_repeats);
  bool ordered = true, rates = true;
  std::string first_problem;
  auto problem = [&](bool ok, const std::string& what) {
    if (!ok && first_problem.empty()) first_problem = what;
    return ok;
  };
  for (size_t i = 0; i < timeline->size(); ++i) {
    const json& e = (*timeline)[i];
    const std::string key = "timeline[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      r.Check(false, key + " is not an object");
      return;
    }
    FieldReader er(e, r.label(), true, f, key + ".");
    const U64 repeat = er.Uint("repeat"), ops = er.Uint("ops"), violations = er.Uint("violations");
    const F64 t = er.Number("t"), rate = er.Number("ops_per_s");
    er.Uint("rss_bytes");
    er.Uint("retained_bytes");
    er.Uint("outstanding");
    if (!repeat || !ops || !violations || !t || !rate) return;
    ordered &= problem(*repeat < n_repeats, key + ".repeat (" + Num(*repeat) + ") has no repeat");
    const bool same = last.any && *repeat == last.repeat;
    ordered &= problem(!last.any || *repeat >= last.repeat,
                       key + ".repeat goes back from " + Num(last.repeat));
    if (same) {
      ordered &=
          problem(*t >= last.t, key + ".t (" + Num(*t) + ") < previous (" + Num(last.t) + ")");
      ordered &= problem(*ops >= last.ops,
                         key + ".ops (" + Num(*ops) + ") < previous (" + Num(last.ops) + ")");
      ordered &= problem(*violations >= last.violations, key + ".violations decrease");
    }
    const double t0 = same ? last.t : 0;
    const uint64_t ops0 = same ? last.ops : 0;
    if (*t > t0 && *ops >= ops0) {
      const double want = static_cast<double>(*ops - ops0) / (*t - t0);
      rates &=
          problem(Close(*rate, want, 1e-6), key + ".ops_per_s (" + Num(*rate) +
                                                ") != interval ops / seconds (" + Num(want) + ")");
    }
    if (*repeat < n_repeats) last_ops[*repeat] = *ops;
    last = {.repeat = *repeat, .t = *t, .ops = *ops, .violations = *violations, .any = true};
  }
  r.Check(ordered, "timeline out of order: " + first_problem);
  r.Check(rates, "timeline rates: " + first_problem);
  if (repeats == nullptr || !repeats->is_array()) return;
  for (size_t k = 0; k < repeats->size(); ++k) {
    const json& e = (*repeats)[k];
    const U64 ops = UintField(e, "ops");
    const std::optional<std::string> outcome = StringField(e, "outcome");
    if (!ops || !last_ops[k] || !outcome) continue;
    const std::string key = "timeline of repeat " + std::to_string(k);
    if (*outcome == "ok" || *outcome == "violations") {
      r.Check(*last_ops[k] == *ops,
              key + " ends at " + Num(*last_ops[k]) + " ops, the repeat made " + Num(*ops));
    } else {
      r.Check(*last_ops[k] <= *ops,
              key + " ends at " + Num(*last_ops[k]) + " ops, above the repeat's " + Num(*ops));
    }
  }
}

// The fields of a pool's life (optional: older reports lack them): phase, the leak measure over
// cycles, and the crash record of a crashed pool.
void CheckLifeFields(FieldReader& r, const json& pool, const std::optional<std::string>& outcome,
                     Findings* f) {
  FieldReader o(pool, r.label(), false, f);
  const std::optional<std::string> phase = o.String("phase");
  if (phase) {
    r.Check(RowNamed(kPhaseRows, *phase) != nullptr,
            "phase '" + Printable(*phase) + "' is not a known phase");
    if (outcome == "ok" || outcome == "violations" || outcome == "limit") {
      r.Check(*phase == "done", "outcome '" + *outcome + "' but phase '" + Printable(*phase) +
                                    "' (a completed run ends in phase done)");
    }
  }
  const json* cycles = o.Array("heap_after_destroy_bytes");
  const U64 growth = o.Uint("leak_growth_bytes_per_cycle");
  if (cycles != nullptr) {
    uint64_t min_step = UINT64_MAX, previous = 0;
    bool ok = true;
    for (size_t i = 0; i < cycles->size(); ++i) {
      const json& v = (*cycles)[i];
      if (!v.is_number_unsigned()) {
        ok = false;
        break;
      }
      const uint64_t b = v.get<uint64_t>();
      r.Check(i == 0 || b >= previous, "heap_after_destroy_bytes decreases at cycle " +
                                           Num(uint64_t{i + 1}) + " (it is cumulative)");
      if (i > 0 && b >= previous) min_step = std::min(min_step, b - previous);
      previous = b;
    }
    r.Check(ok, "heap_after_destroy_bytes holds a value that is not a byte count");
    if (ok && growth) {
      const uint64_t want = cycles->size() >= 2 ? min_step : 0;
      r.Check(*growth == want, "leak_growth_bytes_per_cycle (" + Num(*growth) +
                                   ") is not the smallest growth between cycles (" + Num(want) +
                                   ")");
    }
  }
  const json* crash = o.Object("crash");
  if (crash != nullptr) {
    r.Check(outcome == "crashed", "a crash record in a pool whose outcome is not 'crashed'");
    const auto sig = crash->find("signal");
    r.Check(sig != crash->end() &&
                (sig->is_null() || (sig->is_string() && sig->get<std::string>().size() > 3)),
            "crash.signal is neither a signal name nor null");
    const auto addr = crash->find("address");
    r.Check(addr != crash->end() &&
                (addr->is_null() ||
                 (addr->is_string() && addr->get<std::string>().rfind("0x", 0) == 0)),
            "crash.address is neither a 0x address nor null");
    const auto cphase = crash->find("phase");
    r.Check(cphase != crash->end() && cphase->is_string() && phase &&
                cphase->get<std::string>() == *phase,
            "crash.phase is not the pool's phase");
    const auto frames = crash->find("frames");
    bool frames_ok = frames != crash->end() && frames->is_array();
    if (frames_ok) {
      for (const json& fr : *frames) frames_ok = frames_ok && fr.is_string();
    }
    r.Check(frames_ok, "crash.frames is not an array of strings");
  }
}

struct PoolResult {
  bool passed = false;   // recorded verdict "pass"
  bool stopped = false;  // outcome "hung" or "limit": bpstress run exits 4
};

// The figures of one pool that the identities below relate, as read (nullopt/nullptr when missing
// or mistyped: the reading has reported it).
struct PoolFigures {
  std::optional<bool> promises, counters;
  F64 seconds, ops_per_s, hit_rate, waste;
  U64 ops, gets, puts, outstanding, refused, hits, misses, pool_gets, pool_puts;
  U64 requested, capacity;
  const json* histogram = nullptr;
  const json* latency = nullptr;
  const json* threads = nullptr;
  Counts totals;
};

// Reads (and type-checks) the pool's counters; `need`: they must be there (a finished pool).
PoolFigures ReadFigures(const json& pool, const std::string& label, bool need, Findings* f) {
  PoolFigures g;
  FieldReader p(pool, label, need, f);
  p.String("spec");
  p.String("stop_reason");
  g.promises = p.Bool("promises_capacity");
  p.Bool("fixed_capacity");
  g.counters = p.Bool("pool_counters");
  g.seconds = p.Number("seconds");
  g.ops_per_s = p.Number("ops_per_s");
  g.ops = p.Uint("ops");
  g.gets = p.Uint("gets");
  g.puts = p.Uint("puts");
  g.outstanding = p.Uint("outstanding");
  g.refused = p.Uint("refused");
  p.Uint("handoffs");
  g.hits = p.Uint("hits");
  g.misses = p.Uint("misses");
  p.Uint("drops");
  g.pool_gets = p.Uint("pool_gets");
  g.pool_puts = p.Uint("pool_puts");
  g.hit_rate = p.Number("hit_rate");
  g.requested = p.Uint("bytes_requested");
  g.capacity = p.Uint("bytes_capacity");
  g.waste = p.Number("waste_ratio");
  g.histogram = p.Array("capacity_histogram");
  g.latency = p.Object("latency_ns");
  for (const char* key :
       {"peak_rss_bytes", "retained_bytes_end", "peak_retained_bytes", "heap_leaked_bytes"}) {
    p.Uint(key);
  }
  g.totals = ReadViolations(p.Object("violations"), label, need, f, "violations.");
  p.Array("violation_examples");
  g.threads = p.Array("threads");
  FieldReader isolated(pool, label, false, f);  // only pools of isolated child runs have these
  isolated.Uint("signal");
  isolated.String("stderr_tail");
  return g;
}

// Finding bugs (absent from older reports): the injection counts, the hunt phase and the first
// violation. Returns double_puts, which the pool's put count includes.
U64 CheckHuntFields(FieldReader& r, const json& pool, const PoolFigures& g, Findings* f) {
  FieldReader hunt(pool, r.label(), false, f);
  const F64 preempt_rate = hunt.Number("preempt_rate");
  if (preempt_rate) r.Check(*preempt_rate >= 0, "preempt_rate (" + Num(*preempt_rate) + ") < 0");
  for (const char* key :
       {"preemptions", "thread_starts", "double_put_accepted", "double_put_side_effects"}) {
    hunt.Uint(key);
  }
  const U64 double_puts = hunt.Uint("double_puts");
  // The hunt phase before the measured run (--profile hunt); when it found something, the pool's
  // figures are its own, and the pool must fail.
  if (const json* phase = hunt.Object("hunt")) {
    FieldReader hp(*phase, r.label(), true, f, "hunt.");
    const auto found = hp.Bool("found");
    hp.Number("seconds");
    hp.Uint("ops");
    hp.Uint("preemptions");
    if (const F64 rate = hp.Number("preempt_rate")) {
      r.Check(*rate > 0, "hunt.preempt_rate (" + Num(*rate) + ") is not above 0");
    }
    const auto pool_verdict = StringField(pool, "verdict");
    if (found && *found && pool_verdict) {
      r.Check(*pool_verdict == "fail", "hunt.found is true but the pool's verdict is not 'fail'");
    }
  }
  if (pool.contains("first_violation_s") && !pool["first_violation_s"].is_null()) {
    const F64 first = hunt.Number("first_violation_s");
    if (first && g.seconds) {
      // A leak is found at the end: up to the run's seconds (rounded as written).
      r.Check(*first >= 0 && *first <= *g.seconds * (1 + 1e-9) + 1e-6,
              "first_violation_s (" + Num(*first) + ") is not within 0.." + Num(*g.seconds));
    }
    if (first && g.totals.failing_kinds == 0) {
      r.Check(false, "first_violation_s is set but no violation was counted");
    }
  }
  return double_puts;
}

// ops = gets + refused: every op either got a buffer or was refused one.
void CheckOpsAddUp(FieldReader& r, const PoolFigures& g) {
  if (g.ops && g.gets && g.refused) {
    r.Check(U128{*g.gets} + *g.refused == *g.ops, "ops (" + Num(*g.ops) + ") != gets (" +
                                                      Num(*g.gets) + ") + refused (" +
                                                      Num(*g.refused) + ")");
  }
}

void CheckOpsRate(FieldReader& r, const PoolFigures& g) {
  if (g.ops_per_s && g.ops && g.seconds) {
    const double want = *g.seconds > 0 ? static_cast<double>(*g.ops) / *g.seconds : 0.0;
    r.Check(Close(*g.ops_per_s, want, 1e-6),
            "ops_per_s (" + Num(*g.ops_per_s) + ") != ops / seconds (" + Num(want) + ")");
  }
}

// A pool that stopped mid-run: its counters come from its last live sample, which obeys the same
// identities as far as it goes.
void CheckPartialPool(FieldReader& r, const json& pool, const PoolFigures& g,
                      const std::string& outcome, const std::optional<std::string>& verdict) {
  r.Check(verdict == "fail", "outcome '" + outcome + "' but verdict is not 'fail'");
  CheckOpsAddUp(r, g);
  CheckOpsRate(r, g);
  const std::optional<std::string> phase = StringField(pool, "phase");
  const bool exact = phase == "drain" || phase == "destroy" || phase == "done";
  if (exact && g.gets && g.puts && g.outstanding) {
    r.Check(U128{*g.puts} + *g.outstanding == *g.gets,
            "gets (" + Num(*g.gets) + ") != puts (" + Num(*g.puts) + ") + outstanding (" +
                Num(*g.outstanding) + ") though the run ended (phase " + *phase + ")");
  }
}

// The counting identities of a finished pool: the pool's own counters against the runner's, and
// every buffer got was put back.
void CheckCounters(FieldReader& r, const PoolFigures& g, bool interrupted, U64 double_puts) {
  if (g.counters == true && g.gets && g.hits && g.misses) {
    r.Check(U128{*g.hits} + *g.misses == *g.gets, "gets (" + Num(*g.gets) + ") != hits (" +
                                                      Num(*g.hits) + ") + misses (" +
                                                      Num(*g.misses) + ")");
  }
  if (g.counters == true && g.gets && g.pool_gets) {
    r.Check(*g.pool_gets == *g.gets,
            "pool_gets (" + Num(*g.pool_gets) + ") != gets (" + Num(*g.gets) + ")");
  }
  if (g.counters == true && g.puts && g.pool_puts) {
    // --misuse double-put: the pool saw each double put twice.
    const uint64_t twice = double_puts ? *double_puts : 0;
    r.Check(U128{*g.pool_puts} == U128{*g.puts} + twice,
            "pool_puts (" + Num(*g.pool_puts) + ") != puts (" + Num(*g.puts) + ")" +
                (twice != 0 ? " + double_puts (" + Num(twice) + ")" : std::string()));
  }
  if (g.gets && g.puts && g.outstanding) {
    r.Check(U128{*g.puts} + *g.outstanding == *g.gets, "gets (" + Num(*g.gets) + ") != puts (" +
                                                           Num(*g.puts) + ") + outstanding (" +
                                                           Num(*g.outstanding) + ")");
  }
  if (g.outstanding && !interrupted) {
    r.Check(*g.outstanding == 0,
            "outstanding (" + Num(*g.outstanding) + ") != 0 in a run that was not interrupted");
  }
  CheckOpsAddUp(r, g);
}

// The derived figures of a finished pool: capacity against requests, and the ratios.
void CheckRatios(FieldReader& r, const PoolFigures& g) {
  // A short capacity is its own finding (short_capacity); the byte totals then cannot agree.
  if (g.promises == true && g.requested && g.capacity &&
      g.totals.kinds[static_cast<size_t>(Violation::kShortCapacity)] == uint64_t{0}) {
    r.Check(*g.capacity >= *g.requested, "bytes_capacity (" + Num(*g.capacity) +
                                             ") < bytes_requested (" + Num(*g.requested) +
                                             ") though the pool promises capacity");
  }
  if (g.hit_rate && g.hits && g.pool_gets) {
    const double want = *g.pool_gets == 0 ? 0.0 : static_cast<double>(*g.hits) / *g.pool_gets;
    r.Check(Close(*g.hit_rate, want, 1e-9),
            "hit_rate (" + Num(*g.hit_rate) + ") != hits / pool_gets (" + Num(want) + ")");
  }
  CheckOpsRate(r, g);
  if (g.waste && g.requested && g.capacity) {
    const double want = *g.capacity > *g.requested
                            ? static_cast<double>(*g.capacity - *g.requested) / *g.capacity
                            : 0.0;
    r.Check(Close(*g.waste, want, 1e-9), "waste_ratio (" + Num(*g.waste) +
                                             ") != (bytes_capacity - bytes_requested) / "
                                             "bytes_capacity (" +
                                             Num(want) + ")");
  }
}

// Verdicts: the recorded one must follow from the outcome and the detectors.
void CheckVerdict(FieldReader& r, const Counts& totals, const std::optional<std::string>& outcome,
                  const std::optional<std::string>& verdict, bool passed) {
  if (verdict == "pass") {
    for (size_t i = 0; i < kViolationKinds; ++i) {
      if (!IsFailure(static_cast<Violation>(i)) || !totals.kinds[i]) continue;
      r.Check(*totals.kinds[i] == 0, std::string("verdict is 'pass' but violations.") +
                                         kViolationNames[i] + " is " + Num(*totals.kinds[i]));
    }
  }
  if (outcome == "ok" || outcome == "violations") {
    r.Check((outcome == "violations") == (totals.failing_kinds != 0),
            "outcome '" + *outcome + "' but " + Num(uint64_t{totals.failing_kinds}) +
                " failure detector kinds fired");
  }
  if (outcome && verdict) {
    const bool want = *outcome == "ok" && totals.failing_kinds == 0;
    r.Check(passed == want, "verdict '" + Printable(*verdict) + "' disagrees with outcome '" +
                                Printable(*outcome) + "' and the detector counts");
  }
}

// Checks one pool; `interrupted` is the report's flag, `threads` its config.threads.
PoolResult CheckPool(const json& pool, bool interrupted, U64 config_threads, Findings* f) {
  PoolResult result;
  FieldReader r(pool, PoolLabel(pool), true, f);
  r.String("pool");
  const std::optional<std::string> outcome = r.String("outcome");
  const std::optional<std::string> verdict = r.String("verdict");
  if (outcome) {
    r.Check(RowNamed(kOutcomeRows, *outcome) != nullptr,
            "outcome '" + Printable(*outcome) + "' is not a known outcome");
  }
  if (verdict) {
    r.Check(*verdict == "pass" || *verdict == "fail",
            "verdict '" + Printable(*verdict) + "' is neither 'pass' nor 'fail'");
  }
  result.passed = verdict == "pass";
  result.stopped = outcome && IsLimitOutcome(*outcome);
  // A partial pool stopped mid-run: only what is there is type-checked.
  const bool partial = outcome && IsPartialOutcome(*outcome);
  const bool need = !partial;
  const PoolFigures g = ReadFigures(pool, r.label(), need, f);
  CheckRepeats(r, pool, partial, g.totals, f);
  CheckTimeline(r, pool, f);
  CheckLifeFields(r, pool, outcome, f);
  const U64 double_puts = CheckHuntFields(r, pool, g, f);
  if (partial) {
    CheckPartialPool(r, pool, g, *outcome, verdict);
    return result;
  }
  CheckCounters(r, g, interrupted, double_puts);
  CheckRatios(r, g);
  CheckLatency(r, g.latency, need, g.ops, f);
  CheckCapacityHistogram(r, g.histogram, need, g.gets, f);
  if (g.threads != nullptr) {
    if (config_threads) {
      r.Check(g.threads->size() == *config_threads,
              "threads has " + Num(uint64_t{g.threads->size()}) + " entries, config.threads is " +
                  Num(*config_threads));
    }
    CheckThreads(r, *g.threads, need, pool, g.totals, f);
  }
  CheckVerdict(r, g.totals, outcome, verdict, result.passed);
  return result;
}

// "outcome 'violations', not_empty 12": why a pool failed, for the line CI shows.
std::string Why(const json& pool) {
  std::string why = "outcome '" + Printable(StringField(pool, "outcome").value_or("?")) + "'";
  const json* v = Field(pool, "violations");
  for (size_t i = 0; v != nullptr && i < kViolationKinds; ++i) {
    const U64 n = UintField(*v, kViolationNames[i]);
    if (n && *n != 0 && IsFailure(static_cast<Violation>(i))) {
      why += std::string(", ") + kViolationNames[i] + " " + Num(*n);
    }
  }
  return why;
}

// What the pools are checked against from the report's config.
struct ConfigFacts {
  U64 threads;
  // config.allocators (optional): the allocators the pools ran on, each pool naming one of them.
  std::vector<std::string> allocators;
};

ConfigFacts CheckConfig(FieldReader& r, const json& config, Findings* f) {
  ConfigFacts facts;
  FieldReader c(config, "report", true, f, "config.");
  c.Uint("seed");
  facts.threads = c.Uint("threads");
  c.String("dist");
  FieldReader optional(config, "report", false, f, "config.");
  optional.Uint("repeat");
  optional.Uint("warmup_ms");
  optional.Bool("pin");
  if (const json* cpus = optional.Array("pin_cpus")) {
    r.Check(std::all_of(cpus->begin(), cpus->end(),
                        [](const json& c) { return c.is_number_unsigned(); }),
            "config.pin_cpus is not a list of CPU numbers");
  }
  // Finding bugs (absent from older reports).
  FieldReader h(config, "report", false, f, "config.");
  if (const auto profile = h.String("profile")) {
    r.Check(*profile == "hunt" || *profile == "bench",
            "config.profile '" + Printable(*profile) + "' is neither 'hunt' nor 'bench'");
  }
  if (const F64 rate = h.Number("preempt_rate")) {
    r.Check(*rate >= 0, "config.preempt_rate (" + Num(*rate) + ") < 0");
  }
  h.Uint("churn");
  if (const F64 rate = h.Number("double_put_rate")) {
    r.Check(*rate >= 0 && *rate <= 1, "config.double_put_rate (" + Num(*rate) + ") not in 0..1");
  }
  h.Bool("misuse_fails");
  if (const F64 rate = h.Number("hunt_rate")) {
    r.Check(*rate >= 0, "config.hunt_rate (" + Num(*rate) + ") < 0");
  }
  if (const F64 share = h.Number("hunt_share")) {
    r.Check(*share >= 0 && *share < 1, "config.hunt_share (" + Num(*share) + ") not in 0..1");
  }
  if (const json* list = Field(config, "allocators"); list != nullptr) {
    bool ok = list->is_array();
    for (const json& a : ok ? *list : json::array()) {
      ok &= a.is_string() && std::find(facts.allocators.begin(), facts.allocators.end(),
                                       a.get<std::string>()) == facts.allocators.end();
      if (a.is_string()) facts.allocators.push_back(a.get<std::string>());
    }
    r.Check(ok, "config.allocators is not a list of distinct names");
  }
  return facts;
}

// The report's pools, each checked, and whether each allocator is one of config.allocators.
struct PoolsResult {
  bool all_passed = true;
  bool stopped = false;  // a pool hung or hit a limit
};

PoolsResult CheckPools(FieldReader& r, const json& pools, bool interrupted,
                       const ConfigFacts& config, Findings* f) {
  PoolsResult result;
  r.Check(!pools.empty(), "no pools");
  for (size_t i = 0; i < pools.size(); ++i) {
    const json& pool = pools[i];
    if (!pool.is_object()) {
      f->Fail("report: pools[" + std::to_string(i) + "] is not an object");
      result.all_passed = false;
      continue;
    }
    const PoolResult p = CheckPool(pool, interrupted, config.threads, f);
    if (const json* a = Field(pool, "allocator"); a != nullptr) {
      const bool named = a->is_string();
      r.Check(named && (config.allocators.empty() ||
                        std::find(config.allocators.begin(), config.allocators.end(),
                                  a->get<std::string>()) != config.allocators.end()),
              PoolLabel(pool) + ": allocator " +
                  (named ? "'" + Printable(a->get<std::string>()) + "'" : "(not a string)") +
                  " is not one of config.allocators");
    }
    result.all_passed &= p.passed;
    result.stopped |= p.stopped;
    if (!p.passed) f->Fail(PoolLabel(pool) + ": verdict is not 'pass' (" + Why(pool) + ")");
  }
  return result;
}

}  // namespace

void VerifyReport(const json& report, Findings* f) {
  if (!report.is_object()) {
    f->Fail("report: the top level is not an object");
    return;
  }
  FieldReader r(report, "report", true, f);
  r.String("schema");
  for (const char* key : {"tool", "host"}) r.Object(key);
  r.String("started_at");
  const json* config = r.Object("config");
  const json* pools = r.Array("pools");
  const std::optional<bool> interrupted = r.Bool("interrupted");
  const U64 exit_code = r.Uint("exit_code");
  const std::optional<std::string> verdict = r.String("verdict");
  ConfigFacts facts;
  if (config != nullptr) facts = CheckConfig(r, *config, f);
  PoolsResult checked;
  if (pools != nullptr) checked = CheckPools(r, *pools, interrupted == true, facts, f);
  const bool all_passed = checked.all_passed, stopped = checked.stopped;
  if (interrupted && exit_code) {
    r.Check(*interrupted == (*exit_code == uint64_t{kExitInterrupted}),
            "exit_code " + Num(*exit_code) + " but interrupted is " +
                (*interrupted ? "true" : "false") + " (130 iff interrupted)");
    r.Check((*exit_code == uint64_t{kExitOk}) == all_passed,
            "exit_code " + Num(*exit_code) +
                (all_passed ? " but every pool passed" : " but a pool failed"));
    if (!*interrupted && stopped) {
      r.Check(*exit_code == uint64_t{kExitLimit},
              "exit_code " + Num(*exit_code) + " but a pool hung or hit a limit (expected 4)");
    }
  }
  if (verdict && exit_code) {
    const bool want = *exit_code == uint64_t{kExitOk} && all_passed;
    r.Check((*verdict == "pass") == want,
            "verdict '" + Printable(*verdict) + "' but exit_code is " + Num(*exit_code) +
                (all_passed ? " and every pool passed" : " and a pool failed"));
  }
  if (verdict) {
    r.Check(*verdict == "pass", "verdict is '" + Printable(*verdict) + "'" +
                                    (exit_code ? " (exit_code " + Num(*exit_code) + ")" : ""));
  }
}

std::string SummaryLine(std::string_view name, const Findings& findings) {
  return "verify: " + Printable(name) + ": " + std::to_string(findings.passed) +
         " checks passed, " + std::to_string(findings.failed) + " failed";
}

}  // namespace bp
