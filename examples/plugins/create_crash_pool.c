/* create_crash_pool — a plugin whose create aborts, and whose library aborts as it is loaded when
 * BP_CRASH_AT_LOAD=1 is in the environment: how bpstress reports a plugin that dies before a run
 * (loading and the first create are probed in a child process). Never returns a pool. */
#include <bpstress/plugin_abi.h>
#include <stdlib.h>

__attribute__((constructor)) static void maybe_crash_at_load(void) {
  const char* at_load = getenv("BP_CRASH_AT_LOAD");
  if (at_load != NULL && at_load[0] == '1') abort();
}

static void* cc_create(const char* options, char* err, size_t err_cap) {
  (void)options;
  (void)err;
  (void)err_cap;
  abort();
}

static void cc_destroy(void* p) { (void)p; }

static int cc_get(void* p, size_t size, bp_buffer* out) {
  (void)p;
  (void)size;
  (void)out;
  return 1;
}

static void cc_put(void* p, bp_buffer* buf) {
  (void)p;
  (void)buf;
}

static const bp_pool_api api = {
    BP_PLUGIN_ABI_VERSION, "create-crash", cc_create, cc_destroy, cc_get, cc_put, NULL,
};

BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &api; }
