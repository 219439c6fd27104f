//go:build cgo

package malgo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/audiotest"
	"github.com/miniav-go/miniav/internal/testenv"
)

// These tests run as a Windows binary under Wine (scripts/test.d/wine.sh):
// miniaudio's WASAPI backend, through Wine's winepulse, reaches a private
// PulseAudio on the Linux side into whose null sink "winesink" the step
// loops a tone of MINIAV_WINE_TONE Hz.

// wineTone returns the tone's frequency, or skips (fails under CI).
func wineTone(t *testing.T) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(os.Getenv("MINIAV_WINE_TONE"), 64)
	if err != nil {
		testenv.Missing(t, "no tone plays into the default output (MINIAV_WINE_TONE; scripts/test.d/wine.sh plays one)")
	}
	return f
}

// monitorID is the ID of WASAPI's capture endpoint for winesink's monitor.
func monitorID(t *testing.T) string {
	t.Helper()
	devs, err := Backend{name: Name}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range devs {
		if d.Backend == Name {
			names = append(names, d.ID+" "+strconv.Quote(d.Name))
			if d.Name == "Monitor of WineSink" {
				return d.ID
			}
		}
	}
	t.Fatalf("no WASAPI capture device named \"Monitor of WineSink\" among %v", names)
	return ""
}

func checkTone(t *testing.T, s *miniav.Stream, tone float64) {
	t.Helper()
	a := s.Info().Audio
	for c, x := range audiotest.ToneCapture(t, s) {
		f, frac := audiotest.Dominant(x, a.SampleRate, 100, 4000)
		t.Logf("channel %d: %.2f Hz, %.3f of the power", c, f, frac)
		if math.Abs(f-tone) > 1 || frac < 0.9 {
			t.Errorf("channel %d: dominant %.2f Hz with %.3f of the power, want %.0f ± 1 Hz and ≥ 0.9", c, f, frac, tone)
		}
	}
}

// The tone comes out of WASAPI capture at its frequency, in several
// formats (miniaudio converts), with no gap in sequence numbers.
func TestWASAPITone(t *testing.T) {
	tone := wineTone(t)
	id := monitorID(t)
	for _, a := range []format.Audio{
		{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 480},
		{SampleRate: 44100, Channels: 1, SampleFormat: format.S16, PeriodFrames: 441},
	} {
		t.Run(fmt.Sprintf("%s/%v", id, a), func(t *testing.T) {
			s, err := miniav.Open(context.Background(), id, miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithQueue(32))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.Info().Audio; got != a {
				t.Fatalf("Info().Audio = %v, want %v", got, a)
			}
			if !strings.Contains(s.Info().Mode, "wasapi") {
				t.Errorf("Info().Mode = %q, want miniaudio's wasapi backend", s.Info().Mode)
			}
			checkTone(t, s, tone)
		})
	}
}

// WASAPI capture passes the contract kit, as every backend must.
func TestWASAPIContract(t *testing.T) {
	wineTone(t)
	backendtest.Run(t, monitorID(t), backendtest.WithConfig(backend.Config{
		Audio: format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 480},
	}))
}

// Three seconds of WASAPI capture arrive with contiguous sequence numbers
// and device timestamps that follow them.
func TestWASAPIContinuity(t *testing.T) {
	wineTone(t)
	a := format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 960}
	s, err := miniav.Open(context.Background(), monitorID(t), miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithQueue(32))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var next uint64
	n := 0
	for f := range s.Frames() {
		seq, dts := f.Sequence(), f.DeviceTimestamp()
		f.Release()
		if n > 0 && seq != next {
			t.Fatalf("buffer %d: sequence %d, want %d (stats %+v)", n, seq, next, s.Stats())
		}
		if want := time.Duration(seq) * time.Second / 48000; dts != want {
			t.Fatalf("device timestamp %v at sequence %d, want %v", dts, seq, want)
		}
		next = seq + uint64(a.PeriodFrames)
		if n++; next >= 3*48000 {
			break
		}
	}
	if st := s.Stats(); st.Dropped.Total() != 0 {
		t.Fatalf("stats %+v after %d buffers", st, n)
	}
}

