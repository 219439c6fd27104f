//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// benchVideos are what the readers capture: YUYV at vivid's fastest rate
// for the size (460 KB and 1.8 MB frames).
var benchVideos = []format.Video{
	{Width: 640, Height: 360, PixelFormat: format.YUYV, FrameRate: format.FPS(40)},
	{Width: 1280, Height: 720, PixelFormat: format.YUYV, FrameRate: format.Rational{Num: 25, Den: 2}},
}

// meter measures the process's CPU time and heap allocations over b.N
// frames. vivid paces frames in a kernel thread, so wall time per frame is
// the frame interval for every reader; CPU time is what differs.
type meter struct {
	ru  unix.Rusage
	ms  runtime.MemStats
	cpu time.Duration
}

func cpuTime(ru *unix.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *meter) start(b *testing.B) {
	runtime.GC()
	runtime.ReadMemStats(&m.ms)
	if err := unix.Getrusage(unix.RUSAGE_SELF, &m.ru); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
}

func (m *meter) stop(b *testing.B, copies int) {
	b.StopTimer()
	var ru unix.Rusage
	var ms runtime.MemStats
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	n := float64(b.N)
	b.ReportMetric(float64(cpuTime(&ru)-cpuTime(&m.ru))/n, "cpu-ns/frame")
	b.ReportMetric(float64(ru.Utime.Nano()-m.ru.Utime.Nano())/n, "user-ns/frame")
	b.ReportMetric(float64(ms.Mallocs-m.ms.Mallocs)/n, "allocs/frame")
	b.ReportMetric(float64(ms.TotalAlloc-m.ms.TotalAlloc)/n, "B/frame")
	b.ReportMetric(float64(copies)/n, "copies/frame")
}

// BenchmarkCapture compares miniav's zero-copy path with the copy-per-frame
// reader that pion/mediadevices builds on github.com/blackjack/webcam
// (ReadFrame re-queues the buffer, the caller copies the bytes into a new
// slice), same node, same format. Run with -benchtime=Nx (frames).
func BenchmarkCapture(b *testing.B) {
	vmtest.Require(b)
	for _, v := range benchVideos {
		b.Run(fmt.Sprintf("%dx%d", v.Width, v.Height), func(b *testing.B) { benchCapture(b, v) })
	}
}

func benchCapture(b *testing.B, benchVideo format.Video) {
	streamBench := func(b *testing.B, opts ...miniav.Option) {
		s, err := miniav.Open(context.Background(), "v4l2:"+single, append([]miniav.Option{miniav.WithVideo(benchVideo), miniav.WithPolicy(miniav.Block)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if s.Info().Video != benchVideo {
			b.Fatalf("format %v", s.Info().Video)
		}
		next(b, s).Release() // streaming is up
		var m meter
		var sum byte
		copies := 0
		m.start(b)
		for range b.N {
			f := next(b, s)
			p := f.Video().Plane(0)
			sum += p[len(p)/2]
			if f.Copied() {
				copies++
			}
			f.Release()
		}
		m.stop(b, copies)
		_ = sum
	}
	b.Run("miniav", func(b *testing.B) { streamBench(b) })
	// A pull stream: Next reads in this goroutine.
	b.Run("miniav-pull", func(b *testing.B) { streamBench(b, miniav.WithPull()) })
	// The backend alone, without a Stream.
	b.Run("source", func(b *testing.B) {
		src, err := Backend{}.Open(context.Background(), single, backend.Config{Video: benchVideo, Buffers: 4})
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		ctx := context.Background()
		var buf backend.Buffer
		var m meter
		var sum byte
		m.start(b)
		for range b.N {
			if err := src.Read(ctx, &buf); err != nil {
				b.Fatal(err)
			}
			sum += buf.Planes[0][len(buf.Planes[0])/2]
			buf.Releaser.ReleaseBuffer(buf.Token)
		}
		m.stop(b, 0)
		_ = sum
	})
	b.Run("webcam-copy", func(b *testing.B) {
		cam, err := webcam.Open(single)
		if err != nil {
			b.Fatal(err)
		}
		defer cam.Close()
		pf, w, h, err := cam.SetImageFormat(webcam.PixelFormat(format.YUYV), uint32(benchVideo.Width), uint32(benchVideo.Height))
		if err != nil || pf != webcam.PixelFormat(format.YUYV) || int(w) != benchVideo.Width || int(h) != benchVideo.Height {
			b.Fatalf("SetImageFormat: %v %dx%d %v", pf, w, h, err)
		}
		if err := cam.SetFramerate(float32(benchVideo.FrameRate.Float())); err != nil {
			b.Fatal(err)
		}
		if err := cam.SetBufferCount(4); err != nil {
			b.Fatal(err)
		}
		if err := cam.StartStreaming(); err != nil {
			b.Fatal(err)
		}
		read := func() []byte {
			for {
				if err := cam.WaitForFrame(5); err != nil {
					b.Fatal(err)
				}
				frame, err := cam.ReadFrame()
				if err != nil {
					b.Fatal(err)
				}
				if len(frame) == 0 {
					continue
				}
				out := make([]byte, len(frame))
				copy(out, frame)
				return out
			}
		}
		read()
		var m meter
		var sum byte
		m.start(b)
		for range b.N {
			p := read()
			sum += p[len(p)/2]
		}
		m.stop(b, b.N)
		_ = sum
	})
}
