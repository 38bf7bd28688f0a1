// Tests of `bpstress verify` (tool/report/verify.h, tool/cli/report_commands.h): a real report
// produced by the stress runner in-process passes; breaking each accounting identity, verdict and
// schema rule in a copy fails with a message naming the pool and the field; unreadable, invalid and
// hostile input is refused (exit 3) without a crash; the built binary maps all of it to exit codes.
#include "tool/report/verify.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/report_fixture.h"
#include "tests/support/subprocess.h"
#include "tool/report/report.h"
#include "tool/report/report_reader.h"
#include "tool/util/output_file.h"

namespace bp {
namespace {

using nlohmann::json;

using testing::Lines;
using testing::RealReport;

const json& Sized() {
  static const json report = RealReport({"sized"});
  return report;
}

Findings Verify(const json& report) {
  Findings f;
  VerifyReport(report, &f);
  return f;
}

// True when one FAIL line holds every one of `parts`.
bool Failed(const Findings& f, const std::vector<std::string>& parts) {
  for (const std::string& line : f.lines) {
    if (line.rfind("FAIL ", 0) != 0) continue;
    bool all = true;
    for (const std::string& p : parts) all &= line.find(p) != std::string::npos;
    if (all) return true;
  }
  return false;
}

uint64_t U(const json& v) { return v.get<uint64_t>(); }

TEST(VerifyTest, RealReportPasses) {
  const Findings f = Verify(Sized());
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  EXPECT_GT(f.passed, 100u);
  ASSERT_GT(U(Sized()["pools"][0]["latency_ns"]["samples"]), 0u) << "latency checks need samples";
}

TEST(VerifyTest, SeveralPoolsAndUnknownFieldsPass) {
  json report = RealReport({"sized", "sync", "fixed"});
  report["future_field"] = {{"anything", 1}};
  report["pools"][1]["another"] = "x";
  const Findings f = Verify(report);
  EXPECT_EQ(f.failed, 0u) << Lines(f);
}

struct Breakage {
  const char* name;
  std::function<void(json&)> edit;
  std::vector<std::string> expect;  // substrings of one FAIL line
};

void Bump(json& v, int64_t by) { v = static_cast<uint64_t>(static_cast<int64_t>(U(v)) + by); }

TEST(VerifyTest, EachBrokenIdentityFailsNamingPoolAndField) {
  const std::vector<Breakage> cases = {
      {"hits", [](json& p) { Bump(p["hits"], 1); }, {"gets (", "!= hits (", "misses ("}},
      {"pool_gets", [](json& p) { Bump(p["pool_gets"], 1); }, {"pool_gets ("}},
      {"pool_puts", [](json& p) { Bump(p["pool_puts"], -1); }, {"pool_puts ("}},
      {"outstanding", [](json& p) { Bump(p["outstanding"], 2); }, {"!= puts (", "outstanding ("}},
      {"leftover",
       [](json& p) {
         Bump(p["outstanding"], 1), Bump(p["puts"], -1), Bump(p["pool_puts"], -1);
         Bump(p["threads"][0]["puts"], -1);
       },
       {"outstanding (1) != 0"}},
      {"refused",
       [](json& p) { Bump(p["refused"], 1), Bump(p["threads"][0]["refused"], 1); },
       {"ops (", "refused ("}},
      {"p50",
       [](json& p) { p["latency_ns"]["p50"] = U(p["latency_ns"]["p99"]) + 1; },
       {"latency_ns.p50"}},
      {"p99_9",
       [](json& p) { p["latency_ns"]["p99_9"] = U(p["latency_ns"]["max"]) + 1; },
       {"latency_ns.p99_9", "max"}},
      {"samples",
       [](json& p) { p["latency_ns"]["samples"] = U(p["ops"]) + 1; },
       {"latency_ns.samples"}},
      {"histogram sum",
       [](json& p) { Bump(p["capacity_histogram"][0]["count"], 1); },
       {"capacity_histogram counts sum"}},
      {"histogram pow2",
       [](json& p) { p["capacity_histogram"][0]["capacity_le"] = 48; },
       {"capacity_le (48) is not a power of two"}},
      {"histogram order",
       [](json& p) { std::swap(p["capacity_histogram"][0], p["capacity_histogram"][1]); },
       {"is not above the previous bound"}},
      {"capacity",
       [](json& p) { p["bytes_capacity"] = U(p["bytes_requested"]) - 1; },
       {"bytes_capacity (", "promises capacity"}},
      {"hit_rate",
       [](json& p) { p["hit_rate"] = p["hit_rate"].get<double>() * 0.99; },
       {"hit_rate ("}},
      {"ops_per_s",
       [](json& p) { p["ops_per_s"] = p["ops_per_s"].get<double>() * 1.001; },
       {"ops_per_s ("}},
      {"waste",
       [](json& p) { p["waste_ratio"] = p["waste_ratio"].get<double>() + 0.01; },
       {"waste_ratio ("}},
      {"thread count", [](json& p) { p["threads"].erase(1); }, {"threads has 1 entries"}},
      {"thread leak",
       [](json& p) { p["threads"][1]["violations"]["leak"] = 1; },
       {"violations.leak (0) < sum over threads (1)"}},
  };
  for (const Breakage& c : cases) {
    json report = Sized();
    c.edit(report["pools"][0]);
    const Findings f = Verify(report);
    std::vector<std::string> expect = c.expect;
    expect.push_back("pool 'sized'");
    EXPECT_TRUE(Failed(f, expect)) << c.name << ":\n" << Lines(f);
  }
}

TEST(VerifyTest, ThreadsMustSumToEveryPoolTotal) {
  for (const char* field :
       {"ops", "gets", "puts", "refused", "handoffs", "bytes_requested", "bytes_capacity"}) {
    json report = Sized();
    Bump(report["pools"][0]["threads"][1][field], 1);
    EXPECT_TRUE(
        Failed(Verify(report), {"pool 'sized'", std::string(field) + " (", "sum over threads"}))
        << field;
  }
  for (const char* kind :
       {"short_capacity", "not_empty", "double_handout", "corruption", "truncated"}) {
    json report = Sized();
    report["pools"][0]["threads"][0]["violations"][kind] = 1;
    EXPECT_TRUE(Failed(Verify(report),
                       {"pool 'sized'", std::string("violations.") + kind, "sum over threads"}))
        << kind;
  }
}

TEST(VerifyTest, PoolLeakMayExceedThreadsLeaks) {
  json report = Sized();
  json& pool = report["pools"][0];
  pool["violations"]["leak"] = 3;
  pool["outcome"] = "violations";
  pool["verdict"] = "fail";
  report["exit_code"] = 1;
  report["verdict"] = "fail";
  const Findings f = Verify(report);
  EXPECT_FALSE(Failed(f, {"sum over threads"})) << Lines(f);
  EXPECT_FALSE(Failed(f, {"disagrees"})) << Lines(f);
  EXPECT_TRUE(Failed(f, {"report: verdict is 'fail'"})) << Lines(f);
}

TEST(VerifyTest, InterruptedRunMayLeaveBuffersOutstandingButFails) {
  json report = Sized();
  json& pool = report["pools"][0];
  Bump(pool["outstanding"], 1), Bump(pool["puts"], -1), Bump(pool["pool_puts"], -1);
  Bump(pool["threads"][0]["puts"], -1);
  pool["outcome"] = "interrupted";
  pool["verdict"] = "fail";
  report["interrupted"] = true;
  report["exit_code"] = 130;
  report["verdict"] = "fail";
  const Findings f = Verify(report);
  EXPECT_FALSE(Failed(f, {"outstanding"})) << Lines(f);
  EXPECT_FALSE(Failed(f, {"report: exit_code"})) << Lines(f);
  EXPECT_TRUE(Failed(f, {"verdict is 'fail' (exit_code 130)"})) << Lines(f);
}

TEST(VerifyTest, VerdictsMustFollowOutcomesAndCounts) {
  {
    json report = Sized();
    report["pools"][0]["violations"]["corruption"] = 2;
    report["pools"][0]["threads"][0]["violations"]["corruption"] = 2;
    const Findings f = Verify(report);
    EXPECT_TRUE(Failed(f, {"pool 'sized'", "verdict is 'pass' but violations.corruption is 2"}))
        << Lines(f);
    EXPECT_TRUE(Failed(f, {"pool 'sized'", "outcome 'ok'"})) << Lines(f);
  }
  {
    json report = Sized();
    report["pools"][0]["violations"]["truncated"] = 5;  // documented truncation is no failure
    report["pools"][0]["threads"][0]["violations"]["truncated"] = 5;
    report["pools"][0]["repeats"][0]["violations"]["truncated"] = 5;
    EXPECT_EQ(Verify(report).failed, 0u) << Lines(Verify(report));
  }
  {
    json report = Sized();
    report["pools"][0]["outcome"] = "violations";
    EXPECT_TRUE(Failed(Verify(report), {"pool 'sized'", "verdict 'pass' disagrees"}));
  }
  {
    json report = Sized();
    report["verdict"] = "fail";
    EXPECT_TRUE(Failed(Verify(report), {"report: verdict 'fail' but exit_code is 0"}));
  }
  {
    json report = Sized();
    report["exit_code"] = 130;
    const Findings f = Verify(report);
    EXPECT_TRUE(Failed(f, {"report: exit_code 130 but interrupted is false"})) << Lines(f);
  }
  {
    json report = Sized();
    report["pools"][0]["verdict"] = "maybe";
    EXPECT_TRUE(Failed(Verify(report), {"neither 'pass' nor 'fail'"}));
  }
}

// faulty:leak is left out: it really leaks, which LeakSanitizer builds would report for this
// process. PoolLeakMayExceedThreadsLeaks covers the leak rule.
TEST(VerifyTest, RealFailingReportsAreConsistentButFail) {
  for (const std::string pool : {"faulty:stale", "faulty:short-capacity"}) {
    const json report = RealReport({pool}, [](Report& r) { r.options.hold = 2; });
    ASSERT_EQ(report["pools"][0]["verdict"], "fail") << pool;
    const Findings f = Verify(report);
    EXPECT_GT(f.failed, 0u);
    for (const std::string& line : f.lines) {
      EXPECT_EQ(line.find("!="), std::string::npos) << "identities hold in a real report: " << line;
    }
    EXPECT_TRUE(Failed(f, {"pool '" + pool + "'", "verdict is not 'pass'"})) << Lines(f);
    EXPECT_TRUE(Failed(f, {"report: verdict is 'fail' (exit_code 1)"})) << Lines(f);
  }
}

json Fixture(const char* name) {
  json j;
  std::string error;
  EXPECT_TRUE(LoadReport(std::string(BP_SOURCE_DIR) + "/tests/data/" + name, &j, &error)) << error;
  return j;
}

// Reports kept from earlier builds must keep verifying: the schema is a contract.
TEST(VerifyTest, SavedReportsVerify) {
  for (const char* name : {"report_minimal.json", "report_v1_pass.json"}) {
    const Findings f = Verify(Fixture(name));
    EXPECT_EQ(f.failed, 0u) << name << "\n" << Lines(f);
  }
  const Findings f = Verify(Fixture("report_v1_fail.json"));
  EXPECT_EQ(f.failed, 2u) << Lines(f);
  EXPECT_TRUE(Failed(f, {"pool 'faulty:stale': verdict is not 'pass' (outcome 'violations', "
                         "not_empty "}))
      << Lines(f);
  // The hand-computed report: every identity holds with small numbers; break one.
  json minimal = Fixture("report_minimal.json");
  minimal["pools"][0]["threads"][1]["handoffs"] = 2;
  EXPECT_TRUE(Failed(Verify(minimal), {"handoffs (2) != sum over threads (3)"}));
}

TEST(VerifyTest, PartialPoolIsOnlyTypeChecked) {
  json report = Sized();
  json& pool = report["pools"][0];
  pool = {{"pool", "sized"}, {"outcome", "hung"}, {"ops", 17}, {"verdict", "fail"}};
  report["exit_code"] = 4;
  report["verdict"] = "fail";
  Findings f = Verify(report);
  EXPECT_FALSE(Failed(f, {"missing field"})) << Lines(f);
  EXPECT_FALSE(Failed(f, {"report: exit_code"})) << Lines(f);
  EXPECT_TRUE(Failed(f, {"pool 'sized'", "verdict is not 'pass' (outcome 'hung')"})) << Lines(f);
  pool["verdict"] = "pass";
  EXPECT_TRUE(Failed(Verify(report), {"outcome 'hung' but verdict is not 'fail'"}));
  pool["verdict"] = "fail";
  pool["ops"] = "many";
  EXPECT_TRUE(Failed(Verify(report), {"field 'ops' must be a non-negative integer"}));
}

TEST(VerifyTest, SchemaFieldsAndTypes) {
  for (const char* key :
       {"tool", "host", "started_at", "config", "pools", "interrupted", "exit_code", "verdict"}) {
    json report = Sized();
    report.erase(key);
    EXPECT_TRUE(Failed(Verify(report), {"report: missing field '" + std::string(key) + "'"}))
        << key;
  }
  for (const char* key : {"gets", "latency_ns", "violations", "threads", "capacity_histogram"}) {
    json report = Sized();
    report["pools"][0].erase(key);
    EXPECT_TRUE(Failed(Verify(report), {"pool 'sized': missing field '" + std::string(key)}))
        << key;
  }
  json report = Sized();
  report["pools"][0]["gets"] = "12";
  EXPECT_TRUE(Failed(Verify(report), {"field 'gets' must be a non-negative integer (found "
                                      "string)"}));
  report = Sized();
  report["pools"][0]["puts"] = -1;
  EXPECT_TRUE(Failed(Verify(report), {"field 'puts' must be a non-negative integer (found -1)"}));
  report = Sized();
  report["pools"][0]["seconds"] = -0.5;
  EXPECT_TRUE(Failed(Verify(report), {"'seconds' must be a finite non-negative number"}));
  report = Sized();
  report["pools"][0]["latency_ns"].erase("p99");
  EXPECT_TRUE(Failed(Verify(report), {"missing field 'latency_ns.p99'"}));
  report = Sized();
  report["config"].erase("seed");
  EXPECT_TRUE(Failed(Verify(report), {"missing field 'config.seed'"}));
  report = Sized();
  report["config"]["allocators"] = {"glibc", "jemalloc"};
  report["pools"][0]["allocator"] = "tcmalloc";
  EXPECT_TRUE(Failed(Verify(report), {"allocator 'tcmalloc' is not one of config.allocators"}));
  report["config"]["allocators"] = {"glibc", "glibc"};
  report["pools"][0]["allocator"] = "glibc";
  EXPECT_TRUE(Failed(Verify(report), {"config.allocators is not a list of distinct names"}));
  report = Sized();
  report["pools"] = json::array();
  EXPECT_TRUE(Failed(Verify(report), {"report: no pools"}));
  report["pools"] = {5};
  EXPECT_TRUE(Failed(Verify(report), {"pools[0] is not an object"}));
}

TEST(VerifyTest, HostileNamesAreShownEscaped) {
  json report = Sized();
  report["pools"][0]["pool"] = "evil\x1b[2J\n";
  Bump(report["pools"][0]["hits"], 1);
  const Findings f = Verify(report);
  EXPECT_TRUE(Failed(f, {"pool 'evil\\x1b[2J\\x0a'"})) << Lines(f);
  for (const std::string& line : f.lines) EXPECT_EQ(line.find('\x1b'), std::string::npos);
}

std::string RefusedReport(std::string_view text) {
  json j;
  std::string error;
  EXPECT_FALSE(ParseReport(text, &j, &error)) << text.substr(0, 80);
  return error;
}

TEST(ParseReportTest, RefusesWhatIsNotAReport) {
  EXPECT_NE(RefusedReport("").find("empty"), std::string::npos);
  EXPECT_NE(RefusedReport("hello").find("not valid JSON at byte 1"), std::string::npos)
      << RefusedReport("hello");
  const std::string text = Sized().dump();
  const std::string half = RefusedReport(text.substr(0, text.size() / 2));
  EXPECT_NE(half.find("not valid JSON at byte " + std::to_string(text.size() / 2 + 1)),
            std::string::npos)
      << half;
  EXPECT_NE(RefusedReport("[1, 2]").find("top level is array"), std::string::npos);
  EXPECT_NE(RefusedReport("{}").find("no \"schema\""), std::string::npos);
  EXPECT_NE(RefusedReport(R"({"schema": 1})").find("\"schema\" is number"), std::string::npos);
  EXPECT_NE(RefusedReport(R"({"schema": "bpstress-report/2"})").find("'bpstress-report/2'"),
            std::string::npos);
  EXPECT_NE(RefusedReport("[1e999]").find("not valid JSON"), std::string::npos);
}

TEST(ParseReportTest, DeepNestingIsRefusedBeforeParsing) {
  for (const char open : {'[', '{'}) {
    std::string deep(1 << 20, open);
    if (open == '{') {
      deep.clear();
      for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
    }
    EXPECT_NE(RefusedReport(deep).find("nested deeper than 256"), std::string::npos);
  }
  // Brackets inside strings do not count; nesting up to the limit parses.
  json report = Sized();
  report["note"] = std::string(5000, '[');
  std::string nested = "1";
  for (int i = 0; i < kMaxReportDepth - 2; ++i) nested = "[" + nested + "]";
  report["deep"] = json::parse(nested);
  json out;
  std::string error;
  EXPECT_TRUE(ParseReport(report.dump(), &out, &error)) << error;
}

TEST(ParseReportTest, LoadReportReportsUnreadableFiles) {
  json out;
  std::string error;
  EXPECT_FALSE(LoadReport("/nonexistent/report.json", &out, &error));
  EXPECT_NE(error.find("cannot read '/nonexistent/report.json'"), std::string::npos) << error;
  EXPECT_FALSE(LoadReport("/", &out, &error));
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
}

// The binary: `verify` run as a user would, its help naming the regression threshold.
class VerifyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const testing::ProcessResult help = testing::Run(BPSTRESS_EXE, {"verify", "--help"});
    ASSERT_EQ(help.exit_code, 0) << help.err;
    ASSERT_NE(help.out.find("--max-regression"), std::string::npos) << help.out;
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = testing::TempPath(name);
    std::string error;
    EXPECT_TRUE(WriteOutput(path, text, &error)) << error;
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& p : paths_) std::remove(p.c_str());
  }
  std::vector<std::string> paths_;
};

