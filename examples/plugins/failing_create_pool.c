/* failing_create_pool — a plugin whose create always fails with its own reason (naming the
 * options it was given), for the load error tests: bpstress reports the plugin's reason when it
 * validates the options, before any run starts. */
#include <bpstress/plugin_abi.h>
#include <stdio.h>

static void* fc_create(const char* options, char* err, size_t err_cap) {
  snprintf(err, err_cap, "arena size missing in options '%s'", options);
  return NULL;
}

static void fc_destroy(void* pool) { (void)pool; }

static int fc_get(void* pool, size_t size, bp_buffer* out) {
  (void)pool;
  (void)size;
  (void)out;
  return 1;
}

static void fc_put(void* pool, bp_buffer* buf) {
  (void)pool;
  (void)buf;
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "failing-create", fc_create, fc_destroy, fc_get, fc_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
