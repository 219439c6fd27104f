//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
	"github.com/miniav-go/miniav/pool"
)

// Buffer counts: the default, and the bounds a Config.Buffers is clamped to.
const (
	defaultBuffers = 4
	minBuffers     = 2
	maxBuffers     = 32
)

// kbuf is one kernel buffer: its planes mapped into the process, and the
// DMA-BUF fds they were exported as (-1 when not).
type kbuf struct {
	planes [][]byte
	dmabuf [4]int
	// region is the identity of the buffer's mapping when it has one
	// (every plane in one mmap, the usual case); nil for multi-planar
	// buffers mapped piecewise. Torn down right before munmap.
	region *backend.Memory
}

// source is an open, streaming capture node.
type source struct {
	path    string
	fd      int
	evfd    int
	typ     uint32
	nplanes int // kernel planes per buffer
	lay     layout
	info    backend.Info
	obs     backend.Observer
	log     *slog.Logger
	bufs    []kbuf
	dmabuf  bool
	copyAt  int
	skipped uint64 // frames dropped here since the last delivered one
	pool    *pool.Pool
	pin     runtime.Pinner // keeps dqPlanes and qPlanes in place for the kernel
	one     [8]byte        // the eventfd increment

	// Used by Read only (one goroutine).
	dq       v4l2.Buffer
	dqPlanes [8]v4l2.Plane
	kp       [8]kplane
	pfds     [2]unix.PollFd
	evbuf    [8]byte
	watched  <-chan struct{}
	unwatch  func() bool

	mu      sync.Mutex
	q       v4l2.Buffer // for QBUF and QUERYBUF
	qPlanes [8]v4l2.Plane
	queued  int   // buffers owned by the driver
	lent    int   // buffers lent to the stream
	waiting bool  // Read sleeps until a buffer is released
	closed  bool  // fds closed; the mappings go with the last lent buffer
	failed  error // a QBUF failed: the buffer is out of circulation
}

var _ backend.Controller = (*source)(nil)

func (s *source) mplane() bool { return s.typ == v4l2.BufTypeVideoCaptureMPlane }

