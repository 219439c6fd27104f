//go:build unix

package pulse

import (
	"context"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/proccpu"
	daemon "github.com/miniav-go/miniav/internal/pulse"
)

// BenchmarkCapture reads 10 ms periods of 48 kHz stereo s16 from the test
// server's monitor: this process's CPU per period (cpu-ns/frame) and
// allocations. Periods come at the server's pace, so ns/op is 10 ms; the
// CPU is the figure (bench/audio.sh compares it with parec's, each in a
// process of its own).
//
//	go test -run '^$' -bench Capture -benchtime 500x ./backend/pulse
func BenchmarkCapture(b *testing.B) {
	daemon.Shared(b)
	a := format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.S16, PeriodFrames: 480}
	for _, pull := range []bool{true, false} {
		name := "channel"
		opts := []miniav.Option{miniav.WithAudio(a), miniav.WithPolicy(miniav.Block)}
		if pull {
			name = "pull"
			opts = append(opts, miniav.WithPull())
		}
		b.Run(name, func(b *testing.B) {
			s, err := miniav.Open(context.Background(), "pulse:loopback", opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for range 20 { // past the start-up
				f, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				f.Release()
			}
			var m proccpu.Meter
			m.Start(b)
			for b.Loop() {
				f, err := s.Next()
				if err != nil {
					b.Fatal(err)
				}
				f.Release()
			}
			m.Stop(b, b.N) // one copy per period: socket buffer to the pooled buffer
		})
	}
}
