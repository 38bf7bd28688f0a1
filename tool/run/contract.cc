#include "tool/run/contract.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "pool/plugin.h"
#include "tool/run/pool_types.h"
#include "tool/run/preempt.h"
#include "tool/run/run_spec.h"

namespace bp {
namespace {

// --- adapters ---

template <class P>
class BuiltinPool final : public ContractPool {
 public:
  explicit BuiltinPool(std::unique_ptr<P> pool) : pool_(std::move(pool)) {}
  bool Get(size_t n, ContractBuffer* out) override {
    typename P::Item* item = pool_->Get(n);
    if (item == nullptr) return false;
    *out = {item->data(), item->Cap(), item, item};
    return true;
  }
  void Put(const ContractBuffer& buf) override {
    pool_->Put(static_cast<typename P::Item*>(buf.handle));
  }
  std::optional<uint64_t> RetainedBytes() const override { return pool_->Stats().retained_bytes; }

 private:
  std::unique_ptr<P> pool_;
};

class PluginContractPool final : public ContractPool {
 public:
  PluginContractPool(std::shared_ptr<const PluginLibrary> lib, void* pool)
      : lib_(std::move(lib)), api_(lib_->api()), pool_(pool) {}
  ~PluginContractPool() override { api_.destroy(pool_); }
  bool Get(size_t n, ContractBuffer* out) override {
    bp_buffer b{};
    if (api_.get(pool_, n, &b) != 0) return false;
    *out = {b.data, b.cap, b.handle, b.data};
    return true;
  }
  void Put(const ContractBuffer& buf) override {
    bp_buffer b{buf.data, buf.cap, buf.handle};
    api_.put(pool_, &b);
  }
  std::optional<uint64_t> RetainedBytes() const override {
    if (api_.retained_bytes == nullptr) return std::nullopt;
    return api_.retained_bytes(pool_);
  }

