// The Viki bytepool ("A Thread-safe Bytepool for Go"): New(count, capacity) preallocates count
// items of capacity bytes on a buffered channel. Checkout never blocks: on an empty pool it counts
// a miss and makes an item that belongs to no pool, which Close then discards, so the pool never
// holds more than count. Items never grow: Write copies what fits.
package main

import (
	"io"
	"sync/atomic"
)

type Pool struct {
	misses   int32
	capacity int
	list     chan *Item
}

func New(count int, capacity int) *Pool {
	p := &Pool{list: make(chan *Item, count), capacity: capacity}
	for i := 0; i < count; i++ {
		p.list <- newItem(capacity, p)
	}
	return p
}

func (pool *Pool) Checkout() *Item {
	var item *Item
	select {
	case item = <-pool.list:
	default:
		atomic.AddInt32(&pool.misses, 1)
		item = newItem(pool.capacity, nil)
	}
	return item
}

func (pool *Pool) Len() int { return len(pool.list) }

func (pool *Pool) Misses() int32 { return atomic.SwapInt32(&pool.misses, 0) }

type Item struct {
	pool   *Pool
	length int
	bytes  []byte
}

func newItem(capacity int, pool *Pool) *Item {
	return &Item{pool: pool, bytes: make([]byte, capacity)}
}

// Write copies what fits; it reports a short write only when the item was already full.
func (item *Item) Write(b []byte) (int, error) {
	if item.length == len(item.bytes) && len(b) > 0 {
		return 0, io.ErrShortWrite
	}
	n := copy(item.bytes[item.length:], b)
	item.length += n
	return n, nil
}

func (item *Item) Bytes() []byte { return item.bytes[:item.length] }

func (item *Item) Len() int { return item.length }

// Close resets the item and returns it to its pool (an item made on a miss has none).
func (item *Item) Close() error {
	if item.pool != nil {
		item.length = 0
		item.pool.list <- item
	}
	return nil
}
