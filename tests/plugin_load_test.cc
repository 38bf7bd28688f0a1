// Plugins are loaded only where they run, and live beside their runtimes' signals: a plugin whose
// library starts a thread when loaded runs clean isolated and under `contract`; this process never
// maps a probed plugin; a plugin may run the workers on threads of its own (bp_pool_run_threads);
// preemption leaves a foreign SIGURG handler in place and takes a real-time signal nobody owns.
// Sanitizer builds run these too: plugins with threads and signal handlers of their own.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <variant>

#include "build_info.h"
#include "tests/support/cli.h"
#include "tests/support/subprocess.h"
#include "tool/process/isolate.h"
#include "tool/process/plugin_probe.h"
#include "tool/run/plugin_run.h"
#include "tool/run/preempt.h"
#include "tool/run/signals.h"

namespace bp {
namespace {

using bp::testing::Dist;
using bp::testing::PluginPath;

RunOptions Ops(unsigned threads, uint64_t ops) {
  RunOptions o;
  o.threads = threads;
  o.ops_per_thread = ops;
  o.seed = 7;
  o.hold = 2;
  o.cross_thread = 0.25;
  o.deadline = std::chrono::seconds(20);
  return o;
}

bool Mapped(const std::string& file) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(file) != std::string::npos;
}

TEST(PluginLoadWhereItRuns, ProbingDoesNotLoadThePluginHere) {
  std::string error;
  const auto spec = LoadPluginSpec(PluginPath("loadthread_pool"), &error, /*isolated=*/true);
  ASSERT_TRUE(spec.has_value()) << error;
  EXPECT_EQ(spec->name, "loadthread");
  EXPECT_EQ(spec->abi_version, 1u);
  EXPECT_FALSE(Mapped("libloadthread_pool.so")) << "the probe ran in a child";
}

// The library's constructor starts the thread every get needs: a child forked after a load in
// this process would have no such thread and hang in its first get.
TEST(PluginLoadWhereItRuns, LoadTimeThreadPluginRunsCleanIsolated) {
  std::string error;
  const auto spec = LoadPluginSpec(PluginPath("loadthread_pool"), &error, /*isolated=*/true);
  ASSERT_TRUE(spec.has_value()) << error;
  const RunOptions o = Ops(8, 500);
  const PoolRun run = RunIsolated(spec->name, PluginSpecText(*spec), o,
                                  [&] { return RunPlugin(*spec, Dist("random65k"), o); });
  EXPECT_EQ(run.outcome, Outcome::kOk) << OutcomeName(run.outcome) << "\n" << run.stderr_tail;
  EXPECT_EQ(run.total.ops, 8u * 500u);
  EXPECT_EQ(run.total.refused, 0u);
  EXPECT_EQ(run.total.violations.failures(), 0u);
}

TEST(PluginLoadWhereItRuns, DefaultRunAndContractOfALoadTimeThreadPlugin) {
  const std::string plugin = PluginPath("loadthread_pool");
  const std::string report = testing::TempPath("loadthread.json");
  const testing::ProcessResult run =
      testing::Run(BPSTRESS_EXE, {"--plugin", plugin, "--threads", "8", "--duration", "1s",
                                  "--deadline", "20s", "--report", report});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  // Each check runs in a child that exits with the plugin's thread still running, where
  // ThreadSanitizer waits atexit_sleep_ms (1 s) for a race at exit: not what this test is about.
  std::vector<std::string> env;
  if (build::kThreadSanitizer) {
    const char* given = std::getenv("TSAN_OPTIONS");
    env.push_back(std::string("TSAN_OPTIONS=") + (given ? given : "") + ":atexit_sleep_ms=0");
  }
  const testing::ProcessResult contract = testing::Run(
      BPSTRESS_EXE, {"contract", "--plugin", plugin, "--cycles", "2000", "--timeout", "20s"}, env);
  EXPECT_EQ(contract.exit_code, 0) << contract.out << contract.err;
  EXPECT_NE(contract.out.find("pass  load             ABI version 1, plugin loadthread"),
            std::string::npos)
      << contract.out;
}

TEST(PluginLoadWhereItRuns, CreateCrashFailsTheLoadOnlyWhenTheRunIsNotIsolated) {
  std::string error;
  EXPECT_FALSE(LoadPluginSpec(PluginPath("create_crash_pool"), &error).has_value());
  EXPECT_NE(error.find("create or destroy crashed with signal 6"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  const auto isolated = LoadPluginSpec(PluginPath("create_crash_pool"), &error, true);
  ASSERT_TRUE(isolated.has_value()) << "an isolated run reports it itself";
  EXPECT_EQ(isolated->name, "create-crash");
}

TEST(PluginLoadWhereItRuns, CrashWhileLoadingIsALoadError) {
  ASSERT_EQ(setenv("BP_CRASH_AT_LOAD", "1", 1), 0);
  std::string error;
  const bool loaded = LoadPluginSpec(PluginPath("create_crash_pool"), &error, true).has_value();
  unsetenv("BP_CRASH_AT_LOAD");
  EXPECT_FALSE(loaded);
  EXPECT_NE(error.find("cannot load plugin: "), std::string::npos) << error;
  EXPECT_NE(error.find("crashed with signal 6 (Aborted) while loading"), std::string::npos)
      << error;
}

// bp_pool_run_threads: the example refuses every get on a thread it did not start.
TEST(PluginRunThreads, WorkersRunOnThePluginsThreads) {
  std::string error;
  const auto spec = LoadPluginSpec(PluginPath("runthreads_pool"), &error);
  ASSERT_TRUE(spec.has_value()) << error;
  RunOptions o = Ops(4, 2000);
  o.pin = true;
  const PoolRun run = RunPlugin(*spec, Dist("random65k"), o);
  EXPECT_EQ(run.outcome, Outcome::kOk) << run.stderr_tail;
  EXPECT_EQ(run.total.ops, 4u * 2000u);
  EXPECT_EQ(run.total.refused, 0u) << "a get ran on a thread of bpstress's";
  EXPECT_EQ(run.total.gets, run.total.puts);
  EXPECT_EQ(run.threads.size(), 4u);
}

TEST(PluginRunThreads, RefusedLaunchFallsBackToOurThreads) {
  std::string error;
  const auto spec = LoadPluginSpec(PluginPath("runthreads_pool"), &error);
  ASSERT_TRUE(spec.has_value()) << error;
  ASSERT_EQ(setenv("BP_RUNTHREADS_REFUSE", "1", 1), 0);
  const PoolRun run = RunPlugin(*spec, Dist("random65k"), Ops(4, 1000));
  unsetenv("BP_RUNTHREADS_REFUSE");
  // A sanitizer build's leak evidence has no sites to leave the dynamic linker's TLS blocks out
  // by (plugin_test.cc, ExpectNoFindingButSanitizerLeak): there only a leak may be reported.
  if (!build::kAnySanitizer || run.total.violations.count(Violation::kLeak) == 0) {
    EXPECT_EQ(run.outcome, Outcome::kOk) << run.stderr_tail;
  }
  EXPECT_EQ(run.total.ops, 4u * 1000u);
  EXPECT_EQ(run.total.refused, run.total.ops) << "every get on a thread of ours is refused";
}

std::atomic<int> g_foreign_urg{0};
extern "C" void CountUrg(int) { g_foreign_urg.fetch_add(1); }

// The Go runtime preempts goroutines with SIGURG: a run with preemption must leave its handler.
TEST(ForeignSignals, SigurgHandlerStillFiresAfterAPreemptedRun) {
  struct sigaction foreign {
  }, before{};
  foreign.sa_handler = CountUrg;
  foreign.sa_flags = SA_ONSTACK | SA_RESTART;
  sigemptyset(&foreign.sa_mask);
  ASSERT_EQ(sigaction(SIGURG, &foreign, &before), 0);
  std::string error;
  const auto spec = LoadPluginSpec(PluginPath("mutex_pool"), &error);
  ASSERT_TRUE(spec.has_value()) << error;
  // Bounded in time, not in ops: how many ops a preempted second holds depends on the build
  // (a sanitizer's) and on the machine's load, not on what this test checks.
  RunOptions o = Ops(4, 0);
  o.duration = std::chrono::seconds(1);
  o.preempt_rate = 20000;
  const PoolRun run = RunPlugin(*spec, Dist("random65k"), o);
  EXPECT_EQ(run.outcome, Outcome::kOk) << run.stderr_tail;
  EXPECT_GT(run.total.ops, 0u);
  const int before_raise = g_foreign_urg.load();
  ASSERT_EQ(raise(SIGURG), 0);
  EXPECT_EQ(g_foreign_urg.load(), before_raise + 1) << "preemption replaced the SIGURG handler";
  EXPECT_TRUE(HandlerIs(SIGURG, reinterpret_cast<const void*>(CountUrg)));
  sigaction(SIGURG, &before, nullptr);
}

TEST(ForeignSignals, PreemptionTakesAnUnownedRealtimeSignalOnTheAltStack) {
  Preempter p(1000, 1, 1);
  ASSERT_NE(p.signal(), 0);
  EXPECT_GE(p.signal(), SIGRTMIN);
  EXPECT_LE(p.signal(), SIGRTMAX);
  struct sigaction now {};
  ASSERT_EQ(sigaction(p.signal(), nullptr, &now), 0);
  EXPECT_NE(now.sa_flags & SA_ONSTACK, 0);
  p.Stop();
}

TEST(ForeignSignals, PreemptionSkipsARealtimeSignalSomeoneHandles) {
  EXPECT_EXIT(
      {
        // In a child: the first free real-time signal gets a foreign handler first.
        const int first = FindUnownedRealtimeSignal(nullptr);
        struct sigaction foreign {};
        foreign.sa_handler = CountUrg;
        sigemptyset(&foreign.sa_mask);
        sigaction(first, &foreign, nullptr);
        Preempter p(1000, 1, 1);
        const bool ok = p.signal() != first && p.signal() != 0 &&
                        HandlerIs(first, reinterpret_cast<const void*>(CountUrg));
        p.Stop();
        _exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(ForeignSignals, NoFreeRealtimeSignalIsExitTwo) {
  EXPECT_EXIT(
      {
        for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) signal(sig, SIG_IGN);
        std::string error;
        const bool available = Preempter::SignalAvailable(&error);
        _exit(!available && error.find("real-time signal") != std::string::npos ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  // The command line: ignored dispositions survive exec.
  std::string traps = "trap '' ";
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) traps += std::to_string(sig) + " ";
  const testing::ProcessResult r =
      testing::Run("/bin/sh", {"-c", traps + "; exec " + std::string(BPSTRESS_EXE) +
                                         " --pool null --duration 100ms --report " +
                                         testing::TempPath("rt.json")});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("bpstress: --preempt: every real-time signal"), std::string::npos) << r.err;
}

// On a fresh thread whose alternate stack (a sanitizer runtime gives each thread one) is turned
// off first: AltSignalStack installs one, keeps one that is there, and removes only its own.
void CheckAltStack() {
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  ASSERT_EQ(sigaltstack(&off, nullptr), 0);
  {
    AltSignalStack alt;
    stack_t now{};
    ASSERT_EQ(sigaltstack(nullptr, &now), 0);
    EXPECT_EQ(now.ss_flags & SS_DISABLE, 0);
    EXPECT_EQ(now.ss_size, AltSignalStack::kSize);
    {
      AltSignalStack nested;  // the thread has one: kept
      stack_t inner{};
      ASSERT_EQ(sigaltstack(nullptr, &inner), 0);
      EXPECT_EQ(inner.ss_sp, now.ss_sp);
    }
    stack_t after_nested{};
    ASSERT_EQ(sigaltstack(nullptr, &after_nested), 0);
    EXPECT_EQ(after_nested.ss_sp, now.ss_sp);
  }
  stack_t after{};
  ASSERT_EQ(sigaltstack(nullptr, &after), 0);
  EXPECT_NE(after.ss_flags & SS_DISABLE, 0);
}

TEST(ForeignSignals, WorkerThreadsGetAnAltStackOnlyWhenTheyHaveNone) {
  std::thread(CheckAltStack).join();
}

}  // namespace
}  // namespace bp
