// Property: every built-in pool honours the pool contract (pool/pool.h) for any single-threaded
// sequence of get/put/write/clear operations. A model of what the pool may and may not do is kept
// beside it: Get(n) returns an item with Len() == 0, Cap() >= n when kTraits.promises_capacity
// (SizedPool: exactly its class size; FixedPool: exactly its capacity, and a pooled item exactly
// while fewer than `count` pooled items are out), never an item that is already held; the bytes a
// holder wrote are intact when it puts the item back; and at the end gets == hits + misses,
// gets == puts, and a pool that does not pool retains nothing. Any difference aborts.
//
// Input: byte 0 picks the pool; then operations, each an opcode byte and its arguments. Sizes
// are little-endian 16-bit values shifted left by 0..1 and scaled down by 16 (so up to 8 KiB,
// twice the sized pool's top class); at most 64 items are held.
//
// Scale: the pools are built small (sized classes 64 B..4 KiB, sync retention 64 KiB) and sizes
// follow them. What a pool does depends on a size only through its class and the retention bound,
// so every path (each class, above the top class, a drop at the bound, Clear) is reached as with
// the pools' defaults, while a held item stays below ASan's 128 KiB mmap threshold: at 16 times
// these sizes every large Get was an mmap, its page faults and a quarantined unmapping, and the
// target ran a few hundred inputs a second.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "pool/fixed_pool.h"
#include "pool/malloc_pool.h"
#include "pool/naive_pool.h"
#include "pool/null_pool.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"

