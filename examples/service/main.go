// Command service is a long-running capture service: it ranges over a
// camera stream, measures each frame on its raw planes (mean luminance and
// motion against the previous frame), releases every frame, exposes
// Prometheus metrics, and stops cleanly on SIGINT or SIGTERM.
//
//	go run ./examples/service -device testsrc:camera -metrics-addr 127.0.0.1:9101
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/all"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
)

// Config is what the service runs with.
type Config struct {
	Device  string
	Format  format.Video
	Frames  int           // stop after this many frames (0: run until cancelled)
	Report  time.Duration // how often to log a summary
	Metrics *metrics.Collector
	Logger  *slog.Logger
}

// Summary is what the service measured.
type Summary struct {
	Frames   int
	Luma     float64 // mean luminance of the last frame, 0..255
	Motion   float64 // mean absolute luma difference to the frame before it
	MaxMove  float64 // largest Motion seen
	Sequence uint64  // sequence number of the last frame
}

// Run captures until ctx is done or cfg.Frames frames were processed. A
// cancelled context is a clean stop: Run then returns nil.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	var sum Summary
	opts := []miniav.Option{miniav.WithVideo(cfg.Format), miniav.WithName("service")}
	if cfg.Metrics != nil {
		opts = append(opts, miniav.WithMetrics(cfg.Metrics))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s, err := miniav.Open(ctx, cfg.Device, opts...)
	if err != nil {
		return sum, err
	}
	defer s.Close()
	info := s.Info()
	cfg.Logger.Info("capturing", "device", cfg.Device, "format", info.Video.String(), "mode", info.Mode)

	var prev []byte // luma of the previous frame, reused
	report := time.NewTicker(max(cfg.Report, time.Millisecond))
	defer report.Stop()
	for {
		select {
		case f, ok := <-s.Frames():
			if !ok {
				if err := s.Err(); err != nil && !errors.Is(err, context.Canceled) {
					return sum, err
				}
				return sum, nil
			}
			luma, motion, err := measure(f.Video(), &prev)
			sum.Sequence = f.Sequence()
			f.Release()
			if err != nil {
				return sum, err
			}
			sum.Frames++
			sum.Luma, sum.Motion = luma, motion
			sum.MaxMove = max(sum.MaxMove, motion)
			if cfg.Frames > 0 && sum.Frames >= cfg.Frames {
				return sum, nil
			}
		case <-report.C:
			st := s.Stats()
			cfg.Logger.Info("summary", "frames", sum.Frames, "luma", fmt.Sprintf("%.1f", sum.Luma),
				"motion", fmt.Sprintf("%.2f", sum.Motion), "dropped", st.Dropped.Total(), "outstanding", st.Outstanding)
		}
	}
}

// measure returns the mean luma of v and the mean absolute difference to
// the luma in *prev, which it then replaces (reusing its memory).
func measure(v miniav.VideoView, prev *[]byte) (luma, motion float64, err error) {
	w, h := v.Width, v.Height
	step, off := 1, 0
	switch v.PixelFormat {
	case format.I420, format.YV12, format.I422, format.NV12, format.NV21, format.GRAY8:
	case format.YUYV:
		step = 2
	case format.UYVY:
		step, off = 2, 1
	default:
		return 0, 0, fmt.Errorf("service measures luma planes; %v has none (ask for I420, I422, NV12, YUYV or GRAY8)", v.PixelFormat)
	}
	p, stride := v.Plane(0), v.Stride(0)
	first := len(*prev) != w*h
	if first {
		*prev = make([]byte, w*h)
	}
	var total, diff uint64
	for y := range h {
		row := p[y*stride:]
		old := (*prev)[y*w : (y+1)*w]
		for x := range w {
			l := row[x*step+off]
			total += uint64(l)
			d := int(l) - int(old[x])
			if d < 0 {
				d = -d
			}
			diff += uint64(d)
			old[x] = l
		}
	}
	n := float64(w * h)
	if first {
		return float64(total) / n, 0, nil
	}
	return float64(total) / n, float64(diff) / n, nil
}

func main() {
	device := flag.String("device", "testsrc:camera", "device ID (see: go run ./cmd/miniav devices)")
	fmtStr := flag.String("format", "640x480@30 i420", "video format")
	addr := flag.String("metrics-addr", "127.0.0.1:9101", "serve /metrics here (empty: off)")
	frames := flag.Int("frames", 0, "stop after this many frames (0: until SIGINT/SIGTERM)")
	every := flag.Duration("report", 5*time.Second, "summary log interval")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	v, err := format.ParseVideo(*fmtStr)
	if err != nil {
		logger.Error("bad -format", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := metrics.New()
	if *addr != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			logger.Error("metrics listener", "err", err)
			os.Exit(1)
		}
		srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		logger.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	}
	sum, err := Run(ctx, Config{Device: *device, Format: v, Frames: *frames, Report: *every, Metrics: c, Logger: logger})
	if err != nil {
		logger.Error("capture failed", "err", err)
		os.Exit(1)
	}
	logger.Info("stopped", "frames", sum.Frames, "last_sequence", sum.Sequence)
}
