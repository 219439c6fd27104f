package x11

import (
	"context"
	"fmt"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/miniav-go/miniav/backend"
)

// Changes implements backend.Notifier for the display Devices lists
// ($DISPLAY), over a connection of its own. It notifies when a top-level
// window is mapped or unmapped (destroying or reparenting a mapped window
// unmaps it first), when the root changes size or its RandR monitors change
// (both reach the root as a ConfigureNotify), and on RandR screen, CRTC,
// output and resource changes. Override-redirect windows (menus, tooltips)
// and window moves, resizes and titles change no device ID and are not
// reported. With DISPLAY unset or the display unreachable it returns an
// error matching backend.ErrNotFound.
func (Backend) Changes(ctx context.Context) (<-chan struct{}, error) {
	disp := os.Getenv("DISPLAY")
	if disp == "" {
		return nil, fmt.Errorf("x11: DISPLAY is not set, no display to watch: %w", backend.ErrNotFound)
	}
	return watch(ctx, disp)
}

// watcher filters the events of a connection that watches the root.
type watcher struct {
	c    *xgb.Conn
	root xproto.Window
	out  chan struct{}
	// or holds the root's children known to be override-redirect, whose
	// unmapping is not reported (their mapping says so, so a tooltip shown
	// and hidden costs no enumeration).
	or map[xproto.Window]bool
}

func watch(ctx context.Context, disp string) (<-chan struct{}, error) {
	c, err := dial(disp)
	if err != nil {
		return nil, err
	}
	w := &watcher{c: c, root: xproto.Setup(c).DefaultScreen(c).Root, out: make(chan struct{}, 1), or: map[xproto.Window]bool{}}
	// The loop reads events from the start, so that xgb's reader never
	// blocks on a full event queue while set-up waits for a reply.
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); w.loop() }()
	if err := w.selectInput(); err != nil {
		c.Close()
		<-loopDone
		return nil, fmt.Errorf("x11: watching display %s: %v: %w", disp, err, backend.ErrNotFound)
	}
	go func() {
		select {
		case <-ctx.Done():
			closeNow(c) // the loop sees the connection close
			<-loopDone
		case <-loopDone: // the X server went away
			c.Close() // returns once xgb's writer is done
		}
		close(w.out)
	}()
	return w.out, nil
}

// selectInput asks for the root's structure and substructure events and,
// when the server has RandR 1.2 or later, for its screen, CRTC, output and
// resource changes (RandR 1.0 and 1.1: screen changes only). A server
// without RandR still reports windows and root size changes.
func (w *watcher) selectInput() error {
	mask := uint32(xproto.EventMaskStructureNotify | xproto.EventMaskSubstructureNotify)
	if err := xproto.ChangeWindowAttributesChecked(w.c, w.root, xproto.CwEventMask, []uint32{mask}).Check(); err != nil {
		return fmt.Errorf("selecting root events: %v", err)
	}
	if initRandr(w.c) != nil {
		return nil
	}
	v, err := randr.QueryVersion(w.c, 1, 5).Reply()
	if err != nil {
		return nil
	}
	rr := uint16(randr.NotifyMaskScreenChange)
	if v.MajorVersion > 1 || v.MinorVersion >= 2 {
		rr |= randr.NotifyMaskCrtcChange | randr.NotifyMaskOutputChange | randr.NotifyMaskResourceChange
	}
	if err := randr.SelectInputChecked(w.c, w.root, rr).Check(); err != nil {
		return fmt.Errorf("selecting RandR events: %v", err)
	}
	return nil
}

// loop reads events until the connection closes, notifying without
// blocking: one pending notification stands for any number of changes.
func (w *watcher) loop() {
	for {
		ev, xerr := w.c.WaitForEvent()
		if ev == nil && xerr == nil {
			return
		}
		if ev != nil && w.changed(ev) {
			select {
			case w.out <- struct{}{}:
			default:
			}
		}
	}
}

// changed reports whether ev may change what Devices lists.
func (w *watcher) changed(ev xgb.Event) bool {
	switch e := ev.(type) {
	case xproto.MapNotifyEvent:
		w.setOverride(e.Window, e.OverrideRedirect)
		return e.Event == w.root && e.Window != w.root && !e.OverrideRedirect
	case xproto.UnmapNotifyEvent:
		return e.Event == w.root && e.Window != w.root && !w.or[e.Window]
	case xproto.ConfigureNotifyEvent:
		if e.Window == w.root {
			return true // the screen's size or its RandR monitors
		}
		w.setOverride(e.Window, e.OverrideRedirect)
	case xproto.CreateNotifyEvent:
		w.setOverride(e.Window, e.OverrideRedirect)
	case xproto.ReparentNotifyEvent:
		if e.Parent == w.root {
			w.setOverride(e.Window, e.OverrideRedirect)
		} else {
			delete(w.or, e.Window)
		}
	case xproto.DestroyNotifyEvent:
		delete(w.or, e.Window)
	case randr.ScreenChangeNotifyEvent, randr.NotifyEvent:
		return true
	}
	return false
}

func (w *watcher) setOverride(win xproto.Window, on bool) {
	if on {
		w.or[win] = true
	} else {
		delete(w.or, win)
	}
}
