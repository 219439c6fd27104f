package gpu_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu"
	"github.com/miniav-go/miniav/gpu/internal/gputest"
	"github.com/miniav-go/miniav/internal/testenv"
)

// hostFrame runs one frame through the host-import uploader u and checks
// it: the frame took the host-import path when its memory is page-aligned
// (and the staging path when not), the frame is still held after Upload
// and released exactly once by Convert, the converted pixels equal want
// (read back, and in place through Pixels). It returns the region's ID.
func hostFrame(t *testing.T, u *gpu.Uploader, addr string, f miniav.Frame, cs gpu.ColorSpace, want []byte) uint64 {
	t.Helper()
	m := f.Memory()
	if m == nil {
		t.Fatal("frame has no Memory")
	}
	id, aligned := m.ID(), m.PageAligned()
	var before int64
	if addr != "" {
		before = gputest.Released(addr)
	}
	im, err := u.Upload(f)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Release()
	if aligned != (im.Mode() == gpu.ModeHostImport) {
		t.Fatalf("%v, %d-byte region aligned %v: took %v", f.Video().PixelFormat, len(m.Bytes()), aligned, im.Mode())
	}
	if im.Mode() == gpu.ModeHostImport {
		if im.Buffer() != nil {
			t.Error("a host-import image has a WebGPU buffer")
		}
		if addr != "" && gputest.Released(addr) != before {
			t.Fatal("the frame was released at Upload, before the GPU read it")
		}
	}
	if err := u.Convert(im, cs); err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		if n := gputest.Released(addr) - before; n != 1 {
			t.Fatalf("%d releases after Convert, want 1", n)
		}
	}
	got := make([]byte, len(want))
	if err := u.Read(im, got); err != nil {
		t.Fatal(err)
	}
	if d := diff(got, want); d != "" {
		t.Errorf("%v %v via %v: %s", f.Video().PixelFormat, cs, im.Mode(), d)
	}
	if im.Mode() == gpu.ModeHostImport && !bytes.Equal(im.Pixels(), got) {
		t.Error("Pixels differ from what Read copied")
	}
	return id
}

// Every format, every colour space, tight and padded strides, through the
// host-import path: bit-exact with the CPU reference (and the core's
// ToRGBA), each pooled region imported once (imports == distinct regions,
// every other frame a cache hit), and the imports torn down when the
// stream's pool frees the regions at Close.
func TestHostImportFormats(t *testing.T) {
	u := gputest.HostUploader(t)
	for _, sz := range [][2]int{{70, 46}, {256, 144}} {
		w, h := sz[0], sz[1]
		want := make([]byte, 4*w*h)
		for _, pf := range allFormats {
			for _, pad := range []int{0, 13} {
				addr := gputest.Addr(pf, w, h, pad)
				s, err := miniav.Open(context.Background(), addr, miniav.WithPolicy(miniav.Block), miniav.WithUnpaced())
				if err != nil {
					t.Fatal(err)
				}
				st := u.HostStats()
				ids := map[uint64]bool{}
				hostFrames := 0
				for i := range 8 {
					cs := spaces[i%len(spaces)]
					f := next(t, s)
					if err := gpu.ToRGBA(f.Video(), cs, want); err != nil {
						t.Fatal(err)
					}
					if cs == gpu.BT601Limited {
						if d := diff(want, coreRGBA(t, f)); d != "" {
							t.Fatalf("CPU reference vs core: %s", d)
						}
					}
					aligned := f.Memory().PageAligned()
					id := hostFrame(t, u, addr, f, cs, want)
					if aligned {
						ids[id] = true
						hostFrames++
					}
				}
				s.Close()
				if w*h >= 256*144 && hostFrames != 8 {
					t.Errorf("%dx%d %v pad %d: %d of 8 frames took the host-import path", w, h, pf, pad, hostFrames)
				}
				after := u.HostStats()
				if n := after.Imports - st.Imports; n != len(ids) {
					t.Errorf("%dx%d %v pad %d: %d imports for %d distinct regions", w, h, pf, pad, n, len(ids))
				}
				if n := after.Hits - st.Hits; int(n) != hostFrames-len(ids) {
					t.Errorf("%dx%d %v pad %d: %d cache hits, want %d", w, h, pf, pad, n, hostFrames-len(ids))
				}
				if n := after.TornDown - st.TornDown; n != len(ids) {
					t.Errorf("%dx%d %v pad %d: %d imports torn down at Close, want %d", w, h, pf, pad, n, len(ids))
				}
			}
		}
	}
	st := u.HostStats()
	t.Logf("host import: %+v", st)
	if st.Imports == 0 || st.Unaligned == 0 {
		t.Errorf("host stats %+v: want both imported and unaligned frames", st)
	}
}

