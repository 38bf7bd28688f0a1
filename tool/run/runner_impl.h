// The templated body of bp::RunPool (see runner.h for the design). Included only by the code that
// runs a pool of a static type (tool/run/run_spec_correct.cc and run_spec_faulty.cc for built-in
// pools, tool/run/plugin_run.cc for plugins), so each loop is instantiated once per pool type and
// check level.
#pragma once

#include <algorithm>
#include <barrier>
#include <bit>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <type_traits>

#include "bpstress/plugin_abi.h"
#include "build_info.h"
#include "pool/json_writer.h"
#include "pool/pool_call.h"
#include "tool/run/alloc_track.h"
#include "tool/run/crash_counters.h"
#include "tool/run/latency_clock.h"
#include "tool/run/preempt.h"
#include "tool/run/runner.h"
#include "tool/run/signals.h"
#include "tool/util/sysinfo.h"

namespace bp::internal {

using Clock = std::chrono::steady_clock;

// --max-rss stops at cap - cap/kRssMargin: 90% of the cap, or 75% in sanitizer builds, whose
// shadow memory makes RSS grow several times faster between two 5 ms readings.
inline constexpr uint64_t kRssMargin = build::kAnySanitizer ? 4 : 10;
inline constexpr uint64_t RssStopAt(uint64_t cap) { return cap - cap / kRssMargin; }
// The controller reads RSS every 5 ms, but a loaded machine can leave it unscheduled for longer
// than the workers need to cross the margin. So the workers read it too, each after it was handed
// half its share of the margin in bytes since its last reading (within these bounds): together
// they cannot pass the cap between two readings even when the controller does not run.
inline constexpr uint64_t kRssGuardMinStep = uint64_t{256} << 10;
inline constexpr uint64_t kRssGuardMaxStep = uint64_t{64} << 20;

// A buffer between Get and Put, with what its holder wrote into it.
template <class Item>
struct Held {
  Item* item;
  uint8_t* ptr;  // where the pattern starts
  uint64_t tag;
  uint64_t touched;  // pattern bytes
  uint64_t budget;   // bytes the holder was allowed to write (the json workload stops short of it)
  uint64_t n;
  uint64_t cap;
  uint64_t op;
  uint64_t tail;  // only the ends were written: the offset of the last kHeadBytes; else 0
  uint32_t thread;
  Held* next;
};

// xorshift64* for hand-off decisions: separate from the size sampler so that --cross-thread
// does not change the size sequence of a seed.
struct Coin {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

// Memory that shares no cache line with any other allocation: arrays a worker writes on every op.
// Allocated by the controller thread one after another, two workers' arrays would otherwise sit
// side by side (glibc's tcache hands out neighbouring chunks), and each thread's writes would
// evict the other's line: that false sharing cost the null pool two thirds of its 2-thread rate.
template <class T>
struct LineAllocator {
  using value_type = T;
  LineAllocator() = default;
  template <class U>
  explicit LineAllocator(const LineAllocator<U>&) {}
  static size_t Bytes(size_t n) { return (n * sizeof(T) + 63) & ~size_t{63}; }
  T* allocate(size_t n) { return static_cast<T*>(::operator new (Bytes(n), std::align_val_t{64})); }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
  bool operator==(const LineAllocator&) const = default;
};

// What a worker publishes for LiveSample, in its own cache lines. Counters: a batch of relaxed
// stores inside a sequence lock (seq odd while the worker writes), so that the controller reads
// one batch whole — gets + refused == ops holds in every reading — without a lock on the worker's
// side and without data races (every shared field is an atomic). Examples: the worker fills
// examples[k] and then release-stores num_examples = k + 1; the controller acquire-loads
// num_examples and reads only slots below it, which are never written again.
struct alignas(64) LiveCounters {
  static constexpr size_t kSlots = Violations::kMaxExamples * kViolationKinds;
  std::atomic<uint64_t> seq{0};
  std::atomic<uint64_t> ops{0}, gets{0}, puts{0}, refused{0}, handoffs{0}, double_puts{0};
  std::array<std::atomic<uint64_t>, kViolationKinds> violations{};
  std::array<uint8_t, kViolationKinds> kept{};  // examples published per kind (worker only)
  std::atomic<uint32_t> num_examples{0};
  std::array<ViolationExample, kSlots> examples{};

