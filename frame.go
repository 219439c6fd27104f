package miniav

import (
	"fmt"
	"image"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// FrameKind says whether a frame holds video or audio.
type FrameKind uint8

// Frame kinds.
const (
	NoFrame FrameKind = iota
	VideoFrame
	AudioFrame
)

func (k FrameKind) String() string {
	switch k {
	case VideoFrame:
		return "video"
	case AudioFrame:
		return "audio"
	}
	return "none"
}

// Frame is a handle on one captured frame. It is a small value: copy it
// freely, but every reference taken (the one a stream delivers, and one per
// Retain) needs exactly one Release.
//
// A Frame's methods are safe for concurrent use. Once the last reference is
// released the handle is stale: its data accessors return empty views and
// Release and Retain return ErrReleased, even after the frame's memory was
// reused for a later frame.
type Frame struct {
	o   *frameObj
	gen uint32
}

// frameObj is a pooled frame. Its cleanup is attached once, when it is
// allocated, to st, which must never point back at the frameObj.
type frameObj struct {
	st   *frameState
	home *framePool
	kind FrameKind
	buf  backend.Buffer
	in   *Intrinsics
}

// frameState is what the cleanup of a frameObj sees.
type frameState struct {
	// rc packs the generation (high 32 bits) and the reference count (low
	// 32 bits) so stale handles can be told apart in one atomic load.
	rc   atomic.Uint64
	acct *accounting

	mu       sync.Mutex // guards releaser and token for the cleanup goroutine
	releaser backend.Releaser
	token    uint64

	// leakGen is the generation+1 of the frame last counted as leaked by
	// ReportLeak, so that a frame counts once.
	leakGen atomic.Uint32
}

func rcGen(v uint64) uint32  { return uint32(v >> 32) }
func rcRefs(v uint64) uint32 { return uint32(v) }

// live reports whether f still holds a reference.
func (f Frame) live() bool {
	if f.o == nil {
		return false
	}
	v := f.o.st.rc.Load()
	return rcGen(v) == f.gen && rcRefs(v) > 0
}

// Valid reports whether f holds at least one unreleased reference.
func (f Frame) Valid() bool { return f.live() }

// Kind reports whether f is video or audio (NoFrame once released).
func (f Frame) Kind() FrameKind {
	if !f.live() {
		return NoFrame
	}
	return f.o.kind
}

// Timestamp is the capture time on the process-wide epoch (backend.Now).
func (f Frame) Timestamp() time.Duration {
	if !f.live() {
		return 0
	}
	return f.o.buf.Timestamp
}

// DeviceTimestamp is the device's own timestamp, or 0 if it has none.
func (f Frame) DeviceTimestamp() time.Duration {
	if !f.live() {
		return 0
	}
	return f.o.buf.DeviceTimestamp
}

// Sequence is the device's frame counter (audio: the index of the first
// sample frame since capture started). Gaps mean the device dropped data.
func (f Frame) Sequence() uint64 {
	if !f.live() {
		return 0
	}
	return f.o.buf.Sequence
}

// Copied reports whether the data was copied out of device memory (under
// pressure, or by Clone) rather than lent by the device.
func (f Frame) Copied() bool {
	return f.live() && f.o.buf.Flags&backend.FlagCopied != 0
}

// Memory returns the identity of the long-lived region f's planes lie in
// (a V4L2 MMAP buffer, an X11 shared segment, a pooled buffer), the same
// *backend.Memory for every frame lent from that region, or nil when the
// source has none or f was released. A consumer that caches per-region
// work (a GPU import) keys it by Memory().ID() and drops it in a function
// registered with OnTeardown, which runs only after every frame lent from
// the region was released.
func (f Frame) Memory() *backend.Memory {
	if !f.live() {
		return nil
	}
	return f.o.buf.Memory
}

// Damage returns the regions of a video frame that changed since the
// frame before it, and true, when its source reports damage (the pipewire
// backend, from the producer's SPA_META_VideoDamage: screen casts that
// track damage). A consumer can then skip the unchanged parts, such as
// tiles whose pixels it already processed. With ok false the source does
// not say what changed: treat the whole frame as changed. The rectangles
// are in the frame's pixels and lie within its bounds; at most
// backend.MaxDamage of them, the last one possibly uniting several. The
// slice points into the frame (no allocation) and is valid until the
// frame is released; it may be empty when the source reported that
// nothing changed.
func (f Frame) Damage() (rects []image.Rectangle, ok bool) {
	if !f.live() || f.o.buf.Flags&backend.FlagDamage == 0 {
		return nil, false
	}
	b := &f.o.buf
	return b.Damage[:b.NumDamage:b.NumDamage], true
}

// Cursor returns the pointer's position in the frame's pixels, and true,
// when the source reports the cursor as metadata instead of drawing it in
// (false: not reported, or the pointer is not over the captured area).
func (f Frame) Cursor() (pos image.Point, ok bool) {
	if !f.live() || f.o.buf.Flags&backend.FlagCursor == 0 {
		return image.Point{}, false
	}
	return f.o.buf.Cursor, true
}

// Stream returns the name of the stream that captured f.
func (f Frame) Stream() string {
	if f.o == nil {
		return ""
	}
	return f.o.st.acct.name
}

// Intrinsics returns the intrinsics attached with WithIntrinsics, or nil.
func (f Frame) Intrinsics() *Intrinsics {
	if !f.live() {
		return nil
	}
	return f.o.in
}

// Retain adds a reference, for handing the frame to another goroutine.
// Each Retain needs its own Release.
func (f Frame) Retain() error {
	if f.o == nil {
		return ErrReleased
	}
	st := f.o.st
	for {
		v := st.rc.Load()
		if rcGen(v) != f.gen || rcRefs(v) == 0 {
			st.acct.series.ReleaseError()
			st.acct.releaseErrs.Add(1)
			return ErrReleased
		}
		if st.rc.CompareAndSwap(v, v+1) {
			return nil
		}
	}
}

// Release drops one reference. The last one gives the memory back to its
// owner. Releasing a frame with no references left returns ErrReleased.
func (f Frame) Release() error {
	if f.o == nil {
		return ErrReleased
	}
	st := f.o.st
	for {
		v := st.rc.Load()
		if rcGen(v) != f.gen || rcRefs(v) == 0 {
			st.acct.series.ReleaseError()
			st.acct.releaseErrs.Add(1)
			return ErrReleased
		}
		next := v - 1
		if rcRefs(v) == 1 {
			next = uint64(f.gen+1) << 32
		}
		if st.rc.CompareAndSwap(v, next) {
			if rcRefs(v) == 1 {
				f.o.recycle()
			}
			return nil
		}
	}
}

// Drop releases f (one reference, as Release does) and counts it in its
// stream's Stats and metrics (miniav_frames_dropped_total{reason}) as
// dropped for reason r. It is for consumers that discard a frame they were
// handed, such as a publisher whose network cannot keep up (DropNetwork):
// such a frame was counted as delivered too. It returns Release's error
// (ErrReleased for a frame with no references left, which is not counted),
// or ErrInvalid for a reason out of range.
func (f Frame) Drop(r backend.DropReason) error {
	if r >= backend.NumDropReasons {
		return fmt.Errorf("drop reason %d: %w", r, ErrInvalid)
	}
	if f.o == nil {
		return ErrReleased
	}
	a := f.o.st.acct
	if err := f.Release(); err != nil {
		return err
	}
	a.Dropped(r, 1)
	return nil
}

// ReportLeak counts f, which still holds a reference, as leaked in its
// stream's Stats and metrics (miniav_frames_leaked_total) without
// releasing it: f stays valid and its Release still gives the buffer back.
// It is for bridges that lend frames to code without a garbage collector,
// where the finalizer that counts Go's leaks can never run (the C APIs count
// a buffer the application has held past a deadline). A frame counts once,
// however often it is reported; ReportLeak returns whether this call
// counted it.
func (f Frame) ReportLeak() bool {
	if !f.live() {
		return false
	}
	st := f.o.st
	if st.leakGen.Swap(f.gen+1) == f.gen+1 {
		return false
	}
	a := st.acct
	a.leaked.Add(1)
	a.series.Leaked()
	return true
}

// recycle gives the buffer back to its owner and the frameObj to its pool.
// The caller has just moved the reference count to zero.
func (o *frameObj) recycle() {
	st := o.st
	st.mu.Lock()
	r, tok := st.releaser, st.token
	st.releaser = nil
	st.mu.Unlock()
	o.buf = backend.Buffer{}
	o.in = nil
	if r != nil {
		r.ReleaseBuffer(tok)
	}
	st.acct.outstanding.Add(-1)
	st.acct.series.Outstanding(-1)
	o.home.put(o)
}

// reclaim is the cleanup of a frameObj that became unreachable: if it still
// held references, the buffer is given back and the leak counted.
func reclaim(st *frameState) {
	v := st.rc.Load()
	if rcRefs(v) == 0 {
		return
	}
	counted := st.leakGen.Load() == rcGen(v)+1 // by ReportLeak already
	st.mu.Lock()
	r, tok := st.releaser, st.token
	st.releaser = nil
	st.mu.Unlock()
	if r != nil {
		r.ReleaseBuffer(tok)
	}
	a := st.acct
	if a.leakLogged.CompareAndSwap(false, true) {
		a.logger.Warn("miniav: frame garbage-collected without Release; its buffer was reclaimed (logged once per stream)",
			slog.String("stream", a.name))
	}
	a.outstanding.Add(-1)
	a.series.Outstanding(-1)
	if !counted {
		a.leaked.Add(1)
		a.series.Leaked()
	}
}

// framePool recycles frameObjs of one stream. It is not reachable from any
// frameState, so pooled frames can be collected with the stream.
type framePool struct {
	acct   *accounting
	clones *pool.Pool
	mu     sync.Mutex
	free   []*frameObj
}

func (p *framePool) get() *frameObj {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		o := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return o
	}
	p.mu.Unlock()
	st := &frameState{acct: p.acct}
	o := &frameObj{st: st, home: p}
	runtime.AddCleanup(o, reclaim, st)
	return o
}

