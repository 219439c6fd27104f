//go:build cgo && (linux || darwin || windows)

package mediadevices_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend/mediadevices"
)

// ramp is a pion driver of the example's own: 64x48 RGBA frames at 100
// fps whose red channel counts the frames.
type ramp struct{}

func (ramp) Open() error  { return nil }
func (ramp) Close() error { return nil }
func (ramp) Properties() []prop.Media {
	return []prop.Media{{Video: prop.Video{Width: 64, Height: 48, FrameFormat: frame.FormatRGBA, FrameRate: 100}}}
}
func (ramp) VideoRecord(prop.Media) (video.Reader, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	n := 0
	return video.ReaderFunc(func() (image.Image, func(), error) {
		time.Sleep(10 * time.Millisecond)
		for y := range 48 {
			for x := range 64 {
				img.SetRGBA(x, y, color.RGBA{R: uint8(n), G: uint8(x), B: uint8(y), A: 255})
			}
		}
		n++
		return img, func() {}, nil
	}), nil
}

// Any pion driver, pion's own or one a program registers, is a miniav
// device named after its label.
func Example() {
	m := driver.GetManager()
	m.Register(ramp{}, driver.Info{Label: "ramp", DeviceType: driver.Camera})
	defer func() {
		for _, d := range m.Query(func(d driver.Driver) bool { return d.Info().Label == "ramp" }) {
			m.Delete(d.ID())
		}
	}()

	s, err := miniav.Open(context.Background(), mediadevices.Scheme+":ramp")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.Info().Video, s.Info().Mode)
	for f := range s.Frames() {
		v := f.Video()
		px := v.Plane(0)[10*v.Stride(0)+4*20:]
		seq := f.Sequence()
		fmt.Printf("frame %d: %v, pixel (20,10) = RGBA %v\n", seq, v.PixelFormat, px[:4])
		f.Release()
		if seq == 2 {
			break
		}
	}
	// Output:
	// 64x48@100 RGBA pion/mediadevices camera, copied
	// frame 0: RGBA, pixel (20,10) = RGBA [0 20 10 255]
	// frame 1: RGBA, pixel (20,10) = RGBA [1 20 10 255]
	// frame 2: RGBA, pixel (20,10) = RGBA [2 20 10 255]
}

// Rescan has pion enumerate cameras and screens again, for devices that
// appeared after the program started.
func ExampleRescan() {
	if err := mediadevices.Rescan(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rescanned")
	// Output: rescanned
}
