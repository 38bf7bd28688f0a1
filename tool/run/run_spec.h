// Running a built-in pool from its parsed spec: the spec's option values and the run options are
// checked against the pool, then the pool runs at its static type (WithPoolType,
// tool/run/pool_types.h), so the runner's loop is instantiated per type without virtual calls.
#pragma once

#include <optional>
#include <string>

#include "pool/registry.h"
#include "tool/run/dist.h"
#include "tool/run/runner.h"

namespace bp {

// Checks the option values of a spec beyond their syntax (min <= max, count >= 1, memory a
// preallocating pool would take). Returns a one-line problem, or nullopt when the spec is fine.
std::optional<std::string> ValidatePoolSpec(const PoolSpec& spec);

// Checks that the run options suit the pool (the null pool has no cross-thread path).
std::optional<std::string> ValidateRunOptions(const PoolSpec& spec, const RunOptions& options);

// Runs the pool the spec names. The spec must have passed ValidatePoolSpec.
PoolRun RunSpec(const PoolSpec& spec, const Distribution& dist, const RunOptions& options);

}  // namespace bp
