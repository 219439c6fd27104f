//go:build cgo && !js

package malgo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gen2brain/malgo"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/audiotest"
	"github.com/miniav-go/miniav/internal/pulse"
)

// TestMain stops the shared PulseAudio daemon after the tests, then checks
// that no goroutine and no pooled buffer outlived them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(pulse.Main(m, pulse.PoolDrained(PoolStats))) }

// The default input (a PulseAudio source fed by micsink) and the loopback
// of the default output (testsink's monitor) both capture the 440 Hz tone
// played into them, in every requested format, resampled or not.
func TestTone(t *testing.T) {
	srv := pulse.Shared(t)
	cases := append(audiotest.FormatMatrix("malgo:", backend.KindMicrophone),
		audiotest.ToneCase{ID: "malgo:loopback", Kind: backend.KindLoopback, Audio: format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 256}},
		audiotest.ToneCase{ID: "malgo:" + pulse.Monitor, Kind: backend.KindLoopback, Audio: format.Audio{SampleRate: 44100, Channels: 1, SampleFormat: format.S16}},
		audiotest.ToneCase{ID: "malgo:Monitor of TestSink?backend=pulseaudio", Kind: backend.KindLoopback, Audio: format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 1024}},
	)
	audiotest.ToneTest(t, srv, "pulseaudio", cases)
}

// Devices lists the PulseAudio sources with kinds, defaults and formats,
// and a listed ID opens.
func TestDevices(t *testing.T) {
	pulse.Shared(t)
	devs, err := Backend{name: Name}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]backend.Device{}
	for _, d := range devs {
		byID[d.ID] = d
		t.Logf("%s %q kind=%v default=%v attrs=%v caps=%v", d.ID, d.Name, d.Kind, d.Default, d.Attrs, d.Audio)
	}
	for _, w := range []struct {
		id   string
		kind backend.Kind
		def  bool
		name string
	}{
		{"malgo:" + pulse.Mic, backend.KindMicrophone, true, "TestMic"},
		{"malgo:" + pulse.Monitor, backend.KindLoopback, true, "Monitor of TestSink"},
		{"malgo:" + pulse.MicSink + ".monitor", backend.KindLoopback, false, "Monitor of MicSink"},
	} {
		d, ok := byID[w.id]
		if !ok {
			t.Fatalf("no device %s in %v", w.id, devs)
		}
		if d.Kind != w.kind || d.Default != w.def || d.Name != w.name || d.Backend != Name || d.Attrs["backend"] != "pulseaudio" {
			t.Errorf("%s = %+v, want kind %v, default %v, name %q", w.id, d, w.kind, w.def, w.name)
		}
		if len(d.Audio) == 0 || !d.Audio[len(d.Audio)-1].Supports(format.Audio{SampleRate: 44100, Channels: 6, SampleFormat: format.S24}) {
			t.Errorf("%s caps %v do not include the converted range", w.id, d.Audio)
		}
	}
	if mon := byID["malgo:"+pulse.Monitor]; !strings.Contains(mon.Attrs["native"], "48000Hz") || mon.Attrs["output"] != pulse.Sink {
		t.Errorf("monitor attrs %v: want a native 48000 Hz format and output %s", mon.Attrs, pulse.Sink)
	}
	// A second enumeration reuses the cached context and agrees.
	again, err := Backend{name: Name}.Devices(context.Background())
	if err != nil || len(again) != len(devs) {
		t.Fatalf("second Devices: %d devices, %v; first had %d", len(again), err, len(devs))
	}
}

// Bad addresses and formats fail with the right sentinel errors.
func TestOpenErrors(t *testing.T) {
	pulse.Shared(t)
	ctx := context.Background()
	for _, c := range []struct {
		id   string
		a    format.Audio
		want error
	}{
		{"malgo:no-such-source", format.Audio{}, backend.ErrNotFound},
		{"malgo:loopback/no-such-sink", format.Audio{}, backend.ErrNotFound},
		{"malgo:?backend=bogus", format.Audio{}, backend.ErrNotSupported},
		{"malgo:?colour=red", format.Audio{}, backend.ErrNotSupported},
		{"malgo:?watchdog=soon", format.Audio{}, backend.ErrNotSupported},
		{"malgo:", format.Audio{Channels: 300}, backend.ErrNotSupported},
		{"malgo:", format.Audio{SampleRate: 1000}, backend.ErrNotSupported},
		{"malgo:", format.Audio{SampleFormat: format.SampleFormat(42)}, backend.ErrNotSupported},
		{"malgo-null:?backend=pulseaudio", format.Audio{}, backend.ErrNotSupported},
		{"malgo:?backend=pulseaudio&server=unix:/nonexistent/native", format.Audio{}, backend.ErrNotFound},
	} {
		s, err := miniav.Open(ctx, c.id, miniav.WithAudio(c.a))
		if err == nil {
			s.Close()
			t.Errorf("Open(%q, %v) succeeded", c.id, c.a)
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("Open(%q, %v) = %v, want %v", c.id, c.a, err, c.want)
		}
	}
}