 private:
  std::shared_ptr<const PluginLibrary> lib_;
  const bp_pool_api& api_;
  void* pool_;
};

// --- helpers ---

std::string Hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

CheckResult Pass(std::string detail) { return {CheckStatus::kPass, std::move(detail)}; }
CheckResult Fail(std::string detail) { return {CheckStatus::kFail, std::move(detail)}; }
CheckResult Skip(std::string detail) { return {CheckStatus::kSkip, std::move(detail)}; }

// A pool for one check; a failed create fails the check with the pool's reason.
std::unique_ptr<ContractPool> Make(const ContractSubject& s, CheckResult* failed) {
  std::string error;
  std::unique_ptr<ContractPool> pool = s.create(&error);
  if (pool == nullptr) *failed = Fail("create failed: " + error);
  return pool;
}

// Data may be NULL only for a built-in pool's empty item (see ContractBuffer::id).
bool BadData(const ContractBuffer& b) {
  return b.data == nullptr && (b.cap > 0 || b.id == nullptr);
}

// The byte a holder writes at offset i of its buffer `tag`: differs between neighbouring tags
// and offsets, so an overlap or a second holder shows as a mismatch.
inline uint8_t PatternByte(uint64_t tag, size_t i) {
  return static_cast<uint8_t>((tag * 131 + i * 7 + (i >> 8)) ^ (tag >> 8));
}
void Fill(const ContractBuffer& b, size_t n, uint64_t tag) {
  for (size_t i = 0; i < n; ++i) b.data[i] = PatternByte(tag, i);
}
// Offset of the first byte that differs, or n.
size_t FirstMismatch(const ContractBuffer& b, size_t n, uint64_t tag) {
  for (size_t i = 0; i < n; ++i) {
    if (b.data[i] != PatternByte(tag, i)) return i;
  }
  return n;
}

std::vector<size_t> ContractSizes(size_t max_size) {
  std::vector<size_t> sizes{0, 1};
  for (size_t p = 2; p <= max_size && p != 0; p <<= 1) {
    for (size_t n : {p - 1, p, p + 1}) {
      if (n > sizes.back()) sizes.push_back(n);
    }
  }
  return sizes;
}

// Gets one buffer of each size; fails on a NULL data pointer or (when promised) cap < n.
struct HeldSet {
  std::vector<std::pair<size_t, ContractBuffer>> held;  // (asked size, buffer)
  size_t refused = 0;
};
std::optional<CheckResult> GetAll(ContractPool& pool, const std::vector<size_t>& sizes,
                                  bool check_cap, HeldSet* set) {
  for (size_t n : sizes) {
    ContractBuffer b;
    if (!pool.Get(n, &b)) {
      ++set->refused;
      continue;
    }
    if (BadData(b)) return Fail("get(" + std::to_string(n) + ") returned data NULL");
    if (check_cap && b.cap < n) {
      return Fail("get(" + std::to_string(n) + ") returned cap " + std::to_string(b.cap) + " < " +
                  std::to_string(n));
    }
    set->held.push_back({n, b});
  }
  return std::nullopt;
}
void PutAll(ContractPool& pool, HeldSet* set) {
  for (auto& [n, b] : set->held) pool.Put(b);
  set->held.clear();
}

// Held buffers must not overlap: [data, data + max(cap, 1)) pairwise disjoint.
std::optional<CheckResult> Disjoint(std::vector<ContractBuffer> all) {
  std::vector<const void*> ids;
  for (const ContractBuffer& b : all) ids.push_back(b.id);
  std::sort(ids.begin(), ids.end());
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
    return Fail("buffer " + Hex(*dup) + " handed out twice while held");
  }
  std::vector<ContractBuffer> bufs;
  for (const ContractBuffer& b : all) {
    if (b.data != nullptr) bufs.push_back(b);
  }
  std::sort(bufs.begin(), bufs.end(),
            [](const ContractBuffer& a, const ContractBuffer& b) { return a.data < b.data; });
  for (size_t i = 1; i < bufs.size(); ++i) {
    const ContractBuffer& a = bufs[i - 1];
    const ContractBuffer& b = bufs[i];
    if (a.data == b.data) return Fail("two held buffers share data " + Hex(a.data));
    if (a.data + std::max<size_t>(a.cap, 1) > b.data) {
      return Fail("held buffers overlap: " + Hex(a.data) + " cap " + std::to_string(a.cap) +
                  " runs into " + Hex(b.data));
    }
  }
  return std::nullopt;
}

std::string Refusals(size_t refused, size_t asked) {
  return refused == 0
             ? ""
             : " (" + std::to_string(refused) + " of " + std::to_string(asked) + " gets refused)";
}

// --- the checks ---

CheckResult CheckCreate(const ContractSubject& s, const ContractOptions&) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  return Pass("create returned a pool");
}

CheckResult CheckGetSizes(const ContractSubject& s, const ContractOptions& o) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  const std::vector<size_t> sizes = ContractSizes(o.max_size);
  size_t refused = 0;
  for (size_t n : sizes) {  // one at a time: get, put
    ContractBuffer b;
    if (!pool->Get(n, &b)) {
      ++refused;
      continue;
    }
    if (BadData(b)) return Fail("get(" + std::to_string(n) + ") returned data NULL");
    pool->Put(b);
  }
  if (refused == sizes.size()) return Fail("every get was refused");
  return Pass(std::to_string(sizes.size()) + " sizes from 0 to " + std::to_string(sizes.back()) +
              Refusals(refused, sizes.size()));
}

CheckResult CheckCapacity(const ContractSubject& s, const ContractOptions& o) {
  if (!s.promises_capacity) return Skip("the pool's capacity is fixed by design (writes truncate)");
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  HeldSet set;
  const std::vector<size_t> sizes = ContractSizes(o.max_size);
  if (auto failed = GetAll(*pool, sizes, true, &set)) return *failed;
  PutAll(*pool, &set);
  return Pass("cap >= n for every size" + Refusals(set.refused, sizes.size()));
}

