// libgws.so: the GWS BufferPool as a bpstress plugin. Options: left=128,right=256K (the classes).
package main

import (
	"bytes"

	"bpstress/bpplugin"
)

func init() {
	bpplugin.RegisterItems("gws", func(options string) (*BufferPool, error) {
		o, err := bpplugin.IntOptions(options, map[string]int{"left": 128, "right": 256 << 10})
		if err != nil {
			return nil, err
		}
		return NewBufferPool(uint32(o["left"]), uint32(o["right"])), nil
	}, (*bytes.Buffer).Bytes)
}

func main() {}
