/* handout_crash_pool — a size-class pool whose "hot slot" fast path hands a buffer out twice, and
 * which crashes once the double hand-out has corrupted its free list.
 *
 * Buffers come in power-of-two classes (64 B .. 64 KiB) with one mutex-guarded free list per class,
 * bounded at 1024 buffers (a put beyond that frees the buffer). The bug, common in hand-written
 * pools: put also parks the buffer in the class's hot slot, whichever way it went (the fast path
 * meant "the list's newest, when it was kept"). get takes the hot slot without the lock, so
 *  - a buffer can go to one thread through the hot slot and to another through the list: a double
 *    hand-out, and the two holders write over each other (corruption), from the first moments;
 *  - a buffer that put freed can come back from the hot slot: a use after free. The holder's bytes
 *    overwrite malloc's own links in the freed chunk, and a later malloc or free follows them and
 *    the process dies (SIGSEGV, or SIGABRT when glibc notices first) once a freed buffer has been
 *    handed out and written before malloc reused it: typically within 50 ms to a second, after
 *    the first double hand-outs have been found (bpstress streams them to the parent at once).
 * Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLASSES 11 /* 64 << 0 .. 64 << 10 */

typedef struct {
  pthread_mutex_t mu;
  unsigned char* head; /* free list: link in the first 8 bytes of each buffer */
  unsigned count;
  _Atomic(unsigned char*) hot; /* the fast path */
} klass;

typedef struct {
  klass k[CLASSES];
} pool;

static size_t class_of(size_t n, size_t* size) {
  size_t c = 0, s = 64;
  while (s < n) {
    s <<= 1;
    ++c;
  }
  *size = s;
  return c;
}

static unsigned char** link_of(unsigned char* b, size_t size) {
  (void)size;
  return (unsigned char**)b;
}

static void* hc_create(const char* options, char* err, size_t err_cap) {
  pool* p;
  if (*options != '\0') {
    snprintf(err, err_cap, "no options");
    return NULL;
  }
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  for (int i = 0; i < CLASSES; ++i) pthread_mutex_init(&p->k[i].mu, NULL);
  return p;
}

static void hc_destroy(void* pv) {
  pool* p = pv;
  for (int i = 0; i < CLASSES; ++i) pthread_mutex_destroy(&p->k[i].mu);
  free(p); /* the buffers are left to the process: their list may be corrupt */
}

static int hc_get(void* pv, size_t n, bp_buffer* out) {
  pool* p = pv;
  size_t size;
  unsigned char* b;
  if (n > (size_t)64 << (CLASSES - 1)) return ENOMEM;
  klass* k = &p->k[class_of(n, &size)];
  b = atomic_exchange(&k->hot, NULL);
  if (b == NULL) {
    pthread_mutex_lock(&k->mu);
    b = k->head;
    if (b != NULL) {
      k->head = *link_of(b, size);
      --k->count;
    }
    pthread_mutex_unlock(&k->mu);
  }
  if (b == NULL && (b = malloc(size)) == NULL) return ENOMEM;
  out->data = b;
  out->cap = size;
  out->handle = b;
  return 0;
}

static void hc_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  size_t size;
  klass* k = &p->k[class_of(buf->cap, &size)];
  unsigned char* b = buf->handle;
  pthread_mutex_lock(&k->mu);
  if (k->count < 1024) {
    *link_of(b, size) = k->head;
    k->head = b;
    ++k->count;
    pthread_mutex_unlock(&k->mu);
  } else {
    pthread_mutex_unlock(&k->mu);
    free(b);
  }
  atomic_store(&k->hot, b); /* BUG: parked in the hot slot even when it was freed */
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "handout-crash", hc_create, hc_destroy, hc_get, hc_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
