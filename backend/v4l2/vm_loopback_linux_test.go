//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/jpegdec"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/v4l2"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// loopbackNode is where the tests load v4l2loopback (vivid has 0 and 1).
const loopbackNode = "/dev/video40"

// loopback loads v4l2loopback in the guest for the test and unloads it at
// its end. scripts/vm/exec builds it for the VM's kernel and puts it at
// /modules/v4l2loopback.ko.
func loopback(t *testing.T) {
	t.Helper()
	vmtest.Require(t)
	if why := os.Getenv("MINIAV_VM_LOOPBACK_ERR"); why != "" {
		testenv.Missing(t, "v4l2loopback: %s", why)
	}
	if _, err := os.Stat("/modules/v4l2loopback.ko"); err != nil {
		testenv.Missing(t, "v4l2loopback: %v (scripts/vm/exec builds it)", err)
	}
	if out, err := exec.Command("insmod", "/modules/v4l2loopback.ko", "video_nr=40", "card_label=miniav-loopback", "exclusive_caps=0", "max_buffers=4").CombinedOutput(); err != nil {
		t.Fatalf("insmod v4l2loopback: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("rmmod", "v4l2loopback").CombinedOutput(); err != nil {
			t.Errorf("rmmod v4l2loopback: %v: %s", err, out)
		}
	})
}

// producer is the output side of the loopback device: what an application
// feeding a virtual camera does, writing one JPEG per write.
type producer struct {
	fd int
}

