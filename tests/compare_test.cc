// Tests of tool/report/compare.h — thresholds, the baseline gate and the side-by-side table —
// against a report of real runs, plus the option parsers of `verify` and the `compare` command of
// the binary.
#include "tool/report/compare.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tool/report/report.h"
#include "tool/report/report_reader.h"
#include "tool/run/dispatch.h"

namespace bp {
namespace {

using nlohmann::json;

// A report of real runs of `pools`, 2 threads x 2000 ops each.
json RealReport(const std::vector<std::string>& pools) {
  Report report;
  report.options.threads = 2;
  report.options.ops_per_thread = 2000;
  const Distribution dist = std::get<Distribution>(Distribution::Parse("random65k"));
  for (const std::string& name : pools) {
    std::string error;
    const auto spec = ParsePoolSpec(name, &error);
    EXPECT_TRUE(spec) << error;
    if (!spec) return {};
    report.pools.push_back(RunSpec(*spec, dist, report.options));
  }
  json j;
  std::string error;
  EXPECT_TRUE(ParseReport(RenderReport(report), &j, &error)) << error;
  return j;
}

const json& Two() {
  static const json report = RealReport({"sized", "sync"});
  return report;
}

std::string Lines(const Findings& f) {
  std::string out;
  for (const std::string& line : f.lines) out += line + "\n";
  return out;
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

TEST(ParseOptionsTest, BoundsInTheirUnits) {
  EXPECT_EQ(ParseLatencyBound("250"), 250u);
  EXPECT_EQ(ParseLatencyBound("10us"), 10000u);
  EXPECT_EQ(ParseLatencyBound("1.5ms"), 1500000u);
  EXPECT_FALSE(ParseLatencyBound("fast"));
  EXPECT_FALSE(ParseLatencyBound(""));
  EXPECT_DOUBLE_EQ(*ParseRatio("10%"), 0.1);
  EXPECT_DOUBLE_EQ(*ParseRatio("0.25"), 0.25);
  EXPECT_FALSE(ParseRatio("-1"));
  EXPECT_FALSE(ParseRatio("%"));
  EXPECT_DOUBLE_EQ(*ParseRate("1.5M"), 1.5e6);
  EXPECT_DOUBLE_EQ(*ParseRate("250K"), 250e3);
  EXPECT_DOUBLE_EQ(*ParseRate("1000"), 1000);
  EXPECT_FALSE(ParseRate("fast"));
}

TEST(CompareCliTest, TableAndExitCodes) {
  const testing::ProcessResult help = testing::Run(BPSTRESS_EXE, {"compare", "--help"});
  if (help.exit_code != 0 || help.out.find("ratios") == std::string::npos) {
    GTEST_SKIP() << "bpstress has no compare subcommand yet";
  }
  const std::string a = testing::TempPath("a.json"), b = testing::TempPath("b.json");
  std::string error;
  ASSERT_TRUE(WriteFileAtomic(a, Two().dump(), &error)) << error;
  ASSERT_TRUE(WriteFileAtomic(b, "{\"schema\": \"bpstress-report/1\", \"pools\": 3", &error));
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

}  // namespace
}  // namespace bp
