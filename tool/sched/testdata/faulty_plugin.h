// A built-in faulty pool (pool/faulty/) exposed through the plugin ABI, so that it can be rebuilt
// with the scheduling instrumentation (bp_sched_plugin in cmake/sched.cmake) and put through
// `bpstress sched`: `bpstress selftest` proves sched on these. One adapter per pool type: a .cc
// file includes this header and instantiates BP_FAULTY_PLUGIN(PoolType, "name").
//
// The pool's item (its data() and Cap()) is the buffer's handle; the ABI's data pointer is the
// item's bytes. No options. No exception crosses the ABI: create catches, get refuses.
#pragma once

#include <bpstress/plugin_abi.h>

#include <cstdio>
#include <exception>
#include <new>

namespace bp::faulty_plugin {

template <typename Pool>
void* Create(const char* options, char* err, size_t err_cap) {
  if (options != nullptr && options[0] != '\0') {
    std::snprintf(err, err_cap, "this pool takes no options (got '%s')", options);
    return nullptr;
  }
  try {
    return new Pool();
  } catch (const std::exception& e) {
    std::snprintf(err, err_cap, "%s", e.what());
    return nullptr;
  }
}

template <typename Pool>
void Destroy(void* pool) {
  delete static_cast<Pool*>(pool);
}

template <typename Pool>
int Get(void* pool, size_t size, bp_buffer* out) {
  try {
    typename Pool::Item* item = static_cast<Pool*>(pool)->Get(size);
    if (item == nullptr) return 1;
    out->data = item->data();
    out->cap = item->Cap();
    out->handle = item;
    return 0;
  } catch (const std::bad_alloc&) {
    return 1;
  }
}

template <typename Pool>
void Put(void* pool, bp_buffer* buf) {
  static_cast<Pool*>(pool)->Put(static_cast<typename Pool::Item*>(buf->handle));
}

template <typename Pool>
size_t Retained(void* pool) {
  return static_cast<Pool*>(pool)->Stats().retained_bytes;
}

}  // namespace bp::faulty_plugin

#define BP_FAULTY_PLUGIN(PoolType, pool_name)                               \
  extern "C" BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) {     \
    static const bp_pool_api api = {BP_PLUGIN_ABI_VERSION,                  \
                                    pool_name,                              \
                                    bp::faulty_plugin::Create<PoolType>,    \
                                    bp::faulty_plugin::Destroy<PoolType>,   \
                                    bp::faulty_plugin::Get<PoolType>,       \
                                    bp::faulty_plugin::Put<PoolType>,       \
                                    bp::faulty_plugin::Retained<PoolType>}; \
    return &api;                                                            \
  }
