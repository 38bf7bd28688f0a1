package bpplugin

import (
	"runtime"
	"sync"
)

// runThreads calls work(i) for i = 0 .. count-1, each on a goroutine locked to an OS thread of
// its own, and returns when all have returned. The goroutines never unlock: when one ends, the Go
// runtime ends its thread too, so a thread that ran a worker (its signal stack, its thread-locals)
// is not reused for other goroutines.
func runThreads(count int, work func(i int)) {
	var wg sync.WaitGroup
	wg.Add(count)
	for i := 0; i < count; i++ {
		go func(i int) {
			runtime.LockOSThread()
			defer wg.Done()
			work(i)
		}(i)
	}
	wg.Wait()
}
