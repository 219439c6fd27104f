//go:build cgo && linux

package malgo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// fastSource is a source on the C hand-off with no device: tests feed it
// with fastPath.put, the C callback's copy.
func fastSource(t testing.TB, a format.Audio, nslots int, obs backend.Observer) (*source, *fastPath) {
	t.Helper()
	f := newFast(a, nslots)
	if f == nil {
		t.Fatal("newFast failed")
	}
	s := newSource(obs)
	s.useFast(a, f)
	t.Cleanup(func() { s.Close() })
	return s, f
}

// In steady state the C callback, Read and ReleaseBuffer allocate nothing
// in Go, on the normal path and on the overrun path.
func TestFastAllocs(t *testing.T) {
	s, f := fastSource(t, stereo48, 4, backend.NopObserver{})
	in := make([]byte, 480*4)
	ctx := context.Background()
	var b backend.Buffer
	if n := testing.AllocsPerRun(1000, func() {
		f.put(in, 480)
		if err := s.Read(ctx, &b); err != nil {
			t.Fatal(err)
		}
		s.ReleaseBuffer(b.Token)
	}); n != 0 {
		t.Fatalf("%v allocations per callback + Read + release, want 0", n)
	}
	for range 4 {
		f.put(in, 480)
	}
	if n := testing.AllocsPerRun(1000, func() { f.put(in, 480) }); n != 0 {
		t.Fatalf("%v allocations per overrun callback, want 0", n)
	}
}

