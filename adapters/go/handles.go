package bpplugin

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The handle table of one pool: every buffer C holds, keyed by the handle C carries.
//
// A handle is an integer: bits 0..5 the shard, 6..29 the slot in it, 32..63 the slot's generation
// (bumped at each get, so a stale handle never names the buffer that reuses its slot). Each thread
// uses its own shard for gets (the C side keeps the index in a thread-local), so the shard mutex
// is uncontended except when another thread puts a buffer this one got.
const (
	shardBits = 6
	numShards = 1 << shardBits
	slotBits  = 24
	maxSlots  = 1 << slotBits
	// Puts a shard remembers, so that a second put of the same buffer (a caller's double put,
	// bpstress --misuse double-put) reaches the pool's Put again as it would in Go.
	recentPuts = 4
)

type slot[T any] struct {
	item     T
	gen      uint32
	held     bool
	sentinel unsafe.Pointer // one byte of C memory: the address of a zero-capacity buffer held here
}

type recentPut[T any] struct {
	handle uintptr
	item   T
}

type shard[T any] struct {
	mu     sync.Mutex
	slots  []slot[T]
	free   []uint32
	recent [recentPuts]recentPut[T]
	next   int
	_      [64]byte // shards on separate cache lines
}

type table[T any] struct {
	getItem  func(n int) T
	putItem  func(item T)
	bytes    func(item T) []byte // nil: a refusal
	retained func() int
	shards   [numShards]shard[T]
}

func newTable[T any](get func(int) T, put func(T), bytes func(T) []byte,
	retained func() int) *table[T] {
	return &table[T]{getItem: get, putItem: put, bytes: bytes, retained: retained}
}

func (t *table[T]) get(n int, shardIndex uint32) (uintptr, int, uintptr, bool) {
	item := t.getItem(n)
	b := t.bytes(item)
	if b == nil {
		return 0, 0, 0, false
	}
	var data uintptr
	if cap(b) > 0 {
		// Kept reachable by the slot below until put: see "Held buffers" in doc.go.
		data = uintptr(unsafe.Pointer(&b[:1][0]))
	}
	s := shardIndex & (numShards - 1)
	sh := &t.shards[s]
	sh.mu.Lock()
	var i uint32
	if k := len(sh.free); k > 0 {
		i = sh.free[k-1]
		sh.free = sh.free[:k-1]
	} else {
		if len(sh.slots) == maxSlots {
			sh.mu.Unlock()
			panic(fmt.Sprintf("bpplugin: more than %d buffers held from one thread", maxSlots))
		}
		i = uint32(len(sh.slots))
		sh.slots = append(sh.slots, slot[T]{})
	}
	sl := &sh.slots[i]
	sl.item, sl.held = item, true
	sl.gen++
	if data == 0 {
		if sl.sentinel == nil {
			sl.sentinel = newSentinel()
		}
		data = uintptr(sl.sentinel)
	}
	handle := uintptr(sl.gen)<<32 | uintptr(i)<<shardBits | uintptr(s)
	sh.mu.Unlock()
	return data, cap(b), handle, true
}

func (t *table[T]) put(handle uintptr) {
	sh := &t.shards[handle&(numShards-1)]
	i := (handle >> shardBits) & (maxSlots - 1)
	gen := uint32(handle >> 32)
	var item T
	found := false
	sh.mu.Lock()
	if i < uintptr(len(sh.slots)) && sh.slots[i].held && sh.slots[i].gen == gen {
		sl := &sh.slots[i]
		item, found = sl.item, true
		var zero T
		sl.item, sl.held = zero, false
		sh.free = append(sh.free, uint32(i))
		sh.recent[sh.next] = recentPut[T]{handle, item}
		sh.next = (sh.next + 1) % recentPuts
	} else {
		for _, r := range sh.recent {
			if r.handle == handle {
				item, found = r.item, true
				break
			}
		}
	}
	sh.mu.Unlock()
	if !found {
		unknownHandle(handle)
		return
	}
	t.putItem(item)
}

var unknownReported atomic.Bool

func unknownHandle(handle uintptr) {
	if unknownReported.CompareAndSwap(false, true) {
		fmt.Fprintf(os.Stderr, "bpplugin: put of handle %#x, which names no held or recently put "+
			"buffer; ignored (reported once)\n", handle)
	}
}

func (t *table[T]) retainedBytes() int {
	if t.retained == nil {
		return 0
	}
	return t.retained()
}

// destroy frees the sentinel bytes; the slices are the collector's once the table is dropped.
func (t *table[T]) destroy() {
	for s := range t.shards {
		sh := &t.shards[s]
		sh.mu.Lock()
		for i := range sh.slots {
			if sh.slots[i].sentinel != nil {
				freeSentinel(sh.slots[i].sentinel)
			}
		}
		sh.slots, sh.free = nil, nil
		sh.recent = [recentPuts]recentPut[T]{}
		sh.mu.Unlock()
	}
}
