//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"errors"
	"hash/crc32"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// A consumer that keeps up gets frames in sequence order, device
// timestamps one frame interval apart on average, and every gap in the
// sequence counted as a device drop. (vivid numbers frames by elapsed
// time, so a stall of the whole VM on a loaded TCG host is a real driver
// drop: the test bounds gaps rather than forbidding them.)
func TestVMSequence(t *testing.T) {
	vmtest.Require(t)
	noLeaks(t)
	vmtest.SetCtrl(t, single, vmtest.CtrlTimestampSrc, 1) // start of exposure: never in the future
	t.Cleanup(func() { vmtest.SetCtrl(t, single, vmtest.CtrlTimestampSrc, 0) })
	s := open(t, single, miniav.WithVideo(small), miniav.WithPolicy(miniav.Block), miniav.WithBuffers(8))
	const n = 30
	var first, lastSeq, gaps uint64
	var firstTS, lastTS time.Duration
	for i := range n {
		f := next(t, s)
		seq, dts, ts := f.Sequence(), f.DeviceTimestamp(), f.Timestamp()
		f.Release()
		if now := backend.Now(); ts > now || ts < now-time.Second {
			t.Errorf("frame %d: timestamp %v not just before now %v", i, ts, now)
		}
		if i == 0 {
			first, firstTS = seq, dts
		} else {
			if seq < lastSeq || dts < lastTS {
				t.Errorf("sequence %d at %v after %d at %v", seq, dts, lastSeq, lastTS)
			}
			gaps += gap(lastSeq, seq)
		}
		lastSeq, lastTS = seq, dts
	}
	if mean := (lastTS - firstTS) / time.Duration(max(lastSeq-first, 1)); mean < 16*time.Millisecond || mean > 17500*time.Microsecond {
		t.Errorf("mean frame interval %v at 60 fps", mean)
	}
	st := s.Stats()
	if gaps > n/3 || st.Dropped[backend.DropDevice] < gaps || st.Dropped.Total() != st.Dropped[backend.DropDevice] {
		t.Errorf("%d sequence gaps in %d frames, drops %v", gaps, n, st.Dropped)
	}
	t.Logf("%d frames, %d sequence gaps (VM stalls)", n, gaps)
}

// Holding every buffer stalls the driver: capture waits for a release
// (without spinning), and the frames the driver skipped meanwhile are
// counted as device drops from the sequence gap.
func TestVMHoldStallsDriver(t *testing.T) {
	vmtest.Require(t)
	noLeaks(t)
	s := open(t, single, miniav.WithVideo(small), miniav.WithBuffers(3),
		miniav.WithPolicy(miniav.Block), miniav.WithQueue(8))
	var held []miniav.Frame
	for range 3 {
		held = append(held, next(t, s))
	}
	time.Sleep(300 * time.Millisecond) // let vivid run dry for about 18 frames
	if c := s.Stats().Captured; c != 3 {
		t.Errorf("captured %d frames with every buffer held, want 3", c)
	}
	last := held[2].Sequence()
	for _, f := range held {
		f.Release()
	}
	f := next(t, s)
	g := gap(last, f.Sequence())
	f.Release()
	if g < 5 {
		t.Errorf("sequence went from %d to %d after a 300 ms stall", last, f.Sequence())
	}
	if d := s.Stats().Dropped[backend.DropDevice]; d < g {
		t.Errorf("device drops %d, want at least the gap %d", d, g)
	}
}

// With a copy threshold, a consumer holding frames does not stall the
// driver: frames keep coming, copied into pooled memory, none lost.
func TestVMCopyUnderPressure(t *testing.T) {
	vmtest.Require(t)
	noLeaks(t)
	quiet(t, single)
	s := open(t, single, miniav.WithVideo(small), miniav.WithBuffers(4), miniav.WithCopyThreshold(2),
		miniav.WithPolicy(miniav.Block), miniav.WithQueue(16))
	var held []miniav.Frame
	defer func() {
		for _, f := range held {
			f.Release()
		}
	}()
	for range 12 {
		held = append(held, next(t, s))
	}
	copied, gaps := 0, uint64(0)
	for i, f := range held {
		if f.Copied() {
			copied++
		} else if i >= 2 {
			t.Errorf("frame %d lent zero-copy with two buffers left", i)
		}
		if i > 0 {
			gaps += gap(held[i-1].Sequence(), f.Sequence())
		}
		if Y, _, _ := vmtest.YUV(f.Video(), 10, 90); abs(int(Y)-vmtest.Bars75[0][0]) > 2 {
			t.Errorf("frame %d: white bar Y %d", i, Y)
		}
	}
	st := s.Stats()
	// Twelve frames held at once from four kernel buffers: only copying can
	// do that (without it the fifth Read waits for a release forever).
	// Capture goes on into the queue meanwhile, so the stream may have
	// copied more. Gaps come only from the emulated guest stalling vivid's
	// thread (their number depends on the host's load, so it is not
	// bounded here); each is counted as a device drop.
	if copied != 10 || st.Copied < 10 || st.Dropped.Total() != st.Dropped[backend.DropDevice] || st.Dropped[backend.DropDevice] < gaps {
		t.Errorf("copied %d frames (stats: %d), %d sequence gaps, drops %v; want 10 copied, gaps counted as device drops", copied, st.Copied, gaps, st.Dropped)
	}
	t.Logf("%d sequence gaps among the 12 held frames", gaps)
}

