//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
	"github.com/miniav-go/miniav/internal/vmtest"
)

var (
	single = vmtest.SinglePlanarNode
	multi  = vmtest.MultiPlanarNode
	small  = format.Video{Width: 320, Height: 180, PixelFormat: format.YUYV, FrameRate: format.FPS(60)}
)

// resources counts the process's open fds and its mappings of V4L2 nodes.
func resources(t *testing.T) (fds, maps int) {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "/dev/video") || strings.Contains(sc.Text(), "dmabuf") {
			maps++
		}
	}
	return len(ents), maps
}

// noLeaks fails t at its end if fds or device mappings were left behind.
func noLeaks(t *testing.T) {
	t.Helper()
	fds, maps := resources(t)
	t.Cleanup(func() {
		if f, m := resources(t); f != fds || m != maps {
			t.Errorf("leaked: %d fds and %d device mappings before, %d and %d after", fds, maps, f, m)
		}
	})
}

// open opens a stream and closes it at the end of the test, checking that
// every frame was released.
func open(t *testing.T, node string, opts ...miniav.Option) *miniav.Stream {
	t.Helper()
	s, err := miniav.Open(context.Background(), "v4l2:"+node, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", node, err)
	}
	t.Cleanup(func() {
		s.Close()
		if st := s.Stats(); st.Outstanding != 0 {
			t.Errorf("%d frames outstanding after Close", st.Outstanding)
		}
	})
	return s
}

// next receives a frame or fails.
func next(t testing.TB, s *miniav.Stream) miniav.Frame {
	t.Helper()
	f, err := s.Next()
	if err != nil {
		t.Fatalf("stream ended: %v", err)
	}
	return f
}

// quiet turns vivid's OSD text off on node for the test, so the whole
// frame is the test pattern.
func quiet(t *testing.T, node string) {
	vmtest.SetCtrl(t, node, vmtest.CtrlOSDMode, 2)
	vmtest.SetCtrl(t, node, vmtest.CtrlTestPattern, 0)
	t.Cleanup(func() { vmtest.SetCtrl(t, node, vmtest.CtrlOSDMode, 0) })
}

func TestVMDevices(t *testing.T) {
	vmtest.Require(t)
	devs, err := Backend{}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]backend.Device{}
	for _, d := range devs {
		byID[d.ID] = d
	}
	for node, api := range map[string]string{single: "single-planar", multi: "multi-planar"} {
		d, ok := byID["v4l2:"+node]
		if !ok {
			t.Fatalf("%s not listed in %v", node, devs)
		}
		if d.Name != "vivid" || d.Kind != backend.KindCamera || d.Backend != "v4l2" ||
			d.Attrs["driver"] != "vivid" || d.Attrs["api"] != api || !strings.HasPrefix(d.Attrs["bus_info"], "platform:vivid-") {
			t.Errorf("%s: %+v", node, d)
		}
		rates := map[format.SizeRange]format.Rational{}
		for _, c := range d.Video {
			if c.PixelFormat == format.YUYV && len(c.FrameRates) > 0 {
				rates[c.Size] = c.FrameRates[len(c.FrameRates)-1]
			}
		}
		// vivid's webcam input: discrete sizes, the fastest rate shrinking with the size
		for sz, want := range map[format.SizeRange]format.Rational{
			format.Discrete(320, 180):  format.FPS(60),
			format.Discrete(640, 480):  format.FPS(25),
			format.Discrete(1280, 720): {Num: 25, Den: 2},
		} {
			if got := rates[sz]; got != want {
				t.Errorf("%s: YUYV %v fastest rate %v, want %v", node, sz, got, want)
			}
		}
		want := []format.PixelFormat{format.YUYV, format.NV12, format.I420, format.GRAY8, format.RGB24}
		for _, pf := range want {
			found := false
			for _, c := range d.Video {
				found = found || c.PixelFormat == pf
			}
			if !found {
				t.Errorf("%s does not list %s", node, pf)
			}
		}
	}
}

// Capture through every memory layout and check the pixels against the
// test pattern at the centre of each of the eight bars, on every row.
func TestVMCapturePattern(t *testing.T) {
	vmtest.Require(t)
	for _, c := range []struct {
		name   string
		node   string
		pf     format.PixelFormat
		want   format.PixelFormat
		planes int
		mode   string
	}{
		{"YUYV", single, format.YUYV, format.YUYV, 1, "mmap+dmabuf"},
		{"NV12", single, format.NV12, format.NV12, 2, "mmap+dmabuf"},
		{"I420", single, format.I420, format.I420, 3, "mmap+dmabuf"},
		{"mplane YUYV", multi, format.YUYV, format.YUYV, 1, "mmap-mplane+dmabuf"},
		{"mplane NV12M", multi, format.FourCC('N', 'M', '1', '2'), format.NV12, 2, "mmap-mplane+dmabuf"},
		{"mplane YUV420M", multi, format.FourCC('Y', 'M', '1', '2'), format.I420, 3, "mmap-mplane+dmabuf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			noLeaks(t)
			quiet(t, c.node)
			want := small
			want.PixelFormat = c.pf
			s := open(t, c.node, miniav.WithVideo(want))
			info := s.Info()
			if info.Video != (format.Video{Width: 320, Height: 180, PixelFormat: c.want, FrameRate: format.FPS(60)}) ||
				!info.ZeroCopy || info.Mode != c.mode {
				t.Fatalf("Info = %+v", info)
			}
			for range 3 {
				f := next(t, s)
				v := f.Video()
				if v.NumPlanes() != c.planes || v.Width != 320 || v.Height != 180 || f.Copied() {
					t.Fatalf("frame: %d planes, %dx%d, copied %v", v.NumPlanes(), v.Width, v.Height, f.Copied())
				}
				vmtest.CheckBars(t, v)
				f.Release()
			}
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// vivid's HDMI input (input 3) has stepwise frame sizes: listed as one
// SizeRange.
func TestVMStepwiseSizes(t *testing.T) {
	vmtest.Require(t)
	noLeaks(t)
	fd, err := unix.Open(single, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := v4l2.SetInput(fd, 3); err != nil {
		t.Fatal(err)
	}
	defer v4l2.SetInput(fd, 0)
	if i, err := v4l2.GetInput(fd); i != 3 || err != nil {
		t.Fatalf("input %d, %v", i, err)
	}
	d, err := describe(single)
	if err != nil {
		t.Fatal(err)
	}
	want := format.SizeRange{MinWidth: 16, MaxWidth: 16384, StepWidth: 2, MinHeight: 16, MaxHeight: 8640, StepHeight: 2}
	for _, c := range d.Video {
		if c.PixelFormat == format.YUYV {
			if c.Size != want || !c.Supports(format.Video{Width: 1000, Height: 500}) || c.Supports(format.Video{Width: 1001, Height: 500}) {
				t.Errorf("HDMI input YUYV: %v, want sizes %v", c, want)
			}
			return
		}
	}
	t.Errorf("no YUYV on the HDMI input: %v", d.Video)
}

// gap is how many sequence numbers are missing between prev and cur, as
// the stream counts them. (vivid's capture thread numbers frames from
// jiffies and, on a slow TCG guest, occasionally repeats a number.)
func gap(prev, cur uint64) uint64 {
	if cur > prev+1 {
		return cur - prev - 1
	}
	return 0
}
