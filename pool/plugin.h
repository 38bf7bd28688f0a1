// External pools through the C ABI of include/bpstress/plugin_abi.h.
//
//   bp::PluginLibrary — one loaded plugin file: dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE),
//                       the bp_pool_plugin table checked (ABI version, name, required functions)
//                       before anything in it is called, and the optional bp_pool_run_threads
//                       looked up. Immutable once loaded; shared by every pool made from it. Its
//                       handle is closed when the last of them is gone, but the code stays mapped
//                       until the process exits (see Load).
//
// Load a plugin only in the process that runs it: a library may start threads when it is loaded
// (every Go c-shared library does, so may a C pool with a background thread), and a process forked
// after the load has none of them, so the first call that needs them waits for ever. Shared() is
// the load of this process, once per path; a forked child that never saw the parent load anything
// loads the library itself (tool/process/plugin_probe.h probes a plugin in a child for that
// reason).
//   bp::PluginPool    — one pool instance of a plugin, satisfying bp::BufferPool so the stress
//                       runner instantiates its loop for it like for any built-in pool. Get(n) is
//                       the plugin's get; a non-zero return is a refusal and yields nullptr.
//
// The ABI has no length, so PluginItem::Len() is always 0, and no counters, so PluginPool counts
// what it sees itself: every get is a miss (the host cannot tell hits from misses), every put is
// "kept", and retained bytes come from the plugin's retained_bytes() when it provides one (0
// otherwise). Reports mark these counters as not the pool's own (PoolRun::pool_counters = false).
//
// Cost over the plugin's own get/put: one indirect call each, plus a PluginItem wrapper popped
// from / pushed to the calling thread's free list (one TLS load and two pointer moves). Wrappers
// are never freed, only recycled (through a locked process-wide depot when a thread has too many
// or none, and when it exits), so once the lists are warm the hot path does not allocate.
//
// Thread safety: PluginLibrary is immutable after Load. PluginPool: Get, Put and Stats from any
// thread, as the BufferPool contract says; the plugin must itself be safe for concurrent get/put.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bpstress/plugin_abi.h"
#include "pool/pool.h"
#include "pool/pool_call.h"

namespace bp {

class PluginLibrary {
 public:
  // Loads and checks the plugin at `path` (a path without '/' is taken relative to the current
  // directory, not searched for in the library path). On failure returns nullptr and a one-line
  // reason in *error: the loader's message for an unloadable file, or which check failed (missing
  // symbol, ABI version found and expected, which required pointer is NULL).
  static std::shared_ptr<PluginLibrary> Load(const std::string& path, std::string* error);
  // The library at `path` as loaded in this process: loaded (as Load) by the first call for that
  // path, the same object afterwards. Thread-safe. A failed load is not remembered.
  static std::shared_ptr<PluginLibrary> Shared(const std::string& path, std::string* error);

  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const bp_pool_api& api() const { return *api_; }
  // The plugin's self-reported name: untrusted bytes, possibly not UTF-8.
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  // The plugin's bp_pool_run_threads (plugin_abi.h), or nullptr when it exports none.
  bp_pool_run_threads_fn run_threads() const { return run_threads_; }

 private:
  PluginLibrary(void* handle, const bp_pool_api* api, std::string path,
                bp_pool_run_threads_fn run_threads);

  void* handle_;
  const bp_pool_api* api_;
  bp_pool_run_threads_fn run_threads_;
  std::string name_;
  std::string path_;
};

// A buffer from a plugin: the bp_buffer its get filled, kept verbatim for its put.
class PluginItem {
 public:
  uint8_t* data() { return buf_.data; }
  size_t Cap() const { return buf_.cap; }
  size_t Len() const { return 0; }

 private:
  friend class PluginPool;
  bp_buffer buf_{};
  PluginItem* next_ = nullptr;  // free-list link while the wrapper is unused
};

namespace internal {
// The calling thread's unused PluginItem wrappers (shared by all plugin pools: a wrapper carries
// no pool state between uses). `room` is how many more it may keep; it starts at 0 so that a
// thread's first use takes the slow path, which arranges for the list to be handed back when the
// thread exits. Constant-initialised: the fast path is one TLS load.
struct PluginItemCache {
  PluginItem* head = nullptr;
  size_t room = 0;
};
inline constinit thread_local PluginItemCache tls_plugin_items{};
}  // namespace internal

class PluginPool {
 public:
  using Item = PluginItem;
  static constexpr PoolTraits kTraits{
      .promises_capacity = true, .fixed_capacity = false, .pools = true};
  // The runner's name for every plugin; the plugin's own name is PluginLibrary::name().
  static constexpr const char* kName = "plugin";
  // The leak accounting's scope (pool/pool_call.h) is opened here around the plugin's own calls,
  // not by the runner around Get and Put: the wrapper cache below is the harness's memory.
  static constexpr bool kMarksOwnCalls = true;

