package publish

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

// The publishing path up to the RTP packetizer allocates nothing per
// frame: testsrc, the stream, the send stage, the encoder and the
// sample handed on. Only the track's write (pion's packetizer, the
// interceptors) is left out, by a write that keeps the sample's size.
// Measured over the whole process, every goroutine included, between the
// 30th and the 330th frame.
func TestSendAllocatesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(), miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block),
		miniav.WithVideo(format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewVideoTrack(s, WithDeviceClock(), WithBitrate(500_000))
	if err != nil {
		t.Fatal(err)
	}
	const warm, n = 30, 300
	var (
		written, bytes int
		m0, m1         runtime.MemStats
	)
	tr.write = func(smp media.Sample) error {
		written++
		bytes += len(smp.Data)
		switch written {
		case warm:
			runtime.ReadMemStats(&m0)
		case warm + n:
			runtime.ReadMemStats(&m1)
			cancel()
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not send 330 frames in 60 s")
	}
	if written < warm+n {
		t.Fatalf("%d frames written, want %d", written, warm+n)
	}
	if bytes == 0 {
		t.Fatal("the encoder produced no data")
	}
	allocs := m1.Mallocs - m0.Mallocs
	t.Logf("%d allocations in %d frames (%.3f a frame), %d bytes of VP8", allocs, n, float64(allocs)/n, bytes)
	// A few are the runtime's own over the run (timers, the race
	// detector's bookkeeping), not one a frame.
	if allocs > n/30 {
		t.Errorf("%d allocations in %d frames: the send path allocates per frame", allocs, n)
	}
}
