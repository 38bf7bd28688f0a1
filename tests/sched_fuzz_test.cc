// Additions to the scheduler for schedule fuzzing (fuzz/sched/sched_fuzzer.cc): the on_switch
// callback (interleaving coverage), a replayed trace that says nothing about a spin, and the
// built-in faulty pools as instrumented plugins (`bpstress selftest`'s sched rows).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "build_info.h"
#include "support/subprocess.h"
#include "tests/support/sched_programs.h"
#include "tool/sched/scheduler.h"
#include "tool/util/exit_codes.h"

// The scheduler hands the one running thread over through raw futex system calls, an ordering
// ThreadSanitizer does not see: it would report every hand-off as a race. The scheduler is a
// release-build runtime (`bpstress sched` refuses sanitizer builds); its tests run there.
namespace bp::sched {
namespace {

std::vector<std::pair<uint64_t, uint64_t>> g_switches;
void Collect(uint64_t from_pc, uint64_t to_pc) { g_switches.emplace_back(from_pc, to_pc); }

// Thread t passes points at the fake addresses 100*(t+1) + i.
TEST(SchedulerSwitch, OnSwitchGetsWhereOneStoppedAndTheOtherResumes) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  g_switches.clear();
  SchedulerConfig config;
  config.threads = 2;
  // Thread 0 first, then a switch at each thread's second point.
  const std::vector<Switch> trace = {{UINT32_MAX, 0, 0, false}, {0, 2, 1, true}, {1, 2, 0, true}};
  config.replay = &trace;
  config.on_switch = Collect;
  Scheduler s(config, record.get());
  Finding finding;
  ASSERT_TRUE(s.Run(
      [](int t) {
        for (uintptr_t i = 0; i < 3; ++i) {
          Scheduler::Current()->Point(EventKind::kAtomicLoad, &g_switches, 8,
                                      reinterpret_cast<const void*>(100 * (t + 1) + i));
        }
      },
      &finding))
      << finding.message;
  ASSERT_GE(g_switches.size(), 2u);
  // Thread 0 stopped at its second point (101); thread 1 had passed none yet (0).
  EXPECT_EQ(g_switches[0], std::make_pair(uint64_t{101}, uint64_t{0}));
  // Thread 1 stopped at its second point (201); thread 0 resumes where it stopped (101).
  EXPECT_EQ(g_switches[1], std::make_pair(uint64_t{201}, uint64_t{101}));
}

// A replayed trace that does not say where a spinning thread goes (a fuzzer's, an edited one):
// the spin hands over instead of running into the step limit.
TEST(SchedulerSwitch, AReplayedSpinHandsOverWhenTheTraceSaysNothing) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  static std::atomic<uint64_t> flag;
  flag = 0;
  SchedulerConfig config;
  config.threads = 2;
  config.max_steps = 10000;
  const std::vector<Switch> trace = {{UINT32_MAX, 0, 0, false}};  // the spinner starts
  config.replay = &trace;
  Scheduler s(config, record.get());
  Finding finding;
  EXPECT_TRUE(s.Run([](int t) { bp::testing::SpinUntilTheOtherSets(flag, t); }, &finding))
      << finding.kind << ": " << finding.message;
}

// The faulty pools rebuilt for sched (tool/sched/testdata/faulty_*_plugin.cc): found, and the
// schedule file replays to a finding.
TEST(SchedFaultyPlugins, AbaAndRaceAreFoundAndReplay) {
  if (build::kAnySanitizer) GTEST_SKIP() << "sched needs the release build";
  for (const char* pool : {"faulty_aba_sched", "faulty_race_sched"}) {
    const std::string plugin = std::string(BP_BINARY_DIR) + "/lib" + pool + ".so";
    const std::string file = bp::testing::TempPath(std::string(pool) + ".json");
    const auto found = bp::testing::Run(BPSTRESS_EXE, {"sched", "--plugin", plugin, "--seed", "1",
                                                       "--budget", "60s", "--output", file});
    ASSERT_EQ(found.exit_code, kExitCheckFailed) << pool << "\n" << found.err << found.out;
    const auto replayed = bp::testing::Run(BPSTRESS_EXE, {"replay", file});
    EXPECT_EQ(replayed.exit_code, kExitCheckFailed) << pool << "\n" << replayed.out;
  }
}

// The installed CMake package gives bp_sched_plugin: a user's pool builds for sched after
// find_package(bpstress), and the installed bpstress finds its bug.
TEST(SchedPackage, BpSchedPluginBuildsAUsersPoolAfterFindPackage) {
  if (build::kAnySanitizer) GTEST_SKIP() << "sched needs the release build";
  namespace fs = std::filesystem;
  const std::string prefix = bp::testing::TempPath("sched-prefix");
  const std::string dir = bp::testing::TempPath("sched-consumer");
  fs::remove_all(prefix);
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream cm(dir + "/CMakeLists.txt");
    cm << "cmake_minimum_required(VERSION 3.20)\nproject(mypool C)\n"
          "find_package(bpstress 0.1 REQUIRED)\n"
          "bp_sched_plugin(mypool_sched " BP_SOURCE_DIR "/examples/plugins/aba_pool.c)\n";
  }
  const auto built = bp::testing::Run(
      "/bin/sh",
      {"-c", "cmake --install '" BP_BINARY_DIR "' --prefix '" + prefix + "' > " + dir +
                 "/log 2>&1 && cd '" + dir + "' && cmake -S . -B b -DCMAKE_PREFIX_PATH='" + prefix +
                 "' >> log 2>&1 && cmake --build b >> log 2>&1; s=$?; cat log; exit $s"});
  ASSERT_EQ(built.exit_code, 0) << built.out;
  const auto found = bp::testing::Run(
      prefix + "/bin/bpstress", {"sched", "--plugin", dir + "/b/libmypool_sched.so", "--budget",
                                 "60s", "--output", dir + "/f.json"});
  EXPECT_EQ(found.exit_code, kExitCheckFailed) << found.out << found.err;
  fs::remove_all(dir);
  fs::remove_all(prefix);
}

}  // namespace
}  // namespace bp::sched
