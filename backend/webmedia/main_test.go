package webmedia

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlived the tests. On js/wasm the
// runtime parks one for the JavaScript event it is handling (the exit).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}
