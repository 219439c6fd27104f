//go:build cgo && (linux || darwin || windows)

package mediadevices

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/io/video"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// item is one copied frame waiting in a source's queue: its planes are
// packed in buf in v's layout (format.PixelFormat.Planes).
type item struct {
	buf     *pool.Buffer
	v       format.Video
	ts      time.Duration
	seq     uint64
	skipped uint64
}

// source is an open device: a goroutine reads pion's frames, copies each
// into pooled memory and queues it for Read.
type source struct {
	b     *Backend
	label string
	d     driver.Driver
	r     video.Reader
	info  backend.Info
	obs   backend.Observer
	pace  time.Duration // 0: pion paces (or capture is unpaced)

	queue chan item
	stop  chan struct{} // closed by Close
	done  chan struct{} // closed when run returns
	err   error         // why run returned (set before done is closed)

	closeOnce sync.Once
}

func newSource(b *Backend, label string, d driver.Driver, r video.Reader, kind backend.Kind, v format.Video, cfg backend.Config) *source {
	n := cfg.Buffers
	if n <= 0 {
		n = 2
	}
	s := &source{
		b: b, label: label, d: d, r: r,
		info:  backend.Info{Kind: kind, Video: v, Mode: "pion/mediadevices " + kind.String() + ", copied"},
		obs:   cfg.Observer,
		queue: make(chan item, n),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if s.obs == nil {
		s.obs = backend.NopObserver{}
	}
	if kind == backend.KindDisplay && !pionPacesScreens && !cfg.Unpaced {
		s.pace = v.FrameRate.Interval()
	}
	return s
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// run reads until Close or an error.
func (s *source) run() {
	defer close(s.done)
	var seq, skipped uint64
	next := time.Now()
	var timer *time.Timer
	if s.pace > 0 {
		timer = time.NewTimer(0)
		defer timer.Stop()
	}
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		if timer != nil {
			next = next.Add(s.pace)
			if now := time.Now(); next.Before(now) {
				next = now // fell behind: no burst to catch up
			}
			select {
			case <-s.stop:
				return
			case <-timer.C:
			}
			timer.Reset(time.Until(next))
		}
		img, release, err := s.r.Read()
		ts := backend.Now()
		if err != nil {
			if s.stopping() {
				return
			}
			if errors.Is(err, io.EOF) {
				err = errors.New("pion's stream ended")
			}
			s.err = fmt.Errorf("mediadevices: %s: %w: %w", s.label, err, backend.ErrDeviceLost)
			return
		}
		it, err := s.copy(img)
		if release != nil {
			release()
		}
		switch {
		case errors.Is(err, pool.ErrExhausted):
			s.obs.Dropped(backend.DropPoolExhausted, 1)
			seq++
			skipped++
			continue
		case err != nil:
			s.err = fmt.Errorf("mediadevices: %s: %w", s.label, err)
			return
		}
		it.ts, it.seq, it.skipped = ts, seq, skipped
		seq++
		select {
		case s.queue <- it:
			skipped = 0
		default:
			it.buf.Release()
			s.obs.Dropped(backend.DropOverrun, 1)
			skipped++
		}
	}
}

// copy copies img into a pooled buffer in the delivered layout.
func (s *source) copy(img image.Image) (item, error) {
	var it item
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	var pf format.PixelFormat
	switch m := img.(type) {
	case *image.YCbCr:
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			pf = format.I420
		case image.YCbCrSubsampleRatio422:
			pf = format.I422
		default:
			return it, fmt.Errorf("pion delivered YCbCr %v, which miniav does not carry: %w", m.SubsampleRatio, backend.ErrNotSupported)
		}
	case *image.RGBA:
		pf = format.RGBA
	default:
		return it, fmt.Errorf("pion delivered a %T, which miniav does not carry: %w", img, backend.ErrNotSupported)
	}
	buf, err := bufPool.Get(pf.FrameSize(w, h))
	if err != nil {
		return it, err
	}
	dst, strides, _ := pf.Planes(buf.Bytes(), w, h)
	switch m := img.(type) {
	case *image.YCbCr:
		copyPlane(dst[0], strides[0], m.Y[m.YOffset(r.Min.X, r.Min.Y):], m.YStride, w, h)
		cw, ch := pf.PlaneSize(1, w, h)
		c := m.COffset(r.Min.X, r.Min.Y)
		copyPlane(dst[1], strides[1], m.Cb[c:], m.CStride, cw, ch)
		copyPlane(dst[2], strides[2], m.Cr[c:], m.CStride, cw, ch)
	case *image.RGBA:
		copyPlane(dst[0], strides[0], m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, 4*w, h)
	}
	it.buf = buf
	it.v = format.Video{Width: w, Height: h, PixelFormat: pf, FrameRate: s.info.Video.FrameRate}
	return it, nil
}

// copyPlane copies rows of n bytes.
func copyPlane(dst []byte, dstride int, src []byte, sstride, n, rows int) {
	for y := range rows {
		copy(dst[y*dstride:y*dstride+n], src[y*sstride:y*sstride+n])
	}
}

// Read implements backend.Source.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if err := ctx.Err(); err != nil { // even with frames queued
		return err
	}
	select {
	case it := <-s.queue:
		s.fill(b, it)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		// Frames queued before run returned come first.
		select {
		case it := <-s.queue:
			s.fill(b, it)
			return nil
		default:
		}
		if s.err != nil {
			return s.err
		}
		return fmt.Errorf("mediadevices: %s: %w", s.label, backend.ErrClosed)
	}
}

func (s *source) fill(b *backend.Buffer, it item) {
	b.Planes, b.Strides, b.NumPlanes = it.v.PixelFormat.Planes(it.buf.Bytes(), it.v.Width, it.v.Height)
	b.Video = it.v
	b.Timestamp = it.ts
	b.Sequence = it.seq
	b.Skipped = it.skipped
	b.Flags = backend.FlagCopied
	b.Releaser = it.buf
}

// stopping reports whether Close has begun.
func (s *source) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Close implements backend.Source. It waits for pion's read in flight, then
// closes pion's driver. Frames already read stay valid until released.
func (s *source) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		for len(s.queue) > 0 { // run has returned: nothing else sends
			(<-s.queue).buf.Release()
		}
		err = s.d.Close()
		s.b.closed(s.label)
	})
	if err != nil {
		return fmt.Errorf("mediadevices: close %s: %w", s.label, err)
	}
	return nil
}