CheckResult CheckDistinct(const ContractSubject& s, const ContractOptions& o) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  HeldSet set;
  const std::vector<size_t> sizes = ContractSizes(o.max_size);
  if (auto failed = GetAll(*pool, sizes, false, &set)) return *failed;
  std::vector<ContractBuffer> bufs;
  for (auto& [n, b] : set.held) bufs.push_back(b);
  if (auto failed = Disjoint(bufs)) return *failed;
  PutAll(*pool, &set);
  return Pass(std::to_string(bufs.size()) + " buffers held at once, none overlapping");
}

CheckResult CheckWritable(const ContractSubject& s, const ContractOptions& o) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  HeldSet set;
  const std::vector<size_t> sizes = ContractSizes(o.max_size);
  if (auto failed = GetAll(*pool, sizes, false, &set)) return *failed;
  // Every byte up to cap: a pool that states more capacity than it has is caught here by ASan.
  uint64_t tag = 1;
  for (auto& [n, b] : set.held) Fill(b, b.cap, tag++);
  tag = 1;
  for (auto& [n, b] : set.held) {
    const size_t at = FirstMismatch(b, b.cap, tag++);
    if (at != b.cap) {
      return Fail("buffer " + Hex(b.data) + " (get(" + std::to_string(n) + "), cap " +
                  std::to_string(b.cap) + ") changed at offset " + std::to_string(at) +
                  " while held: another buffer shares its memory");
    }
  }
  PutAll(*pool, &set);
  return Pass("wrote and read back every byte up to cap of " + std::to_string(sizes.size()) +
              " held buffers");
}

// One holder's cycles: get, fill n bytes, keep a window of `window` buffers, check before put.
struct Held {
  ContractBuffer buf;
  size_t n;
  uint64_t tag;
};
std::optional<CheckResult> Cycles(ContractPool& pool, uint64_t cycles, uint64_t tag_base,
                                  size_t window, size_t touch, std::deque<Held>* held,
                                  size_t* refused, const std::function<bool()>& stop,
                                  uint64_t* done = nullptr) {
  static constexpr size_t kSizes[] = {0, 1, 17, 64, 100, 256, 1000, 4096, 5000, 65536};
  for (uint64_t c = 0; c < cycles && !stop(); ++c) {
    if (done != nullptr) *done = c + 1;
    const size_t n = kSizes[(c * 7 + tag_base) % std::size(kSizes)];
    ContractBuffer b;
    if (pool.Get(n, &b)) {
      if (BadData(b)) return Fail("get(" + std::to_string(n) + ") returned data NULL");
      const size_t len = std::min({n, b.cap, touch});
      Fill(b, len, tag_base + c);
      held->push_back({.buf = b, .n = len, .tag = tag_base + c});
    } else {
      ++*refused;
    }
    while (held->size() > window || (!held->empty() && c + 1 == cycles)) {
      const Held h = held->front();
      held->pop_front();
      const size_t at = FirstMismatch(h.buf, h.n, h.tag);
      if (at != h.n) {
        return Fail("buffer " + Hex(h.buf.data) + " changed at offset " + std::to_string(at) +
                    " while held (cycle " + std::to_string(c) + ")");
      }
      pool.Put(h.buf);
    }
  }
  return std::nullopt;
}

CheckResult CheckPutGetCycles(const ContractSubject& s, const ContractOptions& o) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  std::deque<Held> held;
  size_t refused = 0;
  if (auto failed =
          Cycles(*pool, o.cycles, 1, 8, SIZE_MAX, &held, &refused, [] { return false; })) {
    return *failed;
  }
  for (const Held& h : held) pool->Put(h.buf);
  return Pass(std::to_string(o.cycles) + " get/fill/check/put cycles, 8 held at a time" +
              Refusals(refused, o.cycles));
}