  void Publish(const ThreadResult& r, uint64_t op) {
    const uint64_t s = seq.load(std::memory_order_relaxed);
    seq.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    ops.store(op, std::memory_order_relaxed);
    gets.store(r.gets, std::memory_order_relaxed);
    puts.store(r.puts, std::memory_order_relaxed);
    refused.store(r.refused, std::memory_order_relaxed);
    handoffs.store(r.handoffs, std::memory_order_relaxed);
    double_puts.store(r.double_puts, std::memory_order_relaxed);
    for (size_t i = 0; i < kViolationKinds; ++i) {
      violations[i].store(r.violations.count(static_cast<Violation>(i)), std::memory_order_relaxed);
    }
    seq.store(s + 2, std::memory_order_release);
  }
  // The controller: one whole batch added to `out` (retries while the worker is writing; gives up
  // after a bounded number of tries and adds the last reading, which is at worst mixed).
  void ReadInto(LiveSample* out) const {
    uint64_t v[6 + kViolationKinds];
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const uint64_t s1 = seq.load(std::memory_order_acquire);
      v[0] = ops.load(std::memory_order_relaxed);
      v[1] = gets.load(std::memory_order_relaxed);
      v[2] = puts.load(std::memory_order_relaxed);
      v[3] = refused.load(std::memory_order_relaxed);
      v[4] = handoffs.load(std::memory_order_relaxed);
      v[5] = double_puts.load(std::memory_order_relaxed);
      for (size_t k = 0; k < kViolationKinds; ++k) {
        v[6 + k] = violations[k].load(std::memory_order_relaxed);
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if ((s1 & 1) == 0 && seq.load(std::memory_order_relaxed) == s1) break;
    }
    out->ops += v[0];
    out->gets += v[1];
    out->puts += v[2];
    out->refused += v[3];
    out->handoffs += v[4];
    out->double_puts += v[5];
    for (size_t k = 0; k < kViolationKinds; ++k) out->violations[k] += v[6 + k];
  }
  // The worker's first kMaxExamples examples per kind, as its Violations keeps them.
  void PublishExample(const ViolationExample& e) {
    uint8_t& k = kept[static_cast<size_t>(e.kind)];
    const uint32_t n = num_examples.load(std::memory_order_relaxed);
    if (k >= Violations::kMaxExamples || n >= kSlots) return;
    ++k;
    examples[n] = e;
    num_examples.store(n + 1, std::memory_order_release);
  }
};

// Nodes a worker keeps beyond hold + 1 when --cross-thread is on. A hand-off takes a node away
// until the receiver drains its mailbox and recycles it into the receiver's own list, so nodes
// drift between workers; a worker that runs out only stops handing off (Release checks free_count),
// so the spare count bounds nothing but how often the cross-thread path is taken: 64 keeps it taken
// for nearly every eligible op at every thread count while costing 64 nodes per thread.
inline constexpr size_t kHandoffSpareNodes = 64;

template <class Item>
struct alignas(64) Worker {
  explicit Worker(size_t nodes) : arena(nodes), ring(std::max<size_t>(1, nodes)) {
    for (Held<Item>& h : arena) {
      h.next = free;
      free = &h;
    }
    free_count = nodes;
  }
  ThreadResult result;
  std::vector<Held<Item>, LineAllocator<Held<Item>>> arena;
  Held<Item>* free = nullptr;
  size_t free_count = 0;
  std::vector<Held<Item>*, LineAllocator<Held<Item>*>> ring;  // held buffers, oldest first
  size_t ring_head = 0;
  size_t ring_size = 0;
  std::optional<Distribution::Sampler> sampler;
  Buffer scratch;  // the json workload regenerates what a holder wrote here to compare
  Coin coin{1};
  uint64_t generations = 0;  // threads that ran this worker so far (--churn: more than one)
  Clock::time_point t_first{};
  alignas(64) std::atomic<Held<Item>*> mailbox{nullptr};
  LiveCounters live;  // also the op count the controller's progress and a hung run report
};

template <class P>
struct Context {
  using Item = typename P::Item;
  Context(const RunOptions& o, unsigned threads)
      : options(o), start(threads + 1), stopped(threads) {}
  RunOptions options;
  P* pool = nullptr;
  std::unique_ptr<OwnershipRegistry> registry;
  std::unique_ptr<Preempter> preempter;       // --preempt
  std::unique_ptr<DoublePutLog> double_puts;  // --misuse double-put
  Clock::time_point t_begin{};                // set before the start latch opens
  std::vector<std::unique_ptr<Worker<Item>>> workers;
  std::latch start;
  std::barrier<> stopped;  // every loop has ended: no more hand-offs after this
  alignas(64) std::atomic<bool> stop{false};
  // Bumped by the controller before each live sample: a worker that sees it change publishes its
  // counters at once (slow pools would otherwise publish only every kLivePublishOps ops). On the
  // stop flag's line, which the loop reads anyway.
  std::atomic<uint32_t> publish_epoch{0};
  std::mutex mu;
  std::condition_variable cv;
  unsigned finished = 0;  // guarded by mu
  // A worker read RSS at the --max-rss stop line (and set `stop`): the controller names the reason.
  std::atomic<bool> rss_reached{false};
};

template <class Item>
uint8_t* TouchItem(Item* item, size_t n) {
  if constexpr (requires { item->Extend(n); }) {
    return item->Extend(n);
  } else if constexpr (requires { item->Position(n); }) {
    uint8_t* p = item->data() + item->Len();
    item->Position(item->Len() + n);
    return p;
  } else {
    return item->data();
  }
}

// The json workload: a JSON array of integers derived from `tag`, written with bp::JsonWriter
// after what `out` holds, stopping before it would pass `limit` bytes. The same (tag, limit)
// always gives the same bytes, so a holder can regenerate what it wrote to check it.
template <class Out>
void WriteJsonArray(Out& out, uint64_t tag, uint64_t limit) {
  if (limit < 2) return;
  const size_t start = out.Len();
  JsonWriter w(out);
  w.BeginArray();
  // 22 = the longest integer (20 digits), a comma and the closing bracket.
  for (uint64_t i = 0; out.Len() - start + 22 <= limit; ++i) w.Uint(PatternWord(tag, i) >> 40);
  w.EndArray();
}

template <class Item>
inline constexpr bool kJsonCapable =
    std::is_same_v<Item, Buffer> || std::is_same_v<Item, FixedBuffer>;

// Whether the runner marks a pool's calls for the leak accounting (pool/pool_call.h): with checks
// on, unless the pool type marks its own calls (PluginPool marks only the plugin's, not its
// wrapper cache). With --checks none nothing is counted and the loop stores nothing.
template <class P, CheckLevel K>
inline constexpr bool kMarkPoolCalls = K != CheckLevel::kNone && !requires {
  P::kMarksOwnCalls;
};

template <class P, bool kMark>
[[gnu::always_inline]] inline typename P::Item* GetMarked(P& pool, size_t n) {
  const PoolCallScopeIf<kMark> in_pool;
  return pool.Get(n);
}

template <class P, bool kMark>
[[gnu::always_inline]] inline void PutMarked(P& pool, typename P::Item* item) {
  const PoolCallScopeIf<kMark> in_pool;
  pool.Put(item);
}

template <class P, CheckLevel K>
class Loop {
 public:
  using Item = typename P::Item;
  static constexpr bool kMark = kMarkPoolCalls<P, K>;
  Loop(Context<P>& ctx, unsigned self)
      : ctx_(ctx), pool_(*ctx.pool), w_(*ctx.workers[self]), r_(w_.result), self_(self) {
    const RunOptions& o = ctx.options;
    if (o.cross_thread > 0 && o.threads > 1) {
      cross_ = true;
      cross_threshold_ = o.cross_thread >= 1.0
                             ? UINT64_MAX
                             : static_cast<uint64_t>(o.cross_thread * 18446744073709551616.0);
    }
    ends_above_ = o.touch == Touch::kEnds ? 2 * kHeadBytes : kFullTouchLimit;
    if (o.max_rss_bytes != 0) {
      rss_stop_at_ = RssStopAt(o.max_rss_bytes);
      const uint64_t share = o.max_rss_bytes / kRssMargin / (2 * std::max(1u, o.threads));
      rss_step_ = std::clamp(share, kRssGuardMinStep, kRssGuardMaxStep);
      rss_left_ = rss_step_;
    }
    if (o.double_put_rate > 0) {
      double_put_threshold_ =
          o.double_put_rate >= 1.0
              ? UINT64_MAX
              : std::max<uint64_t>(
                    1, static_cast<uint64_t>(o.double_put_rate * 18446744073709551616.0));
    }
  }

  // The loop is compiled twice: with nothing held between ops and no hand-offs (kDirect), a
  // buffer's node lives on the stack, where the compiler keeps it in registers and drops the
  // fields nobody reads; otherwise nodes come from the worker's free list.
  // Returns true when the loop stopped for --churn: a fresh thread continues this worker.
  bool Run() {
    if (ctx_.options.hold == 0 && !cross_) {
      RunLoop<true>();
    } else {
      RunLoop<false>();
    }
    return more_;
  }

