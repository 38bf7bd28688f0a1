/* evil_name_pool — a correct, non-retaining pool (malloc on get, free on put) whose name holds the
 * bytes a report writer must not pass through raw: invalid UTF-8 (0xFF), a quote, angle brackets,
 * a newline. For the tests that the report stays valid JSON whatever a plugin calls itself. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <stdlib.h>

static void* en_create(const char* options, char* err, size_t err_cap) {
  (void)options;
  (void)err;
  (void)err_cap;
  return malloc(1);
}

static void en_destroy(void* pool) { free(pool); }

static int en_get(void* pool, size_t size, bp_buffer* out) {
  (void)pool;
  out->data = malloc(size == 0 ? 1 : size);
  if (out->data == NULL) return ENOMEM;
  out->cap = size;
  out->handle = out->data;
  return 0;
}

static void en_put(void* pool, bp_buffer* buf) {
  (void)pool;
  free(buf->handle);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "\xff\"<x>\n", en_create, en_destroy, en_get, en_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
