package gdi

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/windows"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/freelist"
	"github.com/miniav-go/miniav/internal/pacer"
)

const defaultBuffers = 3

type source struct {
	window windows.HWND    // 0 for display capture
	region image.Rectangle // display capture: the area in screen coordinates
	w, h   int
	cursor bool
	info   backend.Info

	curHandle windows.Handle // the cursor whose hot spot is cached
	curHotX   int
	curHotY   int

	sched   pacer.Pacer
	unpaced bool   // cfg.Unpaced: capture as fast as sections come back
	seq     uint64 // unpaced frame counter
	dibs    []dib
	free    *freelist.List
	refs    atomic.Int32 // the source's own, plus one per frame lent out
	once    sync.Once    // frees the sections

	closed atomic.Bool
}

// Open implements backend.Backend.
func (Backend) Open(ctx context.Context, a string, cfg backend.Config) (backend.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := load(); err != nil {
		return nil, err
	}
	p, err := parseAddr(a)
	if err != nil {
		return nil, err
	}
	if pf := cfg.Video.PixelFormat; pf != 0 && pf != format.BGRX {
		return nil, fmt.Errorf("gdi: pixel format %v (have BGRX): %w", pf, backend.ErrNotSupported)
	}
	rate := cfg.Video.FrameRate
	if rate.IsZero() {
		rate = format.FPS(30)
	}
	if rate.Num <= 0 || rate.Den <= 0 || rate.Float() > 1000 || rate.Float() < 1e-3 {
		return nil, fmt.Errorf("gdi: frame rate %v (want 0.001 to 1000): %w", rate, backend.ErrNotSupported)
	}
	s := &source{window: windows.HWND(p.window), cursor: cfg.Cursor}
	kind := backend.KindDisplay
	if s.window != 0 {
		kind = backend.KindWindow
		if !windows.IsWindow(s.window) {
			return nil, fmt.Errorf("gdi: no window %#x: %w", uintptr(s.window), backend.ErrNotFound)
		}
		if !cfg.Region.Empty() {
			return nil, fmt.Errorf("gdi: a region applies to display capture, not to a window: %w", backend.ErrNotSupported)
		}
		var wr rect
		if !getWindowRect(s.window, &wr) || wr.image().Empty() {
			return nil, fmt.Errorf("gdi: window %#x has no area: %w", uintptr(s.window), backend.ErrNotFound)
		}
		s.w, s.h = wr.image().Dx(), wr.image().Dy()
	} else {
		s.region = virtualScreen()
		if p.display >= 0 {
			ms := monitors()
			if p.display >= len(ms) {
				return nil, fmt.Errorf("gdi: no display %d (have %d): %w", p.display, len(ms), backend.ErrNotFound)
			}
			s.region = ms[p.display].r.image()
		}
		if s.region.Empty() {
			return nil, fmt.Errorf("gdi: no desktop to capture: %w", backend.ErrNotFound)
		}
		if !cfg.Region.Empty() {
			if !cfg.Region.In(s.region) {
				return nil, fmt.Errorf("gdi: region %v is not inside the captured area %v: %w", cfg.Region, s.region, backend.ErrNotSupported)
			}
			s.region = cfg.Region
		}
		s.w, s.h = s.region.Dx(), s.region.Dy()
	}
	if w, h := cfg.Video.Width, cfg.Video.Height; (w != 0 || h != 0) && (w != s.w || h != s.h) {
		return nil, fmt.Errorf("gdi: size %dx%d requested but the capture area is %dx%d (no scaling; use Config.Region): %w", w, h, s.w, s.h, backend.ErrNotSupported)
	}
	n := cfg.Buffers
	if n == 0 {
		n = defaultBuffers
	}
	n = max(n, 2)
	s.refs.Store(1)
	for range n {
		d, err := newDIB(s.w, s.h)
		if err != nil {
			s.release()
			return nil, fmt.Errorf("gdi: %v: %w", err, backend.ErrNotSupported)
		}
		s.dibs = append(s.dibs, d)
	}
	s.free = freelist.New(n)
	s.sched.Init(rate.Interval())
	s.unpaced = cfg.Unpaced
	s.info = backend.Info{
		Kind:     kind,
		Video:    format.Video{PixelFormat: format.BGRX, Width: s.w, Height: s.h, FrameRate: rate},
		ZeroCopy: true,
		Mode:     captureMode(),
	}
	return s, nil
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// grab copies the screen or window into section i. The DC is taken and
// given back on one OS thread, as user32 wants.
func (s *source) grab(i int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := &s.dibs[i]
	if s.window != 0 {
		if !windows.IsWindow(s.window) {
			return s.lost()
		}
		// The window's current size; a section of another size (it is not
		// lent out) is made again at that size.
		var wr rect
		if getWindowRect(s.window, &wr) {
			if r := wr.image(); !r.Empty() && (r.Dx() != d.w || r.Dy() != d.h) {
				nd, err := newDIB(r.Dx(), r.Dy())
				if err != nil {
					return fmt.Errorf("gdi: window %#x resized to %dx%d: %v", uintptr(s.window), r.Dx(), r.Dy(), err)
				}
				d.free()
				*d = nd
			}
		}
		dc := getWindowDC(s.window)
		if dc == 0 {
			return s.lost()
		}
		err := bitBlt(d.dc, 0, 0, d.w, d.h, dc, 0, 0, srccopy|captureblt)
		releaseDC(s.window, dc)
		if err != nil {
			if !windows.IsWindow(s.window) {
				return s.lost()
			}
			return fmt.Errorf("gdi: window %#x: %v", uintptr(s.window), err)
		}
	} else {
		dc := getDC(0)
		if dc == 0 {
			return fmt.Errorf("gdi: GetDC(NULL) failed: %w", backend.ErrDeviceLost)
		}
		err := bitBlt(d.dc, 0, 0, d.w, d.h, dc, s.region.Min.X, s.region.Min.Y, srccopy|captureblt)
		releaseDC(0, dc)
		if err != nil {
			return fmt.Errorf("gdi: screen: %v", err)
		}
	}
	if s.cursor {
		s.drawCursor(d)
	}
	gdiFlush()
	return nil
}

func (s *source) lost() error {
	return fmt.Errorf("gdi: window %#x is gone: %w", uintptr(s.window), backend.ErrDeviceLost)
}

// drawCursor draws the pointer into d at its place in the captured area.
func (s *source) drawCursor(d *dib) {
	var ci cursorInfo
	if !getCursorInfo(&ci) || ci.Flags&cursorShowing == 0 || ci.Cursor == 0 {
		return
	}
	if ci.Cursor != s.curHandle {
		s.curHandle = ci.Cursor
		s.curHotX, s.curHotY = hotspot(ci.Cursor)
	}
	origin := s.region.Min
	if s.window != 0 {
		var wr rect
		if !getWindowRect(s.window, &wr) {
			return
		}
		origin = wr.image().Min
	}
	drawIcon(d.dc, int(ci.Pos.X)-s.curHotX-origin.X, int(ci.Pos.Y)-s.curHotY-origin.Y, ci.Cursor)
}

// Read implements backend.Source.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if s.closed.Load() {
		return fmt.Errorf("gdi: read after Close: %w", backend.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var seq uint64
	if s.unpaced {
		seq = s.seq
	} else {
		k, _, err := s.sched.Next(ctx)
		if err != nil {
			return err
		}
		seq = k
	}
	i, err := s.free.Get(ctx)
	if err != nil {
		return err
	}
	if s.unpaced {
		s.seq++
	}
	ts := backend.Now()
	if err := s.grab(i); err != nil {
		s.free.Put(i)
		return err
	}
	d := &s.dibs[i]
	b.Video = s.info.Video
	b.Video.Width, b.Video.Height = d.w, d.h
	b.NumPlanes = 1
	b.Strides[0] = d.w * 4
	b.Planes[0] = d.mem
	b.Timestamp = ts
	b.Sequence = seq
	b.Releaser = s
	b.Token = uint64(i)
	b.Memory = d.region
	s.refs.Add(1)
	return nil
}

// ReleaseBuffer implements backend.Releaser: the section goes back to the
// ring.
func (s *source) ReleaseBuffer(token uint64) {
	s.free.Put(int(token))
	s.release()
}

// release drops one reference; the last one frees the sections.
func (s *source) release() {
	if s.refs.Add(-1) == 0 {
		s.once.Do(func() {
			for i := range s.dibs {
				s.dibs[i].free()
			}
		})
	}
}

// Close implements backend.Source. Sections still lent out stay valid
// until their frames are released. Closing again does nothing.
func (s *source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.release()
	return nil
}
