/* exit_in_get_pool — an arena pool that ends the process with _exit(0) from inside get when its
 * arena is exhausted, as libraries with a "fatal out-of-memory" handler do.
 *
 * get bumps a pointer in a fixed arena (`arena=BYTES`, default 64 MiB of address space, touched
 * only as used); put does nothing, since arena memory is only reclaimed all at once — which this
 * pool never does (its bug: nothing resets the arena while buffers are put back). When a get does
 * not fit, the out-of-memory handler prints a line and calls _exit(0): no signal, a zero status,
 * and no result — bpstress reports the run as crashed in phase run with what it saw until then. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
  unsigned char* base;
  size_t size;
  atomic_size_t used;
} pool;

static void* eg_create(const char* options, char* err, size_t err_cap) {
  size_t size = (size_t)64 << 20;
  pool* p;
  if (*options != '\0') {
    char* end;
    if (strncmp(options, "arena=", 6) != 0 || (size = strtoull(options + 6, &end, 10)) == 0 ||
        *end != '\0') {
      snprintf(err, err_cap, "options must be arena=BYTES");
      return NULL;
    }
  }
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  p->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p->base == MAP_FAILED) {
    snprintf(err, err_cap, "mmap: %s", strerror(errno));
    free(p);
    return NULL;
  }
  p->size = size;
  return p;
}

static void eg_destroy(void* pv) {
  pool* p = pv;
  munmap(p->base, p->size);
  free(p);
}

static void out_of_memory(size_t want) {
  char line[128];
  int n =
      snprintf(line, sizeof line, "exit_in_get_pool: arena exhausted (%zu bytes wanted)\n", want);
  if (n > 0) (void)!write(STDERR_FILENO, line, (size_t)n);
  _exit(0);
}

static int eg_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  const size_t want = (size + 15) & ~(size_t)15;
  const size_t at = atomic_fetch_add(&p->used, want);
  if (at + want > p->size) out_of_memory(want);
  out->data = p->base + at;
  out->cap = size;
  out->handle = NULL;
  return 0;
}

static void eg_put(void* pv, bp_buffer* buf) {
  (void)pv;
  (void)buf;
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "exit-in-get", eg_create, eg_destroy, eg_get, eg_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
