package x11

import (
	"context"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
	devs "github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/internal/xvfb"

	"github.com/miniav-go/miniav/internal/testenv"
)

// sync waits until the server processed p's requests.
func (p *painter) sync() {
	p.t.Helper()
	if _, err := xproto.GetInputFocus(p.c).Reply(); err != nil {
		p.t.Fatal(err)
	}
}

// bareWindow creates a top-level window and does not map it.
func (p *painter) bareWindow(r image.Rectangle, override bool) xproto.Window {
	p.t.Helper()
	w, err := xproto.NewWindowId(p.c)
	if err != nil {
		p.t.Fatal(err)
	}
	scr := xproto.Setup(p.c).DefaultScreen(p.c)
	var or uint32
	if override {
		or = 1
	}
	err = xproto.CreateWindowChecked(p.c, scr.RootDepth, w, p.root, int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{0x808080, or}).Check()
	if err != nil {
		p.t.Fatal(err)
	}
	return w
}

func (p *painter) atom(name string) xproto.Atom {
	p.t.Helper()
	a, err := xproto.InternAtom(p.c, false, uint16(len(name)), name).Reply()
	if err != nil {
		p.t.Fatal(err)
	}
	return a.Atom
}

// setMonitor adds (or replaces) a RandR 1.5 monitor with no outputs.
func (p *painter) setMonitor(name string, r image.Rectangle) {
	p.t.Helper()
	if err := initRandr(p.c); err != nil {
		p.t.Fatalf("RANDR: %v", err)
	}
	if _, err := randr.QueryVersion(p.c, 1, 5).Reply(); err != nil {
		p.t.Fatal(err)
	}
	m := randr.MonitorInfo{Name: p.atom(name), X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy()),
		WidthInMillimeters: uint32(r.Dx() / 4), HeightInMillimeters: uint32(r.Dy() / 4)}
	if err := randr.SetMonitorChecked(p.c, p.root, m).Check(); err != nil {
		p.t.Fatalf("RRSetMonitor %s: %v", name, err)
	}
}

func (p *painter) deleteMonitor(name string) {
	p.t.Helper()
	if err := randr.DeleteMonitorChecked(p.c, p.root, p.atom(name)).Check(); err != nil {
		p.t.Fatalf("RRDeleteMonitor %s: %v", name, err)
	}
}

// expect receives the Watcher's next event and checks its op and ID.
func expect(t *testing.T, w *devs.Watcher, op devs.Op, id string) devs.Device {
	t.Helper()
	select {
	case ev, ok := <-w.Events:
		if !ok {
			t.Fatalf("events closed, want %v %s", op, id)
		}
		if ev.Op != op || ev.Device.ID != id {
			t.Fatalf("event %v %s, want %v %s", ev.Op, ev.Device.ID, op, id)
		}
		return ev.Device
	case err := <-w.Errors:
		t.Fatalf("watcher error while waiting for %v %s: %v", op, id, err)
	case <-time.After(5 * time.Second):
		t.Fatalf("no event within 5 s, want %v %s", op, id)
	}
	return devs.Device{}
}

// With polling off, only the backend's notifications make the Watcher
// enumerate: windows mapped, unmapped and destroyed and RandR monitors
// added and deleted are reported with their exact IDs.
func TestWatcherNotified(t *testing.T) {
	x := xvfb.Start(t)
	t.Setenv("DISPLAY", x.Display)
	p := newPainter(t, x.Display)
	w := devs.NewWatcher(context.Background(), devs.WithInterval(0),
		devs.WithKinds(devs.Window, devs.Display), devs.WithSettle(20*time.Millisecond))
	defer w.Close()
	select {
	case err := <-w.Errors:
		t.Fatalf("watcher: %v", err)
	default:
	}

	win := p.window(image.Rect(40, 30, 360, 270), 0x2080c0)
	winID := fmt.Sprintf("x11:%s/window/%#x", x.Display, uint32(win))
	d := expect(t, w, devs.Added, winID)
	if d.Kind != devs.Window || d.Name != "miniav test window" || d.Bounds != image.Rect(40, 30, 360, 270) {
		t.Errorf("added window %+v", d)
	}
	xproto.UnmapWindow(p.c, win)
	expect(t, w, devs.Removed, winID)
	xproto.MapWindow(p.c, win)
	expect(t, w, devs.Added, winID)
	xproto.DestroyWindow(p.c, win)
	expect(t, w, devs.Removed, winID)

	monID := "x11:" + x.Display + "/monitor/MINIAV-TEST"
	p.setMonitor("MINIAV-TEST", image.Rect(100, 50, 740, 530))
	d = expect(t, w, devs.Added, monID)
	if d.Kind != devs.Display || d.Bounds != image.Rect(100, 50, 740, 530) {
		t.Errorf("added monitor %+v", d)
	}
	p.deleteMonitor("MINIAV-TEST")
	expect(t, w, devs.Removed, monID)

	start := time.Now()
	w.Close()
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %v", el)
	}
	if _, ok := <-w.Events; ok {
		t.Error("events still open after Close")
	}
}

