package main

import (
	"math/rand"
	"testing"
)

// The sizes of bpstress --dist random65k: uniform 1..65536.
func random65k() []int {
	rng := rand.New(rand.NewSource(1))
	sizes := make([]int, 1<<16)
	for i := range sizes {
		sizes[i] = 1 + rng.Intn(65536)
	}
	return sizes
}

// One Get and one Put per op, nothing written (bpstress --touch none --checks none), on as many
// goroutines as -cpu says: ns/op is wall time per op of all of them, like 1e9 / bpstress's ops/s.
func BenchmarkGetPut(b *testing.B) {
	p := NewBufferPool(128, 256<<10)
	sizes := random65k()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.Int()
		for pb.Next() {
			p.Put(p.Get(sizes[i&(len(sizes)-1)]))
			i++
		}
	})
}

func TestGetCapacities(t *testing.T) {
	p := NewBufferPool(128, 256<<10)
	for _, c := range []struct{ n, cap int }{{1, 128}, {125, 128}, {500, 512}, {2000, 2048},
		{5000, 8192}, {256 << 10, 256 << 10}, {256<<10 + 1, 256<<10 + 1}} {
		b := p.Get(c.n)
		if b.Cap() != c.cap || b.Len() != 0 {
			t.Errorf("Get(%d): cap %d len %d, want cap %d len 0", c.n, b.Cap(), b.Len(), c.cap)
		}
		p.Put(b)
	}
}
