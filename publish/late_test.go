package publish_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// A subscriber that joins a room 3 s after the VP8 publisher started
// (keyframes only on request: an interval of 1000 frames) decodes from
// its first few frames: the SFU asks the publisher for a keyframe (PLI)
// when the subscription starts, and the publisher counts the request.
func TestLiveKitLateSubscriber(t *testing.T) {
	lktest.NeedICE(t)
	srv := lktest.Start(t, lktest.Options{})
	const w, h, room = 640, 360, "miniav-late"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := openCamera(t, ctx, w, h)
	defer s.Close()
	published := make(chan struct{})
	pub := startPublisher(ctx, s, srv.URL, room,
		publish.WithIdentity("camera"), publish.WithPublished(func() { close(published) }),
		publish.WithEncoder(publish.WithKeyFrameInterval(1000)))
	defer pub.stop()
	select {
	case <-published:
	case <-ctx.Done():
		t.Fatal("not published within 60 s")
	}
	time.Sleep(3 * time.Second) // ~90 frames sent to nobody

	frames := make(chan received, 512)
	var subscribed time.Time
	var mu sync.Mutex
	sub := joinSubscriber(t, ctx, srv.URL, room, "late", webrtc.RTPCodecTypeVideo,
		func(ctx context.Context, tr *webrtc.TrackRemote) {
			mu.Lock()
			subscribed = time.Now()
			mu.Unlock()
			decodeTrack(t, ctx, tr, w, h, frames)
		})
	defer sub.close()
	var first received
	select {
	case first = <-frames:
	case <-ctx.Done():
		t.Fatal("no frame decoded by the late subscriber")
	}
	mu.Lock()
	wait := time.Since(subscribed)
	mu.Unlock()
	st, pubErr := pub.stop()
	t.Logf("first frame decoded %v after the subscription, index %d, %d frames before it; publisher: %d keyframe requests, %d frames",
		wait.Round(time.Millisecond), first.index, first.skipped, st.KeyFrames, st.Frames)
	if pubErr != nil {
		t.Fatalf("PublishLiveKit: %v", pubErr)
	}
	if first.index < 60 {
		t.Errorf("first frame's index %d: the subscriber was not late", first.index)
	}
	if first.skipped > 5 || wait > time.Second {
		t.Errorf("first decodable frame after %d undecodable ones, %v after the subscription: want a keyframe at once", first.skipped, wait)
	}
	if st.KeyFrames == 0 {
		t.Errorf("publisher counted no keyframe request (PLI/FIR)")
	}
	sub.close()
	cancel()
}
