#include "tool/sched/campaign.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include "pool/plugin.h"
#include "tool/sched/harness.h"
#include "tool/sched/rng.h"

namespace bp::sched {
namespace {

// What a child leaves for its parent (MAP_SHARED, before fork).
struct Shared {
  Record record;
  uint64_t plugin_base = 0;
  uint64_t ops = 0;  // in those schedules
  uint64_t schedule_seed = 0;
  uint64_t expected_steps = 0;
  double cpu_seconds = 0;
  uint32_t status = 0;  // kClean, kFound, kError
  uint64_t finding_step = 0;
  int32_t finding_thread = -1;
  char kind[32] = "";
  char message[1024] = "";
};
constexpr uint32_t kClean = 0, kFound = 1, kError = 2;

class SharedMap {
 public:
  SharedMap() {
    void* p =
        mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shared_ = p == MAP_FAILED ? nullptr : new (p) Shared;
  }
  ~SharedMap() {
    if (shared_ != nullptr) munmap(shared_, sizeof(Shared));
  }
  Shared* get() { return shared_; }

 private:
  Shared* shared_;
};

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void Copy(char* dst, size_t cap, const std::string& s) { std::snprintf(dst, cap, "%s", s.c_str()); }

void Report(Shared* sh, const Finding& f) {
  sh->status = f.kind == "create_failed" ? kError : kFound;
  Copy(sh->kind, sizeof sh->kind, f.kind);
  Copy(sh->message, sizeof sh->message, f.message);
  sh->finding_step = f.step != 0 ? f.step : sh->record.steps;
  sh->finding_thread = f.thread;
}

// In the child: loads the plugin, or reports why not.
const bp_pool_api* LoadInChild(Shared* sh, const std::string& path) {
  std::string error;
  static std::shared_ptr<PluginLibrary> library;  // kept until the child exits
  library = PluginLibrary::Load(path, &error);
  if (library == nullptr) {
    sh->status = kError;
    Copy(sh->message, sizeof sh->message, error);
    return nullptr;
  }
  Dl_info info;
  if (dladdr(&library->api(), &info) != 0) {
    sh->plugin_base = reinterpret_cast<uint64_t>(info.dli_fbase);
  }
  return &library->api();
}

// Runs body() in a forked child; returns its wait status, or -1 when it made no progress (no
// step, no new schedule, no change of phase) for `stall` seconds: it is then killed, and
// *stalled_in says where it stood.
template <typename Body>
int RunChild(const Record& record, double stall, std::string* stalled_in, Body body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int code = body();
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  uint64_t last[3] = {UINT64_MAX, 0, 0};
  timespec since;
  clock_gettime(CLOCK_MONOTONIC, &since);
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    const uint64_t now_state[3] = {__atomic_load_n(&record.steps, __ATOMIC_RELAXED),
                                   record.schedules, record.phase};
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!std::equal(std::begin(now_state), std::end(now_state), std::begin(last))) {
      std::copy(std::begin(now_state), std::end(now_state), std::begin(last));
      since = now;
    } else if (static_cast<double>(now.tv_sec - since.tv_sec) > stall) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      static const char* const kPhases[] = {"setup (create, prefill)", "run",
                                            "end (put back, drain, destroy)"};
      *stalled_in = std::string("no progress for ") + std::to_string(static_cast<int>(stall)) +
                    " s in the " + kPhases[std::min<uint64_t>(now_state[2], 2)] + " of schedule " +
                    std::to_string(now_state[1]) + ": the child was killed";
      return -1;
    }
    const timespec tick = {0, 2 * 1000 * 1000};
    nanosleep(&tick, nullptr);
  }
}

// A child that ended without writing a finding: a crash, or the parent's timeout.
void NoteAbnormalEnd(Shared* sh, int status, const std::string& stalled_in) {
  if (sh->status != kClean) return;
  if (status == -1) {
    sh->status = kFound;
    Copy(sh->kind, sizeof sh->kind, "hang");
    Copy(sh->message, sizeof sh->message, stalled_in);
  } else if (WIFSIGNALED(status)) {
    sh->status = kFound;
    Copy(sh->kind, sizeof sh->kind, "crashed");
    std::snprintf(sh->message, sizeof sh->message, "signal %d (%s)", WTERMSIG(status),
                  strsignal(WTERMSIG(status)));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    sh->status = kFound;
    Copy(sh->kind, sizeof sh->kind, "crashed");
    std::snprintf(sh->message, sizeof sh->message, "the process exited with status %d",
                  WEXITSTATUS(status));
  } else {
    return;
  }
  sh->finding_step = sh->record.steps;
}

Finding FindingOf(const Shared* sh) {
  return {sh->kind, sh->message, sh->finding_step, sh->finding_thread};
}

std::vector<Event> EventsOf(const Record& r) {
  std::vector<Event> out;
  const uint64_t n = std::min<uint64_t>(r.ring_pos, Record::kRing);
  for (uint64_t i = r.ring_pos - n; i < r.ring_pos; ++i) out.push_back(r.ring[i % Record::kRing]);
  return out;
}

uint64_t Mix(uint64_t seed, uint64_t index) {
  SplitMix rng(seed ^ (index * 0x9e3779b97f4a7c15ULL));
  return rng.Next();
}

}  // namespace

