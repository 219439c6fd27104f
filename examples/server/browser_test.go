//go:build !js

package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/chromium"
)

// The preview page, loaded in a real headless Chromium, shows the moving
// test pattern and live counters; closing the browser stops the capture.
func TestPreviewPageInChromium(t *testing.T) {
	_, ts := newTestServer(t, format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bctx, closeBrowser := chromium.Start(t, ctx, chromedp.WindowSize(640, 480))

	// Wait until the stream has painted and the counters have been polled.
	if err := chromedp.Do(bctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById("live").naturalWidth === 320 &&
		Number(document.getElementById("delivered").textContent) > 5`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("page did not show the stream: %v", err)
	}
	open, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#open")))
	if err != nil {
		t.Fatal(err)
	}
	delivered, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#delivered")))
	if err != nil {
		t.Fatal(err)
	}
	if open != "1" {
		t.Errorf("streams open on the page: %q, want 1", open)
	}
	if n, err := strconv.Atoi(delivered); err != nil || n <= 5 {
		t.Errorf("delivered on the page: %q", delivered)
	}

	shot := func() *image.RGBA {
		t.Helper()
		buf, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#live")))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		rgba := image.NewRGBA(img.Bounds())
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				rgba.Set(x, y, img.At(x, y))
			}
		}
		return rgba
	}
	a := shot()
	time.Sleep(300 * time.Millisecond) // let the pattern move on: ~9 frames at 30 fps
	b := shot()

	if a.Bounds().Dx() != 320 || a.Bounds().Dy() != 240 {
		t.Fatalf("screenshot of #live is %v, want 320x240", a.Bounds())
	}
	for i, img := range []*image.RGBA{a, b} {
		if missing := missingBars(img); len(missing) > 0 {
			t.Errorf("screenshot %d: bar colours %v not found", i, missing)
		}
	}
	if d := differing(a, b); d < 320*240/20 {
		t.Errorf("the two screenshots differ in %d pixels: the pattern does not move", d)
	}

	// Closing the browser ends the request, and with it the capture.
	closeBrowser()
	waitIdle(t, ts.URL)
}

// missingBars returns the test-pattern bars whose colour (as JPEG carries
// the camera's YCbCr) appears nowhere in the image's bottom rows.
func missingBars(img *image.RGBA) []int {
	var missing []int
	r := img.Bounds()
	y := r.Max.Y - 20 // below the index stamp
	for bar := range 8 {
		c := testsrc.BarYUV(bar)
		wr, wg, wb := color.YCbCrToRGB(c[0], c[1], c[2])
		run, found := 0, false
		for x := r.Min.X; x < r.Max.X && !found; x++ {
			p := img.RGBAAt(x, y)
			if near(uint32(p.R), wr) && near(uint32(p.G), wg) && near(uint32(p.B), wb) {
				run++
				found = run >= 8 // a stretch of the bar, not a blend at an edge
			} else {
				run = 0
			}
		}
		if !found {
			missing = append(missing, bar)
		}
	}
	return missing
}

func differing(a, b *image.RGBA) int {
	n := 0
	for i := 0; i+3 < len(a.Pix) && i+3 < len(b.Pix); i += 4 {
		if absDiff(a.Pix[i], b.Pix[i])+absDiff(a.Pix[i+1], b.Pix[i+1])+absDiff(a.Pix[i+2], b.Pix[i+2]) > 30 {
			n++
		}
	}
	return n
}

func absDiff(x, y uint8) int {
	if x > y {
		return int(x - y)
	}
	return int(y - x)
}
