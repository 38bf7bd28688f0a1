/* aba_pool — a lock-free free list with the classic ABA bug, as it is often written.
 *
 * A Treiber stack of `max`-byte blocks: put pushes with a CAS loop, get pops with one:
 *     head = load(top); next = head->next; CAS(top, head, next)
 * Nothing stops another thread from popping head (A), popping next (B) and pushing A back between
 * the read of A->next and the CAS: the CAS sees A again and succeeds, and top becomes B, a block
 * that other thread now holds. B is then handed out twice (bpstress: double_handout, and
 * corruption once both holders write). The fix is a tag (a counter beside the pointer, swapped
 * with a double-width CAS) or hazard pointers; this pool has neither, and nothing here widens the
 * window: the race shows only when a thread is suspended inside it (the OS scheduler now and then,
 * `bpstress --preempt` often).
 *
 * Memory-safe despite the bug: blocks are never freed while the pool lives (each is listed in
 * `all`, which destroy walks), so the stale next a pop reads is always a live block; the links are
 * C11 atomics, so the only defect is the logical one.
 *
 * Bounded: at most `limit` pooled blocks are ever allocated; when the list is empty and the limit
 * is reached, get refuses. Sizes above `max` are malloc'd exactly and freed on put.
 * Options: "max=BYTES,limit=COUNT" (defaults 65536 and 4096). */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
  _Atomic(struct node*) next;
  size_t cap;
  int pooled;
} node;
#define HEADER 32 /* data starts here: room for the node, 16-byte aligned */

typedef struct {
  _Atomic(node*) top;
  pthread_mutex_t mu; /* guards `all` and `allocated` (the slow path only) */
  size_t max;
  size_t limit;
  size_t allocated;
  node** all; /* every pooled block ever allocated, freed once by destroy */
} pool;

static void* aba_create(const char* options, char* err, size_t err_cap) {
  size_t max = 65536, limit = 4096;
  pool* p;
  const char* s = options;
  while (*s != '\0') {
    char* end;
    unsigned long long v;
    const char* eq = strchr(s, '=');
    if (eq == NULL) {
      snprintf(err, err_cap, "option '%s' is not key=value", s);
      return NULL;
    }
    v = strtoull(eq + 1, &end, 10);
    if (end == eq + 1 || (*end != '\0' && *end != ',') || v == 0 || v > (1ull << 24)) {
      snprintf(err, err_cap, "option '%.*s' needs a number in 1..16777216", (int)(eq - s), s);
      return NULL;
    }
    if (eq - s == 3 && strncmp(s, "max", 3) == 0) {
      max = (size_t)v;
    } else if (eq - s == 5 && strncmp(s, "limit", 5) == 0) {
      limit = (size_t)v;
    } else {
      snprintf(err, err_cap, "unknown option '%.*s' (known: max, limit)", (int)(eq - s), s);
      return NULL;
    }
    s = *end == ',' ? end + 1 : end;
  }
  p = calloc(1, sizeof *p);
  if (p != NULL) p->all = calloc(limit, sizeof *p->all);
  if (p == NULL || p->all == NULL) {
    free(p);
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  atomic_init(&p->top, NULL);
  pthread_mutex_init(&p->mu, NULL);
  p->max = max;
  p->limit = limit;
  return p;
}

static void aba_destroy(void* pv) {
  pool* p = pv;
  size_t i;
  for (i = 0; i < p->allocated; ++i) free(p->all[i]);
  free(p->all);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

static node* allocate(pool* p, size_t cap, int pooled) {
  node* n;
  if (pooled) {
    pthread_mutex_lock(&p->mu);
    if (p->allocated == p->limit) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    n = malloc(HEADER + cap);
    if (n != NULL) p->all[p->allocated++] = n;
    pthread_mutex_unlock(&p->mu);
  } else {
    n = malloc(HEADER + cap);
  }
  if (n != NULL) {
    atomic_init(&n->next, NULL);
    n->cap = cap;
    n->pooled = pooled;
  }
  return n;
}

static int aba_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  node* n = NULL;
  if (size <= p->max) {
    n = atomic_load_explicit(&p->top, memory_order_acquire);
    while (n != NULL) {
      node* next = atomic_load_explicit(&n->next, memory_order_relaxed);
      /* THE BUG: n may have been popped and pushed back with another next since it was read. */
      if (atomic_compare_exchange_weak_explicit(&p->top, &n, next, memory_order_acquire,
                                                memory_order_acquire)) {
        break;
      }
    }
    if (n == NULL) n = allocate(p, p->max, 1);
  } else {
    n = allocate(p, size, 0);
  }
  if (n == NULL) return ENOMEM;
  out->data = (unsigned char*)n + HEADER;
  out->cap = n->cap;
  out->handle = n;
  return 0;
}

static void aba_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  node* n = buf->handle;
  node* top;
  if (!n->pooled) {
    free(n);
    return;
  }
  top = atomic_load_explicit(&p->top, memory_order_relaxed);
  do {
    atomic_store_explicit(&n->next, top, memory_order_relaxed);
  } while (!atomic_compare_exchange_weak_explicit(&p->top, &top, n, memory_order_release,
                                                  memory_order_relaxed));
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "aba", aba_create, aba_destroy, aba_get, aba_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
