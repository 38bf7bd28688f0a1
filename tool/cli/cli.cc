#include "tool/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "build_info.h"
#include "pool/registry.h"
#include "tool/cli/contract_command.h"
#include "tool/cli/hunt.h"
#include "tool/cli/report_commands.h"
#include "tool/cli/run_command.h"
#include "tool/cli/selftest.h"
#include "tool/run/dist.h"
#include "tool/util/units.h"

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

// A validator for options that take a size ("512M") or a duration ("500ms").
CLI::Validator SizeValidator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return ParseSize(s) ? "" : "'" + s + "' is not a size (e.g. 4096, 64K, 512M, 2G)";
      },
      "SIZE");
}
CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return ParseDuration(s) ? "" : "'" + s + "' is not a duration (e.g. 500ms, 5s, 2m)";
      },
      "TIME");
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

void AddRunOptions(CLI::App* run, RunCommand& cmd, bool& isolate, std::string& duration,
                   std::string& max_rss, std::string& deadline, std::string& touch,
                   std::string& workload, std::string& checks, std::string& format,
                   std::string& progress, std::string& seed, std::string& warmup,
                   std::string& sample_interval) {
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
  run->add_flag("--isolate,!--no-isolate", isolate,
                "run each pool in its own child process, so a crash or hang loses nothing "
                "(default: on for plugins, and for built-in pools when more than one runs)");
  run->add_option("--dist", cmd.dist, "size distribution (see `bpstress list`)")
      ->capture_default_str();
  run->add_option("--threads", cmd.options.threads, "worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4096u));
  auto* dur = run->add_option("--duration", duration, "run time per pool (500ms, 5s, 2m)")
                  ->capture_default_str()
                  ->check(DurationValidator());
  auto* ops =
      run->add_option("--ops", cmd.options.ops_per_thread, "ops per thread instead of a duration")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 62));
  dur->excludes(ops);
  run->add_option("--seed", seed,
                  "seed of the size sequences, 0..2^53-1 (exact in every JSON reader; default: "
                  "random)");
  run->add_option("--hold", cmd.options.hold,
                  "buffers each thread keeps alive, releasing the oldest")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1u << 20));
  run->add_option("--cross-thread", cmd.options.cross_thread,
                  "share of buffers put back by another thread (0..1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  run->add_option("--touch", touch,
                  "bytes written into each buffer: none, head (64 B), full (up to 64 MiB, then "
                  "ends), ends (the first and last 64 B of n; the default of --dist edges)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "head", "full", "ends"}));
  run->add_option("--workload", workload,
                  "what each op writes: bytes (a pattern of n bytes) or json (a JSON array of "
                  "integers of about n bytes, written with the project's JSON writer)")
      ->capture_default_str()
      ->check(CLI::IsMember({"bytes", "json"}));
  run->add_option("--checks", checks,
                  "detectors: none, basic (capacity, emptiness), full (+ ownership, contents)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "basic", "full"}));
  run->add_option("--report", cmd.report_path,
                  "JSON report file (written atomically); '-' writes it to stdout and the table "
                  "to stderr")
      ->capture_default_str()
      ->check(ReportPathValidator());
  run->add_option("--format", format, "stdout: table or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json"}));
  run->add_option("--progress", progress, "live progress on stderr: auto (a TTY), always, never")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run->add_option("--max-rss", max_rss, "stop cleanly (exit 4) before RSS exceeds SIZE")
      ->check(SizeValidator());
  run->add_option("--repeat", cmd.repeat,
                  "measured runs of each pool, interleaved across pools; the report keeps each "
                  "and their statistics")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  run->add_option("--warmup", warmup, "unmeasured run of each pool before each measured one")
      ->capture_default_str()
      ->check(DurationValidator());
  run->add_option(
         "--sample-interval", sample_interval,
         "timeline: ops/s, RSS, retained bytes, outstanding buffers and findings every TIME")
      ->capture_default_str()
      ->check(DurationValidator());
  run->add_flag("--pin", cmd.options.pin,
                "pin worker threads round-robin over the CPUs this process may use");
  run->add_option("--deadline", deadline,
                  "watchdog per pool: a pool still running after TIME is hung (exit 4); "
                  "default duration + 30s")
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
    const auto parsed = ParseEventRate(h.preempt);
    if (!parsed) {
      std::fprintf(stderr, "bpstress: --preempt: '%s' is not a rate (e.g. 20k, 5000, 0)\n",
                   h.preempt.c_str());
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
        const auto v = ParseDouble(r);
        ok = v && *v > 0 && *v <= 1;
        if (ok) rate = *v;
      }
    }
    if (!ok) {
      std::fprintf(stderr,
                   "bpstress: --misuse: '%s' is not double-put[:RATE] (RATE = 1/N or a share in "
                   "(0,1], e.g. double-put:1/1000)\n",
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

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"bpstress: stress and fuzz testing for byte-buffer pools", "bpstress"};
  app.set_version_flag("--version", VersionString());
  app.require_subcommand(1);

  RunCommand cmd;
  cmd.options.threads = std::max(1u, std::thread::hardware_concurrency());
  std::string duration = "2s", max_rss, deadline, touch = "full", checks = "full", format = "table",
              progress = "auto";
  CLI::App* run = app.add_subcommand("run", "stress pools from many threads (the default)");
  bool isolate = false;
  std::string workload = "bytes", seed, warmup = "200ms", sample_interval = "100ms";
  AddRunOptions(run, cmd, isolate, duration, max_rss, deadline, touch, workload, checks, format,
                progress, seed, warmup, sample_interval);
  HuntOptions hunt;
  AddHuntOptions(run, cmd, hunt);
  CLI::App* list = app.add_subcommand("list", "list pools and size distributions");
  std::string list_format = "text";
  list->add_option("--format", list_format, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  SelftestOptions selftest_options;
  CLI::App* selftest =
      app.add_subcommand("selftest", "prove every detector of this build catches its planted bug");
  selftest->add_option("--threads", selftest_options.threads, "threads of each child run")
      ->capture_default_str()
      ->check(CLI::Range(2u, 256u));
  selftest->add_option("--work-dir", selftest_options.work_dir,
                       "where the child reports go (default: a new temporary directory)");
  selftest->add_flag("--verbose", selftest_options.verbose, "show each child's stderr");

  const auto run_report_command = AddReportCommands(app);
  ContractCommand contract_cmd;
  CLI::App* contract = AddContractCommand(app, contract_cmd);
  app.footer([run] { return TopLevelFooter(run); });

  HuntCommand hunt_options;
  std::string hunt_budget = "5m";
  CLI::App* hunt_app = app.add_subcommand(
      "hunt", "swarm testing: short trials of random configurations until a finding or the budget");
  hunt_app->add_option("--pool", hunt_options.pools, "the pool to hunt in, NAME[:key=value,...]");
  hunt_app->add_option("--plugin", hunt_options.plugins,
                       "a pool from a shared library, PATH[:OPTIONS]");
  hunt_app->add_option("--budget", hunt_budget, "total time (30s, 5m)")
      ->capture_default_str()
      ->check(DurationValidator());
  hunt_app
      ->add_option("--seed", hunt_options.seed,
                   "seed of the trial configurations, 0..2^53-1 (default: random)")
      ->check(CLI::Range(uint64_t{0}, kMaxSeed));
  hunt_app->add_option("--report", hunt_options.report_path, "JSON report of every trial")
      ->capture_default_str();
  hunt_app->add_flag(
      "--progress", hunt_options.progress,
      "show trials, time left and findings on stderr (default: when it is a terminal)");

  std::vector<std::string> args = WithDefaultSubcommand(app, argc, argv);
  const std::vector<std::string> given = args;
  cmd.argv = args;
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    const std::optional<std::string> unknown = UnknownOptionMessage(app, given);
    std::fprintf(stderr, "bpstress: %s\n", unknown ? unknown->c_str() : e.what());
    return kExitUsage;
  }

  if (list->parsed()) return list_format == "json" ? ListJson() : ListCommand();
  if (std::optional<int> code = run_report_command()) return *code;
  if (selftest->parsed()) return RunSelftest(selftest_options);
  if (contract->parsed()) return ExecuteContract(contract_cmd);
  if (hunt_app->parsed()) {
    hunt_options.budget = *ParseDuration(hunt_budget);
    if (hunt_options.budget.count() == 0) {
      std::fprintf(stderr, "bpstress: hunt: --budget: must be greater than 0\n");
      return kExitUsage;
    }
    hunt_options.seed_given = hunt_app->count("--seed") != 0;
    if (!hunt_options.seed_given) {
      std::random_device rd;
      hunt_options.seed = ((uint64_t{rd()} << 32) ^ rd()) & kMaxSeed;
    }
    return RunHunt(hunt_options);
  }
  if (run->parsed()) {
    cmd.options.duration = *ParseDuration(duration);
    if (cmd.options.ops_per_thread == 0 && cmd.options.duration.count() == 0) {
      std::fprintf(stderr, "bpstress: --duration: must be greater than 0\n");
      return kExitUsage;
    }
    cmd.duration_given = run->count("--duration") != 0;
    if (std::optional<int> code = ApplyHuntOptions(cmd, hunt)) return *code;
    cmd.pools_given = run->count("--pool") != 0;
    if (run->count("--isolate") + run->count("--no-isolate") != 0) {
      cmd.isolate = isolate ? RunCommand::Isolate::kOn : RunCommand::Isolate::kOff;
    }
    if (run->count("--seed") != 0) {
      const std::optional<uint64_t> v = ParseUint(seed);
      if (!v || *v > kMaxSeed) {
        std::fprintf(stderr, "bpstress: --seed: '%s' is not an integer in 0..%llu\n", seed.c_str(),
                     static_cast<unsigned long long>(kMaxSeed));
        return kExitUsage;
      }
      cmd.options.seed = *v;
      cmd.seed_given = true;
    } else {
      // Below 2^53: a double (jq, JavaScript) holds it exactly, so the reproduce step keeps it.
      std::random_device rd;
      cmd.options.seed = ((uint64_t{rd()} << 32) ^ rd()) & kMaxSeed;
    }
    cmd.options.warmup = *ParseDuration(warmup);
    cmd.options.sample_interval = *ParseDuration(sample_interval);
    if (cmd.options.sample_interval < std::chrono::milliseconds(1)) {
      std::fprintf(stderr, "bpstress: --sample-interval: must be at least 1ms\n");
      return kExitUsage;
    }
    if (!max_rss.empty()) cmd.options.max_rss_bytes = *ParseSize(max_rss);
    if (!deadline.empty()) {
      cmd.options.deadline = *ParseDuration(deadline);
      if (cmd.options.deadline.count() == 0) {
        std::fprintf(stderr, "bpstress: --deadline: must be greater than 0\n");
        return kExitUsage;
      }
    }
    cmd.options.touch = touch == "none"   ? Touch::kNone
                        : touch == "head" ? Touch::kHead
                        : touch == "ends" ? Touch::kEnds
                                          : Touch::kFull;
    cmd.touch_given = run->count("--touch") != 0;
    cmd.options.checks = checks == "none"    ? CheckLevel::kNone
                         : checks == "basic" ? CheckLevel::kBasic
                                             : CheckLevel::kFull;
    cmd.options.workload = workload == "json" ? Workload::kJson : Workload::kBytes;
    cmd.format = format == "json" ? OutputFormat::kJson : OutputFormat::kTable;
    cmd.progress = progress == "always"  ? ProgressMode::kAlways
                   : progress == "never" ? ProgressMode::kNever
                                         : ProgressMode::kAuto;
    return ExecuteRun(cmd);
  }
  return kExitUsage;
}

}  // namespace bp
