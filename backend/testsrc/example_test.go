package testsrc_test

import (
	"context"
	"fmt"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
)

// Every frame carries its index in its pixels, so a test can tell which
// frames it got and in which order, and the bars have known colours.
func Example() {
	v := format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)}
	s, err := miniav.Open(context.Background(), "testsrc:camera", miniav.WithVideo(v), miniav.WithPolicy(miniav.Block))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for range 3 {
		f := <-s.Frames()
		vv := f.Video()
		planes := [][]byte{vv.Plane(0), vv.Plane(1), vv.Plane(2)}
		strides := []int{vv.Stride(0), vv.Stride(1), vv.Stride(2)}
		k, _ := testsrc.DecodeIndex(vv.Video, planes, strides)
		bar := testsrc.BarAt(10, v.Width, uint64(k)) // the bar under x=10 in frame k
		fmt.Println(k, f.Sequence(), vv.Plane(0)[200*vv.Stride(0)+10] == testsrc.BarYUV(bar)[0])
		f.Release()
	}
	// Output:
	// 0 0 true
	// 1 1 true
	// 2 2 true
}
