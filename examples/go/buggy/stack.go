// A free list of same-size buffers kept on a slice used as a stack, bounded so that it never
// holds more than keep buffers. Written for one goroutine and then shared by every caller: Get and
// Put read and write p.free without a lock, so two callers that pop at once both take the top
// buffer (a double hand-out), and a push can overwrite another. (Each reads p.free once: the slice
// never moves, so the race costs buffers, not an index out of range.)
package main

type StackPool struct {
	size int
	free [][]byte
}

func NewStackPool(size, keep int) *StackPool {
	return &StackPool{size: size, free: make([][]byte, 0, keep)}
}

func (p *StackPool) Get(n int) []byte {
	if n > p.size {
		return make([]byte, n)
	}
	free := p.free
	if k := len(free); k > 0 {
		b := free[k-1]
		p.free = free[:k-1]
		return b[:n]
	}
	return make([]byte, n, p.size)
}

func (p *StackPool) Put(b []byte) {
	free := p.free
	if cap(b) != p.size || len(free) == cap(free) {
		return
	}
	p.free = append(free, b[:0])
}

func (p *StackPool) RetainedBytes() int { return len(p.free) * p.size }
