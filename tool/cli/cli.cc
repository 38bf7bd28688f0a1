#include "tool/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/units.h"
#include "build_info.h"
#include "pool/registry.h"
#include "tool/cli/contract_command.h"
#include "tool/cli/hunt.h"
#include "tool/cli/report_commands.h"
#include "tool/cli/run_command.h"
#include "tool/cli/sched_command.h"
#include "tool/cli/selftest.h"
#include "tool/cli/subcommand.h"
#include "tool/cli/unit_options.h"
#include "tool/run/dist.h"
#include "tool/run/vocabulary.h"
#include "tool/util/output_file.h"

namespace bp {
namespace {

// Seeds a double represents exactly: JSON readers that parse numbers as doubles keep them.
constexpr uint64_t kMaxSeed = (uint64_t{1} << 53) - 1;

std::string VersionString() {
  std::string v = std::string("bpstress ") + build::kVersion + " (" + build::kCompiler + ", " +
                  build::kBuildType +
                  ", sanitizers: " + (build::kAnySanitizer ? build::kSanitizers : "none") + ")";
  return v;
}

// `list --format json`: the same, for scripts.
int ListJson() {
  nlohmann::json pools = nlohmann::json::array(), dists = nlohmann::json::array();
  for (const PoolEntry& e : PoolEntries()) {
    nlohmann::json options = nlohmann::json::array();
    for (const PoolOption& o : e.options) {
      options.push_back({{"key", o.key}, {"default", o.default_value}, {"help", o.help}});
    }
    nlohmann::json pool = {{"name", e.name},
                           {"help", e.help},
                           {"in_all", e.in_all},
                           {"faulty", e.faulty},
                           {"options", options}};
    if (e.faulty) pool["detector"] = e.detector;
    pools.push_back(std::move(pool));
  }
  for (const auto& [name, help] : DistributionHelp()) {
    dists.push_back({{"spec", name}, {"help", help}});
  }
  const nlohmann::json out = {{"pools", pools}, {"distributions", dists}};
  std::printf("%s\n", out.dump(2).c_str());
  return kExitOk;
}

int ListCommand() {
  std::printf("pools (--pool NAME[:key=value,...]; 'all' = those marked *):\n");
  for (const PoolEntry& e : PoolEntries()) {
    std::printf("  %s %-22s %s\n", e.in_all ? "*" : " ", e.name, e.help);
    if (e.faulty) std::printf("      %-22s caught by: %s\n", "", e.detector);
    for (const PoolOption& o : e.options) {
      std::printf("      %-22s %s=%s: %s\n", "", o.key, o.default_value, o.help);
    }
  }
  std::printf("\ndistributions (--dist SPEC; sizes take K/M/G suffixes):\n");
  for (const auto& [name, help] : DistributionHelp()) {
    std::printf("    %-24s %s\n", name.c_str(), help.c_str());
  }
  return kExitOk;
}

// Checked before anything runs, so a typo costs no stress run: not empty, not a directory.
CLI::Validator ReportPathValidator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty()) return "the report path is empty";
        if (s != "-" && (s.back() == '/' || std::filesystem::is_directory(s))) {
          return "'" + s + "' is a directory";
        }
        return "";
      },
      "PATH");
}

// The (name, value) pairs of a vocabulary table (tool/run/vocabulary.h), for AddEnumOption.
template <typename E, size_t N>
std::vector<std::pair<std::string, E>> NamesOf(const NameRow<E> (&rows)[N]) {
  std::vector<std::pair<std::string, E>> out;
  for (const NameRow<E>& r : rows) out.emplace_back(r.name, r.value);
  return out;
}

// An option whose values are the names of an enum, bound to the enum with CheckedTransformer.
// The IsMember check in front of it keeps the accepted spellings to the names (the transformer
// alone also takes the enum's numbers) and words the error as before ("--touch: x not in
// {none,head,full,ends}"); the transformer's own description is cleared and the type named
// TEXT, so that --help reads "TEXT:{none,head,full,ends} ... [full]".
template <typename E>
CLI::Option* AddEnumOption(CLI::App* app, const std::string& name, E& value,
                           const std::vector<std::pair<std::string, E>>& names,
                           const std::string& help) {
  std::vector<std::string> spellings;
  std::string default_name;
  for (const auto& [text, e] : names) {
    spellings.push_back(text);
    if (e == value) default_name = text;
  }
  return app->add_option(name, value, help)
      ->type_name("TEXT")
      ->default_str(default_name)
      ->transform(CLI::CheckedTransformer(names).description(""))
      ->transform(CLI::IsMember(spellings));
}

