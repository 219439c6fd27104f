//go:build cgo

package mediadevices

import (
	"fmt"
	"image"
	"testing"

	"github.com/pion/mediadevices/pkg/driver"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// BenchmarkCapture reads vivid through pion's Linux camera driver directly
// ("pion": its own Read loop, the peer) and through miniav's mediadevices
// backend (a Stream, and a pull stream), in the VM, with the same node,
// sizes and formats as backend/v4l2's BenchmarkCapture, so that
// bench/v4l2.sh puts miniav's native V4L2 capture, pion, and miniav over
// pion side by side. Run with -benchtime=Nx (frames).
func BenchmarkCapture(b *testing.B) {
	vmtest.Require(b)
	for _, v := range vmtest.BenchVideos {
		v.PixelFormat = format.I422 // how pion delivers YUYV
		b.Run(fmt.Sprintf("%dx%d", v.Width, v.Height), func(b *testing.B) {
			b.Run("pion", func(b *testing.B) { benchPion(b, v) })
			// pion's two copies, then miniav's into pooled memory.
			b.Run("miniav-pion", func(b *testing.B) { vmtest.BenchStream(b, vividCam, v, 2) })
			b.Run("miniav-pion-pull", func(b *testing.B) { vmtest.BenchStream(b, vividCam, v, 2, miniav.WithPull()) })
		})
	}
}

// pixel touches one byte of a frame, as a consumer would.
func pixel(img image.Image) byte {
	m := img.(*image.YCbCr)
	return m.Y[len(m.Y)/2]
}

func benchPion(b *testing.B, v format.Video) {
	d := find("video0;video0")
	if d == nil {
		b.Fatal("pion has no video0")
	}
	if err := d.Open(); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	p, got, ok := choose(d.Properties(), v)
	if !ok || got != v {
		b.Fatalf("pion offers no %v (%v)", v, got)
	}
	r, err := d.(driver.VideoRecorder).VideoRecord(p)
	if err != nil {
		b.Fatal(err)
	}
	read := func() byte {
		img, release, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		x := pixel(img)
		release()
		return x
	}
	read() // streaming is up
	var m proccpu.Meter
	var sum byte
	m.Start(b)
	for range b.N {
		sum += read()
	}
	// pion copies each frame out of the kernel buffer, then unpacks it
	// into new YCbCr planes.
	m.Stop(b, 2*b.N)
	_ = sum
}
