package x11

import (
	"encoding/binary"
	"fmt"
	"image"

	"github.com/miniav-go/miniav/internal/x11wire"
)

// maxCursorBytes is the initial size of the cursor image buffer (64x64
// ARGB); it grows when a larger cursor shows up.
const maxCursorBytes = 64 * 64 * 4

// initCursor negotiates XFIXES on the capture connection and selects
// CursorNotify events on the root, so the cursor image is fetched only
// when it changed; otherwise each frame asks for the pointer position
// (QueryPointer, a 32-byte reply).
func (s *source) initCursor() error {
	ext, err := s.w.QueryExtension("XFIXES")
	if err != nil {
		return err
	}
	if !ext.Present {
		return fmt.Errorf("XFIXES unavailable")
	}
	// XFIXES wants the version negotiated before any other request.
	if major, _, err := s.w.XFixesQueryVersion(ext.Major, 4, 0); err != nil {
		return err
	} else if major < 2 {
		return fmt.Errorf("XFIXES %d, want 2 or later", major)
	}
	s.fixes, s.fixesEvent = ext.Major, ext.FirstEvent
	if err := s.w.XFixesSelectCursorInput(s.fixes, uint32(s.root), x11wire.DisplayCursorNotifyMask); err != nil {
		return err
	}
	if err := s.w.Sync(); err != nil {
		return err
	}
	s.w.OnEvent = s.onEvent
	s.cursor, s.curStale = true, true
	s.curBuf = make([]byte, maxCursorBytes)
	return nil
}

// onEvent notes cursor changes.
func (s *source) onEvent(ev *[32]byte) {
	if ev[0]&0x7f == s.fixesEvent+x11wire.CursorNotify {
		s.curStale = true
	}
}

// cursorReply reads the cursor request of f: the pointer position, and
// the image when f fetched it.
func (s *source) cursorReply(f *flight) error {
	r, err := s.w.Wait(f.cur)
	if err != nil {
		return err
	}
	if !f.full {
		x, y := x11wire.ParsePointer(&r)
		s.curX, s.curY = int(x), int(y)
		return nil
	}
	ci, err := x11wire.ParseCursorImage(&r)
	if err != nil {
		return err
	}
	n := int(ci.Width) * int(ci.Height) * 4
	if n > len(r.Data) {
		// Too large for the buffer: fetch it again into a larger one.
		s.curBuf = make([]byte, n)
		seq, err := s.w.XFixesGetCursorImage(s.fixes, s.curBuf)
		if err != nil {
			return err
		}
		if r, err = s.w.Wait(seq); err != nil {
			return err
		}
		if ci, err = x11wire.ParseCursorImage(&r); err != nil {
			return err
		}
		n = int(ci.Width) * int(ci.Height) * 4
		if n > len(r.Data) {
			s.curStale = true
			return nil
		}
	}
	s.cur, s.curX, s.curY = ci, int(ci.X), int(ci.Y)
	if cap(s.curImg) < n {
		s.curImg = make([]byte, n)
	}
	s.curImg = s.curImg[:n]
	copy(s.curImg, r.Data)
	return nil
}

// drawCursor blends the cursor image img (premultiplied ARGB, 4 bytes a
// pixel little-endian, as XFIXES reports it) with its hot spot at (px,
// py) over the BGRX frame pix of the screen area rect:
// dst = src + dst·(255−α)/255, per channel.
func drawCursor(pix []byte, rect image.Rectangle, px, py int, c *x11wire.CursorImage, img []byte) {
	w, h := int(c.Width), int(c.Height)
	if len(img) < w*h*4 {
		return
	}
	x0 := px - int(c.XHot) - rect.Min.X
	y0 := py - int(c.YHot) - rect.Min.Y
	stride := rect.Dx() * 4
	for cy := max(0, -y0); cy < h && y0+cy < rect.Dy(); cy++ {
		row := pix[(y0+cy)*stride:]
		for cx := max(0, -x0); cx < w && x0+cx < rect.Dx(); cx++ {
			p := binary.LittleEndian.Uint32(img[(cy*w+cx)*4:])
			a := p >> 24
			if a == 0 {
				continue
			}
			d := row[(x0+cx)*4:]
			for i := range 3 {
				v := (p>>(8*i))&0xff + (uint32(d[i])*(255-a)+127)/255
				d[i] = byte(min(v, 255))
			}
		}
	}
}
