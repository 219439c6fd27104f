package x11wire

import (
	"errors"
	"fmt"
)

// Core opcodes used here.
const (
	opGetGeometry          = 14
	opQueryPointer         = 38
	opTranslateCoordinates = 40
	opGetInputFocus        = 43
	opGetImage             = 73
	opQueryExtension       = 98
)

// Image formats.
const (
	ZPixmap = 2
)

func (c *Conn) put(op, data byte, words int) {
	c.req[0], c.req[1] = op, data
	le.PutUint16(c.req[2:], uint16(words))
}

// Extension is what QueryExtension reports.
type Extension struct {
	Present    bool
	Major      byte // major opcode of its requests
	FirstEvent byte
	FirstError byte
}

// QueryExtension asks whether the server has the extension name.
func (c *Conn) QueryExtension(name string) (Extension, error) {
	if len(name) > len(c.req)-8 {
		return Extension{}, errors.New("x11wire: extension name too long")
	}
	n := 8 + pad4(len(name))
	clear(c.req[:n])
	c.put(opQueryExtension, 0, n/4)
	le.PutUint16(c.req[4:], uint16(len(name)))
	copy(c.req[8:], name)
	seq, err := c.send(n, true, nil)
	if err != nil {
		return Extension{}, err
	}
	r, err := c.Wait(seq)
	if err != nil {
		return Extension{}, err
	}
	h := r.Header
	return Extension{Present: h[8] != 0, Major: h[9], FirstEvent: h[10], FirstError: h[11]}, nil
}

// Sync makes a round trip (GetInputFocus) and returns the first error
// the server reported since the last call for a request without a reply.
func (c *Conn) Sync() error {
	c.put(opGetInputFocus, 0, 1)
	seq, err := c.send(4, true, nil)
	if err != nil {
		return err
	}
	if _, err := c.Wait(seq); err != nil {
		return err
	}
	return c.AsyncError()
}

// GetImage requests the pixels of a rectangle of drawable d in format
// (ZPixmap); the reply's data (the pixels) is read into dst.
func (c *Conn) GetImage(format byte, d uint32, x, y int16, w, h uint16, planeMask uint32, dst []byte) (uint64, error) {
	c.put(opGetImage, format, 5)
	c.putImageRect(d, x, y, w, h, planeMask)
	return c.send(20, true, dst)
}

// putImageRect writes the drawable, rectangle and plane mask that
// GetImage and ShmGetImage share, at bytes 4 to 19 of the request.
func (c *Conn) putImageRect(d uint32, x, y int16, w, h uint16, planeMask uint32) {
	le.PutUint32(c.req[4:], d)
	le.PutUint16(c.req[8:], uint16(x))
	le.PutUint16(c.req[10:], uint16(y))
	le.PutUint16(c.req[12:], w)
	le.PutUint16(c.req[14:], h)
	le.PutUint32(c.req[16:], planeMask)
}

// GetGeometry requests the geometry of drawable d; see ParseGeometry.
func (c *Conn) GetGeometry(d uint32) (uint64, error) {
	c.put(opGetGeometry, 0, 2)
	le.PutUint32(c.req[4:], d)
	return c.send(8, true, nil)
}

// Geometry is a GetGeometry reply.
type Geometry struct {
	Root                uint32
	X, Y                int16
	Width, Height, Bord uint16
	Depth               byte
}

// ParseGeometry decodes a GetGeometry reply.
func ParseGeometry(r *Reply) Geometry {
	h := &r.Header
	return Geometry{Depth: h[1], Root: le.Uint32(h[8:]), X: int16(le.Uint16(h[12:])), Y: int16(le.Uint16(h[14:])),
		Width: le.Uint16(h[16:]), Height: le.Uint16(h[18:]), Bord: le.Uint16(h[20:])}
}

// TranslateCoordinates requests where (x, y) of window src is in window
// dst; see ParseTranslate.
func (c *Conn) TranslateCoordinates(src, dst uint32, x, y int16) (uint64, error) {
	c.put(opTranslateCoordinates, 0, 4)
	le.PutUint32(c.req[4:], src)
	le.PutUint32(c.req[8:], dst)
	le.PutUint16(c.req[12:], uint16(x))
	le.PutUint16(c.req[14:], uint16(y))
	return c.send(16, true, nil)
}

// ParseTranslate decodes a TranslateCoordinates reply: the point in the
// destination window.
func ParseTranslate(r *Reply) (x, y int16) {
	return int16(le.Uint16(r.Header[12:])), int16(le.Uint16(r.Header[14:]))
}

// QueryPointer requests the pointer position relative to window w; see
// ParsePointer.
func (c *Conn) QueryPointer(w uint32) (uint64, error) {
	c.put(opQueryPointer, 0, 2)
	le.PutUint32(c.req[4:], w)
	return c.send(8, true, nil)
}