// The run options that are text until parsed, and checked after: sizes, durations, the seed.
struct RunOptionText {
  bool isolate = false;
  std::string duration = "2s";
  std::string max_rss;
  std::string deadline;
  std::string seed;
  std::string warmup = "200ms";
  std::string sample_interval = "100ms";
};

// Which pools run, and how: plugins, allocators, isolation.
void AddPoolSelectionOptions(CLI::App* run, RunCommand& cmd, RunOptionText& text) {
  run->add_option("--pool", cmd.pools,
                  "pool to stress, NAME[:key=value,...]; repeatable; 'all' = every built-in "
                  "correct pool (see `bpstress list`)")
      ->capture_default_str();
  run->add_option(
      "--plugin", cmd.plugins,
      "load a pool from a shared library (C ABI, <bpstress/plugin_abi.h>), PATH[:OPTIONS]; "
      "repeatable; without --pool only plugins run");
  run->add_option("--allocator", cmd.allocators,
                  "run the pools once per allocator, preloaded in a re-executed child: "
                  "glibc, jemalloc, tcmalloc, mimalloc, all, or NAME=PATH; comma-separated");
  run->add_flag("--isolate,!--no-isolate", text.isolate,
                "run each pool in its own child process, so a crash or hang loses nothing "
                "(default: on for plugins, and for built-in pools when more than one runs)");
}

// What each worker does: sizes, threads, how long, what it writes and checks.
void AddWorkloadOptions(CLI::App* run, RunCommand& cmd, RunOptionText& text) {
  run->add_option("--dist", cmd.dist, "size distribution (see `bpstress list`)")
      ->capture_default_str();
  run->add_option("--threads", cmd.options.threads, "worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  auto* dur = run->add_option("--duration", text.duration, "run time per pool (500ms, 5s, 2m)")
                  ->capture_default_str()
                  ->check(DurationValidator());
  auto* ops =
      run->add_option("--ops", cmd.options.ops_per_thread, "ops per thread instead of a duration")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 62));
  dur->excludes(ops);
  run->add_option("--seed", text.seed,
                  "seed of the size sequences, 0..2^53-1 (exact in every JSON reader; default: "
                  "random)");
  run->add_option("--hold", cmd.options.hold,
                  "buffers each thread keeps alive, releasing the oldest")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1u << 20));
  run->add_option("--cross-thread", cmd.options.cross_thread,
                  "share of buffers put back by another thread (0..1 or 0%..100%)")
      ->capture_default_str()
      ->type_name("SHARE")
      ->transform(FractionTransform());
  AddEnumOption<Touch>(
      run, "--touch", cmd.options.touch, NamesOf(kTouchRows),
      "bytes written into each buffer: none, head (64 B), full (up to 64 MiB, then ends), ends "
      "(the first and last 64 B of n; the default of --dist edges)");
  AddEnumOption<Workload>(run, "--workload", cmd.options.workload, NamesOf(kWorkloadRows),
                          "what each op writes: bytes (a pattern of n bytes) or json (a JSON array "
                          "of integers of about n bytes, written with the project's JSON writer)");
  AddEnumOption<CheckLevel>(
      run, "--checks", cmd.options.checks, NamesOf(kCheckLevelRows),
      "detectors: none, basic (capacity, emptiness), full (+ ownership, contents)");
}

