//go:build cgo && linux

package main

import (
	"time"

	"github.com/miniav-go/miniav/backend"
)

// monotonicUS maps a timestamp on miniav's epoch to microseconds of
// CLOCK_MONOTONIC, the clock of 0.7's timestamp_us.
func monotonicUS(ts time.Duration) int64 { return (ts - backend.FromMonotonic(0)).Microseconds() }
