// Package pulse starts a private PulseAudio daemon for tests and
// benchmarks: its own runtime directory, anonymous access on a private unix
// socket, and two 48 kHz null sinks:
//
//   - "testsink" (TestSink), whose monitor "testsink.monitor" is the
//     loopback source of the default output;
//   - "micsink" (MicSink), remapped into the source "testmic" (TestMic), the
//     default input: a "microphone" that hears what is played into micsink.
//
// An idle null sink renders in 2 s blocks, so its monitor delivers its first
// data about 2 s late and in bursts. Start therefore keeps a low-latency
// stream of silence playing into each sink (pacat --latency-msec=20) and
// waits 2.2 s before it returns; capture then starts within milliseconds.
//
// Nothing touches the user's own PulseAudio: the daemon's runtime, state and
// config paths are all inside the private directory, and clients reach it
// only through Addr (PULSE_SERVER).
//
// With MINIAV_PULSE_SERVER=pipewire in the environment, Start runs
// PipeWire's own pulse server instead: a private pipewire, wireplumber (the
// session manager that links streams to sinks) and pipewire-pulse, with the
// same sinks and sources loaded through pactl. Every test written against
// Start or Shared then runs against PipeWire unchanged; Kill and Pid act on
// pipewire-pulse, the process that serves the protocol.
package pulse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Sink, Monitor, MicSink and Mic name the daemon's devices.
const (
	Sink    = "testsink"
	Monitor = "testsink.monitor"
	MicSink = "micsink"
	Mic     = "testmic"
	Rate    = 48000
)

// settle is how long a fresh keep-alive stream needs before the null
// sinks' monitors deliver promptly.
const settle = 2200 * time.Millisecond

// EnvServer names the environment variable that picks the server Start
// runs: "pulseaudio" (or empty) or "pipewire".
const EnvServer = "MINIAV_PULSE_SERVER"

// Kinds of server (Server.Kind).
const (
	PulseAudio = "pulseaudio"
	PipeWire   = "pipewire"
)

// Server is a running private PulseAudio daemon (or pipewire-pulse).
type Server struct {
	// Kind is PulseAudio or PipeWire.
	Kind string
	// Dir is the private directory (XDG_RUNTIME_DIR of the daemon).
	Dir string
	// Addr is the server address, the value for PULSE_SERVER:
	// "unix:DIR/pulse/native".
	Addr string

	daemon *exec.Cmd
	extra  []*exec.Cmd // pipewire and wireplumber under pipewire-pulse
	keep   []*exec.Cmd
	mu     sync.Mutex
	plays  []*exec.Cmd
	once   sync.Once
}

// ErrMissing is returned by Start when pulseaudio or pacat is not installed.
var ErrMissing = errors.New("pulse: pulseaudio (or pipewire-pulse) or pulseaudio-utils is not installed")

