package jpegdec

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/miniav-go/miniav/format"
)

// Pure decodes with the standard library's image/jpeg and copies the
// decoded planes into the destination. It works everywhere but allocates
// the decoded image on every frame.
type Pure struct {
	r bytes.Reader
}

// NewPure returns a pure-Go decoder.
func NewPure() *Pure { return &Pure{} }

// Mode implements Decoder.
func (*Pure) Mode() string { return "image/jpeg" }

// Close implements Decoder.
func (*Pure) Close() error { return nil }

// Decode implements Decoder.
func (d *Pure) Decode(b []byte, h Header, dst Planes) error {
	if err := check(h, dst); err != nil {
		return err
	}
	d.r.Reset(b)
	img, err := jpeg.Decode(&d.r)
	d.r.Reset(nil)
	if err != nil {
		return fmt.Errorf("%v: %w", err, ErrCorrupt)
	}
	if r := img.Bounds(); r.Dx() != h.Width || r.Dy() != h.Height {
		return fmt.Errorf("decoded %v, header says %dx%d: %w", r, h.Width, h.Height, ErrCorrupt)
	}
	switch m := img.(type) {
	case *image.Gray:
		if h.PixelFormat != format.GRAY8 {
			break
		}
		copyPlane(dst.Data[0], dst.Strides[0], m.Pix, m.Stride, h.Width, h.Height)
		return nil
	case *image.YCbCr:
		var want image.YCbCrSubsampleRatio
		switch h.PixelFormat {
		case format.I420:
			want = image.YCbCrSubsampleRatio420
		case format.I422:
			want = image.YCbCrSubsampleRatio422
		default:
			return fmt.Errorf("decoded %v, header says %v: %w", m.SubsampleRatio, h.PixelFormat, ErrCorrupt)
		}
		if m.SubsampleRatio != want {
			return fmt.Errorf("decoded %v, header says %v: %w", m.SubsampleRatio, h.PixelFormat, ErrCorrupt)
		}
		copyPlane(dst.Data[0], dst.Strides[0], m.Y, m.YStride, h.Width, h.Height)
		cw, ch := h.PixelFormat.PlaneSize(1, h.Width, h.Height)
		copyPlane(dst.Data[1], dst.Strides[1], m.Cb, m.CStride, cw, ch)
		copyPlane(dst.Data[2], dst.Strides[2], m.Cr, m.CStride, cw, ch)
		return nil
	}
	return fmt.Errorf("decoded a %T, header says %v: %w", img, h.PixelFormat, ErrUnsupported)
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride, w, rows int) {
	for y := range rows {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}