// A stalled consumer: the periods WASAPI delivered meanwhile are counted
// as overruns and appear as one sequence gap of exactly those frames.
func TestWASAPIOverrun(t *testing.T) {
	wineTone(t)
	id := monitorID(t)
	for _, pull := range []bool{false, true} {
		t.Run(fmt.Sprintf("pull=%v", pull), func(t *testing.T) { testOverrun(t, id, pull) })
	}
}

// Loopback capture of the default output. Wine 8's WASAPI grants a
// loopback IAudioClient but refuses its capture service
// (AUDCLNT_E_WRONG_ENDPOINT_TYPE at GetService, shown by
// scripts/wine/wasapi-loopback.c, which the step runs first and reports in
// MINIAV_WINE_LOOPBACK): there the open must fail with ErrNotSupported, not
// the ErrNotFound of a device that does not exist. Where the platform has
// loopback, the tone must come out of it.
func TestWASAPILoopback(t *testing.T) {
	tone := wineTone(t)
	probe := os.Getenv("MINIAV_WINE_LOOPBACK")
	if probe == "" {
		testenv.Missing(t, "no result of scripts/wine/wasapi-loopback.c (MINIAV_WINE_LOOPBACK)")
	}
	a := format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 480}
	for _, id := range []string{"malgo:loopback", "malgo:loopback/" + loopbackOf(t, "WineSink")} {
		t.Run(id, func(t *testing.T) {
			s, err := miniav.Open(context.Background(), id, miniav.WithAudio(a), miniav.WithPolicy(miniav.Block), miniav.WithQueue(32))
			if strings.HasPrefix(probe, "unsupported") {
				if err == nil {
					s.Close()
					t.Fatalf("Open succeeded although WASAPI refuses loopback here (%s)", probe)
				}
				if !errors.Is(err, miniav.ErrNotSupported) || errors.Is(err, miniav.ErrNotFound) {
					t.Fatalf("Open: %v; want ErrNotSupported (the platform refuses loopback: %s)", err, probe)
				}
				t.Logf("as the probe found (%s): %v", probe, err)
				return
			}
			if err != nil {
				t.Fatalf("Open: %v (the probe found %s)", err, probe)
			}
			defer s.Close()
			checkTone(t, s, tone)
		})
	}
}

// loopbackOf is the address of the loopback device of the output named name.
func loopbackOf(t *testing.T, name string) string {
	t.Helper()
	devs, err := Backend{name: Name}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Backend == Name && d.Name == "Loopback of "+name {
			return strings.TrimPrefix(d.ID, "malgo:loopback/")
		}
	}
	t.Fatalf("no device named %q", "Loopback of "+name)
	return ""
}

// The audio server killed mid-capture ends the stream with ErrDeviceLost.
// The step's control directory (MINIAV_WINE_CONTROL) has a watcher on the
// Linux side that SIGKILLs PulseAudio when a file named kill-pulse appears,
// and starts it again once this test removes the file.
func TestWASAPIServerKilled(t *testing.T) {
	wineTone(t)
	ctl := os.Getenv("MINIAV_WINE_CONTROL")
	if ctl == "" {
		testenv.Missing(t, "no way to kill the audio server (MINIAV_WINE_CONTROL; scripts/test.d/wine.sh)")
	}
	s, err := miniav.Open(context.Background(), monitorID(t), miniav.WithAudio(stereo48))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	held, n := []miniav.Frame{}, 0
	for f := range s.Frames() {
		if len(held) < 3 {
			held = append(held, f)
		} else {
			f.Release()
		}
		if n++; n == 50 {
			break
		}
	}
	flag := filepath.Join(ctl, "kill-pulse")
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Remove(flag); err != nil {
			t.Errorf("restarting the audio server: %v", err)
		}
		waitFor(t, filepath.Join(ctl, "pulse-up"), 15*time.Second)
	}()
	lostAfter := drainUntilEnd(t, s, 20*time.Second)
	if err := s.Err(); !errors.Is(err, miniav.ErrDeviceLost) {
		t.Fatalf("Err() = %v, want ErrDeviceLost", err)
	}
	t.Logf("ended %v after the kill: %v", lostAfter.Round(time.Millisecond), s.Err())
	for _, f := range held {
		f.Release()
	}
	if st := s.Stats(); st.Outstanding != 0 {
		t.Fatalf("outstanding frames %d after releasing everything", st.Outstanding)
	}
}

func waitFor(t *testing.T, path string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear within %v", path, d)
}
