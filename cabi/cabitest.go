//go:build cgo && miniav_cabitest

package main

import (
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/cabitest"
)

// The tests build the library with -tags miniav_cabitest, which adds the
// test-only backend "cabitest" (package internal/cabitest): devices the C
// and Python clients plug and unplug by rewriting the file
// $MINIAV_CABITEST_DEVICES, to test hot-plug (miniav_watch_*) through the
// real library. Without the tag it is not built.
func init() { backend.Register(cabitest.Backend{}) }