  template <bool kDirect>
  void RunLoop() {
    const RunOptions& o = ctx_.options;
    const uint64_t total_ops = o.ops_per_thread != 0 ? o.ops_per_thread : UINT64_MAX;
    const uint64_t sample_mask = (uint64_t{1} << o.latency_sample_shift) - 1;
    const unsigned hold = o.hold;
    Distribution::Sampler& sampler = *w_.sampler;
    // A worker's later threads (--churn) continue its op count, sampler and held buffers.
    uint64_t op = r_.ops;
    const uint64_t max_ops = o.churn != 0 ? std::min(total_ops, op + o.churn) : total_ops;
    ++r_.thread_starts;
    if (w_.generations++ == 0) {
      ctx_.start.arrive_and_wait();
      w_.t_first = Clock::now();
    }
    const Clock::time_point t_start = w_.t_first;
    next_publish_ = op;  // each thread of the worker (--churn) publishes at its first op
    for (; op < max_ops; ++op) {
      // Two loads of lines that only change rarely: the stop flag and the hand-off mailbox.
      if (ctx_.stop.load(std::memory_order_relaxed)) break;
      if (op == next_publish_ ||
          ctx_.publish_epoch.load(std::memory_order_relaxed) != seen_epoch_) {
        seen_epoch_ = ctx_.publish_epoch.load(std::memory_order_relaxed);
        w_.live.Publish(r_, op);
        next_publish_ = NextPublish(op);
      }
      if (!kDirect && w_.mailbox.load(std::memory_order_relaxed) != nullptr) DrainMailbox();
      const uint64_t n = sampler.Next();
      const bool timed = (op & sample_mask) == 0;
      uint64_t t = 0;
      if (timed) t = LatencyClock::Now();
      Item* item = GetMarked<P, kMark>(pool_, n);
      uint64_t latency = timed ? LatencyClock::Elapsed(t) : 0;
      if (item == nullptr) {
        ++r_.refused;
        continue;
      }
      if (rss_step_ != 0) [[unlikely]]
        GuardRss(n);
      if constexpr (kDirect) {
        Held<Item> node;
        Admit(item, n, op, &node);
        latency += PutBack(&node, timed);
      } else {
        Held<Item>* h = w_.free;
        w_.free = h->next;
        --w_.free_count;
        Admit(item, n, op, h);
        if (hold == 0) {
          latency += Release(h, timed, true);
        } else if (w_.ring_size == hold) {  // full: the oldest goes back (lifetimes of K ops)
          Held<Item>* oldest = w_.ring[w_.ring_head];
          w_.ring[w_.ring_head] = h;
          if (++w_.ring_head == hold) w_.ring_head = 0;
          latency += Release(oldest, timed, true);
        } else {
          size_t slot = w_.ring_head + w_.ring_size;
          if (slot >= hold) slot -= hold;
          w_.ring[slot] = h;
          ++w_.ring_size;
        }
      }
      if (timed)
        r_.latency.Record(static_cast<uint64_t>(static_cast<double>(latency) * ns_per_tick_));
    }
    r_.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
    r_.ops = op;
    w_.live.Publish(r_, op);
    more_ = op == max_ops && op < total_ops && !ctx_.stop.load(std::memory_order_relaxed);
  }

 private:
  // --max-rss from the worker's side: after every rss_step_ bytes handed out, a reading of RSS;
  // at the stop line the run stops (the controller names the reason, kMaxRss).
  void GuardRss(uint64_t n) {
    if (n < rss_left_) {
      rss_left_ -= n;
      return;
    }
    rss_left_ = rss_step_;
    if (CurrentRss() < rss_stop_at_) return;
    ctx_.rss_reached.store(true, std::memory_order_relaxed);
    ctx_.stop.store(true, std::memory_order_relaxed);
  }

  // Checks a fresh buffer, writes the holder's pattern, and records both in node h.
  [[gnu::always_inline]] void Admit(Item* item, uint64_t n, uint64_t op, Held<Item>* h) {
    ++r_.gets;
    const uint64_t cap = item->Cap();
    r_.bytes_requested += n;
    r_.bytes_capacity += cap;
    ++r_.capacity_log2[cap == 0 ? 0 : std::bit_width(cap - 1)];
    const uint64_t len = item->Len();
    if constexpr (K != CheckLevel::kNone) {
      if (cap < n) {
        if (P::kTraits.promises_capacity) {
          Report(Violation::kShortCapacity, item, n, cap, op, cap);
        } else {
          r_.violations.AddCount(Violation::kTruncated, 1);
        }
      }
      if (len != 0) Report(Violation::kNotEmpty, item, n, cap, op, len);
    }
    if constexpr (K == CheckLevel::kFull) {
      // A buffer without storage (Get(0) may give one) has no bytes two holders could share.
      if (item->data() != nullptr &&
          !ctx_.registry->Claim(reinterpret_cast<uintptr_t>(item->data()))) [[unlikely]] {
        Report(Violation::kDoubleHandout, item, n, cap, op, 0);
      }
    }
    // --touch none writes nothing: one compare, none of the room arithmetic.
    uint64_t touched = 0;
    if (ctx_.options.touch != Touch::kNone) {
      const uint64_t room = cap > len ? cap - len : 0;
      touched = std::min(n, room);
      if (ctx_.options.touch == Touch::kHead) touched = std::min<uint64_t>(touched, kHeadBytes);
      if (ctx_.options.workload == Workload::kJson) touched = std::min(touched, kFullTouchLimit);
    }
    // The tag seeds the pattern: nothing to derive when nothing is written (--touch none).
    const uint64_t tag = touched != 0 ? MakeTag(self_, op) : 0;
    *h = {item, nullptr, tag, touched, touched, n, cap, op, 0, self_, nullptr};
    if (touched != 0) {
      if (ctx_.options.workload == Workload::kJson) {
        WriteJson(h, touched);
      } else {
        h->ptr = TouchItem(item, touched);
        if (touched > ends_above_) {  // --touch ends, or full beyond its limit: the two ends
          h->tail = touched - kHeadBytes;
          FillPattern(h->ptr, kHeadBytes, tag);
          FillPattern(h->ptr + h->tail, kHeadBytes, ~tag);
        } else {
          FillPattern(h->ptr, touched, h->tag);
        }
      }
    }
  }

  void WriteJson(Held<Item>* h, uint64_t limit) {
    if constexpr (kJsonCapable<Item>) {
      const size_t before = h->item->Len();
      WriteJsonArray(*h->item, h->tag, limit);
      h->ptr = h->item->data() + before;
      h->touched = h->item->Len() - before;
      if constexpr (K != CheckLevel::kNone) {
        // The writer must never hand out invalid JSON: parse what it wrote.
        const char* text = reinterpret_cast<const char*>(h->ptr);
        if (h->touched != 0 && !nlohmann::json::accept(text, text + h->touched)) {
          AddViolation({Violation::kCorruption, self_, h->op,
                        reinterpret_cast<uintptr_t>(h->item->data()), h->n, h->cap, 0},
                       h->item);
        }
      }
    } else {
      h->touched = 0;  // refused by the CLI: plugin buffers have no length to write JSON into
    }
  }

