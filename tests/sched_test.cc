// Deterministic scheduling (tool/sched/): the scheduler in this process (decisions, replay,
// exclusivity, deadlock, spin, hang), and the `sched`, `replay` and `shrink` commands of the built
// bpstress on the example plugins built with -fsanitize=thread (cmake/sched.cmake).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "build_info.h"
#include "support/subprocess.h"
#include "tests/support/sched_programs.h"
#include "tool/sched/schedule.h"
#include "tool/sched/scheduler.h"

// The scheduler hands the one running thread over through raw futex system calls, an ordering
// ThreadSanitizer does not see: it would report every hand-off as a race. The scheduler is a
// release-build runtime (`bpstress sched` refuses sanitizer builds); its tests run there.
namespace bp::sched {
namespace {

using bp::testing::ProcessResult;
using bp::testing::ReadFile;
using bp::testing::TempPath;

// --- the scheduler itself ---

struct Sequence {
  std::vector<int> order;  // who passed each point
  std::atomic<int> running{0};
  bool overlapped = false;
};

// Each thread passes `points` points; records who ran and whether two ever ran at once.
std::function<void(int)> Stepper(Sequence* seq, int points) {
  return [seq, points](int t) {
    for (int i = 0; i < points; ++i) {
      if (seq->running.fetch_add(1) != 0) seq->overlapped = true;
      seq->order.push_back(t);
      seq->running.fetch_sub(1);
      Scheduler::Current()->Point(EventKind::kAtomicLoad, &seq->order, 8, nullptr);
    }
  };
}

std::vector<Switch> RunOnce(const SchedulerConfig& config, Sequence* seq, Record* record) {
  Scheduler s(config, record);
  Finding finding;
  EXPECT_TRUE(s.Run(Stepper(seq, 20), &finding)) << finding.message;
  return TraceOf(*record);
}

TEST(Scheduler, SameSeedSameInterleavingOneThreadAtATime) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  SchedulerConfig config;
  config.threads = 4;
  config.seed = 7;
  config.depth = 3;
  config.expected_steps = 80;
  Sequence a, b;
  const std::vector<Switch> trace_a = RunOnce(config, &a, record.get());
  const std::vector<Switch> trace_b = RunOnce(config, &b, record.get());
  EXPECT_FALSE(a.overlapped);
  EXPECT_EQ(a.order.size(), 80u);
  EXPECT_EQ(a.order, b.order);
  ASSERT_EQ(trace_a.size(), trace_b.size());
  EXPECT_GE(trace_a.size(), 4u);  // the first pick and a switch away from each finished thread
}

TEST(Scheduler, ReplayFollowsTheTraceNotTheSeed) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  SchedulerConfig config;
  config.threads = 3;
  config.seed = 11;
  config.expected_steps = 60;
  Sequence recorded, replayed;
  const std::vector<Switch> trace = RunOnce(config, &recorded, record.get());
  config.seed = 12345;
  config.replay = &trace;
  RunOnce(config, &replayed, record.get());
  EXPECT_EQ(recorded.order, replayed.order);
}

TEST(Scheduler, DifferentSeedsGiveDifferentInterleavings) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  SchedulerConfig config;
  config.threads = 3;
  config.expected_steps = 60;
  std::vector<std::vector<int>> orders;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    config.seed = seed;
    Sequence seq;
    RunOnce(config, &seq, record.get());
    orders.push_back(seq.order);
  }
  bool differ = false;
  for (const auto& o : orders) differ |= o != orders[0];
  EXPECT_TRUE(differ);
}

TEST(Scheduler, EveryThreadBlockedIsADeadlock) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  SchedulerConfig config;
  config.threads = 2;
  static int objects[2];
  Scheduler s(config, record.get());
  Finding finding;
  EXPECT_FALSE(
      s.Run([](int t) { Scheduler::Current()->Block(&objects[t], false, nullptr, "test wait"); },
            &finding));
  EXPECT_EQ(finding.kind, "deadlock");
}

TEST(Scheduler, WakeReleasesABlockedThread) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  static int object;
  static bool woke;
  woke = false;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SchedulerConfig config;
    config.threads = 2;
    config.seed = seed;
    static std::atomic<int> posted;
    posted = 0;
    Scheduler s(config, record.get());
    Finding finding;
    ASSERT_TRUE(s.Run(
        [](int t) {
          Scheduler* sc = Scheduler::Current();
          if (t == 0) {
            while (posted.load() == 0) sc->Block(&object, false, nullptr, "test wait");
            woke = true;
          } else {
            posted = 1;
            sc->Wake(&object, 1);
            sc->Point(EventKind::kUnlock, &object, 0, nullptr);
          }
        },
        &finding))
        << finding.message;
    EXPECT_TRUE(woke);
  }
}

