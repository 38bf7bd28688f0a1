// libviki.so: the Viki bytepool as a bpstress plugin. Options: count=64,capacity=64K. Its items
// never grow, so a size above the capacity is refused (bpstress counts refusals; none with
// random65k and the default capacity).
package main

import "bpstress/bpplugin"

type vikiPool struct{ *Pool }

func (p vikiPool) Get(n int) *Item {
	if n > p.capacity {
		return nil
	}
	return p.Checkout()
}
func (p vikiPool) Put(item *Item)     { item.Close() }
func (p vikiPool) RetainedBytes() int { return p.Len() * p.capacity }

func itemMemory(item *Item) []byte {
	if item == nil {
		return nil // refused
	}
	return item.bytes
}

func init() {
	bpplugin.RegisterItems("viki", func(options string) (vikiPool, error) {
		o, err := bpplugin.IntOptions(options, map[string]int{"count": 64, "capacity": 64 << 10})
		if err != nil {
			return vikiPool{}, err
		}
		return vikiPool{New(o["count"], o["capacity"])}, nil
	}, itemMemory)
}

func main() {}
