//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"errors"
	"fmt"

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

// Bounds on what a driver's format may report: sizes up to 65536 pixels a
// side, lines up to 4 MiB. Within them no plane's size overflows an int.
const (
	maxDim = 1 << 16
	maxBPL = 1 << 22
)

// errMetadata is wrapped by the errors about a driver's buffer or format
// metadata that points outside the buffer's mapping.
var errMetadata = errors.New("v4l2: buffer metadata out of range")

// check reports whether the negotiated format l is one fill can map.
func (l *layout) check() error {
	if l.width <= 0 || l.height <= 0 || l.width > maxDim || l.height > maxDim {
		return fmt.Errorf("%w: size %dx%d", errMetadata, l.width, l.height)
	}
	if l.kplanes < 1 || l.kplanes > len(l.bpl) {
		return fmt.Errorf("%w: %d planes", errMetadata, l.kplanes)
	}
	for i, b := range l.bpl {
		if b < 0 || b > maxBPL {
			return fmt.Errorf("%w: plane %d has %d bytes per line", errMetadata, i, b)
		}
	}
	return nil
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
// fewer bytes than the format needs. A plane whose bytesused or data
// offset lies outside its mapping is an error wrapping errMetadata (b then
// has no planes); l must have passed check.
func (l *layout) fill(b *backend.Buffer, in []kplane) error {
	b.NumPlanes = 0
	if len(in) == 0 {
		return fmt.Errorf("%w: no planes", errMetadata)
	}
	for i, p := range in {
		end := p.bytesUsed
		if end == 0 {
			end = len(p.mem)
		}
		if p.bytesUsed < 0 || p.bytesUsed > len(p.mem) || p.dataOffset < 0 || p.dataOffset > end {
			return fmt.Errorf("%w: plane %d: %d bytes used from offset %d in a %d-byte mapping", errMetadata, i, p.bytesUsed, p.dataOffset, len(p.mem))
		}
	}
	n := l.pf.NumPlanes()
	if !l.pf.Known() || l.pf.Compressed() {
		b.Planes[0] = used(in[0])
		b.Strides[0] = l.bpl[0]
		b.NumPlanes = 1
		return nil
	}
	if len(in) >= n {
		for i := 0; i < n && i < len(b.Planes); i++ {
			_, rows := l.pf.PlaneSize(i, l.width, l.height)
			b.Planes[i] = clip(used(in[i]), l.bpl[i]*rows)
			b.Strides[i] = l.bpl[i]
		}
		b.NumPlanes = n
		return nil
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
	return nil
}

// used is the part of a kernel plane holding data (bytesused 0: the whole
// mapping), of a plane fill checked.
func used(p kplane) []byte {
	end := p.bytesUsed
	if end == 0 {
		end = len(p.mem)
	}
	return p.mem[p.dataOffset:end:end]
}

func clip(b []byte, n int) []byte {
	if n < len(b) {
		return b[:n:n]
	}
	return b
}
