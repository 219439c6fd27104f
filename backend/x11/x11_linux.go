package x11

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

func init() {
	xgb.Logger = log.New(io.Discard, "", 0)
	backend.Register(Backend{})
}

// Backend is the X11 screen backend.
type Backend struct{}

// Name implements backend.Backend.
func (Backend) Name() string { return Name }

// Kinds implements backend.Kinder: displays (monitors) and windows.
func (Backend) Kinds() []backend.Kind { return []backend.Kind{backend.KindDisplay, backend.KindWindow} }

// addr is a parsed device address.
type addr struct {
	display string
	window  xproto.Window // 0: the root
	monitor string        // RandR monitor name ("" for the whole root)
	noShm   bool
}

func parseAddr(a string) (addr, error) {
	var p addr
	dev, query, _ := strings.Cut(a, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return p, fmt.Errorf("x11: bad parameters %q: %w", query, backend.ErrNotSupported)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "shm":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return p, fmt.Errorf("x11: parameter shm=%q: %v: %w", v, err, backend.ErrNotSupported)
			}
			p.noShm = !on
		default:
			return p, fmt.Errorf("x11: unknown parameter %q (have shm): %w", k, backend.ErrNotSupported)
		}
	}
	disp, win, hasWin := strings.Cut(dev, "/window/")
	if d, mon, ok := strings.Cut(dev, "/monitor/"); ok && !hasWin {
		if mon == "" {
			return p, fmt.Errorf("x11: empty monitor name in %q: %w", a, backend.ErrNotFound)
		}
		disp, p.monitor = d, mon
	} else if hasWin {
		id, err := strconv.ParseUint(win, 0, 32)
		if err != nil || id == 0 {
			return p, fmt.Errorf("x11: bad window id %q in %q: %w", win, a, backend.ErrNotFound)
		}
		p.window = xproto.Window(id)
	} else if strings.Contains(dev, "/") {
		return p, fmt.Errorf("x11: bad device address %q (want :N, :N/monitor/NAME or :N/window/0xID): %w", a, backend.ErrNotFound)
	}
	if disp == "" {
		disp = os.Getenv("DISPLAY")
		if disp == "" {
			return p, fmt.Errorf("x11: no display given and DISPLAY is not set: %w", backend.ErrNotFound)
		}
	}
	p.display = disp
	return p, nil
}

// dial connects to display, mapping failures to backend errors.
func dial(display string) (*xgb.Conn, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		if strings.Contains(err.Error(), "uthoriz") {
			return nil, fmt.Errorf("x11: display %s: %v: %w", display, err, backend.ErrPermissionDenied)
		}
		return nil, fmt.Errorf("x11: display %s: %v: %w", display, err, backend.ErrNotFound)
	}
	return c, nil
}

// screenFormat checks that the root is BGRX (depth 24 or 32 at 32 bpp,
// LSB first, R/G/B masks ff0000/00ff00/0000ff).
func screenFormat(setup *xproto.SetupInfo, scr *xproto.ScreenInfo) error {
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == scr.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	if (scr.RootDepth != 24 && scr.RootDepth != 32) || bpp != 32 || setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return fmt.Errorf("x11: root depth %d at %d bits per pixel (byte order %d): only depth 24/32 at 32 bpp LSB-first (BGRX) is supported: %w",
			scr.RootDepth, bpp, setup.ImageByteOrder, backend.ErrNotSupported)
	}
	for _, d := range scr.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == scr.RootVisual && (v.RedMask != 0xff0000 || v.GreenMask != 0xff00 || v.BlueMask != 0xff) {
				return fmt.Errorf("x11: root visual masks R=%x G=%x B=%x are not BGRX: %w", v.RedMask, v.GreenMask, v.BlueMask, backend.ErrNotSupported)
			}
		}
	}
	return nil
}

func caps(w, h int) []format.VideoCaps {
	return []format.VideoCaps{{
		PixelFormat: format.BGRX,
		Size:        format.SizeRange{MinWidth: 1, MaxWidth: w, StepWidth: 1, MinHeight: 1, MaxHeight: h, StepHeight: 1},
		MinRate:     format.Rational{Num: 1, Den: 1000},
		MaxRate:     format.FPS(1000),
	}}
}

// Devices implements backend.Backend: the root of $DISPLAY as a display
// and its viewable top-level windows. With DISPLAY unset it lists nothing.
func (Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	disp := os.Getenv("DISPLAY")
	if disp == "" {
		return nil, nil
	}
	return devices(disp)
}