func newProducer(t *testing.T, w, h int) *producer {
	t.Helper()
	fd, err := unix.Open(loopbackNode, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", loopbackNode, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	var f v4l2.Format
	f.Type = v4l2.BufTypeVideoOutput
	p := f.Pix()
	p.Width, p.Height, p.PixelFormat, p.Field = uint32(w), uint32(h), v4l2.PixFmtMJPEG, 1 // V4L2_FIELD_NONE
	if err := v4l2.SetFmt(fd, &f); err != nil {
		t.Fatalf("S_FMT output MJPEG %dx%d: %v", w, h, err)
	}
	if p.PixelFormat != v4l2.PixFmtMJPEG || p.Width != uint32(w) {
		t.Fatalf("the loopback took %dx%d %x", p.Width, p.Height, p.PixelFormat)
	}
	return &producer{fd: fd}
}

func (p *producer) write(t *testing.T, jpeg []byte) {
	t.Helper()
	if n, err := unix.Write(p.fd, jpeg); err != nil || n != len(jpeg) {
		t.Fatalf("write %d bytes to the loopback: %d, %v", len(jpeg), n, err)
	}
}

// loopbackClip is the MJPEG clip in testdata: 24 frames of testsrc's camera
// pattern at 320x240, encoded by ffmpeg as 4:2:2 (what USB webcams send),
// each stamped with its index (testdata/gen-loopback.sh).
func loopbackClip(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/loopback-320x240-422.mjpeg")
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	soi := []byte{0xFF, 0xD8, 0xFF}
	for len(b) > 0 {
		j := bytes.Index(b[3:], soi)
		if j < 0 {
			frames = append(frames, b)
			break
		}
		frames = append(frames, b[:j+3])
		b = b[j+3:]
	}
	if len(frames) != 24 {
		t.Fatalf("clip has %d frames, want 24", len(frames))
	}
	return frames
}

// reference decodes a JPEG with the pure-Go decoder.
func reference(t *testing.T, b []byte) (jpegdec.Header, jpegdec.Planes) {
	t.Helper()
	h, err := jpegdec.ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	p := h.TightPlanes(make([]byte, h.FrameSize()))
	if err := jpegdec.NewPure().Decode(b, h, p); err != nil {
		t.Fatal(err)
	}
	return h, p
}

// A real V4L2 node that produces MJPEG (v4l2loopback, fed a clip encoded
// by ffmpeg): asking for raw I420 at its size decodes by itself; frames
// arrive in order, each once, in the JPEG's 4:2:2 layout, carrying the
// clip's index stamps and pixels within ±2 of a reference decode of the
// same JPEG; a truncated JPEG written in between is dropped and counted as
// an error, and the stream goes on.
func TestVMLoopbackMJPEGDecode(t *testing.T) {
	loopback(t)
	noLeaks(t)
	frames := loopbackClip(t)
	prod := newProducer(t, 320, 240)
	prod.write(t, frames[0]) // the capture side is ready once a frame is there

	for _, c := range []struct {
		name string
		n    int // frames of the clip to send (image/jpeg under TCG and -race is slow)
		opts []miniav.Option
	}{
		{"auto", len(frames), []miniav.Option{miniav.WithVideo(format.Video{Width: 320, Height: 240, PixelFormat: format.I420})}},
		{"pure-go", 8, []miniav.Option{miniav.WithVideo(format.Video{Width: 320, Height: 240, PixelFormat: format.MJPEG}), miniav.WithPureGoDecode()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := miniav.Open(ctx, "v4l2:"+loopbackNode, append(c.opts, miniav.WithPull(), miniav.WithBuffers(4))...)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			info := s.Info()
			if !info.Decode || info.SourceVideo.PixelFormat != format.MJPEG || info.Video.Width != 320 || !strings.Contains(info.Mode, "+decode:") {
				t.Fatalf("info %+v", info)
			}
			t.Logf("mode %s", info.Mode)
			// Lock-step: write frame k, then read it, so that every frame
			// is delivered; frame 4 is preceded by a truncated JPEG.
			got, primed := 0, false
			var lastSeq uint64
			for k := 1; k < c.n; k++ {
				if k == 4 {
					prod.write(t, frames[3][:len(frames[3])/2])
				}
				prod.write(t, frames[k])
				var f miniav.Frame
				var v miniav.VideoView
				var idx uint32
				for {
					if f, err = s.Next(); err != nil {
						t.Fatalf("frame %d: %v", k, err)
					}
					v = f.Video()
					planes, strides := make([][]byte, v.NumPlanes()), make([]int, v.NumPlanes())
					for i := range planes {
						planes[i], strides[i] = v.Plane(i), v.Stride(i)
					}
					var ok bool
					if idx, ok = testsrc.DecodeIndex(v.Video, planes, strides); !ok {
						f.Release()
						t.Fatalf("frame %d: no index stamp in the decoded %v frame", k, v.Video)
					}
					if got == 0 && idx == 0 && !primed {
						// The frame written before Open comes first.
						primed = true
						f.Release()
						continue
					}
					break
				}
				if int(idx) != k || v.PixelFormat != format.I422 || v.Width != 320 || v.Height != 240 {
					f.Release()
					t.Fatalf("frame %d: index %d, %v", k, idx, v.Video)
				}
				if got > 0 && f.Sequence() <= lastSeq {
					t.Errorf("frame %d: sequence %d after %d", k, f.Sequence(), lastSeq)
				}
				lastSeq = f.Sequence()
				h, ref := reference(t, frames[k])
				maxd := 0
				for i := range v.NumPlanes() {
					bpl, rows := h.PlaneDims(i)
					for y := range rows {
						a := v.Plane(i)[y*v.Stride(i):][:bpl]
						b := ref.Data[i][y*ref.Strides[i]:][:bpl]
						for x := range bpl {
							d := int(a[x]) - int(b[x])
							maxd = max(maxd, d, -d)
						}
					}
				}
				f.Release()
				if maxd > 2 {
					t.Errorf("frame %d differs from the reference decode by %d", k, maxd)
				}
				got++
			}
			if got != c.n-1 {
				t.Errorf("%d frames, want %d", got, c.n-1)
			}
			st := s.Stats()
			if st.Dropped[backend.DropError] != 1 {
				t.Errorf("drops %v, want exactly 1 error (the truncated JPEG)", st.Dropped)
			}
			t.Logf("%d frames decoded in order; stats %+v", got, st)
			// The next subtest starts from frame 0 again.
			prod.write(t, frames[0])
		})
	}
}

// The frames pass through undecoded when MJPEG is asked for: each is the
// JPEG written, byte for byte, in the device's own memory.
func TestVMLoopbackMJPEGPassThrough(t *testing.T) {
	loopback(t)
	noLeaks(t)
	frames := loopbackClip(t)
	prod := newProducer(t, 320, 240)
	prod.write(t, frames[0])
	s := open(t, loopbackNode, miniav.WithVideo(format.Video{Width: 320, Height: 240, PixelFormat: format.MJPEG}), miniav.WithPull(), miniav.WithBuffers(4))
	if info := s.Info(); info.Decode || !info.ZeroCopy || info.Video.PixelFormat != format.MJPEG {
		t.Fatalf("info %+v", info)
	}
	for k := 1; k < 6; k++ {
		prod.write(t, frames[k])
		f := next(t, s)
		data := f.Video().Plane(0)
		if k == 1 && bytes.HasPrefix(data, frames[0]) {
			// The frame written before Open comes first, as the whole
			// buffer (v4l2loopback 0.12 does not keep its length).
			f.Release()
			f = next(t, s)
			data = f.Video().Plane(0)
		}
		if !bytes.Equal(data, frames[k]) {
			t.Errorf("frame %d: %d bytes, not the %d written", k, len(data), len(frames[k]))
		}
		f.Release()
	}
}
