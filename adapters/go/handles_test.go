package bpplugin

import (
	"testing"
	"unsafe"
)

// A pool that hands out fresh slices and records what comes back.
type recordingPool struct {
	made [][]byte
	back [][]byte
}

func (p *recordingPool) Get(n int) []byte {
	if n < 0 {
		return nil
	}
	b := make([]byte, 0, n)
	p.made = append(p.made, b)
	return b
}

func (p *recordingPool) Put(b []byte) { p.back = append(p.back, b) }

func sliceTable(p *recordingPool) *table[[]byte] {
	return newTable[[]byte](p.Get, p.Put, func(b []byte) []byte { return b }, nil)
}

func sameSlice(a, b []byte) bool {
	return cap(a) == cap(b) && (cap(a) == 0 || &a[:1][0] == &b[:1][0])
}

func TestHeldBuffersHaveTheirOwnAddressAndHandle(t *testing.T) {
	p := &recordingPool{}
	tab := sliceTable(p)
	data := map[uintptr]bool{}
	handles := map[uintptr]bool{}
	for i, n := range []int{0, 0, 1, 64, 0, 65536} {
		d, c, h, ok := tab.get(n, uint32(i%2))
		if !ok || d == 0 || c != n {
			t.Fatalf("get(%d): data %#x cap %d ok %v", n, d, c, ok)
		}
		if n > 0 && d != uintptr(unsafe.Pointer(&p.made[i][:1][0])) {
			t.Errorf("get(%d): data is not the slice's first byte", n)
		}
		if data[d] || handles[h] {
			t.Errorf("get(%d): data %#x or handle %#x already held", n, d, h)
		}
		data[d], handles[h] = true, true
	}
	tab.destroy()
}

func TestPutGivesThePoolTheSliceItGot(t *testing.T) {
	p := &recordingPool{}
	tab := sliceTable(p)
	_, _, h1, _ := tab.get(10, 0)
	_, _, h2, _ := tab.get(20, 3)
	tab.put(h2) // another order, and from "another thread": the handle names the shard
	tab.put(h1)
	if len(p.back) != 2 || !sameSlice(p.back[0], p.made[1]) || !sameSlice(p.back[1], p.made[0]) {
		t.Fatalf("puts reached the pool as %d slices, not the two got in reverse order", len(p.back))
	}
}

func TestNilIsARefusal(t *testing.T) {
	tab := sliceTable(&recordingPool{})
	if _, _, _, ok := tab.get(-1, 0); ok {
		t.Fatal("a nil slice from Get was handed out")
	}
}

// An item pool refuses by returning an item whose bytes are nil; nothing is held for it.
func TestNilBytesOfAnItemIsARefusal(t *testing.T) {
	type item struct{ b []byte }
	tab := newTable[*item](func(n int) *item {
		if n > 8 {
			return nil
		}
		return &item{make([]byte, 8)}
	}, func(*item) {}, func(it *item) []byte {
		if it == nil {
			return nil
		}
		return it.b
	}, nil)
	if _, _, _, ok := tab.get(9, 0); ok {
		t.Fatal("a nil item was handed out")
	}
	if _, c, _, ok := tab.get(8, 0); !ok || c != 8 {
		t.Fatalf("get(8): cap %d ok %v", c, ok)
	}
	if held := len(tab.shards[0].slots); held != 1 {
		t.Fatalf("%d slots used, want 1 (the refusal takes none)", held)
	}
}

func TestDoublePutReachesThePoolTwice(t *testing.T) {
	p := &recordingPool{}
	tab := sliceTable(p)
	_, _, h, _ := tab.get(100, 0)
	tab.put(h)
	tab.put(h)
	if len(p.back) != 2 || !sameSlice(p.back[0], p.made[0]) || !sameSlice(p.back[1], p.made[0]) {
		t.Fatalf("a double put reached the pool %d times, want the same slice twice", len(p.back))
	}
}

func TestStaleHandleDoesNotReleaseTheSlotsNewBuffer(t *testing.T) {
	p := &recordingPool{}
	tab := sliceTable(p)
	_, _, old, _ := tab.get(100, 0)
	tab.put(old)
	_, _, reused, _ := tab.get(200, 0) // same slot, next generation
	for i := 0; i < recentPuts; i++ {  // push the first put out of the recent ones
		_, _, h, _ := tab.get(1, 0)
		tab.put(h)
	}
	before := len(p.back)
	tab.put(old)
	if len(p.back) != before {
		t.Fatal("a stale handle released a buffer")
	}
	tab.put(reused)
	if last := p.back[len(p.back)-1]; !sameSlice(last, p.made[1]) {
		t.Fatal("the slot's new buffer did not come back by its own handle")
	}
}

func TestRetainedBytesIsOptional(t *testing.T) {
	if implementsRetained[*recordingPool]() {
		t.Error("recordingPool has no RetainedBytes")
	}
	if !implementsRetained[withRetained]() {
		t.Error("withRetained has RetainedBytes")
	}
}

type withRetained struct{ *recordingPool }

func (withRetained) RetainedBytes() int { return 7 }