// start negotiates the format, maps the buffers and starts streaming. It
// takes over n.fd: on failure everything is closed.
func start(n *node, cfg backend.Config) (_ *source, err error) {
	s := &source{path: n.path, fd: n.fd, evfd: -1, typ: n.typ, obs: cfg.Observer, log: cfg.Logger, copyAt: cfg.CopyThreshold}
	s.one[0] = 1
	if s.obs == nil {
		s.obs = backend.NopObserver{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.pin.Pin(s)
	defer func() {
		if err != nil {
			s.mu.Lock()
			s.shutdownLocked()
			s.mu.Unlock()
		}
	}()
	if err := s.negotiate(cfg.Video); err != nil {
		return nil, err
	}
	if err := s.allocate(cfg.Buffers); err != nil {
		return nil, err
	}
	s.export()
	if s.evfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, fmt.Errorf("v4l2: eventfd: %w", err)
	}
	s.mu.Lock()
	for i := range s.bufs {
		if err := s.qbufLocked(i); err != nil {
			s.mu.Unlock()
			return nil, ioErr(s.path, "QBUF", err)
		}
	}
	s.mu.Unlock()
	if err := v4l2.StreamOn(s.fd, s.typ); err != nil {
		return nil, ioErr(s.path, "STREAMON", err)
	}
	if s.copyAt > 0 {
		size := 0
		for _, p := range s.bufs[0].planes {
			size += len(p)
		}
		s.pool = pool.New(pool.WithMaxBytes(int64(2*len(s.bufs)+2) * int64(size+size/4+256)))
	}
	s.info.Mode = "mmap"
	if s.mplane() {
		s.info.Mode = "mmap-mplane"
	}
	if s.dmabuf {
		s.info.Mode += "+dmabuf"
	}
	s.info.Kind = backend.KindCamera
	s.info.ZeroCopy = true
	s.log.Debug("v4l2: streaming", slog.String("device", s.path), slog.String("format", s.info.Video.String()),
		slog.Int("buffers", len(s.bufs)), slog.String("mode", s.info.Mode))
	return s, nil
}

// negotiate sets the format and frame rate and records what the driver chose.
func (s *source) negotiate(want format.Video) error {
	f := v4l2.Format{Type: s.typ}
	if err := v4l2.GetFmt(s.fd, &f); err != nil {
		return ioErr(s.path, "G_FMT", err)
	}
	var fourcc, w, h uint32
	if s.mplane() {
		mp := f.MPlane()
		fourcc, w, h = mp.PixelFormat, mp.Width, mp.Height
	} else {
		pix := f.Pix()
		fourcc, w, h = pix.PixelFormat, pix.Width, pix.Height
	}
	if want.PixelFormat != 0 {
		offered, err := enumFormats(s.fd, s.typ)
		if err != nil {
			return ioErr(s.path, "ENUM_FMT", err)
		}
		fourcc = 0
		for _, c := range candidates(want.PixelFormat) {
			if slices.ContainsFunc(offered, func(d v4l2.FmtDesc) bool { return d.PixelFormat == c }) {
				fourcc = c
				break
			}
		}
		if fourcc == 0 {
			names := make([]string, len(offered))
			for i, d := range offered {
				names[i] = toFormat(d.PixelFormat).String()
			}
			return fmt.Errorf("v4l2: %s does not offer pixel format %s (it has %s): %w",
				s.path, want.PixelFormat, strings.Join(names, " "), backend.ErrNotSupported)
		}
	}
	if want.Width > 0 && want.Height > 0 {
		w, h = uint32(want.Width), uint32(want.Height)
	}
	f = v4l2.Format{Type: s.typ}
	if s.mplane() {
		mp := f.MPlane()
		mp.Width, mp.Height, mp.PixelFormat, mp.Field = w, h, fourcc, v4l2.FieldNone
	} else {
		pix := f.Pix()
		pix.Width, pix.Height, pix.PixelFormat, pix.Field = w, h, fourcc, v4l2.FieldNone
	}
	if err := v4l2.SetFmt(s.fd, &f); err != nil {
		return ioErr(s.path, "S_FMT", err)
	}
	l := layout{kplanes: 1}
	var got uint32
	if s.mplane() {
		mp := f.MPlane()
		got, w, h = mp.PixelFormat, mp.Width, mp.Height
		l.kplanes = max(int(mp.NumPlanes), 1)
		for i := 0; i < l.kplanes && i < len(mp.PlaneFmt); i++ {
			l.bpl[i] = int(mp.PlaneFmt[i].BytesPerLine)
		}
	} else {
		pix := f.Pix()
		got, w, h = pix.PixelFormat, pix.Width, pix.Height
		l.bpl[0] = int(pix.BytesPerLine)
	}
	if got != fourcc {
		return fmt.Errorf("v4l2: %s: asked for %s, the driver chose %s: %w",
			s.path, toFormat(fourcc), toFormat(got), backend.ErrNotSupported)
	}
	l.pf, l.width, l.height = toFormat(got), int(w), int(h)
	if err := l.check(); err != nil {
		return fmt.Errorf("v4l2: %s: %s: %w", s.path, toFormat(got), err)
	}
	s.lay = l
	s.info.Video = format.Video{Width: int(w), Height: int(h), PixelFormat: l.pf}
	p := v4l2.StreamParm{Type: s.typ}
	if err := v4l2.GetParm(s.fd, &p); err == nil {
		if !want.FrameRate.IsZero() && p.Capture.Capability&v4l2.CapTimePerFrame != 0 {
			p.Capture.TimePerFrame = intervalOf(want.FrameRate)
			if err := v4l2.SetParm(s.fd, &p); err != nil {
				return ioErr(s.path, "S_PARM", err)
			}
		}
		s.info.Video.FrameRate = rateOf(p.Capture.TimePerFrame)
	}
	return nil
}

// allocate requests MMAP buffers and maps them.
func (s *source) allocate(count int) error {
	if count <= 0 {
		count = defaultBuffers
	}
	count = min(max(count, minBuffers), maxBuffers)
	r := v4l2.RequestBuffers{Count: uint32(count), Type: s.typ, Memory: v4l2.MemoryMMAP}
	if err := v4l2.ReqBufs(s.fd, &r); err != nil {
		if errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("v4l2: %s: REQBUFS: %v: mmap streaming: %w", s.path, err, backend.ErrNotSupported)
		}
		return ioErr(s.path, "REQBUFS", err)
	}
	if r.Count == 0 {
		return fmt.Errorf("v4l2: %s: the driver allocated no buffers: %w", s.path, backend.ErrNotSupported)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bufs = make([]kbuf, r.Count)
	for i := range s.bufs {
		s.bufs[i].dmabuf = [4]int{-1, -1, -1, -1}
	}
	for i := range s.bufs {
		s.q = v4l2.Buffer{Index: uint32(i), Type: s.typ, Memory: v4l2.MemoryMMAP}
		if s.mplane() {
			s.qPlanes = [8]v4l2.Plane{}
			s.q.SetPlanes(s.qPlanes[:])
		}
		if err := v4l2.QueryBuf(s.fd, &s.q); err != nil {
			return ioErr(s.path, "QUERYBUF", err)
		}
		type region struct{ off, n uint32 }
		var regions []region
		if s.mplane() {
			for j := 0; j < int(s.q.Length) && j < len(s.qPlanes); j++ {
				regions = append(regions, region{uint32(s.qPlanes[j].M), s.qPlanes[j].Length})
			}
		} else {
			regions = append(regions, region{s.q.Offset(), s.q.Length})
		}
		if len(regions) == 0 {
			return fmt.Errorf("v4l2: %s: buffer %d has no planes: %w", s.path, i, backend.ErrNotSupported)
		}
		s.nplanes = len(regions)
		for _, rg := range regions {
			mem, err := unix.Mmap(s.fd, int64(rg.off), int(rg.n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			if err != nil {
				return ioErr(s.path, "mmap", err)
			}
			s.bufs[i].planes = append(s.bufs[i].planes, mem)
		}
		if len(s.bufs[i].planes) == 1 {
			// The region is the whole pages of the mapping: mmap maps
			// whole pages and videobuf2 allocates them, while the
			// driver's buffer length (vivid's 320x240 NV12: 115200)
			// need not be a multiple of the page, which an importer
			// such as Vulkan's host-pointer import needs.
			p := s.bufs[i].planes[0]
			page := os.Getpagesize()
			n := (len(p) + page - 1) / page * page
			s.bufs[i].region = backend.NewMemory(unsafe.Slice(unsafe.SliceData(p), n))
		}
	}
	return nil
}

// export exports every plane as a DMA-BUF when the driver can.
func (s *source) export() {
	if s.nplanes > 4 {
		return
	}
	for i := range s.bufs {
		for j := range s.bufs[i].planes {
			e := v4l2.ExportBuffer{Type: s.typ, Index: uint32(i), Plane: uint32(j), Flags: unix.O_RDONLY | unix.O_CLOEXEC}
			if err := v4l2.ExpBuf(s.fd, &e); err != nil {
				s.log.Debug("v4l2: no DMA-BUF export", slog.String("device", s.path), slog.Any("err", err))
				s.closeDMABufs()
				return
			}
			s.bufs[i].dmabuf[j] = int(e.FD)
		}
	}
	s.dmabuf = true
}

func (s *source) closeDMABufs() {
	for i := range s.bufs {
		for j, fd := range s.bufs[i].dmabuf {
			if fd >= 0 {
				unix.Close(fd)
				s.bufs[i].dmabuf[j] = -1
			}
		}
	}
	s.dmabuf = false
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// Read implements backend.Source. It polls before it dequeues: a consumer
// that keeps up with the camera costs two syscalls per frame (poll, DQBUF),
// and a poll for a frame that is already done returns at once.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("v4l2: %s: read after Close: %w", s.path, backend.ErrClosed)
	}
	s.watch(ctx)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ready, devErr, err := s.wait()
		if err != nil {
			return err
		}
		if !ready && !devErr {
			continue // woken by a release or by cancellation
		}
		s.dq = v4l2.Buffer{Type: s.typ, Memory: v4l2.MemoryMMAP}
		if s.mplane() {
			s.dq.SetPlanes(s.dqPlanes[:s.nplanes])
		}
		err = v4l2.DQBuf(s.fd, &s.dq)
		switch {
		case err == nil:
			if s.take(b) {
				return nil
			}
		case !errors.Is(err, unix.EAGAIN):
			return ioErr(s.path, "DQBUF", err)
		case devErr:
			return fmt.Errorf("v4l2: %s: poll reported an error and no buffer is ready: %w", s.path, backend.ErrDeviceLost)
		}
	}
}

// wait sleeps until the device has a buffer (ready) or reports an error
// (devErr), a buffer is released while none was queued, or the context is
// done.
func (s *source) wait() (ready, devErr bool, err error) {
	s.mu.Lock()
	if s.failed != nil && s.queued == 0 {
		err := s.failed
		s.mu.Unlock()
		return false, false, err
	}
	idle := s.queued == 0 // nothing to wait for on the device: wait for a release
	s.waiting = idle
	s.mu.Unlock()
	s.pfds[0] = unix.PollFd{Fd: int32(s.evfd), Events: unix.POLLIN}
	s.pfds[1] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	if idle {
		s.pfds[1].Fd = -1
	}
	for {
		_, err := unix.Poll(s.pfds[:], -1)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return false, false, fmt.Errorf("v4l2: %s: poll: %w", s.path, err)
		}
	}
	if s.pfds[0].Revents&unix.POLLIN != 0 {
		_, _ = unix.Read(s.evfd, s.evbuf[:]) // reset the counter
	}
	if idle {
		s.mu.Lock()
		s.waiting = false
		s.mu.Unlock()
	}
	r := s.pfds[1].Revents
	ready = r&unix.POLLIN != 0
	return ready, !ready && r&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0, nil
}

