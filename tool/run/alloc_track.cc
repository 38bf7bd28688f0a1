#include "tool/run/alloc_track.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <new>

#include "tool/run/alloc_track_internal.h"

#ifdef BP_TRACK_WITH_HOOKS
#include <sanitizer/allocator_interface.h>
#endif

namespace bp::alloc_track {

std::atomic<bool> g_active{false};
std::atomic<uint32_t> g_generation{0};

namespace {

// A shard: an open-addressing table with linear probing and backward-shift deletion (no
// tombstones), under a spin lock that yields: with 128 threads on 2 CPUs a holder may be
// preempted, and a waiter must let it run. The critical sections are a few probes long.
struct alignas(64) Shard {
  std::atomic<bool> locked{false};
  Entry* slots = nullptr;
  size_t cap = 0;  // a power of two, or 0
  size_t count = 0;

  void Lock() {
    for (unsigned spins = 0; locked.exchange(true, std::memory_order_acquire); ++spins) {
      while (locked.load(std::memory_order_relaxed)) {
        if (++spins > 64) sched_yield();
      }
    }
  }
  void Unlock() { locked.store(false, std::memory_order_release); }
};

constexpr size_t kShards = 256;
Shard g_shards[kShards];

uint64_t Mix(uintptr_t p) {
  uint64_t h = p >> 4;  // malloc's alignment: the low bits carry nothing
  h *= 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 31);
}

Entry* MapSlots(size_t cap) {
  void* m = mmap(nullptr, cap * sizeof(Entry), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  return m == MAP_FAILED ? nullptr : static_cast<Entry*>(m);
}

void PlaceLocked(Shard& s, const Entry& e) {
  size_t i = (Mix(e.ptr) >> 8) & (s.cap - 1);
  while (s.slots[i].ptr != 0 && s.slots[i].ptr != e.ptr) i = (i + 1) & (s.cap - 1);
  if (s.slots[i].ptr == 0) ++s.count;
  s.slots[i] = e;
}

// False when the table could not grow (no memory): the block goes uncounted.
bool GrowLocked(Shard& s) {
  const size_t cap = s.cap == 0 ? 1024 : s.cap * 2;
  Entry* slots = MapSlots(cap);
  if (slots == nullptr) return false;
  Entry* old = s.slots;
  const size_t old_cap = s.cap;
  s.slots = slots;
  s.cap = cap;
  s.count = 0;
  for (size_t i = 0; i < old_cap; ++i) {
    if (old[i].ptr != 0) PlaceLocked(s, old[i]);
  }
  if (old != nullptr) munmap(old, old_cap * sizeof(Entry));
  return true;
}

// The dynamic linker's code: a thread's first use of a loaded module's thread-local variables
// makes ld.so allocate that thread's block for the module, inside whatever call touched it (a
// pool's get, for a pool with thread-local caches). glibc keeps those blocks with the thread's
// cached stack for the next thread, like an arena: runtime state, not the pool's memory. Set once
// by Start, before any pool call.
uintptr_t g_ldso_begin = 0, g_ldso_end = 0;

int FindDynamicLinker(dl_phdr_info* info, size_t, void*) {
  const char* name = info->dlpi_name;
  if (name == nullptr ||
      (std::strstr(name, "/ld-linux") == nullptr && std::strstr(name, "/ld64.so") == nullptr)) {
    return 0;
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
    g_ldso_begin = info->dlpi_addr + ph.p_vaddr;
    g_ldso_end = g_ldso_begin + ph.p_memsz;
    return 1;
  }
  return 0;
}

}  // namespace

void Insert(const void* p, uint64_t size, uintptr_t site, uint32_t gen) {
  if (site >= g_ldso_begin && site < g_ldso_end) return;
  const uintptr_t key = reinterpret_cast<uintptr_t>(p);
  Shard& s = g_shards[Mix(key) & (kShards - 1)];
  s.Lock();
  if ((s.count + 1) * 2 <= s.cap || GrowLocked(s)) PlaceLocked(s, {key, size, site, gen});
  s.Unlock();
}

// Removes p's record; true (and the record in *out) when it had one.
bool Take(const void* p, Entry* out) {
  const uintptr_t key = reinterpret_cast<uintptr_t>(p);
  Shard& s = g_shards[Mix(key) & (kShards - 1)];
  s.Lock();
  bool found = false;
  if (s.count != 0) {
    const size_t mask = s.cap - 1;
    size_t i = (Mix(key) >> 8) & mask;
    while (s.slots[i].ptr != 0 && s.slots[i].ptr != key) i = (i + 1) & mask;
    if (s.slots[i].ptr == key) {
      found = true;
      if (out != nullptr) *out = s.slots[i];
      // Backward shift: move later members of the probe run into the hole.
      size_t hole = i;
      for (size_t j = (i + 1) & mask; s.slots[j].ptr != 0; j = (j + 1) & mask) {
        const size_t home = (Mix(s.slots[j].ptr) >> 8) & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
          s.slots[hole] = s.slots[j];
          hole = j;
        }
      }
      s.slots[hole].ptr = 0;
      --s.count;
    }
  }
  s.Unlock();
  return found;
}