  // The offset of the first byte that is not what the holder wrote, or h->touched.
  size_t FirstBadByte(const Held<Item>* h) {
    if (ctx_.options.workload == Workload::kJson) {
      w_.scratch.Reset();
      WriteJsonArray(w_.scratch, h->tag, h->budget);
      const size_t n = std::min<size_t>(h->touched, w_.scratch.Len());
      const uint8_t* want = w_.scratch.Bytes().data();
      for (size_t i = 0; i < n; ++i) {
        if (h->ptr[i] != want[i]) return i;
      }
      return n;
    }
    if (h->tail != 0) {
      const size_t head = FirstMismatch(h->ptr, kHeadBytes, h->tag);
      if (head != kHeadBytes) return head;
      const size_t tail = FirstMismatch(h->ptr + h->tail, kHeadBytes, ~h->tag);
      return tail == kHeadBytes ? h->touched : h->tail + tail;
    }
    return FirstMismatch(h->ptr, h->touched, h->tag);
  }

  void Report(Violation v, Item* item, uint64_t n, uint64_t cap, uint64_t op, uint64_t detail) {
    AddViolation({v, self_, op, reinterpret_cast<uintptr_t>(item->data()), n, cap, detail}, item);
  }

  // Every finding of the loop goes through here (cold: only when a detector fired). With
  // --misuse double-put, a finding on an item the harness put twice is the misuse's doing and is
  // counted apart; otherwise it is a violation: counted, published as an example while its kind
  // has room (LiveCounters), and the first one is timed.
  [[gnu::noinline]] void AddViolation(const ViolationExample& e, const void* item) {
    if (ctx_.double_puts != nullptr && e.kind != Violation::kShortCapacity &&
        (ctx_.double_puts->Marked(e.address) ||
         ctx_.double_puts->Marked(reinterpret_cast<uintptr_t>(item)))) {
      if (e.kind == Violation::kDoubleHandout) {
        ++r_.double_put_accepted;
      } else {
        ++r_.double_put_side_effects;
      }
      return;
    }
    r_.violations.Add(e);
    if (r_.violations.count(e.kind) <= Violations::kMaxExamples) w_.live.PublishExample(e);
    if (r_.first_violation_s < 0) {
      // From the same start as the worker's seconds (the start latch), not from before it.
      r_.first_violation_s = std::chrono::duration<double>(Clock::now() - w_.t_first).count();
    }
  }

  // Gives a held buffer back: to another thread (with probability cross_thread while running), or
  // checked and Put here. Returns the LatencyClock ticks Put took when `timed`.
  [[gnu::always_inline]] uint64_t Release(Held<Item>* h, bool timed, bool may_hand_off) {
    if (may_hand_off && cross_ && w_.free_count > 0 && w_.coin.Next() < cross_threshold_) {
      const unsigned others = ctx_.options.threads - 1;
      const unsigned target =
          (self_ + 1 + static_cast<unsigned>(w_.coin.Next() % others)) % ctx_.options.threads;
      std::atomic<Held<Item>*>& box = ctx_.workers[target]->mailbox;
      h->next = box.load(std::memory_order_relaxed);
      while (!box.compare_exchange_weak(h->next, h, std::memory_order_release,
                                        std::memory_order_relaxed)) {
      }
      ++r_.handoffs;
      return 0;
    }
    const uint64_t ticks = PutBack(h, timed);
    Recycle(h);
    return ticks;
  }

  [[gnu::always_inline]] uint64_t PutBack(Held<Item>* h, bool timed) {
    if constexpr (K == CheckLevel::kFull) {
      if (h->touched != 0) {
        const size_t bad = FirstBadByte(h);
        if (bad != h->touched) {
          AddViolation({Violation::kCorruption, h->thread, h->op,
                        reinterpret_cast<uintptr_t>(h->item->data()), h->n, h->cap, bad},
                       h->item);
        }
      }
      if (h->item->data() != nullptr) {
        ctx_.registry->Release(reinterpret_cast<uintptr_t>(h->item->data()));
      }
    }
    if (double_put_threshold_ != 0) [[unlikely]] {
      if (w_.coin.Next() < double_put_threshold_) {
        PutTwice(h->item);
        ++r_.puts;
        return 0;
      }
    }
    uint64_t ticks = 0;
    if (timed) {
      const uint64_t t = LatencyClock::Now();
      PutMarked<P, kMark>(pool_, h->item);
      ticks = LatencyClock::Elapsed(t);
    } else {
      PutMarked<P, kMark>(pool_, h->item);
    }
    ++r_.puts;
    return ticks;
  }

  // --misuse double-put: the item goes back twice, as a buggy caller would put it, and is never
  // touched again. It is marked first (by item and by data address), so that whoever finds it
  // handed out twice later knows why.
  [[gnu::noinline]] void PutTwice(Item* item) {
    ctx_.double_puts->Mark(reinterpret_cast<uintptr_t>(item));
    ctx_.double_puts->Mark(reinterpret_cast<uintptr_t>(item->data()));
    ++r_.double_puts;
    // Out at once, before the pool sees it: a pool that crashes on the second put leaves a crash
    // record that says the harness had just put an item twice.
    w_.live.Publish(r_, r_.gets + r_.refused);
    if constexpr (requires { pool_.PutTwice(item); }) {
      pool_.PutTwice(item);  // a plugin: the same bp_buffer reaches its put twice
    } else {
      // The same pointer again; hidden from the compiler, which would otherwise see (in a pool
      // that frees on Put) the double free this deliberately is.
      Item* again = item;
      asm volatile("" : "+r"(again));
      PutMarked<P, kMark>(pool_, item);
      PutMarked<P, kMark>(pool_, again);
    }
  }

  // A node from the free list goes back to it (the free list of the thread that put it).
  void Recycle(Held<Item>* h) {
    h->next = w_.free;
    w_.free = h;
    ++w_.free_count;
  }

 public:
  // Puts back everything handed to this thread so far.
  void DrainMailbox() {
    Held<Item>* h = w_.mailbox.exchange(nullptr, std::memory_order_acquire);
    while (h != nullptr) {
      Held<Item>* next = h->next;
      PutBack(h, false);
      Recycle(h);
      h = next;
    }
  }
  // Releases what the ring still holds, here (no hand-off: others may have stopped draining).
  void ReleaseHeld() {
    const unsigned hold = ctx_.options.hold;
    while (w_.ring_size > 0) {
      PutBack(w_.ring[w_.ring_head], false);
      Recycle(w_.ring[w_.ring_head]);
      if (++w_.ring_head == hold) w_.ring_head = 0;
      --w_.ring_size;
    }
  }