// Every plane is exported as a DMA-BUF whose contents are the frame's.
func TestVMDMABuf(t *testing.T) {
	vmtest.Require(t)
	noLeaks(t)
	want := small
	want.PixelFormat = format.FourCC('N', 'M', '1', '2')
	s := open(t, multi, miniav.WithVideo(want))
	f := next(t, s)
	defer f.Release()
	v := f.Video()
	seen := map[int]bool{}
	for i := range v.NumPlanes() {
		fd, ok := v.DMABuf(i)
		if !ok || seen[fd] {
			t.Fatalf("plane %d: DMA-BUF fd %d, %v (seen %v)", i, fd, ok, seen)
		}
		seen[fd] = true
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatalf("fstat of plane %d's fd: %v", i, err)
		}
		size, err := unix.Seek(fd, 0, unix.SEEK_END)
		if err != nil || int(size) < len(v.Plane(i)) {
			t.Fatalf("plane %d: DMA-BUF size %d (%v), plane %d bytes", i, size, err, len(v.Plane(i)))
		}
		mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			t.Fatalf("mmap of plane %d's DMA-BUF: %v", i, err)
		}
		if crc32.ChecksumIEEE(mem[:len(v.Plane(i))]) != crc32.ChecksumIEEE(v.Plane(i)) {
			t.Errorf("plane %d: DMA-BUF bytes differ from the mapped plane", i)
		}
		unix.Munmap(mem)
	}
}

// The frame rate asked for is clamped by the driver, and reported as set.
func TestVMRateClamped(t *testing.T) {
	vmtest.Require(t)
	noLeaks(t)
	s := open(t, single, miniav.WithVideo(format.Video{Width: 640, Height: 480, PixelFormat: format.YUYV, FrameRate: format.FPS(30)}))
	if v := s.Info().Video; v != (format.Video{Width: 640, Height: 480, PixelFormat: format.YUYV, FrameRate: format.FPS(25)}) {
		t.Errorf("Info().Video = %v, want 640x480@25 YUYV", v)
	}
	if _, err := miniav.Open(context.Background(), "v4l2:"+single, miniav.WithVideo(format.Video{PixelFormat: format.MJPEG})); !errors.Is(err, backend.ErrNotSupported) {
		t.Errorf("MJPEG on vivid: %v, want ErrNotSupported", err)
	}
}

// Both vivid nodes, single- and multi-planar, pass the backend contract
// kit: buffers held across Close stay mapped, every fd and mapping goes
// after the last release, cancel wakes a Read waiting for a buffer, and
// capture allocates nothing per frame.
func TestVMContract(t *testing.T) {
	vmtest.Require(t)
	for _, c := range []struct {
		node string
		v    format.Video
	}{
		{single, small},
		{multi, format.Video{Width: 320, Height: 180, PixelFormat: format.FourCC('N', 'M', '1', '2'), FrameRate: format.FPS(60)}},
	} {
		t.Run(c.node, func(t *testing.T) {
			noLeaks(t)
			// vivid stamps the end of a frame by its schedule, which on a
			// slow guest can be later than the dequeue: the start of
			// exposure never is.
			vmtest.SetCtrl(t, c.node, vmtest.CtrlTimestampSrc, 1)
			t.Cleanup(func() { vmtest.SetCtrl(t, c.node, vmtest.CtrlTimestampSrc, 0) })
			opts := []backendtest.Option{backendtest.WithConfig(backend.Config{Video: c.v}),
				backendtest.RepeatsSequence(), backendtest.Frames(4), backendtest.FrameTimeout(10 * time.Second)}
			if c.node == single {
				// One mmap per buffer: lent with its Memory, whole pages.
				opts = append(opts, backendtest.LendsMemory(true))
			}
			backendtest.Run(t, "v4l2:"+c.node, opts...)
		})
	}
}
