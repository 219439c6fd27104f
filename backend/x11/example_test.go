package x11_test

import (
	"context"
	"fmt"
	"image"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/x11"
)

// Capture one frame of a 640x480 region of display :0 through MIT-SHM.
func Example() {
	s, err := miniav.Open(context.Background(), "x11::0", miniav.WithRegion(image.Rect(0, 0, 640, 480)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	f := <-s.Frames()
	defer f.Release()
	v := f.Video()
	fmt.Println(s.Info().Mode, v.Width, v.Height, v.Stride(0), len(v.Plane(0)))
}
