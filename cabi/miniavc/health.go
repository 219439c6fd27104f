//go:build cgo

package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/metrics"
)

// What the original lacks, read from the environment when a program first
// opens a device (0.7 has no function to configure them):
//
//	MINIAV_METRICS_ADDR  host:port: serve the Prometheus metrics of every
//	                     stream the library opens at http://host:port/metrics
//	                     (package metrics; series named by device ID).
//	MINIAV_LEAK_AFTER    a Go duration, default 30s, 0 to turn it off: a
//	                     buffer the application has held longer, without
//	                     MiniAV_ReleaseBuffer, counts as leaked (Stats.Leaked,
//	                     miniav_frames_leaked_total) once, and a warning goes to
//	                     the log callback. It stays valid until released: in
//	                     C nothing can tell a leak from a long read, so the
//	                     library counts, it never reclaims.
const (
	envMetricsAddr = "MINIAV_METRICS_ADDR"
	envLeakAfter   = "MINIAV_LEAK_AFTER"
)

const defaultLeakAfter = 30 * time.Second

var health struct {
	once      sync.Once
	collector *metrics.Collector // nil without MINIAV_METRICS_ADDR
	leakAfter time.Duration
}

// healthOptions starts the metrics server and the leak sweeper on first use
// and returns the stream options that attach streams to them.
func healthOptions() []miniav.Option {
	health.once.Do(startHealth)
	if health.collector == nil {
		return nil
	}
	return []miniav.Option{miniav.WithMetrics(health.collector)}
}

func startHealth() {
	health.leakAfter = defaultLeakAfter
	if s := os.Getenv(envLeakAfter); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			logger.Warn(fmt.Sprintf("MiniAV: %s=%q is no duration; using %s", envLeakAfter, s, defaultLeakAfter))
		} else {
			health.leakAfter = d
		}
	}
	if health.leakAfter > 0 {
		go sweepLeaks(health.leakAfter)
	}
	if addr := os.Getenv(envMetricsAddr); addr != "" {
		if err := serveMetrics(addr); err != nil {
			logger.Warn(fmt.Sprintf("MiniAV: %s: %v", envMetricsAddr, err))
		}
	}
}

// serveMetrics serves the library's collector at http://addr/metrics for
// the life of the process.
func serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	c := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	health.collector = c
	logger.Info(fmt.Sprintf("MiniAV: metrics at http://%s/metrics", ln.Addr()))
	go func() {
		err := (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn(fmt.Sprintf("MiniAV: metrics server: %v", err))
		}
	}()
	return nil
}

// sweepLeaks counts, every quarter of after (at most every second), the
// buffers lent for longer than after as leaked. A buffer's age is that of
// its frame: the time since capture.
func sweepLeaks(after time.Duration) {
	tick := min(after/4, time.Second)
	var fs []miniav.Frame
	for range time.Tick(tick) {
		fs = loans.Frames(fs[:0])
		n, now := 0, backend.Now()
		for _, f := range fs {
			if ts := f.Timestamp(); ts != 0 && now-ts > after && f.ReportLeak() {
				n++
			}
		}
		clear(fs)
		if n > 0 {
			logger.Warn(fmt.Sprintf("MiniAV: %d buffers held longer than %s without MiniAV_ReleaseBuffer: counted as leaked (they stay valid until released)",
				n, after))
		}
	}
}
