//go:build cgo

package main

import (
	"runtime"
	"sync"

	"github.com/miniav-go/miniav"
)

// streams maps stream handles to open streams. Handles count up from 1 and
// are never reused, so a handle below next that is not in the table is a
// closed stream, not garbage.
var streams struct {
	sync.Mutex
	m    map[uint64]*miniav.Stream
	next uint64 // the last handle issued
}

func addStream(s *miniav.Stream) uint64 {
	streams.Lock()
	defer streams.Unlock()
	if streams.m == nil {
		streams.m = make(map[uint64]*miniav.Stream)
	}
	streams.next++
	streams.m[streams.next] = s
	return streams.next
}

// lookupStream returns the stream of h, or nil and whether h was issued
// (and so is closed).
func lookupStream(h uint64) (s *miniav.Stream, issued bool) {
	streams.Lock()
	defer streams.Unlock()
	return streams.m[h], h != 0 && h <= streams.next
}

// removeStream takes h out of the table.
func removeStream(h uint64) (s *miniav.Stream, issued bool) {
	streams.Lock()
	defer streams.Unlock()
	s = streams.m[h]
	delete(streams.m, h)
	return s, h != 0 && h <= streams.next
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
