package publish_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// testsrc published to a real LiveKit node and opened again as a Stream
// through the "livekit:" backend: frames arrive with the source's size
// and format, their stamped indices strictly increase, an unknown track
// is ErrNotFound, and the publisher leaving ends the stream with
// ErrDeviceLost.
func TestLiveKitSubscribeStream(t *testing.T) {
	lktest.NeedICE(t)
	srv := lktest.Start(t, lktest.Options{})
	subscribeStream(t, srv.URL, srv.URL)
}

// The same with the publisher on node A and the subscriber on node B of
// one Redis-joined cluster.
func TestLiveKitSubscribeStreamTwoNodes(t *testing.T) {
	lktest.NeedICE(t)
	redis := lktest.StartRedis(t)
	a := lktest.Start(t, lktest.Options{Redis: redis})
	b := lktest.Start(t, lktest.Options{Redis: redis})
	subscribeStream(t, a.URL, b.URL)
}

func subscribeStream(t *testing.T, pubURL, subURL string) {
	t.Setenv("LIVEKIT_URL", subURL)
	t.Setenv("LIVEKIT_API_KEY", lktest.APIKey)
	t.Setenv("LIVEKIT_API_SECRET", lktest.APISecret)
	const w, h = 320, 240
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	src := openCamera(t, ctx, w, h)
	defer src.Close()
	published := make(chan struct{})
	pub := startPublisher(ctx, src, pubURL, "subroom",
		publish.WithIdentity("cam"), publish.WithTrackName("front"),
		publish.WithPublished(func() { close(published) }))
	defer pub.stop()
	select {
	case <-published:
	case <-ctx.Done():
		t.Fatal("never published")
	}
	if _, err := miniav.Open(ctx, "livekit:subroom/nosuch"); !errors.Is(err, miniav.ErrNotFound) {
		t.Fatalf("unknown track: %v, want ErrNotFound", err)
	}
	s, err := miniav.Open(ctx, "livekit:subroom/front", miniav.WithPull())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := s.Info().Video; v.Width != w || v.Height != h || v.PixelFormat != format.I420 {
		t.Fatalf("Info video %+v, want %dx%d I420", v, w, h)
	}
	last, n := -1, 0
	var gaps uint64
	for n < 60 {
		f, err := s.Next()
		if err != nil {
			t.Fatalf("after %d frames: %v", n, err)
		}
		v := f.Video()
		k, ok := testsrc.DecodeIndex(v.Video, [][]byte{v.Plane(0), v.Plane(1), v.Plane(2)}, []int{v.Stride(0), v.Stride(1), v.Stride(2)})
		// The colour bars survive VP8: luma in the middle of row h/2,
		// well inside a bar, within 24 of the pattern's.
		x := w/16 + w/8*3
		want := int(testsrc.BarYUV(testsrc.BarAt(x, w, uint64(k)))[0])
		got := int(v.Plane(0)[h/2*v.Stride(0)+x])
		f.Release()
		if !ok {
			t.Fatalf("frame %d: index stamp unreadable", n)
		}
		if int(k) <= last {
			t.Fatalf("frame %d: index %d after %d", n, k, last)
		}
		if d := got - want; d < -24 || d > 24 {
			t.Errorf("frame %d (index %d): luma %d at x=%d, want %d", n, k, got, x, want)
		}
		if last >= 0 {
			gaps += uint64(int(k) - last - 1)
		}
		last = int(k)
		n++
	}
	// Every index skipped after the first frame is one the source or the
	// subscriber's stream counted as dropped.
	if counted := src.Stats().Dropped.Total() + s.Stats().Dropped.Total(); gaps > counted {
		t.Errorf("%d indices missing between received frames, %d drops counted", gaps, counted)
	}
	if _, err := pub.stop(); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := s.Next()
		if err != nil {
			if !errors.Is(err, miniav.ErrDeviceLost) {
				t.Fatalf("after the publisher left: %v, want ErrDeviceLost", err)
			}
			break
		}
		f.Release()
	}
	t.Logf("%d frames in order, last index %d; drops %+v", n, last, s.Stats().Dropped)
}
