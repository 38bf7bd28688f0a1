/* handout_crash_pool — a size-class pool whose "hot slot" fast path hands a buffer out twice, and
 * which crashes once its housekeeping trims a free list the double hand-outs have corrupted.
 *
 * Buffers come in power-of-two classes (64 B .. 64 KiB), one mutex-guarded free list per class.
 * Like Go's sync.Pool, which drops its cached items at every garbage collection, a housekeeping
 * thread trims the lists every kTrimMs milliseconds: it frees what each list holds beyond
 * kKeep buffers. The bug, common in hand-written pools: put also parks the buffer in the class's
 * hot slot (the fast path meant "the list's newest"), and get takes the hot slot without the lock,
 * so a buffer goes to one thread through the hot slot and to another through the list: a double
 * hand-out, from the first moments. Both holders put it back, so it is listed twice and the list
 * may point at itself. The pool runs on like that, double hand-outs and all, until the first trim
 * walks the corrupted list and frees one buffer twice (glibc aborts: "double free detected") or
 * frees a buffer that a thread still holds and then writes into (SIGSEGV or SIGABRT later):
 * a crash after about kTrimMs, by which time bpstress has found and streamed the double hand-outs.
 * Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLASSES 11 /* 64 << 0 .. 64 << 10 */
enum { kTrimMs = 250, kKeep = 8 };

typedef struct {
  pthread_mutex_t mu;
  unsigned char* head; /* free list: link in the first 8 bytes of each buffer */
  long count;
  _Atomic(unsigned char*) hot; /* the fast path */
} klass;

typedef struct {
  klass k[CLASSES];
  pthread_t trimmer;
  pthread_mutex_t stop_mu;
  pthread_cond_t stop_cv;
  int stop;
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

static unsigned char** link_of(unsigned char* b) { return (unsigned char**)b; }

/* Frees what each list holds beyond kKeep buffers, walking at most `count` links. */
static void trim(pool* p) {
  for (int i = 0; i < CLASSES; ++i) {
    klass* k = &p->k[i];
    pthread_mutex_lock(&k->mu);
    unsigned char* b = k->head;
    long seen = 0;
    while (b != NULL && seen < kKeep && seen < k->count) {
      b = *link_of(b);
      ++seen;
    }
    if (b != NULL && seen == kKeep) {
      /* cut after the kKeep-th buffer and free the rest */
      unsigned char* keep = k->head;
      for (long j = 1; j < kKeep; ++j) keep = *link_of(keep);
      unsigned char* rest = *link_of(keep);
      *link_of(keep) = NULL;
      long freed = 0;
      while (rest != NULL && freed < k->count - kKeep) {
        unsigned char* next = *link_of(rest);
        free(rest);
        rest = next;
        ++freed;
      }
      k->count = kKeep;
    }
    pthread_mutex_unlock(&k->mu);
  }
}

static void* trimmer_main(void* pv) {
  pool* p = pv;
  pthread_mutex_lock(&p->stop_mu);
  while (!p->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)kTrimMs * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    if (pthread_cond_timedwait(&p->stop_cv, &p->stop_mu, &until) == ETIMEDOUT && !p->stop) {
      pthread_mutex_unlock(&p->stop_mu);
      trim(p);
      pthread_mutex_lock(&p->stop_mu);
    }
  }
  pthread_mutex_unlock(&p->stop_mu);
  return NULL;
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
  pthread_mutex_init(&p->stop_mu, NULL);
  pthread_cond_init(&p->stop_cv, NULL);
  if (pthread_create(&p->trimmer, NULL, trimmer_main, p) != 0) {
    snprintf(err, err_cap, "cannot start the housekeeping thread");
    free(p);
    return NULL;
  }
  return p;
}

static void hc_destroy(void* pv) {
  pool* p = pv;
  pthread_mutex_lock(&p->stop_mu);
  p->stop = 1;
  pthread_cond_signal(&p->stop_cv);
  pthread_mutex_unlock(&p->stop_mu);
  pthread_join(p->trimmer, NULL);
  for (int i = 0; i < CLASSES; ++i) pthread_mutex_destroy(&p->k[i].mu);
  pthread_mutex_destroy(&p->stop_mu);
  pthread_cond_destroy(&p->stop_cv);
  free(p); /* the buffers are left to the process: their lists may be corrupt */
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
      k->head = *link_of(b);
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
  *link_of(b) = k->head;
  k->head = b;
  ++k->count;
  pthread_mutex_unlock(&k->mu);
  atomic_store(&k->hot, b); /* BUG: also parked in the hot slot while it is on the list */
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "handout-crash", hc_create, hc_destroy, hc_get, hc_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
