package xvfb

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Start gives a display whose socket accepts connections; Kill removes the
// server (twice is fine) and the socket stops answering.
func TestStartAndKill(t *testing.T) {
	s := Start(t)
	if s.Display == "" || s.Display[0] != ':' {
		t.Fatalf("display %q", s.Display)
	}
	sock := filepath.Join("/tmp/.X11-unix", "X"+s.Display[1:])
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial %s: %v", sock, err)
	}
	c.Close()
	if p, err := os.FindProcess(s.Pid()); err != nil || p == nil {
		t.Fatalf("pid %d: %v", s.Pid(), err)
	}
	s.Kill()
	s.Kill()
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		t.Fatalf("%s still answers after Kill", sock)
	}
}
