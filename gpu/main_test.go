package gpu_test

import (
	"testing"

	"go.uber.org/goleak"
)

// wgpu-native and lavapipe leave OS threads, never goroutines.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
