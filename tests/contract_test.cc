// `bpstress contract`, run as a plugin author would: it passes for every correct built-in pool
// and example plugin, and fails naming the right check for each deliberately broken one.
// Sanitizer builds run these too: every check runs a pool in a child, on one and two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "build_info.h"
#include "pool/registry.h"
#include "tests/support/cli.h"
#include "tests/support/subprocess.h"

namespace bp {
namespace {

using bp::testing::PluginPath;
using bp::testing::ProcessResult;

// Short: the checks' sequences are fixed, only the single-thread cycles are cut (unless the case
// gives its own --cycles); the concurrent check keeps its default 500 ms.
ProcessResult Contract(std::vector<std::string> args) {
  const auto given = [&](const char* flag) {
    return std::find(args.begin(), args.end(), flag) != args.end();
  };
  const bool own_cycles = given("--cycles");
  const bool own_timeout = given("--timeout");
  args.insert(args.begin(), "contract");
  if (!own_cycles) args.insert(args.end(), {"--cycles", "2000"});
  // Sanitizer builds run each check 5-15x slower: a hang is still told apart at 30 s.
  if (!own_timeout) args.insert(args.end(), {"--timeout", build::kAnySanitizer ? "30s" : "2s"});
  args.insert(args.end(), {"--held", "1100"});
  return bp::testing::Run(BPSTRESS_EXE, args);
}

// The line of check `name`, or "" when there is none.
std::string LineOf(const std::string& out, const std::string& name) {
  const std::string key = "  " + name + " ";
  for (size_t pos = 0; pos < out.size();) {
    const size_t end = out.find('\n', pos);
    const std::string line = out.substr(pos, end - pos);
    if (line.find(key) == 4) return line;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return "";
}

TEST(Contract, EveryCorrectBuiltinPoolPasses) {
  for (const PoolEntry& e : PoolEntries()) {
    if (!e.in_all) continue;
    const ProcessResult r = Contract({"--pool", e.name});
    EXPECT_EQ(r.exit_code, 0) << e.name << "\n" << r.out << r.err;
    EXPECT_EQ(r.out.find("fail  "), std::string::npos) << r.out;
  }
}

TEST(Contract, CorrectPluginsPass) {
  for (const char* name : {"mutex_pool", "cxx_pool", "evil_name_pool"}) {
    const ProcessResult r = Contract({"--plugin", PluginPath(name)});
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.out << r.err;
    EXPECT_NE(LineOf(r.out, "concurrent").rfind("pass", 0), std::string::npos) << r.out;
  }
}

struct Broken {
  std::vector<std::string> args;
  std::string check;    // the check that must fail
  std::string mention;  // and what its line must say
};

void PrintTo(const Broken& b, std::ostream* os) {
  for (const std::string& a : b.args) *os << a << " ";
  *os << "-> " << b.check;
}

class ContractCatches : public ::testing::TestWithParam<Broken> {};

TEST_P(ContractCatches, TheRightCheck) {
  const Broken& b = GetParam();
  const ProcessResult r = Contract(b.args);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string line = LineOf(r.out, b.check);
  EXPECT_EQ(line.rfind("fail", 0), 0u) << b.check << "\n" << r.out;
  // A sanitizer build may stop the check's process first (a TSan race report, ASan's SEGV
  // report): the right check still fails, with "exited with status N" as its reason.
  if (build::kSanitizers[0] == '\0' || line.find("exited with status") == std::string::npos) {
    EXPECT_NE(line.find(b.mention), std::string::npos) << line;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Plugins, ContractCatches,
    ::testing::Values(
        // A race in a two-instruction window: the check's threads run under preemption
        // injection and stop at the first find, in milliseconds on a quiet machine; --race-time
        // leaves room for a busy one.
        Broken{{"--plugin", PluginPath("buggy_pool"), "--race-time", "20s"},
               "concurrent",
               "handed to both threads"},
        Broken{{"--plugin", PluginPath("null_put_pool")}, "load", "put is NULL"},
        Broken{{"--plugin", PluginPath("bad_abi_pool")}, "load", "99"},
        Broken{{"--plugin", PluginPath("no_symbol_pool")}, "load", "bp_pool_plugin"},
        Broken{{"--plugin", PluginPath("failing_create_pool")}, "create", "arena size missing"},
        // Its 1000th get crashes: the first check that makes that many.
        Broken{{"--plugin", PluginPath("crash_pool")}, "put-get-cycles", "signal 11"},
        // Its 1000th get never returns: three checks wait out --timeout, which needs no room
        // for a sanitizer's slowness (only the line of put-get-cycles, which hangs, is read).
        Broken{{"--plugin", PluginPath("hang_pool"), "--timeout", "2s"},
               "put-get-cycles",
               "no answer within 2000 ms"}));

INSTANTIATE_TEST_SUITE_P(
    FaultyBuiltins, ContractCatches,
    ::testing::Values(Broken{{"--pool", "faulty:short-capacity"}, "capacity", "cap"},
                      Broken{{"--pool", "faulty:double-handout"}, "put-get-cycles", "changed"},
                      Broken{{"--pool", "faulty:scribble"}, "put-get-cycles", "changed"}));

// A pool whose create closes every descriptor above 2 (close_fds_pool) closes the pipe each
// check's child answers on. The child reopens it (tool/process/child.h), so every check says
// what it found — the pool's planted short capacity — instead of "exited with status 0" for create
// and ten checks skipped.
TEST(Contract, APoolThatClosesDescriptorsIsCheckedInFull) {
  const ProcessResult r = Contract({"--plugin", PluginPath("close_fds_pool")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string capacity = LineOf(r.out, "capacity");
  EXPECT_EQ(capacity.rfind("fail", 0), 0u) << r.out;
  EXPECT_NE(capacity.find("cap 32768 < 32769"), std::string::npos) << capacity;
  for (const char* check : {"create", "get-sizes", "distinct", "writable", "put-get-cycles",
                            "cross-thread-put", "concurrent", "many-held", "create-destroy"}) {
    EXPECT_EQ(LineOf(r.out, check).rfind("pass", 0), 0u) << check << "\n" << r.out << r.err;
  }
  EXPECT_NE(r.out.find("contract: 10 passed, 1 failed, 1 skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("closed bpstress's result pipe; reopened it"), std::string::npos) << r.err;
}

TEST(Contract, JsonNamesEveryCheck) {
  const ProcessResult r =
      Contract({"--plugin", PluginPath("buggy_pool"), "--race-time", "20s", "--format", "json"});
  EXPECT_EQ(r.exit_code, 1);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["passed"], false);
  bool saw = false;
  for (const auto& c : doc["checks"]) {
    if (c["name"] == "concurrent") saw = c["status"] == "fail";
  }
  EXPECT_TRUE(saw) << r.out;
  EXPECT_GE(doc["checks"].size(), 10u);
}

TEST(Contract, NeedsExactlyOneSubject) {
  EXPECT_EQ(Contract({}).exit_code, 2);
  EXPECT_EQ(Contract({"--pool", "sized", "--plugin", PluginPath("mutex_pool")}).exit_code, 2);
  EXPECT_EQ(Contract({"--pool", "nosuch"}).exit_code, 2);
}

TEST(Contract, BadRaceSettingsAreUsageErrors) {
  for (const char* t : {"0s", "-1s", "11m", "soon"}) {
    const ProcessResult r = Contract({"--pool", "sized", "--race-time", t});
    EXPECT_EQ(r.exit_code, 2) << t;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(Contract({"--pool", "sized", "--preempt", "-5"}).exit_code, 2);
}

// The concurrent check's line says what it ran: its threads, its time, its cycles, preemption.
TEST(Contract, ConcurrentLineSaysWhatRan) {
  ProcessResult r = Contract({"--pool", "sized", "--race-time", "100ms"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string line = LineOf(r.out, "concurrent");
  EXPECT_NE(line.find("4 threads x 0.1 s"), std::string::npos) << line;
  EXPECT_NE(line.find(", preempted)"), std::string::npos) << line;
  r = Contract({"--pool", "sized", "--race-time", "100ms", "--preempt", "0"});
  line = LineOf(r.out, "concurrent");
  EXPECT_EQ(line.find("preempted"), std::string::npos) << line;
}

}  // namespace
}  // namespace bp
