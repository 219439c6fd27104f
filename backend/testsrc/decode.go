package testsrc

import (
	"github.com/miniav-go/miniav/format"
)

// DecodeIndex reads the frame index stamped into a frame of this source
// from its planes. It reports false when the frame is too small to carry a
// stamp (narrower than 64 or shorter than 8 pixels) or the stamp is
// unreadable.
func DecodeIndex(v format.Video, planes [][]byte, strides []int) (uint32, bool) {
	r := StampRect(v.Width, v.Height)
	bw := r.Dx() / 32
	if bw == 0 || r.Dy() == 0 || len(planes) == 0 {
		return 0, false
	}
	y := r.Dy() / 2
	var k uint32
	for bit := range 32 {
		x := bit*bw + bw/2
		var luma byte
		p, s := planes[0], strides[0]
		switch v.PixelFormat {
		case format.I420, format.I422, format.NV12, format.GRAY8:
			luma = p[y*s+x]
		case format.YUYV:
			luma = p[y*s+2*x]
		case format.UYVY:
			luma = p[y*s+2*x+1]
		case format.RGBA, format.RGB24:
			luma = p[y*s+x*(s/v.Width)]
		case format.BGRA, format.BGRX, format.BGR24:
			luma = p[y*s+x*(s/v.Width)+2]
		default:
			return 0, false
		}
		switch {
		case luma >= 200:
			k |= 1 << (31 - bit)
		case luma > 40:
			return 0, false
		}
	}
	return k, true
}
