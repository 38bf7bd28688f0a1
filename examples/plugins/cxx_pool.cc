// cxx_pool — the built-in bp::SizedPool exposed through the plugin ABI (<bpstress/plugin_abi.h>):
// how a C++ pool becomes a bpstress plugin.
//
// The rules for C++ authors: the entry point and the table are extern "C"; no exception may cross
// the ABI (create catches everything and reports it in err; get turns an allocation failure into a
// refusal); the table is a static with constant initialisation, so it exists before any call.
// The pool object is the C++ object itself, passed around as void*.
//
// Options: "min=BYTES,max=BYTES" (SizedPool's defaults: 64 and 65536). Comparing
// `--pool sized` with `--plugin libcxx_pool.so` shows what the ABI costs (an indirect call and a
// wrapper per get/put).
#include <bpstress/plugin_abi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include "pool/sized_pool.h"

namespace {

void SetError(char* err, size_t err_cap, const std::string& what) {
  std::snprintf(err, err_cap, "%s", what.c_str());
}

// "min=64,max=65536" -> SizedPoolOptions; false with a reason on anything else.
bool ParseOptions(std::string_view text, bp::SizedPoolOptions* o, std::string* error) {
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      *error = "option '" + std::string(item) + "' is not key=value";
      return false;
    }
    const std::string key(item.substr(0, eq)), value(item.substr(eq + 1));
    char* end = nullptr;
    const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || value[0] == '-') {
      *error = "option '" + key + "' needs a number";
      return false;
    }
    if (key == "min") {
      o->min = v;
    } else if (key == "max") {
      o->max = v;
    } else {
      *error = "unknown option '" + key + "' (known: min, max)";
      return false;
    }
  }
  return true;
}

void* CxxCreate(const char* options, char* err, size_t err_cap) {
  try {
    bp::SizedPoolOptions o;
    std::string error;
    if (!ParseOptions(options, &o, &error)) {
      SetError(err, err_cap, error);
      return nullptr;
    }
    std::unique_ptr<bp::SizedPool> pool = bp::SizedPool::Create(o, &error);
    if (pool == nullptr) {
      SetError(err, err_cap, error);
      return nullptr;
    }
    return pool.release();
  } catch (const std::exception& e) {
    SetError(err, err_cap, e.what());
    return nullptr;
  }
}

void CxxDestroy(void* pool) { delete static_cast<bp::SizedPool*>(pool); }

int CxxGet(void* pool, size_t size, bp_buffer* out) {
  try {
    bp::Buffer* b = static_cast<bp::SizedPool*>(pool)->Get(size);
    out->data = b->data();
    out->cap = b->Cap();
    out->handle = b;
    return 0;
  } catch (const std::bad_alloc&) {
    return 1;  // refused: bpstress counts it
  }
}

void CxxPut(void* pool, bp_buffer* buf) {
  static_cast<bp::SizedPool*>(pool)->Put(static_cast<bp::Buffer*>(buf->handle));
}

size_t CxxRetainedBytes(void* pool) {
  return static_cast<size_t>(static_cast<bp::SizedPool*>(pool)->Stats().retained_bytes);
}

constexpr bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "cxx-sized", CxxCreate, CxxDestroy, CxxGet, CxxPut, CxxRetainedBytes};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