// ParsePointer decodes a QueryPointer reply: the position on the root.
func ParsePointer(r *Reply) (x, y int16) {
	return int16(le.Uint16(r.Header[16:])), int16(le.Uint16(r.Header[18:]))
}

// MIT-SHM minor opcodes.
const (
	shmAttach   = 1
	shmDetach   = 2
	shmGetImage = 4
)

// ShmAttach asks the server to attach SysV segment shmid as seg (no
// reply; errors surface through Sync). major is MIT-SHM's opcode.
func (c *Conn) ShmAttach(major byte, seg, shmid uint32, readOnly bool) error {
	c.put(major, shmAttach, 4)
	le.PutUint32(c.req[4:], seg)
	le.PutUint32(c.req[8:], shmid)
	c.req[12], c.req[13], c.req[14], c.req[15] = 0, 0, 0, 0
	if readOnly {
		c.req[12] = 1
	}
	_, err := c.send(16, false, nil)
	return err
}

// ShmDetach asks the server to detach seg.
func (c *Conn) ShmDetach(major byte, seg uint32) error {
	c.put(major, shmDetach, 2)
	le.PutUint32(c.req[4:], seg)
	_, err := c.send(8, false, nil)
	return err
}

// ShmGetImage asks the server to copy a rectangle of drawable d into seg
// at offset; the reply (ParseShmImage) says the copy is done.
func (c *Conn) ShmGetImage(major byte, d uint32, x, y int16, w, h uint16, planeMask uint32, format byte, seg, offset uint32) (uint64, error) {
	c.put(major, shmGetImage, 8)
	c.putImageRect(d, x, y, w, h, planeMask)
	c.req[20], c.req[21], c.req[22], c.req[23] = format, 0, 0, 0
	le.PutUint32(c.req[24:], seg)
	le.PutUint32(c.req[28:], offset)
	return c.send(32, true, nil)
}

// ParseShmImage decodes a ShmGetImage reply: depth and byte size.
func ParseShmImage(r *Reply) (depth byte, size uint32) {
	return r.Header[1], le.Uint32(r.Header[12:])
}

// XFIXES minor opcodes and event masks.
const (
	xfixesQueryVersion      = 0
	xfixesSelectCursorInput = 3
	xfixesGetCursorImage    = 4

	// DisplayCursorNotifyMask selects CursorNotify events (event code
	// FirstEvent+CursorNotify) when the displayed cursor changes.
	DisplayCursorNotifyMask = 1
	// CursorNotify is XFIXES' event number for cursor changes.
	CursorNotify = 1
)

// XFixesQueryVersion negotiates the XFIXES version (required before
// other XFIXES requests) and returns the server's.
func (c *Conn) XFixesQueryVersion(major byte, wantMajor, wantMinor uint32) (uint32, uint32, error) {
	c.put(major, xfixesQueryVersion, 3)
	le.PutUint32(c.req[4:], wantMajor)
	le.PutUint32(c.req[8:], wantMinor)
	seq, err := c.send(12, true, nil)
	if err != nil {
		return 0, 0, err
	}
	r, err := c.Wait(seq)
	if err != nil {
		return 0, 0, err
	}
	return le.Uint32(r.Header[8:]), le.Uint32(r.Header[12:]), nil
}

// XFixesSelectCursorInput selects cursor events on window w.
func (c *Conn) XFixesSelectCursorInput(major byte, w, mask uint32) error {
	c.put(major, xfixesSelectCursorInput, 3)
	le.PutUint32(c.req[4:], w)
	le.PutUint32(c.req[8:], mask)
	_, err := c.send(12, false, nil)
	return err
}

// XFixesGetCursorImage requests the cursor image; its premultiplied ARGB
// pixels (4 bytes each, little-endian) are read into dst. See
// ParseCursorImage.
func (c *Conn) XFixesGetCursorImage(major byte, dst []byte) (uint64, error) {
	c.put(major, xfixesGetCursorImage, 1)
	return c.send(4, true, dst)
}

// CursorImage is the header of a GetCursorImage reply.
type CursorImage struct {
	X, Y          int16 // pointer position on the root
	Width, Height uint16
	XHot, YHot    uint16
	Serial        uint32
}

// ParseCursorImage decodes a GetCursorImage reply header; r.Data holds
// the pixels when the buffer was large enough (r.Len bytes).
func ParseCursorImage(r *Reply) (CursorImage, error) {
	h := &r.Header
	ci := CursorImage{X: int16(le.Uint16(h[8:])), Y: int16(le.Uint16(h[10:])), Width: le.Uint16(h[12:]), Height: le.Uint16(h[14:]),
		XHot: le.Uint16(h[16:]), YHot: le.Uint16(h[18:]), Serial: le.Uint32(h[20:])}
	if n := int(ci.Width) * int(ci.Height) * 4; n > r.Len {
		return ci, fmt.Errorf("x11wire: cursor image %dx%d in a %d-byte reply", ci.Width, ci.Height, r.Len)
	}
	return ci, nil
}