// take turns the dequeued buffer into b. It reports false when the buffer
// was dropped (and re-queued) instead.
func (s *source) take(b *backend.Buffer) bool {
	idx := int(s.dq.Index)
	s.mu.Lock()
	s.queued--
	left := s.queued
	s.mu.Unlock()
	if idx >= len(s.bufs) {
		return false
	}
	if s.dq.Flags&v4l2.BufFlagError != 0 {
		s.requeue(idx)
		s.obs.Dropped(backend.DropError, 1)
		s.skipped++
		return false
	}
	kb := &s.bufs[idx]
	kp := s.kp[:len(kb.planes)]
	for j := range kp {
		kp[j] = kplane{mem: kb.planes[j], bytesUsed: int(s.dq.BytesUsed)}
		if s.mplane() {
			kp[j].bytesUsed, kp[j].dataOffset = int(s.dqPlanes[j].BytesUsed), int(s.dqPlanes[j].DataOffset)
		}
	}
	b.Reset()
	if err := s.lay.fill(b, kp); err != nil {
		// The driver's metadata points outside the mapping: the frame
		// cannot be read safely.
		s.requeue(idx)
		s.obs.Dropped(backend.DropError, 1)
		s.skipped++
		return false
	}
	b.Video = s.info.Video
	ts := time.Duration(s.dq.Timestamp.Nanoseconds())
	b.DeviceTimestamp = ts
	if ts > 0 && s.dq.Flags&v4l2.BufFlagTimestampMask == v4l2.BufFlagTimestampMonotonic {
		b.Timestamp = backend.FromMonotonic(ts)
	} else {
		b.Timestamp = backend.Now()
	}
	b.Sequence = uint64(s.dq.Sequence)
	b.Skipped, s.skipped = s.skipped, 0 // already counted: not a device gap
	if s.dq.Flags&v4l2.BufFlagKeyframe != 0 {
		b.Flags |= backend.FlagKeyframe
	}
	if s.copyAt > 0 && left < s.copyAt {
		return s.copyOut(b, idx)
	}
	s.mu.Lock()
	s.lent++
	s.mu.Unlock()
	b.Releaser, b.Token, b.Memory = s, uint64(idx), kb.region
	if s.dmabuf {
		b.Flags |= backend.FlagDMABuf
		for i := 0; i < b.NumPlanes; i++ {
			b.DMABuf[i] = kb.dmabuf[min(i, len(kb.planes)-1)]
		}
	}
	return true
}