  // Calls the plugin's create(options). On failure returns nullptr and the plugin's own reason
  // in *error ("create failed: <reason>", made one line of printable characters).
  static std::unique_ptr<PluginPool> Create(std::shared_ptr<PluginLibrary> lib,
                                            const std::string& options, std::string* error);
  // A pool that refuses every Get (its plugin pool could not be created, or its library could not
  // be loaded: `lib` may be nullptr): lets a run go ahead and show the failure as refusals instead
  // of stopping the process.
  static std::unique_ptr<PluginPool> Refusing(std::shared_ptr<PluginLibrary> lib);

  // Calls the plugin's destroy. Every item must have been put back.
  ~PluginPool();
  PluginPool(const PluginPool&) = delete;
  PluginPool& operator=(const PluginPool&) = delete;

  PluginItem* Get(size_t n) {
    if (pool_ == nullptr) [[unlikely]] {
      return nullptr;
    }
    PluginItem* item = TakeWrapper();
    if (item == nullptr) [[unlikely]] {
      return nullptr;  // out of memory for the wrapper: a refusal rather than a throw
    }
    int rc;
    {
      PoolCallScope in_plugin;
      rc = get_(pool_, n, &item->buf_);
    }
    if (rc != 0) [[unlikely]] {
      GiveWrapper(item);
      return nullptr;
    }
    counters_.Miss();
    return item;
  }

  void Put(PluginItem* item) {
    if (item == nullptr) return;
    {
      PoolCallScope in_plugin;
      put_(pool_, &item->buf_);
    }
    counters_.Kept(0);  // retention is the plugin's to report, see Stats()
    GiveWrapper(item);
  }

  // A caller's double put (bpstress --misuse double-put): the same bp_buffer reaches the plugin's
  // put twice; the wrapper is reused once, after both.
  void PutTwice(PluginItem* item) {
    if (item == nullptr) return;
    bp_buffer again = item->buf_;
    {
      PoolCallScope in_plugin;
      put_(pool_, &item->buf_);
      put_(pool_, &again);
    }
    counters_.Kept(0);
    GiveWrapper(item);
  }

  // gets/puts as seen from here (hits 0, drops 0); retained bytes from the plugin when it reports
  // them (0 otherwise), and their peak over the Stats() calls made so far.
  PoolStats Stats() const;

  // How the runner starts its workers: through the plugin's bp_pool_run_threads when it exports
  // one (tool/run/runner_impl.h), on bpstress's own threads when this is nullptr.
  bp_pool_run_threads_fn thread_launcher() const {
    return lib_ != nullptr ? lib_->run_threads() : nullptr;
  }

 private:
  // Wrappers a thread keeps; beyond that half go to the process-wide depot, so a thread that
  // only puts (cross-thread hand-offs) does not hoard them.
  static constexpr size_t kLocalMax = 256;
  // Wrappers moved from the depot, or allocated, at once when a thread has none.
  static constexpr size_t kBatch = 32;

  PluginPool(std::shared_ptr<PluginLibrary> lib, void* pool);

  static PluginItem* TakeWrapper() {
    internal::PluginItemCache& c = internal::tls_plugin_items;
    if (PluginItem* item = c.head) [[likely]] {
      c.head = item->next_;
      ++c.room;
      return item;
    }
    return TakeWrapperSlow();
  }
  static void GiveWrapper(PluginItem* item) {
    internal::PluginItemCache& c = internal::tls_plugin_items;
    if (c.room != 0) [[likely]] {
      item->next_ = c.head;
      c.head = item;
      --c.room;
      return;
    }
    GiveWrapperSlow(item);
  }
  static PluginItem* TakeWrapperSlow();
  static void GiveWrapperSlow(PluginItem* item);
  // The calling thread's first use of its list: room for kLocalMax, handed back at thread exit.
  static void StartThreadCache();
  // At thread exit: the list goes to the depot; later uses by this thread go there directly.
  static void ReleaseThreadCache();
  friend struct PluginItemReleaser;

  std::shared_ptr<PluginLibrary> lib_;
  void* pool_;
  int (*get_)(void*, size_t, bp_buffer*);
  void (*put_)(void*, bp_buffer*);
  size_t (*retained_)(void*);
  PoolCounters counters_;
  mutable std::atomic<uint64_t> peak_retained_{0};
};

}  // namespace bp
