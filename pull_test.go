package miniav_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// A pull stream delivers the synthetic camera's frames in order, straight
// from the source, to the goroutine that calls Next; Frames carries none.
func TestPullDeliversInOrder(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithUnpaced(), miniav.WithPull())
	for i := range uint64(50) {
		f, err := s.Next()
		if err != nil {
			t.Fatalf("Next %d: %v", i, err)
		}
		if f.Sequence() != i || index(t, f) != i {
			t.Fatalf("frame %d: sequence %d, stamped index %d", i, f.Sequence(), index(t, f))
		}
		f.Release()
	}
	st := s.Stats()
	if !s.Info().Pull || st.Captured != 50 || st.Delivered != 50 || st.Outstanding != 0 || st.Dropped.Total() != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
	select {
	case f, ok := <-s.Frames():
		t.Fatalf("Frames of a pull stream carried a frame (%v, %v)", f, ok)
	default:
	}
}

// Close while Next waits for a paced frame wakes Next with ErrClosed; the
// channel is closed and later calls fail the same way.
func TestPullCloseWakesNext(t *testing.T) {
	slow := small
	slow.FrameRate = format.FPS(1)
	s, err := miniav.Open(context.Background(), "testsrc:camera", miniav.WithVideo(slow), miniav.WithPull())
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Next() // the first frame comes at once
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		g, err := s.Next()
		if err == nil {
			g.Release()
		}
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	s.Close()
	if err := <-errc; !errors.Is(err, miniav.ErrClosed) {
		t.Fatalf("Next during Close: %v, want ErrClosed", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Close took %v", d)
	}
	if _, ok := <-s.Frames(); ok {
		t.Fatal("Frames not closed")
	}
	if _, err := s.Next(); !errors.Is(err, miniav.ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if s.Err() != nil {
		t.Fatalf("Err after Close = %v, want nil", s.Err())
	}
	// The frame held across Close is still valid and is given back.
	if st := s.Stats(); st.Outstanding != 1 {
		t.Fatalf("outstanding %d before Release, want 1", st.Outstanding)
	}
	f.Release()
	if st := s.Stats(); st.Outstanding != 0 {
		t.Fatalf("outstanding %d after Release", st.Outstanding)
	}
}

// Cancelling the context stops a pull stream even when nobody is in Next:
// Done closes, and Next then reports the context's error.
func TestPullCancelWithoutReader(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := open(t, ctx, "testsrc:camera", miniav.WithVideo(small), miniav.WithPull())
	cancel()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after cancel")
	}
	if _, err := s.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v, want context.Canceled", err)
	}
	if !errors.Is(s.Err(), context.Canceled) {
		t.Fatalf("Err = %v", s.Err())
	}
}

// A stream the caller cancelled stops with context.Canceled even when its
// source, woken by the cancellation, reports something else (here io.EOF):
// Err says why the caller's stream stopped, whichever goroutine saw it first.
func TestCancelWinsOverTheSourcesError(t *testing.T) {
	for _, pull := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		opts := []miniav.Option{}
		if pull {
			opts = append(opts, miniav.WithPull())
		}
		s := open(t, ctx, "scripted:eof-on-cancel", opts...)
		got := make(chan error, 1)
		go func() { _, err := s.Next(); got <- err }()
		time.Sleep(10 * time.Millisecond) // usually inside the source's Read by now; either way the result is the same
		cancel()
		select {
		case err := <-got:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("pull=%v: Next after cancel: %v, want context.Canceled", pull, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("pull=%v: Next still blocked after cancel", pull)
		}
		if !errors.Is(s.Err(), context.Canceled) {
			t.Errorf("pull=%v: Err = %v, want context.Canceled", pull, s.Err())
		}
	}
}

// A source's end reaches Next as its error; the sequence gaps and the drops
// the source reported are counted as on a channel stream.
func TestPullDeviceEndAndGaps(t *testing.T) {
	s := open(t, context.Background(), "scripted:mixed", miniav.WithPull())
	seqs := sequencesUntilEOF(t, s)
	if len(seqs) != 5 || seqs[4] != 9 {
		t.Fatalf("sequences %v", seqs)
	}
	st := s.Stats()
	if st.Dropped[backend.DropError] != 2 || st.Dropped[backend.DropDevice] != 3 || st.Outstanding != 0 {
		t.Fatalf("stats %+v", st)
	}
	if !errors.Is(s.Err(), io.EOF) {
		t.Fatalf("Err = %v", s.Err())
	}
}

// Next on a channel stream receives from Frames.
func TestNextOnChannelStream(t *testing.T) {
	s := open(t, context.Background(), "scripted:overrun", miniav.WithPolicy(miniav.Block))
	if n := len(sequencesUntilEOF(t, s)); n != 4 {
		t.Fatalf("got %d frames, want 4", n)
	}
}

// sequencesUntilEOF reads s with Next until the source ends (io.EOF) and
// returns the frames' sequence numbers.
func sequencesUntilEOF(t *testing.T, s *miniav.Stream) []uint64 {
	t.Helper()
	var seqs []uint64
	for {
		f, err := s.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("Next: %v, want io.EOF", err)
			}
			return seqs
		}
		seqs = append(seqs, f.Sequence())
		f.Release()
	}
}

// Steady-state pull capture allocates nothing per frame.
func TestPullAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, id := range []string{"testsrc:camera?static=1", "testsrc:microphone"} {
		s := open(t, context.Background(), id, miniav.WithVideo(small), miniav.WithUnpaced(), miniav.WithPull())
		next := func() {
			f, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			_ = f.Video().Plane(0)
			f.Release()
		}
		for range 100 {
			next()
		}
		if allocs := testing.AllocsPerRun(500, next); allocs != 0 {
			t.Errorf("%s: %.2f allocations per frame", id, allocs)
		}
		s.Close()
	}
}
