// The install, as a plugin author meets it: `cmake --install` of this build tree into a temporary
// prefix, then the installed tools run, the man page renders, and an example plugin builds
// against the installed header both through pkg-config and through find_package(bpstress), and
// passes `bpstress contract`. Only in a plain build tree (a sanitizer tree installs one binary).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "build_info.h"
#include "tests/support/subprocess.h"

namespace bp {
namespace {

namespace fs = std::filesystem;
using bp::testing::ProcessResult;

ProcessResult Sh(const std::string& script) { return bp::testing::Run("/bin/sh", {"-c", script}); }

class InstallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (build::kSanitizers[0] != '\0') return;
    prefix_ = new std::string(bp::testing::TempPath("prefix"));
    fs::remove_all(*prefix_);
    install_ = new ProcessResult(
        Sh("cmake --install '" BP_BINARY_DIR "' --prefix '" + *prefix_ + "' 2>&1"));
  }
  static void TearDownTestSuite() {
    if (prefix_ != nullptr) fs::remove_all(*prefix_);
    delete prefix_;
    delete install_;
    prefix_ = nullptr;
    install_ = nullptr;
  }
  void SetUp() override {
    if (build::kSanitizers[0] != '\0') GTEST_SKIP() << "the install layout is a plain build's";
    ASSERT_EQ(install_->exit_code, 0) << install_->out;
  }
  static std::string P(const std::string& rel) { return *prefix_ + "/" + rel; }

  static std::string* prefix_;
  static ProcessResult* install_;
};
std::string* InstallTest::prefix_ = nullptr;
ProcessResult* InstallTest::install_ = nullptr;

TEST_F(InstallTest, LaysOutTheDocumentedFiles) {
  for (const char* rel :
       {"bin/bpstress", "include/bpstress/plugin_abi.h", "share/pkgconfig/bpstress.pc",
        "share/cmake/bpstress/bpstressConfig.cmake",
        "share/cmake/bpstress/bpstressConfigVersion.cmake",
        "share/bash-completion/completions/bpstress", "share/man/man1/bpstress.1.gz"}) {
    EXPECT_TRUE(fs::exists(P(rel))) << rel;
  }
  const ProcessResult r = bp::testing::Run(P("bin/bpstress"), {"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("bpstress " + std::string(build::kVersion), 0), 0u) << r.out;
}

TEST_F(InstallTest, SanitizerBuildsAreInstalledRenamed) {
  for (const auto& [tree, name, san] : {std::tuple{"asan", "bpstress-asan", "address"},
                                        std::tuple{"tsan", "bpstress-tsan", "thread"}}) {
    const std::string built = std::string(BP_SOURCE_DIR) + "/build/" + tree + "/bpstress";
    if (!fs::exists(built)) {
      std::printf("skip %s: no %s build at %s (make install builds it)\n", name, tree,
                  built.c_str());
      continue;
    }
    const ProcessResult r = bp::testing::Run(P(std::string("bin/") + name), {"--version"});
    EXPECT_EQ(r.exit_code, 0) << name << r.err;
    EXPECT_NE(r.out.find(std::string("sanitizers: ") + san), std::string::npos) << r.out;
  }
}

TEST_F(InstallTest, ManPageRenders) {
  const ProcessResult r =
      Sh("MANWIDTH=100 man -l '" + P("share/man/man1/bpstress.1.gz") + "' 2>&1 | col -b");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* want :
       {"NAME", "bpstress - stress and fuzz testing", "--threads", "contract", "Exit status"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out.substr(0, 2000);
  }
}

TEST_F(InstallTest, PluginBuildsWithPkgConfigAndPassesTheContract) {
  const std::string so = bp::testing::TempPath("pc_mutex_pool.so");
  const ProcessResult r =
      Sh("PKG_CONFIG_PATH='" + P("share/pkgconfig") +
         "' && export PKG_CONFIG_PATH && cc -shared -fPIC "
         "$(pkg-config --cflags bpstress) '" BP_SOURCE_DIR "/examples/plugins/mutex_pool.c' -o '" +
         so + "' -lpthread 2>&1 && pkg-config --cflags bpstress");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(*prefix_ + "/share/pkgconfig/../../include"), std::string::npos) << r.out;
  const ProcessResult c = bp::testing::Run(
      P("bin/bpstress"), {"contract", "--plugin", so, "--cycles", "1000", "--format", "json"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  fs::remove(so);
}

TEST_F(InstallTest, PluginBuildsWithFindPackage) {
  const std::string dir = bp::testing::TempPath("consumer");
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream cm(dir + "/CMakeLists.txt");
    cm << "cmake_minimum_required(VERSION 3.20)\nproject(mypool C)\n"
          "find_package(bpstress 0.1 REQUIRED)\n"
          "add_library(mypool MODULE " BP_SOURCE_DIR
          "/examples/plugins/mutex_pool.c)\n"
          "target_link_libraries(mypool PRIVATE bpstress::plugin)\n";
  }
  const ProcessResult r =
      Sh("cd '" + dir + "' && cmake -S . -B b -DCMAKE_PREFIX_PATH='" + *prefix_ +
         "' > log 2>&1 && cmake --build b >> log 2>&1; s=$?; " + "cat log; exit $s");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir + "/b/libmypool.so")) << r.out;
  const ProcessResult c = bp::testing::Run(
      P("bin/bpstress"), {"--plugin", dir + "/b/libmypool.so", "--threads", "2", "--ops", "2000",
                          "--report", dir + "/r.json", "--progress", "never"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bp
