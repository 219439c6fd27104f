package x11

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/xvfb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// painter draws on a display from the test.
type painter struct {
	t    *testing.T
	c    *xgb.Conn
	root xproto.Window
}

func newPainter(t *testing.T, display string) *painter {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	go func() { // keep xgb's reader unblocked
		for {
			if ev, err := c.WaitForEvent(); ev == nil && err == nil {
				return
			}
		}
	}()
	t.Cleanup(c.Close)
	return &painter{t: t, c: c, root: xproto.Setup(c).DefaultScreen(c).Root}
}

// fill paints r on drawable d in colour rgb (0xRRGGBB) and waits until the
// server processed it.
func (p *painter) fill(d xproto.Drawable, r image.Rectangle, rgb uint32) {
	p.t.Helper()
	if err := xvfb.FillRect(p.c, d, r, rgb); err != nil {
		p.t.Fatal(err)
	}
}

// scene paints the root grey with two coloured rectangles.
func (p *painter) scene() {
	p.fill(xproto.Drawable(p.root), image.Rect(0, 0, 1920, 1080), 0x404040)
	p.fill(xproto.Drawable(p.root), image.Rect(100, 50, 300, 150), 0x112233)
	p.fill(xproto.Drawable(p.root), image.Rect(1000, 600, 1100, 700), 0xff8000)
}

// window creates and maps a top-level window with a background colour.
func (p *painter) window(r image.Rectangle, rgb uint32) xproto.Window {
	p.t.Helper()
	w, err := xproto.NewWindowId(p.c)
	if err != nil {
		p.t.Fatal(err)
	}
	scr := xproto.Setup(p.c).DefaultScreen(p.c)
	err = xproto.CreateWindowChecked(p.c, scr.RootDepth, w, p.root, int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel, []uint32{rgb}).Check()
	if err != nil {
		p.t.Fatal(err)
	}
	title := "miniav test window"
	xproto.ChangeProperty(p.c, xproto.PropModeReplace, w, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(title)), []byte(title))
	if err := xproto.MapWindowChecked(p.c, w).Check(); err != nil {
		p.t.Fatal(err)
	}
	return w
}

// pixel returns the BGRX bytes at (x, y) of a frame.
func pixel(f miniav.Frame, x, y int) [4]byte {
	v := f.Video()
	o := y*v.Stride(0) + x*4
	return [4]byte(v.Plane(0)[o : o+4])
}

func bgrx(rgb uint32) [4]byte { return [4]byte{byte(rgb), byte(rgb >> 8), byte(rgb >> 16), 0} }

