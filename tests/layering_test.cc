// The include rule of docs/ARCHITECTURE.md, checked by reading the #include lines of the sources:
//   base/           leaves every layer may use (units): includes only base/
//   pool/           the things under test: base/, nothing of tool/
//   tool/util       includes only tool/util
//   tool/run        tool/run, tool/util
//   tool/process    tool/process, tool/run, tool/util
//   tool/report     tool/report, tool/run, tool/util
//   tool/sched      tool/sched, tool/util
//   tool/cli        anything
// so a module never reaches up to the code that uses it, and process and report stay independent.
// And child processes are started in tool/process only (its primitive, child.h, carries the
// defences every child needs), but for tool/sched's schedules, whose children share memory with
// the parent and which may not include tool/process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Which layers a layer may include, itself among them.
const std::map<std::string, std::set<std::string>>& Allowed() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"base", {"base"}},
      {"pool", {"base", "pool"}},
      {"tool/util", {"base", "pool", "tool/util"}},
      {"tool/run", {"base", "pool", "tool/util", "tool/run"}},
      {"tool/process", {"base", "pool", "tool/util", "tool/run", "tool/process"}},
      {"tool/report", {"base", "pool", "tool/util", "tool/run", "tool/report"}},
      {"tool/sched", {"base", "pool", "tool/util", "tool/sched"}},
      {"tool/cli",
       {"base", "pool", "tool/util", "tool/run", "tool/process", "tool/report", "tool/sched",
        "tool/cli"}},
  };
  return allowed;
}

// The layer of a repository path ("tool/run/dist.h" -> "tool/run"): one of the layers above, or ""
// for none (a system, third-party or generated header, or a directory the rule does not know).
std::string LayerOf(const std::string& path) {
  if (path.rfind("base/", 0) == 0) return "base";
  if (path.rfind("pool/", 0) == 0) return "pool";
  static const std::regex tool(R"(^(tool/[^/]+)/)");
  std::smatch m;
  if (std::regex_search(path, m, tool) && Allowed().count(m[1]) != 0) return m[1];
  return "";
}

// Every C++ source and header under base/, pool/ and tool/, as repository paths.
std::vector<std::string> ProjectSources() {
  const fs::path root = BP_SOURCE_DIR;
  std::vector<std::string> files;
  for (const char* dir : {"base", "pool", "tool"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      files.push_back(fs::relative(entry.path(), root).string());
    }
  }
  return files;
}

struct Edge {
  std::string from;  // a source file
  std::string to;    // the header it includes
};

std::vector<Edge> ProjectIncludes() {
  static const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re");
  std::vector<Edge> edges;
  for (const std::string& rel : ProjectSources()) {
    std::ifstream in(fs::path(BP_SOURCE_DIR) / rel);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, include)) edges.push_back({rel, m[1]});
    }
  }
  return edges;
}

// A new directory under tool/ is a new layer: it goes into Allowed() and docs/ARCHITECTURE.md
// first, or this fails, whatever the directory's files include.
TEST(Layering, EverySourceFileHasALayer) {
  const std::vector<std::string> files = ProjectSources();
  ASSERT_GT(files.size(), 50u) << "the scan found too few files to mean anything";
  for (const std::string& file : files) {
    EXPECT_FALSE(LayerOf(file).empty()) << file << " is in no layer: tool/ has only "
                                        << "cli, run, process, report, sched and util";
  }
}

TEST(Layering, IncludesOnlyGoDown) {
  const std::vector<Edge> edges = ProjectIncludes();
  ASSERT_GT(edges.size(), 50u) << "the scan found too few includes to mean anything";
  size_t checked = 0;
  for (const Edge& e : edges) {
    const std::string to = LayerOf(e.to);
    if (to.empty()) continue;  // a system, third-party or generated header
    ++checked;
    const std::string from = LayerOf(e.from);
    const auto it = Allowed().find(from);
    ASSERT_NE(it, Allowed().end()) << e.from;
    EXPECT_TRUE(it->second.count(to) != 0)
        << e.from << " (" << from << ") includes " << e.to << " (" << to << "): against the "
        << "include rule of docs/ARCHITECTURE.md";
  }
  EXPECT_GT(checked, 50u);
}

// fork() and waitpid() outside a comment, in a layer that is not tool/process or tool/sched: a
// child process started without the primitive of tool/process/child.h (the result pipe a pool
// cannot cut, the deadline, the stderr tail).
TEST(Layering, ChildProcessesAreStartedOnlyByTheProcessLayer) {
  static const std::regex call(R"(\b(fork|vfork|waitpid|posix_spawn)\s*\()");
  size_t scanned = 0;
  for (const std::string& rel : ProjectSources()) {
    const std::string layer = LayerOf(rel);
    if (layer == "tool/process" || layer == "tool/sched") continue;
    ++scanned;
    std::ifstream in(fs::path(BP_SOURCE_DIR) / rel);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const std::string code = line.substr(0, line.find("//"));
      EXPECT_FALSE(std::regex_search(code, call))
          << rel << ":" << n << " starts or waits for a child itself: use tool/process/child.h";
    }
  }
  EXPECT_GT(scanned, 50u);
}

// The check itself can fail: an upward edge is reported.
TEST(Layering, RuleRejectsAnUpwardEdge) {
  EXPECT_EQ(Allowed().at("tool/run").count(LayerOf("tool/cli/cli.h")), 0u);
  EXPECT_EQ(Allowed().at("tool/report").count(LayerOf("tool/process/isolate.h")), 0u);
  EXPECT_EQ(Allowed().at("pool").count(LayerOf("tool/util/text_format.h")), 0u);
  EXPECT_EQ(Allowed().at("base").count(LayerOf("pool/registry.h")), 0u);
  EXPECT_EQ(Allowed().at("pool").count(LayerOf("base/units.h")), 1u);
  EXPECT_EQ(Allowed().at("tool/cli").count(LayerOf("tool/run/dist.h")), 1u);
}

// An unknown directory is no layer, so a file in it fails EverySourceFileHasALayer.
TEST(Layering, RuleRejectsAnUnknownLayer) {
  EXPECT_EQ(LayerOf("tool/foo/foo.cc"), "");
  EXPECT_EQ(LayerOf("tool/run2/x.h"), "");
  EXPECT_EQ(LayerOf("tool/main.cc"), "");
  EXPECT_EQ(LayerOf("tool/run/x.h"), "tool/run");
  EXPECT_EQ(LayerOf("pool/faulty/aba_pool.h"), "pool");
}

}  // namespace
