// Package miniav captures camera, screen and audio into Go programs for
// computer-vision and signal-processing pipelines.
//
// Open a device and range over its frames:
//
//	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithVideo(format.Video{Width: 640, Height: 480, PixelFormat: format.I420}))
//	if err != nil {
//		return err // errors.Is(err, miniav.ErrNotFound), ErrNotSupported, ErrBusy, ...
//	}
//	defer s.Close()
//	for f := range s.Frames() {
//		y := f.Video().Plane(0) // a view of the device's memory: no copy
//		use(y)
//		f.Release() // gives the memory back to the device
//	}
//	return s.Err() // nil after Close, ctx.Err() after cancel, ErrDeviceLost, ...
//
// # Frames and memory
//
// A Frame is a reference-counted handle on memory lent by the backend: the
// V4L2 kernel buffer, the X11 shared-memory segment, or a pooled buffer for
// sources that must copy. Release drops one reference; the last one gives
// the memory back. Retain adds one for fan-out. Releasing a frame more times
// than it was retained returns ErrReleased, is counted, and never gives
// memory back twice. A frame that becomes unreachable while still
// referenced is reclaimed by a cleanup (runtime.AddCleanup), counted as
// leaked and logged once per stream: a safety net, not a way of working.
//
// Memory a consumer still holds stays valid after Close or cancellation
// until it is released.
//
// # Backpressure
//
// Frames() is a bounded queue (DefaultQueue frames). When it is full the
// stream's Policy decides: DropOldest (the default) evicts the oldest queued
// frame so the consumer always gets the freshest, DropNewest refuses the new
// frame, and Block makes the capture loop wait for the consumer, in which
// case a device that keeps producing drops on its own side (visible as
// sequence gaps, counted as "device" drops). A slow consumer never grows
// memory.
//
// A pull stream (WithPull) has no capture goroutine and no queue: Next
// reads each frame from the device in the calling goroutine, which saves a
// goroutine hand-off per frame; a consumer that falls behind makes the
// device drop on its own side.
//
// # Timestamps
//
// Every frame carries a monotonic Timestamp on one process-wide epoch
// (backend.Now), so frames of different streams, camera and audio alike,
// can be aligned; and the device's own timestamp and sequence number where
// it has them.
//
// # Backends
//
// Device IDs name their backend: "testsrc:camera", "v4l2:/dev/video0".
// The synthetic test source (package backend/testsrc) is always
// registered. Other backends register when their package is imported,
// for example
//
//	import _ "github.com/miniav-go/miniav/backend/all"
//
// Package devices enumerates the devices of every registered backend.
package miniav

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"

	"github.com/miniav-go/miniav/backend"
	_ "github.com/miniav-go/miniav/backend/testsrc" // the embedded default source
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
	"github.com/miniav-go/miniav/pool"
)

// Errors returned by this package and its backends, for errors.Is.
var (
	// ErrNotFound: no such device, or no backend for its ID's scheme.
	ErrNotFound = backend.ErrNotFound
	// ErrNotSupported: the device cannot deliver the requested format, or
	// the operation is not available on this platform or device.
	ErrNotSupported = backend.ErrNotSupported
	// ErrBusy: another process or stream holds the device exclusively.
	ErrBusy = backend.ErrBusy
	// ErrDeviceLost: the device went away during capture (unplugged, window
	// closed, server gone).
	ErrDeviceLost = backend.ErrDeviceLost
	// ErrPermissionDenied: the OS refused access to the device.
	ErrPermissionDenied = backend.ErrPermissionDenied
	// ErrClosed: the stream was closed.
	ErrClosed = backend.ErrClosed
	// ErrReleased: Release or Retain on a frame with no references left.
	ErrReleased = errors.New("miniav: frame already released")
	// ErrInvalid: an option has an invalid value.
	ErrInvalid = errors.New("miniav: invalid option")
)

// Policy decides what happens to a new frame when the queue is full.
type Policy uint8

// Backpressure policies.
const (
	// DropOldest evicts the oldest queued frame: the consumer always gets
	// the freshest frames. The default.
	DropOldest Policy = iota
	// DropNewest keeps the queued frames and drops the new one.
	DropNewest
	// Block makes the capture loop wait until the consumer takes a frame.
	// Cameras and screens keep producing meanwhile and drop on their side;
	// audio sources cannot block their real-time thread, so they count
	// overruns instead.
	Block
)

