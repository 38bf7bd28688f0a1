// Blocking and yielding calls, interposed from the bpstress executable (exported through
// runtime/exports.list, so a dlopened plugin's calls bind here before libc). On a thread that is
// not scheduled each one is the real function (found with dlsym(RTLD_NEXT) before main), after one
// thread-local load. On a scheduled thread each is modelled (tool/sched/scheduler.h):
//   - locks (mutex, spin, rwlock) and semaphores: the real try-operation, and while it says busy
//     the thread blocks on the object until a release of it; the real object's state stays right,
//     so recursive and error-checking mutexes keep their own rules;
//   - condition variables: wait = release the mutex, block on the condition, relock; signal wakes
//     one waiter, broadcast all; the real condition variable is never touched;
//   - pthread_once: the real control word, with "in progress" as a block;
//   - sched_yield and every sleep: a yield (no time passes under the scheduler);
//   - futex through syscall() (C++20 atomic::wait): wait blocks on the address, wake releases.
// A timed wait times out only when every other thread is blocked too.
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tool/sched/scheduler.h"

namespace {

using bp::sched::EventKind;
using bp::sched::Scheduler;

inline Scheduler* Scheduled() {
  if (__builtin_expect(bp::sched::tls_worker == nullptr, 1)) return nullptr;
  return Scheduler::Current();
}

void* Resolve(const char* name, void** slot) {
  void* f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (f != nullptr) return f;
  f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "bpstress: cannot find the real %s: %s\n", name, dlerror());
    std::abort();
  }
  __atomic_store_n(slot, f, __ATOMIC_RELEASE);
  return f;
}

#define BP_REAL(fn)                                                \
  ([]() {                                                          \
    static void* slot = nullptr;                                   \
    return reinterpret_cast<decltype(&::fn)>(Resolve(#fn, &slot)); \
  }())

#define BP_PC __builtin_return_address(0)

// Lock-like: try, and while busy block on the object until it is released.
template <typename Try>
int AcquireLoop(Scheduler* s, const void* obj, bool timed, const void* pc, const char* what,
                Try attempt) {
  s->Point(EventKind::kLock, obj, 0, pc, what);
  for (;;) {
    const int r = attempt();
    if (r != EBUSY) return r;
    if (!s->Block(obj, timed, pc, what)) return ETIMEDOUT;
  }
}

void Released(Scheduler* s, const void* obj, const void* pc, const char* what) {
  s->Wake(obj, INT_MAX);
  s->Point(EventKind::kUnlock, obj, 0, pc, what);
}

int LockMutex(Scheduler* s, pthread_mutex_t* m, bool timed, const void* pc, const char* what) {
  return AcquireLoop(s, m, timed, pc, what, [m] { return BP_REAL(pthread_mutex_trylock)(m); });
}

int UnlockMutex(Scheduler* s, pthread_mutex_t* m, const void* pc, const char* what) {
  const int r = BP_REAL(pthread_mutex_unlock)(m);
  Released(s, m, pc, what);
  return r;
}

int CondWait(Scheduler* s, pthread_cond_t* c, pthread_mutex_t* m, bool timed, const void* pc,
             const char* what) {
  s->Point(EventKind::kLock, c, 0, pc, what);
  BP_REAL(pthread_mutex_unlock)(m);
  s->Wake(m, INT_MAX);
  const bool signalled = s->Block(c, timed, pc, what);
  LockMutex(s, m, false, pc, what);
  return signalled ? 0 : ETIMEDOUT;
}

int SemWait(Scheduler* s, sem_t* sem, bool timed, const void* pc, const char* what) {
  const int r = AcquireLoop(s, sem, timed, pc, what, [sem] {
    return BP_REAL(sem_trywait)(sem) == 0 ? 0 : (errno == EAGAIN ? EBUSY : errno);
  });
  if (r == 0) return 0;
  errno = r;
  return -1;
}

int Sleep(Scheduler* s, const void* pc, const char* what) {
  s->Yield(pc, what);
  return 0;
}

// glibc's once states (nptl/pthread_once.c): bit 0 in progress, bit 1 done.
constexpr int kOnceInProgress = 1;
constexpr int kOnceDone = 2;

#if defined(__x86_64__)
long Futex(Scheduler* s, uint32_t* addr, int op, uint32_t val, const timespec* timeout,
           const void* pc) {
  const int cmd = op & FUTEX_CMD_MASK;
  if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) {
    s->Point(EventKind::kLock, addr, 4, pc, "futex wait");
    if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val) {
      errno = EAGAIN;
      return -1;
    }
    if (!s->Block(addr, timeout != nullptr, pc, "futex wait")) {
      errno = ETIMEDOUT;
      return -1;
    }
    return 0;
  }
  if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET) {
    const int woken = s->Wake(addr, static_cast<int>(val));
    s->Point(EventKind::kUnlock, addr, 4, pc, "futex wake");
    return woken;
  }
  s->Fail({"unmodelled", "futex operation " + std::to_string(cmd) + " is not modelled", 0, -1});
}
#endif

}  // namespace

