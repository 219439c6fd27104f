// Package testenv decides what a test does when a real component it needs
// (Xvfb, an audio daemon, a VM, a browser) is missing: outside CI it skips
// with a clear message; with CI=true it fails, so CI can never pass by
// skipping.
package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// InCI reports whether the CI environment variable is true.
func InCI() bool {
	ok, _ := strconv.ParseBool(os.Getenv("CI"))
	return ok
}

// Missing skips t (or fails it under CI) because a component is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and a required component is missing: "+format, args...)
	}
	t.Skipf("skipping: "+format+" (run scripts/test.sh to install it)", args...)
}

// LookPath returns the path of a command, or skips/fails t via Missing.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed", name)
	}
	return p
}

// WaitClosed waits up to 5 s for ch to be closed, dropping values still
// pending in it, and fails t if it is not: what a backend.Notifier's
// channel must do once its watch ended.
func WaitClosed(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: channel still open after 5 s", what)
		}
	}
}
