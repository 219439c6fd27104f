// Package xvfb starts a private Xvfb X server for tests.
package xvfb

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/testenv"
)

// Server is a running Xvfb.
type Server struct {
	// Display is the display name, e.g. ":3".
	Display string
	cmd     *exec.Cmd
	once    sync.Once
}

// Start starts `Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp
// -noreset` on a free display and waits until it accepts connections. It
// is killed when t ends. A missing Xvfb skips t (fails it with CI=true).
func Start(t testing.TB) *Server {
	t.Helper()
	return StartArgs(t)
}

// StartArgs is Start with extra Xvfb arguments (such as "-auth", file).
func StartArgs(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := testenv.LookPath(t, "Xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-displayfd", "3", "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-noreset"}, args...)...)
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		t.Fatalf("xvfb: start: %v", err)
	}
	w.Close()
	s := &Server{cmd: cmd}
	t.Cleanup(s.Kill)
	done := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		done <- strings.TrimSpace(line)
	}()
	select {
	case n := <-done:
		r.Close()
		if n == "" {
			t.Fatalf("xvfb: Xvfb exited without reporting a display")
		}
		s.Display = ":" + n
	case <-time.After(20 * time.Second):
		s.Kill()
		r.Close()
		<-done
		t.Fatalf("xvfb: Xvfb did not report a display within 20 s")
	}
	return s
}

// Pid is the X server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Kill stops the server and waits for it to exit. It may be called more
// than once.
func (s *Server) Kill() {
	s.once.Do(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
}
