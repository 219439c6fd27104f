package backendtest

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

// stream is a stream under test and what the kit did with it, for the
// check of its Stats once it is closed.
type stream struct {
	*miniav.Stream
	k           *kit
	pull        bool
	received    atomic.Uint64 // frames the kit got from Next or Frames
	releaseErrs atomic.Uint64 // bad Release/Retain calls the kit made on purpose
}

// openStream opens a stream for t with ctx. Its cleanup closes it (twice:
// Close is idempotent), checks its Stats, then checks for leaks.
func (k *kit) openStream(t *testing.T, ctx context.Context, pull bool) *stream {
	t.Helper()
	snap := takeSnapshot()
	t.Cleanup(func() { snap.check(t, k.o.cleanup) })
	var s *miniav.Stream
	err := await(t, k.o.frameTimeout, "miniav.Open", func() (err error) {
		s, err = miniav.Open(ctx, k.id, k.streamOptions(pull)...)
		return err
	})
	if err != nil {
		t.Fatalf("miniav.Open(%q): %v", k.id, err)
	}
	st := &stream{Stream: s, k: k, pull: pull}
	t.Cleanup(func() { st.finish(t) })
	return st
}

func (k *kit) streamOptions(pull bool) []miniav.Option {
	c := k.o.cfg
	opts := []miniav.Option{miniav.WithLogger(quiet), miniav.WithBuffers(k.o.buffers + 2)}
	if c.Video != (backend.Config{}).Video {
		opts = append(opts, miniav.WithVideo(c.Video))
	}
	if c.Audio != (backend.Config{}).Audio {
		opts = append(opts, miniav.WithAudio(c.Audio))
	}
	if !c.Region.Empty() {
		opts = append(opts, miniav.WithRegion(c.Region))
	}
	if c.Cursor {
		opts = append(opts, miniav.WithCursor(true))
	}
	if c.Unpaced {
		opts = append(opts, miniav.WithUnpaced())
	}
	if pull {
		opts = append(opts, miniav.WithPull())
	}
	return opts
}

// next returns the next frame within the frame timeout.
func (s *stream) next(t *testing.T) miniav.Frame {
	t.Helper()
	var f miniav.Frame
	if err := await(t, s.k.o.frameTimeout, "Next", func() (err error) { f, err = s.Next(); return err }); err != nil {
		t.Fatalf("Next: %v", err)
	}
	s.received.Add(1)
	return f
}

// finish closes s and checks that its counters add up.
func (s *stream) finish(t *testing.T) {
	t.Helper()
	if err := await(t, s.k.o.frameTimeout, "Stream.Close", s.Close); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := await(t, s.k.o.frameTimeout, "second Stream.Close", s.Close); err != nil {
		t.Errorf("second Close: %v", err)
	}
	st := s.Stats()
	d := st.Dropped
	recv := s.received.Load()
	var problems []string
	if st.Outstanding != 0 {
		problems = append(problems, fmt.Sprintf("%d frames outstanding after Close with every frame released", st.Outstanding))
	}
	if st.Leaked != 0 {
		problems = append(problems, fmt.Sprintf("%d frames leaked", st.Leaked))
	}
	if st.ReleaseErrs != s.releaseErrs.Load() {
		problems = append(problems, fmt.Sprintf("%d release errors counted, the kit made %d", st.ReleaseErrs, s.releaseErrs.Load()))
	}
	if st.Queued != 0 {
		problems = append(problems, fmt.Sprintf("%d frames still queued after Close", st.Queued))
	}
	queue := d[backend.DropQueueOldest] + d[backend.DropQueueNewest] + d[backend.DropStopped]
	if s.pull {
		if st.Captured != recv || st.Delivered != recv || queue != 0 {
			problems = append(problems, fmt.Sprintf("pull stream: captured %d, delivered %d, queue drops %d; the kit received %d", st.Captured, st.Delivered, queue, recv))
		}
	} else if st.Captured != recv+queue || st.Delivered < recv || st.Delivered > st.Captured {
		problems = append(problems, fmt.Sprintf("captured %d != received %d + dropped from the queue %d (oldest %d, newest %d, stopped %d); delivered %d",
			st.Captured, recv, queue, d[backend.DropQueueOldest], d[backend.DropQueueNewest], d[backend.DropStopped], st.Delivered))
	}
	for _, p := range problems {
		t.Errorf("Stats %+v: %s", st, p)
	}
}

