//go:build cgo && !js

package malgo_test

import (
	"context"
	"fmt"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/malgo"
	"github.com/miniav-go/miniav/format"
)

// Capture what the default output plays (the monitor of the default
// PulseAudio sink, or WASAPI loopback on Windows) as 48 kHz stereo float.
func Example() {
	s, err := miniav.Open(context.Background(), "malgo:loopback",
		miniav.WithAudio(format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for f := range s.Frames() {
		a := f.Audio()
		fmt.Println(f.Sequence(), a.Frames(), len(a.Float32s()))
		f.Release()
	}
}

// miniaudio's null backend delivers real-time silence and needs no sound
// server or hardware.
func Example_null() {
	s, err := miniav.Open(context.Background(), "malgo-null:",
		miniav.WithAudio(format.Audio{SampleRate: 16000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 160}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	f := <-s.Frames()
	defer f.Release()
	fmt.Println(s.Info().Audio, f.Sequence(), f.Audio().Frames(), f.Audio().Int16s()[0])
	// Output: 16000Hz 1ch s16 160frames 0 160 0
}
