package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

type writer interface {
	write(miniav.Frame) error
	close() error
}

// Output names that are not files.
const (
	outStdout  = "-"    // the stream on standard output
	outDiscard = "null" // capture and count, write nothing
)

// newWriter opens the output: a file by its extension, or, for "-", the
// stream on stdout (y4m for video, WAV with an unknown-length header for
// audio). raw writes bare planes (video, tightly packed in the stream's
// pixel format) or bare samples (audio) instead of a container.
func newWriter(path string, info miniav.Info, raw bool, stdout io.Writer) (writer, error) {
	if path == outDiscard {
		return discard{}, nil
	}
	audio := info.Kind.Audio()
	if raw {
		if !audio && (info.Video.Width == 0 || info.Video.Height == 0 || !info.Video.PixelFormat.Known()) {
			return nil, fmt.Errorf("output %q: cannot write %v as raw planes: %w", path, info.Video, errUsage)
		}
		out, err := openOut(path, stdout)
		if err != nil {
			return nil, err
		}
		return &rawWriter{out: out, w: bufio.NewWriterSize(out, 1<<20), audio: audio}, nil
	}
	if path == outStdout {
		out := nopCloser{stdout}
		if audio {
			return newWAV(path, out, info.Audio)
		}
		return newY4M(path, out, info.Video, info.Decode)
	}
	switch e := ext(path); {
	case e == ".wav" && audio, e == ".y4m" && !audio:
		if audio {
			if err := checkWAV(path, info.Audio); err != nil {
				return nil, err
			}
		} else if err := checkY4M(path, info.Video); err != nil {
			return nil, err
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		if audio {
			return newWAV(path, f, info.Audio)
		}
		return newY4M(path, f, info.Video, info.Decode)
	case e == ".png" && !audio:
		return &pngWriter{pattern: path}, nil
	case (e == ".mjpeg" || e == ".mjpg") && !audio:
		if err := checkMJPEG(path, info.Video); err != nil {
			return nil, err
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		return &mjpegWriter{out: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
	case e == ".avi" && !audio:
		return newAVI(path, info.Video)
	default:
		kind := "video (.y4m, .png, .mjpeg, .avi)"
		if audio {
			kind = "audio (.wav)"
		}
		return nil, fmt.Errorf("output %q: unsupported file type for %s (or - for stdout, null for none): %w", path, kind, errUsage)
	}
}

// openOut opens path for writing, or stdout for "-".
func openOut(path string, stdout io.Writer) (io.WriteCloser, error) {
	if path == outStdout {
		return nopCloser{stdout}, nil
	}
	return os.Create(path)
}

// nopCloser is stdout as an output: closing it flushes nothing and leaves
// the descriptor open.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type discard struct{}

func (discard) write(miniav.Frame) error { return nil }
func (discard) close() error             { return nil }

// rawWriter writes each frame's planes row by row without stride padding,
// or an audio buffer's samples as they are.
type rawWriter struct {
	out   io.WriteCloser
	w     *bufio.Writer
	audio bool
}

func (r *rawWriter) write(f miniav.Frame) error {
	if r.audio {
		_, err := r.w.Write(f.Audio().Data())
		return err
	}
	v := f.Video()
	if v.PixelFormat.Compressed() {
		_, err := r.w.Write(v.Plane(0)) // MJPEG: the JPEGs back to back
		return err
	}
	for p := range v.NumPlanes() {
		bpl, rows := v.PixelFormat.PlaneSize(p, v.Width, v.Height)
		plane, stride := v.Plane(p), v.Stride(p)
		for y := range rows {
			if _, err := r.w.Write(plane[y*stride : y*stride+bpl]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *rawWriter) close() error { return flushClose(r.w, r.out) }

// flushClose flushes w, then closes out, returning the first error.
func flushClose(w *bufio.Writer, out io.Closer) error {
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// y4mWriter writes YUV4MPEG2: I420, I422 and GRAY8 as they are,
// everything else converted through RGBA to I420.
type y4mWriter struct {
	out  io.WriteCloser
	w    *bufio.Writer
	v    format.Video // the stream's format; the header's layout is the first frame's
	full bool         // full-range samples (decoded JPEGs)
	hdr  bool         // header written
	rgba *image.RGBA
	yuv  []byte
}

func checkY4M(path string, v format.Video) error {
	if v.Width == 0 || v.Height == 0 || v.PixelFormat.Compressed() {
		return fmt.Errorf("output %q: cannot write %v as y4m (use .png, or -raw): %w", path, v, errUsage)
	}
	return nil
}

func newY4M(path string, out io.WriteCloser, v format.Video, full bool) (*y4mWriter, error) {
	if err := checkY4M(path, v); err != nil {
		out.Close()
		return nil, err
	}
	return &y4mWriter{out: out, w: bufio.NewWriterSize(out, 1<<20), v: v, full: full}, nil
}

// y4mDirect reports whether frames of pf go into y4m as they are.
func y4mDirect(pf format.PixelFormat) bool {
	return pf == format.I420 || pf == format.I422 || pf == format.GRAY8
}

// header writes the stream header for frames like v: a decoding stream
// learns its layout (4:2:0, 4:2:2 or grey) from its first JPEG.
func (y *y4mWriter) header(v format.Video) {
	rate := y.v.FrameRate
	if rate.IsZero() {
		rate = format.FPS(30)
	}
	y.v.PixelFormat = v.PixelFormat
	c := "420jpeg"
	switch v.PixelFormat {
	case format.GRAY8:
		c = "mono"
	case format.I422:
		c = "422"
	}
	if y.full && y4mDirect(v.PixelFormat) {
		// Decoded JPEGs are full-range (JFIF) YCbCr; ffmpeg reads the
		// range from this extension.
		c += " XCOLORRANGE=FULL"
	}
	fmt.Fprintf(y.w, "YUV4MPEG2 W%d H%d F%d:%d Ip A1:1 C%s\n", y.v.Width, y.v.Height, rate.Num, rate.Den, c)
	y.hdr = true
}

func (y *y4mWriter) write(f miniav.Frame) error {
	v := f.Video()
	if v.Width != y.v.Width || v.Height != y.v.Height {
		return fmt.Errorf("y4m: frame size changed to %dx%d mid-stream", v.Width, v.Height)
	}
	if !y.hdr {
		y.header(v.Video)
	}
	if y4mDirect(y.v.PixelFormat) && v.PixelFormat != y.v.PixelFormat {
		return fmt.Errorf("y4m: a %v frame in a %v stream", v.PixelFormat, y.v.PixelFormat)
	}
	y.w.WriteString("FRAME\n")
	if y4mDirect(v.PixelFormat) {
		for p := range v.NumPlanes() {
			bpl, rows := v.PixelFormat.PlaneSize(p, v.Width, v.Height)
			for r := range rows {
				y.w.Write(v.Plane(p)[r*v.Stride(p) : r*v.Stride(p)+bpl])
			}
		}
		return nil
	}
	if y.rgba == nil {
		y.rgba = image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
		y.yuv = make([]byte, format.I420.FrameSize(v.Width, v.Height))
	}
	if err := v.ToRGBA(y.rgba); err != nil {
		return err
	}
	rgbaToI420(y.yuv, y.rgba)
	y.w.Write(y.yuv)
	return nil
}

func (y *y4mWriter) close() error {
	if !y.hdr {
		y.header(y.v) // no frames: a header alone is still a y4m stream
	}
	return flushClose(y.w, y.out)
}

// rgbaToI420 converts to full-range (JPEG) YCbCr 4:2:0, as C420jpeg says.
func rgbaToI420(dst []byte, src *image.RGBA) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	yp, up, vp := dst[:w*h], dst[w*h:w*h+cw*ch], dst[w*h+cw*ch:]
	for y := range h {
		for x := range w {
			p := src.Pix[y*src.Stride+4*x:]
			r, g, b := int32(p[0]), int32(p[1]), int32(p[2])
			yp[y*w+x] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
			if x%2 == 0 && y%2 == 0 {
				cb := (-11056*r - 21712*g + 32768*b + 257<<15) >> 16
				cr := (32768*r - 27440*g - 5328*b + 257<<15) >> 16
				up[y/2*cw+x/2], vp[y/2*cw+x/2] = uint8(min(max(cb, 0), 255)), uint8(min(max(cr, 0), 255))
			}
		}
	}
}

// pngWriter writes the first frame, or one file per frame when the name
// holds a %d verb.
type pngWriter struct {
	pattern string
	n       int
	rgba    *image.RGBA
}

func (p *pngWriter) write(f miniav.Frame) error {
	if !strings.Contains(p.pattern, "%") && p.n > 0 {
		return nil
	}
	v := f.Video()
	if p.rgba == nil || p.rgba.Rect.Dx() != v.Width || p.rgba.Rect.Dy() != v.Height {
		p.rgba = image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	}
	if err := v.ToRGBA(p.rgba); err != nil {
		return err
	}
	name := p.pattern
	if strings.Contains(name, "%") {
		name = fmt.Sprintf(p.pattern, f.Sequence())
	}
	out, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(out, p.rgba); err != nil {
		out.Close()
		return err
	}
	p.n++
	return out.Close()
}

func (p *pngWriter) close() error {
	if p.n == 0 {
		return fmt.Errorf("no frame was captured, %s not written", p.pattern)
	}
	return nil
}

// wavWriter writes RIFF/WAVE with the stream's sample format. Into a file
// the sizes are written at the end; into a pipe, which cannot seek back,
// the header says "unknown length" (0xFFFFFFFF in both size fields, which
// ffmpeg and sox read as "until the end of the stream").
type wavWriter struct {
	out  io.WriteCloser
	w    *bufio.Writer
	a    format.Audio
	data uint32
}

// wavUnknown is the size written while the length is not known.
const wavUnknown = 0xFFFFFFFF

func checkWAV(path string, a format.Audio) error {
	if a.SampleFormat.Size() == 0 || a.Channels == 0 || a.SampleRate == 0 {
		return fmt.Errorf("output %q: cannot write %v as wav", path, a)
	}
	return nil
}

func newWAV(path string, out io.WriteCloser, a format.Audio) (*wavWriter, error) {
	if err := checkWAV(path, a); err != nil {
		out.Close()
		return nil, err
	}
	w := &wavWriter{out: out, w: bufio.NewWriter(out), a: a}
	if _, ok := out.(io.Seeker); !ok {
		w.data = wavUnknown
	}
	w.header()
	return w, nil
}

func (w *wavWriter) header() {
	tag := uint16(1) // PCM
	if w.a.SampleFormat == format.F32 {
		tag = 3 // IEEE float
	}
	bits := uint16(w.a.SampleFormat.Size() * 8)
	block := uint16(w.a.FrameBytes())
	le := binary.LittleEndian
	var h [44]byte
	copy(h[0:], "RIFF")
	riff := w.data + 36
	if w.data > wavUnknown-36 {
		riff = wavUnknown
	}
	le.PutUint32(h[4:], riff)
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], tag)
	le.PutUint16(h[22:], uint16(w.a.Channels))
	le.PutUint32(h[24:], uint32(w.a.SampleRate))
	le.PutUint32(h[28:], uint32(w.a.SampleRate)*uint32(block))
	le.PutUint16(h[32:], block)
	le.PutUint16(h[34:], bits)
	copy(h[36:], "data")
	le.PutUint32(h[40:], w.data)
	w.w.Write(h[:])
}

func (w *wavWriter) write(f miniav.Frame) error {
	d := f.Audio().Data()
	if w.data != wavUnknown {
		if uint64(w.data)+uint64(len(d)) >= wavUnknown {
			w.data = wavUnknown // past 4 GiB: say "unknown length"
		} else {
			w.data += uint32(len(d))
		}
	}
	_, err := w.w.Write(d)
	return err
}

func (w *wavWriter) close() error {
	seek, ok := w.out.(io.Seeker)
	if !ok || w.data == wavUnknown {
		return flushClose(w.w, w.out)
	}
	if err := w.w.Flush(); err != nil {
		w.out.Close()
		return err
	}
	if _, err := seek.Seek(0, io.SeekStart); err != nil {
		w.out.Close()
		return err
	}
	w.w.Reset(w.out)
	w.header()
	return flushClose(w.w, w.out)
}
