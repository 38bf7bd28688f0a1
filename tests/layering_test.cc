// The include rule of docs/ARCHITECTURE.md, checked by reading the #include lines of the sources:
//   pool/           the things under test: includes nothing of tool/
//   tool/util       includes only tool/util
//   tool/run        tool/run, tool/util
//   tool/process    tool/process, tool/run, tool/util
//   tool/report     tool/report, tool/run, tool/util
//   tool/sched      tool/sched, tool/util
//   tool/cli        anything
// so a module never reaches up to the code that uses it, and process and report stay independent.
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
      {"pool", {"pool"}},
      {"tool/util", {"pool", "tool/util"}},
      {"tool/run", {"pool", "tool/util", "tool/run"}},
      {"tool/process", {"pool", "tool/util", "tool/run", "tool/process"}},
      {"tool/report", {"pool", "tool/util", "tool/run", "tool/report"}},
      {"tool/sched", {"pool", "tool/util", "tool/sched"}},
      {"tool/cli",
       {"pool", "tool/util", "tool/run", "tool/process", "tool/report", "tool/sched", "tool/cli"}},
  };
  return allowed;
}

// The layer of a repository path ("tool/run/dist.h" -> "tool/run"), or "" for none.
std::string LayerOf(const std::string& path) {
  if (path.rfind("pool/", 0) == 0) return "pool";
  static const std::regex tool(R"(^(tool/[a-z_]+)/)");
  std::smatch m;
  if (std::regex_search(path, m, tool)) return m[1];
  return "";
}

struct Edge {
  std::string from;  // a source file
  std::string to;    // the header it includes
};

std::vector<Edge> ProjectIncludes() {
  const fs::path root = BP_SOURCE_DIR;
  static const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re");
  std::vector<Edge> edges;
  for (const char* dir : {"pool", "tool"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      const std::string rel = fs::relative(entry.path(), root).string();
      std::ifstream in(entry.path());
      std::string line;
      std::smatch m;
      while (std::getline(in, line)) {
        if (std::regex_search(line, m, include)) edges.push_back({rel, m[1]});
      }
    }
  }
  return edges;
}

TEST(Layering, EverySourceFileHasALayer) {
  for (const Edge& e : ProjectIncludes()) {
    EXPECT_FALSE(LayerOf(e.from).empty()) << e.from << " is in no layer: tool/ has only "
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

// The check itself can fail: an upward edge is reported.
TEST(Layering, RuleRejectsAnUpwardEdge) {
  EXPECT_EQ(Allowed().at("tool/run").count(LayerOf("tool/cli/cli.h")), 0u);
  EXPECT_EQ(Allowed().at("tool/report").count(LayerOf("tool/process/isolate.h")), 0u);
  EXPECT_EQ(Allowed().at("pool").count(LayerOf("tool/util/units.h")), 0u);
  EXPECT_EQ(Allowed().at("tool/cli").count(LayerOf("tool/run/dist.h")), 1u);
}

}  // namespace
