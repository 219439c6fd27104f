// Package backendtest is the contract kit every capture backend's tests
// run, in the spirit of testing/fstest.TestFS: a backend's test opens one
// of its real devices (on Xvfb, a private PulseAudio, vivid, Chromium...)
// by ID and Run checks, as subtests, everything miniav relies on, through
// the raw backend.Source and through miniav.Open (channel and pull
// streams):
//
//   - Open with a context already cancelled fails with context.Canceled,
//     returns a nil Source and leaves nothing behind;
//   - Info matches the first frame: kind, size, pixel format, plane count,
//     strides and byte counts, or sample format, rate, channels and bytes
//     per sample frame;
//   - sequence numbers increase (audio: by at least the sample frames of
//     the buffer before), Buffer.Skipped never exceeds the gap it
//     explains, timestamps are on the shared epoch (backend.Now) and never
//     go back, device timestamps exist and never go back;
//   - frames held while later ones are read keep their bytes and never
//     share memory with them;
//   - every buffer lent comes back: with all of them held and then
//     released from another goroutine, capture goes on;
//   - cancelling the context unblocks a Read waiting for a buffer, and a
//     Read with a done context returns the context's error;
//   - frames held across Close keep their bytes and can be released after
//     it, from another goroutine;
//   - Close is idempotent, and Read after Close fails with
//     backend.ErrClosed (Stream.Next with miniav.ErrClosed);
//   - Retain fans a frame out to goroutines; a release too many returns
//     miniav.ErrReleased and never gives memory back twice;
//   - Close racing a consumer that reads (run the tests with -race), and
//     cancellation, end a stream promptly with the documented errors;
//   - the stream's Stats add up: every captured frame was delivered and
//     received, or dropped for a queue reason, or released as stopped;
//     nothing is outstanding or leaked at the end;
//   - steady-state capture allocates nothing per frame;
//   - nothing is left after Close and the last release: no goroutine, and
//     on Linux no file descriptor (/proc/self/fd) and no SysV shared-memory
//     segment created by the process (/proc/sysvipc/shm).
//
// Options declare what a device cannot do (NoDeviceTimestamps,
// CannotBlock, AllowAllocs) and size the run (Frames, Buffers,
// FrameTimeout). Subtests open one source or stream at a time, so devices
// that only one client may open at once work.
package backendtest

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// Option adjusts Run to what a device can do and to how long it may take.
type Option func(*options)

type options struct {
	cfg          backend.Config
	noDeviceTS   bool
	cannotBlock  bool
	repeatSeq    bool
	allocs       float64
	frames       int
	buffers      int
	frameTimeout time.Duration
	slack        time.Duration
	cleanup      time.Duration
	memory       int // 0: check Memory if lent; 1: required; 2: required and page-aligned
}

// LendsMemory says the source lends every buffer from a long-lived region
// with a backend.Memory identity; pageAligned, that the regions are
// page-aligned. Without it Source/Memory checks the identity only when the
// source lends one.
func LendsMemory(pageAligned bool) Option {
	return func(o *options) {
		o.memory = 1
		if pageAligned {
			o.memory = 2
		}
	}
}

// WithConfig is what the kit asks of the device: Video, Audio, Region,
// Cursor and Unpaced are passed to Backend.Open and, as the matching
// miniav options, to miniav.Open. Buffers, Observer and Logger are the
// kit's own.
func WithConfig(cfg backend.Config) Option { return func(o *options) { o.cfg = cfg } }

// NoDeviceTimestamps declares that the device has no clock of its own:
// Buffer.DeviceTimestamp stays 0.
func NoDeviceTimestamps() Option { return func(o *options) { o.noDeviceTS = true } }

// CannotBlock declares that Read does not wait for a release when every
// buffer is lent (the source copies into memory of its own, or drops): the
// cancellation check then does not expect a Read to be waiting.
func CannotBlock() Option { return func(o *options) { o.cannotBlock = true } }

// RepeatsSequence declares that the driver may give two consecutive frames
// the same sequence number (vivid on a slow emulated guest): sequence
// numbers must then only never go back.
func RepeatsSequence() Option { return func(o *options) { o.repeatSeq = true } }

// AllowAllocs sets how many allocations per frame steady-state capture may
// make (default 0), for platforms whose runtime allocates in callbacks.
func AllowAllocs(n float64) Option { return func(o *options) { o.allocs = n } }

// Frames sets how many frames the longer checks read (default 8; at least 3).
func Frames(n int) Option { return func(o *options) { o.frames = max(n, 3) } }

// Buffers sets how many buffers the kit asks the source for (default 3;
// at least 2).
func Buffers(n int) Option { return func(o *options) { o.buffers = max(n, 2) } }

// FrameTimeout bounds the wait for one frame, for a blocked call to return
// once cancelled or closed, and for Open (default 5 s).
func FrameTimeout(d time.Duration) Option { return func(o *options) { o.frameTimeout = d } }

// TimestampSlack is how long before Open was called a frame's Timestamp may
// lie (audio sources stamp the first sample of a period; default 1 s).
func TimestampSlack(d time.Duration) Option { return func(o *options) { o.slack = d } }

