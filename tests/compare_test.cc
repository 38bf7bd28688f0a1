// Tests of tool/report/compare.h — thresholds, the baseline gate and the side-by-side table —
// against a report of real runs, plus the option parsers of `verify` and the `compare` command of
// the binary.
#include "tool/report/compare.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/support/report_fixture.h"
#include "tests/support/subprocess.h"
#include "tool/report/report.h"
#include "tool/report/report_reader.h"
#include "tool/run/run_spec.h"
#include "tool/util/output_file.h"

namespace bp {
namespace {

using nlohmann::json;

using testing::Lines;
using testing::RealReport;

const json& Two() {
  static const json report = RealReport({"sized", "sync"});
  return report;
}

bool Has(const Findings& f, const std::string& prefix, const std::string& part) {
  for (const std::string& line : f.lines) {
    if (line.rfind(prefix, 0) == 0 && line.find(part) != std::string::npos) return true;
  }
  return false;
}

Findings Thresh(const json& report, const Thresholds& t) {
  Findings f;
  CheckThresholds(report, t, &f);
  return f;
}

double Num(const json& pool, const char* key) { return pool[key].get<double>(); }

TEST(ThresholdsTest, EachBoundPassesAtTheValueAndFailsJustPastIt) {
  const json& sized = Two()["pools"][0];
  const double ops = Num(sized, "ops_per_s"), waste = Num(sized, "waste_ratio");
  const double hit = Num(sized, "hit_rate");
  const uint64_t p99 = sized["latency_ns"]["p99"], rss = sized["peak_rss_bytes"];
  ASSERT_GT(p99, 0u);
  ASSERT_GT(waste, 0);
  ASSERT_GT(hit, 0);
  struct Case {
    Thresholds pass, fail;
    const char* option;
  };
  const std::vector<Case> cases = {
      {{.min_ops_per_sec = ops}, {.min_ops_per_sec = ops * 1.01}, "--min-ops-per-sec"},
      {{.max_p99_ns = p99}, {.max_p99_ns = p99 - 1}, "--max-p99"},
      {{.max_waste = waste}, {.max_waste = waste * 0.99}, "--max-waste"},
      {{.min_hit_rate = hit}, {.min_hit_rate = std::min(1.0, hit * 1.01)}, "--min-hit-rate"},
      {{.max_rss_bytes = rss}, {.max_rss_bytes = rss - 1}, "--max-rss"},
  };
  for (Case c : cases) {
    c.pass.pools = c.fail.pools = {"sized"};
    const Findings ok = Thresh(Two(), c.pass);
    EXPECT_EQ(ok.failed, 0u) << c.option << "\n" << Lines(ok);
    EXPECT_EQ(ok.passed, 2u) << c.option;  // the --pool name and the bound
    const Findings bad = Thresh(Two(), c.fail);
    EXPECT_EQ(bad.failed, 1u) << c.option << "\n" << Lines(bad);
    EXPECT_TRUE(Has(bad, "FAIL pool 'sized': ", c.option)) << Lines(bad);
  }
}

TEST(ThresholdsTest, PoolSelectionAndMissingPools) {
  Thresholds t;
  t.min_ops_per_sec = 1e15;
  EXPECT_EQ(Thresh(Two(), t).failed, 2u) << "every pool when none is named";
  t.pools = {"sized"};
  EXPECT_EQ(Thresh(Two(), t).failed, 1u);
  t.pools = {"nonesuch"};
  const Findings f = Thresh(Two(), t);
  EXPECT_TRUE(Has(f, "FAIL --pool 'nonesuch'", "no such pool")) << Lines(f);

  json report = Two();
  report["pools"][1]["pool_counters"] = false;
  report["pools"][0]["outcome"] = "hung";
  Thresholds h;
  h.min_hit_rate = 1.0;
  const Findings notes = Thresh(report, h);
  EXPECT_EQ(notes.failed, 0u) << Lines(notes);
  EXPECT_TRUE(Has(notes, "note: pool 'sized'", "partial outcome")) << Lines(notes);
  EXPECT_TRUE(Has(notes, "note: pool 'sync'", "keeps no counters")) << Lines(notes);
}

Findings Baseline(const json& now, const json& before, double bound) {
  Findings f;
  CheckBaseline(now, before, bound, {}, &f);
  return f;
}

TEST(BaselineTest, RegressionsBeyondTheBoundFail) {
  EXPECT_EQ(Baseline(Two(), Two(), 0.0).failed, 0u) << "a report does not regress from itself";
  json faster = Two();
  for (json& p : faster["pools"]) p["ops_per_s"] = Num(p, "ops_per_s") * 2;
  Findings f = Baseline(Two(), faster, 0.1);
  EXPECT_EQ(f.failed, 2u) << Lines(f);
  EXPECT_TRUE(Has(f, "FAIL pool 'sized': ", "ops_per_s fell 50% below")) << Lines(f);
  EXPECT_EQ(Baseline(Two(), faster, 0.55).failed, 0u) << "a 50% drop is within 55%";
  EXPECT_EQ(Baseline(faster, Two(), 0.0).failed, 0u) << "getting faster is no regression";

  json slower_tail = Two();
  const uint64_t p99 = slower_tail["pools"][1]["latency_ns"]["p99"];
  slower_tail["pools"][1]["latency_ns"]["p99"] = p99 * 3;
  f = Baseline(slower_tail, Two(), 1.5);
  EXPECT_TRUE(Has(f, "FAIL pool 'sync': ", "latency p99 rose 200% above")) << Lines(f);
  EXPECT_EQ(Baseline(slower_tail, Two(), 2.0).failed, 0u);
}

TEST(BaselineTest, PoolsOnOneSideAreNotesAndDuplicatesMatchInOrder) {
  json one = Two();
  one["pools"].erase(1);
  Findings f = Baseline(one, Two(), 0.1);
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  EXPECT_TRUE(Has(f, "note: pool 'sync'", "in the baseline but not in the report")) << Lines(f);
  f = Baseline(Two(), one, 0.1);
  EXPECT_TRUE(Has(f, "note: pool 'sync'", "not in the baseline")) << Lines(f);

  json twice = Two();
  twice["pools"][1]["pool"] = "sized";  // two runs of "sized"
  json before = twice;
  before["pools"][1]["ops_per_s"] = Num(before["pools"][1], "ops_per_s") * 4;
  f = Baseline(twice, before, 0.1);
  EXPECT_EQ(f.failed, 1u) << Lines(f);
  EXPECT_TRUE(Has(f, "FAIL pool 'sized#2'", "fell 75% below")) << Lines(f);
}

TEST(CompareTableTest, RowsPerPoolAndReportWithRatios) {
  json faster = Two();
  for (json& p : faster["pools"]) p["ops_per_s"] = Num(p, "ops_per_s") * 2;
  faster["pools"].push_back(Two()["pools"][0]);
  faster["pools"][2]["pool"] = "new\x1b";
  faster["pools"][2].erase("latency_ns");
  const std::string table = CompareTable({{"a.json", Two()}, {"b.json", faster}});
  EXPECT_NE(table.find("(2.00x)"), std::string::npos) << table;
  EXPECT_NE(table.find("new\\x1b"), std::string::npos) << table;
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  size_t rows = 0;
  for (char c : table) rows += c == '\n';
  EXPECT_EQ(rows, 1u + 2 + 2 + 1) << table;  // header, sized x2, sync x2, the new pool
}

TEST(CompareCliTest, TableAndExitCodes) {
  const testing::ProcessResult help = testing::Run(BPSTRESS_EXE, {"compare", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  ASSERT_NE(help.out.find("ratios"), std::string::npos) << help.out;
  const std::string a = testing::TempPath("a.json"), b = testing::TempPath("b.json");
  std::string error;
  ASSERT_TRUE(WriteOutput(a, Two().dump(), &error)) << error;
  ASSERT_TRUE(WriteOutput(b, "{\"schema\": \"bpstress-report/1\", \"pools\": 3", &error));
  testing::ProcessResult r = testing::Run(BPSTRESS_EXE, {"compare", a, a});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(1.00x)"), std::string::npos) << r.out;
  r = testing::Run(BPSTRESS_EXE, {"compare", a, b});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.err.find("not valid JSON at byte"), std::string::npos) << r.err;
  r = testing::Run(BPSTRESS_EXE, {"verify", a, "--baseline", a, "--max-regression", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::remove(a.c_str());
  std::remove(b.c_str());
}

// Sets a pool's stats.<name> as `bpstress run --repeat n` writes it.
void SetInterval(json& pool, const char* name, double low, double median, double high,
                 uint64_t n = 5) {
  pool["stats"][name] = {{"n", n},        {"mean", median},  {"median", median},
                         {"stddev", 0},   {"min", low},      {"max", high},
                         {"ci_low", low}, {"ci_high", high}, {"ci_level", 0.9375}};
}

Findings Gate(const json& now, const json& before, const BaselineGate& gate) {
  Findings f;
  CheckBaseline(now, before, gate, {}, &f);
  return f;
}

TEST(BaselineTest, RepeatsCompareIntervalsNotMedians) {
  json before = Two(), now = Two();
  before["pools"].erase(1);
  now["pools"].erase(1);
  SetInterval(before["pools"][0], "ops_per_s", 100e3, 110e3, 120e3);
  // The median fell 18%, but the intervals overlap: noise, not a regression.
  SetInterval(now["pools"][0], "ops_per_s", 85e3, 90e3, 105e3);
  Findings f = Gate(now, before, {});
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  // The whole interval 40% below the baseline's: a regression at the default 10%.
  SetInterval(now["pools"][0], "ops_per_s", 50e3, 55e3, 60e3);
  f = Gate(now, before, {});
  EXPECT_EQ(f.failed, 1u) << Lines(f);
  EXPECT_TRUE(Has(f, "FAIL pool 'sized': ", "interval")) << Lines(f);
  EXPECT_TRUE(Has(f, "FAIL pool 'sized': ", "more than 10%")) << Lines(f);
  EXPECT_EQ(Gate(now, before, {.max_regression = 0.45}).failed, 0u) << "40% is within 45%";
  // p99 likewise: an interval wholly above the baseline's by more than the bound.
  SetInterval(now["pools"][0], "ops_per_s", 100e3, 110e3, 120e3);
  SetInterval(before["pools"][0], "latency_p99_ns", 100, 110, 120);
  SetInterval(now["pools"][0], "latency_p99_ns", 200, 220, 240);
  f = Gate(now, before, {});
  EXPECT_TRUE(Has(f, "FAIL pool 'sized': ", "latency p99 interval")) << Lines(f);
}

TEST(BaselineTest, SingleRunsSaySoAndUseAWiderMargin) {
  json before = Two(), now = Two();
  now["pools"][0]["ops_per_s"] = Num(before["pools"][0], "ops_per_s") * 0.8;  // 20% slower
  Findings f = Gate(now, before, {});
  EXPECT_EQ(f.failed, 0u) << "20% is within the single-run default of 25%\n" << Lines(f);
  EXPECT_TRUE(Has(f, "note: pool 'sized': ", "a single run on both sides")) << Lines(f);
  EXPECT_TRUE(Has(f, "note: pool 'sized': ", "25%")) << Lines(f);
  now["pools"][0]["ops_per_s"] = Num(before["pools"][0], "ops_per_s") * 0.7;
  EXPECT_EQ(Gate(now, before, {}).failed, 1u) << "30% is beyond 25%";
  // Repeats on one side only: still no interval to compare; that side's median is the figure.
  SetInterval(now["pools"][0], "ops_per_s", 1, Num(before["pools"][0], "ops_per_s"), 1e12);
  f = Gate(now, before, {});
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  EXPECT_TRUE(Has(f, "note: pool 'sized': ", "a single run on one side")) << Lines(f);
}

TEST(SettingsGuardTest, EachSettingAloneTriggersIt) {
  struct Change {
    const char* section;
    const char* key;
    json value;
    const char* name;
  };
  const std::vector<Change> changes = {
      {"config", "dist", "uniform:1:64", "dist"},
      {"config", "threads", 64, "threads"},
      {"config", "hold", 8, "hold"},
      {"config", "cross_thread", 0.5, "cross-thread"},
      {"config", "touch", "none", "touch"},
      {"config", "checks", "basic", "checks"},
      {"config", "workload", "json", "workload"},
      {"config", "allocators", json::array({"jemalloc"}), "allocator"},
      {"config", "preempt_rate", 0.01, "preemption"},
      {"tool", "build_type", "Debug", "build type"},
      // Not a sanitizer any build of this project has: the fixture carries this build's own.
      {"tool", "sanitizers", json::array({"memory"}), "sanitizers"},
      {"host", "cpus", 128, "CPU count"},
  };
  EXPECT_TRUE(SettingsDifferences(Two(), Two()).empty());
  for (const Change& c : changes) {
    json other = Two();
    other[c.section][c.key] = c.value;
    const std::vector<std::string> d = SettingsDifferences(Two(), other);
    ASSERT_EQ(d.size(), 1u) << c.name;
    EXPECT_EQ(d[0].rfind(std::string(c.name) + ": ", 0), 0u) << d[0];
    Findings f = Gate(other, Two(), {});
    EXPECT_TRUE(Has(f, "FAIL settings differ from the baseline: ", c.name)) << Lines(f);
    f = Gate(other, Two(), {.allow_mismatch = true});
    EXPECT_EQ(f.failed, 0u) << Lines(f);
    EXPECT_TRUE(Has(f, "note: settings differ from the baseline: ", c.name)) << Lines(f);
  }
  // Reports from before preemption existed ran without it: absent reads as 0.
  json zero = Two();
  zero["config"]["preempt_rate"] = 0;
  EXPECT_TRUE(SettingsDifferences(Two(), zero).empty());
}

TEST(CompareTableTest, ExportFormats) {
  json repeated = Two();
  SetInterval(repeated["pools"][0], "ops_per_s", 90e3, 100e3, 130e3);
  const std::vector<NamedReport> reports = {{"a.json", Two()}, {"b,\"q\".json", repeated}};
  const std::string table = CompareTable(reports);
  EXPECT_NE(table.find("100.0K ± 20.0K"), std::string::npos) << table;
  const std::string md = CompareTable(reports, CompareFormat::kMarkdown);
  EXPECT_EQ(md.rfind("| pool | report | ops/s |", 0), 0u) << md;
  EXPECT_NE(md.find("| --- | --- | ---: |"), std::string::npos) << md;
  const std::string csv = CompareTable(reports, CompareFormat::kCsv);
  EXPECT_EQ(csv.rfind("pool,report,ops/s,p99,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\"b,\"\"q\"\".json\""), std::string::npos) << "quoted per RFC 4180\n" << csv;
  const json rows = json::parse(CompareTable(reports, CompareFormat::kJson));
  ASSERT_EQ(rows.size(), 4u) << rows.dump(1);
  EXPECT_EQ(rows[0]["pool"], "sized");
  EXPECT_TRUE(rows[0]["ops_per_s_ratio"].is_null()) << "the first report has no ratio";
  EXPECT_DOUBLE_EQ(rows[1]["ops_per_s"].get<double>(), 100e3) << "the median of the repeats";
  EXPECT_EQ(rows[1]["ops_per_s_stats"]["n"], 5);
  EXPECT_TRUE(rows[1]["peak_rss_bytes"].is_number_unsigned());
}

// One measured repeat as a noisy machine gives it: ops/s and latencies scaled by run-to-run noise
// (log-normal, spread `sigma`), 2000 latency samples of which 1% sit in a tail 5x out.
PoolRun NoisyRepeat(std::mt19937_64& rng, double sigma) {
  std::lognormal_distribution<double> noise(0.0, sigma);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  PoolRun r;
  r.name = "sized";
  r.spec = "sized";
  r.seconds = 0.03;
  r.total.ops = static_cast<uint64_t>(3e6 * r.seconds * noise(rng));
  r.total.gets = r.total.puts = r.total.ops;
  const double slow = noise(rng);  // one factor for the whole repeat, as a busier machine gives
  for (int i = 0; i < 2000; ++i) {
    const double base = unit(rng) < 0.01 ? 1000.0 : 200.0;
    r.total.latency.Record(static_cast<uint64_t>(base * slow * (0.8 + 0.4 * unit(rng))));
  }
  return r;
}

// Same-settings pairs of five repeats each must pass the default gate both ways at a run-to-run
// spread of 15% (log-normal), and halved ops/s must fail it nearly always. Synthetic repeats with
// a fixed seed: the gate's statistics are tested, not the machine's load of the moment.
TEST(BaselineTest, SameSettingsRepeatedRunsPassTheDefaultGate) {
  std::mt19937_64 rng(12345);
  RunOptions o;
  o.threads = 2;
  o.duration = std::chrono::milliseconds(30);
  auto report = [&](double sigma, double speed) {
    std::vector<PoolRun> runs;
    for (int rep = 0; rep < 5; ++rep) {
      PoolRun r = NoisyRepeat(rng, sigma);
      r.total.ops = static_cast<uint64_t>(static_cast<double>(r.total.ops) * speed);
      runs.push_back(std::move(r));
    }
    Report rep;
    rep.options = o;
    rep.repeat = 5;
    rep.pools.push_back(MergeRepeats(runs));
    rep.repeats.push_back(runs);
    json out;
    std::string error;
    EXPECT_TRUE(ParseReport(RenderReport(rep), &out, &error)) << error;
    return out;
  };
  int failed = 0, caught = 0;
  std::string lines;
  constexpr int kPairs = 50;
  for (int pair = 0; pair < kPairs; ++pair) {
    const json a = report(0.15, 1.0), b = report(0.15, 1.0);
    ASSERT_EQ(a["pools"][0]["stats"]["ops_per_s"]["n"], 5);
    for (const auto& [now, before] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      Findings f;
      CheckBaseline(*now, *before, BaselineGate{}, {}, &f);
      failed += f.failed != 0;
      lines += Lines(f);
    }
    Findings slower;
    CheckBaseline(report(0.15, 0.5), a, BaselineGate{}, {}, &slower);
    caught += slower.failed != 0;
  }
  EXPECT_EQ(failed, 0) << lines;
  EXPECT_GE(caught, kPairs * 9 / 10) << "halved ops/s must fail the gate";
}

TEST(CompareCliTest, SettingsGuardAndFormats) {
  const std::string a = testing::TempPath("guard-a.json"), b = testing::TempPath("guard-b.json");
  json other = Two();
  other["config"]["touch"] = "none";
  std::string error;
  ASSERT_TRUE(WriteOutput(a, Two().dump(), &error)) << error;
  ASSERT_TRUE(WriteOutput(b, other.dump(), &error)) << error;
  testing::ProcessResult r = testing::Run(BPSTRESS_EXE, {"compare", a, b});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("touch: full vs none"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "no table of incomparable reports";
  r = testing::Run(BPSTRESS_EXE, {"compare", a, b, "--allow-mismatch"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("settings differ: ", 0), 0u) << "above the table\n" << r.out;
  r = testing::Run(BPSTRESS_EXE, {"compare", a, a, "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).size(), 4u) << r.out;
  r = testing::Run(BPSTRESS_EXE, {"verify", b, "--baseline", a});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL settings differ from the baseline: touch"), std::string::npos)
      << r.out;
  r = testing::Run(BPSTRESS_EXE, {"verify", b, "--baseline", a, "--allow-mismatch"});
  EXPECT_EQ(r.exit_code, 0) << r.out;

  // verify --format json and junit: one entry / test case per check.
  r = testing::Run(BPSTRESS_EXE, {"verify", a, "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const json v = json::parse(r.out);
  EXPECT_EQ(v["failed"], 0);
  EXPECT_EQ(v["checks"].size(), v["passed"].get<size_t>());
  r = testing::Run(BPSTRESS_EXE, {"verify", b, "--baseline", a, "--format", "junit"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>", 0), 0u)
      << r.out.substr(0, 200);
  size_t cases = 0, failures = 0;
  for (size_t at = 0; (at = r.out.find("<testcase ", at)) != std::string::npos; ++at) ++cases;
  for (size_t at = 0; (at = r.out.find("<failure ", at)) != std::string::npos; ++at) ++failures;
  EXPECT_EQ(failures, 1u);
  EXPECT_NE(r.out.find("tests=\"" + std::to_string(cases) + "\" failures=\"1\""),
            std::string::npos);
  EXPECT_NE(r.out.find("</testsuites>"), std::string::npos);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

}  // namespace
}  // namespace bp

namespace bp {
namespace {

// One figure per view: with repeats, the table shows the median, and verify gates that same
// median, not the total over the repeats (ops / seconds of all of them), which no view shows.
// Fails on the code that gated the total.
TEST(RepeatFiguresTest, ThresholdsGateTheMedianTheTableShows) {
  json report = Two();
  report["pools"].erase(1);
  json& pool = report["pools"][0];
  pool["ops_per_s"] = 1.41e6;  // the total over the repeats
  SetInterval(pool, "ops_per_s", 1.55e6, 1.6e6, 1.65e6, 3);
  pool["latency_ns"]["p99"] = 90;  // of all the repeats' samples together
  SetInterval(pool, "latency_p99_ns", 40, 50, 60, 3);
  Thresholds t;
  t.min_ops_per_sec = 1.5e6;
  t.max_p99_ns = 55;
  Findings f = Thresh(report, t);
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  // The other way round: a median below the bound fails, whatever the total says, and the
  // message names the figure.
  pool["ops_per_s"] = 1.6e6;
  SetInterval(pool, "ops_per_s", 1.38e6, 1.41e6, 1.45e6, 3);
  f = Thresh(report, t);
  EXPECT_EQ(f.failed, 1u) << Lines(f);
  EXPECT_TRUE(Has(f, "FAIL pool 'sized': ", "ops_per_s (median of 3 repeats) 1.41M")) << Lines(f);
  // The table shows the same figure.
  const std::string table = CompareTable({{"a.json", report}});
  EXPECT_NE(table.find("1.41M ± "), std::string::npos) << table;
}

// "± …" is labelled with the interval's real coverage: 75% at 3 repeats, not 95%.
TEST(RepeatFiguresTest, IntervalsSayTheirCoverage) {
  Summary s = Summarize({1, 2, 3});
  EXPECT_EQ(s.ci_level, 0.75);
  EXPECT_NE(IntervalLabel(s).find("median of 3 repeats"), std::string::npos);
  EXPECT_NE(IntervalLabel(s).find("75% probability"), std::string::npos) << IntervalLabel(s);
  EXPECT_EQ(IntervalLabel(Summarize({1})), "");
  json report = Two();
  report["pools"].erase(1);
  SetInterval(report["pools"][0], "ops_per_s", 1e6, 1.1e6, 1.2e6, 3);
  report["pools"][0]["stats"]["ops_per_s"]["ci_level"] = 0.75;
  const std::string table = CompareTable({{"a.json", report}});
  EXPECT_NE(table.find("ops/s, p99: median of 3 repeats ± half its interval, which holds the "
                       "true median with 75% probability"),
            std::string::npos)
      << table;
  const json rows = json::parse(CompareTable({{"a.json", report}}, CompareFormat::kJson));
  EXPECT_EQ(rows[0]["ops_per_s_stats"]["ci_level"], 0.75);
}

// The run's table: a pool run 3 times shows the median and a line with the coverage, and its
// report gates that median. Fails on the code that printed no coverage.
TEST(RepeatFiguresTest, RunTableSaysTheCoverageAndVerifyGatesTheMedian) {
  const std::string path = testing::TempPath("repeat3.json");
  const testing::ProcessResult run =
      testing::Run(BPSTRESS_EXE, {"run", "--pool", "sized", "--threads", "2", "--ops", "20000",
                                  "--repeat", "3", "--warmup", "0ms", "--profile", "bench",
                                  "--seed", "1", "--progress", "never", "--report", path});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("ops/s, p99: median of 3 repeats ± half its interval, which holds the "
                         "true median with 75% probability (order statistics)"),
            std::string::npos)
      << run.out;
  json report;
  std::string error;
  ASSERT_TRUE(LoadReport(path, &report, &error)) << error;
  const double median = report["pools"][0]["stats"]["ops_per_s"]["median"];
  Thresholds t;
  t.min_ops_per_sec = median;
  EXPECT_EQ(Thresh(report, t).failed, 0u) << Lines(Thresh(report, t));
  t.min_ops_per_sec = median * 1.0001;
  EXPECT_EQ(Thresh(report, t).failed, 1u) << Lines(Thresh(report, t));
  unlink(path.c_str());
}

}  // namespace
}  // namespace bp

namespace bp {
namespace {

// A report of one pool whose latency clock steps by 10 ns (the README's case).
json OnePool() {
  json r = Two();
  r["pools"].erase(1);
  r["host"]["latency_resolution_ns"] = 10;
  return r;
}

// The README's baseline example on two runs of one binary: p99 50 ns -> 70 ns is two clock steps,
// not a 40% regression. Fails on the code that compared p99 as a plain ratio.
TEST(BaselineResolutionTest, TwoClockStepsAreNotARegression) {
  json before = OnePool(), now = OnePool();
  before["pools"][0]["latency_ns"]["p99"] = 50;
  now["pools"][0]["latency_ns"]["p99"] = 70;
  Findings f = Gate(now, before, {.max_regression = 0.15});
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  // Four steps are still within the clock's resolution; five are a rise.
  now["pools"][0]["latency_ns"]["p99"] = 90;
  EXPECT_EQ(Gate(now, before, {.max_regression = 0.15}).failed, 0u);
  now["pools"][0]["latency_ns"]["p99"] = 100;
  f = Gate(now, before, {.max_regression = 0.15});
  EXPECT_EQ(f.failed, 1u) << Lines(f);
  EXPECT_TRUE(Has(f, "FAIL pool 'sized': ", "4 steps of the latency clock, 10ns each")) << Lines(f);
  // A report without the field is taken to step by 10 ns.
  before["host"].erase("latency_resolution_ns");
  now["host"].erase("latency_resolution_ns");
  now["pools"][0]["latency_ns"]["p99"] = 70;
  EXPECT_EQ(Gate(now, before, {.max_regression = 0.15}).failed, 0u);
  // Intervals of repeats: the same floor.
  SetInterval(before["pools"][0], "latency_p99_ns", 50, 50, 50);
  SetInterval(now["pools"][0], "latency_p99_ns", 60, 70, 70);
  EXPECT_EQ(Gate(now, before, {}).failed, 0u) << Lines(Gate(now, before, {}));
}

// Twenty runs of one binary against one baseline, as the README's example gates them: reports
// derived from one real run, each percentile moved by up to two clock steps either way and ops/s
// by up to 8% (a quiet machine): no false failure. A 2x slowdown (latencies doubled, ops/s halved)
// fails. Derived reports, not twenty runs: the test must not depend on the machine's load
// (tests/baseline_identical_runs.sh runs the real thing).
TEST(BaselineResolutionTest, TwentyIdenticalRunsPassAndATwoTimesSlowdownFails) {
  const json baseline = OnePool();
  std::mt19937_64 rng(19);
  std::uniform_int_distribution<int> steps(-2, 2);
  std::uniform_real_distribution<double> spread(0.92, 1.08);
  auto derived = [&](double slowdown) {
    json r = baseline;
    json& p = r["pools"][0];
    for (const char* k : {"p50", "p90", "p99", "p99_9"}) {
      const double v = p["latency_ns"][k].get<double>() * slowdown + 10 * steps(rng);
      p["latency_ns"][k] = static_cast<uint64_t>(std::max(0.0, v));
    }
    p["ops_per_s"] = p["ops_per_s"].get<double>() / slowdown * spread(rng);
    return r;
  };
  std::string lines;
  int false_failures = 0;
  for (int run = 0; run < 20; ++run) {
    for (const BaselineGate& gate : {BaselineGate{.max_regression = 0.15}, BaselineGate{}}) {
      const Findings f = Gate(derived(1.0), baseline, gate);
      false_failures += f.failed != 0;
      lines += Lines(f);
    }
  }
  EXPECT_EQ(false_failures, 0) << lines;
  const Findings slow = Gate(derived(2.0), baseline, {.max_regression = 0.15});
  EXPECT_EQ(slow.failed, 2u) << Lines(slow);
  EXPECT_TRUE(Has(slow, "FAIL pool 'sized': ", "ops_per_s fell")) << Lines(slow);
  EXPECT_TRUE(Has(slow, "FAIL pool 'sized': ", "latency p99 rose")) << Lines(slow);
}

}  // namespace
}  // namespace bp
