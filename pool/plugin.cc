#include "pool/plugin.h"

#include <dlfcn.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <new>
#include <utility>

namespace bp {
namespace {

// Text from a plugin or the loader made safe for one line of a terminal: control bytes become
// spaces (so a reason cannot fake further lines of output), length bounded.
std::string OneLine(const char* text, size_t max = 400) {
  std::string out;
  for (const char* p = text; *p != '\0' && out.size() < max; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  }
  return out;
}

// Unused wrappers of threads that had too many, or that exited. Never destroyed: threads may
// exit (and hand their lists back) after static destructors ran.
struct Depot {
  std::mutex mu;
  PluginItem* head = nullptr;
};
Depot& TheDepot() {
  static Depot* depot = new Depot;
  return *depot;
}

// After the calling thread's cache was handed back at its exit, further wrappers go straight to
// and from the depot (a thread_local destructor that runs later may still put a buffer).
constinit thread_local bool tls_cache_released = false;

}  // namespace

// Hands the exiting thread's wrappers to the depot.
struct PluginItemReleaser {
  ~PluginItemReleaser() { PluginPool::ReleaseThreadCache(); }
};

void PluginPool::ReleaseThreadCache() {
  internal::PluginItemCache& c = internal::tls_plugin_items;
  tls_cache_released = true;
  Depot& d = TheDepot();
  std::lock_guard<std::mutex> lock(d.mu);
  while (PluginItem* item = c.head) {
    c.head = item->next_;
    item->next_ = d.head;
    d.head = item;
  }
  c.room = 0;
}

void PluginPool::StartThreadCache() {
  static thread_local PluginItemReleaser releaser;
  (void)releaser;
  internal::tls_plugin_items.room = kLocalMax;
}

std::shared_ptr<PluginLibrary> PluginLibrary::Load(const std::string& path, std::string* error) {
  if (path.empty()) {
    *error = "plugin path is empty";
    return nullptr;
  }
  // dlopen searches the library path for a bare file name; a user naming a file means that file.
  const std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  // RTLD_NODELETE: the code stays mapped after dlclose, so the plugin's static data still roots
  // what it allocated (LeakSanitizer at exit would report its singletons otherwise), its frames
  // still symbolise in late sanitizer reports, and thread_local destructors it registered in
  // threads that outlive the pool still have code to run.
  void* handle = dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = dlerror();
    *error = "cannot load plugin: " + OneLine(why != nullptr ? why : "unknown dlopen error");
    return nullptr;
  }
  auto fail = [&](std::string why) {
    *error = path + ": " + std::move(why);
    dlclose(handle);
    return nullptr;
  };
  dlerror();
  void* sym = dlsym(handle, BP_PLUGIN_SYMBOL);
  if (sym == nullptr) {
    return fail("no symbol " BP_PLUGIN_SYMBOL
                " (not a bpstress plugin, or the function is not extern \"C\" and exported)");
  }
  const auto entry = reinterpret_cast<bp_pool_plugin_fn>(sym);
  const bp_pool_api* api = entry();
  if (api == nullptr) return fail(BP_PLUGIN_SYMBOL "() returned NULL");
  // Nothing past abi_version is read before the version is known: another version's table may
  // have another layout.
  if (api->abi_version != BP_PLUGIN_ABI_VERSION) {
    return fail("plugin ABI version " + std::to_string(api->abi_version) + ", expected " +
                std::to_string(BP_PLUGIN_ABI_VERSION) +
                " (rebuild it against this bpstress's include/bpstress/plugin_abi.h)");
  }
  const std::pair<const char*, bool> required[] = {
      {"name", api->name != nullptr},       {"create", api->create != nullptr},
      {"destroy", api->destroy != nullptr}, {"get", api->get != nullptr},
      {"put", api->put != nullptr},
  };
  for (const auto& [field, present] : required) {
    if (!present) return fail(std::string("bp_pool_api.") + field + " is NULL (required)");
  }
  if (api->name[0] == '\0') return fail("bp_pool_api.name is empty");
  // Optional: a plugin without it (every ABI v1 plugin) runs on bpstress's threads.
  const auto run_threads =
      reinterpret_cast<bp_pool_run_threads_fn>(dlsym(handle, BP_RUN_THREADS_SYMBOL));
  return std::shared_ptr<PluginLibrary>(new PluginLibrary(handle, api, path, run_threads));
}

std::shared_ptr<PluginLibrary> PluginLibrary::Shared(const std::string& path, std::string* error) {
  // Never destroyed: pools made from a library may outlive static destructors (a hung run).
  static std::mutex* mu = new std::mutex;
  static auto* loaded = new std::map<std::string, std::shared_ptr<PluginLibrary>>;
  std::lock_guard<std::mutex> lock(*mu);
  if (auto it = loaded->find(path); it != loaded->end()) return it->second;
  std::shared_ptr<PluginLibrary> lib = Load(path, error);
  if (lib != nullptr) loaded->emplace(path, lib);
  return lib;
}

