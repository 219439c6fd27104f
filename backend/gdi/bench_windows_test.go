package gdi

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/screen" // pion's screen driver (kbinani/screenshot), the baseline
	"github.com/pion/mediadevices/pkg/prop"
	"golang.org/x/sys/windows"

	"github.com/miniav-go/miniav/backend"
)

// processCPU is the process's user + kernel time (GetProcessTimes).
func processCPU(b *testing.B) time.Duration {
	var c, e, k, u windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &c, &e, &k, &u); err != nil {
		b.Fatal(err)
	}
	ft := func(f windows.Filetime) time.Duration {
		return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
	}
	return ft(k) + ft(u)
}

// BenchmarkScreen captures display 0 unpaced, frame after frame, through
// gdi and through pion's screen driver on the same desktop; cpu-ns/frame
// is the process's CPU time per frame (GetProcessTimes, every thread, GC
// included).
func BenchmarkScreen(b *testing.B) {
	needDesktop(b)
	b.Run("gdi", func(b *testing.B) {
		src := open(b, "gdi:display/0", backend.Config{Unpaced: true})
		v := src.Info().Video
		var f backend.Buffer // outside the loop: passed to an interface, it would escape per frame
		read := func() {
			if err := src.Read(context.Background(), &f); err != nil {
				b.Fatal(err)
			}
			f.Releaser.ReleaseBuffer(f.Token)
		}
		read()
		b.ReportAllocs()
		b.ResetTimer()
		c0 := processCPU(b)
		for range b.N {
			read()
		}
		b.ReportMetric(float64(processCPU(b)-c0)/float64(b.N), "cpu-ns/frame")
		b.ReportMetric(float64(v.Width*v.Height), "pixels")
	})
	b.Run("pion", func(b *testing.B) {
		ds := driver.GetManager().Query(driver.FilterDeviceType(driver.Screen))
		var d driver.Driver
		for _, x := range ds {
			if x.Info().Label == "0" {
				d = x
			}
		}
		if d == nil {
			b.Fatalf("pion's screen driver lists no display 0 (%d screens)", len(ds))
		}
		if err := d.Open(); err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		r, err := d.(driver.VideoRecorder).VideoRecord(prop.Media{})
		if err != nil {
			b.Fatal(err)
		}
		var size image.Rectangle
		read := func() {
			img, release, err := r.Read()
			if err != nil {
				b.Fatal(err)
			}
			size = img.Bounds()
			release()
		}
		read()
		b.ReportAllocs()
		b.ResetTimer()
		c0 := processCPU(b)
		for range b.N {
			read()
		}
		b.ReportMetric(float64(processCPU(b)-c0)/float64(b.N), "cpu-ns/frame")
		b.ReportMetric(float64(size.Dx()*size.Dy()), "pixels")
	})
}
