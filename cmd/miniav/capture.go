package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
)

// DefaultOutput is where a capture without -o goes.
const DefaultOutput = "miniav-capture.y4m"

type captureFlags struct {
	device, fmtStr, out, policy, metricsAddr, region string
	frames, queue                                    int
	duration                                         time.Duration
	cursor, unpaced, quiet, raw, decode              bool
}

func captureCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c captureFlags
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.device, "device", "", "device ID (default: the default camera, or testsrc:camera when there is none; see 'miniav devices')")
	fs.StringVar(&c.fmtStr, "format", "", `format: video "640x480@30 I420", audio "48000 2ch s16" (default: the device's)`)
	fs.StringVar(&c.out, "o", "", "output: .y4m video, .wav audio, .png snapshot (name-%04d.png for one file per frame), - for stdout (y4m or WAV, for pipes into ffmpeg), null for none (default "+DefaultOutput+" for video, miniav-capture.wav for audio)")
	fs.BoolVar(&c.decode, "decode", false, "decode MJPEG frames into planes (y4m and png outputs and stdout decode by themselves; .mjpeg and .avi keep them compressed)")
	fs.BoolVar(&c.raw, "raw", false, "write bare planes (video, tightly packed in the stream's pixel format, printed on stderr) or samples (audio) instead of y4m/WAV")
	fs.IntVar(&c.frames, "frames", 0, "stop after this many frames (audio: buffers)")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long (default 3s when -frames is not given)")
	fs.StringVar(&c.policy, "policy", "drop-oldest", "backpressure policy: drop-oldest, drop-newest or block")
	fs.IntVar(&c.queue, "queue", miniav.DefaultQueue, "frames the queue holds")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at this address (e.g. 127.0.0.1:9100) while capturing")
	fs.StringVar(&c.region, "region", "", "screen region x,y,w,h")
	fs.BoolVar(&c.cursor, "cursor", false, "draw the mouse pointer into screen capture")
	fs.BoolVar(&c.unpaced, "unpaced", false, "capture as fast as possible (synthetic and screen sources)")
	fs.BoolVar(&c.quiet, "q", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), errUsage)
	}
	if c.frames < 0 || c.duration < 0 {
		return fmt.Errorf("-frames and -duration must not be negative: %w", errUsage)
	}
	if c.frames == 0 && c.duration == 0 {
		c.duration = 3 * time.Second
	}
	return capture(ctx, c, stdout, stderr)
}