func open(t *testing.T, id string, opts ...miniav.Option) *miniav.Stream {
	t.Helper()
	s, err := miniav.Open(context.Background(), id, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func next(t *testing.T, s *miniav.Stream) miniav.Frame {
	t.Helper()
	select {
	case f, ok := <-s.Frames():
		if !ok {
			t.Fatalf("stream ended: %v", s.Err())
		}
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10 s")
	}
	return miniav.Frame{}
}

type probe struct {
	x, y int
	rgb  uint32
}

func check(t *testing.T, f miniav.Frame, w, h int, probes []probe) {
	t.Helper()
	v := f.Video()
	if v.Width != w || v.Height != h || v.Stride(0) != w*4 || len(v.Plane(0)) != w*h*4 || v.PixelFormat.String() != "BGRX" {
		t.Fatalf("frame %v stride %d len %d, want %dx%d BGRX stride %d", v.Video, v.Stride(0), len(v.Plane(0)), w, h, w*4)
	}
	for _, p := range probes {
		if got, want := pixel(f, p.x, p.y), bgrx(p.rgb); got != want {
			t.Errorf("pixel (%d,%d) = % x, want % x", p.x, p.y, got, want)
		}
	}
}

// sceneProbes are points of scene() in root coordinates.
var sceneProbes = []probe{
	{0, 0, 0x404040}, {100, 50, 0x112233}, {299, 149, 0x112233}, {300, 149, 0x404040}, {99, 50, 0x404040},
	{1000, 600, 0xff8000}, {1099, 699, 0xff8000}, {1100, 700, 0x404040}, {1919, 1079, 0x404040},
}

func TestDisplayRegionFallback(t *testing.T) {
	x := xvfb.Start(t)
	p := newPainter(t, x.Display)
	p.scene()

	t.Run("display", func(t *testing.T) {
		s := open(t, "x11:"+x.Display)
		if in := s.Info(); in.Mode != "mit-shm" || !in.ZeroCopy || in.Video.Width != 1920 || in.Video.Height != 1080 || in.Kind != backend.KindDisplay {
			t.Fatalf("info %+v", in)
		}
		f := next(t, s)
		defer f.Release()
		check(t, f, 1920, 1080, sceneProbes)
	})
	t.Run("region", func(t *testing.T) {
		r := image.Rect(90, 40, 1050, 650)
		s := open(t, "x11:"+x.Display, miniav.WithRegion(r))
		f := next(t, s)
		defer f.Release()
		var pr []probe
		for _, q := range sceneProbes {
			if image.Pt(q.x, q.y).In(r) {
				pr = append(pr, probe{q.x - r.Min.X, q.y - r.Min.Y, q.rgb})
			}
		}
		if len(pr) < 5 {
			t.Fatalf("only %d probes inside the region", len(pr))
		}
		pr = append(pr, probe{0, 0, 0x404040}, probe{959, 609, 0xff8000}, probe{9, 9, 0x404040}, probe{10, 10, 0x112233})
		check(t, f, r.Dx(), r.Dy(), pr)
	})
	t.Run("region outside", func(t *testing.T) {
		for _, r := range []image.Rectangle{image.Rect(1900, 0, 2000, 100), image.Rect(-1, 0, 10, 10)} {
			_, err := miniav.Open(context.Background(), "x11:"+x.Display, miniav.WithRegion(r))
			if !errors.Is(err, backend.ErrNotSupported) {
				t.Errorf("region %v: err %v, want ErrNotSupported", r, err)
			}
		}
	})
	t.Run("fallback", func(t *testing.T) {
		s := open(t, "x11:"+x.Display+"?shm=0")
		if in := s.Info(); in.ZeroCopy || !strings.HasPrefix(in.Mode, "getimage") {
			t.Fatalf("info %+v", in)
		}
		f := next(t, s)
		defer f.Release()
		check(t, f, 1920, 1080, sceneProbes)
		r := image.Rect(1000, 600, 1101, 701)
		s2 := open(t, "x11:"+x.Display+"?shm=0", miniav.WithRegion(r))
		f2 := next(t, s2)
		defer f2.Release()
		check(t, f2, 101, 101, []probe{{0, 0, 0xff8000}, {99, 99, 0xff8000}, {100, 100, 0x404040}})
	})
	t.Run("bad ids", func(t *testing.T) {
		for _, id := range []string{"x11::9999", "x11:" + x.Display + "/window/0x1234567", "x11:" + x.Display + "/window/zz"} {
			if _, err := miniav.Open(context.Background(), id); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("%s: err %v, want ErrNotFound", id, err)
			}
		}
		if _, err := miniav.Open(context.Background(), "x11:"+x.Display+"?shm=maybe"); !errors.Is(err, backend.ErrNotSupported) {
			t.Errorf("shm=maybe: err %v", err)
		}
	})
}

func TestWindow(t *testing.T) {
	x := xvfb.Start(t)
	p := newPainter(t, x.Display)
	p.scene()
	w := p.window(image.Rect(400, 300, 720, 540), 0x2080c0)
	t.Setenv("DISPLAY", x.Display)
	devs, err := Backend{}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("x11:%s/window/%#x", x.Display, uint32(w))
	var found bool
	for _, d := range devs {
		if d.ID == id {
			found = d.Kind == backend.KindWindow && d.Name == "miniav test window" && d.Bounds == image.Rect(400, 300, 720, 540)
			if !found {
				t.Errorf("window device %+v", d)
			}
		}
	}
	if len(devs) == 0 || devs[0].ID != "x11:"+x.Display || devs[0].Kind != backend.KindDisplay || devs[0].Bounds != image.Rect(0, 0, 1920, 1080) {
		t.Fatalf("devices %+v", devs)
	}
	if !found {
		t.Fatalf("window %s not listed in %+v", id, devs)
	}
	var mon *backend.Device
	for i, d := range devs {
		if strings.Contains(d.ID, "/monitor/") {
			mon = &devs[i]
		}
	}
	if mon == nil || mon.Kind != backend.KindDisplay || mon.Bounds != image.Rect(0, 0, 1920, 1080) {
		t.Fatalf("no RandR monitor covering the screen in %+v", devs)
	}
	t.Logf("monitor %s", mon.ID)
	ms := open(t, mon.ID, miniav.WithRegion(image.Rect(950, 590, 1010, 610)))
	mf := next(t, ms)
	check(t, mf, 60, 20, []probe{{0, 0, 0x404040}, {49, 9, 0x404040}, {50, 10, 0xff8000}, {59, 19, 0xff8000}})
	mf.Release()
	ms.Close()
	if _, err := miniav.Open(context.Background(), "x11:"+x.Display+"/monitor/nosuch"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("unknown monitor: %v", err)
	}

	s := open(t, id)
	if in := s.Info(); in.Kind != backend.KindWindow || in.Video.Width != 320 || in.Video.Height != 240 {
		t.Fatalf("info %+v", in)
	}
	f := next(t, s)
	check(t, f, 320, 240, []probe{{0, 0, 0x2080c0}, {319, 239, 0x2080c0}, {160, 120, 0x2080c0}})
	f.Release()

	// Resize: later frames follow.
	xproto.ConfigureWindow(p.c, w, xproto.ConfigWindowWidth|xproto.ConfigWindowHeight, []uint32{200, 100})
	xproto.GetInputFocus(p.c).Reply() // round trip: the resize is done
	deadline := time.Now().Add(5 * time.Second)
	for {
		f := next(t, s)
		v := f.Video()
		if v.Width == 200 && v.Height == 100 {
			check(t, f, 200, 100, []probe{{0, 0, 0x2080c0}, {199, 99, 0x2080c0}})
			f.Release()
			break
		}
		f.Release()
		if time.Now().After(deadline) {
			t.Fatalf("frames still %dx%d after the resize", v.Width, v.Height)
		}
	}

	// Destroy: the stream ends with ErrDeviceLost.
	xproto.DestroyWindow(p.c, w)
	xproto.GetInputFocus(p.c).Reply()
	for f := range s.Frames() {
		f.Release()
	}
	<-s.Done() // Frames closes just before Err is set
	if err := s.Err(); !errors.Is(err, miniav.ErrDeviceLost) {
		t.Fatalf("after destroying the window: %v, want ErrDeviceLost", err)
	}
}

func TestServerDies(t *testing.T) {
	x := xvfb.Start(t)
	s := open(t, "x11:"+x.Display, miniav.WithUnpaced())
	for range 5 {
		next(t, s).Release()
	}
	x.Kill()
	for f := range s.Frames() {
		f.Release()
	}
	<-s.Done() // Frames closes just before Err is set
	if err := s.Err(); !errors.Is(err, miniav.ErrDeviceLost) {
		t.Fatalf("after killing Xvfb: %v, want ErrDeviceLost", err)
	}
	s.Close()
	if o := s.Stats().Outstanding; o != 0 {
		t.Fatalf("outstanding %d", o)
	}
}

func TestPacing(t *testing.T) {
	x := xvfb.Start(t)
	s := open(t, "x11:"+x.Display)
	first := next(t, s)
	start, seq0 := first.Timestamp(), first.Sequence()
	first.Release()
	n := 0
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	var last miniav.Frame
loop:
	for {
		select {
		case f := <-s.Frames():
			n++
			last.Release()
			last = f
		case <-timer.C:
			break loop
		}
	}
	defer last.Release()
	if n < 145 || n > 155 {
		t.Errorf("%d frames in 5 s at 30 fps, want 150 ± 5", n)
	}
	// Sequence numbers are schedule ticks: they advance at least once per
	// frame and no faster than the clock.
	if k := last.Sequence() - seq0; k < uint64(n) || k > 155 {
		t.Errorf("sequence advanced by %d over %d frames in 5 s", k, n)
	}
	if last.Timestamp() <= start {
		t.Errorf("timestamps do not increase: %v after %v", last.Timestamp(), start)
	}
}

// TestAttachFailsFallsBack opens the source from a thread in a private IPC
// namespace: the X server cannot find our segments (BadAccess/BadValue),
// so capture must fall back to plain GetImage on its own.
func TestAttachFailsFallsBack(t *testing.T) {
	x := xvfb.Start(t)
	p := newPainter(t, x.Display)
	p.scene()
	type opened struct {
		src backend.Source
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		// The locked thread stays in the new namespace and dies with this
		// goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWIPC); err != nil {
			ch <- opened{err: fmt.Errorf("unshare: %w", err)}
			return
		}
		src, err := Backend{}.Open(context.Background(), x.Display, backend.Config{})
		ch <- opened{src, err}
	}()
	o := <-ch
	if errors.Is(o.err, unix.EPERM) {
		t.Skipf("no permission to create an IPC namespace: %v", o.err)
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	defer o.src.Close()
	in := o.src.Info()
	if in.ZeroCopy || !strings.HasPrefix(in.Mode, "getimage (MIT-SHM attach failed") {
		t.Fatalf("info %+v, want the GetImage fallback", in)
	}
	t.Logf("mode: %s", in.Mode)
	var b backend.Buffer
	if err := o.src.Read(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	defer b.Releaser.ReleaseBuffer(b.Token)
	for _, q := range sceneProbes {
		o := q.y*b.Strides[0] + q.x*4
		if got := [4]byte(b.Planes[0][o : o+4]); got != bgrx(q.rgb) {
			t.Errorf("(%d,%d) = % x, want % x", q.x, q.y, got, bgrx(q.rgb))
		}
	}
}

func TestCursor(t *testing.T) {
	x := xvfb.Start(t)
	p := newPainter(t, x.Display)
	p.scene()
	const px, py = 500, 400
	xproto.WarpPointer(p.c, xproto.WindowNone, p.root, 0, 0, 0, 0, px, py)
	if err := xfixes.Init(p.c); err != nil {
		t.Fatal(err)
	}
	if _, err := xfixes.QueryVersion(p.c, 4, 0).Reply(); err != nil {
		t.Fatal(err)
	}
	cur, err := xfixes.GetCursorImage(p.c).Reply()
	if err != nil {
		t.Fatal(err)
	}
	if cur.X != px || cur.Y != py || cur.Width == 0 {
		t.Fatalf("cursor at %d,%d size %dx%d", cur.X, cur.Y, cur.Width, cur.Height)
	}
	box := image.Rect(0, 0, int(cur.Width), int(cur.Height)).Add(image.Pt(px-int(cur.Xhot), py-int(cur.Yhot)))
	region := box.Inset(-20)
	bg := bgrx(0x404040)

	off := open(t, "x11:"+x.Display, miniav.WithRegion(region))
	f := next(t, off)
	for y := range region.Dy() {
		for x := range region.Dx() {
			if got := pixel(f, x, y); got != bg {
				t.Fatalf("cursor off: (%d,%d) = % x, want the background", x, y, got)
			}
		}
	}
	f.Release()

	on := open(t, "x11:"+x.Display, miniav.WithRegion(region), miniav.WithCursor(true))
	f = next(t, on)
	defer f.Release()
	match, changed := cursorFrame(f, region, cur, bg)
	if !match {
		t.Fatalf("cursor on: the frame is not the cursor image blended over the background")
	}
	if changed < 10 {
		t.Fatalf("cursor on: only %d pixels differ from the background", changed)
	}
}

// cursorFrame reports whether frame f of region shows cursor cur (at
// its position) blended over the plain background bg.
func cursorFrame(f miniav.Frame, region image.Rectangle, cur *xfixes.GetCursorImageReply, bg [4]byte) (match bool, changed int) {
	box := image.Rect(0, 0, int(cur.Width), int(cur.Height)).Add(image.Pt(int(cur.X)-int(cur.Xhot), int(cur.Y)-int(cur.Yhot)))
	match = true
	for y := range region.Dy() {
		for x := range region.Dx() {
			want := bg
			cx, cy := x+region.Min.X-box.Min.X, y+region.Min.Y-box.Min.Y
			if cx >= 0 && cy >= 0 && cx < box.Dx() && cy < box.Dy() {
				s := cur.CursorImage[cy*box.Dx()+cx]
				a := int(s >> 24)
				for i := range 3 {
					want[i] = byte(min(255, int(s>>(8*i))&0xff+(int(bg[i])*(255-a)+127)/255))
				}
			}
			got := pixel(f, x, y)
			if got != want {
				match = false
			}
			if got != bg {
				changed++
			}
		}
	}
	return match, changed
}

// TestCursorChange changes the root's cursor during capture: the XFIXES
// CursorNotify event makes the next frames draw the new image, and
// moving the pointer moves it.
func TestCursorChange(t *testing.T) {
	x := xvfb.Start(t)
	p := newPainter(t, x.Display)
	p.scene()
	xproto.WarpPointer(p.c, xproto.WindowNone, p.root, 0, 0, 0, 0, 500, 400)
	if err := xfixes.Init(p.c); err != nil {
		t.Fatal(err)
	}
	if _, err := xfixes.QueryVersion(p.c, 4, 0).Reply(); err != nil {
		t.Fatal(err)
	}
	region := image.Rect(400, 300, 700, 560)
	s := open(t, "x11:"+x.Display, miniav.WithRegion(region), miniav.WithCursor(true), miniav.WithUnpaced())
	bg := bgrx(0x404040)
	// waitFor reads frames until one shows the server's current cursor.
	waitFor := func(what string) {
		t.Helper()
		cur, err := xfixes.GetCursorImage(p.c).Reply()
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			f := next(t, s)
			ok, changed := cursorFrame(f, region, cur, bg)
			f.Release()
			if ok && changed >= 10 {
				return
			}
		}
		t.Fatalf("%s: no frame shows the %dx%d cursor at %d,%d", what, cur.Width, cur.Height, cur.X, cur.Y)
	}
	waitFor("default cursor")
	before, _ := xfixes.GetCursorImage(p.c).Reply()

	// A glyph cursor (XC_fleur) on the root.
	font, _ := xproto.NewFontId(p.c)
	if err := xproto.OpenFontChecked(p.c, font, uint16(len("cursor")), "cursor").Check(); err != nil {
		t.Fatal(err)
	}
	cid, _ := xproto.NewCursorId(p.c)
	if err := xproto.CreateGlyphCursorChecked(p.c, cid, font, font, 52, 53, 0xffff, 0, 0, 0, 0, 0).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.ChangeWindowAttributesChecked(p.c, p.root, xproto.CwCursor, []uint32{uint32(cid)}).Check(); err != nil {
		t.Fatal(err)
	}
	after, _ := xfixes.GetCursorImage(p.c).Reply()
	if after.CursorSerial == before.CursorSerial {
		t.Fatalf("the cursor did not change (serial %d)", after.CursorSerial)
	}
	waitFor("glyph cursor")
	xproto.WarpPointer(p.c, xproto.WindowNone, p.root, 0, 0, 0, 0, 600, 450)
	waitFor("moved pointer")
}

// BenchmarkCapture reads and releases unpaced 1920x1080 frames through
// MIT-SHM and through plain GetImage (ns/op is the time per frame; allocs/op
// is 0: requests and replies use fixed buffers).
func BenchmarkCapture(b *testing.B) {
	for _, id := range []string{"", "?shm=0"} {
		b.Run("mode="+map[string]string{"": "mit-shm", "?shm=0": "getimage"}[id], func(b *testing.B) {
			x := xvfb.Start(b)
			src, err := Backend{}.Open(context.Background(), x.Display+id, backend.Config{Unpaced: true})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			var buf backend.Buffer
			b.ReportAllocs()
			b.SetBytes(1920 * 1080 * 4)
			for b.Loop() {
				if err := src.Read(context.Background(), &buf); err != nil {
					b.Fatal(err)
				}
				buf.Releaser.ReleaseBuffer(buf.Token)
			}
		})
	}
}

// Every capture mode passes the backend contract kit against Xvfb: the
// segments are distinct, wait for their release, stay readable across
// Close and are gone after it; steady-state capture allocates nothing.
func TestContract(t *testing.T) {
	x := xvfb.Start(t)
	p := newPainter(t, x.Display)
	p.scene()
	w := p.window(image.Rect(400, 300, 720, 540), 0x2080c0)
	small := image.Rect(10, 20, 330, 260)
	for _, c := range []struct {
		name, id string
		cfg      backend.Config
	}{
		{"mit-shm unpaced", x.Display, backend.Config{Unpaced: true}},
		{"mit-shm paced", x.Display, backend.Config{Region: small, Video: format.Video{FrameRate: format.FPS(200)}}},
		{"mit-shm cursor", x.Display, backend.Config{Unpaced: true, Region: small, Cursor: true}},
		{"getimage", x.Display + "?shm=0", backend.Config{Unpaced: true, Region: small}},
		{"window", fmt.Sprintf("%s/window/%#x", x.Display, uint32(w)), backend.Config{Unpaced: true, Cursor: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Shared segments are whole pages; GetImage buffers are
			// process memory, lent with an identity too.
			aligned := !strings.Contains(c.id, "shm=0")
			backendtest.Run(t, "x11:"+c.id, backendtest.WithConfig(c.cfg), backendtest.NoDeviceTimestamps(), backendtest.LendsMemory(aligned))
		})
	}
}

// TestAuthCookie runs capture on a server that wants a cookie: both
// connections authenticate from $XAUTHORITY; without it Open fails with
// ErrPermissionDenied.
func TestAuthCookie(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	record := func(num string, cookie []byte) []byte {
		var b []byte
		b = binary.BigEndian.AppendUint16(b, 256) // FamilyLocal
		for _, f := range [][]byte{[]byte(host), []byte(num), []byte("MIT-MAGIC-COOKIE-1"), cookie} {
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			b = append(b, f...)
		}
		return b
	}
	cookie := []byte("0123456789abcdef")
	dir := t.TempDir()
	srv := filepath.Join(dir, "server")
	if err := os.WriteFile(srv, record("", cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	x := xvfb.StartArgs(t, "-auth", srv)
	t.Setenv("XAUTHORITY", filepath.Join(dir, "missing"))
	if _, err := (Backend{}).Open(context.Background(), x.Display, backend.Config{}); !errors.Is(err, backend.ErrPermissionDenied) {
		t.Fatalf("Open without a cookie: %v, want ErrPermissionDenied", err)
	}
	client := filepath.Join(dir, "client")
	if err := os.WriteFile(client, record(x.Display[1:], cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XAUTHORITY", client)
	src, err := Backend{}.Open(context.Background(), x.Display, backend.Config{Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var b backend.Buffer
	if err := src.Read(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	b.Releaser.ReleaseBuffer(b.Token)
	if b.Video.Width != 1920 || len(b.Planes[0]) != 1920*1080*4 {
		t.Fatalf("frame %v, %d bytes", b.Video, len(b.Planes[0]))
	}
}