// A consumer that keeps up sees 30 s of audio with no gap in the sequence
// numbers, no overrun, and device timestamps on the sample clock.
func TestContinuity(t *testing.T) {
	pulse.Shared(t)
	const seconds = 30
	a := format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 960}
	s, err := miniav.Open(context.Background(), "malgo:loopback", miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithQueue(32))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var next uint64
	var lastTS time.Duration
	first := true
	n := 0
	for f := range s.Frames() {
		seq, ts, dts := f.Sequence(), f.Timestamp(), f.DeviceTimestamp()
		frames := f.Audio().Frames()
		f.Release()
		if first {
			next, first = seq, false
			if seq != 0 {
				t.Errorf("first sequence %d, want 0", seq)
			}
		}
		if seq != next {
			t.Fatalf("buffer %d: sequence %d, want %d (stats %+v)", n, seq, next, s.Stats())
		}
		if want := time.Duration(seq) * time.Second / 48000; dts != want {
			t.Fatalf("device timestamp %v at sequence %d, want %v", dts, seq, want)
		}
		if ts < lastTS {
			t.Fatalf("timestamp went back from %v to %v", lastTS, ts)
		}
		lastTS = ts
		next = seq + uint64(frames)
		n++
		if next >= seconds*48000 {
			break
		}
	}
	st := s.Stats()
	if st.Dropped.Total() != 0 || next < seconds*48000 {
		t.Fatalf("after %d buffers (%d sample frames): stats %+v, err %v", n, next, st, s.Err())
	}
	t.Logf("%d buffers, %d sample frames, stats %+v", n, next, st)
}

// A consumer that stalls makes the callback drop periods: they are counted
// as overruns and appear as one sequence gap of exactly those frames, and
// capture then continues without further loss. The same holds for a pull
// stream, where the source's slots are the only queue.
func TestOverrun(t *testing.T) {
	pulse.Shared(t)
	for _, pull := range []bool{false, true} {
		t.Run(fmt.Sprintf("pull=%v", pull), func(t *testing.T) { testOverrun(t, "malgo:loopback", pull) })
	}
}

func testOverrun(t *testing.T, id string, pull bool) {
	a := format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 480}
	opts := []miniav.Option{miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithQueue(2)}
	if pull {
		opts = append(opts, miniav.WithPull())
	}
	s, err := miniav.Open(context.Background(), id, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	watchdog := time.AfterFunc(20*time.Second, func() { s.Close() })
	defer watchdog.Stop()
	var next, gapFrames, resumed uint64
	n, gaps := 0, 0
	for {
		f, err := s.Next()
		if err != nil {
			t.Fatalf("Next: %v (stats %+v)", err, s.Stats())
		}
		seq := f.Sequence()
		f.Release()
		if n > 0 && seq != next {
			if seq < next {
				t.Fatalf("sequence went back: %d after %d", seq, next)
			}
			gapFrames += seq - next
			gaps++
			resumed = seq
		}
		next = seq + uint64(a.PeriodFrames)
		n++
		if n == 10 {
			time.Sleep(500 * time.Millisecond) // the stimulus: 50 periods not read
		}
		if gaps > 0 && seq >= resumed+48000/2 { // half a second after the gap
			break
		}
	}
	st := s.Stats()
	overruns := st.Dropped[backend.DropOverrun]
	t.Logf("overruns %d buffers, %d gap(s) of %d frames in all, %d buffers read, stats %+v", overruns, gaps, gapFrames, n, st)
	if overruns == 0 || gaps != 1 || gapFrames != overruns*uint64(a.PeriodFrames) {
		t.Fatalf("overruns %d buffers, %d sequence gaps of %d frames: want one gap of overruns × %d frames", overruns, gaps, gapFrames, a.PeriodFrames)
	}
	if st.Dropped[backend.DropDevice] != 0 {
		t.Fatalf("the overrun gap was counted again as %d device drops", st.Dropped[backend.DropDevice])
	}
	if overruns*uint64(a.PeriodFrames) > 48000/2 {
		t.Fatalf("dropped %d buffers for a 0.5 s stall", overruns)
	}
}

