/* loadthread_pool — a correct plugin whose pool needs a thread that the library starts when it is
 * loaded, as every Go c-shared library does (the Go runtime's threads) and as a C pool with a
 * background refill or trim thread may.
 *
 * A constructor (run by dlopen) starts one server thread. get(n) queues a request and waits until
 * the server hands a buffer over; put gives the buffer back to the server's free lists (one per
 * power-of-two class from 64 bytes to 64 KiB, larger buffers are freed). Every get needs the
 * server: in a process forked after the library was loaded the server thread does not exist, and
 * the first get waits for ever. bpstress therefore loads a plugin only in the process that runs it.
 *
 * No options. Not fast (each get is a hand-off between two threads); it is a test of the loading
 * rule, not a pool to copy. */
#include <bpstress/plugin_abi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SHIFT 6
#define MAX_SHIFT 16
#define CLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define KEEP 256 /* buffers a class keeps */

typedef struct request {
  size_t size;
  unsigned char* data; /* set by the server */
  size_t cap;
  int done;
  struct request* next;
} request;

typedef struct free_node {
  struct free_node* next;
} free_node;

/* Everything the server owns, behind one mutex. */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake;   /* a request or a put for the server */
  pthread_cond_t served; /* a request was answered */
  request* queue;
  free_node* free_list[CLASSES];
  size_t kept[CLASSES];
  int started;
} server = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

static int class_of(size_t n) {
  int c = 0;
  while (c < CLASSES && ((size_t)1 << (MIN_SHIFT + c)) < n) ++c;
  return c; /* CLASSES: above the largest class */
}

/* The server: answers each queued request from its free lists or with a fresh allocation. */
static void* serve(void* arg) {
  (void)arg;
  pthread_mutex_lock(&server.mu);
  for (;;) {
    while (server.queue == NULL) pthread_cond_wait(&server.wake, &server.mu);
    while (server.queue != NULL) {
      request* r = server.queue;
      server.queue = r->next;
      const int c = class_of(r->size);
      if (c < CLASSES && server.free_list[c] != NULL) {
        free_node* n = server.free_list[c];
        server.free_list[c] = n->next;
        --server.kept[c];
        r->data = (unsigned char*)n;
      } else {
        const size_t cap = c < CLASSES ? (size_t)1 << (MIN_SHIFT + c) : (r->size ? r->size : 1);
        r->data = malloc(cap);
      }
      r->cap = c < CLASSES ? (size_t)1 << (MIN_SHIFT + c) : (r->size ? r->size : 1);
      r->done = 1;
    }
    pthread_cond_broadcast(&server.served);
  }
  return NULL;
}

__attribute__((constructor)) static void start_server(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, serve, NULL) == 0) {
    pthread_detach(t);
    server.started = 1;
  }
}

typedef struct {
  int unused;
} pool;

static void* lt_create(const char* options, char* err, size_t err_cap) {
  if (options[0] != '\0') {
    snprintf(err, err_cap, "no options expected, got '%s'", options);
    return NULL;
  }
  if (!server.started) {
    snprintf(err, err_cap, "the server thread could not be started");
    return NULL;
  }
  return calloc(1, sizeof(pool));
}

static void lt_destroy(void* p) { free(p); }

static int lt_get(void* p, size_t size, bp_buffer* out) {
  (void)p;
  request r = {size, NULL, 0, 0, NULL};
  pthread_mutex_lock(&server.mu);
  r.next = server.queue;
  server.queue = &r;
  pthread_cond_signal(&server.wake);
  while (!r.done) pthread_cond_wait(&server.served, &server.mu);
  pthread_mutex_unlock(&server.mu);
  if (r.data == NULL) return -1;
  out->data = r.data;
  out->cap = r.cap;
  out->handle = NULL;
  return 0;
}

static void lt_put(void* p, bp_buffer* buf) {
  (void)p;
  const int c = class_of(buf->cap);
  unsigned char* unkept = buf->data;
  pthread_mutex_lock(&server.mu);
  if (c < CLASSES && ((size_t)1 << (MIN_SHIFT + c)) == buf->cap && server.kept[c] < KEEP) {
    free_node* n = (free_node*)buf->data;
    n->next = server.free_list[c];
    server.free_list[c] = n;
    ++server.kept[c];
    unkept = NULL;
  }
  pthread_mutex_unlock(&server.mu);
  free(unkept);
}

static const bp_pool_api api = {
    BP_PLUGIN_ABI_VERSION, "loadthread", lt_create, lt_destroy, lt_get, lt_put, NULL,
};

BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &api; }
