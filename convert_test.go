package miniav_test

import (
	"context"
	"errors"
	"image"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
)

func near(a, b byte, tol int) bool { d := int(a) - int(b); return d >= -tol && d <= tol }

// Every format the synthetic camera renders converts to the bar colours.
func TestToRGBA(t *testing.T) {
	const w, h = 128, 32
	for _, pf := range testsrc.VideoFormats {
		s := open(t, context.Background(), "testsrc:camera?static=1", miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: pf}))
		f := recv(t, s)
		dst := image.NewRGBA(image.Rect(10, 10, 10+w, 10+h))
		if err := f.Video().ToRGBA(dst); err != nil {
			t.Fatalf("%v: %v", pf, err)
		}
		tol := 3
		for bar := range 8 {
			x, y := (2*bar+1)*w/16, h-1
			got := dst.RGBAAt(10+x, 10+y)
			want := testsrc.BarRGB(bar)
			if pf == format.GRAY8 {
				l := testsrc.BarGray(bar)
				if got.R != l || got.G != l || got.B != l || got.A != 255 {
					t.Errorf("%v bar %d: %v, want grey %d", pf, bar, got, l)
				}
				continue
			}
			if !near(got.R, want[0], tol) || !near(got.G, want[1], tol) || !near(got.B, want[2], tol) || got.A != 255 {
				t.Errorf("%v bar %d at x=%d: got %v, want %v", pf, bar, x, got, want)
			}
		}
		f.Release()
		if err := f.Video().ToRGBA(dst); !errors.Is(err, miniav.ErrReleased) {
			t.Errorf("ToRGBA of a released frame: %v", err)
		}
		s.Close()
	}
}

func TestToRGBABadDestination(t *testing.T) {
	s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(small))
	f := recv(t, s)
	defer f.Release()
	if err := f.Video().ToRGBA(image.NewRGBA(image.Rect(0, 0, 10, 10))); !errors.Is(err, miniav.ErrInvalid) {
		t.Fatalf("wrong-size destination: %v", err)
	}
}

func TestImageViewsShareMemory(t *testing.T) {
	for _, pf := range []format.PixelFormat{format.I420, format.GRAY8, format.RGBA, format.NV12} {
		s := open(t, context.Background(), "testsrc:camera", miniav.WithVideo(format.Video{Width: 64, Height: 16, PixelFormat: pf}))
		f := recv(t, s)
		img, err := f.Video().Image()
		if pf == format.NV12 {
			if !errors.Is(err, miniav.ErrNotSupported) {
				t.Fatalf("NV12 Image: %v", err)
			}
			f.Release()
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", pf, err)
		}
		p0 := f.Video().Plane(0)
		var first *byte
		switch im := img.(type) {
		case *image.YCbCr:
			first = &im.Y[0]
		case *image.Gray:
			first = &im.Pix[0]
		case *image.RGBA:
			first = &im.Pix[0]
		default:
			t.Fatalf("%v: %T", pf, img)
		}
		if first != &p0[0] || img.Bounds() != image.Rect(0, 0, 64, 16) {
			t.Fatalf("%v: the image does not view the frame's memory", pf)
		}
		f.Release()
		if _, err := f.Video().Image(); !errors.Is(err, miniav.ErrReleased) {
			t.Fatalf("Image of released frame: %v", err)
		}
		s.Close()
	}
}
