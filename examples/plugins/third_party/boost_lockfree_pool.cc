// boost_lockfree_pool — a correct pool over Boost.Lockfree (Debian: libboost-dev), for the
// false-alarm sweep (sanitizers/false-alarm-sweep.sh): code this project did not write.
//
// One boost::lockfree::stack<void*> of free blocks per power-of-two class from 64 B to 64 KiB.
// get(n) pops a block of n's class or mallocs one (a header in front of the data holds the
// class); put pushes it back, or frees it when the stack cannot grow. Larger requests are malloc'd
// at their size and freed on put. The stacks' own nodes come from Boost's free list (operator new
// inside get and put), and everything — blocks and nodes — is freed by destroy.
// Options: none. Built by the sweep script:
//   c++ -O2 -shared -fPIC -I include -o libboost_lockfree_pool.so boost_lockfree_pool.cc
#include <bpstress/plugin_abi.h>
#include <errno.h>

#include <boost/lockfree/stack.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

constexpr int kClasses = 11;  // 64 B .. 64 KiB
constexpr size_t kHeader = 16;
constexpr int kUnpooled = -1;

struct Pool {
  std::unique_ptr<boost::lockfree::stack<void*>> free[kClasses];
  Pool() {
    for (auto& s : free) s = std::make_unique<boost::lockfree::stack<void*>>(64);
  }
  ~Pool() {
    void* b = nullptr;
    for (auto& s : free) {
      while (s->pop(b)) std::free(b);
    }
  }
};

int ClassOf(size_t n) {
  size_t size = 64;
  for (int c = 0; c < kClasses; ++c, size <<= 1) {
    if (n <= size) return c;
  }
  return kUnpooled;
}

void* BlCreate(const char* options, char* err, size_t err_cap) {
  if (*options != '\0') {
    std::snprintf(err, err_cap, "no options");
    return nullptr;
  }
  return new (std::nothrow) Pool();
}

void BlDestroy(void* p) { delete static_cast<Pool*>(p); }

int BlGet(void* pv, size_t n, bp_buffer* out) {
  Pool* p = static_cast<Pool*>(pv);
  const int cls = ClassOf(n);
  const size_t cap = cls == kUnpooled ? n : size_t{64} << cls;
  void* b = nullptr;
  if (cls == kUnpooled || !p->free[cls]->pop(b)) {
    b = std::malloc(kHeader + cap);
    if (b == nullptr) return ENOMEM;
    *static_cast<int*>(b) = cls;
  }
  out->data = static_cast<unsigned char*>(b) + kHeader;
  out->cap = cap;
  out->handle = b;
  return 0;
}

void BlPut(void* pv, bp_buffer* buf) {
  Pool* p = static_cast<Pool*>(pv);
  const int cls = *static_cast<int*>(buf->handle);
  if (cls == kUnpooled || !p->free[cls]->push(buf->handle)) std::free(buf->handle);
}

const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "boost-lockfree", BlCreate, BlDestroy, BlGet, BlPut, nullptr};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
