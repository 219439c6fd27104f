//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"testing"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// view checks that p is mem[off:off+n] itself, not a copy.
func view(t *testing.T, name string, p, mem []byte, off, n int) {
	t.Helper()
	if len(p) != n {
		t.Errorf("%s: %d bytes, want %d", name, len(p), n)
		return
	}
	if n > 0 && unsafe.SliceData(p) != &mem[off] {
		t.Errorf("%s: not a view of the kernel buffer at offset %d", name, off)
	}
}

// The buffer-to-frame mapping: every plane is a view into the mapped
// kernel memory, laid out as V4L2 defines each format.
func TestLayoutFill(t *testing.T) {
	mem := make([]byte, 1<<20)
	mem2 := make([]byte, 1<<19)
	mjpeg := format.MJPEG

	t.Run("YUYV", func(t *testing.T) {
		l := layout{pf: format.YUYV, width: 320, height: 240, kplanes: 1, bpl: [8]int{640}}
		var b backend.Buffer
		l.fill(&b, []kplane{{mem: mem[:640*240], bytesUsed: 640 * 240}})
		if b.NumPlanes != 1 || b.Strides[0] != 640 {
			t.Fatalf("planes %d stride %d", b.NumPlanes, b.Strides[0])
		}
		view(t, "plane 0", b.Planes[0], mem, 0, 640*240)
	})
	t.Run("NV12 contiguous, padded lines", func(t *testing.T) {
		l := layout{pf: format.NV12, width: 320, height: 240, kplanes: 1, bpl: [8]int{384}}
		var b backend.Buffer
		l.fill(&b, []kplane{{mem: mem[:384*360], bytesUsed: 384 * 360}})
		if b.NumPlanes != 2 || b.Strides != [4]int{384, 384} {
			t.Fatalf("planes %d strides %v", b.NumPlanes, b.Strides)
		}
		view(t, "Y", b.Planes[0], mem, 0, 384*240)
		view(t, "UV", b.Planes[1], mem, 384*240, 384*120)
	})
	t.Run("I420 contiguous", func(t *testing.T) {
		l := layout{pf: format.I420, width: 320, height: 240, kplanes: 1, bpl: [8]int{320}}
		var b backend.Buffer
		l.fill(&b, []kplane{{mem: mem[:320*360], bytesUsed: 320 * 360}})
		if b.NumPlanes != 3 || b.Strides != [4]int{320, 160, 160} {
			t.Fatalf("planes %d strides %v", b.NumPlanes, b.Strides)
		}
		view(t, "Y", b.Planes[0], mem, 0, 320*240)
		view(t, "U", b.Planes[1], mem, 320*240, 160*120)
		view(t, "V", b.Planes[2], mem, 320*240+160*120, 160*120)
	})
	t.Run("NV12M two kernel planes with a data offset", func(t *testing.T) {
		l := layout{pf: format.NV12, width: 320, height: 240, kplanes: 2, bpl: [8]int{320, 320}}
		var b backend.Buffer
		l.fill(&b, []kplane{
			{mem: mem[:4096+320*240], bytesUsed: 4096 + 320*240, dataOffset: 4096},
			{mem: mem2[:320*120], bytesUsed: 320 * 120},
		})
		if b.NumPlanes != 2 || b.Strides != [4]int{320, 320} {
			t.Fatalf("planes %d strides %v", b.NumPlanes, b.Strides)
		}
		view(t, "Y", b.Planes[0], mem, 4096, 320*240)
		view(t, "UV", b.Planes[1], mem2, 0, 320*120)
	})
	t.Run("MJPEG is one plane of bytesused", func(t *testing.T) {
		l := layout{pf: mjpeg, width: 1280, height: 720, kplanes: 1}
		var b backend.Buffer
		l.fill(&b, []kplane{{mem: mem, bytesUsed: 12345}})
		if b.NumPlanes != 1 || b.Strides[0] != 0 {
			t.Fatalf("planes %d stride %d", b.NumPlanes, b.Strides[0])
		}
		view(t, "JPEG", b.Planes[0], mem, 0, 12345)
	})
	t.Run("unknown FourCC passes through", func(t *testing.T) {
		l := layout{pf: format.FourCC('B', 'A', '8', '1'), width: 320, height: 240, kplanes: 1, bpl: [8]int{320}}
		var b backend.Buffer
		l.fill(&b, []kplane{{mem: mem[:320*240], bytesUsed: 320 * 240}})
		if b.NumPlanes != 1 || b.Strides[0] != 320 {
			t.Fatalf("planes %d stride %d", b.NumPlanes, b.Strides[0])
		}
		view(t, "Bayer", b.Planes[0], mem, 0, 320*240)
	})
	t.Run("short buffer is cut, never extended", func(t *testing.T) {
		l := layout{pf: format.NV12, width: 320, height: 240, kplanes: 1, bpl: [8]int{320}}
		var b backend.Buffer
		l.fill(&b, []kplane{{mem: mem[:320*360], bytesUsed: 320*240 + 100}})
		view(t, "Y", b.Planes[0], mem, 0, 320*240)
		view(t, "UV", b.Planes[1], mem, 320*240, 100)
		if cap(b.Planes[1]) != 100 {
			t.Errorf("UV plane capacity %d reaches past bytesused", cap(b.Planes[1]))
		}
	})
}
