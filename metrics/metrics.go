// Package metrics exports miniav stream statistics to Prometheus.
//
// A Collector is a prometheus.Collector: nothing is registered globally.
// Create one, register it with the registry of your choice, and attach it
// to streams with miniav.WithMetrics:
//
//	c := metrics.New()
//	reg.MustRegister(c)
//	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithMetrics(c), miniav.WithName("front"))
//
// Series are keyed by the stream's name (miniav.WithName, by default the
// device ID), so label cardinality is bounded by the names you choose, not
// by how many streams you open: streams opened one after another under one
// name add to the same counters.
//
// Metrics (all with the label stream):
//
//	miniav_frames_captured_total        frames read from the device
//	miniav_frames_delivered_total       frames handed to the consumer's queue
//	miniav_frames_dropped_total{reason} frames lost, by reason (see backend.DropReason)
//	miniav_frames_leaked_total          frames garbage-collected without Release
//	miniav_frames_copied_total          frames copied out of device memory under pressure
//	miniav_release_errors_total         Release calls on frames already released
//	miniav_bytes_delivered_total        bytes of frame data handed to the queue
//	miniav_buffers_outstanding          frames with live references (queued or held)
//	miniav_queue_length                 frames waiting in the streams' queues
//	miniav_streams_open                 streams currently open
//	miniav_delivery_latency_seconds     capture timestamp to hand-off, histogram
//
// Frames dropped for queue_oldest and stopped were delivered to the queue
// first, so frames the consumer received = delivered − those two.
package metrics

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniav-go/miniav/backend"
)

// DefaultBuckets are the latency histogram's upper bounds in seconds.
var DefaultBuckets = []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1}

// Collector gathers the series of every stream attached to it.
type Collector struct {
	buckets []float64
	bounds  []time.Duration

	mu     sync.Mutex
	series map[string]*Series

	captured, delivered, dropped, leaked, copied, releaseErrs, bytes,
	outstanding, queue, open, latency *prometheus.Desc
}

// Option configures a Collector.
type Option func(*Collector)

// WithBuckets sets the latency histogram's bucket upper bounds, in seconds.
func WithBuckets(b []float64) Option {
	return func(c *Collector) { c.buckets = slices.Clone(b); slices.Sort(c.buckets) }
}

// New returns a Collector with no series.
func New(opts ...Option) *Collector {
	c := &Collector{buckets: DefaultBuckets, series: make(map[string]*Series)}
	for _, o := range opts {
		o(c)
	}
	for _, b := range c.buckets {
		c.bounds = append(c.bounds, time.Duration(b*float64(time.Second)))
	}
	l := []string{"stream"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("miniav_"+name, help, labels, nil)
	}
	c.captured = d("frames_captured_total", "Frames read from the device.", l...)
	c.delivered = d("frames_delivered_total", "Frames handed to the consumer's queue.", l...)
	c.dropped = d("frames_dropped_total", "Frames lost before the consumer took them, by reason.", "stream", "reason")
	c.leaked = d("frames_leaked_total", "Frames garbage-collected while still referenced (Release never called).", l...)
	c.copied = d("frames_copied_total", "Frames copied out of device memory because too few device buffers were left.", l...)
	c.releaseErrs = d("release_errors_total", "Release or Retain calls on frames that were already released.", l...)
	c.bytes = d("bytes_delivered_total", "Bytes of frame data handed to the consumer's queue.", l...)
	c.outstanding = d("buffers_outstanding", "Frames with live references: queued or held by the consumer.", l...)
	c.queue = d("queue_length", "Frames waiting in the streams' queues.", l...)
	c.open = d("streams_open", "Streams currently open.", l...)
	c.latency = d("delivery_latency_seconds", "Time from a frame's capture timestamp to its hand-off to the queue.", l...)
	return c
}

