// Package lktest starts real LiveKit servers (and the Redis that joins
// several into one cluster) for the publish module's tests.
//
// The server is livekit-server v1.9.11, built once with
//
//	GOBIN=$XDG_CACHE_HOME/miniav-livekit/v1.9.11 go install github.com/livekit/livekit-server/cmd/server@v1.9.11
//
// (scripts/test.d/publish.sh does that before its tests); MINIAV_LIVEKIT_SERVER
// names another binary. Every node listens on 127.0.0.1 only, on free ports.
// A test whose server or redis-server is missing skips outside CI and fails
// with CI=true.
package lktest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/testenv"
)

// Version is the livekit-server release the harness runs.
const Version = "v1.9.11"

// APIKey and APISecret are the keys every node accepts (LiveKit wants a
// secret of at least 32 characters).
const (
	APIKey    = "miniavtest"
	APISecret = "miniav-test-secret-0123456789abcdef"
)

// Binary returns the path of the livekit-server binary: MINIAV_LIVEKIT_SERVER,
// else "server" in the cache directory scripts/test.d/publish.sh installs to.
func Binary() string {
	if p := os.Getenv("MINIAV_LIVEKIT_SERVER"); p != "" {
		return p
	}
	return filepath.Join(CacheDir(), "server")
}

// CacheDir is where the server binary is installed:
// $XDG_CACHE_HOME/miniav-livekit/<Version>, XDG_CACHE_HOME defaulting to ~/.cache.
func CacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "miniav-livekit", Version)
}

// Server is one running livekit-server node.
type Server struct {
	URL  string // ws://127.0.0.1:port, for clients
	HTTP string // http://127.0.0.1:port
	Port int

	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
	err  error // the process's exit, once done is closed
}

// Options configure a node.
type Options struct {
	Redis string // host:port of a shared Redis; empty for a single node
	// Link runs the node inside a Link's namespace, listening on its
	// Peer address; nil for loopback.
	Link *Link
}

// Start runs a node until the test ends. It fails (or skips, see the
// package comment) if the binary is missing, and fails if the node is not
// ready within 30 s.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		testenv.Missing(t, "livekit-server %s not built at %s (scripts/test.d/publish.sh builds it)", Version, bin)
	}
	port, tcp, udp := freeTCP(t), freeTCP(t), freeUDP(t)
	ip := "127.0.0.1"
	if o.Link != nil {
		ip = o.Link.Peer
	}
	cfg := fmt.Sprintf(`port: %d
bind_addresses: ["%s"]
log_level: info
rtc:
  tcp_port: %d
  udp_port: %d
  node_ip: %s
  use_external_ip: false
keys:
  %s: %s
`, port, ip, tcp, udp, ip, APIKey, APISecret)
	if o.Redis != "" {
		cfg += fmt.Sprintf("redis:\n  address: %s\n", o.Redis)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "livekit.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{
		URL:  fmt.Sprintf("ws://%s:%d", ip, port),
		HTTP: fmt.Sprintf("http://%s:%d", ip, port),
		Port: port,
		log:  &lockedBuffer{},
		done: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "--config", path)
	if o.Link != nil {
		// ip netns exec execs the server itself: signals reach it.
		s.cmd = exec.Command("ip", "netns", "exec", o.Link.Netns, bin, "--config", path)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("lktest: start %s: %v", bin, err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("lktest: %v", err)
		}
		if t.Failed() {
			t.Logf("livekit-server on port %d:\n%s", port, s.log.String())
		}
	})
	if err := s.wait(30 * time.Second); err != nil {
		t.Fatalf("lktest: %v\n%s", err, s.log.String())
	}
	return s
}

// wait polls the node's health endpoint until it answers 200.
func (s *Server) wait(limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("livekit-server exited before it was ready: %v", s.err)
		default:
		}
		if resp, err := c.Get(s.HTTP + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("livekit-server on %s not ready after %v", s.HTTP, limit)
}

// Stop ends the node (SIGTERM, twice if need be, see stop) and waits for it. It
// may be called more than once.
func (s *Server) Stop() error { return stop(s.cmd, s.done) }

// Log is what the node has written so far.
func (s *Server) Log() string { return s.log.String() }

// StartRedis runs redis-server on a free loopback port, without
// persistence, until the test ends, and returns its host:port.
func StartRedis(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Missing(t, "redis-server is not installed")
	}
	port := freeTCP(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	log := &lockedBuffer{}
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("lktest: start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		if err := stop(cmd, done); err != nil {
			t.Errorf("lktest: redis: %v", err)
		}
	})
	// Ready when it answers PING.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if pingRedis(addr) == nil {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("lktest: redis-server on %s not ready after 10 s:\n%s", addr, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	b := make([]byte, 7)
	n, err := c.Read(b)
	if err != nil {
		return err
	}
	if string(b[:n]) != "+PONG\r\n" {
		return fmt.Errorf("redis answered %q to PING", b[:n])
	}
	return nil
}

// stop sends SIGTERM; a LiveKit node that is still draining rooms after
// 5 s gets a second SIGTERM, which makes it close them at once; after
// 10 s more the process is killed and that is an error.
func stop(cmd *exec.Cmd, done chan struct{}) error {
	for _, wait := range []time.Duration{5 * time.Second, 10 * time.Second} {
		select {
		case <-done:
			return nil
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
			return nil
		case <-time.After(wait):
		}
	}
	cmd.Process.Kill()
	<-done
	return fmt.Errorf("%s did not exit within 15 s of SIGTERM; killed", filepath.Base(cmd.Path))
}

// freeTCP and freeUDP return a loopback port free at the time of asking.
func freeTCP(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func freeUDP(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// HasRoutableInterface reports whether an interface other than loopback
// is up with an address: pion (inside LiveKit's client SDK, which cannot
// be told to use loopback) gathers no ICE candidate without one.
func HasRoutableInterface() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
				return true
			}
		}
	}
	return false
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NeedICE skips t (fails it under CI) where no interface but loopback is
// up: LiveKit's client SDK makes its own pion SettingEngine, which gathers
// no loopback ICE candidates, so no media would flow.
func NeedICE(t testing.TB) {
	t.Helper()
	if !HasRoutableInterface() {
		testenv.Missing(t, "no network interface but loopback for the LiveKit client's ICE (scripts/test.d/publish.sh adds a veth pair in its namespace)")
	}
}
