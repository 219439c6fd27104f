package miniav

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"

	"github.com/miniav-go/miniav/format"
)

// Image returns a view of the frame as an image.Image without copying,
// where the standard library has a matching layout: *image.YCbCr for I420,
// YV12 and I422, *image.Gray for GRAY8, *image.RGBA for RGBA. Other layouts give
// an error matching ErrNotSupported: use ToRGBA.
//
// The view shares the frame's memory and is valid until the frame is
// released. Note that image.YCbCr follows JFIF (full-range) semantics
// while cameras usually deliver limited-range BT.601, so colours of a
// YCbCr view converted by the standard library are slightly washed out;
// ToRGBA converts limited-range exactly.
func (v VideoView) Image() (image.Image, error) {
	if v.n == 0 {
		return nil, fmt.Errorf("image of an empty view: %w", ErrReleased)
	}
	r := image.Rect(0, 0, v.Width, v.Height)
	switch v.PixelFormat {
	case format.I420, format.YV12, format.I422:
		cb, cr := v.planes[1], v.planes[2]
		if v.PixelFormat == format.YV12 {
			cb, cr = cr, cb
		}
		if v.strides[1] != v.strides[2] {
			return nil, fmt.Errorf("image of %v with unequal chroma strides: %w", v.PixelFormat, ErrNotSupported)
		}
		ratio := image.YCbCrSubsampleRatio420
		if v.PixelFormat == format.I422 {
			ratio = image.YCbCrSubsampleRatio422
		}
		return &image.YCbCr{Y: v.planes[0], Cb: cb, Cr: cr, YStride: v.strides[0], CStride: v.strides[1], SubsampleRatio: ratio, Rect: r}, nil
	case format.GRAY8:
		return &image.Gray{Pix: v.planes[0], Stride: v.strides[0], Rect: r}, nil
	case format.RGBA:
		return &image.RGBA{Pix: v.planes[0], Stride: v.strides[0], Rect: r}, nil
	}
	return nil, fmt.Errorf("no zero-copy image.Image for %v (use ToRGBA): %w", v.PixelFormat, ErrNotSupported)
}

// ToRGBA converts the frame into dst, which must be exactly the frame's
// size (dst.Rect may have any origin). YUV is converted as limited-range
// BT.601; padding bytes (BGRX) become opaque alpha; MJPEG is decoded. It
// never allocates except for MJPEG. Formats miniav does not know give an
// error matching ErrNotSupported.
func (v VideoView) ToRGBA(dst *image.RGBA) error {
	if v.n == 0 {
		return fmt.Errorf("convert an empty view: %w", ErrReleased)
	}
	if dst == nil || dst.Rect.Dx() != v.Width || dst.Rect.Dy() != v.Height {
		return fmt.Errorf("ToRGBA: destination must be %dx%d: %w", v.Width, v.Height, ErrInvalid)
	}
	w, h := v.Width, v.Height
	p0, s0 := v.planes[0], v.strides[0]
	row := func(y int) []byte { return dst.Pix[y*dst.Stride : y*dst.Stride+4*w] }
	switch v.PixelFormat {
	case format.I420, format.YV12, format.I422:
		u, vv := 1, 2
		if v.PixelFormat == format.YV12 {
			u, vv = 2, 1
		}
		shift := 1 // chroma rows: half as many, except in 4:2:2
		if v.PixelFormat == format.I422 {
			shift = 0
		}
		for y := range h {
			d, ys := row(y), p0[y*s0:]
			us, vs := v.planes[u][y>>shift*v.strides[u]:], v.planes[vv][y>>shift*v.strides[vv]:]
			for x := range w {
				yuvToRGBA(d[4*x:], ys[x], us[x/2], vs[x/2])
			}
		}
	case format.NV12, format.NV21:
		uo, vo := 0, 1
		if v.PixelFormat == format.NV21 {
			uo, vo = 1, 0
		}
		for y := range h {
			d, ys, c := row(y), p0[y*s0:], v.planes[1][y/2*v.strides[1]:]
			for x := range w {
				i := x &^ 1
				yuvToRGBA(d[4*x:], ys[x], c[i+uo], c[i+vo])
			}
		}
	case format.YUYV, format.UYVY:
		yo, uo, vo := 0, 1, 3
		if v.PixelFormat == format.UYVY {
			yo, uo, vo = 1, 0, 2
		}
		for y := range h {
			d, s := row(y), p0[y*s0:]
			for x := range w {
				m := s[(x&^1)*2:]
				yuvToRGBA(d[4*x:], m[yo+2*(x&1)], m[uo], m[vo])
			}
		}
	case format.GRAY8:
		for y := range h {
			d, s := row(y), p0[y*s0:]
			for x := range w {
				g := s[x]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = g, g, g, 255
			}
		}
	case format.RGBA, format.RGBX, format.BGRA, format.BGRX, format.ARGB, format.ABGR, format.RGB24, format.BGR24:
		ri, gi, bi, ai, bpp := swizzle(v.PixelFormat)
		for y := range h {
			d, s := row(y), p0[y*s0:]
			for x := range w {
				px := s[x*bpp:]
				a := byte(255)
				if ai >= 0 {
					a = px[ai]
				}
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = px[ri], px[gi], px[bi], a
			}
		}
	case format.MJPEG:
		img, err := jpeg.Decode(bytes.NewReader(p0))
		if err != nil {
			return fmt.Errorf("ToRGBA: decoding MJPEG frame: %w", err)
		}
		draw.Draw(dst, dst.Rect, img, img.Bounds().Min, draw.Src)
	default:
		return fmt.Errorf("ToRGBA from %v: %w", v.PixelFormat, ErrNotSupported)
	}
	return nil
}

// swizzle gives the byte offsets of R, G, B and A (-1: none) in a pixel.
func swizzle(p format.PixelFormat) (r, g, b, a, bpp int) {
	switch p {
	case format.RGBA:
		return 0, 1, 2, 3, 4
	case format.RGBX:
		return 0, 1, 2, -1, 4
	case format.BGRA:
		return 2, 1, 0, 3, 4
	case format.BGRX:
		return 2, 1, 0, -1, 4
	case format.ARGB:
		return 1, 2, 3, 0, 4
	case format.ABGR:
		return 3, 2, 1, 0, 4
	case format.RGB24:
		return 0, 1, 2, -1, 3
	}
	return 2, 1, 0, -1, 3 // BGR24
}

// yuvToRGBA converts one limited-range BT.601 sample to RGBA.
func yuvToRGBA(d []byte, y, u, v byte) {
	c := 298 * (int32(y) - 16)
	e := int32(u) - 128
	f := int32(v) - 128
	d[0] = clamp8((c + 409*f + 128) >> 8)
	d[1] = clamp8((c - 100*e - 208*f + 128) >> 8)
	d[2] = clamp8((c + 516*e + 128) >> 8)
	d[3] = 255
}

func clamp8(x int32) byte {
	if x < 0 {
		return 0
	}
	if x > 255 {
		return 255
	}
	return byte(x)
}
