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
// core's CPU ToRGBA and a plain copy of the frame's bytes, in one run. The
// host-import path uploads nothing: the shader reads the frame's pooled,
// page-aligned buffer in place (imported once, on the first frame) and the
// frame is released after the fence. On lavapipe the "GPU" is the CPU.
func BenchmarkConvert720p(b *testing.B) { benchConvert(b, 1280, 720) }

// BenchmarkConvert1080p is BenchmarkConvert720p at 1920x1080.
func BenchmarkConvert1080p(b *testing.B) { benchConvert(b, 1920, 1080) }

func benchConvert(b *testing.B, w, h int) {
	for _, pf := range []format.PixelFormat{format.NV12, format.I420} {
		s := open(b, gputest.Addr(pf, w, h, 0))
		f := next(b, s)
		b.Run(pf.String()+"/cpu-ToRGBA", func(b *testing.B) {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
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
			// The CPU side of the upload alone (no conversion): the
			// staging paths copy every plane, host import only looks the
			// region up in its cache.
			b.Run(pf.String()+"/gpu-upload/"+modeName(u), func(b *testing.B) {
				b.SetBytes(int64(f.Video().Len()))
				b.ReportAllocs()
				for b.Loop() {
					f.Retain()
					im, err := u.Upload(f)
					if err != nil {
						b.Fatal(err)
					}
					im.Release()
				}
			})
			b.Run(pf.String()+"/gpu-upload+convert/"+modeName(u), func(b *testing.B) {
				b.SetBytes(int64(f.Video().Len()))
				b.ReportAllocs()
				for b.Loop() {
					f.Retain()
					im, err := u.Upload(f)
					if err != nil {
						b.Fatal(err)
					}
					if u.Mode() == gpu.ModeHostImport && im.Mode() != gpu.ModeHostImport {
						b.Fatalf("the frame took %v", im.Mode())
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
