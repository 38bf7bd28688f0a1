package main

import "testing"

func TestWriteTruncatesAndCloseReturnsTheItem(t *testing.T) {
	p := New(1, 4)
	item := p.Checkout()
	if n, err := item.Write([]byte("hello")); n != 4 || err != nil || string(item.Bytes()) != "hell" {
		t.Fatalf("Write: %d %v %q, want 4 nil \"hell\"", n, err, item.Bytes())
	}
	item.Close()
	if again := p.Checkout(); again != item || again.Len() != 0 {
		t.Fatalf("Checkout after Close: %p len %d, want %p len 0", again, again.Len(), item)
	}
	if miss := p.Checkout(); miss.pool != nil || p.Misses() != 1 {
		t.Fatalf("Checkout on an empty pool: want a new item of no pool and one miss")
	}
}
