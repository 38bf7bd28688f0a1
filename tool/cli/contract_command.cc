#include "tool/cli/contract_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/units.h"
#include "pool/plugin.h"
#include "tool/cli/unit_options.h"
#include "tool/process/child.h"
#include "tool/process/plugin_probe.h"
#include "tool/run/run_spec.h"
#include "tool/util/exit_codes.h"

namespace bp {
namespace {

// Runs one check in a child (ForkChild: the result pipe survives a pool that closes descriptors);
// the child sends "STATUS DETAIL". A child that dies (signal, sanitizer report, exit) or outlives
// `timeout` fails the check with that reason.
CheckResult RunCheckInChild(const ContractCheck& check, const ContractSubject& subject,
                            const ContractOptions& options, std::chrono::nanoseconds timeout) {
  std::string got;
  ChildOptions child;
  child.deadline = timeout;
  child.on_result = [&](const char* p, size_t n) { got.append(p, n); };
  const ChildEnd end = ForkChild(child, [&](int fd, int parent_fd) {
    OpenChildChannel(fd, getppid(), parent_fd);
    const CheckResult r = check.run(subject, options);
    WriteChildChannel(std::to_string(static_cast<int>(r.status)) + " " + r.detail);
    CloseChildChannel();
    _exit(0);  // a check that left buffers held leaks its pool; the child is gone anyway
  });
  if (!end.error.empty()) return {CheckStatus::kFail, end.error};
  if (end.killed) {
    return {CheckStatus::kFail, "no answer within " + std::to_string(timeout.count() / 1000000) +
                                    " ms" + " (a get or put hung; the check was killed)"};
  }
  if (const int sig = end.signal(); sig != 0) {
    return {CheckStatus::kFail,
            "crashed with signal " + std::to_string(sig) + " (" + sigdescr_np(sig) + ")"};
  }
  if (end.exit_code() != 0) {
    return {CheckStatus::kFail, "the check's process exited with status " +
                                    std::to_string(end.exit_code()) +
                                    " (a sanitizer report, if any, is on stderr above)"};
  }
  if (got.size() < 2) {
    return {CheckStatus::kFail,
            "the check's process exited without sending its result (its stderr is above)"};
  }
  return {static_cast<CheckStatus>(got[0] - '0'), got.substr(2)};
}

// "PATH[:OPTIONS]": the first ':' after the path's last '/' starts the options.
std::pair<std::string, std::string> SplitPluginArg(const std::string& arg) {
  const size_t slash = arg.rfind('/');
  const size_t colon = arg.find(':', slash == std::string::npos ? 0 : slash);
  if (colon == std::string::npos) return {arg, ""};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

}  // namespace

Subcommand AddContractCommand(CLI::App& app) {
  auto shared = std::make_shared<ContractCommand>();
  ContractCommand& cmd = *shared;
  CLI::App* c = app.add_subcommand(
      "contract",
      "check a pool against the pool contract before stressing it: deterministic gets and puts "
      "on one and two threads, one line per check (exit 1 when one fails)");
  auto* plugin =
      c->add_option("--plugin", cmd.plugin, "the pool to check: a plugin, PATH[:OPTIONS]");
  auto* pool = c->add_option("--pool", cmd.pool, "the pool to check: a built-in pool spec");
  plugin->excludes(pool);
  c->add_option("--max-size", cmd.max_size, "get-sizes: powers of two (+-1) up to SIZE")
      ->capture_default_str()
      ->check(SizeValidator(uint64_t{1} << 30));
  c->add_option("--held", cmd.options.held, "many-held: buffers held at once")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  c->add_option("--cycles", cmd.options.cycles, "put-get-cycles: cycles")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
  c->add_option("--preempt", cmd.options.preempt_rate,
                "concurrent: interruptions per second that stop a thread at any instruction "
                "(20k, 5000; 0 = none)")
      ->capture_default_str()
      ->type_name("RATE")
      ->transform(RateTransform(1e6));
  c->add_option("--race-time", cmd.race_time,
                "concurrent: how long the threads get and put at once")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            auto d = ParseDuration(s);
            return d && d->count() > 0 && *d <= std::chrono::minutes(10)
                       ? ""
                       : "'" + s + "' is not a duration up to 10m (e.g. 500ms, 2s)";
          },
          "TIME"));
  c->add_option("--timeout", cmd.timeout, "a check with no answer after TIME fails as hung")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            auto d = ParseDuration(s);
            return d && d->count() > 0 ? "" : "'" + s + "' is not a duration (e.g. 500ms, 10s)";
          },
          "TIME"));
  c->add_option("--format", cmd.format, "stdout: table or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json"}));
  return {c, [shared] { return ExecuteContract(*shared); }};
}

