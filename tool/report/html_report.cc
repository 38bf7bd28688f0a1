#include "tool/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "base/units.h"
#include "tool/report/compare.h"
#include "tool/report/report_reader.h"
#include "tool/run/checks.h"
#include "tool/util/text_format.h"

namespace bp {
namespace {

using nlohmann::json;

constexpr const char kStyle[] = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
.pass{color:#17703a;font-weight:600}.fail{color:#b3261e;font-weight:600}.bad{background:#fde2e0}
.l{text-align:left}.meta{color:#555}figure{margin:8px 0 16px}figcaption{font-weight:600}
svg{display:block;max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#222}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;
height:10px;margin-right:4px}
)css";

constexpr const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f"};

struct Series {
  std::string name;
  std::string (*format)(double);
};
struct Group {
  std::string label;           // untrusted: escaped when drawn
  std::vector<double> values;  // one per series; NaN: missing
  // Optional spread per series (min and max over repeats), drawn as a whisker over the bar.
  std::vector<double> low = {}, high = {};
};

std::string Rate(double v) { return HumanRate(v) + " ops/s"; }
std::string Nanos(double v) { return HumanNanos(v); }
std::string Bytes(double v) {
  if (!(v >= 0)) return "-";
  return v < 1.8e19 ? FormatBytes(static_cast<uint64_t>(v)) : FormatNumber(v, "%.3g B");
}
std::string Percent(double v) { return HumanPercent(v); }

// At most `max` bytes, cut at a UTF-8 character boundary.
std::string Shortened(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

// Horizontal bars, one row per (group, series). Log scale when the values span decades
// (latency: max is often 1000x p50), drawn as log1p so zero stays zero.
// Below the bars: a labelled value axis (decades on a log scale, quarters on a linear one).
std::string BarChart(std::string_view title, const std::vector<Series>& series,
                     const std::vector<Group>& groups, bool log_scale,
                     std::string_view axis_label) {
  constexpr double kLabelW = 190, kBarW = 560, kRowH = 18, kGroupGap = 10, kTop = 8, kAxisH = 42;
  double max = 0;
  for (const Group& g : groups) {
    for (double v : g.values) {
      if (std::isfinite(v)) max = std::max(max, v);
    }
    for (double v : g.high) {
      if (std::isfinite(v)) max = std::max(max, v);
    }
  }
  auto scale = [&](double v) {
    if (!std::isfinite(v) || v <= 0 || max <= 0) return 0.0;
    return kBarW * (log_scale ? std::log1p(v) / std::log1p(max) : v / max);
  };
  const double bars_h =
      kTop + static_cast<double>(groups.size()) * (series.size() * kRowH + kGroupGap);
  const double height = bars_h + kAxisH;
  std::string out;
  if (series.size() > 1) {
    out += "<div class=\"legend\">";
    for (size_t s = 0; s < series.size(); ++s) {
      out += "<span><i style=\"background:" + std::string(kColors[s % 5]) + "\"></i>" +
             HtmlEscape(series[s].name) + "</span>";
    }
    out += "</div>\n";
  }
  out += "<svg role=\"img\" width=\"900\" height=\"" + FormatNumber(height, "%.0f") +
         "\" viewBox=\"0 0 900 " + FormatNumber(height, "%.0f") + "\"><title>" + HtmlEscape(title) +
         (log_scale ? " (log scale)" : "") + "</title>\n";
  double y = kTop;
  for (const Group& g : groups) {
    const double group_h = series.size() * kRowH;
    out += "<text x=\"0\" y=\"" + FormatNumber(y + group_h / 2 + 4, "%.1f") + "\">" +
           HtmlEscape(Shortened(g.label, 28)) + "</text>\n";
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = s < g.values.size() ? g.values[s] : NAN;
      const double w = scale(v);
      out += "<rect x=\"" + FormatNumber(kLabelW, "%.0f") + "\" y=\"" +
             FormatNumber(y + 2, "%.1f") + "\" width=\"" + FormatNumber(w, "%.1f") +
             "\" height=\"" + FormatNumber(kRowH - 4, "%.0f") + "\" fill=\"" + kColors[s % 5] +
             "\"/>";
      double text_x = kLabelW + w + 6;
      if (s < g.low.size() && s < g.high.size() && std::isfinite(g.low[s]) &&
          std::isfinite(g.high[s])) {
        // The whisker: min to max over the repeats, with end caps.
        const double x0 = kLabelW + scale(g.low[s]), x1 = kLabelW + scale(g.high[s]);
        const double cy = y + kRowH / 2;
        out += "<path class=\"whisker\" d=\"M" + FormatNumber(x0, "%.1f") + " " +
               FormatNumber(cy, "%.1f") + "H" + FormatNumber(x1, "%.1f") + "M" +
               FormatNumber(x0, "%.1f") + " " + FormatNumber(cy - 5, "%.1f") + "v10M" +
               FormatNumber(x1, "%.1f") + " " + FormatNumber(cy - 5, "%.1f") +
               "v10\" stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"><title>" +
               HtmlEscape("min " + series[s].format(g.low[s]) + ", max " +
                          series[s].format(g.high[s])) +
               "</title></path>";
        text_x = std::max(text_x, x1 + 6);
      }
      out += "<text x=\"" + FormatNumber(text_x, "%.1f") + "\" y=\"" +
             FormatNumber(y + kRowH - 5, "%.1f") + "\">" +
             HtmlEscape(std::isfinite(v) ? series[s].format(v) : "-") + "</text>\n";
      y += kRowH;
    }
    y += kGroupGap;
  }
  // The value axis.
  std::vector<double> ticks;
  if (max > 0 && log_scale) {
    for (double t = 1; t <= max * 1.0001 && ticks.size() < 20; t *= 10) ticks.push_back(t);
  } else if (max > 0) {
    for (int k = 0; k <= 4; ++k) ticks.push_back(max * k / 4);
  }
  out += "<path class=\"axis\" d=\"M" + FormatNumber(kLabelW, "%.0f") + " " +
         FormatNumber(bars_h, "%.1f") + "H" + FormatNumber(kLabelW + kBarW, "%.0f") +
         "\" stroke=\"#888\" fill=\"none\"/>\n";
  for (double t : ticks) {
    const double x = kLabelW + (t == 0 ? 0.0 : scale(t));
    out += "<path d=\"M" + FormatNumber(x, "%.1f") + " " + FormatNumber(bars_h, "%.1f") +
           "v5\" stroke=\"#888\"/>";
    out += "<text x=\"" + FormatNumber(x, "%.1f") + "\" y=\"" + FormatNumber(bars_h + 17, "%.1f") +
           "\" text-anchor=\"middle\">" + HtmlEscape(series[0].format(t)) + "</text>\n";
  }
  out += "<text class=\"axis-label\" x=\"" + FormatNumber(kLabelW + kBarW / 2, "%.0f") + "\" y=\"" +
         FormatNumber(bars_h + 36, "%.1f") + "\" text-anchor=\"middle\">" + HtmlEscape(axis_label) +
         (log_scale ? " (log scale)" : "") + "</text>\n";
  return out + "</svg>\n";
}

struct Line {
  std::string name;  // untrusted: escaped when drawn
  size_t color;
  bool dashed;
  std::vector<std::pair<double, double>> points;  // (seconds, value)
};

// A line chart of values over time: every line on one pair of axes, x in seconds from the start
// of the run, y from 0 to the largest value, five labelled ticks on each axis.
std::string LineChart(std::string_view title, std::string_view y_label,
                      std::string (*format)(double), const std::vector<Line>& lines) {
  constexpr double kLeft = 90, kTop = 10, kW = 760, kH = 240, kBottom = 46;
  double max_x = 0, max_y = 0;
  for (const Line& l : lines) {
    for (const auto& [x, y] : l.points) {
      if (std::isfinite(x)) max_x = std::max(max_x, x);
      if (std::isfinite(y)) max_y = std::max(max_y, y);
    }
  }
  if (max_x <= 0) max_x = 1;
  if (max_y <= 0) max_y = 1;
  auto px = [&](double x) { return kLeft + kW * x / max_x; };
  auto py = [&](double y) { return kTop + kH - kH * y / max_y; };
  std::string out = "<div class=\"legend\">";
  for (const Line& l : lines) {
    out += "<span><i style=\"background:" + std::string(kColors[l.color % 5]) + "\"></i>" +
           HtmlEscape(l.name) + "</span>";
  }
  out += "</div>\n<svg role=\"img\" class=\"timeline\" width=\"900\" height=\"" +
         FormatNumber(kTop + kH + kBottom, "%.0f") + "\" viewBox=\"0 0 900 " +
         FormatNumber(kTop + kH + kBottom, "%.0f") + "\"><title>" + HtmlEscape(title) +
         "</title>\n";
  out += "<path class=\"axis\" d=\"M" + FormatNumber(kLeft, "%.0f") + " " +
         FormatNumber(kTop, "%.0f") + "V" + FormatNumber(kTop + kH, "%.0f") + "H" +
         FormatNumber(kLeft + kW, "%.0f") + "\" stroke=\"#888\" fill=\"none\"/>\n";
  for (int k = 0; k <= 4; ++k) {
    const double x = max_x * k / 4, y = max_y * k / 4;
    out += "<path d=\"M" + FormatNumber(px(x), "%.1f") + " " + FormatNumber(kTop + kH, "%.0f") +
           "v5\" stroke=\"#888\"/><text x=\"" + FormatNumber(px(x), "%.1f") + "\" y=\"" +
           FormatNumber(kTop + kH + 18, "%.0f") + "\" text-anchor=\"middle\">" +
           FormatNumber(x, "%.2gs") + "</text>\n";
    out += "<path d=\"M" + FormatNumber(kLeft - 5, "%.0f") + " " + FormatNumber(py(y), "%.1f") +
           "h5\" stroke=\"#888\"/><text x=\"" + FormatNumber(kLeft - 8, "%.0f") + "\" y=\"" +
           FormatNumber(py(y) + 4, "%.1f") + "\" text-anchor=\"end\">" + HtmlEscape(format(y)) +
           "</text>\n";
  }
  out += "<text class=\"axis-label\" x=\"" + FormatNumber(kLeft + kW / 2, "%.0f") + "\" y=\"" +
         FormatNumber(kTop + kH + 40, "%.0f") +
         "\" text-anchor=\"middle\">seconds since the workers started</text>\n";
  out += "<text class=\"axis-label\" transform=\"rotate(-90)\" x=\"" +
         FormatNumber(-(kTop + kH / 2), "%.0f") + "\" y=\"14\" text-anchor=\"middle\">" +
         HtmlEscape(y_label) + "</text>\n";
  for (const Line& l : lines) {
    std::string d;
    for (const auto& [x, y] : l.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      d +=
          (d.empty() ? "M" : "L") + FormatNumber(px(x), "%.1f") + " " + FormatNumber(py(y), "%.1f");
    }
    if (d.empty()) continue;
    out += "<path class=\"line\" d=\"" + d + "\" stroke=\"" + kColors[l.color % 5] +
           "\" stroke-width=\"2\" fill=\"none\"" + (l.dashed ? " stroke-dasharray=\"6 4\"" : "") +
           "><title>" + HtmlEscape(l.name) + "</title></path>\n";
  }
  return out + "</svg>\n";
}

double Get(const json& obj, std::string_view key) {
  if (const auto v = NumberField(obj, key)) return *v;
  return NAN;
}

std::string Cell(double v, std::string (*format)(double)) {
  return "<td>" + (std::isfinite(v) ? HtmlEscape(format(v)) : std::string("-")) + "</td>";
}

std::string Str(const json& obj, std::string_view key) {
  return HtmlEscape(StringField(obj, key).value_or("-"));
}

std::string Verdict(const std::string& v) {
  const std::string cls = v == "pass" ? "pass" : "fail";
  return "<span class=\"" + cls + "\">" + HtmlEscape(v) + "</span>";
}

std::string ValueText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() &&
      std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); })) {
    std::string out;
    for (const json& e : v) out += (out.empty() ? "" : ", ") + e.get<std::string>();
    return out.empty() ? "(none)" : out;
  }
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Rows "prefix.key | value" for every member of an object (config, tool, host).
std::string KeyValueRows(const json* obj, const std::string& prefix) {
  std::string out;
  if (obj == nullptr || !obj->is_object()) return out;
  for (auto it = obj->begin(); it != obj->end(); ++it) {
    out += "<tr><td>" + HtmlEscape(prefix + it.key()) + "</td><td class=\"l\">" +
           HtmlEscape(ValueText(it.value())) + "</td></tr>\n";
  }
  return out;
}

