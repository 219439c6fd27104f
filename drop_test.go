package miniav_test

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/metrics"
)

// A consumer's Drop releases the frame and counts it under its reason, in
// Stats and in miniav_frames_dropped_total; a second Drop of the same
// frame, or a reason out of range, is an error and counts nothing.
func TestFrameDrop(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := metrics.New()
	reg.MustRegister(c)
	s, err := miniav.Open(context.Background(), "testsrc:camera", miniav.WithPull(), miniav.WithMetrics(c), miniav.WithName("cam"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Drop(backend.NumDropReasons); !errors.Is(err, miniav.ErrInvalid) {
			t.Fatalf("Drop(out of range): %v, want ErrInvalid", err)
		}
		if err := f.Drop(backend.DropNetwork); err != nil {
			t.Fatal(err)
		}
		if err := f.Drop(backend.DropNetwork); !errors.Is(err, miniav.ErrReleased) {
			t.Fatalf("second Drop: %v, want ErrReleased", err)
		}
	}
	st := s.Stats()
	if st.Dropped[backend.DropNetwork] != 3 || st.Dropped.Total() != 3 || st.Outstanding != 0 {
		t.Fatalf("stats %+v, want 3 network drops and nothing outstanding", st)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got float64 = -1
	for _, mf := range mfs {
		if mf.GetName() != "miniav_frames_dropped_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == "network" {
					got = m.GetCounter().GetValue()
				}
			}
		}
	}
	if got != 3 {
		t.Fatalf(`miniav_frames_dropped_total{reason="network"} = %v, want 3`, got)
	}
}
