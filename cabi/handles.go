//go:build cgo

package main

import (
	"runtime"
	"sync"

	"github.com/miniav-go/miniav"
)

// A table maps the handles of one type (streams, watches) to their
// objects. Handles count up from base+1 and are never reused, so a handle
// in (base, base+next] that is not in the table is a closed object, not
// garbage. Tables have bases far apart, so a handle of one type given to a
// function of another is recognised as invalid, never taken for an object
// of that type.
type table[T any] struct {
	mu   sync.Mutex
	m    map[uint64]T
	base uint64
	next uint64 // handles issued
}

func (t *table[T]) add(v T) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[uint64]T)
	}
	t.next++
	t.m[t.base+t.next] = v
	return t.base + t.next
}

// issued reports whether h was handed out by t; t.mu is held.
func (t *table[T]) issued(h uint64) bool { return h > t.base && h-t.base <= t.next }

// lookup returns the object of h and whether it is open, and whether h
// was issued at all (and so, if not open, is closed).
func (t *table[T]) lookup(h uint64) (v T, open, issued bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, open = t.m[h]
	return v, open, t.issued(h)
}

// remove takes h out of the table.
func (t *table[T]) remove(h uint64) (v T, open, issued bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, open = t.m[h]
	delete(t.m, h)
	return v, open, t.issued(h)
}

// watchBase is where watch handles start: below 2^53, so that they are
// exact in a float64 too (JavaScript, Dart on the web), and unreachable by
// stream handles.
const watchBase = 1 << 52

var (
	streams table[*miniav.Stream]
	watches = table[*watch]{base: watchBase}
)

func addStream(s *miniav.Stream) uint64 { return streams.add(s) }

// lookupStream returns the stream of h, or nil and whether h was issued
// (and so is closed).
func lookupStream(h uint64) (s *miniav.Stream, issued bool) {
	s, _, issued = streams.lookup(h)
	return s, issued
}

// removeStream takes h out of the table.
func removeStream(h uint64) (s *miniav.Stream, issued bool) {
	s, _, issued = streams.remove(h)
	return s, issued
}

// A loan is a frame C holds, with the pins of its planes. Loans are
// recycled, so lending a frame allocates nothing once warm.
type loan struct {
	f   miniav.Frame
	pin runtime.Pinner
}

// loans maps frame handles to the frames C holds. Like stream handles,
// frame handles are never reused, so a stale one is always recognised.
var loans struct {
	sync.Mutex
	m    map[uint64]*loan
	free []*loan
	next uint64
}

func newLoan(f miniav.Frame) (uint64, *loan) {
	loans.Lock()
	defer loans.Unlock()
	if loans.m == nil {
		loans.m = make(map[uint64]*loan)
	}
	var l *loan
	if n := len(loans.free); n > 0 {
		l = loans.free[n-1]
		loans.free[n-1] = nil
		loans.free = loans.free[:n-1]
	} else {
		l = new(loan)
	}
	l.f = f
	loans.next++
	loans.m[loans.next] = l
	return loans.next, l
}

// takeLoan removes handle h from the table (nil if it is not lent).
func takeLoan(h uint64) *loan {
	loans.Lock()
	defer loans.Unlock()
	l := loans.m[h]
	delete(loans.m, h)
	return l
}

// recycleLoan returns an unpinned, released loan for reuse.
func recycleLoan(l *loan) {
	l.f = miniav.Frame{}
	loans.Lock()
	loans.free = append(loans.free, l)
	loans.Unlock()
}
