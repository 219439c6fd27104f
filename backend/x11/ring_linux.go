package x11

import (
	"context"
	"sync"
)

// ring holds the indices of the buffers not lent and not in flight. It
// hands out the most recently returned buffer first, so paced capture
// (whose consumer returns each frame before the next is due) keeps
// reusing one buffer, whose pages stay warm in the caches of the X server
// copying into it.
type ring struct {
	mu    sync.Mutex
	stack []int
	wake  chan struct{} // a put happened
}

func newRing(n int) *ring {
	r := &ring{stack: make([]int, 0, n), wake: make(chan struct{}, 1)}
	for i := n - 1; i >= 0; i-- {
		r.stack = append(r.stack, i)
	}
	return r
}

// put returns buffer i.
func (r *ring) put(i int) {
	r.mu.Lock()
	r.stack = append(r.stack, i)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// tryGet takes a buffer if one is free.
func (r *ring) tryGet() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.stack); n > 0 {
		i := r.stack[n-1]
		r.stack = r.stack[:n-1]
		return i, true
	}
	return 0, false
}

// get waits for a buffer or for ctx.
func (r *ring) get(ctx context.Context) (int, error) {
	for {
		if i, ok := r.tryGet(); ok {
			return i, nil
		}
		select {
		case <-r.wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
