// Command server is an HTTP server where every request opens its own
// capture bound to the request's context:
//
//	/               a page with the live stream and the drop/outstanding counters
//	/snapshot.jpg   open, take one frame, encode it as JPEG, close
//	/stream.mjpeg   multipart MJPEG; capture stops the moment the client leaves
//	/stats          the counters as JSON (the page polls it)
//	/metrics        Prometheus
//
//	go run ./examples/server            # http://127.0.0.1:8080/
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
)

//go:embed index.html
var indexHTML []byte

// Server serves captures of one device.
type Server struct {
	Device  string
	Format  format.Video
	Queue   int // frames each stream's queue holds
	Quality int // JPEG quality
	Logger  *slog.Logger

	collector *metrics.Collector
	registry  *prometheus.Registry
}

// New returns a Server with its own metrics registry.
func New(device string, v format.Video) *Server {
	c := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return &Server{Device: device, Format: v, Queue: 2, Quality: 80, Logger: slog.Default(), collector: c, registry: reg}
}

// Handler routes the server's endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(indexHTML)
	})
	mux.HandleFunc("GET /snapshot.jpg", s.snapshot)
	mux.HandleFunc("GET /stream.mjpeg", s.mjpeg)
	mux.HandleFunc("GET /stats", s.stats)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) open(ctx context.Context, name string) (*miniav.Stream, error) {
	return miniav.Open(ctx, s.Device, miniav.WithVideo(s.Format), miniav.WithQueue(s.Queue),
		miniav.WithMetrics(s.collector), miniav.WithName(name), miniav.WithLogger(s.Logger))
}

// encoder turns frames into JPEG, reusing its buffers across frames.
type encoder struct {
	rgba *image.RGBA
	buf  bytes.Buffer
	q    int
}

func (e *encoder) encode(f miniav.Frame) ([]byte, error) {
	v := f.Video()
	img, err := v.Image() // zero copy for I420, GRAY8, RGBA
	if err != nil {
		if e.rgba == nil || e.rgba.Rect.Dx() != v.Width || e.rgba.Rect.Dy() != v.Height {
			e.rgba = image.NewRGBA(image.Rect(0, 0, v.Width, v.Height))
		}
		if err := v.ToRGBA(e.rgba); err != nil {
			return nil, err
		}
		img = e.rgba
	}
	e.buf.Reset()
	if err := jpeg.Encode(&e.buf, img, &jpeg.Options{Quality: e.q}); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	st, err := s.open(r.Context(), "snapshot")
	if err != nil {
		http.Error(w, err.Error(), httpStatus(err))
		return
	}
	defer st.Close()
	f, ok := <-st.Frames()
	if !ok {
		http.Error(w, fmt.Sprint("capture ended: ", st.Err()), http.StatusServiceUnavailable)
		return
	}
	e := encoder{q: s.Quality}
	b, err := e.encode(f)
	f.Release()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (s *Server) mjpeg(w http.ResponseWriter, r *http.Request) {
	st, err := s.open(r.Context(), "mjpeg")
	if err != nil {
		http.Error(w, err.Error(), httpStatus(err))
		return
	}
	defer st.Close() // the request's context also stops it when the client leaves
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+mw.Boundary())
	w.Header().Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	e := encoder{q: s.Quality}
	hdr := textproto.MIMEHeader{"Content-Type": {"image/jpeg"}}
	for f := range st.Frames() {
		b, err := e.encode(f)
		seq := f.Sequence()
		f.Release()
		if err != nil {
			s.Logger.Error("encode", "err", err)
			return
		}
		hdr.Set("Content-Length", strconv.Itoa(len(b)))
		hdr.Set("X-Sequence", strconv.FormatUint(seq, 10))
		part, err := mw.CreatePart(hdr)
		if err != nil {
			return // client gone
		}
		if _, err := part.Write(b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// Stats is what /stats reports, summed over the server's streams.
type Stats struct {
	StreamsOpen int                `json:"streams_open"`
	Delivered   float64            `json:"delivered"`
	Dropped     map[string]float64 `json:"dropped"`
	Outstanding float64            `json:"outstanding"`
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	st, err := s.Stats()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// Stats reads the server's counters from its metrics registry.
func (s *Server) Stats() (Stats, error) {
	mfs, err := s.registry.Gather()
	st := Stats{Dropped: map[string]float64{}}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "miniav_streams_open":
				st.StreamsOpen += int(m.GetGauge().GetValue())
			case "miniav_buffers_outstanding":
				st.Outstanding += m.GetGauge().GetValue()
			case "miniav_frames_delivered_total":
				st.Delivered += m.GetCounter().GetValue()
			case "miniav_frames_dropped_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "reason" {
						st.Dropped[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	return st, err
}

func httpStatus(err error) int {
	switch {
	case errors.Is(err, miniav.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, miniav.ErrNotSupported), errors.Is(err, miniav.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, miniav.ErrBusy):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
