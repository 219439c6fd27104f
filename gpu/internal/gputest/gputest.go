// Package gputest holds what the gpu module's tests share: an Uploader on
// the adapter CI requires, and a synthetic source of frames in any pixel
// format with strides wider than their rows.
package gputest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/pool"
)

// Options are the uploader options tests use: the Vulkan backend, and with
// CI=true Mesa's lavapipe ("llvmpipe") or nothing.
func Options() []gpu.Option {
	opts := []gpu.Option{gpu.WithVulkan()}
	if testenv.InCI() {
		opts = append(opts, gpu.WithAdapter("llvmpipe"))
	}
	return opts
}

var (
	sharedOnce sync.Once
	shared     *gpu.Uploader
	sharedErr  error
	writeOnce  sync.Once
	writeU     *gpu.Uploader
	writeErr   error
	hostOnce   sync.Once
	hostU      *gpu.Uploader
	hostErr    error
)

// Uploaders returns the shared Uploader on the best path the adapter offers
// and a shared one forced to ModeWriteBuffer (just the first where that is
// the best path), then the shared host-import one (HostUploader) where the
// machine has that path, so tests cover every path the adapter has.
func Uploaders(t testing.TB) []*gpu.Uploader {
	t.Helper()
	u := Uploader(t)
	us := []*gpu.Uploader{u}
	if u.Mode() != gpu.ModeWriteBuffer {
		writeOnce.Do(func() {
			writeU, writeErr = gpu.NewUploader(context.Background(), append(Options(), gpu.WithMode(gpu.ModeWriteBuffer))...)
		})
		if writeErr != nil {
			t.Fatal(writeErr)
		}
		us = append(us, writeU)
	}
	if h := hostUploader(); h != nil {
		us = append(us, h)
	}
	return us
}

func hostUploader() *gpu.Uploader {
	hostOnce.Do(func() {
		hostU, hostErr = gpu.NewUploader(context.Background(), append(Options(), gpu.WithMode(gpu.ModeHostImport))...)
	})
	return hostU
}

// HostUploader returns the test binary's shared Uploader on the
// host-import path (raw Vulkan with VK_EXT_external_memory_host). Where the
// machine has no such device it skips outside CI and fails with CI=true
// (lavapipe has the extension). Never closed, like Uploader's.
func HostUploader(t testing.TB) *gpu.Uploader {
	t.Helper()
	Uploader(t)
	if hostUploader() == nil {
		testenv.Missing(t, "no Vulkan device with VK_EXT_external_memory_host (lavapipe has it): %v", hostErr)
	}
	return hostU
}

// HostOptions are Options plus the host-import path, required.
func HostOptions() []gpu.Option { return append(Options(), gpu.WithMode(gpu.ModeHostImport)) }

// Uploader returns the test binary's shared Uploader (see Options), made
// once so the tests do not each pay for a device. With no adapter it skips
// outside CI and fails with CI=true. It is never closed: wgpu leaves no
// goroutines, and the process ends.
func Uploader(t testing.TB) *gpu.Uploader {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = gpu.NewUploader(context.Background(), Options()...) })
	if sharedErr != nil {
		testenv.Missing(t, "no Vulkan adapter (install mesa-vulkan-drivers and libvulkan1 for lavapipe): %v", sharedErr)
	}
	t.Logf("adapter %v, mode %v", shared.Adapter(), shared.Mode())
	return shared
}

// released counts the buffers the synthetic source got back, per address.
var released sync.Map // address after the scheme -> *atomic.Int64

// Released is how many buffers the synthetic devices at addr got back.
func Released(addr string) int64 {
	c, _ := released.LoadOrStore(strings.TrimPrefix(addr, "gpusynth:"), new(atomic.Int64))
	return c.(*atomic.Int64).Load()
}

// hooks holds, per address, a function the synthetic source calls with a
// buffer's sequence number when its frame is released, after scribbling
// over it and before the buffer goes back to the pool.
var hooks sync.Map // address after the scheme -> func(uint64)

// OnRelease makes the synthetic devices at addr call f(seq) when the frame
// seq is released, after the buffer was overwritten with Scribble and
// before it can be lent again; nil removes it.
func OnRelease(addr string, f func(seq uint64)) {
	a := strings.TrimPrefix(addr, "gpusynth:")
	if f == nil {
		hooks.Delete(a)
		return
	}
	hooks.Store(a, f)
}