func (p Policy) String() string {
	switch p {
	case DropOldest:
		return "drop-oldest"
	case DropNewest:
		return "drop-newest"
	case Block:
		return "block"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// ParsePolicy parses "drop-oldest", "drop-newest" or "block".
func ParsePolicy(s string) (Policy, error) {
	for _, p := range []Policy{DropOldest, DropNewest, Block} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown policy %q (want drop-oldest, drop-newest or block): %w", s, ErrInvalid)
}

// DefaultQueue is the length of a stream's queue unless WithQueue is given.
const DefaultQueue = 4

// DefaultClonePoolBytes bounds the pool Frame.Clone copies into unless
// WithClonePool is given.
const DefaultClonePoolBytes = 64 << 20

// Intrinsics are a camera's pinhole parameters in pixels, attached by the
// user with WithIntrinsics and carried on every frame of the stream.
type Intrinsics struct {
	Fx, Fy, Cx, Cy float64
	// Distortion holds the lens distortion coefficients in OpenCV order
	// (k1, k2, p1, p2, k3, ...).
	Distortion []float64
}

type config struct {
	cfg        backend.Config
	policy     Policy
	queue      int
	name       string
	metrics    *metrics.Collector
	logger     *slog.Logger
	intrinsics *Intrinsics
	clonePool  *pool.Pool
	pull       bool
	decode     bool // WithDecode
	pureGo     bool // WithPureGoDecode
}

// Option configures a stream.
type Option func(*config)

// WithVideo requests a video format; zero fields leave the choice to the
// device. Open fails with ErrNotSupported if the device cannot come close.
func WithVideo(v format.Video) Option { return func(c *config) { c.cfg.Video = v } }

// WithAudio requests an audio format; zero fields leave the choice to the
// device.
func WithAudio(a format.Audio) Option { return func(c *config) { c.cfg.Audio = a } }

// WithPolicy sets the backpressure policy (default DropOldest).
func WithPolicy(p Policy) Option { return func(c *config) { c.policy = p } }

// WithQueue sets how many frames may wait for the consumer (default
// DefaultQueue, at least 1).
func WithQueue(n int) Option { return func(c *config) { c.queue = n } }

// WithName names the stream in logs and metrics (default: the device ID).
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithMetrics attaches the stream to a metrics collector.
func WithMetrics(m *metrics.Collector) Option { return func(c *config) { c.metrics = m } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithRegion crops screen capture to r, in screen coordinates.
func WithRegion(r image.Rectangle) Option { return func(c *config) { c.cfg.Region = r } }

// WithCursor draws the mouse pointer into screen capture.
func WithCursor(on bool) Option { return func(c *config) { c.cfg.Cursor = on } }

// WithUnpaced makes synthetic and screen sources deliver as fast as the
// consumer takes frames, for benchmarks.
func WithUnpaced() Option { return func(c *config) { c.cfg.Unpaced = true } }

// WithBuffers sets how many buffers the source keeps (default: the queue
// length plus what the backend needs in flight).
func WithBuffers(n int) Option { return func(c *config) { c.cfg.Buffers = n } }

// WithCopyThreshold makes zero-copy sources (V4L2) copy a frame into pooled
// memory and give the device its buffer back at once whenever fewer than n
// buffers remain with the device, so a consumer that holds frames never
// starves capture. Copies are counted (miniav_frames_copied_total).
func WithCopyThreshold(n int) Option { return func(c *config) { c.cfg.CopyThreshold = n } }

// WithIntrinsics attaches camera intrinsics to every frame of the stream.
func WithIntrinsics(in Intrinsics) Option { return func(c *config) { c.intrinsics = &in } }

// WithClonePool makes Frame.Clone copy into p (default: a pool of
// DefaultClonePoolBytes per stream).
func WithClonePool(p *pool.Pool) Option { return func(c *config) { c.clonePool = p } }

// WithPull makes a pull stream: there is no capture goroutine and no
// queue; each call to Stream.Next reads the next frame from the device in
// the calling goroutine. That saves a goroutine hand-off, and with it a
// thread wake-up, per frame, which matters for small, frequent frames
// (10 ms audio periods). A consumer that falls behind makes the device drop
// on its own side (counted as "device" or "overrun" drops); the Policy and
// queue options do not apply. Frames returns a channel that carries no
// frames and is closed when the stream stops.
func WithPull() Option { return func(c *config) { c.pull = true } }

// Open opens the device with the given ID and starts capture. The stream
// lives until ctx is done or Close is called.
//
// Errors match ErrNotFound (unknown device or backend), ErrNotSupported
// (format), ErrBusy, ErrPermissionDenied or ErrInvalid (options).
func Open(ctx context.Context, id string, opts ...Option) (*Stream, error) {
	c := config{queue: DefaultQueue}
	for _, o := range opts {
		o(&c)
	}
	if c.queue < 1 {
		return nil, fmt.Errorf("queue length %d: must be at least 1: %w", c.queue, ErrInvalid)
	}
	if c.policy > Block {
		return nil, fmt.Errorf("policy %v: %w", c.policy, ErrInvalid)
	}
	if c.cfg.Buffers < 0 || c.cfg.CopyThreshold < 0 {
		return nil, fmt.Errorf("negative buffer count: %w", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, addr, err := backend.Resolve(id)
	if err != nil {
		return nil, err
	}
	return open(ctx, id, b, addr, c)
}
