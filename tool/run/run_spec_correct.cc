#include "tool/run/pool_types.h"
#include "tool/run/run_spec_parts.h"
#include "tool/run/runner_impl.h"

namespace bp::internal {

PoolRun RunCorrectPool(const PoolSpec& spec, const Distribution& dist, const RunOptions& options) {
  return WithPoolTypeIn(CorrectPools{}, spec,
                        [&]<class P>(auto make) { return RunPool<P>(make, dist, options); });
}

}  // namespace bp::internal
