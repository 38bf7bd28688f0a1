/* work_pool — a correct pool whose cost is set by an option: each get and each put does `work`
 * rounds of a hash on top of malloc/free. work=2000 and work=4000 are the same pool doing twice
 * the work (CPU, no sleeping): the baseline gate's real 2x slowdown
 * (tests/baseline_identical_runs.sh).
 *
 * Options: "work=ROUNDS" (default 0: plain malloc and free).
 */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  unsigned long work;
} pool;

/* `rounds` of xorshift on `seed`; the result is used, so the loop is not optimised away. */
static uint64_t spin(uint64_t seed, unsigned long rounds) {
  uint64_t x = seed | 1;
  unsigned long i;
  for (i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

static void* wp_create(const char* options, char* err, size_t err_cap) {
  pool* p;
  unsigned long work = 0;
  if (options[0] != '\0') {
    char* end;
    if (strncmp(options, "work=", 5) != 0) {
      snprintf(err, err_cap, "unknown option '%s' (known: work=ROUNDS)", options);
      return NULL;
    }
    errno = 0;
    work = strtoul(options + 5, &end, 10);
    if (end == options + 5 || *end != '\0' || errno != 0 || work > 100000000ul) {
      snprintf(err, err_cap, "work needs a number of rounds, at most 100000000");
      return NULL;
    }
  }
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    snprintf(err, err_cap, "out of memory");
    return NULL;
  }
  p->work = work;
  return p;
}

static void wp_destroy(void* pv) { free(pv); }

static int wp_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  unsigned char* data = malloc(size == 0 ? 1 : size);
  if (data == NULL) return ENOMEM;
  out->data = data;
  out->cap = size;
  /* The hash decides nothing, but a compiler cannot know: the work is done. */
  out->handle = (void*)(uintptr_t)(spin((uintptr_t)data, p->work) == 0);
  return 0;
}

static void wp_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  if (spin((uintptr_t)buf->data, p->work) == 0) buf->handle = NULL;
  free(buf->data);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "work", wp_create, wp_destroy, wp_get, wp_put, NULL};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