// Scribble is the byte the synthetic source fills a buffer with when the
// frame that lent it is released, so a reader of released memory sees it.
const Scribble = 0xA5

// Addr names a synthetic device: frames of pf at w×h whose strides are pad
// bytes wider than their rows. Open it with miniav.Open.
func Addr(pf format.PixelFormat, w, h, pad int) string {
	return fmt.Sprintf("gpusynth:%v/%dx%d/%d", pf, w, h, pad)
}

// Fill writes the content of frame seq into planes (deterministic noise
// with bars, so every byte of every plane matters).
func Fill(planes [][]byte, seq uint64) {
	s := uint32(seq*2654435761 + 12345)
	for _, p := range planes {
		for i := range p {
			s = s*1664525 + 1013904223
			p[i] = byte(s >> 24)
		}
	}
}

type synth struct{}

func (synth) Name() string                                      { return "gpusynth" }
func (synth) Devices(context.Context) ([]backend.Device, error) { return nil, nil }
func (synth) Open(_ context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	parts := strings.Split(addr, "/")
	if len(parts) != 3 {
		return nil, fmt.Errorf("gpusynth:%s: %w", addr, backend.ErrNotFound)
	}
	pf, err := format.ParsePixelFormat(parts[0])
	if err != nil {
		return nil, fmt.Errorf("gpusynth:%s: %w", addr, backend.ErrNotFound)
	}
	var w, h int
	if _, err := fmt.Sscanf(parts[1], "%dx%d", &w, &h); err != nil {
		return nil, fmt.Errorf("gpusynth:%s: %w", addr, backend.ErrNotFound)
	}
	pad, err := strconv.Atoi(parts[2])
	if err != nil {
		return nil, fmt.Errorf("gpusynth:%s: %w", addr, backend.ErrNotFound)
	}
	c, _ := released.LoadOrStore(addr, new(atomic.Int64))
	return &source{addr: addr, v: format.Video{PixelFormat: pf, Width: w, Height: h, FrameRate: format.FPS(1000)}, pad: pad,
		released: c.(*atomic.Int64), bufs: map[uint64]*pool.Buffer{}, pool: pool.New()}, nil
}

func init() { backend.Register(synth{}) }

// source lends pooled buffers (with their backend.Memory, page-aligned
// from a page up, as a driver's), overwritten with Scribble on release.
type source struct {
	addr     string
	pool     *pool.Pool
	v        format.Video
	pad      int
	seq      uint64
	released *atomic.Int64
	mu       sync.Mutex
	bufs     map[uint64]*pool.Buffer
}

func (s *source) Info() backend.Info { return backend.Info{Kind: backend.KindCamera, Video: s.v} }
func (s *source) Close() error       { s.pool.Close(); return nil }

func (s *source) ReleaseBuffer(tok uint64) {
	s.mu.Lock()
	pb := s.bufs[tok]
	delete(s.bufs, tok)
	s.mu.Unlock()
	b := pb.Bytes()
	for i := range b {
		b[i] = Scribble
	}
	if f, ok := hooks.Load(s.addr); ok {
		f.(func(uint64))(tok)
	}
	s.released.Add(1)
	pb.Release()
}

func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	pf, w, h := s.v.PixelFormat, s.v.Width, s.v.Height
	n := pf.NumPlanes()
	var lens [4]int
	total := 0
	for i := range n {
		bpl, rows := pf.PlaneSize(i, w, h)
		b.Strides[i] = bpl + s.pad
		// The last row ends at its last pixel, as in a tightly cut buffer.
		lens[i] = b.Strides[i]*(rows-1) + bpl
		total += lens[i]
	}
	pb, err := s.pool.Get(total)
	if err != nil {
		return err
	}
	mem := pb.Bytes()
	off := 0
	planes := make([][]byte, n)
	for i := range n {
		b.Planes[i] = mem[off : off+lens[i] : off+lens[i]]
		planes[i] = b.Planes[i]
		off += lens[i]
	}
	Fill(planes, s.seq)
	s.mu.Lock()
	s.bufs[s.seq] = pb
	s.mu.Unlock()
	b.NumPlanes, b.Video, b.Sequence, b.Token, b.Releaser, b.Memory = n, s.v, s.seq, s.seq, s, pb.Memory()
	b.Timestamp = backend.Now()
	s.seq++
	return nil
}
