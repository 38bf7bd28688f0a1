// The __tsan_* entry points that clang emits into code compiled with -fsanitize=thread, defined
// here for the bpstress executable (exported through runtime/exports.list, never linked into
// bptool): a plugin built with the flag but without the ThreadSanitizer runtime resolves them
// against bpstress when it is dlopened, and each call becomes a scheduling point
// (tool/sched/scheduler.h).
//
// Cost on a thread that is not scheduled (bpstress's own, and every thread of `run`): one
// thread-local load and a predicted branch, then the access itself (atomics are done here, as
// sequentially consistent operations: correct for every order the program asked for). Plain
// loads and stores are points only with --points all.
//
// 128-bit atomics are done under one process-wide spin lock: every such access of an instrumented
// plugin comes through here, so they stay atomic with respect to each other.
#include <atomic>
#include <cstdint>
#include <cstring>

#include "tool/sched/scheduler.h"

namespace {

using bp::sched::EventKind;
using bp::sched::Scheduler;

__extension__ typedef __int128 int128;
constexpr int kSeq = __ATOMIC_SEQ_CST;
std::atomic_flag g_wide_lock = ATOMIC_FLAG_INIT;

struct WideGuard {
  WideGuard() {
    while (g_wide_lock.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~WideGuard() { g_wide_lock.clear(std::memory_order_release); }
};

#define BP_RET_PC __builtin_return_address(0)

inline Scheduler* Scheduled() {
  if (__builtin_expect(bp::sched::tls_worker == nullptr, 1)) return nullptr;
  return Scheduler::Current();
}

template <typename T>
uint64_t Bits(T v) {
  if constexpr (sizeof(T) == 16) {
    return static_cast<uint64_t>(v) ^ static_cast<uint64_t>(v >> 64);
  } else {
    return static_cast<uint64_t>(v);
  }
}

// --- the raw operations, sequentially consistent ---
template <typename T>
T RawLoad(const volatile T* a) {
  if constexpr (sizeof(T) == 16) {
    WideGuard g;
    return *a;
  } else {
    return __atomic_load_n(a, kSeq);
  }
}
template <typename T>
void RawStore(volatile T* a, T v) {
  if constexpr (sizeof(T) == 16) {
    WideGuard g;
    *a = v;
  } else {
    __atomic_store_n(a, v, kSeq);
  }
}
enum class Rmw { kExchange, kAdd, kSub, kAnd, kOr, kXor, kNand };
template <Rmw op, typename T>
T RawRmw(volatile T* a, T v) {
  if constexpr (sizeof(T) == 16) {
    WideGuard g;
    const T old = *a;
    switch (op) {
      case Rmw::kExchange:
        *a = v;
        break;
      case Rmw::kAdd:
        *a = old + v;
        break;
      case Rmw::kSub:
        *a = old - v;
        break;
      case Rmw::kAnd:
        *a = old & v;
        break;
      case Rmw::kOr:
        *a = old | v;
        break;
      case Rmw::kXor:
        *a = old ^ v;
        break;
      case Rmw::kNand:
        *a = ~(old & v);
        break;
    }
    return old;
  } else {
    switch (op) {
      case Rmw::kExchange:
        return __atomic_exchange_n(a, v, kSeq);
      case Rmw::kAdd:
        return __atomic_fetch_add(a, v, kSeq);
      case Rmw::kSub:
        return __atomic_fetch_sub(a, v, kSeq);
      case Rmw::kAnd:
        return __atomic_fetch_and(a, v, kSeq);
      case Rmw::kOr:
        return __atomic_fetch_or(a, v, kSeq);
      case Rmw::kXor:
        return __atomic_fetch_xor(a, v, kSeq);
      case Rmw::kNand:
        return __atomic_fetch_nand(a, v, kSeq);
    }
    return T{};
  }
}
// On failure *expected receives the value found.
template <typename T>
bool RawCas(volatile T* a, T* expected, T desired) {
  if constexpr (sizeof(T) == 16) {
    WideGuard g;
    if (*a == *expected) {
      *a = desired;
      return true;
    }
    *expected = *a;
    return false;
  } else {
    return __atomic_compare_exchange_n(a, expected, desired, false, kSeq, kSeq);
  }
}

// --- the hooks' bodies: a point before, the operation, what it tells the spin detector ---
template <typename T>
T Load(const volatile T* a, const void* pc) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return RawLoad(a);
  s->Point(EventKind::kAtomicLoad, a, sizeof(T), pc);
  const T v = RawLoad(a);
  s->Observe(a, Bits(v));
  return v;
}
template <typename T>
void Store(volatile T* a, T v, const void* pc) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return RawStore(a, v);
  s->Point(EventKind::kAtomicStore, a, sizeof(T), pc);
  RawStore(a, v);
  s->Wrote();
}
template <Rmw op, typename T>
T ReadModifyWrite(volatile T* a, T v, const void* pc) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return RawRmw<op>(a, v);
  s->Point(EventKind::kAtomicRmw, a, sizeof(T), pc);
  const T old = RawRmw<op>(a, v);
  s->Wrote();
  return old;
}
template <typename T>
bool Cas(volatile T* a, T* expected, T desired, const void* pc) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return RawCas(a, expected, desired);
  s->Point(EventKind::kCas, a, sizeof(T), pc);
  const bool ok = RawCas(a, expected, desired);
  if (ok) {
    s->Wrote();
  } else {
    s->Observe(a, Bits(*expected));
  }
  return ok;
}

