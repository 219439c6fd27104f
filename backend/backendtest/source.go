package backendtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// open opens a fresh source with n buffers for t, after taking the leak
// snapshot that t's cleanup checks once the source is closed and its
// buffers released. A source the test did not close is closed first.
func (k *kit) open(t *testing.T, n int, snap bool) (backend.Source, *observer) {
	t.Helper()
	if snap {
		s := takeSnapshot()
		t.Cleanup(func() { s.check(t, k.o.cleanup) })
	}
	obs := &observer{}
	cfg := k.o.cfg
	cfg.Buffers, cfg.Observer, cfg.Logger = n, obs, quiet
	var src backend.Source
	err := await(t, k.o.frameTimeout, "Open", func() (err error) {
		src, err = k.b.Open(context.Background(), k.addr, cfg)
		return err
	})
	if err != nil {
		t.Fatalf("Open(%q): %v", k.addr, err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { src.Close() }) })
	return src, obs
}

// close closes src within the frame timeout and fails t on an error.
func (k *kit) close(t *testing.T, src backend.Source) {
	t.Helper()
	if err := await(t, k.o.frameTimeout, "Close", src.Close); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// read reads one buffer within the frame timeout and checks its layout.
func (k *kit) read(t *testing.T, src backend.Source, ctx context.Context) backend.Buffer {
	t.Helper()
	var b backend.Buffer
	if err := await(t, k.o.frameTimeout, "Read", func() error { return src.Read(ctx, &b) }); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if msg := checkLayout(&b, src.Info().Kind.Audio()); msg != "" {
		release(&b)
		t.Fatalf("Read gave a bad buffer: %s", msg)
	}
	return b
}

func release(b *backend.Buffer) { b.Releaser.ReleaseBuffer(b.Token) }

// releaseAll releases bs from another goroutine and waits for it.
func releaseAll(bs []backend.Buffer) {
	done := make(chan struct{})
	go func() {
		for i := range bs {
			release(&bs[i])
		}
		close(done)
	}()
	<-done
}

// sourceOpenCancelled: Open with a done context fails with its error.
func (k *kit) sourceOpenCancelled(t *testing.T) {
	s := takeSnapshot()
	t.Cleanup(func() { s.check(t, k.o.cleanup) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := k.o.cfg
	cfg.Buffers, cfg.Observer, cfg.Logger = k.o.buffers, &observer{}, quiet
	var src backend.Source
	err := await(t, k.o.frameTimeout, "Open with a cancelled context", func() (err error) {
		src, err = k.b.Open(ctx, k.addr, cfg)
		return err
	})
	if err == nil {
		src.Close()
		t.Fatal("Open with a cancelled context succeeded")
	}
	if !isCanceled(err) {
		t.Fatalf("Open with a cancelled context: %v, want an error matching context.Canceled", err)
	}
	if src != nil {
		// A nil pointer in a non-nil interface: a caller that closes
		// what a failed Open returned would crash.
		t.Fatalf("failed Open returned a non-nil Source (%T) with its error", src)
	}
}

// sourceFrames: Info matches the first buffer; sequence numbers and
// timestamps advance; a buffer held while others are read keeps its bytes
// and its own memory.
func (k *kit) sourceFrames(t *testing.T) {
	opened := backend.Now()
	src, _ := k.open(t, k.o.buffers, true)
	in := src.Info()
	audio := in.Kind.Audio()
	ctx := context.Background()
	held := k.read(t, src, ctx)
	defer release(&held)
	if msg := matchInfo(in, &held); msg != "" {
		t.Fatalf("Info %+v: %s", in, msg)
	}
	heldSum, heldLen := sum(held.Planes, held.NumPlanes)
	c := seqCheck{o: &k.o, audio: audio, opened: opened}
	if msg := c.next(held.Sequence, held.Frames, held.Skipped, held.Timestamp, held.DeviceTimestamp, backend.Now()); msg != "" {
		t.Error(msg)
	}
	for range k.o.frames {
		b := k.read(t, src, ctx)
		now := backend.Now()
		if first(b.Planes) == first(held.Planes) {
			release(&b)
			t.Fatalf("frame %d (Sequence %d) lent the memory of a frame still held (Sequence %d)", c.n, b.Sequence, held.Sequence)
		}
		msg := c.next(b.Sequence, b.Frames, b.Skipped, b.Timestamp, b.DeviceTimestamp, now)
		release(&b)
		if msg != "" {
			t.Error(msg)
		}
	}
	if msg := c.done(); msg != "" {
		t.Error(msg)
	}
	if s, n := sum(held.Planes, held.NumPlanes); s != heldSum || n != heldLen {
		t.Errorf("a frame held while %d more were read changed: %d bytes, crc %08x; was %d bytes, crc %08x", k.o.frames, n, s, heldLen, heldSum)
	}
}

// sourceBuffersComeBack: every buffer can be held at once, in distinct
// memory; released from another goroutine while a Read waits, they come
// back to it and capture goes on.
func (k *kit) sourceBuffersComeBack(t *testing.T) {
	n := k.o.buffers
	src, _ := k.open(t, n, true)
	ctx := context.Background()
	for round := range 2 {
		held := make([]backend.Buffer, 0, n)
		seen := map[*byte]uint64{}
		for range n {
			b := k.read(t, src, ctx)
			if s, dup := seen[first(b.Planes)]; dup {
				held = append(held, b)
				releaseAll(held)
				t.Fatalf("round %d: frame %d (Sequence %d) lent the memory of frame Sequence %d, still held", round, len(held)-1, b.Sequence, s)
			}
			seen[first(b.Planes)] = b.Sequence
			held = append(held, b)
		}
		// A Read waits for a buffer while another goroutine gives them
		// back, as a stream's consumer does.
		go func() {
			time.Sleep(20 * time.Millisecond)
			for i := range held {
				release(&held[i])
			}
		}()
		b := k.read(t, src, ctx)
		release(&b)
		for range 2 * n {
			b := k.read(t, src, ctx)
			release(&b)
		}
	}
}

// sourceCancel: cancelling the context wakes a Read waiting for a buffer
// (every buffer is held), and a Read with a done context returns its error.
func (k *kit) sourceCancel(t *testing.T) {
	n := k.o.buffers
	src, _ := k.open(t, n, true)
	var held []backend.Buffer
	defer func() { releaseAll(held) }()
	for range n {
		held = append(held, k.read(t, src, context.Background()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var b backend.Buffer
	var returned time.Duration
	done := make(chan error, 1)
	go func() {
		err := src.Read(ctx, &b)
		returned = backend.Now()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancelled := backend.Now()
	cancel()
	select {
	case err := <-done:
		switch {
		case err == nil:
			held = append(held, b)
			if !k.o.cannotBlock && returned > cancelled {
				t.Errorf("Read returned a frame %v after the cancel, with every buffer held", returned-cancelled)
			}
		case !isCanceled(err):
			t.Errorf("Read cancelled while waiting: %v, want an error matching context.Canceled", err)
		}
	case <-time.After(k.o.frameTimeout):
		t.Fatalf("Read still blocked %v after its context was cancelled", k.o.frameTimeout)
	}
	err := await(t, k.o.frameTimeout, "Read with a cancelled context", func() error { return src.Read(ctx, &b) })
	if err == nil {
		held = append(held, b)
		t.Fatal("Read with a cancelled context returned a frame")
	}
	if !isCanceled(err) {
		t.Fatalf("Read with a cancelled context: %v, want an error matching context.Canceled", err)
	}
}

// sourceHeldAcrossClose: a buffer held across Close (called twice) keeps
// its bytes and is released after it from another goroutine.
func (k *kit) sourceHeldAcrossClose(t *testing.T) {
	src, _ := k.open(t, k.o.buffers, true)
	ctx := context.Background()
	held := k.read(t, src, ctx)
	for range 2 {
		b := k.read(t, src, ctx)
		release(&b)
	}
	s0, n0 := sum(held.Planes, held.NumPlanes)
	k.close(t, src)
	if err := await(t, k.o.frameTimeout, "second Close", src.Close); err != nil {
		t.Errorf("second Close: %v, want nil (Close is idempotent)", err)
	}
	time.Sleep(10 * time.Millisecond)
	if s, n := sum(held.Planes, held.NumPlanes); s != s0 || n != n0 {
		t.Errorf("a frame held across Close changed: %d bytes, crc %08x; was %d bytes, crc %08x", n, s, n0, s0)
	}
	releaseAll([]backend.Buffer{held})
}

// sourceClose: Close is idempotent and Read after it fails with ErrClosed.
func (k *kit) sourceClose(t *testing.T) {
	src, _ := k.open(t, k.o.buffers, true)
	b := k.read(t, src, context.Background())
	release(&b)
	k.close(t, src)
	if err := await(t, k.o.frameTimeout, "second Close", src.Close); err != nil {
		t.Errorf("second Close: %v, want nil (Close is idempotent)", err)
	}
	err := await(t, k.o.frameTimeout, "Read after Close", func() error { return src.Read(context.Background(), &b) })
	if err == nil {
		release(&b)
		t.Fatal("Read after Close returned a frame")
	}
	if !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Read after Close: %v, want an error matching backend.ErrClosed", err)
	}
}

// sourceAllocs: reading and releasing a buffer allocates nothing in
// steady state.
func (k *kit) sourceAllocs(t *testing.T) {
	src, _ := k.open(t, k.o.buffers, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(k.o.frames+20)*k.o.frameTimeout)
	defer cancel()
	var b backend.Buffer
	var err error
	read := func() {
		if err = src.Read(ctx, &b); err == nil {
			release(&b)
		}
	}
	for range 5 {
		if read(); err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	n := testing.AllocsPerRun(k.o.frames+2, read)
	if n > k.o.allocs && err == nil { // allocations in the warm-up's wake are not steady state
		n = testing.AllocsPerRun(k.o.frames+2, read)
	}
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if n > k.o.allocs {
		t.Errorf("%v allocations per frame, want at most %v", n, k.o.allocs)
	}
}
