// The bpstress command line, run as a user would: exit codes, error lines, reports, signals.
#include "tests/support/cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/subprocess.h"

namespace bp {
namespace {

using bp::testing::Bpstress;
using bp::testing::Lines;
using bp::testing::ProcessResult;
using bp::testing::ReadFile;
using bp::testing::TempPath;
using nlohmann::json;

// Every bad value: exit 2 and exactly one line on stderr that names the option.
struct BadArgs {
  std::vector<std::string> args;
  std::string mentions;
};

class CliUsageError : public ::testing::TestWithParam<BadArgs> {};

TEST_P(CliUsageError, ExitsTwoWithOneLine) {
  const BadArgs& p = GetParam();
  std::vector<std::string> args = p.args;
  args.push_back("--report");
  args.push_back(TempPath("usage.json"));
  const ProcessResult r = Bpstress(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(p.mentions), std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind("bpstress: ", 0), 0u) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, CliUsageError,
    ::testing::Values(
        BadArgs{{"--threads", "0"}, "--threads"}, BadArgs{{"--threads", "many"}, "--threads"},
        BadArgs{{"--duration", "5x"}, "--duration"}, BadArgs{{"--duration", "0s"}, "--duration"},
        BadArgs{{"--duration", "1s", "--ops", "5"}, "--ops"}, BadArgs{{"--dist", "foo"}, "foo"},
        BadArgs{{"--dist", "uniform:10:5"}, "uniform:10:5"},
        BadArgs{{"--pool", "nosuchpool"}, "nosuchpool"}, BadArgs{{"--pool", "sized:mn=1"}, "mn"},
        BadArgs{{"--pool", "sized:min=1M,max=1K"}, "min"},
        BadArgs{{"--pool", "fixed:count=0"}, "count"}, BadArgs{{"--touch", "some"}, "--touch"},
        BadArgs{{"--checks", "paranoid"}, "--checks"}, BadArgs{{"--format", "xml"}, "--format"},
        BadArgs{{"--max-rss", "lots"}, "--max-rss"},
        BadArgs{{"--cross-thread", "1.5"}, "--cross-thread"},
        BadArgs{{"--deadline", "0"}, "--deadline"},
        BadArgs{{"--pool", "null", "--cross-thread", "0.5"}, "null"},
        BadArgs{{"--frobnicate"}, "frobnicate"},
        // A deadline no longer than the run would call a working pool hung (was exit 4).
        BadArgs{{"--duration", "1h", "--deadline", "1s"}, "--deadline"},
        BadArgs{{"--duration", "1s", "--warmup", "5s", "--deadline", "2s"}, "--warmup"},
        BadArgs{{"--ops", "100", "--warmup", "5s", "--deadline", "2s"}, "--warmup"},
        BadArgs{{"--cross-thread", "150%"}, "--cross-thread"},
        BadArgs{{"--pool", "sized:max=64KiX"}, "64KiX"}));

TEST(Cli, UnwritableReportIsAUsageError) {
  const ProcessResult r =
      Bpstress({"--pool", "sized", "--ops", "10", "--report", "/nonexistent-dir/r.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--report"), std::string::npos) << r.err;
}

TEST(Cli, MissingTraceFileIsBadInput) {
  const ProcessResult r =
      Bpstress({"--pool", "sized", "--ops", "10", "--dist", "trace:/nonexistent/trace.txt",
                "--report", TempPath("trace.json")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
}

TEST(Cli, ListNamesPoolsAndDistributions) {
  const ProcessResult r = Bpstress({"list"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name : {"sized", "fixed", "sync", "naive", "malloc", "faulty:double-handout",
                           "random65k", "zipf", "trace"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST(Cli, VersionNamesTheBuild) {
  const ProcessResult r = Bpstress({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("bpstress"), std::string::npos);
  EXPECT_NE(r.out.find("sanitizers:"), std::string::npos);
}

TEST(Cli, RunWritesAReportThatParses) {
  const std::string path = TempPath("ok.json");
  const ProcessResult r = Bpstress({"--threads", "4", "--duration", "200ms", "--pool", "sized",
                                    "--pool", "fixed:count=8,capacity=64K", "--seed", "7",
                                    "--report", path, "--progress", "never"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(ReadFile(path));
  EXPECT_EQ(report["schema"], "bpstress-report/1");
  EXPECT_EQ(report["verdict"], "pass");
  EXPECT_EQ(report["config"]["seed"], 7);
  EXPECT_EQ(report["config"]["threads"], 4);
  ASSERT_EQ(report["pools"].size(), 2u);
  for (const json& p : report["pools"]) {
    EXPECT_EQ(p["outcome"], "ok");
    EXPECT_GT(p["ops"].get<uint64_t>(), 0u);
    EXPECT_EQ(p["gets"], p["puts"]);
    EXPECT_EQ(p["threads"].size(), 4u);
  }
  // The table names each pool on stdout.
  EXPECT_NE(r.out.find("sized"), std::string::npos);
  EXPECT_NE(r.out.find("fixed"), std::string::npos);
}

TEST(Cli, JsonFormatPrintsTheReport) {
  const std::string path = TempPath("fmt.json");
  const ProcessResult r = Bpstress(
      {"--threads", "2", "--ops", "500", "--pool", "malloc", "--format", "json", "--report", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(ReadFile(path)));
}

TEST(Cli, SameSeedSameSizeSequence) {
  auto bytes_per_thread = [](const std::string& seed) {
    const std::string path = TempPath("seed" + seed + ".json");
    const ProcessResult r = Bpstress({"--threads", "3", "--ops", "2000", "--pool", "malloc",
                                      "--dist", "pow2:1:1M", "--seed", seed, "--report", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<uint64_t> out;
    const json report = json::parse(ReadFile(path));
    for (const json& t : report["pools"][0]["threads"]) {
      out.push_back(t["bytes_requested"].get<uint64_t>());
    }
    return out;
  };
  const auto a = bytes_per_thread("11"), b = bytes_per_thread("11"), c = bytes_per_thread("12");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_NE(a[0], a[1]);  // threads draw different sequences
}

TEST(Cli, SigintWritesAnInterruptedReport) {
  const std::string path = TempPath("sigint.json");
  const std::string out = TempPath("sigint.out"), err = TempPath("sigint.err");
  const pid_t pid = bp::testing::Spawn(BPSTRESS_EXE,
                                       {"--threads", "4", "--duration", "60s", "--pool", "sized",
                                        "--pool", "malloc", "--report", path},
                                       out, err);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  kill(pid, SIGINT);
  const int code = bp::testing::Wait(pid, std::chrono::seconds(30));
  EXPECT_EQ(code, 130) << ReadFile(err);
  const json report = json::parse(ReadFile(path));
  EXPECT_TRUE(report["interrupted"].get<bool>());
  EXPECT_EQ(report["exit_code"], 130);
  ASSERT_EQ(report["pools"].size(), 1u);  // the second pool never started
  EXPECT_EQ(report["pools"][0]["outcome"], "interrupted");
  EXPECT_EQ(report["pools"][0]["stop_reason"], "signal");
  EXPECT_EQ(report["pools"][0]["gets"], report["pools"][0]["puts"]);  // drained, nothing lost
}

TEST(Cli, MaxRssStopsBeforeTheCap) {
  // malloc with 2048 held 64 KiB buffers per thread would reach 512 MiB; the cap is 160 MiB. The
  // measured run holds them (the hunt phase of the default profile would only delay it by 6 s).
  const std::string path = TempPath("rss.json");
  const ProcessResult r =
      Bpstress({"--threads", "4", "--duration", "20s", "--pool", "malloc", "--dist", "fixed:64K",
                "--hold", "2048", "--max-rss", "160M", "--profile", "bench", "--report", path});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const json report = json::parse(ReadFile(path));
  const json& pool = report["pools"][0];
  EXPECT_EQ(pool["outcome"], "limit");
  EXPECT_EQ(pool["stop_reason"], "max_rss");
  EXPECT_LE(pool["peak_rss_bytes"].get<uint64_t>(), uint64_t{160} << 20);
  EXPECT_LT(pool["seconds"].get<double>(), 20.0);
}

}  // namespace
}  // namespace bp

namespace bp {
namespace {

TEST(Cli, HungPoolIsReportedWithinTheDeadline) {
  const std::string path = TempPath("hang.json");
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r = Bpstress({"--threads", "2", "--duration", "1s", "--deadline", "3s",
                                    "--pool", "faulty:hang", "--pool", "malloc", "--report", path});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_LT(seconds, 30.0);
  const json report = json::parse(ReadFile(path));
  ASSERT_EQ(report["pools"].size(), 2u);
  EXPECT_EQ(report["pools"][0]["outcome"], "hung");
  EXPECT_EQ(report["pools"][0]["verdict"], "fail");
  EXPECT_EQ(report["pools"][1]["outcome"], "ok");  // the next pool still ran
}

// --- help, suggestions, --report checks, exit-4 reasons ---

TEST(Cli, TopLevelHelpShowsRunOptionsExamplesAndExitCodes) {
  const ProcessResult r = Bpstress({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* want : {"--threads", "--duration", "--pool", "--report", "--max-rss",
                           "Examples:", "Exit status:", "contract", "verify", "130"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
}

TEST(Cli, UnknownOptionSuggestsTheClosest) {
  const ProcessResult r = Bpstress({"--thread", "2", "--report", TempPath("typo.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("did you mean --threads?"), std::string::npos) << r.err;
  const ProcessResult v = Bpstress({"contract", "--plugn", "x.so"});
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_NE(v.err.find("did you mean --plugin?"), std::string::npos) << v.err;
}

TEST(Cli, BadReportPathFailsBeforeTheRun) {
  // A 60 s run: reaching it would print the table; the check must stop everything first.
  for (const std::string& path : {std::string(""), std::string("/tmp"), std::string("/tmp/")}) {
    const ProcessResult r =
        Bpstress({"--pool", "sized", "--duration", "60s", "--report", path, "--progress", "never"});
    EXPECT_EQ(r.exit_code, 2) << "'" << path << "': " << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--report"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(Cli, ReportDashWritesJsonToStdoutAndTheTableToStderr) {
  const ProcessResult r = Bpstress({"--threads", "2", "--ops", "500", "--pool", "sized", "--report",
                                    "-", "--progress", "never"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  EXPECT_EQ(report["verdict"], "pass");
  EXPECT_NE(r.err.find("sized"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("report: stdout"), std::string::npos) << r.err;
  std::ifstream dash("-");
  EXPECT_FALSE(dash.good()) << "a file named '-' was written";
}

TEST(Cli, LimitExitSaysWhy) {
  const ProcessResult r =
      Bpstress({"--threads", "2", "--duration", "1s", "--pool", "sized", "--max-rss", "1K",
                "--report", TempPath("limit.json"), "--progress", "never"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("--max-rss"), std::string::npos) << r.err;
  // A deadline shorter than a run is a usage error (below): the run here has no length (--ops)
  // and no warmup, so the deadline comes while the pool runs.
  const ProcessResult h =
      Bpstress({"--threads", "2", "--ops", "1000000000", "--warmup", "0", "--deadline", "300ms",
                "--pool", "faulty:hang", "--report", TempPath("hang.json"), "--progress", "never"});
  EXPECT_EQ(h.exit_code, 4) << h.err;
  EXPECT_NE(h.err.find("hung"), std::string::npos) << h.err;
  EXPECT_NE(h.err.find("--deadline"), std::string::npos) << h.err;
  // The deadline came before the run's end: it hung in the run, not while draining.
  const json hung = json::parse(ReadFile(TempPath("hang.json"))).at("pools").at(0);
  EXPECT_EQ(hung.at("outcome"), "hung");
  EXPECT_EQ(hung.at("phase"), "run");
}

// One parser per kind of quantity: what one command takes, every command and pool option takes
// (before: --cross-thread 25%, contract --preempt 20k and sized:max=64KiB were refused).
TEST(Cli, UnitsAreReadAlikeByEveryCommand) {
  const std::string path = TempPath("units.json");
  const ProcessResult r = Bpstress({"--pool",         "sized:max=64KiB,min=64B",
                                    "--cross-thread", "25%",
                                    "--hold",         "2",
                                    "--threads",      "2",
                                    "--ops",          "500",
                                    "--preempt",      "1.5k",
                                    "--profile",      "bench",
                                    "--max-rss",      "4GiB",
                                    "--report",       path,
                                    "--progress",     "never"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(ReadFile(path));
  EXPECT_DOUBLE_EQ(report["config"]["cross_thread"].get<double>(), 0.25);
  EXPECT_NE(report["pools"][0]["spec"].get<std::string>().find("max=65536"), std::string::npos)
      << report["pools"][0]["spec"];
  const ProcessResult v =
      Bpstress({"verify", path, "--max-waste", "99%", "--min-hit-rate", "0%", "--min-ops-per-sec",
                "1k", "--max-rss", "4GiB", "--max-p99", "1s"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  const ProcessResult c = Bpstress({"contract", "--pool", "sized:max=64KiB", "--preempt", "20k",
                                    "--race-time", "100ms", "--max-size", "64KiB"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  const ProcessResult too_fast = Bpstress({"contract", "--pool", "sized", "--preempt", "2M"});
  EXPECT_EQ(too_fast.exit_code, 2) << too_fast.err;
  EXPECT_NE(too_fast.err.find("--preempt"), std::string::npos) << too_fast.err;
}

TEST(Cli, MistypedSubcommandGetsASuggestion) {
  for (const auto& [typo, said] : std::vector<std::pair<std::string, std::string>>{
           {"rn", "did you mean 'run'?"},
           {"verfy", "did you mean 'verify'?"},
           {"lst", "did you mean 'list'?"},
           {"xyzzy", "unknown command 'xyzzy' (commands: run, list"}}) {
    const ProcessResult r = Bpstress({typo});
    EXPECT_EQ(r.exit_code, 2) << typo << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(said), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

// The row of a pool in the table on stdout.
std::string Row(const std::string& out, const std::string& pool) {
  const size_t at = out.find("\n" + pool + " ");
  if (at == std::string::npos) return "";
  return out.substr(at + 1, out.find('\n', at + 1) - at - 1);
}

// The table says what was found, by kind, and when the first one was, with an example (before:
// a bare count, and the first violation only under injection options).
TEST(Cli, TableNamesFindingsByKindWithTheFirstOne) {
  const ProcessResult r = Bpstress({"--pool",     "faulty:short-capacity",
                                    "--threads",  "2",
                                    "--ops",      "4000",
                                    "--dist",     "uniform:1:16K",
                                    "--hold",     "2",
                                    "--seed",     "1",
                                    "--profile",  "bench",
                                    "--warmup",   "0",
                                    "--report",   TempPath("kinds.json"),
                                    "--progress", "never"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const std::string row = Row(r.out, "faulty:short-capacity");
  EXPECT_NE(row.find("short_capacity "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("faulty:short-capacity: first violation at "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("example: short_capacity: thread "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", got capacity "), std::string::npos) << r.out;
}

// A pool that crashed before its first timed op has no latency, RSS or counters: "-", not 0ns or
// 0 B.
TEST(Cli, UnknownFiguresOfACrashedPoolPrintAsDash) {
  const ProcessResult r =
      Bpstress({"--plugin", std::string(BP_BINARY_DIR) + "/libcrash_pool.so:at=1", "--threads", "1",
                "--ops", "100", "--profile", "bench", "--warmup", "0", "--report",
                TempPath("crash.json"), "--progress", "never"});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const std::string row = Row(r.out, "crash");
  // A sanitizer build reports the same fault as the sanitizer's finding: partial all the same.
  ASSERT_TRUE(row.find("crashed") != std::string::npos ||
              row.find("sanitizer") != std::string::npos)
      << r.out;
  EXPECT_EQ(row.find("0ns"), std::string::npos) << row;
  EXPECT_EQ(row.find(" 0 B"), std::string::npos) << row;
  EXPECT_NE(row.find(" - "), std::string::npos) << row;
}

// The footer says what the time went to and how to rank pools by their own cost.
TEST(Cli, FooterSaysWhatDominatedTheTime) {
  const ProcessResult full =
      Bpstress({"--pool", "malloc", "--threads", "1", "--ops", "300", "--dist", "fixed:32K",
                "--report", TempPath("cost.json"), "--progress", "never"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("time: the harness wrote and checked 32.0 KiB per op (--touch full "
                          "--checks full)"),
            std::string::npos)
      << full.out;
  EXPECT_NE(full.out.find("--touch none --checks none --profile bench"), std::string::npos);
  const ProcessResult small =
      Bpstress({"--pool", "malloc", "--threads", "1", "--ops", "300", "--dist", "fixed:64",
                "--report", TempPath("cost.json"), "--progress", "never"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_NE(small.out.find("time: ops/s and latencies include the harness's own work"),
            std::string::npos)
      << small.out;
  const ProcessResult bare =
      Bpstress({"--pool", "malloc", "--threads", "1", "--ops", "300", "--touch", "none", "--checks",
                "none", "--report", TempPath("cost.json"), "--progress", "never"});
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_EQ(bare.out.find("time:"), std::string::npos) << bare.out;
}

}  // namespace
}  // namespace bp
