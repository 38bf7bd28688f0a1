// libviki.so: the Viki bytepool as a bpstress plugin. Options: count=64,capacity=64K.
package main

import "bpstress/bpplugin"

type vikiPool struct{ *Pool }

func (p vikiPool) Get(n int) *Item    { return p.Checkout() }
func (p vikiPool) Put(item *Item)     { item.Close() }
func (p vikiPool) RetainedBytes() int { return p.Len() * p.capacity }
func itemMemory(item *Item) []byte    { return item.bytes }

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
