package pulse

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/pool"
)

// StartT starts a private daemon for t and stops it when t ends. A missing
// pulseaudio skips t (fails it with CI=true).
func StartT(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx)
	if errors.Is(err, ErrMissing) {
		testenv.Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns one daemon for the whole test binary, started on first
// use, with PULSE_SERVER set to it for the process (so default-server
// clients reach it). Main stops it. Tests using it must not run in parallel
// with tests that set PULSE_SERVER themselves.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shared.srv, shared.err = Start(ctx)
		if shared.err == nil {
			os.Setenv("PULSE_SERVER", shared.srv.Addr)
		}
	})
	if errors.Is(shared.err, ErrMissing) {
		testenv.Missing(t, "%v", shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.srv
}

// M is what a TestMain passes around (testing.M satisfies it).
type M interface{ Run() int }

type wrapped struct {
	m      M
	checks []func() error
}

func (w wrapped) Run() int {
	code := w.m.Run()
	if shared.srv != nil {
		shared.srv.Close()
		os.Unsetenv("PULSE_SERVER")
	}
	for _, check := range w.checks {
		if err := check(); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	return code
}

// Main wraps m so that the shared daemon stops after the tests ran, then
// runs checks; one that fails makes a passing run fail:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(pulse.Main(m, pulse.PoolDrained(PoolStats))) }
func Main(m M, checks ...func() error) M { return wrapped{m, checks} }

// PoolDrained is a check for Main: no buffer of the pool whose counters
// stats returns is still outstanding.
func PoolDrained(stats func() pool.Stats) func() error {
	return func() error {
		if st := stats(); st.Outstanding != 0 {
			return fmt.Errorf("%d pooled buffers still outstanding after the tests: %+v", st.Outstanding, st)
		}
		return nil
	}
}

// ToneWAV writes a WAV file (16-bit PCM) of a sine tone into dir and
// returns its path.
func ToneWAV(t testing.TB, freq float64, rate, channels int, d time.Duration, amp float64) string {
	t.Helper()
	n := int(int64(rate) * int64(d) / int64(time.Second))
	data := make([]byte, 44+n*channels*2)
	le := binary.LittleEndian
	copy(data, "RIFF")
	le.PutUint32(data[4:], uint32(len(data)-8))
	copy(data[8:], "WAVEfmt ")
	le.PutUint32(data[16:], 16)
	le.PutUint16(data[20:], 1)
	le.PutUint16(data[22:], uint16(channels))
	le.PutUint32(data[24:], uint32(rate))
	le.PutUint32(data[28:], uint32(rate*channels*2))
	le.PutUint16(data[32:], uint16(channels*2))
	le.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	le.PutUint32(data[40:], uint32(n*channels*2))
	for i := range n {
		v := int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
		for c := range channels {
			le.PutUint16(data[44+(i*channels+c)*2:], uint16(v))
		}
	}
	p := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// CounterWAV writes a WAV file (16-bit stereo PCM at rate) of n frames
// that count: frame i holds the low 16 bits of i on the left channel and
// the high 16 bits on the right. Played unmixed into a sink at its own
// rate it reaches a 16-bit capture bit-exact, so a capture can tell which
// frames it got. It returns the path.
func CounterWAV(t testing.TB, rate, n int) string {
	t.Helper()
	data := make([]byte, 44+n*4)
	le := binary.LittleEndian
	copy(data, "RIFF")
	le.PutUint32(data[4:], uint32(len(data)-8))
	copy(data[8:], "WAVEfmt ")
	le.PutUint32(data[16:], 16)
	le.PutUint16(data[20:], 1)
	le.PutUint16(data[22:], 2)
	le.PutUint32(data[24:], uint32(rate))
	le.PutUint32(data[28:], uint32(rate*4))
	le.PutUint16(data[32:], 4)
	le.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	le.PutUint32(data[40:], uint32(n*4))
	for i := range n {
		le.PutUint16(data[44+i*4:], uint16(i))
		le.PutUint16(data[46+i*4:], uint16(i>>16))
	}
	p := filepath.Join(t.TempDir(), "counter.wav")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// NullSink loads a null sink called name (48 kHz, with the monitor source
// name+".monitor", no keep-alive: idle, it renders in 2 s blocks) for t.
// unload removes it, which kills the record streams that may not move;
// it is also done when t ends if the test did not.
func (s *Server) NullSink(t testing.TB, name string) (unload func()) {
	t.Helper()
	out, err := s.Command("pactl", "load-module", "module-null-sink", "sink_name="+name, "rate=48000").Output()
	if err != nil {
		t.Fatalf("pulse: load a null sink %s: %v", name, err)
	}
	module := strings.TrimSpace(string(out))
	var once sync.Once
	unload = func() {
		once.Do(func() {
			if err := s.Pactl(context.Background(), "unload-module", module); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(unload)
	return unload
}