// copyOut copies b into a pooled buffer and re-queues the kernel buffer.
func (s *source) copyOut(b *backend.Buffer, idx int) bool {
	n := 0
	for i := 0; i < b.NumPlanes; i++ {
		n += len(b.Planes[i])
	}
	pb, err := s.pool.Get(n)
	if err != nil {
		s.requeue(idx)
		s.obs.Dropped(backend.DropPoolExhausted, 1)
		s.skipped += b.Skipped + 1 // this frame, and what it carried
		return false
	}
	dst, off := pb.Bytes(), 0
	for i := 0; i < b.NumPlanes; i++ {
		k := copy(dst[off:], b.Planes[i])
		b.Planes[i] = dst[off : off+k : off+k]
		off += k
	}
	s.requeue(idx)
	b.Flags |= backend.FlagCopied
	b.Releaser, b.Token, b.Memory = pb, 0, pb.Memory()
	s.obs.Copied()
	return true
}

func (s *source) requeue(idx int) {
	s.mu.Lock()
	_ = s.qbufLocked(idx)
	s.mu.Unlock()
}

// qbufLocked gives buffer idx back to the driver, retrying once: a failed
// QBUF takes the buffer out of circulation, which Read reports once no
// buffer is left.
func (s *source) qbufLocked(idx int) error {
	var err error
	for try := 0; try < 2; try++ {
		s.q = v4l2.Buffer{Index: uint32(idx), Type: s.typ, Memory: v4l2.MemoryMMAP}
		if s.mplane() {
			s.qPlanes = [8]v4l2.Plane{}
			s.q.SetPlanes(s.qPlanes[:s.nplanes])
		}
		if err = v4l2.QBuf(s.fd, &s.q); err == nil {
			s.queued++
			return nil
		}
		if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EIO) {
			break
		}
	}
	if s.failed == nil {
		s.failed = ioErr(s.path, "QBUF", err)
	}
	s.log.Debug("v4l2: QBUF failed", slog.String("device", s.path), slog.Int("index", idx), slog.Any("err", err))
	return err
}

