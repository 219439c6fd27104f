// Package freelist is the set of a capture ring's buffers that are neither
// lent to a frame nor being filled, shared by the backends that capture
// into a fixed ring (x11's shared segments, gdi's DIB sections).
package freelist

import (
	"context"
	"sync"
)

// List holds the indices of the free buffers. It hands out the most
// recently returned buffer first, so paced capture (whose consumer returns
// each frame before the next is due) keeps reusing one buffer, whose pages
// stay warm in the caches of whatever copies into it.
type List struct {
	mu    sync.Mutex
	stack []int
	wake  chan struct{} // a Put happened
}

// New returns a list holding buffers 0 to n-1.
func New(n int) *List {
	l := &List{stack: make([]int, 0, n), wake: make(chan struct{}, 1)}
	for i := n - 1; i >= 0; i-- {
		l.stack = append(l.stack, i)
	}
	return l
}

// Put returns buffer i. It never allocates: the list has room for every
// buffer.
func (l *List) Put(i int) {
	l.mu.Lock()
	l.stack = append(l.stack, i)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// TryGet takes a buffer if one is free.
func (l *List) TryGet() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.stack); n > 0 {
		i := l.stack[n-1]
		l.stack = l.stack[:n-1]
		return i, true
	}
	return 0, false
}

// Get waits for a buffer or for ctx.
func (l *List) Get(ctx context.Context) (int, error) {
	for {
		if i, ok := l.TryGet(); ok {
			return i, nil
		}
		select {
		case <-l.wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
