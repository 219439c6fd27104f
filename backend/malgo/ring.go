//go:build cgo && !js

package malgo

import (
	"sync/atomic"
	"time"

	"github.com/miniav-go/miniav/pool"
)

// Slot states. A slot cycles free → filling (callback) → queued (on the
// ring) → lent (to the stream) → free (ReleaseBuffer); dead slots gave
// their buffer back to the pool after Close.
const (
	slotFree uint32 = iota
	slotFilling
	slotQueued
	slotLent
	slotDead
)

// slot is one pooled buffer and the metadata of the period it holds. The
// callback writes the metadata before it publishes the slot on the ring;
// the ring's atomic indices order those writes before Read's reads.
type slot struct {
	state  atomic.Uint32
	buf    *pool.Buffer
	data   []byte // buf.Bytes(): room for one period
	n      int    // valid bytes
	frames int
	seq    uint64
	ts     time.Duration
	// afterGap: periods were dropped (overruns) just before this one. Read
	// has reported them; once backend.Buffer has a flag for "gap already
	// reported", Read sets it from this so the stream does not count the
	// gap a second time as DropDevice.
	afterGap bool
}

// ring is a bounded single-producer single-consumer queue of slot indices:
// the audio callback pushes, Read pops. Its capacity is at least the
// number of slots and each slot is queued at most once, so push never
// finds it full.
type ring struct {
	head atomic.Uint64 // next to pop (consumer)
	tail atomic.Uint64 // next to push (producer)
	mask uint64
	idx  []atomic.Uint32
}

func newRing(n int) *ring {
	size := 1
	for size < n {
		size <<= 1
	}
	return &ring{mask: uint64(size - 1), idx: make([]atomic.Uint32, size)}
}

// push appends i; it reports false if the ring is full (never, when used
// as described).
func (r *ring) push(i uint32) bool {
	t := r.tail.Load()
	if t-r.head.Load() > r.mask {
		return false
	}
	r.idx[t&r.mask].Store(i)
	r.tail.Store(t + 1)
	return true
}

// pop removes the oldest index.
func (r *ring) pop() (uint32, bool) {
	h := r.head.Load()
	if h == r.tail.Load() {
		return 0, false
	}
	i := r.idx[h&r.mask].Load()
	r.head.Store(h + 1)
	return i, true
}
