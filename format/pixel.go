// Package format describes media formats: pixel formats with their plane
// layouts, audio sample formats, rational frame rates, and the capability
// ranges devices advertise.
//
// The values are plain data with no dependency on any backend, so they can
// be shared by every backend, the devices package and the miniav package.
package format

import (
	"fmt"
	"strings"
)

// PixelFormat identifies a pixel layout. Its value is a little-endian
// FourCC, the same code V4L2 uses, so values round-trip with V4L2 drivers
// unchanged. Names describe bytes in memory order: BGRA is the bytes
// B, G, R, A, one after another.
type PixelFormat uint32

// FourCC builds a PixelFormat from its four-character code.
func FourCC(a, b, c, d byte) PixelFormat {
	return PixelFormat(uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24)
}

// The pixel formats miniav knows the layout of. Backends may deliver other
// FourCCs; those are passed through as a single plane with NumPlanes 1.
var (
	I420  = FourCC('Y', 'U', '1', '2') // planar Y, U, V; 4:2:0
	YV12  = FourCC('Y', 'V', '1', '2') // planar Y, V, U; 4:2:0
	I422  = FourCC('4', '2', '2', 'P') // planar Y, U, V; 4:2:2 (V4L2's YUV422P)
	NV12  = FourCC('N', 'V', '1', '2') // Y plane, interleaved UV plane; 4:2:0
	NV21  = FourCC('N', 'V', '2', '1') // Y plane, interleaved VU plane; 4:2:0
	YUYV  = FourCC('Y', 'U', 'Y', 'V') // packed Y0 U Y1 V; 4:2:2 (also called YUY2)
	UYVY  = FourCC('U', 'Y', 'V', 'Y') // packed U Y0 V Y1; 4:2:2
	RGB24 = FourCC('R', 'G', 'B', '3') // packed R, G, B
	BGR24 = FourCC('B', 'G', 'R', '3') // packed B, G, R
	RGBA  = FourCC('A', 'B', '2', '4') // R, G, B, A
	BGRA  = FourCC('A', 'R', '2', '4') // B, G, R, A
	ARGB  = FourCC('B', 'A', '2', '4') // A, R, G, B
	ABGR  = FourCC('R', 'A', '2', '4') // A, B, G, R
	BGRX  = FourCC('X', 'R', '2', '4') // B, G, R, padding (X11 depth 24)
	RGBX  = FourCC('X', 'B', '2', '4') // R, G, B, padding
	GRAY8 = FourCC('G', 'R', 'E', 'Y') // 8-bit luma only
	MJPEG = FourCC('M', 'J', 'P', 'G') // motion JPEG, one compressed plane
	H264  = FourCC('H', '2', '6', '4') // H.264 elementary stream, one compressed plane
)

// YUY2 is another name for YUYV.
var YUY2 = YUYV

type pixInfo struct {
	name       string
	planes     int
	compressed bool
	// Per plane: bytes per pixel group numerator/denominator horizontally
	// (bytes per line = ceil(w*num/den)), and vertical subsampling shift.
	bplNum, bplDen [4]int
	vshift         [4]uint
}

var pixInfos = map[PixelFormat]pixInfo{
	I420:  {name: "I420", planes: 3, bplNum: [4]int{1, 1, 1}, bplDen: [4]int{1, 2, 2}, vshift: [4]uint{0, 1, 1}},
	YV12:  {name: "YV12", planes: 3, bplNum: [4]int{1, 1, 1}, bplDen: [4]int{1, 2, 2}, vshift: [4]uint{0, 1, 1}},
	I422:  {name: "I422", planes: 3, bplNum: [4]int{1, 1, 1}, bplDen: [4]int{1, 2, 2}},
	NV12:  {name: "NV12", planes: 2, bplNum: [4]int{1, 1}, bplDen: [4]int{1, 1}, vshift: [4]uint{0, 1}},
	NV21:  {name: "NV21", planes: 2, bplNum: [4]int{1, 1}, bplDen: [4]int{1, 1}, vshift: [4]uint{0, 1}},
	YUYV:  {name: "YUYV", planes: 1, bplNum: [4]int{2}, bplDen: [4]int{1}},
	UYVY:  {name: "UYVY", planes: 1, bplNum: [4]int{2}, bplDen: [4]int{1}},
	RGB24: {name: "RGB24", planes: 1, bplNum: [4]int{3}, bplDen: [4]int{1}},
	BGR24: {name: "BGR24", planes: 1, bplNum: [4]int{3}, bplDen: [4]int{1}},
	RGBA:  {name: "RGBA", planes: 1, bplNum: [4]int{4}, bplDen: [4]int{1}},
	BGRA:  {name: "BGRA", planes: 1, bplNum: [4]int{4}, bplDen: [4]int{1}},
	ARGB:  {name: "ARGB", planes: 1, bplNum: [4]int{4}, bplDen: [4]int{1}},
	ABGR:  {name: "ABGR", planes: 1, bplNum: [4]int{4}, bplDen: [4]int{1}},
	BGRX:  {name: "BGRX", planes: 1, bplNum: [4]int{4}, bplDen: [4]int{1}},
	RGBX:  {name: "RGBX", planes: 1, bplNum: [4]int{4}, bplDen: [4]int{1}},
	GRAY8: {name: "GRAY8", planes: 1, bplNum: [4]int{1}, bplDen: [4]int{1}},
	MJPEG: {name: "MJPEG", planes: 1, compressed: true},
	H264:  {name: "H264", planes: 1, compressed: true},
}