// Start starts a daemon and returns once it accepts clients and its sinks'
// monitors deliver promptly (about 2.3 s). EnvServer picks which.
func Start(ctx context.Context) (*Server, error) {
	kind := os.Getenv(EnvServer)
	bins := []string{"pulseaudio", "pacat", "pactl", "paplay"}
	switch kind {
	case "", PulseAudio:
		kind = PulseAudio
	case PipeWire:
		bins = []string{"pipewire", "wireplumber", "pipewire-pulse", "dbus-daemon", "pacat", "pactl", "paplay"}
	default:
		return nil, fmt.Errorf("pulse: %s=%q: want %q or %q", EnvServer, kind, PulseAudio, PipeWire)
	}
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrMissing, bin)
		}
	}
	dir, err := os.MkdirTemp("", "miniav-pulse-")
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: kind, Dir: dir, Addr: "unix:" + filepath.Join(dir, "pulse", "native")}
	log, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer log.Close()
	if kind == PipeWire {
		if err := s.startPipeWire(ctx, log); err != nil {
			s.Close()
			out, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
			return nil, fmt.Errorf("%w; log:\n%s", err, out)
		}
		return s, nil
	}
	s.daemon = exec.Command("pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
		"-n", "--use-pid-file=no", "--log-target=stderr", "--log-level=notice",
		"--load=module-native-protocol-unix auth-anonymous=1",
		"--load=module-null-sink sink_name="+Sink+" rate=48000 sink_properties=device.description=TestSink",
		"--load=module-null-sink sink_name="+MicSink+" rate=48000 sink_properties=device.description=MicSink",
		"--load=module-remap-source master="+MicSink+".monitor source_name="+Mic+" source_properties=device.description=TestMic",
	)
	s.daemon.Env = s.env(true)
	s.daemon.Stdout, s.daemon.Stderr = log, log
	if err := s.daemon.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pulse: start daemon: %w", err)
	}
	if err := s.setup(ctx); err != nil {
		s.Close()
		out, _ := os.ReadFile(filepath.Join(dir, "daemon.log"))
		return nil, fmt.Errorf("%w; daemon log:\n%s", err, out)
	}
	return s, nil
}

