package backend

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"time"

	"github.com/miniav-go/miniav/format"
)

// Errors a backend returns, wrapped with %w, for callers to match with
// errors.Is. The miniav package re-exports them under the same names.
var (
	ErrNotFound         = errors.New("device not found")
	ErrNotSupported     = errors.New("not supported")
	ErrBusy             = errors.New("device busy")
	ErrDeviceLost       = errors.New("device lost")
	ErrPermissionDenied = errors.New("permission denied")
	ErrClosed           = errors.New("closed")
)

// Kind is what a device captures.
type Kind uint8

// Device kinds.
const (
	KindUnknown    Kind = iota
	KindCamera          // a video input: webcam, capture card, test pattern
	KindDisplay         // a whole screen or monitor
	KindWindow          // one top-level window
	KindMicrophone      // an audio input
	KindLoopback        // what an audio output plays (a monitor source)
)

var kindNames = [...]string{"unknown", "camera", "display", "window", "microphone", "loopback"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind returns the kind named s ("camera", "display", "window",
// "microphone", "loopback"; the names String gives).
func ParseKind(s string) (Kind, bool) {
	for k := KindCamera; int(k) < len(kindNames); k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return KindUnknown, false
}

// Audio reports whether devices of kind k deliver audio frames.
func (k Kind) Audio() bool { return k == KindMicrophone || k == KindLoopback }

// Device describes one capturable device.
type Device struct {
	// ID is backend-qualified and stable across enumerations:
	// "testsrc:camera", "v4l2:/dev/video0", "x11::0/window/0x400001".
	ID      string
	Name    string
	Kind    Kind
	Backend string
	// Default marks the system's default device of its kind.
	Default bool
	// Bounds is the geometry of displays and windows in screen coordinates.
	Bounds image.Rectangle
	// Attrs holds backend-specific facts (bus info, driver, X window id).
	Attrs map[string]string
	// Video and Audio list the formats the device offers.
	Video []format.VideoCaps
	Audio []format.AudioCaps
}

// Config is what a stream asks of a source. Zero fields mean "default".
type Config struct {
	Video format.Video
	Audio format.Audio
	// Region crops display capture to a rectangle in screen coordinates.
	Region image.Rectangle
	// Cursor asks screen capture to draw the mouse pointer in.
	Cursor bool
	// Unpaced asks the source to deliver as fast as the consumer takes
	// frames instead of at the format's frame rate (synthetic and screen
	// sources; cameras are paced by their hardware).
	Unpaced bool
	// Buffers is how many buffers the source should keep (0: its default).
	Buffers int
	// CopyThreshold makes a zero-copy source copy a frame into pooled memory
	// and give its own buffer straight back when fewer than CopyThreshold of
	// its buffers remain available to the device (0 disables copying).
	CopyThreshold int
	// Observer receives the source's own events (drops, copies). Never nil
	// when a stream opens a source.
	Observer Observer
	// Logger is the stream's logger. Never nil when a stream opens a source.
	Logger *slog.Logger
}

// Backend is a family of devices sharing one ID scheme.
type Backend interface {
	// Name is the scheme of the backend's device IDs, without the colon.
	Name() string
	// Devices lists the devices available now.
	Devices(ctx context.Context) ([]Device, error)
	// Open opens the device whose ID is Name()+":"+addr and starts capture.
	// It returns an error matching ErrNotFound, ErrNotSupported (format),
	// ErrBusy or ErrPermissionDenied where those apply.
	Open(ctx context.Context, addr string, cfg Config) (Source, error)
}

// Kinder is implemented by backends that know which kinds of device they
// can offer, so that listing one kind (the default camera, say) does not
// wake up backends of other kinds (an audio server, a display).
type Kinder interface {
	Kinds() []Kind
}

// Notifier is implemented by backends that hear from the system when their
// devices may have changed: a device node created or removed, a monitor
// connected, a window mapped. devices.Watcher enumerates at once when
// notified instead of waiting for its next poll.
type Notifier interface {
	// Changes starts watching and returns a channel that receives when the
	// backend's devices may have changed. Notifications coalesce: while
	// one is pending, more are dropped, so the receiver enumerates once per
	// burst. The channel is closed when ctx is done or the watch ends on
	// its own (the display server went away), and only after everything
	// the watch used (goroutines, file descriptors, connections) is gone.
	// An error means the backend cannot watch; callers then poll. An error
	// matching ErrNotFound means there is nothing to watch (no display
	// server), which devices.Watcher does not report.
	Changes(ctx context.Context) (<-chan struct{}, error)
}

// Offers reports whether b may have devices of kind k: true unless b
// implements Kinder and does not list k.
func Offers(b Backend, k Kind) bool {
	kb, ok := b.(Kinder)
	if !ok {
		return true
	}
	for _, x := range kb.Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// Info describes an open source.
type Info struct {
	Kind  Kind
	Video format.Video // negotiated video format (video sources)
	Audio format.Audio // negotiated audio format (audio sources)
	// ZeroCopy is true when buffers are the device's own memory.
	ZeroCopy bool
	// Mode is a short human-readable description of the capture path,
	// e.g. "mmap", "mit-shm", "getimage (MIT-SHM unavailable)".
	Mode string
	// Attrs holds backend-specific facts about the open source, such as
	// the ScreenCast portal's restore token ("restore_token") for the
	// pipewire backend. Nil when there are none.
	Attrs map[string]string
}

// Source is an open device. The stream that owns it calls Read from a single
// goroutine and Close after its last Read has returned. See the package
// documentation for the whole contract, which backendtest.Run checks.
type Source interface {
	// Info describes the source; the first buffer has its format.
	Info() Info
	// Read waits for the next buffer and fills b. It returns ctx.Err()
	// promptly once ctx is done (also when a buffer is ready),
	// ErrDeviceLost (wrapped) when the device went away, ErrClosed
	// (wrapped) after Close, or another error that ends the stream. After a
	// successful Read the stream owns the buffer until it calls
	// b.Releaser.ReleaseBuffer.
	Read(ctx context.Context, b *Buffer) error
	// Close stops capture and frees the source's resources. Buffers still
	// lent out stay valid: their memory is freed when they are released.
	// Closing again does nothing and returns nil.
	Close() error
}

// Flags describe a buffer.
type Flags uint32

// Buffer flags.
const (
	// FlagDMABuf: DMABuf holds exported DMA-BUF fds, one per plane.
	FlagDMABuf Flags = 1 << iota
	// FlagCopied: the data was copied out of the device's memory.
	FlagCopied
	// FlagKeyframe: the buffer starts a compressed group of pictures.
	FlagKeyframe
	// FlagDamage: Damage[:NumDamage] lists the regions that changed since
	// the source's previous frame. Without it the whole frame counts as
	// changed.
	FlagDamage
	// FlagCursor: Cursor is the pointer's position in the frame, reported
	// as metadata rather than drawn in.
	FlagCursor
	// FlagModifier: Modifier is the DRM format modifier of the DMA-BUF
	// planes (with FlagDMABuf).
	FlagModifier
)

// MaxDamage is how many damaged rectangles a Buffer holds. A source told
// of more keeps the first MaxDamage-1 and unites the rest into the last,
// so the list still covers every change.
const MaxDamage = 16

// Releaser takes back the memory of a buffer. ReleaseBuffer is called
// exactly once per successful Read, with the buffer's Token, from any
// goroutine, possibly after the source was closed.
type Releaser interface {
	ReleaseBuffer(token uint64)
}

// Buffer is one frame lent by a source. For video, Planes holds up to four
// plane views with their strides; for audio, Planes[0] holds interleaved
// samples and Frames the number of sample frames.
type Buffer struct {
	Planes    [4][]byte
	Strides   [4]int
	NumPlanes int
	DMABuf    [4]int
	// DMABufOffset is where plane i starts in DMABuf[i] (planes may share
	// one descriptor), and Modifier the planes' DRM format modifier when
	// Flags has FlagModifier.
	DMABufOffset [4]int
	Modifier     uint64

	Video  format.Video // this frame's format (a window may change size)
	Audio  format.Audio
	Frames int // audio sample frames in Planes[0]

	// Timestamp is the capture time on the process-wide epoch (see Now).
	Timestamp time.Duration
	// DeviceTimestamp is the device's own clock, when it has one.
	DeviceTimestamp time.Duration
	// Sequence is the device's frame counter (for audio: the index of the
	// first sample frame). Gaps mean the device dropped data.
	Sequence uint64
	// Skipped is how much of the gap in Sequence just before this buffer
	// the source already reported through Observer.Dropped (for example a
	// buffer the driver marked corrupt, or an audio overrun), in the units
	// of Sequence: frames, or sample frames for audio. The stream counts
	// only the rest of the gap as device drops, so nothing is counted twice.
	Skipped uint64
	Flags   Flags
	// Damage[:NumDamage] are the regions of the frame (in its pixels,
	// within its bounds) that changed since the source's previous frame,
	// when Flags has FlagDamage; the array is part of the buffer, so
	// reporting damage allocates nothing.
	Damage    [MaxDamage]image.Rectangle
	NumDamage int
	// Cursor is the pointer's position in the frame's pixels when Flags
	// has FlagCursor (screen casts with the cursor as metadata).
	Cursor image.Point

	// Memory is the long-lived region the planes lie in, when the source
	// lends them from one (nil for data made or copied per frame by
	// something that does not keep it). The same region comes with the
	// same *Memory on every buffer lent from it.
	Memory *Memory

	Releaser Releaser
	Token    uint64
}

// Reset clears b for reuse.
func (b *Buffer) Reset() { *b = Buffer{} }

// DropReason says why a frame did not reach the consumer.
type DropReason uint8

// Drop reasons. They are the values of the "reason" label of
// miniav_frames_dropped_total.
const (
	DropQueueOldest   DropReason = iota // evicted from a full queue by a newer frame (DropOldest policy)
	DropQueueNewest                     // refused by a full queue (DropNewest policy)
	DropDevice                          // lost by the device or driver: a gap in sequence numbers
	DropOverrun                         // the source's real-time hand-off was full (audio callback)
	DropPoolExhausted                   // no pooled buffer was free to copy into
	DropError                           // the device marked the buffer as corrupt
	DropStopped                         // still queued when the stream stopped
	DropNetwork                         // delivered, then discarded by a consumer whose network could not keep up (publish)
	NumDropReasons
)

var dropNames = [...]string{"queue_oldest", "queue_newest", "device", "overrun", "pool_exhausted", "error", "stopped", "network"}

func (r DropReason) String() string {
	if int(r) < len(dropNames) {
		return dropNames[r]
	}
	return "unknown"
}

// Observer receives a source's own events. Calls must be cheap; they are
// made on capture paths.
type Observer interface {
	// Dropped counts n frames (or, for audio, n buffers) lost for reason.
	Dropped(reason DropReason, n uint64)
	// Copied counts a frame copied out of device memory under pressure.
	Copied()
}

// NopObserver ignores every event.
type NopObserver struct{}

func (NopObserver) Dropped(DropReason, uint64) {}
func (NopObserver) Copied()                    {}
