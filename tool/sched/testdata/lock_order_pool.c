/* lock_order_pool — a pool that deadlocks: get takes lock a then b, put takes b then a. Under
 * `bpstress sched` (built with bp_sched_plugin) the deadlock is a finding that names both waits,
 * never a hang (tests/sched_test.cc). Buffers are malloc'd and freed. Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

typedef struct {
  pthread_mutex_t a;
  pthread_mutex_t b;
} pool;

static void* lo_create(const char* options, char* err, size_t err_cap) {
  pool* p = calloc(1, sizeof *p);
  (void)options;
  if (p == NULL) {
    if (err_cap > 0) err[0] = '\0';
    return NULL;
  }
  pthread_mutex_init(&p->a, NULL);
  pthread_mutex_init(&p->b, NULL);
  return p;
}

static void lo_destroy(void* pv) {
  pool* p = pv;
  pthread_mutex_destroy(&p->a);
  pthread_mutex_destroy(&p->b);
  free(p);
}

static int lo_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  pthread_mutex_lock(&p->a);
  pthread_mutex_lock(&p->b);
  out->data = malloc(size + 1);
  out->cap = size;
  out->handle = NULL;
  pthread_mutex_unlock(&p->b);
  pthread_mutex_unlock(&p->a);
  return out->data == NULL ? ENOMEM : 0;
}

static void lo_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  pthread_mutex_lock(&p->b); /* THE BUG: the other order than get's */
  pthread_mutex_lock(&p->a);
  free(buf->data);
  pthread_mutex_unlock(&p->a);
  pthread_mutex_unlock(&p->b);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "lock_order", lo_create, lo_destroy, lo_get, lo_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
