// What the tests share for driving the built tool: the bpstress binary under test, the example
// plugins beside it, a distribution from its spec, and the line count of an output.
// BPSTRESS_EXE and BP_BINARY_DIR come from CMakeLists.txt.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tests/support/subprocess.h"
#include "tool/run/dist.h"

namespace bp::testing {

// Runs the bpstress binary of this build with `args` (and `env`, NAME=VALUE entries, added).
inline ProcessResult Bpstress(const std::vector<std::string>& args,
                              const std::vector<std::string>& env = {}) {
  return Run(BPSTRESS_EXE, args, env);
}

// The shared object of the example plugin `name` (examples/plugins/NAME.c) in this build.
inline std::string PluginPath(const std::string& name) {
  return std::string(BP_BINARY_DIR) + "/lib" + name + ".so";
}

// The distribution of a spec the test knows to be valid; a bad one fails the test, naming why.
inline Distribution Dist(std::string_view spec) {
  auto d = Distribution::Parse(spec);
  if (auto* e = std::get_if<DistError>(&d)) ADD_FAILURE() << spec << ": " << e->message;
  return std::get<Distribution>(std::move(d));
}

// How many lines `s` has (its newlines).
inline size_t Lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

}  // namespace bp::testing
