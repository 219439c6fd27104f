package backend

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A CLOCK_MONOTONIC reading maps onto the epoch where Now is.
func TestFromMonotonic(t *testing.T) {
	var ts unix.Timespec
	before := Now()
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	after := Now()
	got := FromMonotonic(time.Duration(ts.Nano()))
	if got < before-time.Millisecond || got > after+time.Millisecond {
		t.Fatalf("FromMonotonic = %v, want between %v and %v", got, before, after)
	}
}
