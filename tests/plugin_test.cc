// Plugins through the C ABI: the example plugins load and run clean, the buggy one is caught, every
// load error names its cause, and an untrusted plugin name still gives a valid report.
// Sanitizer builds run these too: plugins run on the runner's threads.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <variant>
#include <vector>

#include "build_info.h"
#include "tests/support/cli.h"
#include "tests/support/runs.h"
#include "tool/process/isolate.h"
#include "tool/process/plugin_probe.h"
#include "tool/report/report.h"
#include "tool/run/plugin_run.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BP_TEST_TSAN 1
#endif
#endif

namespace bp {
namespace {

using bp::testing::Dist;
using bp::testing::PluginPath;

RunOptions Crossing(unsigned threads, uint64_t ops) {
  RunOptions o = bp::testing::ShortOptions(threads, ops, 99);
  o.hold = 2;
  o.cross_thread = 0.25;
  return o;
}

PluginSpec MustLoad(const std::string& arg) {
  std::string error;
  std::optional<PluginSpec> spec = LoadPluginSpec(arg, &error);
  EXPECT_TRUE(spec.has_value()) << error;
  return spec.value_or(PluginSpec{});
}

// The library as this test process loads it (the runs below are in-process).
std::shared_ptr<PluginLibrary> Lib(const PluginSpec& spec) {
  std::string error;
  std::shared_ptr<PluginLibrary> lib = PluginLibrary::Shared(spec.path, &error);
  EXPECT_NE(lib, nullptr) << error;
  return lib;
}

std::string LoadError(const std::string& arg) {
  std::string error;
  EXPECT_FALSE(LoadPluginSpec(arg, &error).has_value()) << arg << " should not load";
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
  return error;
}

TEST(PluginLoad, MutexPluginNameOptionsAndSpec) {
  const PluginSpec spec = MustLoad(PluginPath("mutex_pool") + ":max=4096,keep=8");
  EXPECT_EQ(spec.abi_version, 1u);
  EXPECT_EQ(spec.path, PluginPath("mutex_pool"));
  EXPECT_EQ(spec.options, "max=4096,keep=8");
  EXPECT_EQ(spec.name, "mutex");
  EXPECT_EQ(PluginSpecText(spec), "plugin:" + PluginPath("mutex_pool") + ":max=4096,keep=8");
  const PluginSpec bare = MustLoad(PluginPath("mutex_pool"));
  EXPECT_EQ(bare.options, "");
  EXPECT_EQ(PluginSpecText(bare), "plugin:" + PluginPath("mutex_pool"));
}

TEST(PluginLoad, ColonsInDirectoriesAreNotOptions) {
  const std::string dir = ::testing::TempDir() + "bp-plugin:" + std::to_string(getpid()) + ":dir";
  std::filesystem::create_directories(dir);
  const std::string link = dir + "/libmutex_pool.so";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(PluginPath("mutex_pool"), link);
  const PluginSpec spec = MustLoad(link + ":max=1024");
  EXPECT_EQ(spec.path, link);
  EXPECT_EQ(spec.options, "max=1024");
  const PluginSpec no_options = MustLoad(link);
  EXPECT_EQ(no_options.path, link);
  EXPECT_EQ(no_options.options, "");
  std::filesystem::remove_all(dir);
}

TEST(PluginLoad, BareFileNameIsInTheCurrentDirectory) {
  const std::string cwd = std::filesystem::current_path();
  ASSERT_EQ(chdir(BP_BINARY_DIR), 0);
  std::string error;
  const auto spec = LoadPluginSpec("libmutex_pool.so", &error);
  ASSERT_EQ(chdir(cwd.c_str()), 0);
  ASSERT_TRUE(spec.has_value()) << error;
  EXPECT_EQ(spec->name, "mutex");
}

TEST(PluginLoad, MissingFileGivesTheLoaderMessage) {
  const std::string error = LoadError(PluginPath("no_such_pool"));
  EXPECT_NE(error.find("cannot load plugin"), std::string::npos) << error;
  EXPECT_NE(error.find("libno_such_pool.so"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST(PluginLoad, NotAPluginNamesTheMissingSymbol) {
  const std::string error = LoadError(PluginPath("no_symbol_pool"));
  EXPECT_NE(error.find("no symbol bp_pool_plugin"), std::string::npos) << error;
  EXPECT_EQ(error.rfind(PluginPath("no_symbol_pool"), 0), 0u) << error;
}

TEST(PluginLoad, WrongAbiVersionSaysFoundAndExpected) {
  const std::string error = LoadError(PluginPath("bad_abi_pool"));
  EXPECT_NE(error.find("ABI version 99"), std::string::npos) << error;
  EXPECT_NE(error.find("expected 1"), std::string::npos) << error;
}

TEST(PluginLoad, NullRequiredPointerIsNamed) {
  const std::string error = LoadError(PluginPath("null_put_pool"));
  EXPECT_NE(error.find("bp_pool_api.put is NULL"), std::string::npos) << error;
}

TEST(PluginLoad, CreateFailureGivesThePluginsReason) {
  const std::string error = LoadError(PluginPath("failing_create_pool") + ":depth=3");
  EXPECT_NE(error.find("create failed: arena size missing in options 'depth=3'"), std::string::npos)
      << error;
  const std::string bad_option = LoadError(PluginPath("mutex_pool") + ":colour=blue");
  EXPECT_NE(bad_option.find("unknown option 'colour'"), std::string::npos) << bad_option;
}

TEST(PluginLoad, EmptyPathIsRejected) {
  EXPECT_NE(LoadError(":max=1").find("no path"), std::string::npos);
}

TEST(PluginPool, GetPutAndStatsThroughTheAbi) {
  const PluginSpec spec = MustLoad(PluginPath("mutex_pool"));
  std::string error;
  std::unique_ptr<PluginPool> pool = PluginPool::Create(Lib(spec), "max=1024", &error);
  ASSERT_NE(pool, nullptr) << error;
  PluginItem* a = pool->Get(100);
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a->data(), nullptr);
  EXPECT_EQ(a->Cap(), 128u);  // mutex_pool's power-of-two class
  EXPECT_EQ(a->Len(), 0u);
  PluginItem* big = pool->Get(5000);  // above max: exactly the size, not kept
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->Cap(), 5000u);
  pool->Put(big);
  pool->Put(a);
  PoolStats st = pool->Stats();
  EXPECT_EQ(st.gets, 2u);
  EXPECT_EQ(st.puts, 2u);
  EXPECT_EQ(st.hits, 0u);
  EXPECT_EQ(st.retained_bytes, 128u);  // from the plugin's retained_bytes()
  PluginItem* again = pool->Get(90);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again, a) << "the wrapper is recycled, not allocated per get";
  pool->Put(again);
  st = pool->Stats();
  EXPECT_EQ(st.gets, 3u);
  EXPECT_EQ(st.peak_retained_bytes, 128u);
}

TEST(PluginPool, WrappersPutOnAnotherThreadAreRecycled) {
  const PluginSpec spec = MustLoad(PluginPath("mutex_pool"));
  std::string error;
  std::unique_ptr<PluginPool> pool = PluginPool::Create(Lib(spec), "", &error);
  ASSERT_NE(pool, nullptr) << error;
  for (int round = 0; round < 3; ++round) {
    std::vector<PluginItem*> items;
    for (int i = 0; i < 1000; ++i) items.push_back(pool->Get(64));
    std::thread([&] {
      for (PluginItem* item : items) pool->Put(item);
    }).join();  // the putting thread exits: its wrappers go to the depot
  }
  const PoolStats st = pool->Stats();
  EXPECT_EQ(st.gets, 3000u);
  EXPECT_EQ(st.puts, 3000u);
}

TEST(PluginPool, RefusingPoolRefusesEveryGet) {
  const PluginSpec spec = MustLoad(PluginPath("mutex_pool"));
  std::unique_ptr<PluginPool> pool = PluginPool::Refusing(Lib(spec));
  EXPECT_EQ(pool->Get(1), nullptr);
  EXPECT_EQ(pool->Stats().gets, 0u);
}

// In a sanitizer build the leak evidence has no call sites (the sanitizer's hooks give none), so
// the dynamic linker's per-thread TLS blocks of a plugin with thread-locals, made on first use
// inside a get, cannot be told from the pool's: up to 8 KiB per thread, over the 64 KiB verdict
// at 8 threads in this process. Release builds leave them out by site and must be clean.
void ExpectNoFindingButSanitizerLeak(const PoolRun& run) {
  const uint64_t leak = run.total.violations.count(Violation::kLeak);
  if (build::kAnySanitizer && leak != 0) {
    EXPECT_EQ(run.total.violations.failures(), leak);
    return;
  }
  EXPECT_EQ(run.outcome, Outcome::kOk);
  EXPECT_EQ(run.total.violations.failures(), 0u);
}

void ExpectClean(const char* file, const char* options, const char* name) {
  const PluginSpec spec = MustLoad(PluginPath(file) + options);
  const RunOptions o = Crossing(8, 3000);
  const PoolRun run = RunPlugin(spec, Dist("random65k"), o);
  EXPECT_EQ(run.name, name);
  EXPECT_EQ(run.spec, PluginSpecText(spec));
  EXPECT_FALSE(run.pool_counters);
  ExpectNoFindingButSanitizerLeak(run);
  EXPECT_EQ(run.total.ops, 8u * 3000u);
  EXPECT_EQ(run.total.refused, 0u);
  EXPECT_EQ(run.total.gets, run.total.puts);
  EXPECT_EQ(run.stats.gets, run.total.gets);
  EXPECT_EQ(run.stats.puts, run.total.puts);
  EXPECT_GT(run.total.handoffs, 0u);
}

TEST(PluginRun, MutexPluginRunsClean) { ExpectClean("mutex_pool", ":max=65536", "mutex"); }

TEST(PluginRun, CxxPluginRunsClean) { ExpectClean("cxx_pool", ":min=64,max=65536", "cxx-sized"); }

TEST(PluginRun, BuggyPluginIsCaught) {
  const PluginSpec spec = MustLoad(PluginPath("buggy_pool"));
  RunOptions o = Crossing(8, 20000);
  o.cross_thread = 0;
  o.preempt_rate = 20000;  // its window is two instructions: the hunt phase's injection
#ifdef BP_TEST_TSAN
  // ThreadSanitizer reports the unlocked pop as a data race, which would fail this test binary:
  // the run goes to a child process, whose report is the expected outcome.
  o.ops_per_thread = 2000;  // the first race report is all this needs; each one costs seconds
  const PoolRun run = RunIsolated(spec.name, PluginSpecText(spec), o,
                                  [&] { return RunPlugin(spec, Dist("random65k"), o); });
  EXPECT_EQ(run.outcome, Outcome::kSanitizer) << run.stderr_tail;
  EXPECT_NE(run.stderr_tail.find("ThreadSanitizer"), std::string::npos) << run.stderr_tail;
#else
  const PoolRun run = RunPlugin(spec, Dist("random65k"), o);
  EXPECT_EQ(run.outcome, Outcome::kViolations);
  EXPECT_GT(run.total.violations.count(Violation::kDoubleHandout), 0u);
  EXPECT_GT(run.total.violations.count(Violation::kCorruption), 0u);
  EXPECT_GT(run.total.violations.num_examples(), 0u);
#endif
}

TEST(PluginRun, UntrustedNameGivesAValidReport) {
  const PluginSpec spec = MustLoad(PluginPath("evil_name_pool"));
  EXPECT_EQ(spec.name, "\xff\"<x>\n");
  const PoolRun run = RunPlugin(spec, Dist("uniform:1:4K"), Crossing(2, 500));
  EXPECT_EQ(run.outcome, Outcome::kOk);
  EXPECT_EQ(run.name, spec.name);
  Report report;
  report.dist = "uniform:1:4K";
  report.pool_specs = {run.spec};
  report.pools.push_back(run);
  const std::string text = RenderReport(report);
  ASSERT_FALSE(text.empty());
  const nlohmann::json j = nlohmann::json::parse(text);  // throws on invalid JSON or UTF-8
  const std::string name = j.at("pools").at(0).at("pool").get<std::string>();
  EXPECT_EQ(name, "\xEF\xBF\xBD\"<x>\n") << "0xFF replaced by U+FFFD, the rest kept";
}

// LiveSample: the samples follow the phases in order, never run ahead of the final totals, carry
// the examples as they are found, and the exact ones equal the result.
TEST(PluginRun, LiveSamplesTrailTheRunAndEndExact) {
#ifdef BP_TEST_TSAN
  // The buggy plugin's race would be reported by ThreadSanitizer itself: a correct pool proves the
  // publication race-free.
  const PluginSpec spec = MustLoad(PluginPath("mutex_pool") + ":max=65536");
  constexpr uint64_t kOps = 3000;  // ThreadSanitizer costs 5-15x
#else
  // Up to 400000 ops each: the run stops at its first violation (on a quiet machine within the
  // first few thousand ops), the bound leaves room for a busy one.
  constexpr uint64_t kOps = 400000;
  const PluginSpec spec = MustLoad(PluginPath("buggy_pool"));
#endif
  RunOptions o = Crossing(4, kOps);
  o.cross_thread = 0;
  o.preempt_rate = 20000;  // the buggy plugin's window is two instructions
  o.stop_on_violation = true;
  o.sample_interval = std::chrono::milliseconds(1);
  std::vector<LiveSample> samples;
  o.on_sample = [&](const LiveSample& s) { samples.push_back(s); };
  const PoolRun run = RunPlugin(spec, Dist("random65k"), o);
  ASSERT_GE(samples.size(), 5u);
  EXPECT_EQ(samples.front().phase, Phase::kCreate);
  EXPECT_EQ(samples[1].phase, Phase::kRun);
  EXPECT_EQ(samples.back().phase, Phase::kDone);
  size_t examples = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const LiveSample& s = samples[i];
    if (i > 0) {
      EXPECT_GE(s.phase, samples[i - 1].phase);
    }
    EXPECT_LE(s.ops, run.total.ops);
    EXPECT_LE(s.gets, run.total.gets);
    EXPECT_LE(s.violations[static_cast<size_t>(Violation::kDoubleHandout)],
              run.total.violations.count(Violation::kDoubleHandout));
    examples += s.new_examples.size();
    if (s.exact) {
      EXPECT_EQ(s.ops, run.total.ops);
      EXPECT_EQ(s.gets, run.total.gets);
      EXPECT_EQ(s.puts, run.total.puts);
      EXPECT_EQ(s.refused, run.total.refused);
      EXPECT_EQ(s.handoffs, run.total.handoffs);
    }
  }
  EXPECT_TRUE(samples.back().exact);
  for (size_t k = 0; k < kViolationKinds; ++k) {
    EXPECT_EQ(samples.back().violations[k], run.total.violations.count(static_cast<Violation>(k)));
  }
#ifndef BP_TEST_TSAN
  EXPECT_GT(examples, 0u);
#endif
  EXPECT_LE(examples, Violations::kMaxExamples * kViolationKinds);
}

}  // namespace
}  // namespace bp
