package miniav_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
)

// Open a device, range over its frames, release each one.
func ExampleOpen() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := miniav.Open(ctx, "testsrc:camera",
		miniav.WithVideo(format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(60)}),
		miniav.WithPolicy(miniav.Block))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println("format:", s.Info().Video)
	n := 0
	for f := range s.Frames() {
		if n < 3 {
			v := f.Video()
			fmt.Println("frame", f.Sequence(), "luma bytes", len(v.Plane(0)), "stride", v.Stride(0))
		}
		// A frame already queued when cancel is called may still arrive;
		// it is released like any other.
		f.Release()
		if n++; n == 3 {
			cancel() // stops capture and closes Frames
		}
	}
	fmt.Println("err:", s.Err())
	// Output:
	// format: 320x240@60 I420
	// frame 0 luma bytes 76800 stride 320
	// frame 1 luma bytes 76800 stride 320
	// frame 2 luma bytes 76800 stride 320
	// err: context canceled
}

// Errors name what went wrong and match sentinel errors.
func ExampleOpen_errors() {
	_, err := miniav.Open(context.Background(), "v4l2-typo:/dev/video0")
	fmt.Println(errors.Is(err, miniav.ErrNotFound))
	_, err = miniav.Open(context.Background(), "testsrc:camera", miniav.WithVideo(format.Video{PixelFormat: format.H264}))
	fmt.Println(errors.Is(err, miniav.ErrNotSupported))
	// Output:
	// true
	// true
}

// Retain hands one frame to several goroutines without copying it; each
// reference is released once.
func ExampleFrame_Retain() {
	s, err := miniav.Open(context.Background(), "testsrc:camera")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	f := <-s.Frames()
	var wg sync.WaitGroup
	for range 3 {
		f.Retain()
		wg.Go(func() {
			defer f.Release()
			_ = f.Video().Plane(0) // analyse
		})
	}
	f.Release() // our own reference
	wg.Wait()
	fmt.Println(f.Valid(), f.Release() != nil)
	// Output: false true
}

// Clone keeps a frame beyond what the device can lend.
func ExampleFrame_Clone() {
	s, err := miniav.Open(context.Background(), "testsrc:camera")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	f := <-s.Frames()
	keep, err := f.Clone()
	f.Release() // the device gets its buffer back at once
	if err != nil {
		panic(err)
	}
	defer keep.Release()
	fmt.Println(keep.Copied(), keep.Video().Len())
	// Output: true 460800
}

// A bridge that lends frames to code without a garbage collector counts a
// frame held too long as leaked, once, and keeps it valid.
func ExampleFrame_ReportLeak() {
	s, err := miniav.Open(context.Background(), "testsrc:camera")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	f := <-s.Frames()
	// ... the foreign consumer has held f past the bridge's deadline:
	fmt.Println(f.ReportLeak(), f.ReportLeak(), f.Valid(), s.Stats().Leaked)
	fmt.Println(f.Release())
	// Output:
	// true false true 1
	// <nil>
}

// Streams report to a Prometheus collector that you register yourself.
func ExampleWithMetrics() {
	reg := prometheus.NewRegistry()
	c := metrics.New()
	reg.MustRegister(c)
	s, err := miniav.Open(context.Background(), "testsrc:microphone", miniav.WithMetrics(c), miniav.WithName("mic"))
	if err != nil {
		panic(err)
	}
	f := <-s.Frames()
	f.Release()
	s.Close()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "miniav_streams_open" {
			fmt.Println(mf.GetName(), mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	// Output: miniav_streams_open 0
}

// A pull stream has no capture goroutine: Next reads each frame from the
// device in the calling goroutine, one thread wake-up per frame fewer than
// a channel (worth it for 10 ms audio periods).
func ExampleWithPull() {
	ctx := context.Background()
	s, err := miniav.Open(ctx, "testsrc:microphone", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 480}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for range 3 {
		f, err := s.Next()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("sample", f.Sequence(), "+", f.Audio().Frames())
		f.Release()
	}
	// Output:
	// sample 0 + 480
	// sample 480 + 480
	// sample 960 + 480
}

// Process only the 64x64 tiles of a screen cast that changed: Damage says
// which (ok false: the source does not say, so every tile counts). Not
// run: it needs a Wayland session with a ScreenCast portal.
func ExampleFrame_Damage() {
	s, err := miniav.Open(context.Background(), "pipewire:screen")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	const tile = 64
	for f := range s.Frames() {
		v := f.Video()
		cols, rows := (v.Width+tile-1)/tile, (v.Height+tile-1)/tile
		changed := 0
		rects, ok := f.Damage()
		for ty := range rows {
			for tx := range cols {
				t := image.Rect(tx*tile, ty*tile, (tx+1)*tile, (ty+1)*tile)
				dirty := !ok
				for _, r := range rects {
					dirty = dirty || r.Overlaps(t)
				}
				if dirty {
					changed++ // process v.Plane(0) within t here
				}
			}
		}
		fmt.Printf("frame %d: %d of %d tiles changed\n", f.Sequence(), changed, cols*rows)
		f.Release()
	}
}
