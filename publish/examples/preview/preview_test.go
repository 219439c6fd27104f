package main

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/chromium"
	"github.com/miniav-go/miniav/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// onlyLoopback reports whether the machine has no interface up but
// loopback: WebRTC in Chromium then cannot send anything off the host.
func onlyLoopback(t *testing.T) bool {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
			return false
		}
	}
	return true
}

// The preview page in headless Chromium plays the WebRTC stream: it decodes
// frames at the source's size, and the index stamped into the test pattern
// advances between two reads of the playing video.
func TestPreviewInChromium(t *testing.T) {
	if !onlyLoopback(t) {
		// Chromium gathers ICE candidates on every interface; the test runs
		// in a network namespace with only loopback (scripts/test.d/publish.sh).
		testenv.Missing(t, "run in a network namespace with only loopback up (unshare -n), as scripts/test.d/publish.sh does")
	}
	const w, h = 640, 360
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rctx, stopServer := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(rctx, []string{"-addr", "127.0.0.1:0", "-device", "testsrc:camera", "-format", "640x360@30 i420", "-bitrate", "3000000"}, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("server: %v", err)
	}
	bctx, closeBrowser := chromium.Start(t, ctx,
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+addr+"/")); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`Number(document.getElementById("frames").textContent) >= 30`,
		chromedp.WithPollingTimeout(45*time.Second))); err != nil {
		state, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#state")))
		t.Fatalf("the page decoded fewer than 30 frames (connection %q): %v", state, err)
	}
	size, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#size")))
	if err != nil || size != "640x360" {
		t.Fatalf("video size %q (%v), want 640x360", size, err)
	}
	index := func() uint32 {
		t.Helper()
		r := testsrc.StampRect(w, h)
		row, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](fmt.Sprintf("lumaRow(%d)", r.Dy()/2)))
		if err != nil {
			t.Fatal(err)
		}
		if len(row) != w {
			t.Fatalf("row of %d pixels", len(row))
		}
		plane := make([]byte, w*h)
		for x, l := range row {
			plane[r.Dy()/2*w+x] = byte(l)
		}
		k, ok := testsrc.DecodeIndex(format.Video{Width: w, Height: h, PixelFormat: format.GRAY8}, [][]byte{plane}, []int{w})
		if !ok {
			t.Fatalf("the frame index stamp is unreadable in the browser's frame: %v", row[:64])
		}
		return k
	}
	a := index()
	time.Sleep(500 * time.Millisecond)
	b := index()
	if b <= a || b-a > 60 {
		t.Fatalf("frame index %d then %d 0.5 s later: the video is not playing live", a, b)
	}
	t.Logf("Chromium decoded frames with indices %d then %d", a, b)
	closeBrowser()
	stopServer()
	if err := <-done; err != nil && err != context.Canceled {
		t.Fatalf("server: %v", err)
	}
}
