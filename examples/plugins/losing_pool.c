/* losing_pool — a pool that loses one put in 4096: memory it neither keeps nor frees.
 *
 * Puts are batched to keep the lock short: put appends to a batch of 4096 slots, and when the
 * batch is full it is spliced onto the free list get pops from. The splice has an off-by-one (it
 * links slots 0..4094 and resets the batch), so the buffer in the last slot is forgotten: one put
 * in 4096 leaks. Nothing else is wrong; destroy frees the free list and the batch. Options: none.
 */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 4096

typedef struct node {
  struct node* next;
  size_t cap;
} node;
#define HEADER 16

typedef struct {
  pthread_mutex_t mu;
  node* head;
  node* batch[BATCH];
  size_t in_batch;
} pool;

static void* lp_create(const char* options, char* err, size_t err_cap) {
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
  pthread_mutex_init(&p->mu, NULL);
  return p;
}

static void lp_destroy(void* pv) {
  pool* p = pv;
  for (node* n = p->head; n != NULL;) {
    node* next = n->next;
    free(n);
    n = next;
  }
  for (size_t i = 0; i < p->in_batch; ++i) free(p->batch[i]);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

static int lp_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  node* n;
  pthread_mutex_lock(&p->mu);
  n = p->head;
  if (n != NULL && n->cap >= size) {
    p->head = n->next;
  } else {
    n = NULL;
  }
  pthread_mutex_unlock(&p->mu);
  if (n == NULL) {
    if ((n = malloc(HEADER + 65536)) == NULL) return ENOMEM;
    n->cap = 65536;
  }
  out->data = (unsigned char*)n + HEADER;
  out->cap = n->cap;
  out->handle = n;
  return 0;
}

static void lp_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  pthread_mutex_lock(&p->mu);
  p->batch[p->in_batch++] = buf->handle;
  if (p->in_batch == BATCH) {
    for (size_t i = 0; i + 1 < BATCH - 1; ++i) p->batch[i]->next = p->batch[i + 1];
    p->batch[BATCH - 2]->next = p->head; /* BUG: slot BATCH-1 is never linked */
    p->head = p->batch[0];
    p->in_batch = 0;
  }
  pthread_mutex_unlock(&p->mu);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "losing", lp_create, lp_destroy, lp_get, lp_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
