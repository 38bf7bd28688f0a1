// A pool for the adapter's own test (host_test.go): fresh slices, and a count of the buffers it
// handed out and has not got back, reported as its retained bytes.
package main

import (
	"sync/atomic"

	"bpstress/bpplugin"
)

type countPool struct{ out atomic.Int64 }

func (p *countPool) Get(n int) []byte {
	p.out.Add(1)
	return make([]byte, n)
}

func (p *countPool) Put(b []byte) { p.out.Add(-1) }

func (p *countPool) RetainedBytes() int { return int(p.out.Load()) }

func init() {
	bpplugin.Register("count", func(options string) (*countPool, error) { return &countPool{}, nil })
}

func main() {}
