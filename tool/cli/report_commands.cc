#include "tool/cli/report_commands.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "base/units.h"
#include "tool/report/compare.h"
#include "tool/report/html_report.h"
#include "tool/report/report.h"
#include "tool/report/report_reader.h"
#include "tool/report/verify.h"
#include "tool/report/verify_hunt.h"
#include "tool/util/exit_codes.h"
#include "tool/util/output_file.h"

namespace bp {
namespace {

using nlohmann::json;

struct CommandArgs {
  std::string report;
  std::string min_ops, max_p99, max_waste, min_hit_rate, max_rss, baseline, max_regression;
  std::vector<std::string> pools;
  std::vector<std::string> compare;
  std::string html;
  std::string verify_format = "text", compare_format = "table";
  bool allow_mismatch = false;
};

// JUnit attributes and text take the HTML report's escaping (its &#39; is valid XML too), of the
// printable form of the text.
std::string XmlEscape(std::string_view text) { return HtmlEscape(Printable(text, 2000)); }

// JUnit XML for CI dashboards: one test case per check, a failure element on those that failed.
// Notes go to system-out.
std::string JUnit(const std::string& name, const Findings& f) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"" +
                    XmlEscape("bpstress verify " + name) + "\" tests=\"" +
                    std::to_string(f.checks.size()) + "\" failures=\"" + std::to_string(f.failed) +
                    "\" errors=\"0\">\n";
  for (size_t i = 0; i < f.checks.size(); ++i) {
    const Findings::Result& c = f.checks[i];
    out += "<testcase classname=\"bpstress.verify\" name=\"" + std::to_string(i + 1) + ": " +
           XmlEscape(c.what) + "\"";
    out += c.ok ? "/>\n" : "><failure message=\"" + XmlEscape(c.what) + "\"/></testcase>\n";
  }
  out += "<system-out>";
  for (const std::string& line : f.lines) {
    if (line.rfind("note: ", 0) == 0) out += XmlEscape(line) + "\n";
  }
  return out + "</system-out>\n</testsuite>\n</testsuites>\n";
}

std::string FindingsJson(const std::string& name, const Findings& f) {
  json checks = json::array(), notes = json::array();
  for (const Findings::Result& c : f.checks) checks.push_back({{"check", c.what}, {"ok", c.ok}});
  for (const std::string& line : f.lines) {
    if (line.rfind("note: ", 0) == 0) notes.push_back(line.substr(6));
  }
  const json out = {{"report", name},     {"passed", f.passed},
                    {"failed", f.failed}, {"verdict", f.failed == 0 ? "pass" : "fail"},
                    {"checks", checks},   {"notes", notes}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

int UsageError(const char* command, const std::string& what) {
  std::fprintf(stderr, "bpstress %s: %s\n", command, what.c_str());
  return kExitUsage;
}

int BadInput(const char* command, const std::string& path, const std::string& what) {
  std::fprintf(stderr, "bpstress %s: %s: %s\n", command, Printable(path).c_str(), what.c_str());
  return kExitBadInput;
}

// Parses the threshold options; returns an error line for the first bad one.
std::optional<std::string> ParseThresholds(const CommandArgs& a, Thresholds* t) {
  auto bad = [](const char* option, const std::string& value, const std::string& want) {
    return std::string(option) + ": '" + Printable(value, 40) + "' is not " + want;
  };
  if (!a.min_ops.empty() && !(t->min_ops_per_sec = ParseRate(a.min_ops))) {
    return bad("--min-ops-per-sec", a.min_ops, "a rate (250000, 250K, 1.5M)");
  }
  if (!a.max_p99.empty() && !(t->max_p99_ns = ParseLatencyBound(a.max_p99))) {
    return bad("--max-p99", a.max_p99, "a duration (10us, 2ms) or a number of ns");
  }
  if (!a.max_waste.empty() && !(t->max_waste = ParseFraction(a.max_waste))) {
    return bad("--max-waste", a.max_waste, kFractionExamples);
  }
  if (!a.min_hit_rate.empty() && !(t->min_hit_rate = ParseFraction(a.min_hit_rate))) {
    return bad("--min-hit-rate", a.min_hit_rate, kFractionExamples);
  }
  if (!a.max_rss.empty() && !(t->max_rss_bytes = ParseSize(a.max_rss))) {
    return bad("--max-rss", a.max_rss, std::string("a size (") + kSizeExamples + ")");
  }
  t->pools = a.pools;
  return std::nullopt;
}

// A hunt report (`bpstress hunt`) has checks of its own; nullopt when the file is not one.
std::optional<int> VerifyHunt(const CommandArgs& a) {
  json hunt;
  try {
    std::ifstream in(a.report, std::ios::binary);
    hunt = json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  } catch (const std::exception&) {
    return std::nullopt;  // LoadReport says what is wrong with it
  }
  if (!hunt.is_object() || hunt.value("schema", json()) != kHuntReportSchema) return std::nullopt;
  if (!a.baseline.empty() || !a.pools.empty() || !a.min_ops.empty() || !a.max_p99.empty() ||
      !a.max_waste.empty() || !a.min_hit_rate.empty() || !a.max_rss.empty()) {
    return UsageError("verify", "thresholds and --baseline apply to run reports, not hunt reports");
  }
  Findings findings;
  VerifyHuntReport(hunt, &findings);
  for (const std::string& line : findings.lines) std::printf("%s\n", line.c_str());
  std::printf("%s\n", SummaryLine(a.report, findings).c_str());
  return findings.failed == 0 ? kExitOk : kExitCheckFailed;
}

int Verify(const CommandArgs& a) {
  Thresholds thresholds;
  if (auto error = ParseThresholds(a, &thresholds)) return UsageError("verify", *error);
  std::optional<double> max_regression;  // nullopt: the gate's defaults
  if (!a.max_regression.empty()) {
    if (a.baseline.empty()) return UsageError("verify", "--max-regression needs --baseline");
    const auto r = ParseRatio(a.max_regression);
    // "10" could mean 10% or 1000%: make the user say which.
    if (!r || (*r > 1 && a.max_regression.back() != '%')) {
      return UsageError("verify", "--max-regression: '" + Printable(a.max_regression, 40) +
                                      "' is not a ratio (10% or 0.1)");
    }
    max_regression = *r;
  }
  nlohmann::json report, baseline;
  std::string error;
  if (std::optional<int> code = VerifyHunt(a)) return *code;
  if (!LoadReport(a.report, &report, &error)) return BadInput("verify", a.report, error);
  if (!a.baseline.empty() && !LoadReport(a.baseline, &baseline, &error)) {
    return BadInput("verify", a.baseline, "baseline: " + error);
  }
  Findings findings;
  VerifyReport(report, &findings);
  CheckThresholds(report, thresholds, &findings);
  if (!a.baseline.empty()) {
    CheckBaseline(report, baseline, BaselineGate{max_regression, a.allow_mismatch}, a.pools,
                  &findings);
  }
  if (a.verify_format == "junit") {
    std::fputs(JUnit(a.report, findings).c_str(), stdout);
  } else if (a.verify_format == "json") {
    std::fputs(FindingsJson(a.report, findings).c_str(), stdout);
  } else {
    for (const std::string& line : findings.lines) std::printf("%s\n", line.c_str());
    std::printf("%s\n", SummaryLine(a.report, findings).c_str());
  }
  return findings.failed == 0 ? kExitOk : kExitCheckFailed;
}

int Compare(const CommandArgs& a) {
  std::vector<NamedReport> reports;
  for (const std::string& path : a.compare) {
    NamedReport r{path, {}};
    std::string error;
    if (!LoadReport(path, &r.json, &error)) return BadInput("compare", path, error);
    reports.push_back(std::move(r));
  }
  // The settings guard: ratios between runs of different settings mislead.
  std::vector<std::string> differences;
  for (size_t i = 1; i < reports.size(); ++i) {
    for (const std::string& d : SettingsDifferences(reports[0].json, reports[i].json)) {
      differences.push_back(Printable(reports[i].name, 80) + ": " + d + " (" +
                            Printable(reports[0].name, 80) + " vs this)");
    }
  }
  if (!differences.empty() && !a.allow_mismatch) {
    for (const std::string& d : differences) {
      std::fprintf(stderr, "bpstress compare: settings differ: %s\n", d.c_str());
    }
    std::fprintf(stderr, "bpstress compare: not comparable; --allow-mismatch to compare anyway\n");
    return kExitCheckFailed;
  }
  const CompareFormat format = a.compare_format == "markdown" ? CompareFormat::kMarkdown
                               : a.compare_format == "csv"    ? CompareFormat::kCsv
                               : a.compare_format == "json"   ? CompareFormat::kJson
                                                              : CompareFormat::kTable;
  // Shown above the table (on stderr for the machine formats, so their output stays parseable).
  for (const std::string& d : differences) {
    std::fprintf(format == CompareFormat::kTable ? stdout : stderr, "settings differ: %s\n",
                 d.c_str());
  }
  std::fputs(CompareTable(reports, format).c_str(), stdout);
  return kExitOk;
}

int Html(const CommandArgs& a) {
  nlohmann::json report;
  std::string error;
  if (!CheckOutputPath(a.html, &error)) return UsageError("report", "--html: " + error);
  if (!LoadReport(a.report, &report, &error)) return BadInput("report", a.report, error);
  if (!WriteOutput(a.html, RenderHtmlReport(report, a.report), &error)) {
    std::fprintf(stderr, "bpstress report: --html: %s\n", Printable(error).c_str());
    return kExitWriteFailed;
  }
  if (a.html != "-") std::printf("report: %s\n", Printable(a.html).c_str());
  return kExitOk;
}

// Every exception stops at this boundary as one line and exit 3 (allocation failure on a huge
// report is the only one expected). What went to stdout is checked by Main (FlushStdout).
int Guarded(const char* command, int (*run)(const CommandArgs&), const CommandArgs& a) {
  try {
    return run(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bpstress %s: cannot process the input: %s\n", command, e.what());
  } catch (...) {
    std::fprintf(stderr, "bpstress %s: cannot process the input\n", command);
  }
  return kExitBadInput;
}

}  // namespace

std::vector<Subcommand> AddReportCommands(CLI::App& app) {
  auto a = std::make_shared<CommandArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "check a report: schema, accounting identities, verdicts, thresholds, baseline");
  verify->add_option("report", a->report, "report JSON file")->required();
  verify->add_option("--min-ops-per-sec", a->min_ops, "fail a pool below this rate (250K, 1.5M)");
  verify->add_option("--max-p99", a->max_p99, "fail a pool whose p99 exceeds TIME (10us, or ns)");
  verify->add_option("--max-waste", a->max_waste, "fail a pool wasting more than R (0..1 or %)");
  verify->add_option("--min-hit-rate", a->min_hit_rate, "fail a pool with a lower hit rate");
  verify->add_option("--max-rss", a->max_rss, "fail a pool whose peak RSS exceeds SIZE");
  verify->add_option("--pool", a->pools, "apply the bounds to this pool only; repeatable");
  verify->add_option("--baseline", a->baseline, "compare ops/s and p99 with this older report");
  verify->add_option("--max-regression", a->max_regression,
                     "largest allowed ops/s drop or p99 rise against --baseline: between the 95% "
                     "intervals of repeated runs (default 10%), else between single figures "
                     "(default 25%)");
  verify->add_flag("--allow-mismatch", a->allow_mismatch,
                   "compare with a --baseline of other settings (each difference is a note)");
  verify->add_option("--format", a->verify_format, "text, json, or junit (JUnit XML)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json", "junit"}));
  CLI::App* compare = app.add_subcommand("compare", "side-by-side table of the pools of reports");
  compare->add_option("reports", a->compare, "report JSON files; ratios are to the first")
      ->required();
  compare->add_flag("--allow-mismatch", a->allow_mismatch,
                    "compare reports of different settings (each difference is shown first)");
  compare->add_option("--format", a->compare_format, "table, markdown, csv or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}));
  CLI::App* report =
      app.add_subcommand("report", "render a report as one self-contained HTML file");
  report->add_option("report", a->report, "report JSON file")->required();
  report
      ->add_option("--html", a->html,
                   "output HTML file (written atomically; a device or FIFO in place; - for stdout)")
      ->required();
  return {{verify, [a] { return Guarded("verify", Verify, *a); }},
          {compare, [a] { return Guarded("compare", Compare, *a); }},
          {report, [a] { return Guarded("report", Html, *a); }}};
}

}  // namespace bp
