//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRegistered(t *testing.T) {
	b, ok := backend.Lookup(Name)
	if !ok || b.Name() != "v4l2" {
		t.Fatalf("backend %q not registered", Name)
	}
}

// Paths that are not V4L2 capture devices are refused with a matchable
// error, before anything beyond QUERYCAP touches them.
func TestOpenBadPaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "video0")
	if err := os.WriteFile(file, []byte("not a camera"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "nonexistent"), backend.ErrNotFound},
		{"/dev/video-does-not-exist", backend.ErrNotFound},
		{"", backend.ErrNotFound},
		{dir, backend.ErrNotSupported},
		{file, backend.ErrNotSupported},
		{"/dev/null", backend.ErrNotSupported},
	} {
		s, err := miniav.Open(context.Background(), "v4l2:"+c.path)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", c.path)
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("Open(%q) = %v, want an error matching %v", c.path, err, c.want)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "not a camera" {
		t.Errorf("the regular file was changed: %q, %v", b, err)
	}
}

func TestFourCCMapping(t *testing.T) {
	for _, c := range []struct {
		fourcc uint32
		want   format.PixelFormat
	}{
		{uint32(format.YUYV), format.YUYV},
		{uint32(format.NV12), format.NV12},
		{v4l2.PixFmtNV12M, format.NV12},
		{v4l2.PixFmtNV21M, format.NV21},
		{v4l2.PixFmtYUV420M, format.I420},
		{v4l2.PixFmtYVU420M, format.YV12},
		{v4l2.PixFmtJPEG, format.MJPEG},
		{v4l2.PixFmtMJPEG, format.MJPEG},
		{uint32(format.FourCC('B', 'A', '8', '1')), format.FourCC('B', 'A', '8', '1')},
	} {
		if got := toFormat(c.fourcc); got != c.want {
			t.Errorf("toFormat(%s) = %s, want %s", format.PixelFormat(c.fourcc).FourCC(), got, c.want)
		}
		found := false
		for _, fc := range candidates(c.want) {
			found = found || fc == c.fourcc
		}
		if !found {
			t.Errorf("candidates(%s) = %v lacks %s", c.want, candidates(c.want), format.PixelFormat(c.fourcc).FourCC())
		}
	}
	if c := candidates(format.NV12); c[0] != uint32(format.NV12) {
		t.Errorf("candidates(NV12) prefers %s", format.PixelFormat(c[0]).FourCC())
	}
}

func TestRates(t *testing.T) {
	for _, c := range []struct {
		iv   v4l2.Fract
		want format.Rational
	}{
		{v4l2.Fract{Numerator: 1, Denominator: 30}, format.Rational{Num: 30, Den: 1}},
		{v4l2.Fract{Numerator: 2, Denominator: 25}, format.Rational{Num: 25, Den: 2}},
		{v4l2.Fract{Numerator: 1001, Denominator: 30000}, format.Rational{Num: 30000, Den: 1001}},
		{v4l2.Fract{Numerator: 10, Denominator: 300}, format.Rational{Num: 30, Den: 1}},
		{v4l2.Fract{}, format.Rational{}},
	} {
		got := rateOf(c.iv)
		if got != c.want {
			t.Errorf("rateOf(%d/%d) = %v, want %v", c.iv.Numerator, c.iv.Denominator, got, c.want)
		}
		if !c.want.IsZero() {
			if back := rateOf(intervalOf(got)); back != c.want {
				t.Errorf("intervalOf(%v) does not round-trip: %v", got, back)
			}
		}
	}
}

// Enumeration never fails for lack of cameras, and lists only V4L2 IDs.
func TestDevicesList(t *testing.T) {
	devs, err := Backend{}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Backend != Name || d.Kind != backend.KindCamera || len(d.ID) < len("v4l2:/dev/video0") || d.ID[:len("v4l2:/dev/video")] != "v4l2:/dev/video" {
			t.Errorf("device %+v", d)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Backend{}).Open(ctx, "/dev/video0", backend.Config{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v", err)
	}
}
