// Finding bugs from the command line: --preempt, --profile, --churn, --misuse, first_violation_s.
// Sanitizer builds run these too: preemption signals, thread churn and misuse while threads run.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "build_info.h"
#include "tests/support/cli.h"
#include "tests/support/subprocess.h"

namespace bp {
namespace {

using bp::testing::Bpstress;
using bp::testing::Lines;
using bp::testing::ProcessResult;
using bp::testing::ReadFile;
using bp::testing::TempPath;
using nlohmann::json;

// Pools that hand one buffer to two holders race on its bytes by construction: under TSan the
// runner's own detector is what is on trial, so TSan's report is silenced for those runs.
std::vector<std::string> FaultyPoolEnv() {
  if (!build::kThreadSanitizer) return {};
  return {"TSAN_OPTIONS=report_bugs=0:halt_on_error=0"};
}

struct HuntBadArgs {
  std::vector<std::string> args;
  std::string mentions;
};

class HuntUsageError : public ::testing::TestWithParam<HuntBadArgs> {};

TEST_P(HuntUsageError, ExitsTwoWithOneLine) {
  std::vector<std::string> args = GetParam().args;
  args.insert(args.end(), {"--pool", "malloc", "--report", TempPath("hunt-usage.json")});
  const ProcessResult r = Bpstress(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(GetParam().mentions), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("bpstress: ", 0), 0u) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, HuntUsageError,
    ::testing::Values(HuntBadArgs{{"--preempt", "fast"}, "--preempt"},
                      HuntBadArgs{{"--preempt", "-5"}, "--preempt"},
                      HuntBadArgs{{"--preempt", "20x"}, "--preempt"},
                      HuntBadArgs{{"--preempt", "2M"}, "--preempt"},
                      HuntBadArgs{{"--profile", "fast"}, "--profile"},
                      HuntBadArgs{{"--churn", "often"}, "--churn"},
                      HuntBadArgs{{"--churn", "-1"}, "--churn"},
                      HuntBadArgs{{"--misuse", "triple-put"}, "--misuse"},
                      HuntBadArgs{{"--misuse", "double-put:"}, "--misuse"},
                      HuntBadArgs{{"--misuse", "double-put:1/0"}, "--misuse"},
                      HuntBadArgs{{"--misuse", "double-put:2"}, "--misuse"},
                      HuntBadArgs{{"--misuse", "double-put:0"}, "--misuse"},
                      HuntBadArgs{{"--pool", "faulty:aba", "--workload", "json"}, "faulty:aba"}));

json HuntReport(std::vector<std::string> args, int* exit_code,
                const std::vector<std::string>& env = {}) {
  const std::string path = TempPath("hunt.json");
  args.insert(args.end(), {"--report", path, "--progress", "never", "--seed", "7"});
  const ProcessResult r = Bpstress(args, env);
  *exit_code = r.exit_code;
  return json::parse(ReadFile(path));
}

// Correct pools stay clean with threads interrupted and replaced, and the report says what was
// injected; verify accepts it.
TEST(Hunt, CorrectPoolsStayCleanUnderPreemptionAndChurn) {
  int code = -1;
  const std::string path = TempPath("hunt-clean.json");
  const ProcessResult r = Bpstress(
      {"--pool",     "sized", "--pool",   "sync", "--threads", "8",    "--ops",          "3000",
       "--preempt",  "5k",    "--churn",  "500",  "--hold",    "2",    "--cross-thread", "0.3",
       "--progress", "never", "--report", path,   "--profile", "bench"});
  code = r.exit_code;
  ASSERT_EQ(code, 0) << r.err;
  const json rep = json::parse(ReadFile(path));
  EXPECT_EQ(rep["config"]["preempt_rate"].get<double>(), 5000.0);
  EXPECT_EQ(rep["config"]["churn"].get<uint64_t>(), 500u);
  EXPECT_EQ(rep["config"]["profile"], "bench");
  for (const json& p : rep["pools"]) {
    EXPECT_EQ(p["verdict"], "pass") << p["pool"];
    EXPECT_TRUE(p["first_violation_s"].is_null());
    // 3000 ops per worker in threads of 500: six threads each.
    EXPECT_EQ(p["thread_starts"].get<uint64_t>(), 8u * 6u) << p["pool"];
    EXPECT_EQ(p["preempt_rate"].get<double>(), 5000.0);
  }
  EXPECT_NE(r.out.find("profile bench: --preempt"), std::string::npos) << r.out;
  const ProcessResult v = Bpstress({"verify", path});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// The default profile hunts: a hunt phase under preemption before a measured run with nothing
// injected. --preempt 0 and --profile bench leave only the measured run.
TEST(Hunt, DefaultProfileHuntsFirstThenMeasuresClean) {
  int code = -1;
  json rep = HuntReport({"--pool", "malloc", "--threads", "2", "--duration", "600ms"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(rep["config"]["profile"], "hunt");
  EXPECT_GT(rep["config"]["hunt_rate"].get<double>(), 0.0);
  EXPECT_EQ(rep["config"]["preempt_rate"].get<double>(), 0.0);
  const json& p = rep["pools"][0];
  ASSERT_TRUE(p.contains("hunt")) << p.dump();
  EXPECT_FALSE(p["hunt"]["found"].get<bool>());
  EXPECT_GT(p["hunt"]["seconds"].get<double>(), 0.0);
  EXPECT_GT(p["hunt"]["ops"].get<uint64_t>(), 0u);
  // The measured run gets the rest of the duration (70% against the hunt's 30%) and nothing
  // injected.
  EXPECT_LT(p["hunt"]["seconds"].get<double>(), p["seconds"].get<double>());
  EXPECT_EQ(p["preemptions"].get<uint64_t>(), 0u);
  for (const std::vector<std::string>& off : {std::vector<std::string>{"--preempt", "0"},
                                              std::vector<std::string>{"--profile", "bench"}}) {
    std::vector<std::string> args = {"--pool", "malloc", "--threads", "2", "--duration", "300ms"};
    args.insert(args.end(), off.begin(), off.end());
    rep = HuntReport(args, &code);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(rep["config"]["hunt_rate"].get<double>(), 0.0) << off[0];
    EXPECT_FALSE(rep["pools"][0].contains("hunt")) << off[0];
    EXPECT_EQ(rep["pools"][0]["preemptions"].get<uint64_t>(), 0u) << off[0];
  }
}

// --stop-on-violation ends a failing run at its first finding instead of at its duration (the
// margin, 60 s against well under a second, makes this no timing test).
TEST(Hunt, StopOnViolationEndsTheRunAtTheFirstFinding) {
  int code = -1;
  const json rep = HuntReport({"--pool", "faulty:double-handout", "--threads", "2", "--duration",
                               "60s", "--hold", "2", "--stop-on-violation", "--warmup", "0"},
                              &code, FaultyPoolEnv());
  EXPECT_EQ(code, 1);
  const json& p = rep["pools"][0];
  EXPECT_GT(p["violations"]["double_handout"].get<uint64_t>(), 0u);
  EXPECT_LT(p["seconds"].get<double>(), 30.0);
}

// A planted bug has a first_violation_s within the run; verify accepts it.
TEST(Hunt, FirstViolationIsTimed) {
  int code = -1;
  const json rep = HuntReport(
      {"--pool", "faulty:double-handout", "--threads", "2", "--ops", "2000", "--hold", "2"}, &code,
      FaultyPoolEnv());
  EXPECT_EQ(code, 1);
  const json& p = rep["pools"][0];
  ASSERT_TRUE(p["first_violation_s"].is_number());
  EXPECT_GE(p["first_violation_s"].get<double>(), 0.0);
  EXPECT_LE(p["first_violation_s"].get<double>(), p["seconds"].get<double>());
}

// A pool that accepts a double put hands the item to two holders later: counted as
// double_put_accepted, not as a violation; exit 1 only with --misuse-fails. faulty:aba accepts it
// (the item is pushed twice and its list points at itself) and never frees a block, so the run
// always completes; its own ABA is far rarer than this (see README).
TEST(Hunt, DoublePutAcceptedIsAFindingApartFromViolations) {
  // Under ThreadSanitizer the threads interleave finely enough that faulty:aba's own ABA fires
  // within these 16000 ops (52 genuine double hand-outs seen once): real violations, which this
  // test cannot tell from a miscount. Release and ASan builds run it.
  if (build::kThreadSanitizer) GTEST_SKIP() << "faulty:aba's own race fires under TSan";
  int code = -1;
  std::vector<std::string> args = {"--pool",   "faulty:aba",     "--threads", "4",
                                   "--ops",    "4000",           "--hold",    "2",
                                   "--misuse", "double-put:1/50"};
  json rep = HuntReport(args, &code, FaultyPoolEnv());
  const json& p = rep["pools"][0];
  EXPECT_GT(p["double_puts"].get<uint64_t>(), 0u);
  EXPECT_GT(p["double_put_accepted"].get<uint64_t>(), 0u);
  EXPECT_EQ(p["violations"]["double_handout"].get<uint64_t>(), 0u);
  EXPECT_EQ(p["verdict"], "pass");
  EXPECT_EQ(code, 0);
  args.push_back("--misuse-fails");
  rep = HuntReport(args, &code, FaultyPoolEnv());
  EXPECT_EQ(code, 1);
  EXPECT_EQ(rep["config"]["misuse_fails"], true);
}

}  // namespace
}  // namespace bp
