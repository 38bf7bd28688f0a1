#include "tool/run/run_spec.h"

#include <memory>

#include "pool/pool_list.h"
#include "tool/run/run_spec_parts.h"

namespace bp {

std::optional<std::string> ValidatePoolSpec(const PoolSpec& spec) {
  return spec.entry->validate(spec);
}

std::optional<std::string> ValidateRunOptions(const PoolSpec& spec, const RunOptions& options) {
  if (!spec.entry->cross_thread && options.cross_thread > 0) {
    return std::string("--cross-thread is not supported: the floor has no cross-thread path");
  }
  if (!spec.entry->cross_thread && options.churn != 0 && options.hold != 0) {
    return std::string(
        "--churn with --hold is not supported: a held buffer would be put by the next thread, and "
        "the floor has no cross-thread path");
  }
  if (std::string_view(spec.entry->name) == AbaPool::kName && options.workload == Workload::kJson) {
    return std::string("--workload json is not supported: its blocks have no length");
  }
  return std::nullopt;
}

namespace {

PoolRun RunByName(const PoolSpec& spec, const Distribution& dist, const RunOptions& options) {
  return spec.entry->faulty ? internal::RunFaultyPool(spec, dist, options)
                            : internal::RunCorrectPool(spec, dist, options);
}

}  // namespace

PoolRun RunSpec(const PoolSpec& spec, const Distribution& dist, const RunOptions& options) {
  PoolRun run = RunByName(spec, dist, options);
  run.name = spec.entry->name;
  run.spec = spec.Canonical();
  return run;
}

}  // namespace bp
