package main

import (
	"testing"

	"go.uber.org/goleak"
)

// atExit runs after the tests (the cgo tests remove their library here).
var atExit []func()

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		for _, f := range atExit {
			f()
		}
	}))
}