func capture(ctx context.Context, c captureFlags, stdout, stderr io.Writer) error {
	if c.device == "" {
		d, err := devices.Default(ctx, backend.KindCamera)
		if err != nil {
			return err
		}
		c.device = d.ID
	}
	pol, err := miniav.ParsePolicy(c.policy)
	if err != nil {
		return err
	}
	opts := []miniav.Option{miniav.WithPolicy(pol), miniav.WithQueue(c.queue), miniav.WithCursor(c.cursor)}
	if c.unpaced {
		opts = append(opts, miniav.WithUnpaced())
	}
	if c.region != "" {
		var x, y, w, h int
		if _, err := fmt.Sscanf(c.region, "%d,%d,%d,%d", &x, &y, &w, &h); err != nil || w <= 0 || h <= 0 {
			return fmt.Errorf("bad -region %q (want x,y,w,h): %w", c.region, errUsage)
		}
		opts = append(opts, miniav.WithRegion(image.Rect(x, y, x+w, y+h)))
	}
	audio := isAudio(ctx, c.device)
	if c.fmtStr != "" {
		if audio {
			a, err := format.ParseAudio(c.fmtStr)
			if err != nil {
				return fmt.Errorf("%v: %w", err, errUsage)
			}
			opts = append(opts, miniav.WithAudio(a))
		} else {
			v, err := format.ParseVideo(c.fmtStr)
			if err != nil {
				return fmt.Errorf("%v: %w", err, errUsage)
			}
			opts = append(opts, miniav.WithVideo(v))
		}
	}
	if c.out == "" {
		c.out = DefaultOutput
		if audio {
			c.out = "miniav-capture.wav"
		}
	}
	if !audio && (c.decode || wantsPictures(c.out, c.raw)) {
		// A device delivering MJPEG is decoded for outputs of pictures;
		// WithDecode leaves raw frames as they are.
		opts = append(opts, miniav.WithDecode())
	}
	var mc *metrics.Collector
	if c.metricsAddr != "" {
		mc = metrics.New()
		opts = append(opts, miniav.WithMetrics(mc), miniav.WithName("capture"))
		stopServe, addr, err := serveMetrics(c.metricsAddr, mc)
		if err != nil {
			return err
		}
		defer stopServe()
		fmt.Fprintf(stderr, "metrics at http://%s/metrics\n", addr)
	}

	if c.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}
	s, err := miniav.Open(ctx, c.device, opts...)
	if err != nil {
		return fmt.Errorf("open %s: %w", c.device, err)
	}
	defer s.Close()
	info := s.Info()
	w, err := newWriter(c.out, info, c.raw, stdout)
	if err != nil {
		return err
	}
	// With the stream on stdout, everything else goes to stderr.
	summary := stdout
	if c.out == outStdout {
		summary = stderr
	}
	desc := info.Video.String()
	if audio {
		desc = info.Audio.String()
	}
	fmt.Fprintf(stderr, "capturing %s (%s, %s) to %s%s\n", c.device, desc, info.Mode, outName(c.out), rawNote(c.raw))

	start := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	n := 0
	progress := func(final bool) {
		if c.quiet {
			return
		}
		st := s.Stats()
		el := time.Since(start).Seconds()
		end := "\r"
		if final {
			end = "\n"
		}
		fmt.Fprintf(stderr, "frames %d  fps %.1f  drops %d  outstanding %d%s", n, float64(n)/max(el, 1e-9), st.Dropped.Total(), st.Outstanding, end)
	}
	var werr error
loop:
	for {
		select {
		case f, ok := <-s.Frames():
			if !ok {
				break loop
			}
			werr = w.write(f)
			f.Release()
			n++
			if werr != nil || (c.frames > 0 && n >= c.frames) {
				break loop
			}
		case <-tick.C:
			progress(false)
		}
	}
	s.Close()
	progress(true)
	if err := w.close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	// The duration running out and an interrupt (the context cancelled:
	// Ctrl-C, SIGTERM) both end the capture as the user asked.
	if err := s.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("capture from %s: %w", c.device, err)
	}
	st := s.Stats()
	how := ""
	if errors.Is(ctx.Err(), context.Canceled) {
		how = ", interrupted"
	}
	fmt.Fprintf(summary, "captured %d frames from %s to %s (%d dropped: %s%s)\n", n, c.device, outName(c.out), st.Dropped.Total(), dropSummary(st.Dropped), how)
	return nil
}

func outName(out string) string {
	if out == outStdout {
		return "stdout"
	}
	return out
}

func rawNote(raw bool) string {
	if raw {
		return " as raw planes"
	}
	return ""
}

func dropSummary(d miniav.Drops) string {
	var parts []string
	for r, n := range d {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", backend.DropReason(r), n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

func isAudio(ctx context.Context, id string) bool {
	if d, err := devices.Lookup(ctx, id); err == nil {
		return d.Kind.Audio()
	}
	return false
}

func serveMetrics(addr string, c *metrics.Collector) (stop func(), bound string, err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	return func() { srv.Close(); <-done }, ln.Addr().String(), nil
}

func ext(path string) string { return strings.ToLower(filepath.Ext(path)) }

// wantsPictures reports whether output out takes decoded frames: y4m,
// png and the y4m stream on stdout do; .mjpeg, .avi, null and -raw take
// the frames as the device sends them.
func wantsPictures(out string, raw bool) bool {
	if raw {
		return false
	}
	switch e := ext(out); {
	case out == outStdout, e == ".y4m", e == ".png":
		return true
	}
	return false
}
