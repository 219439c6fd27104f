package backendtest_test

import (
	"testing"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
)

// A backend's test runs the kit on one of its real devices. Here the
// synthetic camera at 640x480; an X11 test would start Xvfb and pass
// "x11:"+display with NoDeviceTimestamps, an audio test a private
// PulseAudio's "pulse:loopback".
func TestRunTestsrc(t *testing.T) {
	backendtest.Run(t, "testsrc:camera",
		backendtest.WithConfig(backend.Config{Video: format.Video{Width: 640, Height: 480, PixelFormat: format.I420, FrameRate: format.FPS(120)}}),
		backendtest.Frames(4), backendtest.LendsMemory(true))
}
