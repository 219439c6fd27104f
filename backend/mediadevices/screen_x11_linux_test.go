//go:build cgo && miniav_pionx11

package mediadevices

import (
	"image"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/xvfb"
)

type rect struct {
	r   image.Rectangle
	rgb uint32 // 0xRRGGBB
}

// fill paints rects, in order, on the root window of display and waits
// until the server has done it.
func fill(t *testing.T, display string, rects []rect) {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Drawable(xproto.Setup(c).DefaultScreen(c).Root)
	for _, r := range rects {
		gc, err := xproto.NewGcontextId(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := xproto.CreateGCChecked(c, gc, root, xproto.GcForeground, []uint32{r.rgb}).Check(); err != nil {
			t.Fatal(err)
		}
		xr := xproto.Rectangle{X: int16(r.r.Min.X), Y: int16(r.r.Min.Y), Width: uint16(r.r.Dx()), Height: uint16(r.r.Dy())}
		if err := xproto.PolyFillRectangleChecked(c, root, gc, []xproto.Rectangle{xr}).Check(); err != nil {
			t.Fatal(err)
		}
		xproto.FreeGC(c, gc)
	}
}

// pion's X11 screen driver on a private Xvfb started after the program:
// found by Rescan, frames carry the painted pixels as RGBA at the asked
// rate. (Run with -tags miniav_pionx11 -run Screen: Rescan replaces pion's
// registry, videotest included.)
func TestScreenX11(t *testing.T) {
	x := xvfb.Start(t)
	t.Setenv("DISPLAY", x.Display)
	fill(t, x.Display, []rect{
		{image.Rect(0, 0, 1920, 1080), 0x404040},
		{image.Rect(100, 50, 300, 150), 0x112233},
		{image.Rect(1000, 600, 1100, 700), 0xff8000},
	})
	if err := Rescan(); err != nil {
		t.Fatal(err)
	}
	d := device(t, Scheme+":X11Screen0")
	if d.Kind != backend.KindDisplay || len(d.Video) != 1 || d.Video[0].PixelFormat != format.RGBA || d.Video[0].Size != format.Discrete(1920, 1080) {
		t.Fatalf("device %+v", d)
	}
	s := open(t, d.ID, miniav.WithVideo(format.Video{FrameRate: format.FPS(20)}))
	if v := s.Info().Video; v != (format.Video{Width: 1920, Height: 1080, PixelFormat: format.RGBA, FrameRate: format.FPS(20)}) {
		t.Fatalf("Info().Video = %v", v)
	}
	var first time.Duration
	for n := range 6 {
		f := next(t, s)
		v := f.Video()
		if v.Width != 1920 || v.Height != 1080 || f.Sequence() != uint64(n) {
			t.Fatalf("frame %d: %v seq %d", n, v.Video, f.Sequence())
		}
		for _, p := range []struct {
			x, y int
			rgb  uint32
		}{{10, 10, 0x404040}, {100, 50, 0x112233}, {299, 149, 0x112233}, {300, 150, 0x404040}, {1050, 650, 0xff8000}, {1919, 1079, 0x404040}} {
			o := p.y*v.Stride(0) + 4*p.x
			got := [4]byte(v.Plane(0)[o : o+4])
			if want := [4]byte{byte(p.rgb >> 16), byte(p.rgb >> 8), byte(p.rgb), 255}; got != want {
				t.Fatalf("frame %d (%d,%d): RGBA %v, want %v", n, p.x, p.y, got, want)
			}
		}
		if n == 0 {
			first = f.Timestamp()
		} else if n == 5 {
			if d := f.Timestamp() - first; d < 150*time.Millisecond || d > 600*time.Millisecond {
				t.Errorf("5 intervals at 20 fps took %v", d)
			}
		}
		f.Release()
	}
}
