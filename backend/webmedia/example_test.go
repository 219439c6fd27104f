package webmedia_test

import (
	"context"
	"fmt"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/webmedia"
	"github.com/miniav-go/miniav/format"
)

// In a program built with GOOS=js GOARCH=wasm and loaded by a page served
// from a secure origin, the browser's camera is one more device. Run this
// from a goroutine (main is one), never from a js.FuncOf callback.
func Example() {
	ctx := context.Background()
	s, err := miniav.Open(ctx, "webmedia:camera", miniav.WithVideo(format.Video{Width: 640, Height: 480, FrameRate: format.FPS(30)}))
	if err != nil {
		fmt.Println(err) // errors.Is(err, miniav.ErrPermissionDenied) when the user said no
		return
	}
	defer s.Close()
	for f := range s.Frames() {
		rgba := f.Video().Plane(0) // width*4 bytes per row, copied once from the browser
		_ = rgba
		f.Release()
	}
}
