// The one list of built-in pools. Each entry names a pool type and carries what the rest of the
// program needs to know about it: its help line, whether `--pool all` runs it, its options with
// their defaults, how a spec builds it, what a spec must satisfy, and, for a deliberately faulty
// pool, the detector that must catch it. The registry's table (PoolEntries, registry.cc), the
// spec-to-type dispatch (WithPoolType, tool/run/pool_types.h), selftest's cases and the typed test
// lists all derive from BuiltinPools below; the registry name is the type's own kName.
//
// Adding a built-in pool: its header, one entry here (a struct and its place in BuiltinPools), and
// its tests.
//
// Header-only and heavy (it includes every pool): only registry.cc and pool_types.h include it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

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

template <class... Entries>
struct PoolList {};

// What an entry says about its pool, besides options and construction.
struct PoolAbout {
  const char* help;
  bool in_all;  // run by `--pool all` (the default)
  Detector detector = {};
  bool cross_thread = true;  // a buffer may be put by another thread than the one that got it
};
constexpr PoolAbout Faulty(const char* help, Detector detector) { return {help, false, detector}; }

// The defaults of an entry: no options, built by P(), every spec valid.
template <class P>
struct PoolEntryBase {
  using Pool = P;
  static std::vector<PoolOption> Options() { return {}; }
  static std::unique_ptr<P> Make(const PoolSpec&) { return std::make_unique<P>(); }
  static std::optional<std::string> Validate(const PoolSpec&) { return std::nullopt; }
};

namespace pool_list_detail {

inline SyncPoolOptions SyncOptionsOf(const PoolSpec& spec) {
  SyncPoolOptions o;
  o.max_retained_bytes = spec.Value("retain");
  return o;
}

// A preallocating pool asking for more than this is a typo, not a test (the machine this runs
// on is shared with the rest of the job).
constexpr uint64_t kMaxPreallocBytes = uint64_t{16} << 30;

// Every fixed item costs a FixedBuffer header and a free-list link (about 48 bytes) even when its
// capacity is tiny: past 2^24 items the headers alone pass 800 MB, so a count that large is a typo
// to refuse before the byte limit (kMaxPreallocBytes) would even look at it.
constexpr uint64_t kMaxFixedCount = uint64_t{1} << 24;

}  // namespace pool_list_detail

struct SizedEntry : PoolEntryBase<SizedPool> {
  static constexpr PoolAbout kAbout = {
      "GWS BufferPool: power-of-two classes [min,max], each a sync pool; larger sizes unpooled",
      true};
  static std::vector<PoolOption> Options() {
    return {{"min", "64", "smallest class (rounded up to a power of two)"},
            {"max", "64K", "largest pooled class (rounded up to a power of two)"},
            {"retain", "64M", "bytes each class may retain beyond the per-thread caches"}};
  }
  static std::unique_ptr<SizedPool> Make(const PoolSpec& spec) {
    return std::make_unique<SizedPool>(SizedPoolOptions{spec.Value("min"), spec.Value("max"),
                                                        pool_list_detail::SyncOptionsOf(spec)});
  }
  static std::optional<std::string> Validate(const PoolSpec& spec) {
    if (spec.Value("min") > spec.Value("max")) {
      return "min (" + std::to_string(spec.Value("min")) + ") must be <= max (" +
             std::to_string(spec.Value("max")) + ")";
    }
    if (spec.Value("max") > SizedPool::kMaxClassSize) {
      return "max must be <= " + std::to_string(SizedPool::kMaxClassSize);
    }
    return std::nullopt;
  }
};

struct FixedEntry : PoolEntryBase<FixedPool> {
  static constexpr PoolAbout kAbout = {
      "Viki bytepool: count preallocated fixed-capacity items; a miss makes a transient item",
      true};
  static std::vector<PoolOption> Options() {
    return {{"count", "1024", "items preallocated (the pool never holds more)"},
            {"capacity", "64K", "capacity of every item; longer writes are truncated"}};
  }
  static std::unique_ptr<FixedPool> Make(const PoolSpec& spec) {
    return std::make_unique<FixedPool>(spec.Value("count"), spec.Value("capacity"));
  }
  static std::optional<std::string> Validate(const PoolSpec& spec) {
    using namespace pool_list_detail;
    const uint64_t count = spec.Value("count"), capacity = spec.Value("capacity");
    if (count == 0) return std::string("count must be >= 1");
    if (capacity == 0) return std::string("capacity must be >= 1");
    if (count > kMaxFixedCount) return "count must be <= " + std::to_string(kMaxFixedCount);
    if (capacity > kMaxPreallocBytes || count * capacity > kMaxPreallocBytes) {
      return "count x capacity = " + std::to_string(count * capacity) +
             " bytes would be preallocated; the limit is 16 GiB";
    }
    return std::nullopt;
  }
};

struct SyncEntry : PoolEntryBase<SyncBufferPool> {
  static constexpr PoolAbout kAbout = {
      "Go sync.Pool analogue of buffers: per-thread cache, shared list, victim generation", true};
  static std::vector<PoolOption> Options() {
    return {{"retain", "64M", "bytes the shared list and victim may retain"}};
  }
  static std::unique_ptr<SyncBufferPool> Make(const PoolSpec& spec) {
    return std::make_unique<SyncBufferPool>(pool_list_detail::SyncOptionsOf(spec));
  }
};

