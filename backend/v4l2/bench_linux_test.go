//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"fmt"
	"testing"

	"github.com/blackjack/webcam"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// BenchmarkCapture compares miniav's zero-copy path with the copy-per-frame
// reader that pion/mediadevices builds on github.com/blackjack/webcam
// (ReadFrame re-queues the buffer, the caller copies the bytes into a new
// slice), same node, same format. Run with -benchtime=Nx (frames).
func BenchmarkCapture(b *testing.B) {
	vmtest.Require(b)
	for _, v := range vmtest.BenchVideos {
		b.Run(fmt.Sprintf("%dx%d", v.Width, v.Height), func(b *testing.B) { benchCapture(b, v) })
	}
}

func benchCapture(b *testing.B, benchVideo format.Video) {
	b.Run("miniav", func(b *testing.B) { vmtest.BenchStream(b, "v4l2:"+single, benchVideo, 0) })
	// A pull stream: Next reads in this goroutine.
	b.Run("miniav-pull", func(b *testing.B) { vmtest.BenchStream(b, "v4l2:"+single, benchVideo, 0, miniav.WithPull()) })
	// The backend alone, without a Stream.
	b.Run("source", func(b *testing.B) {
		src, err := Backend{}.Open(context.Background(), single, backend.Config{Video: benchVideo, Buffers: 4})
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		ctx := context.Background()
		var buf backend.Buffer
		var m proccpu.Meter
		var sum byte
		m.Start(b)
		for range b.N {
			if err := src.Read(ctx, &buf); err != nil {
				b.Fatal(err)
			}
			sum += buf.Planes[0][len(buf.Planes[0])/2]
			buf.Releaser.ReleaseBuffer(buf.Token)
		}
		m.Stop(b, 0)
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
		var m proccpu.Meter
		var sum byte
		m.Start(b)
		for range b.N {
			p := read()
			sum += p[len(p)/2]
		}
		m.Stop(b, b.N)
		_ = sum
	})
}