// Where the results go, repeats, and the limits of a run.
void AddOutputAndLimitOptions(CLI::App* run, RunCommand& cmd, RunOptionText& text) {
  run->add_option("--report", cmd.report_path,
                  "JSON report file (written atomically; a device or FIFO in place); '-' writes "
                  "it to stdout and the table to stderr")
      ->capture_default_str()
      ->check(ReportPathValidator());
  AddEnumOption<OutputFormat>(run, "--format", cmd.format,
                              {{"table", OutputFormat::kTable}, {"json", OutputFormat::kJson}},
                              "stdout: table or json");
  AddEnumOption<ProgressMode>(run, "--progress", cmd.progress,
                              {{"auto", ProgressMode::kAuto},
                               {"always", ProgressMode::kAlways},
                               {"never", ProgressMode::kNever}},
                              "live progress on stderr: auto (a TTY), always, never");
  run->add_option("--max-rss", text.max_rss, "stop cleanly (exit 4) before RSS exceeds SIZE")
      ->check(SizeValidator());
  run->add_option("--repeat", cmd.repeat,
                  "measured runs of each pool, interleaved across pools; the report keeps each "
                  "and their statistics")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  run->add_option("--warmup", text.warmup, "unmeasured run of each pool before each measured one")
      ->capture_default_str()
      ->check(DurationValidator());
  run->add_option(
         "--sample-interval", text.sample_interval,
         "timeline: ops/s, RSS, retained bytes, outstanding buffers and findings every TIME")
      ->capture_default_str()
      ->check(DurationValidator());
  run->add_flag("--pin", cmd.options.pin,
                "pin worker threads round-robin over the CPUs this process may use");
  run->add_option("--deadline", text.deadline,
                  "watchdog per pool: a pool still running after TIME is hung (exit 4); longer "
                  "than --duration and --warmup; default duration + 30s")
      ->check(DurationValidator());
}

// Finding bugs (README "Finding bugs"): the profile and the knobs that provoke a pool.
struct HuntOptions {
  std::string profile = "hunt";
  std::string preempt;
  std::string misuse;
};

void AddHuntOptions(CLI::App* run, RunCommand& cmd, HuntOptions& h) {
  run->add_option(
         "--profile", h.profile,
         "hunt (default): each pool first hunts bugs for 30% of its time (nothing written, "
         "threads preempted at random instructions), then is measured with nothing "
         "injected; bench: only the clean measurement")
      ->capture_default_str()
      ->check(CLI::IsMember({"hunt", "bench"}));
  run->add_option("--preempt", h.preempt,
                  "interrupt random workers RATE times per second in all (20k, 5000; 0 = off): "
                  "in the hunt phase with --profile hunt (default " +
                      std::string(kHuntPreemptRateText) +
                      "; 0 = no hunt phase), the whole run with --profile bench");
  run->add_option("--churn", cmd.options.churn,
                  "each worker thread exits after N ops and a fresh thread continues (0 = off)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 62));
  run->add_option("--misuse", h.misuse,
                  "caller misuse: double-put[:RATE], RATE = 1/N or a share of puts "
                  "(default 1/10000)");
  run->add_flag("--stop-on-violation", cmd.options.stop_on_violation,
                "end a pool's run at its first violation (hunting, not measuring)");
  run->add_flag("--misuse-fails", cmd.misuse_fails,
                "exit 1 when a pool hands out an item that was put twice (double_put_accepted)");
}

// Applies the profile and parses --preempt and --misuse; an exit code on bad input.
std::optional<int> ApplyHuntOptions(RunCommand& cmd, const HuntOptions& h) {
  cmd.profile = h.profile;
  double rate = kHuntPreemptRate;
  if (!h.preempt.empty()) {
    const auto parsed = ParseRate(h.preempt);
    if (!parsed) {
      std::fprintf(stderr, "bpstress: --preempt: '%s' is not a rate (%s)\n", h.preempt.c_str(),
                   kRateExamples);
      return kExitUsage;
    }
    if (*parsed > 1e6) {
      std::fprintf(stderr, "bpstress: --preempt: %s is above the limit of 1M per second\n",
                   h.preempt.c_str());
      return kExitUsage;
    }
    rate = *parsed;
  }
  // hunt: the rate is the hunt phase's and the measured run is clean; bench: --preempt, when
  // given, injects into the whole (measured) run.
  if (h.profile == "hunt") {
    cmd.options.hunt_rate = rate;
    cmd.options.preempt_rate = 0;
  } else {
    cmd.options.hunt_rate = 0;
    cmd.options.preempt_rate = h.preempt.empty() ? 0 : rate;
  }
  if (!h.misuse.empty()) {
    std::string_view m = h.misuse;
    constexpr std::string_view kKind = "double-put";
    double rate = 1e-4;
    bool ok = m.substr(0, kKind.size()) == kKind;
    if (ok && m.size() > kKind.size()) {
      ok = m[kKind.size()] == ':';
      std::string_view r = m.substr(kKind.size() + 1);
      if (ok && r.substr(0, 2) == "1/") {
        const auto n = ParseUint(r.substr(2));
        ok = n && *n >= 1;
        if (ok) rate = 1.0 / static_cast<double>(*n);
      } else if (ok) {
        const auto v = ParseFraction(r);
        ok = v && *v > 0;
        if (ok) rate = *v;
      }
    }
    if (!ok) {
      std::fprintf(stderr,
                   "bpstress: --misuse: '%s' is not double-put[:RATE] (RATE = 1/N or a share in "
                   "(0,1], e.g. double-put:1/1000 or double-put:0.1%%)\n",
                   h.misuse.c_str());
      return kExitUsage;
    }
    cmd.options.double_put_rate = rate;
  }
  return std::nullopt;
}

// `bpstress --threads 8` means `bpstress run --threads 8`: run is the default subcommand.
std::vector<std::string> WithDefaultSubcommand(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool explicit_command = false;
  if (!args.empty()) {
    for (const CLI::App* c : app.get_subcommands({})) explicit_command |= args[0] == c->get_name();
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "--version") explicit_command = true;
  }
  if (!explicit_command) args.insert(args.begin(), "run");
  return args;
}

