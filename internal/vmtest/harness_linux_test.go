package vmtest

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
)

// TestHarness boots the VM once from the host through scripts/vm/exec --sh
// and checks what the go test -exec path relies on: the command's output
// arrives without boot noise or CRs, the host environment is passed through,
// vivid's two nodes exist, and the exit code comes back.
func TestHarness(t *testing.T) {
	if InVM() {
		t.Skip("host only: boots the VM")
	}
	if testing.Short() {
		t.Skip("boots a VM")
	}
	cmd := exec.Command("../../scripts/vm/exec", "--sh",
		`echo "in=$MINIAV_IN_VM x=$MINIAV_HARNESS_X"; cat /sys/class/video4linux/video0/name /sys/class/video4linux/video1/name; exit 3`)
	cmd.Env = append(cmd.Environ(), "MINIAV_HARNESS_X=a b'c")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("exec: %v (stderr: %s)", err, &stderr)
	}
	if ee.ExitCode() == 125 && strings.Contains(stderr.String(), "cannot start the VM") {
		testenv.Missing(t, "%s", strings.TrimSpace(stderr.String()))
	}
	if ee.ExitCode() != 3 {
		t.Fatalf("exit code %d, want 3; stderr:\n%s", ee.ExitCode(), &stderr)
	}
	want := "in=1 x=a b'c\nvivid-000-vid-cap\nvivid-001-vid-cap\n"
	if got := stdout.String(); got != want {
		t.Fatalf("stdout %q, want %q; stderr:\n%s", got, want, &stderr)
	}
}
