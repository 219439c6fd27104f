// Package publish sends miniav video streams over WebRTC.
//
// A VideoTrack encodes the frames of a miniav Stream as VP8 (libvpx through
// a cgo wrapper of this module's, at libvpx's realtime speed -cpu-used 8 by
// default; H.264 through pion/mediadevices' x264) into a pion/webrtc v4
// track that any number of peer connections share. RTP timestamps come
// from the frames' capture clock (Frame.Timestamp), not from the time they
// were encoded; a PLI or FIR from any receiver makes the next frame a
// keyframe; each frame is released as soon as the encoder has read it.
//
// PublishLiveKit drives the encoder's bitrate by congestion control
// (Google Congestion Control over the SFU's transport-wide feedback; see
// WithFixedBitrate). When the network cannot keep up even so, the
// stream's Policy decides (see VideoTrack.Run) and the frames dropped are
// counted as backend.DropNetwork in the stream's Stats and metrics.
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
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

// ErrNotVideo is returned for a stream that does not carry video.
var ErrNotVideo = errors.New("publish: not a video stream")

// Option configures a VideoTrack.
type Option func(*config)

type config struct {
	codec    Codec
	bitrate  int
	keyEvery int
	cpuUsed  int
	id, sid  string
	devClock bool
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

// WithCPUUsed sets libvpx's VP8 speed, VP8E_SET_CPUUSED (ffmpeg's
// -cpu-used): 0 to 16, higher is faster and coarser; default 8, the
// fastest realtime setting ffmpeg users pick for live video.
func WithCPUUsed(n int) Option { return func(c *config) { c.cpuUsed = n } }

// WithDeviceClock stamps the track's frames (their RTP timestamps, and
// the clock the encoder's rate control budgets by) with the device's own
// timestamps (Frame.DeviceTimestamp: a V4L2 camera's, PipeWire's,
// testsrc's k intervals) instead of the capture time on the host's clock:
// for a source whose frames are not read in real time, such as testsrc
// unpaced or a file, whose frames are then spaced as the device meant
// them. Every frame must carry one; by default the capture time is used.
func WithDeviceClock() Option { return func(c *config) { c.devClock = true } }

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
	// NetworkDrops counts frames discarded unencoded because the network
	// was still sending earlier ones (also in the stream's Stats, as
	// DropNetwork); see Run.
	NetworkDrops uint64
	// Bitrate is the encoder's target now, in bits per second: what
	// WithBitrate set, or less where congestion control has lowered it
	// (PublishLiveKit; see WithFixedBitrate).
	Bitrate int
}

// VideoTrack is a miniav video stream encoded as VP8 (or H.264, see
// WithCodec) into a WebRTC track.
type VideoTrack struct {
	s     *miniav.Stream
	track *webrtc.TrackLocalStaticSample
	write func(media.Sample) error // where encoded frames go: track's WriteSample
	enc   videoEncoder

	// The send stage: the frame waiting for the encoder, and whether the
	// sender is inside write (the network's side) at the moment.
	slot      chan miniav.Frame
	writeFrom atomic.Int64 // backend.Now when the write in progress began; 0 when none
	lastWrite atomic.Int64 // how long the last write took
	interval  time.Duration

	lastTS   time.Duration // the sender's
	devClock bool          // stamp frames by DeviceTimestamp (WithDeviceClock)
	frames   atomic.Uint64
	bytes    atomic.Uint64
	keyReqs  atomic.Uint64
	netDrop  atomic.Uint64
	// unbudgeted is the frame intervals dropped for the network, together
	// (see send).
	unbudgeted atomic.Int64

	// Congestion control: share gives the bitrate the link allows (at
	// most ceil, the configured one); none keeps ceil. It is set while
	// the track may be running (a WHEP handler attaches to a running
	// track). rate is the encoder's now.
	share atomic.Pointer[func(ceil int) int]
	ceil  int
	rate  atomic.Int64
	use   utilization // the sender's

	runOnce sync.Once
}

// videoEncoder compresses one frame, releasing it as soon as it has read
// its pixels; the data is valid until the next call.
type videoEncoder interface {
	// encode encodes f at time pts (for an encoder whose rate control
	// follows the timestamps it is given).
	encode(f miniav.Frame, pts time.Duration) ([]byte, error)
	forceKey()
	setBitrate(bps int) error
	Close() error
}