// testsrc frames (pooled, page-aligned) in every format it delivers take
// the host-import path, equal the core's ToRGBA on every frame, and its
// ring of regions is imported once each.
func TestHostImportTestsrc(t *testing.T) {
	u := gputest.HostUploader(t)
	const w, h = 320, 240
	for _, pf := range []format.PixelFormat{format.I420, format.NV12, format.YUYV, format.UYVY, format.RGBA,
		format.BGRA, format.BGRX, format.RGB24, format.BGR24, format.GRAY8} {
		s, err := miniav.Open(context.Background(), "testsrc:camera", miniav.WithPolicy(miniav.Block), miniav.WithUnpaced(), miniav.WithBuffers(3),
			miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: pf, FrameRate: format.FPS(30)}))
		if err != nil {
			t.Fatal(err)
		}
		st := u.HostStats()
		ids := map[uint64]bool{}
		const frames = 12
		for range frames {
			f := next(t, s)
			if !f.Memory().PageAligned() {
				t.Fatalf("testsrc %v: region not page-aligned", pf)
			}
			ids[hostFrame(t, u, "", f, gpu.BT601Limited, coreRGBA(t, f))] = true
		}
		s.Close()
		after := u.HostStats()
		if n := after.Imports - st.Imports; n != len(ids) || int(after.Hits-st.Hits) != frames-len(ids) {
			t.Errorf("testsrc %v: %d imports and %d hits for %d frames from %d regions", pf, n, after.Hits-st.Hits, frames, len(ids))
		}
		if len(ids) >= frames {
			t.Errorf("testsrc %v: %d frames from %d regions: no reuse, the cache was not exercised", pf, frames, len(ids))
		}
		if n := after.TornDown - st.TornDown; n != len(ids) {
			t.Errorf("testsrc %v: %d imports torn down at the stream's Close, want %d", pf, n, len(ids))
		}
	}
}

// A frame in flight on the GPU across the uploader's Close: Submit queues
// a 1920x1080 conversion without waiting; the frame is not released then;
// Close waits for the fence and releases it exactly once, and at that
// release the shader's output is already complete (the release hook checks
// the mapped pixels when the source gets the frame back).
func TestHostImportInFlightAcrossClose(t *testing.T) {
	gputest.HostUploader(t) // skips without the path
	const w, h = 1920, 1080
	addr := gputest.Addr(format.NV12, w, h, 0)
	s := open(t, addr)
	want := make([]byte, 4*w*h)
	for _, submit := range []bool{true, false} {
		u, err := gpu.NewUploader(context.Background(), gputest.HostOptions()...)
		if err != nil {
			t.Fatal(err)
		}
		f := next(t, s)
		if err := gpu.ToRGBA(f.Video(), gpu.BT709Limited, want); err != nil {
			t.Fatal(err)
		}
		seq := f.Sequence()
		im, err := u.Upload(f)
		if err != nil {
			t.Fatal(err)
		}
		if im.Mode() != gpu.ModeHostImport {
			t.Fatalf("took %v", im.Mode())
		}
		px := im.Pixels()
		clear(px) // a stale output must not pass
		var calls, good atomic.Int32
		gputest.OnRelease(addr, func(q uint64) {
			if q == seq {
				calls.Add(1)
				if submit && bytes.Equal(px, want) {
					good.Add(1)
				}
			}
		})
		before := gputest.Released(addr)
		if submit {
			if err := u.Submit(im, gpu.BT709Limited); err != nil {
				t.Fatal(err)
			}
			if gputest.Released(addr) != before {
				t.Fatal("frame released at Submit, before the GPU's work on it completed")
			}
		}
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
		gputest.OnRelease(addr, nil)
		if n := gputest.Released(addr) - before; n != 1 || calls.Load() != 1 {
			t.Fatalf("submit %v: %d releases (%d of the frame) across Close, want 1", submit, n, calls.Load())
		}
		if submit && good.Load() != 1 {
			t.Error("the frame was released before the GPU finished converting it")
		}
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
		if err := u.Convert(im, gpu.BT709Limited); !errors.Is(err, miniav.ErrClosed) {
			t.Errorf("Convert after Close: %v, want ErrClosed", err)
		}
		im.Release()
		if n := gputest.Released(addr) - before; n != 1 {
			t.Fatalf("%d releases after the image's release, want still 1", n)
		}
	}
}