func devices(disp string) ([]backend.Device, error) {
	c, err := dial(disp)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	go drain(c, nil)
	setup := xproto.Setup(c)
	scr := setup.DefaultScreen(c)
	w, h := int(scr.WidthInPixels), int(scr.HeightInPixels)
	out := []backend.Device{{
		ID:      Name + ":" + disp,
		Name:    "X11 display " + disp,
		Kind:    backend.KindDisplay,
		Backend: Name,
		Default: true,
		Bounds:  image.Rect(0, 0, w, h),
		Attrs:   map[string]string{"root": fmt.Sprintf("%#x", scr.Root), "depth": strconv.Itoa(int(scr.RootDepth))},
		Video:   caps(w, h),
	}}
	for _, m := range monitors(c, scr.Root) {
		out = append(out, backend.Device{
			ID:      Name + ":" + disp + "/monitor/" + m.name,
			Name:    "X11 monitor " + m.name + " on " + disp,
			Kind:    backend.KindDisplay,
			Backend: Name,
			Bounds:  m.r,
			Attrs:   map[string]string{"monitor": m.name, "primary": strconv.FormatBool(m.primary)},
			Video:   caps(m.r.Dx(), m.r.Dy()),
		})
	}
	tree, err := xproto.QueryTree(c, scr.Root).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11: QueryTree: %v: %w", err, backend.ErrDeviceLost)
	}
	for _, win := range tree.Children {
		attr, err := xproto.GetWindowAttributes(c, win).Reply()
		if err != nil || attr.MapState != xproto.MapStateViewable || attr.OverrideRedirect || attr.Class != xproto.WindowClassInputOutput {
			continue
		}
		r, err := windowRect(c, win, scr.Root)
		if err != nil {
			continue
		}
		title := windowTitle(c, win)
		name := title
		if name == "" {
			name = fmt.Sprintf("window %#x", uint32(win))
		}
		out = append(out, backend.Device{
			ID:      fmt.Sprintf("%s:%s/window/%#x", Name, disp, uint32(win)),
			Name:    name,
			Kind:    backend.KindWindow,
			Backend: Name,
			Bounds:  r,
			Attrs:   map[string]string{"window": fmt.Sprintf("%#x", uint32(win)), "title": title},
			Video:   caps(r.Dx(), r.Dy()),
		})
	}
	return out, nil
}

type monitor struct {
	name    string
	r       image.Rectangle
	primary bool
}

// monitors lists the active RandR 1.5 monitors (none without RandR 1.5).
func monitors(c *xgb.Conn, root xproto.Window) []monitor {
	if initRandr(c) != nil {
		return nil
	}
	v, err := randr.QueryVersion(c, 1, 5).Reply()
	if err != nil || v.MajorVersion < 1 || (v.MajorVersion == 1 && v.MinorVersion < 5) {
		return nil
	}
	rep, err := randr.GetMonitors(c, root, true).Reply()
	if err != nil {
		return nil
	}
	var out []monitor
	for _, m := range rep.Monitors {
		n, err := xproto.GetAtomName(c, m.Name).Reply()
		if err != nil {
			continue
		}
		r := image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.Width), int(m.Y)+int(m.Height))
		out = append(out, monitor{name: n.Name, r: r, primary: m.Primary})
	}
	return out
}

// randrBases records the event and error bases whose RandR constructors
// are in xgb's global tables.
var (
	randrMu    sync.Mutex
	randrBases = map[[2]byte]bool{}
)

// initRandr is randr.Init without its writes to xgb's global event and
// error tables (unguarded maps that the reader goroutine of every xgb
// connection reads) once this process has made them for the server's
// bases. Enumerating while a watch (Changes) or a capture connection
// reads events then stays free of concurrent map access; only the first
// use per set of bases writes.
func initRandr(c *xgb.Conn) error {
	reply, err := xproto.QueryExtension(c, 5, "RANDR").Reply()
	if err != nil {
		return err
	}
	if !reply.Present {
		return errors.New("no RANDR extension")
	}
	c.ExtLock.Lock()
	c.Extensions["RANDR"] = reply.MajorOpcode
	c.ExtLock.Unlock()
	randrMu.Lock()
	defer randrMu.Unlock()
	if key := [2]byte{reply.FirstEvent, reply.FirstError}; !randrBases[key] {
		randrBases[key] = true
		for n, f := range xgb.NewExtEventFuncs["RANDR"] {
			xgb.NewEventFuncs[int(reply.FirstEvent)+n] = f
		}
		for n, f := range xgb.NewExtErrorFuncs["RANDR"] {
			xgb.NewErrorFuncs[int(reply.FirstError)+n] = f
		}
	}
	return nil
}

// windowRect returns the inside of win in root coordinates.
func windowRect(c *xgb.Conn, win xproto.Window, root xproto.Window) (image.Rectangle, error) {
	g, err := xproto.GetGeometry(c, xproto.Drawable(win)).Reply()
	if err != nil {
		return image.Rectangle{}, err
	}
	tr, err := xproto.TranslateCoordinates(c, win, root, 0, 0).Reply()
	if err != nil {
		return image.Rectangle{}, err
	}
	x, y := int(tr.DstX), int(tr.DstY)
	return image.Rect(x, y, x+int(g.Width), y+int(g.Height)), nil
}

func windowTitle(c *xgb.Conn, win xproto.Window) string {
	for _, name := range []string{"_NET_WM_NAME", "WM_NAME"} {
		a, err := xproto.InternAtom(c, true, uint16(len(name)), name).Reply()
		if err != nil || a.Atom == xproto.AtomNone {
			continue
		}
		p, err := xproto.GetProperty(c, false, win, a.Atom, xproto.GetPropertyTypeAny, 0, 256).Reply()
		if err == nil && p.Format == 8 && len(p.Value) > 0 {
			return string(p.Value)
		}
	}
	return ""
}

// drain consumes the connection's events and asynchronous errors until it
// closes (xgb blocks its reader when nobody does). A DestroyNotify for
// watch closes lost (when both are set).
func drain(c *xgb.Conn, s *source) {
	for {
		ev, xerr := c.WaitForEvent()
		if ev == nil && xerr == nil {
			return
		}
		if s == nil {
			continue
		}
		if d, ok := ev.(xproto.DestroyNotifyEvent); ok && d.Window == s.window {
			s.windowGone.Store(true)
		}
	}
}
