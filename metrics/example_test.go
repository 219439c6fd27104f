package metrics_test

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/metrics"
)

// One collector, registered on the program's own registry, serves every
// stream attached to it; series are keyed by the stream's name.
func Example() {
	c := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)

	// The synthetic camera, lost after 5 frames (so the example is exact).
	s, err := miniav.Open(context.Background(), "testsrc:camera?lose=5",
		miniav.WithMetrics(c), miniav.WithName("front"), miniav.WithPolicy(miniav.Block))
	if err != nil {
		panic(err)
	}
	for f := range s.Frames() {
		f.Release()
	}
	s.Close()

	n, err := testutil.GatherAndCount(reg, "miniav_frames_delivered_total")
	fmt.Println(n, err)
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		switch mf.GetName() {
		case "miniav_frames_delivered_total", "miniav_buffers_outstanding", "miniav_streams_open":
			m := mf.GetMetric()[0]
			fmt.Println(mf.GetName(), m.GetLabel()[0].GetValue(), m.GetCounter().GetValue()+m.GetGauge().GetValue())
		}
	}
	// Output:
	// 1 <nil>
	// miniav_buffers_outstanding front 0
	// miniav_frames_delivered_total front 5
	// miniav_streams_open front 0
}