type nopReleaser struct{}

func (nopReleaser) ReleaseBuffer(uint64) {}

// frameSum is a checksum of a frame's bytes and their count.
func frameSum(f miniav.Frame) (uint32, int) {
	if a := f.Audio(); a.Frames() > 0 {
		return crc32.ChecksumIEEE(a.Data()), len(a.Data())
	}
	v := f.Video()
	var planes [4][]byte
	for i := range v.NumPlanes() {
		planes[i] = v.Plane(i)
	}
	return sum(planes, v.NumPlanes())
}

func frameFirst(f miniav.Frame) *byte {
	if a := f.Audio(); len(a.Data()) > 0 {
		return &a.Data()[0]
	}
	v := f.Video()
	var planes [4][]byte
	for i := range v.NumPlanes() {
		planes[i] = v.Plane(i)
	}
	return first(planes)
}

// asBuffer is a frame's format and planes as a backend.Buffer, for the
// layout checks.
func asBuffer(f miniav.Frame) backend.Buffer {
	var b backend.Buffer
	b.Releaser = nopReleaser{}
	if a := f.Audio(); f.Kind() == miniav.AudioFrame {
		b.Audio, b.Frames, b.NumPlanes = a.Audio, a.Frames(), 1
		b.Planes[0] = a.Data()
		return b
	}
	v := f.Video()
	b.Video, b.NumPlanes = v.Video, v.NumPlanes()
	for i := range v.NumPlanes() {
		b.Planes[i], b.Strides[i] = v.Plane(i), v.Stride(i)
	}
	return b
}

