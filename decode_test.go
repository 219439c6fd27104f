package miniav_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/jpegdec"
	"github.com/miniav-go/miniav/internal/testenv"
)

var mjpegSmall = format.Video{Width: 320, Height: 96, PixelFormat: format.MJPEG, FrameRate: format.FPS(1000)}

func needTurbo(t *testing.T) {
	t.Helper()
	if !jpegdec.HasTurbo {
		t.Skip("skipping: this build has no TurboJPEG (it needs cgo on Linux, macOS or FreeBSD); the pure-Go decoder's tests run")
	}
	d, err := jpegdec.NewTurbo()
	if err != nil {
		testenv.Missing(t, "TurboJPEG: %v", err)
	}
	d.Close()
}

// A decoding stream delivers I420 frames that carry the source's pattern,
// index stamp, sequence numbers and timestamps, in order, with both
// decoders; the compressed buffers go back to the source as frames are
// decoded, so holding decoded frames never starves it.
func TestDecodeStream(t *testing.T) {
	needTurbo(t)
	for _, c := range []struct {
		opt  miniav.Option
		mode string
	}{{miniav.WithDecode(), "decode:turbojpeg"}, {miniav.WithPureGoDecode(), "decode:image/jpeg"}} {
		t.Run(c.mode, func(t *testing.T) {
			// Two source buffers: a stream holding compressed buffers
			// would stall after two frames.
			s := open(t, context.Background(), "testsrc:camera?quality=95", miniav.WithVideo(mjpegSmall), c.opt,
				miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block), miniav.WithBuffers(2), miniav.WithQueue(2))
			info := s.Info()
			if !info.Decode || info.SourceVideo.PixelFormat != format.MJPEG || info.Video.PixelFormat != format.I420 ||
				info.Video.Width != 320 || info.ZeroCopy || !strings.HasSuffix(info.Mode, "+"+c.mode) {
				t.Fatalf("info %+v", info)
			}
			var held []miniav.Frame
			var last miniav.Frame
			for k := uint64(0); k < 12; k++ {
				f := recv(t, s)
				v := f.Video()
				if v.PixelFormat != format.I420 || v.NumPlanes() != 3 || v.Width != 320 || v.Height != 96 ||
					v.Stride(0) != 320 || v.Stride(1) != 160 || len(v.Plane(0)) != 320*96 || len(v.Plane(2)) != 160*48 {
					t.Fatalf("frame %d: %v, %d planes, strides %d %d", k, v.Video, v.NumPlanes(), v.Stride(0), v.Stride(1))
				}
				if f.Sequence() != k || index(t, f) != k {
					t.Fatalf("frame %d: sequence %d, stamp %d", k, f.Sequence(), index(t, f))
				}
				if last.Valid() && f.Timestamp() <= last.Timestamp() {
					t.Fatalf("frame %d: timestamp %v after %v", k, f.Timestamp(), last.Timestamp())
				}
				// Bars: luma within a few levels of the source's pattern
				// away from bar edges (quality 95).
				const y = 80
				for _, x := range []int{20, 100, 180, 260} {
					bar := testsrc.BarAt(x, 320, k)
					if bar != testsrc.BarAt(x-6, 320, k) || bar != testsrc.BarAt(x+6, 320, k) {
						continue
					}
					got, want := int(v.Plane(0)[y*320+x]), int(testsrc.BarYUV(bar)[0])
					if got-want > 3 || want-got > 3 {
						t.Errorf("frame %d column %d: luma %d, want %d±3", k, x, got, want)
					}
				}
				if last.Valid() && len(held) < 6 {
					held = append(held, last) // hold 6 decoded frames
				} else if last.Valid() {
					last.Release()
				}
				last = f
			}
			last.Release()
			for _, f := range held {
				f.Release()
			}
			st := s.Stats()
			if st.Dropped.Total() != 0 || st.Outstanding != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// Turbo and pure-Go streams over the same source frames agree within ±1.
func TestDecodeStreamsAgree(t *testing.T) {
	needTurbo(t)
	open2 := func(opt miniav.Option) *miniav.Stream {
		return open(t, context.Background(), "testsrc:camera?ring=4", miniav.WithVideo(format.Video{Width: 320, Height: 96, PixelFormat: format.MJPEG}),
			opt, miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block))
	}
	a, b := open2(miniav.WithDecode()), open2(miniav.WithPureGoDecode())
	for k := range 4 {
		fa, fb := recv(t, a), recv(t, b)
		va, vb := fa.Video(), fb.Video()
		if va.Video != vb.Video || va.Width != 320 {
			t.Fatalf("%v vs %v", va.Video, vb.Video)
		}
		maxd := 0
		for i := range 3 {
			pa, pb := va.Plane(i), vb.Plane(i)
			bpl, rows := va.PixelFormat.PlaneSize(i, 320, 96)
			for y := range rows {
				for x := range bpl {
					d := int(pa[y*va.Stride(i)+x]) - int(pb[y*vb.Stride(i)+x])
					maxd = max(maxd, d, -d)
				}
			}
		}
		if maxd > 1 {
			t.Errorf("frame %d: decoders differ by %d", k, maxd)
		}
		fa.Release()
		fb.Release()
	}
}

// Truncated frames are dropped with reason "error"; the stream goes on,
// and their sequence numbers are not counted again as device drops.
func TestDecodeDropsCorruptFrames(t *testing.T) {
	for _, opt := range []miniav.Option{miniav.WithDecode(), miniav.WithPureGoDecode()} {
		s := open(t, context.Background(), "testsrc:camera?corrupt=3", miniav.WithVideo(mjpegSmall), opt,
			miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block))
		var seqs []uint64
		for range 8 {
			f := recv(t, s)
			if f.Sequence() != index(t, f) {
				t.Fatalf("sequence %d, stamp %d", f.Sequence(), index(t, f))
			}
			seqs = append(seqs, f.Sequence())
			f.Release()
		}
		// Frames 2, 5, 8, 11 are cut short.
		want := []uint64{0, 1, 3, 4, 6, 7, 9, 10}
		for i := range want {
			if seqs[i] != want[i] {
				t.Fatalf("%s: sequences %v, want %v", s.Info().Mode, seqs, want)
			}
		}
		st := s.Stats()
		if st.Dropped[backend.DropError] < 3 || st.Dropped[backend.DropDevice] != 0 {
			t.Errorf("%s: drops %v", s.Info().Mode, st.Dropped)
		}
		s.Close()
	}
}

// Asking for a raw format at a size the device offers only as MJPEG
// decodes by itself; a size it offers raw does not decode.
func TestDecodeChosenAutomatically(t *testing.T) {
	ctx := context.Background()
	s := open(t, ctx, "testsrc:camera?webcam=1", miniav.WithVideo(format.Video{Width: 1280, Height: 720, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	info := s.Info()
	if !info.Decode || info.SourceVideo.PixelFormat != format.MJPEG || info.Video.Width != 1280 || info.Video.PixelFormat != format.I420 || !strings.Contains(info.Mode, "decode:") {
		t.Fatalf("1280x720 I420 from the webcam: %+v", info)
	}
	f := recv(t, s)
	if v := f.Video(); v.PixelFormat != format.I420 || v.Width != 1280 || v.Height != 720 || index(t, f) != f.Sequence() {
		t.Errorf("frame %v", v.Video)
	}
	f.Release()
	s.Close()

	raw := open(t, ctx, "testsrc:camera?webcam=1", miniav.WithVideo(format.Video{Width: 640, Height: 480, PixelFormat: format.YUYV}))
	if raw.Info().Decode || raw.Info().Video.PixelFormat != format.YUYV {
		t.Errorf("640x480 YUYV: %+v", raw.Info())
	}
	raw.Close()

	// Neither raw nor MJPEG at 60 fps: the raw request's error.
	_, err := miniav.Open(ctx, "testsrc:camera?webcam=1", miniav.WithVideo(format.Video{Width: 1280, Height: 720, PixelFormat: format.I420, FrameRate: format.FPS(60)}))
	if !errors.Is(err, miniav.ErrNotSupported) || !strings.Contains(err.Error(), "I420") {
		t.Errorf("1280x720@60: %v", err)
	}
	// An explicit MJPEG request is passed through.
	mj := open(t, ctx, "testsrc:camera?webcam=1", miniav.WithVideo(format.Video{Width: 1280, Height: 720, PixelFormat: format.MJPEG}))
	if mj.Info().Decode || mj.Info().Video.PixelFormat != format.MJPEG {
		t.Errorf("MJPEG: %+v", mj.Info())
	}
	f = recv(t, mj)
	if v := f.Video(); v.NumPlanes() != 1 || v.Plane(0)[0] != 0xFF || v.Plane(0)[1] != 0xD8 {
		t.Errorf("passed-through frame: %d planes", v.NumPlanes())
	}
	f.Release()
}

// WithDecode on a source of raw frames changes nothing.
func TestDecodeRawSourceUnchanged(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small), miniav.WithDecode())
	if s.Info().Decode || s.Info().Video.PixelFormat != small.PixelFormat || strings.Contains(s.Info().Mode, "decode") {
		t.Errorf("info %+v", s.Info())
	}
}

// A pull stream decodes in Next's caller.
func TestDecodePull(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(mjpegSmall), miniav.WithDecode(), miniav.WithPull(), miniav.WithUnpaced())
	for k := range uint64(3) {
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if f.Video().PixelFormat != format.I420 || index(t, f) != k {
			t.Fatalf("frame %d: %v", k, f.Video().Video)
		}
		f.Release()
	}
}

// Steady-state decoding (turbo) allocates nothing per frame, from the
// source's buffer to the consumer's Release.
func TestDecodeAllocatesNothing(t *testing.T) {
	needTurbo(t)
	s := open(t, context.Background(), "testsrc:camera?ring=8", miniav.WithVideo(format.Video{Width: 640, Height: 480, PixelFormat: format.MJPEG}),
		miniav.WithDecode(), miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block))
	for range 50 {
		f := recv(t, s)
		f.Release()
	}
	allocs := testing.AllocsPerRun(200, func() {
		f := <-s.Frames()
		_ = f.Video().Plane(0)
		f.Release()
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per decoded frame", allocs)
	}
}