// NewVideoTrack builds a VP8 track for the video stream s, which it reads
// from when Run is called. I420 streams go to the encoder without
// conversion; other pixel formats are converted on the way.
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

// newEncoder builds a VideoTrack's encoder for s; the caller sets where
// its samples go.
func newEncoder(s *miniav.Stream, opts []Option) (*VideoTrack, config, error) {
	info := s.Info()
	v := info.Video
	if info.Kind.Audio() || v.Width == 0 || v.Height == 0 {
		return nil, config{}, fmt.Errorf("%s: %w", info.Device, ErrNotVideo)
	}
	if v.PixelFormat.Compressed() {
		return nil, config{}, fmt.Errorf("publish: %v frames must be decoded first: %w", v.PixelFormat, miniav.ErrNotSupported)
	}
	c := config{codec: VP8, bitrate: 2_000_000, keyEvery: 60, cpuUsed: 8, id: "video", sid: "miniav"}
	for _, o := range opts {
		o(&c)
	}
	t := &VideoTrack{s: s, slot: make(chan miniav.Frame, 1), interval: time.Second / 30, ceil: c.bitrate, devClock: c.devClock}
	t.rate.Store(int64(c.bitrate))
	if !v.FrameRate.IsZero() && v.FrameRate.Num > 0 {
		t.interval = time.Second * time.Duration(v.FrameRate.Den) / time.Duration(v.FrameRate.Num)
	}
	switch c.codec {
	case VP8:
		e, err := newVP8(v, c)
		if err != nil {
			return nil, c, err
		}
		t.enc = e
	case H264:
		e, err := newH264(v, c)
		if err != nil {
			return nil, c, err
		}
		t.enc = e
	default:
		return nil, c, fmt.Errorf("publish: codec %q: %w", c.codec, miniav.ErrNotSupported)
	}
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

func (t *VideoTrack) forceKey() { t.enc.forceKey() }

// Stats returns what the track has sent so far.
func (t *VideoTrack) Stats() TrackStats {
	return TrackStats{Frames: t.frames.Load(), Bytes: t.bytes.Load(), KeyFrames: t.keyReqs.Load(),
		NetworkDrops: t.netDrop.Load(), Bitrate: int(t.rate.Load())}
}

// Run encodes and sends frames until the stream ends or ctx is done, then
// closes the encoder.
//
// Frames are read on Run's goroutine and encoded and written on another,
// one at a time, with one frame waiting between them. When a frame arrives
// and one is already waiting, the stream's Policy decides, as for its own
// queue: DropOldest (the default) drops the waiting frame and keeps the
// new one, DropNewest drops the new one, Block waits (and the source drops
// on its side). The drop is the network's when the link cannot take what
// is sent: on Linux, the process's UDP send queue holds over 52 KiB (a
// link that keeps up keeps it near zero; one that does not fills it until
// writes block); elsewhere, the sender's write has taken over two frame
// intervals. Those drops count as backend.DropNetwork (in the stream's
// Stats and metrics, and TrackStats.NetworkDrops); otherwise the encoder
// is what fell behind and they count under the policy's queue reason. At
// most three frames are held at once: the one being encoded, the one
// waiting and the new one being offered.
//
// Run returns nil when the stream was closed or its context cancelled,
// else the stream's or the encoder's error. Run may be called once.
func (t *VideoTrack) Run(ctx context.Context) error {
	err := errors.New("publish: Run called twice")
	t.runOnce.Do(func() { err = t.run(ctx) })
	return err
}

func (t *VideoTrack) run(ctx context.Context) error {
	defer t.enc.Close()
	stop := context.AfterFunc(ctx, func() { t.s.Close() })
	defer stop()
	failed := make(chan struct{})
	var werr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The encoder keeps to one OS thread: a goroutine that moves
		// between threads after each cgo call runs libvpx on a different
		// CPU each frame, with its reference frames cold in that CPU's
		// caches. Measured with bench/publish.sh's unpaced publisher: 1.0
		// to 1.4 ms less CPU per 720p frame (about 8 ms), round by round.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for f := range t.slot {
			if werr != nil || ctx.Err() != nil {
				f.Drop(backend.DropStopped)
				continue
			}
			if werr = t.send(f); werr != nil {
				close(failed)
			}
		}
	}()
	policy := t.s.Info().Policy
	var err error
	for {
		var f miniav.Frame
		if f, err = t.s.Next(); err != nil {
			break
		}
		if !t.offer(ctx, f, policy, failed) {
			break
		}
	}
	close(t.slot)
	wg.Wait()
	if werr != nil {
		return werr
	}
	if errors.Is(err, miniav.ErrClosed) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// offer hands f to the sender. When the sender is still busy with the
