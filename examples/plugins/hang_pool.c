/* hang_pool — a plugin whose 1000th get (counted over the whole pool) never returns, for the
 * watchdog tests: bpstress stops the run at --deadline with outcome "hung" (in process, the stuck
 * thread is abandoned; isolated, the child reports it or is killed).
 *
 * Until then it is a correct pool with no retention: get mallocs, put frees. The stuck get sleeps
 * in a loop, as a deadlocked pool would, without using CPU. Options: "at=N" (default 1000). */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  atomic_ulong gets;
  unsigned long at;
} pool;

static void* hg_create(const char* options, char* err, size_t err_cap) {
  pool* p;
  unsigned long at = 1000;
  if (*options != '\0') {
    char* end;
    if (strncmp(options, "at=", 3) != 0 || (at = strtoul(options + 3, &end, 10)) == 0 ||
        *end != '\0') {
      snprintf(err, err_cap, "options must be at=N with N >= 1");
      return NULL;
    }
  }
  p = malloc(sizeof *p);
  if (p == NULL) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  atomic_init(&p->gets, 0);
  p->at = at;
  return p;
}

static void hg_destroy(void* p) { free(p); }

static int hg_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  if (atomic_fetch_add(&p->gets, 1) + 1 == p->at) {
    for (;;) sleep(1);
  }
  out->data = malloc(size == 0 ? 1 : size);
  if (out->data == NULL) return ENOMEM;
  out->cap = size;
  out->handle = out->data;
  return 0;
}

static void hg_put(void* pv, bp_buffer* buf) {
  (void)pv;
  free(buf->handle);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "hang", hg_create, hg_destroy, hg_get, hg_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