func (p *framePool) put(o *frameObj) {
	p.mu.Lock()
	p.free = append(p.free, o)
	p.mu.Unlock()
}

// publish takes the first reference on o, whose buf is filled, and returns
// its handle.
func (o *frameObj) publish() Frame {
	st := o.st
	st.mu.Lock()
	st.releaser, st.token = o.buf.Releaser, o.buf.Token
	st.mu.Unlock()
	v := st.rc.Load() // refs are 0 here: the object came from the pool
	st.rc.Store(v + 1)
	st.acct.outstanding.Add(1)
	st.acct.series.Outstanding(1)
	return Frame{o: o, gen: rcGen(v)}
}

// VideoView is a view of a video frame's planes. Its slices point into the
// frame's memory and are valid until the frame is released.
type VideoView struct {
	format.Video
	planes  [4][]byte
	strides [4]int
	n       int
	dmabuf  [4]int
	dmaOff  [4]int
	mod     uint64
	hasDMA  bool
	hasMod  bool
}

// Video returns the video planes of f (an empty view for audio frames and
// released handles).
func (f Frame) Video() VideoView {
	if !f.live() || f.o.kind != VideoFrame {
		return VideoView{}
	}
	b := &f.o.buf
	dma := b.Flags&backend.FlagDMABuf != 0
	return VideoView{Video: b.Video, planes: b.Planes, strides: b.Strides, n: b.NumPlanes,
		dmabuf: b.DMABuf, dmaOff: b.DMABufOffset, mod: b.Modifier,
		hasDMA: dma, hasMod: dma && b.Flags&backend.FlagModifier != 0}
}

