// --allocator: the list parser, the library lookup, and runs re-executed under a preloaded
// allocator (same workload and seed, the allocator recorded per pool, a failed preload caught).
#include "tool/process/allocator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "build_info.h"
#include "tests/support/cli.h"
#include "tests/support/subprocess.h"
#include "tool/util/exit_codes.h"

namespace bp {
namespace {

using bp::testing::Bpstress;
using bp::testing::ProcessResult;
using bp::testing::ReadFile;
using bp::testing::TempPath;
using nlohmann::json;

bool SanitizerBuild() { return build::kAnySanitizer; }

AllocatorError RefusedAllocators(const std::string& list) {
  std::vector<AllocatorChoice> out;
  AllocatorError error{"", 0};
  EXPECT_FALSE(ParseAllocators(list, &out, &error)) << list;
  return error;
}

TEST(Allocators, GlibcNeedsNoLibrary) {
  std::vector<AllocatorChoice> out;
  AllocatorError error;
  ASSERT_TRUE(ParseAllocators("glibc", &out, &error)) << error.message;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "glibc");
  EXPECT_EQ(out[0].path, "");
  EXPECT_EQ(FindAllocatorLibrary("glibc"), std::optional<std::string>(""));
}

TEST(Allocators, BadListsSayWhy) {
  EXPECT_EQ(RefusedAllocators("bogus").exit_code, kExitUsage);
  EXPECT_NE(RefusedAllocators("bogus").message.find("unknown allocator 'bogus'"),
            std::string::npos);
  EXPECT_EQ(RefusedAllocators("glibc,glibc").exit_code, kExitUsage);
  EXPECT_EQ(RefusedAllocators("").exit_code, kExitUsage);
  EXPECT_EQ(RefusedAllocators("mine=").exit_code, kExitUsage);
  EXPECT_EQ(RefusedAllocators("jemalloc=/lib/x.so").exit_code, kExitUsage);  // a known name
  EXPECT_EQ(RefusedAllocators("mine=/no/such/lib.so").exit_code, kExitBadInput);
  EXPECT_FALSE(FindAllocatorLibrary("bogus").has_value());
}

TEST(Allocators, AllListsGlibcFirstAndOnlyInstalledOnes) {
  std::vector<AllocatorChoice> out;
  AllocatorError error;
  ASSERT_TRUE(ParseAllocators("all", &out, &error)) << error.message;
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].name, "glibc");
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_TRUE(std::ifstream(out[i].path).good()) << out[i].name << " at " << out[i].path;
    EXPECT_EQ(FindAllocatorLibrary(out[i].name), std::optional<std::string>(out[i].path));
  }
}

TEST(Allocators, ThisProcessRunsOnItsOwnAllocator) {
  const std::string_view san = build::kSanitizers;
  const std::string expected = san.find("address") != std::string_view::npos  ? "asan"
                               : san.find("thread") != std::string_view::npos ? "tsan"
                                                                              : "glibc";
  EXPECT_EQ(ActiveAllocator(), expected);
  // The C library is mapped; a file that is not a library is not.
  EXPECT_FALSE(LibraryIsMapped("/no/such/file"));
}

std::vector<std::string> TwoPoolRunArgs(const std::string& report) {
  return {"--pool", "sized", "--pool", "malloc",    "--threads", "2",    "--ops",      "2000",
          "--seed", "7",     "--dist", "random65k", "--report",  report, "--progress", "never"};
}

// The first installed allocator other than glibc, or "" when none is.
std::string AnotherAllocator() {
  for (const char* name : {"jemalloc", "tcmalloc", "mimalloc"}) {
    if (FindAllocatorLibrary(name)) return name;
  }
  return "";
}

