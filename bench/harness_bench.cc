// The harness floor against the loop it cannot beat, in one binary: a bare loop that samples a
// size and pops/pushes a thread-local free list (what any stress loop must do per op), the
// runner's own loop around the null pool (RunSpec, the code `bpstress run` executes), and the
// runner around `sized`, `fixed` and `malloc`, all on random65k with --touch none --checks none.
// One iteration = one op; the runner benchmarks run 2M ops per thread per iteration and report
// ns_per_op (wall time of a thread per op, as `bpstress run` does) and cpu_ns_per_op (CPU time of
// the whole process per op: on a machine other jobs load, the CPU a op costs is steadier than the
// wall clock, and for 2 threads it includes what the cores lose fighting over shared lines).
// The bare loop's CPU column is its cpu_ns_per_op.
//
// Ratios are what count on a shared machine: run with
//   harness_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
// and compare medians (interleaving spreads machine noise over every benchmark alike).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>
#include <string>
#include <variant>

#include "pool/registry.h"
#include "tool/run/dist.h"
#include "tool/run/run_spec.h"
#include "tool/run/runner.h"

namespace bp {
namespace {

const Distribution& Random65k() {
  static const Distribution* dist =
      new Distribution(std::get<Distribution>(Distribution::Parse("random65k")));
  return *dist;
}

struct Node {
  Node* next;
  uint64_t n;
};

// The bare loop: a size from the same sampler the runner uses, and a node popped from and pushed
// back onto a thread-local free list (the stand-in for a pool that costs nothing).
void BM_BareLoop(benchmark::State& state) {
  Distribution::Sampler sampler = Random65k().MakeSampler(1, 0, 1);
  static thread_local Node nodes[16];
  static thread_local Node* free_list = nullptr;
  for (Node& node : nodes) {
    node.next = free_list;
    free_list = &node;
  }
  uint64_t sum = 0;
  for (auto _ : state) {
    const uint64_t n = sampler.Next();
    Node* node = free_list;
    free_list = node->next;
    node->n = n;
    benchmark::DoNotOptimize(node);
    sum += node->n;
    node->next = free_list;
    free_list = node;
  }
  benchmark::DoNotOptimize(sum);
  free_list = nullptr;
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareLoop);

constexpr uint64_t kOpsPerRun = 2'000'000;
constexpr uint64_t kOpsPerTouchedRun = 100'000;  // --touch full writes 32 KiB per op on average

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

// `bpstress run --pool SPEC --threads T --touch none --checks none --dist random65k`, 2M ops per
// thread; reports nanoseconds per op per thread.
void RunTool(benchmark::State& state, const char* spec_text, Touch touch = Touch::kNone,
             CheckLevel checks = CheckLevel::kNone) {
  std::string error;
  const std::optional<PoolSpec> spec = ParsePoolSpec(spec_text, &error);
  if (!spec) {
    state.SkipWithError(error.c_str());
    return;
  }
  RunOptions o;
  o.threads = static_cast<unsigned>(state.range(0));
  o.ops_per_thread = touch == Touch::kFull ? kOpsPerTouchedRun : kOpsPerRun;
  o.touch = touch;
  o.checks = checks;
  uint64_t ops = 0, all_ops = 0;
  double seconds = 0, cpu = 0;
  for (auto _ : state) {
    const double cpu0 = ProcessCpuSeconds();
    const PoolRun run = RunSpec(*spec, Random65k(), o);
    cpu += ProcessCpuSeconds() - cpu0;
    all_ops += run.total.ops;
    ops += run.total.ops / o.threads;
    seconds += run.seconds;
    o.seed++;
  }
  state.counters["ns_per_op"] = ops == 0 ? 0 : seconds * 1e9 / static_cast<double>(ops);
  state.counters["cpu_ns_per_op"] = all_ops == 0 ? 0 : cpu * 1e9 / static_cast<double>(all_ops);
  state.SetItemsProcessed(static_cast<int64_t>(ops));
}

void BM_Tool_null(benchmark::State& state) { RunTool(state, "null"); }
void BM_Tool_sized(benchmark::State& state) { RunTool(state, "sized"); }
// 64 items, not the default 1024 x 64 KiB: building 64 MiB of items per run would dominate the
// CPU column; with 8 cached per thread the shared stack is still what 2 threads would contend on.
void BM_Tool_fixed(benchmark::State& state) { RunTool(state, "fixed:count=64"); }
void BM_Tool_malloc(benchmark::State& state) { RunTool(state, "malloc"); }
// What full checking costs over none, both writing every byte (--touch full).
void BM_Tool_sized_touch_full_checks_none(benchmark::State& state) {
  RunTool(state, "sized", Touch::kFull, CheckLevel::kNone);
}
void BM_Tool_sized_touch_full_checks_full(benchmark::State& state) {
  RunTool(state, "sized", Touch::kFull, CheckLevel::kFull);
}
BENCHMARK(BM_Tool_sized_touch_full_checks_none)->Arg(1)->UseRealTime();
BENCHMARK(BM_Tool_sized_touch_full_checks_full)->Arg(1)->UseRealTime();
BENCHMARK(BM_Tool_null)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Tool_sized)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Tool_fixed)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK(BM_Tool_malloc)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace bp
