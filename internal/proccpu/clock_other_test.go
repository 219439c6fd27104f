//go:build !linux

package proccpu

import "testing"

func threadSeconds(*testing.T) float64 { return 0 }
