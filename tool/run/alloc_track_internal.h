// The counting table's entry points for the allocation functions (alloc_interpose.cc) and the
// sanitizer hooks (alloc_track.cc): not for other callers. See alloc_track.h.
#pragma once

#include <atomic>
#include <cstdint>

#include "pool/pool_call.h"

// In ASan and TSan builds the sanitizer owns malloc: allocations are seen through its hooks
// (alloc_track.cc) instead of this program's allocation functions (alloc_interpose.cc).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BP_TRACK_WITH_HOOKS 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BP_TRACK_WITH_HOOKS 1
#endif

namespace bp::alloc_track {

// One record per counted block. The table never allocates through malloc (it would call itself):
// its slots are mmapped.
struct Entry {
  uintptr_t ptr;  // 0: an empty slot
  uint64_t size;
  uintptr_t site;
  uint32_t gen;
};

extern std::atomic<bool> g_active;
extern std::atomic<uint32_t> g_generation;

void Insert(const void* p, uint64_t size, uintptr_t site, uint32_t gen);
// Removes p's record; true (and the record in *out) when it had one.
bool Take(const void* p, Entry* out);

// The hooks' two questions, inline: is this allocation the pool's, is anything counted at all.
inline bool Counting() { return g_active.load(std::memory_order_relaxed); }
inline bool PoolsAllocation() { return tls_in_pool_call && Counting(); }

// Every allocation this thread made (ThreadAllocations): one thread-local increment.
inline constinit thread_local uint64_t tls_allocations = 0;

inline void OnAlloc(const void* p, uint64_t size, uintptr_t site) {
  ++tls_allocations;
  if (p != nullptr && PoolsAllocation()) {
    Insert(p, size, site, g_generation.load(std::memory_order_relaxed));
  }
}
inline void OnFree(const void* p) {
  if (p != nullptr && Counting()) Take(p, nullptr);
}

}  // namespace bp::alloc_track
