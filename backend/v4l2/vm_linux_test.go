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

// vivid's controls (drivers/media/test-drivers/vivid/vivid-ctrls.c).
const (
	ctrlBrightness     = 0x00980900
	ctrlInteger64      = 0x0098f903
	ctrlTestPattern    = 0x00f0f000
	ctrlOSDMode        = 0x00f0f001 // 0 all, 1 counters, 2 none
	ctrlTimestampSrc   = 0x00f0f018 // 0 end of frame, 1 start of exposure
	ctrlDropPercent    = 0x00f0f040
	ctrlDisconnect     = 0x00f0f041
	ctrlInjectBufError = 0x00f0f042
	ctrlInjectQBuf     = 0x00f0f044
	ctrlInjectStreamOn = 0x00f0f045
	ctrlInjectFatal    = 0x00f0f046
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

// setCtrl sets a control on node through a fresh fd (vivid's controls
// belong to the device, not the fd).
func setCtrl(t *testing.T, node string, id uint32, v int32) {
	t.Helper()
	fd, err := unix.Open(node, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := v4l2.SetCtrl(fd, &v4l2.Control{ID: id, Value: v}); err != nil {
		t.Fatalf("S_CTRL %#x=%d on %s: %v", id, v, node, err)
	}
}

// quiet turns vivid's OSD text off on node for the test, so the whole
// frame is the test pattern.
func quiet(t *testing.T, node string) {
	setCtrl(t, node, ctrlOSDMode, 2)
	setCtrl(t, node, ctrlTestPattern, 0)
	t.Cleanup(func() { setCtrl(t, node, ctrlOSDMode, 0) })
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

// yuv reads the Y, U and V samples at (x, y) of a YUYV, NV12 or I420 frame.
func yuv(v miniav.VideoView, x, y int) (Y, U, V byte) {
	switch v.PixelFormat {
	case format.YUYV:
		p, s := v.Plane(0), v.Stride(0)
		return p[y*s+x*2], p[y*s+(x&^1)*2+1], p[y*s+(x&^1)*2+3]
	case format.NV12:
		uv := v.Plane(1)[(y/2)*v.Stride(1)+(x&^1):]
		return v.Plane(0)[y*v.Stride(0)+x], uv[0], uv[1]
	case format.I420:
		return v.Plane(0)[y*v.Stride(0)+x], v.Plane(1)[(y/2)*v.Stride(1)+x/2], v.Plane(2)[(y/2)*v.Stride(2)+x/2]
	}
	panic("unsupported format " + v.PixelFormat.String())
}

// bars75 are vivid's 75% colour bars (white, yellow, cyan, green, magenta,
// red, blue, black) as limited-range BT.601 YCbCr.
var bars75 = [8][3]int{
	{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
	{84, 184, 198}, {65, 100, 212}, {35, 212, 114}, {16, 128, 128},
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
				bad := 0
				for y := 0; y < 180; y += 7 {
					for i, bar := range bars75 {
						x := (2*i + 1) * 320 / 16 &^ 1
						Y, U, V := yuv(v, x, y)
						if abs(int(Y)-bar[0]) > 2 || abs(int(U)-bar[1]) > 2 || abs(int(V)-bar[2]) > 2 {
							if bad++; bad < 5 {
								t.Errorf("bar %d at (%d,%d): YUV %d,%d,%d, want %v", i, x, y, Y, U, V, bar)
							}
						}
					}
				}
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
