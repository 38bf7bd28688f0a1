// The run options behind trustworthy numbers, through the binary: --seed bounds (seeds every JSON
// reader keeps exactly), --repeat with its table, --warmup, --pin recorded in the report, and
// `list --format json`.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli.h"
#include "tests/support/subprocess.h"
#include "tool/util/sysinfo.h"

namespace bp {
namespace {

using bp::testing::Bpstress;
using bp::testing::Lines;
using bp::testing::ProcessResult;
using nlohmann::json;

json Load(const std::string& path) {
  const json j = json::parse(testing::ReadFile(path));
  std::remove(path.c_str());
  return j;
}

TEST(SeedTest, OutOfRangeSeedsAreUsageErrors) {
  for (const char* seed : {"-5", "9007199254740992", "18446744073709551611", "1e3", "x", ""}) {
    const ProcessResult r = Bpstress({"run", "--pool", "sized", "--ops", "10", "--seed", seed,
                                      "--report", testing::TempPath("seed.json")});
    EXPECT_EQ(r.exit_code, 2) << seed << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--seed"), std::string::npos) << r.err;
  }
}

TEST(SeedTest, LargestSeedAndRandomSeedsAreExactAsDoubles) {
  const std::string path = testing::TempPath("seed-max.json");
  ProcessResult r = Bpstress({"run", "--pool", "sized", "--ops", "100", "--threads", "1",
                              "--warmup", "0", "--seed", "9007199254740991", "--report", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Load(path)["config"]["seed"].get<uint64_t>(), 9007199254740991u);
  // Random seeds: below 2^53, so that a double (jq, JavaScript) holds them exactly.
  for (int i = 0; i < 5; ++i) {
    r = Bpstress({"run", "--pool", "sized", "--ops", "10", "--threads", "1", "--warmup", "0",
                  "--report", path});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const uint64_t seed = Load(path)["config"]["seed"].get<uint64_t>();
    EXPECT_LT(seed, uint64_t{1} << 53);
    EXPECT_EQ(static_cast<uint64_t>(static_cast<double>(seed)), seed);
  }
}

TEST(RepeatTest, TableShowsMedianAndIntervalAndReportKeepsRepeats) {
  const std::string path = testing::TempPath("repeat.json");
  const ProcessResult r =
      Bpstress({"run", "--pool", "sized", "--pool", "fixed", "--threads", "2", "--ops", "2000",
                "--repeat", "3", "--warmup", "20ms", "--progress", "never", "--report", path});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // "123.4K ± 5.6K": the median and half its interval, whose coverage a line under the table
  // states. Lines: header, 2 pools, the coverage, the harness's cost, report.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 6) << r.out;
  EXPECT_NE(r.out.find(" ± "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ops/s, p99: median of 3 repeats ± half its interval, which holds the true "
                       "median with 75% probability"),
            std::string::npos)
      << r.out;
  const ProcessResult v = Bpstress({"verify", path});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  const json j = Load(path);
  EXPECT_EQ(j["config"]["repeat"], 3);
  EXPECT_EQ(j["config"]["warmup_ms"], 20);
  ASSERT_EQ(j["pools"].size(), 2u);
  for (const json& p : j["pools"]) {
    ASSERT_EQ(p["repeats"].size(), 3u);
    EXPECT_EQ(p["ops"].get<uint64_t>(), 3u * 2 * 2000) << "measured ops only: no warmup ops";
    EXPECT_EQ(p["stats"]["ops_per_s"]["n"], 3);
  }
}

TEST(RepeatTest, BadRepeatWarmupAndSampleIntervalAreUsageErrors) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--repeat", "0"},
                                        {"--repeat", "x"},
                                        {"--warmup", "soon"},
                                        {"--sample-interval", "0"},
                                        {"--sample-interval", "fast"}}) {
    args.insert(args.begin(), {"run", "--pool", "sized", "--ops", "10"});
    args.insert(args.end(), {"--report", testing::TempPath("bad.json")});
    const ProcessResult r = Bpstress(args);
    EXPECT_EQ(r.exit_code, 2) << args[5] << " " << args[6] << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(args[5]), std::string::npos) << r.err;
  }
}

TEST(PinTest, PinsOverTheAllowedCpusAndSaysSo) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  std::vector<int> allowed;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) allowed.push_back(c);
  }
  const std::string path = testing::TempPath("pin.json");
  ProcessResult r = Bpstress({"run", "--pool", "sized", "--threads", "3", "--ops", "2000",
                              "--warmup", "0", "--pin", "--report", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = Load(path);
  EXPECT_EQ(j["config"]["pin"], true);
  EXPECT_EQ(j["config"]["pin_cpus"].get<std::vector<int>>(), allowed);
  r = Bpstress({"run", "--pool", "sized", "--threads", "1", "--ops", "100", "--warmup", "0",
                "--report", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = Load(path);
  EXPECT_EQ(j["config"]["pin"], false);
  EXPECT_FALSE(j["config"].contains("pin_cpus"));
}

// What --pin does to each worker: the thread runs on the CPU it was given and no other.
TEST(PinTest, PinThreadRestrictsAThreadToOneCpu) {
  const std::vector<int> cpus = AllowedCpus();
  ASSERT_FALSE(cpus.empty());
  const int cpu = cpus.back();
  std::atomic<bool> done{false};
  std::thread t([&] {
    // Alive until the affinity has been read: an exited thread has no affinity to read.
    while (!done.load()) std::this_thread::yield();
  });
  ASSERT_TRUE(PinThread(t.native_handle(), cpu));
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(pthread_getaffinity_np(t.native_handle(), sizeof set, &set), 0);
  EXPECT_EQ(CPU_COUNT(&set), 1);
  EXPECT_TRUE(CPU_ISSET(cpu, &set));
  done.store(true);
  t.join();
}

TEST(ListTest, JsonNamesPoolsOptionsAndDistributions) {
  const ProcessResult r = Bpstress({"list", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  std::vector<std::string> pools, dists;
  for (const json& p : j["pools"]) pools.push_back(p["name"]);
  for (const json& d : j["distributions"]) dists.push_back(d["spec"]);
  for (const char* name : {"sized", "fixed", "sync", "naive", "malloc", "null"}) {
    EXPECT_NE(std::find(pools.begin(), pools.end(), name), pools.end()) << name;
  }
  EXPECT_EQ(j["pools"][0]["name"], "sized");
  EXPECT_EQ(j["pools"][0]["options"][0]["key"], "min");
  EXPECT_FALSE(dists.empty());
  const auto faulty = std::find_if(j["pools"].begin(), j["pools"].end(),
                                   [](const json& p) { return p["faulty"] == true; });
  ASSERT_NE(faulty, j["pools"].end());
  EXPECT_TRUE(faulty->contains("detector"));
}

}  // namespace
}  // namespace bp
