package testsrc_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openSrc(t *testing.T, addr string, cfg backend.Config) backend.Source {
	t.Helper()
	s, err := testsrc.Backend{}.Open(context.Background(), addr, cfg)
	if err != nil {
		t.Fatalf("Open(%q): %v", addr, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each format carries the frame index and the moving bars.
func TestPatternEveryFormat(t *testing.T) {
	const w, h = 320, 64
	for _, pf := range testsrc.VideoFormats {
		src := openSrc(t, "camera", backend.Config{Video: format.Video{Width: w, Height: h, PixelFormat: pf, FrameRate: format.FPS(1000)}, Unpaced: true})
		for k := uint64(0); k < 3; k++ {
			var b backend.Buffer
			if err := src.Read(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			if b.Sequence != k || b.NumPlanes != pf.NumPlanes() || b.Video.PixelFormat != pf {
				t.Fatalf("%v: buffer %+v", pf, b.Video)
			}
			got, ok := testsrc.DecodeIndex(b.Video, b.Planes[:b.NumPlanes], b.Strides[:b.NumPlanes])
			if !ok || uint64(got) != k {
				t.Fatalf("%v frame %d: stamp %d %v", pf, k, got, ok)
			}
			// The luma (or red) of the bar under column x follows BarAt.
			x, y := 200, h-1
			bar := testsrc.BarAt(x, w, k)
			p, s := b.Planes[0], b.Strides[0]
			var got8, want8 byte
			switch pf {
			case format.I420, format.NV12:
				got8, want8 = p[y*s+x], testsrc.BarYUV(bar)[0]
			case format.GRAY8:
				got8, want8 = p[y*s+x], testsrc.BarGray(bar)
			case format.YUYV:
				got8, want8 = p[y*s+2*x], testsrc.BarYUV(bar)[0]
			case format.UYVY:
				got8, want8 = p[y*s+2*x+1], testsrc.BarYUV(bar)[0]
			case format.RGBA, format.RGB24:
				got8, want8 = p[y*s+x*(s/w)], testsrc.BarRGB(bar)[0]
			default: // BGR*
				got8, want8 = p[y*s+x*(s/w)+2], testsrc.BarRGB(bar)[0]
			}
			if got8 != want8 {
				t.Fatalf("%v frame %d column %d: %d, want %d (bar %d)", pf, k, x, got8, want8, bar)
			}
			b.Releaser.ReleaseBuffer(b.Token)
		}
	}
}

// ?noise=N moves every luma byte below the stamp by at most N from the
// bars, differently in every frame but the same for the same frame; the
// stamp still reads, and the noise is not added twice to a recycled
// buffer in static mode.
func TestNoise(t *testing.T) {
	const w, h, n = 320, 64, 6
	cfg := backend.Config{Video: format.Video{Width: w, Height: h, PixelFormat: format.I420, FrameRate: format.FPS(1000)}, Unpaced: true}
	read := func(addr string, frames int) [][]byte {
		src := openSrc(t, addr, cfg)
		var out [][]byte
		for k := range frames {
			var b backend.Buffer
			if err := src.Read(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			if got, ok := testsrc.DecodeIndex(b.Video, b.Planes[:b.NumPlanes], b.Strides[:b.NumPlanes]); !ok || int(got) != k {
				t.Fatalf("%s frame %d: stamp %d %v", addr, k, got, ok)
			}
			out = append(out, append([]byte(nil), b.Planes[0][:w*h]...))
			b.Releaser.ReleaseBuffer(b.Token)
		}
		return out
	}
	y0 := testsrc.StampRect(w, h).Max.Y
	for _, static := range []string{"0", "1"} {
		clean := read("camera?static="+static, 8)
		noisy := read("camera?noise=6&static="+static, 8)
		again := read("camera?noise=6&static="+static, 8)
		for k := range noisy {
			moved, most := 0, 0
			for i := y0 * w; i < w*h; i++ {
				d := int(noisy[k][i]) - int(clean[k][i])
				most = max(most, d, -d)
				if d != 0 {
					moved++
				}
			}
			if most > n || moved < (w*h-y0*w)/2 {
				t.Errorf("static=%s frame %d: %d of %d bytes moved, by up to %d (want most, by at most %d)", static, k, moved, w*h-y0*w, most, n)
			}
			if string(noisy[k]) != string(again[k]) {
				t.Errorf("static=%s frame %d: the noise differs between two sources", static, k)
			}
			if k > 0 && string(noisy[k][y0*w:]) == string(noisy[k-1][y0*w:]) && static == "1" {
				t.Errorf("static=%s frame %d: the same noise as frame %d", static, k, k-1)
			}
		}
	}
}

// Frame k is stamped exactly k intervals after frame 0: the schedule is
// absolute, so it cannot drift.
func TestScheduleIsAbsolute(t *testing.T) {
	rate := format.Rational{Num: 30000, Den: 1001}
	src := openSrc(t, "camera", backend.Config{Video: format.Video{Width: 64, Height: 16, PixelFormat: format.GRAY8, FrameRate: rate}})
	for k := range 5 {
		var b backend.Buffer
		if err := src.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if want := time.Duration(k) * rate.Interval(); b.DeviceTimestamp != want || b.Sequence != uint64(k) {
			t.Fatalf("frame %d: device time %v, want %v", b.Sequence, b.DeviceTimestamp, want)
		}
		b.Releaser.ReleaseBuffer(0)
	}
}

// A held-up reader resumes at the current frame: the missed ones are
// skipped, not delivered in a burst.
func TestResumeAfterStallSkips(t *testing.T) {
	src := openSrc(t, "camera", backend.Config{Video: format.Video{Width: 64, Height: 16, PixelFormat: format.GRAY8, FrameRate: format.FPS(100)}})
	var b backend.Buffer
	src.Read(context.Background(), &b)
	b.Releaser.ReleaseBuffer(0)
	time.Sleep(200 * time.Millisecond)
	src.Read(context.Background(), &b)
	b.Releaser.ReleaseBuffer(0)
	first := b.Sequence
	src.Read(context.Background(), &b)
	b.Releaser.ReleaseBuffer(0)
	if first < 15 || b.Sequence != first+1 {
		t.Fatalf("after a 20-frame stall: sequences %d then %d", first, b.Sequence)
	}
	if b.DeviceTimestamp != time.Duration(b.Sequence)*10*time.Millisecond {
		t.Fatalf("resumed off the schedule: %v for frame %d", b.DeviceTimestamp, b.Sequence)
	}
}

// The synthetic devices pass the backend contract kit, paced and unpaced.
func TestContract(t *testing.T) {
	for _, c := range []struct {
		id  string
		cfg backend.Config
	}{
		{"testsrc:camera", backend.Config{Video: format.Video{Width: 320, Height: 240, PixelFormat: format.NV12, FrameRate: format.FPS(200)}}},
		{"testsrc:camera?static=1", backend.Config{Video: format.Video{Width: 64, Height: 32, PixelFormat: format.YUYV}, Unpaced: true}},
		{"testsrc:screen", backend.Config{Video: format.Video{Width: 640, Height: 360, FrameRate: format.FPS(100)}}},
		{"testsrc:microphone", backend.Config{Audio: format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 240}}},
		{"testsrc:microphone?freq=1000", backend.Config{Audio: format.Audio{SampleRate: 8000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 80}, Unpaced: true}},
	} {
		// Every buffer comes from the source's pool with its Memory;
		// video buffers are at least a page and so page-aligned.
		aligned := c.cfg.Video.Width > 0
		t.Run(c.id, func(t *testing.T) {
			backendtest.Run(t, c.id, backendtest.WithConfig(c.cfg), backendtest.LendsMemory(aligned))
		})
	}
}

// The tone continues across buffers: every sample equals the sine at its
// absolute index.
func TestToneIsContinuous(t *testing.T) {
	a := format.Audio{SampleRate: 8000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 80}
	src := openSrc(t, "microphone?freq=1000", backend.Config{Audio: a, Unpaced: true})
	for k := range 4 {
		var b backend.Buffer
		if err := src.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.Sequence != uint64(k*80) || b.Frames != 80 || len(b.Planes[0]) != 80*2*4 {
			t.Fatalf("period %d: seq %d frames %d bytes %d", k, b.Sequence, b.Frames, len(b.Planes[0]))
		}
		for i := range 80 {
			n := b.Sequence + uint64(i)
			want := testsrc.Amplitude * math.Sin(2*math.Pi*1000*float64(n)/8000)
			for c := range 2 {
				o := (i*2 + c) * 4
				got := math.Float32frombits(uint32(b.Planes[0][o]) | uint32(b.Planes[0][o+1])<<8 | uint32(b.Planes[0][o+2])<<16 | uint32(b.Planes[0][o+3])<<24)
				if math.Abs(float64(got)-want) > 1e-6 {
					t.Fatalf("sample %d ch %d = %v, want %v", n, c, got, want)
				}
			}
		}
		b.Releaser.ReleaseBuffer(0)
	}
}

func TestBadRequests(t *testing.T) {
	cases := map[string]backend.Config{
		"nothing":            {},
		"camera?x=1":         {},
		"camera?lose=abc":    {},
		"camera ":            {},
		"microphone?freq=-1": {},
		"camera?noise=128":   {},
		"camera?noise=-1":    {},
	}
	for addr, cfg := range cases {
		if _, err := (testsrc.Backend{}).Open(context.Background(), addr, cfg); err == nil {
			t.Errorf("Open(%q) succeeded", addr)
		}
	}
	if _, err := (testsrc.Backend{}).Open(context.Background(), "screen", backend.Config{Video: format.Video{PixelFormat: format.NV21}}); !errors.Is(err, backend.ErrNotSupported) {
		t.Errorf("NV21 screen: %v", err)
	}
}

func TestDevicesDescribeFormats(t *testing.T) {
	ds, err := testsrc.Backend{}.Devices(context.Background())
	if err != nil || len(ds) != 3 {
		t.Fatal(ds, err)
	}
	cam := ds[0]
	if !cam.Video[0].Supports(format.Video{Width: 640, Height: 480, PixelFormat: format.I420, FrameRate: format.FPS(30)}) {
		t.Fatalf("camera caps %v", cam.Video)
	}
}

// MJPEG frames are JPEGs of the I420 pattern: decoded, they carry the
// frame index and the bars' luma (within the encoder's error).
func TestMJPEG(t *testing.T) {
	const w, h = 320, 96
	src := openSrc(t, "camera?quality=95", backend.Config{Video: format.Video{Width: w, Height: h, PixelFormat: format.MJPEG, FrameRate: format.FPS(1000)}, Unpaced: true})
	if v := src.Info().Video; v.PixelFormat != format.MJPEG || v.Width != w {
		t.Fatalf("info %v", v)
	}
	for k := uint64(0); k < 3; k++ {
		var b backend.Buffer
		if err := src.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		data := b.Planes[0]
		if b.NumPlanes != 1 || len(data) < 100 || data[0] != 0xFF || data[1] != 0xD8 || data[len(data)-2] != 0xFF || data[len(data)-1] != 0xD9 {
			t.Fatalf("frame %d: %d planes, %d bytes: not a JPEG", k, b.NumPlanes, len(data))
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
		m, ok := img.(*image.YCbCr)
		if !ok || m.SubsampleRatio != image.YCbCrSubsampleRatio420 || m.Rect.Dx() != w || m.Rect.Dy() != h {
			t.Fatalf("frame %d: %T %v", k, img, img.Bounds())
		}
		v := format.Video{Width: w, Height: h, PixelFormat: format.I420}
		got, ok := testsrc.DecodeIndex(v, [][]byte{m.Y}, []int{m.YStride})
		if !ok || uint64(got) != k {
			t.Fatalf("frame %d: stamp %d %v", k, got, ok)
		}
		for _, x := range []int{20, 100, 200, 300} {
			y := h - 8
			want := int(testsrc.BarYUV(testsrc.BarAt(x, w, k))[0])
			// Away from bar edges the decoded luma is within a few levels.
			if testsrc.BarAt(x-4, w, k) != testsrc.BarAt(x+4, w, k) {
				continue
			}
			if d := int(m.Y[y*m.YStride+x]) - want; d > 3 || d < -3 {
				t.Errorf("frame %d column %d: luma %d, want %d", k, x, m.Y[y*m.YStride+x], want)
			}
		}
		b.Releaser.ReleaseBuffer(b.Token)
	}
}

// The webcam offers raw YUYV only at small sizes and MJPEG up to 1080p.
func TestWebcamCaps(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		v  format.Video
		ok bool
	}{
		{format.Video{}, true},
		{format.Video{Width: 640, Height: 480, PixelFormat: format.YUYV, FrameRate: format.FPS(30)}, true},
		{format.Video{Width: 1280, Height: 720, PixelFormat: format.MJPEG, FrameRate: format.FPS(30)}, true},
		{format.Video{Width: 1280, Height: 720, PixelFormat: format.YUYV}, false},
		{format.Video{Width: 1920, Height: 1080, PixelFormat: format.MJPEG, FrameRate: format.FPS(60)}, false},
		{format.Video{Width: 640, Height: 480, PixelFormat: format.I420}, false},
	} {
		s, err := testsrc.Backend{}.Open(ctx, "camera?webcam=1", backend.Config{Video: c.v})
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, backend.ErrNotSupported)) {
			t.Errorf("%v: %v", c.v, err)
		}
		if err == nil {
			s.Close()
		}
	}
}
