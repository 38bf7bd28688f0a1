#include "tool/cli/sched_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "base/units.h"
#include "build_info.h"
#include "tool/sched/campaign.h"
#include "tool/sched/plugin_file.h"
#include "tool/sched/schedule.h"
#include "tool/sched/shrink.h"
#include "tool/util/exit_codes.h"
#include "tool/util/output_file.h"

namespace bp {
namespace {

using sched::CampaignOptions;
using sched::ScheduleFile;

struct SchedArgs {
  std::string plugin;
  uint64_t seed = 1;
  int depth = 3;
  std::string points = "atomics";
  std::string budget = "10s";
  uint64_t schedules = 0;
  int threads = 0;
  uint32_t ops = 0;
  std::string output = "sched-finding.json";
  std::string file;
  int context = 16;
  bool gdb = false;
  int tries = 100;
  std::string shrink_budget = "60s";
  std::string shrink_output;
};

// Why this build cannot schedule, or "".
std::string Unavailable() {
  if (build::kAnySanitizer) {
    return std::string("not available in a sanitizer build (") + build::kSanitizers +
           "): its runtime owns the __tsan_ hooks; use the release build";
  }
  if (!sched::RuntimeLinked()) return "this bpstress was built without the scheduling runtime";
  return "";
}

std::string Describe(const ScheduleFile& f) {
  return std::to_string(f.workload.threads) + " threads, " + std::to_string(f.workload.OpCount()) +
         " ops, " + std::to_string(f.preemptions) + " preemptions";
}

// A schedule file goes where a report would: never replacing a device, a failed write is exit 5.
bool WriteFile(const std::string& path, const std::string& text, const char* command) {
  std::string error;
  if (WriteOutput(path, text, &error)) return true;
  std::fprintf(stderr, "bpstress %s: %s\n", command, error.c_str());
  return false;
}

bool ReadScheduleFile(const std::string& path, ScheduleFile* f, const char* command) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "bpstress %s: cannot read %s\n", command, path.c_str());
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  if (!sched::FromJson(text.str(), f, &error)) {
    std::fprintf(stderr, "bpstress %s: %s: %s\n", command, path.c_str(), error.c_str());
    return false;
  }
  return true;
}

// PATH[:OPTIONS], the colon searched after the last '/'.
void SplitPlugin(const std::string& spec, std::string* path, std::string* options) {
  const size_t slash = spec.rfind('/');
  const size_t colon = spec.find(':', slash == std::string::npos ? 0 : slash + 1);
  *path = spec.substr(0, colon);
  *options = colon == std::string::npos ? "" : spec.substr(colon + 1);
}

int ExecuteSched(const SchedArgs& a) {
  if (const std::string why = Unavailable(); !why.empty()) {
    std::fprintf(stderr, "bpstress sched: %s\n", why.c_str());
    return kExitUsage;
  }
  CampaignOptions o;
  SplitPlugin(a.plugin, &o.plugin, &o.options);
  std::string reason;
  if (access(o.plugin.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "bpstress sched: cannot read the plugin %s\n", o.plugin.c_str());
    return kExitBadInput;
  }
  if (!sched::IsInstrumented(o.plugin, &reason)) {
    std::fprintf(stderr,
                 "bpstress sched: %s; build it with: clang -O1 -g -fsanitize=thread -shared -fPIC "
                 "-o libpool.so pool.c (no ThreadSanitizer runtime is linked into a shared "
                 "object: bpstress provides the hooks)\n",
                 reason.c_str());
    return kExitBadInput;
  }
  const auto budget = ParseDuration(a.budget);
  if (!budget) {
    std::fprintf(stderr, "bpstress sched: --budget '%s' is not a duration\n", a.budget.c_str());
    return kExitUsage;
  }
  o.seed = a.seed;
  o.depth = a.depth;
  o.all_points = a.points == "all";
  o.max_schedules = a.schedules;
  o.threads = a.threads;
  o.ops = a.ops;
  o.budget_seconds = std::chrono::duration<double>(*budget).count();
  const sched::CampaignResult r = sched::RunCampaign(o);
  if (!r.error.empty()) {
    std::fprintf(stderr, "bpstress sched: %s\n", r.error.c_str());
    return kExitBadInput;
  }
  if (!r.found) {
    std::printf(
        "no finding in %llu schedules (%.2f s of CPU, %llu ops: %.0f ns each; seed %llu, depth "
        "%d, points %s)\n",
        static_cast<unsigned long long>(r.schedules), r.cpu_seconds,
        static_cast<unsigned long long>(r.ops),
        r.ops > 0 ? r.cpu_seconds * 1e9 / static_cast<double>(r.ops) : 0.0,
        static_cast<unsigned long long>(a.seed), a.depth, a.points.c_str());
    return kExitOk;
  }
  const ScheduleFile& f = r.file;
  std::printf("%s in schedule %llu (%.3f s of CPU): %s\n", f.finding.kind.c_str(),
              static_cast<unsigned long long>(r.schedules), r.cpu_seconds,
              f.finding.message.c_str());
  std::printf("  %s, %llu steps\n", Describe(f).c_str(), static_cast<unsigned long long>(f.steps));
  if (!WriteFile(a.output, sched::ToJson(f), "sched")) return kExitWriteFailed;
  std::printf("  schedule: %s\n  replay:   bpstress replay %s\n  shrink:   bpstress shrink %s\n",
              a.output.c_str(), a.output.c_str(), a.output.c_str());
  return kExitCheckFailed;
}