// The top-level --help: run is the default command, so its options are listed here too (read
// from the App, so every option added to run shows up), then examples and the exit codes.
std::string TopLevelFooter(const CLI::App* run) {
  std::string text = "\nRun options (bpstress [run] [OPTIONS]; run is the default command):\n";
  for (const CLI::Option* o : run->get_options()) {
    std::string name;
    for (const std::string& l : o->get_lnames()) name += (name.empty() ? "--" : ", --") + l;
    if (name.empty() || name == "--help") continue;
    if (o->get_type_size() != 0 && !o->get_type_name().empty()) name += " " + o->get_type_name();
    std::string desc = o->get_description();
    if (!o->get_default_str().empty()) desc += " [" + o->get_default_str() + "]";
    text += "  " + name;
    text += name.size() < 28 ? std::string(30 - name.size() - 2, ' ') : "\n" + std::string(30, ' ');
    text += desc + "\n";
  }
  text += R"(
Examples:
  bpstress --threads 64 --dist random65k --report run.json
      every built-in pool from 64 threads; the report is checked with `bpstress verify run.json`
  bpstress contract --plugin ./libmypool.so
      check a plugin against the pool contract (seconds) before stressing it
  bpstress --plugin ./libmypool.so:max=65536 --duration 5s --report -
      stress a plugin; the JSON report goes to stdout, the table to stderr
  bpstress verify run.json --baseline main.json && bpstress report --html run.html run.json
      gate a CI job on the report and keep a readable copy
  bpstress <command> --help
      the options of one command

Exit status:
  0  ran, and every check passed
  1  a detector fired, a contract check or a verify gate failed, or a pool crashed
  2  bad command line
  3  unreadable or invalid input file, plugin or allocator
  4  a limit stopped the run: --max-rss reached, or a pool hung past its --deadline
  5  an output could not be written (--report, --html, stdout); it takes precedence over 0, 1, 4
     and 130
  130  interrupted (SIGINT/SIGTERM); the report is still written
)";
  return text;
}