// frame before, the stream's Policy decides: Block waits for it,
// DropNewest drops f, DropOldest drops the frame waiting and keeps f. A
// frame dropped while the sender is writing to the network is counted as
// DropNetwork (else the encoder is what fell behind: the policy's own
// queue reason). It returns false when sending has failed or ctx is done.
func (t *VideoTrack) offer(ctx context.Context, f miniav.Frame, p miniav.Policy, failed <-chan struct{}) bool {
	select {
	case t.slot <- f:
		return true
	case <-failed:
		f.Drop(backend.DropStopped)
		return false
	default:
	}
	switch p {
	case miniav.Block:
		select {
		case t.slot <- f:
			return true
		case <-failed:
		case <-ctx.Done():
		}
		f.Drop(backend.DropStopped)
		return false
	case miniav.DropNewest:
		t.drop(f, backend.DropQueueNewest)
		return true
	}
	for {
		select {
		case t.slot <- f:
			return true
		default:
			select {
			case old := <-t.slot:
				t.drop(old, backend.DropQueueOldest)
			default:
			}
		}
	}
}

// netBacklog is the send-queue size from which a drop is the network's:
// a quarter of Linux's default UDP send buffer (212992 bytes).
const netBacklog = 53248

// drop discards f: a network drop when the link is what the sender waits
// on, else one of the policy's queue reason (the encoder fell behind). On
// Linux the link is behind when one of the process's UDP sockets has over
// netBacklog bytes queued for sending (a link that keeps up keeps it near
// zero however busy the machine is); elsewhere, when the sender's write
// (the one in progress, else the last one) has taken over two frame
// intervals (a write on a free link takes a small fraction of a
// millisecond, but one starved of CPU can take that long too).
func (t *VideoTrack) drop(f miniav.Frame, queue backend.DropReason) {
	network := false
	if n, ok := sendBacklog(); ok {
		network = n > netBacklog
	} else {
		w := time.Duration(t.lastWrite.Load())
		if from := t.writeFrom.Load(); from != 0 {
			w = backend.Now() - time.Duration(from)
		}
		network = w > 2*t.interval
	}
	if network {
		t.netDrop.Add(1)
		t.unbudgeted.Add(int64(t.interval))
		f.Drop(backend.DropNetwork)
		return
	}
	f.Drop(queue)
}

// followLink sets the encoder's bitrate to congestion control's share
// when it has moved by 5% or more (or back to the ceiling): the estimate
// moves a little with every feedback, and libvpx starts its rate control
// over on each change.
func (t *VideoTrack) followLink() error {
	share := t.share.Load()
	if share == nil {
		return nil
	}
	want, now := int64(t.use.scale(t.payloadRate((*share)(t.ceil)), t.ceil)), t.rate.Load()
	if want == now || (want != int64(t.ceil) && 20*max(want-now, now-want) < now) {
		return nil
	}
	if err := t.enc.setBitrate(int(want)); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	t.rate.Store(want)
	return nil
}

// Per video packet, what the link carries besides the encoder's bytes:
// the RTP header with its extensions and VP8's payload descriptor
// (about 28 bytes, which congestion control's estimate counts) and the
// transport's SRTP tag, UDP and IPv4 headers (38 bytes, which it does
// not). packetPayload is about what a packet's payload holds (pion's
// packets are at most 1200 bytes).
const (
	packetOverhead = 66
	packetPayload  = 1150
)