// NumPlanes is the number of planes.
func (v VideoView) NumPlanes() int { return v.n }

// Plane returns plane i (nil if out of range). For compressed formats the
// single plane holds exactly the frame's bytes.
func (v VideoView) Plane(i int) []byte {
	if i < 0 || i >= v.n {
		return nil
	}
	return v.planes[i]
}

// Stride returns the bytes per line of plane i.
func (v VideoView) Stride(i int) int {
	if i < 0 || i >= v.n {
		return 0
	}
	return v.strides[i]
}

// DMABuf returns the DMA-BUF file descriptor exported for plane i, for
// zero-copy import into a GPU API. The descriptor belongs to the stream:
// dup it to keep it beyond Release.
func (v VideoView) DMABuf(i int) (fd int, ok bool) {
	if !v.hasDMA || i < 0 || i >= v.n {
		return -1, false
	}
	return v.dmabuf[i], true
}

// DMABufOffset returns where plane i starts in its DMA-BUF descriptor
// (DMABuf(i)): planes may share one descriptor at different offsets.
func (v VideoView) DMABufOffset(i int) (off int, ok bool) {
	if !v.hasDMA || i < 0 || i >= v.n {
		return 0, false
	}
	return v.dmaOff[i], true
}

// Modifier returns the DRM format modifier of the DMA-BUF planes (0 is
// DRM_FORMAT_MOD_LINEAR), when the source knows it (the pipewire backend,
// from the negotiated format).
func (v VideoView) Modifier() (mod uint64, ok bool) {
	if !v.hasMod {
		return 0, false
	}
	return v.mod, true
}