namespace {

#ifdef BP_TRACK_WITH_HOOKS
extern "C" void BpTrackMallocHook(const volatile void* p, size_t size) {
  OnAlloc(const_cast<const void*>(p), size, 0);
}
extern "C" void BpTrackFreeHook(const volatile void* p) { OnFree(const_cast<const void*>(p)); }
#endif

}  // namespace

bool Start() {
#ifdef BP_TRACK_WITH_HOOKS
  static const bool installed =
      __sanitizer_install_malloc_and_free_hooks(BpTrackMallocHook, BpTrackFreeHook) != 0;
  if (!installed) return false;
#endif
  static const bool found_ldso = dl_iterate_phdr(FindDynamicLinker, nullptr) != 0;
  (void)found_ldso;
  g_active.store(true);
  return true;
}

bool Active() { return g_active.load(); }

std::optional<uint64_t> ThreadAllocations() {
#ifdef BP_TRACK_WITH_HOOKS
  return std::nullopt;
#else
  return tls_allocations;
#endif
}

uint32_t NextGeneration() { return g_generation.fetch_add(1) + 1; }

namespace {

struct Block {
  uintptr_t ptr;
  uint64_t size;
  uintptr_t site;
  bool residue;  // of the generation asked about
  bool reached;
};

// The writable data of every loaded module: the roots of the reachability scan.
int AddWritableSegments(struct dl_phdr_info* info, size_t, void* out) {
  auto* ranges = static_cast<std::vector<std::pair<uintptr_t, uintptr_t>>*>(out);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W) == 0) continue;
    const uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
    ranges->emplace_back(begin, begin + ph.p_memsz);
  }
  return 0;
}

// The block whose bytes hold `word`, or blocks.size().
size_t BlockOf(const std::vector<Block>& blocks, uintptr_t word) {
  auto it = std::upper_bound(blocks.begin(), blocks.end(), word,
                             [](uintptr_t w, const Block& b) { return w < b.ptr; });
  if (it == blocks.begin()) return blocks.size();
  --it;
  return word < it->ptr + std::max<uint64_t>(it->size, 1) ? static_cast<size_t>(it - blocks.begin())
                                                          : blocks.size();
}

// Reads memory that is neither the scanner's nor instrumented as such (globals with redzones
// between them, other threads' data): the sanitizers must not check these loads.
#if defined(__clang__)
#define BP_NO_SANITIZE __attribute__((no_sanitize("address", "thread", "memory")))
#else
#define BP_NO_SANITIZE
#endif

BP_NO_SANITIZE void ScanRange(uintptr_t begin, uintptr_t end, std::vector<Block>& blocks,
                              std::vector<size_t>& work) {
  begin = (begin + sizeof(uintptr_t) - 1) & ~(sizeof(uintptr_t) - 1);
  for (uintptr_t a = begin; a + sizeof(uintptr_t) <= end; a += sizeof(uintptr_t)) {
    const uintptr_t word = *reinterpret_cast<const uintptr_t*>(a);
    if (word < blocks.front().ptr || word >= blocks.back().ptr + blocks.back().size + 1) continue;
    const size_t i = BlockOf(blocks, word);
    if (i == blocks.size() || blocks[i].reached) continue;
    blocks[i].reached = true;
    work.push_back(i);
  }
}

