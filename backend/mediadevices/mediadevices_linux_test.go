//go:build cgo

package mediadevices

import (
	"context"
	"errors"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/videotest" // pion's own test camera
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/vmtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// videoTest is pion's videotest driver: 640x480 at 30 fps, 4:2:2, seven
// 75% colour bars over the top three quarters, random noise in the bottom
// right corner, written into the same buffers every frame. The VM run
// replaces pion's registry (TestVMRescan), so these run on the host only.
const videoTest = Scheme + ":VideoTest"

func needVideoTest(t *testing.T) {
	t.Helper()
	if vmtest.InVM() {
		t.Skip("pion's videotest driver runs in the host test run; the VM run rescans pion's registry")
	}
}

// bars are pion's videotest colours (Y before its 75% scaling, Cb, Cr).
var bars = [7][3]int{{235, 128, 128}, {210, 16, 146}, {170, 166, 16}, {145, 54, 34}, {107, 202, 222}, {82, 90, 240}, {41, 240, 110}}

func open(t *testing.T, id string, opts ...miniav.Option) *miniav.Stream {
	t.Helper()
	s, err := miniav.Open(context.Background(), id, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	t.Cleanup(func() {
		s.Close()
		if st := s.Stats(); st.Outstanding != 0 {
			t.Errorf("%d frames outstanding after Close", st.Outstanding)
		}
		if n := PoolStats().Outstanding; n != 0 {
			t.Errorf("%d pooled buffers outstanding after Close", n)
		}
	})
	return s
}

func next(t *testing.T, s *miniav.Stream) miniav.Frame {
	t.Helper()
	f, err := s.Next()
	if err != nil {
		t.Fatalf("stream ended: %v", err)
	}
	return f
}

func TestRegistered(t *testing.T) {
	if b, ok := backend.Lookup(Scheme); !ok || b.Name() != Scheme {
		t.Fatalf("Lookup(%q) = %v, %v", Scheme, b, ok)
	}
}

// device returns the listed device id, failing t if there is none.
func device(t *testing.T, id string) backend.Device {
	t.Helper()
	devs, err := registered.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(devs, func(d backend.Device) bool { return d.ID == id })
	if i < 0 {
		t.Fatalf("no %s in %+v", id, devs)
	}
	return devs[i]
}

func TestDevicesVideoTest(t *testing.T) {
	needVideoTest(t)
	d := device(t, videoTest)
	want := format.VideoCaps{PixelFormat: format.I422, Size: format.Discrete(640, 480), FrameRates: []format.Rational{format.FPS(30)}, Description: "pion YUYV"}
	if d.Kind != backend.KindCamera || d.Backend != Scheme || !d.Default || len(d.Video) != 1 || d.Video[0].String() != want.String() {
		t.Fatalf("device = %+v, want a default camera with %v", d, want)
	}
}

// Frames carry the bars pion drew, in order, paced at 30 fps.
func TestCaptureVideoTest(t *testing.T) {
	needVideoTest(t)
	s := open(t, videoTest)
	info := s.Info()
	if info.Video != (format.Video{Width: 640, Height: 480, PixelFormat: format.I422, FrameRate: format.FPS(30)}) || info.ZeroCopy {
		t.Fatalf("Info = %+v", info)
	}
	var first time.Duration
	const n = 6
	for i := range n {
		f := next(t, s)
		v := f.Video()
		if v.Width != 640 || v.Height != 480 || v.PixelFormat != format.I422 || !f.Copied() || f.Sequence() != uint64(i) {
			t.Fatalf("frame %d: %v, seq %d, copied %v", i, v.Video, f.Sequence(), f.Copied())
		}
		if i == 0 {
			first = f.Timestamp()
		}
		for y := 0; y < 360; y += 17 {
			for c, bar := range bars {
				x := (2*c + 1) * 640 / 14 &^ 1
				if Y, U, V := vmtest.YUV(v, x, y); Y != bar[0]*75/100 || U != bar[1] || V != bar[2] {
					t.Fatalf("frame %d bar %d at (%d,%d): YUV %d,%d,%d, want %d,%d,%d", i, c, x, y, Y, U, V, bar[0]*75/100, bar[1], bar[2])
				}
			}
		}
		if i == n-1 {
			// 30 fps: five intervals of 33 ms (pion's ticker; generous bounds).
			if d := f.Timestamp() - first; d < 100*time.Millisecond || d > 400*time.Millisecond {
				t.Errorf("%d frames took %v", n, d)
			}
		}
		f.Release()
	}
}

// A pull stream that stops reading loses the frames that find the queue
// full: counted as overruns, as the one gap in the sequence numbers.
func TestOverrun(t *testing.T) {
	needVideoTest(t)
	s := open(t, videoTest, miniav.WithPull(), miniav.WithBuffers(2))
	next(t, s).Release()
	time.Sleep(400 * time.Millisecond) // about 12 frames
	var seqs []uint64
	for range 5 {
		f := next(t, s)
		seqs = append(seqs, f.Sequence())
		f.Release()
	}
	gaps := uint64(0)
	for i := 1; i < len(seqs); i++ {
		gaps += seqs[i] - seqs[i-1] - 1
	}
	gaps += seqs[0] - 1
	st := s.Stats()
	if gaps < 5 || st.Dropped[backend.DropOverrun] != gaps || st.Dropped.Total() != gaps {
		t.Fatalf("sequences %v (%d missing), drops %v", seqs, gaps, st.Dropped)
	}
}

func TestOpenErrors(t *testing.T) {
	needVideoTest(t)
	ctx := context.Background()
	if _, err := miniav.Open(ctx, Scheme+":no-such-device"); !errors.Is(err, miniav.ErrNotFound) {
		t.Errorf("unknown device: %v", err)
	}
	if _, err := miniav.Open(ctx, videoTest, miniav.WithVideo(format.Video{PixelFormat: format.I420})); !errors.Is(err, miniav.ErrNotSupported) {
		t.Errorf("I420 from a 4:2:2 camera: %v", err)
	}
	if _, err := miniav.Open(ctx, videoTest, miniav.WithVideo(format.Video{Width: 1280, Height: 720})); !errors.Is(err, miniav.ErrNotSupported) {
		t.Errorf("unoffered size: %v", err)
	}
	if _, err := miniav.Open(ctx, videoTest, miniav.WithRegion(image.Rect(0, 0, 10, 10))); !errors.Is(err, miniav.ErrNotSupported) {
		t.Errorf("a region: %v", err)
	}
	s := open(t, videoTest)
	if _, err := miniav.Open(ctx, videoTest); !errors.Is(err, miniav.ErrBusy) {
		t.Errorf("second open: %v", err)
	}
	next(t, s).Release()
	s.Close()
	// Closed, the device opens again.
	s = open(t, videoTest)
	next(t, s).Release()
}

func TestChoose(t *testing.T) {
	m := func(w, h int, f frame.Format, fps float32) prop.Media {
		return prop.Media{Video: prop.Video{Width: w, Height: h, FrameFormat: f, FrameRate: fps}}
	}
	props := []prop.Media{
		m(1280, 720, frame.FormatMJPEG, 30), m(640, 480, frame.FormatYUYV, 30), m(640, 480, frame.FormatYUYV, 15),
		m(640, 480, frame.FormatNV12, 30), m(320, 240, frame.FormatI420, 30), m(64, 64, frame.FormatZ16, 30),
	}
	for _, c := range []struct {
		want format.Video
		got  format.Video
		from frame.Format
	}{
		{format.Video{}, format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)}, frame.FormatI420},
		{format.Video{PixelFormat: format.I422}, format.Video{Width: 640, Height: 480, PixelFormat: format.I422, FrameRate: format.FPS(30)}, frame.FormatYUYV},
		{format.Video{Width: 640, Height: 480, FrameRate: format.FPS(15)}, format.Video{Width: 640, Height: 480, PixelFormat: format.I422, FrameRate: format.FPS(15)}, frame.FormatYUYV},
		{format.Video{Width: 640, Height: 480, PixelFormat: format.I420}, format.Video{Width: 640, Height: 480, PixelFormat: format.I420, FrameRate: format.FPS(30)}, frame.FormatNV12},
		{format.Video{Width: 1280, Height: 720}, format.Video{Width: 1280, Height: 720, PixelFormat: format.I420, FrameRate: format.FPS(30)}, frame.FormatMJPEG},
	} {
		p, v, ok := choose(props, c.want)
		if !ok || v != c.got || p.FrameFormat != c.from {
			t.Errorf("choose(%v) = %v from %s, %v; want %v from %s", c.want, v, p.FrameFormat, ok, c.got, c.from)
		}
	}
	for _, w := range []format.Video{{PixelFormat: format.RGBA}, {Width: 64, Height: 64}, {Width: 640, Height: 480, FrameRate: format.FPS(60)}} {
		if _, v, ok := choose(props, w); ok {
			t.Errorf("choose(%v) = %v, want none", w, v)
		}
	}
	// A driver without rates gets the one asked for, 30 fps by default.
	if p, v, _ := choose([]prop.Media{m(800, 600, frame.FormatRGBA, 0)}, format.Video{FrameRate: format.FPS(5)}); v.FrameRate != format.FPS(5) || p.FrameRate != 5 {
		t.Errorf("rate-less: %v, pion asked for %v", v, p.FrameRate)
	}
	if _, v, _ := choose([]prop.Media{m(800, 600, frame.FormatRGBA, 0)}, format.Video{}); v.FrameRate != format.FPS(30) {
		t.Errorf("rate-less default: %v", v)
	}
	caps := capsOf(props)
	var got []string
	for _, c := range caps {
		got = append(got, c.String())
	}
	if len(caps) != 4 || caps[1].PixelFormat != format.I422 || len(caps[1].FrameRates) != 2 || caps[1].FrameRates[0] != format.FPS(15) {
		t.Errorf("capsOf = %q", got)
	}
}

