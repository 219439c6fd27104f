package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

// checkMJPEG says whether a stream of v can be written as compressed
// frames.
func checkMJPEG(path string, v format.Video) error {
	if v.PixelFormat != format.MJPEG {
		return fmt.Errorf("output %q: the stream is %v, not MJPEG (ask for it with -format \"WxH mjpeg\", and leave out -decode): %w", path, v, errUsage)
	}
	return nil
}

// mjpegWriter writes the frames' JPEGs one after the other: the
// ".mjpeg" stream ffmpeg and most players read.
type mjpegWriter struct {
	out io.WriteCloser
	w   *bufio.Writer
}

func (m *mjpegWriter) write(f miniav.Frame) error {
	_, err := m.w.Write(f.Video().Plane(0))
	return err
}

func (m *mjpegWriter) close() error { return flushClose(m.w, m.out) }

// aviWriter writes an AVI file with one MJPEG video stream (what players
// and editors open), with the sizes and frame count patched in and the
// index written when it closes.
type aviWriter struct {
	f      *os.File
	w      *bufio.Writer
	v      format.Video
	off    int64  // bytes written so far
	index  []byte // idx1 entries
	max    uint32 // largest frame
	frames uint32
}

// AVI without the OpenDML extension addresses 1 GiB; past that the
// writer stops with an error rather than write a file no player reads.
const aviMaxBytes = 1 << 30

var errAVIFull = errors.New("AVI file reached 1 GiB (write .mjpeg for longer captures)")

// Offsets of the fields patched at the end.
const (
	aviRIFFSize    = 4
	aviTotalFrames = 12 + 8 + 4 + 8 + 16            // avih.dwTotalFrames
	aviAvihBuf     = aviTotalFrames + 12            // avih.dwSuggestedBufferSize
	aviStrl        = 12 + 8 + 4 + 8 + 56            // LIST strl
	aviStrhLength  = aviStrl + 12 + 8 + 32          // strh.dwLength
	aviStrhBuf     = aviStrhLength + 4              // strh.dwSuggestedBufferSize
	aviMovi        = aviStrl + 12 + 8 + 56 + 8 + 40 // LIST movi
)

func newAVI(path string, v format.Video) (*aviWriter, error) {
	if err := checkMJPEG(path, v); err != nil {
		return nil, err
	}
	if v.Width <= 0 || v.Height <= 0 {
		return nil, fmt.Errorf("output %q: AVI needs the frame size, and the stream has none: %w", path, errUsage)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	rate := v.FrameRate
	if rate.IsZero() {
		rate = format.FPS(30)
	}
	a := &aviWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), v: v}
	le := binary.LittleEndian
	var h []byte
	h = append(h, "RIFF\x00\x00\x00\x00AVI "...)
	h = append(h, "LIST"...)
	h = le.AppendUint32(h, 4+8+56+12+8+56+8+40)
	h = append(h, "hdrl"...)
	h = append(h, "avih"...)
	h = le.AppendUint32(h, 56)
	usPerFrame := uint32(1_000_000 * uint64(rate.Den) / uint64(max(rate.Num, 1)))
	for _, x := range []uint32{usPerFrame, 0, 0, 0x10 /* AVIF_HASINDEX */, 0, 0, 1, 0, uint32(v.Width), uint32(v.Height), 0, 0, 0, 0} {
		h = le.AppendUint32(h, x)
	}
	h = append(h, "LIST"...)
	h = le.AppendUint32(h, 4+8+56+8+40)
	h = append(h, "strl"...)
	h = append(h, "strh"...)
	h = le.AppendUint32(h, 56)
	h = append(h, "vidsMJPG"...)
	for _, x := range []uint32{0, 0, 0, uint32(rate.Den), uint32(rate.Num), 0, 0, 0, 0xFFFFFFFF, 0} {
		h = le.AppendUint32(h, x) // flags, priority+language, initial frames, scale, rate, start, length, buffer, quality, sample size
	}
	for _, x := range []uint16{0, 0, uint16(v.Width), uint16(v.Height)} {
		h = le.AppendUint16(h, x)
	}
	h = append(h, "strf"...)
	h = le.AppendUint32(h, 40)
	h = le.AppendUint32(h, 40)
	h = le.AppendUint32(h, uint32(v.Width))
	h = le.AppendUint32(h, uint32(v.Height))
	h = le.AppendUint16(h, 1)
	h = le.AppendUint16(h, 24)
	h = append(h, "MJPG"...)
	for _, x := range []uint32{uint32(v.Width * v.Height * 3), 0, 0, 0, 0} {
		h = le.AppendUint32(h, x)
	}
	h = append(h, "LIST\x00\x00\x00\x00movi"...)
	if len(h) != aviMovi+12 {
		panic(fmt.Sprintf("AVI header is %d bytes, want %d", len(h), aviMovi+12))
	}
	a.w.Write(h)
	a.off = int64(len(h))
	return a, nil
}

func (a *aviWriter) write(f miniav.Frame) error {
	data := f.Video().Plane(0)
	n := uint32(len(data))
	if a.off+8+int64(n)+1+16*int64(a.frames+1) > aviMaxBytes {
		return errAVIFull
	}
	le := binary.LittleEndian
	a.index = append(a.index, "00dc"...)
	a.index = le.AppendUint32(a.index, 0x10) // AVIIF_KEYFRAME
	a.index = le.AppendUint32(a.index, uint32(a.off-(aviMovi+8)))
	a.index = le.AppendUint32(a.index, n)
	var hdr [8]byte
	copy(hdr[:], "00dc")
	le.PutUint32(hdr[4:], n)
	a.w.Write(hdr[:])
	a.w.Write(data)
	a.off += 8 + int64(n)
	if n%2 == 1 {
		a.w.WriteByte(0)
		a.off++
	}
	a.frames++
	a.max = max(a.max, n)
	return nil
}

func (a *aviWriter) close() error {
	le := binary.LittleEndian
	moviEnd := a.off
	a.w.WriteString("idx1")
	a.w.Write(le.AppendUint32(nil, uint32(len(a.index))))
	a.w.Write(a.index)
	a.off += 8 + int64(len(a.index))
	if err := a.w.Flush(); err != nil {
		a.f.Close()
		return err
	}
	for _, p := range []struct {
		at int64
		v  uint32
	}{
		{aviRIFFSize, uint32(a.off - 8)},
		{aviTotalFrames, a.frames},
		{aviAvihBuf, a.max},
		{aviStrhLength, a.frames},
		{aviStrhBuf, a.max},
		{aviMovi + 4, uint32(moviEnd - (aviMovi + 8))},
	} {
		if _, err := a.f.WriteAt(le.AppendUint32(nil, p.v), p.at); err != nil {
			a.f.Close()
			return err
		}
	}
	return a.f.Close()
}
