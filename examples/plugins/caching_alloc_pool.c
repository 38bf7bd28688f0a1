/* caching_alloc_pool — a pool on top of a global thread-caching allocator, as tcmalloc- or
 * jemalloc-style allocators work: correct, and keeping memory on purpose after the pool is gone.
 *
 * The allocator (process-wide, not per pool): power-of-two classes 64 B .. 64 KiB; each thread
 * has a cache (a magazine of up to 32 buffers per class) and there is one central list per class.
 * get takes from the thread's magazine, else from the central list, else mallocs; put goes to
 * the putting thread's magazine, half of which moves to the central list when full. When a
 * thread exits, its magazines move to the central lists. Every cache is reachable from the
 * globals, and nothing is ever given back to malloc: after the pool object is destroyed the
 * caches stay (megabytes at 64 threads), and the next pool — or the next run's threads — reuse
 * them. The pool object itself is only a handle. A leak detector must not call this a leak.
 * Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define CLASSES 11
#define MAGAZINE 32

typedef struct block {
  struct block* next;
  size_t cls;
} block;
#define HEADER 16

typedef struct {
  block* items[CLASSES][MAGAZINE];
  unsigned count[CLASSES];
} thread_cache;

static pthread_mutex_t central_mu = PTHREAD_MUTEX_INITIALIZER;
static block* central[CLASSES];
static pthread_key_t cache_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void flush(thread_cache* c, size_t cls, unsigned keep) {
  pthread_mutex_lock(&central_mu);
  while (c->count[cls] > keep) {
    block* b = c->items[cls][--c->count[cls]];
    b->next = central[cls];
    central[cls] = b;
  }
  pthread_mutex_unlock(&central_mu);
}

static void thread_exit(void* pv) {
  thread_cache* c = pv;
  for (size_t i = 0; i < CLASSES; ++i) flush(c, i, 0);
  free(c);
}

static void make_key(void) { pthread_key_create(&cache_key, thread_exit); }

static thread_cache* my_cache(void) {
  thread_cache* c = pthread_getspecific(cache_key);
  if (c == NULL) {
    c = calloc(1, sizeof *c);
    if (c != NULL) pthread_setspecific(cache_key, c);
  }
  return c;
}

static void* ca_create(const char* options, char* err, size_t err_cap) {
  if (*options != '\0') {
    snprintf(err, err_cap, "no options");
    return NULL;
  }
  pthread_once(&key_once, make_key);
  return malloc(1);
}

static void ca_destroy(void* p) { free(p); /* the allocator's caches outlive the pool */ }

static int ca_get(void* pv, size_t n, bp_buffer* out) {
  size_t cls = 0, size = 64;
  block* b = NULL;
  thread_cache* c = my_cache();
  (void)pv;
  while (size < n) {
    size <<= 1;
    ++cls;
  }
  if (cls >= CLASSES) return ENOMEM;
  if (c != NULL && c->count[cls] > 0) b = c->items[cls][--c->count[cls]];
  if (b == NULL) {
    pthread_mutex_lock(&central_mu);
    b = central[cls];
    if (b != NULL) central[cls] = b->next;
    pthread_mutex_unlock(&central_mu);
  }
  if (b == NULL) {
    b = malloc(HEADER + size);
    if (b == NULL) return ENOMEM;
    b->cls = cls;
  }
  out->data = (unsigned char*)b + HEADER;
  out->cap = size;
  out->handle = b;
  return 0;
}

static void ca_put(void* pv, bp_buffer* buf) {
  block* b = buf->handle;
  thread_cache* c = my_cache();
  (void)pv;
  if (c == NULL) {
    pthread_mutex_lock(&central_mu);
    b->next = central[b->cls];
    central[b->cls] = b;
    pthread_mutex_unlock(&central_mu);
    return;
  }
  if (c->count[b->cls] == MAGAZINE) flush(c, b->cls, MAGAZINE / 2);
  c->items[b->cls][c->count[b->cls]++] = b;
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "caching-alloc", ca_create, ca_destroy, ca_get, ca_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
