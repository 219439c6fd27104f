package publish

import (
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/x264"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish/internal/vp8enc"
)

// vp8 is libvpx through publish/internal/vp8enc: I420 frames are read in
// place, others are converted into one reused I420 picture first.
type vp8 struct {
	e        *vp8enc.Encoder
	key      atomic.Bool // a keyframe was asked for (any goroutine)
	rgba     *image.RGBA
	y, u, v  []byte
	w, h, cw int
}

func newVP8(v format.Video, c config) (*vp8, error) {
	e, err := vp8enc.New(vp8enc.Config{Width: v.Width, Height: v.Height, Bitrate: c.bitrate,
		KeyFrameEvery: c.keyEvery, CPUUsed: c.cpuUsed, Threads: 1})
	if err != nil {
		return nil, fmt.Errorf("publish: vp8: %w: %w", err, miniav.ErrNotSupported)
	}
	return &vp8{e: e, w: v.Width, h: v.Height, cw: (v.Width + 1) / 2}, nil
}

func (p *vp8) forceKey()                { p.key.Store(true) }
func (p *vp8) setBitrate(bps int) error { return p.e.SetBitrate(bps) }
func (p *vp8) Close() error             { p.e.Close(); return nil }

func (p *vp8) encode(f miniav.Frame, pts time.Duration) ([]byte, error) {
	defer f.Release() // the encoder has read the pixels when Encode returns
	v := f.Video()
	key := p.key.Swap(false)
	if v.PixelFormat == format.I420 && v.NumPlanes() == 3 {
		b, _, err := p.e.Encode(v.Plane(0), v.Plane(1), v.Plane(2), v.Stride(0), v.Stride(1), pts, 0, key)
		if err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
		return b, nil
	}
	if err := p.toI420(v); err != nil {
		return nil, err
	}
	b, _, err := p.e.Encode(p.y, p.u, p.v, p.w, p.cw, pts, 0, key)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return b, nil
}

// toI420 converts v (through RGBA) into p's picture, BT.601 limited
// range, chroma from the top-left pixel of each 2x2 block.
func (p *vp8) toI420(v miniav.VideoView) error {
	if p.rgba == nil {
		p.rgba = image.NewRGBA(image.Rect(0, 0, p.w, p.h))
		ch := (p.h + 1) / 2
		p.y, p.u, p.v = make([]byte, p.w*p.h), make([]byte, p.cw*ch), make([]byte, p.cw*ch)
	}
	if err := v.ToRGBA(p.rgba); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	pix, st := p.rgba.Pix, p.rgba.Stride
	for yy := 0; yy < p.h; yy++ {
		row := pix[yy*st:]
		for x := 0; x < p.w; x++ {
			r, g, b := int32(row[4*x]), int32(row[4*x+1]), int32(row[4*x+2])
			p.y[yy*p.w+x] = uint8((66*r+129*g+25*b+128)>>8 + 16)
			if yy&1 == 0 && x&1 == 0 {
				i := yy/2*p.cw + x/2
				p.u[i] = uint8((-38*r-74*g+112*b+128)>>8 + 128)
				p.v[i] = uint8((112*r-94*g-18*b+128)>>8 + 128)
			}
		}
	}
	return nil
}

// h264 is x264 through pion/mediadevices, which pulls its input from a
// reader: the frame being encoded, as an image.
type h264 struct {
	enc   codec.ReadCloser
	keyer interface{ ForceKeyFrame() error }
	cur   miniav.Frame
	rgba  *image.RGBA
}

func newH264(v format.Video, c config) (*h264, error) {
	params, err := x264.NewParams()
	if err != nil {
		return nil, fmt.Errorf("publish: h264: %w", err)
	}
	params.BitRate = c.bitrate
	params.KeyFrameInterval = c.keyEvery
	params.Preset = x264.PresetVeryfast
	fps := float32(30)
	if !v.FrameRate.IsZero() {
		fps = float32(v.FrameRate.Num) / float32(v.FrameRate.Den)
	}
	p := &h264{}
	enc, err := params.BuildVideoEncoder(video.ReaderFunc(p.read), prop.Media{
		Video: prop.Video{Width: v.Width, Height: v.Height, FrameRate: fps},
	})
	if err != nil {
		return nil, fmt.Errorf("publish: h264: %w", err)
	}
	p.enc = enc
	p.keyer, _ = enc.Controller().(interface{ ForceKeyFrame() error })
	return p, nil
}

func (p *h264) forceKey() {
	if p.keyer != nil {
		p.keyer.ForceKeyFrame()
	}
}

func (p *h264) Close() error { return p.enc.Close() }

func (p *h264) setBitrate(bps int) error {
	if c, ok := p.enc.Controller().(codec.BitRateController); ok {
		return c.SetBitRate(bps)
	}
	return nil // this x264 build keeps its bitrate
}

// encode ignores pts: x264 budgets per frame at the configured rate, so
// a frame never given to it costs no bits.
func (p *h264) encode(f miniav.Frame, _ time.Duration) ([]byte, error) {
	p.cur = f
	b, release, err := p.enc.Read()
	release() // x264's output is copied by pion; nothing to keep
	if p.cur.Valid() {
		p.cur.Release() // the encoder has read its pixels
	}
	p.cur = miniav.Frame{}
	if err != nil {
		return nil, fmt.Errorf("publish: h264: %w", err)
	}
	return b, nil
}

// read is the encoder's source: the frame being encoded, as an image (I420
// in place; other formats converted to RGBA, which pion converts on).
func (p *h264) read() (image.Image, func(), error) {
	v := p.cur.Video()
	if v.PixelFormat == format.I420 {
		if img, err := v.Image(); err == nil {
			return img, func() {}, nil
		}
	}
	if p.rgba == nil || p.rgba.Rect.Dx() != v.Width || p.rgba.Rect.Dy() != v.Height {
		p.rgba = image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	}
	err := v.ToRGBA(p.rgba)
	p.cur.Release()
	p.cur = miniav.Frame{}
	if err != nil {
		return nil, func() {}, fmt.Errorf("publish: %w", err)
	}
	return p.rgba, func() {}, nil
}
