package all_test

import (
	"runtime"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
	_ "github.com/miniav-go/miniav/backend/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Importing all registers every backend built for this platform, touching
// no device.
func TestRegistersEveryBackend(t *testing.T) {
	want := []string{"testsrc"}
	if runtime.GOOS == "linux" {
		want = append(want, "x11", "pipewire")
		if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" || runtime.GOARCH == "riscv64" || runtime.GOARCH == "loong64" {
			want = append(want, "v4l2")
		}
	}
	if runtime.GOOS == "windows" {
		want = append(want, "gdi")
	}
	if runtime.GOOS == "js" {
		want = append(want, "webmedia")
	} else {
		want = append(want, "pulse")
	}
	if cgoEnabled {
		want = append(want, "malgo", "malgo-null")
		if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
			want = append(want, "mediadevices")
		}
	}
	for _, name := range want {
		if _, ok := backend.Lookup(name); !ok {
			t.Errorf("backend %q not registered", name)
		}
	}
}
