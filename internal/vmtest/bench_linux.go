package vmtest

import (
	"context"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
)

// BenchStream measures capture of b.N frames of v from device id through a
// Stream (Block policy; pass miniav.WithPull() for a pull stream), the
// consumer touching one byte of each. It reports proccpu.Meter's figures;
// copies per frame are before (those made before miniav sees the frame)
// plus one for each frame miniav delivered copied.
func BenchStream(b *testing.B, id string, v format.Video, before int, opts ...miniav.Option) {
	s, err := miniav.Open(context.Background(), id, append([]miniav.Option{miniav.WithVideo(v), miniav.WithPolicy(miniav.Block)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if s.Info().Video != v {
		b.Fatalf("format %v, want %v", s.Info().Video, v)
	}
	next := func() miniav.Frame {
		f, err := s.Next()
		if err != nil {
			b.Fatalf("stream ended: %v", err)
		}
		return f
	}
	next().Release() // streaming is up
	var m proccpu.Meter
	var sum byte
	copies := before * b.N
	m.Start(b)
	for range b.N {
		f := next()
		p := f.Video().Plane(0)
		sum += p[len(p)/2]
		if f.Copied() {
			copies++
		}
		f.Release()
	}
	m.Stop(b, copies)
	_ = sum
}
