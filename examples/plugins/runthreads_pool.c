/* runthreads_pool — a plugin that runs bpstress's workers on threads of its own, through the
 * optional entry point bp_pool_run_threads (see <bpstress/plugin_abi.h>). This is what a plugin
 * whose runtime must know the threads that call it does (a Go plugin runs each worker on a
 * goroutine locked to its OS thread); here plain pthreads, each marked with a thread-local flag.
 *
 * The pool is a mutex-guarded malloc/free pass-through that refuses (returns non-zero) every get
 * made on a thread that bp_pool_run_threads did not start: a run whose refusals are 0 ran every
 * get on the plugin's threads. With BP_RUNTHREADS_REFUSE=1 in the environment bp_pool_run_threads
 * returns -1 without starting anything (bpstress then runs the workers on its own threads, and
 * every get is refused). No options. */
#include <bpstress/plugin_abi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static __thread int on_plugin_thread;

/* The threads of one bp_pool_run_threads call wait until all of them exist (go = 1), so that when
 * one cannot be made none calls a worker (go = -1) and the call can return non-zero. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int go;
  bp_worker_fn worker;
  void* arg;
} launch;

typedef struct {
  launch* l;
  unsigned index;
} start;

static void* thread_main(void* p) {
  const start* s = p;
  launch* l = s->l;
  pthread_mutex_lock(&l->mu);
  while (l->go == 0) pthread_cond_wait(&l->cv, &l->mu);
  const int go = l->go;
  pthread_mutex_unlock(&l->mu);
  if (go > 0) {
    on_plugin_thread = 1;
    l->worker(l->arg, s->index);
  }
  return NULL;
}

BP_PLUGIN_EXPORT int bp_pool_run_threads(unsigned count, bp_worker_fn worker, void* arg) {
  const char* refuse = getenv("BP_RUNTHREADS_REFUSE");
  if (refuse != NULL && refuse[0] == '1') return -1;
  launch l = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, worker, arg};
  pthread_t* threads = calloc(count, sizeof *threads);
  start* starts = calloc(count, sizeof *starts);
  unsigned made = 0;
  while (threads != NULL && starts != NULL && made < count) {
    starts[made] = (start){&l, made};
    if (pthread_create(&threads[made], NULL, thread_main, &starts[made]) != 0) break;
    ++made;
  }
  pthread_mutex_lock(&l.mu);
  l.go = made == count ? 1 : -1;
  pthread_cond_broadcast(&l.cv);
  pthread_mutex_unlock(&l.mu);
  for (unsigned i = 0; i < made; ++i) pthread_join(threads[i], NULL);
  free(threads);
  free(starts);
  return made == count ? 0 : -1;
}

static void* rt_create(const char* options, char* err, size_t err_cap) {
  if (options[0] != '\0') {
    snprintf(err, err_cap, "no options expected, got '%s'", options);
    return NULL;
  }
  return calloc(1, 1);
}

static void rt_destroy(void* p) { free(p); }

static int rt_get(void* p, size_t size, bp_buffer* out) {
  (void)p;
  if (!on_plugin_thread) return 1;
  out->data = malloc(size != 0 ? size : 1);
  if (out->data == NULL) return 1;
  out->cap = size;
  out->handle = NULL;
  return 0;
}

static void rt_put(void* p, bp_buffer* buf) {
  (void)p;
  free(buf->data);
}

static const bp_pool_api api = {
    BP_PLUGIN_ABI_VERSION, "runthreads", rt_create, rt_destroy, rt_get, rt_put, NULL,
};

BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void) { return &api; }
