/* crash_pool — a plugin that segfaults on its 1000th get (counted over the whole pool), for the
 * crash-isolation tests: bpstress runs each pool in a child process (`--isolate`), so the crash
 * is reported as outcome "crashed" with the signal, and the pools after it still run.
 *
 * Until then it is a correct pool with no retention: get mallocs, put frees. The fault is a
 * store through a pointer the compiler cannot prove to be NULL, so it is a real SIGSEGV (not a
 * trap instruction). Options: "at=N" (default 1000). */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  atomic_ulong gets;
  unsigned long at;
} pool;

static int* volatile nowhere = NULL;

static void* cr_create(const char* options, char* err, size_t err_cap) {
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

static void cr_destroy(void* p) { free(p); }

static int cr_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  if (atomic_fetch_add(&p->gets, 1) + 1 == p->at) *nowhere = 1; /* SIGSEGV */
  out->data = malloc(size == 0 ? 1 : size);
  if (out->data == NULL) return ENOMEM;
  out->cap = size;
  out->handle = out->data;
  return 0;
}

static void cr_put(void* pv, bp_buffer* buf) {
  (void)pv;
  free(buf->handle);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "crash", cr_create, cr_destroy, cr_get, cr_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
