package miniav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/metrics"
	"github.com/miniav-go/miniav/pool"
)

// Info describes an open stream.
type Info struct {
	Name   string // WithName, or the device ID
	Device string // the device ID
	Kind   backend.Kind
	Video  format.Video // negotiated video format
	Audio  format.Audio // negotiated audio format
	Policy Policy
	Queue  int // 0 for a pull stream
	// Pull is true for a pull stream (WithPull): frames come from Next,
	// read in the caller's goroutine; Policy does not apply.
	Pull bool
	// ZeroCopy is true when frames are the device's own memory.
	ZeroCopy bool
	// Mode describes the backend's capture path ("mmap", "mit-shm", ...),
	// followed by "+decode:turbojpeg" or "+decode:image/jpeg" when the
	// stream decodes.
	Mode string
	// Decode is true when the stream decodes the device's MJPEG frames
	// (WithDecode, or chosen because the device offers the requested size
	// and rate only as MJPEG). Video then has the decoded layout (I420
	// unless I422 or GRAY8 was asked for; each frame's VideoView has the
	// layout of its JPEG), and SourceVideo the device's format.
	Decode      bool
	SourceVideo format.Video
	// Attrs holds the backend's facts about the open source
	// (backend.Info.Attrs), e.g. "restore_token" for a pipewire:screen
	// stream: pass it back as pipewire:screen?restore=TOKEN to skip the
	// portal's dialog next time.
	Attrs map[string]string
}

// Drops counts dropped frames by reason, indexed by backend.DropReason.
type Drops [backend.NumDropReasons]uint64

// Total is the sum over all reasons.
func (d Drops) Total() uint64 {
	var t uint64
	for _, n := range d {
		t += n
	}
	return t
}

// Stats is a snapshot of a stream's counters.
type Stats struct {
	Captured    uint64 // frames read from the device
	Delivered   uint64 // frames handed to the queue
	Dropped     Drops  // frames lost, by reason
	Leaked      uint64 // frames reclaimed by the garbage collector
	Copied      uint64 // frames copied out of device memory under pressure
	ReleaseErrs uint64 // Release/Retain calls on released frames
	Outstanding int64  // frames with live references (queued or held)
	Queued      int    // frames waiting in the queue
}

// accounting is the part of a stream that frames refer to. It must not
// reach the stream's framePool (see frameObj).
type accounting struct {
	name   string
	logger *slog.Logger
	series *metrics.Series

	captured, delivered, leaked, copied, releaseErrs atomic.Uint64
	dropped                                          [backend.NumDropReasons]atomic.Uint64
	outstanding                                      atomic.Int64
	leakLogged                                       atomic.Bool
}

// Dropped implements backend.Observer.
func (a *accounting) Dropped(r backend.DropReason, n uint64) {
	if r < backend.NumDropReasons && n > 0 {
		a.dropped[r].Add(n)
		a.series.Dropped(r, n)
	}
}

// Copied implements backend.Observer.
func (a *accounting) Copied() {
	a.copied.Add(1)
	a.series.Copied()
}

// Delivered counts a frame of n bytes handed to the consumer latency
// after its capture.
func (a *accounting) Delivered(n int, latency time.Duration) {
	a.delivered.Add(1)
	a.series.Delivered(n, latency)
}

// Stream is an open capture. Receive frames from Frames; stop with Close
// or by cancelling the context given to Open.
type Stream struct {
	info   Info
	src    backend.Source
	out    chan Frame
	acct   *accounting
	frames *framePool
	policy Policy
	in     *Intrinsics
	dec    *decoder // nil unless the stream decodes

	ctx     context.Context
	cancel  context.CancelCauseFunc
	done    chan struct{}
	stopped chan struct{} // closed once err is set, before out closes
	err     error         // set before done is closed
	detach  func()

	expect    uint64 // next expected sequence number
	haveSeq   bool
	closeOnce sync.Once

	// Pull streams (WithPull): readMu is held by Next while it reads and
	// by the stop function that finishes the stream once its context is
	// done, so the source is closed only after its last Read.
	readMu sync.Mutex
}

