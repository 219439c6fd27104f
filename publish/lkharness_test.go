package publish_test

import (
	"context"
	"sync"
	"testing"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// A publisher runs PublishLiveKit on a goroutine of its own.
type publisher struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	st     publish.TrackStats
	err    error
}

// startPublisher publishes s into room at url with the test servers' key.
func startPublisher(ctx context.Context, s *miniav.Stream, url, room string, opts ...publish.LiveKitOption) *publisher {
	ctx, cancel := context.WithCancel(ctx)
	p := &publisher{cancel: cancel}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.st, p.err = publish.PublishLiveKit(ctx, s, url, room, lktest.APIKey, lktest.APISecret, opts...)
	}()
	return p
}

// stop ends the publication and returns what PublishLiveKit returned. It
// may be called more than once.
func (p *publisher) stop() (publish.TrackStats, error) {
	p.cancel()
	p.wg.Wait()
	return p.st, p.err
}

// A subscriber is a second client in the room.
type subscriber struct {
	room   *lksdk.Room
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// joinSubscriber joins room at url as identity; read runs, on a goroutine
// of its own, for every track of kind it is subscribed to, until its ctx
// is done.
func joinSubscriber(t *testing.T, ctx context.Context, url, room, identity string, kind webrtc.RTPCodecType,
	read func(ctx context.Context, tr *webrtc.TrackRemote)) *subscriber {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	s := &subscriber{cancel: cancel}
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(tr *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		if tr.Kind() != kind {
			return
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); read(ctx, tr) }()
	}
	s.room = lksdk.NewRoom(cb)
	if err := s.room.JoinWithContext(ctx, url, lksdk.ConnectInfo{
		APIKey: lktest.APIKey, APISecret: lktest.APISecret, RoomName: room, ParticipantIdentity: identity,
	}); err != nil {
		cancel()
		t.Fatalf("subscriber join: %v", err)
	}
	return s
}

// close leaves the room and waits for the readers. It may be called more
// than once.
func (s *subscriber) close() {
	s.room.Disconnect()
	s.cancel()
	s.wg.Wait()
}

// forwardRTP sends tr's packets to out until tr ends or ctx is done.
func forwardRTP(ctx context.Context, tr *webrtc.TrackRemote, out chan<- *rtp.Packet) {
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return
		}
	}
}

// openCamera opens testsrc's camera at w x h I420, 30 fps, as a pull
// stream; the caller closes it.
func openCamera(t *testing.T, ctx context.Context, w, h int) *miniav.Stream {
	t.Helper()
	return openDevice(t, ctx, "testsrc:camera", w, h)
}

// openDevice is openCamera for the device id.
func openDevice(t *testing.T, ctx context.Context, id string, w, h int) *miniav.Stream {
	t.Helper()
	s, err := miniav.Open(ctx, id, miniav.WithPull(),
		miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
