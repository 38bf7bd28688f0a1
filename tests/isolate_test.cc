// Crash isolation: a run in a child process comes back whole, and a child that crashes, hangs,
// trips a sanitizer or is interrupted is reported as such without taking the caller down.
// Sanitizer builds run these too: crashes, hangs and sanitizer reports from children.
#include "tool/process/isolate.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <variant>

#include "build_info.h"
#include "tests/support/cli.h"
#include "tests/support/pool_run_sample.h"
#include "tests/support/subprocess.h"
#include "tool/process/plugin_probe.h"
#include "tool/process/wire_codec.h"
#include "tool/run/leak_cycles.h"
#include "tool/run/plugin_run.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BP_TEST_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define BP_TEST_TSAN 1
#endif
#endif

namespace bp {
namespace {

using bp::testing::Dist;
using bp::testing::PluginPath;

RunOptions WithDeadline(std::chrono::nanoseconds deadline) {
  RunOptions o;
  o.deadline = deadline;
  return o;
}

// The round trips below compare with PoolRun's defaulted operator==: every field. This makes sure
// the sample sets every field of PoolRun::Fields to something else than its default, so that a
// field the codec forgot cannot compare equal by accident.
TEST(IsolateWire, FullRunSetsEveryField) {
  const PoolRun full = testing::FullRun(), blank;
  PoolRun::Fields([&](const char* name, auto member, auto) {
    EXPECT_FALSE(full.*member == blank.*member) << "FullRun leaves " << name << " at its default";
  });
}

TEST(IsolateWire, EncodeDecodeRoundTrip) {
  const PoolRun run = testing::FullRun();
  PoolRun back;
  ASSERT_TRUE(internal::DecodePoolRun(internal::EncodePoolRun(run), &back));
  EXPECT_TRUE(back == run);
  // Each field on its own: a change to any one comes back.
  PoolRun::Fields([&](const char* name, auto member, auto) {
    PoolRun one;
    one.*member = run.*member;
    PoolRun out;
    ASSERT_TRUE(internal::DecodePoolRun(internal::EncodePoolRun(one), &out)) << name;
    EXPECT_TRUE(out == one) << name;
  });
}

TEST(IsolateWire, TruncatedOrDamagedIsRejected) {
  const std::string bytes = internal::EncodePoolRun(testing::SampleRun());
  PoolRun back;
  EXPECT_FALSE(internal::DecodePoolRun(bytes.substr(0, bytes.size() - 1), &back));
  EXPECT_FALSE(internal::DecodePoolRun(bytes.substr(0, bytes.size() / 2), &back));
  EXPECT_FALSE(internal::DecodePoolRun("", &back));
  EXPECT_FALSE(internal::DecodePoolRun(bytes + "x", &back));
  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x40;
  EXPECT_FALSE(internal::DecodePoolRun(damaged, &back));
}

TEST(Isolate, ResultComesBackIdentical) {
  const PoolRun expected = testing::SampleRun();
  const PoolRun run = RunIsolated("ignored", "ignored", WithDeadline(std::chrono::seconds(60)),
                                  [] { return testing::SampleRun(); });
  EXPECT_TRUE(run == expected);
}

TEST(Isolate, SegfaultIsACrashWithItsSignal) {
  const PoolRun run = RunIsolated("segv", "spec:segv", WithDeadline(std::chrono::seconds(60)), [] {
    std::fprintf(stderr, "about to fault\n");
    raise(SIGSEGV);
    return PoolRun();
  });
  EXPECT_EQ(run.name, "segv");
  EXPECT_EQ(run.spec, "spec:segv");
  EXPECT_EQ(run.total.ops, 0u);
#if defined(BP_TEST_ASAN) || defined(BP_TEST_TSAN)
  // The sanitizer's own SIGSEGV handler reports the fault and exits: a sanitizer outcome.
  EXPECT_TRUE(run.outcome == Outcome::kSanitizer ||
              (run.outcome == Outcome::kCrashed && run.signal == SIGSEGV))
      << OutcomeName(run.outcome) << "\n"
      << run.stderr_tail;
#else
  EXPECT_EQ(run.outcome, Outcome::kCrashed);
  EXPECT_EQ(run.signal, SIGSEGV);
  // (Under a sanitizer its long report pushes this line out of the tail.)
  EXPECT_NE(run.stderr_tail.find("about to fault"), std::string::npos) << run.stderr_tail;
#endif
}

TEST(Isolate, HangIsKilledAtTheDeadline) {
  const PoolRun run = RunIsolated("hang", "spec:hang", WithDeadline(std::chrono::seconds(1)), [] {
    for (;;) sleep(1);
    return PoolRun();
  });
  EXPECT_EQ(run.outcome, Outcome::kHung);
  EXPECT_EQ(run.name, "hang");
  EXPECT_EQ(run.signal, 0);
}

TEST(Isolate, SanitizerReportIsRecognised) {
  const PoolRun run = RunIsolated("asan", "spec:asan", WithDeadline(std::chrono::seconds(60)), [] {
    std::fprintf(stderr, "ERROR: AddressSanitizer: x\n");
    std::fflush(stderr);
    _exit(1);
    return PoolRun();
  });
  EXPECT_EQ(run.outcome, Outcome::kSanitizer);
  EXPECT_NE(run.stderr_tail.find("ERROR: AddressSanitizer: x"), std::string::npos)
      << run.stderr_tail;
}

TEST(Isolate, SanitizerLineIsKeptWhenItScrolledOutOfTheTail) {
  const PoolRun run = RunIsolated("tsan", "spec:tsan", WithDeadline(std::chrono::seconds(60)), [] {
    std::fprintf(stderr, "WARNING: ThreadSanitizer: data race (pid=1)\n");
    for (int i = 0; i < 40; ++i) std::fprintf(stderr, "  #%d frame\n", i);
    PoolRun r;
    r.total.ops = 4242;
    return r;
  });
  EXPECT_EQ(run.outcome, Outcome::kSanitizer);
  EXPECT_EQ(run.total.ops, 4242u) << "a complete result is kept";
  EXPECT_NE(run.stderr_tail.find("WARNING: ThreadSanitizer: data race"), std::string::npos);
  EXPECT_NE(run.stderr_tail.find("#39 frame"), std::string::npos);
  EXPECT_EQ(run.stderr_tail.find("#5 frame"), std::string::npos) << run.stderr_tail;
}

// A plugin built with `go build -race`: Go's race detector reports on stderr and the run goes on
// (GORACE halt_on_error=0). The pool is a sanitizer finding with its complete figures, and the
// first report's opening lines are kept even when later reports pushed them out of the tail.
TEST(Isolate, GoRaceReportIsASanitizerFindingWithItsFirstLines) {
  const PoolRun run =
      RunIsolated("gorace", "spec:gorace", WithDeadline(std::chrono::seconds(60)), [] {
        for (int report = 0; report < 3; ++report) {
          std::fprintf(stderr, "==================\nWARNING: DATA RACE\n");
          std::fprintf(stderr, "Read at 0x00c0000b4018 by goroutine %d:\n", 7 + report);
          std::fprintf(stderr, "  main.(*StackPool).Get%d()\n", report);
          for (int i = 0; i < 30; ++i) std::fprintf(stderr, "  frame%d_%d()\n", report, i);
        }
        PoolRun r;
        r.total.ops = 4242;
        return r;
      });
  EXPECT_EQ(run.outcome, Outcome::kSanitizer);
  EXPECT_EQ(run.total.ops, 4242u) << "a complete result is kept";
  EXPECT_NE(run.stderr_tail.find("main.(*StackPool).Get0()"), std::string::npos) << run.stderr_tail;
  EXPECT_NE(run.stderr_tail.find("frame2_29()"), std::string::npos) << run.stderr_tail;
  EXPECT_EQ(run.stderr_tail.find("frame0_29()"), std::string::npos) << run.stderr_tail;
}

TEST(Isolate, ExitWithoutResultIsACrashAndTheTailHoldsTheLastLines) {
  const PoolRun run = RunIsolated("exit", "spec:exit", WithDeadline(std::chrono::seconds(60)), [] {
    for (int i = 0; i < 50; ++i) std::fprintf(stderr, "line %d\n", i);
    std::fflush(stderr);
    _exit(3);
    return PoolRun();
  });
  EXPECT_EQ(run.outcome, Outcome::kCrashed);
  EXPECT_EQ(run.signal, 0);
  EXPECT_NE(run.stderr_tail.find("line 49\n"), std::string::npos);
  EXPECT_NE(run.stderr_tail.find("line 30\n"), std::string::npos);
  EXPECT_EQ(run.stderr_tail.find("line 29\n"), std::string::npos) << run.stderr_tail;
  EXPECT_NE(run.stderr_tail.find("status 3"), std::string::npos) << run.stderr_tail;
}

TEST(Isolate, ProgressLinesDoNotFillTheTail) {
  const PoolRun run = RunIsolated("cr", "spec:cr", WithDeadline(std::chrono::seconds(60)), [] {
    std::fprintf(stderr, "\rprogress 1\rprogress 2\r%20s\rlast words\n", "");
    std::fflush(stderr);
    _exit(2);
    return PoolRun();
  });
  EXPECT_EQ(run.outcome, Outcome::kCrashed);
  EXPECT_EQ(run.stderr_tail.find("progress"), std::string::npos) << run.stderr_tail;
  EXPECT_EQ(run.stderr_tail.rfind("last words\n", 0), 0u) << run.stderr_tail;
}

TEST(Isolate, ExceptionInTheChildIsACrash) {
  const PoolRun run = RunIsolated("throw", "spec:throw", WithDeadline(std::chrono::seconds(60)),
                                  []() -> PoolRun { throw std::runtime_error("boom"); });
  EXPECT_EQ(run.outcome, Outcome::kCrashed);
  EXPECT_NE(run.stderr_tail.find("boom"), std::string::npos) << run.stderr_tail;
}

// A Go runtime ends a panicking program with exit status 2 and "panic: ..." on stderr, then the
// goroutines' traces: a crash, with the message and the panicking goroutine's frames. Its message
// names "runtime error:" as UndefinedBehaviorSanitizer does, and is no sanitizer report.
TEST(Isolate, GoPanicIsACrashWithItsFirstLinesAndFrames) {
  const PoolRun run = RunIsolated(
      "gopanic", "spec:gopanic", WithDeadline(std::chrono::seconds(60)), []() -> PoolRun {
        std::fputs(
            "panic: runtime error: invalid memory address or nil pointer dereference\n"
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x7f0e5c]\n"
            "\n"
            "goroutine 17 [running, locked to thread]:\n"
            "main.(*stack).pop(...)\n"
            "\t/src/gopool/pool.go:31\n"
            "main.bp_get(0x0, 0x40, 0xc000012345)\n"
            "\t/src/gopool/pool.go:58 +0x1d\n"
            "\n"
            "goroutine 1 [syscall]:\n",
            stderr);
        for (int i = 0; i < 40; ++i) std::fprintf(stderr, "more trace %d\n", i);
        std::fflush(stderr);
        _exit(2);
      });
  EXPECT_EQ(run.outcome, Outcome::kCrashed) << OutcomeName(run.outcome) << "\n" << run.stderr_tail;
  EXPECT_EQ(run.signal, 0);
  EXPECT_EQ(run.stderr_tail.rfind("panic: runtime error: invalid memory address", 0), 0u)
      << run.stderr_tail;
  ASSERT_EQ(run.crash_frames.size(), 2u);
  EXPECT_EQ(run.crash_frames[0], "main.(*stack).pop(...) (/src/gopool/pool.go:31)");
  EXPECT_EQ(run.crash_frames[1], "main.bp_get(0x0, 0x40, 0xc000012345) (/src/gopool/pool.go:58)");
}

TEST(Isolate, GoFatalErrorIsACrash) {
  const PoolRun run = RunIsolated(
      "gofatal", "spec:gofatal", WithDeadline(std::chrono::seconds(60)), []() -> PoolRun {
        std::fputs("fatal error: concurrent map writes\n\ngoroutine 5 [running]:\n", stderr);
        std::fflush(stderr);
        _exit(2);
      });
  EXPECT_EQ(run.outcome, Outcome::kCrashed);
  EXPECT_EQ(run.stderr_tail.rfind("fatal error: concurrent map writes", 0), 0u) << run.stderr_tail;
}

// A Go c-shared library ends a panic with SIGABRT rather than exit 2.
TEST(Isolate, GoPanicInALibraryEndsWithSigabrt) {
  const PoolRun run = RunIsolated(
      "gopanic", "spec:gopanic", WithDeadline(std::chrono::seconds(60)), []() -> PoolRun {
        std::fputs(
            "panic: assignment to entry in nil map\n\ngoroutine 21 [running]:\n"
            "main.gp_get(0x0?, 0x2264)\n\t/src/gopool/pool.go:69 +0x5e\n",
            stderr);
        std::fflush(stderr);
        raise(SIGABRT);
        _exit(70);
      });
  EXPECT_EQ(run.outcome, Outcome::kCrashed);
  EXPECT_EQ(run.signal, SIGABRT);
  EXPECT_EQ(run.stderr_tail.rfind("panic: assignment to entry in nil map", 0), 0u)
      << run.stderr_tail;
  ASSERT_FALSE(run.crash_frames.empty());
  EXPECT_EQ(run.crash_frames[0], "main.gp_get(0x0?, 0x2264) (/src/gopool/pool.go:69)");
}

std::atomic<int> g_foreign_segv{0};
extern "C" void ForeignSegv(int) { g_foreign_segv.fetch_add(1); }

// A runtime loaded before the child (or by it) owns its handlers: the crash records are not put in
// their place. Where the disposition is the default, ours go in with SA_ONSTACK.
TEST(Isolate, CrashHandlersLeaveAForeignHandlerAndUseTheAltStack) {
  struct sigaction foreign {
  }, before{};
  foreign.sa_handler = ForeignSegv;
  sigemptyset(&foreign.sa_mask);
  ASSERT_EQ(sigaction(SIGSEGV, &foreign, &before), 0);
  const PoolRun run =
      RunIsolated("handlers", "spec:handlers", WithDeadline(std::chrono::seconds(60)), [] {
        PoolRun r;
        struct sigaction segv {
        }, bus{};
        sigaction(SIGSEGV, nullptr, &segv);
        sigaction(SIGBUS, nullptr, &bus);
        r.name = segv.sa_handler == ForeignSegv ? "kept" : "replaced";
        const bool ours_on_stack =
            build::kSanitizers[0] != '\0' ||
            ((bus.sa_flags & SA_SIGINFO) != 0 && (bus.sa_flags & SA_ONSTACK) != 0);
        r.spec = ours_on_stack ? "onstack" : "not onstack";
        return r;
      });
  sigaction(SIGSEGV, &before, nullptr);
  EXPECT_EQ(run.outcome, Outcome::kOk) << run.stderr_tail;
  EXPECT_EQ(run.name, "kept");
  EXPECT_EQ(run.spec, "onstack");
}

TEST(Isolate, InterruptStopsTheChildAndKeepsItsResult) {
  std::string error;
  const auto spec = LoadPluginSpec(PluginPath("mutex_pool"), &error);
  ASSERT_TRUE(spec.has_value()) << error;
  RunOptions o;
  o.threads = 2;
  o.duration = std::chrono::seconds(60);
  o.deadline = std::chrono::seconds(90);
  PendingSignal().store(0);
  const PoolRun run = RunIsolated(spec->name, PluginSpecText(*spec), o, [&] {
    // The signal goes to the parent only: it must record it and pass it on.
    std::thread interrupter([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      kill(getppid(), SIGINT);
    });
    PoolRun r = RunPlugin(*spec, Dist("random65k"), o);
    interrupter.join();
    return r;
  });
  EXPECT_EQ(PendingSignal().exchange(0), SIGINT);
  EXPECT_EQ(run.stop_reason, StopReason::kSignal) << run.stderr_tail;
  EXPECT_EQ(run.outcome, Outcome::kInterrupted);
  EXPECT_EQ(run.name, "mutex");
  EXPECT_GT(run.total.ops, 0u);
  EXPECT_EQ(run.total.gets, run.total.puts);
  struct sigaction now {};
  sigaction(SIGINT, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL) << "the default disposition is restored";
}

TEST(Isolate, CrashingPluginDoesNotTakeTheNextRunWithIt) {
  std::string error;
  const auto crash = LoadPluginSpec(PluginPath("crash_pool"), &error);
  ASSERT_TRUE(crash.has_value()) << error;
  const auto mutex = LoadPluginSpec(PluginPath("mutex_pool"), &error);
  ASSERT_TRUE(mutex.has_value()) << error;
  RunOptions o;
  o.threads = 4;
  o.ops_per_thread = 2000;
  o.hold = 1;
  o.deadline = std::chrono::seconds(120);
  const Distribution dist = Dist("random65k");

  const PoolRun crashed = RunIsolated(crash->name, PluginSpecText(*crash), o,
                                      [&] { return RunPlugin(*crash, dist, o); });
  EXPECT_EQ(crashed.name, "crash");
  // Its 1000th get crashes (counted without a lock: a few more may slip by): the crash handler
  // sends what the workers published before it (ops 1, 2, 4, ... of each), sanitizer builds
  // (their own handlers) nothing. Far from the 8000 the run would make.
  EXPECT_LT(crashed.total.ops, 4000u);
#if !defined(BP_TEST_ASAN) && !defined(BP_TEST_TSAN)
  EXPECT_GT(crashed.total.ops, 0u);
#endif
#if defined(BP_TEST_ASAN) || defined(BP_TEST_TSAN)
  EXPECT_TRUE(crashed.outcome == Outcome::kSanitizer || crashed.outcome == Outcome::kCrashed)
      << OutcomeName(crashed.outcome) << "\n"
      << crashed.stderr_tail;
#else
  EXPECT_EQ(crashed.outcome, Outcome::kCrashed) << crashed.stderr_tail;
  EXPECT_EQ(crashed.signal, SIGSEGV);
#endif

  const PoolRun intact = RunIsolated(mutex->name, PluginSpecText(*mutex), o,
                                     [&] { return RunPlugin(*mutex, dist, o); });
  EXPECT_EQ(intact.outcome, Outcome::kOk) << intact.stderr_tail;
  EXPECT_EQ(intact.name, "mutex");
  EXPECT_EQ(intact.spec, PluginSpecText(*mutex));
  EXPECT_EQ(intact.total.ops, 4u * 2000u);
  EXPECT_EQ(intact.total.violations.failures(), 0u);
  EXPECT_EQ(intact.threads.size(), 4u);
  EXPECT_GT(intact.total.latency.Count(), 0u);
}

TEST(Isolate, HangingPluginIsReportedHung) {
  std::string error;
  const auto hang = LoadPluginSpec(PluginPath("hang_pool"), &error);
  ASSERT_TRUE(hang.has_value()) << error;
  RunOptions o;
  o.threads = 2;
  o.duration = std::chrono::seconds(30);
  o.deadline = std::chrono::seconds(1);
  const PoolRun run = RunIsolated(hang->name, PluginSpecText(*hang), o,
                                  [&] { return RunPlugin(*hang, Dist("random65k"), o); });
  EXPECT_EQ(run.outcome, Outcome::kHung) << run.stderr_tail;
  EXPECT_EQ(run.name, "hang");
}

TEST(IsolateWire, SampleRoundTrip) {
  LiveSample s;
  s.phase = Phase::kDrain;
  s.t = 1.5;
  s.exact = true;
  s.ops = 7;
  s.gets = 5;
  s.refused = 2;
  s.violations[2] = 3;
  s.new_examples.push_back({.kind = Violation::kDoubleHandout,
                            .thread = 1,
                            .op = 2,
                            .address = 0x1000,
                            .size = 64,
                            .capacity = 64,
                            .detail = 0});
  LiveSample back;
  ASSERT_TRUE(internal::DecodeSample(internal::EncodeSample(s), &back));
  EXPECT_EQ(back.phase, Phase::kDrain);
  EXPECT_EQ(back.ops, 7u);
  EXPECT_EQ(back.violations[2], 3u);
  ASSERT_EQ(back.new_examples.size(), 1u);
  EXPECT_EQ(back.new_examples[0].address, 0x1000u);
  std::string cut = internal::EncodeSample(s);
  cut.pop_back();
  EXPECT_FALSE(internal::DecodeSample(cut, &back));
}

// The command line as a user runs it: one plugin, isolated by default. Returns the report's pool.
struct CliRun {
  int exit_code;
  std::string err;
  nlohmann::json pool;
  std::string verify_out;
};
CliRun RunCli(const std::string& plugin, std::vector<std::string> extra) {
  const std::string report = testing::TempPath("isolate_cli.json");
  std::vector<std::string> args = {"run", "--plugin", plugin, "--report", report};
  args.insert(args.end(), extra.begin(), extra.end());
  const testing::ProcessResult r = testing::Run(BPSTRESS_EXE, args);
  CliRun out{r.exit_code, r.err, nullptr, ""};
  const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(report));  // throws if invalid
  out.pool = j.at("pools").at(0);
  out.verify_out = testing::Run(BPSTRESS_EXE, {"verify", report}).out;
  unlink(report.c_str());
  return out;
}