// Killing the sound server mid-capture ends the stream with ErrDeviceLost
// promptly; nothing stays outstanding.
func TestServerKilled(t *testing.T) {
	srv := pulse.StartT(t)
	id := "malgo:" + pulse.Monitor + "?server=" + srv.Addr
	s, err := miniav.Open(context.Background(), id, miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var held []miniav.Frame
	for f := range s.Frames() {
		seq := f.Sequence()
		if len(held) < 3 {
			held = append(held, f) // still held when the server dies
		} else {
			f.Release()
		}
		if seq >= 48000/2 {
			break
		}
	}
	srv.Kill()
	lostAfter := drainUntilEnd(t, s, 10*time.Second)
	if err := s.Err(); !errors.Is(err, miniav.ErrDeviceLost) {
		t.Fatalf("Err() = %v, want ErrDeviceLost", err)
	}
	t.Logf("ended %v after the kill: %v", lostAfter.Round(time.Millisecond), s.Err())
	if lostAfter > defaultWatchdog+time.Second {
		t.Errorf("the stream ended %v after the kill, want within the watchdog (%v)", lostAfter, defaultWatchdog)
	}
	<-s.Done()
	for _, f := range held {
		f.Release()
	}
	if st := s.Stats(); st.Outstanding != 0 {
		t.Fatalf("outstanding frames %d after releasing everything", st.Outstanding)
	}
}

// drainUntilEnd releases frames until the stream's channel closes, within
// limit of the call (the stream's server was just killed), and returns how
// long that took.
func drainUntilEnd(t *testing.T, s *miniav.Stream, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	timeout := time.After(limit)
	for {
		select {
		case f, ok := <-s.Frames():
			if !ok {
				return time.Since(start)
			}
			f.Release()
		case <-timeout:
			t.Fatalf("stream still running %v after the server was killed (stats %+v)", limit, s.Stats())
		}
	}
}

// The null backend captures real-time silence with no sound server at all.
func TestNull(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:/nonexistent/native") // no server reachable
	devs, err := Backend{name: NullName, null: true}.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].Name != "NULL Capture Device" || devs[0].ID != "malgo-null:0" || devs[0].Attrs["backend"] != "null" {
		t.Fatalf("null Devices = %+v, %v", devs, err)
	}
	for _, id := range []string{"malgo-null:", "malgo-null:0"} {
		a := format.Audio{SampleRate: 16000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 160}
		s, err := miniav.Open(context.Background(), id, miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithQueue(16))
		if err != nil {
			t.Fatal(err)
		}
		if info := s.Info(); info.Audio != a || !strings.Contains(info.Mode, "null") {
			t.Fatalf("Info = %+v", info)
		}
		var next, consumed uint64
		for f := range s.Frames() {
			consumed++
			if f.Sequence() != next {
				t.Fatalf("sequence %d, want %d", f.Sequence(), next)
			}
			for _, v := range f.Audio().Int16s() {
				if v != 0 {
					t.Fatalf("null backend sample %d, want silence", v)
				}
			}
			next += uint64(f.Audio().Frames())
			f.Release()
			if next >= 8000 { // half a second
				break
			}
		}
		s.Close()
		// Periods captured after the consumer stopped reading are released
		// by Close as "stopped"; nothing else may be lost.
		st := s.Stats()
		stopped := st.Dropped[backend.DropStopped]
		if st.Dropped.Total() != stopped || st.Outstanding != 0 || st.Captured != consumed+stopped {
			t.Fatalf("consumed %d: stats %+v", consumed, st)
		}
	}
}

// miniaudio's null backend is enum value 14; malgo v0.11.24 exports 13
// (ma_backend_custom) as BackendNull. The package's own value must work.
func TestNullBackendValue(t *testing.T) {
	c, err := malgo.InitContext([]malgo.Backend{maNull}, malgo.ContextConfig{}, nil)
	if err != nil {
		t.Fatalf("InitContext(null backend %d): %v", maNull, err)
	}
	defer func() { c.Uninit(); c.Free() }()
	devs, err := c.Devices(malgo.Capture)
	if err != nil || len(devs) != 1 || devs[0].Name() != "NULL Capture Device" {
		t.Fatalf("null backend capture devices %v, %v", devs, err)
	}
	if malgo.BackendNull == maNull {
		t.Logf("malgo.BackendNull is fixed upstream (%d); maNull can go", malgo.BackendNull)
	} else if c2, err := malgo.InitContext([]malgo.Backend{malgo.BackendNull}, malgo.ContextConfig{}, nil); err == nil {
		c2.Uninit()
		c2.Free()
		t.Logf("malgo.BackendNull (%d) initialised a context; it is ma_backend_custom", malgo.BackendNull)
	}
}

// The loopback, the default input and miniaudio's null device pass the backend contract kit on the
// private PulseAudio, through miniaudio's callback and the hand-off ring.
func TestContract(t *testing.T) {
	pulse.Shared(t)
	for _, c := range []struct {
		id string
		a  format.Audio
	}{
		{"malgo:loopback", format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 480}},
		{"malgo:", format.Audio{SampleRate: 44100, Channels: 1, SampleFormat: format.F32, PeriodFrames: 441}},
		{"malgo-null:", format.Audio{SampleRate: 16000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 160}},
	} {
		t.Run(c.id, func(t *testing.T) {
			backendtest.Run(t, c.id, backendtest.WithConfig(backend.Config{Audio: c.a}))
		})
	}
}
