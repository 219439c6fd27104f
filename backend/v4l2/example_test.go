package v4l2_test

import (
	"context"
	"fmt"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/v4l2"
	"github.com/miniav-go/miniav/format"
)

// Capture one 640x480 YUYV frame from the first camera. The frame's plane is
// the kernel buffer itself; Release gives it back to the driver.
func Example() {
	ctx := context.Background()
	s, err := miniav.Open(ctx, "v4l2:/dev/video0",
		miniav.WithVideo(format.Video{Width: 640, Height: 480, PixelFormat: format.YUYV, FrameRate: format.FPS(30)}))
	if err != nil {
		fmt.Println(err) // errors.Is(err, miniav.ErrNotFound), ErrNotSupported, ErrBusy, ...
		return
	}
	defer s.Close()
	fmt.Println(s.Info().Video, s.Info().Mode) // what the driver chose, e.g. "640x480@25 YUYV mmap+dmabuf"
	f := <-s.Frames()
	defer f.Release()
	v := f.Video()
	fmt.Println(f.Sequence(), v.Stride(0), len(v.Plane(0)))
}

// Keep capture flowing while the consumer holds frames: when fewer than two
// kernel buffers are left queued, frames are copied into pooled memory.
func Example_copyThreshold() {
	s, err := miniav.Open(context.Background(), "v4l2:/dev/video0",
		miniav.WithBuffers(4), miniav.WithCopyThreshold(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	f := <-s.Frames()
	fmt.Println(f.Copied(), s.Stats().Copied)
	f.Release()
}

// List and set camera controls through the stream.
func Example_controls() {
	ctx := context.Background()
	s, err := miniav.Open(ctx, "v4l2:/dev/video0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	c, err := s.Controls()
	if err != nil {
		fmt.Println(err)
		return
	}
	list, _ := c.Controls(ctx)
	for _, ctl := range list {
		fmt.Printf("%#x %s %s [%d..%d] = %d\n", ctl.ID, ctl.Name, ctl.Type, ctl.Min, ctl.Max, ctl.Value)
	}
	const brightness = 0x00980900 // V4L2_CID_BRIGHTNESS
	if err := c.SetControl(brightness, 160); err == nil {
		v, _ := c.GetControl(brightness)
		fmt.Println("brightness", v)
	}
}
