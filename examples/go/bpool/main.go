// libbpool.so: github.com/oxtoacart/bpool's BytePool (Debian: golang-github-oxtoacart-bpool-dev),
// a bounded channel of []byte of one width, as a bpstress plugin. A size above the width gets a
// slice of its own, which BytePool.Put keeps like any other. Options: count=64,width=64K.
package main

import (
	"bpstress/bpplugin"
	"github.com/oxtoacart/bpool"
)

type bytePool struct{ *bpool.BytePool }

func (p bytePool) Get(n int) []byte {
	if n > p.Width() {
		return make([]byte, n)
	}
	return p.BytePool.Get()
}

func init() {
	bpplugin.Register("bpool", func(options string) (bytePool, error) {
		o, err := bpplugin.IntOptions(options, map[string]int{"count": 64, "width": 64 << 10})
		if err != nil {
			return bytePool{}, err
		}
		return bytePool{bpool.NewBytePool(o["count"], o["width"])}, nil
	})
}

func main() {}
