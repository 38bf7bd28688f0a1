/* buggy_pool — a plugin with a real concurrency bug, to show what bpstress reports for one.
 *
 * One shared free list of `max`-byte buffers. put pushes under a mutex, as it should; get pops
 * WITHOUT the lock: it reads the head, does a little work, then writes head = head->next. Two
 * threads that read the same head both get the same buffer (a double hand-out: they then write
 * over each other's bytes, which bpstress also reports as corruption), and a push that lands in
 * between is lost. It is the common bug of "the pop is only a read and a write, surely it needs no
 * lock": a window of a few instructions, which bpstress's preemption injection (--preempt, on by
 * default in the hunt phase and in `bpstress contract`) stops threads inside.
 *
 * Under ThreadSanitizer the unlocked read/write is reported as a data race as well.
 *
 * Bounded: at most `limit` buffers are ever allocated (lost ones included); when the list is empty
 * and the limit is reached, get refuses. Sizes above `max` are malloc'd exactly and freed on put.
 * Options: "max=BYTES,limit=COUNT" (defaults 65536 and 512). */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
  struct node* next;
  size_t cap;
  int pooled;
} node;
#define HEADER 32 /* data starts here: room for the node, 16-byte aligned */

typedef struct {
  pthread_mutex_t mu; /* guards pushes, `all` and `allocated` — but not the pop */
  node* head;
  size_t max;
  size_t limit;
  size_t allocated;
  node** all; /* every pooled node ever allocated, so destroy frees lost and looped ones once */
} pool;

static void* bg_create(const char* options, char* err, size_t err_cap) {
  size_t max = 65536, limit = 512;
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
  pthread_mutex_init(&p->mu, NULL);
  p->max = max;
  p->limit = limit;
  return p;
}

static void bg_destroy(void* pv) {
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
    n->cap = cap;
    n->pooled = pooled;
  }
  return n;
}

static int bg_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  node* n = NULL;
  if (size <= p->max) {
    n = p->head; /* THE BUG: no lock between this read ... */
    if (n != NULL) {
      p->head = n->next; /* ... and this write */
    } else {
      n = allocate(p, p->max, 1);
    }
  } else {
    n = allocate(p, size, 0);
  }
  if (n == NULL) return ENOMEM;
  out->data = (unsigned char*)n + HEADER;
  out->cap = n->cap;
  out->handle = n;
  return 0;
}

static void bg_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  node* n = buf->handle;
  if (!n->pooled) {
    free(n);
    return;
  }
  pthread_mutex_lock(&p->mu);
  n->next = p->head;
  p->head = n;
  pthread_mutex_unlock(&p->mu);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "buggy", bg_create, bg_destroy, bg_get, bg_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
