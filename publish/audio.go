package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
)

// ErrNotAudio is returned for a stream that does not carry audio.
var ErrNotAudio = errors.New("publish: not an audio stream")

// opusPacket is the duration of one Opus packet the encoder makes.
const opusPacket = 20 * time.Millisecond

// AudioTrack is a miniav audio stream encoded as Opus (libopus through
// pion/mediadevices, cgo) into a WebRTC track. RTP timestamps follow the
// capture clock of the frames: each packet's duration is the capture-time
// distance from its first sample to the next packet's first sample, so a
// gap in capture (a lost period) is a gap in RTP time. Each frame is
// released as soon as its samples are copied into the encoder's buffer.
type AudioTrack struct {
	s       *miniav.Stream
	track   *webrtc.TrackLocalStaticSample
	write   func(media.Sample) error
	enc     codec.ReadCloser
	rate    int
	bitrate int // Opus's, fixed

	// The encoder's reader (on Run's goroutine) records where in capture
	// time each frame it read starts, in samples read so far.
	read16  *wave.Int16Interleaved
	readF32 *wave.Float32Interleaved
	pos     int64  // samples read from the stream so far
	marks   []mark // the frames read and not yet all encoded, oldest first
	sent    int64  // samples encoded so far (Opus packets × packet length)

	frames, bytes atomic.Uint64
	runOnce       sync.Once
}

// NewAudioTrack builds an Opus track for the audio stream s (S16 or F32
// samples at 8, 12, 16, 24 or 48 kHz, any channel count: more than two are
// mixed down to mono), which it reads from when Run is called.
// WithBitrate sets Opus's bitrate (default 32 kbit/s); WithTrackID its IDs (default "audio", "miniav").
func NewAudioTrack(s *miniav.Stream, opts ...Option) (*AudioTrack, error) {
	t, c, err := newAudioEncoder(s, opts)
	if err != nil {
		return nil, err
	}
	t.track, err = webrtc.NewTrackLocalStaticSample(opusCapability(), c.id, c.sid)
	if err != nil {
		t.enc.Close()
		return nil, fmt.Errorf("publish: %w", err)
	}
	t.write = t.track.WriteSample
	return t, nil
}

func opusCapability() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
}

func newAudioEncoder(s *miniav.Stream, opts []Option) (*AudioTrack, config, error) {
	info := s.Info()
	a := info.Audio
	if !info.Kind.Audio() || a.SampleRate == 0 || a.Channels == 0 {
		return nil, config{}, fmt.Errorf("%s: %w", info.Device, ErrNotAudio)
	}
	switch a.SampleRate {
	case 8000, 12000, 16000, 24000, 48000:
	default:
		return nil, config{}, fmt.Errorf("publish: opus takes 8, 12, 16, 24 or 48 kHz, not %d Hz: %w", a.SampleRate, miniav.ErrNotSupported)
	}
	if a.SampleFormat != format.S16 && a.SampleFormat != format.F32 {
		return nil, config{}, fmt.Errorf("publish: opus takes S16 or F32 samples, not %v: %w", a.SampleFormat, miniav.ErrNotSupported)
	}
	c := config{bitrate: 32_000, id: "audio", sid: "miniav"}
	for _, o := range opts {
		o(&c)
	}
	params, err := opus.NewParams()
	if err != nil {
		return nil, c, fmt.Errorf("publish: opus: %w", err)
	}
	params.BitRate = c.bitrate
	params.Latency = opus.Latency20ms
	ch := a.Channels
	if ch > 2 {
		ch = 1 // the encoder's mixer makes mono
	}
	t := &AudioTrack{s: s, rate: a.SampleRate, bitrate: c.bitrate}
	enc, err := params.BuildAudioEncoder(audio.ReaderFunc(t.read), prop.Media{
		Audio: prop.Audio{SampleRate: a.SampleRate, ChannelCount: ch},
	})
	if err != nil {
		return nil, c, fmt.Errorf("publish: opus: %w", err)
	}
	t.enc = enc
	return t, c, nil
}

