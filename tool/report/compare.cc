#include "tool/report/compare.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/units.h"
#include "tool/report/report_reader.h"
#include "tool/util/stats.h"
#include "tool/util/text_format.h"

namespace bp {
namespace {

using nlohmann::json;

struct KeyedPool {
  std::string key;  // "sized", or "sized#2" for the second pool of that name
  const json* pool;
};

// Pools are matched by name; in a report of several allocators by name@allocator.
std::vector<KeyedPool> KeyedPools(const json& report) {
  std::vector<KeyedPool> out;
  const json* pools = Field(report, "pools");
  if (pools == nullptr || !pools->is_array()) return out;
  std::vector<std::string> names;
  for (const json& p : *pools) {
    if (!p.is_object()) continue;
    const std::string name = PoolName(report, p);
    const size_t seen = 1 + std::count(names.begin(), names.end(), name);
    names.push_back(name);
    out.push_back({seen == 1 ? name : name + "#" + std::to_string(seen), &p});
  }
  return out;
}

const json* FindPool(const std::vector<KeyedPool>& pools, const std::string& key) {
  for (const KeyedPool& k : pools) {
    if (k.key == key) return k.pool;
  }
  return nullptr;
}

bool Selected(const json& pool, const std::vector<std::string>& names) {
  const std::string name = StringField(pool, "pool").value_or("");
  return names.empty() || std::find(names.begin(), names.end(), name) != names.end();
}

bool Partial(const json& pool) {
  return IsPartialOutcome(StringField(pool, "outcome").value_or(""));
}

// p99 when the pool timed at least one op.
std::optional<uint64_t> P99(const json& pool) {
  const json* latency = Field(pool, "latency_ns");
  if (latency == nullptr || UintField(*latency, "samples").value_or(0) == 0) return std::nullopt;
  return UintField(*latency, "p99");
}

std::optional<double> P99Double(const json& pool) {
  const auto v = P99(pool);
  return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}

// The latency clock's step of a report (host.latency_resolution_ns), kAssumedResolutionNs for
// reports written before it was recorded.
double ResolutionNs(const json& report) {
  const json* host = Field(report, "host");
  const auto v = host != nullptr ? NumberField(*host, "latency_resolution_ns") : std::nullopt;
  return v && *v > 0 ? *v : kAssumedResolutionNs;
}

std::string FloorText(double floor_ns) {
  return FormatNumber(kLatencyResolutionSteps, "%.0f") + " steps of the latency clock, " +
         HumanNanos(floor_ns / kLatencyResolutionSteps) + " each";
}

std::string Label(const std::string& key) { return "pool '" + Printable(key, 80) + "'"; }

// Bounds are compared exactly, so their messages must not round 99.94% up to the 99.99% bound.
std::string PrecisePercent(double ratio) { return FormatNumber(100 * ratio, "%.4g%%"); }

// A figure's statistics over repeats (report's stats.<name>), when there are at least two.
struct Interval {
  double low, median, high;
  uint64_t n;
  double level;  // the interval's coverage (stats' ci_level)
};
std::optional<Interval> RepeatInterval(const json& pool, const char* name) {
  const json* stats = Field(pool, "stats");
  const json* s = stats != nullptr ? Field(*stats, name) : nullptr;
  if (s == nullptr) return std::nullopt;
  const auto n = UintField(*s, "n");
  const auto low = NumberField(*s, "ci_low"), median = NumberField(*s, "median"),
             high = NumberField(*s, "ci_high");
  if (!n || *n < 2 || !low || !median || !high) return std::nullopt;
  return Interval{*low, *median, *high, *n, NumberField(*s, "ci_level").value_or(0)};
}

// The label of an interval, as the run's table gives it (IntervalLabel).
std::string LabelOf(const Interval& in) {
  Summary s;
  s.n = in.n;
  s.ci_level = in.level;
  return IntervalLabel(s);
}

// "1.23M", or "1.23M ± 40.0K" for the median of repeats.
std::string WithSpread(double v, const std::optional<Interval>& in, std::string (*human)(double)) {
  if (!in) return human(v);
  return human(in->median) + " ± " + human((in->high - in->low) / 2);
}

// A setting's value as text: strings as they are, lists joined with commas, numbers in JSON.
std::string SettingText(const json* v) {
  if (v == nullptr) return "-";
  if (v->is_string()) return Printable(v->get<std::string>(), 60);
  if (v->is_array()) {
    std::string out;
    for (const json& e : *v) {
      if (!out.empty()) out.push_back(',');
      out.append(SettingText(&e));
    }
    return out.empty() ? "(none)" : out;
  }
  if (v->is_number()) {
    if (v->is_number_integer()) return Printable(v->dump(), 40);
    return FormatNumber(v->get<double>(), "%g");
  }
  return Printable(v->dump(-1, ' ', false, json::error_handler_t::replace), 60);
}

const json* Setting(const json& report, const char* section, const char* key) {
  const json* s = Field(report, section);
  return s != nullptr ? Field(*s, key) : nullptr;
}

}  // namespace

std::optional<ShownFigure> ShownOpsPerSec(const json& pool) {
  if (const auto in = RepeatInterval(pool, "ops_per_s")) {
    return ShownFigure{in->median, "ops_per_s (median of " + std::to_string(in->n) + " repeats)"};
  }
  if (const auto v = NumberField(pool, "ops_per_s")) return ShownFigure{*v, "ops_per_s"};
  return std::nullopt;
}

std::optional<ShownFigure> ShownP99(const json& pool) {
  if (const auto in = RepeatInterval(pool, "latency_p99_ns")) {
    return ShownFigure{in->median, "latency p99 (median of " + std::to_string(in->n) + " repeats)"};
  }
  if (const auto v = P99(pool)) return ShownFigure{static_cast<double>(*v), "latency p99"};
  return std::nullopt;
}

void CheckThresholds(const json& report, const Thresholds& t, Findings* f) {
  const std::vector<KeyedPool> pools = KeyedPools(report);
  for (const std::string& name : t.pools) {
    const bool found = std::any_of(pools.begin(), pools.end(), [&](const KeyedPool& k) {
      return StringField(*k.pool, "pool") == name;
    });
    f->Check(found, "--pool '" + Printable(name, 80) + "': no such pool in the report");
  }
  const bool any =
      t.min_ops_per_sec || t.max_p99_ns || t.max_waste || t.min_hit_rate || t.max_rss_bytes;
  for (const KeyedPool& k : pools) {
    const json& p = *k.pool;
    if (!any || !Selected(p, t.pools)) continue;
    const std::string label = Label(k.key);
    if (Partial(p)) {
      f->Note(label + ": partial outcome, thresholds not checked");
      continue;
    }
    auto missing = [&](const char* option, const char* field) {
      f->Fail(label + ": " + option + ": the report has no " + field);
    };
    if (t.min_ops_per_sec) {
      if (const auto v = ShownOpsPerSec(p)) {
        f->Check(v->value >= *t.min_ops_per_sec, label + ": " + v->what + " " +
                                                     HumanRate(v->value) + " < --min-ops-per-sec " +
                                                     HumanRate(*t.min_ops_per_sec));
      } else {
        missing("--min-ops-per-sec", "ops_per_s");
      }
    }
    if (t.max_p99_ns) {
      if (const auto v = ShownP99(p)) {
        f->Check(v->value <= static_cast<double>(*t.max_p99_ns),
                 label + ": " + v->what + " " + HumanNanos(v->value) + " > --max-p99 " +
                     HumanNanos(*t.max_p99_ns));
      } else {
        f->Note(label + ": no latency samples, --max-p99 not checked");
      }
    }
    if (t.max_waste) {
      if (const auto v = NumberField(p, "waste_ratio")) {
        f->Check(*v <= *t.max_waste, label + ": waste_ratio " + PrecisePercent(*v) +
                                         " > --max-waste " + PrecisePercent(*t.max_waste));
      } else {
        missing("--max-waste", "waste_ratio");
      }
    }
    if (t.min_hit_rate) {
      const auto v = NumberField(p, "hit_rate");
      if (BoolField(p, "pool_counters") == false) {
        f->Note(label + ": the pool keeps no counters, --min-hit-rate not checked");
      } else if (v) {
        f->Check(*v >= *t.min_hit_rate, label + ": hit_rate " + PrecisePercent(*v) +
                                            " < --min-hit-rate " + PrecisePercent(*t.min_hit_rate));
      } else {
        missing("--min-hit-rate", "hit_rate");
      }
    }
    if (t.max_rss_bytes) {
      if (const auto v = UintField(p, "peak_rss_bytes")) {
        f->Check(*v <= *t.max_rss_bytes, label + ": peak_rss_bytes " + FormatBytes(*v) +
                                             " > --max-rss " + FormatBytes(*t.max_rss_bytes));
      } else {
        missing("--max-rss", "peak_rss_bytes");
      }
    }
  }
}

std::vector<std::string> SettingsDifferences(const json& a, const json& b) {
  struct Item {
    const char* section;
    const char* key;
    const char* name;
  };
  static constexpr Item kSettings[] = {
      {"config", "dist", "dist"},
      {"config", "threads", "threads"},
      {"config", "hold", "hold"},
      {"config", "cross_thread", "cross-thread"},
      {"config", "touch", "touch"},
      {"config", "checks", "checks"},
      {"config", "workload", "workload"},
      {"config", "allocators", "allocator"},
      {"config", "preempt_rate", "preemption"},
      {"config", "hunt_rate", "hunt phase"},
      {"tool", "build_type", "build type"},
      {"tool", "sanitizers", "sanitizers"},
      {"host", "cpus", "CPU count"},
  };
  std::vector<std::string> out;
  for (const Item& item : kSettings) {
    const json *x = Setting(a, item.section, item.key), *y = Setting(b, item.section, item.key);
    std::string tx = SettingText(x), ty = SettingText(y);
    if (std::string_view(item.key) == "preempt_rate" || std::string_view(item.key) == "hunt_rate") {
      // Reports before preemption existed ran without it.
      const double vx = x != nullptr && x->is_number() ? x->get<double>() : 0;
      const double vy = y != nullptr && y->is_number() ? y->get<double>() : 0;
      if (vx == vy) continue;
      tx = FormatNumber(vx, "%g");
      ty = FormatNumber(vy, "%g");
    }
    if (tx != ty) out.push_back(std::string(item.name) + ": " + tx + " vs " + ty);
  }
  return out;
}

void CheckBaseline(const json& report, const json& baseline, double max_regression,
                   const std::vector<std::string>& names, Findings* f) {
  CheckBaseline(report, baseline, BaselineGate{max_regression, false}, names, f);
}

void CheckBaseline(const json& report, const json& baseline, const BaselineGate& gate,
                   const std::vector<std::string>& names, Findings* f) {
  const std::vector<KeyedPool> now = KeyedPools(report), before = KeyedPools(baseline);
  for (const std::string& d : SettingsDifferences(baseline, report)) {
    const std::string line = "settings differ from the baseline: " + d + " (baseline vs report)";
    if (gate.allow_mismatch) {
      f->Note(line);
    } else {
      f->Fail(line + "; --allow-mismatch to compare anyway");
    }
  }
  for (const KeyedPool& k : before) {
    if (Selected(*k.pool, names) && FindPool(now, k.key) == nullptr) {
      f->Note(Label(k.key) + " is in the baseline but not in the report");
    }
  }
  for (const KeyedPool& k : now) {
    if (!Selected(*k.pool, names)) continue;
    const std::string label = Label(k.key);
    const json* old = FindPool(before, k.key);
    if (old == nullptr) {
      f->Note(label + " is not in the baseline");
      continue;
    }
    if (Partial(*k.pool) || Partial(*old)) {
      f->Note(label + ": partial outcome, not compared with the baseline");
      continue;
    }
    const auto in = RepeatInterval(*k.pool, "ops_per_s"),
               old_in = RepeatInterval(*old, "ops_per_s");
    const auto p99_in = RepeatInterval(*k.pool, "latency_p99_ns"),
               old_p99_in = RepeatInterval(*old, "latency_p99_ns");
    const bool intervals = in && old_in;
    const double max_regression = gate.max_regression.value_or(
        intervals ? kDefaultMaxRegression : kDefaultSingleRunMaxRegression);
    const std::string bound = PrecisePercent(max_regression);
    if (intervals) {
      // Distinct intervals, not distinct medians: noise moves the median, rarely a whole interval.
      const double gap = 1 - in->high / old_in->low;
      f->Check(old_in->low <= 0 || gap <= max_regression,
               label + ": ops_per_s interval [" + HumanRate(in->low) + ", " + HumanRate(in->high) +
                   "] lies " + PrecisePercent(gap) + " below the baseline's [" +
                   HumanRate(old_in->low) + ", " + HumanRate(old_in->high) + "], more than " +
                   bound);
    } else {
      f->Note(label + ": a single run on " + (in || old_in ? "one side" : "both sides") +
              ": no interval, comparing one figure against a bound of " + bound);
      // Repeats on one side give its noise floor: the end of its interval nearest the other side.
      const auto ops = in ? std::optional<double>(in->high) : NumberField(*k.pool, "ops_per_s");
      const auto old_ops =
          old_in ? std::optional<double>(old_in->low) : NumberField(*old, "ops_per_s");
      if (ops && old_ops && *old_ops > 0) {
        const double drop = 1 - *ops / *old_ops;
        f->Check(drop <= max_regression, label + ": ops_per_s fell " + PrecisePercent(drop) +
                                             " below the baseline (" + HumanRate(*old_ops) +
                                             " -> " + HumanRate(*ops) + "), more than " + bound);
      } else {
        f->Note(label + ": no ops_per_s on both sides, throughput not compared");
      }
    }
    // Latencies are whole steps of the clock: a rise of fewer than kLatencyResolutionSteps steps
    // is the clock, never a regression.
    const double floor_ns =
        kLatencyResolutionSteps * std::max(ResolutionNs(report), ResolutionNs(baseline));
    auto rose = [&](double now_ns, double old_ns) {
      return now_ns - old_ns > std::max(max_regression * old_ns, floor_ns);
    };
    if (p99_in && old_p99_in) {
      const double gap = p99_in->low / old_p99_in->high - 1;
      f->Check(old_p99_in->high <= 0 || !rose(p99_in->low, old_p99_in->high),
               label + ": latency p99 interval [" + HumanNanos(p99_in->low) + ", " +
                   HumanNanos(p99_in->high) + "] lies " + PrecisePercent(gap) +
                   " above the baseline's [" + HumanNanos(old_p99_in->low) + ", " +
                   HumanNanos(old_p99_in->high) + "], more than " + bound + " and " +
                   HumanNanos(floor_ns) + " (" + FloorText(floor_ns) + ")");
      continue;
    }
    const auto p99 = p99_in ? std::optional<double>(p99_in->low) : P99Double(*k.pool);
    const auto old_p99 = old_p99_in ? std::optional<double>(old_p99_in->high) : P99Double(*old);
    if (p99 && old_p99 && *old_p99 > 0) {
      const double rise = *p99 / *old_p99 - 1;
      f->Check(!rose(*p99, *old_p99), label + ": latency p99 rose " + PrecisePercent(rise) +
                                          " above the baseline (" + HumanNanos(*old_p99) + " -> " +
                                          HumanNanos(*p99) + "), more than " + bound + " and " +
                                          HumanNanos(floor_ns) + " (" + FloorText(floor_ns) + ")");
    } else {
      f->Note(label + ": no latency samples on both sides, p99 not compared");
    }
  }
}

namespace {

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Markdown cells: a '|' would end the cell.
std::string MarkdownCell(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

json OptionalNumber(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

json IntervalJson(const std::optional<Interval>& in) {
  if (!in) return nullptr;
  return {{"n", in->n},
          {"median", in->median},
          {"ci_low", in->low},
          {"ci_high", in->high},
          {"ci_level", in->level}};
}

}  // namespace

namespace {

// One pool of one report as the comparison shows it. With repeats the medians are compared, as
// the gate does.
struct Figures {
  std::optional<Interval> ops_in, p99_in;
  std::optional<double> ops, p99, rss, hit, waste;
  std::optional<uint64_t> rss_bytes;
  bool counters = true;
  std::string verdict;
};
Figures FiguresOf(const json& p) {
  Figures f;
  f.ops_in = RepeatInterval(p, "ops_per_s");
  f.p99_in = RepeatInterval(p, "latency_p99_ns");
  f.ops = f.ops_in ? std::optional<double>(f.ops_in->median) : NumberField(p, "ops_per_s");
  const auto p99_int = P99(p);
  f.p99 = f.p99_in
              ? std::optional<double>(f.p99_in->median)
              : (p99_int ? std::optional<double>(static_cast<double>(*p99_int)) : std::nullopt);
  f.rss_bytes = UintField(p, "peak_rss_bytes");
  if (f.rss_bytes) f.rss = static_cast<double>(*f.rss_bytes);
  f.hit = NumberField(p, "hit_rate");
  f.counters = BoolField(p, "pool_counters") != false;
  f.waste = NumberField(p, "waste_ratio");
  f.verdict = StringField(p, "verdict").value_or("-");
  return f;
}

// The first report's figures of a pool, which the others are given as ratios to.
struct Firsts {
  std::optional<double> ops, p99, rss;
  void Take(const Figures& f) {
    if (!ops && f.ops) ops = *f.ops;
    if (!p99 && f.p99) p99 = *f.p99;
    if (!rss && f.rss) rss = *f.rss;
  }
};

std::string Ratio(double v, std::optional<double> first) {
  if (!first || *first <= 0) return std::string();
  return FormatNumber(v / *first, " (%.2fx)");
}
json RawRatio(std::optional<double> v, std::optional<double> first) {
  return v && first && *first > 0 ? json(*v / *first) : json(nullptr);
}

// Untrusted names are escaped in every text format (a newline would split a CSV row).
std::vector<std::string> TextRow(const std::string& key, const std::string& report,
                                 const Figures& f, const Firsts& first, bool plain) {
  std::vector<std::string> row = {Printable(key, plain ? 40 : 200),
                                  Printable(report, plain ? 60 : 200)};
  row.push_back(f.ops ? WithSpread(*f.ops, f.ops_in, HumanRate) + Ratio(*f.ops, first.ops) : "-");
  row.push_back(f.p99 ? WithSpread(*f.p99, f.p99_in, HumanNanos) + Ratio(*f.p99, first.p99) : "-");
  row.push_back(f.hit && f.counters ? HumanPercent(*f.hit) : "-");
  row.push_back(f.waste ? HumanPercent(*f.waste) : "-");
  row.push_back(f.rss ? FormatBytes(*f.rss_bytes) + Ratio(*f.rss, first.rss) : "-");
  row.push_back(Printable(f.verdict, 10));
  return row;
}

json JsonRow(const std::string& key, const std::string& report, const Figures& f,
             const Firsts& first) {
  return {{"pool", key},
          {"report", report},
          {"ops_per_s", OptionalNumber(f.ops)},
          {"ops_per_s_ratio", RawRatio(f.ops, first.ops)},
          {"ops_per_s_stats", IntervalJson(f.ops_in)},
          {"p99_ns", OptionalNumber(f.p99)},
          {"p99_ratio", RawRatio(f.p99, first.p99)},
          {"p99_stats", IntervalJson(f.p99_in)},
          {"hit_rate", f.counters ? OptionalNumber(f.hit) : json(nullptr)},
          {"waste_ratio", OptionalNumber(f.waste)},
          {"peak_rss_bytes", f.rss_bytes ? json(*f.rss_bytes) : json(nullptr)},
          {"peak_rss_ratio", RawRatio(f.rss, first.rss)},
          {"verdict", f.verdict}};
}

std::string RenderCsv(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i != 0) out.push_back(',');
      out.append(CsvField(row[i]));
    }
    out += "\n";
  }
  return out;
}

std::string RenderMarkdown(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (size_t r = 0; r < rows.size(); ++r) {
    out += "|";
    for (const std::string& cell : rows[r]) {
      out.push_back(' ');
      out.append(MarkdownCell(cell));
      out.append(" |");
    }
    out += "\n";
    if (r == 0) {
      out += "|";
      for (size_t i = 0; i < rows[r].size(); ++i) {
        out += (i < 2 || i + 1 == rows[r].size()) ? " --- |" : " ---: |";
      }
      out += "\n";
    }
  }
  return out;
}

// Names (pool, report) and the verdict left-aligned, numbers right-aligned.
std::string RenderTable(std::vector<std::vector<std::string>> rows) {
  std::vector<bool> left(rows[0].size(), false);
  left[0] = left[1] = left.back() = true;
  TextTable table(std::move(left));
  for (std::vector<std::string>& row : rows) table.AddRow(std::move(row));
  return table.Render();
}

}  // namespace

