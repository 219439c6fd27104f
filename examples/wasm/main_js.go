//go:build js && wasm

// Command wasm shows the browser's camera through miniav: Go receives each
// frame (RGBA, copied once into pooled memory), computes its mean
// luminance and draws it into a canvas. Run it with
//
//	go run ./examples/wasm/serve
//
// and open http://127.0.0.1:8081 in a Chromium-based browser. With
// "?selftest" in the URL it runs the checks the browser test asserts.
package main

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/webmedia"
	"github.com/miniav-go/miniav/format"
)

func main() {
	if strings.Contains(js.Global().Get("location").Get("search").String(), "selftest") {
		selftest()
		return
	}
	status := js.Global().Get("document").Call("getElementById", "status")
	if err := show(context.Background(), status); err != nil {
		status.Set("textContent", "error: "+err.Error())
	}
}

func show(ctx context.Context, status js.Value) error {
	s, err := miniav.Open(ctx, "webmedia:camera", miniav.WithVideo(format.Video{Width: 640, Height: 480, FrameRate: format.FPS(30)}))
	if err != nil {
		return err
	}
	defer s.Close()
	canvas := js.Global().Get("document").Call("getElementById", "view")
	c2d := canvas.Call("getContext", "2d")
	var img, pix js.Value
	w, h := 0, 0
	for f := range s.Frames() {
		v := f.Video()
		fw, fh := v.Width, v.Height
		if fw != w || fh != h { // (re)size the canvas and its ImageData
			w, h = fw, fh
			canvas.Set("width", w)
			canvas.Set("height", h)
			img = c2d.Call("createImageData", w, h)
			pix = img.Get("data")
		}
		luma, seq := meanLuma(v.Plane(0)), f.Sequence()
		js.CopyBytesToJS(pix, v.Plane(0))
		f.Release()
		c2d.Call("putImageData", img, 0, 0)
		status.Set("textContent", fmt.Sprintf("%dx%d frame %d, mean luminance %.1f", w, h, seq, luma))
	}
	return s.Err()
}

// meanLuma is the mean BT.601 luminance of an RGBA image, every 4th pixel.
func meanLuma(p []byte) float64 {
	sum, n := 0, 0
	for i := 0; i+3 < len(p); i += 16 {
		sum += 299*int(p[i]) + 587*int(p[i+1]) + 114*int(p[i+2])
		n++
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n) / 1000
}
