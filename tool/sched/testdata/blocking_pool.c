/* blocking_pool — a correct pool that blocks and yields in every way the scheduler models, for the
 * tests of `bpstress sched` (built with bp_sched_plugin): a wrong model shows as a deadlock, a
 * hang or a double hand-out here.
 *
 *   pthread_once            the free list's lock is set up lazily, once
 *   pthread_spin_*          guards the free list
 *   sem_timedwait/sem_post  at most `slots` buffers out at once; get refuses when none frees up
 *   pthread_mutex + cond    get waits (timed) for a put when the list is empty and the pool is
 *                           at its allocation limit; put signals
 *   pthread_rwlock          the counters: written by put, read by get
 *   atomic exchange + sched_yield / usleep   a hand-rolled test-and-set lock around `puts`
 *   C11 atomics             the retained-bytes figure
 * Options: none. */
#include <bpstress/plugin_abi.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 5
#define LIMIT 4
#define CAP 4096

typedef struct node {
  struct node* next;
} node;
#define HEADER 16

typedef struct {
  pthread_spinlock_t spin;
  node* head;
  size_t allocated;
  sem_t slots;
  pthread_mutex_t mu;
  pthread_cond_t put_done;
  pthread_rwlock_t stats;
  size_t puts;
  atomic_int tas;
  unsigned long tas_count;
  atomic_size_t retained;
} pool;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;
static void init_once(void) { ready = 1; }

static void* bl_create(const char* options, char* err, size_t err_cap) {
  pool* p = calloc(1, sizeof *p);
  (void)options;
  if (p == NULL) {
    if (err_cap > 0) err[0] = '\0';
    return NULL;
  }
  pthread_spin_init(&p->spin, PTHREAD_PROCESS_PRIVATE);
  sem_init(&p->slots, 0, SLOTS);
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->put_done, NULL);
  pthread_rwlock_init(&p->stats, NULL);
  atomic_init(&p->tas, 0);
  atomic_init(&p->retained, 0);
  return p;
}

static void bl_destroy(void* pv) {
  pool* p = pv;
  node* n = p->head;
  while (n != NULL) {
    node* next = n->next;
    free(n);
    n = next;
  }
  pthread_rwlock_destroy(&p->stats);
  pthread_cond_destroy(&p->put_done);
  pthread_mutex_destroy(&p->mu);
  sem_destroy(&p->slots);
  pthread_spin_destroy(&p->spin);
  free(p);
}

/* Pops a buffer, or allocates one below the limit; NULL when neither. */
static node* take(pool* p) {
  node* n;
  pthread_spin_lock(&p->spin);
  n = p->head;
  if (n != NULL) {
    p->head = n->next;
  } else if (p->allocated < LIMIT) {
    ++p->allocated;
    pthread_spin_unlock(&p->spin);
    n = malloc(HEADER + CAP);
    if (n == NULL) {
      pthread_spin_lock(&p->spin);
      --p->allocated;
      pthread_spin_unlock(&p->spin);
    }
    return n;
  }
  pthread_spin_unlock(&p->spin);
  return n;
}

static int bl_get(void* pv, size_t size, bp_buffer* out) {
  pool* p = pv;
  node* n;
  struct timespec deadline;
  size_t puts;
  pthread_once(&once, init_once);
  if (!ready || size > CAP) return ENOMEM;
  /* Scheduled, a timed wait times out only when every other thread waits too; unscheduled (the
   * drain after a schedule) this deadline is real: short, so that the drain stays fast. */
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 2000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000;
  }
  if (sem_timedwait(&p->slots, &deadline) != 0) return EAGAIN;
  n = take(p);
  if (n == NULL) {
    pthread_mutex_lock(&p->mu);
    while ((n = take(p)) == NULL) {
      if (pthread_cond_timedwait(&p->put_done, &p->mu, &deadline) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&p->mu);
  }
  if (n == NULL) {
    sem_post(&p->slots);
    return ENOMEM;
  }
  pthread_rwlock_rdlock(&p->stats);
  puts = p->puts;
  pthread_rwlock_unlock(&p->stats);
  (void)puts;
  atomic_fetch_sub(&p->retained, (size_t)0);
  out->data = (unsigned char*)n + HEADER;
  out->cap = CAP;
  out->handle = n;
  return 0;
}

static void bl_put(void* pv, bp_buffer* buf) {
  pool* p = pv;
  node* n = buf->handle;
  int spins = 0;
  pthread_spin_lock(&p->spin);
  n->next = p->head;
  p->head = n;
  pthread_spin_unlock(&p->spin);
  pthread_mutex_lock(&p->mu);
  pthread_cond_signal(&p->put_done);
  pthread_mutex_unlock(&p->mu);
  sem_post(&p->slots);
  pthread_rwlock_wrlock(&p->stats);
  ++p->puts;
  pthread_rwlock_unlock(&p->stats);
  while (atomic_exchange(&p->tas, 1) != 0) {
    if (++spins % 2 == 0) {
      sched_yield();
    } else {
      usleep(1);
    }
  }
  ++p->tas_count;
  atomic_store(&p->tas, 0);
}

static size_t bl_retained(void* pv) {
  pool* p = pv;
  return atomic_load(&p->retained);
}

static const bp_pool_api kApi = {
    BP_PLUGIN_ABI_VERSION, "blocking", bl_create, bl_destroy, bl_get, bl_put, bl_retained};

const bp_pool_api* bp_pool_plugin(void) { return &kApi; }
