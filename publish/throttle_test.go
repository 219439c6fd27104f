package publish_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// testsrc at 1280x720, 30 fps, at a fixed bitrate (WithFixedBitrate),
// published into a LiveKit node that sits
// behind a veth pair in a namespace of its own; a second Go client
// subscribes. Every frame is a keyframe, so that testsrc's simple pattern
// makes a stream of about the encoder's bitrate. First the link is free: frames arrive and nothing is
// counted as a network drop. Then the publisher's side of the link is
// shaped with tc's token bucket to a fraction of the stream's bitrate,
// with a queue longer than a socket's send buffer, so the link drops
// nothing itself: the publisher's socket fills, its writes block, and the
// stream's DropOldest policy drops frames, counted as "network". At the
// end every frame is accounted for: the stream's frames were written or
// dropped, and the frames written arrived, in order, but for those
// written before the subscription and a few in flight; no frame counted
// as dropped arrived. Outstanding frames stay
// at most the three the track holds, the heap does not grow, and nothing
// is left outstanding after.
func TestLiveKitThrottledLink(t *testing.T) {
	const w, h = 1280, 720
	const room = "miniav-throttle"
	link := lktest.NewLink(t)
	srv := lktest.Start(t, lktest.Options{Link: link})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := openCamera(t, ctx, w, h)
	defer s.Close()

	frames := make(chan received, 4096)
	sub := joinSubscriber(t, ctx, srv.URL, room, "viewer", webrtc.RTPCodecTypeVideo,
		func(ctx context.Context, tr *webrtc.TrackRemote) { decodeTrack(t, ctx, tr, w, h, frames) })
	defer sub.close()
	pub := startPublisher(ctx, s, srv.URL, room, publish.WithIdentity("camera"), publish.WithFixedBitrate(),
		publish.WithEncoder(publish.WithBitrate(2_000_000), publish.WithKeyFrameInterval(1)))
	defer pub.stop()

	var got []received
	var maxOut atomic.Int64
	take := func(until func() bool, limit time.Duration) {
		t.Helper()
		deadline := time.After(limit)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for !until() {
			select {
			case f := <-frames:
				f.img = nil // the index is all this test needs
				got = append(got, f)
			case <-tick.C:
				maxOut.Store(max(maxOut.Load(), s.Stats().Outstanding))
			case <-deadline:
				return
			case <-ctx.Done():
				t.Fatalf("%d frames received before the deadline", len(got))
			}
		}
	}
	netDrops := func() uint64 { return s.Stats().Dropped[backend.DropNetwork] }

	// Free link: 90 frames arrive, none is a network drop.
	take(func() bool { return len(got) >= 90 }, 30*time.Second)
	if len(got) < 90 {
		t.Fatalf("%d frames in 30 s over the free link", len(got))
	}
	st0 := s.Stats()
	first := got[0].index
	if n := st0.Dropped[backend.DropNetwork]; n != 0 {
		t.Fatalf("%d network drops over the free link, want 0 (stats %+v)", n, st0)
	}
	t0 := time.Now()
	t.Logf("free link: %d frames received from index %d, source stats %+v", len(got), first, st0)

	// Throttled: 200 kbit/s (under a third of the stream's rate), queue of 1 MB (a socket's send buffer is 208 KiB of
	// memory, about 100 KB of packets): the link delays but drops nothing.
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	if err := link.Throttle("200kbit", 3000, 1<<20); err != nil {
		t.Fatal(err)
	}
	take(func() bool { return time.Since(t0) > 8*time.Second }, 10*time.Second)
	drops := netDrops()
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	t.Logf("after 8 s throttled: %d frames received, %d network drops, link: %s", len(got), drops, link.Backlog())
	if drops == 0 {
		t.Errorf("no network drops over a 200 kbit/s link (stats %+v)", s.Stats())
	}

	// End: the source stops; the link drains, still throttled, into the
	// SFU (removing the qdisc would discard what it holds).
	s.Close()
	st, err := pub.stop()
	if err != nil {
		t.Fatalf("PublishLiveKit: %v", err)
	}
	last := len(got)
	drainFrom := time.Now()
	take(func() bool { return !link.Queued() }, 15*time.Second)
	t.Logf("link drained in %v", time.Since(drainFrom).Round(100*time.Millisecond))
	take(func() bool { return false }, 2*time.Second)
	t.Logf("%d more frames after the source stopped; publisher %+v", len(got)-last, st)
	end := s.Stats()

	// In order, and which indices are missing.
	for i := 1; i < len(got); i++ {
		if !got[i].ok || got[i].index <= got[i-1].index {
			t.Fatalf("frame %d: index %d (readable %v) after %d: out of order", i, got[i].index, got[i].ok, got[i-1].index)
		}
	}
	// The ledger on the publisher's side: every frame the stream handed
	// over was sent or dropped.
	var dropped uint64
	for r, n := range end.Dropped {
		if backend.DropReason(r) != backend.DropDevice {
			dropped += n
		}
	}
	if end.Delivered != st.Frames+dropped {
		t.Errorf("stream delivered %d frames, the track sent %d and %d were dropped (%v): not every frame is accounted for",
			end.Delivered, st.Frames, dropped, end.Dropped)
	}
	if st.NetworkDrops != end.Dropped[backend.DropNetwork] {
		t.Errorf("track counts %d network drops, the stream %d", st.NetworkDrops, end.Dropped[backend.DropNetwork])
	}
	// What was captured is what arrived plus what was dropped, within the
	// frames written before the subscription (fewer than the first index
	// received) and a few in flight: every frame written arrived but
	// those, and none counted as dropped did (it would make received
	// exceed written).
	gaps := uint64(0)
	for i := 1; i < len(got); i++ {
		gaps += uint64(got[i].index - got[i-1].index - 1)
	}
	unreceived := int64(st.Frames) - int64(len(got))
	t.Logf("captured %d, written %d, received %d from index %d (%d gaps), dropped %v (%d network); heap %d KiB before the throttle, %d after; at most %d frames outstanding",
		end.Captured, st.Frames, len(got), first, gaps, end.Dropped, end.Dropped[backend.DropNetwork], ms0.HeapInuse>>10, ms1.HeapInuse>>10, maxOut.Load())
	const window = 4 // frames in flight when the source stopped
	if unreceived < 0 || unreceived > int64(first)+window {
		t.Errorf("%d frames written, %d received: %d did not arrive, want 0 to %d (written before the first received, index %d, and %d in flight)",
			st.Frames, len(got), unreceived, int64(first)+window, first, window)
	}
	if gaps > end.Dropped.Total() {
		t.Errorf("%d frames missing between received ones, only %d dropped: lost on the way", gaps, end.Dropped.Total())
	}
	if m := maxOut.Load(); m > 3 {
		t.Errorf("%d frames outstanding at once, want at most 3 (one encoding, one waiting, one offered)", m)
	}
	if grow := int64(ms1.HeapInuse) - int64(ms0.HeapInuse); grow > 16<<20 {
		t.Errorf("heap grew by %d KiB while throttled", grow>>10)
	}
	if end.Outstanding != 0 {
		t.Errorf("%d frames outstanding after PublishLiveKit", end.Outstanding)
	}
	sub.close()
}

