#include "tool/cli/hunt.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "build_info.h"
#include "pool/registry.h"
#include "tool/cli/reproduce.h"
#include "tool/process/plugin_probe.h"
#include "tool/process/subprocess.h"
#include "tool/report/report.h"
#include "tool/run/rng.h"
#include "tool/run/run_spec.h"
#include "tool/run/vocabulary.h"
#include "tool/util/exit_codes.h"
#include "tool/util/output_file.h"
#include "tool/util/read_file.h"
#include "tool/util/sysinfo.h"

namespace bp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- The draw table: every knob a trial varies and the values it draws from, uniformly and
// independently. Values repeated in a list are drawn more often (0 = the feature is off). ----
constexpr unsigned kThreads[] = {1, 2, 3, 4, 8, 16, 32, 64, 128, 256};
constexpr const char* kDists[] = {"random65k",        "uniform:1:256",        "pow2:1:1M",
                                  "zipf:1:65536:1.1", "bimodal:64:65536:0.1", "lognormal:4K:1.5",
                                  "fixed:64",         "fixed:4096",           "edges"};
constexpr unsigned kHolds[] = {0, 0, 1, 4, 32};
constexpr double kCrossThread[] = {0, 0, 0.1, 0.5, 1};
constexpr Touch kTouches[] = {Touch::kNone, Touch::kHead, Touch::kFull, Touch::kEnds};
constexpr long kDurationsMs[] = {300, 1000, 2000};
constexpr double kPreemptRates[] = {0, 0, 2000, 20000, 100000};  // interruptions per second
constexpr uint64_t kChurn[] = {0, 0, 0, 100, 10000};             // ops per thread lifetime
constexpr double kDoublePutRates[] = {0, 0, 0, 1e-4, 1e-2};      // --misuse double-put
// Edges trials really allocate their gigabyte sizes (virtual memory touched at the ends): fewer
// threads and held buffers keep the address space they reserve at once in bounds.
constexpr unsigned kEdgesMaxThreads = 64, kEdgesMaxHold = 4;

// The watchdog of a trial's child (--deadline duration + this), and the hunt's own kill of a
// child that outlives even that (a hang outside the pool, e.g. in a destructor).
constexpr auto kTrialDeadline = std::chrono::seconds(5);
constexpr auto kTrialKill = std::chrono::seconds(20);

template <class T, size_t N>
const T& Pick(Rng& rng, const T (&values)[N]) {
  return values[rng.Below(N)];
}

// The largest edges MAX for this host: a power of two at most a quarter of its memory (a pool
// that grows a buffer Go's way asks for up to 3 x MAX at once), 8 GiB at most, and 256 MiB in
// sanitizer builds, whose shadow memory makes every freed gigabyte cost 128 MiB of writes.
uint64_t EdgesMax(uint64_t memory_bytes) {
  if (build::kSanitizers[0] != '\0') return uint64_t{256} << 20;
  const uint64_t quarter = std::max<uint64_t>(memory_bytes / 4, uint64_t{64} << 20);
  return std::min(std::bit_floor(quarter), uint64_t{8} << 30);
}

HuntTrial DrawTrial(Rng& rng, uint64_t memory_bytes) {
  HuntTrial t;
  RunOptions& o = t.options;
  o.threads = Pick(rng, kThreads);
  t.dist = Pick(rng, kDists);
  o.hold = Pick(rng, kHolds);
  o.cross_thread = Pick(rng, kCrossThread);
  o.touch = Pick(rng, kTouches);
  o.duration = milliseconds(Pick(rng, kDurationsMs));
  o.preempt_rate = Pick(rng, kPreemptRates);
  o.churn = Pick(rng, kChurn);
  o.double_put_rate = Pick(rng, kDoublePutRates);
  o.seed = rng.Next() & ((uint64_t{1} << 53) - 1);  // below 2^53: every JSON reader keeps it exact
  if (t.dist == "edges") {
    t.dist = "edges:" + std::to_string(EdgesMax(memory_bytes));
    o.threads = std::min(o.threads, kEdgesMaxThreads);
    o.hold = std::min(o.hold, kEdgesMaxHold);
    if (o.touch == Touch::kFull) o.touch = Touch::kEnds;  // full would write 64 MiB per op
  }
  o.checks = CheckLevel::kFull;
  o.workload = Workload::kBytes;
  o.deadline = o.duration + kTrialDeadline;
  // A trial must not take the machine down: stop (a `limit`, not a finding) at half its memory.
  o.max_rss_bytes = memory_bytes / 2;
  return t;
}

