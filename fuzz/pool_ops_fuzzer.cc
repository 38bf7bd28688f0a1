// Property: every built-in pool honours the pool contract (pool/pool.h) for any single-threaded
// sequence of get/put/write/clear operations. A model of what the pool may and may not do is kept
// beside it: Get(n) returns an item with Len() == 0, Cap() >= n when kTraits.promises_capacity
// (SizedPool: exactly its class size; FixedPool: exactly its capacity, and a pooled item exactly
// while fewer than `count` pooled items are out), never an item that is already held; the bytes a
// holder wrote are intact when it puts the item back; and at the end gets == hits + misses,
// gets == puts, and a pool that does not pool retains nothing. Any difference aborts.
//
// Input: byte 0 picks the pool; then operations, each an opcode byte and its arguments. Sizes
// are little-endian 16-bit values shifted left by 0..1 (so up to 128 KiB, twice the sized pool's
// top class: above it every pool path is already taken, and each larger size only cost ASan
// mappings and page faults: 1 MiB items held the target to a few hundred inputs a second); at most
// 64 items are held.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "pool/fixed_pool.h"
#include "pool/malloc_pool.h"
#include "pool/naive_pool.h"
#include "pool/null_pool.h"
#include "pool/sized_pool.h"
#include "pool/sync_pool.h"

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace bp {
namespace {

constexpr size_t kMaxHeld = 64;
constexpr size_t kMaxSize = size_t{1} << 17;
constexpr size_t kFixedCount = 16;  // >= 8: the per-thread cache is in play (cache_items() == 2)
constexpr size_t kFixedCapacity = 1024;

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t Byte() { return p_ == end_ ? 0 : *p_++; }
  size_t Size() {
    const size_t lo = Byte();
    const size_t hi = Byte();
    const size_t shift = Byte() % 2;
    return std::min(((hi << 8) | lo) << shift, kMaxSize);
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

uint8_t Pattern(uint64_t tag, size_t i) { return static_cast<uint8_t>(tag * 31 + i * 7); }

// Pattern(tag, i) repeats every 256 bytes (256 * 7 is 0 mod 256), so one 256-byte row per tag
// writes and checks a held item with memcpy and memcmp: the same bytes as a byte loop, but a
// 64 KiB item costs one range check under ASan instead of 64 Ki instrumented accesses.
struct PatternRow {
  explicit PatternRow(uint64_t tag) {
    for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = Pattern(tag, i);
  }
  void Fill(uint8_t* p, size_t n) const {
    for (size_t k = 0; k < n; k += sizeof bytes) {
      std::memcpy(p + k, bytes, std::min(sizeof bytes, n - k));
    }
  }
  bool Intact(const uint8_t* p, size_t n) const {
    for (size_t k = 0; k < n; k += sizeof bytes) {
      if (std::memcmp(p + k, bytes, std::min(sizeof bytes, n - k)) != 0) return false;
    }
    return true;
  }
  uint8_t bytes[256];
};

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
    FUZZ_CHECK(PatternRow(h.tag).Intact(h.item->data(), h.written));
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
        const size_t n = in.Size();
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
        const size_t n = in.Size();
        if (held.empty()) break;
        Held& h = held[i % held.size()];
        h.written = std::min(n, h.item->Cap());
        PatternRow(h.tag).Fill(h.item->data(), h.written);
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
      bp::RunNew<bp::SizedPool>(in, uint64_t{64}, uint64_t{1} << 16);
      break;
    case 1:
      bp::RunNew<bp::FixedPool>(in, bp::kFixedCount, bp::kFixedCapacity);
      break;
    case 2:
      bp::RunNew<bp::SyncBufferPool>(
          in, bp::SyncPool::Options{.max_retained_bytes = 1 << 20, .per_thread_items = 2});
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