// passed is how many of s's frames got past every drop: captured and
// dropped for no reason after, so encoded and sent (give or take the few
// in flight). Device and overrun drops are frames the source never
// captured (a gap in its sequence), so they are not taken off.
func passed(s *miniav.Stream) uint64 {
	st := s.Stats()
	d := st.Dropped
	return st.Captured - (d.Total() - d[backend.DropDevice] - d[backend.DropOverrun])
}

// lagging is why a throttled link did not keep up with what congestion
// control sent over span, none if it did: more than 5 frames dropped for
// the network, under 90% of the frames sent arriving, or under 20 fps
// arriving (30 are captured; an encoder starved of CPU drops some under
// its own reason, which is not the network's doing but still leaves too
// few).
func lagging(netDrops uint64, received int, sent uint64, span time.Duration) []string {
	var why []string
	if netDrops > 5 {
		why = append(why, fmt.Sprintf("%d network drops in the last %v: the encoder did not come down to the link's rate", netDrops, span))
	}
	if float64(received) < 0.9*float64(sent)-3 {
		why = append(why, fmt.Sprintf("%d frames received of %d sent in the last %v: the link did not carry what was sent", received, sent, span))
	}
	if fps := float64(received) / span.Seconds(); fps < 20 {
		why = append(why, fmt.Sprintf("%.1f fps received over the throttled link after adapting, want at least 20", fps))
	}
	return why
}

