package format_test

import (
	"fmt"

	"github.com/miniav-go/miniav/format"
)

func ExampleParseVideo() {
	v, err := format.ParseVideo("1280x720@30000/1001 nv12")
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Width, v.Height, v.PixelFormat, v.FrameRate, v.FrameRate.Interval())
	for i := range v.PixelFormat.NumPlanes() {
		bpl, rows := v.PixelFormat.PlaneSize(i, v.Width, v.Height)
		fmt.Printf("plane %d: %d bytes x %d rows\n", i, bpl, rows)
	}
	fmt.Println(v.PixelFormat.FrameSize(v.Width, v.Height), "bytes per frame")
	// Output:
	// 1280 720 NV12 30000/1001 33.366666ms
	// plane 0: 1280 bytes x 720 rows
	// plane 1: 1280 bytes x 360 rows
	// 1382400 bytes per frame
}

func ExampleParseAudio() {
	a, err := format.ParseAudio("48000 2ch f32")
	if err != nil {
		panic(err)
	}
	fmt.Println(a.SampleRate, a.Channels, a.SampleFormat, a.FrameBytes(), "bytes per sample frame")
	// Output: 48000 2 f32 8 bytes per sample frame
}

func ExampleVideoCaps_Supports() {
	caps := format.VideoCaps{
		PixelFormat: format.YUYV,
		Size:        format.Discrete(1280, 720),
		FrameRates:  []format.Rational{format.FPS(30), format.FPS(60)},
	}
	fmt.Println(caps.Supports(format.Video{Width: 1280, Height: 720, PixelFormat: format.YUYV, FrameRate: format.FPS(30)}))
	fmt.Println(caps.Supports(format.Video{Width: 1920, Height: 1080, PixelFormat: format.YUYV, FrameRate: format.FPS(30)}))
	// Output:
	// true
	// false
}
