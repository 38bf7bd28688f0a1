#include "tool/dispatch.h"

#include <memory>

#include "pool/fixed_pool.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"
#include "tool/runner_impl.h"

namespace bp {
namespace {

// A preallocating pool asking for more than this is a typo, not a test (the machine this runs
// on is shared with the rest of the job).
constexpr uint64_t kMaxPreallocBytes = uint64_t{16} << 30;

template <class P, class Make>
PoolRun Run(Make&& make, const Distribution& dist, const RunOptions& options) {
  return RunPool<P>(std::forward<Make>(make), dist, options);
}

SyncPoolOptions SyncOptions(const PoolSpec& spec) {
  SyncPoolOptions o;
  o.max_retained_bytes = spec.Value("retain");
  return o;
}

}  // namespace

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
    if (count > (1u << 24)) return std::string("count must be <= 16777216");
    if (capacity > kMaxPreallocBytes || count * capacity > kMaxPreallocBytes) {
      return "count x capacity = " + std::to_string(count * capacity) +
             " bytes would be preallocated; the limit is 16 GiB";
    }
  } else if (name == "naive") {
    if (spec.Value("capacity") > kMaxPreallocBytes) return std::string("capacity too large");
  }
  return std::nullopt;
}

PoolRun RunSpec(const PoolSpec& spec, const Distribution& dist, const RunOptions& options) {
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
  std::abort();  // every registry entry has a case above
}

}  // namespace bp