// Edit distance, for "did you mean": options are short, so the quadratic table is nothing.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// For the first unknown --option in args (after the subcommand): one line naming it and the
// closest option of that subcommand, when it is close enough to be a typo; nullopt when every
// --option is known (the error is something else).
std::optional<std::string> UnknownOptionMessage(const CLI::App& app,
                                                const std::vector<std::string>& args) {
  if (args.empty()) return std::nullopt;
  const CLI::App* sub = nullptr;
  for (const CLI::App* c : app.get_subcommands({})) {
    if (c->get_name() == args[0]) sub = c;
  }
  if (sub == nullptr) return std::nullopt;
  std::vector<std::string> known;
  for (const CLI::Option* o : sub->get_options()) {
    for (const std::string& l : o->get_lnames()) known.push_back("--" + l);
  }
  for (size_t i = 1; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    arg = arg.substr(0, arg.find('='));
    if (std::find(known.begin(), known.end(), arg) != known.end()) continue;
    std::string best;
    size_t best_d = std::string::npos;
    for (const std::string& k : known) {
      const size_t d = EditDistance(arg, k);
      if (d < best_d) best_d = d, best = k;
    }
    const size_t limit = std::max<size_t>(2, arg.size() / 3);
    if (!best.empty() && best_d <= limit) {
      return "unknown option " + arg + "; did you mean " + best + "?";
    }
    return "unknown option " + arg + " (see bpstress " + args[0] + " --help)";
  }
  return std::nullopt;
}

// A first word that is neither an option nor a subcommand is a mistyped subcommand (run, the
// default, takes no positional arguments): one line naming it and the closest subcommand when it
// is close enough to be a typo (`bpstress rn`: did you mean 'run'?).
std::optional<std::string> UnknownCommandMessage(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return std::nullopt;
  const std::string word = argv[1];
  std::string best, names;
  size_t best_d = std::string::npos;
  for (const CLI::App* c : app.get_subcommands({})) {
    if (c->get_name() == word) return std::nullopt;
    names += (names.empty() ? "" : ", ") + c->get_name();
    const size_t d = EditDistance(word, c->get_name());
    if (d < best_d) best_d = d, best = c->get_name();
  }
  if (best_d <= std::max<size_t>(2, word.size() / 3)) {
    return "unknown command '" + word + "'; did you mean '" + best + "'?";
  }
  return "unknown command '" + word + "' (commands: " + names + ")";
}

// `bpstress run` as parsed: the command, the options that are text until checked, the hunt knobs.
struct RunCommandLine {
  RunCommand cmd;
  RunOptionText text;
  HuntOptions hunt;
};

int ExecuteRunCommandLine(const CLI::App& run, RunCommandLine& line);

// `args` is the command line as parsed (the subcommand first), for the report; it is read when the
// command runs.
Subcommand AddRunCommand(CLI::App& app, const std::vector<std::string>& args) {
  auto shared = std::make_shared<RunCommandLine>();
  RunCommandLine& line = *shared;
  line.cmd.options.threads = std::max(1u, std::thread::hardware_concurrency());
  CLI::App* run = app.add_subcommand("run", "stress pools from many threads (the default)");
  // In the order --help lists them.
  AddPoolSelectionOptions(run, line.cmd, line.text);
  AddWorkloadOptions(run, line.cmd, line.text);
  AddOutputAndLimitOptions(run, line.cmd, line.text);
  AddHuntOptions(run, line.cmd, line.hunt);
  return {run, [run, shared, &args] {
            shared->cmd.argv = args;
            return ExecuteRunCommandLine(*run, *shared);
          }};
}

// A fresh seed below 2^53: a double (jq, JavaScript) holds it exactly, so the reproduce step
// keeps it.
uint64_t RandomSeed() {
  std::random_device rd;
  return ((uint64_t{rd()} << 32) ^ rd()) & kMaxSeed;
}

std::optional<int> ApplySeed(const CLI::App& run, const std::string& seed, RunCommand& cmd) {
  if (run.count("--seed") == 0) {
    cmd.options.seed = RandomSeed();
    return std::nullopt;
  }
  const std::optional<uint64_t> v = ParseUint(seed);
  if (!v || *v > kMaxSeed) {
    std::fprintf(stderr, "bpstress: --seed: '%s' is not an integer in 0..%llu\n", seed.c_str(),
                 static_cast<unsigned long long>(kMaxSeed));
    return kExitUsage;
  }
  cmd.options.seed = *v;
  cmd.seed_given = true;
  return std::nullopt;
}

