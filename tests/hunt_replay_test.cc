// `bpstress hunt --replay REPORT --times N`: the finding of a hunt report run again N times, with
// how often it fired; exit 1 when it fired, 0 when never, 3 for a file with nothing to replay.
// The hunt reports are written here, so the tests do not wait for a hunt to find something.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tool/util/shell.h"

namespace bp {
namespace {

using nlohmann::json;

// A hunt report whose trial 4 found something with `args`.
std::string HuntReport(const std::string& name, const std::vector<std::string>& args) {
  json trials = json::array();
  for (int i = 1; i <= 4; ++i) {
    trials.push_back({{"trial", i},
                      {"config",
                       {{"threads", 2},
                        {"dist", "random65k"},
                        {"duration_ms", 200},
                        {"hold", 0},
                        {"cross_thread", 0},
                        {"touch", "head"},
                        {"checks", "full"},
                        {"preempt_rate", 0},
                        {"churn", 0},
                        {"double_put_rate", 0},
                        {"seed", 5}}},
                      {"args", args},
                      {"reproduce", "bpstress " + ShellJoin(args)},
                      {"outcome", i == 4 ? "violations" : "clean"},
                      {"exit_code", i == 4 ? 1 : 0},
                      {"seconds", 0.3},
                      {"findings", json::object()},
                      {"detail", ""},
                      {"evidence", nullptr}});
  }
  const json report = {{"schema", "bpstress-hunt/1"}, {"trials", trials}};
  const std::string path = testing::TempPath(name);
  std::ofstream(path) << report.dump(2);
  return path;
}

std::vector<std::string> Args(const std::string& pool) {
  return {"run",        pool,    "--dist", "random65k", "--threads", "2",
          "--duration", "200ms", "--seed", "5",         "--touch",   "head",
          "--profile",  "bench", "--hold", "0",         "--checks",  "full"};
}

TEST(HuntReplayTest, SaysHowOftenTheFindingFiresAndFailsWhenItDid) {
  const std::string path = HuntReport("replay-faulty.json", Args("--pool=faulty:short-capacity"));
  const auto r = testing::Run(BPSTRESS_EXE, {"hunt", "--replay", path, "--times", "3"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("replay: trial 4 of " + path + ", 3 times: bpstress run"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  run 3: violations (short_capacity "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replay: trial 4 fired 3 of 3 times (violations 3)"), std::string::npos)
      << r.out;
  unlink(path.c_str());
}

TEST(HuntReplayTest, ATrialThatNoLongerFiresExitsZero) {
  const std::string path = HuntReport("replay-fixed.json", Args("--pool=malloc"));
  const auto r = testing::Run(BPSTRESS_EXE, {"hunt", "--replay", path, "--times", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("replay: trial 4 fired 0 of 2 times (clean 2)"), std::string::npos) << r.out;
  unlink(path.c_str());
}

TEST(HuntReplayTest, NothingToReplayIsBadInput) {
  const std::string none = testing::TempPath("replay-none.json");
  auto r = testing::Run(BPSTRESS_EXE, {"hunt", "--replay", none});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("bpstress: hunt: --replay: cannot read a hunt report"), std::string::npos)
      << r.err;
  std::ofstream(none) << R"({"schema": "bpstress-hunt/1", "trials": []})";
  r = testing::Run(BPSTRESS_EXE, {"hunt", "--replay", none});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("has no finding to replay"), std::string::npos) << r.err;
  r = testing::Run(BPSTRESS_EXE, {"hunt", "--replay", none, "--times", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  unlink(none.c_str());
}

}  // namespace
}  // namespace bp
