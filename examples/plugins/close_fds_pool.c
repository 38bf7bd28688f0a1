/* close_fds_pool — a pool whose create closes every file descriptor above 2 (as code written to
 * run as a daemon does, "detaching" from what it inherited), and which also has a capacity bug.
 *
 * The descriptors it closes include the pipe an isolated bpstress child sends its figures on;
 * bpstress notices and reopens it, so the run still reports in full. The pool itself: get
 * mallocs, put frees, but sizes above 32 KiB are rounded to 32 KiB slots and the capacity
 * reported is the slot's: the buffer is shorter than asked (short_capacity). Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void* cf_create(const char* options, char* err, size_t err_cap) {
  long max = sysconf(_SC_OPEN_MAX);
  if (*options != '\0') {
    snprintf(err, err_cap, "no options");
    return NULL;
  }
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; ++fd) close(fd);
  return malloc(1);
}

static void cf_destroy(void* p) { free(p); }

static int cf_get(void* pv, size_t size, bp_buffer* out) {
  (void)pv;
  const size_t cap = size > 32768 ? 32768 : size; /* BUG: the slot, not the size asked for */
  out->data = malloc(cap == 0 ? 1 : cap);
  if (out->data == NULL) return ENOMEM;
  out->cap = cap;
  out->handle = out->data;
  return 0;
}

static void cf_put(void* pv, bp_buffer* buf) {
  (void)pv;
  free(buf->handle);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "close-fds", cf_create, cf_destroy, cf_get, cf_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