extern "C" {

int pthread_mutex_lock(pthread_mutex_t* m) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_mutex_lock)(m);
  return LockMutex(s, m, false, BP_PC, "pthread_mutex_lock");
}
int pthread_mutex_trylock(pthread_mutex_t* m) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_mutex_trylock)(m);
  s->Point(EventKind::kLock, m, 0, BP_PC, "pthread_mutex_trylock");
  return BP_REAL(pthread_mutex_trylock)(m);
}
int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* t) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_mutex_timedlock)(m, t);
  return LockMutex(s, m, true, BP_PC, "pthread_mutex_timedlock");
}
int pthread_mutex_unlock(pthread_mutex_t* m) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_mutex_unlock)(m);
  return UnlockMutex(s, m, BP_PC, "pthread_mutex_unlock");
}

int pthread_spin_lock(pthread_spinlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_spin_lock)(l);
  return AcquireLoop(s, const_cast<int*>(l), false, BP_PC, "pthread_spin_lock",
                     [l] { return BP_REAL(pthread_spin_trylock)(l); });
}
int pthread_spin_trylock(pthread_spinlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_spin_trylock)(l);
  s->Point(EventKind::kLock, const_cast<int*>(l), 0, BP_PC, "pthread_spin_trylock");
  return BP_REAL(pthread_spin_trylock)(l);
}
int pthread_spin_unlock(pthread_spinlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  const int r = BP_REAL(pthread_spin_unlock)(l);
  if (s != nullptr) Released(s, const_cast<int*>(l), BP_PC, "pthread_spin_unlock");
  return r;
}

int pthread_rwlock_rdlock(pthread_rwlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_rwlock_rdlock)(l);
  return AcquireLoop(s, l, false, BP_PC, "pthread_rwlock_rdlock",
                     [l] { return BP_REAL(pthread_rwlock_tryrdlock)(l); });
}
int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  if (s != nullptr) s->Point(EventKind::kLock, l, 0, BP_PC, "pthread_rwlock_tryrdlock");
  return BP_REAL(pthread_rwlock_tryrdlock)(l);
}
int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const timespec* t) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_rwlock_timedrdlock)(l, t);
  return AcquireLoop(s, l, true, BP_PC, "pthread_rwlock_timedrdlock",
                     [l] { return BP_REAL(pthread_rwlock_tryrdlock)(l); });
}
int pthread_rwlock_wrlock(pthread_rwlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_rwlock_wrlock)(l);
  return AcquireLoop(s, l, false, BP_PC, "pthread_rwlock_wrlock",
                     [l] { return BP_REAL(pthread_rwlock_trywrlock)(l); });
}
int pthread_rwlock_trywrlock(pthread_rwlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  if (s != nullptr) s->Point(EventKind::kLock, l, 0, BP_PC, "pthread_rwlock_trywrlock");
  return BP_REAL(pthread_rwlock_trywrlock)(l);
}
int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const timespec* t) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_rwlock_timedwrlock)(l, t);
  return AcquireLoop(s, l, true, BP_PC, "pthread_rwlock_timedwrlock",
                     [l] { return BP_REAL(pthread_rwlock_trywrlock)(l); });
}
int pthread_rwlock_unlock(pthread_rwlock_t* l) __THROWNL {
  Scheduler* s = Scheduled();
  const int r = BP_REAL(pthread_rwlock_unlock)(l);
  if (s != nullptr) Released(s, l, BP_PC, "pthread_rwlock_unlock");
  return r;
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_cond_wait)(c, m);
  return CondWait(s, c, m, false, BP_PC, "pthread_cond_wait");
}
int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* t) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_cond_timedwait)(c, m, t);
  return CondWait(s, c, m, true, BP_PC, "pthread_cond_timedwait");
}
int pthread_cond_signal(pthread_cond_t* c) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_cond_signal)(c);
  s->Wake(c, 1);
  s->Point(EventKind::kUnlock, c, 0, BP_PC, "pthread_cond_signal");
  return 0;
}
int pthread_cond_broadcast(pthread_cond_t* c) __THROWNL {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_cond_broadcast)(c);
  Released(s, c, BP_PC, "pthread_cond_broadcast");
  return 0;
}

