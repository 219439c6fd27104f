package vmtest

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
)

// vivid's controls (drivers/media/test-drivers/vivid/vivid-ctrls.c).
const (
	CtrlBrightness     = 0x00980900
	CtrlInteger64      = 0x0098f903
	CtrlTestPattern    = 0x00f0f000 // 0: 75% colour bars
	CtrlOSDMode        = 0x00f0f001 // 0 all, 1 counters, 2 none
	CtrlTimestampSrc   = 0x00f0f018 // 0 end of frame, 1 start of exposure
	CtrlDropPercent    = 0x00f0f040
	CtrlDisconnect     = 0x00f0f041
	CtrlInjectBufError = 0x00f0f042
	CtrlInjectQBuf     = 0x00f0f044
	CtrlInjectStreamOn = 0x00f0f045
	CtrlInjectFatal    = 0x00f0f046
)

// Bars75 are vivid's 75% colour bars (white, yellow, cyan, green, magenta,
// red, blue, black) as limited-range BT.601 YCbCr; each is 1/8 of the
// width.
var Bars75 = [8][3]int{
	{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
	{84, 184, 198}, {65, 100, 212}, {35, 212, 114}, {16, 128, 128},
}

// BenchVideos are what the capture benchmarks on vivid read: YUYV at
// vivid's fastest rate for the size (460 KB and 1.8 MB frames).
var BenchVideos = []format.Video{
	{Width: 640, Height: 360, PixelFormat: format.YUYV, FrameRate: format.FPS(40)},
	{Width: 1280, Height: 720, PixelFormat: format.YUYV, FrameRate: format.Rational{Num: 25, Den: 2}},
}

// SetCtrl sets control id of node to v through a fresh fd (vivid's
// controls belong to the device, not the fd), failing t on error.
func SetCtrl(t testing.TB, node string, id uint32, v int32) {
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

// YUV returns the Y, U and V samples at (x, y) of a YUYV, NV12, I420 or
// I422 frame.
func YUV(v miniav.VideoView, x, y int) (Y, U, V int) {
	switch v.PixelFormat {
	case format.YUYV:
		p := v.Plane(0)[y*v.Stride(0):]
		return int(p[x*2]), int(p[(x&^1)*2+1]), int(p[(x&^1)*2+3])
	case format.NV12:
		uv := v.Plane(1)[(y/2)*v.Stride(1)+(x&^1):]
		return int(v.Plane(0)[y*v.Stride(0)+x]), int(uv[0]), int(uv[1])
	case format.I420:
		return int(v.Plane(0)[y*v.Stride(0)+x]), int(v.Plane(1)[(y/2)*v.Stride(1)+x/2]), int(v.Plane(2)[(y/2)*v.Stride(2)+x/2])
	case format.I422:
		return int(v.Plane(0)[y*v.Stride(0)+x]), int(v.Plane(1)[y*v.Stride(1)+x/2]), int(v.Plane(2)[y*v.Stride(2)+x/2])
	}
	panic("vmtest.YUV: unsupported format " + v.PixelFormat.String())
}

// CheckBars checks a frame of vivid's 75% colour bars (test pattern 0, OSD
// off) at the centre of each bar on every seventh row, within 2 of Bars75.
// It reports the first four mismatches on t and returns how many there
// were.
func CheckBars(t testing.TB, v miniav.VideoView) int {
	t.Helper()
	bad := 0
	for y := 0; y < v.Height; y += 7 {
		for i, bar := range Bars75 {
			x := (2*i + 1) * v.Width / 16 &^ 1
			Y, U, V := YUV(v, x, y)
			if abs(Y-bar[0]) > 2 || abs(U-bar[1]) > 2 || abs(V-bar[2]) > 2 {
				if bad++; bad < 5 {
					t.Errorf("bar %d at (%d,%d): YUV %d,%d,%d, want %v", i, x, y, Y, U, V, bar)
				}
			}
		}
	}
	return bad
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