double Shown(const std::optional<ShownFigure>& f) { return f ? f->value : NAN; }

// The pools table shows the figures `verify` gates (ShownOpsPerSec, ShownP99): with repeats, the
// medians, said under the table.
std::string PoolTable(const std::vector<const json*>& pools,
                      const std::vector<std::string>& names) {
  std::string out =
      "<table><tr><th>pool</th><th>spec</th><th>outcome</th><th>ops/s</th><th>p50</th>"
      "<th>p99</th><th>hit rate</th><th>waste</th><th>peak RSS</th><th>verdict</th></tr>\n";
  for (size_t i = 0; i < pools.size(); ++i) {
    const json* p = pools[i];
    const json* lat = Field(*p, "latency_ns");
    const json none;
    out += "<tr><td>" + HtmlEscape(names[i]) + "</td><td class=\"l\">" + Str(*p, "spec") +
           "</td><td class=\"l\">" + Str(*p, "outcome") + "</td>" +
           Cell(Shown(ShownOpsPerSec(*p)), Rate) + Cell(Get(lat ? *lat : none, "p50"), Nanos) +
           Cell(Shown(ShownP99(*p)), Nanos) +
           Cell(BoolField(*p, "pool_counters") == false ? NAN : Get(*p, "hit_rate"), Percent) +
           Cell(Get(*p, "waste_ratio"), Percent) + Cell(Get(*p, "peak_rss_bytes"), Bytes) + "<td>" +
           Verdict(StringField(*p, "verdict").value_or("-")) + "</td></tr>\n";
  }
  out += "</table>\n";
  std::vector<std::string> medians;
  for (const json* p : pools) {
    for (const auto& f : {ShownOpsPerSec(*p), ShownP99(*p)}) {
      if (f && f->what.find("median") != std::string::npos &&
          std::find(medians.begin(), medians.end(), f->what) == medians.end()) {
        medians.push_back(f->what);
      }
    }
  }
  for (const std::string& m : medians) out += "<p class=\"meta\">" + HtmlEscape(m) + "</p>\n";
  return out;
}