// payloadRate is the encoder's bitrate for a network share of bps: bps
// less what the packets carrying its output add, so that what is sent
// stays within the share; at least minVideoBitrate. The configured
// bitrate (t.ceil, which is the encoder's) is kept as it is.
func (t *VideoTrack) payloadRate(bps int) int {
	if bps >= t.ceil {
		return t.ceil
	}
	fps := float64(time.Second) / float64(t.interval)
	// Each frame fills its packets but the last, about half of one.
	pkts := fps * (float64(bps)/8/fps/packetPayload + 0.5)
	return max(minVideoBitrate, bps-int(pkts*packetOverhead*8))
}

// utilization keeps an encoder's output within the bitrate congestion
// control allows: encoders overshoot their target (libvpx by about 3% on
// an idle machine, more on a starved one), and a link that is full has no
// room for that. It measures what the encoder produced against its target
// over windows of about two seconds and scales the targets it is given
// by the inverse, between 0.6 and 1 (an encoder that undershoots is left
// alone).
type utilization struct {
	from  time.Duration // when the window began; 0: none yet
	bits  float64       // produced in the window
	asked float64       // the target's bits over the window
	k     float64       // the scale; 0 means 1
}

// window is how long utilization measures before it adjusts: long enough
// for a keyframe to be a small part of it.
const window = 2 * time.Second

// note records n bytes produced at now while the encoder's target was
// rate bit/s.
func (u *utilization) note(now time.Duration, n int, rate int64, d time.Duration) {
	if u.from == 0 {
		u.from = now
	}
	u.bits += float64(8 * n)
	u.asked += float64(rate) * d.Seconds()
	if now-u.from < window || u.asked == 0 {
		return
	}
	k := u.k
	if k == 0 {
		k = 1
	}
	// The encoder made bits/asked of what it was asked for: half-way to
	// the scale that makes up for that, so that one window's burst (a
	// keyframe, a scene change) moves it only a little.
	k = 0.5*k + 0.5*u.asked/max(u.bits, 1)
	u.k = min(1, max(0.6, k))
	u.from, u.bits, u.asked = now, 0, 0
}

// scale is the target to give the encoder for bps: bps itself when it is
// the configured ceiling (the user's bitrate is the encoder's), else bps
// scaled by the measured utilization.
func (u *utilization) scale(bps, ceil int) int {
	if bps >= ceil || u.k == 0 {
		return bps
	}
	return max(minVideoBitrate, int(float64(bps)*u.k))
}

// setShare makes f the track's congestion control (nil: none, the
// configured bitrate).
func (t *VideoTrack) setShare(f func(ceil int) int) {
	if f == nil {
		t.share.Store(nil)
		return
	}
	t.share.Store(&f)
}

// send encodes f (releasing it as soon as the encoder has read it) and
// writes the result to the track.
func (t *VideoTrack) send(f miniav.Frame) error {
	ts := f.Timestamp()
	if t.devClock {
		ts = f.DeviceTimestamp()
	}
	if err := t.followLink(); err != nil {
		f.Release()
		return err
	}
	// A frame dropped for the network leaves its interval out of the
	// timestamps the encoder sees: a rate control that follows time
	// would spend the dropped frame's bits on the next one, and the link
	// that had no room for them would get them anyway.
	b, err := t.enc.encode(f, ts-time.Duration(t.unbudgeted.Load()))
	if err != nil {
		return err
	}
	// The RTP clock advances by the capture clock between frames.
	if len(b) == 0 {
		return nil // the encoder's rate control skipped the frame
	}
	d := time.Second / 30
	if t.lastTS != 0 && ts > t.lastTS {
		d = ts - t.lastTS
	}
	t.lastTS = ts
	from := max(backend.Now(), 1)
	t.writeFrom.Store(int64(from))
	err = t.write(media.Sample{Data: b, Duration: d})
	t.lastWrite.Store(int64(backend.Now() - from))
	t.writeFrom.Store(0)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if t.share.Load() != nil && t.rate.Load() < int64(t.ceil) {
		t.use.note(from, len(b), t.rate.Load(), d)
	} else {
		t.use = utilization{} // measured only while congestion control limits the encoder
	}
	t.frames.Add(1)
	t.bytes.Add(uint64(len(b)))
	return nil
}