// The C hand-off keeps the Go one's contract: order, sequence numbers,
// timestamps, bytes, periods split out of one callback, overruns counted
// once and visible as a gap, lent slots freed only after their release.
func TestFastHandoff(t *testing.T) {
	obs := &countObserver{}
	a := format.Audio{SampleRate: 1000, Channels: 1, SampleFormat: format.U8, PeriodFrames: 4}
	s, f := fastSource(t, a, 3, obs)
	read := func() backend.Buffer {
		t.Helper()
		var b backend.Buffer
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Read(c, &b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := backend.Now()
	f.put([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 8)
	b0, b1 := read(), read()
	if string(b0.Planes[0]) != "\x01\x02\x03\x04" || string(b1.Planes[0]) != "\x05\x06\x07\x08" || b0.Sequence != 0 || b1.Sequence != 4 {
		t.Fatalf("buffers %v@%d %v@%d", b0.Planes[0], b0.Sequence, b1.Planes[0], b1.Sequence)
	}
	if d := b1.Timestamp - b0.Timestamp; d != 4*time.Millisecond || b0.Timestamp < before-8*time.Millisecond || b0.Timestamp > backend.Now() {
		t.Fatalf("timestamps %v, %v (callback after %v)", b0.Timestamp, b1.Timestamp, before)
	}
	if b1.DeviceTimestamp != 4*time.Millisecond || b1.Frames != 4 || b1.Audio != a || cap(b0.Planes[0]) != 4 {
		t.Fatalf("buffer %+v", b1)
	}
	f.put(make([]byte, 12), 12) // one slot free: two periods dropped
	b2 := read()
	if b2.Sequence != 8 || obs.drops[backend.DropOverrun] != 2 || f.dropped() != 2 {
		t.Fatalf("sequence %d, drops %v", b2.Sequence, obs.drops)
	}
	for _, b := range []backend.Buffer{b0, b1, b2} {
		s.ReleaseBuffer(b.Token)
	}
	s.ReleaseBuffer(b0.Token)
	f.put([]byte{9, 9, 9, 9}, 4)
	b3 := read()
	if b3.Sequence != 20 || b3.Skipped != 8 || b2.Skipped != 0 || obs.drops[backend.DropOverrun] != 2 {
		t.Fatalf("after the overrun: sequence %d skipped %d (want 20, 8), overruns %d", b3.Sequence, b3.Skipped, obs.drops[backend.DropOverrun])
	}
	s.Close()
	if f.held.Load() != 1 || f.freed.Load() { // b3 is still lent
		t.Fatalf("held %d freed %v after Close, want 1, false", f.held.Load(), f.freed.Load())
	}
	if string(b3.Planes[0]) != "\x09\x09\x09\x09" {
		t.Fatalf("lent buffer %v after Close", b3.Planes[0])
	}
	s.ReleaseBuffer(b3.Token)
	if f.held.Load() != 0 || !f.freed.Load() {
		t.Fatalf("held %d freed %v after the last release, want 0, true", f.held.Load(), f.freed.Load())
	}
}

// A Read waiting on the eventfd wakes when the callback publishes.
func TestFastWake(t *testing.T) {
	s, f := fastSource(t, stereo48, 4, backend.NopObserver{})
	done := make(chan error, 1)
	var b backend.Buffer
	go func() { done <- s.Read(context.Background(), &b) }()
	f.put(make([]byte, 480*4), 480)
	if err := <-done; err != nil || b.Frames != 480 {
		t.Fatalf("Read = %v, %d frames", err, b.Frames)
	}
	s.ReleaseBuffer(b.Token)
}

// Opening a real device (miniaudio's null backend) installs the C callback.
func TestFastInstalled(t *testing.T) {
	s := openNull(t)
	if s.fast == nil {
		t.Fatal("the C data callback was not installed")
	}
	readContiguous(t, s, 10)
}

// readContiguous reads n periods of the null device's 160 frames from s
// and checks that their sequence numbers follow each other from 0.
func readContiguous(t *testing.T, s *source, n int) {
	t.Helper()
	var b backend.Buffer
	var next uint64
	for range n {
		if err := s.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.Sequence != next || b.Frames != 160 {
			t.Fatalf("sequence %d frames %d, want %d, 160", b.Sequence, b.Frames, next)
		}
		next += 160
		s.ReleaseBuffer(b.Token)
	}
}

// Cancelling the context wakes a Read waiting on the eventfd, and a later
// Read with another context still works.
func TestFastReadCancel(t *testing.T) {
	s, f := fastSource(t, stereo48, 4, backend.NopObserver{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var b backend.Buffer
	go func() { done <- s.Read(ctx, &b) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	f.put(make([]byte, 480*4), 480)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	if err := s.Read(ctx2, &b); err != nil || b.Frames != 480 {
		t.Fatalf("Read = %v, %d frames", err, b.Frames)
	}
	s.ReleaseBuffer(b.Token)
}

// The device's stop callback wakes a waiting Read, which reports the
// device lost.
func TestFastStopped(t *testing.T) {
	s := openNull(t)
	var b backend.Buffer
	for {
		if err := s.Read(context.Background(), &b); err != nil {
			if !errors.Is(err, backend.ErrDeviceLost) {
				t.Fatalf("Read = %v, want ErrDeviceLost", err)
			}
			return
		}
		s.ReleaseBuffer(b.Token)
		if b.Sequence == 1600 {
			if err := s.dev.Stop(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// MINIAV_MALGO_GOCALLBACK=1 keeps malgo's Go callback, which still
// delivers contiguous audio.
func TestGoCallbackForced(t *testing.T) {
	t.Setenv("MINIAV_MALGO_GOCALLBACK", "1")
	s := openNull(t)
	if s.fast != nil {
		t.Fatal("the C data callback was installed despite MINIAV_MALGO_GOCALLBACK")
	}
	readContiguous(t, s, 10)
}

// openNull opens miniaudio's null capture device at 16 kHz mono s16 in
// 160-frame periods; it is closed when t ends.
func openNull(t *testing.T) *source {
	t.Helper()
	a := format.Audio{SampleRate: 16000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 160}
	src, err := Backend{name: NullName, null: true}.Open(context.Background(), "", backend.Config{Audio: a})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src.(*source)
}
