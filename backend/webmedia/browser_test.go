//go:build !js

package webmedia_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/miniav-go/miniav/internal/browsertest"
	"github.com/miniav-go/miniav/internal/chromium"
)

// selftest mirrors the JSON the examples/wasm self-test reports.
type selftest struct {
	Fatal   string
	Devices []string
	Camera  video
	I420    video
	HD      video
	Screen  video
	Mic     struct {
		Info                 string
		Chunks, Frames       int
		Rate, Channels       int
		Seconds, WallSeconds float64
		RMS, Peak, ToneHz    float64
		SeqContiguous        bool
	}
	TooBig, NoDevice                     string
	TooBigNotSupported, NoDeviceNotFound bool
	TracksEnded                          bool
	Lost                                 string
	LostIs                               bool
	Backend                              struct {
		Outstanding         int64
		Frames, Dropped     uint64
		BrowserCopy, GoCopy time.Duration
	}
	Backlog struct {
		SeqGap                uint64
		Overruns, DeviceDrops uint64
		Captured, Delivered   uint64
		OutstandingAfterClose int64
	}
	Mic16 struct {
		Info              string
		Chunks            int
		RMS, Peak, ToneHz float64
	}
	CallbackMallocs float64
	Errors          []string
}

type video struct {
	Info                            string
	Frames, Width, Height, Distinct int
	Planes                          []int
	FPS, DeviceFPS                  float64
	NonUniform, OpaqueAlpha         bool
	SeqIncreasing                   bool
	SeqGaps                         uint64
	MallocsPerFrame, BytesPerFrame  float64
	StreamDelivered                 uint64
	OutstandingAfter                int64
	BrowserCopyMs, GoCopyMs         float64
}

