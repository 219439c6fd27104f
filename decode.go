package miniav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/jpegdec"
	"github.com/miniav-go/miniav/pool"
)

// WithDecode makes the stream decode compressed frames (MJPEG) into
// pooled planes in the JPEG's native sampling: I420 for 4:2:0, I422 for
// 4:2:2, GRAY8 for greyscale. There is no colour conversion: the planes
// are the JPEG's own full-range (JFIF) Y, Cb and Cr samples. Decoded
// frames carry the compressed frame's timestamps and sequence number; the
// compressed buffer goes back to the device as soon as it is decoded.
// Frames that do not decode (truncated or corrupt JPEGs, as cameras send
// after a USB hiccup) are dropped and counted with reason "error".
//
// The decoder is libjpeg-turbo's TurboJPEG, loaded at run time, where the
// library is installed and the program is built with cgo, and the
// standard library's image/jpeg otherwise; Info.Mode names the one in use.
// A source that delivers uncompressed frames is unaffected.
//
// Asking WithVideo for an uncompressed format at a size and rate that the
// device offers only as MJPEG turns decoding on by itself, as OpenCV and
// GStreamer's decodebin do; Info.Decode then says so.
func WithDecode() Option { return func(c *config) { c.decode = true } }

// WithPureGoDecode is WithDecode with the standard library's image/jpeg
// even where TurboJPEG is available.
func WithPureGoDecode() Option { return func(c *config) { c.decode, c.pureGo = true, true } }

// decodeMode is how Info.Mode names a decoder.
func decodeMode(d jpegdec.Decoder) string { return "decode:" + d.Mode() }

// decoder is a stream's decode stage. It runs on the goroutine that reads
// the source (the capture goroutine, or Next's caller on a pull stream).
type decoder struct {
	dec    jpegdec.Decoder
	pool   *pool.Pool
	logger *slog.Logger
	logged bool
}

func newDecoder(c config, v format.Video, buffers int, logger *slog.Logger) *decoder {
	var d jpegdec.Decoder
	if c.pureGo {
		d = jpegdec.NewPure()
	} else {
		d = jpegdec.New()
	}
	// Room for every frame the queue and the consumer may hold, at 4:2:2
	// (2 bytes a pixel, the largest native layout) plus padding.
	per := int64(2*(v.Width+1)*(v.Height+1)) + 4096
	if v.Width == 0 || v.Height == 0 {
		per = 2*1920*1080 + 4096
	}
	return &decoder{dec: d, pool: pool.New(pool.WithMaxBytes(int64(buffers+2) * per * 5 / 4)), logger: logger}
}

// decode replaces the MJPEG frame in b by its decoded planes and gives the
// compressed buffer back to its source. When the frame does not decode it
// gives the buffer back too and reports why the frame is dropped.
func (d *decoder) decode(b *backend.Buffer) (backend.DropReason, bool) {
	data := b.Planes[0]
	h, err := jpegdec.ParseHeader(data)
	var pb *pool.Buffer
	if err == nil {
		pb, err = d.pool.Get(h.FrameSize())
	}
	if err == nil {
		p := h.TightPlanes(pb.Bytes())
		err = d.dec.Decode(data, h, p)
		if err == nil {
			release(b)
			b.NumPlanes = h.PixelFormat.NumPlanes()
			for i := range b.Planes {
				b.Planes[i], b.Strides[i] = nil, 0
			}
			for i := range b.NumPlanes {
				_, rows := h.PixelFormat.PlaneSize(i, h.Width, h.Height)
				n := p.Strides[i] * rows
				b.Planes[i], b.Strides[i] = p.Data[i][:n:n], p.Strides[i]
			}
			b.Video.Width, b.Video.Height, b.Video.PixelFormat = h.Width, h.Height, h.PixelFormat
			b.Flags &^= backend.FlagDMABuf
			b.Releaser, b.Token, b.Memory = pb, 0, pb.Memory()
			return 0, true
		}
		pb.Release()
	}
	release(b)
	if !d.logged {
		d.logged = true
		d.logger.Debug("miniav: dropping an MJPEG frame that does not decode (logged once per stream)", slog.Uint64("sequence", b.Sequence), slog.Any("err", err))
	}
	if errors.Is(err, pool.ErrExhausted) {
		return backend.DropPoolExhausted, false
	}
	return backend.DropError, false
}

// release gives b's memory back to its source.
func release(b *backend.Buffer) {
	if b.Releaser != nil {
		b.Releaser.ReleaseBuffer(b.Token)
		b.Releaser, b.Memory = nil, nil
	}
}

func (d *decoder) close() { d.dec.Close() }

// decodedVideo is the format a decoding stream announces before its first
// frame: the device's size and rate in the layout most MJPEG cameras send
// (4:2:0, I420) unless the caller asked for I422 or GRAY8. Each frame's
// VideoView carries the layout of that frame.
func decodedVideo(src, want format.Video) format.Video {
	v := src
	v.PixelFormat = format.I420
	if want.PixelFormat == format.I422 || want.PixelFormat == format.GRAY8 {
		v.PixelFormat = want.PixelFormat
	}
	return v
}

// autoDecode reports whether want asks for an uncompressed format, which
// a device that has it only as MJPEG at that size and rate can deliver by
// decoding.
func autoDecode(want format.Video) bool {
	return want.PixelFormat != 0 && want.PixelFormat.Known() && !want.PixelFormat.Compressed()
}

// mismatch reports whether a source opened for want came out at another
// size or rate (drivers adjust what they cannot do).
func mismatch(got, want format.Video) bool {
	if want.Width != 0 && (got.Width != want.Width || got.Height != want.Height) {
		return true
	}
	return !want.FrameRate.IsZero() && !got.FrameRate.IsZero() && got.FrameRate.Cmp(want.FrameRate) != 0
}

// openSource opens the source and, when the caller asked for an
// uncompressed format that the device offers at that size and rate only
// as MJPEG, opens it in MJPEG instead and reports that frames must be
// decoded.
func openSource(ctx context.Context, b backend.Backend, addr string, cfg backend.Config, c config) (backend.Source, bool, error) {
	src, err := b.Open(ctx, addr, cfg)
	if c.decode || !autoDecode(cfg.Video) {
		return src, false, err
	}
	if err == nil && !mismatch(src.Info().Video, cfg.Video) {
		return src, false, nil
	}
	if err != nil && !errors.Is(err, ErrNotSupported) {
		return nil, false, err
	}
	if err == nil {
		src.Close() // a device may allow one stream at a time
	}
	mcfg := cfg
	mcfg.Video.PixelFormat = format.MJPEG
	msrc, merr := b.Open(ctx, addr, mcfg)
	if merr == nil {
		if mv := msrc.Info().Video; mv.PixelFormat == format.MJPEG && !mismatch(mv, mcfg.Video) {
			return msrc, true, nil
		}
		msrc.Close()
	}
	if err != nil {
		return nil, false, err
	}
	// MJPEG is no better: reopen what the device chose for the request.
	src, err = b.Open(ctx, addr, cfg)
	if err != nil {
		return nil, false, fmt.Errorf("reopen after trying MJPEG: %w", err)
	}
	return src, false, nil
}
