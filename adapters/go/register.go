package bpplugin

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Pool is a pool of byte slices. Get(n) returns a slice with cap >= n (its length is the pool's
// business: bpstress uses the capacity); nil means "refused" (counted by bpstress, not a failure
// by itself). Put receives each slice Get returned, once, possibly from another goroutine and OS
// thread. Both are called from many threads at once.
type Pool interface {
	Get(n int) []byte
	Put(b []byte)
}

// ItemPool is a pool of items of type T (a *bytes.Buffer, a struct with its own bytes): the same
// contract as Pool, with the memory of an item given by the function passed to RegisterItems.
type ItemPool[T any] interface {
	Get(n int) T
	Put(item T)
}

// RetainedBytes is optional: a pool that has it reports the capacity it keeps for reuse now.
type RetainedBytes interface {
	RetainedBytes() int
}

// Register makes this library the plugin of one []byte pool type: name is its short name in
// bpstress's tables and reports; create makes one pool from the text after the ':' of
// --plugin PATH:OPTIONS ("" when there is none) or returns an error, whose text bpstress prints.
// Call it once, from an init function of the main package.
func Register[P Pool](name string, create func(options string) (P, error)) {
	register(name, implementsRetained[P](), func(options string) (backend, error) {
		p, err := create(options)
		if err != nil {
			return nil, err
		}
		return newTable[[]byte](p.Get, p.Put, func(b []byte) []byte { return b }, retainedOf(p)), nil
	})
}

// RegisterItems is Register for a pool whose items are not slices. bytes gives the memory of an
// item (its capacity is what bpstress may use; its length does not matter); it is called once
// per get. A nil slice from bytes is a refusal, as a nil slice from a Pool's Get: the item is not
// put back (a pool that refuses returns a nil item, and bytes returns nil for it).
func RegisterItems[T any, P ItemPool[T]](name string, create func(options string) (P, error),
	bytes func(item T) []byte) {
	register(name, implementsRetained[P](), func(options string) (backend, error) {
		p, err := create(options)
		if err != nil {
			return nil, err
		}
		return newTable[T](p.Get, p.Put, bytes, retainedOf(p)), nil
	})
}

func implementsRetained[P any]() bool {
	var zero P
	_, ok := any(zero).(RetainedBytes)
	return ok
}

func retainedOf(p any) func() int {
	if r, ok := p.(RetainedBytes); ok {
		return r.RetainedBytes
	}
	return nil
}

// The one pool type of this library (a plugin has one name and one table).
var plugin struct {
	name     string
	retained bool
	create   func(options string) (backend, error)
}

func register(name string, retained bool, create func(string) (backend, error)) {
	if plugin.create != nil {
		fmt.Fprintf(os.Stderr, "bpplugin: Register called twice (%q, then %q); the first stays\n",
			plugin.name, name)
		return
	}
	plugin.name, plugin.retained, plugin.create = name, retained, create
}

// backend is one created pool as the exported functions see it.
type backend interface {
	// get returns the buffer's address, capacity and handle; ok false when the pool refused.
	get(n int, shard uint32) (data uintptr, capacity int, handle uintptr, ok bool)
	put(handle uintptr)
	retainedBytes() int
	destroy()
}

// Created pools, found by an id that C holds as its pool pointer (id = index + 1, never 0).
// Copy-on-write: create and destroy replace the slice under instancesMu; get and put read it with
// one atomic load.
var (
	instancesMu sync.Mutex
	instances   atomic.Pointer[[]backend]
)

var errNotRegistered = errors.New("no pool registered: call bpplugin.Register from an init function")

func createInstance(options string) (uintptr, error) {
	if plugin.create == nil {
		return 0, errNotRegistered
	}
	b, err := plugin.create(options)
	if err != nil {
		return 0, err
	}
	instancesMu.Lock()
	defer instancesMu.Unlock()
	var old []backend
	if p := instances.Load(); p != nil {
		old = *p
	}
	next := make([]backend, len(old), len(old)+1)
	copy(next, old)
	id := -1
	for i, x := range next {
		if x == nil {
			id = i
			break
		}
	}
	if id < 0 {
		id = len(next)
		next = append(next, nil)
	}
	next[id] = b
	instances.Store(&next)
	return uintptr(id + 1), nil
}

func instance(id uintptr) backend {
	return (*instances.Load())[id-1]
}

func destroyInstance(id uintptr) {
	instancesMu.Lock()
	defer instancesMu.Unlock()
	old := *instances.Load()
	b := old[id-1]
	next := make([]backend, len(old))
	copy(next, old)
	next[id-1] = nil
	instances.Store(&next)
	b.destroy()
}
