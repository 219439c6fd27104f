// Command miniav-publish publishes a miniav device into a LiveKit room as
// a VP8 (or, with -codec h264, H.264) video track:
//
//	miniav-publish -device testsrc:camera -url ws://127.0.0.1:7880 -room R
//
// The server's URL, API key and secret come from -url, -key and -secret,
// else from LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET. It sends
// until interrupted (SIGINT, SIGTERM) or for -duration, then leaves the
// room, prints what it sent on stderr and exits 0.
//
// The video's bitrate follows congestion control (GCC over the SFU's
// transport-wide feedback), from -bitrate down to what the link carries
// and back; -fixed-bitrate keeps it at -bitrate.
//
// It lives in the publish module (cd publish && go install ./cmd/miniav-publish),
// not as a "publish" subcommand of cmd/miniav, so that the main module
// needs neither pion/webrtc, LiveKit's SDK nor libvpx.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	_ "github.com/miniav-go/miniav/backend/all"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "miniav-publish:", err)
		os.Exit(1)
	}
}

// errUsage is returned for missing or bad flags.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("miniav-publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "device ID (default: the default camera)")
	fmtStr := fs.String("format", "1280x720@30 i420", "video format")
	audioDev := fs.String("audio", "", "also publish this audio device (microphone or loopback) in the same participant, as an Opus track; \"default\": the default microphone")
	audioFmt := fs.String("audio-format", "48k mono s16", "the audio device's format (8, 12, 16, 24 or 48 kHz, s16 or f32)")
	audioRate := fs.Int("audio-bitrate", 32_000, "Opus bitrate, bit/s")
	url := fs.String("url", getenv("LIVEKIT_URL"), "LiveKit server, ws:// or wss:// (default $LIVEKIT_URL)")
	room := fs.String("room", "", "room name")
	key := fs.String("key", getenv("LIVEKIT_API_KEY"), "API key (default $LIVEKIT_API_KEY)")
	secret := fs.String("secret", getenv("LIVEKIT_API_SECRET"), "API secret (default $LIVEKIT_API_SECRET)")
	identity := fs.String("identity", "", "participant identity (default miniav-DEVICE)")
	bitrate := fs.Int("bitrate", 2_000_000, "video bitrate, bit/s: where congestion control starts, and its ceiling")
	fixed := fs.Bool("fixed-bitrate", false, "keep the video at -bitrate whatever the link does (no congestion control)")
	vcodec := fs.String("codec", "vp8", "video codec: vp8 or h264")
	duration := fs.Duration("duration", 0, "stop after this long (default: until interrupted)")
	unpaced := fs.Bool("unpaced", false, "read the device as fast as the encoder takes its frames, dropping none, stamped by the device's own clock (testsrc, a file: for benchmarks, not for a live camera)")
	memEvery := fs.Duration("memstats", 0, "print heap, RSS and outstanding frames on stderr this often (0: never)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	for name, v := range map[string]string{"-url": *url, "-room": *room, "-key": *key, "-secret": *secret} {
		if v == "" {
			return fmt.Errorf("%w: %s is required (or its LIVEKIT_* variable)", errUsage, name)
		}
	}
	if c := publish.Codec(*vcodec); c != publish.VP8 && c != publish.H264 {
		return fmt.Errorf("%w: -codec %q: vp8 or h264", errUsage, *vcodec)
	}
	v, err := format.ParseVideo(*fmtStr)
	if err != nil {
		return fmt.Errorf("%w: -format: %w", errUsage, err)
	}
	af, err := format.ParseAudio(*audioFmt)
	if err != nil {
		return fmt.Errorf("%w: -audio-format: %w", errUsage, err)
	}
	if *device == "" {
		d, err := devices.Default(ctx, backend.KindCamera)
		if err != nil {
			return err
		}
		*device = d.ID
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	vopts := []miniav.Option{miniav.WithPull(), miniav.WithVideo(v)}
	if *unpaced {
		vopts = append(vopts, miniav.WithUnpaced(), miniav.WithPolicy(miniav.Block))
	}
	s, err := miniav.Open(ctx, *device, vopts...)
	if err != nil {
		return fmt.Errorf("open %s: %w", *device, err)
	}
	defer s.Close()
	streams := []*miniav.Stream{s}
	if *audioDev == "default" {
		d, err := devices.Default(ctx, backend.KindMicrophone)
		if err != nil {
			return err
		}
		*audioDev = d.ID
	}
	if *audioDev != "" {
		a, err := miniav.Open(ctx, *audioDev, miniav.WithPull(), miniav.WithAudio(af))
		if err != nil {
			return fmt.Errorf("open %s: %w", *audioDev, err)
		}
		defer a.Close()
		streams = append(streams, a)
	}
	opts := []publish.LiveKitOption{
		publish.WithEncoder(publish.WithBitrate(*bitrate), publish.WithCodec(publish.Codec(*vcodec))),
		publish.WithAudioEncoder(publish.WithBitrate(*audioRate)),
	}
	if *identity != "" {
		opts = append(opts, publish.WithIdentity(*identity))
	}
	if *fixed {
		opts = append(opts, publish.WithFixedBitrate())
	}
	if *unpaced {
		opts = append(opts, publish.WithEncoder(publish.WithDeviceClock()))
	}
	start := time.Now()
	opts = append(opts, publish.WithPublished(func() {
		fmt.Fprintf(stderr, "publishing %s (%s) into room %q at %s\n", *device, s.Info().Video, *room, *url)
		if len(streams) > 1 {
			fmt.Fprintf(stderr, "publishing %s (%s) with it\n", *audioDev, streams[1].Info().Audio)
		}
	}))
	stopMem := func() {}
	if *memEvery > 0 {
		stopMem = memStats(stderr, *memEvery, start, s)
	}
	sts, err := publish.PublishLiveKitStreams(ctx, streams, *url, *room, *key, *secret, opts...)
	stopMem()
	el := time.Since(start)
	if len(sts) > 0 {
		st := sts[0]
		fmt.Fprintf(stderr, "sent %d frames, %d bytes, %d keyframes asked for, in %v (%.1f fps); source dropped %d; bitrate at the end %d bit/s\n",
			st.Frames, st.Bytes, st.KeyFrames, el.Round(time.Millisecond), float64(st.Frames)/el.Seconds(), s.Stats().Dropped.Total(), st.Bitrate)
	}
	if len(sts) > 1 {
		st := sts[1]
		fmt.Fprintf(stderr, "sent %d audio packets, %d bytes; source dropped %d\n", st.Frames, st.Bytes, streams[1].Stats().Dropped.Total())
	}
	return err
}

// memStats prints a memory line at once, then every d until the returned
// function is called, which prints a last one.
func memStats(w io.Writer, d time.Duration, start time.Time, s *miniav.Stream) (stop func()) {
	line := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		st := s.Stats()
		fmt.Fprintf(w, "mem t=%.0fs heap_inuse=%dKiB heap_objects=%d rss=%s outstanding=%d delivered=%d dropped=%d gc=%d mallocs=%d\n",
			time.Since(start).Seconds(), m.HeapInuse>>10, m.HeapObjects, rss(), st.Outstanding, st.Delivered, st.Dropped.Total(), m.NumGC, m.Mallocs)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		line()
		for {
			select {
			case <-t.C:
				line()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait(); line() }
}

// rss is the process's resident set from /proc/self/status ("n/a" where
// there is none).
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.ReplaceAll(strings.TrimSpace(v), " ", "")
		}
	}
	return "n/a"
}
