/* glib_slice_pool — a correct pool over GLib (Debian: libglib2.0-dev), for the false-alarm sweep
 * (sanitizers/false-alarm-sweep.sh): code this project did not write.
 *
 * Blocks come from GLib's slice allocator (g_slice_alloc/g_slice_free1: per-thread magazines
 * and a global depot that GLib keeps after the pool is gone), one GAsyncQueue of free blocks per
 * power-of-two class from 64 B to 64 KiB, at most KEEP blocks each. get pops a block of n's class
 * or allocates one; put pushes it back, or frees it when the queue is full. Larger requests are
 * g_malloc'd and g_free'd. destroy frees every queued block and the queues.
 * Options: none. Built by the sweep script:
 *   cc -O2 -shared -fPIC -I include $(pkg-config --cflags glib-2.0) -o libglib_slice_pool.so \
 *      glib_slice_pool.c $(pkg-config --libs glib-2.0)
 */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>

#define CLASSES 11
#define KEEP 1024
#define HEADER 16
#define UNPOOLED (-1)

typedef struct {
  GAsyncQueue* free[CLASSES];
} pool;

static int class_of(size_t n) {
  size_t size = 64;
  for (int c = 0; c < CLASSES; ++c, size <<= 1) {
    if (n <= size) return c;
  }
  return UNPOOLED;
}

static void* gs_create(const char* options, char* err, size_t err_cap) {
  pool* p;
  if (*options != '\0') {
    snprintf(err, err_cap, "no options");
    return NULL;
  }
  p = g_new0(pool, 1);
  for (int c = 0; c < CLASSES; ++c) p->free[c] = g_async_queue_new();
  return p;
}

static void gs_destroy(void* pv) {
  pool* p = pv;
  for (int c = 0; c < CLASSES; ++c) {
    void* b;
    while ((b = g_async_queue_try_pop(p->free[c])) != NULL) g_slice_free1(HEADER + (64u << c), b);
    g_async_queue_unref(p->free[c]);
  }
  g_free(p);
}

static int gs_get(void* pv, size_t n, bp_buffer* out) {
  pool* p = pv;
  const int cls = class_of(n);
  const size_t cap = cls == UNPOOLED ? n : (size_t)64 << cls;
  void* b = cls == UNPOOLED ? NULL : g_async_queue_try_pop(p->free[cls]);
  if (b == NULL) {
    b = cls == UNPOOLED ? g_try_malloc(HEADER + cap) : g_slice_alloc(HEADER + cap);
    if (b == NULL) return ENOMEM;
    *(int*)b = cls;
  }
  out->data = (unsigned char*)b + HEADER;
  out->cap = cap;
  out->handle = b;
  return 0;
}

static void gs_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  const int cls = *(int*)buf->handle;
  if (cls == UNPOOLED) {
    g_free(buf->handle);
  } else if (g_async_queue_length(p->free[cls]) >= KEEP) {
    g_slice_free1(HEADER + (64u << cls), buf->handle);
  } else {
    g_async_queue_push(p->free[cls], buf->handle);
  }
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "glib-slice", gs_create, gs_destroy, gs_get, gs_put, NULL};

BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
