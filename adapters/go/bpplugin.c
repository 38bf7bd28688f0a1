/* The C entry points of a Go plugin: the ABI v1 table and bp_pool_run_threads
 * (<bpstress/plugin_abi.h>). Each is a small function that calls one exported Go function of
 * exports.go; what crosses is integers and C memory only. */
#include <bpstress/plugin_abi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "_cgo_export.h"

/* The calling thread's shard of the handle tables, plus one (0: not chosen yet). A worker run by
 * bp_pool_run_threads uses its index; any other thread takes the next number. */
static __thread unsigned tls_shard;
static unsigned next_shard;

static unsigned Shard(void) {
  unsigned s = tls_shard;
  if (__builtin_expect(s == 0, 0)) {
    s = __atomic_add_fetch(&next_shard, 1, __ATOMIC_RELAXED);
    if (s == 0) s = 1;
    tls_shard = s;
  }
  return s - 1;
}

/* Puts of a worker thread of bp_pool_run_threads wait here and reach Go at the thread's next get,
 * in one call with it (a call from C into Go costs about as much as a pool's get and put
 * together). They are passed on, in order, before that get, before retained_bytes on this thread,
 * when kMaxPending are waiting, and when the worker returns, so every put reaches the pool before
 * bp_pool_run_threads returns (and so before destroy). Threads of bpstress's own put at once. */
enum { kMaxPending = 16 };
static __thread int tls_defer;
static __thread unsigned tls_pending_count;
static __thread bp_go_pending tls_pending[kMaxPending];

static void FlushPending(void) {
  const unsigned n = tls_pending_count;
  tls_pending_count = 0;
  if (n != 0) bpstress_go_put_pending(tls_pending, n);
}

static void* Create(const char* options, char* err, size_t err_cap) {
  return (void*)bpstress_go_create((char*)options, err, err_cap);
}
static void Destroy(void* pool) { bpstress_go_destroy((uintptr_t)pool); }
static int Get(void* pool, size_t size, bp_buffer* out) {
  const unsigned n = tls_pending_count;
  if (n != 0) {
    tls_pending_count = 0;
    return bpstress_go_put_get(tls_pending, n, (uintptr_t)pool, size, Shard(), out);
  }
  return bpstress_go_get((uintptr_t)pool, size, Shard(), out);
}
static void Put(void* pool, bp_buffer* buf) {
  if (tls_defer) {
    if (tls_pending_count == kMaxPending) FlushPending();
    tls_pending[tls_pending_count].pool = (uintptr_t)pool;
    tls_pending[tls_pending_count].handle = (uintptr_t)buf->handle;
    ++tls_pending_count;
    return;
  }
  bpstress_go_put((uintptr_t)pool, (uintptr_t)buf->handle);
}
static size_t Retained(void* pool) {
  FlushPending();
  return bpstress_go_retained((uintptr_t)pool);
}

static bp_pool_api api;
static const bp_pool_api* table;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The first exported Go call waits until the Go runtime and the package inits (where Register
 * runs) are done, so the name is known here. */
static void Fill(void) {
  char* name = NULL;
  int retained = 0;
  if (!bpstress_go_describe(&name, &retained)) {
    fprintf(stderr,
            "bpplugin: no pool registered (call bpplugin.Register from an init function)\n");
    return;
  }
  api.abi_version = BP_PLUGIN_ABI_VERSION;
  api.name = name;
  api.create = Create;
  api.destroy = Destroy;
  api.get = Get;
  api.put = Put;
  api.retained_bytes = retained ? Retained : NULL;
  table = &api;
}

BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) {
  pthread_once(&once, Fill);
  return table;
}

void bpstress_go_call_worker(bp_worker_fn worker, void* arg, unsigned index) {
  tls_shard = index + 1;
  tls_defer = 1;
  worker(arg, index);
  FlushPending();
  tls_defer = 0;
}

BP_PLUGIN_EXPORT int bp_pool_run_threads(unsigned count, bp_worker_fn worker, void* arg) {
  return bpstress_go_run_threads(count, worker, arg);
}