// Len is the total number of bytes in all planes.
func (v VideoView) Len() int {
	n := 0
	for i := 0; i < v.n; i++ {
		n += len(v.planes[i])
	}
	return n
}

// AudioView is a view of an audio frame's interleaved samples, valid until
// the frame is released.
type AudioView struct {
	format.Audio
	data   []byte
	frames int
}

// Audio returns the samples of f (an empty view for video frames and
// released handles).
func (f Frame) Audio() AudioView {
	if !f.live() || f.o.kind != AudioFrame {
		return AudioView{}
	}
	b := &f.o.buf
	return AudioView{Audio: b.Audio, data: b.Planes[0], frames: b.Frames}
}

// Data returns the interleaved little-endian samples.
func (a AudioView) Data() []byte { return a.data }

// Frames is the number of sample frames (one sample per channel each).
func (a AudioView) Frames() int { return a.frames }

// Duration is how long the samples last.
func (a AudioView) Duration() time.Duration {
	if a.SampleRate == 0 {
		return 0
	}
	return time.Duration(int64(a.frames) * int64(time.Second) / int64(a.SampleRate))
}

// Int16s views S16 samples as []int16 without copying (nil for other
// formats).
func (a AudioView) Int16s() []int16 {
	if a.SampleFormat != format.S16 || len(a.data) < 2 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(a.data))), len(a.data)/2)
}

// Float32s views F32 samples as []float32 without copying (nil for other
// formats).
func (a AudioView) Float32s() []float32 {
	if a.SampleFormat != format.F32 || len(a.data) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(a.data))), len(a.data)/4)
}

// Clone copies f into pooled memory (the stream's clone pool, see
// WithClonePool) and returns a new frame with one reference, independent of
// the device's buffers: for consumers that keep frames longer than the
// device can lend them. f keeps its own reference. Clone fails with
// ErrReleased on a released handle and with pool.ErrExhausted when the
// clone pool is full.
func (f Frame) Clone() (Frame, error) {
	if !f.live() {
		return Frame{}, ErrReleased
	}
	src := f.o
	n := 0
	for i := 0; i < max(src.buf.NumPlanes, 1); i++ {
		n += len(src.buf.Planes[i])
	}
	pb, err := src.home.clones.Get(n)
	if err != nil {
		return Frame{}, err
	}
	o := src.home.get()
	o.kind, o.in = src.kind, src.in
	o.buf = src.buf
	data := pb.Bytes()
	off := 0
	for i := 0; i < max(src.buf.NumPlanes, 1); i++ {
		k := copy(data[off:], src.buf.Planes[i])
		o.buf.Planes[i] = data[off : off+k : off+k]
		off += k
	}
	o.buf.Flags = (o.buf.Flags | backend.FlagCopied) &^ backend.FlagDMABuf
	o.buf.Releaser, o.buf.Token, o.buf.Memory = pb, 0, pb.Memory()
	if !f.live() { // released while we copied: the copy may be torn
		o.publish().Release()
		return Frame{}, ErrReleased
	}
	return o.publish(), nil
}

var _ backend.Releaser = (*pool.Buffer)(nil)
