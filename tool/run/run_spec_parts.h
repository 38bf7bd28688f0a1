// The runner compiled for the built-in pools in two translation units, one per part of the pool
// list: the correct pools (run_spec_correct.cc) and the faulty ones (run_spec_faulty.cc). Each
// pool's loop is instantiated once, and the two parts compile in parallel; RunSpec (run_spec.cc)
// picks the part by the spec's entry.
#pragma once

#include "pool/registry.h"
#include "tool/run/dist.h"
#include "tool/run/runner.h"

namespace bp::internal {

// The spec's entry must be in the part: a correct pool for the first, a faulty one (entry->faulty)
// for the second.
PoolRun RunCorrectPool(const PoolSpec& spec, const Distribution& dist, const RunOptions& options);
PoolRun RunFaultyPool(const PoolSpec& spec, const Distribution& dist, const RunOptions& options);

}  // namespace bp::internal
