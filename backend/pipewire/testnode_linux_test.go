//go:build linux && cgo

package pipewire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/backend/pipewire/internal/pwtestnode"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
)

// node publishes a Video/Source node of the test's own (320x240, 30 fps
// unless o says otherwise) and removes it at the end of the test.
func node(t *testing.T, o pwtestnode.Options) *pwtestnode.Node {
	t.Helper()
	need(t)
	if o.Width == 0 {
		o.Width, o.Height = 320, 240
	}
	if o.FPS == 0 {
		o.FPS = 30
	}
	n, err := pwtestnode.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

func pfOf(f string) format.PixelFormat {
	if f == pwtestnode.NV12 {
		return format.NV12
	}
	return format.YUYV
}

// checkPattern compares every byte of b with the node's pattern for the
// frame number b carries, and returns that number.
func checkPattern(t *testing.T, f string, b *backend.Buffer, w, h int) uint64 {
	t.Helper()
	if b.NumPlanes == 0 || len(b.Planes[0]) < 8 {
		t.Fatalf("buffer without data: %d planes", b.NumPlanes)
	}
	n := pwtestnode.FrameNumber(f, b.Planes[0])
	bad, first := 0, ""
	miss := func(what string, x, y int, got, want byte) {
		if bad == 0 {
			first = fmt.Sprintf("%s at (%d,%d) = %d, want %d", what, x, y, got, want)
		}
		bad++
	}
	switch f {
	case pwtestnode.YUY2:
		if b.NumPlanes != 1 || b.Strides[0] < 2*w {
			t.Fatalf("YUY2: %d planes, stride %d", b.NumPlanes, b.Strides[0])
		}
		for y := range h {
			r := b.Planes[0][y*b.Strides[0]:]
			for x := 0; x < w; x += 2 {
				if y > 0 || x >= 4 {
					if v := pwtestnode.Y(n, x, y); r[2*x] != v {
						miss("Y", x, y, r[2*x], v)
					}
					if v := pwtestnode.Y(n, x+1, y); r[2*x+2] != v {
						miss("Y", x+1, y, r[2*x+2], v)
					}
				}
				if v := pwtestnode.U(n, x/2, y); r[2*x+1] != v {
					miss("U", x/2, y, r[2*x+1], v)
				}
				if v := pwtestnode.V(n, x/2, y); r[2*x+3] != v {
					miss("V", x/2, y, r[2*x+3], v)
				}
			}
		}
	case pwtestnode.NV12:
		if b.NumPlanes != 2 || b.Strides[0] < w || b.Strides[1] < w {
			t.Fatalf("NV12: %d planes, strides %v", b.NumPlanes, b.Strides)
		}
		for y := range h {
			r := b.Planes[0][y*b.Strides[0]:]
			for x := range w {
				if y == 0 && x < 4 {
					continue
				}
				if v := pwtestnode.Y(n, x, y); r[x] != v {
					miss("Y", x, y, r[x], v)
				}
			}
		}
		for cy := range h / 2 {
			r := b.Planes[1][cy*b.Strides[1]:]
			for cx := range w / 2 {
				if v := pwtestnode.U(n, cx, cy); r[2*cx] != v {
					miss("U", cx, cy, r[2*cx], v)
				}
				if v := pwtestnode.V(n, cx, cy); r[2*cx+1] != v {
					miss("V", cx, cy, r[2*cx+1], v)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("frame %d: %d bytes differ from the pattern; first: %s", n, bad, first)
	}
	return n
}

// TestNodeDevices: a node's EnumFormat (YUY2 or NV12, 320x240, 30/1) is
// the camera's one format in Devices.
func TestNodeDevices(t *testing.T) {
	for _, f := range []string{pwtestnode.YUY2, pwtestnode.NV12} {
		t.Run(f, func(t *testing.T) {
			name := "miniav-listed-" + f
			n := node(t, pwtestnode.Options{Name: name, Description: "Listed " + f, Format: f})
			devs, err := Backend{}.Devices(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var d *backend.Device
			for i := range devs {
				if devs[i].ID == "pipewire:camera/"+name {
					d = &devs[i]
				}
			}
			if d == nil {
				t.Fatalf("%s not in %v", name, devs)
			}
			t.Logf("%s %q %v %v", d.ID, d.Name, d.Attrs, d.Video)
			if d.Name != "Listed "+f || d.Kind != backend.KindCamera || d.Attrs["node"] != fmt.Sprint(n.ID()) {
				t.Errorf("device %+v, want name %q, a camera, node %d", d, "Listed "+f, n.ID())
			}
			want := format.VideoCaps{PixelFormat: pfOf(f), Size: format.Discrete(320, 240), FrameRates: []format.Rational{{Num: 30, Den: 1}}}
			if len(d.Video) != 1 || d.Video[0].PixelFormat != want.PixelFormat || d.Video[0].Size != want.Size ||
				len(d.Video[0].FrameRates) != 1 || d.Video[0].FrameRates[0] != want.FrameRates[0] {
				t.Errorf("caps %v, want [%v]", d.Video, want)
			}
			if !d.Video[0].Supports(format.Video{PixelFormat: pfOf(f), Width: 320, Height: 240, FrameRate: format.FPS(30)}) {
				t.Errorf("caps %v do not support the node's own format", d.Video)
			}
		})
	}
}

// TestNodeCapture: the node's frames arrive in order at 30 fps with
// every byte of the pattern, Sequence follows the producer's frame
// numbers, and removing the node ends the stream with ErrDeviceLost
// within 1 s.
func TestNodeCapture(t *testing.T) {
	for _, f := range []string{pwtestnode.YUY2, pwtestnode.NV12} {
		t.Run(f, func(t *testing.T) {
			name := "miniav-cap-" + f
			n := node(t, pwtestnode.Options{Name: name, Format: f})
			src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			in := src.Info()
			if in.Kind != backend.KindCamera || in.Video.Width != 320 || in.Video.Height != 240 || in.Video.PixelFormat != pfOf(f) || in.Video.FrameRate != format.FPS(30) {
				t.Fatalf("Info %+v, want a 320x240 %v camera at 30 fps", in, pfOf(f))
			}
			start := time.Now()
			var lastN, lastSeq uint64
			frames := 0
			for time.Since(start) < 2*time.Second {
				b := read(t, src, 5*time.Second)
				num := checkPattern(t, f, &b, 320, 240)
				if lastN != 0 {
					if num <= lastN {
						t.Errorf("frame number %d after %d", num, lastN)
					}
					if b.Sequence-lastSeq != num-lastN {
						t.Errorf("sequence %d after %d, but frame %d after %d", b.Sequence, lastSeq, num, lastN)
					}
				}
				if b.DeviceTimestamp <= 0 {
					t.Errorf("frame %d: no device timestamp", num)
				}
				lastN, lastSeq = num, b.Sequence
				frames++
				b.Releaser.ReleaseBuffer(b.Token)
			}
			fps := float64(frames) / time.Since(start).Seconds()
			t.Logf("%s: %d frames in 2 s (%.1f fps), frame numbers up to %d", f, frames, fps, lastN)
			if fps < 27 || fps > 33 {
				t.Errorf("%.1f fps, want 30 ± 3", fps)
			}
			n.Close()
			removed := time.Now()
			expectLost(t, src, removed)
		})
	}
}

// expectLost reads until src fails and wants ErrDeviceLost within 1 s of t0.
func expectLost(t *testing.T, src backend.Source, t0 time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		var b backend.Buffer
		err := src.Read(ctx, &b)
		if err == nil {
			b.Releaser.ReleaseBuffer(b.Token)
			continue
		}
		if !errors.Is(err, backend.ErrDeviceLost) {
			t.Fatalf("after the node went away: %v, want ErrDeviceLost", err)
		}
		if d := time.Since(t0); d > time.Second {
			t.Errorf("ErrDeviceLost %v after the node went away", d)
		} else {
			t.Logf("ErrDeviceLost %v after the node went away: %v", d.Round(time.Millisecond), err)
		}
		return
	}
}

// TestNodeWatcher: with polling off, the Watcher hears of a node added
// and removed through the registry (backend.Notifier), within 1 s each.
func TestNodeWatcher(t *testing.T) {
	need(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := devices.NewWatcher(ctx, devices.WithInterval(0), devices.WithKinds(backend.KindCamera), devices.WithSettle(20*time.Millisecond))
	defer func() {
		cancel()
		for range w.Events {
		}
	}()
	name := "miniav-watched"
	id := "pipewire:camera/" + name
	await := func(op devices.Op) {
		t.Helper()
		t0 := time.Now()
		timeout := time.After(3 * time.Second)
		for {
			select {
			case e, ok := <-w.Events:
				if !ok {
					t.Fatal("watcher closed")
				}
				if e.Device.ID == id && e.Op == op {
					d := time.Since(t0)
					t.Logf("%v %s after %v", op, id, d.Round(time.Millisecond))
					if d > time.Second {
						t.Errorf("%v reported %v after the change", op, d)
					}
					if op == devices.Added && (len(e.Device.Video) != 1 || e.Device.Video[0].PixelFormat != format.NV12) {
						t.Errorf("added device's caps %v, want NV12", e.Device.Video)
					}
					return
				}
			case err := <-w.Errors:
				t.Logf("watcher error: %v", err)
			case <-timeout:
				t.Fatalf("no %v event for %s within 3 s", op, id)
			}
		}
	}
	time.Sleep(100 * time.Millisecond) // the first inventory
	n := node(t, pwtestnode.Options{Name: name, Format: pwtestnode.NV12})
	await(devices.Added)
	n.Close()
	await(devices.Removed)
}

// TestChangesEndsWithContext: the notification channel closes once its
// context is done (goleak checks the watch's goroutine and thread).
func TestChangesEndsWithContext(t *testing.T) {
	need(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := Backend{}.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := node(t, pwtestnode.Options{Name: "miniav-notify", Format: pwtestnode.YUY2})
	select {
	case <-ch:
	case <-time.After(3 * time.Second):
		t.Fatal("no notification for a node added")
	}
	n.Close()
	select {
	case <-ch:
	case <-time.After(3 * time.Second):
		t.Fatal("no notification for a node removed")
	}
	cancel()
	timeout := time.After(3 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the channel did not close after cancel")
		}
	}
}

// TestNodeHeldAcrossClose: a consumer that closes while it holds frames
// does not stall the node's next consumer (a PipeWire 0.3 producer waits
// for the buffers its last peer never gave back), and the frames held
// keep their bytes until they are released, after the second consumer
// has read on.
func TestNodeHeldAcrossClose(t *testing.T) {
	for _, f := range []string{pwtestnode.YUY2, pwtestnode.NV12} {
		t.Run(f, func(t *testing.T) {
			name := "miniav-held-" + f
			node(t, pwtestnode.Options{Name: name, Format: f})
			cfg := backend.Config{Observer: backend.NopObserver{}, Buffers: 4}
			src, err := Backend{}.Open(context.Background(), "camera/"+name, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var held []backend.Buffer
			var nums []uint64
			for range 3 {
				b := read(t, src, 5*time.Second)
				nums = append(nums, checkPattern(t, f, &b, 320, 240))
				held = append(held, b)
			}
			src.Close()
			defer func() {
				for _, b := range held {
					b.Releaser.ReleaseBuffer(b.Token)
				}
			}()

			t0 := time.Now()
			src2, err := Backend{}.Open(context.Background(), "camera/"+name, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer src2.Close()
			opened := time.Since(t0)
			var last, firstN uint64
			var first time.Duration
			for i := range 30 {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				var b backend.Buffer
				err := src2.Read(ctx, &b)
				cancel()
				if err != nil {
					t.Fatalf("second consumer, frame %d: %v (the first one closed holding %d frames)", i, err, len(held))
				}
				n := checkPattern(t, f, &b, 320, 240)
				if i == 0 {
					first, firstN = time.Since(t0), n
				}
				if n <= last || n <= nums[len(nums)-1] {
					t.Errorf("second consumer: frame number %d after %d (the first stream ended at %d)", n, last, nums[len(nums)-1])
				}
				last = n
				b.Releaser.ReleaseBuffer(b.Token)
			}
			for i := range held {
				if n := checkPattern(t, f, &held[i], 320, 240); n != nums[i] {
					t.Errorf("held frame %d now carries frame number %d", nums[i], n)
				}
			}
			took := time.Since(t0)
			t.Logf("held frames %v kept their bytes; second consumer: Open %v, first frame %v, 30 frames (numbers %d..%d) in %v", nums, opened, first, firstN, last, took)
			// 30 fps: 30 frames take 1 s. A producer starved of the
			// buffers the first consumer kept skips most of its frames.
			if skipped := last - firstN - 29; skipped > 5 || took > 2*time.Second {
				t.Errorf("the second consumer got 30 frames in %v, the producer skipping %d frames (no buffer free): stalled by the buffers the first consumer held", took, skipped)
			}
		})
	}
}

// TestNodeContract runs the contract kit (backend/backendtest) against a
// test node in each of its formats, with damage and cursor metadata.
func TestNodeContract(t *testing.T) {
	for _, f := range []string{pwtestnode.YUY2, pwtestnode.NV12} {
		t.Run(f, func(t *testing.T) {
			name := "miniav-contract-" + f
			// with damage and cursor metadata: NoAllocs covers them
			node(t, pwtestnode.Options{Name: name, Format: f, Damage: true, Cursor: true})
			backendtest.Run(t, "pipewire:camera/"+name, backendtest.WithConfig(backend.Config{
				Video: format.Video{PixelFormat: pfOf(f), Width: 320, Height: 240},
			}))
		})
	}
}

// wantDamage is what a frame's Damage holds for the node's frame n: the
// producer's rectangles, the ones past backend.MaxDamage-1 united into
// the last.
func wantDamage(n uint64) []image.Rectangle {
	d := pwtestnode.Damage(n)
	if len(d) <= backend.MaxDamage {
		return d
	}
	u := d[backend.MaxDamage-1]
	for _, r := range d[backend.MaxDamage:] {
		u = u.Union(r)
	}
	return append(d[:backend.MaxDamage-1:backend.MaxDamage-1], u)
}

// TestNodeDamageCursor: the SPA_META_VideoDamage rectangles and the
// SPA_META_Cursor position the node writes into each buffer come out of
// Frame.Damage and Frame.Cursor exactly (1 to 20 rectangles a frame,
// more than backend.MaxDamage united into the last one; no cursor on
// every fourth frame), through miniav's stream; a node without the metas
// gives frames without them.
func TestNodeDamageCursor(t *testing.T) {
	for _, f := range []string{pwtestnode.YUY2, pwtestnode.NV12} {
		t.Run(f, func(t *testing.T) {
			name := "miniav-damage-" + f
			node(t, pwtestnode.Options{Name: name, Format: f, Damage: true, Cursor: true})
			st, err := miniav.Open(context.Background(), "pipewire:camera/"+name, miniav.WithPull())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			merged, cursors, counts := 0, 0, map[int]bool{}
			for range 45 {
				fr, err := st.Next()
				if err != nil {
					t.Fatal(err)
				}
				n := pwtestnode.FrameNumber(f, fr.Video().Plane(0))
				got, ok := fr.Damage()
				want := wantDamage(n)
				if !ok || !slices.Equal(got, want) {
					t.Errorf("frame %d: Damage() = %v, %v; want %v, true", n, got, ok, want)
				}
				counts[len(pwtestnode.Damage(n))] = true
				if len(pwtestnode.Damage(n)) > backend.MaxDamage {
					merged++
				}
				pos, ok := fr.Cursor()
				wpos, wok := pwtestnode.CursorAt(n)
				if ok != wok || pos != wpos {
					t.Errorf("frame %d: Cursor() = %v, %v; want %v, %v", n, pos, ok, wpos, wok)
				}
				if ok {
					cursors++
				}
				fr.Release()
			}
			t.Logf("45 frames: %d damage list lengths seen, %d lists of more than %d merged, %d with a cursor", len(counts), merged, backend.MaxDamage, cursors)
			if merged == 0 || cursors == 0 {
				t.Errorf("no frame with more than %d rectangles (%d) or none with a cursor (%d)", backend.MaxDamage, merged, cursors)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		name := "miniav-nodamage"
		node(t, pwtestnode.Options{Name: name, Format: pwtestnode.YUY2})
		src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		for range 5 {
			b := read(t, src, 5*time.Second)
			if b.Flags&(backend.FlagDamage|backend.FlagCursor) != 0 || b.NumDamage != 0 {
				t.Errorf("frame %d without damage or cursor meta: flags %b, %d rectangles", b.Sequence, b.Flags, b.NumDamage)
			}
			b.Releaser.ReleaseBuffer(b.Token)
		}
	})
}

// TestNodeDMABuf: a node whose buffers are SPA_DATA_DmaBuf (memfds typed
// as DMA-BUF: no GPU here) gives frames with FlagDMABuf, one descriptor
// per plane at the plane's offset, the format's linear modifier, and a
// mapped CPU view with every byte of the pattern; the bytes read through
// each descriptor at its offset are the plane's. Then the contract kit
// (no descriptor left after Close and the last release).
func TestNodeDMABuf(t *testing.T) {
	for _, f := range []string{pwtestnode.YUY2, pwtestnode.NV12} {
		t.Run(f, func(t *testing.T) {
			name := "miniav-dmabuf-" + f
			node(t, pwtestnode.Options{Name: name, Format: f, DMABuf: true})
			src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			for range 10 {
				b := read(t, src, 5*time.Second)
				n := checkPattern(t, f, &b, 320, 240)
				if b.Flags&backend.FlagDMABuf == 0 || b.Flags&backend.FlagModifier == 0 || b.Modifier != 0 {
					t.Fatalf("frame %d: flags %b, modifier %#x; want a DMA-BUF with the linear modifier 0", n, b.Flags, b.Modifier)
				}
				for i := range b.NumPlanes {
					got := make([]byte, len(b.Planes[i]))
					if k, err := syscall.Pread(b.DMABuf[i], got, int64(b.DMABufOffset[i])); err != nil || k != len(got) {
						t.Fatalf("frame %d plane %d: pread fd %d at %d: %d, %v", n, i, b.DMABuf[i], b.DMABufOffset[i], k, err)
					}
					if !bytes.Equal(got, b.Planes[i]) {
						t.Errorf("frame %d plane %d: the bytes at fd %d offset %d differ from the CPU view", n, i, b.DMABuf[i], b.DMABufOffset[i])
					}
				}
				if n == 1 || b.NumPlanes == 2 && b.DMABufOffset[1] != b.DMABufOffset[0]+320*240 {
					t.Logf("frame %d: planes %d, fds %v, offsets %v", n, b.NumPlanes, b.DMABuf[:b.NumPlanes], b.DMABufOffset[:b.NumPlanes])
				}
				b.Releaser.ReleaseBuffer(b.Token)
			}
			src.Close()
			backendtest.Run(t, "pipewire:camera/"+name, backendtest.WithConfig(backend.Config{
				Video: format.Video{PixelFormat: pfOf(f), Width: 320, Height: 240},
			}))
		})
	}
}
