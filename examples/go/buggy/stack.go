// A free list of same-size buffers kept on a slice used as a stack, bounded so that it never
// holds more than keep buffers. Written for one goroutine and then shared by every caller: Get and
// Put read and write p.free without a lock, so two callers that pop at once both take the top
// buffer (a double hand-out), and a push can overwrite another.
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
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		return b[:n]
	}
	return make([]byte, n, p.size)
}

func (p *StackPool) Put(b []byte) {
	if cap(b) != p.size || len(p.free) == cap(p.free) {
		return
	}
	p.free = append(p.free, b[:0])
}

func (p *StackPool) RetainedBytes() int { return len(p.free) * p.size }