// keptUp fails t for each of lagging's reasons.
func keptUp(t *testing.T, netDrops uint64, received int, sent uint64, span time.Duration) {
	t.Helper()
	for _, why := range lagging(netDrops, received, sent, span) {
		t.Error(why)
	}
}

// As TestLiveKitThrottledLink, with congestion control (the default) and
// a picture that fills the bitrate (testsrc's bars with sensor-like
// noise: the bars alone compress to under 200 kbit/s): the link is
// throttled to 1 Mbit/s, half of what the stream starts at. The link's
// queue grows (frames may be dropped as "network" while it does); the
// SFU's transport-wide feedback shows the delay growing, GCC's estimate
// falls to what the link carries and the encoder follows it. From then on
// the link keeps up: in the last 5 s nearly every frame sent arrives (see
// keptUp) and there are no network drops, where a fixed bitrate (with
// WithFixedBitrate) loses nearly all of them: seen, 146 of 150 dropped in
// those 5 s and none received, the link 8 s behind. The link carries at
// least 40% of its rate then.
func TestLiveKitCongestionControl(t *testing.T) {
	const w, h = 1280, 720
	const room = "miniav-gcc"
	const linkRate = 1_000_000
	link := lktest.NewLink(t)
	srv := lktest.Start(t, lktest.Options{Link: link})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := openDevice(t, ctx, "testsrc:camera?noise=3", w, h)
	defer s.Close()

	frames := make(chan received, 4096)
	sub := joinSubscriber(t, ctx, srv.URL, room, "viewer", webrtc.RTPCodecTypeVideo,
		func(ctx context.Context, tr *webrtc.TrackRemote) { decodeTrack(t, ctx, tr, w, h, frames) })
	defer sub.close()
	pub := startPublisher(ctx, s, srv.URL, room, publish.WithIdentity("camera"),
		publish.WithEncoder(publish.WithBitrate(2_000_000)))
	defer pub.stop()

	n := 0
	count := func(d time.Duration) {
		t.Helper()
		deadline := time.After(d)
		for {
			select {
			case <-frames:
				n++
			case <-deadline:
				return
			case <-ctx.Done():
				t.Fatalf("%d frames received before the deadline", n)
			}
		}
	}
	netDrops := func() uint64 { return s.Stats().Dropped[backend.DropNetwork] }

	count(5 * time.Second)
	if n < 60 || netDrops() != 0 {
		t.Fatalf("free link: %d frames in 5 s, %d network drops", n, netDrops())
	}
	if err := link.Throttle(fmt.Sprintf("%dbit", linkRate), 3000, 1<<20); err != nil {
		t.Fatal(err)
	}
	// Adapting: the queue fills, the estimate falls, the queue drains.
	count(20 * time.Second)
	d0, n0, p0, l0, at := netDrops(), n, passed(s), linkSent(link), time.Now()
	count(5 * time.Second)
	d1, n1, p1, l1, span := netDrops(), n, passed(s), linkSent(link), time.Since(at)
	carried := int(float64(8*(l1-l0)) / span.Seconds())
	fps := float64(n1-n0) / span.Seconds()
	t.Logf("throttled to %d bit/s: %d network drops while adapting, %d in the last %v; %.1f fps received then, of %.1f sent; the link carried %d bit/s then; drops: %v; link: %s",
		linkRate, d0, d1-d0, span.Round(time.Millisecond), fps, float64(p1-p0)/span.Seconds(), carried, s.Stats().Dropped, link.Backlog())
	keptUp(t, d1-d0, n1-n0, p1-p0, span)
	s.Close()
	st, err := pub.stop()
	if err != nil {
		t.Fatalf("PublishLiveKit: %v", err)
	}
	t.Logf("publisher: %+v", st)
	// The encoder came down from 2 Mbit/s, but not so far that the link
	// idles.
	if st.Bitrate >= 2_000_000 {
		t.Errorf("encoder bitrate %d bit/s at the end: congestion control never lowered it", st.Bitrate)
	}
	if carried < linkRate*4/10 {
		t.Errorf("the link carried %d bit/s in the last %v, want near its %d", carried, span, linkRate)
	}
	sub.close()
}

// linkSent is the bytes link has let through and holds.
func linkSent(link *lktest.Link) int64 {
	sent, queued := link.Bytes()
	return sent + queued
}
