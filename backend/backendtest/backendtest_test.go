package backendtest_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The kit passes on the synthetic source, paced and unpaced, video and
// audio.
func TestTestsrc(t *testing.T) {
	if testing.Short() {
		t.Skip("the kit's own run on testsrc is in backend/testsrc's tests too")
	}
	for _, c := range []struct {
		id  string
		cfg backend.Config
	}{
		{"testsrc:camera", backend.Config{Video: format.Video{Width: 320, Height: 240, PixelFormat: format.NV12, FrameRate: format.FPS(200)}}},
		{"testsrc:screen?static=1", backend.Config{Video: format.Video{Width: 640, Height: 360}, Unpaced: true}},
		{"testsrc:microphone", backend.Config{Audio: format.Audio{SampleRate: 48000, Channels: 2, SampleFormat: format.F32, PeriodFrames: 240}}},
	} {
		t.Run(c.id, func(t *testing.T) {
			backendtest.Run(t, c.id, backendtest.WithConfig(c.cfg), backendtest.FrameTimeout(2*time.Second))
		})
	}
}