// The calling thread's static TLS and thread descriptor (its pthread_setspecific slots): a library
// may keep a per-thread cache there (GLib's slice magazines of the thread that ran destroy). On
// x86-64 the block ends just past the thread pointer and is dl_tls_static_size long; the range is
// clipped to the mapping that holds the thread pointer, so nothing unmapped is read.
void AddOwnThreadBlock(std::vector<std::pair<uintptr_t, uintptr_t>>* roots) {
  using InfoFn = void (*)(size_t*, size_t*);
  static const auto info = reinterpret_cast<InfoFn>(dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info"));
  size_t size = 4096, align = 0;
  if (info != nullptr) info(&size, &align);
  const uintptr_t tp = reinterpret_cast<uintptr_t>(pthread_self());
  uintptr_t begin = tp > size ? tp - size : 0, end = tp + 4096;
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return;
  char line[512];
  bool found = false;
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= tp && tp < hi) {
      begin = std::max<uintptr_t>(begin, lo);
      end = std::min<uintptr_t>(end, hi);
      found = true;
      break;
    }
  }
  std::fclose(maps);
  if (found) roots->emplace_back(begin, end);
}

void MarkReachable(std::vector<Block>& blocks) {
  std::vector<std::pair<uintptr_t, uintptr_t>> roots;
  dl_iterate_phdr(AddWritableSegments, &roots);
  AddOwnThreadBlock(&roots);
  std::vector<size_t> work;
  for (const auto& [begin, end] : roots) ScanRange(begin, end, blocks, work);
  while (!work.empty()) {
    const Block b = blocks[work.back()];
    work.pop_back();
    ScanRange(b.ptr, b.ptr + b.size, blocks, work);
  }
}

}  // namespace

Residue LiveSince(uint32_t since, size_t max_sites) {
  // The blocks are copied out first: nothing may allocate while a shard is locked (a free would
  // look itself up in the locked shard), so the room is reserved before.
  size_t count = 0;
  for (Shard& s : g_shards) {
    s.Lock();
    count += s.count;
    s.Unlock();
  }
  std::vector<Block> blocks;
  blocks.reserve(count);
  for (Shard& s : g_shards) {
    s.Lock();
    for (size_t i = 0; i < s.cap && blocks.size() < count; ++i) {
      const Entry& e = s.slots[i];
      // Every counted block is a node of the scan (an older cycle's cached block may be what
      // links a global to this cycle's); only this cycle's are its residue.
      if (e.ptr != 0) blocks.push_back({e.ptr, e.size, e.site, e.gen >= since, false});
    }
    s.Unlock();
  }
  Residue r;
  if (std::none_of(blocks.begin(), blocks.end(), [](const Block& b) { return b.residue; })) {
    return r;
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const Block& a, const Block& b) { return a.ptr < b.ptr; });
  MarkReachable(blocks);
  for (const Block& b : blocks) {
    if (!b.residue) continue;
    r.bytes += b.size;
    ++r.blocks;
    if (!b.reached) {
      r.unreachable_bytes += b.size;
      ++r.unreachable_blocks;
    }
  }
  // Sites of what is lost when anything is, else of what is kept.
  const bool lost_only = r.unreachable_blocks != 0;
  std::vector<Site> sites;
  std::sort(blocks.begin(), blocks.end(),
            [](const Block& a, const Block& b) { return a.site < b.site; });
  for (const Block& b : blocks) {
    if (!b.residue || (lost_only && b.reached)) continue;
    if (sites.empty() || sites.back().address != b.site) sites.push_back({b.site, 0, 0});
    sites.back().bytes += b.size;
    ++sites.back().blocks;
  }
  std::sort(sites.begin(), sites.end(),
            [](const Site& a, const Site& b) { return a.bytes > b.bytes; });
  if (sites.size() > max_sites) sites.resize(max_sites);
  r.sites = std::move(sites);
  return r;
}

std::string DescribeSite(uintptr_t address) {
  if (address == 0) return "unknown site";
  Dl_info info{};
  // The return address is the instruction after the call: one byte back is inside the call.
  if (dladdr(reinterpret_cast<void*>(address - 1), &info) == 0 || info.dli_fname == nullptr) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(address));
    return hex;
  }
  const char* slash = std::strrchr(info.dli_fname, '/');
  char where[64];
  std::snprintf(
      where, sizeof where, "+0x%llx",
      static_cast<unsigned long long>(address - reinterpret_cast<uintptr_t>(info.dli_fbase)));
  std::string out = std::string(slash != nullptr ? slash + 1 : info.dli_fname) + where;
  if (info.dli_sname != nullptr) out += std::string(" ") + info.dli_sname;
  return out;
}

}  // namespace bp::alloc_track
