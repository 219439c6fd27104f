// Package audiotest analyses captured audio for tests: the dominant
// frequency of a tone, departures from a sinusoid, a capture helper that
// waits for a tone and returns one contiguous second of it, and the tone
// test every audio backend runs against the test PulseAudio server.
package audiotest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/pulse"
)

// Samples converts a frame's interleaved samples to float64 in [-1, 1].
func Samples(a format.Audio, data []byte, dst []float64) []float64 {
	switch a.SampleFormat {
	case format.S16:
		for i := 0; i+1 < len(data); i += 2 {
			dst = append(dst, float64(int16(binary.LittleEndian.Uint16(data[i:])))/32768)
		}
	case format.F32:
		for i := 0; i+3 < len(data); i += 4 {
			dst = append(dst, float64(math.Float32frombits(binary.LittleEndian.Uint32(data[i:]))))
		}
	}
	return dst
}

// Power is |X(f)|² of x at frequency f (Goertzel).
func Power(x []float64, f float64, rate int) float64 {
	w := 2 * math.Pi * f / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// Dominant finds the frequency in [lo, hi] with the most energy, to 0.02
// Hz, and the fraction of x's energy at that frequency (1 for a pure tone).
func Dominant(x []float64, rate int, lo, hi float64) (freq, frac float64) {
	scan := func(lo, hi, step float64) (best, bestP float64) {
		for f := lo; f <= hi; f += step {
			if p := Power(x, f, rate); p > bestP {
				best, bestP = f, p
			}
		}
		return best, bestP
	}
	f, _ := scan(lo, hi, 0.5)
	f, p := scan(f-0.5, f+0.5, 0.02)
	var e float64
	for _, v := range x {
		e += v * v
	}
	return f, 2 * p / (float64(len(x)) * e)
}

// Glitches lists the first sample indices where x departs from a sinusoid
// of frequency f (x[n+1] = 2cos(w)x[n] - x[n-1]).
func Glitches(x []float64, f float64, rate int) []int {
	c := 2 * math.Cos(2*math.Pi*f/float64(rate))
	var out []int
	for n := 1; n+1 < len(x) && len(out) < 10; n++ {
		if math.Abs(x[n+1]-c*x[n]+x[n-1]) > 0.02 {
			out = append(out, n)
		}
	}
	if len(out) >= 2 && out[len(out)-1]-1 > out[0]+2 { // the RMS between the first and last, in thousandths, as a negative marker
		var e float64
		for _, v := range x[out[0]+2 : out[len(out)-1]-1] {
			e += v * v
		}
		out = append(out, -int(1000*math.Sqrt(e/float64(out[len(out)-1]-out[0]-3))))
	}
	return out
}

// ToneCapture reads from s until the tone is present, then one second of
// contiguous audio, and returns it per channel. A gap the stream counted
// as dropped starts the second again (at most three times); one it did not
// count fails the test.
func ToneCapture(t *testing.T, s *miniav.Stream) [][]float64 {
	t.Helper()
	a := s.Info().Audio
	chans := make([][]float64, a.Channels)
	var buf []float64
	loud, next, got, maxRMS, restarts := false, uint64(0), 0, 0.0, 0
	timeout := time.After(10 * time.Second)
	for {
		var f miniav.Frame
		select {
		case f = <-s.Frames():
		case <-timeout:
			t.Fatalf("no tone within 10 s (loud=%v, %d samples, %d buffers, max RMS %.3f, stats %+v)", loud, len(chans[0]), got, maxRMS, s.Stats())
		}
		if !f.Valid() {
			t.Fatalf("stream ended: %v", s.Err())
		}
		av := f.Audio()
		if av.Frames() != a.PeriodFrames {
			t.Errorf("frame holds %d sample frames, want %d", av.Frames(), a.PeriodFrames)
		}
		buf = Samples(a, av.Data(), buf[:0])
		seq := f.Sequence()
		f.Release()
		got++
		if !loud {
			var e float64
			for _, v := range buf {
				e += v * v
			}
			rms := math.Sqrt(e / float64(len(buf)))
			maxRMS = max(maxRMS, rms)
			loud = rms > 0.2 // the tone's RMS is 0.35
			next = seq + uint64(av.Frames())
			continue // the onset buffer may be partly silent
		}
		if seq != next {
			// A gap the source counted as dropped (the daemon or this
			// reader starved of CPU on a loaded machine) starts the
			// second again after it, up to three times; a gap nothing
			// counted is audio lost silently.
			st := s.Stats()
			if st.Dropped.Total() == 0 || restarts == 3 {
				t.Fatalf("sequence %d, want %d: a gap inside the analysed second (after %d restarts; stats %+v)", seq, next, restarts, st)
			}
			restarts++
			t.Logf("sequence %d, want %d: a gap of %d sample frames, counted as dropped (%v); the second starts again", seq, next, seq-next, st.Dropped)
			for c := range chans {
				chans[c] = chans[c][:0]
			}
		}
		next = seq + uint64(av.Frames())
		for i, v := range buf {
			chans[i%a.Channels] = append(chans[i%a.Channels], v)
		}
		if len(chans[0]) >= a.SampleRate {
			for c := range chans {
				chans[c] = chans[c][:a.SampleRate]
			}
			return chans
		}
	}
}

// ToneCase is one capture of a ToneTest: a device, the kind it must report
// and the format to ask for.
type ToneCase struct {
	ID    string
	Kind  backend.Kind
	Audio format.Audio
}

// FormatMatrix is id captured in S16 and F32, mono and stereo, at 48 kHz
// (the server's rate) and 44.1 kHz (resampled).
func FormatMatrix(id string, kind backend.Kind) []ToneCase {
	var cases []ToneCase
	for _, sf := range []format.SampleFormat{format.S16, format.F32} {
		for _, ch := range []int{1, 2} {
			for _, rate := range []int{48000, 44100} {
				cases = append(cases, ToneCase{id, kind, format.Audio{SampleRate: rate, Channels: ch, SampleFormat: sf}})
			}
		}
	}
	return cases
}

// ToneTest plays a 440 Hz tone into both sinks of the test server srv and
// captures it from every case, four at a time (more starve the daemon on
// two cores under -race): the stream's Info must report the asked format
// (a 10 ms period when none was asked), the case's kind and a Mode
// containing mode, and every channel's dominant frequency must be 440±1 Hz
// with at least 90% of the energy, over one contiguous second.
func ToneTest(t *testing.T, srv *pulse.Server, mode string, cases []ToneCase) {
	t.Helper()
	wav := pulse.ToneWAV(t, 440, pulse.Rate, 2, 60*time.Second, 0.5) // outlasts the captures on a loaded machine; stopped at cleanup
	for _, sink := range []string{pulse.Sink, pulse.MicSink} {
		if err := srv.Play(sink, wav); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(srv.StopPlaying)
	sem := make(chan struct{}, 4)
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v", c.ID, c.Audio), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := miniav.Open(context.Background(), c.ID, miniav.WithAudio(c.Audio), miniav.WithPolicy(miniav.Block), miniav.WithQueue(16))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			info := s.Info()
			want := c.Audio
			if want.PeriodFrames == 0 {
				want.PeriodFrames = want.SampleRate / 100
			}
			if info.Audio != want || info.Kind != c.Kind || !strings.Contains(info.Mode, mode) {
				t.Fatalf("Info = %+v, want audio %v, kind %v, mode with %q", info, want, c.Kind, mode)
			}
			chans := ToneCapture(t, s)
			s.Close() // before the analysis, which would starve the other captures
			for ch, x := range chans {
				f, frac := Dominant(x, c.Audio.SampleRate, 100, 2000)
				if math.Abs(f-440) > 1 || frac < 0.9 {
					t.Errorf("channel %d: dominant %.2f Hz holding %.0f%% of the energy, want 440±1 Hz, ≥90%%; glitches at %v", ch, f, frac*100, Glitches(x, 440, c.Audio.SampleRate))
				} else {
					t.Logf("channel %d: %.2f Hz, %.1f%% of the energy", ch, f, frac*100)
				}
			}
		})
	}
}
