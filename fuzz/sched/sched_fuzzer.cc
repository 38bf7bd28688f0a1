// Schedule fuzzing: libFuzzer drives the workload and the thread switches of one instrumented
// plugin under the deterministic scheduler (tool/sched/), so a search for a race scales to many
// cores and machines (ClusterFuzzLite: examples/sched-fuzz/).
//
//   BP_SCHED_PLUGIN=./libmypool_sched.so[:OPTIONS] ./sched_fuzzer corpus/ -artifact_prefix=out/
// (without BP_SCHED_PLUGIN: ./sched_fuzzer_plugin.so, the fuzzer's own path + "_plugin.so").
//
// The plugin is built with bp_sched_plugin(NAME SRC FUZZ) (-fsanitize=thread for the hooks,
// -fsanitize=fuzzer-no-link for coverage). Feedback is the plugin's own coverage plus
// interleaving coverage: one extra counter per (where the running thread was switched away,
// where the next one resumes) pair of scheduling points.
//
// Input: [threads] [prefill] then per thread [n] [n op bytes], then switches of 3 bytes each
// (thread, its point count, the thread to switch to), followed in order as a replay trace
// (scheduler.h): a switch that does not apply is skipped. A finding (double hand-out, corruption,
// deadlock, a crash of the pool is libFuzzer's own) writes a schedule file for `bpstress replay`
// next to the crash (-artifact_prefix, else the current directory) and aborts; running the
// fuzzer on a crash file writes it again.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bpstress/plugin_abi.h"
#include "tool/sched/harness.h"
#include "tool/sched/schedule.h"
#include "tool/sched/scheduler.h"

namespace {

using bp::sched::Op;
using bp::sched::Workload;

constexpr size_t kCounters = 1 << 16;
__attribute__((section("__libfuzzer_extra_counters"))) uint8_t g_interleavings[kCounters];

const bp_pool_api* g_api = nullptr;
std::string g_plugin, g_options, g_prefix;
uint64_t g_base = 0;  // the plugin's load address: counters keyed by offsets stay comparable

void OnSwitch(uint64_t from_pc, uint64_t to_pc) {
  const uint64_t a = from_pc - g_base, b = to_pc - g_base;
  uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  h ^= h >> 29;
  uint8_t& c = g_interleavings[h % kCounters];
  if (c != 255) ++c;
}

// A byte reader that yields 0 past the end.
struct Bytes {
  const uint8_t* p;
  size_t n, i = 0;
  uint8_t Next() { return i < n ? p[i++] : 0; }
  bool More() const { return i < n; }
};

Workload DecodeWorkload(Bytes* in) {
  Workload w;
  w.threads = 2 + in->Next() % 3;
  w.prefill = in->Next() % 5;
  w.prefill_size = 64;
  w.ops.resize(w.threads);
  for (auto& ops : w.ops) {
    const int n = 1 + in->Next() % 6;
    for (int j = 0; j < n; ++j) {
      const uint8_t b = in->Next();
      Op op;
      op.get = (b & 1) == 0;
      op.value = op.get ? 16u << ((b >> 1) % 4) : (b >> 1) % 3;
      ops.push_back(op);
    }
  }
  return w;
}

std::vector<bp::sched::Switch> DecodeSwitches(Bytes* in, int threads) {
  std::vector<bp::sched::Switch> trace;
  while (in->More()) {
    bp::sched::Switch s{};
    s.from = in->Next() % threads;
    s.from_point = in->Next();
    s.to = in->Next() % threads;
    s.preempt = true;
    if (s.to != s.from) trace.push_back(s);
  }
  return trace;
}

uint64_t Fnv(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp((*argv)[i], "-artifact_prefix=", 17) == 0) g_prefix = (*argv)[i] + 17;
  }
  // Where no environment can be set (ClusterFuzzLite), the plugin is the file next to the
  // fuzzer named after it: out/mypool_fuzzer -> out/mypool_fuzzer_plugin.so.
  const char* spec = std::getenv("BP_SCHED_PLUGIN");
  std::string s = spec != nullptr ? spec : "";
  if (s.empty()) {
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    s = std::string(self, len > 0 ? static_cast<size_t>(len) : 0) + "_plugin.so";
    if (access(s.c_str(), R_OK) != 0) {
      std::fprintf(stderr,
                   "sched_fuzzer: set BP_SCHED_PLUGIN=PATH[:OPTIONS] to a plugin built with "
                   "bp_sched_plugin(NAME SRC FUZZ), or put it at %s\n",
                   s.c_str());
      std::exit(2);
    }
  }
  const size_t slash = s.rfind('/');
  const size_t colon = s.find(':', slash == std::string::npos ? 0 : slash + 1);
  g_plugin = s.substr(0, colon);
  g_options = colon == std::string::npos ? "" : s.substr(colon + 1);
  char real[4096];
  if (realpath(g_plugin.c_str(), real) != nullptr) g_plugin = real;  // the file names it for replay
  void* lib = dlopen(g_plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "sched_fuzzer: cannot load %s: %s\n", g_plugin.c_str(), dlerror());
    std::exit(2);
  }
  using Entry = const bp_pool_api* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(lib, "bp_pool_plugin"));
  g_api = entry != nullptr ? entry() : nullptr;
  if (g_api == nullptr || g_api->abi_version != BP_PLUGIN_ABI_VERSION) {
    std::fprintf(stderr, "sched_fuzzer: %s is not a bpstress plugin of ABI version %u\n",
                 g_plugin.c_str(), BP_PLUGIN_ABI_VERSION);
    std::exit(2);
  }
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(entry), &info) != 0) {
    g_base = reinterpret_cast<uint64_t>(info.dli_fbase);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* record = new bp::sched::Record;
  Bytes in{data, size};
  const Workload workload = DecodeWorkload(&in);
  const std::vector<bp::sched::Switch> trace = DecodeSwitches(&in, workload.threads);
  bp::sched::ScheduleRun run;
  run.api = g_api;
  run.options = g_options;
  run.workload = &workload;
  run.config.replay = &trace;
  run.config.on_switch = OnSwitch;
  run.config.max_steps = 1 << 16;
  bp::sched::Finding finding;
  if (bp::sched::RunOneSchedule(run, record, &finding)) return 0;
  if (finding.kind == "create_failed") {
    std::fprintf(stderr, "sched_fuzzer: %s\n", finding.message.c_str());
    std::exit(2);
  }
  bp::sched::ScheduleFile f;
  f.plugin = g_plugin;
  f.options = g_options;
  f.workload = workload;
  f.trace = bp::sched::TraceOf(*record);
  f.finding = finding;
  f.steps = record->steps;
  f.preemptions = bp::sched::PreemptionsOf(f.trace);
  char name[64];
  std::snprintf(name, sizeof name, "sched-%016llx.json",
                static_cast<unsigned long long>(Fnv(data, size)));
  const std::string path = g_prefix + name;
  std::ofstream(path) << bp::sched::ToJson(f);
  std::fprintf(stderr, "sched_fuzzer: %s: %s\n  schedule: %s\n  replay:   bpstress replay %s\n",
               finding.kind.c_str(), finding.message.c_str(), path.c_str(), path.c_str());
  std::abort();  // libFuzzer saves the input; the workers stay parked
}