// The examples/wasm program, built for js/wasm and loaded in headless
// Chromium with its fake camera (30 fps), microphone and screen, captures
// through this backend and reports what it saw.
func TestInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	dir := t.TempDir()
	start := time.Now()
	if err := browsertest.Build(ctx, dir, "github.com/miniav-go/miniav/examples/wasm"); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the wasm program in %v", time.Since(start).Round(time.Millisecond))
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	bctx, closeBrowser := chromium.Start(t, ctx,
		chromedp.Flag("use-fake-device-for-media-stream", "fps=30"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
	)
	defer closeBrowser()

	start = time.Now()
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/?selftest")); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`typeof window.miniavResult === "string"`, chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		status, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#status")))
		t.Fatalf("the self-test did not finish: %v (status: %s)", err, status)
	}
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](`window.miniavResult`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("self-test ran in %v: %s", time.Since(start).Round(time.Millisecond), raw)
	var r selftest
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	if r.Fatal != "" || len(r.Errors) > 0 {
		t.Errorf("self-test errors: %s %q", r.Fatal, r.Errors)
	}

	for _, want := range []string{"webmedia:camera", "webmedia:microphone", "webmedia:screen"} {
		if !contains(r.Devices, want) {
			t.Errorf("Devices %q lacks %s", r.Devices, want)
		}
	}

	c := r.Camera
	if c.Width != 640 || c.Height != 480 || !strings.Contains(c.Info, "640x480@30 RGBA") {
		t.Errorf("camera frames %dx%d, info %q; want 640x480@30 RGBA", c.Width, c.Height, c.Info)
	}
	if math.Abs(c.FPS-30) > 3 || math.Abs(c.DeviceFPS-30) > 3 {
		t.Errorf("camera at %.1f fps (device clock %.1f), want ~30", c.FPS, c.DeviceFPS)
	}
	if c.Distinct < c.Frames-1 || !c.NonUniform || !c.OpaqueAlpha {
		t.Errorf("camera pixels: %d distinct of %d frames, non-uniform %v, opaque %v", c.Distinct, c.Frames, c.NonUniform, c.OpaqueAlpha)
	}
	// Sequence order, frames outstanding after Close and allocations per
	// frame are the contract kit's (TestContractInChromium).
	if c.StreamDelivered < uint64(c.Frames) {
		t.Errorf("camera: stream delivered %d of %d frames", c.StreamDelivered, c.Frames)
	}
	if len(c.Planes) != 1 || c.Planes[0] != 640*480*4 {
		t.Errorf("camera planes %v, want one of %d bytes", c.Planes, 640*480*4)
	}

	i := r.I420
	if i.Width != 320 || i.Height != 240 || len(i.Planes) != 3 || i.Planes[0] != 320*240 || i.Planes[1] != 160*120 || i.Planes[2] != 160*120 {
		t.Errorf("I420 frames %dx%d planes %v", i.Width, i.Height, i.Planes)
	}
	if i.Distinct < i.Frames-1 || !i.NonUniform {
		t.Errorf("I420 pixels: %d distinct of %d, non-uniform %v", i.Distinct, i.Frames, i.NonUniform)
	}

	if h := r.HD; h.Width != 1280 || h.Height != 720 || math.Abs(h.FPS-30) > 3 || h.Distinct < h.Frames-1 {
		t.Errorf("1280x720: %d frames of %dx%d at %.1f fps, %d distinct", h.Frames, h.Width, h.Height, h.FPS, h.Distinct)
	}

	if s := r.Screen; s.Frames < 10 || s.Width == 0 || s.Height == 0 || !s.NonUniform {
		t.Errorf("screen: %d frames of %dx%d, non-uniform %v", s.Frames, s.Width, s.Height, s.NonUniform)
	}

	m := r.Mic
	if m.Rate != 48000 || m.Channels != 1 || !strings.Contains(m.Info, "f32") {
		t.Errorf("microphone %d Hz x %d, info %q", m.Rate, m.Channels, m.Info)
	}
	if m.RMS < 0.01 || m.Peak < 0.2 || !m.SeqContiguous {
		t.Errorf("microphone signal RMS %.3f peak %.3f, contiguous %v", m.RMS, m.Peak, m.SeqContiguous)
	}
	if math.Abs(m.ToneHz-400) > 20 { // Chromium's fake microphone beeps a 400 Hz square wave
		t.Errorf("microphone: the beep swings at %.1f Hz, want 400", m.ToneHz)
	}
	if math.Abs(m.WallSeconds-m.Seconds) > 0.5 {
		t.Errorf("microphone: %.2f s of audio in %.2f s", m.Seconds, m.WallSeconds)
	}

	if b := r.Backlog; b.SeqGap < 5 || b.Overruns < b.SeqGap-1 || b.DeviceDrops != 0 || b.OutstandingAfterClose != 0 {
		t.Errorf("stalled Block stream: largest sequence gap %d, overruns %d, device drops %d (want 0: the backend reported the gap), outstanding %d",
			b.SeqGap, b.Overruns, b.DeviceDrops, b.OutstandingAfterClose)
	}
	if m := r.Mic16; !strings.Contains(m.Info, "s16") || m.Chunks != 110 || m.RMS < 0.01 || math.Abs(m.ToneHz-400) > 20 {
		t.Errorf("microphone as s16: %q, %d chunks, RMS %.3f, beep at %.1f Hz", m.Info, m.Chunks, m.RMS, m.ToneHz)
	}

	if !r.TooBigNotSupported || !r.NoDeviceNotFound {
		t.Errorf("impossible requests: %q (want ErrNotSupported), %q (want ErrNotFound)", r.TooBig, r.NoDevice)
	}
	if !r.TracksEnded {
		t.Error("a track was still live after Close")
	}
	if !r.LostIs {
		t.Errorf("stopping the track ended the stream with %q, want ErrDeviceLost", r.Lost)
	}
	t.Logf("per frame (copyTo in the browser + CopyBytesToGo): 640x480 RGBA %.2f + %.2f ms at %.1f fps, 1280x720 RGBA %.2f + %.2f ms at %.1f fps, 320x240 I420 %.2f + %.2f ms; camera steady state %.1f mallocs, %.0f B per frame (an empty js.FuncOf call from JavaScript: %.1f mallocs)",
		c.BrowserCopyMs, c.GoCopyMs, c.FPS, r.HD.BrowserCopyMs, r.HD.GoCopyMs, r.HD.FPS, i.BrowserCopyMs, i.GoCopyMs, c.MallocsPerFrame, c.BytesPerFrame, r.CallbackMallocs)

	// The demo page draws the camera from Go into its canvas.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("loading the demo page: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`/^640x480 frame ([3-9]|\d\d+), mean luminance/.test(document.getElementById("status").textContent)`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		status, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#status")))
		t.Fatalf("the demo page shows no frames: %v (status: %q)", err, status)
	}
	// Distinct colours on the canvas: the camera's pattern, not a blank canvas.
	colours, err := chromedp.Run(bctx, chromedp.Evaluate[int](`(() => {
		const c = document.getElementById("view"), d = c.getContext("2d").getImageData(0, 0, 640, 480).data, s = new Set();
		for (let i = 0; i < d.length; i += 4) s.add(d[i] << 16 | d[i+1] << 8 | d[i+2]);
		return s.size; })()`))
	if err != nil || colours < 8 {
		t.Errorf("the demo canvas has %d colours (%v)", colours, err)
	}
	status, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#status")))
	t.Logf("demo page: %s; %d colours on the canvas", status, colours)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
