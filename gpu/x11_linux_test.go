package gpu_test

import (
	"image"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/x11"
	"github.com/miniav-go/miniav/gpu"
	"github.com/miniav-go/miniav/gpu/internal/gputest"
	"github.com/miniav-go/miniav/internal/xvfb"
)

// paint fills rectangles of the root window of display with colours.
func paint(t *testing.T, display string) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Drawable(xproto.Setup(c).DefaultScreen(c).Root)
	for i, rgb := range []uint32{0x404040, 0x112233, 0xff8000, 0x20e0a0, 0xc01060} {
		gc, err := xproto.NewGcontextId(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := xproto.CreateGCChecked(c, gc, root, xproto.GcForeground, []uint32{rgb}).Check(); err != nil {
			t.Fatal(err)
		}
		r := xproto.Rectangle{X: int16(37 * i), Y: int16(23 * i), Width: uint16(400 - 60*i), Height: uint16(300 - 40*i)}
		if err := xproto.PolyFillRectangleChecked(c, root, gc, []xproto.Rectangle{r}).Check(); err != nil {
			t.Fatal(err)
		}
		xproto.FreeGC(c, gc)
	}
}

// convertAndCompare uploads f to u and converts it (releasing f), fails t
// unless the read-back RGBA equals the core's ToRGBA and has the levels of
// the painted rectangles (a uniform frame would compare nothing), and
// returns the path the frame took.
func convertAndCompare(t *testing.T, u *gpu.Uploader, f miniav.Frame, label string) gpu.Mode {
	t.Helper()
	want := coreRGBA(t, f)
	got := make([]byte, len(want))
	im, err := u.Upload(f)
	if err != nil {
		t.Fatal(err)
	}
	mode := im.Mode()
	if err := u.Convert(im, gpu.BT601Limited); err != nil {
		t.Fatal(err)
	}
	if err := u.Read(im, got); err != nil {
		t.Fatal(err)
	}
	im.Release()
	if d := diff(got, want); d != "" {
		t.Errorf("%s via %v: %s", label, mode, d)
	}
	levels := map[byte]bool{}
	for i := 0; i < len(got); i += 4 {
		levels[got[i]] = true
	}
	if len(levels) < 5 {
		t.Errorf("%s: uniform frame (levels %v): nothing was compared", label, levels)
	}
	return mode
}

// Frames of the real X11 backend (Xvfb, coloured rectangles on the root
// window) through every upload path: the GPU conversion equals the core's
// ToRGBA on every frame, and the content is not uniform (so the comparison
// means something).
func TestX11Frames(t *testing.T) {
	us := gputest.Uploaders(t)
	x := xvfb.Start(t)
	paint(t, x.Display)
	for _, shm := range []string{"", "?shm=0"} {
		s := open(t, "x11:"+x.Display+shm, miniav.WithRegion(image.Rect(3, 5, 3+301, 5+199)))
		for _, u := range us {
			for range 3 {
				f := next(t, s)
				v := f.Video()
				if v.Stride(0) != 4*v.Width {
					t.Logf("x11%s: stride %d for %d pixels", shm, v.Stride(0), v.Width)
				}
				convertAndCompare(t, u, f, "x11"+shm)
			}
		}
	}
}

// Frames of the real X11 backend through the host-import path: with
// shared memory every frame is read in place from its segment (imported
// once each: imports == distinct segments, the rest cache hits), equals
// the core's ToRGBA, and the imports are torn down when the stream
// detaches the segments at Close; without shared memory (GetImage into
// process memory that is not page-aligned) every frame falls back to the
// staging path, still exact.
func TestHostImportX11(t *testing.T) {
	u := gputest.HostUploader(t)
	x := xvfb.Start(t)
	paint(t, x.Display)
	for _, shm := range []string{"", "?shm=0"} {
		s := open(t, "x11:"+x.Display+shm, miniav.WithRegion(image.Rect(3, 5, 3+301, 5+199)))
		st := u.HostStats()
		ids := map[uint64]bool{}
		const frames = 10
		for range frames {
			f := next(t, s)
			m := f.Memory()
			if m == nil {
				t.Fatalf("x11%s: frame without Memory", shm)
			}
			if shm == "" && !m.PageAligned() {
				t.Fatalf("x11: shared segment of %d bytes not page-aligned", len(m.Bytes()))
			}
			ids[m.ID()] = true
			mode := convertAndCompare(t, u, f, "x11"+shm)
			if wantMode := map[bool]gpu.Mode{true: gpu.ModeHostImport, false: u.Fallback()}[shm == ""]; mode != wantMode {
				t.Fatalf("x11%s: frame took %v, want %v", shm, mode, wantMode)
			}
		}
		s.Close()
		after := u.HostStats()
		imports, hits, torn := after.Imports-st.Imports, int(after.Hits-st.Hits), after.TornDown-st.TornDown
		t.Logf("x11%s: %d frames from %d regions: %d imports, %d hits, %d torn down", shm, frames, len(ids), imports, hits, torn)
		if shm == "" && (imports != len(ids) || hits != frames-len(ids) || torn != imports || len(ids) >= frames) {
			t.Errorf("x11: %d frames from %d segments gave %d imports, %d hits, %d torn down at Close", frames, len(ids), imports, hits, torn)
		}
		if shm != "" && (imports != 0 || after.Unaligned-st.Unaligned != frames) {
			t.Errorf("x11?shm=0: %d imports, %d unaligned frames, want 0 and %d", imports, after.Unaligned-st.Unaligned, frames)
		}
	}
}
