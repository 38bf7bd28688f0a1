#include "tool/report/compare.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "tool/report/report_reader.h"
#include "tool/util/units.h"

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

std::string Label(const std::string& key) { return "pool '" + Printable(key, 80) + "'"; }

std::string Fixed(double v, const char* format) {
  char out[48];
  std::snprintf(out, sizeof out, format, v);
  return out;
}

// Bounds are compared exactly, so their messages must not round 99.94% up to the 99.99% bound.
std::string PrecisePercent(double ratio) { return Fixed(100 * ratio, "%.4g%%"); }

}  // namespace

std::string HumanRate(double per_s) {
  if (per_s >= 1e9) return Fixed(per_s / 1e9, "%.2fG");
  if (per_s >= 1e6) return Fixed(per_s / 1e6, "%.2fM");
  if (per_s >= 1e3) return Fixed(per_s / 1e3, "%.1fK");
  return Fixed(per_s, "%.0f");
}

std::string HumanNanos(double ns) {
  if (ns >= 1e9) return Fixed(ns / 1e9, "%.2fs");
  if (ns >= 1e6) return Fixed(ns / 1e6, "%.1fms");
  if (ns >= 1e3) return Fixed(ns / 1e3, "%.1fus");
  return Fixed(ns, "%.0fns");
}

std::string HumanPercent(double ratio) { return Fixed(100 * ratio, "%.1f%%"); }

std::optional<uint64_t> ParseLatencyBound(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    return ParseUint(text);
  }
  const auto d = ParseDuration(text);
  if (!d || d->count() < 0) return std::nullopt;
  return static_cast<uint64_t>(d->count());
}

std::optional<double> ParseRatio(std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  const auto v = ParseDouble(text);
  if (!v || *v < 0) return std::nullopt;
  return percent ? *v / 100 : *v;
}

std::optional<double> ParseRate(std::string_view text) {
  double scale = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        scale = 1e3;
        break;
      case 'M':
        scale = 1e6;
        break;
      case 'G':
        scale = 1e9;
        break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  const auto v = ParseDouble(text);
  if (!v || *v < 0) return std::nullopt;
  return *v * scale;
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
      if (const auto v = NumberField(p, "ops_per_s")) {
        f->Check(*v >= *t.min_ops_per_sec, label + ": ops_per_s " + HumanRate(*v) +
                                               " < --min-ops-per-sec " +
                                               HumanRate(*t.min_ops_per_sec));
      } else {
        missing("--min-ops-per-sec", "ops_per_s");
      }
    }
    if (t.max_p99_ns) {
      if (const auto v = P99(p)) {
        f->Check(*v <= *t.max_p99_ns, label + ": latency p99 " + HumanNanos(*v) + " > --max-p99 " +
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

void CheckBaseline(const json& report, const json& baseline, double max_regression,
                   const std::vector<std::string>& names, Findings* f) {
  const std::vector<KeyedPool> now = KeyedPools(report), before = KeyedPools(baseline);
  const std::string bound = PrecisePercent(max_regression);
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
    const auto ops = NumberField(*k.pool, "ops_per_s"), old_ops = NumberField(*old, "ops_per_s");
    if (ops && old_ops && *old_ops > 0) {
      const double drop = 1 - *ops / *old_ops;
      f->Check(drop <= max_regression, label + ": ops_per_s fell " + PrecisePercent(drop) +
                                           " below the baseline (" + HumanRate(*old_ops) + " -> " +
                                           HumanRate(*ops) + "), more than " + bound);
    } else {
      f->Note(label + ": no ops_per_s on both sides, throughput not compared");
    }
    const auto p99 = P99(*k.pool), old_p99 = P99(*old);
    if (p99 && old_p99 && *old_p99 > 0) {
      const double rise = static_cast<double>(*p99) / static_cast<double>(*old_p99) - 1;
      f->Check(rise <= max_regression, label + ": latency p99 rose " + PrecisePercent(rise) +
                                           " above the baseline (" + HumanNanos(*old_p99) + " -> " +
                                           HumanNanos(*p99) + "), more than " + bound);
    } else {
      f->Note(label + ": no latency samples on both sides, p99 not compared");
    }
  }
}

std::string CompareTable(const std::vector<NamedReport>& reports) {
  std::vector<std::vector<KeyedPool>> keyed;
  std::vector<std::string> keys;  // pools in order of first appearance
  for (const NamedReport& r : reports) {
    keyed.push_back(KeyedPools(r.json));
    for (const KeyedPool& k : keyed.back()) {
      if (std::find(keys.begin(), keys.end(), k.key) == keys.end()) keys.push_back(k.key);
    }
  }
  auto ratio = [](double v, std::optional<double> first) {
    if (!first || *first <= 0) return std::string();
    return Fixed(v / *first, " (%.2fx)");
  };
  std::vector<std::vector<std::string>> rows = {
      {"pool", "report", "ops/s", "p99", "hit rate", "waste", "peak RSS", "verdict"}};
  for (const std::string& key : keys) {
    std::optional<double> first_ops, first_p99, first_rss;
    for (size_t i = 0; i < reports.size(); ++i) {
      const json* p = FindPool(keyed[i], key);
      if (p == nullptr) continue;
      std::vector<std::string> row = {Printable(key, 40), Printable(reports[i].name, 60)};
      const auto ops = NumberField(*p, "ops_per_s");
      const auto p99 = P99(*p);
      const auto rss = UintField(*p, "peak_rss_bytes");
      const auto hit = NumberField(*p, "hit_rate");
      const auto waste = NumberField(*p, "waste_ratio");
      row.push_back(ops ? HumanRate(*ops) + ratio(*ops, first_ops) : "-");
      row.push_back(p99 ? HumanNanos(*p99) + ratio(*p99, first_p99) : "-");
      row.push_back(hit && BoolField(*p, "pool_counters") != false ? HumanPercent(*hit) : "-");
      row.push_back(waste ? HumanPercent(*waste) : "-");
      row.push_back(rss ? FormatBytes(*rss) + ratio(*rss, first_rss) : "-");
      row.push_back(Printable(StringField(*p, "verdict").value_or("-"), 10));
      if (!first_ops && ops) first_ops = *ops;
      if (!first_p99 && p99) first_p99 = static_cast<double>(*p99);
      if (!first_rss && rss) first_rss = static_cast<double>(*rss);
      rows.push_back(std::move(row));
    }
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      // Names left-aligned, numbers right-aligned.
      line += (i < 2 || i + 1 == row.size()) ? row[i] + pad : pad + row[i];
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace bp
