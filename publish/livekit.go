package publish

import (
	"context"
	"fmt"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/miniav-go/miniav"
)

// LiveKitOption configures PublishLiveKit.
type LiveKitOption func(*lkConfig)

type lkConfig struct {
	identity, name string
	track          []Option
	published      func()
}

// WithIdentity sets the participant's identity in the room (default
// "miniav-" and the stream's device).
func WithIdentity(id string) LiveKitOption { return func(c *lkConfig) { c.identity = id } }

// WithTrackName sets the published track's name (default the device).
func WithTrackName(name string) LiveKitOption { return func(c *lkConfig) { c.name = name } }

// WithEncoder passes encoder options (WithCodec, WithBitrate,
// WithKeyFrameInterval).
func WithEncoder(opts ...Option) LiveKitOption {
	return func(c *lkConfig) { c.track = append(c.track, opts...) }
}

// WithPublished calls f once the room has accepted the track, before
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
	info := s.Info()
	c := lkConfig{identity: "miniav-" + info.Device, name: info.Device}
	for _, o := range opts {
		o(&c)
	}
	if info.Kind.Audio() {
		return publishAudio(ctx, s, url, room, key, secret, c)
	}
	t, tc, err := newEncoder(s, c.track)
	if err != nil {
		return TrackStats{}, err
	}
	lt, err := lksdk.NewLocalTrack(tc.codec.capability(),
		lksdk.WithRTCPHandler(func(p rtcp.Packet) {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				t.RequestKeyFrame()
			}
		}))
	if err != nil {
		t.enc.Close()
		return TrackStats{}, fmt.Errorf("publish: livekit track: %w", err)
	}
	lt.OnBind(t.forceKey)
	t.write = func(smp media.Sample) error { return lt.WriteSample(smp, nil) }

	v := info.Video
	r, err := joinAndPublish(ctx, lt, url, room, key, secret, c, &lksdk.TrackPublicationOptions{
		Name: c.name, Source: livekit.TrackSource_CAMERA, VideoWidth: v.Width, VideoHeight: v.Height,
	})
	if err != nil {
		t.enc.Close()
		return TrackStats{}, err
	}
	defer r.Disconnect()
	err = t.Run(ctx)
	return t.Stats(), err
}

// joinAndPublish joins room and publishes lt in it (closing lt if either
// fails), then calls the WithPublished hook. The caller disconnects.
func joinAndPublish(ctx context.Context, lt *lksdk.LocalTrack, url, room, key, secret string, c lkConfig, pub *lksdk.TrackPublicationOptions) (*lksdk.Room, error) {
	r := lksdk.NewRoom(lksdk.NewRoomCallback())
	err := r.JoinWithContext(ctx, url, lksdk.ConnectInfo{
		APIKey: key, APISecret: secret, RoomName: room, ParticipantIdentity: c.identity,
	}, lksdk.WithAutoSubscribe(false))
	if err != nil {
		lt.Close()
		return nil, fmt.Errorf("publish: join livekit room %q at %s: %w", room, url, err)
	}
	if _, err := r.LocalParticipant.PublishTrack(lt, pub); err != nil {
		r.Disconnect()
		lt.Close()
		return nil, fmt.Errorf("publish: publish track in %q: %w", room, err)
	}
	if c.published != nil {
		c.published()
	}
	return r, nil
}

// publishAudio is PublishLiveKit for an audio stream: one Opus track.
func publishAudio(ctx context.Context, s *miniav.Stream, url, room, key, secret string, c lkConfig) (TrackStats, error) {
	t, _, err := newAudioEncoder(s, c.track)
	if err != nil {
		return TrackStats{}, err
	}
	lt, err := lksdk.NewLocalTrack(opusCapability())
	if err != nil {
		t.enc.Close()
		return TrackStats{}, fmt.Errorf("publish: livekit track: %w", err)
	}
	t.write = func(smp media.Sample) error { return lt.WriteSample(smp, nil) }
	r, err := joinAndPublish(ctx, lt, url, room, key, secret, c, &lksdk.TrackPublicationOptions{
		Name: c.name, Source: livekit.TrackSource_MICROPHONE,
	})
	if err != nil {
		t.enc.Close()
		return TrackStats{}, err
	}
	defer r.Disconnect()
	err = t.Run(ctx)
	return t.Stats(), err
}
