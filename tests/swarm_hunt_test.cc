// `bpstress hunt` (swarm testing) and the reproduce line: the trial draw is a function of the seed
// and stays in its bounds, a hunt finds a planted bug and prints a reproduce line that finds it
// again, stays clean on a correct pool, writes the documented report, and refuses bad options with
// exit 2. The reproduce line of `run` parses back (through the shell and the CLI) to the same
// config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "build_info.h"
#include "tests/support/cli.h"
#include "tests/support/subprocess.h"
#include "tool/cli/hunt.h"
#include "tool/cli/reproduce.h"

namespace bp {
namespace {

using bp::testing::Bpstress;
using nlohmann::json;

// Runs a printed line through the shell, with bpstress replaced by the binary under test.
testing::ProcessResult Shell(const std::string& line, const std::string& extra) {
  const std::string prefix = "bpstress ";
  EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
  return testing::Run("/bin/sh",
                      {"-c", std::string(BPSTRESS_EXE) + " " + line.substr(prefix.size()) + extra});
}

std::vector<std::string> LinesAfter(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    if (line.rfind(prefix, 0) == 0) out.push_back(line.substr(prefix.size()));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

json ReadJson(const std::string& path) { return json::parse(testing::ReadFile(path)); }

TEST(HuntDrawTest, SameSeedSameTrialsWithinBounds) {
  const uint64_t memory = uint64_t{24} << 30;
  const auto a = DrawHuntTrials(5, 200, memory), b = DrawHuntTrials(5, 200, memory);
  const auto c = DrawHuntTrials(6, 200, memory);
  std::set<std::string> dists, touches;
  std::set<unsigned> threads;
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    const RunOptions &x = a[i].options, &y = b[i].options;
    EXPECT_EQ(a[i].dist, b[i].dist);
    EXPECT_EQ(ShellJoin(ReproduceArgs({}, a[i].dist, x)),
              ShellJoin(ReproduceArgs({}, b[i].dist, y)));
    differs |= ShellJoin(ReproduceArgs({}, a[i].dist, x)) !=
               ShellJoin(ReproduceArgs({}, c[i].dist, c[i].options));
    EXPECT_GE(x.threads, 1u);
    EXPECT_LE(x.threads, 256u);
    EXPECT_GE(x.cross_thread, 0.0);
    EXPECT_LE(x.cross_thread, 1.0);
    EXPECT_GT(x.duration.count(), 0);
    EXPECT_EQ(x.checks, CheckLevel::kFull);
    EXPECT_NE(x.max_rss_bytes, 0u);
    if (a[i].dist.rfind("edges", 0) == 0) {
      auto d = Distribution::Parse(a[i].dist);
      ASSERT_TRUE(std::holds_alternative<Distribution>(d)) << a[i].dist;
      EXPECT_LE(std::get<Distribution>(d).max_size(), memory / 4 + 1);  // fits the machine
      EXPECT_LE(x.threads, 64u);
      EXPECT_LE(x.hold, 4u);
      EXPECT_NE(x.touch, Touch::kFull);
    } else {
      EXPECT_TRUE(std::holds_alternative<Distribution>(Distribution::Parse(a[i].dist)));
    }
    dists.insert(a[i].dist.substr(0, a[i].dist.find(':')));
    touches.insert(TouchName(x.touch));
    threads.insert(x.threads);
  }
  EXPECT_TRUE(differs);
  EXPECT_TRUE(dists.count("edges"));
  EXPECT_GE(dists.size(), 7u);
  EXPECT_EQ(touches.size(), 4u);
  EXPECT_TRUE(threads.count(1) && threads.count(256));
}

TEST(ReproduceTest, ShellQuotingRoundTripsThroughTheShell) {
  const std::vector<std::string> words = {"plain", "a b", "it's", "$HOME", "", "x;y", "--pool"};
  const auto r = testing::Run("/bin/sh", {"-c", "printf '%s\\n' " + ShellJoin(words)});
  std::string want;
  for (const auto& w : words) want += w + "\n";
  EXPECT_EQ(r.out, want);
  EXPECT_EQ(DurationArg(std::chrono::milliseconds(1500)), "1500ms");
  EXPECT_EQ(DurationArg(std::chrono::seconds(2)), "2s");
  EXPECT_EQ(DoubleArg(0.25), "0.25");
}

// The reproduce line of a failing run, run again through the shell, runs the same config and
// fails the same way.
TEST(ReproduceTest, LineParsesBackToTheSameConfig) {
  const std::string first = testing::TempPath("repro1.json"),
                    second = testing::TempPath("repro2.json");
  const auto r = Bpstress({"--pool", "faulty:short-capacity", "--pool", "sized", "--threads", "2",
                           "--ops", "400", "--dist", "pow2:1:64K", "--hold", "2", "--cross-thread",
                           "0.25", "--touch", "head", "--report", first});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const auto lines = LinesAfter(r.out, "reproduce: ");
  ASSERT_EQ(lines.size(), 1u) << r.out;  // the failing pool only
  EXPECT_NE(lines[0].find("--pool faulty:short-capacity "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("--seed "), std::string::npos);
  EXPECT_NE(lines[0].find("--isolate"), std::string::npos);  // two pools ran isolated
  const auto again = Shell(lines[0], " --report " + second);
  EXPECT_EQ(again.exit_code, 1) << again.err;
  json a = ReadJson(first).at("config"), b = ReadJson(second).at("config");
  EXPECT_FALSE(a.at("seed_given").get<bool>());
  EXPECT_TRUE(b.at("seed_given").get<bool>());
  for (const char* key :
       {"seed", "threads", "dist", "duration_ms", "ops_per_thread", "hold", "cross_thread", "touch",
        "checks", "workload", "max_rss_bytes", "deadline_ms"}) {
    EXPECT_EQ(a.at(key), b.at(key)) << key;
  }
  EXPECT_EQ(b.at("pools"), json::array({"faulty:short-capacity"}));
  EXPECT_GT(ReadJson(second).at("pools").at(0).at("violations").at("short_capacity").get<int>(), 0);
  // Its own reproduce line is the same line.
  EXPECT_EQ(LinesAfter(again.out, "reproduce: "), lines);
  unlink(first.c_str());
  unlink(second.c_str());
}

TEST(HuntTest, FindsAPlantedBugAndItsReproduceLineFindsItAgain) {
  // A hunt's budget and its trials' deadlines are wall time; ThreadSanitizer slows every trial
  // 5-15x, so a trial draws too few ops or passes its deadline. Release and ASan run these.
  if (build::kThreadSanitizer) GTEST_SKIP() << "wall-time budgets under ThreadSanitizer";
  const std::string report = testing::TempPath("hunt-find.json");
  // In release its second trial finds the bug (the first, with --misuse, ends in a misuse fault,
  // which is no finding), in ASan its first; about 1 s on a quiet machine. The budget leaves room
  // for a busy one, the hunt stops at the finding.
  const auto r = Bpstress({"hunt", "--pool", "faulty:short-capacity", "--budget", "60s", "--seed",
                           "9", "--report", report});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto lines = LinesAfter(r.out, "reproduce: ");
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_NE(r.out.find("finding: trial "), std::string::npos);
  const json h = ReadJson(report);
  EXPECT_EQ(h.at("schema"), "bpstress-hunt/1");
  EXPECT_EQ(h.at("seed"), 9u);
  EXPECT_TRUE(h.at("seed_given").get<bool>());
  EXPECT_EQ(h.at("target").at("pool"), "faulty:short-capacity");
  EXPECT_EQ(h.at("stopped"), "finding");
  EXPECT_EQ(h.at("exit_code"), 1);
  EXPECT_EQ(h.at("findings"), 1u);
  EXPECT_EQ(h.at("reproduce"), "bpstress " + lines[0].substr(9));
  const json& trials = h.at("trials");
  ASSERT_FALSE(trials.empty());
  EXPECT_EQ(h.at("trials_run"), trials.size());
  for (size_t i = 0; i < trials.size(); ++i) {
    const json& t = trials[i];
    EXPECT_EQ(t.at("trial"), i + 1);  // one numbering: the messages' and the report's
    for (const char* key : {"threads", "dist", "duration_ms", "hold", "cross_thread", "touch",
                            "checks", "preempt_rate", "churn", "double_put_rate", "seed"}) {
      EXPECT_TRUE(t.at("config").contains(key)) << key;
    }
    EXPECT_EQ(t.at("reproduce"),
              "bpstress " + ShellJoin(t.at("args").get<std::vector<std::string>>()));
    if (i + 1 == trials.size()) {
      EXPECT_EQ(t.at("outcome"), "violations");
    }
  }
  EXPECT_GT(trials.back().at("findings").at("short_capacity").get<uint64_t>(), 0u);
  // The finding says what it found, under the number the message gave it, and keeps its evidence
  // next to the report. Fails on the code that deleted it and numbered trials from 0 in the JSON.
  const std::string number = std::to_string(trials.size());
  EXPECT_NE(r.out.find("finding: trial " + number + ": violations"), std::string::npos) << r.out;
  const std::string detail = trials.back().at("detail");
  EXPECT_EQ(detail.rfind("first violation: short_capacity at ", 0), 0u) << detail;
  const std::string evidence = report + ".trial-" + number;
  EXPECT_EQ(trials.back().at("evidence"), evidence);
  EXPECT_NE(r.out.find("evidence: " + evidence + "/"), std::string::npos) << r.out;
  const json kept = ReadJson(evidence + "/report.json");
  EXPECT_GT(kept.at("pools").at(0).at("violations").at("short_capacity").get<uint64_t>(), 0u);
  EXPECT_NE(testing::ReadFile(evidence + "/stdout").find("FAIL"), std::string::npos);
  EXPECT_EQ(access((evidence + "/stderr").c_str(), F_OK), 0);
  for (size_t i = 0; i + 1 < trials.size(); ++i) EXPECT_TRUE(trials[i].at("evidence").is_null());
  // verify checks a hunt report; one that found something fails, as a failed run's does.
  const auto verified = Bpstress({"verify", report});
  EXPECT_EQ(verified.exit_code, 1) << verified.out;
  EXPECT_NE(verified.out.find("FAIL hunt report: the hunt found nothing"), std::string::npos)
      << verified.out;
  EXPECT_EQ(std::count(verified.out.begin(), verified.out.end(), '\n'), 2) << verified.out;
  // The line reruns the trial and fails again.
  const std::string rerun = testing::TempPath("hunt-rerun.json");
  const auto again = Shell(h.at("reproduce").get<std::string>(), " --report " + rerun);
  EXPECT_EQ(again.exit_code, 1) << again.err;
  // The same seed draws the same trials.
  const std::string report2 = testing::TempPath("hunt-find2.json");
  Bpstress({"hunt", "--pool", "faulty:short-capacity", "--budget", "20s", "--seed", "9", "--report",
            report2});
  EXPECT_EQ(ReadJson(report2).at("trials").at(0).at("args"), trials.at(0).at("args"));
  for (const auto& f : {report, rerun, report2, evidence + "/report.json", evidence + "/stdout",
                        evidence + "/stderr"}) {
    unlink(f.c_str());
  }
  rmdir(evidence.c_str());
  const std::string evidence2 = report2 + ".trial-" + number;
  for (const char* f : {"/report.json", "/stdout", "/stderr"}) unlink((evidence2 + f).c_str());
  rmdir(evidence2.c_str());
}

TEST(HuntTest, CleanOnACorrectPoolWithinItsBudget) {
  const std::string report = testing::TempPath("hunt-clean.json");
  const auto r = Bpstress({"hunt", "--pool", "malloc", "--budget", "1500ms", "--seed", "8",
                           "--report", report, "--progress"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(LinesAfter(r.out, "reproduce: ").empty());
  EXPECT_NE(r.err.find("hunt: trial 1,"), std::string::npos) << r.err;  // --progress
  const json h = ReadJson(report);
  EXPECT_EQ(h.at("stopped"), "budget");
  EXPECT_EQ(h.at("exit_code"), 0);
  EXPECT_TRUE(h.at("reproduce").is_null());
  ASSERT_GE(h.at("trials").size(), 1u);
  for (const json& t : h.at("trials")) {
    EXPECT_TRUE(t.at("outcome") == "clean" || t.at("outcome") == "misuse_fault") << t.dump();
  }
  const auto verified = Bpstress({"verify", report});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  // A report whose books do not balance is caught.
  json broken = h;
  broken["trials_run"] = h.at("trials").size() + 1;
  broken["trials"][0]["reproduce"] = "bpstress run --pool sized";
  std::ofstream(report) << broken.dump();
  const auto bad = Bpstress({"verify", report});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("trials_run equals"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("reproduce is 'bpstress' and args"), std::string::npos) << bad.out;
  unlink(report.c_str());
}

// A pool that kills its process is a finding of the trial, not the end of the hunt's process.
TEST(HuntTest, ACrashInATrialIsAFinding) {
  // A hunt's budget and its trials' deadlines are wall time; ThreadSanitizer slows every trial
  // 5-15x, so a trial draws too few ops or passes its deadline. Release and ASan run these.
  if (build::kThreadSanitizer) GTEST_SKIP() << "wall-time budgets under ThreadSanitizer";
  const std::string report = testing::TempPath("hunt-crash.json");
  const auto r = Bpstress({"hunt", "--plugin", std::string(BP_BINARY_DIR) + "/libcrash_pool.so",
                           "--budget", "10s", "--seed", "2", "--report", report});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // In an ASan+UBSan build the sanitizer reports the plugin's null store before the signal.
  const std::string outcome = build::kAnySanitizer ? "sanitizer" : "crashed";
  const json h = ReadJson(report);
  EXPECT_EQ(h.at("target").at("plugin"), std::string(BP_BINARY_DIR) + "/libcrash_pool.so");
  const std::string got = h.at("trials").back().at("outcome");
  EXPECT_TRUE(got == "crashed" || got == outcome) << got;
  EXPECT_NE(r.out.find(": " + got), std::string::npos) << r.out;
  // The trial's bpstress runs the plugin isolated (the default for plugins): the pool's crash is
  // in the trial's report and the trial exits 1 rather than dying with the signal.
  EXPECT_EQ(h.at("trials").back().at("exit_code").get<int>(), 1);
  unlink(report.c_str());
}

TEST(HuntTest, BadOptionsExitTwoWithOneLine) {
  const std::vector<std::vector<std::string>> cases = {
      {"hunt"},
      {"hunt", "--pool", "sized", "--plugin", "x.so"},
      {"hunt", "--pool", "sized", "--pool", "malloc"},
      {"hunt", "--pool", "all"},
      {"hunt", "--pool", "nope"},
      {"hunt", "--pool", "sized:min=4096,max=64"},
      {"hunt", "--pool", "sized", "--budget", "0"},
      {"hunt", "--pool", "sized", "--budget", "soon"},
      {"hunt", "--pool", "sized", "--budget", "-5s"},
      {"hunt", "--pool", "sized", "--seed", "x"},
      {"hunt", "--pool", "sized", "--frobnicate"},
      {"hunt", "--pool", "sized", "--report", "/nonexistent/dir/h.json"},
  };
  for (const auto& args : cases) {
    const auto r = Bpstress(args);
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    EXPECT_EQ(r.exit_code, 2) << cmd << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << r.err;
    EXPECT_TRUE(r.out.empty()) << cmd;
  }
  const auto plugin = Bpstress({"hunt", "--plugin", "/nonexistent/libpool.so"});
  EXPECT_EQ(plugin.exit_code, 3) << plugin.err;
}

}  // namespace
}  // namespace bp
