/* mutex_pool — a minimal correct bpstress plugin in plain C (see <bpstress/plugin_abi.h>).
 *
 * One free list per power-of-two size class from 64 bytes to `max`, each behind its own mutex.
 * get(n) pops a buffer of the class of n (allocating one when the list is empty); put pushes it
 * back unless the class already keeps `keep` buffers, in which case it is freed. Sizes above
 * `max` are malloc'd at exactly n and freed on put. Each buffer carries a small header in front of
 * its data, so put finds its class without a search.
 *
 * Options: "max=BYTES,keep=COUNT" (defaults max=65536, keep=1024; max is rounded up to a power of
 * two, at most 2^30). Build against an installed bpstress:
 * cc -O2 -shared -fPIC $(pkg-config --cflags bpstress) -o libmutex_pool.so mutex_pool.c -lpthread
 */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SHIFT 6 /* 64-byte smallest class */
#define MAX_SHIFT 30
#define UNPOOLED (-1)

typedef struct node {
  struct node* next;
  int cls; /* class index, or UNPOOLED */
  /* Data starts 16 bytes after the header start, aligned for any use. */
} node;
#define HEADER 16

typedef struct {
  pthread_mutex_t mu;
  node* head;
  size_t count;
} class_list;

typedef struct {
  int classes; /* class i holds buffers of 2^(MIN_SHIFT + i) bytes */
  size_t max;
  size_t keep;
  atomic_size_t retained;
  class_list list[MAX_SHIFT - MIN_SHIFT + 1];
} pool;

static unsigned char* data_of(node* n) { return (unsigned char*)n + HEADER; }

/* Parses "key=value" pairs separated by commas. */
static int parse_options(const char* options, size_t* max, size_t* keep, char* err,
                         size_t err_cap) {
  const char* p = options;
  while (*p != '\0') {
    const char* eq = strchr(p, '=');
    char* end;
    unsigned long long v;
    size_t key_len;
    if (eq == NULL) {
      snprintf(err, err_cap, "option '%s' is not key=value", p);
      return -1;
    }
    key_len = (size_t)(eq - p);
    if (!(key_len == 3 && strncmp(p, "max", 3) == 0) &&
        !(key_len == 4 && strncmp(p, "keep", 4) == 0)) {
      snprintf(err, err_cap, "unknown option '%.*s' (known: max, keep)", (int)key_len, p);
      return -1;
    }
    errno = 0;
    v = strtoull(eq + 1, &end, 10);
    if (end == eq + 1 || (*end != '\0' && *end != ',') || errno != 0) {
      snprintf(err, err_cap, "option '%.*s' needs a number", (int)key_len, p);
      return -1;
    }
    if (key_len == 3) {
      if (v < 1 || v > (1ull << MAX_SHIFT)) {
        snprintf(err, err_cap, "max must be in 1..%llu", 1ull << MAX_SHIFT);
        return -1;
      }
      *max = (size_t)v;
    } else {
      *keep = (size_t)v;
    }
    p = *end == ',' ? end + 1 : end;
  }
  return 0;
}

static void* mp_create(const char* options, char* err, size_t err_cap) {
  size_t max = 65536, keep = 1024;
  int i, shift = MIN_SHIFT;
  pool* p;
  if (parse_options(options, &max, &keep, err, err_cap) != 0) return NULL;
  while (((size_t)1 << shift) < max) ++shift;
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  p->classes = shift - MIN_SHIFT + 1;
  p->max = (size_t)1 << shift;
  p->keep = keep;
  atomic_init(&p->retained, 0);
  for (i = 0; i < p->classes; ++i) pthread_mutex_init(&p->list[i].mu, NULL);
  return p;
}

static void mp_destroy(void* pv) {
  pool* p = pv;
  int i;
  for (i = 0; i < p->classes; ++i) {
    node* n = p->list[i].head;
    while (n != NULL) {
      node* next = n->next;
      free(n);
      n = next;
    }
    pthread_mutex_destroy(&p->list[i].mu);
  }
  free(p);
}

static int mp_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  node* n = NULL;
  size_t cap;
  int cls = 0;
  if (size > p->max) {
    cls = UNPOOLED;
    cap = size;
  } else {
    while (((size_t)1 << (MIN_SHIFT + cls)) < size) ++cls;
    cap = (size_t)1 << (MIN_SHIFT + cls);
    pthread_mutex_lock(&p->list[cls].mu);
    n = p->list[cls].head;
    if (n != NULL) {
      p->list[cls].head = n->next;
      --p->list[cls].count;
      atomic_fetch_sub(&p->retained, cap); /* under the lock: the sum never dips below 0 */
    }
    pthread_mutex_unlock(&p->list[cls].mu);
  }
  if (n == NULL) {
    if (cap > (size_t)-1 - HEADER) return ENOMEM;
    n = malloc(HEADER + cap);
    if (n == NULL) return ENOMEM; /* refused: counted by bpstress */
    n->cls = cls;
  }
  out->data = data_of(n);
  out->cap = cap;
  out->handle = n;
  return 0;
}

static void mp_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  node* n = buf->handle;
  class_list* l;
  if (n->cls == UNPOOLED) {
    free(n);
    return;
  }
  l = &p->list[n->cls];
  pthread_mutex_lock(&l->mu);
  if (l->count < p->keep) {
    n->next = l->head;
    l->head = n;
    ++l->count;
    atomic_fetch_add(&p->retained, buf->cap);
    n = NULL;
  }
  pthread_mutex_unlock(&l->mu);
  free(n);
}

static size_t mp_retained_bytes(void* pv) {
  pool* p = pv;
  return atomic_load(&p->retained);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "mutex", mp_create, mp_destroy, mp_get, mp_put, mp_retained_bytes};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
