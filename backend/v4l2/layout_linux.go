//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
)

// toFormat maps a V4L2 FourCC to the miniav pixel format it is delivered
// as: multi-planar "M" variants become their contiguous equivalent, JPEG
// becomes MJPEG, everything else keeps its FourCC (miniav's formats use
// V4L2's codes).
func toFormat(fourcc uint32) format.PixelFormat {
	switch fourcc {
	case v4l2.PixFmtNV12M:
		return format.NV12
	case v4l2.PixFmtNV21M:
		return format.NV21
	case v4l2.PixFmtYUV420M:
		return format.I420
	case v4l2.PixFmtYVU420M:
		return format.YV12
	case v4l2.PixFmtJPEG:
		return format.MJPEG
	}
	return format.PixelFormat(fourcc)
}

// candidates are the V4L2 FourCCs that deliver pf, preferred first.
func candidates(pf format.PixelFormat) []uint32 {
	switch pf {
	case format.NV12:
		return []uint32{uint32(pf), v4l2.PixFmtNV12M}
	case format.NV21:
		return []uint32{uint32(pf), v4l2.PixFmtNV21M}
	case format.I420:
		return []uint32{uint32(pf), v4l2.PixFmtYUV420M}
	case format.YV12:
		return []uint32{uint32(pf), v4l2.PixFmtYVU420M}
	case format.MJPEG:
		return []uint32{uint32(pf), v4l2.PixFmtJPEG}
	}
	return []uint32{uint32(pf)}
}

// layout is how the kernel planes of a negotiated format map onto a
// frame's planes.
type layout struct {
	pf            format.PixelFormat // as delivered
	width, height int
	kplanes       int    // kernel planes per buffer
	bpl           [8]int // bytes per line of each kernel plane
}

// kplane is one kernel plane of a dequeued buffer.
type kplane struct {
	mem        []byte // the whole mapping
	bytesUsed  int    // as the driver reported, data offset included
	dataOffset int
}

// fill points b's planes into the kernel planes in: one frame plane per
// kernel plane when the counts match, a contiguous single-planar buffer
// split at the plane boundaries (NV12, I420 in one buffer), and one plane
// of bytesused bytes for compressed and unknown formats. No byte is
// copied. Planes are cut short, never extended, when the driver delivered
// fewer bytes than the format needs.
func (l *layout) fill(b *backend.Buffer, in []kplane) {
	b.NumPlanes = 0
	if len(in) == 0 {
		return
	}
	n := l.pf.NumPlanes()
	if !l.pf.Known() || l.pf.Compressed() {
		b.Planes[0] = used(in[0])
		b.Strides[0] = l.bpl[0]
		b.NumPlanes = 1
		return
	}
	if len(in) >= n {
		for i := 0; i < n && i < len(b.Planes); i++ {
			_, rows := l.pf.PlaneSize(i, l.width, l.height)
			b.Planes[i] = clip(used(in[i]), l.bpl[i]*rows)
			b.Strides[i] = l.bpl[i]
		}
		b.NumPlanes = n
		return
	}
	// One contiguous buffer holding every plane: chroma strides scale
	// with the luma stride as the packed line sizes do.
	data := used(in[0])
	lw, _ := l.pf.PlaneSize(0, l.width, l.height)
	off := 0
	for i := 0; i < n && i < len(b.Planes); i++ {
		w, rows := l.pf.PlaneSize(i, l.width, l.height)
		stride := l.bpl[0]
		if lw > 0 {
			stride = l.bpl[0] * w / lw
		}
		size := stride * rows
		start := min(off, len(data))
		b.Planes[i] = data[start:min(off+size, len(data)):min(off+size, len(data))]
		b.Strides[i] = stride
		off += size
	}
	b.NumPlanes = n
}

// used is the part of a kernel plane holding data.
func used(p kplane) []byte {
	end := p.bytesUsed
	if end <= 0 || end > len(p.mem) {
		end = len(p.mem)
	}
	start := min(max(p.dataOffset, 0), end)
	return p.mem[start:end:end]
}

func clip(b []byte, n int) []byte {
	if n < len(b) {
		return b[:n:n]
	}
	return b
}
