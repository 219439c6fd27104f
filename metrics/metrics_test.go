package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSeriesCounts(t *testing.T) {
	c := metrics.New(metrics.WithBuckets([]float64{0.001, 0.01}))
	s := c.Series("cam")
	if c.Series("cam") != s {
		t.Fatal("one name must give one series")
	}
	s.Captured()
	s.Captured()
	s.Delivered(100, 500*time.Microsecond)
	s.Delivered(50, 5*time.Millisecond)
	s.Dropped(backend.DropQueueOldest, 3)
	s.Dropped(backend.DropDevice, 2)
	s.Leaked()
	s.Copied()
	s.ReleaseError()
	s.Outstanding(2)
	s.Outstanding(-1)
	var nilSeries *metrics.Series // every method is a no-op on nil
	nilSeries.Captured()
	nilSeries.Delivered(1, time.Second)
	nilSeries.Attach(nil)()

	want := `
# HELP miniav_frames_captured_total Frames read from the device.
# TYPE miniav_frames_captured_total counter
miniav_frames_captured_total{stream="cam"} 2
# HELP miniav_frames_delivered_total Frames handed to the consumer's queue.
# TYPE miniav_frames_delivered_total counter
miniav_frames_delivered_total{stream="cam"} 2
# HELP miniav_bytes_delivered_total Bytes of frame data handed to the consumer's queue.
# TYPE miniav_bytes_delivered_total counter
miniav_bytes_delivered_total{stream="cam"} 150
# HELP miniav_frames_leaked_total Frames garbage-collected while still referenced (Release never called).
# TYPE miniav_frames_leaked_total counter
miniav_frames_leaked_total{stream="cam"} 1
# HELP miniav_buffers_outstanding Frames with live references: queued or held by the consumer.
# TYPE miniav_buffers_outstanding gauge
miniav_buffers_outstanding{stream="cam"} 1
# HELP miniav_delivery_latency_seconds Time from a frame's capture timestamp to its hand-off to the queue.
# TYPE miniav_delivery_latency_seconds histogram
miniav_delivery_latency_seconds_bucket{stream="cam",le="0.001"} 1
miniav_delivery_latency_seconds_bucket{stream="cam",le="0.01"} 2
miniav_delivery_latency_seconds_bucket{stream="cam",le="+Inf"} 2
miniav_delivery_latency_seconds_sum{stream="cam"} 0.0055
miniav_delivery_latency_seconds_count{stream="cam"} 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"miniav_frames_captured_total", "miniav_frames_delivered_total", "miniav_bytes_delivered_total",
		"miniav_frames_leaked_total", "miniav_buffers_outstanding", "miniav_delivery_latency_seconds"); err != nil {
		t.Fatal(err)
	}
	drops := map[string]float64{}
	mfs, err := gather(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "miniav_frames_dropped_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					drops[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	if len(drops) != int(backend.NumDropReasons) || drops["queue_oldest"] != 3 || drops["device"] != 2 || drops["stopped"] != 0 {
		t.Fatalf("drops by reason = %v", drops)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

func gather(c prometheus.Collector) ([]*dtoMetricFamily, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return reg.Gather()
}

// A stream attached to a collector moves its counters; streams opened one
// after another under one name share a series, and streams_open and
// buffers_outstanding return to 0 when they are closed and released.
func TestStreamsFeedCollector(t *testing.T) {
	c := metrics.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	opts := []miniav.Option{
		miniav.WithMetrics(c), miniav.WithName("front"), miniav.WithQueue(2),
		miniav.WithVideo(format.Video{Width: 64, Height: 32, PixelFormat: format.GRAY8, FrameRate: format.FPS(500)}),
	}
	for round := 1; round <= 2; round++ {
		s, err := miniav.Open(context.Background(), "testsrc:camera", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got := value(t, reg, "miniav_streams_open"); got != 1 {
			t.Fatalf("streams_open = %v", got)
		}
		for range 10 {
			f := <-s.Frames()
			f.Release()
		}
		time.Sleep(30 * time.Millisecond) // let frames pile up and drop
		held := <-s.Frames()
		s.Close()
		if got := value(t, reg, "miniav_buffers_outstanding"); got != 1 {
			t.Fatalf("outstanding while holding one frame = %v", got)
		}
		held.Release()
		st := s.Stats()
		if got := value(t, reg, "miniav_streams_open"); got != 0 {
			t.Fatalf("streams_open after Close = %v", got)
		}
		if got := value(t, reg, "miniav_buffers_outstanding"); got != 0 {
			t.Fatalf("outstanding after release = %v", got)
		}
		if round == 1 {
			if got := value(t, reg, "miniav_frames_captured_total"); got != float64(st.Captured) {
				t.Fatalf("captured_total %v, stream says %d", got, st.Captured)
			}
			if got := value(t, reg, "miniav_frames_delivered_total"); got != float64(st.Delivered) || got < 11 {
				t.Fatalf("delivered_total %v, stream says %d", got, st.Delivered)
			}
			if got := valueLabel(t, reg, "miniav_frames_dropped_total", "reason", "queue_oldest"); got != float64(st.Dropped[backend.DropQueueOldest]) || got == 0 {
				t.Fatalf("queue_oldest drops %v, stream says %d", got, st.Dropped[backend.DropQueueOldest])
			}
			if got := value(t, reg, "miniav_delivery_latency_seconds"); got != float64(st.Delivered) {
				t.Fatalf("latency observations %v, want one per delivered frame (%d)", got, st.Delivered)
			}
		}
	}
	if got := value(t, reg, "miniav_frames_delivered_total"); got < 22 {
		t.Fatalf("two streams under one name: delivered_total %v", got)
	}
}
