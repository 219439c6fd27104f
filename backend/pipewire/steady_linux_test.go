//go:build linux && cgo

package pipewire

import (
	"context"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/pipewire/internal/pwtestnode"
)

// TestSteadyStateAllocs: once streaming, Read and Release of MemFd
// buffers allocate nothing, and every frame is a view of one of the few
// mappings of PipeWire's buffers (no copy): the frames' first bytes sit at
// no more distinct addresses than the stream has buffers.
func TestSteadyStateAllocs(t *testing.T) {
	name := "miniav-steady"
	node(t, pwtestnode.Options{Name: name, Format: pwtestnode.NV12, FPS: 240})
	src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}, Buffers: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if !src.Info().ZeroCopy {
		t.Fatalf("Info %+v: want ZeroCopy", src.Info())
	}
	ctx := context.Background()
	var b backend.Buffer
	views := map[uintptr]bool{}
	copied := 0
	read := func() {
		b.Reset()
		if err := src.Read(ctx, &b); err != nil {
			t.Fatal(err)
		}
		views[uintptr(unsafe.Pointer(unsafe.SliceData(b.Planes[0])))] = true
		if b.Flags&backend.FlagCopied != 0 {
			copied++
		}
		b.Releaser.ReleaseBuffer(b.Token)
	}
	for range 30 { // warm up: buffers mapped, slots made
		read()
	}
	clear(views)
	calls := runtime.NumCgoCall()
	allocs := testing.AllocsPerRun(200, read)
	perFrame := float64(runtime.NumCgoCall()-calls) / 201
	t.Logf("%.2f allocations and %.2f cgo calls per frame; frames at %d distinct addresses; %d copied", allocs, perFrame, len(views), copied)
	// A cgo call wakes Go's sysmon thread from its idle sleep: once per
	// frame that was the largest CPU cost per frame (BENCHMARKS.md). Read
	// and Release use the C side's rings with atomics instead; cgo is
	// only for a change of status (a drop, the format, the end).
	if perFrame > 0.1 {
		t.Errorf("%.2f cgo calls per frame in steady state, want none", perFrame)
	}
	if allocs != 0 {
		t.Errorf("%.2f allocations per frame in steady state, want 0", allocs)
	}
	if copied != 0 {
		t.Errorf("%d frames copied, want 0 (MemFd buffers are lent as views)", copied)
	}
	if len(views) == 0 || len(views) > 16 {
		t.Errorf("frames at %d distinct addresses: want a view of each of PipeWire's few buffers", len(views))
	}
}

// A Release normally hands its buffer back to PipeWire with the next
// frame's process callback (no cgo call, no wake). A producer with no free
// buffer sends no next frame, so once PipeWire's buffers are nearly all on
// the consumer's side a Release wakes the thread loop to hand them back at
// once: a consumer that holds every buffer, then releases them all, gets
// frames again.
func TestReleaseWhenBuffersRunLow(t *testing.T) {
	name := "miniav-lowbuf"
	node(t, pwtestnode.Options{Name: name, Format: pwtestnode.NV12, FPS: 120})
	src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}, Buffers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ns := src.(*nodeStream)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	var first backend.Buffer
	err = src.Read(ctx, &first) // PipeWire adds the buffers after the format
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	last := first.Sequence
	first.Releaser.ReleaseBuffer(first.Token)
	held := make([]backend.Buffer, 0, 32)
	for round := range 10 {
		n := ns.pwBuffers()
		if n < 2 || n > cap(held) {
			t.Fatalf("the stream has %d PipeWire buffers", n)
		}
		held = held[:0]
		for range n {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			var b backend.Buffer
			err := src.Read(ctx, &b)
			cancel()
			if err != nil {
				t.Fatalf("round %d, frame %d of %d held: %v (loop woken %d times)", round, len(held)+1, n, err, ns.relWakes())
			}
			if b.Sequence <= last {
				t.Fatalf("round %d: sequence %d after %d", round, b.Sequence, last)
			}
			last = b.Sequence
			held = append(held, b)
		}
		for _, b := range held {
			b.Releaser.ReleaseBuffer(b.Token)
		}
	}
	t.Logf("10 rounds of holding all %d buffers; the loop was woken %d times", ns.pwBuffers(), ns.relWakes())
}