// A frame is released exactly once on every route out of an image: Wait
// after Submit, Release without Convert, Read (which waits), and a second
// Wait or Submit of a spent image fails instead of releasing again.
func TestHostImportReleaseOnce(t *testing.T) {
	u := gputest.HostUploader(t)
	const w, h = 128, 72
	addr := gputest.Addr(format.YUYV, w, h, 4)
	s := open(t, addr)
	want := make([]byte, 4*w*h)
	got := make([]byte, 4*w*h)
	for _, route := range []string{"wait", "release", "read"} {
		f := next(t, s)
		if err := gpu.ToRGBA(f.Video(), gpu.BT601Full, want); err != nil {
			t.Fatal(err)
		}
		before := gputest.Released(addr)
		im, err := u.Upload(f)
		if err != nil || im.Mode() != gpu.ModeHostImport {
			t.Fatalf("%s: %v via %v", route, err, im.Mode())
		}
		switch route {
		case "wait":
			if err := u.Submit(im, gpu.BT601Full); err != nil {
				t.Fatal(err)
			}
			if err := u.Wait(im); err != nil {
				t.Fatal(err)
			}
			if err := u.Wait(im); err != nil {
				t.Fatal(err)
			}
			if d := diff(im.Pixels(), want); d != "" {
				t.Errorf("wait: %s", d)
			}
			if err := u.Submit(im, gpu.BT601Full); !errors.Is(err, miniav.ErrReleased) {
				t.Errorf("second Submit: %v, want ErrReleased", err)
			}
		case "read":
			if err := u.Submit(im, gpu.BT601Full); err != nil {
				t.Fatal(err)
			}
			if err := u.Read(im, got); err != nil {
				t.Fatal(err)
			}
			if d := diff(got, want); d != "" {
				t.Errorf("read: %s", d)
			}
		}
		if err := im.Release(); err != nil {
			t.Fatal(err)
		}
		if err := im.Release(); !errors.Is(err, miniav.ErrReleased) {
			t.Errorf("%s: second image release: %v, want ErrReleased", route, err)
		}
		if n := gputest.Released(addr) - before; n != 1 {
			t.Errorf("%s: %d releases, want 1", route, n)
		}
	}
}

// Steady state on the host-import path: upload, convert (submit, fence
// wait, frame release) and image release allocate nothing.
func TestHostImportAllocs(t *testing.T) {
	u := gputest.HostUploader(t)
	for _, pf := range []format.PixelFormat{format.NV12, format.I420, format.YUYV, format.BGRX} {
		s := open(t, gputest.Addr(pf, 128, 72, 3))
		f := next(t, s)
		run := func() {
			if err := f.Retain(); err != nil {
				t.Fatal(err)
			}
			im, err := u.Upload(f)
			if err != nil {
				t.Fatal(err)
			}
			if im.Mode() != gpu.ModeHostImport {
				t.Fatalf("%v took %v", pf, im.Mode())
			}
			if err := u.Convert(im, gpu.BT709Limited); err != nil {
				t.Fatal(err)
			}
			im.Release()
		}
		run()
		if n := testing.AllocsPerRun(50, run); n != 0 {
			t.Errorf("%v: %v allocations per frame, want 0", pf, n)
		}
		f.Release()
	}
}

// WithHostImport falls back where host import is missing and reports it;
// here (lavapipe) it is present, and the uploader says so.
func TestHostImportMode(t *testing.T) {
	gputest.HostUploader(t)
	u, err := gpu.NewUploader(context.Background(), append(gputest.Options(), gpu.WithHostImport())...)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.Mode() != gpu.ModeHostImport || u.HostImportErr() != nil {
		t.Errorf("WithHostImport: mode %v (%v)", u.Mode(), u.HostImportErr())
	}
	if f := u.Fallback(); f != gpu.ModeMapped && f != gpu.ModeWriteBuffer {
		t.Errorf("fallback %v, want a staging path", f)
	}
	p, err := gpu.NewUploader(context.Background(), gputest.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Mode() == gpu.ModeHostImport || (p.HostStats() != gpu.HostStats{}) {
		t.Errorf("without WithHostImport: mode %v, stats %+v", p.Mode(), p.HostStats())
	}
}

// The committed SPIR-V is what glslangValidator makes of the committed
// GLSL (go generate keeps them in step).
func TestSPIRVMatchesSource(t *testing.T) {
	tool, err := exec.LookPath("glslangValidator")
	if err != nil {
		testenv.Missing(t, "glslangValidator (glslang-tools) not installed: %v", err)
	}
	out := filepath.Join(t.TempDir(), "convert.spv")
	if b, err := exec.Command(tool, "-V", "--target-env", "vulkan1.1", "shaders/convert.comp", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("shaders/convert.spv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Errorf("shaders/convert.spv (%d bytes) is not the compiled shaders/convert.comp (%d bytes): run go generate", len(committed), len(fresh))
	}
}

// Host import where the machine has it: each frame's buffer is imported
// once and read in place; the result is in mapped memory.
func ExampleWithHostImport() {
	ctx := context.Background()
	u, err := gpu.NewUploader(ctx, gpu.WithHostImport())
	if err != nil {
		return // no GPU adapter
	}
	defer u.Close()
	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithVideo(format.Video{Width: 640, Height: 480, PixelFormat: format.NV12, FrameRate: format.FPS(30)}))
	if err != nil {
		return
	}
	defer s.Close()
	for range 3 {
		im, err := u.Upload(<-s.Frames()) // the image holds the frame
		if err != nil {
			return
		}
		if err := u.Convert(im, gpu.BT601Limited); err != nil { // the GPU is done: frame released
			return
		}
		if im.Mode() == gpu.ModeHostImport {
			_ = im.Pixels() // RGBA, 4*640 bytes per row, no copy
		}
		im.Release()
	}
}