// Thread 0 spins on a flag that thread 1 sets: whatever the priorities, the spinner yields.
TEST(Scheduler, ASpinLoopYieldsInsteadOfLivelocking) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    static std::atomic<uint64_t> flag;
    flag = 0;
    SchedulerConfig config;
    config.threads = 2;
    config.seed = seed;
    config.max_steps = 10000;
    Scheduler s(config, record.get());
    Finding finding;
    EXPECT_TRUE(s.Run([](int t) { bp::testing::SpinUntilTheOtherSets(flag, t); }, &finding))
        << finding.kind << ": " << finding.message;
  }
}

// A call the scheduler does not model (a read of an empty pipe) is a finding that names it.
TEST(Scheduler, AnUnmodelledBlockingCallIsAHangNamingIt) {
  BP_SKIP_UNDER_TSAN();
  auto record = std::make_unique<Record>();
  static int fds[2];
  ASSERT_EQ(pipe(fds), 0);  // left open: the stuck thread stays stuck
  SchedulerConfig config;
  config.threads = 2;
  config.hang_seconds = 0.3;
  Scheduler s(config, record.get());
  Finding finding;
  EXPECT_FALSE(s.Run(
      [](int) {
        char c;
        Scheduler::Current()->Point(EventKind::kRead, fds, 1, nullptr);
        EXPECT_EQ(read(fds[0], &c, 1), 1);
      },
      &finding));
  EXPECT_EQ(finding.kind, "hang");
  EXPECT_NE(finding.message.find("read"), std::string::npos) << finding.message;
}

TEST(ScheduleFile, RoundTripsThroughJson) {
  ScheduleFile f;
  f.plugin = "/x/libp.so";
  f.options = "max=64";
  f.seed = 42;
  f.workload = DrawWorkload(42);
  f.trace = {{UINT32_MAX, 0, 1, false}, {1, 7, 0, true}};
  f.finding = {"double_handout", "m", 9, 1};
  ScheduleFile g;
  std::string error;
  ASSERT_TRUE(FromJson(ToJson(f), &g, &error)) << error;
  EXPECT_EQ(ToJson(g), ToJson(f));
  EXPECT_EQ(g.workload.OpCount(), f.workload.OpCount());
  EXPECT_FALSE(
      FromJson(R"({"version":1,"plugin":"p","threads":1,"ops":["x1"],"trace":""})", &g, &error));
  EXPECT_NE(error.find("x1"), std::string::npos);
}

// --- the commands, on the example plugins built for sched ---

std::string Plugin(const std::string& name) {
  return std::string(BP_BINARY_DIR) + "/lib" + name + ".so";
}

class SchedCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (build::kAnySanitizer) GTEST_SKIP() << "sched needs the release build";
  }
  static ProcessResult Bpstress(const std::vector<std::string>& args) {
    return bp::testing::Run(BPSTRESS_EXE, args);
  }
  // A finding of the ABA plugin for `seed`, written to `path`.
  static ProcessResult FindAba(uint64_t seed, const std::string& path) {
    return Bpstress({"sched", "--plugin", Plugin("aba_pool_sched"), "--seed", std::to_string(seed),
                     "--schedules", "20000", "--budget", "120s", "--output", path});
  }
};

// Deterministic given the seed: found for each seed of a fixed set, in the same schedule twice.
TEST_F(SchedCommand, FindsTheAbaBugForEverySeedOfAFixedSet) {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    const std::string path = TempPath("aba" + std::to_string(seed) + ".json");
    const ProcessResult first = FindAba(seed, path);
    ASSERT_EQ(first.exit_code, 1) << first.out << first.err;
    EXPECT_EQ(first.out.rfind("double_handout in schedule ", 0), 0u) << first.out;
    const ProcessResult second = FindAba(seed, path);
    const auto schedule = [](const std::string& out) { return out.substr(0, out.find(" (")); };
    EXPECT_EQ(schedule(second.out), schedule(first.out));
    unlink(path.c_str());
  }
}

TEST_F(SchedCommand, ReplayReproducesTheFindingTenTimesInTen) {
  const std::string path = TempPath("replay.json");
  ASSERT_EQ(FindAba(3, path).exit_code, 1);
  ScheduleFile recorded;
  std::string error;
  ASSERT_TRUE(FromJson(ReadFile(path), &recorded, &error)) << error;
  const std::string expected =
      recorded.finding.kind + " at step " + std::to_string(recorded.finding.step) + ", ";
  for (int i = 0; i < 10; ++i) {
    const ProcessResult r = Bpstress({"replay", path});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out.rfind(expected, 0), 0u) << "run " << i << ": " << r.out;
    if (access("/usr/bin/addr2line", X_OK) == 0) {  // binutils: source lines of the steps
      EXPECT_NE(r.out.find("aba_get (aba_pool.c:"), std::string::npos) << r.out;
    }
  }
  unlink(path.c_str());
}

