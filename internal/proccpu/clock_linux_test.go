package proccpu

import (
	"testing"

	"golang.org/x/sys/unix"
)

// threadSeconds is the calling thread's CPU time.
func threadSeconds(t *testing.T) float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Error(err)
	}
	return float64(ts.Nano()) / 1e9
}