func open(ctx context.Context, id string, b backend.Backend, addr string, c config) (*Stream, error) {
	name := c.name
	if name == "" {
		name = id
	}
	logger := c.logger
	if logger == nil {
		logger = slog.Default()
	}
	var series *metrics.Series
	if c.metrics != nil {
		series = c.metrics.Series(name)
	}
	acct := &accounting{name: name, logger: logger, series: series}
	cfg := c.cfg
	cfg.Observer = acct
	cfg.Logger = logger.With(slog.String("stream", name))
	if cfg.Buffers == 0 {
		cfg.Buffers = c.queue + 2
	}
	src, auto, err := openSource(ctx, b, addr, cfg, c)
	if err != nil {
		return nil, err
	}
	si := src.Info()
	var dec *decoder
	if (c.decode || auto) && si.Video.PixelFormat == format.MJPEG {
		dec = newDecoder(c, si.Video, cfg.Buffers+c.queue, cfg.Logger)
	}
	clones := c.clonePool
	if clones == nil {
		clones = pool.New(pool.WithMaxBytes(DefaultClonePoolBytes))
	}
	s := &Stream{
		info: Info{
			Name: name, Device: id, Kind: si.Kind, Video: si.Video, Audio: si.Audio,
			Policy: c.policy, Queue: c.queue, ZeroCopy: si.ZeroCopy, Mode: si.Mode,
			Attrs: si.Attrs,
		},
		src:     src,
		out:     make(chan Frame, c.queue),
		acct:    acct,
		frames:  &framePool{acct: acct, clones: clones},
		policy:  c.policy,
		in:      c.intrinsics,
		dec:     dec,
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if dec != nil {
		s.info.Decode, s.info.SourceVideo = true, si.Video
		s.info.Video = decodedVideo(si.Video, c.cfg.Video)
		s.info.ZeroCopy = false
		s.info.Mode += "+" + decodeMode(dec.dec)
	}
	s.ctx, s.cancel = context.WithCancelCause(ctx)
	s.detach = series.Attach(s)
	if c.pull {
		s.info.Pull, s.info.Queue = true, 0
		s.out = make(chan Frame)
		context.AfterFunc(s.ctx, func() { s.finishPull(s.ctx.Err()) })
		return s, nil
	}
	go s.run()
	return s, nil
}

// Next returns the next frame. It blocks until one is captured or the
// stream stops; then it returns the zero Frame and Err, or ErrClosed after
// Close. On a pull stream (WithPull) it reads from the device in the
// calling goroutine and must not be called from two goroutines at once;
// otherwise it receives from Frames. Every frame returned needs a Release.
func (s *Stream) Next() (Frame, error) {
	if !s.info.Pull {
		if f, ok := <-s.out; ok {
			return f, nil
		}
		return Frame{}, s.stopErr()
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if s.hasStopped() {
		return Frame{}, s.stopErr()
	}
	f, err := s.capture()
	if err != nil {
		s.finish(err)
		return Frame{}, s.stopErr()
	}
	s.acct.Delivered(s.measure(f))
	return f, nil
}

// finishPull stops a pull stream once its context is done, after any Read
// in flight has returned.
func (s *Stream) finishPull(err error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if !s.hasStopped() {
		s.finish(err)
	}
}

// hasStopped reports whether finish has run.
func (s *Stream) hasStopped() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

// stopErr is what Next returns once the stream has stopped.
func (s *Stream) stopErr() error {
	<-s.stopped
	if s.err != nil {
		return s.err
	}
	return ErrClosed
}

// Frames returns the channel of captured frames. It is closed when the
// stream stops: on Close, when the context is cancelled, or when the
// device fails or ends (see Err). On Close or cancellation the frames still
// queued are released; after a device failure they are delivered first, so
// nothing captured before the failure is lost. Every frame received needs a
// Release.
func (s *Stream) Frames() <-chan Frame { return s.out }

// Done is closed once the stream has stopped and its capture goroutine has
// exited.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Err returns why the stream stopped: nil while it runs and after Close,
// the context's error after cancellation, or the device's error (for
// example one matching ErrDeviceLost). It is already set when Frames is
// closed, so a consumer can call it right after its range loop ends.
func (s *Stream) Err() error {
	select {
	case <-s.stopped:
		return s.err
	default:
		return nil
	}
}

// Close stops capture and waits for the capture goroutine to exit. Frames
// still queued (including those a device error left queued) are released; frames the consumer holds stay valid until it
// releases them. Close is idempotent and always returns nil.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() { s.cancel(ErrClosed) })
	<-s.done
	s.drainQueue()
	return nil
}

// drainQueue releases the frames waiting in the queue, counted as
// stopped. It runs on the capture goroutine when capture was stopped, and
// in Close (after the channel is closed) for frames a consumer left behind.
func (s *Stream) drainQueue() {
	for {
		select {
		case f, ok := <-s.out:
			if !ok {
				return
			}
			s.drop(f, backend.DropStopped)
		default:
			return
		}
	}
}

// Info describes the stream and its negotiated format.
func (s *Stream) Info() Info { return s.info }

// QueueLen is the number of frames waiting in the queue.
func (s *Stream) QueueLen() int { return len(s.out) }

// Stats returns a snapshot of the stream's counters.
func (s *Stream) Stats() Stats {
	a := s.acct
	st := Stats{
		Captured:    a.captured.Load(),
		Delivered:   a.delivered.Load(),
		Leaked:      a.leaked.Load(),
		Copied:      a.copied.Load(),
		ReleaseErrs: a.releaseErrs.Load(),
		Outstanding: a.outstanding.Load(),
		Queued:      len(s.out),
	}
	for i := range st.Dropped {
		st.Dropped[i] = a.dropped[i].Load()
	}
	return st
}

func (s *Stream) run() {
	for {
		f, err := s.capture()
		if err != nil {
			s.finish(err)
			return
		}
		s.deliver(f)
	}
}

// capture reads the next buffer from the source into a pooled frame and
// counts it (and any sequence gap before it). A decoding stream decodes
// it, and reads on past frames that do not decode, counting them.
func (s *Stream) capture() (Frame, error) {
	o := s.frames.get()
	for {
		if err := s.src.Read(s.ctx, &o.buf); err != nil {
			o.buf = backend.Buffer{}
			s.frames.put(o)
			return Frame{}, err
		}
		s.account(&o.buf)
		if s.dec == nil || o.buf.Video.PixelFormat != format.MJPEG {
			break
		}
		if r, ok := s.dec.decode(&o.buf); ok {
			break
		} else {
			o.buf = backend.Buffer{}
			s.acct.Dropped(r, 1)
		}
	}
	o.kind, o.in = VideoFrame, s.in
	if s.info.Kind.Audio() {
		o.kind = AudioFrame
	}
	return o.publish(), nil
}

// account counts a captured buffer and the sequence gap before it.
func (s *Stream) account(b *backend.Buffer) {
	a := s.acct
	a.captured.Add(1)
	a.series.Captured()
	if s.haveSeq && b.Sequence > s.expect+b.Skipped {
		gap := b.Sequence - s.expect - b.Skipped    // the source counted Skipped itself
		if b.Frames > 0 && b.Audio.SampleRate > 0 { // audio sequences count sample frames
			per := uint64(b.Frames)
			gap = (gap + per - 1) / per
		}
		a.Dropped(backend.DropDevice, gap)
	}
	s.haveSeq = true
	s.expect = b.Sequence + 1
	if b.Frames > 0 {
		s.expect = b.Sequence + uint64(b.Frames)
	}
}

// measure returns the bytes and the latency of f for the metrics (zeros
// when the stream has none).
func (s *Stream) measure(f Frame) (n int, latency time.Duration) {
	if s.acct.series != nil {
		b := &f.o.buf
		for i := 0; i < max(b.NumPlanes, 1); i++ {
			n += len(b.Planes[i])
		}
		latency = backend.Now() - b.Timestamp
	}
	return n, latency
}

func (s *Stream) deliver(f Frame) {
	// Measure before the hand-off: once sent, the consumer owns f.
	a := s.acct
	n, latency := s.measure(f)
	switch s.policy {
	case Block:
		select {
		case s.out <- f:
		case <-s.ctx.Done():
			s.drop(f, backend.DropStopped)
			return
		}
	case DropNewest:
		select {
		case s.out <- f:
		default:
			s.drop(f, backend.DropQueueNewest)
			return
		}
	default:
		for sent := false; !sent; {
			select {
			case s.out <- f:
				sent = true
			default:
				select {
				case old := <-s.out:
					s.drop(old, backend.DropQueueOldest)
				default:
				}
			}
		}
	}
	a.Delivered(n, latency)
}

func (s *Stream) drop(f Frame, r backend.DropReason) {
	s.acct.Dropped(r, 1)
	f.Release()
}

// finish ends the stream: it releases what is still queued, closes the
// source and the channel, and records why it stopped.
func (s *Stream) finish(err error) {
	requested := s.ctx.Err() != nil // Close or the caller's context, not the device
	s.cancel(err)                   // wake anyone waiting on s.ctx; no-op if already cancelled
	closed := errors.Is(context.Cause(s.ctx), ErrClosed)
	switch {
	case closed:
		err = nil
	case requested || err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		// The caller's cancellation is why the stream stopped, whatever a
		// source woken by it returned (some say io.EOF or "closed").
		err = s.ctx.Err()
	}
	if cerr := s.src.Close(); cerr != nil && err == nil && !closed {
		err = cerr
	}
	if s.dec != nil {
		s.dec.close()
	}
	if requested {
		// Stopped on request: what is queued is released now. When the
		// device ended the stream instead, the frames captured before the
		// end stay queued for the consumer to drain (Close releases any
		// it leaves).
		s.drainQueue()
	}
	s.err = err
	close(s.stopped) // Err is valid from here on, before the channel closes
	close(s.out)
	s.detach()
	if err != nil {
		s.acct.logger.Debug("miniav: stream stopped", slog.String("stream", s.info.Name), slog.Any("err", err))
	}
	close(s.done)
}

// Controls returns the device's controls (camera brightness, exposure,
// auto modes, menus) when its backend has them, or an error matching
// ErrNotSupported.
func (s *Stream) Controls() (backend.Controller, error) {
	if c, ok := s.src.(backend.Controller); ok {
		return c, nil
	}
	return nil, fmt.Errorf("stream %s: device has no controls: %w", s.info.Name, ErrNotSupported)
}