// Crashed pools: signal, address, phase and the crashing thread's stack; the leak measure over
// cycles where it ran.
std::string LifeNotes(const std::vector<const json*>& pools,
                      const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < pools.size(); ++i) {
    const json* crash = Field(*pools[i], "crash");
    if (crash != nullptr && crash->is_object()) {
      out += "<p><b>" + HtmlEscape(names[i]) + "</b> crashed: signal " +
             HtmlEscape(ValueText(crash->value("signal", json()))) + ", address " +
             HtmlEscape(ValueText(crash->value("address", json()))) + ", phase " +
             HtmlEscape(ValueText(crash->value("phase", json()))) + "</p>\n<pre>";
      const auto frames = crash->find("frames");
      if (frames != crash->end() && frames->is_array()) {
        size_t k = 0;
        for (const json& f : *frames) {
          out += "#" + std::to_string(k++) + " " + HtmlEscape(ValueText(f)) + "\n";
        }
      }
      out += "</pre>\n";
    }
    const json* cycles = Field(*pools[i], "heap_after_destroy_bytes");
    if (cycles != nullptr && cycles->is_array() && cycles->size() > 1) {
      out += "<p><b>" + HtmlEscape(names[i]) +
             "</b> heap after destroy per cycle: " + HtmlEscape(ValueText(*cycles)) +
             " bytes; growth per cycle " +
             HtmlEscape(ValueText(pools[i]->value("leak_growth_bytes_per_cycle", json()))) +
             " bytes</p>\n";
    }
  }
  return out;
}