func (k *kit) streamOpenCancelled(t *testing.T, pull bool) {
	snap := takeSnapshot()
	t.Cleanup(func() { snap.check(t, k.o.cleanup) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := miniav.Open(ctx, k.id, k.streamOptions(pull)...)
	if err == nil {
		s.Close()
		t.Fatal("miniav.Open with a cancelled context succeeded")
	}
	if !isCanceled(err) {
		t.Fatalf("miniav.Open with a cancelled context: %v, want context.Canceled", err)
	}
}

// streamFrames: the stream's Info matches its first frame; frames keep
// order, timestamps and their own memory and bytes while held.
func (k *kit) streamFrames(t *testing.T, pull bool) {
	opened := backend.Now()
	s := k.openStream(t, context.Background(), pull)
	in := s.Info()
	if in.Device != k.id || in.Pull != pull {
		t.Errorf("Info: device %q, pull %v; want %q, %v", in.Device, in.Pull, k.id, pull)
	}
	held := s.next(t)
	defer held.Release()
	hb := asBuffer(held)
	audio := in.Kind.Audio()
	if audio != (held.Kind() == miniav.AudioFrame) {
		t.Fatalf("a %v frame from a stream of kind %v", held.Kind(), in.Kind)
	}
	if msg := matchInfo(backend.Info{Kind: in.Kind, Video: in.Video, Audio: in.Audio}, &hb); msg != "" {
		t.Fatalf("stream Info %+v: %s", in, msg)
	}
	if msg := checkLayout(&hb, audio); msg != "" {
		t.Fatalf("first frame: %s", msg)
	}
	s0, n0 := frameSum(held)
	c := seqCheck{o: &k.o, audio: audio, opened: opened}
	frames := func(f miniav.Frame) int { return f.Audio().Frames() }
	if msg := c.next(held.Sequence(), frames(held), 0, held.Timestamp(), held.DeviceTimestamp(), backend.Now()); msg != "" {
		t.Error(msg)
	}
	for range k.o.frames {
		f := s.next(t)
		now := backend.Now()
		fb := asBuffer(f)
		msg := c.next(f.Sequence(), frames(f), 0, f.Timestamp(), f.DeviceTimestamp(), now)
		if msg == "" {
			msg = checkLayout(&fb, audio)
		}
		if msg == "" && frameFirst(f) == frameFirst(held) {
			msg = fmt.Sprintf("frame Sequence %d shares memory with a frame still held (Sequence %d)", f.Sequence(), held.Sequence())
		}
		f.Release()
		if msg != "" {
			t.Error(msg)
		}
	}
	if msg := c.done(); msg != "" {
		t.Error(msg)
	}
	if s1, n1 := frameSum(held); s1 != s0 || n1 != n0 {
		t.Errorf("a frame held while %d more were received changed: %d bytes, crc %08x; was %d, %08x", k.o.frames, n1, s1, n0, s0)
	}
}

// streamRetain: a frame retained for three goroutines is the same bytes
// for each and goes back only after the last release.
func (k *kit) streamRetain(t *testing.T, pull bool) {
	s := k.openStream(t, context.Background(), pull)
	f := s.next(t)
	want, _ := frameSum(f)
	const fan = 3
	sums := make([]uint32, fan)
	var wg sync.WaitGroup
	for i := range fan {
		if err := f.Retain(); err != nil {
			t.Fatalf("Retain: %v", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
			sums[i], _ = frameSum(f)
			if err := f.Release(); err != nil {
				sums[i] = ^want
			}
		}()
	}
	if err := f.Release(); err != nil { // the stream's reference
		t.Fatalf("Release: %v", err)
	}
	wg.Wait()
	for i, got := range sums {
		if got != want {
			t.Errorf("goroutine %d saw crc %08x, want %08x (or its Release failed)", i, got, want)
		}
	}
	if f.Valid() || f.Video().NumPlanes() != 0 || len(f.Audio().Data()) != 0 {
		t.Error("a frame with every reference released still shows its data")
	}
	for range 2 {
		s.next(t).Release()
	}
}

// streamDoubleRelease: a release too many (and a Retain after the last)
// returns ErrReleased and gives nothing back twice: the frames read next
// each have memory of their own.
func (k *kit) streamDoubleRelease(t *testing.T, pull bool) {
	s := k.openStream(t, context.Background(), pull)
	f := s.next(t)
	if err := f.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	for _, op := range []struct {
		name string
		f    func() error
	}{{"second Release", f.Release}, {"Retain after Release", f.Retain}} {
		s.releaseErrs.Add(1)
		if err := op.f(); !errors.Is(err, miniav.ErrReleased) {
			t.Errorf("%s: %v, want ErrReleased", op.name, err)
		}
	}
	n := max(k.o.buffers-1, 2)
	held := make([]miniav.Frame, 0, n)
	defer func() {
		for _, h := range held {
			h.Release()
		}
	}()
	sums := make([]uint32, 0, n)
	for range n {
		g := s.next(t)
		for _, h := range held {
			if frameFirst(h) == frameFirst(g) {
				g.Release()
				t.Fatalf("after a double release, frames Sequence %d and %d share memory", h.Sequence(), g.Sequence())
			}
		}
		c, _ := frameSum(g)
		held, sums = append(held, g), append(sums, c)
	}
	for i, h := range held {
		if c, _ := frameSum(h); c != sums[i] {
			t.Errorf("held frame Sequence %d changed after a double release", h.Sequence())
		}
	}
}

// streamHeldAcrossClose: a frame held across Close keeps its bytes and is
// released after it from another goroutine.
func (k *kit) streamHeldAcrossClose(t *testing.T, pull bool) {
	s := k.openStream(t, context.Background(), pull)
	f := s.next(t)
	s0, n0 := frameSum(f)
	if err := await(t, k.o.frameTimeout, "Close", s.Close); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err after Close: %v, want nil", err)
	}
	time.Sleep(10 * time.Millisecond)
	if s1, n1 := frameSum(f); s1 != s0 || n1 != n0 || !f.Valid() {
		t.Errorf("a frame held across Close changed: %d bytes, crc %08x, valid %v; was %d, %08x", n1, s1, f.Valid(), n0, s0)
	}
	if err := await(t, k.o.frameTimeout, "Release after Close", f.Release); err != nil {
		t.Errorf("Release after Close: %v", err)
	}
}

// streamCloseRace: Close from one goroutine while another reads ends the
// reader promptly with ErrClosed (a channel reader: with Frames closed).
func (k *kit) streamCloseRace(t *testing.T, pull bool) {
	for i := range 3 {
		s := k.openStream(t, context.Background(), pull)
		s.next(t).Release()
		done := make(chan error, 1)
		go func() {
			if !pull && i%2 == 0 {
				for f := range s.Frames() {
					s.received.Add(1)
					f.Release()
				}
				done <- s.Err()
				return
			}
			for {
				f, err := s.Next()
				if err != nil {
					if !errors.Is(err, miniav.ErrClosed) {
						done <- fmt.Errorf("Next after Close: %v, want ErrClosed", err)
					} else {
						done <- nil
					}
					return
				}
				s.received.Add(1)
				f.Release()
			}
		}()
		time.Sleep(time.Duration(i) * 7 * time.Millisecond)
		if err := await(t, k.o.frameTimeout, "Close racing a reader", s.Close); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := await(t, k.o.frameTimeout, "the reader after Close", func() error { return <-done }); err != nil {
			t.Error(err)
		}
	}
}

// streamCancel: cancelling the context ends the stream: a waiting reader
// returns context.Canceled, Err says so and Done is closed.
func (k *kit) streamCancel(t *testing.T, pull bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := k.openStream(t, ctx, pull)
	s.next(t).Release()
	done := make(chan error, 1)
	go func() {
		for {
			f, err := s.Next()
			if err != nil {
				done <- err
				return
			}
			s.received.Add(1)
			f.Release()
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	err := await(t, k.o.frameTimeout, "a reader after cancel", func() error { return <-done })
	if !isCanceled(err) {
		t.Errorf("Next after cancel: %v, want context.Canceled", err)
	}
	if err := await(t, k.o.frameTimeout, "Done after cancel", func() error { <-s.Done(); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Err(); !isCanceled(err) {
		t.Errorf("Err after cancel: %v, want context.Canceled", err)
	}
}

// streamClose: Close is idempotent; after it Next fails with ErrClosed,
// Frames is closed and Err is nil.
func (k *kit) streamClose(t *testing.T, pull bool) {
	s := k.openStream(t, context.Background(), pull)
	s.next(t).Release()
	for range 2 {
		if err := await(t, k.o.frameTimeout, "Close", s.Close); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if _, err := s.Next(); !errors.Is(err, miniav.ErrClosed) {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
	if f, ok := <-s.Frames(); ok {
		f.Release()
		t.Error("Frames delivered a frame after Close")
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err after Close: %v, want nil", err)
	}
}

// streamAllocs: receiving and releasing a frame allocates nothing in
// steady state.
func (k *kit) streamAllocs(t *testing.T, pull bool) {
	s := k.openStream(t, context.Background(), pull)
	watchdog := time.AfterFunc(time.Duration(k.o.frames+20)*k.o.frameTimeout, func() { s.Close() })
	defer watchdog.Stop()
	var err error
	read := func() {
		var f miniav.Frame
		if f, err = s.Next(); err == nil {
			s.received.Add(1)
			f.Release()
		}
	}
	for range 8 { // a channel stream's frame pool fills up to the queue and held frames
		if read(); err != nil {
			t.Fatalf("Next: %v", err)
		}
	}
	n := testing.AllocsPerRun(k.o.frames+2, read)
	if n > k.o.allocs && err == nil { // allocations in the warm-up's wake are not steady state
		n = testing.AllocsPerRun(k.o.frames+2, read)
	}
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if n > k.o.allocs {
		t.Errorf("%v allocations per frame, want at most %v", n, k.o.allocs)
	}
}