// The copy lays out each kind of picture pion delivers, including ones
// whose bounds do not start at the origin and odd sizes.
func TestCopyLayouts(t *testing.T) {
	s := &source{}
	defer func() {
		if n := PoolStats().Outstanding; n != 0 {
			t.Errorf("%d pooled buffers outstanding", n)
		}
	}()
	pat := func(n int, k byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)*3 + k
		}
		return b
	}
	// lent is it as Read lends it, with each plane's offset in it.buf.
	lent := func(it item) (b backend.Buffer, offs [4]int) {
		s.fill(&b, it)
		for i := 1; i < b.NumPlanes; i++ {
			offs[i] = offs[i-1] + len(b.Planes[i-1])
		}
		return b, offs
	}
	t.Run("I420", func(t *testing.T) {
		full := &image.YCbCr{Y: pat(20*10, 0), Cb: pat(10*5, 1), Cr: pat(10*5, 2), YStride: 20, CStride: 10, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 20, 10)}
		sub := full.SubImage(image.Rect(4, 2, 11, 9)).(*image.YCbCr) // 7x7
		it, err := s.copy(sub)
		if err != nil {
			t.Fatal(err)
		}
		defer it.buf.Release()
		b := it.buf.Bytes()
		lb, offs := lent(it)
		if it.v.PixelFormat != format.I420 || it.v.Width != 7 || it.v.Height != 7 || lb.NumPlanes != 3 || lb.Strides != [4]int{7, 4, 4} || len(b) != 49+2*16 {
			t.Fatalf("item %+v, %d bytes", it, len(b))
		}
		for y := range 7 {
			for x := range 7 {
				if b[y*7+x] != sub.Y[sub.YOffset(4+x, 2+y)] {
					t.Fatalf("Y(%d,%d)", x, y)
				}
			}
		}
		for y := range 4 {
			for x := range 4 {
				c := sub.COffset(4+2*x, 2+2*y)
				if b[offs[1]+y*4+x] != sub.Cb[c] || b[offs[2]+y*4+x] != sub.Cr[c] {
					t.Fatalf("chroma (%d,%d)", x, y)
				}
			}
		}
	})
	t.Run("I422", func(t *testing.T) {
		m := &image.YCbCr{Y: pat(5*2, 0), Cb: pat(3*2, 1), Cr: pat(3*2, 2), YStride: 5, CStride: 3, SubsampleRatio: image.YCbCrSubsampleRatio422, Rect: image.Rect(0, 0, 5, 2)}
		it, err := s.copy(m)
		if err != nil {
			t.Fatal(err)
		}
		defer it.buf.Release()
		b := it.buf.Bytes()
		lb, offs := lent(it)
		if it.v.PixelFormat != format.I422 || lb.Strides != [4]int{5, 3, 3} || offs != [4]int{0, 10, 16} || len(b) != 22 {
			t.Fatalf("item %+v, %d bytes", it, len(b))
		}
		if !slices.Equal(b[:10], m.Y) || !slices.Equal(b[10:16], m.Cb) || !slices.Equal(b[16:], m.Cr) {
			t.Fatalf("planes %v, want %v %v %v", b, m.Y, m.Cb, m.Cr)
		}
	})
	t.Run("RGBA", func(t *testing.T) {
		full := &image.RGBA{Pix: pat(8*4*3, 0), Stride: 32, Rect: image.Rect(0, 0, 8, 3)}
		sub := full.SubImage(image.Rect(2, 1, 5, 3)).(*image.RGBA)
		it, err := s.copy(sub)
		if err != nil {
			t.Fatal(err)
		}
		defer it.buf.Release()
		b := it.buf.Bytes()
		if lb, _ := lent(it); it.v.PixelFormat != format.RGBA || lb.Strides[0] != 12 || len(b) != 24 {
			t.Fatalf("item %+v", it)
		}
		for y := range 2 {
			if !slices.Equal(b[y*12:y*12+12], sub.Pix[sub.PixOffset(2, 1+y):][:12]) {
				t.Fatalf("row %d", y)
			}
		}
	})
	t.Run("unsupported", func(t *testing.T) {
		for _, img := range []image.Image{image.NewGray(image.Rect(0, 0, 2, 2)), image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio444)} {
			if _, err := s.copy(img); !errors.Is(err, backend.ErrNotSupported) {
				t.Errorf("%T: %v", img, err)
			}
		}
	})
}

