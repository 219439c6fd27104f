package jpegdec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/jpegdec"
	"github.com/miniav-go/miniav/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type sample struct {
	name string
	data []byte
}

func corpus(t testing.TB) []sample {
	t.Helper()
	paths, err := filepath.Glob("testdata/corpus/*.jpg")
	if err != nil || len(paths) < 10 {
		t.Fatalf("corpus: %d files, %v (run testdata/gen.sh)", len(paths), err)
	}
	var s []sample
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, sample{filepath.Base(p), b})
	}
	return s
}

func turbo(t testing.TB) *jpegdec.Turbo {
	t.Helper()
	if !jpegdec.HasTurbo {
		t.Skip("skipping: this build has no TurboJPEG (it needs cgo on Linux, macOS or FreeBSD)")
	}
	d, err := jpegdec.NewTurbo()
	if err != nil {
		testenv.Missing(t, "TurboJPEG: %v (apt-get install libturbojpeg0, build with cgo)", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// padded returns planes for h whose strides exceed the plane widths by pad,
// filled with a marker byte, so writes past a row's end can be seen.
func padded(h jpegdec.Header, pad int) jpegdec.Planes {
	var p jpegdec.Planes
	for i := range h.PixelFormat.NumPlanes() {
		bpl, rows := h.PlaneDims(i)
		p.Strides[i] = bpl + pad
		p.Data[i] = make([]byte, p.Strides[i]*rows)
		for j := range p.Data[i] {
			p.Data[i][j] = 0xA5
		}
	}
	return p
}

func TestHeader(t *testing.T) {
	for _, s := range corpus(t) {
		h, err := jpegdec.ParseHeader(s.data)
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		var want format.PixelFormat
		switch {
		case strings.Contains(s.name, "-420-"):
			want = format.I420
		case strings.Contains(s.name, "-422-"):
			want = format.I422
		case strings.Contains(s.name, "-gray-"):
			want = format.GRAY8
		}
		size := strings.TrimSuffix(s.name[strings.LastIndex(s.name, "-")+1:], ".jpg")
		if got := (format.Video{Width: h.Width, Height: h.Height}).String(); h.PixelFormat != want || size != got {
			t.Errorf("%s: header %+v, want %v %s", s.name, h, want, size)
		}
	}
}

// TestAgree decodes every file of the corpus with both decoders into
// padded planes and checks that every sample agrees within ±1 and that
// nothing is written into the padding.
func TestAgree(t *testing.T) {
	tj := turbo(t)
	pure := jpegdec.NewPure()
	for _, s := range corpus(t) {
		h, err := jpegdec.ParseHeader(s.data)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		a, b := padded(h, 7), padded(h, 13)
		if err := tj.Decode(s.data, h, a); err != nil {
			t.Errorf("%s: turbo: %v", s.name, err)
			continue
		}
		if err := pure.Decode(s.data, h, b); err != nil {
			t.Errorf("%s: pure: %v", s.name, err)
			continue
		}
		maxDiff, sum := 0, 0
		for i := range h.PixelFormat.NumPlanes() {
			bpl, rows := h.PixelFormat.PlaneSize(i, h.Width, h.Height)
			room, _ := h.PlaneDims(i)
			for y := range rows {
				ra := a.Data[i][y*a.Strides[i] : (y+1)*a.Strides[i]]
				rb := b.Data[i][y*b.Strides[i] : (y+1)*b.Strides[i]]
				for x := range bpl {
					d := int(ra[x]) - int(rb[x])
					maxDiff = max(maxDiff, d, -d)
					sum += int(ra[x])
				}
				for x := room; x < len(ra); x++ {
					if ra[x] != 0xA5 {
						t.Fatalf("%s: turbo wrote padding of plane %d row %d", s.name, i, y)
					}
				}
				for x := room; x < len(rb); x++ {
					if rb[x] != 0xA5 {
						t.Fatalf("%s: pure wrote padding of plane %d row %d", s.name, i, y)
					}
				}
			}
		}
		if maxDiff > 1 {
			t.Errorf("%s (%v %dx%d): decoders differ by %d", s.name, h.PixelFormat, h.Width, h.Height, maxDiff)
		}
		if sum == 0 {
			t.Errorf("%s: decoded all zeros", s.name)
		}
	}
}

func decoders(t *testing.T) []jpegdec.Decoder {
	return []jpegdec.Decoder{turbo(t), jpegdec.NewPure()}
}

// TestCorrupt feeds truncated, garbage and damaged frames: every one is an
// error matching ErrCorrupt (or ErrUnsupported for a damaged header that
// now names another layout), never a panic.
func TestCorrupt(t *testing.T) {
	s := corpus(t)
	var good []byte
	for _, x := range s {
		if x.name == "ffmpeg-420-320x240.jpg" {
			good = x.data
		}
	}
	h, err := jpegdec.ParseHeader(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":     nil,
		"soi only":  {0xFF, 0xD8},
		"garbage":   []byte(strings.Repeat("not a jpeg ", 100)),
		"no eoi":    good[:len(good)-2],
		"half":      good[:len(good)/2],
		"headers":   good[:700],
		"last byte": good[:len(good)-3],
	}
	for name, b := range cases {
		for _, d := range decoders(t) {
			dst := h.TightPlanes(make([]byte, h.FrameSize()))
			err := d.Decode(b, h, dst)
			if !errors.Is(err, jpegdec.ErrCorrupt) {
				t.Errorf("%s: %s: %v, want ErrCorrupt", d.Mode(), name, err)
			}
		}
		if _, err := jpegdec.ParseHeader(b); err == nil && len(b) < 700 {
			t.Errorf("%s: ParseHeader accepted it", name)
		}
	}
	// Damaged entropy data: a run of bytes overwritten with markers and
	// junk in the middle of the scan. Some damage decodes to a wrong
	// picture without an error (JPEG has no checksum); what must hold is
	// that it never panics and that errors are the package's sentinels.
	for off := 800; off < len(good)-100; off += 997 {
		b := append([]byte(nil), good...)
		copy(b[off:], []byte{0xFF, 0xD9, 0x00, 0xFF, 0xC4, 0x12, 0x34})
		for _, d := range decoders(t) {
			dst := h.TightPlanes(make([]byte, h.FrameSize()))
			if err := d.Decode(b, h, dst); err != nil && !errors.Is(err, jpegdec.ErrCorrupt) && !errors.Is(err, jpegdec.ErrUnsupported) {
				t.Errorf("%s: damage at %d: %v", d.Mode(), off, err)
			}
		}
	}
}

func TestShortPlanes(t *testing.T) {
	b := corpus(t)[0].data
	h, err := jpegdec.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range decoders(t) {
		dst := h.TightPlanes(make([]byte, h.FrameSize()))
		dst.Data[1] = dst.Data[1][:len(dst.Data[1])-1]
		if err := d.Decode(b, h, dst); !errors.Is(err, jpegdec.ErrShortPlanes) {
			t.Errorf("%s: %v, want ErrShortPlanes", d.Mode(), err)
		}
	}
}

func TestUnsupported(t *testing.T) {
	b := append([]byte(nil), corpus(t)[0].data...)
	h, err := jpegdec.ParseHeader(b)
	if err != nil || h.PixelFormat != format.I420 {
		t.Fatalf("%+v %v", h, err)
	}
	// Rewrite the luma sampling factors of the SOF from 2x2 to 1x1: 4:4:4.
	for i := 0; i+12 < len(b); i++ {
		if b[i] == 0xFF && b[i+1] == 0xC0 {
			b[i+11] = 0x11
			break
		}
	}
	if _, err := jpegdec.ParseHeader(b); !errors.Is(err, jpegdec.ErrUnsupported) {
		t.Errorf("4:4:4: %v, want ErrUnsupported", err)
	}
}

// TestTurboAllocs: steady-state turbo decoding allocates nothing.
func TestTurboAllocs(t *testing.T) {
	tj := turbo(t)
	b := corpus(t)[0].data
	h, err := jpegdec.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	dst := h.TightPlanes(make([]byte, h.FrameSize()))
	n := testing.AllocsPerRun(50, func() {
		h, err := jpegdec.ParseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := tj.Decode(b, h, dst); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per decode, want 0", n)
	}
}

func TestNew(t *testing.T) {
	d := jpegdec.New()
	defer d.Close()
	if _, err := jpegdec.NewTurbo(); err == nil && d.Mode() != "turbojpeg" {
		t.Errorf("New chose %s although TurboJPEG loads", d.Mode())
	}
	if m := d.Mode(); m != "turbojpeg" && m != "image/jpeg" {
		t.Errorf("mode %q", m)
	}
}

// FuzzDecode: any input either fails ParseHeader or Decode with a
// sentinel error, or decodes; neither decoder panics.
func FuzzDecode(f *testing.F) {
	for _, s := range corpus(f) {
		f.Add(s.data)
	}
	tj, err := jpegdec.NewTurbo()
	if err == nil {
		defer tj.Close()
	}
	pure := jpegdec.NewPure()
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := jpegdec.ParseHeader(b)
		if err != nil {
			if !errors.Is(err, jpegdec.ErrCorrupt) && !errors.Is(err, jpegdec.ErrUnsupported) {
				t.Fatalf("ParseHeader: %v", err)
			}
			return
		}
		if h.Width*h.Height > 1<<20 {
			return // valid but large: not what the fuzzer is for
		}
		ds := []jpegdec.Decoder{pure}
		if tj != nil {
			ds = append(ds, tj)
		}
		for _, d := range ds {
			dst := h.TightPlanes(make([]byte, h.FrameSize()))
			if err := d.Decode(b, h, dst); err != nil && !errors.Is(err, jpegdec.ErrCorrupt) && !errors.Is(err, jpegdec.ErrUnsupported) {
				t.Fatalf("%s: %v", d.Mode(), err)
			}
		}
	})
}

// BenchmarkDecode decodes a 320x240 4:2:2 frame encoded by ffmpeg with each
// decoder; bench/mjpeg.sh measures HD clips beside ffmpeg and pion.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile("testdata/corpus/ffmpeg-422-320x240.jpg")
	if err != nil {
		b.Fatal(err)
	}
	h, err := jpegdec.ParseHeader(data)
	if err != nil {
		b.Fatal(err)
	}
	dst := h.TightPlanes(make([]byte, h.FrameSize()))
	for _, d := range []jpegdec.Decoder{turbo(b), jpegdec.NewPure()} {
		b.Run(d.Mode(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(h.FrameSize()))
			for b.Loop() {
				if err := d.Decode(data, h, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
