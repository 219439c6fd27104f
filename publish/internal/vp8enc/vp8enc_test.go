package vp8enc_test

import (
	"context"
	"errors"
	"image"
	"io"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/prop"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish/internal/vp8enc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type oneFrame struct{ next []byte }

func (r *oneFrame) Read(p []byte) (int, error) {
	if r.next == nil {
		return 0, io.EOF
	}
	n := copy(p, r.next)
	r.next = nil
	return n, nil
}

// testsrc frames encoded at cpu-used 8 decode (with libvpx's decoder)
// to the same stamped index and bars; the first frame and a forced one
// are keyframes, the others not; a steady-state Encode allocates nothing.
func TestEncodeDecode(t *testing.T) {
	const w, h = 640, 360
	ctx := context.Background()
	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(),
		miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	enc, err := vp8enc.New(vp8enc.Config{Width: w, Height: h, Bitrate: 2_000_000, KeyFrameEvery: 600, CPUUsed: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	fr := &oneFrame{}
	dec, err := vpx.NewDecoder(fr, prop.Media{Video: prop.Video{Width: w, Height: h}})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	vf := format.Video{Width: w, Height: h, PixelFormat: format.I420}
	for i := 0; i < 20; i++ {
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		v := f.Video()
		want, ok := testsrc.DecodeIndex(vf, [][]byte{v.Plane(0), v.Plane(1), v.Plane(2)}, []int{v.Stride(0), v.Stride(1), v.Stride(2)})
		if !ok {
			t.Fatal("source frame carries no index")
		}
		data, key, err := enc.Encode(v.Plane(0), v.Plane(1), v.Plane(2), v.Stride(0), v.Stride(1), f.Timestamp(), time.Second/30, i == 10)
		f.Release()
		if err != nil {
			t.Fatal(err)
		}
		if wantKey := i == 0 || i == 10; key != wantKey || len(data) == 0 || (data[0]&1 == 0) != key {
			t.Fatalf("frame %d: key %v (%d bytes), want key %v", i, key, len(data), wantKey)
		}
		fr.next = append([]byte(nil), data...)
		img, _, err := dec.Read()
		if err != nil {
			t.Fatal(err)
		}
		y := img.(*image.YCbCr)
		got, ok := testsrc.DecodeIndex(vf, [][]byte{y.Y, y.Cb, y.Cr}, []int{y.YStride, y.CStride, y.CStride})
		if !ok || got != want {
			t.Fatalf("frame %d: decoded index %d (%v), want %d", i, got, ok, want)
		}
		for _, x := range []int{40, 200, 360, 520} {
			yy := h * 3 / 4
			wantY := testsrc.BarYUV(testsrc.BarAt(x, w, uint64(want)))[0]
			if d := int(y.Y[yy*y.YStride+x]) - int(wantY); d < -12 || d > 12 {
				t.Errorf("frame %d x=%d: luma %d, want %d ±12", i, x, y.Y[yy*y.YStride+x], wantY)
			}
		}
	}
	// Steady state: one picture encoded again and again.
	f, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	v := f.Video()
	pts := f.Timestamp()
	allocs := testing.AllocsPerRun(30, func() {
		pts += time.Second / 30
		if _, _, err := enc.Encode(v.Plane(0), v.Plane(1), v.Plane(2), v.Stride(0), v.Stride(1), pts, time.Second/30, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Encode, want 0", allocs)
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []vp8enc.Config{
		{Width: 0, Height: 360, Bitrate: 1e6},
		{Width: 641, Height: 360, Bitrate: 1e6},
		{Width: 640, Height: 360, Bitrate: 0},
		{Width: 640, Height: 360, Bitrate: 1e6, CPUUsed: 17},
	} {
		if _, err := vp8enc.New(c); !errors.Is(err, vp8enc.ErrInvalid) {
			t.Errorf("New(%+v): %v, want ErrInvalid", c, err)
		}
	}
	enc, err := vp8enc.New(vp8enc.Config{Width: 64, Height: 64, Bitrate: 100_000, CPUUsed: 8})
	if err != nil {
		t.Fatal(err)
	}
	small := make([]byte, 64*32)
	if _, _, err := enc.Encode(small, small, small, 64, 32, 0, 0, false); !errors.Is(err, vp8enc.ErrInvalid) {
		t.Errorf("short planes: %v, want ErrInvalid", err)
	}
	if err := enc.SetBitrate(10); !errors.Is(err, vp8enc.ErrInvalid) {
		t.Errorf("SetBitrate(10): %v, want ErrInvalid", err)
	}
	if err := enc.SetBitrate(200_000); err != nil {
		t.Errorf("SetBitrate: %v", err)
	}
	enc.Close()
	enc.Close()
	y := make([]byte, 64*64)
	if _, _, err := enc.Encode(y, y, y, 64, 32, 0, 0, false); !errors.Is(err, vp8enc.ErrClosed) {
		t.Errorf("Encode after Close: %v, want ErrClosed", err)
	}
}

// testsrc 1280x720 frames (unpaced, the pattern scrolling) encoded at
// 2 Mbit/s, cpu-used 8, one thread: the encoder alone, per frame, with
// the source's read and release, as bench/publish.sh compares to ffmpeg.
func BenchmarkEncode720p(b *testing.B) {
	const w, h = 1280, 720
	s, err := miniav.Open(context.Background(), "testsrc:camera", miniav.WithPull(), miniav.WithUnpaced(),
		miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	enc, err := vp8enc.New(vp8enc.Config{Width: w, Height: h, Bitrate: 2_000_000, KeyFrameEvery: 60, CPUUsed: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	pts := time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		f, err := s.Next()
		if err != nil {
			b.Fatal(err)
		}
		v := f.Video()
		pts += time.Second / 30 // the 30 fps clock the rate control expects
		if _, _, err := enc.Encode(v.Plane(0), v.Plane(1), v.Plane(2), v.Stride(0), v.Stride(1), pts, time.Second/30, false); err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
}