namespace {

struct Line {
  std::string check;
  CheckResult result;
};

// What --pool or --plugin names. A plugin's loading is the first check: a file that is not a
// plugin fails it and leaves no subject. nullopt (after one line on stderr) for a bad --pool.
struct Subject {
  std::optional<ContractSubject> subject;
  std::string name;
  std::vector<Line> lines;  // the load check, for a plugin
};
std::optional<Subject> ResolveSubject(const ContractCommand& cmd) {
  Subject out;
  if (!cmd.pool.empty()) {
    std::string error;
    std::optional<PoolSpec> spec = ParsePoolSpec(cmd.pool, &error);
    if (!spec) {
      std::fprintf(stderr, "bpstress contract: --pool: %s\n", error.c_str());
      return std::nullopt;
    }
    if (auto problem = ValidatePoolSpec(*spec)) {
      std::fprintf(stderr, "bpstress contract: --pool %s: %s\n", cmd.pool.c_str(),
                   problem->c_str());
      return std::nullopt;
    }
    if (std::string_view(spec->entry->name) == "faulty:hang") {
      // Its planted hang is in the 1000th get: the checks would each wait for --timeout.
      std::fprintf(stderr, "bpstress contract: note: faulty:hang hangs by design\n");
    }
    out.subject = BuiltinSubject(*spec);
    out.name = out.subject->name;
    return out;
  }
  const auto [path, options] = SplitPluginArg(cmd.plugin);
  // Loaded in a child, as every check is: this process never loads the plugin (a library that
  // starts threads when loaded would have none of them in the checks' children).
  const PluginProbe probe = ProbePlugin(path, options, /*create=*/false);
  out.name = "plugin " + path;
  if (!probe.loaded) {
    out.lines.push_back({"load", {CheckStatus::kFail, probe.error}});
  } else {
    out.subject = PluginSubject(probe.name, path, options);
    out.lines.push_back({"load",
                         {CheckStatus::kPass, "ABI version " + std::to_string(probe.abi_version) +
                                                  ", " + out.subject->name}});
    out.name = out.subject->name;
  }
  return out;
}

void PrintLine(const Line& l) {
  std::printf("%s  %-16s %s\n", CheckStatusName(l.result.status), l.check.c_str(),
              l.result.detail.c_str());
  std::fflush(stdout);
}

// Every check in its own child, in order; a table line as each one ends.
void RunChecks(const ContractOptions& options, std::chrono::nanoseconds timeout,
               const std::optional<ContractSubject>& subject, bool table,
               std::vector<Line>* lines) {
  bool created = true;
  for (const ContractCheck& check : ContractChecks()) {
    Line l{check.name, {CheckStatus::kSkip, "the plugin did not load"}};
    if (!created) {
      l.result = {CheckStatus::kSkip, "create failed"};
    } else if (subject) {
      // concurrent runs for --race-time by design: the hang timeout counts after it.
      const auto race = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(options.race_seconds));
      l.result = RunCheckInChild(check, *subject, options,
                                 l.check == "concurrent" ? timeout + race : timeout);
      // Without a pool nothing else can be checked: the first check's failure says it all.
      if (l.check == "create" && l.result.status == CheckStatus::kFail) created = false;
    }
    if (table) PrintLine(l);
    lines->push_back(std::move(l));
  }
}

// The JSON document, or the table's summary line. Returns whether a check failed.
bool PrintOutcome(const std::string& subject_name, const std::vector<Line>& lines, bool json) {
  size_t counts[3] = {0, 0, 0};
  for (const Line& l : lines) ++counts[static_cast<int>(l.result.status)];
  const bool failed = counts[static_cast<int>(CheckStatus::kFail)] != 0;
  if (json) {
    nlohmann::json doc;
    doc["subject"] = subject_name;
    doc["passed"] = !failed;
    doc["checks"] = nlohmann::json::array();
    for (const Line& l : lines) {
      doc["checks"].push_back({{"name", l.check},
                               {"status", CheckStatusName(l.result.status)},
                               {"detail", l.result.detail}});
    }
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("contract: %zu passed, %zu failed, %zu skipped\n",
                counts[static_cast<int>(CheckStatus::kPass)],
                counts[static_cast<int>(CheckStatus::kFail)],
                counts[static_cast<int>(CheckStatus::kSkip)]);
  }
  return failed;
}

}  // namespace

int ExecuteContract(const ContractCommand& cmd_in) {
  ContractCommand cmd = cmd_in;
  if (cmd.plugin.empty() == cmd.pool.empty()) {
    std::fprintf(stderr, "bpstress contract: give one of --plugin PATH[:OPTIONS] or --pool SPEC\n");
    return kExitUsage;
  }
  cmd.options.max_size = *ParseSize(cmd.max_size);
  cmd.options.race_seconds = std::chrono::duration<double>(*ParseDuration(cmd.race_time)).count();
  const std::chrono::nanoseconds timeout = *ParseDuration(cmd.timeout);
  std::optional<Subject> subject = ResolveSubject(cmd);
  if (!subject) return kExitUsage;
  const bool json = cmd.format == "json";
  if (!json) {
    std::printf("contract of %s\n", subject->name.c_str());
    for (const Line& l : subject->lines) PrintLine(l);
  }
  std::vector<Line> lines = std::move(subject->lines);
  RunChecks(cmd.options, timeout, subject->subject, !json, &lines);
  return PrintOutcome(subject->name, lines, json) ? kExitCheckFailed : kExitOk;
}

}  // namespace bp
