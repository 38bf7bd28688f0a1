#include "tool/run/run_spec.h"

#include <memory>

#include "tool/run/pool_types.h"
#include "tool/run/runner_impl.h"

namespace bp {
namespace {

// A preallocating pool asking for more than this is a typo, not a test (the machine this runs
// on is shared with the rest of the job).
constexpr uint64_t kMaxPreallocBytes = uint64_t{16} << 30;

PoolRun RunByName(const PoolSpec& spec, const Distribution& dist, const RunOptions& options);

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
  return WithPoolType(spec, [&]<class P>(auto make) { return RunPool<P>(make, dist, options); });
}

}  // namespace

}  // namespace bp
