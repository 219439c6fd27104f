//go:build linux && cgo

package pipewire

import (
	"context"
	"testing"
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
	allocs := testing.AllocsPerRun(200, read)
	t.Logf("%.2f allocations per frame; frames at %d distinct addresses; %d copied", allocs, len(views), copied)
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