CheckResult CheckCrossThreadPut(const ContractSubject& s, const ContractOptions&) {
  if (s.no_cross_thread) return Skip(*s.no_cross_thread);
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  constexpr size_t kCount = 64;
  std::string failure;
  // Round 1: this thread gets, another checks and puts. Round 2: the other way round.
  for (int round = 0; round < 2 && failure.empty(); ++round) {
    std::vector<Held> held;
    auto get_side = [&] {
      for (size_t i = 0; i < kCount; ++i) {
        ContractBuffer b;
        const size_t n = 64 << (i % 8);
        if (!pool->Get(n, &b)) continue;
        const size_t len = std::min(n, b.cap);
        Fill(b, len, 1000 * round + i);
        held.push_back({.buf = b, .n = len, .tag = 1000 * round + i});
      }
    };
    auto put_side = [&] {
      for (const Held& h : held) {
        if (FirstMismatch(h.buf, h.n, h.tag) != h.n && failure.empty()) {
          failure =
              "buffer " + Hex(h.buf.data) + " changed between get and a put from another thread";
        }
        pool->Put(h.buf);
      }
    };
    if (round == 0) {
      get_side();
      std::thread(put_side).join();
    } else {
      std::thread(get_side).join();
      put_side();
    }
  }
  if (!failure.empty()) return Fail(failure);
  // What came back is usable again on both threads.
  HeldSet set;
  if (auto failed = GetAll(*pool, {64, 128, 4096}, false, &set)) return *failed;
  PutAll(*pool, &set);
  return Pass(std::to_string(2 * kCount) + " buffers put from the other thread, both ways");
}

// The concurrent check's view of the pool: who holds what. A buffer handed out while another
// thread holds it is the double hand-out the contract forbids; the first one is kept.
class HoldingPool final : public ContractPool {
 public:
  explicit HoldingPool(ContractPool* inner) : inner_(inner) {}
  bool Get(size_t n, ContractBuffer* out) override {
    if (!inner_->Get(n, out)) return false;
    std::lock_guard<std::mutex> lock(mu_);
    if (!holding_.insert(out->id).second && failure_.empty()) {
      failure_ = "buffer " + Hex(out->id) + " handed to both threads at once";
      found_.store(true, std::memory_order_relaxed);
    }
    return true;
  }
  void Put(const ContractBuffer& b) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      holding_.erase(b.id);
    }
    inner_->Put(b);
  }
  std::optional<uint64_t> RetainedBytes() const override { return inner_->RetainedBytes(); }
  bool Found() const { return found_.load(std::memory_order_relaxed); }
  std::string Failure() {
    std::lock_guard<std::mutex> lock(mu_);
    return failure_;
  }

 private:
  ContractPool* inner_;
  std::mutex mu_;
  std::unordered_set<const void*> holding_;
  std::string failure_;  // under mu_; found_ says it is set
  std::atomic<bool> found_{false};
};

// One thread of the concurrent check: what it did, and how it ended.
struct RaceThread {
  std::optional<CheckResult> result;
  std::deque<Held> held;
  size_t refused = 0;
  uint64_t cycles = 0;
};