template <unsigned N>
uint64_t Peek(const volatile void* addr) {
  uint64_t v = 0;
  std::memcpy(&v, const_cast<const void*>(addr), N < 8 ? N : 8);
  return v;
}

// A plain load or store: a point only with --points all.
template <unsigned N, bool kWrite>
void Access(const volatile void* addr, const void* pc) {
  Scheduler* s = Scheduled();
  if (s == nullptr || !s->all_points()) return;
  s->Point(kWrite ? EventKind::kWrite : EventKind::kRead, addr, N, pc);
  if (kWrite) {
    s->Wrote();
  } else {
    s->Observe(addr, Peek<N>(addr));
  }
}

void Range(const volatile void* addr, unsigned long size, bool write, const void* pc) {
  Scheduler* s = Scheduled();
  if (s == nullptr || !s->all_points() || size == 0) return;
  s->Point(write ? EventKind::kWrite : EventKind::kRead, addr,
           static_cast<unsigned>(size > 255 ? 255 : size), pc);
  s->Wrote();
}

// Registers the scheduler's hooks as linked in, before main.
[[gnu::constructor]] void RegisterHooks() { bp::sched::SetRuntimeLinked(); }

}  // namespace

extern "C" {

void __tsan_init() {}
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}
void __tsan_ignore_thread_begin() {}
void __tsan_ignore_thread_end() {}
void __tsan_acquire(void*) {}
void __tsan_release(void*) {}

#define BP_PLAIN(n)                                                          \
  void __tsan_read##n(void* a) { Access<n, false>(a, BP_RET_PC); }           \
  void __tsan_write##n(void* a) { Access<n, true>(a, BP_RET_PC); }           \
  void __tsan_unaligned_read##n(void* a) { Access<n, false>(a, BP_RET_PC); } \
  void __tsan_unaligned_write##n(void* a) { Access<n, true>(a, BP_RET_PC); } \
  void __tsan_read##n##_pc(void* a, void* pc) { Access<n, false>(a, pc); }   \
  void __tsan_write##n##_pc(void* a, void* pc) { Access<n, true>(a, pc); }
BP_PLAIN(1)
BP_PLAIN(2)
BP_PLAIN(4)
BP_PLAIN(8)
BP_PLAIN(16)
#undef BP_PLAIN

void __tsan_read_range(void* a, unsigned long size) { Range(a, size, false, BP_RET_PC); }
void __tsan_write_range(void* a, unsigned long size) { Range(a, size, true, BP_RET_PC); }
void __tsan_vptr_read(void** vptr) { Access<8, false>(vptr, BP_RET_PC); }
void __tsan_vptr_update(void** vptr, void*) { Access<8, true>(vptr, BP_RET_PC); }

void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(kSeq); }
void __tsan_atomic_signal_fence(int) { __atomic_signal_fence(kSeq); }

#define BP_ATOMICS(bits, T)                                                               \
  T __tsan_atomic##bits##_load(const volatile T* a, int) { return Load(a, BP_RET_PC); }   \
  void __tsan_atomic##bits##_store(volatile T* a, T v, int) { Store(a, v, BP_RET_PC); }   \
  T __tsan_atomic##bits##_exchange(volatile T* a, T v, int) {                             \
    return ReadModifyWrite<Rmw::kExchange>(a, v, BP_RET_PC);                              \
  }                                                                                       \
  T __tsan_atomic##bits##_fetch_add(volatile T* a, T v, int) {                            \
    return ReadModifyWrite<Rmw::kAdd>(a, v, BP_RET_PC);                                   \
  }                                                                                       \
  T __tsan_atomic##bits##_fetch_sub(volatile T* a, T v, int) {                            \
    return ReadModifyWrite<Rmw::kSub>(a, v, BP_RET_PC);                                   \
  }                                                                                       \
  T __tsan_atomic##bits##_fetch_and(volatile T* a, T v, int) {                            \
    return ReadModifyWrite<Rmw::kAnd>(a, v, BP_RET_PC);                                   \
  }                                                                                       \
  T __tsan_atomic##bits##_fetch_or(volatile T* a, T v, int) {                             \
    return ReadModifyWrite<Rmw::kOr>(a, v, BP_RET_PC);                                    \
  }                                                                                       \
  T __tsan_atomic##bits##_fetch_xor(volatile T* a, T v, int) {                            \
    return ReadModifyWrite<Rmw::kXor>(a, v, BP_RET_PC);                                   \
  }                                                                                       \
  T __tsan_atomic##bits##_fetch_nand(volatile T* a, T v, int) {                           \
    return ReadModifyWrite<Rmw::kNand>(a, v, BP_RET_PC);                                  \
  }                                                                                       \
  int __tsan_atomic##bits##_compare_exchange_strong(volatile T* a, T* c, T v, int, int) { \
    return Cas(a, c, v, BP_RET_PC) ? 1 : 0;                                               \
  }                                                                                       \
  int __tsan_atomic##bits##_compare_exchange_weak(volatile T* a, T* c, T v, int, int) {   \
    return Cas(a, c, v, BP_RET_PC) ? 1 : 0;                                               \
  }                                                                                       \
  T __tsan_atomic##bits##_compare_exchange_val(volatile T* a, T c, T v, int, int) {       \
    Cas(a, &c, v, BP_RET_PC);                                                             \
    return c;                                                                             \
  }
BP_ATOMICS(8, uint8_t)
BP_ATOMICS(16, uint16_t)
BP_ATOMICS(32, uint32_t)
BP_ATOMICS(64, uint64_t)
BP_ATOMICS(128, int128)
#undef BP_ATOMICS

}  // extern "C"
