package bpplugin

// The Go side of the C entry points in bpplugin.c. Everything crossing between C and Go here is
// an integer or C memory: pool ids, handles and buffer addresses are uintptrs (see doc.go).

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#include <stdlib.h>
#include <bpstress/plugin_abi.h>
void bpstress_go_call_worker(bp_worker_fn worker, void* arg, unsigned index);
// A put a worker thread has not passed to Go yet (bpplugin.c).
typedef struct bp_go_pending { uintptr_t pool, handle; } bp_go_pending;
*/
import "C"

import (
	"math"
	"unsafe"
)

// The name (C memory, never freed: the table must stay valid while the library is loaded).
var cName *C.char

//export bpstress_go_describe
func bpstress_go_describe(name **C.char, retained *C.int) C.int {
	if plugin.create == nil {
		return 0
	}
	if cName == nil {
		cName = C.CString(plugin.name)
	}
	*name = cName
	*retained = 0
	if plugin.retained {
		*retained = 1
	}
	return 1
}

//export bpstress_go_create
func bpstress_go_create(options *C.char, errBuf *C.char, errCap C.size_t) C.uintptr_t {
	id, err := createInstance(C.GoString(options))
	if err != nil {
		writeError(errBuf, int(errCap), err.Error())
		return 0
	}
	return C.uintptr_t(id)
}

// writeError copies msg, made one line and cut to fit, NUL-terminated, into C's buffer.
func writeError(buf *C.char, capacity int, msg string) {
	if buf == nil || capacity <= 0 {
		return
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), capacity)
	n := 0
	for i := 0; i < len(msg) && n < capacity-1; i++ {
		c := msg[i]
		if c == '\n' || c == '\r' {
			c = ' '
		}
		dst[n] = c
		n++
	}
	dst[n] = 0
}

//export bpstress_go_destroy
func bpstress_go_destroy(pool C.uintptr_t) {
	destroyInstance(uintptr(pool))
}

//export bpstress_go_get
func bpstress_go_get(pool C.uintptr_t, size C.size_t, shard C.uint, out *C.bp_buffer) C.int {
	if uint64(size) > math.MaxInt {
		return 1 // no Go slice is that long
	}
	data, capacity, handle, ok := instance(uintptr(pool)).get(int(size), uint32(shard))
	if !ok {
		return 1
	}
	// Integers into C memory: no Go pointer value is stored there (cgocheck=2 checks those).
	*(*uintptr)(unsafe.Pointer(&out.data)) = data
	out.cap = C.size_t(capacity)
	*(*uintptr)(unsafe.Pointer(&out.handle)) = handle
	return 0
}

//export bpstress_go_put
func bpstress_go_put(pool C.uintptr_t, handle C.uintptr_t) {
	instance(uintptr(pool)).put(uintptr(handle))
}

// Puts deferred by a worker thread, in the order they were made, then that thread's next get: one
// call from C into Go where there would be two (see "Cost per call" in doc.go).
//
//export bpstress_go_put_get
func bpstress_go_put_get(pending *C.bp_go_pending, n C.uint, pool C.uintptr_t, size C.size_t,
	shard C.uint, out *C.bp_buffer) C.int {
	putPending(pending, n)
	return bpstress_go_get(pool, size, shard, out)
}

//export bpstress_go_put_pending
func bpstress_go_put_pending(pending *C.bp_go_pending, n C.uint) {
	putPending(pending, n)
}

func putPending(pending *C.bp_go_pending, n C.uint) {
	for _, p := range unsafe.Slice(pending, int(n)) {
		instance(uintptr(p.pool)).put(uintptr(p.handle))
	}
}

//export bpstress_go_retained
func bpstress_go_retained(pool C.uintptr_t) C.size_t {
	n := instance(uintptr(pool)).retainedBytes()
	if n < 0 {
		return 0
	}
	return C.size_t(n)
}

//export bpstress_go_run_threads
func bpstress_go_run_threads(count C.uint, worker C.bp_worker_fn, arg unsafe.Pointer) C.int {
	runThreads(int(count), func(i int) { C.bpstress_go_call_worker(worker, arg, C.uint(i)) })
	return 0
}

func newSentinel() unsafe.Pointer {
	return C.malloc(1)
}

func freeSentinel(p unsafe.Pointer) {
	C.free(p)
}
