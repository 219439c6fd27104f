// Package publish sends miniav video streams over WebRTC.
//
// A VideoTrack encodes the frames of a miniav Stream as VP8 (libvpx through
// pion/mediadevices' codec package, cgo) into a pion/webrtc v4 track that
// any number of peer connections share. RTP timestamps come from the
// frames' capture clock (Frame.Timestamp), not from the time they were
// encoded; a PLI or FIR from any receiver makes the next frame a keyframe;
// each frame is released as soon as the encoder has read it.
//
// An AudioTrack does the same for an audio stream with Opus (libopus), its
// RTP timestamps following the capture clock of the samples.
//
// WHEP serves the track to browsers and other WebRTC clients with the
// WHEP-style HTTP offer/answer (POST an SDP offer, get the answer back,
// DELETE the session's Location to end it): no signalling server or SFU is
// needed on one network.
//
// This package is its own module (github.com/miniav-go/miniav/publish) so
// that the main module needs neither pion/webrtc nor libvpx: building it
// needs cgo and the headers of libvpx, libx264 and libopus (Debian:
// libvpx-dev, libx264-dev, libopus-dev).
package publish

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/codec/x264"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

// ErrNotVideo is returned for a stream that does not carry video.
var ErrNotVideo = errors.New("publish: not a video stream")

// Option configures a VideoTrack.
type Option func(*config)

type config struct {
	codec    Codec
	bitrate  int
	keyEvery int
	id, sid  string
}

// Codec names a video codec.
type Codec string

// The video codecs a VideoTrack encodes to.
const (
	VP8  Codec = "vp8"  // libvpx (default)
	H264 Codec = "h264" // x264, High profile, no B-frames (x264's zerolatency tune)
)

// WithCodec picks the video codec (default VP8); anything but VP8 and
// H264 makes NewVideoTrack and PublishLiveKit fail with
// miniav.ErrNotSupported.
func WithCodec(c Codec) Option { return func(cf *config) { cf.codec = c } }

// capability is the RTP codec a track of c sends.
func (c Codec) capability() webrtc.RTPCodecCapability {
	if c == H264 {
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	}
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
}

// WithBitrate sets the encoder's target bitrate in bits per second
// (default 2 Mbit/s).
func WithBitrate(bps int) Option { return func(c *config) { c.bitrate = bps } }

// WithKeyFrameInterval sets the most frames between keyframes (default 60);
// receivers ask for more with PLI or FIR.
func WithKeyFrameInterval(n int) Option { return func(c *config) { c.keyEvery = n } }

// WithTrackID sets the track's and its media stream's IDs (default "video"
// and "miniav").
func WithTrackID(track, stream string) Option {
	return func(c *config) { c.id, c.sid = track, stream }
}

// TrackStats counts what a VideoTrack sent.
type TrackStats struct {
	Frames    uint64 // frames encoded and written to the track
	Bytes     uint64 // encoded bytes
	KeyFrames uint64 // keyframes asked for by receivers (PLI, FIR, RequestKeyFrame)
}

// VideoTrack is a miniav video stream encoded as VP8 (or H.264, see
// WithCodec) into a WebRTC track.
type VideoTrack struct {
	s     *miniav.Stream
	track *webrtc.TrackLocalStaticSample
	write func(media.Sample) error // where encoded frames go: track's WriteSample
	enc   codec.ReadCloser
	keyer interface{ ForceKeyFrame() error }

	// Written by the encoder's reader, read by Run, both on Run's goroutine.
	ts      time.Duration
	lastTS  time.Duration
	rgba    *image.RGBA
	cur     miniav.Frame // the frame the encoder is reading, released after it
	haveTS  bool
	frames  atomic.Uint64
	bytes   atomic.Uint64
	keyReqs atomic.Uint64

	runOnce sync.Once
}

// NewVideoTrack builds a VP8 track for the video stream s, which it reads
// from when Run is called. I420 streams go to the encoder without
// conversion; other pixel formats are converted (through RGBA) on the way.
func NewVideoTrack(s *miniav.Stream, opts ...Option) (*VideoTrack, error) {
	t, c, err := newEncoder(s, opts)
	if err != nil {
		return nil, err
	}
	t.track, err = webrtc.NewTrackLocalStaticSample(c.codec.capability(), c.id, c.sid)
	if err != nil {
		t.enc.Close()
		return nil, fmt.Errorf("publish: %w", err)
	}
	t.write = t.track.WriteSample
	return t, nil
}

