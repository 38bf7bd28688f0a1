// MyPool, NewMyPool: the pool of the README's "Stress a Go pool" example, whose main.go
// tests/go_examples_test.sh takes from the README and builds beside this file.
package main

import "sync"

// MyPool keeps buffers of one size under a mutex.
type MyPool struct {
	mu   sync.Mutex
	size int
	free [][]byte
}

func NewMyPool(size int) *MyPool { return &MyPool{size: size} }

func (p *MyPool) Get(n int) []byte {
	if n > p.size {
		return make([]byte, n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		return b
	}
	return make([]byte, p.size)
}

func (p *MyPool) Put(b []byte) {
	if cap(b) != p.size {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
}
