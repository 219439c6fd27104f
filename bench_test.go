package miniav_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

var benchFormats = []struct {
	name string
	v    format.Video
}{
	{"640x480-I420", format.Video{Width: 640, Height: 480, PixelFormat: format.I420}},
	{"1920x1080-BGRA", format.Video{Width: 1920, Height: 1080, PixelFormat: format.BGRA}},
}

var sink []byte

// benchSource renders nothing per frame, so what is measured is delivery.
const benchSource = "testsrc:camera?static=1&stamp=0"

// warm lets the pipeline fill every buffer it will use, then drains it.
func warm(b *testing.B, s *miniav.Stream) {
	for s.QueueLen() < s.Info().Queue {
		runtime.Gosched()
	}
	for range 32 {
		f := <-s.Frames()
		f.Release()
	}
}

// BenchmarkDelivery measures what miniav adds per frame between a source
// and the consumer: the unpaced synthetic camera with a static pattern and
// no index stamp (so rendering costs nothing), pooled buffers, the queue,
// the ref-counted Frame, Release. The consumer reads one byte per plane.
func BenchmarkDelivery(b *testing.B) {
	for _, bf := range benchFormats {
		b.Run(bf.name+"/miniav", func(b *testing.B) {
			s, err := miniav.Open(context.Background(), benchSource, miniav.WithVideo(bf.v), miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			warm(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f := <-s.Frames()
				v := f.Video()
				for i := range v.NumPlanes() {
					_ = v.Plane(i)[0]
				}
				f.Release()
			}
		})
		// The same through a pull stream: Next reads the source in this
		// goroutine, so there is no capture goroutine and no channel.
		b.Run(bf.name+"/miniav-pull", func(b *testing.B) {
			s, err := miniav.Open(context.Background(), benchSource, miniav.WithVideo(bf.v), miniav.WithUnpaced(), miniav.WithPull())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for range 32 {
				f, _ := s.Next()
				f.Release()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				v := f.Video()
				for i := range v.NumPlanes() {
					_ = v.Plane(i)[0]
				}
				f.Release()
			}
		})
		// The copy-per-frame baseline: what Go capture libraries commonly
		// do (go4vl's channel path, pion/mediadevices' readers): allocate a
		// fresh slice per frame and copy the device's buffer into it before
		// handing it on. Same source and queue, so the difference is the
		// allocation and the copy.
		b.Run(bf.name+"/alloc-copy-baseline", func(b *testing.B) {
			s, err := miniav.Open(context.Background(), benchSource, miniav.WithVideo(bf.v), miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			warm(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f := <-s.Frames()
				v := f.Video()
				out := make([]byte, v.Len())
				off := 0
				for i := range v.NumPlanes() {
					off += copy(out[off:], v.Plane(i))
				}
				f.Release()
				sink = out
			}
		})
	}
}