// CleanupTimeout bounds the wait for a source's goroutines, descriptors
// and segments to go after Close and the last release (default 5 s: an X
// server removes a segment only once it notices the closed connection).
func CleanupTimeout(d time.Duration) Option { return func(o *options) { o.cleanup = d } }

// kit is one Run.
type kit struct {
	id   string
	b    backend.Backend
	addr string
	o    options
}

// Run runs every contract against the device id ("x11::3",
// "pulse:loopback", "testsrc:camera") as subtests of t: "Source/..." on
// the raw backend.Source its backend opens, "Stream/..." on a channel
// stream and "Pull/..." on a pull stream opened with miniav.Open. The
// device's backend must be registered (its package imported).
func Run(t *testing.T, id string, opts ...Option) {
	t.Helper()
	k := &kit{id: id, o: options{frames: 8, buffers: 3, frameTimeout: 5 * time.Second, slack: time.Second, cleanup: 5 * time.Second}}
	for _, o := range opts {
		o(&k.o)
	}
	var err error
	if k.b, k.addr, err = backend.Resolve(id); err != nil {
		t.Fatalf("backendtest: %v", err)
	}
	// Open and read once before any snapshot is taken: what a backend
	// keeps for the process (a cached context, the runtime's poller) is
	// not a leak of one source.
	t.Run("Warmup", func(t *testing.T) {
		src, _ := k.open(t, k.o.buffers, false)
		b := k.read(t, src, context.Background())
		release(&b)
		k.close(t, src)
	})
	t.Run("Source", func(t *testing.T) {
		t.Run("OpenCancelled", k.sourceOpenCancelled)
		t.Run("Frames", k.sourceFrames)
		t.Run("BuffersComeBack", k.sourceBuffersComeBack)
		t.Run("CancelUnblocksRead", k.sourceCancel)
		t.Run("HeldAcrossClose", k.sourceHeldAcrossClose)
		t.Run("Close", k.sourceClose)
		t.Run("NoAllocs", k.sourceAllocs)
		t.Run("Memory", k.sourceMemory)
	})
	for _, pull := range []bool{false, true} {
		name := "Stream"
		if pull {
			name = "Pull"
		}
		t.Run(name, func(t *testing.T) {
			t.Run("OpenCancelled", func(t *testing.T) { k.streamOpenCancelled(t, pull) })
			t.Run("Frames", func(t *testing.T) { k.streamFrames(t, pull) })
			t.Run("RetainFanOut", func(t *testing.T) { k.streamRetain(t, pull) })
			t.Run("DoubleRelease", func(t *testing.T) { k.streamDoubleRelease(t, pull) })
			t.Run("HeldAcrossClose", func(t *testing.T) { k.streamHeldAcrossClose(t, pull) })
			t.Run("CloseRacesRead", func(t *testing.T) { k.streamCloseRace(t, pull) })
			t.Run("Cancel", func(t *testing.T) { k.streamCancel(t, pull) })
			t.Run("Close", func(t *testing.T) { k.streamClose(t, pull) })
			t.Run("NoAllocs", func(t *testing.T) { k.streamAllocs(t, pull) })
		})
	}
}

// await runs f and returns its error, or fails t when f has not returned
// within d (f then keeps running: the test has failed anyway).
func await(t testing.TB, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		t.Fatalf("%s: still blocked after %v", what, d)
		return nil
	}
}

// observer records the source's own events.
type observer struct {
	mu    sync.Mutex
	drops [backend.NumDropReasons]uint64
}

func (o *observer) Dropped(r backend.DropReason, n uint64) {
	o.mu.Lock()
	if r < backend.NumDropReasons {
		o.drops[r] += n
	}
	o.mu.Unlock()
}

func (o *observer) Copied() {}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// checkLayout reports what is wrong with a buffer's planes for its own
// format, or "".
func checkLayout(b *backend.Buffer, audio bool) string {
	if b.Releaser == nil {
		return "no Releaser"
	}
	if audio {
		a := b.Audio
		switch {
		case b.NumPlanes != 1:
			return fmt.Sprintf("audio buffer with %d planes, want 1", b.NumPlanes)
		case b.Frames <= 0:
			return fmt.Sprintf("audio buffer of %d sample frames", b.Frames)
		case a.FrameBytes() <= 0 || a.SampleRate <= 0:
			return fmt.Sprintf("audio buffer format %v", a)
		case len(b.Planes[0]) != b.Frames*a.FrameBytes():
			return fmt.Sprintf("%d bytes for %d sample frames of %v (%d bytes each)", len(b.Planes[0]), b.Frames, a, a.FrameBytes())
		}
		return ""
	}
	v := b.Video
	pf := v.PixelFormat
	if v.Width <= 0 || v.Height <= 0 || pf == 0 {
		return fmt.Sprintf("video buffer format %v", v)
	}
	if !pf.Known() || pf.Compressed() {
		if b.NumPlanes != 1 || len(b.Planes[0]) == 0 {
			return fmt.Sprintf("%v buffer with %d planes, %d bytes in the first", pf, b.NumPlanes, len(b.Planes[0]))
		}
		return ""
	}
	if b.NumPlanes != pf.NumPlanes() {
		return fmt.Sprintf("%v buffer with %d planes, want %d", v, b.NumPlanes, pf.NumPlanes())
	}
	for i := range b.NumPlanes {
		bpl, rows := pf.PlaneSize(i, v.Width, v.Height)
		s := b.Strides[i]
		if s < bpl {
			return fmt.Sprintf("%v plane %d: stride %d, below the %d bytes of a line", v, i, s, bpl)
		}
		if need := s*(rows-1) + bpl; len(b.Planes[i]) < need {
			return fmt.Sprintf("%v plane %d: %d bytes, want at least %d (%d rows at stride %d)", v, i, len(b.Planes[i]), need, rows, s)
		}
	}
	for i := b.NumPlanes; i < len(b.Planes); i++ {
		if b.Planes[i] != nil {
			return fmt.Sprintf("plane %d set beyond the %d planes", i, b.NumPlanes)
		}
	}
	return ""
}