// --warmup, --sample-interval, --max-rss and --deadline (their validators accepted the text).
std::optional<int> ApplyLimits(const RunOptionText& text, RunCommand& cmd) {
  cmd.options.warmup = *ParseDuration(text.warmup);
  cmd.options.sample_interval = *ParseDuration(text.sample_interval);
  if (cmd.options.sample_interval < std::chrono::milliseconds(1)) {
    std::fprintf(stderr, "bpstress: --sample-interval: must be at least 1ms\n");
    return kExitUsage;
  }
  if (!text.max_rss.empty()) cmd.options.max_rss_bytes = *ParseSize(text.max_rss);
  if (!text.deadline.empty()) {
    cmd.options.deadline = *ParseDuration(text.deadline);
    if (cmd.options.deadline.count() == 0) {
      std::fprintf(stderr, "bpstress: --deadline: must be greater than 0\n");
      return kExitUsage;
    }
  }
  return std::nullopt;
}

// A --deadline no longer than a run it watches (the measured run, or the warmup: a run of its
// own) would call a working pool hung while it still runs (exit 4): a usage error instead. With
// --ops the measured run has no length to compare; the warmup still has one.
std::optional<int> CheckDeadline(const CLI::App& run, const RunOptionText& text,
                                 const RunOptions& o) {
  if (run.count("--deadline") == 0) return std::nullopt;
  const bool by_warmup = o.ops_per_thread != 0 || o.warmup > o.duration;
  if (o.deadline > (by_warmup ? o.warmup : o.duration)) return std::nullopt;
  std::fprintf(stderr,
               "bpstress: --deadline %s is not longer than the run it watches (%s %s): a pool "
               "would be reported hung while it still runs; give more, or leave the default "
               "(duration + 30s)\n",
               text.deadline.c_str(), by_warmup ? "--warmup" : "--duration",
               (by_warmup ? text.warmup : text.duration).c_str());
  return kExitUsage;
}

// After parsing: the text options checked and converted into the command, in the order of
// their messages; then the run.
int ExecuteRunCommandLine(const CLI::App& run, RunCommandLine& line) {
  RunCommand& cmd = line.cmd;
  cmd.options.duration = *ParseDuration(line.text.duration);
  if (cmd.options.ops_per_thread == 0 && cmd.options.duration.count() == 0) {
    std::fprintf(stderr, "bpstress: --duration: must be greater than 0\n");
    return kExitUsage;
  }
  cmd.duration_given = run.count("--duration") != 0;
  if (std::optional<int> code = ApplyHuntOptions(cmd, line.hunt)) return *code;
  cmd.pools_given = run.count("--pool") != 0;
  if (run.count("--isolate") + run.count("--no-isolate") != 0) {
    cmd.isolate = line.text.isolate ? RunCommand::Isolate::kOn : RunCommand::Isolate::kOff;
  }
  if (std::optional<int> code = ApplySeed(run, line.text.seed, cmd)) return *code;
  if (std::optional<int> code = ApplyLimits(line.text, cmd)) return *code;
  if (std::optional<int> code = CheckDeadline(run, line.text, cmd.options)) return *code;
  cmd.touch_given = run.count("--touch") != 0;
  return ExecuteRun(cmd);
}

