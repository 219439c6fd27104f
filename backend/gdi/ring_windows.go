package gdi

import (
	"context"
	"sync"
)

// ring holds the indices of the DIB sections not lent out, most recently
// returned first (a paced consumer that releases each frame before the
// next keeps reusing one section, warm in the caches).
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

func (r *ring) put(i int) {
	r.mu.Lock()
	r.stack = append(r.stack, i)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

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

// get waits for a section or for ctx.
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
