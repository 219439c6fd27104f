// Package lend holds what miniav's C interfaces (cabi, cabi/miniavc) share:
// tables that map integer handles to Go objects, and loans, the frames a C
// caller holds with the pins that keep their Go memory where C sees it.
//
// Handles are integers, never Go pointers, so C may keep them as long as it
// likes; they count up and are never reused, so a stale handle is told
// apart from one that was never issued.
package lend

import (
	"runtime"
	"sync"

	"github.com/miniav-go/miniav"
)

// A Table maps the handles of one type of object to the objects. Handles
// count up from Base+1. Tables with bases far apart recognise a handle of
// another table as invalid instead of taking it for one of theirs.
type Table[T any] struct {
	mu   sync.Mutex
	m    map[uint64]T
	Base uint64
	next uint64 // handles issued
}

// Add stores v and returns its new handle.
func (t *Table[T]) Add(v T) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[uint64]T)
	}
	t.next++
	t.m[t.Base+t.next] = v
	return t.Base + t.next
}

// issued reports whether h was handed out by t; t.mu is held.
func (t *Table[T]) issued(h uint64) bool { return h > t.Base && h-t.Base <= t.next }

// Lookup returns the object of h, whether it is still in the table, and
// whether h was issued at all (so that, if not open, it was removed).
func (t *Table[T]) Lookup(h uint64) (v T, open, issued bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, open = t.m[h]
	return v, open, t.issued(h)
}

// Remove takes h out of the table, with Lookup's results.
func (t *Table[T]) Remove(h uint64) (v T, open, issued bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, open = t.m[h]
	delete(t.m, h)
	return v, open, t.issued(h)
}

// Len is the number of objects in the table.
func (t *Table[T]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// A Loan is a frame C holds, with the pins of its planes and X, what the
// interface keeps with it (C memory describing the frame, say).
type Loan[X any] struct {
	F   miniav.Frame
	Pin runtime.Pinner
	X   X
}

// Loans maps loan handles to loans. Loans are recycled, so lending a frame
// allocates nothing once warm; handles are never reused.
type Loans[X any] struct {
	mu   sync.Mutex
	m    map[uint64]*Loan[X]
	free []*Loan[X]
	next uint64
}

// New lends f and returns the loan's handle (never 0) and the loan, whose
// Pin and X the caller fills.
func (ls *Loans[X]) New(f miniav.Frame) (uint64, *Loan[X]) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = make(map[uint64]*Loan[X])
	}
	var l *Loan[X]
	if n := len(ls.free); n > 0 {
		l = ls.free[n-1]
		ls.free[n-1] = nil
		ls.free = ls.free[:n-1]
	} else {
		l = new(Loan[X])
	}
	l.F = f
	ls.next++
	ls.m[ls.next] = l
	return ls.next, l
}

// Take removes handle h (nil if it is not lent): exactly one caller gets
// each loan, however many release it at once.
func (ls *Loans[X]) Take(h uint64) *Loan[X] {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[h]
	delete(ls.m, h)
	return l
}

// Recycle keeps a taken loan, unpinned and released, for reuse.
func (ls *Loans[X]) Recycle(l *Loan[X]) {
	var zero X
	l.F, l.X = miniav.Frame{}, zero
	ls.mu.Lock()
	ls.free = append(ls.free, l)
	ls.mu.Unlock()
}

// Len is the number of frames lent.
func (ls *Loans[X]) Len() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.m)
}

// Frames appends the frames lent to dst and returns it; a frame released
// meanwhile is stale, so its methods then report nothing.
func (ls *Loans[X]) Frames(dst []miniav.Frame) []miniav.Frame {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for _, l := range ls.m {
		dst = append(dst, l.F)
	}
	return dst
}