// newEncoder builds a VideoTrack's VP8 encoder reading from s; the caller
// sets where its samples go.
func newEncoder(s *miniav.Stream, opts []Option) (*VideoTrack, config, error) {
	info := s.Info()
	v := info.Video
	if info.Kind.Audio() || v.Width == 0 || v.Height == 0 {
		return nil, config{}, fmt.Errorf("%s: %w", info.Device, ErrNotVideo)
	}
	if v.PixelFormat.Compressed() {
		return nil, config{}, fmt.Errorf("publish: %v frames must be decoded first: %w", v.PixelFormat, miniav.ErrNotSupported)
	}
	c := config{codec: VP8, bitrate: 2_000_000, keyEvery: 60, id: "video", sid: "miniav"}
	for _, o := range opts {
		o(&c)
	}
	t := &VideoTrack{s: s}
	var b codec.VideoEncoderBuilder
	switch c.codec {
	case VP8:
		params, err := vpx.NewVP8Params()
		if err != nil {
			return nil, c, fmt.Errorf("publish: vp8: %w", err)
		}
		params.BitRate = c.bitrate
		params.KeyFrameInterval = c.keyEvery
		params.Deadline = time.Millisecond // libvpx's realtime deadline
		b = &params
	case H264:
		params, err := x264.NewParams()
		if err != nil {
			return nil, c, fmt.Errorf("publish: h264: %w", err)
		}
		params.BitRate = c.bitrate
		params.KeyFrameInterval = c.keyEvery
		params.Preset = x264.PresetVeryfast
		b = &params
	default:
		return nil, c, fmt.Errorf("publish: codec %q: %w", c.codec, miniav.ErrNotSupported)
	}
	fps := float32(30)
	if !v.FrameRate.IsZero() {
		fps = float32(v.FrameRate.Num) / float32(v.FrameRate.Den)
	}
	enc, err := b.BuildVideoEncoder(video.ReaderFunc(t.read), prop.Media{
		Video: prop.Video{Width: v.Width, Height: v.Height, FrameRate: fps},
	})
	if err != nil {
		return nil, c, fmt.Errorf("publish: %s: %w", c.codec, err)
	}
	t.enc = enc
	t.keyer, _ = enc.Controller().(interface{ ForceKeyFrame() error })
	return t, c, nil
}

// Track is the WebRTC track to add to peer connections (AddTo does that and
// also handles the receivers' keyframe requests). A keyframe is sent
// whenever a peer connection starts sending it.
func (t *VideoTrack) Track() webrtc.TrackLocal { return keyOnBind{t.track, t} }

// keyOnBind forces a keyframe when a sender binds the track: a receiver
// that joins can decode nothing before one.
type keyOnBind struct {
	*webrtc.TrackLocalStaticSample
	t *VideoTrack
}

func (k keyOnBind) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	p, err := k.TrackLocalStaticSample.Bind(c)
	if err == nil {
		k.t.forceKey()
	}
	return p, err
}

// AddTo adds the track to pc and reads the sender's RTCP until pc closes,
// turning PLI and FIR into keyframes.
func (t *VideoTrack) AddTo(pc *webrtc.PeerConnection) (*webrtc.RTPSender, error) {
	sender, err := pc.AddTrack(t.Track())
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return // the sender or its peer connection was closed
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					t.RequestKeyFrame()
				}
			}
		}
	}()
	return sender, nil
}

// RequestKeyFrame makes the next encoded frame a keyframe, as a receiver's
// PLI or FIR does.
func (t *VideoTrack) RequestKeyFrame() {
	t.keyReqs.Add(1)
	t.forceKey()
}

func (t *VideoTrack) forceKey() {
	if t.keyer != nil {
		t.keyer.ForceKeyFrame()
	}
}

// Stats returns what the track has sent so far.
func (t *VideoTrack) Stats() TrackStats {
	return TrackStats{Frames: t.frames.Load(), Bytes: t.bytes.Load(), KeyFrames: t.keyReqs.Load()}
}

// read is the encoder's source: the stream's next frame as an image. The
// frame is released by run as soon as the encoder returns (pion's I420
// adapter drops a reader's release function, so it cannot be handed over).
func (t *VideoTrack) read() (image.Image, func(), error) {
	f, err := t.s.Next()
	if err != nil {
		return nil, func() {}, err
	}
	t.ts, t.haveTS = f.Timestamp(), true
	v := f.Video()
	if v.PixelFormat == format.I420 {
		if img, err := v.Image(); err == nil {
			t.cur = f
			return img, func() {}, nil
		}
	}
	if t.rgba == nil || t.rgba.Rect.Dx() != v.Width || t.rgba.Rect.Dy() != v.Height {
		t.rgba = image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
	}
	err = v.ToRGBA(t.rgba)
	f.Release()
	if err != nil {
		return nil, func() {}, fmt.Errorf("publish: %w", err)
	}
	return t.rgba, func() {}, nil
}

// Run encodes and sends frames until the stream ends or ctx is done, then
// closes the encoder. It returns nil when the stream was closed or its
// context cancelled, else the stream's or the encoder's error. Run may be
// called once.
func (t *VideoTrack) Run(ctx context.Context) error {
	err := errors.New("publish: Run called twice")
	t.runOnce.Do(func() { err = t.run(ctx) })
	return err
}

func (t *VideoTrack) run(ctx context.Context) error {
	defer t.enc.Close()
	stop := context.AfterFunc(ctx, func() { t.s.Close() })
	defer stop()
	for {
		b, release, err := t.enc.Read()
		if t.cur.Valid() {
			t.cur.Release() // the encoder has read its pixels
		}
		t.cur = miniav.Frame{}
		if err != nil {
			if errors.Is(err, miniav.ErrClosed) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		// The RTP clock advances by the capture clock between frames.
		d := time.Second / 30
		if t.haveTS && t.lastTS != 0 && t.ts > t.lastTS {
			d = t.ts - t.lastTS
		}
		t.lastTS = t.ts
		werr := t.write(media.Sample{Data: b, Duration: d})
		release()
		if werr != nil {
			return fmt.Errorf("publish: %w", werr)
		}
		t.frames.Add(1)
		t.bytes.Add(uint64(len(b)))
	}
}