 private:
  Context<P>& ctx_;
  P& pool_;
  Worker<Item>& w_;
  ThreadResult& r_;
  const uint32_t self_;
  const double ns_per_tick_ = LatencyClock::NsPerTick();
  bool cross_ = false;
  uint64_t cross_threshold_ = 0;
  uint64_t ends_above_ = kFullTouchLimit;  // writes longer than this touch only their two ends
  uint32_t seen_epoch_ = 0;
  // The op count at which the counters go out next: every kLivePublishOps ops, and at ops 1, 2,
  // 4, ... before that, so a pool that crashes in its first thousand ops leaves counters that
  // say how far it got (one compare per op, as the fixed period's mask test was).
  uint64_t next_publish_ = 0;
  static uint64_t NextPublish(uint64_t op) {
    if (op >= kLivePublishOps) return op + kLivePublishOps - (op & (kLivePublishOps - 1));
    return op == 0 ? 1 : 2 * op;
  }
  uint64_t double_put_threshold_ = 0;
  uint64_t rss_step_ = 0;  // --max-rss: bytes handed out between two readings; 0: no cap
  uint64_t rss_left_ = 0;
  uint64_t rss_stop_at_ = 0;
  bool more_ = false;
};

// The controller's side of LiveCounters: sums the workers' counters and collects the examples
// published since the last reading (at most kMaxExamples per kind over the run).
class LiveReader {
 public:
  template <class Item>
  LiveSample Read(const std::vector<std::unique_ptr<Worker<Item>>>& workers, Phase phase,
                  double t) {
    LiveSample s;
    s.phase = phase;
    s.t = t;
    seen_.resize(workers.size(), 0);
    for (size_t i = 0; i < workers.size(); ++i) {
      const LiveCounters& c = workers[i]->live;
      c.ReadInto(&s);
      const uint32_t n = c.num_examples.load(std::memory_order_acquire);
      for (uint32_t j = seen_[i]; j < n; ++j) {
        const ViolationExample& e = c.examples[j];
        uint64_t& sent = sent_[static_cast<size_t>(e.kind)];
        if (sent < Violations::kMaxExamples) {
          ++sent;
          s.new_examples.push_back(e);
        }
      }
      seen_[i] = n;
    }
    seen_double_puts_ = s.double_puts;
    return s;
  }
  // True when a worker has published an example this reader has not delivered yet.
  template <class Item>
  bool HasNew(const std::vector<std::unique_ptr<Worker<Item>>>& workers) const {
    for (size_t i = 0; i < workers.size(); ++i) {
      const uint32_t seen = i < seen_.size() ? seen_[i] : 0;
      if (workers[i]->live.num_examples.load(std::memory_order_relaxed) != seen) return true;
    }
    // A double put by the harness is evidence as well: the pool may crash on it.
    uint64_t double_puts = 0;
    for (const auto& w : workers)
      double_puts += w->live.double_puts.load(std::memory_order_relaxed);
    return double_puts != seen_double_puts_;
  }
  // Examples the runner adds itself after the workers (leaks), in the same per-kind budget.
  void AddOwn(const ViolationExample& e, LiveSample* s) {
    uint64_t& sent = sent_[static_cast<size_t>(e.kind)];
    if (sent < Violations::kMaxExamples) {
      ++sent;
      s->new_examples.push_back(e);
    }
  }

 private:
  std::vector<uint32_t> seen_;
  uint64_t seen_double_puts_ = 0;
  std::array<uint64_t, kViolationKinds> sent_{};
};

// One thread of worker `self`. Returns true when it stopped for --churn: what it holds stays in
// the worker for the next thread, and its own thread_local state (the pool's per-thread caches)
// is torn down as it exits.
template <class P, CheckLevel K>
bool WorkerMain(std::shared_ptr<Context<P>> ctx, unsigned self) {
  // A handler of ours (preemption, crash records) must not run on a small stack a foreign runtime
  // gave this thread; a thread of the pool's own (bp_pool_run_threads) keeps the one it has.
  const AltSignalStack alt_stack;
  if (ctx->preempter) ctx->preempter->Register(self);
  Loop<P, K> loop(*ctx, self);
  if (loop.Run()) {
    if (ctx->preempter) ctx->preempter->Unregister(self);
    return true;
  }
  loop.ReleaseHeld();
  ctx->stopped.arrive_and_wait();
  loop.DrainMailbox();
  ctx->workers[self]->live.Publish(ctx->workers[self]->result, ctx->workers[self]->result.ops);
  if (ctx->preempter) ctx->preempter->Unregister(self);
  std::lock_guard<std::mutex> lock(ctx->mu);
  ++ctx->finished;
  ctx->cv.notify_all();
  return false;
}

// Everything worker `self` runs, on whichever thread runs it: its loop, or with --churn a chain of
// threads, each started when the one before exited (this thread only starts and joins them; it
// never touches the pool).
template <class P, CheckLevel K>
void RunWorker(std::shared_ptr<Context<P>> ctx, unsigned self) {
  if (ctx->options.churn == 0) {
    WorkerMain<P, K>(std::move(ctx), self);
    return;
  }
  bool more = true;
  while (more) {
    std::thread t([&] { more = WorkerMain<P, K>(ctx, self); });
    t.join();
  }
}

template <class P>
using WorkerFn = void (*)(std::shared_ptr<Context<P>>, unsigned);

// The check level picks the loop here, once, so the loop never asks which checks are on.
template <class P>
WorkerFn<P> WorkerFor(CheckLevel checks) {
  switch (checks) {
    case CheckLevel::kNone:
      return RunWorker<P, CheckLevel::kNone>;
    case CheckLevel::kBasic:
      return RunWorker<P, CheckLevel::kBasic>;
    case CheckLevel::kFull:
      break;
  }
  return RunWorker<P, CheckLevel::kFull>;
}

// A pool that starts the workers on threads of its own (a plugin's bp_pool_run_threads,
// plugin_abi.h) says so with thread_launcher(); every other pool runs on bpstress's threads.
template <class P>
bp_pool_run_threads_fn ThreadLauncherOf(const P& pool) {
  if constexpr (requires { pool.thread_launcher(); }) {
    return pool.thread_launcher();
  } else {
    return nullptr;
  }
}

// The workers on the pool's own threads: one launcher thread of ours calls the pool's launcher,
// which calls Enter(this, i) once on each of its threads. Shared by the launcher thread and the
// controller, so an abandoned (hung) run leaves it alive for the threads still inside.
template <class P>
struct PoolThreads {
  PoolThreads(std::shared_ptr<Context<P>> c, WorkerFn<P> w, unsigned n)
      : ctx(std::move(c)), worker(w), count(n), claimed(n) {}

