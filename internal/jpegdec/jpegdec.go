// Package jpegdec decodes baseline and progressive JPEG frames (MJPEG) into
// caller-owned planes in the JPEG's native sampling: I420 for 4:2:0, I422
// for 4:2:2 and GRAY8 for greyscale. There is no colour conversion and no
// upsampling: the planes hold the JPEG's own Y, Cb and Cr samples
// (full-range, JFIF).
//
// Two decoders implement Decoder: Turbo, which calls libjpeg-turbo's
// TurboJPEG API and decodes straight into the caller's planes with their
// strides, and Pure, which uses the standard library's image/jpeg and
// copies its planes. New picks Turbo when the library can be loaded and
// Pure otherwise.
//
// Turbo loads libturbojpeg at run time (dlopen), so programs build
// everywhere, with or without the library, and use it where it is
// installed (Debian: libturbojpeg0). It needs cgo; with CGO_ENABLED=0 only
// Pure is available.
package jpegdec

import (
	"errors"
	"fmt"

	"github.com/miniav-go/miniav/format"
)

// Errors, for errors.Is.
var (
	// ErrCorrupt: the data is not a complete, valid JPEG (truncated,
	// garbage, a decoder error or warning).
	ErrCorrupt = errors.New("jpegdec: corrupt JPEG")
	// ErrUnsupported: a valid JPEG in a layout this package does not
	// decode (4:4:4, 4:4:0, 4:1:1, CMYK, 12-bit, arithmetic coding).
	ErrUnsupported = errors.New("jpegdec: unsupported JPEG layout")
	// ErrUnavailable: the TurboJPEG library could not be loaded.
	ErrUnavailable = errors.New("jpegdec: TurboJPEG unavailable")
	// ErrShortPlanes: the destination planes are too small for the frame.
	ErrShortPlanes = errors.New("jpegdec: destination planes too small")
)

// MaxPixels bounds the frames Header accepts (a 8192×8192 frame), so a
// corrupt header cannot make a caller allocate gigabytes.
const MaxPixels = 8192 * 8192

// Header is what a JPEG's frame header says about its layout.
type Header struct {
	Width, Height int
	// PixelFormat is the native layout of the decoded planes:
	// format.I420, format.I422 or format.GRAY8.
	PixelFormat format.PixelFormat
}

// Planes are the destination of a decode: up to three planes (Y, Cb, Cr)
// in the layout of Header.PixelFormat, with room for the rows and row
// widths Header.PlaneDims gives, Strides[i] bytes apart.
type Planes struct {
	Data    [3][]byte
	Strides [3]int
}

// Decoder decodes JPEG frames. A Decoder is not safe for concurrent use:
// give each goroutine its own.
type Decoder interface {
	// Decode decodes jpeg, whose header is h (from ParseHeader), into dst.
	// Errors match ErrCorrupt, ErrUnsupported or ErrShortPlanes.
	Decode(jpeg []byte, h Header, dst Planes) error
	// Mode names the implementation: "turbojpeg" or "image/jpeg".
	Mode() string
	// Close frees the decoder's resources.
	Close() error
}

// New returns a Turbo decoder when TurboJPEG can be loaded and a Pure one
// otherwise.
func New() Decoder {
	if d, err := NewTurbo(); err == nil {
		return d
	}
	return NewPure()
}

// ParseHeader reads the frame header (SOF) of a JPEG and returns its size
// and native layout. It reads only the markers before the first scan.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return Header{}, fmt.Errorf("no start-of-image marker: %w", ErrCorrupt)
	}
	i := 2
	for {
		// Markers may be preceded by any number of 0xFF fill bytes.
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) || b[i-1] != 0xFF {
			return Header{}, fmt.Errorf("no frame header: %w", ErrCorrupt)
		}
		m := b[i]
		i++
		if m == 0x01 || (m >= 0xD0 && m <= 0xD7) { // TEM, RSTn: no length
			continue
		}
		if m == 0xD9 || m == 0xDA { // EOI or SOS before any SOF
			return Header{}, fmt.Errorf("no frame header before the scan: %w", ErrCorrupt)
		}
		if i+2 > len(b) {
			return Header{}, fmt.Errorf("truncated marker: %w", ErrCorrupt)
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b) {
			return Header{}, fmt.Errorf("truncated segment: %w", ErrCorrupt)
		}
		seg := b[i+2 : i+n]
		i += n
		switch m {
		case 0xC0, 0xC1, 0xC2: // baseline, extended, progressive Huffman
			return parseSOF(seg)
		case 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			return Header{}, fmt.Errorf("frame type 0x%02X (lossless, hierarchical or arithmetic): %w", m, ErrUnsupported)
		}
	}
}