std::string DetectorTable(const std::vector<const json*>& pools,
                          const std::vector<std::string>& names) {
  std::string out = "<table><tr><th>pool</th>";
  for (const char* kind : kViolationNames) out += "<th>" + std::string(kind) + "</th>";
  out += "</tr>\n";
  for (size_t i = 0; i < pools.size(); ++i) {
    const json* p = pools[i];
    const json* v = Field(*p, "violations");
    out += "<tr><td>" + HtmlEscape(names[i]) + "</td>";
    for (size_t k = 0; k < kViolationKinds; ++k) {
      const auto n = v ? UintField(*v, kViolationNames[k]) : std::nullopt;
      const bool bad = n && *n != 0 && IsFailure(static_cast<Violation>(k));
      out += std::string(bad ? "<td class=\"bad\">" : "<td>") + (n ? std::to_string(*n) : "-") +
             "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

// One chart per pool: the share of gets per capacity class. A pool that hands out few classes,
// each often, reuses well; a wide spread means capacities follow requests (little reuse).
std::string CapacityCharts(const std::vector<const json*>& pools,
                           const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < pools.size(); ++i) {
    const json* p = pools[i];
    const json* hist = Field(*p, "capacity_histogram");
    std::vector<Group> groups;
    double total = 0;
    if (hist != nullptr && hist->is_array()) {
      for (const json& b : *hist) total += std::max(0.0, Get(b, "count"));
      for (const json& b : *hist) {
        const double le = Get(b, "capacity_le"), count = Get(b, "count");
        if (!std::isfinite(le) || !std::isfinite(count)) continue;
        groups.push_back({"<= " + (le < 1.8e19 ? Bytes(le) : std::string("16 EiB")),
                          {total > 0 ? count / total : 0}});
      }
    }
    out += "<figure><figcaption>" + HtmlEscape(names[i]) + " — " + std::to_string(groups.size()) +
           " capacity classes</figcaption>\n" +
           BarChart("share of gets by capacity", {{"share of gets", Percent}}, groups, false,
                    "share of gets") +
           "</figure>\n";
  }
  return out;
}

// The timeline of each pool's first repeat: ops/s per interval, and RSS (solid) with the pool's
// retained bytes (dashed). Reports before timelines have none: the section is left out.
std::string TimelineCharts(const std::vector<const json*>& pools,
                           const std::vector<std::string>& names) {
  std::vector<Line> rate, memory;
  for (size_t i = 0; i < pools.size(); ++i) {
    const json* timeline = Field(*pools[i], "timeline");
    if (timeline == nullptr || !timeline->is_array()) continue;
    Line r{names[i], i, false, {}}, rss{names[i] + " RSS", i, false, {}},
        kept{names[i] + " retained", i, true, {}};
    for (const json& e : *timeline) {
      if (UintField(e, "repeat").value_or(1) != 0) continue;
      const double t = Get(e, "t");
      r.points.push_back({t, Get(e, "ops_per_s")});
      rss.points.push_back({t, Get(e, "rss_bytes")});
      kept.points.push_back({t, Get(e, "retained_bytes")});
    }
    if (r.points.empty()) continue;
    rate.push_back(std::move(r));
    memory.push_back(std::move(rss));
    memory.push_back(std::move(kept));
  }
  if (rate.empty()) return "";
  return "<h2 id=\"timeline\">Over time</h2>\n<figure><figcaption>Throughput (first repeat)"
         "</figcaption>\n" +
         LineChart("operations per second over time", "operations per second", HumanRate, rate) +
         "</figure>\n<figure><figcaption>Memory: RSS (solid) and bytes retained by the pool "
         "(dashed)</figcaption>\n" +
         LineChart("memory over time", "bytes", Bytes, memory) + "</figure>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
          out += "\xEF\xBF\xBD";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string RenderHtmlReport(const json& report, std::string_view source) {
  std::vector<const json*> pools;
  if (const json* list = Field(report, "pools"); list != nullptr && list->is_array()) {
    for (const json& p : *list) {
      if (p.is_object()) pools.push_back(&p);
    }
  }
  std::vector<std::string> names;
  for (const json* p : pools) names.push_back(PoolName(report, *p));
  std::vector<Group> throughput, latency, retained;
  for (size_t i = 0; i < pools.size(); ++i) {
    const json* p = pools[i];
    const std::string& name = names[i];
    const json* lat = Field(*p, "latency_ns");
    const json none;
    const json& l = lat ? *lat : none;
    // Repeats: the bar is the median run, the whisker spans the slowest to the fastest.
    const json* stats = Field(*p, "stats");
    const json* ops = stats != nullptr ? Field(*stats, "ops_per_s") : nullptr;
    if (ops != nullptr && UintField(*ops, "n").value_or(0) >= 2) {
      throughput.push_back({name, {Get(*ops, "median")}, {Get(*ops, "min")}, {Get(*ops, "max")}});
    } else {
      throughput.push_back({name, {Get(*p, "ops_per_s")}});
    }
    // Repeats: each percentile the median over the repeats, as the tables show p99.
    auto percentile = [&](const char* key, const char* stat) {
      const json* s = stats != nullptr ? Field(*stats, stat) : nullptr;
      return s != nullptr && UintField(*s, "n").value_or(0) >= 2 ? Get(*s, "median") : Get(l, key);
    };
    latency.push_back({name,
                       {percentile("p50", "latency_p50_ns"), percentile("p90", "latency_p90_ns"),
                        percentile("p99", "latency_p99_ns"),
                        percentile("p99_9", "latency_p99_9_ns"), Get(l, "max")}});
    retained.push_back({name, {Get(*p, "retained_bytes_end"), Get(*p, "peak_retained_bytes")}});
  }
  const std::string verdict = StringField(report, "verdict").value_or("-");
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">\n<title>bpstress report: " +
      HtmlEscape(source) + "</title>\n<style>" + kStyle + "</style></head>\n<body>\n";
  out += "<h1>bpstress report " + Verdict(verdict) + "</h1>\n<p class=\"meta\">" +
         HtmlEscape(source) + " · started " + Str(report, "started_at") + " · exit code " +
         (UintField(report, "exit_code") ? std::to_string(*UintField(report, "exit_code")) : "-") +
         (BoolField(report, "interrupted") == true ? " · interrupted" : "") + "</p>\n";
  out += "<h2 id=\"pools\">Pools</h2>\n" + PoolTable(pools, names);
  out += "<h2 id=\"throughput\">Throughput</h2>\n" +
         BarChart("operations per second", {{"ops/s", Rate}}, throughput, false,
                  "operations per second (median of repeats; whiskers: min to max)");
  out +=
      "<h2 id=\"latency\">Latency percentiles</h2>\n" +
      BarChart("latency of get + put",
               {{"p50", Nanos}, {"p90", Nanos}, {"p99", Nanos}, {"p99.9", Nanos}, {"max", Nanos}},
               latency, true,
               "latency of one get + put (with repeats: each percentile the median over the "
               "repeats; max over all)");
  out += TimelineCharts(pools, names);
  out += "<h2 id=\"capacity\">Capacity distribution</h2>\n" + CapacityCharts(pools, names);
  out += "<h2 id=\"retained\">Retained bytes</h2>\n" +
         BarChart("bytes held by the pool", {{"at the end", Bytes}, {"peak", Bytes}}, retained,
                  false, "bytes held by the pool");
  out += "<h2 id=\"detectors\">Detectors</h2>\n" + DetectorTable(pools, names);
  out += LifeNotes(pools, names);
  out += "<h2 id=\"config\">Configuration</h2>\n<table><tr><th>setting</th><th>value</th></tr>\n" +
         KeyValueRows(Field(report, "config"), "") + KeyValueRows(Field(report, "tool"), "tool.") +
         KeyValueRows(Field(report, "host"), "host.") + "</table>\n</body></html>\n";
  return out;
}

}  // namespace bp