PluginLibrary::PluginLibrary(void* handle, const bp_pool_api* api, std::string path,
                             bp_pool_run_threads_fn run_threads)
    : handle_(handle),
      api_(api),
      run_threads_(run_threads),
      name_(api->name),
      path_(std::move(path)) {}

PluginLibrary::~PluginLibrary() { dlclose(handle_); }

std::unique_ptr<PluginPool> PluginPool::Create(std::shared_ptr<PluginLibrary> lib,
                                               const std::string& options, std::string* error) {
  char reason[512] = {};
  void* pool = nullptr;
  {
    PoolCallScope in_plugin;
    pool = lib->api().create(options.c_str(), reason, sizeof reason);
  }
  if (pool == nullptr) {
    reason[sizeof reason - 1] = '\0';  // the plugin may have filled the buffer without a NUL
    *error = "create failed: " + (reason[0] != '\0' ? OneLine(reason) : "no reason given");
    return nullptr;
  }
  return std::unique_ptr<PluginPool>(new PluginPool(std::move(lib), pool));
}

std::unique_ptr<PluginPool> PluginPool::Refusing(std::shared_ptr<PluginLibrary> lib) {
  return std::unique_ptr<PluginPool>(new PluginPool(std::move(lib), nullptr));
}

PluginPool::PluginPool(std::shared_ptr<PluginLibrary> lib, void* pool)
    : lib_(std::move(lib)),
      pool_(pool),
      get_(lib_ != nullptr ? lib_->api().get : nullptr),
      put_(lib_ != nullptr ? lib_->api().put : nullptr),
      retained_(lib_ != nullptr ? lib_->api().retained_bytes : nullptr) {}

PluginPool::~PluginPool() {
  if (pool_ != nullptr) {
    PoolCallScope in_plugin;
    lib_->api().destroy(pool_);
  }
}

PoolStats PluginPool::Stats() const {
  PoolStats st = counters_.Snapshot();
  const uint64_t retained =
      (retained_ != nullptr && pool_ != nullptr) ? uint64_t{retained_(pool_)} : 0;
  uint64_t peak = peak_retained_.load(std::memory_order_relaxed);
  while (retained > peak &&
         !peak_retained_.compare_exchange_weak(peak, retained, std::memory_order_relaxed)) {
  }
  st.retained_bytes = retained;
  st.peak_retained_bytes = std::max(peak, retained);
  return st;
}

PluginItem* PluginPool::TakeWrapperSlow() {
  internal::PluginItemCache& c = internal::tls_plugin_items;
  Depot& d = TheDepot();
  if (tls_cache_released) {
    {
      std::lock_guard<std::mutex> lock(d.mu);
      if (PluginItem* item = d.head) {
        d.head = item->next_;
        return item;
      }
    }
    return new (std::nothrow) PluginItem;
  }
  if (c.room == 0) StartThreadCache();  // first use: nothing held and no room yet
  {
    std::lock_guard<std::mutex> lock(d.mu);
    for (size_t i = 0; i < kBatch && d.head != nullptr && c.room != 0; ++i) {
      PluginItem* item = d.head;
      d.head = item->next_;
      item->next_ = c.head;
      c.head = item;
      --c.room;
    }
  }
  for (size_t i = 0; c.head == nullptr && i < kBatch && c.room != 0; ++i) {
    PluginItem* item = new (std::nothrow) PluginItem;
    if (item == nullptr) break;
    item->next_ = c.head;
    c.head = item;
    --c.room;
  }
  if (c.head == nullptr) return nullptr;
  return TakeWrapper();
}

void PluginPool::GiveWrapperSlow(PluginItem* item) {
  internal::PluginItemCache& c = internal::tls_plugin_items;
  Depot& d = TheDepot();
  if (tls_cache_released) {
    std::lock_guard<std::mutex> lock(d.mu);
    item->next_ = d.head;
    d.head = item;
    return;
  }
  if (c.head == nullptr) {
    StartThreadCache();  // first use: nothing held and no room yet
  } else {
    // Full: half of the list goes to the depot, for threads that get more than they put.
    std::lock_guard<std::mutex> lock(d.mu);
    for (size_t i = 0; i < kLocalMax / 2; ++i) {
      PluginItem* moved = c.head;
      c.head = moved->next_;
      moved->next_ = d.head;
      d.head = moved;
      ++c.room;
    }
  }
  item->next_ = c.head;
  c.head = item;
  --c.room;
}

}  // namespace bp
