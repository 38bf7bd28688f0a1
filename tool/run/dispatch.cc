#include "tool/run/dispatch.h"

#include <memory>

#include "pool/faulty/aba_pool.h"
#include "pool/faulty/double_handout_pool.h"
#include "pool/faulty/exit_flush_pool.h"
#include "pool/faulty/hang_pool.h"
#include "pool/faulty/leak_pool.h"
#include "pool/faulty/race_pool.h"
#include "pool/faulty/round32_pool.h"
#include "pool/faulty/scribble_pool.h"
#include "pool/faulty/short_capacity_pool.h"
#include "pool/faulty/stale_pool.h"
#include "pool/faulty/use_after_put_pool.h"
#include "pool/fixed_pool.h"
#include "pool/malloc_pool.h"
#include "pool/naive_pool.h"
#include "pool/null_pool.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"
#include "tool/run/runner_impl.h"

namespace bp {
namespace {

// A preallocating pool asking for more than this is a typo, not a test (the machine this runs
// on is shared with the rest of the job).
constexpr uint64_t kMaxPreallocBytes = uint64_t{16} << 30;

template <class P, class Make>
PoolRun Run(Make&& make, const Distribution& dist, const RunOptions& options) {
  return RunPool<P>(std::forward<Make>(make), dist, options);
}

// Pools without options.
template <class P>
PoolRun Run(const Distribution& dist, const RunOptions& options) {
  return RunPool<P>([] { return std::make_unique<P>(); }, dist, options);
}

PoolRun RunByName(const PoolSpec& spec, const Distribution& dist, const RunOptions& options);

SyncPoolOptions SyncOptions(const PoolSpec& spec) {
  SyncPoolOptions o;
  o.max_retained_bytes = spec.Value("retain");
  return o;
}

}  // namespace

// Every fixed item costs a FixedBuffer header and a free-list link (about 48 bytes) even when its
// capacity is tiny: past 2^24 items the headers alone pass 800 MB, so a count that large is a typo
// to refuse before the byte limit (kMaxPreallocBytes) would even look at it.
constexpr uint64_t kMaxFixedCount = uint64_t{1} << 24;

std::optional<std::string> ValidatePoolSpec(const PoolSpec& spec) {
  const std::string_view name = spec.entry->name;
  if (name == "sized") {
    std::string error;
    if (spec.Value("min") > spec.Value("max")) {
      return "min (" + std::to_string(spec.Value("min")) + ") must be <= max (" +
             std::to_string(spec.Value("max")) + ")";
    }
    if (spec.Value("max") > SizedPool::kMaxClassSize) {
      return "max must be <= " + std::to_string(SizedPool::kMaxClassSize);
    }
  } else if (name == "fixed") {
    const uint64_t count = spec.Value("count"), capacity = spec.Value("capacity");
    if (count == 0) return std::string("count must be >= 1");
    if (capacity == 0) return std::string("capacity must be >= 1");
    if (count > kMaxFixedCount) return "count must be <= " + std::to_string(kMaxFixedCount);
    if (capacity > kMaxPreallocBytes || count * capacity > kMaxPreallocBytes) {
      return "count x capacity = " + std::to_string(count * capacity) +
             " bytes would be preallocated; the limit is 16 GiB";
    }
  }
  return std::nullopt;
}

std::optional<std::string> ValidateRunOptions(const PoolSpec& spec, const RunOptions& options) {
  if (std::string_view(spec.entry->name) == "null" && options.cross_thread > 0) {
    return std::string("--cross-thread is not supported: the floor has no cross-thread path");
  }
  if (std::string_view(spec.entry->name) == "null" && options.churn != 0 && options.hold != 0) {
    return std::string(
        "--churn with --hold is not supported: a held buffer would be put by the next thread, and "
        "the floor has no cross-thread path");
  }
  if (std::string_view(spec.entry->name) == "faulty:aba" && options.workload == Workload::kJson) {
    return std::string("--workload json is not supported: its blocks have no length");
  }
  return std::nullopt;
}

PoolRun RunSpec(const PoolSpec& spec, const Distribution& dist, const RunOptions& options) {
  PoolRun run = RunByName(spec, dist, options);
  run.name = spec.entry->name;
  run.spec = spec.Canonical();
  return run;
}

namespace {

PoolRun RunByName(const PoolSpec& spec, const Distribution& dist, const RunOptions& options) {
  const std::string_view name = spec.entry->name;
  if (name == "sized") {
    return Run<SizedPool>(
        [&] {
          return std::make_unique<SizedPool>(
              SizedPoolOptions{spec.Value("min"), spec.Value("max"), SyncOptions(spec)});
        },
        dist, options);
  }
  if (name == "fixed") {
    return Run<FixedPool>(
        [&] { return std::make_unique<FixedPool>(spec.Value("count"), spec.Value("capacity")); },
        dist, options);
  }
  if (name == "sync") {
    return Run<SyncBufferPool>([&] { return std::make_unique<SyncBufferPool>(SyncOptions(spec)); },
                               dist, options);
  }
  if (name == "naive") return Run<NaivePool>(dist, options);
  if (name == "malloc") return Run<MallocPool>(dist, options);
  if (name == "null") return Run<NullPool>(dist, options);
  if (name == "faulty:race") return Run<RacePool>(dist, options);
  if (name == "faulty:double-handout") return Run<DoubleHandoutPool>(dist, options);
  if (name == "faulty:short-capacity") return Run<ShortCapacityPool>(dist, options);
  if (name == "faulty:scribble") return Run<ScribblePool>(dist, options);
  if (name == "faulty:use-after-put") return Run<UseAfterPutPool>(dist, options);
  if (name == "faulty:leak") return Run<LeakPool>(dist, options);
  if (name == "faulty:stale") return Run<StalePool>(dist, options);
  if (name == "faulty:aba") return Run<AbaPool>(dist, options);
  if (name == "faulty:exit-flush") return Run<ExitFlushPool>(dist, options);
  if (name == "faulty:hang") return Run<HangPool>(dist, options);
  if (name == "faulty:round32") return Run<Round32Pool>(dist, options);
  std::abort();  // every registry entry has a case above
}

}  // namespace

}  // namespace bp