int sem_wait(sem_t* sem) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(sem_wait)(sem);
  return SemWait(s, sem, false, BP_PC, "sem_wait");
}
int sem_timedwait(sem_t* sem, const timespec* t) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(sem_timedwait)(sem, t);
  return SemWait(s, sem, true, BP_PC, "sem_timedwait");
}
int sem_trywait(sem_t* sem) __THROWNL {
  Scheduler* s = Scheduled();
  if (s != nullptr) s->Point(EventKind::kLock, sem, 0, BP_PC, "sem_trywait");
  return BP_REAL(sem_trywait)(sem);
}
int sem_post(sem_t* sem) __THROWNL {
  Scheduler* s = Scheduled();
  const int r = BP_REAL(sem_post)(sem);
  if (s != nullptr) Released(s, sem, BP_PC, "sem_post");
  return r;
}

int sched_yield() __THROW {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(sched_yield)();
  return Sleep(s, BP_PC, "sched_yield");
}
int nanosleep(const timespec* req, timespec* rem) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(nanosleep)(req, rem);
  return Sleep(s, BP_PC, "nanosleep");
}
int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(clock_nanosleep)(clock, flags, req, rem);
  return Sleep(s, BP_PC, "clock_nanosleep");
}
int usleep(useconds_t usec) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(usleep)(usec);
  return Sleep(s, BP_PC, "usleep");
}
unsigned int sleep(unsigned int seconds) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(sleep)(seconds);
  return static_cast<unsigned>(Sleep(s, BP_PC, "sleep"));
}

int pthread_once(pthread_once_t* once, void (*init)(void)) {
  Scheduler* s = Scheduled();
  if (s == nullptr) return BP_REAL(pthread_once)(once, init);
  s->Point(EventKind::kLock, once, 0, BP_PC, "pthread_once");
  for (;;) {
    const int state = __atomic_load_n(once, __ATOMIC_ACQUIRE);
    if ((state & kOnceDone) != 0) return 0;
    if ((state & kOnceInProgress) == 0) break;
    s->Block(once, false, BP_PC, "pthread_once");
  }
  __atomic_store_n(once, kOnceInProgress, __ATOMIC_RELAXED);
  init();
  __atomic_store_n(once, kOnceDone, __ATOMIC_RELEASE);
  Released(s, once, BP_PC, "pthread_once");
  return 0;
}

#if defined(__x86_64__)
// Variadic: the six argument registers are passed on as they are (x86-64 calling convention).
long syscall(long number, ...) __THROW {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& v : a) v = va_arg(ap, long);
  va_end(ap);
  Scheduler* s = Scheduled();
  if (s != nullptr && number == SYS_futex) {
    return Futex(s, reinterpret_cast<uint32_t*>(a[0]), static_cast<int>(a[1]),
                 static_cast<uint32_t>(a[2]), reinterpret_cast<const timespec*>(a[3]), BP_PC);
  }
  return BP_REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

}  // extern "C"
