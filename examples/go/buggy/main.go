// libbuggy.so: a Go pool with a data race (stack.go) as a bpstress plugin: bpstress reports the
// buffers it hands to two holders, and Go's race detector (the -race build) the race itself.
// Options: size=64K,keep=1024.
package main

import "bpstress/bpplugin"

func init() {
	bpplugin.Register("slicestack", func(options string) (*StackPool, error) {
		o, err := bpplugin.IntOptions(options, map[string]int{"size": 64 << 10, "keep": 1024})
		if err != nil {
			return nil, err
		}
		return NewStackPool(o["size"], o["keep"]), nil
	})
}

func main() {}