CheckResult CheckConcurrent(const ContractSubject& s, const ContractOptions& o) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  HoldingPool holding(pool.get());
  // The threads run for the same span of time from a common start, whatever the machine's load:
  // a count of cycles would let one thread finish inside its first time slice on a busy machine,
  // before another one even ran. There are more of them than two so that a thread stopped inside
  // the pool (preemption yields its CPU) is most often followed by another one on that CPU.
  const unsigned n = o.race_threads;
  std::vector<RaceThread> threads(n);
  std::optional<Preempter> preempter;
  if (o.preempt_rate > 0) preempter.emplace(o.preempt_rate, 1, n);
  std::chrono::steady_clock::time_point until;
  // The span starts when the last thread arrives (the barrier's completion runs before any leaves).
  std::barrier start(static_cast<std::ptrdiff_t>(n), [&]() noexcept {
    until = std::chrono::steady_clock::now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(o.race_seconds));
  });
  auto stop = [&] { return holding.Found() || std::chrono::steady_clock::now() >= until; };
  auto worker = [&](unsigned t) {
    RaceThread& me = threads[t];
    if (preempter) preempter->Register(t);
    start.arrive_and_wait();
    // Only the first bytes are written and checked: the time goes into the pool's own code, so
    // the threads are inside it together often (the holding set sees a double hand-out anyway).
    me.result = Cycles(holding, UINT64_MAX, uint64_t{1 + t} << 40, 4, 64, &me.held, &me.refused,
                       stop, &me.cycles);
    // What is still held goes back from the thread that got it (a pool may take puts only from
    // there); after a double hand-out the buffers may be shared, so the pool is leaked instead.
    if (!me.result && !holding.Found()) {
      for (const Held& x : me.held) holding.Put(x.buf);
      me.held.clear();
    }
    if (preempter) preempter->Unregister(t);
  };
  std::vector<std::thread> others;
  for (unsigned t = 1; t < n; ++t) others.emplace_back(worker, t);
  worker(0);
  for (auto& th : others) th.join();
  if (preempter) preempter->Stop();
  if (holding.Found()) return Fail(holding.Failure());
  uint64_t total = 0, refusals = 0;
  for (const RaceThread& t : threads) {
    if (t.result) return *t.result;
    total += t.cycles;
    refusals += t.refused;
  }
  char span[96];
  std::snprintf(span, sizeof span, "%u threads x %.2g s (%llu cycles%s)", n, o.race_seconds,
                static_cast<unsigned long long>(total), preempter ? ", preempted" : "");
  return Pass(std::string(span) + ", no buffer held twice or changed while held" +
              Refusals(refusals, total));
}

CheckResult CheckManyHeld(const ContractSubject& s, const ContractOptions& o) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  std::vector<size_t> sizes;
  for (size_t i = 0; i < o.held; ++i) sizes.push_back(size_t{64} << (i % 7));
  HeldSet set;
  if (auto failed = GetAll(*pool, sizes, s.promises_capacity, &set)) return *failed;
  if (set.held.empty()) return Fail("every get was refused");
  std::vector<ContractBuffer> bufs;
  uint64_t tag = 7;
  for (auto& [n, b] : set.held) {
    bufs.push_back(b);
    Fill(b, std::min(n, b.cap), tag++);
  }
  if (auto failed = Disjoint(bufs)) return *failed;
  tag = 7;
  for (auto& [n, b] : set.held) {
    if (FirstMismatch(b, std::min(n, b.cap), tag++) != std::min(n, b.cap)) {
      return Fail("buffer " + Hex(b.data) + " changed while " + std::to_string(bufs.size()) +
                  " were held");
    }
  }
  PutAll(*pool, &set);
  return Pass(std::to_string(bufs.size()) + " buffers held at once, distinct and intact" +
              Refusals(set.refused, sizes.size()));
}

CheckResult CheckRetainedBytes(const ContractSubject& s, const ContractOptions&) {
  CheckResult r;
  auto pool = Make(s, &r);
  if (pool == nullptr) return r;
  if (!pool->RetainedBytes()) return Skip("the pool does not report retained_bytes");
  // Whatever it preallocates, repeating the same get/put must not make the number grow: one
  // buffer's worth of slack after the first cycle.
  constexpr uint64_t kAbsurd = uint64_t{1} << 44;  // 16 TiB: no pool on this machine holds that
  const uint64_t start = *pool->RetainedBytes();
  if (start > kAbsurd) return Fail("retained_bytes of a new pool is " + std::to_string(start));
  ContractBuffer b;
  if (!pool->Get(4096, &b)) return Skip("get(4096) refused");
  const size_t cap = b.cap;
  pool->Put(b);
  const uint64_t after_one = *pool->RetainedBytes();
  for (int i = 0; i < 1000; ++i) {
    if (!pool->Get(4096, &b)) continue;
    pool->Put(b);
  }
  const uint64_t after_many = *pool->RetainedBytes();
  if (after_many > after_one + cap) {
    return Fail("retained_bytes grew from " + std::to_string(after_one) + " to " +
                std::to_string(after_many) + " over 1000 get/put of the same size");
  }
  return Pass("retained_bytes " + std::to_string(start) + " new, " + std::to_string(after_one) +
              " after one put, " + std::to_string(after_many) + " after 1000 cycles");
}

