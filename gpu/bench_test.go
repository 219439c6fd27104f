package gpu_test

import (
	"image"
	"testing"

	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu"
	"github.com/miniav-go/miniav/gpu/internal/gputest"
)

// BenchmarkConvert720p compares, per 1280x720 frame, the GPU paths (upload
// of every plane + conversion shader, waited for; no read-back) with the
// core's CPU ToRGBA and a plain copy of the frame's bytes, in one run. On
// lavapipe the "GPU" is the CPU.
func BenchmarkConvert720p(b *testing.B) {
	for _, pf := range []format.PixelFormat{format.NV12, format.I420} {
		s := open(b, gputest.Addr(pf, 1280, 720, 0))
		f := next(b, s)
		b.Run(pf.String()+"/cpu-ToRGBA", func(b *testing.B) {
			dst := image.NewRGBA(image.Rect(0, 0, 1280, 720))
			b.SetBytes(int64(f.Video().Len()))
			for b.Loop() {
				if err := f.Video().ToRGBA(dst); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(pf.String()+"/memcpy", func(b *testing.B) {
			v := f.Video()
			dst := make([]byte, v.Len())
			b.SetBytes(int64(v.Len()))
			for b.Loop() {
				n := 0
				for i := range v.NumPlanes() {
					n += copy(dst[n:], v.Plane(i))
				}
			}
		})
		for _, u := range gputest.Uploaders(b) {
			b.Run(pf.String()+"/gpu-upload+convert/"+modeName(u), func(b *testing.B) {
				b.SetBytes(int64(f.Video().Len()))
				b.ReportAllocs()
				for b.Loop() {
					f.Retain()
					im, err := u.Upload(f)
					if err != nil {
						b.Fatal(err)
					}
					if err := u.Convert(im, gpu.BT601Limited); err != nil {
						b.Fatal(err)
					}
					im.Release()
				}
			})
		}
		f.Release()
	}
}