namespace bp {
namespace {

constexpr size_t kMaxHeld = 64;
constexpr size_t kSizeScale = 4;                   // sizes are the input's 16-bit values >> 4
constexpr size_t kMaxSize = size_t{1} << 13;       // twice kSizedTop
constexpr uint64_t kSizedTop = uint64_t{1} << 12;  // the sized pool's top class
constexpr size_t kSyncRetained = size_t{1} << 16;  // 8 items of kMaxSize: the bound is reached
constexpr size_t kFixedCount = 16;  // >= 8: the per-thread cache is in play (cache_items() == 2)
constexpr size_t kFixedCapacity = 1024;

using fuzz::Input;

size_t OpSize(Input& in) {
  const size_t v = in.U16();
  return std::min((v << (in.Byte() % 2)) >> kSizeScale, kMaxSize);
}

// The bytes a holder writes: tag * 31 + i * 7, a view into a static table (fuzz_support.h), so a
// held item is filled with one memcpy and checked with one memcmp.
std::string_view PatternOf(uint64_t tag, size_t n) {
  return fuzz::Pattern<7, kMaxSize>(n, static_cast<uint8_t>(tag * 31));
}

template <class P>
struct Hooks {
  static void Clear(P&) {}
  static void CheckGet(const P&, const typename P::Item&, size_t, size_t) {}
};
template <>
struct Hooks<SizedPool> {
  static void Clear(SizedPool& p) { p.Clear(); }
  static void CheckGet(const SizedPool& p, const Buffer& b, size_t n, size_t) {
    FUZZ_CHECK(b.Cap() == p.CapacityFor(n));
  }
};
template <>
struct Hooks<SyncBufferPool> {
  static void Clear(SyncBufferPool& p) { p.Clear(); }
  static void CheckGet(const SyncBufferPool&, const Buffer&, size_t, size_t) {}
};
template <>
struct Hooks<NaivePool> {
  static void Clear(NaivePool& p) { p.Clear(); }
  static void CheckGet(const NaivePool&, const Buffer& b, size_t, size_t) {
    FUZZ_CHECK(b.Cap() >= NaivePool::kInitialCapacity);
  }
};
template <>
struct Hooks<FixedPool> {
  static void Clear(FixedPool&) {}
  static void CheckGet(const FixedPool& p, const FixedBuffer& b, size_t, size_t pooled_out) {
    FUZZ_CHECK(b.Cap() == kFixedCapacity);
    FUZZ_CHECK((b.owner() == &p) == (pooled_out < kFixedCount));
  }
};

template <class P>
void Run(P& pool, Input& in) {
  using Item = typename P::Item;
  struct Held {
    Item* item;
    uint64_t tag;
    size_t written;
  };
  std::vector<Held> held;
  std::set<const Item*> out;
  uint64_t gets = 0, puts = 0, tag = 0;
  size_t pooled_out = 0;  // FixedPool: pooled items held now
  auto is_pooled = [&](const Item* item) {
    if constexpr (std::is_same_v<P, FixedPool>) return item->owner() == &pool;
    return false;
  };
  auto put = [&](size_t i) {
    const Held h = held[i];
    FUZZ_CHECK(h.written == 0 ||  // an item of capacity 0 may have no storage at all
               std::memcmp(h.item->data(), PatternOf(h.tag, h.written).data(), h.written) == 0);
    if (is_pooled(h.item)) --pooled_out;
    out.erase(h.item);
    held.erase(held.begin() + static_cast<ptrdiff_t>(i));
    pool.Put(h.item);
    ++puts;
  };

  while (!in.empty()) {
    switch (in.Byte() % 5) {
      case 0:
      case 1: {  // get
        if (held.size() == kMaxHeld) put(0);
        const size_t n = OpSize(in);
        Item* item = pool.Get(n);
        ++gets;
        FUZZ_CHECK(item != nullptr);
        FUZZ_CHECK(item->Len() == 0);
        if constexpr (P::kTraits.promises_capacity) FUZZ_CHECK(item->Cap() >= n);
        Hooks<P>::CheckGet(pool, *item, n, pooled_out);
        FUZZ_CHECK(out.insert(item).second);  // never an item that is already held
        if (is_pooled(item)) ++pooled_out;
        held.push_back({item, ++tag, 0});
        break;
      }
      case 2: {  // put the i-th held item
        const uint8_t i = in.Byte();
        if (!held.empty()) put(i % held.size());
        break;
      }
      case 3: {  // fill the head of a held item with its pattern
        const uint8_t i = in.Byte();
        const size_t n = OpSize(in);
        if (held.empty()) break;
        Held& h = held[i % held.size()];
        h.written = std::min(n, h.item->Cap());
        if (h.written != 0)
          std::memcpy(h.item->data(), PatternOf(h.tag, h.written).data(), h.written);
        break;
      }
      case 4:
        Hooks<P>::Clear(pool);
        pool.Put(nullptr);  // ignored
        break;
    }
  }
  while (!held.empty()) put(held.size() - 1);

  const PoolStats st = pool.Stats();
  FUZZ_CHECK(st.gets == gets);
  FUZZ_CHECK(st.puts == puts);
  FUZZ_CHECK(st.gets == st.hits + st.misses);
  FUZZ_CHECK(st.peak_retained_bytes >= st.retained_bytes);
  if constexpr (!P::kTraits.pools) FUZZ_CHECK(st.retained_bytes == 0 && st.hits == 0);
  if constexpr (std::is_same_v<P, FixedPool>) {
    FUZZ_CHECK(st.retained_bytes == kFixedCount * kFixedCapacity);
  }
}

template <class P, class... Args>
void RunNew(Input& in, Args... args) {
  P pool(args...);
  Run(pool, in);
}

}  // namespace
}  // namespace bp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bp::Input in(data, size);
  switch (in.Byte() % 6) {
    case 0:
      bp::RunNew<bp::SizedPool>(in, uint64_t{64}, bp::kSizedTop);
      break;
    case 1:
      bp::RunNew<bp::FixedPool>(in, bp::kFixedCount, bp::kFixedCapacity);
      break;
    case 2:
      bp::RunNew<bp::SyncBufferPool>(
          in,
          bp::SyncPool::Options{.max_retained_bytes = bp::kSyncRetained, .per_thread_items = 2});
      break;
    case 3:
      bp::RunNew<bp::NaivePool>(in);
      break;
    case 4:
      bp::RunNew<bp::MallocPool>(in);
      break;
    case 5:
      bp::RunNew<bp::NullPool>(in);
      break;
  }
  return 0;
}