// I422 frames view as a 4:2:2 image.YCbCr without a copy and convert to
// RGBA with one chroma row per row: pion's grey gradient under its bars
// must stay grey.
func TestI422Conversions(t *testing.T) {
	needVideoTest(t)
	s := open(t, videoTest)
	f := next(t, s)
	defer f.Release()
	v := f.Video()
	img, err := v.Image()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := img.(*image.YCbCr)
	if !ok || m.SubsampleRatio != image.YCbCrSubsampleRatio422 || &m.Y[0] != &v.Plane(0)[0] || &m.Cr[0] != &v.Plane(2)[0] {
		t.Fatalf("Image() = %T %v, not a 4:2:2 view of the frame", img, m.SubsampleRatio)
	}
	for _, p := range [][2]int{{45, 10}, {300, 100}, {300, 470}, {301, 471}} {
		c := m.YCbCrAt(p[0], p[1])
		if Y, U, V := vmtest.YUV(v, p[0], p[1]); int(c.Y) != Y || int(c.Cb) != U || int(c.Cr) != V {
			t.Errorf("(%d,%d): image %v, frame %d,%d,%d", p[0], p[1], c, Y, U, V)
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	if err := v.ToRGBA(dst); err != nil {
		t.Fatal(err)
	}
	rgba := func(x, y int) [4]byte { return [4]byte(dst.Pix[dst.PixOffset(x, y):]) }
	// White bar at 75% (Y 176): limited-range grey 186.
	if px := rgba(45, 10); px[0] != px[1] || px[1] != px[2] || px[0] < 185 || px[0] > 187 || px[3] != 255 {
		t.Errorf("white bar: %v", px)
	}
	// Yellow bar (Y 157, Cb 16, Cr 146): red and green high, no blue.
	if px := rgba(137, 10); px[2] != 0 || px[0] < 185 || px[1] < 185 {
		t.Errorf("yellow bar: %v", px)
	}
	// The gradient (Y = x*255/457, neutral chroma) on odd and even rows.
	for _, y := range []int{470, 471} {
		if px := rgba(300, y); px[0] != px[1] || px[1] != px[2] || px[0] == 0 {
			t.Errorf("gradient at (300,%d): %v, want grey", y, px)
		}
	}
}

// still is a pion driver that allocates nothing per frame: the same
// 320x240 RGBA picture every millisecond.
type still struct{ img *image.RGBA }

func (still) Open() error  { return nil }
func (still) Close() error { return nil }
func (still) Properties() []prop.Media {
	return []prop.Media{{Video: prop.Video{Width: 320, Height: 240, FrameFormat: frame.FormatRGBA, FrameRate: 1000}}}
}
func (s still) VideoRecord(prop.Media) (video.Reader, error) {
	return video.ReaderFunc(func() (image.Image, func(), error) {
		time.Sleep(time.Millisecond)
		return s.img, nopRelease, nil
	}), nil
}

func nopRelease() {}

// pion's videotest camera passes the backend contract kit on the host
// (vivid through pion's webcam driver does in the VM: TestVMContract).
// videotest allocates its picture every frame; with a driver that
// allocates nothing (still), capture allocates nothing per frame: the
// copy, the read-ahead goroutine and the stream together.
func TestContract(t *testing.T) {
	needVideoTest(t)
	m := driver.GetManager()
	m.Register(still{image.NewRGBA(image.Rect(0, 0, 320, 240))}, driver.Info{Label: "still", DeviceType: driver.Camera})
	t.Cleanup(func() {
		for _, d := range m.Query(func(d driver.Driver) bool { return d.Info().Label == "still" }) {
			m.Delete(d.ID())
		}
	})
	opts := []backendtest.Option{backendtest.NoDeviceTimestamps(), backendtest.CannotBlock(), backendtest.Frames(4)}
	t.Run("videotest", func(t *testing.T) { backendtest.Run(t, videoTest, append(opts, backendtest.AllowAllocs(1))...) })
	t.Run("still", func(t *testing.T) { backendtest.Run(t, Scheme+":still", opts...) })
}
