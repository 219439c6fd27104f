//go:build unix

package proccpu

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Meter measures a benchmark's own process over b.N frames: CPU time (from
// getrusage, so every thread of the process counts) and heap allocations.
// Frame rates are set by devices, so wall time per frame says nothing;
// CPU time per frame is the figure that differs between readers.
type Meter struct {
	ru unix.Rusage
	ms runtime.MemStats
}

func cpuTime(ru *unix.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Start records the counters and resets b's timer.
func (m *Meter) Start(b *testing.B) {
	runtime.GC()
	runtime.ReadMemStats(&m.ms)
	if err := unix.Getrusage(unix.RUSAGE_SELF, &m.ru); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
}

// Stop stops b's timer and reports, per frame, cpu-ns, user-ns, allocs, B
// and copies (the copies of each frame's pixels the reader made in all,
// given by the caller).
func (m *Meter) Stop(b *testing.B, copies int) {
	b.StopTimer()
	var ru unix.Rusage
	var ms runtime.MemStats
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&ms)
	n := float64(b.N)
	b.ReportMetric(float64(cpuTime(&ru)-cpuTime(&m.ru))/n, "cpu-ns/frame")
	b.ReportMetric(float64(ru.Utime.Nano()-m.ru.Utime.Nano())/n, "user-ns/frame")
	b.ReportMetric(float64(ms.Mallocs-m.ms.Mallocs)/n, "allocs/frame")
	b.ReportMetric(float64(ms.TotalAlloc-m.ms.TotalAlloc)/n, "B/frame")
	b.ReportMetric(float64(copies)/n, "copies/frame")
}
