package backend

import (
	"time"

	"golang.org/x/sys/unix"
)

// monoAtEpoch is CLOCK_MONOTONIC at the epoch, read around time.Now so the
// error is a fraction of a microsecond.
var monoAtEpoch = func() time.Duration {
	var a, b unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &a)
	d := time.Since(epoch)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &b)
	return time.Duration((a.Nano()+b.Nano())/2) - d
}()

// FromMonotonic maps a CLOCK_MONOTONIC reading (as kernel drivers stamp
// buffers with) onto the process-wide epoch.
func FromMonotonic(mono time.Duration) time.Duration { return mono - monoAtEpoch }
