package xvfb

import (
	"fmt"
	"image"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// A Rect is a rectangle in one colour, 0xRRGGBB.
type Rect struct {
	image.Rectangle
	RGB uint32
}

// FillRect paints r on drawable d of connection c in colour rgb (0xRRGGBB)
// and returns once the server has drawn it.
func FillRect(c *xgb.Conn, d xproto.Drawable, r image.Rectangle, rgb uint32) error {
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return err
	}
	if err := xproto.CreateGCChecked(c, gc, d, xproto.GcForeground, []uint32{rgb}).Check(); err != nil {
		return fmt.Errorf("xvfb: CreateGC: %w", err)
	}
	defer xproto.FreeGC(c, gc)
	rect := xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}
	if err := xproto.PolyFillRectangleChecked(c, d, gc, []xproto.Rectangle{rect}).Check(); err != nil {
		return fmt.Errorf("xvfb: PolyFillRectangle: %w", err)
	}
	return nil
}

// Paint draws rects, in order, on the root window of display and returns
// once the server has drawn them.
func Paint(display string, rects ...Rect) error {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return fmt.Errorf("xvfb: connect to %s: %w", display, err)
	}
	defer c.Close()
	root := xproto.Drawable(xproto.Setup(c).DefaultScreen(c).Root)
	for _, r := range rects {
		if err := FillRect(c, root, r.Rectangle, r.RGB); err != nil {
			return err
		}
	}
	return nil
}
