/* destroy_abort_pool — a correct pool during the run whose destroy frees some buffers twice, so
 * glibc aborts ("free(): double free detected") as the pool is torn down.
 *
 * One mutex-guarded free list per pool, plus a registry of every buffer ever allocated (to free
 * the ones still out at destroy). The bug is in destroy: it frees the free list, and then the
 * registry — which holds those buffers too. Everything before destroy is right, so the run's
 * figures are complete; the abort happens in the destroy phase. Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct node {
  struct node* next;
  size_t cap;
} node;
#define HEADER 16

typedef struct {
  pthread_mutex_t mu;
  node* head;
  node** all;
  size_t count, room;
} pool;

static void* da_create(const char* options, char* err, size_t err_cap) {
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

static void da_destroy(void* pv) {
  pool* p = pv;
  for (node* n = p->head; n != NULL;) {
    node* next = n->next;
    free(n);
    n = next;
  }
  for (size_t i = 0; i < p->count; ++i) free(p->all[i]); /* BUG: the free list's buffers again */
  free(p->all);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

static int da_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  node* n = NULL;
  pthread_mutex_lock(&p->mu);
  for (node** at = &p->head; *at != NULL; at = &(*at)->next) {
    if ((*at)->cap >= size) {
      n = *at;
      *at = n->next;
      break;
    }
  }
  if (n == NULL && p->count < 4096) {
    if (p->count == p->room) {
      size_t room = p->room ? 2 * p->room : 256;
      node** all = realloc(p->all, room * sizeof *all);
      if (all == NULL) {
        pthread_mutex_unlock(&p->mu);
        return ENOMEM;
      }
      p->all = all;
      p->room = room;
    }
    n = malloc(HEADER + 65536);
    if (n != NULL) {
      n->cap = 65536;
      p->all[p->count++] = n;
    }
  }
  pthread_mutex_unlock(&p->mu);
  if (n == NULL) return ENOMEM;
  out->data = (unsigned char*)n + HEADER;
  out->cap = n->cap;
  out->handle = n;
  return 0;
}

static void da_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  node* n = buf->handle;
  pthread_mutex_lock(&p->mu);
  n->next = p->head;
  p->head = n;
  pthread_mutex_unlock(&p->mu);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "destroy-abort", da_create, da_destroy, da_get, da_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