  // The pool's thread for worker `index`: runs exactly what a thread of ours would. An index out
  // of range or given twice is ignored (the worker is someone else's).
  static void Enter(void* arg, unsigned index) {
    auto* self = static_cast<PoolThreads*>(arg);
    if (index >= self->count || self->claimed[index].exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(self->mu);
      ++self->entered;
    }
    self->cv.notify_all();
    if (!self->cpus.empty()) PinThread(pthread_self(), self->cpus[index % self->cpus.size()]);
    self->worker(self->ctx, index);
  }

  const std::shared_ptr<Context<P>> ctx;
  const WorkerFn<P> worker;
  const unsigned count;
  std::vector<int> cpus;  // --pin: worker i on cpus[i % size], set before the launch
  std::vector<std::atomic<bool>> claimed;
  std::mutex mu;
  std::condition_variable cv;
  unsigned entered = 0;   // guarded by mu
  bool returned = false;  // the pool's launcher returned (whatever it returned); guarded by mu
};

}  // namespace bp::internal

namespace bp::internal {

// The controller wakes this often: short enough that --max-rss sees RSS grow before it passes the
// cap (kRssMargin) and a new violation example reaches the parent before a crash can lose it, long
// enough that the controller costs the workers nothing measurable.
inline constexpr auto kWatchPeriod = std::chrono::milliseconds(5);
// on_progress at most this often: a human reads the line, ten updates a second look live.
inline constexpr auto kProgressPeriod = std::chrono::milliseconds(100);
// Salted into the seed for the workers' coins (hand-offs, double puts) so that their stream is not
// the size sampler's, which is drawn from the same seed and thread.
inline constexpr uint64_t kCoinSeedSalt = 0x5EEDC0111ull;
// How long a pool's bp_pool_run_threads has to return after its last worker returned before it is
// left behind (detached): it only has to join its own threads.
inline constexpr auto kLauncherGrace = std::chrono::seconds(10);

// The controller of one RunPool: sets the workers up, creates the pool, starts the threads on the
// latch, watches them (stop conditions, progress, live samples) and gathers the result. RunPool
// calls the steps in order; each runs once.
template <class P>
class RunController {
 public:
  using Item = typename P::Item;
  // Create and destroy are marked for the leak accounting here unless the pool marks its own.
  static constexpr bool kMarksCreateDestroy = !requires { P::kMarksOwnCalls; };

  // Everything the workers need is allocated here, before CreateAndStart reads the heap, so that
  // what the heap holds afterwards is the pool's doing.
  RunController(const Distribution& dist, const RunOptions& o)
      : o_(o), threads_(std::max(1u, o.threads)), ctx_(std::make_shared<Context<P>>(o, threads_)) {
    run_.name = P::kName;
    run_.traits = P::kTraits;
    ctx_->options.threads = threads_;
    const size_t nodes = o.hold + 1 + (o.cross_thread > 0 ? kHandoffSpareNodes : 0);
    for (unsigned i = 0; i < threads_; ++i) {
      auto w = std::make_unique<Worker<Item>>(nodes);
      w->sampler.emplace(dist.MakeSampler(o.seed, i, threads_));
      w->coin.s = MakeTag(i, o.seed ^ kCoinSeedSalt) | 1;
      ctx_->workers.push_back(std::move(w));
    }
    if (o.checks == CheckLevel::kFull) {
      ctx_->registry = std::make_unique<OwnershipRegistry>(size_t{threads_} * nodes);
    }
    if (o.double_put_rate > 0) ctx_->double_puts = std::make_unique<DoublePutLog>();
    pool_threads_.reserve(threads_);
    // What a crash handler reads (crash_counters.h), registered while the controller lives.
    for (const auto& w : ctx_->workers) crash_counters_.push_back(&w->live);
    SetCrashCounters(crash_counters_.data(), crash_counters_.size());
  }
  ~RunController() { SetCrashCounters(nullptr, 0); }
  RunController(const RunController&) = delete;
  RunController& operator=(const RunController&) = delete;

  // Sends a live sample of `phase` at `t` seconds to on_sample, if any.
  void Sample(Phase phase, double t) {
    if (!o_.on_sample) return;
    LiveSample s = live_.Read(ctx_->workers, phase, t);
    Fill(s);
    o_.on_sample(s);
  }

  // Reads the heap, creates the pool, starts (and pins) the threads and opens the start latch.
  // Returns false when the pool's own launcher neither started every worker nor returned by the
  // deadline: the run is hung before it began (AbandonHung).
  template <class MakePool>
  bool CreateAndStart(MakePool& make_pool) {
    heap_before_ = HeapInUse();
    peak_reset_ = ResetPeakRss();
    // The leak evidence: what the pool's own calls allocate from here on (alloc_track.h).
    if (o_.checks != CheckLevel::kNone && alloc_track::Start()) {
      counting_ = true;
      generation_ = alloc_track::NextGeneration();
    }
    {
      const PoolCallScopeIf<kMarksCreateDestroy> in_pool;
      pool_ = make_pool();
    }
    ctx_->pool = pool_.get();
    if (o_.preempt_rate > 0) {
      ctx_->preempter = std::make_unique<Preempter>(o_.preempt_rate, o_.seed, threads_);
    }
    ctx_->t_begin = Clock::now();
    const std::vector<int> cpus = o_.pin ? AllowedCpus() : std::vector<int>{};
    const WorkerFn<P> worker = WorkerFor<P>(o_.checks);
    std::vector<bool> ours(threads_, true);
    if (const bp_pool_run_threads_fn launcher = ThreadLauncherOf(*pool_); launcher != nullptr) {
      if (!LaunchOnPoolThreads(launcher, worker, cpus, &ours)) {
        t0_ = Clock::now();
        run_.phase = Phase::kRun;
        return false;
      }
    }
    for (unsigned i = 0; i < threads_; ++i) {
      if (!ours[i]) continue;
      pool_threads_.emplace_back(worker, ctx_, i);
      // Before the start latch opens: no op runs on a CPU it was not pinned to.
      if (!cpus.empty()) PinThread(pool_threads_.back().native_handle(), cpus[i % cpus.size()]);
    }
    // The run phase is announced before the latch opens: a pool that dies in its first Get must
    // still be reported as dying in run, not in create.
    Sample(Phase::kRun, 0);
    ctx_->start.arrive_and_wait();
    t0_ = Clock::now();
    last_sample_ = t0_;
    last_progress_ = t0_;
    peak_rss_ = CurrentRss();
    run_.stop_reason = o_.ops_per_thread != 0 ? StopReason::kOps : StopReason::kDuration;
    return true;
  }