// Known reports whether miniav knows the layout of p.
func (p PixelFormat) Known() bool { _, ok := pixInfos[p]; return ok }

// Compressed reports whether frames in p are compressed (their single plane
// has a variable byte count).
func (p PixelFormat) Compressed() bool { return pixInfos[p].compressed }

// NumPlanes is the number of planes a frame in p has. Unknown formats are
// treated as one opaque plane.
func (p PixelFormat) NumPlanes() int {
	if i, ok := pixInfos[p]; ok {
		return i.planes
	}
	return 1
}

// PlaneSize returns the minimum bytes per line and the number of rows of
// plane i of a w×h frame. For compressed and unknown formats it returns 0, 0.
func (p PixelFormat) PlaneSize(i, w, h int) (bytesPerLine, rows int) {
	info, ok := pixInfos[p]
	if !ok || info.compressed || i < 0 || i >= info.planes {
		return 0, 0
	}
	num, den := info.bplNum[i], info.bplDen[i]
	bpl := (w*num + den - 1) / den
	rows = (h + (1<<info.vshift[i] - 1)) >> info.vshift[i]
	if p == NV12 || p == NV21 {
		if i == 1 {
			bpl = (w + 1) &^ 1
		}
	}
	return bpl, rows
}

// Planes splits data, a tightly packed w×h frame of p (FrameSize bytes),
// into views of its planes, each capped at its end, with their strides; n
// is the number of planes. A compressed or unknown format is one plane,
// data whole, with stride 0.
func (p PixelFormat) Planes(data []byte, w, h int) (planes [4][]byte, strides [4]int, n int) {
	n = p.NumPlanes()
	if !p.Known() || p.Compressed() {
		planes[0] = data
		return planes, strides, 1
	}
	off := 0
	for i := range n {
		bpl, rows := p.PlaneSize(i, w, h)
		end := off + bpl*rows
		planes[i], strides[i] = data[off:end:end], bpl
		off = end
	}
	return planes, strides, n
}

// FrameSize is the number of bytes a tightly packed w×h frame needs, or 0
// for compressed and unknown formats.
func (p PixelFormat) FrameSize(w, h int) int {
	n := 0
	for i := 0; i < p.NumPlanes(); i++ {
		bpl, rows := p.PlaneSize(i, w, h)
		n += bpl * rows
	}
	return n
}

// FourCC returns the four-character code, e.g. "YU12" for I420.
func (p PixelFormat) FourCC() string {
	b := [4]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24 & 0x7f)}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	s := string(b[:])
	if p&(1<<31) != 0 {
		s += "-BE"
	}
	return s
}

// String returns the format's name, or its FourCC when miniav does not know it.
func (p PixelFormat) String() string {
	if i, ok := pixInfos[p]; ok {
		return i.name
	}
	if p == 0 {
		return "none"
	}
	return p.FourCC()
}

// ParsePixelFormat parses a pixel format name ("I420", "nv12", "YUY2") or a
// FourCC ("YU12").
func ParsePixelFormat(s string) (PixelFormat, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	switch u {
	case "YUY2":
		return YUYV, nil
	case "GRAY", "GREY", "Y8", "Y800":
		return GRAY8, nil
	case "MJPG", "JPEG":
		return MJPEG, nil
	case "YUV420P", "IYUV":
		return I420, nil
	case "YUV422P", "422P":
		return I422, nil
	}
	for p, i := range pixInfos {
		if i.name == u {
			return p, nil
		}
	}
	if len(s) == 4 && printable(s) {
		return FourCC(s[0], s[1], s[2], s[3]), nil
	}
	return 0, fmt.Errorf("format: unknown pixel format %q", s)
}

// printable reports whether s is printable ASCII without spaces, as the
// characters of a FourCC are.
func printable(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