// ReleaseBuffer implements backend.Releaser: it re-queues the buffer, or
// after Close unmaps every buffer once the last one is back.
func (s *source) ReleaseBuffer(token uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lent--
	if s.closed {
		if s.lent == 0 {
			s.unmapLocked()
		}
		return
	}
	_ = s.qbufLocked(int(token))
	if s.waiting {
		s.waiting = false
		_, _ = unix.Write(s.evfd, s.one[:])
	}
}

// watch makes cancellation of ctx wake a waiting Read. The stream passes
// the same context to every Read, so this registers once.
func (s *source) watch(ctx context.Context) {
	d := ctx.Done()
	if d == s.watched {
		return
	}
	if s.unwatch != nil {
		s.unwatch()
	}
	s.watched, s.unwatch = d, nil
	if d != nil {
		s.unwatch = context.AfterFunc(ctx, s.wake)
	}
}

func (s *source) wake() {
	s.mu.Lock()
	if !s.closed {
		_, _ = unix.Write(s.evfd, s.one[:])
	}
	s.mu.Unlock()
}

// Close implements backend.Source: it stops streaming and closes the
// device. Buffers still lent stay mapped until they are released.
func (s *source) Close() error {
	if s.unwatch != nil {
		s.unwatch()
		s.unwatch = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.shutdownLocked()
}

func (s *source) shutdownLocked() error {
	var err error
	if e := v4l2.StreamOff(s.fd, s.typ); e != nil && !errors.Is(e, unix.ENODEV) && !errors.Is(e, unix.EIO) && !errors.Is(e, unix.EINVAL) {
		err = ioErr(s.path, "STREAMOFF", e)
	}
	s.closed = true
	unix.Close(s.fd)
	if s.evfd >= 0 {
		unix.Close(s.evfd)
	}
	s.pin.Unpin()
	if s.pool != nil {
		s.pool.Close() // copies still lent are torn down as they come back
	}
	if s.lent == 0 {
		s.unmapLocked()
	}
	return err
}

// unmapLocked frees every buffer: mappings and DMA-BUF fds.
func (s *source) unmapLocked() {
	s.closeDMABufs()
	for i := range s.bufs {
		if r := s.bufs[i].region; r != nil {
			r.Teardown()
		}
		for _, m := range s.bufs[i].planes {
			_ = unix.Munmap(m)
		}
	}
	s.bufs = nil
}