// Track is the WebRTC track to add to peer connections.
func (t *AudioTrack) Track() webrtc.TrackLocal { return t.track }

// Stats returns what the track has sent: Frames counts Opus packets.
func (t *AudioTrack) Stats() TrackStats {
	return TrackStats{Frames: t.frames.Load(), Bytes: t.bytes.Load(), Bitrate: t.bitrate}
}

// read is the encoder's source: the stream's next frame's samples, copied
// into a chunk reused from call to call (the encoder's buffer copies them
// out before it reads again), the frame released at once.
func (t *AudioTrack) read() (wave.Audio, func(), error) {
	f, err := t.s.Next()
	if err != nil {
		return nil, func() {}, err
	}
	defer f.Release()
	av := f.Audio()
	n := av.Frames()
	info := wave.ChunkInfo{Len: n, Channels: av.Channels, SamplingRate: av.SampleRate}
	t.marks = append(t.marks, mark{t.pos, f.Timestamp()})
	t.pos += int64(n)
	switch av.SampleFormat {
	case format.S16:
		if t.read16 == nil || cap(t.read16.Data) < n*av.Channels {
			t.read16 = wave.NewInt16Interleaved(info)
		}
		t.read16.Size, t.read16.Data = info, t.read16.Data[:n*av.Channels]
		copy(t.read16.Data, av.Int16s())
		return t.read16, func() {}, nil
	default:
		if t.readF32 == nil || cap(t.readF32.Data) < n*av.Channels {
			t.readF32 = wave.NewFloat32Interleaved(info)
		}
		t.readF32.Size, t.readF32.Data = info, t.readF32.Data[:n*av.Channels]
		copy(t.readF32.Data, av.Float32s())
		return t.readF32, func() {}, nil
	}
}

// mark is where a frame read starts: its first sample's position in the
// samples read so far, and its capture time.
type mark struct {
	pos int64
	ts  time.Duration
}

// captureAt is the capture time of sample p: that of the latest frame read
// that starts at or before p, plus p's distance into it (extrapolated
// past the last frame read).
func (t *AudioTrack) captureAt(p int64) time.Duration {
	m := t.marks[0]
	for _, x := range t.marks[1:] {
		if x.pos > p {
			break
		}
		m = x
	}
	return m.ts + time.Duration((p-m.pos)*int64(time.Second)/int64(t.rate))
}

// forget drops the marks of frames wholly before sample p, keeping the
// slice's storage.
func (t *AudioTrack) forget(p int64) {
	i := 0
	for i+1 < len(t.marks) && t.marks[i+1].pos <= p {
		i++
	}
	if i > 0 {
		t.marks = t.marks[:copy(t.marks, t.marks[i:])]
	}
}

// Run encodes and sends packets until the stream ends or ctx is done, then
// closes the encoder; it returns nil when the stream was closed or ctx
// cancelled. Run may be called once.
func (t *AudioTrack) Run(ctx context.Context) error {
	err := errors.New("publish: Run called twice")
	t.runOnce.Do(func() { err = t.run(ctx) })
	return err
}

func (t *AudioTrack) run(ctx context.Context) error {
	defer t.enc.Close()
	stop := context.AfterFunc(ctx, func() { t.s.Close() })
	defer stop()
	per := int64(opusPacket) * int64(t.rate) / int64(time.Second)
	for {
		b, release, err := t.enc.Read()
		if err != nil {
			if errors.Is(err, miniav.ErrClosed) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		d := opusPacket
		if len(t.marks) > 0 {
			if cd := t.captureAt(t.sent+per) - t.captureAt(t.sent); cd > 0 {
				d = cd
			}
		}
		t.sent += per
		t.forget(t.sent)
		werr := t.write(media.Sample{Data: b, Duration: d})
		release()
		if werr != nil {
			return fmt.Errorf("publish: %w", werr)
		}
		t.frames.Add(1)
		t.bytes.Add(uint64(len(b)))
	}
}