// The last non-empty line of a child's stderr, or the line that names a sanitizer.
std::string StderrLine(const std::string& err) {
  for (const char* marker : {"ERROR: AddressSanitizer", "WARNING: ThreadSanitizer",
                             "ERROR: LeakSanitizer", "runtime error:"}) {
    const size_t at = err.find(marker);
    if (at != std::string::npos) return err.substr(at, err.find('\n', at) - at);
  }
  std::string line;
  std::istringstream in(err);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) line = l;
  }
  return line.substr(0, 300);
}

struct TrialResult {
  std::string outcome;  // clean, violations, crashed, sanitizer, hung, limit, interrupted, error
  int exit_code = 0;    // the child's; 128 + signal when killed
  double seconds = 0;
  std::map<std::string, uint64_t> findings;  // violation kind -> count (also hardening kinds)
  // What happened, in one line: the first violation (kind, time, example) from the trial's
  // report, else the stderr line of a crash, sanitizer report or error.
  std::string detail;
};

// The files a trial child leaves in the work directory: its report, stdout and stderr.
struct TrialFiles {
  std::string report, out, err;
  explicit TrialFiles(const std::string& dir)
      : report(dir + "/trial.json"), out(dir + "/trial.out"), err(dir + "/trial.err") {}
  void Remove() const {
    for (const std::string& f : {report, out, err}) unlink(f.c_str());
  }
};

// "first violation: double_handout at 0.120s, thread 2, op 1234, address 0x7f.., size 100,
// capacity 128, detail 0", from a pool of a run report; "" when it found none.
std::string FirstViolation(const nlohmann::json& pool) {
  const auto examples = pool.find("violation_examples");
  if (examples == pool.end() || !examples->is_array() || examples->empty()) return "";
  const nlohmann::json& e = examples->at(0);
  std::string out = "first violation: " + e.value("kind", std::string("?"));
  const auto first = pool.find("first_violation_s");
  if (first != pool.end() && first->is_number()) {
    char at[32];
    std::snprintf(at, sizeof at, " at %.3fs", first->get<double>());
    out += at;
  }
  for (const char* key : {"thread", "op", "address", "size", "capacity", "detail"}) {
    const auto v = e.find(key);
    if (v == e.end()) continue;
    out += std::string(", ") + key + " " + (v->is_string() ? v->get<std::string>() : v->dump());
  }
  return out;
}

// The findings of a trial's report into r: its violation counts and, under --misuse double-put,
// what the pool did with the repeated puts (a hardening finding). Returns the pool's outcome, or
// "" when the report is missing or unreadable.
std::string ReadTrialReport(const std::string& path, TrialResult* r) {
  try {
    const nlohmann::json pool = nlohmann::json::parse(ReadWholeFile(path)).at("pools").at(0);
    for (const auto& [kind, count] : pool.at("violations").items()) {
      if (count.get<uint64_t>() != 0) r->findings[kind] = count.get<uint64_t>();
    }
    r->detail = FirstViolation(pool);
    if (const uint64_t accepted = pool.value("double_put_accepted", uint64_t{0})) {
      r->findings["double_put_accepted"] = accepted;
    }
    return pool.is_object() ? pool.value("outcome", "") : "";
  } catch (const std::exception&) {
    return "";
  }
}

