package publish_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// testsrc's 1 kHz tone at 48 kHz, published as Opus into a real LiveKit
// node and received by a second Go client, which writes the packets to an
// Ogg file that ffmpeg decodes: the tone is 1000 Hz ±1, the decoded
// sample count matches the packets received, the packets' sequence
// numbers have no gap and their RTP timestamps step by one packet (960
// samples of the 48 kHz clock), as the source's capture clock does.
func TestLiveKitOpus(t *testing.T) {
	lktest.NeedICE(t)
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		testenv.Missing(t, "ffmpeg is not installed")
	}
	srv := lktest.Start(t, lktest.Options{})
	const room, n = "miniav-opus", 150 // 3 s of 20 ms packets
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := miniav.Open(ctx, "testsrc:microphone?freq=1000", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 1, SampleFormat: format.S16}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	path := filepath.Join(t.TempDir(), "tone.ogg")
	ogg, err := oggwriter.New(path, 48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	pkts := make(chan *rtp.Packet, 512)
	sub := joinSubscriber(t, ctx, srv.URL, room, "listener", webrtc.RTPCodecTypeAudio,
		func(ctx context.Context, tr *webrtc.TrackRemote) { forwardRTP(ctx, tr, pkts) })
	defer sub.close()

	pub := startPublisher(ctx, s, srv.URL, room, publish.WithIdentity("mic"))
	defer pub.stop()

	var got []*rtp.Packet
	for len(got) < n {
		select {
		case p := <-pkts:
			if len(p.Payload) == 0 {
				continue // padding
			}
			got = append(got, p)
			if err := ogg.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			_, err := pub.stop()
			t.Fatalf("%d of %d packets before the deadline (publisher: %v)", len(got), n, err)
		}
	}
	if err := ogg.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := pub.stop()
	if err != nil {
		t.Fatalf("PublishLiveKit: %v", err)
	}
	if st.Frames < n || st.Bytes == 0 {
		t.Fatalf("publisher stats %+v, want at least %d packets", st, n)
	}
	if out := s.Stats().Outstanding; out != 0 {
		t.Fatalf("%d frames outstanding after PublishLiveKit", out)
	}
	sub.close()
	cancel()

	for i := 1; i < len(got); i++ {
		if d := got[i].SequenceNumber - got[i-1].SequenceNumber; d != 1 {
			t.Fatalf("packet %d: sequence number %d after %d", i, got[i].SequenceNumber, got[i-1].SequenceNumber)
		}
		if d := int64(got[i].Timestamp - got[i-1].Timestamp); d < 959 || d > 961 {
			t.Errorf("packet %d: RTP timestamp steps %d, want 960 (20 ms at 48 kHz)", i, d)
		}
	}

	pcm := decodeOgg(t, ffmpeg, path)
	// Every packet decodes to 960 samples, less the pre-skip pion's Ogg
	// writer puts in the header (3840) that ffmpeg drops: allow one packet
	// either way.
	if want := n*960 - 3840; len(pcm) < want-960 || len(pcm) > want+960 {
		t.Errorf("ffmpeg decoded %d samples from %d packets, want about %d", len(pcm), n, want)
	}
	f, rms := toneFrequency(pcm[4800:], 48000) // past the codec's first 100 ms
	t.Logf("%d packets, %d samples decoded, tone %.3f Hz, RMS %.0f", len(got), len(pcm), f, rms)
	if math.Abs(f-1000) > 1 {
		t.Errorf("decoded tone %.3f Hz, want 1000 ±1", f)
	}
	if rms < 1000 {
		t.Errorf("decoded RMS %.0f: near silence", rms)
	}
}

// toneFrequency measures a pure tone's frequency from its rising zero
// crossings (interpolated between samples), and returns its RMS too.
func toneFrequency(x []float64, rate float64) (hz, rms float64) {
	var first, last float64
	crossings := 0
	for i := 1; i < len(x); i++ {
		rms += x[i] * x[i]
		if x[i-1] < 0 && x[i] >= 0 {
			at := float64(i-1) + -x[i-1]/(x[i]-x[i-1])
			if crossings == 0 {
				first = at
			}
			last = at
			crossings++
		}
	}
	rms = math.Sqrt(rms / float64(len(x)))
	if crossings < 2 {
		return 0, rms
	}
	return float64(crossings-1) * rate / (last - first), rms
}

// Opus takes only its own rates and integer or float samples; a video
// stream is not audio.
func TestAudioBadInput(t *testing.T) {
	ctx := context.Background()
	v, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := publish.NewAudioTrack(v); !errors.Is(err, publish.ErrNotAudio) {
		t.Fatalf("video stream: %v, want ErrNotAudio", err)
	}
	a, err := miniav.Open(ctx, "testsrc:microphone", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 44100, Channels: 1, SampleFormat: format.S16}))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := publish.NewAudioTrack(a); !errors.Is(err, miniav.ErrNotSupported) {
		t.Fatalf("44.1 kHz: %v, want ErrNotSupported", err)
	}
	ok, err := miniav.Open(ctx, "testsrc:microphone", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32}))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := publish.NewAudioTrack(ok)
	if err != nil {
		t.Fatal(err)
	}
	ok.Close()
	if err := tr.Run(ctx); err != nil {
		t.Fatalf("Run on a closed stream: %v, want nil", err)
	}
}

// decodeOgg decodes the Ogg Opus file at path with ffmpeg into 48 kHz mono
// samples.
func decodeOgg(t *testing.T, ffmpeg, path string) []float64 {
	t.Helper()
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-ar", "48000", "-").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("ffmpeg: %s", ee.Stderr)
		}
		t.Fatalf("ffmpeg decode: %v", err)
	}
	pcm := make([]float64, len(out)/2)
	for i := range pcm {
		pcm[i] = float64(int16(binary.LittleEndian.Uint16(out[2*i:])))
	}
	return pcm
}
