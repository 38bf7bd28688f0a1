// The GWS BufferPool as the article "Designing a High-Performance bytes.Buffer Pool for GWS in Go"
// prints it: power-of-two classes from binaryCeil(left) to binaryCeil(right), each a sync.Pool of
// *bytes.Buffer; Get(n) above the top class returns a new buffer that Put does not keep. Max is
// the helper the article uses without printing it.
package main

import (
	"bytes"
	"sync"
)

type BufferPool struct {
	begin  int
	end    int
	shards map[int]*sync.Pool // key = capacity (power of 2)
}

func NewBufferPool(left, right uint32) *BufferPool {
	begin, end := int(binaryCeil(left)), int(binaryCeil(right))
	p := &BufferPool{begin: begin, end: end, shards: make(map[int]*sync.Pool)}
	for i := begin; i <= end; i *= 2 {
		capacity := i
		p.shards[i] = &sync.Pool{New: func() interface{} { return bytes.NewBuffer(make([]byte, 0, capacity)) }}
	}
	return p
}

func (p *BufferPool) Get(n int) *bytes.Buffer {
	size := Max(int(binaryCeil(uint32(n))), p.begin)
	if pool, ok := p.shards[size]; ok {
		b := pool.Get().(*bytes.Buffer)
		if b.Cap() < size {
			b.Grow(size)
		}
		b.Reset()
		return b
	}
	return bytes.NewBuffer(make([]byte, 0, n))
}

func (p *BufferPool) Put(b *bytes.Buffer) {
	if b == nil {
		return
	}
	if pool, ok := p.shards[b.Cap()]; ok {
		pool.Put(b)
	}
}

func binaryCeil(v uint32) uint32 {
	v--
	v |= v >> 1
	v |= v >> 2
	v |= v >> 4
	v |= v >> 8
	v |= v >> 16
	v++
	return v
}

func Max(a, b int) int {
	if a > b {
		return a
	}
	return b
}