CampaignResult RunCampaign(const CampaignOptions& o) {
  CampaignResult result;
  SharedMap map;
  Shared* sh = map.get();
  if (sh == nullptr) {
    result.error = "cannot map memory for the child's record";
    return result;
  }
  std::string stalled_in;
  const int status = RunChild(sh->record, 2 * o.hang_seconds + 30, &stalled_in, [&]() -> int {
    const bp_pool_api* api = LoadInChild(sh, o.plugin);
    if (api == nullptr) return 0;
    uint64_t expected = 0;
    for (uint64_t i = 0; o.max_schedules == 0 || i < o.max_schedules; ++i) {
      if (CpuSeconds() >= o.budget_seconds) break;
      const uint64_t seed = Mix(o.seed, i);
      const Workload w = DrawWorkload(seed, o.threads, o.ops);
      // PCT's k: the longest schedule so far, or a guess from the op count before the first.
      if (expected == 0) expected = w.OpCount() * (o.all_points ? 12 : 4);
      sh->schedule_seed = seed;
      sh->expected_steps = expected;
      ScheduleRun run;
      run.api = api;
      run.options = o.options;
      run.workload = &w;
      run.config.depth = o.depth;
      run.config.seed = seed;
      run.config.all_points = o.all_points;
      run.config.expected_steps = expected;
      run.config.hang_seconds = o.hang_seconds;
      Finding finding;
      const bool clean = RunOneSchedule(run, &sh->record, &finding);
      sh->ops += w.OpCount();
      sh->cpu_seconds = CpuSeconds();
      if (!clean) {
        Report(sh, finding);
        return 0;
      }
      expected = std::max(expected, sh->record.steps);
    }
    return 0;
  });
  NoteAbnormalEnd(sh, status, stalled_in);
  result.schedules = sh->record.schedules;
  result.cpu_seconds = sh->cpu_seconds;
  result.ops = sh->ops;
  if (sh->status == kError) {
    result.error = sh->message;
    return result;
  }
  if (sh->status != kFound) return result;
  result.found = true;
  ScheduleFile& f = result.file;
  f.plugin = o.plugin;
  f.options = o.options;
  f.seed = sh->schedule_seed;
  f.depth = o.depth;
  f.all_points = o.all_points;
  f.expected_steps = sh->expected_steps;
  f.workload = DrawWorkload(sh->schedule_seed, o.threads, o.ops);
  f.trace = TraceOf(sh->record);
  f.finding = FindingOf(sh);
  f.steps = sh->record.steps;
  f.preemptions = sh->record.preemptions;
  return result;
}

ReplayResult Replay(const ScheduleFile& file, int tries, double hang_seconds) {
  ReplayResult result;
  SharedMap map;
  Shared* sh = map.get();
  if (sh == nullptr) {
    result.error = "cannot map memory for the child's record";
    return result;
  }
  std::string stalled_in;
  const int status = RunChild(sh->record, 2 * hang_seconds + 30, &stalled_in, [&]() -> int {
    const bp_pool_api* api = LoadInChild(sh, file.plugin);
    if (api == nullptr) return 0;
    for (int t = 0; t <= tries; ++t) {
      ScheduleRun run;
      run.api = api;
      run.options = file.options;
      run.workload = &file.workload;
      run.config.depth = file.depth;
      run.config.seed = t == 0 ? file.seed : Mix(file.seed, 1000003 + t);
      run.config.all_points = file.all_points;
      run.config.expected_steps = file.expected_steps;
      run.config.hang_seconds = hang_seconds;
      run.config.replay = t == 0 ? &file.trace : nullptr;
      Finding finding;
      if (!RunOneSchedule(run, &sh->record, &finding)) {
        Report(sh, finding);
        return 0;
      }
    }
    return 0;
  });
  NoteAbnormalEnd(sh, status, stalled_in);
  result.plugin_base = sh->plugin_base;
  if (sh->status == kError) {
    result.error = sh->message;
    return result;
  }
  result.file = file;
  result.file.trace = TraceOf(sh->record);
  result.file.steps = sh->record.steps;
  result.file.preemptions = sh->record.preemptions;
  result.events = EventsOf(sh->record);
  if (sh->status == kFound) {
    result.failed = true;
    result.file.finding = FindingOf(sh);
  }
  return result;
}

bool ReplayHere(const ScheduleFile& file, bool* failed, std::string* error) {
  std::shared_ptr<PluginLibrary> library = PluginLibrary::Load(file.plugin, error);
  if (library == nullptr) return false;
  auto record = std::make_unique<Record>();
  ScheduleRun run;
  run.api = &library->api();
  run.options = file.options;
  run.workload = &file.workload;
  run.config.depth = file.depth;
  run.config.seed = file.seed;
  run.config.all_points = file.all_points;
  run.config.expected_steps = file.expected_steps;
  run.config.replay = &file.trace;
  run.config.trap_on_finding = true;
  run.config.hang_seconds = 1e9;  // a debugger may hold a thread for as long as it likes
  Finding finding;
  *failed = !RunOneSchedule(run, record.get(), &finding);
  if (*failed && finding.kind == "create_failed") {
    *error = finding.message;
    return false;
  }
  return true;
}

}  // namespace bp::sched
