package publish_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish"
)

// Publish a camera into a LiveKit room until interrupted. The video
// starts at 2 Mbit/s and congestion control lowers it to what the uplink
// carries (WithFixedBitrate keeps it).
func ExamplePublishLiveKit() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cam, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(),
		miniav.WithVideo(format.Video{Width: 1280, Height: 720, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	st, err := publish.PublishLiveKit(ctx, cam, os.Getenv("LIVEKIT_URL"), "demo",
		os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET"),
		publish.WithEncoder(publish.WithBitrate(2_000_000)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("sent %d frames, %d bytes; the encoder ended at %d bit/s\n", st.Frames, st.Bytes, st.Bitrate)
}

// A VideoTrack is a WebRTC track any number of peer connections share
// (AddTo); Run encodes the stream into it.
func ExampleNewVideoTrack() {
	ctx, cancel := context.WithCancel(context.Background())
	cam, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(),
		miniav.WithVideo(format.Video{Width: 640, Height: 360, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	t, err := publish.NewVideoTrack(cam, publish.WithBitrate(1_000_000), publish.WithTrackID("camera", "miniav"))
	if err != nil {
		log.Fatal(err)
	}
	tr := t.Track()
	fmt.Println(tr.Kind(), tr.ID(), tr.StreamID(), t.Stats().Bitrate)
	// Here: add tr to peer connections (t.AddTo(pc)), then encode until
	// the stream ends or ctx is done; Run frees the encoder.
	cancel()
	if err := t.Run(ctx); err != nil {
		log.Fatal(err)
	}
	// Output: video camera miniav 1000000
}

// A source that is not read in real time (testsrc unpaced, here; a file)
// is stamped by its own clock: its frames go out as fast as the encoder
// takes them, each 1/30 s after the one before on the RTP clock, and the
// encoder budgets its bitrate over 30 frames a second.
func ExampleWithDeviceClock() {
	ctx := context.Background()
	src, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(), miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block),
		miniav.WithVideo(format.Video{Width: 320, Height: 180, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	t, err := publish.NewVideoTrack(src, publish.WithBitrate(500_000), publish.WithDeviceClock())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Track().Kind(), t.Stats().Bitrate)
	// Here: add t.Track() to peer connections, then t.Run(ctx).
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := t.Run(cctx); err != nil {
		log.Fatal(err)
	}
	// Output: video 500000
}