// verify finds nothing wrong beyond the failing verdict the run itself reports.
void ExpectOnlyVerdictFailures(const std::string& verify_out) {
  size_t at = 0;
  while ((at = verify_out.find("FAIL", at)) != std::string::npos) {
    const size_t end = verify_out.find('\n', at);
    const std::string line = verify_out.substr(at, end - at);
    EXPECT_NE(line.find("verdict"), std::string::npos) << line;
    at = end;
  }
}

#if !defined(BP_TEST_ASAN) && !defined(BP_TEST_TSAN)
TEST(IsolateCli, DoubleHandOutThenCrashKeepsWhatWasFound) {
  const CliRun r = RunCli(PluginPath("handout_crash_pool"), {"--duration", "2s"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.pool.at("outcome"), "crashed");
  EXPECT_EQ(r.pool.at("phase"), "run");
  const std::string sig = r.pool.at("crash").at("signal");
  EXPECT_TRUE(sig == "SIGSEGV" || sig == "SIGABRT") << sig;
  EXPECT_FALSE(r.pool.at("crash").at("frames").empty());
  EXPECT_EQ(r.pool.at("ops").get<uint64_t>(),
            r.pool.at("gets").get<uint64_t>() + r.pool.at("refused").get<uint64_t>());
  // The pool handed buffers out twice from its first moments and crashed only at its first trim
  // (250 ms): what the detector saw before the crash is in the report.
  EXPECT_GT(r.pool.at("ops").get<uint64_t>(), 0u);
  EXPECT_GT(r.pool.at("violations").at("double_handout").get<uint64_t>(), 0u) << r.pool.dump();
  ExpectOnlyVerdictFailures(r.verify_out);
}

TEST(IsolateCli, AbortInDestroyKeepsTheWholeRun) {
  const CliRun r = RunCli(PluginPath("destroy_abort_pool"), {"--duration", "1s"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.pool.at("outcome"), "crashed");
  EXPECT_EQ(r.pool.at("phase"), "destroy");
  EXPECT_EQ(r.pool.at("crash").at("signal"), "SIGABRT");
  EXPECT_EQ(r.pool.at("crash").at("phase"), "destroy");
  const uint64_t ops = r.pool.at("ops"), gets = r.pool.at("gets"), puts = r.pool.at("puts");
  EXPECT_GT(ops, 0u);
  EXPECT_EQ(gets, puts) << "the run completed before destroy: every buffer went back";
  EXPECT_EQ(r.pool.at("outstanding"), 0u);
  bool in_destroy = false;
  for (const auto& f : r.pool.at("crash").at("frames")) {
    in_destroy |= f.get<std::string>().find("libdestroy_abort_pool.so+0x") == 0;
  }
  EXPECT_TRUE(in_destroy) << r.pool.at("crash").dump();
  ExpectOnlyVerdictFailures(r.verify_out);
}

// glibc's malloc crashes within a few ops of a double free: the crash comes long before the
// controller's next sample, yet the report says how far the run got and that the harness had put
// an item twice (the crash handler reads what the workers published; a double put is published
// before the pool sees it). A built-in pool under --misuse is isolated by default.
TEST(IsolateCli, CrashOnTheFirstDoublePutSaysSo) {
  const std::string report = testing::TempPath("double_put_crash.json");
  const testing::ProcessResult r = testing::Run(
      BPSTRESS_EXE, {"run", "--pool", "malloc", "--threads", "4", "--duration", "2s", "--profile",
                     "bench", "--misuse", "double-put:1/100", "--report", report});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json pool = nlohmann::json::parse(testing::ReadFile(report)).at("pools").at(0);
  EXPECT_EQ(pool.at("outcome"), "crashed") << r.err;
  EXPECT_EQ(pool.at("phase"), "run");
  const uint64_t ops = pool.at("ops"), gets = pool.at("gets"), puts = pool.at("puts");
  const uint64_t double_puts = pool.at("double_puts");
  EXPECT_GE(double_puts, 1u) << pool.dump();
  EXPECT_GE(gets, double_puts);
  EXPECT_GE(ops, gets);
  EXPECT_GE(puts + 1, double_puts);
  ExpectOnlyVerdictFailures(testing::Run(BPSTRESS_EXE, {"verify", report}).out);
  unlink(report.c_str());
}

TEST(IsolateCli, ExitInTheMiddleOfAGetIsACrashInRun) {
  const CliRun r = RunCli(PluginPath("exit_in_get_pool") + ":arena=4194304", {"--duration", "2s"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.pool.at("outcome"), "crashed");
  EXPECT_EQ(r.pool.at("phase"), "run");
  EXPECT_TRUE(r.pool.at("crash").at("signal").is_null());
  EXPECT_NE(r.pool.at("stderr_tail").get<std::string>().find("arena exhausted"), std::string::npos);
  ExpectOnlyVerdictFailures(r.verify_out);
}
#endif

TEST(IsolateCli, ClosingEveryDescriptorInCreateLosesNothing) {
  const CliRun r = RunCli(PluginPath("close_fds_pool"), {"--duration", "300ms"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.pool.at("outcome"), "violations") << r.err;
  EXPECT_EQ(r.pool.at("phase"), "done");
  EXPECT_GT(r.pool.at("violations").at("short_capacity").get<uint64_t>(), 0u);
  EXPECT_NE(r.err.find("reopened"), std::string::npos) << r.err;
  ExpectOnlyVerdictFailures(r.verify_out);
}

#if !defined(BP_TEST_TSAN)
// Thread caches that outlive the pool are kept memory, not lost memory: the heap after destroy
// stops growing from the second cycle on.
TEST(IsolateCli, CachingAllocatorAt64ThreadsIsNoLeak) {
  const CliRun r =
      RunCli(PluginPath("caching_alloc_pool"), {"--threads", "64", "--duration", "1s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.pool.at("outcome"), "ok");
  EXPECT_EQ(r.pool.at("violations").at("leak"), 0u);
  // What the caches keep is reachable from the plugin's globals: counted, kept, not lost.
  EXPECT_EQ(r.pool.at("leak_evidence").at("unreachable_bytes"), 0u);
}

TEST(IsolateCli, LosingOnePutIn4096IsALeak) {
  // Counted ops, not a duration: the loss is one put in 4096, so what the detector sees depends on
  // how many puts the cycles make, which a loaded machine would otherwise decide. 48K ops is what
  // an idle 2-core machine does in well under the 3 s of the requirement.
  const CliRun r = RunCli(PluginPath("losing_pool"), {"--threads", "16", "--ops", "3000"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_GE(r.pool.at("violations").at("leak").get<uint64_t>(), 1u);
  EXPECT_EQ(r.pool.at("heap_after_destroy_bytes").size(), 1u + kLeakExtraCycles);
  // Every extra cycle loses more than the verdict's 64 KiB (whole 64 KiB buffers: how many
  // depends on how the cycle's puts fall on the pool's counter), all from one site in the plugin.
  const nlohmann::json& evidence = r.pool.at("leak_evidence");
  EXPECT_GT(evidence.at("bytes_per_cycle").get<uint64_t>(), 65536u);
  ASSERT_FALSE(evidence.at("sites").empty());
  // A sanitizer's hooks give no call sites ("unknown site").
  if (!build::kAnySanitizer) {
    EXPECT_NE(evidence.at("sites").at(0).at("where").get<std::string>().find("liblosing_pool.so"),
              std::string::npos);
  }
  ExpectOnlyVerdictFailures(r.verify_out);
}
#endif

TEST(IsolateCli, FaultyLeakIsStillALeakWhenIsolated) {
  const std::string report = testing::TempPath("isolate_leak.json");
  const testing::ProcessResult r =
      testing::Run(BPSTRESS_EXE, {"run", "--pool", "faulty:leak", "--isolate", "--threads", "2",
                                  "--duration", "500ms", "--report", report});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const nlohmann::json pool = nlohmann::json::parse(testing::ReadFile(report)).at("pools").at(0);
  unlink(report.c_str());
  EXPECT_GE(pool.at("violations").at("leak").get<uint64_t>(), 1u);
  EXPECT_EQ(pool.at("heap_after_destroy_bytes").size(), 1u + kLeakExtraCycles);
}

}  // namespace
}  // namespace bp
