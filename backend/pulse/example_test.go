//go:build !js

package pulse_test

import (
	"context"
	"fmt"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/pulse"
	"github.com/miniav-go/miniav/format"
)

// Capture what the machine plays (the monitor of the default sink) as
// 48 kHz stereo float in 10 ms periods, reading the server's socket in
// the calling goroutine: no cgo, no audio thread.
func Example() {
	s, err := miniav.Open(context.Background(), "pulse:loopback", miniav.WithPull(),
		miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 480}))
	if err != nil {
		fmt.Println(err) // errors.Is(err, miniav.ErrNotFound) without a sound server
		return
	}
	defer s.Close()
	for {
		f, err := s.Next()
		if err != nil {
			fmt.Println(err) // miniav.ErrDeviceLost when the server goes away
			return
		}
		a := f.Audio()
		fmt.Println(f.Sequence(), a.Frames(), len(a.Float32s()))
		f.Release()
	}
}