// note waits for a notification.
func note(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no notification within 5 s", what)
	}
}

// quiet checks that no notification comes after p's requests are done.
func quiet(t *testing.T, p *painter, ch <-chan struct{}, what string) {
	t.Helper()
	p.sync()
	select {
	case _, ok := <-ch:
		t.Fatalf("%s: notified (open %v), want nothing", what, ok)
	case <-time.After(200 * time.Millisecond):
	}
}

// Changes notifies for what changes the list and stays quiet for what does
// not; cancelling closes the channel after everything the watch started
// has stopped.
func TestChanges(t *testing.T) {
	x := xvfb.Start(t)
	t.Setenv("DISPLAY", x.Display)
	p := newPainter(t, x.Display)
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := Backend{}.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	quiet(t, p, ch, "nothing happened")

	// Override-redirect windows shown and hidden, windows never mapped,
	// moves and titles change no device ID.
	tip := p.bareWindow(image.Rect(10, 10, 60, 30), true)
	xproto.MapWindow(p.c, tip)
	xproto.ConfigureWindow(p.c, tip, xproto.ConfigWindowX, []uint32{20})
	xproto.UnmapWindow(p.c, tip)
	xproto.DestroyWindow(p.c, tip)
	hidden := p.bareWindow(image.Rect(10, 10, 60, 30), false)
	xproto.ConfigureWindow(p.c, hidden, xproto.ConfigWindowX, []uint32{30})
	xproto.DestroyWindow(p.c, hidden)
	quiet(t, p, ch, "override-redirect and unmapped windows")

	win := p.window(image.Rect(40, 30, 360, 270), 0x2080c0)
	note(t, ch, "map")
	quiet(t, p, ch, "after the map") // one notification for one change
	xproto.ConfigureWindow(p.c, win, xproto.ConfigWindowX|xproto.ConfigWindowWidth, []uint32{80, 200})
	title := "another title"
	xproto.ChangeProperty(p.c, xproto.PropModeReplace, win, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(title)), []byte(title))
	quiet(t, p, ch, "move, resize and title")
	xproto.DestroyWindow(p.c, win)
	note(t, ch, "destroy")

	p.setMonitor("MINIAV-TEST", image.Rect(0, 0, 800, 600))
	note(t, ch, "RRSetMonitor")
	p.deleteMonitor("MINIAV-TEST")
	note(t, ch, "RRDeleteMonitor")

	// A burst coalesces: nobody receives while ten windows come and go,
	// then exactly one notification is pending.
	for range 10 {
		w := p.window(image.Rect(0, 0, 10, 10), 0)
		xproto.DestroyWindow(p.c, w)
	}
	p.sync()
	time.Sleep(100 * time.Millisecond)
	note(t, ch, "burst")
	quiet(t, p, ch, "after the burst")

	cancel()
	testenv.WaitClosed(t, ch, "after cancel")
	goleak.VerifyNone(t, before)
}

// A context already done gives a channel that closes at once.
func TestChangesDoneContext(t *testing.T) {
	x := xvfb.Start(t)
	t.Setenv("DISPLAY", x.Display)
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ch, err := Backend{}.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitClosed(t, ch, "done context")
	goleak.VerifyNone(t, before)
}

// When the X server dies the watch ends on its own.
func TestChangesServerDies(t *testing.T) {
	x := xvfb.Start(t)
	t.Setenv("DISPLAY", x.Display)
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := Backend{}.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x.Kill()
	testenv.WaitClosed(t, ch, "after killing Xvfb")
	goleak.VerifyNone(t, before)
}

// Without a display there is nothing to watch: ErrNotFound, as Open says.
func TestChangesNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := (Backend{}).Changes(context.Background()); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("DISPLAY unset: %v, want ErrNotFound", err)
	}
	// A display named by its socket's path ("/path/X:0" dials "/path/X:0"),
	// here one that does not exist.
	gone := filepath.Join(t.TempDir(), "X") + ":0"
	t.Setenv("DISPLAY", gone)
	if _, err := (Backend{}).Changes(context.Background()); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("display %s unreachable: %v, want ErrNotFound", gone, err)
	}
	// The Watcher then relies on polling, and does not report a display
	// that is not there as an error.
	w := devs.NewWatcher(context.Background(), devs.WithInterval(0), devs.WithKinds(devs.Window))
	defer w.Close()
	select {
	case err := <-w.Errors:
		t.Errorf("watcher reported %v for a machine without a display", err)
	default:
	}
}