// The trial's outcome and detail, from how its child ended (killed by the hunt, its exit code),
// the outcome its report gives and its stderr.
void ClassifyTrial(bool killed, std::chrono::nanoseconds kill_after, const std::string& reported,
                   const std::string& err_text, bool misuse, TrialResult* result) {
  TrialResult& r = *result;
  const bool sanitizer = err_text.find("Sanitizer") != std::string::npos ||
                         err_text.find("runtime error:") != std::string::npos;
  if (killed) {
    r.outcome = "hung";
    r.detail = "killed after " + DurationArg(kill_after) + " (no result from the child)";
  } else if (PendingSignal().load() != 0 || r.exit_code == kExitInterrupted) {
    r.outcome = "interrupted";
  } else if (sanitizer && r.exit_code != 0) {
    r.outcome = "sanitizer";
  } else if (r.exit_code > 128 || r.exit_code < 0) {
    r.outcome = "crashed";
    r.detail = r.exit_code > 128 ? std::string("killed by ") + strsignal(r.exit_code - 128)
                                 : "the child could not be waited for";
  } else if (r.exit_code == kExitOk) {
    r.outcome = "clean";
  } else if (r.exit_code == kExitCheckFailed || r.exit_code == kExitLimit) {
    // hung (the child's watchdog) or limit (--max-rss) or violations, as the report says; a
    // child that failed without a report crashed on its way out.
    r.outcome = reported.empty() ? "crashed" : reported == "ok" ? "violations" : reported;
  } else {
    r.outcome = "error";  // a command line the child refused (exit 2) or could not load (3)
  }
  if (r.outcome == "clean") r.detail.clear();
  if (r.detail.empty() && r.outcome != "clean") r.detail = StderrLine(err_text);
  // A pool may crash or stop on a put repeated by a buggy caller (free() aborts on a double free;
  // a free list pushed twice can loop on itself): recorded, but not a finding of the pool.
  if (misuse && IsPartialOutcome(r.outcome)) {
    r.outcome = "misuse_fault";
  }
}

