/* null_put_pool — a plugin whose table lacks the required put function, for the load error tests:
 * bpstress names the NULL field instead of crashing on the first put. */
#include <bpstress/plugin_abi.h>
#include <stdlib.h>

static void* np_create(const char* options, char* err, size_t err_cap) {
  (void)options;
  (void)err;
  (void)err_cap;
  return malloc(1);
}

static void np_destroy(void* pool) { free(pool); }

static int np_get(void* pool, size_t size, bp_buffer* out) {
  (void)pool;
  (void)size;
  (void)out;
  return 1;
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "null-put", np_create, np_destroy, np_get, NULL, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