  // The controller's loop, every kWatchPeriod until every worker has finished. Returns true when
  // the deadline passed first: a thread is stuck inside the pool.
  bool Watch() {
    for (;;) {
      if (WorkersFinished()) {
        // The workers stopped themselves at the --max-rss line before the controller looked.
        if (!stopping_ && ctx_->rss_reached.load(std::memory_order_relaxed)) {
          RequestStop(StopReason::kMaxRss);
        }
        return false;
      }
      const Clock::time_point now = Clock::now();
      const auto elapsed = now - t0_;
      const uint64_t rss = CurrentRss();
      peak_rss_ = std::max(peak_rss_, rss);
      if (!stopping_) CheckStopConditions(elapsed, rss);
      if (o_.deadline.count() != 0 && elapsed >= o_.deadline) {
        // Where it hung: in the run, unless the run had already been asked to end.
        run_.phase = stopping_ ? Phase::kDrain : Phase::kRun;
        RequestStop(StopReason::kDeadline);
        return true;
      }
      ReportProgress(now, elapsed);
      PaceSamples(now, elapsed);
    }
  }

  // A thread is stuck inside the pool: it can be neither joined nor the pool destroyed. The
  // threads keep the context alive; the pool is abandoned. What the others did is unknowable
  // without a race, so only their published op counts are reported.
  PoolRun AbandonHung() {
    for (std::thread& t : pool_threads_) t.detach();
    if (launcher_thread_.joinable()) launcher_thread_.detach();
    if (ctx_->preempter) ctx_->preempter->Stop();
    (void)pool_.release();
    run_.outcome = Outcome::kHung;
    run_.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    for (auto& w : ctx_->workers) run_.total.ops += w->live.ops.load(std::memory_order_relaxed);
    run_.peak_rss_bytes = peak_rss_;
    return std::move(run_);
  }

  // Joins the threads, destroys the pool, reads the heap again and merges the workers' results.
  void JoinAndGather() {
    for (std::thread& t : pool_threads_) t.join();
    JoinLauncher();
    if (ctx_->preempter) ctx_->preempter->Stop();
    run_.stats = pool_->Stats();
    SampleExact(Phase::kDrain);
    SampleExact(Phase::kDestroy);
    {
      const PoolCallScopeIf<kMarksCreateDestroy> in_pool;
      pool_.reset();
    }
    // Read before the results are copied: from here on the runner allocates again.
    const uint64_t heap_after = HeapInUse();
    run_.heap_leaked_bytes = heap_after > heap_before_ ? heap_after - heap_before_ : 0;
    if (counting_) {
      const alloc_track::Residue r = alloc_track::LiveSince(generation_, kLeakSitesKept);
      run_.leak_count = {.counted = true,
                         .residue_bytes = r.bytes,
                         .residue_blocks = r.blocks,
                         .unreachable_bytes = r.unreachable_bytes,
                         .unreachable_blocks = r.unreachable_blocks};
      for (const alloc_track::Site& s : r.sites) {
        run_.leak_sites.push_back({alloc_track::DescribeSite(s.address), s.bytes, s.blocks});
      }
    }

    run_.threads.reserve(threads_);
    for (auto& w : ctx_->workers) {
      run_.total.Merge(w->result);
      run_.seconds = std::max(run_.seconds, w->result.seconds);
      run_.threads.push_back(w->result);
    }
    // A finding of the drain (a corrupted buffer put back after the loop) comes after the last
    // op: it is counted at the end of the run, as a leak is.
    if (run_.total.first_violation_s > run_.seconds) run_.total.first_violation_s = run_.seconds;
    if (ctx_->preempter) run_.total.preemptions = ctx_->preempter->Delivered();
    run_.outstanding = run_.total.gets - std::min(run_.total.gets, run_.total.puts);
    run_.peak_rss_bytes = std::max(peak_rss_, peak_reset_ ? PeakRss() : 0);
  }

  // The leak detector: buffers still out after join; blocks the pool's own calls allocated, had
  // not freed after destroy and nothing reaches (counted, alloc_track.h; with leak_cycles above 1
  // RunLeakCycles judges them over the cycles instead). The heap total is a figure, never a
  // verdict: it moves with the C library's per-thread caches and the harness's own buffers.
  void FindLeaks() {
    if (o_.checks == CheckLevel::kNone) return;
    if (run_.outstanding != 0) {
      run_.total.violations.Add({.kind = Violation::kLeak, .detail = run_.outstanding});
    }
    if (o_.leak_cycles <= 1 && run_.leak_count.unreachable_bytes != 0) {
      run_.total.violations.Add(
          {.kind = Violation::kLeak, .detail = run_.leak_count.unreachable_bytes});
    }
    // A leak is found at the end of the run.
    if (run_.total.first_violation_s < 0 && run_.total.violations.failures() != 0) {
      run_.total.first_violation_s = run_.seconds;
    }
  }

  // Sends the final sample (with the runner's own leak findings) and sets the outcome.
  PoolRun Finish() {
    if (o_.on_sample) {
      LiveSample s = live_.Read(ctx_->workers, Phase::kDone, run_.seconds);
      s.exact = true;
      s.stats_known = true;
      s.stats = run_.stats;
      for (size_t k = 0; k < kViolationKinds; ++k) {
        s.violations[k] = run_.total.violations.count(static_cast<Violation>(k));
      }
      for (size_t i = 0; i < run_.total.violations.num_examples(); ++i) {
        const ViolationExample& e = run_.total.violations.example(i);
        if (e.kind == Violation::kLeak) live_.AddOwn(e, &s);
      }
      Fill(s);
      o_.on_sample(s);
    }
    if (run_.total.violations.failures() != 0) {
      run_.outcome = Outcome::kViolations;
    } else if (run_.stop_reason == StopReason::kSignal) {
      run_.outcome = Outcome::kInterrupted;
    } else if (run_.stop_reason == StopReason::kMaxRss) {
      run_.outcome = Outcome::kLimit;
    }
    return std::move(run_);
  }

 private:
  // The readings beyond the workers' counters: RSS, the pool's retained bytes, outstanding.
  void Fill(LiveSample& s) {
    s.rss_bytes = CurrentRss();
    s.retained_bytes = pool_ != nullptr ? pool_->Stats().retained_bytes : s.stats.retained_bytes;
    s.outstanding = s.gets - std::min(s.gets, s.puts);
  }

