package gdi

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
)

var (
	procSetCursorPos = user32.NewProc("SetCursorPos")
	procLoadCursorW  = user32.NewProc("LoadCursorW")
	procSetCursor    = user32.NewProc("SetCursor")
	procSetWindowPos = user32.NewProc("SetWindowPos")
)

func open(t testing.TB, id string, cfg backend.Config) backend.Source {
	t.Helper()
	b, a, err := backend.Resolve(id)
	if err != nil {
		t.Fatal(err)
	}
	src, err := b.Open(context.Background(), a, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", id, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// probes are points of the window (window coordinates) whose colour is
// known: each quadrant's centre and its four corner pixels, so that a
// frame off by one pixel fails.
func probes(r image.Rectangle) []image.Point {
	w, h := r.Dx(), r.Dy()
	var ps []image.Point
	for _, q := range []image.Rectangle{image.Rect(0, 0, w/2, h/2), image.Rect(w/2, 0, w, h/2), image.Rect(0, h/2, w/2, h), image.Rect(w/2, h/2, w, h)} {
		ps = append(ps, image.Pt((q.Min.X+q.Max.X)/2, (q.Min.Y+q.Max.Y)/2),
			q.Min, image.Pt(q.Max.X-1, q.Min.Y), image.Pt(q.Min.X, q.Max.Y-1), q.Max.Sub(image.Pt(1, 1)))
	}
	return ps
}

// mismatches compares the frame's pixels at the window's probes (the
// window's top-left corner at off in the frame) with the painted colours.
func mismatches(w *testWindow, b *backend.Buffer, off image.Point) []string {
	var bad []string
	for _, p := range probes(w.r) {
		q := p.Add(off)
		i := q.Y*b.Strides[0] + q.X*4
		got := [3]byte{b.Planes[0][i+2], b.Planes[0][i+1], b.Planes[0][i]}
		if want := w.want(p); got != want {
			bad = append(bad, fmt.Sprintf("at %v: RGB %v, want %v", q, got, want))
		}
	}
	return bad
}

// expectPixels reads frames until one shows the window's colours (the
// window is mapped and painted asynchronously) or 5 s pass.
func expectPixels(t *testing.T, src backend.Source, w *testWindow, off image.Point) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var b backend.Buffer
		if err := src.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.Strides[0] != b.Video.Width*4 || len(b.Planes[0]) != b.Video.Width*b.Video.Height*4 || b.Video.PixelFormat != format.BGRX {
			t.Fatalf("frame %v stride %d, %d bytes", b.Video, b.Strides[0], len(b.Planes[0]))
		}
		var bad []string
		if fit := w.r.Sub(w.r.Min).Add(off); !fit.In(image.Rect(0, 0, b.Video.Width, b.Video.Height)) {
			bad = []string{fmt.Sprintf("frame %dx%d does not hold the window at %v", b.Video.Width, b.Video.Height, fit)}
		} else {
			bad = mismatches(w, &b, off)
		}
		b.Releaser.ReleaseBuffer(b.Token)
		if len(bad) == 0 {
			t.Logf("%d probes of the window match exactly", len(probes(w.r)))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d probes wrong after 5 s: %s", len(bad), len(probes(w.r)), strings.Join(bad, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var winRect = image.Rect(100, 80, 300, 240)

func TestDisplayRegion(t *testing.T) {
	w := newWindow(t, "miniav gdi region", winRect)
	region := winRect.Inset(-10)
	src := open(t, "gdi:", backend.Config{Region: region, Unpaced: true})
	if in := src.Info(); in.Kind != backend.KindDisplay || in.Video.Width != region.Dx() || in.Video.Height != region.Dy() || !in.ZeroCopy || !strings.HasPrefix(in.Mode, "gdi bitblt (") {
		t.Fatalf("info %+v", in)
	}
	expectPixels(t, src, w, image.Pt(10, 10))
}

func TestDisplayMonitor(t *testing.T) {
	w := newWindow(t, "miniav gdi monitor", winRect)
	ds, err := Backend{}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var mon *backend.Device
	for i := range ds {
		if ds[i].ID == "gdi:display/0" {
			mon = &ds[i]
		}
	}
	if mon == nil || ds[0].ID != "gdi:" || !ds[0].Default || ds[0].Bounds != virtualScreen() {
		t.Fatalf("devices %+v", ds)
	}
	src := open(t, mon.ID, backend.Config{Unpaced: true})
	if in := src.Info(); in.Video.Width != mon.Bounds.Dx() || in.Video.Height != mon.Bounds.Dy() {
		t.Fatalf("info %+v for %v", in, mon.Bounds)
	}
	expectPixels(t, src, w, winRect.Min.Sub(mon.Bounds.Min))
}

func windowID(w *testWindow) string { return fmt.Sprintf("gdi:window/%#x", uintptr(w.hwnd)) }

func TestWindow(t *testing.T) {
	w := newWindow(t, "miniav gdi window", image.Rect(400, 300, 640, 420))
	ds, err := Backend{}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range ds {
		if d.ID == windowID(w) {
			found = true
			if d.Name != "miniav gdi window" || d.Kind != backend.KindWindow || d.Bounds != w.r {
				t.Errorf("device %+v", d)
			}
		}
	}
	if !found {
		t.Fatalf("%s not listed in %d devices", windowID(w), len(ds))
	}
	// Decimal handles name the same window.
	for _, id := range []string{windowID(w), fmt.Sprintf("gdi:window/%d", uintptr(w.hwnd))} {
		src := open(t, id, backend.Config{Unpaced: true})
		if in := src.Info(); in.Kind != backend.KindWindow || in.Video.Width != 240 || in.Video.Height != 120 {
			t.Fatalf("info %+v", in)
		}
		expectPixels(t, src, w, image.Point{})
		src.Close()
	}
}

// A resized window is captured at its new size.
func TestWindowResize(t *testing.T) {
	w := newWindow(t, "miniav gdi resize", winRect)
	src := open(t, windowID(w), backend.Config{Unpaced: true})
	expectPixels(t, src, w, image.Point{})
	const swpNoMove, swpNoZOrder = 0x0002, 0x0004
	w.r = image.Rect(winRect.Min.X, winRect.Min.Y, winRect.Min.X+310, winRect.Min.Y+90)
	if r, _, err := syscall.SyscallN(procSetWindowPos.Addr(), uintptr(w.hwnd), 0, 0, 0, 310, 90, swpNoMove|swpNoZOrder); r == 0 {
		t.Fatalf("SetWindowPos: %v", err)
	}
	expectPixels(t, src, w, image.Point{})
	if in := src.Info(); in.Video.Width != winRect.Dx() || in.Video.Height != winRect.Dy() {
		t.Fatalf("Info changed to %v", in.Video)
	}
	var b backend.Buffer
	if err := src.Read(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	b.Releaser.ReleaseBuffer(b.Token)
	if b.Video.Width != 310 || b.Video.Height != 90 || b.Strides[0] != 310*4 {
		t.Fatalf("frame after the resize: %v, stride %d", b.Video, b.Strides[0])
	}
}

func TestCursor(t *testing.T) {
	w := newWindow(t, "miniav gdi cursor", winRect)
	arrow, _, _ := syscall.SyscallN(procLoadCursorW.Addr(), 0, 32512) // IDC_ARROW
	syscall.SyscallN(procSetCursor.Addr(), arrow)
	at := winRect.Min.Add(image.Pt(50, 40)) // in the top-left quadrant
	syscall.SyscallN(procSetCursorPos.Addr(), uintptr(at.X), uintptr(at.Y))
	plain := open(t, "gdi:", backend.Config{Region: winRect, Unpaced: true})
	expectPixels(t, plain, w, image.Point{})
	var ci cursorInfo
	if !getCursorInfo(&ci) || ci.Flags&cursorShowing == 0 || ci.Cursor == 0 {
		testenv.Missing(t, "no cursor is showing (GetCursorInfo flags %#x, cursor %#x)", ci.Flags, ci.Cursor)
	}
	src := open(t, "gdi:", backend.Config{Region: winRect, Cursor: true, Unpaced: true})
	var b backend.Buffer
	if err := src.Read(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	defer b.Releaser.ReleaseBuffer(b.Token)
	// The cursor's pixels differ from the quadrant's colour around its
	// position (hot spot at the pointer); away from it nothing changed.
	near, far := 0, 0
	p := at.Sub(winRect.Min).Sub(image.Pt(int(ci.Pos.X)-at.X, int(ci.Pos.Y)-at.Y))
	for y := 0; y < winRect.Dy(); y++ {
		for x := 0; x < winRect.Dx(); x++ {
			i := y*b.Strides[0] + x*4
			got := [3]byte{b.Planes[0][i+2], b.Planes[0][i+1], b.Planes[0][i]}
			if got == w.want(image.Pt(x, y)) {
				continue
			}
			if image.Pt(x, y).In(image.Rect(p.X-32, p.Y-32, p.X+32, p.Y+32)) {
				near++
			} else {
				far++
			}
		}
	}
	t.Logf("cursor at %v (GetCursorInfo %v): %d pixels changed near it, %d elsewhere", at, ci.Pos, near, far)
	if near < 20 || far != 0 {
		t.Fatalf("cursor drawing: %d pixels changed near the pointer, %d elsewhere", near, far)
	}
}

func TestPacing(t *testing.T) {
	w := newWindow(t, "miniav gdi pacing", winRect)
	_ = w
	src := open(t, "gdi:", backend.Config{Region: winRect, Video: format.Video{FrameRate: format.FPS(30)}})
	var first, last time.Duration
	n := 0
	var firstSeq, prevSeq uint64
	for {
		var b backend.Buffer
		if err := src.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		b.Releaser.ReleaseBuffer(b.Token)
		if n == 0 {
			first, firstSeq = b.Timestamp, b.Sequence
		} else if b.Sequence <= prevSeq {
			t.Fatalf("sequence %d after %d", b.Sequence, prevSeq)
		}
		prevSeq, last = b.Sequence, b.Timestamp
		n++
		if last-first >= 3*time.Second {
			break
		}
	}
	span := (last - first).Seconds()
	// The rate of the frames' ticks (sequence numbers over their
	// timestamps) is the schedule's; frames a loaded machine made late skip
	// ticks, so the delivered rate may fall a little below it.
	rate := float64(prevSeq-firstSeq) / span
	delivered := float64(n-1) / span
	t.Logf("%d frames in %.3f s: %.2f fps by sequence over timestamps, %.2f fps delivered (%d ticks skipped)", n, span, rate, delivered, prevSeq-firstSeq+1-uint64(n))
	if rate < 29 || rate > 31 {
		t.Fatalf("%.2f fps by sequence over timestamps, want 30 ± 1", rate)
	}
	if delivered < 27 || delivered > 31 {
		t.Fatalf("%.2f fps delivered, want 27 to 31", delivered)
	}
}

func TestWindowDestroyed(t *testing.T) {
	w := newWindow(t, "miniav gdi destroyed", winRect)
	src := open(t, windowID(w), backend.Config{Video: format.Video{FrameRate: format.FPS(50)}})
	expectPixels(t, src, w, image.Point{})
	w.destroy()
	start := time.Now()
	for {
		var b backend.Buffer
		err := src.Read(context.Background(), &b)
		if err == nil {
			b.Releaser.ReleaseBuffer(b.Token)
			if time.Since(start) > 2*time.Second {
				t.Fatal("frames still come 2 s after the window was destroyed")
			}
			continue
		}
		if !errors.Is(err, backend.ErrDeviceLost) {
			t.Fatalf("after the window was destroyed: %v, want ErrDeviceLost", err)
		}
		t.Logf("ErrDeviceLost %v after DestroyWindow: %v", time.Since(start).Round(time.Millisecond), err)
		break
	}
	// A lost window is not found any more.
	if _, err := (Backend{}).Open(context.Background(), strings.TrimPrefix(windowID(w), "gdi:"), backend.Config{}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("reopening the destroyed window: %v", err)
	}
}

func TestErrors(t *testing.T) {
	needDesktop(t)
	for _, a := range []string{"display/99", "display/x", "window/0", "window/zz", "window/0x7ffffff0", "bogus", "display/"} {
		if _, err := (Backend{}).Open(context.Background(), a, backend.Config{}); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("gdi:%s: %v, want ErrNotFound", a, err)
		}
	}
	for _, cfg := range []backend.Config{
		{Video: format.Video{PixelFormat: format.I420}},
		{Video: format.Video{PixelFormat: format.RGBA}},
		{Video: format.Video{Width: 7, Height: 5}},
		{Video: format.Video{FrameRate: format.FPS(5000)}},
		{Region: image.Rect(-100, -100, 10, 10)},
	} {
		if _, err := (Backend{}).Open(context.Background(), "", cfg); !errors.Is(err, backend.ErrNotSupported) {
			t.Errorf("config %+v: %v, want ErrNotSupported", cfg, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Backend{}).Open(ctx, "", backend.Config{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled open: %v", err)
	}
}

// Frames are views of the DIB sections: no copy in the process.
func TestZeroCopy(t *testing.T) {
	needDesktop(t)
	s := open(t, "gdi:", backend.Config{Region: image.Rect(0, 0, 64, 48), Unpaced: true, Buffers: 2}).(*source)
	seen := map[*byte]bool{}
	var held []backend.Buffer
	for range 2 {
		var b backend.Buffer
		if err := s.Read(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		held = append(held, b)
		seen[&b.Planes[0][0]] = true
	}
	for i := range s.dibs {
		if !seen[&s.dibs[i].mem[0]] {
			t.Errorf("section %d was not lent out as a frame", i)
		}
	}
	// Both held: a Read waits, and its context ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var b backend.Buffer
	if err := s.Read(ctx, &b); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read with every section held: %v", err)
	}
	s.Close()
	for _, b := range held {
		_ = b.Planes[0][len(b.Planes[0])-1] // still mapped after Close
		b.Releaser.ReleaseBuffer(b.Token)
	}
	if s.dibs[0].dc != 0 || s.refs.Load() != 0 {
		t.Fatalf("sections not freed after the last release (refs %d)", s.refs.Load())
	}
}

func TestContractDisplay(t *testing.T) {
	w := newWindow(t, "miniav gdi contract", winRect)
	_ = w
	backendtest.Run(t, "gdi:display/0", backendtest.NoDeviceTimestamps(), backendtest.LendsMemory(false))
}

func TestContractWindow(t *testing.T) {
	w := newWindow(t, "miniav gdi contract window", winRect)
	backendtest.Run(t, windowID(w), backendtest.NoDeviceTimestamps(), backendtest.LendsMemory(false))
}

// DXGI duplication is probed at Open and the GDI fallback reported in
// Info.Mode. Wine 8 has no DuplicateOutput, so under Wine (MINIAV_WINE=1,
// set by scripts/test.d/wine.sh) the mode must say it is unavailable.
func TestModeReportsDXGI(t *testing.T) {
	needDesktop(t)
	mode := open(t, "gdi:", backend.Config{}).Info().Mode
	t.Logf("Info.Mode: %s", mode)
	if !strings.HasPrefix(mode, "gdi bitblt (DXGI duplication ") {
		t.Fatalf("mode %q", mode)
	}
	if os.Getenv("MINIAV_WINE") != "" && !strings.HasPrefix(mode, "gdi bitblt (DXGI duplication unavailable: ") {
		t.Fatalf("under Wine the mode is %q, want DXGI duplication unavailable", mode)
	}
}
