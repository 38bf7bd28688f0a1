/* The bpstress plugin ABI, version 1: how a pool written in any language that can export a C
 * function is loaded into bpstress (`bpstress --plugin ./libmypool.so[:OPTIONS]`) and stressed
 * like the built-in pools.
 *
 * A plugin is a shared object exporting one function, bp_pool_plugin(), that returns a pointer to
 * a static bp_pool_api table. bpstress dlopen()s the file (RTLD_NOW | RTLD_LOCAL), calls
 * bp_pool_plugin() once, refuses the plugin unless abi_version == BP_PLUGIN_ABI_VERSION, and then
 * reads the rest of the table. The table and the name it points to must stay valid until the
 * library is unloaded.
 *
 * Contract of the functions (everything not marked optional is required, never NULL):
 *   create(options, err, err_cap)
 *       Makes one pool. `options` is the text after the ':' of --plugin PATH:OPTIONS ("" when
 *       none; never NULL); its syntax is the plugin's own. On failure returns NULL and writes a
 *       NUL-terminated one-line reason of at most err_cap bytes (including the NUL) into err;
 *       bpstress prints it. Called from one thread; never concurrently with destroy.
 *   destroy(pool)
 *       Frees the pool and everything it retains. Called once per created pool, after every
 *       buffer got from it was put back, from one thread. Not called when the run was abandoned
 *       because a get or put never returned (the pool is leaked on purpose).
 *   get(pool, size, out)
 *       Any thread, concurrently with other gets and puts. Returns 0 and fills *out with a buffer
 *       that the caller now holds alone: out->data points to out->cap >= size usable bytes
 *       (size may be 0; data must still be non-NULL and unique among held buffers, because
 *       bpstress identifies a buffer by its data pointer); out->handle is the plugin's own and is
 *       passed back to put unchanged. Any non-zero return means "refused": bpstress counts it and
 *       moves on (it is not a failure by itself). The content of a fresh buffer is unspecified.
 *   put(pool, buf)
 *       Any thread, including one other than the thread that got the buffer. Receives each buffer
 *       get handed out exactly once, with data, cap and handle as get set them. After put the
 *       caller does not touch the memory again.
 *   retained_bytes(pool)   (optional, NULL when not provided)
 *       Any thread: the capacity the pool holds for reuse now (an estimate while gets and puts
 * run). Reported as the pool's retained bytes; without it bpstress reports 0.
 *
 * What bpstress checks: that no buffer is handed to two holders at once, that the bytes a holder
 * writes (the first `size` bytes) are unchanged until its put, that cap >= size, and that every
 * buffer comes back. The name is used in tables and reports; it is treated as untrusted bytes
 * (invalid UTF-8 is replaced, everything is escaped), but short ASCII names are kindest to users.
 *
 * Compatibility: a later version that changes this table gets a new BP_PLUGIN_ABI_VERSION; fields
 * are only ever appended, and bpstress reads no field beyond those of the version a plugin states.
 * This header compiles as C99 and later and as C++. */
#ifndef BP_POOL_PLUGIN_ABI_H_
#define BP_POOL_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BP_PLUGIN_ABI_VERSION 1u

/* Plugins built with -fvisibility=hidden still export their entry point. */
#if defined(__GNUC__) || defined(__clang__)
#define BP_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BP_PLUGIN_EXPORT
#endif

typedef struct bp_buffer {
  unsigned char* data; /* usable memory, valid for cap bytes while held */
  size_t cap;          /* usable capacity; must be >= the size asked for */
  void* handle;        /* opaque to bpstress, passed back to put */
} bp_buffer;

typedef struct bp_pool_api {
  uint32_t abi_version; /* BP_PLUGIN_ABI_VERSION */
  const char* name;     /* short name used in tables and reports */
  /* NULL on failure, reason in err */
  void* (*create)(const char* options, char* err, size_t err_cap);
  void (*destroy)(void* pool);
  int (*get)(void* pool, size_t size, bp_buffer* out); /* 0 = ok, non-zero = refused (counted) */
  void (*put)(void* pool, bp_buffer* buf);             /* any thread may put what any thread got */
  size_t (*retained_bytes)(void* pool);                /* optional: NULL when not provided */
} bp_pool_api;

/* The one symbol a plugin exports. */
BP_PLUGIN_EXPORT const bp_pool_api* bp_pool_plugin(void);

/* The type of bp_pool_plugin, for hosts that look it up with dlsym. */
typedef const bp_pool_api* (*bp_pool_plugin_fn)(void);

#define BP_PLUGIN_SYMBOL "bp_pool_plugin"

/* Optional second entry point: the plugin runs bpstress's workers on threads of its own.
 *
 *   int bp_pool_run_threads(unsigned count, bp_worker_fn worker, void* arg);
 *
 * A plugin that exports it is asked to start `count` threads, each one an OS thread of its own
 * for the whole call, and to call worker(arg, i) once on each, for i = 0 .. count-1. It returns
 * only after every worker call has returned, with 0; non-zero means it could not start them (no
 * worker was called), and bpstress then runs the workers on threads of its own. A worker may be
 * still running when bpstress abandons a run whose get or put never returned; the plugin simply
 * never returns then.
 *
 * Why: a runtime that must know the threads that call into it (Go: a call from C into Go on a
 * thread that the Go runtime did not create borrows and returns a runtime thread record on every
 * call, microseconds each in Go 1.19) can run each worker on a thread it owns. A Go plugin runs
 * each worker on a goroutine locked to its OS thread (runtime.LockOSThread), and the gets and puts
 * that the worker makes are then ordinary calls back into Go (about 100 ns). Plugins without this
 * symbol (every ABI v1 plugin) are run on bpstress's threads as before; the table above is
 * unchanged. */
typedef void (*bp_worker_fn)(void* arg, unsigned index);
typedef int (*bp_pool_run_threads_fn)(unsigned count, bp_worker_fn worker, void* arg);

#define BP_RUN_THREADS_SYMBOL "bp_pool_run_threads"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BP_POOL_PLUGIN_ABI_H_ */
