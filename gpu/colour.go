package gpu

import (
	"fmt"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

// ColorSpace is the YUV matrix and range a conversion assumes. It has no
// effect on GRAY8 and RGB formats.
type ColorSpace uint8

// Colour spaces. BT601Limited is what the core's VideoView.ToRGBA assumes,
// and gives the same bytes.
const (
	BT601Limited ColorSpace = iota
	BT601Full
	BT709Limited
	BT709Full
)

func (c ColorSpace) String() string {
	switch c {
	case BT601Limited:
		return "BT.601 limited"
	case BT601Full:
		return "BT.601 full"
	case BT709Limited:
		return "BT.709 limited"
	case BT709Full:
		return "BT.709 full"
	}
	return fmt.Sprintf("ColorSpace(%d)", uint8(c))
}

// coef is a conversion in 8-bit fixed point, as the core's:
// c = cy*(Y-yoff); R = (c + rv*V' + 128) >> 8;
// G = (c - gu*U' - gv*V' + 128) >> 8; B = (c + bu*U' + 128) >> 8, with
// U' = U-128, V' = V-128, each clamped to 0..255. The limited-range BT.601
// row is the core's; the others are the standard coefficients times 256
// (times 255/219 and 255/224 for limited range), rounded.
type coef struct{ cy, yoff, rv, gu, gv, bu int32 }

var coefs = [...]coef{
	BT601Limited: {298, 16, 409, 100, 208, 516},
	BT601Full:    {256, 0, 359, 88, 183, 454},
	BT709Limited: {298, 16, 459, 55, 136, 541},
	BT709Full:    {256, 0, 403, 48, 120, 475},
}

// Shader kinds: how the shader finds a pixel's samples.
const (
	kindPlanar  = 0 // Y, U, V planes (I420, YV12, I422)
	kindSemi    = 1 // Y plane, interleaved chroma plane (NV12, NV21)
	kindPacked  = 2 // packed 4:2:2 (YUYV, UYVY)
	kindGray    = 3
	kindRGB     = 4 // packed RGB with a byte order (RGBA, BGRX, RGB24, ...)
	noAlpha     = 255
	paramsWords = 24
	paramsBytes = paramsWords * 4
)

// layout is what the shader needs to know about a format besides offsets
// and strides: its kind, the plane order or byte offsets of its samples,
// and the bytes per pixel of packed RGB.
type layout struct {
	kind   uint32
	idx    [4]uint32
	bpp    uint32
	planes [3]int // which frame plane is Y (or the only one), U and V
}

// layoutOf describes f's layout, or reports that the GPU path has none.
func layoutOf(f format.PixelFormat) (layout, error) {
	switch f {
	case format.I420:
		return layout{kind: kindPlanar, idx: [4]uint32{1}, planes: [3]int{0, 1, 2}}, nil
	case format.YV12:
		return layout{kind: kindPlanar, idx: [4]uint32{1}, planes: [3]int{0, 2, 1}}, nil
	case format.I422:
		return layout{kind: kindPlanar, idx: [4]uint32{0}, planes: [3]int{0, 1, 2}}, nil
	case format.NV12:
		return layout{kind: kindSemi, idx: [4]uint32{0, 1}, planes: [3]int{0, 1, 1}}, nil
	case format.NV21:
		return layout{kind: kindSemi, idx: [4]uint32{1, 0}, planes: [3]int{0, 1, 1}}, nil
	case format.YUYV:
		return layout{kind: kindPacked, idx: [4]uint32{0, 1, 3}}, nil
	case format.UYVY:
		return layout{kind: kindPacked, idx: [4]uint32{1, 0, 2}}, nil
	case format.GRAY8:
		return layout{kind: kindGray}, nil
	case format.RGBA:
		return layout{kind: kindRGB, idx: [4]uint32{0, 1, 2, 3}, bpp: 4}, nil
	case format.RGBX:
		return layout{kind: kindRGB, idx: [4]uint32{0, 1, 2, noAlpha}, bpp: 4}, nil
	case format.BGRA:
		return layout{kind: kindRGB, idx: [4]uint32{2, 1, 0, 3}, bpp: 4}, nil
	case format.BGRX:
		return layout{kind: kindRGB, idx: [4]uint32{2, 1, 0, noAlpha}, bpp: 4}, nil
	case format.ARGB:
		return layout{kind: kindRGB, idx: [4]uint32{1, 2, 3, 0}, bpp: 4}, nil
	case format.ABGR:
		return layout{kind: kindRGB, idx: [4]uint32{3, 2, 1, 0}, bpp: 4}, nil
	case format.RGB24:
		return layout{kind: kindRGB, idx: [4]uint32{0, 1, 2, noAlpha}, bpp: 3}, nil
	case format.BGR24:
		return layout{kind: kindRGB, idx: [4]uint32{2, 1, 0, noAlpha}, bpp: 3}, nil
	}
	return layout{}, fmt.Errorf("gpu: no GPU conversion for %v: %w", f, miniav.ErrNotSupported)
}

// ToRGBA converts v on the CPU with the colour space cs into dst (4 bytes
// per pixel, rows of 4*width bytes, len(dst) >= 4*width*height), with the
// same integer maths as the GPU shader. With BT601Limited it gives the same
// bytes as the core's VideoView.ToRGBA. It is the reference the GPU tests
// compare with, and a fallback where no GPU is available.
func ToRGBA(v miniav.VideoView, cs ColorSpace, dst []byte) error {
	if v.NumPlanes() == 0 {
		return fmt.Errorf("gpu: convert an empty view: %w", miniav.ErrReleased)
	}
	l, err := layoutOf(v.PixelFormat)
	if err != nil {
		return err
	}
	if int(cs) >= len(coefs) {
		return fmt.Errorf("gpu: colour space %v: %w", cs, miniav.ErrInvalid)
	}
	w, h := v.Width, v.Height
	if len(dst) < 4*w*h {
		return fmt.Errorf("gpu: ToRGBA destination of %d bytes, want %d: %w", len(dst), 4*w*h, miniav.ErrInvalid)
	}
	k := coefs[cs]
	p0, s0 := v.Plane(l.planes[0]), v.Stride(l.planes[0])
	for y := range h {
		d := dst[4*w*y : 4*w*(y+1)]
		for x := range w {
			var Y, U, V byte
			switch l.kind {
			case kindPlanar:
				sh := l.idx[0]
				Y = p0[y*s0+x]
				U = v.Plane(l.planes[1])[(y>>sh)*v.Stride(l.planes[1])+x/2]
				V = v.Plane(l.planes[2])[(y>>sh)*v.Stride(l.planes[2])+x/2]
			case kindSemi:
				c := v.Plane(1)[y/2*v.Stride(1)+x&^1:]
				Y, U, V = p0[y*s0+x], c[l.idx[0]], c[l.idx[1]]
			case kindPacked:
				m := p0[y*s0+(x&^1)*2:]
				Y, U, V = m[int(l.idx[0])+2*(x&1)], m[l.idx[1]], m[l.idx[2]]
			case kindGray:
				g := p0[y*s0+x]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = g, g, g, 255
				continue
			case kindRGB:
				px := p0[y*s0+x*int(l.bpp):]
				a := byte(255)
				if l.idx[3] != noAlpha {
					a = px[l.idx[3]]
				}
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = px[l.idx[0]], px[l.idx[1]], px[l.idx[2]], a
				continue
			}
			c := k.cy * (int32(Y) - k.yoff)
			e, f := int32(U)-128, int32(V)-128
			d[4*x] = clamp8((c + k.rv*f + 128) >> 8)
			d[4*x+1] = clamp8((c - k.gu*e - k.gv*f + 128) >> 8)
			d[4*x+2] = clamp8((c + k.bu*e + 128) >> 8)
			d[4*x+3] = 255
		}
	}
	return nil
}

func clamp8(x int32) byte {
	return byte(min(max(x, 0), 255))
}
