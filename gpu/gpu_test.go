package gpu_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu"
	"github.com/miniav-go/miniav/gpu/internal/gputest"
)

var allFormats = []format.PixelFormat{
	format.I420, format.YV12, format.I422, format.NV12, format.NV21, format.YUYV, format.UYVY,
	format.GRAY8, format.RGBA, format.RGBX, format.BGRA, format.BGRX, format.ARGB, format.ABGR,
	format.RGB24, format.BGR24,
}

var spaces = []gpu.ColorSpace{gpu.BT601Limited, gpu.BT601Full, gpu.BT709Limited, gpu.BT709Full}

func open(t testing.TB, id string, opts ...miniav.Option) *miniav.Stream {
	t.Helper()
	s, err := miniav.Open(context.Background(), id, append([]miniav.Option{miniav.WithPolicy(miniav.Block), miniav.WithUnpaced()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func next(t testing.TB, s *miniav.Stream) miniav.Frame {
	t.Helper()
	f, ok := <-s.Frames()
	if !ok {
		t.Fatalf("stream ended: %v", s.Err())
	}
	return f
}

func coreRGBA(t testing.TB, f miniav.Frame) []byte {
	t.Helper()
	v := f.Video()
	img := image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	if err := v.ToRGBA(img); err != nil {
		t.Fatal(err)
	}
	return img.Pix
}

func diff(got, want []byte) string {
	n, maxd, first := 0, 0, -1
	for i := range want {
		if d := max(int(got[i])-int(want[i]), int(want[i])-int(got[i])); d > 0 {
			if first < 0 {
				first = i
			}
			n++
			maxd = max(maxd, d)
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d bytes differ (max %d), first at byte %d (pixel %d): got %d want %d", n, maxd, first, first/4, got[first], want[first])
}

// The CPU reference with BT.601 limited range is the core's conversion,
// byte for byte, for every format (no GPU needed).
func TestToRGBAMatchesCore(t *testing.T) {
	for _, pf := range allFormats {
		for _, pad := range []int{0, 12} {
			s := open(t, gputest.Addr(pf, 34, 22, pad))
			f := next(t, s)
			want := coreRGBA(t, f)
			got := make([]byte, len(want))
			if err := gpu.ToRGBA(f.Video(), gpu.BT601Limited, got); err != nil {
				t.Fatal(err)
			}
			f.Release()
			if d := diff(got, want); d != "" {
				t.Errorf("%v pad %d: %s", pf, pad, d)
			}
		}
	}
}

// Known values: the colour spaces differ where they should, and agree on grey.
func TestColorSpaceValues(t *testing.T) {
	s := open(t, gputest.Addr(format.GRAY8, 2, 2, 0)) // any frame: only its view's format is replaced below
	_ = s
	cases := []struct {
		cs      gpu.ColorSpace
		y, u, v byte
		want    [3]byte
	}{
		{gpu.BT601Limited, 235, 128, 128, [3]byte{255, 255, 255}},
		{gpu.BT601Limited, 16, 128, 128, [3]byte{0, 0, 0}},
		{gpu.BT601Full, 128, 128, 128, [3]byte{128, 128, 128}},
		{gpu.BT709Full, 0, 128, 128, [3]byte{0, 0, 0}},
		// pure red (255,0,0) encoded full-range: 601 Y=76 U=85 V=255, 709 Y=54 U=99 V=255
		{gpu.BT601Full, 76, 85, 255, [3]byte{255, 0, 0}},
		{gpu.BT709Full, 54, 99, 255, [3]byte{255, 0, 0}},
		// limited-range 709 red: Y=63 U=102 V=240
		{gpu.BT709Limited, 63, 102, 240, [3]byte{255, 0, 0}},
	}
	for _, c := range cases {
		got := convertOne(t, c.cs, c.y, c.u, c.v)
		for i := range 3 {
			if d := int(got[i]) - int(c.want[i]); d < -1 || d > 1 {
				t.Errorf("%v (%d,%d,%d) = %v, want %v within 1", c.cs, c.y, c.u, c.v, got[:3], c.want)
				break
			}
		}
	}
}

func convertOne(t *testing.T, cs gpu.ColorSpace, y, u, v byte) []byte {
	s := open(t, gputest.Addr(format.YUYV, 2, 1, 0))
	f := next(t, s)
	p := f.Video().Plane(0)
	p[0], p[1], p[2], p[3] = y, u, y, v
	out := make([]byte, 8)
	if err := gpu.ToRGBA(f.Video(), cs, out); err != nil {
		t.Fatal(err)
	}
	f.Release()
	return out
}

// Every format, every colour space, tight and padded strides: the GPU's
// read-back RGBA equals the CPU reference byte for byte (and the core's
// ToRGBA for BT.601 limited).
func TestConvertMatchesCPU(t *testing.T) {
	for _, u := range gputest.Uploaders(t) {
		t.Run(modeName(u), func(t *testing.T) { convertMatchesCPU(t, u) })
	}
}

func modeName(u *gpu.Uploader) string { return strings.Fields(u.Mode().String())[0] }

func convertMatchesCPU(t *testing.T, u *gpu.Uploader) {
	for _, sz := range [][2]int{{70, 46}, {33, 21}} {
		convertSize(t, u, sz[0], sz[1])
	}
}

func convertSize(t *testing.T, u *gpu.Uploader, w, h int) {
	got := make([]byte, 4*w*h)
	want := make([]byte, 4*w*h)
	for _, pf := range allFormats {
		if w%2 == 1 && (pf == format.YUYV || pf == format.UYVY) {
			continue // a packed 4:2:2 row has an even number of pixels
		}
		for _, pad := range []int{0, 13} {
			s := open(t, gputest.Addr(pf, w, h, pad))
			for _, cs := range spaces {
				f := next(t, s)
				if err := gpu.ToRGBA(f.Video(), cs, want); err != nil {
					t.Fatal(err)
				}
				var core []byte
				if cs == gpu.BT601Limited {
					core = coreRGBA(t, f)
				}
				im, err := u.Upload(f)
				if err != nil {
					t.Fatalf("%v: %v", pf, err)
				}
				if err := u.Convert(im, cs); err != nil {
					t.Fatal(err)
				}
				if err := u.Read(im, got); err != nil {
					t.Fatal(err)
				}
				im.Release()
				if d := diff(got, want); d != "" {
					t.Errorf("%dx%d %v pad %d %v: GPU vs CPU reference: %s", w, h, pf, pad, cs, d)
				}
				if core != nil {
					if d := diff(got, core); d != "" {
						t.Errorf("%dx%d %v pad %d: GPU vs core ToRGBA: %s", w, h, pf, pad, d)
					}
				}
			}
		}
	}
}

// testsrc frames in every format it delivers: GPU equals the core's ToRGBA
// on every frame, and the bar colours come out where BarAt says.
func TestTestsrc(t *testing.T) {
	for _, u := range gputest.Uploaders(t) {
		t.Run(modeName(u), func(t *testing.T) { testsrcFrames(t, u) })
	}
}

func testsrcFrames(t *testing.T, u *gpu.Uploader) {
	const w, h = 320, 240
	got := make([]byte, 4*w*h)
	for _, pf := range []format.PixelFormat{format.I420, format.NV12, format.YUYV, format.UYVY, format.RGBA,
		format.BGRA, format.BGRX, format.RGB24, format.BGR24, format.GRAY8} {
		s := open(t, "testsrc:camera", miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: pf, FrameRate: format.FPS(30)}))
		for range 3 {
			f := next(t, s)
			want := coreRGBA(t, f)
			im, err := u.Upload(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := u.Convert(im, gpu.BT601Limited); err != nil {
				t.Fatal(err)
			}
			if err := u.Read(im, got); err != nil {
				t.Fatal(err)
			}
			im.Release()
			if d := diff(got, want); d != "" {
				t.Errorf("testsrc %v: %s", pf, d)
			}
		}
	}
}

// The frame is released exactly once, by Upload, and the GPU has its own
// copy by then: the source overwrites the memory on release, and the
// conversion still equals the original frame's.
func TestSourceOverwrittenAfterUpload(t *testing.T) {
	for _, u := range gputest.Uploaders(t) {
		if u.Mode() == gpu.ModeHostImport {
			continue // the image keeps the frame until the GPU is done: TestHostImportReleaseOnce
		}
		t.Run(modeName(u), func(t *testing.T) { sourceOverwritten(t, u) })
	}
}

func sourceOverwritten(t *testing.T, u *gpu.Uploader) {
	const w, h = 64, 48
	addr := gputest.Addr(format.NV12, w, h, 8)
	s := open(t, addr)
	f := next(t, s)
	want := coreRGBA(t, f)
	plane := f.Video().Plane(0)
	seq := f.Sequence()
	// Checked in the release, before the buffer goes back to the source's
	// pool (and may be refilled for a later frame).
	var scribbled atomic.Bool
	gputest.OnRelease(addr, func(q uint64) {
		if q == seq {
			scribbled.Store(plane[0] == gputest.Scribble && plane[len(plane)-1] == gputest.Scribble)
		}
	})
	defer gputest.OnRelease(addr, nil)
	before := gputest.Released(addr)
	im, err := u.Upload(f)
	if err != nil {
		t.Fatal(err)
	}
	if f.Valid() {
		t.Fatal("frame still valid after Upload")
	}
	if n := gputest.Released(addr) - before; n != 1 {
		t.Fatalf("source got %d buffers back during Upload, want 1", n)
	}
	if !scribbled.Load() {
		t.Fatal("the source did not overwrite the released buffer")
	}
	if err := u.Convert(im, gpu.BT601Limited); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4*w*h)
	if err := u.Read(im, got); err != nil {
		t.Fatal(err)
	}
	if d := diff(got, want); d != "" {
		t.Fatalf("after the source overwrote the frame: %s", d)
	}
	if err := f.Release(); !errors.Is(err, miniav.ErrReleased) {
		t.Errorf("second release of the frame: %v, want ErrReleased", err)
	}
	if err := im.Release(); err != nil {
		t.Fatal(err)
	}
	if err := im.Release(); !errors.Is(err, miniav.ErrReleased) {
		t.Errorf("second image release: %v, want ErrReleased", err)
	}
	if err := u.Convert(im, gpu.BT601Limited); !errors.Is(err, miniav.ErrReleased) {
		t.Errorf("Convert of a released image: %v, want ErrReleased", err)
	}
}

// Steady state: upload, convert and release allocate nothing on the Go heap.
func TestUploadAllocs(t *testing.T) {
	for _, u := range gputest.Uploaders(t) {
		t.Run(modeName(u), func(t *testing.T) { uploadAllocs(t, u) })
	}
}

func uploadAllocs(t *testing.T, u *gpu.Uploader) {
	for _, pf := range []format.PixelFormat{format.NV12, format.I420, format.YUYV, format.BGRX} {
		s := open(t, gputest.Addr(pf, 128, 72, 3))
		f := next(t, s)
		run := func() {
			if err := f.Retain(); err != nil {
				t.Fatal(err)
			}
			im, err := u.Upload(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := u.Convert(im, gpu.BT709Limited); err != nil {
				t.Fatal(err)
			}
			im.Release()
		}
		run()
		if n := testing.AllocsPerRun(50, run); n != 0 {
			t.Errorf("%v: %v allocations per frame, want 0", pf, n)
		}
		f.Release()
	}
}

func TestErrors(t *testing.T) {
	gputest.Uploader(t) // skips without an adapter
	u, err := gpu.NewUploader(context.Background(), gputest.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, "testsrc:camera", miniav.WithVideo(format.Video{Width: 64, Height: 48, PixelFormat: format.MJPEG, FrameRate: format.FPS(30)}))
	f := next(t, s)
	if _, err := u.Upload(f); !errors.Is(err, miniav.ErrNotSupported) {
		t.Errorf("MJPEG upload: %v, want ErrNotSupported", err)
	}
	if f.Valid() {
		t.Error("a failed Upload did not release the frame")
	}
	s2 := open(t, gputest.Addr(format.GRAY8, 8, 8, 0))
	g := next(t, s2)
	u.Close()
	if _, err := u.Upload(g); !errors.Is(err, miniav.ErrClosed) {
		t.Errorf("upload after Close: %v, want ErrClosed", err)
	}
	if _, err := gpu.NewUploader(context.Background(), append(gputest.Options(), gpu.WithAdapter("no such adapter"))...); !errors.Is(err, miniav.ErrNotFound) {
		t.Errorf("missing adapter: %v, want ErrNotFound", err)
	}
}

// The mode asked for is the mode used; the default is the best the
// adapter has (mapped where wgpu-native offers mappable storage buffers).
func TestModes(t *testing.T) {
	us := gputest.Uploaders(t)
	for _, u := range us {
		t.Logf("%v: %v", u.Adapter(), u.Mode())
	}
	if len(us) == 2 && (us[0].Mode() != gpu.ModeMapped || us[1].Mode() != gpu.ModeWriteBuffer) {
		t.Errorf("modes %v and %v, want mapped and write-buffer", us[0].Mode(), us[1].Mode())
	}
	if gputest.Uploader(t).Adapter().Type == "cpu" && us[0].Mode() != gpu.ModeMapped {
		t.Errorf("lavapipe has mappable storage buffers, but the default mode is %v", us[0].Mode())
	}
}
