package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
)

// LiveKitOption configures PublishLiveKit and PublishLiveKitStreams.
type LiveKitOption func(*lkConfig)

type lkConfig struct {
	identity, name string
	video, audio   []Option
	published      func()
	fixed          bool
}

// WithIdentity sets the participant's identity in the room (default
// "miniav-" and the first stream's device).
func WithIdentity(id string) LiveKitOption { return func(c *lkConfig) { c.identity = id } }

// WithTrackName sets the published track's name when one stream is
// published (default the device; with several, each track has its
// device's name).
func WithTrackName(name string) LiveKitOption { return func(c *lkConfig) { c.name = name } }

// WithEncoder passes encoder options (WithCodec, WithBitrate,
// WithKeyFrameInterval, WithCPUUsed) to the video tracks.
func WithEncoder(opts ...Option) LiveKitOption {
	return func(c *lkConfig) { c.video = append(c.video, opts...) }
}

// WithAudioEncoder passes encoder options (WithBitrate) to the Opus
// tracks of audio streams.
func WithAudioEncoder(opts ...Option) LiveKitOption {
	return func(c *lkConfig) { c.audio = append(c.audio, opts...) }
}

// WithFixedBitrate keeps the video encoders at WithBitrate whatever the
// link does. By default congestion control drives them: Google
// Congestion Control (pion/interceptor's gcc) estimates from the SFU's
// transport-wide feedback what the participant's uplink carries, and the
// video tracks share it, after the audio tracks' fixed bitrates, in
// proportion to their WithBitrate, which is also each one's ceiling (and
// where the estimate starts); a track gets no less than 150 kbit/s.
// TrackStats.Bitrate shows where a track's encoder is. On a link that
// cannot carry even that, the stream's Policy still decides (see
// VideoTrack.Run).
func WithFixedBitrate() LiveKitOption { return func(c *lkConfig) { c.fixed = true } }

// WithPublished calls f once the room has accepted every track, before
// the first frame is encoded.
func WithPublished(f func()) LiveKitOption { return func(c *lkConfig) { c.published = f } }

// PublishLiveKit joins the LiveKit room at url (ws:// or wss://) with an
// access token made from the API key and secret, publishes the video
// video stream s as one VP8 track (H.264 with WithCodec; an audio stream
// as one Opus track), and sends its frames until the stream ends
// or ctx is done; then it leaves the room. The SFU's PLI and FIR make
// keyframes, as does every new subscription. It returns what was sent,
// and nil when the stream was closed or ctx cancelled.
func PublishLiveKit(ctx context.Context, s *miniav.Stream, url, room, key, secret string, opts ...LiveKitOption) (TrackStats, error) {
	st, err := PublishLiveKitStreams(ctx, []*miniav.Stream{s}, url, room, key, secret, opts...)
	if len(st) == 0 {
		return TrackStats{}, err
	}
	return st[0], err
}

// PublishLiveKitStreams is PublishLiveKit for several streams at once,
// as one participant: a camera and its microphone, say, which a viewer
// then sees as one person with a video and an audio track. Each stream is
// a track of its own (video as VP8 or H.264, audio as Opus; a screen's
// source is a screen share). It sends until every stream has ended, ctx
// is done or one track fails (which stops the others), then leaves the
// room, and returns each track's stats in the order of streams.
func PublishLiveKitStreams(ctx context.Context, streams []*miniav.Stream, url, room, key, secret string, opts ...LiveKitOption) ([]TrackStats, error) {
	if len(streams) == 0 {
		return nil, fmt.Errorf("publish: no stream to publish: %w", miniav.ErrNotSupported)
	}
	c := lkConfig{identity: "miniav-" + streams[0].Info().Device}
	for _, o := range opts {
		o(&c)
	}
	tracks := make([]*lkTrack, 0, len(streams))
	closeAll := func() {
		for _, t := range tracks {
			t.close()
		}
	}
	for _, s := range streams {
		name := s.Info().Device
		if len(streams) == 1 && c.name != "" {
			name = c.name
		}
		t, err := newLKTrack(s, name, c)
		if err != nil {
			closeAll()
			return nil, err
		}
		tracks = append(tracks, t)
	}
	var conn []lksdk.ConnectOption
	if !c.fixed {
		var video, audio []int
		for _, t := range tracks {
			if t.video != nil {
				video = append(video, t.video.ceil)
			} else {
				audio = append(audio, t.stats().Bitrate)
			}
		}
		cg := newCongestion(video, audio)
		ints, err := cg.interceptors()
		if err != nil {
			closeAll()
			return nil, err
		}
		for _, t := range tracks {
			if t.video != nil {
				t.video.setShare(cg.videoShare)
			}
		}
		conn = append(conn, lksdk.WithInterceptors(ints), lksdk.WithIncludeDefaultInterceptors(true))
	}
	r, err := joinAndPublish(ctx, tracks, url, room, key, secret, c, conn...)
	if err != nil {
		closeAll()
		return nil, err
	}
	defer r.Disconnect()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(tracks))
	var wg sync.WaitGroup
	for i, t := range tracks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = t.run(ctx); errs[i] != nil {
				cancel() // one track failed: stop the others
			}
		}()
	}
	wg.Wait()
	st := make([]TrackStats, len(tracks))
	for i, t := range tracks {
		st[i] = t.stats()
	}
	return st, errors.Join(errs...)
}

