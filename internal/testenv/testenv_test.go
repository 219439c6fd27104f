package testenv

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestInCI(t *testing.T) {
	t.Setenv("CI", "true")
	if !InCI() {
		t.Fatal("CI=true not detected")
	}
	t.Setenv("CI", "")
	if InCI() {
		t.Fatal("empty CI detected as CI")
	}
}
