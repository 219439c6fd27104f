package vmtest

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestInVM(t *testing.T) {
	t.Setenv(EnvInVM, "1")
	if !InVM() {
		t.Fatalf("%s=1 not detected", EnvInVM)
	}
	t.Setenv(EnvInVM, "")
	if InVM() {
		t.Fatalf("empty %s detected as the VM", EnvInVM)
	}
}

// TestRequireMissing checks that a VM which cannot start is reported through
// testenv.Missing: a skip outside CI.
func TestRequireMissing(t *testing.T) {
	if InVM() {
		t.Skip("outside the VM only")
	}
	t.Setenv(EnvMissing, "qemu-system-x86_64 is not installed")
	t.Setenv("CI", "")
	ran := false
	t.Run("inner", func(t *testing.T) {
		Require(t)
		ran = true
	})
	if ran {
		t.Fatal("Require did not stop the test outside the VM")
	}
}