// An lkTrack is one stream's encoder and LiveKit track.
type lkTrack struct {
	video *VideoTrack // nil for audio
	lt    *lksdk.LocalTrack
	pub   *lksdk.TrackPublicationOptions
	run   func(context.Context) error
	stats func() TrackStats
	enc   interface{ Close() error }
}

// close frees the track's encoder and track when it is not published
// (Run closes them otherwise).
func (t *lkTrack) close() {
	t.enc.Close()
	if t.lt != nil {
		t.lt.Close()
	}
}

// newLKTrack makes the encoder and LiveKit track of stream s.
func newLKTrack(s *miniav.Stream, name string, c lkConfig) (*lkTrack, error) {
	info := s.Info()
	if info.Kind.Audio() {
		a, _, err := newAudioEncoder(s, c.audio)
		if err != nil {
			return nil, err
		}
		lt, err := lksdk.NewLocalTrack(opusCapability())
		if err != nil {
			a.enc.Close()
			return nil, fmt.Errorf("publish: livekit track: %w", err)
		}
		a.write = func(smp media.Sample) error { return lt.WriteSample(smp, nil) }
		return &lkTrack{lt: lt, run: a.Run, stats: a.Stats, enc: a.enc,
			pub: &lksdk.TrackPublicationOptions{Name: name, Source: livekit.TrackSource_MICROPHONE}}, nil
	}
	v, vc, err := newEncoder(s, c.video)
	if err != nil {
		return nil, err
	}
	lt, err := lksdk.NewLocalTrack(vc.codec.capability(),
		lksdk.WithRTCPHandler(func(p rtcp.Packet) {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				v.RequestKeyFrame()
			}
		}))
	if err != nil {
		v.enc.Close()
		return nil, fmt.Errorf("publish: livekit track: %w", err)
	}
	lt.OnBind(v.forceKey)
	v.write = func(smp media.Sample) error { return lt.WriteSample(smp, nil) }
	source := livekit.TrackSource_CAMERA
	if info.Kind == backend.KindDisplay || info.Kind == backend.KindWindow {
		source = livekit.TrackSource_SCREEN_SHARE
	}
	return &lkTrack{video: v, lt: lt, run: v.Run, stats: v.Stats, enc: v.enc,
		pub: &lksdk.TrackPublicationOptions{Name: name, Source: source, VideoWidth: info.Video.Width, VideoHeight: info.Video.Height}}, nil
}

// joinAndPublish joins room and publishes every track in it, then calls
// the WithPublished hook. On failure it leaves the room; the caller
// closes the tracks then, and disconnects otherwise.
func joinAndPublish(ctx context.Context, tracks []*lkTrack, url, room, key, secret string, c lkConfig, conn ...lksdk.ConnectOption) (*lksdk.Room, error) {
	r := lksdk.NewRoom(lksdk.NewRoomCallback())
	err := r.JoinWithContext(ctx, url, lksdk.ConnectInfo{
		APIKey: key, APISecret: secret, RoomName: room, ParticipantIdentity: c.identity,
	}, append(conn, lksdk.WithAutoSubscribe(false))...)
	if err != nil {
		return nil, fmt.Errorf("publish: join livekit room %q at %s: %w", room, url, err)
	}
	for _, t := range tracks {
		if _, err := r.LocalParticipant.PublishTrack(t.lt, t.pub); err != nil {
			r.Disconnect()
			return nil, fmt.Errorf("publish: publish track %q in %q: %w", t.pub.Name, room, err)
		}
	}
	if c.published != nil {
		c.published()
	}
	return r, nil
}