void PrintSteps(const ScheduleFile& f, const sched::ReplayResult& r, int context) {
  const size_t n = std::min(r.events.size(), static_cast<size_t>(std::max(context, 0)));
  const std::vector<sched::Event> events(r.events.end() - static_cast<long>(n), r.events.end());
  std::vector<uint64_t> pcs;
  for (const sched::Event& e : events) pcs.push_back(e.pc);
  const std::vector<std::string> where = sched::Symbolize(f.plugin, r.plugin_base, pcs);
  std::printf("the last %zu steps:\n", events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const sched::Event& e = events[i];
    char line[256];
    std::snprintf(line, sizeof line, "  step %5llu  thread %u  %-17s",
                  static_cast<unsigned long long>(e.step), e.thread, sched::EventName(e.kind));
    std::string text = line;
    char arg[64];
    if (e.kind == sched::EventKind::kGet) {
      std::snprintf(arg, sizeof arg, "size %llu", static_cast<unsigned long long>(e.addr));
    } else {
      std::snprintf(arg, sizeof arg, "0x%llx", static_cast<unsigned long long>(e.addr));
    }
    text += arg;
    if (e.what != nullptr) text += std::string(" ") + e.what;
    if (!where[i].empty()) text += "  " + where[i];
    std::printf("%s\n", text.c_str());
  }
}

int ExecuteReplay(const SchedArgs& a) {
  if (const std::string why = Unavailable(); !why.empty()) {
    std::fprintf(stderr, "bpstress replay: %s\n", why.c_str());
    return kExitUsage;
  }
  ScheduleFile f;
  if (!ReadScheduleFile(a.file, &f, "replay")) return kExitBadInput;
  if (a.gdb) {
    bool failed = false;
    std::string error;
    if (!sched::ReplayHere(f, &failed, &error)) {
      std::fprintf(stderr, "bpstress replay: %s\n", error.c_str());
      return kExitBadInput;
    }
    std::printf("%s\n", failed ? "the finding was reached" : "did not fail");
    return failed ? kExitCheckFailed : kExitOk;
  }
  const sched::ReplayResult r = sched::Replay(f, 0);
  if (!r.error.empty()) {
    std::fprintf(stderr, "bpstress replay: %s\n", r.error.c_str());
    return kExitBadInput;
  }
  if (!r.failed) {
    std::printf("did not fail: the recorded interleaving ran clean (%llu steps; recorded: %s)\n",
                static_cast<unsigned long long>(r.file.steps), f.finding.kind.c_str());
    return kExitOk;
  }
  const sched::Finding& fd = r.file.finding;
  const std::string where =
      fd.thread >= 0 ? "thread " + std::to_string(fd.thread) : std::string("after the schedule");
  std::printf("%s at step %llu, %s: %s\n", fd.kind.c_str(),
              static_cast<unsigned long long>(fd.step), where.c_str(), fd.message.c_str());
  std::printf("  %s, %llu steps; recorded: %s at step %llu\n", Describe(r.file).c_str(),
              static_cast<unsigned long long>(r.file.steps), f.finding.kind.c_str(),
              static_cast<unsigned long long>(f.finding.step));
  PrintSteps(f, r, a.context);
  return kExitCheckFailed;
}

