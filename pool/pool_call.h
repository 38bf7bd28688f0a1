// bp::PoolCallScope — marks the calling thread as inside one of a pool's own calls.
//
// The leak accounting of bpstress (tool/run/alloc_track.h) counts what a pool allocates and never
// frees: an allocation is the pool's when it is made while the allocating thread is inside the
// pool's create, get, put or destroy. Whoever calls into a pool opens a scope around exactly that
// call: the runner around a built-in pool's calls, PluginPool around the plugin's function
// pointers only (its own wrapper cache is the harness's, not the plugin's).
//
// Cost: two stores to a constant-initialised thread-local (no TLS wrapper call, no allocation).
// Thread safety: per thread; scopes nest.
#pragma once

#include <type_traits>

namespace bp {

// True while this thread is inside a pool's call. Read by the allocation hooks.
inline constinit thread_local bool tls_in_pool_call = false;

class PoolCallScope {
 public:
  PoolCallScope() : outer_(tls_in_pool_call) { tls_in_pool_call = true; }
  ~PoolCallScope() { tls_in_pool_call = outer_; }
  PoolCallScope(const PoolCallScope&) = delete;
  PoolCallScope& operator=(const PoolCallScope&) = delete;

 private:
  bool outer_;
};

// A PoolCallScope when kMark is true, nothing when not (the pool marks its own calls, or nothing
// is counted): `PoolCallScopeIf<kMark> in_pool;` before a pool's call.
struct NoPoolCallScope {
  NoPoolCallScope() {}  // user-provided, as PoolCallScope's: a declared scope is not "unused"
};
template <bool kMark>
using PoolCallScopeIf = std::conditional_t<kMark, PoolCallScope, NoPoolCallScope>;

}  // namespace bp
