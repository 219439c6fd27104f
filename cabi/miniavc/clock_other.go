//go:build cgo && !linux

package main

import "time"

// monotonicUS is the timestamp in microseconds on miniav's monotonic epoch.
func monotonicUS(ts time.Duration) int64 { return ts.Microseconds() }