func parseSOF(s []byte) (Header, error) {
	if len(s) < 6 {
		return Header{}, fmt.Errorf("short frame header: %w", ErrCorrupt)
	}
	if s[0] != 8 {
		return Header{}, fmt.Errorf("%d-bit samples: %w", s[0], ErrUnsupported)
	}
	h := Header{Height: int(s[1])<<8 | int(s[2]), Width: int(s[3])<<8 | int(s[4])}
	nc := int(s[5])
	if h.Width == 0 || h.Height == 0 || h.Width*h.Height > MaxPixels {
		return Header{}, fmt.Errorf("frame size %dx%d: %w", h.Width, h.Height, ErrCorrupt)
	}
	if len(s) < 6+3*nc || nc == 0 {
		return Header{}, fmt.Errorf("short frame header (%d components): %w", nc, ErrCorrupt)
	}
	hv := func(c int) (int, int) { f := s[6+3*c+1]; return int(f >> 4), int(f & 15) }
	switch nc {
	case 1:
		h.PixelFormat = format.GRAY8
		return h, nil
	case 3:
		yh, yv := hv(0)
		bh, bv := hv(1)
		rh, rv := hv(2)
		// The ratio of luma to chroma sampling decides; encoders write
		// 4:2:2 as 2x1,1x1,1x1 or as 2x2,1x2,1x2.
		if bh == rh && bv == rv && bh > 0 && bv > 0 && yh%bh == 0 && yv%bv == 0 {
			switch [2]int{yh / bh, yv / bv} {
			case [2]int{2, 2}:
				h.PixelFormat = format.I420
				return h, nil
			case [2]int{2, 1}:
				h.PixelFormat = format.I422
				return h, nil
			}
		}
		return Header{}, fmt.Errorf("sampling %dx%d,%dx%d,%dx%d: %w", yh, yv, bh, bv, rh, rv, ErrUnsupported)
	}
	return Header{}, fmt.Errorf("%d components: %w", nc, ErrUnsupported)
}

// PlaneDims returns the bytes per row and the rows that plane i of a frame
// with header h must have room for. They can exceed the frame's own plane
// sizes (format.PixelFormat.PlaneSize): for an odd width or height in a
// subsampled layout, the luma plane is padded to whole chroma samples, and
// TurboJPEG writes that padding.
func (h Header) PlaneDims(i int) (width, rows int) {
	w, ht := h.Width, h.Height
	switch h.PixelFormat {
	case format.I420:
		if i == 0 {
			return (w + 1) &^ 1, (ht + 1) &^ 1
		}
		return (w + 1) / 2, (ht + 1) / 2
	case format.I422:
		if i == 0 {
			return (w + 1) &^ 1, ht
		}
		return (w + 1) / 2, ht
	}
	return w, ht
}

// FrameSize is the number of bytes the tightly packed planes of a frame
// with header h need (see PlaneDims).
func (h Header) FrameSize() int {
	n := 0
	for i := range h.PixelFormat.NumPlanes() {
		w, rows := h.PlaneDims(i)
		n += w * rows
	}
	return n
}

// TightPlanes splits data (at least h.FrameSize() bytes) into tightly
// packed planes for h (see PlaneDims).
func (h Header) TightPlanes(data []byte) Planes {
	var p Planes
	off := 0
	for i := range h.PixelFormat.NumPlanes() {
		w, rows := h.PlaneDims(i)
		end := off + w*rows
		p.Data[i], p.Strides[i] = data[off:end:end], w
		off = end
	}
	return p
}

// check verifies that dst can hold a frame with header h.
func check(h Header, dst Planes) error {
	for i := range h.PixelFormat.NumPlanes() {
		w, rows := h.PlaneDims(i)
		if dst.Strides[i] < w || len(dst.Data[i]) < dst.Strides[i]*(rows-1)+w {
			return fmt.Errorf("plane %d: %d bytes with stride %d for %d rows of %d: %w", i, len(dst.Data[i]), dst.Strides[i], rows, w, ErrShortPlanes)
		}
	}
	return nil
}
