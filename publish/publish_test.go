package publish_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// received is one decoded frame at the subscriber.
type received struct {
	skipped int // frames before the first keyframe (with the first frame)
	index   uint32
	ok      bool
	key     bool
	img     *image.YCbCr
	at      time.Duration // decoded, on backend.Now's clock
	rtp     uint32        // its RTP timestamp
}

// subscribe plays url with WHEP through a peer connection of api and
// decodes every VP8 frame.
func subscribe(t *testing.T, ctx context.Context, api *webrtc.API, url string, w, h int) (pc *webrtc.PeerConnection, frames <-chan received, session string) {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	out := make(chan received, 256)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		defer close(out)
		decodeTrack(t, ctx, tr, w, h, out)
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	resp, err := http.Post(url, "application/sdp", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/sdp" {
		t.Fatalf("POST offer: %s %q", resp.Status, body)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		t.Fatal(err)
	}
	return pc, out, resp.Header.Get("Location")
}

// decodeTrack reads tr's RTP until it ends, decodes every VP8 frame and
// sends it with its stamped index and the time it was decoded.
func decodeTrack(t *testing.T, ctx context.Context, tr *webrtc.TrackRemote, w, h int, out chan<- received) {
	sb := samplebuilder.New(64, &codecs.VP8Packet{}, 90000)
	fr := &frameReader{}
	dec, err := vpx.NewDecoder(fr, prop.Media{Video: prop.Video{Width: w, Height: h}})
	if err != nil {
		t.Error(err)
		return
	}
	defer dec.Close()
	started, skipped := false, 0
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(p)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			key := len(s.Data) > 0 && s.Data[0]&1 == 0
			if !started && !key {
				skipped++ // nothing decodes before the first keyframe
				continue
			}
			started = true
			fr.next = s.Data
			img, _, err := dec.Read()
			if err != nil {
				t.Errorf("vp8 decode: %v", err)
				return
			}
			at := backend.Now()
			y := img.(*image.YCbCr)
			if b := y.Bounds(); b.Dx() != w || b.Dy() != h {
				// LiveKit's SFU sends tiny blank VP8 frames of its own
				// (when a subscription starts or ends): not the source's.
				t.Logf("skipping a %dx%d frame (the SFU's blank frame)", b.Dx(), b.Dy())
				continue
			}
			v := format.Video{Width: w, Height: h, PixelFormat: format.I420}
			k, ok := testsrc.DecodeIndex(v, [][]byte{y.Y, y.Cb, y.Cr}, []int{y.YStride, y.CStride, y.CStride})
			select {
			case out <- received{skipped: skipped, index: k, ok: ok, key: key, img: y, at: at, rtp: s.PacketTimestamp}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// checkReceived asserts that the frames got from s arrived in order
// (their stamped indices), that every index missing between two of them
// is a frame the source counted as dropped, and that the last one's
// colour bars survived the codec within a tolerance.
func checkReceived(t *testing.T, s *miniav.Stream, got []received, w, h int) {
	t.Helper()
	// In order, and nothing lost between encoder and receiver: an index
	// skipped is a frame the source dropped (a pull stream whose consumer,
	// the encoder, fell behind on a loaded machine), which it counts.
	gaps := uint64(0)
	for i, f := range got {
		if !f.ok {
			t.Fatalf("frame %d: index stamp unreadable after VP8", i)
		}
		if i > 0 {
			if f.index <= got[i-1].index {
				t.Fatalf("frame %d carries index %d after %d: out of order", i, f.index, got[i-1].index)
			}
			gaps += uint64(f.index - got[i-1].index - 1)
		}
	}
	if d := s.Stats().Dropped.Total(); gaps > d {
		t.Fatalf("%d frames missing between received ones, but the source dropped only %d: lost on the way", gaps, d)
	}
	// The colour bars survive the codec within a tolerance (away from bar
	// edges and the stamp).
	last := got[len(got)-1]
	for _, x := range []int{40, 200, 360, 520} {
		yy := h * 3 / 4
		want := testsrc.BarRGB(testsrc.BarAt(x, w, uint64(last.index)))
		r, g, b := color.YCbCrToRGB(last.img.Y[yy*last.img.YStride+x], last.img.Cb[yy/2*last.img.CStride+x/2], last.img.Cr[yy/2*last.img.CStride+x/2])
		for c, pair := range [][2]uint8{{r, want[0]}, {g, want[1]}, {b, want[2]}} {
			if d := int(pair[0]) - int(pair[1]); d < -16 || d > 16 {
				t.Errorf("frame %d pixel x=%d channel %d: %d, want %d ±16", last.index, x, c, pair[0], pair[1])
			}
		}
	}

}

// frameReader hands the VP8 decoder one whole frame per Read.
type frameReader struct{ next []byte }

func (r *frameReader) Read(p []byte) (int, error) {
	if r.next == nil {
		return 0, io.EOF
	}
	n := copy(p, r.next)
	r.next = nil
	return n, nil
}

// testsrc at 640x360, 30 fps, through VP8 and WHEP to a Go subscriber over
// loopback: every frame arrives, in order (the index stamped in its pixels),
// with the bars' colours; a PLI gets a keyframe; DELETE ends the session.
func TestWHEPToGo(t *testing.T) {
	const w, h = 640, 360
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := openCamera(t, ctx, w, h)
	track, err := publish.NewVideoTrack(s, publish.WithBitrate(3_000_000))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	go func() { defer wg.Done(); runErr = track.Run(runCtx) }()
	whep := publish.NewWHEP(track, publish.WithSettingEngine(publish.LoopbackSettings()))
	srv := httptest.NewServer(whep)
	defer srv.Close()

	pc, frames, loc := subscribe(t, ctx, publish.LoopbackAPI(), srv.URL+"/whep", w, h)
	defer pc.Close()

	var got []received
	for len(got) < 60 {
		select {
		case f, ok := <-frames:
			if !ok {
				t.Fatalf("track ended after %d frames", len(got))
			}
			got = append(got, f)
		case <-ctx.Done():
			t.Fatalf("%d frames in 60 s", len(got))
		}
	}
	// The keyframe interval is 60 frames; the track sends one as soon as
	// a peer connection binds it.
	t.Logf("%d frames before the first keyframe; first index %d", got[0].skipped, got[0].index)
	if got[0].skipped > 5 {
		t.Errorf("%d frames arrived before the first keyframe", got[0].skipped)
	}
	checkReceived(t, s, got, w, h)

	// A PLI from the receiver makes the encoder send a keyframe.
	before := track.Stats().KeyFrames
	var ssrc uint32
	if rs := pc.GetReceivers(); len(rs) > 0 && rs[0].Track() != nil {
		ssrc = uint32(rs[0].Track().SSRC())
	}
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.Fatal(err)
	}
	sawKey := false
	for deadline := time.After(10 * time.Second); !sawKey; {
		select {
		case f := <-frames:
			sawKey = f.key
		case <-deadline:
			t.Fatal("no keyframe within 10 s of a PLI")
		}
	}
	if track.Stats().KeyFrames <= before {
		t.Errorf("keyframe requests %d, want more than %d", track.Stats().KeyFrames, before)
	}

	req, _ := http.NewRequest(http.MethodDelete, srv.URL+loc, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || whep.Sessions() != 0 {
		t.Fatalf("DELETE %s: %s, %d sessions left", loc, resp.Status, whep.Sessions())
	}
	st := track.Stats()
	pc.Close()
	stopRun()
	wg.Wait()
	if runErr != nil {
		t.Fatalf("Run: %v", runErr)
	}
	whep.Close()
	if st.Frames < 60 || st.Bytes == 0 {
		t.Fatalf("stats %+v", st)
	}
	// Every frame was released: the stream has nothing outstanding.
	if out := s.Stats().Outstanding; out != 0 {
		t.Fatalf("%d frames outstanding after Run", out)
	}
}

// With WithDeviceClock, testsrc read unpaced (as fast as the encoder
// takes frames, the Block policy dropping none) is stamped by its own
// clock, frame k at k/30 s: consecutive frames at the viewer are exactly
// 3000 ticks of the 90 kHz RTP clock apart per index, though they were
// read and sent several times faster than 30 fps.
func TestWHEPDeviceClock(t *testing.T) {
	const w, h = 320, 180
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(), miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block),
		miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	track, err := publish.NewVideoTrack(s, publish.WithBitrate(500_000), publish.WithDeviceClock())
	if err != nil {
		t.Fatal(err)
	}
	whep := publish.NewWHEP(track, publish.WithSettingEngine(publish.LoopbackSettings()), publish.WithFixedWHEPBitrate())
	srv := httptest.NewServer(whep)
	defer srv.Close()
	pc, frames, _ := subscribe(t, ctx, publish.LoopbackAPI(), srv.URL+"/whep", w, h)
	defer pc.Close()
	// The track starts once the viewer is there, so that the first frames
	// are not sent to nobody before it is.
	for deadline := time.Now().Add(10 * time.Second); whep.Sessions() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no WHEP session in 10 s")
		}
	}
	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	go func() { defer wg.Done(); runErr = track.Run(runCtx) }()

	start := time.Now()
	var got []received
	for len(got) < 90 {
		select {
		case f := <-frames:
			got = append(got, f)
		case <-ctx.Done():
			t.Fatalf("%d frames in 60 s", len(got))
		}
	}
	span := time.Since(start)
	stopRun()
	wg.Wait()
	whep.Close()
	if runErr != nil {
		t.Fatalf("Run: %v", runErr)
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if !a.ok || !b.ok {
			t.Fatalf("frame %d: index stamp unreadable", i)
		}
		if d, want := b.rtp-a.rtp, 3000*(b.index-a.index); d != want {
			t.Errorf("frames %d and %d: RTP timestamps %d apart, want %d", a.index, b.index, d, want)
		}
	}
	t.Logf("%d frames (indices %d to %d) in %v", len(got), got[0].index, got[len(got)-1].index, span.Round(time.Millisecond))
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	s, err := miniav.Open(ctx, "testsrc:microphone", miniav.WithPull())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := publish.NewVideoTrack(s); !errors.Is(err, publish.ErrNotVideo) {
		t.Fatalf("audio stream: %v, want ErrNotVideo", err)
	}
	v, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	track, err := publish.NewVideoTrack(v)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	if err := track.Run(ctx); err != nil {
		t.Fatalf("Run on a closed stream: %v, want nil", err)
	}
	srv := httptest.NewServer(publish.NewWHEP(track, publish.WithSettingEngine(publish.LoopbackSettings())))
	defer srv.Close()
	for _, c := range []struct {
		method, ct, body string
		code             int
	}{
		{http.MethodPost, "text/plain", "v=0", http.StatusUnsupportedMediaType},
		{http.MethodPost, "application/sdp", "not sdp", http.StatusBadRequest},
		{http.MethodDelete, "", "", http.StatusNotFound},
		{http.MethodGet, "", "", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+"/whep/nope", bytes.NewBufferString(c.body))
		if c.ct != "" {
			req.Header.Set("Content-Type", c.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %s, want %d", c.method, c.ct, resp.Status, c.code)
		}
	}
}