// Without a debugger attached the trap ends the process: the violation was reached in-process.
TEST_F(SchedCommand, ReplayGdbStopsWithATrapAtTheViolation) {
  const std::string path = TempPath("gdb.json");
  ASSERT_EQ(FindAba(3, path).exit_code, 1);
  EXPECT_EQ(Bpstress({"replay", path, "--gdb"}).exit_code, 128 + SIGTRAP);
  unlink(path.c_str());
}

TEST_F(SchedCommand, ShrinkKeepsItFailingWithAtMostTwentyOps) {
  const std::string path = TempPath("shrink.json");
  const std::string min_path = TempPath("shrink.min.json");
  ASSERT_EQ(FindAba(1, path).exit_code, 1);
  const ProcessResult r = Bpstress({"shrink", path, "--output", min_path});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(" ops, "), std::string::npos) << r.out;
  ScheduleFile shrunk;
  std::string error;
  ASSERT_TRUE(FromJson(ReadFile(min_path), &shrunk, &error)) << error;
  EXPECT_LE(shrunk.workload.OpCount(), 20u);
  EXPECT_EQ(shrunk.finding.kind, "double_handout");
  EXPECT_EQ(Bpstress({"replay", min_path}).exit_code, 1);
  unlink(path.c_str());
  unlink(min_path.c_str());
}

// The blocking pool waits in every modelled call (with --points all its spin lock and rwlock
// too): a wrong model would show as a deadlock, a hang or a double hand-out.
TEST_F(SchedCommand, CorrectPoolsHaveNoFindingAndNoHang) {
  const std::vector<std::pair<const char*, const char*>> runs = {
      {"mutex_pool_sched", "atomics"},    {"caching_alloc_pool_sched", "atomics"},
      {"blocking_pool_sched", "atomics"}, {"blocking_pool_sched", "all"},
      {"futex_pool_sched", "atomics"},    {"mutex_pool_sched", "all"}};
  for (const auto& [name, points] : runs) {
    const ProcessResult r =
        Bpstress({"sched", "--plugin", Plugin(name), "--points", points, "--schedules", "1000",
                  "--budget", "300s", "--output", TempPath("none.json")});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.out << r.err;
    EXPECT_EQ(r.out.rfind("no finding in 1000 schedules", 0), 0u) << r.out;
  }
}

// Both threads wait in pthread_mutex_lock, modelled: a finding that names the waits, no hang.
TEST_F(SchedCommand, ALockOrderDeadlockIsAFindingNamingTheWaits) {
  const std::string path = TempPath("deadlock.json");
  const ProcessResult r = Bpstress({"sched", "--plugin", Plugin("lock_order_pool_sched"),
                                    "--schedules", "1000", "--output", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("deadlock in schedule ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("waits in pthread_mutex_lock("), std::string::npos) << r.out;
  const ProcessResult replay = Bpstress({"replay", path});
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_NE(replay.out.find("waits in pthread_mutex_lock("), std::string::npos) << replay.out;
  unlink(path.c_str());
}

TEST_F(SchedCommand, AllPointsFindsTheAbaBugToo) {
  const std::string path = TempPath("all.json");
  const ProcessResult r =
      Bpstress({"sched", "--plugin", Plugin("aba_pool_sched"), "--points", "all", "--schedules",
                "20000", "--budget", "120s", "--output", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  unlink(path.c_str());
}

// Threads that are not scheduled (every thread of `run`) pass through the hooks and the
// interposed locks: an instrumented plugin is an ordinary plugin there.
TEST_F(SchedCommand, AnInstrumentedPluginRunsUnderRunToo) {
  const ProcessResult r =
      Bpstress({"run", "--plugin", Plugin("mutex_pool_sched"), "--threads", "4", "--ops", "20000",
                "--report", TempPath("run.json"), "--progress", "never"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("pass"), std::string::npos) << r.out;
}

TEST_F(SchedCommand, RefusesAPluginWithoutTheInstrumentation) {
  const ProcessResult r = Bpstress({"sched", "--plugin", Plugin("aba_pool")});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("-fsanitize=thread"), std::string::npos) << r.err;
}

TEST(SchedUnavailable, ASanitizerBuildSaysSo) {
  if (!build::kAnySanitizer) GTEST_SKIP() << "a release build has the runtime";
  const ProcessResult r = bp::testing::Run(
      BPSTRESS_EXE, {"sched", "--plugin", Plugin("aba_pool_sched"), "--schedules", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sanitizer build"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bp::sched
