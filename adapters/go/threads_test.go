package bpplugin

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// Every index runs once, all at the same time, each on an OS thread of its own.
func TestRunThreadsGivesEachWorkerItsOwnThread(t *testing.T) {
	const count = 8
	var mu sync.Mutex
	tids := map[int]int{}
	all := make(chan struct{})
	started := 0
	runThreads(count, func(i int) {
		mu.Lock()
		if _, twice := tids[i]; twice {
			t.Errorf("worker %d ran twice", i)
		}
		tids[i] = syscall.Gettid()
		started++
		if started == count {
			close(all)
		}
		mu.Unlock()
		select { // every worker waits for all: they run at once
		case <-all:
		case <-time.After(time.Minute):
			t.Errorf("worker %d: not all workers started", i)
		}
		if syscall.Gettid() != tids[i] {
			t.Errorf("worker %d moved to another thread", i)
		}
	})
	seen := map[int]bool{}
	for i := 0; i < count; i++ {
		if seen[tids[i]] {
			t.Errorf("two workers shared thread %d", tids[i])
		}
		seen[tids[i]] = true
	}
}