struct NaiveEntry : PoolEntryBase<NaivePool> {
  static constexpr PoolAbout kAbout = {
      "one sync pool of buffers created with 1 KiB, grown on demand (the simple pool)", true};
};

struct MallocEntry : PoolEntryBase<MallocPool> {
  static constexpr PoolAbout kAbout = {
      "no pooling: a new buffer every get, freed on put (the baseline)", true};
};

struct NullEntry : PoolEntryBase<NullPool> {
  static constexpr PoolAbout kAbout = {
      "the harness floor: a per-thread preallocated buffer, no pooling work", false, {}, false};
};

struct RaceEntry : PoolEntryBase<RacePool> {
  static constexpr PoolAbout kAbout =
      Faulty("an unsynchronised free list shared by all threads",
             {DetectorKind::kThreadSanitizer, "ThreadSanitizer (data race)"});
};

struct DoubleHandoutEntry : PoolEntryBase<DoubleHandoutPool> {
  static constexpr PoolAbout kAbout = Faulty("now and then hands out a buffer that is still held",
                                             {DetectorKind::kCheck, "double_handout"});
};

struct ShortCapacityEntry : PoolEntryBase<ShortCapacityPool> {
  static constexpr PoolAbout kAbout = Faulty("now and then returns less capacity than asked for",
                                             {DetectorKind::kCheck, "short_capacity"});
};

struct ScribbleEntry : PoolEntryBase<ScribblePool> {
  static constexpr PoolAbout kAbout =
      Faulty("writes into a buffer after it was put, while the next holder has it",
             {DetectorKind::kCheck, "corruption"});
};

struct UseAfterPutEntry : PoolEntryBase<UseAfterPutPool> {
  static constexpr PoolAbout kAbout =
      Faulty("the pool itself touches a buffer it has freed",
             {DetectorKind::kAddressSanitizer, "AddressSanitizer (use after free/poison)"});
};

struct LeakEntry : PoolEntryBase<LeakPool> {
  static constexpr PoolAbout kAbout =
      Faulty("never frees the buffers it drops", {DetectorKind::kCheck, "leak"});
};

struct StaleEntry : PoolEntryBase<StalePool> {
  static constexpr PoolAbout kAbout = Faulty("does not reset buffers: get can return len != 0",
                                             {DetectorKind::kCheck, "not_empty"});
};

struct AbaEntry : PoolEntryBase<AbaPool> {
  static constexpr PoolAbout kAbout =
      Faulty("a lock-free free list (Treiber stack) with no ABA protection",
             {DetectorKind::kCheck, "double_handout"});
};

struct ExitFlushEntry : PoolEntryBase<ExitFlushPool> {
  static constexpr PoolAbout kAbout =
      Faulty("a per-thread cache whose thread-exit flush puts buffers it has freed",
             {DetectorKind::kAddressSanitizer, "AddressSanitizer (use after free at thread exit)"});
};

struct HangEntry : PoolEntryBase<HangPool> {
  static constexpr PoolAbout kAbout =
      Faulty("blocks forever on one get", {DetectorKind::kDeadline, "deadline watchdog (hung)"});
};

struct Round32Entry : PoolEntryBase<Round32Pool> {
  static constexpr PoolAbout kAbout =
      Faulty("the GWS BufferPool with its 32-bit binaryCeil: any n > 2^31 gets 128 bytes",
             {DetectorKind::kCheck, "short_capacity"});
};

// Every built-in pool, in the order `list` shows and `all` runs them.
using BuiltinPools =
    PoolList<SizedEntry, FixedEntry, SyncEntry, NaiveEntry, MallocEntry, NullEntry, RaceEntry,
             DoubleHandoutEntry, ShortCapacityEntry, ScribbleEntry, UseAfterPutEntry, LeakEntry,
             StaleEntry, AbaEntry, ExitFlushEntry, HangEntry, Round32Entry>;

// Calls f.template operator()<Entry>() for every entry of the list, in order.
template <class F, class... Entries>
void ForEachPoolEntry(PoolList<Entries...>, F&& f) {
  (f.template operator()<Entries>(), ...);
}

// The list's entries that satisfy Pred<Entry>::value, in order.
template <template <class> class Pred, class List>
struct FilterPools;
template <template <class> class Pred>
struct FilterPools<Pred, PoolList<>> {
  using type = PoolList<>;
};
template <template <class> class Pred, class E, class... Rest>
struct FilterPools<Pred, PoolList<E, Rest...>> {
  using Tail = typename FilterPools<Pred, PoolList<Rest...>>::type;
  template <class... T>
  static PoolList<E, T...> Prepend(PoolList<T...>);
  using type = std::conditional_t<Pred<E>::value, decltype(Prepend(Tail{})), Tail>;
};

// The correct pools (no planted bug): the ones every contract and stress test must pass.
template <class E>
struct IsCorrectPool : std::bool_constant<E::kAbout.detector.kind == DetectorKind::kNone> {};
using CorrectPools = typename FilterPools<IsCorrectPool, BuiltinPools>::type;
// The deliberately faulty ones (PoolEntry::faulty).
template <class E>
struct IsFaultyPool : std::bool_constant<!IsCorrectPool<E>::value> {};
using FaultyPools = typename FilterPools<IsFaultyPool, BuiltinPools>::type;

}  // namespace bp