Subcommand AddListCommand(CLI::App& app) {
  auto format = std::make_shared<std::string>("text");
  CLI::App* list = app.add_subcommand("list", "list pools and size distributions");
  list->add_option("--format", *format, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  return {list, [format] { return *format == "json" ? ListJson() : ListCommand(); }};
}

Subcommand AddSelftestCommand(CLI::App& app) {
  auto shared = std::make_shared<SelftestOptions>();
  SelftestOptions& options = *shared;
  CLI::App* selftest =
      app.add_subcommand("selftest", "prove every detector of this build catches its planted bug");
  selftest->add_option("--threads", options.threads, "threads of each child run")
      ->capture_default_str()
      ->check(CLI::Range(2u, 256u));
  selftest->add_option("--work-dir", options.work_dir,
                       "where the child reports go (default: a new temporary directory)");
  selftest->add_flag("--verbose", options.verbose, "show each child's stderr");
  return {selftest, [shared] { return RunSelftest(*shared); }};
}

// `bpstress hunt` as parsed; the budget is text until checked.
struct HuntCommandLine {
  HuntCommand hunt;
  std::string budget = "5m";
};

int ExecuteHuntCommandLine(const CLI::App& hunt, HuntCommandLine& line);

Subcommand AddHuntCommand(CLI::App& app) {
  auto shared = std::make_shared<HuntCommandLine>();
  HuntCommand& h = shared->hunt;
  HuntCommandLine& line = *shared;
  CLI::App* hunt = app.add_subcommand(
      "hunt", "swarm testing: short trials of random configurations until a finding or the budget");
  hunt->add_option("--pool", h.pools, "the pool to hunt in, NAME[:key=value,...]");
  hunt->add_option("--plugin", h.plugins, "a pool from a shared library, PATH[:OPTIONS]");
  hunt->add_option("--budget", line.budget, "total time (30s, 5m)")
      ->capture_default_str()
      ->check(DurationValidator());
  hunt->add_option("--seed", h.seed,
                   "seed of the trial configurations, 0..2^53-1 (default: random)")
      ->check(CLI::Range(uint64_t{0}, kMaxSeed));
  hunt->add_option("--report", h.report_path, "JSON report of every trial")->capture_default_str();
  hunt->add_flag("--progress", h.progress,
                 "show trials, time left and findings on stderr (default: when it is a terminal)");
  hunt->add_option(
      "--replay", h.replay_path,
      "run the finding of this hunt report again (--times) and say how often it fires");
  hunt->add_option("--times", h.replay_times, "runs of --replay")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  return {hunt, [hunt, shared] { return ExecuteHuntCommandLine(*hunt, *shared); }};
}

int ExecuteHuntCommandLine(const CLI::App& hunt, HuntCommandLine& line) {
  HuntCommand& h = line.hunt;
  h.budget = *ParseDuration(line.budget);
  if (h.budget.count() == 0) {
    std::fprintf(stderr, "bpstress: hunt: --budget: must be greater than 0\n");
    return kExitUsage;
  }
  h.seed_given = hunt.count("--seed") != 0;
  if (!h.seed_given) h.seed = RandomSeed();
  return RunHunt(h);
}

// Parses `args` (the subcommand first); an exit code when parsing ends the command (--help,
// --version: 0; a usage error: one line on stderr, 2).
std::optional<int> Parse(CLI::App& app, std::vector<std::string> args) {
  const std::vector<std::string> given = args;
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    const std::optional<std::string> unknown = UnknownOptionMessage(app, given);
    std::fprintf(stderr, "bpstress: %s\n", unknown ? unknown->c_str() : e.what());
    return kExitUsage;
  }
  return std::nullopt;
}

// Parses the command line and runs the command; its exit code.
int Dispatch(int argc, char** argv) {
  CLI::App app{"bpstress: stress and fuzz testing for byte-buffer pools", "bpstress"};
  app.set_version_flag("--version", VersionString());
  app.require_subcommand(1);

  // Subcommands in the order --help lists them.
  std::vector<std::string> args;  // the command line with its subcommand, once known
  std::vector<Subcommand> commands = {AddRunCommand(app, args), AddListCommand(app),
                                      AddSelftestCommand(app)};
  for (Subcommand& c : AddReportCommands(app)) commands.push_back(std::move(c));
  commands.push_back(AddContractCommand(app));
  commands.push_back(AddHuntCommand(app));
  for (Subcommand& c : AddSchedCommands(app)) commands.push_back(std::move(c));
  app.footer([run = commands.front().app] { return TopLevelFooter(run); });

  if (const std::optional<std::string> typo = UnknownCommandMessage(app, argc, argv)) {
    std::fprintf(stderr, "bpstress: %s\n", typo->c_str());
    return kExitUsage;
  }
  args = WithDefaultSubcommand(app, argc, argv);
  if (std::optional<int> code = Parse(app, args)) return *code;
  for (const Subcommand& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return kExitUsage;
}

}  // namespace

int Main(int argc, char** argv) {
  const int code = Dispatch(argc, argv);
  // Whatever the command printed must have reached stdout: a table or JSON lost to a full disk
  // is no success.
  if (std::string error; !FlushStdout(&error)) {
    std::fprintf(stderr, "bpstress: %s\n", error.c_str());
    return kExitWriteFailed;
  }
  return code;
}

}  // namespace bp
