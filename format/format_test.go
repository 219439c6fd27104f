package format

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPlaneLayout(t *testing.T) {
	cases := []struct {
		p      PixelFormat
		planes int
		size   int // 640x480
	}{
		{I420, 3, 460800}, {I422, 3, 614400}, {NV12, 2, 460800}, {NV21, 2, 460800}, {YUYV, 1, 614400}, {UYVY, 1, 614400},
		{RGB24, 1, 921600}, {BGR24, 1, 921600}, {RGBA, 1, 1228800}, {BGRA, 1, 1228800}, {BGRX, 1, 1228800},
		{ARGB, 1, 1228800}, {ABGR, 1, 1228800}, {GRAY8, 1, 307200}, {MJPEG, 1, 0},
	}
	for _, c := range cases {
		if c.p.NumPlanes() != c.planes || c.p.FrameSize(640, 480) != c.size {
			t.Errorf("%v: %d planes, %d bytes; want %d, %d", c.p, c.p.NumPlanes(), c.p.FrameSize(640, 480), c.planes, c.size)
		}
	}
	if bpl, rows := I420.PlaneSize(1, 641, 481); bpl != 321 || rows != 241 {
		t.Errorf("I420 chroma of 641x481: %d x %d", bpl, rows)
	}
	if bpl, rows := I422.PlaneSize(2, 641, 481); bpl != 321 || rows != 481 {
		t.Errorf("I422 chroma of 641x481: %d x %d", bpl, rows)
	}
	if bpl, rows := NV12.PlaneSize(1, 641, 481); bpl != 642 || rows != 241 {
		t.Errorf("NV12 chroma of 641x481: %d x %d", bpl, rows)
	}
	if !MJPEG.Compressed() || I420.Compressed() {
		t.Error("Compressed")
	}
}

func TestFourCC(t *testing.T) {
	if I420.FourCC() != "YU12" || YUYV.String() != "YUYV" || YUY2 != YUYV || BGRX.FourCC() != "XR24" {
		t.Fatal("fourcc values")
	}
	// V4L2 values: V4L2_PIX_FMT_YUYV = 0x56595559, V4L2_PIX_FMT_NV12 = 0x3231564e,
	// V4L2_PIX_FMT_YUV422P = 0x50323234.
	if uint32(YUYV) != 0x56595559 || uint32(NV12) != 0x3231564e || uint32(I422) != 0x50323234 {
		t.Fatalf("YUYV %#x NV12 %#x I422 %#x", uint32(YUYV), uint32(NV12), uint32(I422))
	}
	be := FourCC('Y', '1', '6', ' ') | 1<<31
	if be.String() != "Y16 -BE" || be.Known() {
		t.Fatalf("big-endian fourcc prints %q", be.String())
	}
	for _, s := range []string{"i420", "NV12", "yuy2", "grey", "mjpg", "XR24", "i422", "yuv422p"} {
		if _, err := ParsePixelFormat(s); err != nil {
			t.Errorf("parse %q: %v", s, err)
		}
	}
	if _, err := ParsePixelFormat("nonsense"); err == nil {
		t.Error("parsed nonsense")
	}
}

func TestParseVideo(t *testing.T) {
	cases := map[string]Video{
		"640x480@30 I420":           {640, 480, I420, Rational{30, 1}},
		"1920x1080@30000/1001,nv12": {1920, 1080, NV12, Rational{30000, 1001}},
		"yuyv":                      {PixelFormat: YUYV},
		"@29.97":                    {FrameRate: Rational{2997, 100}},
		"320x180":                   {Width: 320, Height: 180},
	}
	for s, want := range cases {
		got, err := ParseVideo(s)
		if err != nil || got != want {
			t.Errorf("ParseVideo(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"640x@30", "axb@30", "640x480@0", "640x480@x", "nonsense"} {
		if _, err := ParseVideo(s); err == nil {
			t.Errorf("ParseVideo(%q) accepted", s)
		}
	}
	if (Rational{30000, 1001}).Interval() != 33366666*time.Nanosecond {
		t.Error("Interval")
	}
}

func TestParseAudio(t *testing.T) {
	cases := map[string]Audio{
		"48000 2ch f32":             {48000, 2, F32, 0},
		"44.1k mono s16":            {44100, 1, S16, 0},
		"stereo,96khz":              {96000, 2, 0, 0},
		"16000 1ch 160frames s16le": {16000, 1, S16, 160},
	}
	for s, want := range cases {
		got, err := ParseAudio(s)
		if err != nil || got != want {
			t.Errorf("ParseAudio(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"fast", "-5", "100ch"} {
		if _, err := ParseAudio(s); err == nil {
			t.Errorf("ParseAudio(%q) accepted", s)
		}
	}
}

func TestCaps(t *testing.T) {
	c := VideoCaps{PixelFormat: YUYV, Size: SizeRange{16, 1920, 2, 16, 1080, 2}, FrameRates: []Rational{{30, 1}, {60, 1}}}
	if !c.Supports(Video{Width: 640, Height: 480, PixelFormat: YUYV, FrameRate: FPS(30)}) {
		t.Error("640x480@30 YUYV")
	}
	for _, v := range []Video{{Width: 641, Height: 480}, {PixelFormat: NV12}, {FrameRate: FPS(25)}, {Width: 4000, Height: 480}} {
		if c.Supports(v) {
			t.Errorf("supports %v", v)
		}
	}
	r := VideoCaps{PixelFormat: NV12, Size: Discrete(320, 180), MinRate: FPS(1), MaxRate: FPS(60)}
	if !r.Supports(Video{Width: 320, Height: 180, FrameRate: FPS(50)}) || r.Supports(Video{FrameRate: FPS(61)}) {
		t.Error("rate range")
	}
	a := AudioCaps{SampleFormats: []SampleFormat{S16, F32}, MinChannels: 1, MaxChannels: 2, MinRate: 8000, MaxRate: 48000}
	if !a.Supports(Audio{SampleRate: 44100, Channels: 2, SampleFormat: F32}) || a.Supports(Audio{SampleFormat: U8}) || a.Supports(Audio{Channels: 6}) || a.Supports(Audio{SampleRate: 96000}) {
		t.Error("audio caps")
	}
}

// Planes splits a packed frame at the plane boundaries, each view capped.
func TestPlanes(t *testing.T) {
	data := make([]byte, I420.FrameSize(641, 481))
	planes, strides, n := I420.Planes(data, 641, 481)
	if n != 3 || strides != [4]int{641, 321, 321} || len(planes[0]) != 641*481 || len(planes[1]) != 321*241 || len(planes[2]) != 321*241 ||
		cap(planes[0]) != len(planes[0]) || &planes[2][len(planes[2])-1] != &data[len(data)-1] {
		t.Fatalf("I420: %d planes, strides %v, lengths %d %d %d", n, strides, len(planes[0]), len(planes[1]), len(planes[2]))
	}
	if planes, strides, n := NV12.Planes(make([]byte, NV12.FrameSize(5, 3)), 5, 3); n != 2 || strides != [4]int{5, 6} || len(planes[1]) != 12 {
		t.Fatalf("NV12: %d planes, strides %v, chroma %d bytes", n, strides, len(planes[1]))
	}
	if planes, strides, n := MJPEG.Planes(make([]byte, 100), 64, 48); n != 1 || strides[0] != 0 || len(planes[0]) != 100 {
		t.Fatalf("MJPEG: %d planes, strides %v", n, strides)
	}
}