TEST(AllocatorRun, SameWorkloadUnderEveryAllocator) {
  const std::string other = AnotherAllocator();
  if (SanitizerBuild()) GTEST_SKIP() << "sanitizer builds refuse --allocator (tested below)";
  if (other.empty()) GTEST_SKIP() << "no allocator besides glibc is installed";
  const std::string path = TempPath("alloc.json");
  std::vector<std::string> args = TwoPoolRunArgs(path);
  args.insert(args.end(), {"--allocator", "glibc," + other});
  const ProcessResult r = Bpstress(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(ReadFile(path));
  EXPECT_EQ(report["config"]["allocators"], json::array({"glibc", other}));
  ASSERT_EQ(report["pools"].size(), 4u);
  const char* names[] = {"sized", "malloc", "sized", "malloc"};
  for (size_t i = 0; i < 4; ++i) {
    const json& p = report["pools"][i];
    EXPECT_EQ(p["pool"], names[i]);
    EXPECT_EQ(p["allocator"], i < 2 ? "glibc" : other);
    EXPECT_EQ(p["outcome"], "ok") << p["stderr_tail"];
    EXPECT_EQ(p["ops"], 2u * 2000u);
  }
  // The same seed gives the same size sequence in the re-executed child.
  EXPECT_EQ(report["pools"][0]["bytes_requested"], report["pools"][2]["bytes_requested"]);
  EXPECT_EQ(report["pools"][1]["bytes_requested"], report["pools"][3]["bytes_requested"]);
  EXPECT_NE(r.out.find("sized@" + other), std::string::npos) << r.out;
  // verify accepts it, and compare keys pools by name@allocator.
  EXPECT_EQ(Bpstress({"verify", path}).exit_code, 0);
  const ProcessResult c = Bpstress({"compare", path, path});
  EXPECT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("malloc@" + other), std::string::npos) << c.out;
}

TEST(AllocatorRun, APreloadThatDoesNotTakeEffectFailsThePool) {
  if (SanitizerBuild()) GTEST_SKIP() << "sanitizer builds refuse --allocator (tested below)";
  // Not a shared object: the dynamic loader ignores it, and the child must notice.
  const std::string fake = TempPath("not-a-library.so");
  std::ofstream(fake) << "not an ELF file\n";
  const std::string path = TempPath("fake.json");
  std::vector<std::string> args = TwoPoolRunArgs(path);
  args.insert(args.end(), {"--allocator", "fake=" + fake});
  const ProcessResult r = Bpstress(args);
  EXPECT_EQ(r.exit_code, kExitCheckFailed) << r.err;
  EXPECT_NE(r.err.find("did not take effect"), std::string::npos) << r.err;
  const json report = json::parse(ReadFile(path));
  ASSERT_EQ(report["pools"].size(), 2u);
  for (const json& p : report["pools"]) {
    EXPECT_EQ(p["allocator"], "fake");
    EXPECT_EQ(p["outcome"], "crashed");
  }
  EXPECT_EQ(Bpstress({"verify", path}).exit_code, kExitCheckFailed);
  std::remove(fake.c_str());
}

TEST(AllocatorRun, SanitizerBuildsRefuseAPreload) {
  if (!SanitizerBuild()) GTEST_SKIP() << "release builds accept --allocator (tested above)";
  std::vector<std::string> args = TwoPoolRunArgs(TempPath("san.json"));
  args.insert(args.end(), {"--allocator", "glibc"});
  const ProcessResult refused = Bpstress(args);
  EXPECT_EQ(refused.exit_code, kExitUsage);
  EXPECT_NE(refused.err.find("sanitizer"), std::string::npos) << refused.err;
}

TEST(AllocatorRun, AJobVariableThatNamesNoJobIsAUsageError) {
  const ProcessResult r = Bpstress(TwoPoolRunArgs(TempPath("job.json")),
                                   {"BPSTRESS_JOB=99", "BPSTRESS_JOB_ALLOCATOR=glibc",
                                    "BPSTRESS_JOB_LIBRARY=", "BPSTRESS_RESULT_FD=1"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_NE(r.err.find("not a job of this command line"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bp