// startPipeWire starts pipewire, wireplumber and pipewire-pulse, waits for
// the pulse socket, loads the sinks and sources the pulseaudio command line
// of Start loads, and settles them as setup does.
func (s *Server) startPipeWire(ctx context.Context, log *os.File) error {
	bus := filepath.Join(s.Dir, "bus")
	for _, args := range [][]string{
		{"dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path=" + bus},
		{"pipewire"}, {"wireplumber"},
	} {
		name := args[0]
		c := exec.Command(name, args[1:]...)
		c.Env = s.env(true)
		c.Stdout, c.Stderr = log, log
		if err := c.Start(); err != nil {
			return fmt.Errorf("pulse: start %s: %w", name, err)
		}
		s.extra = append(s.extra, c)
		if sock := map[string]string{"dbus-daemon": bus, "pipewire": filepath.Join(s.Dir, "pipewire-0")}[name]; sock != "" {
			// wireplumber gives up when the bus or the socket is not there yet
			for deadline := time.Now().Add(10 * time.Second); ; {
				if _, err := os.Stat(sock); err == nil {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("pulse: %s made no socket within 10 s", name)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	s.daemon = exec.Command("pipewire-pulse")
	s.daemon.Env = s.env(true)
	s.daemon.Stdout, s.daemon.Stderr = log, log
	if err := s.daemon.Start(); err != nil {
		s.daemon = nil
		return fmt.Errorf("pulse: start pipewire-pulse: %w", err)
	}
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"load-module", "module-null-sink", "sink_name=" + Sink, "rate=48000", "sink_properties=device.description=TestSink"},
		{"load-module", "module-null-sink", "sink_name=" + MicSink, "rate=48000", "sink_properties=device.description=MicSink"},
		{"load-module", "module-remap-source", "master=" + MicSink + ".monitor", "source_name=" + Mic, "source_properties=device.description=TestMic"},
	} {
		if err := s.Pactl(ctx, args...); err != nil {
			return err
		}
	}
	return s.setup(ctx)
}

// waitReady polls pactl info until the server answers.
func (s *Server) waitReady(ctx context.Context) error {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if s.Pactl(ctx, "info") == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("pulse: daemon did not accept clients within 10 s")
}

func (s *Server) setup(ctx context.Context) error {
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	for _, args := range [][]string{{"set-default-sink", Sink}, {"set-default-source", Mic}} {
		// pipewire-pulse answers load-module before the node is there
		// ("Not supported" until then): retried for a while.
		for deadline := time.Now().Add(10 * time.Second); ; {
			err := s.Pactl(ctx, args...)
			if err == nil {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, sink := range []string{Sink, MicSink} {
		c := s.Command("pacat", "--playback", "--latency-msec=20", "--raw", "--rate=48000", "--channels=2",
			"--format=s16le", "--device="+sink, "--client-name=keep-alive", "/dev/zero")
		if err := c.Start(); err != nil {
			return fmt.Errorf("pulse: keep-alive: %w", err)
		}
		s.keep = append(s.keep, c)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(settle):
	}
	return nil
}

// env is the environment of the daemon (own=true) or of a client.
func (s *Server) env(own bool) []string {
	env := os.Environ()
	if own {
		env = append(env, "XDG_RUNTIME_DIR="+s.Dir, "PULSE_RUNTIME_PATH="+filepath.Join(s.Dir, "pulse"),
			"PULSE_STATE_PATH="+filepath.Join(s.Dir, "state"), "PULSE_CONFIG_PATH="+filepath.Join(s.Dir, "config"),
			"HOME="+s.Dir)
		if s.Kind == PipeWire { // private sockets, state and session bus (wireplumber needs one)
			env = append(env, "PIPEWIRE_RUNTIME_DIR="+s.Dir, "PIPEWIRE_REMOTE=pipewire-0",
				"XDG_CONFIG_HOME="+filepath.Join(s.Dir, "config"), "XDG_STATE_HOME="+filepath.Join(s.Dir, "state"),
				"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(s.Dir, "bus"))
		}
	}
	return append(env, "PULSE_SERVER="+s.Addr)
}

// Command returns a command (pactl, paplay, parec, ...) set up to talk to
// the daemon.
func (s *Server) Command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = s.env(false)
	return c
}

// Pactl runs pactl with args against the daemon.
func (s *Server) Pactl(ctx context.Context, args ...string) error {
	c := exec.CommandContext(ctx, "pactl", args...)
	c.Env = s.env(false)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return fmt.Errorf("pulse: pactl %v: %v: %s", args, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// Play plays a WAV file into sink with paplay in the background; Close (or
// StopPlaying) stops it.
func (s *Server) Play(sink, wav string) error {
	c := s.Command("paplay", "--device="+sink, wav)
	if err := c.Start(); err != nil {
		return fmt.Errorf("pulse: paplay: %w", err)
	}
	s.mu.Lock()
	s.plays = append(s.plays, c)
	s.mu.Unlock()
	return nil
}

// StopPlaying stops every paplay started by Play.
func (s *Server) StopPlaying() { s.stop(&s.plays) }

// stop takes the commands in *list and kills and reaps them.
func (s *Server) stop(list *[]*exec.Cmd) {
	s.mu.Lock()
	cmds := *list
	*list = nil
	s.mu.Unlock()
	for _, c := range cmds {
		c.Process.Kill()
		c.Wait()
	}
}

// Pid is the daemon's process id.
func (s *Server) Pid() int { return s.daemon.Process.Pid }

// Kill kills the daemon (pipewire-pulse, not pipewire, for PipeWire) with
// SIGKILL, as a crash would, and waits for it. Close still has to be called.
func (s *Server) Kill() {
	if s.daemon != nil && s.daemon.ProcessState == nil {
		s.daemon.Process.Kill()
		s.daemon.Wait()
	}
}

// StopKeepAlive stops the keep-alive streams. Their 20 ms latency makes the
// null sinks render every 5 ms, so every record stream is then sent data
// every 5 ms whatever it asked for; without them a sink renders at the
// latency its clients ask for (once a client is connected: an idle sink
// falls back to 2 s blocks).
func (s *Server) StopKeepAlive() { s.stop(&s.keep) }

// Close stops playback, the keep-alive streams and the daemon (and, for
// PipeWire, wireplumber, pipewire and the bus, newest first), and removes
// the private directory. It may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		s.StopPlaying()
		s.StopKeepAlive()
		s.Kill()
		slices.Reverse(s.extra) // wireplumber, pipewire, then the bus
		s.stop(&s.extra)
		os.RemoveAll(s.Dir)
	})
}
