package testsrc

import (
	"errors"
	"image"
	"image/jpeg"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// EncodedFormats are the compressed formats the camera delivers: its
// pattern rendered in I420 and encoded per frame (MJPEG: image/jpeg,
// 4:2:0, quality 90 unless the "quality" parameter says otherwise).
var EncodedFormats = []format.PixelFormat{format.MJPEG}

// DefaultJPEGQuality is the quality of the MJPEG frames the camera encodes.
const DefaultJPEGQuality = 90

var errJPEGTooLarge = errors.New("encoded frame larger than its buffer")

// jpegEncoder encodes I420 frames into caller buffers.
type jpegEncoder struct {
	v    format.Video
	opts jpeg.Options
	img  image.YCbCr
	w    sliceWriter
}

func newJPEGEncoder(v format.Video, quality int) *jpegEncoder {
	if quality == 0 {
		quality = DefaultJPEGQuality
	}
	return &jpegEncoder{v: v, opts: jpeg.Options{Quality: quality}}
}

// maxSize bounds an encoded frame: twice the raw I420 frame and room for
// the headers (a JPEG of noise can exceed its raw size a little).
func (e *jpegEncoder) maxSize() int {
	return 2*format.I420.FrameSize(e.v.Width, e.v.Height) + 2048
}

// encode encodes the I420 planes of raw into dst and returns the length.
func (e *jpegEncoder) encode(dst []byte, raw *backend.Buffer) (int, error) {
	e.img = image.YCbCr{
		Y: raw.Planes[0], Cb: raw.Planes[1], Cr: raw.Planes[2],
		YStride: raw.Strides[0], CStride: raw.Strides[1],
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, e.v.Width, e.v.Height),
	}
	e.w = sliceWriter{b: dst}
	if err := jpeg.Encode(&e.w, &e.img, &e.opts); err != nil {
		return 0, err
	}
	if e.w.err != nil {
		return 0, e.w.err
	}
	return e.w.n, nil
}

// sliceWriter writes into a fixed slice; image/jpeg uses it directly
// (it has Flush and WriteByte), without a bufio.Writer of its own.
type sliceWriter struct {
	b   []byte
	n   int
	err error
}

func (w *sliceWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.n+len(p) > len(w.b) {
		w.err = errJPEGTooLarge
		return 0, w.err
	}
	w.n += copy(w.b[w.n:], p)
	return len(p), nil
}

func (w *sliceWriter) WriteByte(c byte) error {
	if w.err != nil {
		return w.err
	}
	if w.n >= len(w.b) {
		w.err = errJPEGTooLarge
		return w.err
	}
	w.b[w.n] = c
	w.n++
	return nil
}

func (w *sliceWriter) Flush() error { return w.err }
