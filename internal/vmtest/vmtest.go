// Package vmtest lets tests that need a real V4L2 kernel driver run inside
// the qemu VM of scripts/vm, where the Debian kernel's vivid test driver is
// loaded, and skip everywhere else.
//
// Such tests call [Require] first and run with
//
//	go test -exec $PWD/scripts/vm/exec ./backend/v4l2/...
//
// (scripts/test.d/v4l2.sh does this after scripts/vm/setup.sh). In the VM,
// vivid is loaded with "n_devs=2 node_types=0x1,0x1 multiplanar=1,2": two
// capture-only instances, [SinglePlanarNode] using the single-planar API and
// [MultiPlanarNode] the multi-planar one. VIVID_OPTS on the host overrides
// those options.
package vmtest

import (
	"os"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
)

// Device nodes of the default vivid configuration in the VM.
const (
	// SinglePlanarNode is vivid instance 0: V4L2_CAP_VIDEO_CAPTURE.
	SinglePlanarNode = "/dev/video0"
	// MultiPlanarNode is vivid instance 1: V4L2_CAP_VIDEO_CAPTURE_MPLANE.
	MultiPlanarNode = "/dev/video1"
)

// Environment variables set by scripts/vm/exec.
const (
	// EnvInVM is "1" inside the VM (set by its init).
	EnvInVM = "MINIAV_IN_VM"
	// EnvMissing holds the reason the VM could not start; exec then runs
	// the test binary on the host with it set.
	EnvMissing = "MINIAV_VM_MISSING"
)

// InVM reports whether the process runs inside the scripts/vm guest.
func InVM() bool { return os.Getenv(EnvInVM) == "1" }

// Require stops t unless it runs inside the VM. If scripts/vm/exec was asked
// to run the test but could not start the VM (qemu or the kernel missing),
// it reports that through [testenv.Missing]: a skip, or a failure with
// CI=true. Run without the exec wrapper (a plain go test on the host), the
// test is skipped: its CI coverage comes from scripts/test.d/v4l2.sh.
func Require(t testing.TB) {
	t.Helper()
	if InVM() {
		return
	}
	if why := os.Getenv(EnvMissing); why != "" {
		testenv.Missing(t, "the vivid test VM cannot start: %s", why)
		return
	}
	t.Skip("needs the vivid V4L2 driver: runs inside the VM with go test -exec $PWD/scripts/vm/exec (scripts/test.d/v4l2.sh)")
}