TEST_F(VerifyCliTest, ExitCodes) {
  const std::string good = Write("good.json", Sized().dump());
  testing::ProcessResult r = testing::Run(BPSTRESS_EXE, {"verify", good});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("checks passed, 0 failed"), std::string::npos) << r.out;

  json broken = Sized();
  Bump(broken["pools"][0]["hits"], 1);
  r = testing::Run(BPSTRESS_EXE, {"verify", Write("broken.json", broken.dump())});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL pool 'sized': gets ("), std::string::npos) << r.out;

  for (const std::string& bad :
       {std::string(), std::string("{\"schema\""), std::string("not json"), std::string("[]"),
        std::string(R"({"schema":"x"})"), std::string(100000, '[')}) {
    r = testing::Run(BPSTRESS_EXE, {"verify", Write("bad.json", bad)});
    EXPECT_EQ(r.exit_code, 3) << bad.substr(0, 40) << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("bpstress verify: "), std::string::npos) << r.err;
  }
  r = testing::Run(BPSTRESS_EXE, {"verify", "/nonexistent.json"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = testing::Run(BPSTRESS_EXE, {"verify", good, "--max-p99", "fast"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = testing::Run(BPSTRESS_EXE, {"verify", good, "--max-regression", "10%"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = testing::Run(BPSTRESS_EXE, {"verify", good, "--max-rss", "1K"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("--max-rss"), std::string::npos) << r.out;
}

// A report of `bpstress run --repeat 3` with a timeline, made by the binary (the timeline is
// recorded by the run command around the runner).
const json& Repeated() {
  static const json report = [] {
    const std::string path = testing::TempPath("repeated.json");
    const testing::ProcessResult r = testing::Run(BPSTRESS_EXE, {"run",   "--pool",
                                                                 "sized", "--pool",
                                                                 "null",  "--threads",
                                                                 "2",     "--duration",
                                                                 "250ms", "--warmup",
                                                                 "0",     "--repeat",
                                                                 "3",     "--sample-interval",
                                                                 "50ms",  "--seed",
                                                                 "7",     "--progress",
                                                                 "never", "--report",
                                                                 path});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json j;
    std::string error;
    EXPECT_TRUE(LoadReport(path, &j, &error)) << error;
    std::remove(path.c_str());
    return j;
  }();
  return report;
}

TEST(VerifyRepeatsTest, RepeatedReportPassesAndKeepsEveryRepeat) {
  const json& r = Repeated();
  const Findings f = Verify(r);
  EXPECT_EQ(f.failed, 0u) << Lines(f);
  EXPECT_EQ(r["config"]["repeat"], 3);
  ASSERT_EQ(r["pools"].size(), 2u) << "one entry per pool, its repeats inside";
  for (const json& p : r["pools"]) {
    ASSERT_EQ(p["repeats"].size(), 3u);
    uint64_t ops = 0;
    for (const json& e : p["repeats"]) ops += U(e["ops"]);
    EXPECT_EQ(U(p["ops"]), ops) << "pool totals are sums over the repeats";
    const json& s = p["stats"]["ops_per_s"];
    EXPECT_EQ(s["n"], 3);
    EXPECT_LE(s["ci_low"].get<double>(), s["median"].get<double>());
    EXPECT_GE(s["ci_high"].get<double>(), s["median"].get<double>());
    // Points every 50 ms of 250 ms runs: several per repeat, the last at the repeat's totals.
    EXPECT_GE(p["timeline"].size(), 3u * 3) << p["timeline"].dump();
    for (const char* key :
         {"t", "ops_per_s", "rss_bytes", "retained_bytes", "outstanding", "violations"}) {
      EXPECT_TRUE(p["timeline"][0].contains(key)) << key;
    }
    EXPECT_GT(p["timeline"][0]["rss_bytes"].get<uint64_t>(), 0u);
  }
}

TEST(VerifyRepeatsTest, BrokenRepeatsStatsAndTimelinesFail) {
  struct Case {
    std::function<void(json&)> edit;
    std::vector<std::string> message;
  };
  const std::vector<Case> cases = {
      {[](json& p) { p["repeats"][1]["ops"] = U(p["repeats"][1]["ops"]) + 1; },
       {"pool 'sized'", "ops (", "sum over repeats"}},
      {[](json& p) { p["repeats"][2]["violations"]["corruption"] = 1; },
       {"violations.corruption", "sum over repeats"}},
      {[](json& p) { p["repeats"][0]["repeat"] = 5; }, {"repeats[0].repeat (5)"}},
      {[](json& p) {
         p["stats"]["ops_per_s"]["ci_low"] = p["stats"]["ops_per_s"]["max"].get<double>() + 1;
       },
       {"stats.ops_per_s: not min <= ci_low"}},
      {[](json& p) { p["stats"]["latency_p99_ns"]["n"] = 9; }, {"stats.latency_p99_ns.n (9)"}},
      {[](json& p) { p["timeline"][1]["t"] = -1; }, {"timeline[1].t", "must be"}},
      {[](json& p) { p["timeline"][2]["t"] = p["timeline"][1]["t"].get<double>() / 2; },
       {"timeline out of order", "timeline[2].t"}},
      {[](json& p) {
         p["timeline"][1]["ops_per_s"] = p["timeline"][1]["ops_per_s"].get<double>() * 2;
       },
       {"timeline rates", "timeline[1].ops_per_s"}},
      {[](json& p) {
         for (json& e : p["timeline"]) {
           if (e["repeat"] == 0) e["ops"] = U(e["ops"]) / 2;
         }
       },
       {"timeline of repeat 0 ends at"}},
      {[](json& p) { p["timeline"][0]["repeat"] = 3; }, {"timeline[0].repeat (3) has no repeat"}},
  };
  for (const Case& c : cases) {
    json r = Repeated();
    c.edit(r["pools"][0]);
    const Findings f = Verify(r);
    EXPECT_TRUE(Failed(f, c.message)) << c.message.back() << "\n" << Lines(f);
  }
}

TEST(VerifyRepeatsTest, FindingsOfEveryRepeatCount) {
  const std::string path = testing::TempPath("faulty-repeats.json");
  const testing::ProcessResult r = testing::Run(
      BPSTRESS_EXE, {"run", "--pool", "faulty:short-capacity", "--threads", "2", "--ops", "3000",
                     "--warmup", "0", "--repeat", "2", "--progress", "never", "--report", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json j;
  std::string error;
  ASSERT_TRUE(LoadReport(path, &j, &error)) << error;
  std::remove(path.c_str());
  const json& p = j["pools"][0];
  ASSERT_EQ(p["repeats"].size(), 2u);
  const uint64_t first = U(p["repeats"][0]["violations"]["short_capacity"]);
  const uint64_t second = U(p["repeats"][1]["violations"]["short_capacity"]);
  EXPECT_GT(first, 0u);
  EXPECT_GT(second, 0u);
  EXPECT_EQ(U(p["violations"]["short_capacity"]), first + second);
  EXPECT_EQ(p["verdict"], "fail");
  const Findings f = Verify(j);
  EXPECT_TRUE(Failed(f, {"verdict is not 'pass'", "short_capacity"})) << Lines(f);
  EXPECT_FALSE(Failed(f, {"sum over"})) << Lines(f);
}

}  // namespace
}  // namespace bp