std::string CompareTable(const std::vector<NamedReport>& reports, CompareFormat format) {
  std::vector<std::vector<KeyedPool>> keyed;
  std::vector<std::string> keys;  // pools in order of first appearance
  for (const NamedReport& r : reports) {
    keyed.push_back(KeyedPools(r.json));
    for (const KeyedPool& k : keyed.back()) {
      if (std::find(keys.begin(), keys.end(), k.key) == keys.end()) keys.push_back(k.key);
    }
  }
  std::vector<std::vector<std::string>> rows = {
      {"pool", "report", "ops/s", "p99", "hit rate", "waste", "peak RSS", "verdict"}};
  json list = json::array();
  std::vector<std::string> labels;  // what "M ± H" means, with its coverage
  auto add_label = [&labels](const std::optional<Interval>& in) {
    if (!in) return;
    const std::string l = LabelOf(*in);
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  };
  for (const std::string& key : keys) {
    Firsts first;
    for (size_t i = 0; i < reports.size(); ++i) {
      const json* p = FindPool(keyed[i], key);
      if (p == nullptr) continue;
      const Figures f = FiguresOf(*p);
      add_label(f.ops_in);
      add_label(f.p99_in);
      if (format == CompareFormat::kJson) {
        list.push_back(JsonRow(key, reports[i].name, f, first));
      } else {
        rows.push_back(TextRow(key, reports[i].name, f, first, format == CompareFormat::kTable));
      }
      first.Take(f);
    }
  }
  switch (format) {
    case CompareFormat::kJson:
      return list.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    case CompareFormat::kCsv:
      return RenderCsv(rows);
    case CompareFormat::kMarkdown:
    case CompareFormat::kTable:
      break;
  }
  std::string out =
      format == CompareFormat::kMarkdown ? RenderMarkdown(rows) : RenderTable(std::move(rows));
  if (!labels.empty() && format == CompareFormat::kMarkdown) out += "\n";
  for (const std::string& l : labels) out += "ops/s, p99: " + l + "\n";
  return out;
}

}  // namespace bp