// Series returns the series for a stream name, creating it on first use.
func (c *Collector) Series(stream string) *Series {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.series[stream]
	if s == nil {
		s = &Series{name: stream, bounds: c.bounds, counts: make([]atomic.Uint64, len(c.bounds)+1), live: make(map[Queue]struct{})}
		c.series[stream] = s
	}
	return s
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.captured, c.delivered, c.dropped, c.leaked, c.copied, c.releaseErrs, c.bytes, c.outstanding, c.queue, c.open, c.latency} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	all := make([]*Series, 0, len(c.series))
	for _, s := range c.series {
		all = append(all, s)
	}
	c.mu.Unlock()
	for _, s := range all {
		n := s.name
		counter := func(d *prometheus.Desc, v uint64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{n}, labels...)...)
		}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, n)
		}
		counter(c.captured, s.captured.Load())
		counter(c.delivered, s.delivered.Load())
		for r := range backend.NumDropReasons {
			counter(c.dropped, s.dropped[r].Load(), r.String())
		}
		counter(c.leaked, s.leaked.Load())
		counter(c.copied, s.copied.Load())
		counter(c.releaseErrs, s.releaseErrs.Load())
		counter(c.bytes, s.bytes.Load())
		gauge(c.outstanding, float64(s.outstanding.Load()))
		q, open := s.queues()
		gauge(c.queue, float64(q))
		gauge(c.open, float64(open))

		buckets := make(map[float64]uint64, len(c.buckets))
		cum := uint64(0)
		for i, b := range c.buckets {
			cum += s.counts[i].Load()
			buckets[b] = cum
		}
		total := cum + s.counts[len(c.buckets)].Load()
		sum := float64(s.sumNanos.Load()) / 1e9
		ch <- prometheus.MustNewConstHistogram(c.latency, total, sum, buckets, n)
	}
}

// Queue is what a Series asks of a live stream: how many frames wait in
// its queue.
type Queue interface{ QueueLen() int }

// Series holds one stream name's counters. Its methods are safe for
// concurrent use, allocate nothing, and do nothing on a nil *Series.
type Series struct {
	name   string
	bounds []time.Duration

	captured, delivered, leaked, copied, releaseErrs, bytes atomic.Uint64
	dropped                                                 [backend.NumDropReasons]atomic.Uint64
	outstanding                                             atomic.Int64
	counts                                                  []atomic.Uint64
	sumNanos                                                atomic.Uint64

	mu   sync.Mutex
	live map[Queue]struct{}
}

// Attach counts q as an open stream until the returned function is called.
func (s *Series) Attach(q Queue) (detach func()) {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	s.live[q] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.live, q)
		s.mu.Unlock()
	}
}

func (s *Series) queues() (queued, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q := range s.live {
		queued += q.QueueLen()
	}
	return queued, len(s.live)
}

// Captured counts a frame read from the device.
func (s *Series) Captured() {
	if s != nil {
		s.captured.Add(1)
	}
}

// Delivered counts a frame of n bytes handed to the queue latency after
// its capture.
func (s *Series) Delivered(n int, latency time.Duration) {
	if s == nil {
		return
	}
	s.delivered.Add(1)
	s.bytes.Add(uint64(n))
	latency = max(latency, 0)
	i, _ := slices.BinarySearch(s.bounds, latency)
	s.counts[i].Add(1)
	s.sumNanos.Add(uint64(min(latency, math.MaxInt64)))
}

// Dropped counts n frames lost for reason r.
func (s *Series) Dropped(r backend.DropReason, n uint64) {
	if s != nil && r < backend.NumDropReasons {
		s.dropped[r].Add(n)
	}
}

// Leaked counts a frame reclaimed by the garbage collector.
func (s *Series) Leaked() {
	if s != nil {
		s.leaked.Add(1)
	}
}

// Copied counts a frame copied out of device memory.
func (s *Series) Copied() {
	if s != nil {
		s.copied.Add(1)
	}
}

// ReleaseError counts a Release or Retain on a released frame.
func (s *Series) ReleaseError() {
	if s != nil {
		s.releaseErrs.Add(1)
	}
}

// Outstanding adds d to the outstanding-buffers gauge.
func (s *Series) Outstanding(d int64) {
	if s != nil {
		s.outstanding.Add(d)
	}
}
