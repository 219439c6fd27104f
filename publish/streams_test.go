package publish_test

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// A camera and a microphone published by PublishLiveKitStreams are one
// participant with a camera track and a microphone track (as the room API
// lists them), and a second Go client in the room receives both: the
// video decodes to testsrc's frames with their indexes, the audio decodes
// (ffmpeg) to testsrc's 1 kHz tone.
func TestLiveKitCameraAndMicrophone(t *testing.T) {
	lktest.NeedICE(t)
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		testenv.Missing(t, "ffmpeg is not installed")
	}
	srv := lktest.Start(t, lktest.Options{})
	const room, w, h = "miniav-av", 640, 360
	const nVideo, nAudio = 60, 100 // 2 s of each
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cam := openCamera(t, ctx, w, h)
	defer cam.Close()
	mic, err := miniav.Open(ctx, "testsrc:microphone?freq=1000", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 1, SampleFormat: format.S16}))
	if err != nil {
		t.Fatal(err)
	}
	defer mic.Close()

	frames := make(chan received, 512)
	pkts := make(chan *rtp.Packet, 512)
	var readers sync.WaitGroup
	rctx, stopReaders := context.WithCancel(ctx)
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(tr *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, p *lksdk.RemoteParticipant) {
		if p.Identity() != "av" {
			return
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			if tr.Kind() == webrtc.RTPCodecTypeVideo {
				decodeTrack(t, rctx, tr, w, h, frames)
			} else {
				forwardRTP(rctx, tr, pkts)
			}
		}()
	}
	sub := lksdk.NewRoom(cb)
	if err := sub.JoinWithContext(ctx, srv.URL, lksdk.ConnectInfo{
		APIKey: lktest.APIKey, APISecret: lktest.APISecret, RoomName: room, ParticipantIdentity: "viewer",
	}); err != nil {
		t.Fatalf("subscriber join: %v", err)
	}
	stopSub := func() { sub.Disconnect(); stopReaders(); readers.Wait() }
	defer stopSub()

	pctx, stopPub := context.WithCancel(ctx)
	var pub sync.WaitGroup
	var sts []publish.TrackStats
	var perr error
	pub.Add(1)
	go func() {
		defer pub.Done()
		sts, perr = publish.PublishLiveKitStreams(pctx, []*miniav.Stream{cam, mic}, srv.URL, room, lktest.APIKey, lktest.APISecret,
			publish.WithIdentity("av"), publish.WithEncoder(publish.WithBitrate(1_000_000)))
	}()
	defer func() { stopPub(); pub.Wait() }()

	path := filepath.Join(t.TempDir(), "tone.ogg")
	ogg, err := oggwriter.New(path, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	var video []received
	var audio []*rtp.Packet
	for len(video) < nVideo || len(audio) < nAudio {
		select {
		case f := <-frames:
			video = append(video, f)
		case p := <-pkts:
			if len(p.Payload) == 0 || len(audio) >= nAudio {
				continue
			}
			audio = append(audio, p)
			if err := ogg.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d video frames and %d of %d audio packets before the deadline", len(video), nVideo, len(audio), nAudio)
		}
	}
	ogg.Close()

	// One participant, one track of each kind, as the SFU lists them.
	rc := lksdk.NewRoomServiceClient(srv.HTTP, lktest.APIKey, lktest.APISecret)
	res, err := rc.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: room})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[livekit.TrackSource]*livekit.TrackInfo{}
	for _, p := range res.Participants {
		if p.Identity != "av" {
			continue
		}
		for _, tr := range p.Tracks {
			sources[tr.Source] = tr
		}
	}
	if v := sources[livekit.TrackSource_CAMERA]; v == nil || v.Type != livekit.TrackType_VIDEO || v.Width != w || v.Height != h {
		t.Errorf("participant av's camera track: %+v, want a %dx%d video track", v, w, h)
	}
	if a := sources[livekit.TrackSource_MICROPHONE]; a == nil || a.Type != livekit.TrackType_AUDIO {
		t.Errorf("participant av's microphone track: %+v, want an audio track", a)
	}
	if len(sources) != 2 {
		t.Errorf("participant av has tracks from %d sources, want 2", len(sources))
	}

	stopPub()
	pub.Wait()
	if perr != nil {
		t.Fatalf("PublishLiveKitStreams: %v", perr)
	}
	if len(sts) != 2 || sts[0].Frames < nVideo || sts[1].Frames < nAudio {
		t.Fatalf("publisher stats %+v, want at least %d video frames and %d audio packets", sts, nVideo, nAudio)
	}
	stopSub()
	checkReceived(t, cam, video, w, h)
	for i := 1; i < len(audio); i++ {
		if d := audio[i].SequenceNumber - audio[i-1].SequenceNumber; d != 1 {
			t.Fatalf("audio packet %d: sequence number %d after %d", i, audio[i].SequenceNumber, audio[i-1].SequenceNumber)
		}
	}
	pcm := decodeOgg(t, ffmpeg, path)
	if len(pcm) < 9600 {
		t.Fatalf("ffmpeg decoded %d samples from %d packets", len(pcm), len(audio))
	}
	f, rms := toneFrequency(pcm[4800:], 48000)
	t.Logf("%d video frames (first index %d), %d audio packets, tone %.3f Hz RMS %.0f", len(video), video[0].index, len(audio), f, rms)
	if math.Abs(f-1000) > 1 || rms < 1000 {
		t.Errorf("decoded tone %.3f Hz, RMS %.0f: want 1000 ±1 Hz, not silence", f, rms)
	}
	if out := cam.Stats().Outstanding + mic.Stats().Outstanding; out != 0 {
		t.Errorf("%d frames outstanding after PublishLiveKitStreams", out)
	}
}

// PublishLiveKitStreams with no stream, or with one that cannot be
// encoded, fails before joining, with an error errors.Is can match.
func TestPublishStreamsBadInput(t *testing.T) {
	if _, err := publish.PublishLiveKitStreams(context.Background(), nil, "ws://127.0.0.1:1", "r", "k", "s"); !errors.Is(err, miniav.ErrNotSupported) {
		t.Errorf("no streams: %v, want ErrNotSupported", err)
	}
	mic, err := miniav.Open(context.Background(), "testsrc:microphone", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 44100, Channels: 1, SampleFormat: format.S16}))
	if err != nil {
		t.Fatal(err)
	}
	defer mic.Close()
	cam := openCamera(t, context.Background(), 160, 120)
	defer cam.Close()
	if _, err := publish.PublishLiveKitStreams(context.Background(), []*miniav.Stream{cam, mic}, "ws://127.0.0.1:1", "r", "k", "s"); !errors.Is(err, miniav.ErrNotSupported) {
		t.Errorf("a 44.1 kHz microphone: %v, want ErrNotSupported (Opus takes 48 kHz and its divisors)", err)
	}
}
