//go:build linux

package wlsession

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Output is the name of the session's one output.
const Output = "HEADLESS-1"

// Commands the session needs; Start reports the first one missing.
var Commands = []string{"dbus-daemon", "sway", "swaymsg", "swaybg", "pipewire", "pw-cli", "pw-dump", "wireplumber", "cc", "setpriv"}

// Binaries started by path.
var Binaries = []string{"/usr/libexec/xdg-desktop-portal", "/usr/libexec/xdg-desktop-portal-wlr"}

// ErrMissing is returned (wrapped) when a component is not installed.
var ErrMissing = errors.New("component missing")

// Session is a running session.
type Session struct {
	Dir string
	// Env holds the variables a client needs (XDG_RUNTIME_DIR,
	// DBUS_SESSION_BUS_ADDRESS, PIPEWIRE_RUNTIME_DIR, WAYLAND_DISPLAY,
	// SWAYSOCK, ...).
	Env map[string]string
	// Width, Height are the output's size.
	Width, Height int
	// StartTime is how long the script took to bring everything up.
	StartTime time.Duration
	script    string
}

// Script returns the path of scripts/pipewire/session.sh, found by walking
// up from the working directory to the module root.
func Script() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "scripts", "pipewire", "session.sh")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("wlsession: %w", err)
			}
			return p, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("wlsession: no go.mod above the working directory")
		}
		dir = up
	}
}

// Check reports the first missing component, wrapping ErrMissing.
func Check() error {
	for _, c := range Commands {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%s is not installed: %w", c, ErrMissing)
		}
	}
	for _, b := range Binaries {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s is not installed: %w", b, ErrMissing)
		}
	}
	return nil
}

// Start starts a session of width x height in a new directory under
// os.TempDir() (the session's output starts with background bg, "#rrggbb").
// When HEADLESS_SESSION_DIR names a running session (scripts/test.d/pipewire.sh
// starts one and exports its environment), Start uses that one instead,
// whatever its size, and Stop leaves it running.
func Start(width, height int, bg string) (*Session, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	script, err := Script()
	if err != nil {
		return nil, err
	}
	if dir := os.Getenv("HEADLESS_SESSION_DIR"); dir != "" {
		return attach(script, dir)
	}
	return startOwn(script, width, height, bg)
}

// StartOwn is Start that always starts a session of its own (for tests
// that kill its components).
func StartOwn(width, height int, bg string) (*Session, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	script, err := Script()
	if err != nil {
		return nil, err
	}
	return startOwn(script, width, height, bg)
}

func startOwn(script string, width, height int, bg string) (*Session, error) {
	dir, err := os.MkdirTemp("", "miniav-pw-")
	if err != nil {
		return nil, err
	}
	// sway runs as an unprivileged user when we are root and must reach
	// its config inside dir.
	os.Chmod(dir, 0o755)
	s := &Session{Dir: dir, Env: map[string]string{}, Width: width, Height: height, script: script}
	cmd := exec.Command("bash", script, "start", dir)
	cmd.Env = append(os.Environ(), "HEADLESS_WIDTH="+strconv.Itoa(width), "HEADLESS_HEIGHT="+strconv.Itoa(height), "HEADLESS_BG="+bg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	s.StartTime = time.Since(t0)
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("wlsession: session.sh start: %v\n%s", err, stderr.String())
	}
	if err := s.parse(out); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// attach uses the running session in dir.
func attach(script, dir string) (*Session, error) {
	t0 := time.Now()
	out, err := exec.Command("bash", script, "env", dir).Output()
	if err != nil {
		return nil, fmt.Errorf("wlsession: HEADLESS_SESSION_DIR=%s has no running session: %v", dir, err)
	}
	s := &Session{Dir: dir, Env: map[string]string{}, StartTime: time.Since(t0)}
	if err := s.parse(out); err != nil {
		return nil, err
	}
	return s, nil
}

// parse reads session.sh's export lines.
func (s *Session) parse(out []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		s.Env[k] = v
	}
	if s.Env["DBUS_SESSION_BUS_ADDRESS"] == "" || s.Env["SWAYSOCK"] == "" {
		return fmt.Errorf("wlsession: session.sh printed no environment:\n%s", out)
	}
	if w, h, ok := strings.Cut(s.Env["HEADLESS_SIZE"], "x"); ok {
		s.Width, _ = strconv.Atoi(w)
		s.Height, _ = strconv.Atoi(h)
	}
	return nil
}

// Setenv puts the session's environment into this process's.
func (s *Session) Setenv() {
	for k, v := range s.Env {
		os.Setenv(k, v)
	}
}

// environ is the process environment with the session's variables.
func (s *Session) environ() []string {
	env := os.Environ()
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	return env
}

// Swaymsg runs swaymsg with args against the session's sway.
func (s *Session) Swaymsg(args ...string) error {
	cmd := exec.Command("swaymsg", append([]string{"-q"}, args...)...)
	cmd.Env = s.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("swaymsg %v: %v: %s", args, err, out)
	}
	return nil
}

// SetBackground paints the output's background colour ("#rrggbb").
func (s *Session) SetBackground(colour string) error {
	return s.Swaymsg("output " + Output + " bg " + colour + " solid_color")
}

// Pid returns the pid of a component ("sway", "pipewire", "wireplumber",
// "xdg-desktop-portal-wlr", "xdg-desktop-portal", "dbus-daemon").
func (s *Session) Pid(name string) (int, error) {
	b, err := os.ReadFile(filepath.Join(s.Dir, "pids"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == name {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("wlsession: no %s in the pids file", name)
}

// Kill sends SIGTERM to one component.
func (s *Session) Kill(name string) error {
	pid, err := s.Pid(name)
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGTERM)
}

// Log returns a component's log ("sway", "xdpw", "portal", "pipewire").
func (s *Session) Log(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "logs", name+".log"))
	return string(b)
}

// Stop stops every component and removes the directory.
func (s *Session) Stop() {
	if s.script == "" {
		return // attached to a session someone else started
	}
	exec.Command("bash", s.script, "stop", s.Dir).Run()
	os.RemoveAll(s.Dir)
}

// M is what testing.M gives goleak.VerifyTestMain.
type M interface{ Run() int }

type stopAfter struct {
	m M
	s *Session
}

func (a stopAfter) Run() int {
	defer func() {
		if a.s != nil {
			a.s.Stop()
		}
	}()
	return a.m.Run()
}

// StopAfter wraps m so that s (which may be nil) is stopped once the tests
// have run, before goleak.VerifyTestMain checks for leaks and exits:
//
//	goleak.VerifyTestMain(wlsession.StopAfter(m, s))
func StopAfter(m M, s *Session) M { return stopAfter{m, s} }
