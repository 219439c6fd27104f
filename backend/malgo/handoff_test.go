//go:build cgo && !js

package malgo

import (
	"context"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

type countObserver struct {
	drops [backend.NumDropReasons]uint64
}

func (o *countObserver) Dropped(r backend.DropReason, n uint64) { o.drops[r] += n }
func (o *countObserver) Copied()                                {}

func testSource(t testing.TB, a format.Audio, nslots int, obs backend.Observer) *source {
	t.Helper()
	s := newSource(obs)
	if err := s.alloc(a, nslots); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var stereo48 = format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 480}

// In steady state the callback, Read and ReleaseBuffer allocate nothing,
// on the normal path and on the overrun path.
func TestCallbackAllocs(t *testing.T) {
	s := testSource(t, stereo48, 4, backend.NopObserver{})
	in := make([]byte, 480*4)
	ctx := context.Background()
	var b backend.Buffer
	if n := testing.AllocsPerRun(1000, func() {
		s.onData(nil, in, 480)
		if err := s.Read(ctx, &b); err != nil {
			t.Fatal(err)
		}
		s.ReleaseBuffer(b.Token)
	}); n != 0 {
		t.Fatalf("%v allocations per callback + Read + release, want 0", n)
	}
	for range 4 { // fill every slot
		s.onData(nil, in, 480)
	}
	if n := testing.AllocsPerRun(1000, func() { s.onData(nil, in, 480) }); n != 0 {
		t.Fatalf("%v allocations per overrun callback, want 0", n)
	}
}

// Periods go through the ring in order with their sequence numbers,
// timestamps and bytes; a callback of several periods splits into buffers;
// a full ring drops whole periods, counted once as overruns and visible as
// a sequence gap.
func TestHandoff(t *testing.T) {
	obs := &countObserver{}
	a := format.Audio{SampleRate: 1000, Channels: 1, SampleFormat: format.U8, PeriodFrames: 4}
	s := testSource(t, a, 3, obs)
	ctx := context.Background()
	read := func() backend.Buffer {
		t.Helper()
		var b backend.Buffer
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := s.Read(c, &b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := backend.Now()
	s.onData(nil, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 8) // two periods
	b0, b1 := read(), read()
	if string(b0.Planes[0]) != "\x01\x02\x03\x04" || string(b1.Planes[0]) != "\x05\x06\x07\x08" || b0.Sequence != 0 || b1.Sequence != 4 {
		t.Fatalf("buffers %v@%d %v@%d", b0.Planes[0], b0.Sequence, b1.Planes[0], b1.Sequence)
	}
	// The first frame of the first buffer is 8 ms older than the callback.
	if d := b1.Timestamp - b0.Timestamp; d != 4*time.Millisecond || b0.Timestamp < before-8*time.Millisecond {
		t.Fatalf("timestamps %v, %v (callback after %v)", b0.Timestamp, b1.Timestamp, before)
	}
	if b1.DeviceTimestamp != 4*time.Millisecond || b1.Frames != 4 || b1.Audio != a {
		t.Fatalf("buffer %+v", b1)
	}
	// Two slots lent, one free: of three periods the last two are dropped.
	s.onData(nil, make([]byte, 12), 12)
	b2 := read()
	if b2.Sequence != 8 || obs.drops[backend.DropOverrun] != 2 { // reported by the first Read after the callback
		t.Fatalf("sequence %d, drops %v", b2.Sequence, obs.drops)
	}
	for _, b := range []backend.Buffer{b0, b1, b2} {
		s.ReleaseBuffer(b.Token)
	}
	s.ReleaseBuffer(b0.Token) // a second release changes nothing
	s.onData(nil, []byte{9, 9, 9, 9}, 4)
	b3 := read()
	if !s.slots[b3.Token].afterGap || s.slots[b2.Token].afterGap {
		t.Fatalf("afterGap: b2 %v (want false), b3 %v (want true)", s.slots[b2.Token].afterGap, s.slots[b3.Token].afterGap)
	}
	if b3.Sequence != 20 || obs.drops[backend.DropOverrun] != 2 {
		t.Fatalf("after the overrun: sequence %d (want 20), overruns %d (want 2)", b3.Sequence, obs.drops[backend.DropOverrun])
	}
	if s.held.Load() != 3 {
		t.Fatalf("held %d", s.held.Load())
	}
	s.Close()
	if s.held.Load() != 1 { // b3 is still lent
		t.Fatalf("held %d after Close, want 1 (the lent buffer)", s.held.Load())
	}
	s.ReleaseBuffer(b3.Token)
	if s.held.Load() != 0 {
		t.Fatalf("held %d after the last release, want 0", s.held.Load())
	}
}

// The ring keeps order across wrap-around and refuses to overfill.
func TestRing(t *testing.T) {
	r := newRing(3) // capacity 4
	for round := range 10 {
		for i := range 4 {
			if !r.push(uint32(round*4 + i)) {
				t.Fatalf("push %d refused", i)
			}
		}
		if r.push(99) {
			t.Fatal("push into a full ring accepted")
		}
		for i := range 4 {
			if v, ok := r.pop(); !ok || v != uint32(round*4+i) {
				t.Fatalf("pop = %d, %v", v, ok)
			}
		}
		if _, ok := r.pop(); ok {
			t.Fatal("pop from an empty ring")
		}
	}
}

// BenchmarkCallback is one period through the hand-off: the callback's
// copy into a slot, Read and release (48 kHz stereo s16, 10 ms).
func BenchmarkCallback(b *testing.B) {
	s := testSource(b, stereo48, 8, backend.NopObserver{})
	in := make([]byte, 480*4)
	ctx := context.Background()
	var buf backend.Buffer
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		s.onData(nil, in, 480)
		if err := s.Read(ctx, &buf); err != nil {
			b.Fatal(err)
		}
		s.ReleaseBuffer(buf.Token)
	}
}
