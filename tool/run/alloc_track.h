// Leak evidence: the allocations a pool makes inside its own calls, and which of them it never
// frees.
//
// A heap total cannot say whose memory it is: the C library's per-thread caches and arenas, the
// harness's own buffers (the json workload's scratch) and other threads all move it. What can be
// counted exactly is every allocation made while the allocating thread is inside one of the pool's
// calls (bp::PoolCallScope, pool/pool_call.h: create, get, put, destroy), attributed to its call
// site, and matched by a free from anywhere (a buffer freed by another thread, by a thread-exit
// destructor or by the harness still counts as freed). What is left after destroy is what the pool
// lost — or keeps on purpose in a global cache, which the next cycle tells apart
// (tool/run/leak_cycles.h). Arena overhead never counts: only bytes requested by calls made inside
// the pool are recorded, and arenas are not handed out by malloc.
//
// How allocations are seen:
//   - release builds: malloc, calloc, realloc, reallocarray, free, posix_memalign, aligned_alloc,
//     memalign, valloc, pvalloc and the global operator new/delete are defined by this program and
//     forward to the next definition (the C library's, or the --allocator library in LD_PRELOAD).
//     The site is the caller's return address. realloc of a counted block keeps it counted.
//   - ASan and TSan builds: the sanitizer's malloc/free hooks (the sanitizer owns malloc there);
//     sites are not known (0), and a realloc outside the pool's calls ends the block's record.
//
// Cost: with counting off, one thread-local load per allocation and one relaxed global load per
// free. With counting on, an allocation inside a pool call and every free in the process look the
// pointer up in a table of 256 shards under a spin lock (shard chosen by the pointer's hash).
//
// Thread safety: Start/NextGeneration/LiveSince from the controlling thread while no pool call
// runs; the hooks from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bp::alloc_track {

// Turns counting on for the rest of the process (later calls change nothing). It stays on
// between runs so that every block a pool's calls made stays known while it lives: a cache's
// blocks from an earlier run link its globals to this run's blocks, and the reachability scan
// must be able to follow them. False when this build cannot count (the sanitizer refused hooks).
bool Start();
bool Active();

// Records made from now on carry the returned generation (a cycle's own allocations are those of
// its generation and later).
uint32_t NextGeneration();

struct Site {
  uintptr_t address = 0;  // the caller's return address; 0: unknown (sanitizer builds)
  uint64_t bytes = 0;
  uint64_t blocks = 0;
};
struct Residue {
  uint64_t bytes = 0;
  uint64_t blocks = 0;
  // Of those, the blocks that nothing points to: no word of a loaded module's writable data
  // (globals, statics) or of the calling thread's static TLS and thread descriptor holds an
  // address inside them, directly or through other counted blocks (a conservative scan, as
  // LeakSanitizer's, without stacks and registers: the pool's threads have ended). A cache keeps
  // its blocks reachable from its globals; a lost block is not.
  uint64_t unreachable_bytes = 0;
  uint64_t unreachable_blocks = 0;
  // Largest first, at most max_sites: the sites of the unreachable blocks when there are any,
  // else of the whole residue.
  std::vector<Site> sites;
};
// The counted blocks of generation `since` or later that are still allocated. Call with no pool
// call running (the scan reads every counted block).
Residue LiveSince(uint32_t since, size_t max_sites);

// How many allocations (the malloc family and operator new) this thread has made so far, in
// builds where this program defines the allocation functions (release); nullopt in sanitizer
// builds, whose runtime owns them. A test asserts with it that a stretch of code allocates nothing.
std::optional<uint64_t> ThreadAllocations();

// "module+0xOFFSET symbol" for a site (dladdr: cheap, no file:line); "unknown site" for 0.
std::string DescribeSite(uintptr_t address);

}  // namespace bp::alloc_track