// Runs one trial child: /proc/self/exe with `args`, output to the files of `dir` (TrialFiles),
// killed at `kill`. The files stay for the caller to keep or remove.
TrialResult RunTrial(const std::vector<std::string>& args, const std::string& dir,
                     std::chrono::nanoseconds kill_after, bool misuse) {
  const TrialFiles files(dir);
  const std::string &report = files.report, &out = files.out, &err = files.err;
  std::vector<std::string> argv = {"bpstress"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--report", report, "--progress", "never", "--format", "table"});
  unlink(report.c_str());
  ChildSpec spec;
  spec.path = "/proc/self/exe";
  spec.argv = argv;
  spec.stdout_path = out;
  spec.stderr_path = err;
  std::string spawn_error;
  const pid_t pid = SpawnChild(spec, &spawn_error);
  TrialResult r;
  bool killed = false;
  if (pid < 0) {
    r.exit_code = -1;
  } else {
    // An interrupt reaches the trial as SIGTERM: it writes its report and stops.
    const ChildExit exit = WaitChild(pid, kill_after, [] { return PendingSignal().load() != 0; });
    killed = exit.timed_out;
    r.exit_code = exit.exit_code;
    r.seconds = exit.seconds;
  }
  const std::string reported = ReadTrialReport(report, &r);
  ClassifyTrial(killed, kill_after, reported, ReadWholeFile(err), misuse, &r);
  return r;
}

// Where a finding's evidence is kept: next to the hunt report, "REPORT.trial-N".
std::string EvidenceDir(const std::string& report_path, size_t trial) {
  return report_path + ".trial-" + std::to_string(trial);
}

// Moves the trial's report, stdout and stderr into `to` (report.json, stdout, stderr), replacing
// an older hunt's evidence there. Returns false with a reason when it cannot.
bool KeepEvidence(const TrialFiles& files, const std::string& to, std::string* error) {
  const std::string names[] = {"report.json", "stdout", "stderr"};
  for (const std::string& n : names) unlink((to + "/" + n).c_str());
  if (mkdir(to.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = "cannot create '" + to + "': " + std::strerror(errno);
    return false;
  }
  const std::string* from[] = {&files.report, &files.out, &files.err};
  for (size_t i = 0; i < 3; ++i) {
    if (access(from[i]->c_str(), F_OK) != 0) continue;  // a child killed before its report
    const std::string dest = to + "/" + names[i];
    if (std::rename(from[i]->c_str(), dest.c_str()) != 0) {
      // Another file system: copy.
      std::ofstream(dest, std::ios::binary) << ReadWholeFile(*from[i]);
      unlink(from[i]->c_str());
    }
  }
  return true;
}

nlohmann::json ConfigJson(const HuntTrial& t) {
  const RunOptions& o = t.options;
  return {{"threads", o.threads},
          {"dist", t.dist},
          {"duration_ms", std::chrono::duration_cast<milliseconds>(o.duration).count()},
          {"hold", o.hold},
          {"cross_thread", o.cross_thread},
          {"touch", TouchName(o.touch)},
          {"checks", CheckLevelName(o.checks)},
          {"preempt_rate", o.preempt_rate},
          {"churn", o.churn},
          {"double_put_rate", o.double_put_rate},
          {"seed", o.seed}};
}

// What a hunt has done so far: the running fields of its report.
struct HuntState {
  Clock::time_point start;
  std::string started_at;
  nlohmann::json trials = nlohmann::json::array();
  size_t findings = 0;
  std::string stopped = "budget";
  std::string reproduce;
  int code = kExitOk;
};

// The pool under test: one built-in spec (checked here) or one plugin (loaded once to check it).
std::optional<int> ResolveTarget(const HuntCommand& h, ReproducePool* target,
                                 std::optional<PoolSpec>* spec) {
  if (h.pools.size() + h.plugins.size() != 1) {
    std::fprintf(stderr, "bpstress: hunt: give exactly one pool: --pool SPEC or --plugin PATH\n");
    return kExitUsage;
  }
  if (!h.pools.empty()) {
    std::string error;
    *spec = ParsePoolSpec(h.pools[0], &error);
    if (*spec && h.pools[0] == "all") error = "takes one pool, not 'all'";
    if (!*spec || !error.empty()) {
      std::fprintf(stderr, "bpstress: hunt: --pool %s: %s\n", h.pools[0].c_str(),
                   error.empty() ? "takes one pool, not 'all'" : error.c_str());
      return kExitUsage;
    }
    if (auto problem = ValidatePoolSpec(**spec)) {
      std::fprintf(stderr, "bpstress: hunt: --pool %s: %s\n", h.pools[0].c_str(), problem->c_str());
      return kExitUsage;
    }
    target->value = (*spec)->Canonical();
    return std::nullopt;
  }
  std::string error;
  // Probed in a child; its trials run it isolated, where a crash in create is a finding.
  if (!LoadPluginSpec(h.plugins[0], &error, /*isolated=*/true)) {
    std::fprintf(stderr, "bpstress: hunt: --plugin %s: %s\n", h.plugins[0].c_str(), error.c_str());
    return kExitBadInput;
  }
  target->plugin = true;
  target->value = h.plugins[0];
  return std::nullopt;
}

// A private directory under $TMPDIR for the trials' reports and output.
std::optional<int> MakeWorkDir(std::string* dir) {
  const char* tmp = std::getenv("TMPDIR");
  *dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/bpstress-hunt-XXXXXX";
  if (mkdtemp(dir->data()) == nullptr) {
    std::fprintf(stderr, "bpstress: hunt: cannot create a work directory: %s\n",
                 std::strerror(errno));
    return kExitBadInput;
  }
  return std::nullopt;
}

nlohmann::json HuntReport(const HuntCommand& h, const ReproducePool& target, const HuntState& s) {
  return nlohmann::json{
      {"schema", "bpstress-hunt/1"},
      {"tool",
       {{"name", "bpstress"},
        {"version", build::kVersion},
        {"build_type", build::kBuildType},
        {"sanitizers", build::kSanitizers}}},
      {"started_at", s.started_at},
      {"target", {{target.plugin ? "plugin" : "pool", target.value}}},
      {"seed", h.seed},
      {"seed_given", h.seed_given},
      {"budget_s", std::chrono::duration<double>(h.budget).count()},
      {"seconds", std::chrono::duration<double>(Clock::now() - s.start).count()},
      {"trials_run", s.trials.size()},
      {"findings", s.findings},
      {"stopped", s.stopped},
      {"reproduce", s.reproduce.empty() ? nlohmann::json() : nlohmann::json(s.reproduce)},
      {"exit_code", s.code},
      {"trials", s.trials}};
}

// The next trial drawn, fitted to the budget left and to the pool; nullopt when the budget is
// spent. The trial is drawn either way, so that a seed draws the same sequence.
std::optional<HuntTrial> NextTrial(Rng& rng, uint64_t memory, Clock::duration left,
                                   const std::optional<PoolSpec>& spec) {
  HuntTrial trial = DrawTrial(rng, memory);
  // The last trial is shortened to the budget; a sliver of budget is not worth a trial.
  if (left < milliseconds(200)) return std::nullopt;
  trial.options.duration = std::min<std::chrono::nanoseconds>(
      trial.options.duration, std::chrono::duration_cast<milliseconds>(left));
  trial.options.deadline = trial.options.duration + kTrialDeadline;
  if (spec) {
    if (ValidateRunOptions(*spec, trial.options)) trial.options.cross_thread = 0;
  }
  return trial;
}

std::string Kinds(const std::map<std::string, uint64_t>& findings) {
  std::string kinds;
  for (const auto& [kind, count] : findings) {
    kinds += (kinds.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  }
  return kinds;
}

void PrintFinding(size_t trial, const TrialResult& r, const std::string& line,
                  const std::string& evidence) {
  const std::string kinds = Kinds(r.findings);
  std::printf("finding: trial %zu: %s%s%s%s\n", trial, r.outcome.c_str(), kinds.empty() ? "" : " (",
              kinds.c_str(), kinds.empty() ? "" : ")");
  if (!r.detail.empty()) std::printf("  %s\n", r.detail.c_str());
  std::printf("reproduce: %s\n", line.c_str());
  if (!evidence.empty()) {
    std::printf("evidence: %s/ (report.json, stdout, stderr)\n", evidence.c_str());
  }
}

// Adds trial number `trial` (from 1, as every message and the report number it) to the state;
// true when the hunt stops at it (interrupted, refused, a finding). A finding's report, stdout
// and stderr are moved to its evidence directory; every other trial's files are removed.
bool RecordTrial(size_t trial, const HuntTrial& config, const std::vector<std::string>& args,
                 const std::string& line, const TrialResult& r, const TrialFiles& files,
                 const std::string& report_path, bool progress, HuntState* s) {
  std::string evidence;
  if (IsFindingOutcome(r.outcome)) {
    evidence = EvidenceDir(report_path, trial);
    if (std::string error; !KeepEvidence(files, evidence, &error)) {
      std::fprintf(stderr, "bpstress: hunt: the finding's evidence is lost: %s\n", error.c_str());
      evidence.clear();
    }
  }
  files.Remove();
  s->trials.push_back(
      {{"trial", trial},
       {"config", ConfigJson(config)},
       {"args", args},
       {"reproduce", line},
       {"outcome", r.outcome},
       {"exit_code", r.exit_code},
       {"seconds", r.seconds},
       {"findings", r.findings},
       {"detail", r.detail},
       {"evidence", evidence.empty() ? nlohmann::json() : nlohmann::json(evidence)}});
  if (r.outcome == "interrupted") {
    s->stopped = "interrupted";
    s->code = kExitInterrupted;
    return true;
  }
  if (r.outcome == "error") {
    if (progress) std::fprintf(stderr, "\r%60s\r", "");
    std::fprintf(stderr, "bpstress: hunt: trial %zu was refused (exit %d): %s\n", trial,
                 r.exit_code, r.detail.c_str());
    s->stopped = "error";
    s->code = kExitBadInput;
    return true;
  }
  if (!IsFindingOutcome(r.outcome)) return false;
  ++s->findings;
  s->stopped = "finding";
  s->reproduce = line;
  s->code = kExitCheckFailed;
  if (progress) std::fprintf(stderr, "\r%60s\r", "");
  PrintFinding(trial, r, line, evidence);
  return true;
}

// Trials, one child at a time, until the budget is spent, a finding, a refusal or an interrupt.
void RunTrials(const HuntCommand& h, const ReproducePool& target,
               const std::optional<PoolSpec>& spec, uint64_t memory, const std::string& dir,
               HuntState* s) {
  const bool progress = h.progress || isatty(STDERR_FILENO);
  Rng rng(h.seed, 0x48554E54);
  const Clock::time_point end = s->start + h.budget;
  for (size_t index = 0;; ++index) {
    if (PendingSignal().load() != 0) {
      s->stopped = "interrupted";
      s->code = kExitInterrupted;
      break;
    }
    const auto left = end - Clock::now();
    const std::optional<HuntTrial> trial = NextTrial(rng, memory, left, spec);
    if (!trial) break;
    ReproducePool trial_target = target;
    // Each trial is its configuration, start to end: no hunt phase of its own.
    trial_target.profile = "bench";
    const std::vector<std::string> args = ReproduceArgs(trial_target, trial->dist, trial->options);
    const std::string line = "bpstress " + ShellJoin(args);
    if (progress) {
      std::fprintf(stderr, "\rhunt: trial %zu, %.0fs left, %zu findings ", index + 1,
                   std::max(0.0, std::chrono::duration<double>(left).count()), s->findings);
      std::fflush(stderr);
    }
    const TrialResult r = RunTrial(args, dir, trial->options.duration + kTrialKill,
                                   trial->options.double_put_rate > 0);
    if (RecordTrial(index + 1, *trial, args, line, r, TrialFiles(dir), h.report_path, progress,
                    s)) {
      break;
    }
  }
  if (progress) std::fprintf(stderr, "\r%60s\r", "");
}

// The trial of a hunt report that found something (its last finding), or an error line.
std::optional<nlohmann::json> FindingTrial(const std::string& path, std::string* error) {
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(ReadWholeFile(path));
  } catch (const std::exception&) {
    *error = "cannot read a hunt report from '" + path + "'";
    return std::nullopt;
  }
  if (!report.is_object() || report.value("schema", "") != "bpstress-hunt/1" ||
      !report.contains("trials") || !report["trials"].is_array()) {
    *error = "'" + path + "' is not a hunt report (schema bpstress-hunt/1)";
    return std::nullopt;
  }
  std::optional<nlohmann::json> found;
  for (const nlohmann::json& t : report["trials"]) {
    if (t.is_object() && IsFindingOutcome(t.value("outcome", std::string()))) found = t;
  }
  if (!found) *error = "'" + path + "' has no finding to replay";
  return found;
}

// The replayed trial's words and its kill deadline, from its report entry.
bool ReplayArgs(const nlohmann::json& trial, std::vector<std::string>* args,
                std::chrono::nanoseconds* kill_after, bool* misuse) {
  try {
    for (const nlohmann::json& a : trial.at("args")) args->push_back(a.get<std::string>());
    const nlohmann::json& config = trial.at("config");
    *kill_after = milliseconds(config.at("duration_ms").get<int64_t>()) + kTrialKill;
    *misuse = config.at("double_put_rate").get<double>() > 0;
  } catch (const std::exception&) {
    return false;
  }
  return !args->empty() && (*args)[0] == "run";
}

}  // namespace

int RunHuntReplay(const HuntCommand& h) {
  std::string error;
  const std::optional<nlohmann::json> trial = FindingTrial(h.replay_path, &error);
  std::vector<std::string> args;
  std::chrono::nanoseconds kill_after{};
  bool misuse = false;
  if (trial && !ReplayArgs(*trial, &args, &kill_after, &misuse)) {
    error = "'" + h.replay_path + "': the finding's trial has no valid args and config";
  }
  if (!error.empty()) {
    std::fprintf(stderr, "bpstress: hunt: --replay: %s\n", error.c_str());
    return kExitBadInput;
  }
  const uint64_t number = trial->value("trial", trial->value("index", uint64_t{0}) + 1);
  std::string dir;
  if (std::optional<int> code = MakeWorkDir(&dir)) return *code;
  InstallSignalHandlers();
  std::printf("replay: trial %llu of %s, %u times: bpstress %s\n",
              static_cast<unsigned long long>(number), h.replay_path.c_str(), h.replay_times,
              ShellJoin(args).c_str());
  std::map<std::string, unsigned> outcomes;
  unsigned ran = 0, fired = 0;
  for (; ran < h.replay_times && PendingSignal().load() == 0; ++ran) {
    const TrialResult r = RunTrial(args, dir, kill_after, misuse);
    TrialFiles(dir).Remove();
    if (r.outcome == "interrupted") break;
    ++outcomes[r.outcome];
    const bool finding = IsFindingOutcome(r.outcome);
    fired += finding;
    const std::string kinds = Kinds(r.findings);
    std::printf("  run %u: %s%s%s%s\n", ran + 1, r.outcome.c_str(), kinds.empty() ? "" : " (",
                kinds.c_str(), kinds.empty() ? "" : ")");
    std::fflush(stdout);
  }
  rmdir(dir.c_str());
  std::string summary;
  for (const auto& [outcome, count] : outcomes) {
    summary += (summary.empty() ? "" : ", ") + outcome + " " + std::to_string(count);
  }
  std::printf("replay: trial %llu fired %u of %u times (%s)\n",
              static_cast<unsigned long long>(number), fired, ran, summary.c_str());
  std::fflush(stdout);
  if (ran < h.replay_times) return kExitInterrupted;
  return fired > 0 ? kExitCheckFailed : kExitOk;
}

std::vector<HuntTrial> DrawHuntTrials(uint64_t seed, size_t count, uint64_t memory_bytes) {
  Rng rng(seed, 0x48554E54);  // "HUNT": a stream of its own
  std::vector<HuntTrial> out;
  for (size_t i = 0; i < count; ++i) out.push_back(DrawTrial(rng, memory_bytes));
  return out;
}

int RunHunt(const HuntCommand& h) {
  if (!h.replay_path.empty()) return RunHuntReplay(h);
  ReproducePool target;
  std::optional<PoolSpec> spec;
  if (std::optional<int> code = ResolveTarget(h, &target, &spec)) return *code;
  if (std::string error; !CheckOutputPath(h.report_path, &error)) {
    std::fprintf(stderr, "bpstress: hunt: --report: %s\n", error.c_str());
    return kExitUsage;
  }
  std::string dir;
  if (std::optional<int> code = MakeWorkDir(&dir)) return *code;

  InstallSignalHandlers();
  const uint64_t memory = GetHostInfo().memory_bytes;
  HuntState state;
  state.start = Clock::now();
  state.started_at = UtcTimestamp();
  RunTrials(h, target, spec, memory, dir, &state);
  rmdir(dir.c_str());

  const nlohmann::json report = HuntReport(h, target, state);
  const double seconds = std::chrono::duration<double>(Clock::now() - state.start).count();
  int code = state.code;
  std::string written = h.report_path;
  if (std::string error; !WriteOutput(h.report_path, report.dump(2) + "\n", &error)) {
    std::fprintf(stderr, "bpstress: hunt: --report: %s\n", error.c_str());
    written = "not written";
    code = kExitWriteFailed;
  }
  std::printf("hunt: %zu trials in %.1fs, %zu finding%s (seed %llu); report: %s\n",
              state.trials.size(), seconds, state.findings, state.findings == 1 ? "" : "s",
              static_cast<unsigned long long>(h.seed), written.c_str());
  return code;
}

}  // namespace bp
