// From a pool spec to the pool's static type: WithPoolType(spec, f) calls
// f.template operator()<P>(make) with P the spec's pool type and `make` a callable returning a
// std::unique_ptr<P> built from the spec's options. The one place that names every pool type:
// the stress runner (run_spec.cc) and the contract checker (contract.cc) both go through it, so a
// new pool needs one case here and one row in pool/registry.cc.
//
// The spec must have passed ValidatePoolSpec (run_spec.h). Header-only: each caller instantiates
// its own code per pool type.
#pragma once

#include <cstdlib>
#include <memory>
#include <string_view>

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
#include "pool/registry.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"

namespace bp {

inline SyncPoolOptions SyncOptionsOf(const PoolSpec& spec) {
  SyncPoolOptions o;
  o.max_retained_bytes = spec.Value("retain");
  return o;
}

template <class F>
decltype(auto) WithPoolType(const PoolSpec& spec, F&& f) {
  const std::string_view name = spec.entry->name;
  auto plain = []<class P>() { return [] { return std::make_unique<P>(); }; };
  if (name == "sized") {
    return f.template operator()<SizedPool>([&] {
      return std::make_unique<SizedPool>(
          SizedPoolOptions{spec.Value("min"), spec.Value("max"), SyncOptionsOf(spec)});
    });
  }
  if (name == "fixed") {
    return f.template operator()<FixedPool>(
        [&] { return std::make_unique<FixedPool>(spec.Value("count"), spec.Value("capacity")); });
  }
  if (name == "sync") {
    return f.template operator()<SyncBufferPool>(
        [&] { return std::make_unique<SyncBufferPool>(SyncOptionsOf(spec)); });
  }
  if (name == "naive")
    return f.template operator()<NaivePool>(plain.template operator()<NaivePool>());
  if (name == "malloc") {
    return f.template operator()<MallocPool>(plain.template operator()<MallocPool>());
  }
  if (name == "null") return f.template operator()<NullPool>(plain.template operator()<NullPool>());
  if (name == "faulty:race") {
    return f.template operator()<RacePool>(plain.template operator()<RacePool>());
  }
  if (name == "faulty:double-handout") {
    return f.template operator()<DoubleHandoutPool>(plain.template operator()<DoubleHandoutPool>());
  }
  if (name == "faulty:short-capacity") {
    return f.template operator()<ShortCapacityPool>(plain.template operator()<ShortCapacityPool>());
  }
  if (name == "faulty:scribble") {
    return f.template operator()<ScribblePool>(plain.template operator()<ScribblePool>());
  }
  if (name == "faulty:use-after-put") {
    return f.template operator()<UseAfterPutPool>(plain.template operator()<UseAfterPutPool>());
  }
  if (name == "faulty:leak") {
    return f.template operator()<LeakPool>(plain.template operator()<LeakPool>());
  }
  if (name == "faulty:stale") {
    return f.template operator()<StalePool>(plain.template operator()<StalePool>());
  }
  if (name == "faulty:aba") {
    return f.template operator()<AbaPool>(plain.template operator()<AbaPool>());
  }
  if (name == "faulty:exit-flush") {
    return f.template operator()<ExitFlushPool>(plain.template operator()<ExitFlushPool>());
  }
  if (name == "faulty:round32") {
    return f.template operator()<Round32Pool>(plain.template operator()<Round32Pool>());
  }
  if (name == "faulty:hang") {
    return f.template operator()<HangPool>(plain.template operator()<HangPool>());
  }
  std::abort();  // every registry entry has a case above
}

}  // namespace bp
