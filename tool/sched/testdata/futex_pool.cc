// futex_pool — a correct pool whose lock is the three-state futex mutex of Drepper's "Futexes Are
// Tricky" (0 free, 1 locked, 2 locked with waiters) on a std::atomic<int>, waiting and waking
// with syscall(SYS_futex), as C++20 atomic::wait does after its spin. Under `bpstress sched`
// (built with bp_sched_plugin) the futex model is what keeps a waiting thread from hanging
// (tests/sched_test.cc). Buffers of up to 4096 bytes on one free list. Options: none.
#include <bpstress/plugin_abi.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

namespace {

constexpr size_t kCap = 4096;
constexpr size_t kHeader = 16;

struct Node {
  Node* next;
};

struct Pool {
  std::atomic<int> lock{0};
  Node* head = nullptr;
};

long Futex(std::atomic<int>* word, int op, int value) {
  return syscall(SYS_futex, reinterpret_cast<int*>(word), op, value, nullptr, nullptr, 0);
}

void Lock(Pool* p) {
  int c = 0;
  if (p->lock.compare_exchange_strong(c, 1)) return;
  if (c != 2) c = p->lock.exchange(2);
  while (c != 0) {
    Futex(&p->lock, FUTEX_WAIT_PRIVATE, 2);
    c = p->lock.exchange(2);
  }
}

void Unlock(Pool* p) {
  if (p->lock.fetch_sub(1) != 1) {
    p->lock.store(0);
    Futex(&p->lock, FUTEX_WAKE_PRIVATE, 1);
  }
}

void* Create(const char*, char* err, size_t err_cap) {
  Pool* p = new (std::nothrow) Pool;
  if (p == nullptr && err_cap > 0) err[0] = '\0';
  return p;
}

void Destroy(void* pv) {
  Pool* p = static_cast<Pool*>(pv);
  while (p->head != nullptr) {
    Node* n = p->head;
    p->head = n->next;
    std::free(n);
  }
  delete p;
}

int Get(void* pv, size_t size, bp_buffer* out) {
  Pool* p = static_cast<Pool*>(pv);
  if (size > kCap) return ENOMEM;
  Lock(p);
  Node* n = p->head;
  if (n != nullptr) p->head = n->next;
  Unlock(p);
  if (n == nullptr) n = static_cast<Node*>(std::malloc(kHeader + kCap));
  if (n == nullptr) return ENOMEM;
  out->data = reinterpret_cast<unsigned char*>(n) + kHeader;
  out->cap = kCap;
  out->handle = n;
  return 0;
}

void Put(void* pv, bp_buffer* buf) {
  Pool* p = static_cast<Pool*>(pv);
  Node* n = static_cast<Node*>(buf->handle);
  Lock(p);
  n->next = p->head;
  p->head = n;
  Unlock(p);
}

const bp_pool_api kApi = {BP_PLUGIN_ABI_VERSION, "futex", Create, Destroy, Get, Put, nullptr};

}  // namespace

extern "C" BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
