//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
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

// Metadata pointing outside the mapping is an error, never a slice past
// it: bytesused beyond the plane's length, a data offset past bytesused,
// negative values (from a 32-bit field read as an int elsewhere).
func TestLayoutFillOutOfRange(t *testing.T) {
	mem := make([]byte, 4096)
	l := layout{pf: format.NV12, width: 32, height: 32, kplanes: 2, bpl: [8]int{32, 32}}
	for _, in := range [][]kplane{
		{{mem: mem, bytesUsed: 4097}, {mem: mem, bytesUsed: 512}},
		{{mem: mem, bytesUsed: 1024, dataOffset: 1025}, {mem: mem, bytesUsed: 512}},
		{{mem: mem, bytesUsed: 1024}, {mem: mem, bytesUsed: -1}},
		{{mem: mem, bytesUsed: 0, dataOffset: 4097}, {mem: mem}},
		nil,
	} {
		var b backend.Buffer
		if err := l.fill(&b, in); !errors.Is(err, errMetadata) || b.NumPlanes != 0 {
			t.Errorf("fill(%+v): %d planes, %v; want errMetadata", in, b.NumPlanes, err)
		}
	}
	for _, bad := range []layout{
		{pf: format.NV12, width: 0, height: 32, kplanes: 1},
		{pf: format.NV12, width: 32, height: maxDim + 1, kplanes: 1},
		{pf: format.NV12, width: 32, height: 32, kplanes: 9},
		{pf: format.NV12, width: 32, height: 32, kplanes: 1, bpl: [8]int{maxBPL + 1}},
	} {
		if err := bad.check(); !errors.Is(err, errMetadata) {
			t.Errorf("check(%+v) = %v, want errMetadata", bad, err)
		}
	}
}

// inside reports whether p lies within one of the mappings of in,
// capacity included.
func inside(p []byte, in []kplane) bool {
	if cap(p) == 0 {
		return true
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	for _, k := range in {
		if len(k.mem) == 0 {
			continue
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(k.mem)))
		if start >= lo && start+uintptr(cap(p)) <= lo+uintptr(len(k.mem)) {
			return true
		}
	}
	return false
}

// FuzzLayoutFill maps fuzzed driver metadata (the format's FourCC, size,
// planes and bytes per line; each buffer plane's length, bytesused and
// data offset) to frame planes: it never panics and never yields a slice
// outside the mappings. The seeds are formats and buffers as vivid
// reports them (v4l2_format and dequeued v4l2_buffer/v4l2_plane values of
// its single- and multi-planar modes, written here by hand from what the
// VM tests see, not recorded).
func FuzzLayoutFill(f *testing.F) {
	u := func(pf format.PixelFormat) uint32 { return uint32(pf) }
	const w, h = 640, 360
	// YUYV, one plane.
	f.Add(u(format.YUYV), uint32(w), uint32(h), uint8(1), uint32(2*w), uint32(0), uint32(0),
		uint32(2*w*h), uint32(2*w*h), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	// NV12 and I420 in one buffer; a buffer of a page more than needed.
	f.Add(u(format.NV12), uint32(w), uint32(h), uint8(1), uint32(w), uint32(0), uint32(0),
		uint32(w*h*3/2+4096), uint32(w*h*3/2), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(u(format.I420), uint32(w), uint32(h), uint8(1), uint32(w), uint32(0), uint32(0),
		uint32(w*h*3/2), uint32(w*h*3/2), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	// NV12M and YUV420M, one kernel plane per frame plane; a data offset.
	f.Add(v4l2.PixFmtNV12M, uint32(w), uint32(h), uint8(2), uint32(w), uint32(w), uint32(0),
		uint32(w*h), uint32(w*h), uint32(0), uint32(w*h/2), uint32(w*h/2), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(v4l2.PixFmtNV12M, uint32(w), uint32(h), uint8(2), uint32(w), uint32(w), uint32(0),
		uint32(w*h+4096), uint32(w*h+4096), uint32(4096), uint32(w*h/2), uint32(w*h/2), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(v4l2.PixFmtYUV420M, uint32(w), uint32(h), uint8(3), uint32(w), uint32(w/2), uint32(w/2),
		uint32(w*h), uint32(w*h), uint32(0), uint32(w*h/4), uint32(w*h/4), uint32(0), uint32(w*h/4), uint32(w*h/4), uint32(0))
	// MJPEG: bytesused far below the buffer's length; RGB24 padded lines.
	f.Add(u(format.MJPEG), uint32(1280), uint32(720), uint8(1), uint32(0), uint32(0), uint32(0),
		uint32(1280*720*2), uint32(54321), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Add(u(format.RGB24), uint32(w), uint32(h), uint8(1), uint32(3*w+64), uint32(0), uint32(0),
		uint32((3*w+64)*h), uint32((3*w+64)*h), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, fourcc uint32, width, height uint32, kplanes uint8, bpl0, bpl1, bpl2 uint32,
		len0, used0, off0, len1, used1, off1, len2, used2, off2 uint32) {
		l := layout{pf: toFormat(fourcc), width: int(width), height: int(height), kplanes: int(kplanes),
			bpl: [8]int{int(bpl0), int(bpl1), int(bpl2)}}
		if l.check() != nil {
			return
		}
		// Mappings of at most 4 MiB, as the fuzzed lengths say (one
		// backing array, so a slice past one plane's end would land in the
		// next plane: inside catches it by the capacity).
		lens := [3]int{int(len0 % (4 << 20)), int(len1 % (4 << 20)), int(len2 % (4 << 20))}
		backing := make([]byte, lens[0]+lens[1]+lens[2])
		in := make([]kplane, max(min(l.kplanes, 3), 1))
		use := [3]uint32{used0, used1, used2}
		offs := [3]uint32{off0, off1, off2}
		at := 0
		for i := range in {
			in[i] = kplane{mem: backing[at : at+lens[i] : at+lens[i]], bytesUsed: int(int32(use[i])), dataOffset: int(int32(offs[i]))}
			at += lens[i]
		}
		var b backend.Buffer
		if err := l.fill(&b, in); err != nil {
			if !errors.Is(err, errMetadata) || b.NumPlanes != 0 {
				t.Fatalf("error %v with %d planes", err, b.NumPlanes)
			}
			return
		}
		if b.NumPlanes < 1 || b.NumPlanes > len(b.Planes) {
			t.Fatalf("%d planes", b.NumPlanes)
		}
		for i := 0; i < b.NumPlanes; i++ {
			if !inside(b.Planes[i], in) {
				t.Fatalf("plane %d (%d bytes, capacity %d) outside the mappings", i, len(b.Planes[i]), cap(b.Planes[i]))
			}
			if b.Strides[i] < 0 {
				t.Fatalf("plane %d: stride %d", i, b.Strides[i])
			}
		}
	})
}