  // Starts the workers through the pool's launcher from a thread of ours, and waits until each
  // worker is on a thread of the pool's or the launcher returned. Workers it did not start (all
  // of them when it refused) are left in *ours for threads of ours. False when neither happened
  // by the deadline.
  bool LaunchOnPoolThreads(bp_pool_run_threads_fn launcher, WorkerFn<P> worker,
                           const std::vector<int>& cpus, std::vector<bool>* ours) {
    auto pt = std::make_shared<PoolThreads<P>>(ctx_, worker, threads_);
    pt->cpus = cpus;
    pool_launch_ = pt;
    launcher_thread_ = std::thread([pt, launcher] {
      // Non-zero or not, what counts is which workers it started (claimed).
      (void)launcher(pt->count, &PoolThreads<P>::Enter, pt.get());
      {
        std::lock_guard<std::mutex> lock(pt->mu);
        pt->returned = true;
      }
      pt->cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(pt->mu);
    const auto started = [&] { return pt->entered == threads_ || pt->returned; };
    if (o_.deadline.count() == 0) {
      pt->cv.wait(lock, started);
    } else if (!pt->cv.wait_for(lock, o_.deadline, started)) {
      return false;
    }
    // Workers the launcher did not start (it returned; non-zero: it could not start any) run on
    // threads of ours, each claimed here so that a late call of the pool's is ignored.
    for (unsigned i = 0; i < threads_; ++i) (*ours)[i] = !pt->claimed[i].exchange(true);
    return true;
  }

  // The pool's launcher returns once every worker call returned (plugin_abi.h); every worker has
  // finished by now. One that does not return is left behind rather than waited for.
  void JoinLauncher() {
    if (!launcher_thread_.joinable()) return;
    std::unique_lock<std::mutex> lock(pool_launch_->mu);
    if (pool_launch_->cv.wait_for(lock, kLauncherGrace, [&] { return pool_launch_->returned; })) {
      lock.unlock();
      launcher_thread_.join();
    } else {
      lock.unlock();
      launcher_thread_.detach();
    }
  }

  // Every worker has joined: the published counters are the final ones (LiveSample::exact).
  void SampleExact(Phase phase) {
    if (!o_.on_sample) return;
    LiveSample s =
        live_.Read(ctx_->workers, phase, std::chrono::duration<double>(Clock::now() - t0_).count());
    s.exact = true;
    s.stats_known = true;
    s.stats = run_.stats;
    Fill(s);
    o_.on_sample(s);
  }

  // Waits up to kWatchPeriod for the last worker to finish.
  bool WorkersFinished() {
    std::unique_lock<std::mutex> lock(ctx_->mu);
    return ctx_->cv.wait_for(lock, kWatchPeriod, [&] { return ctx_->finished == threads_; });
  }

  void RequestStop(StopReason why) {
    run_.stop_reason = why;
    stopping_ = true;
    ctx_->stop.store(true, std::memory_order_relaxed);
  }

  // Signal, --max-rss, --duration, --stop-on-violation: the first that holds stops the workers.
  void CheckStopConditions(Clock::duration elapsed, uint64_t rss) {
    if (PendingSignal().load() != 0) {
      RequestStop(StopReason::kSignal);
    } else if (o_.max_rss_bytes != 0 && (rss >= RssStopAt(o_.max_rss_bytes) ||
                                         ctx_->rss_reached.load(std::memory_order_relaxed))) {
      // Stop short of the cap: the drain still allocates a little, and the cap must hold.
      RequestStop(StopReason::kMaxRss);
    } else if (o_.ops_per_thread == 0 && elapsed >= o_.duration) {
      RequestStop(StopReason::kDuration);
    } else if (o_.stop_on_violation &&
               std::any_of(ctx_->workers.begin(), ctx_->workers.end(), [](const auto& w) {
                 // Every failure publishes an example at once (Loop::AddViolation).
                 return w->live.num_examples.load(std::memory_order_relaxed) != 0;
               })) {
      RequestStop(StopReason::kDuration);
    }
  }

  void ReportProgress(Clock::time_point now, Clock::duration elapsed) {
    if (!o_.on_progress || now - last_progress_ < kProgressPeriod) return;
    last_progress_ = now;
    uint64_t ops = 0;
    for (auto& w : ctx_->workers) ops += w->live.ops.load(std::memory_order_relaxed);
    o_.on_progress(ops, std::chrono::duration<double>(elapsed).count());
  }

  // Live samples every --sample-interval: the workers are asked to publish half an interval
  // before each reading.
  void PaceSamples(Clock::time_point now, Clock::duration elapsed) {
    if (!o_.on_sample) return;
    // A new example goes out at once (within two watch rounds: one for the workers to publish
    // their counters, one to read them), not at the next interval: the pool may crash before.
    if (!epoch_bumped_ && live_.HasNew(ctx_->workers)) {
      ctx_->publish_epoch.fetch_add(1, std::memory_order_relaxed);
      epoch_bumped_ = true;
      // The next round: a millisecond less than a watch period ahead, so that it is due then.
      last_sample_ = now - o_.sample_interval + kWatchPeriod - std::chrono::milliseconds(1);
    } else if (now - last_sample_ >= o_.sample_interval / 2 && !epoch_bumped_) {
      // Ask the workers to publish; the sample half an interval later reads what they did.
      ctx_->publish_epoch.fetch_add(1, std::memory_order_relaxed);
      epoch_bumped_ = true;
    }
    if (now - last_sample_ >= o_.sample_interval) {
      last_sample_ = now;
      epoch_bumped_ = false;
      Sample(stopping_ ? Phase::kDrain : Phase::kRun,
             std::chrono::duration<double>(elapsed).count());
    }
  }

  const RunOptions& o_;
  const unsigned threads_;
  PoolRun run_;
  std::shared_ptr<Context<P>> ctx_;
  std::vector<std::thread> pool_threads_;
  std::thread launcher_thread_;  // calls the pool's bp_pool_run_threads, when it has one
  std::shared_ptr<PoolThreads<P>> pool_launch_;
  std::vector<const LiveCounters*> crash_counters_;
  LiveReader live_;
  std::unique_ptr<P> pool_;
  uint64_t heap_before_ = 0;
  bool counting_ = false;    // the pool's allocations are counted in this run
  uint32_t generation_ = 0;  // the records of this run's cycle
  bool peak_reset_ = false;
  Clock::time_point t0_{};
  Clock::time_point last_sample_{};
  Clock::time_point last_progress_{};
  bool epoch_bumped_ = false;  // the workers were asked to publish for the next sample
  uint64_t peak_rss_ = 0;
  bool stopping_ = false;
};

}  // namespace bp::internal

namespace bp {

template <class P, class MakePool>
PoolRun RunPool(MakePool&& make_pool, const Distribution& dist, const RunOptions& o) {
  static_assert(BufferPool<P>);
  internal::RunController<P> controller(dist, o);
  controller.Sample(Phase::kCreate, 0);
  if (!controller.CreateAndStart(make_pool) || controller.Watch()) return controller.AbandonHung();
  controller.JoinAndGather();
  controller.FindLeaks();
  return controller.Finish();
}

}  // namespace bp
