package publish_test

import (
	"context"
	"errors"
	"image"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/h264writer"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// testsrc at 640x360, 30 fps, published as H.264 (x264) into a real
// LiveKit node; a second Go client writes what it receives as an Annex B
// file (pion's h264writer) that ffmpeg decodes: the frames' stamped
// indices are in order with gaps only where the source counted drops, and
// the last frame's colour bars are within the tolerance of the VP8 test.
func TestLiveKitH264(t *testing.T) {
	lktest.NeedICE(t)
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		testenv.Missing(t, "ffmpeg is not installed")
	}
	srv := lktest.Start(t, lktest.Options{})
	const w, h, n = 640, 360, 90 // frames received
	const room = "miniav-h264"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := openCamera(t, ctx, w, h)
	defer s.Close()

	path := filepath.Join(t.TempDir(), "video.h264")
	hw, err := h264writer.New(path)
	if err != nil {
		t.Fatal(err)
	}
	pkts := make(chan *rtp.Packet, 1024)
	var mime string
	sub := joinSubscriber(t, ctx, srv.URL, room, "viewer", webrtc.RTPCodecTypeVideo,
		func(ctx context.Context, tr *webrtc.TrackRemote) {
			mime = tr.Codec().MimeType
			forwardRTP(ctx, tr, pkts)
		})
	defer sub.close()

	pub := startPublisher(ctx, s, srv.URL, room,
		publish.WithIdentity("camera"), publish.WithEncoder(publish.WithCodec(publish.H264), publish.WithBitrate(3_000_000)))
	defer pub.stop()

	frames := 0 // access units ended (RTP marker bit)
	for frames < n {
		select {
		case p := <-pkts:
			if len(p.Payload) == 0 {
				continue
			}
			if err := hw.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
			if p.Marker {
				frames++
			}
		case <-ctx.Done():
			_, err := pub.stop()
			t.Fatalf("%d of %d frames before the deadline (publisher: %v)", frames, n, err)
		}
	}
	if err := hw.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := pub.stop()
	if err != nil {
		t.Fatalf("PublishLiveKit: %v", err)
	}
	if out := s.Stats().Outstanding; out != 0 {
		t.Fatalf("%d frames outstanding after PublishLiveKit", out)
	}
	sub.close()
	cancel()
	if mime != webrtc.MimeTypeH264 {
		t.Fatalf("subscribed track is %q, want %s", mime, webrtc.MimeTypeH264)
	}

	out, err := exec.Command(ffmpeg, "-v", "error", "-f", "h264", "-i", path,
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("ffmpeg: %s", ee.Stderr)
		}
		t.Fatalf("ffmpeg decode: %v", err)
	}
	size := w * h * 3 / 2
	if len(out)%size != 0 || len(out) < size*(n-10) {
		t.Fatalf("ffmpeg decoded %d bytes: not whole 640x360 frames, or fewer than %d of the %d received", len(out), n-10, n)
	}
	var got []received
	v := format.Video{Width: w, Height: h, PixelFormat: format.I420}
	for off := 0; off < len(out); off += size {
		f := out[off : off+size]
		img := &image.YCbCr{Y: f[:w*h], Cb: f[w*h : w*h*5/4], Cr: f[w*h*5/4:], YStride: w, CStride: w / 2,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)}
		k, ok := testsrc.DecodeIndex(v, [][]byte{img.Y, img.Cb, img.Cr}, []int{w, w / 2, w / 2})
		got = append(got, received{index: k, ok: ok, img: img})
	}
	t.Logf("%d frames received, %d decoded by ffmpeg, indices %d to %d; publisher sent %d (source dropped %d)",
		frames, len(got), got[0].index, got[len(got)-1].index, st.Frames, s.Stats().Dropped.Total())
	checkReceived(t, s, got, w, h)
}