std::string MinPath(const std::string& path) {
  const std::string ext = ".json";
  if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0) {
    return path.substr(0, path.size() - ext.size()) + ".min.json";
  }
  return path + ".min.json";
}

int ExecuteShrink(const SchedArgs& a) {
  if (const std::string why = Unavailable(); !why.empty()) {
    std::fprintf(stderr, "bpstress shrink: %s\n", why.c_str());
    return kExitUsage;
  }
  ScheduleFile f;
  if (!ReadScheduleFile(a.file, &f, "shrink")) return kExitBadInput;
  const auto budget = ParseDuration(a.shrink_budget);
  if (!budget) {
    std::fprintf(stderr, "bpstress shrink: --budget '%s' is not a duration\n",
                 a.shrink_budget.c_str());
    return kExitUsage;
  }
  const sched::ShrinkResult r =
      sched::Shrink(f, std::chrono::duration<double>(*budget).count(), a.tries);
  if (!r.failed_at_start) {
    std::printf("did not fail: the recorded interleaving ran clean, nothing to shrink\n");
    return kExitOk;
  }
  const std::string out = a.shrink_output.empty() ? MinPath(a.file) : a.shrink_output;
  if (!WriteFile(out, sched::ToJson(r.file), "shrink")) return kExitWriteFailed;
  std::printf("%s (from %s; %d schedules tried): %s\n  written to %s\n", Describe(r.file).c_str(),
              Describe(f).c_str(), r.candidates, r.file.finding.kind.c_str(), out.c_str());
  return kExitCheckFailed;
}

}  // namespace

std::vector<Subcommand> AddSchedCommands(CLI::App& app) {
  auto a = std::make_shared<SchedArgs>();
  CLI::App* sched = app.add_subcommand(
      "sched", "deterministic PCT schedules of a plugin built with -fsanitize=thread");
  sched->add_option("--plugin", a->plugin, "PATH[:OPTIONS] of the instrumented plugin")->required();
  sched->add_option("--seed", a->seed, "the campaign's seed")->capture_default_str();
  sched->add_option("--depth", a->depth, "PCT depth: priority change points + 1")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  sched
      ->add_option("--points", a->points,
                   "scheduling points: atomics, or all (plain loads and stores too)")
      ->capture_default_str()
      ->check(CLI::IsMember({"atomics", "all"}));
  sched->add_option("--budget", a->budget, "CPU time of the campaign")->capture_default_str();
  sched->add_option("--schedules", a->schedules, "stop after N schedules (0: the budget only)");
  sched->add_option("--threads", a->threads, "threads of every schedule (default: drawn, 2..8)")
      ->check(CLI::Range(1, 64));
  sched->add_option("--ops", a->ops, "ops per thread of every schedule (default: drawn, 2..8)")
      ->check(CLI::Range(1u, 10000000u));
  sched->add_option("--output", a->output, "where a finding's schedule file goes")
      ->capture_default_str();

  CLI::App* replay = app.add_subcommand("replay", "run a schedule file's interleaving again");
  replay->add_option("file", a->file, "schedule file (from sched or shrink)")->required();
  replay->add_option("--context", a->context, "steps printed before the violation")
      ->capture_default_str();
  replay->add_flag("--gdb", a->gdb,
                   "replay in this process and raise SIGTRAP at the violation, for a debugger: "
                   "gdb -ex run --args bpstress replay FILE --gdb");

  CLI::App* shrink =
      app.add_subcommand("shrink", "reduce a failing schedule file: threads, ops, preemptions");
  shrink->add_option("file", a->file, "schedule file")->required();
  shrink->add_option("--output", a->shrink_output, "the smaller file [FILE.min.json]");
  shrink->add_option("--budget", a->shrink_budget, "wall time")->capture_default_str();
  shrink
      ->add_option("--tries", a->tries,
                   "PCT schedules tried per candidate when the edited trace no longer fails")
      ->capture_default_str();

  return {{sched, [a] { return ExecuteSched(*a); }},
          {replay, [a] { return ExecuteReplay(*a); }},
          {shrink, [a] { return ExecuteShrink(*a); }}};
}

}  // namespace bp