// matchInfo reports how the first buffer disagrees with the source's Info,
// or "".
func matchInfo(in backend.Info, b *backend.Buffer) string {
	if in.Kind == backend.KindUnknown {
		return "Info().Kind is unknown"
	}
	if in.Kind.Audio() {
		a, w := b.Audio, in.Audio
		if a.SampleRate != w.SampleRate || a.Channels != w.Channels || a.SampleFormat != w.SampleFormat {
			return fmt.Sprintf("first buffer is %v, Info says %v", a, w)
		}
		if w.PeriodFrames > 0 && b.Frames > w.PeriodFrames {
			return fmt.Sprintf("first buffer has %d sample frames, more than Info's period of %d", b.Frames, w.PeriodFrames)
		}
		return ""
	}
	v, w := b.Video, in.Video
	if v.Width != w.Width || v.Height != w.Height || v.PixelFormat != w.PixelFormat {
		return fmt.Sprintf("first buffer is %v, Info says %v", v, w)
	}
	return ""
}

// sum is a checksum of a buffer's bytes, and their count.
func sum(planes [4][]byte, n int) (uint32, int) {
	c, total := uint32(0), 0
	for i := range max(n, 1) {
		c = crc32.Update(c, crc32.IEEETable, planes[i])
		total += len(planes[i])
	}
	return c, total
}

// first is the address of a buffer's first byte, to tell buffers apart.
func first(planes [4][]byte) *byte {
	for _, p := range planes {
		if len(p) > 0 {
			return &p[0]
		}
	}
	return nil
}

// seqCheck follows sequence numbers and timestamps frame by frame.
type seqCheck struct {
	o        *options
	audio    bool
	opened   time.Duration // backend.Now before Open
	n        int
	seq      uint64
	frames   int
	ts, dts  time.Duration
	nonzeroD bool
}

// next checks the frame after the previous one and reports a problem, or "".
func (c *seqCheck) next(seq uint64, frames int, skipped uint64, ts, dts, now time.Duration) string {
	defer func() { c.n++; c.seq, c.frames, c.ts, c.dts = seq, frames, ts, dts }()
	if dts != 0 {
		c.nonzeroD = true
	}
	if ts > now {
		return fmt.Sprintf("frame %d: Timestamp %v is in the future (backend.Now() %v): not on the shared epoch", c.n, ts, now)
	}
	if ts < c.opened-c.o.slack {
		return fmt.Sprintf("frame %d: Timestamp %v is more than %v before the source was opened at %v: not on the shared epoch", c.n, ts, c.o.slack, c.opened)
	}
	if c.o.noDeviceTS && dts != 0 {
		return fmt.Sprintf("frame %d: DeviceTimestamp %v from a source declared without device timestamps", c.n, dts)
	}
	if c.n == 0 {
		return ""
	}
	if ts < c.ts {
		return fmt.Sprintf("frame %d: Timestamp went back from %v to %v", c.n, c.ts, ts)
	}
	if dts < c.dts {
		return fmt.Sprintf("frame %d: DeviceTimestamp went back from %v to %v", c.n, c.dts, dts)
	}
	want := c.seq + 1
	if c.audio {
		want = c.seq + uint64(c.frames)
	}
	switch {
	case c.o.repeatSeq && !c.audio && seq == c.seq:
		return ""
	case seq < want:
		return fmt.Sprintf("frame %d: Sequence %d after %d, want at least %d", c.n, seq, c.seq, want)
	case skipped > seq-want:
		return fmt.Sprintf("frame %d: Skipped %d, but the gap before Sequence %d is %d", c.n, skipped, seq, seq-want)
	}
	return ""
}

// done reports a problem with the run as a whole, or "".
func (c *seqCheck) done() string {
	if !c.o.noDeviceTS && c.n >= 2 && !c.nonzeroD {
		return fmt.Sprintf("DeviceTimestamp was 0 on all %d frames: declare NoDeviceTimestamps if the device has no clock", c.n)
	}
	return ""
}

func isCanceled(err error) bool { return errors.Is(err, context.Canceled) }
