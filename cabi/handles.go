//go:build cgo

package main

import (
	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/internal/lend"
)

// Streams and watches are identified by handles into lend.Tables with
// bases far apart, so a handle of one type given to a function of another
// is recognised as invalid.

// watchBase is where watch handles start: below 2^53, so that they are
// exact in a float64 too (JavaScript, Dart on the web), and unreachable by
// stream handles.
const watchBase = 1 << 52

var (
	streams lend.Table[*miniav.Stream]
	watches = lend.Table[*watch]{Base: watchBase}
)

func addStream(s *miniav.Stream) uint64 { return streams.Add(s) }

// lookupStream returns the stream of h, or nil and whether h was issued
// (and so is closed).
func lookupStream(h uint64) (s *miniav.Stream, issued bool) {
	s, _, issued = streams.Lookup(h)
	return s, issued
}

// removeStream takes h out of the table.
func removeStream(h uint64) (s *miniav.Stream, issued bool) {
	s, _, issued = streams.Remove(h)
	return s, issued
}

// loans maps frame handles to the frames C holds, with their pins.
var loans lend.Loans[struct{}]
