// Get+put pairs per pool at fixed sizes (64 B, 4 KiB, 64 KiB), on 1 and 2 threads sharing one
// pool. MallocPool is the baseline (new/delete each time), NullPool the floor (the cost of the
// loop itself). One iteration = one Get(n) + one Put; the buffer's first byte is written so the
// storage is touched as a real holder would touch it.
#include <benchmark/benchmark.h>

#include <cstddef>

#include "pool/fixed_pool.h"
#include "pool/malloc_pool.h"
#include "pool/naive_pool.h"
#include "pool/null_pool.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"

namespace bp {
namespace {

// One pool per type for the whole process, shared by the benchmark's threads. Never destroyed:
// benchmark threads may still be finishing when static destructors would run.
template <class P>
P& SharedPool() {
  static P* pool = new P();
  return *pool;
}
template <>
FixedPool& SharedPool<FixedPool>() {
  static FixedPool* pool = new FixedPool(64, 65536);  // the article's bytepool: 64 x 64 KiB
  return *pool;
}

template <class P>
void BM_GetPut(benchmark::State& state) {
  P& pool = SharedPool<P>();
  const auto n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    auto* item = pool.Get(n);
    item->data()[0] = 1;
    benchmark::DoNotOptimize(item);
    pool.Put(item);
  }
  state.SetItemsProcessed(state.iterations());
}

#define BP_POOL_BENCH(P)           \
  BENCHMARK_TEMPLATE(BM_GetPut, P) \
      ->Arg(64)                    \
      ->Arg(4096)                  \
      ->Arg(65536)                 \
      ->Threads(1)                 \
      ->Threads(2)                 \
      ->UseRealTime()

BP_POOL_BENCH(MallocPool);
BP_POOL_BENCH(NullPool);
BP_POOL_BENCH(SizedPool);
BP_POOL_BENCH(SyncBufferPool);
BP_POOL_BENCH(NaivePool);
BP_POOL_BENCH(FixedPool);

}  // namespace
}  // namespace bp