CheckResult CheckCreateDestroy(const ContractSubject& s, const ContractOptions&) {
  constexpr int kRounds = 100;
  for (int i = 0; i < kRounds; ++i) {
    CheckResult r;
    auto pool = Make(s, &r);
    if (pool == nullptr) return Fail("round " + std::to_string(i) + ": " + r.detail);
    ContractBuffer b;
    if (pool->Get(100, &b)) {
      Fill(b, std::min<size_t>(100, b.cap), i);
      pool->Put(b);
    }
  }
  return Pass(std::to_string(kRounds) + " pools created, used and destroyed");
}

}  // namespace

const char* CheckStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPass:
      return "pass";
    case CheckStatus::kFail:
      return "fail";
    case CheckStatus::kSkip:
      return "skip";
  }
  return "?";
}

const std::vector<ContractCheck>& ContractChecks() {
  static const std::vector<ContractCheck> checks = {
      {"create", "create returns a pool", CheckCreate},
      {"get-sizes", "get of 0, 1 and each power of two +-1 up to --max-size", CheckGetSizes},
      {"capacity", "cap >= n for each of those sizes", CheckCapacity},
      {"distinct", "buffers held at once have distinct, non-overlapping data", CheckDistinct},
      {"writable", "every byte up to cap can be written and reads back", CheckWritable},
      {"put-get-cycles", "get, fill, check, put cycles on one thread", CheckPutGetCycles},
      {"cross-thread-put", "buffers put by a thread other than the getter", CheckCrossThreadPut},
      {"concurrent", "threads get and put at once under preemption; no buffer held twice",
       CheckConcurrent},
      {"many-held", "--held buffers held at once", CheckManyHeld},
      {"retained-bytes", "retained_bytes is sane and does not drift", CheckRetainedBytes},
      {"create-destroy", "pools created and destroyed repeatedly", CheckCreateDestroy},
  };
  return checks;
}

ContractSubject BuiltinSubject(const PoolSpec& spec) {
  ContractSubject s;
  s.name = spec.Canonical();
  RunOptions cross;
  cross.cross_thread = 0.5;
  if (auto problem = ValidateRunOptions(spec, cross)) s.no_cross_thread = *problem;
  s.promises_capacity =
      WithPoolType(spec, []<class P>(auto) { return P::kTraits.promises_capacity; });
  s.create = [spec](std::string*) {
    return WithPoolType(spec, []<class P>(auto make) -> std::unique_ptr<ContractPool> {
      return std::make_unique<BuiltinPool<P>>(make());
    });
  };
  return s;
}

ContractSubject PluginSubject(const std::string& plugin_name, const std::string& path,
                              const std::string& options) {
  ContractSubject s;
  std::string shown = plugin_name;  // untrusted bytes: printable ASCII only on a terminal
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  s.name = "plugin " + shown + " (" + path + (options.empty() ? "" : ":" + options) + ")";
  s.create = [path, options](std::string* error) -> std::unique_ptr<ContractPool> {
    // Loaded by the process that runs the check (pool/plugin.h: a library that starts threads
    // when loaded must be loaded where it runs).
    std::shared_ptr<const PluginLibrary> lib = PluginLibrary::Shared(path, error);
    if (lib == nullptr) return nullptr;
    char err[256] = "";
    void* pool = lib->api().create(options.c_str(), err, sizeof err);
    if (pool == nullptr) {
      err[sizeof err - 1] = '\0';
      *error = err[0] != '\0' ? err : "create returned NULL without a reason";
      return nullptr;
    }
    return std::make_unique<PluginContractPool>(lib, pool);
  };
  return s;
}

}  // namespace bp
