// Package bpplugin turns a Go buffer pool into a bpstress plugin.
//
// A pool is a type with Get(n int) []byte and Put(b []byte) (and, optionally, RetainedBytes() int,
// the capacity it keeps for reuse). Register it from an init function of a main package, build
// that package with -buildmode=c-shared, and the shared object is a plugin of ABI version 1
// (<bpstress/plugin_abi.h>):
//
//	package main
//
//	import "bpstress/bpplugin"
//
//	func init() {
//		bpplugin.Register("mypool", func(options string) (*MyPool, error) { return NewMyPool(), nil })
//	}
//
//	func main() {}
//
//	go build -buildmode=c-shared -o libmypool.so .     (GOPATH mode: GO111MODULE=off)
//	bpstress --plugin ./libmypool.so --threads 8
//
// A pool whose items are not slices (a *bytes.Buffer, a struct with a Close method) is registered
// with RegisterItems, which takes a function that gives an item's memory. The text after the ':'
// of --plugin PATH:OPTIONS reaches the constructor; IntOptions parses the usual "key=N,key=N"
// form. A Go panic in the pool is not recovered: it ends the process, and bpstress reports the
// pool as crashed with the panic's first lines.
//
// # What the library exports
//
// bp_pool_plugin, the ABI v1 table: create, destroy, get, put and (when the pool type has
// RetainedBytes) retained_bytes. Each entry is a small C function (bpplugin.c) that calls one
// exported Go function. bp_pool_run_threads: bpstress's workers run on goroutines locked to their
// OS threads (runtime.LockOSThread), so each get and put is a call from C into Go on a thread that
// the Go runtime knows (about 100 ns) rather than on a foreign thread, which borrows a runtime
// thread record on every call (microseconds in Go 1.19).
//
// # Held buffers and the cgo pointer rules
//
// bpstress identifies a buffer by its data pointer and writes into it between get and put, from C.
// The cgo rules of Go 1.19 say that C code may not keep a Go pointer after the call that passed
// it returns, because the garbage collector may free memory that no Go value refers to, and
// because the rules leave room for a collector that moves objects. This adapter hands out the
// address of the slice's first byte and keeps what that rule protects:
//
//   - Freed: while C holds a buffer, its slice (or item) is stored in the pool's handle table, a
//     Go value, so the collector sees it reachable and neither frees nor reuses its memory. The
//     handle C carries is an integer (shard, slot, generation) into that table, not a pointer.
//   - Moved: the gc toolchain never moves heap objects (only goroutine stacks move). The slice
//     cannot be on a stack: it came back from an interface or function call and is stored in the
//     table, so escape analysis puts it on the heap (memory of a global array does not move
//     either). Go 1.21 made this guarantee explicit in runtime.Pinner, whose pinned objects "will
//     not be moved or freed" and may be kept by C; for heap objects pinning adds to reachability
//     only the bookkeeping of the cgocheck tests.
//   - Go pointers inside it: the bytes of a []byte contain none.
//
// The pointer is given to C as an integer (uintptr), never stored into C memory as a pointer
// value, so GODEBUG=cgocheck=2 (which checks pointer writes into non-Go memory) stays quiet, and
// no Go pointer is passed to or returned from a cgo call. C never passes a Go pointer back: put
// finds the slice in the table by its handle.
//
// A zero-capacity slice has no first byte (and every empty allocation of the Go runtime shares
// one address), so it is handed out with the address of one byte of C memory that belongs to its
// slot of the table: non-NULL and unique among held buffers, as the ABI requires.
//
// Cross-thread hand-offs: a buffer put by a thread other than the one that got it is released in
// the getter's shard under that shard's mutex, so for Go's race detector the getter's accesses to
// the item happen before the putter's (bpstress's own hand-off between its threads is C and
// invisible to it).
//
// # Cost per call
//
// A call from C into Go costs about as much as a pool's Get and Put together (in Go 1.19 it also
// takes a process-wide mutex of the cgo runtime), so a worker of bp_pool_run_threads makes one per
// get+put: its put is kept in a small C array (pool and handle, integers) and reaches Go with the
// thread's next get, in the same call, in the order the puts were made; before retained_bytes on
// that thread, when 16 are waiting, and when the worker returns, so every put has reached the pool
// when bp_pool_run_threads returns (before bpstress's destroy). A buffer is never handed out again
// before the pool's Put of it, so a put that arrives late cannot cause a finding; it only delays
// when the pool may reuse the buffer (by one op of that thread). Threads of bpstress's own (ABI v1
// callers) put at once.
//
// In Go: get is the pool's Get, then one uncontended mutex and a slot taken from the calling
// thread's shard (a thread-local shard index kept in C: the worker index under
// bp_pool_run_threads); put frees the slot under the same shard's mutex, then calls the pool's
// Put. No allocation once the table is warm.
package bpplugin
