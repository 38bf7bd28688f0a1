/* The adapter's own host (host_test.go): loads a plugin built from countpool, runs workers through
 * bp_pool_run_threads and through threads of its own, and checks what bpstress relies on. Exit 0
 * and "ok" when every check held; otherwise one line saying which failed, and exit 1.
 *
 *   host PLUGIN THREADS OPS */
#include <bpstress/plugin_abi.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kHeld = 4 };
static const bp_pool_api* api;
static void* pool;
static long ops;
static int failed;

static void Fail(const char* what, unsigned worker) {
  fprintf(stderr, "host: worker %u: %s\n", worker, what);
  __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
}

/* Holds up to kHeld buffers (a ring), each filled with its worker's byte and checked at put. */
static void Worker(void* arg, unsigned index) {
  bp_buffer held[kHeld];
  size_t sizes[kHeld];
  unsigned next = 0, count = 0, x = index * 2654435761u + 1;
  (void)arg;
  for (long k = 0; k < ops; ++k) {
    if (count == kHeld) {
      bp_buffer* b = &held[next];
      for (size_t i = 0; i < sizes[next]; ++i) {
        if (b->data[i] != (unsigned char)index) {
          Fail("a held buffer changed", index);
          break;
        }
      }
      api->put(pool, b);
      --count;
    }
    x = x * 1103515245u + 12345u;
    const size_t n = (k % 97 == 0) ? 0 : 1 + (x >> 8) % 4096;
    bp_buffer b;
    if (api->get(pool, n, &b) != 0) {
      Fail("get refused", index);
      return;
    }
    if (b.data == NULL || b.cap < n) Fail("NULL data or cap < n", index);
    for (unsigned i = 0; i < count; ++i) {
      if (held[(next + kHeld - count + i) % kHeld].data == b.data) Fail("data not unique", index);
    }
    memset(b.data, (int)index, n);
    held[next] = b;
    sizes[next] = n;
    next = (next + 1) % kHeld;
    ++count;
  }
  while (count > 0) {
    api->put(pool, &held[(next + kHeld - count) % kHeld]);
    --count;
  }
}

static void* OwnThread(void* index) {
  Worker(NULL, (unsigned)(uintptr_t)index);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const unsigned threads = (unsigned)atoi(argv[2]);
  ops = atol(argv[3]);
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "host: %s\n", dlerror());
    return 1;
  }
  bp_pool_plugin_fn entry = (bp_pool_plugin_fn)dlsym(lib, BP_PLUGIN_SYMBOL);
  bp_pool_run_threads_fn run = (bp_pool_run_threads_fn)dlsym(lib, BP_RUN_THREADS_SYMBOL);
  if (entry == NULL || run == NULL || (api = entry()) == NULL) {
    fprintf(stderr, "host: bp_pool_plugin or bp_pool_run_threads missing\n");
    return 1;
  }
  if (api->abi_version != BP_PLUGIN_ABI_VERSION || strcmp(api->name, "count") != 0 ||
      api->retained_bytes == NULL) {
    fprintf(stderr, "host: the table is not count's\n");
    return 1;
  }
  char err[128];
  pool = api->create("", err, sizeof err);
  if (pool == NULL) return 1;
  /* The pool's workers, then threads of the host's own (ABI v1 calls). */
  if (run(threads, Worker, NULL) != 0) Fail("bp_pool_run_threads refused", 0);
  if (api->retained_bytes(pool) != 0)
    Fail("puts had not reached the pool when run_threads returned", 0);
  pthread_t t[64];
  for (unsigned i = 0; i < threads && i < 64; ++i) {
    pthread_create(&t[i], NULL, OwnThread, (void*)(uintptr_t)i);
  }
  for (unsigned i = 0; i < threads && i < 64; ++i) pthread_join(t[i], NULL);
  if (api->retained_bytes(pool) != 0)
    Fail("puts from the host's threads did not reach the pool", 0);
  api->destroy(pool);
  if (failed) return 1;
  printf("ok\n");
  return 0;
}
