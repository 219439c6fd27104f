//go:build js

package webmedia_test

import (
	"syscall/js"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	_ "github.com/miniav-go/miniav/backend/webmedia"
	"github.com/miniav-go/miniav/format"
)

// The browser's camera and microphone pass the backend contract kit (run
// in headless Chromium with its fake devices by TestContractInChromium).
// The backend never waits for a release: a frame that finds the queue
// full is dropped. Every call from JavaScript into a js.FuncOf allocates
// three times in syscall/js and the runtime, once per frame.
func TestContract(t *testing.T) {
	if js.Global().Get("MediaStreamTrackProcessor").IsUndefined() {
		t.Skip("needs a browser with MediaStreamTrackProcessor (TestContractInChromium runs this test in Chromium)")
	}
	opts := []backendtest.Option{backendtest.CannotBlock(), backendtest.AllowAllocs(3), backendtest.Frames(4), backendtest.FrameTimeout(10 * time.Second)}
	t.Run("camera", func(t *testing.T) {
		backendtest.Run(t, "webmedia:camera", append(opts,
			backendtest.WithConfig(backend.Config{Video: format.Video{Width: 320, Height: 240, FrameRate: format.FPS(30)}}))...)
	})
	t.Run("microphone", func(t *testing.T) {
		backendtest.Run(t, "webmedia:microphone", append(opts,
			backendtest.WithConfig(backend.Config{Audio: format.Audio{SampleRate: 48000, Channels: 1, SampleFormat: format.F32}}))...)
	})
}
