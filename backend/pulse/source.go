//go:build !js

package pulse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/pulsewire"
	"github.com/miniav-go/miniav/pool"
)

// bufPool is the pool periods are read into.
var bufPool = pool.New(pool.WithMaxBytes(64 << 20))

// PoolStats returns the counters of the pool periods are read into.
func PoolStats() pool.Stats { return bufPool.Stats() }

// source is an open record stream.
type source struct {
	c      *pulsewire.Conn
	info   backend.Info
	obs    backend.Observer
	period int // sample frames per buffer
	bytes  int // bytes per buffer
	rate   int

	bound   context.Context // the context Read is bound to
	unbind  func() bool
	next    uint64 // sample index of the next buffer
	scratch []byte // a period read when the pool is exhausted
	skipped uint64 // frames dropped since the last buffer, already reported
	clock   lossClock
	moreFn  func() bool // s.more, bound once (a method value allocates)
	closed  bool        // Read and Close are never concurrent (backend.Source)
}

func newSource(c *pulsewire.Conn, info backend.Info, obs backend.Observer) *source {
	a := info.Audio
	if obs == nil {
		obs = backend.NopObserver{}
	}
	s := &source{c: c, info: info, obs: obs, period: a.PeriodFrames, bytes: a.PeriodFrames * a.FrameBytes(), rate: a.SampleRate}
	s.clock.init(a.SampleRate, a.PeriodFrames)
	s.moreFn = s.more
	return s
}

// more reports whether the next period is already on its way: received,
// or arriving within a couple of milliseconds. A server that was starved
// of CPU sends the audio it held back in one burst; one that lost audio
// sends the next period a period later.
func (s *source) more() bool {
	for range 4 {
		if s.c.Available() >= s.bytes {
			return true
		}
		time.Sleep(500 * time.Microsecond)
	}
	return false
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// Read implements backend.Source: it fills one period from the socket.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if s.closed {
		return fmt.Errorf("pulse: %s: read after Close: %w", s.info.Mode, backend.ErrClosed)
	}
	if err := ctx.Err(); err != nil { // even with audio waiting in the socket
		return err
	}
	if ctx != s.bound { // once per stream in practice: AfterFunc allocates
		if s.unbind != nil {
			s.unbind()
		}
		s.bound, s.unbind = ctx, s.c.Bind(ctx)
	}
	for {
		pb, perr := bufPool.Get(s.bytes)
		var dst []byte
		if perr == nil {
			dst = pb.Bytes()
		} else {
			if s.scratch == nil {
				s.scratch = make([]byte, s.bytes)
			}
			dst = s.scratch
		}
		waited, err := s.fill(dst)
		if err != nil {
			if pb != nil {
				pb.Release()
			}
			return s.readErr(ctx, err)
		}
		now := backend.Now()
		if lost := s.clock.lost(now, s.next+uint64(s.period), waited, s.moreFn); lost > 0 {
			s.obs.Dropped(backend.DropOverrun, (lost+uint64(s.period)-1)/uint64(s.period))
			s.next += lost
			s.skipped += lost
		}
		if perr != nil { // nothing to lend this period into
			s.obs.Dropped(backend.DropPoolExhausted, 1)
			s.next += uint64(s.period)
			s.skipped += uint64(s.period)
			continue
		}
		b.Planes[0] = dst
		b.Strides[0] = s.info.Audio.FrameBytes()
		b.NumPlanes = 1
		b.Audio = s.info.Audio
		b.Frames = s.period
		b.Sequence = s.next
		b.Skipped = s.skipped
		b.Timestamp = now
		b.DeviceTimestamp = frameTime(s.next, s.rate)
		b.Releaser = pb
		s.next += uint64(s.period)
		s.skipped = 0
		return nil
	}
}

// fill reads one period into p. waited reports whether the reads had to
// wait for the server for a good part of the period (the reader is caught
// up: the data is fresh).
func (s *source) fill(p []byte) (waited bool, err error) {
	start := time.Now()
	for n := 0; n < len(p); {
		k, err := s.c.ReadData(p[n:])
		if err != nil {
			return false, err
		}
		n += k
	}
	return time.Since(start) > frameTime(uint64(s.period), s.rate)/4, nil
}

func (s *source) readErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, pulsewire.ErrKilled) {
		return fmt.Errorf("pulse: %s: the server ended the stream (its source went away): %w", s.info.Mode, backend.ErrDeviceLost)
	}
	return fmt.Errorf("pulse: %s: %v: %w", s.info.Mode, err, backend.ErrDeviceLost)
}

// Close implements backend.Source. Closing again does nothing.
func (s *source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.unbind != nil {
		s.unbind()
	}
	return s.c.Close()
}

// frameTime is the time of sample frame n at rate, without overflowing.
func frameTime(n uint64, rate int) time.Duration {
	r := uint64(rate)
	return time.Duration(n/r)*time.Second + time.Duration(n%r*uint64(time.Second)/r)
}

// lossClock finds audio the server dropped by comparing the sample count
// with the clock. base is the earliest time sample 0 can have been
// captured given every arrival so far (a period cannot arrive before its
// last sample was captured); a period's lag is how much later than that it
// arrived. The usual lag (floor) follows the stream's jitter and a slow
// drift of the sound card's clock; a lag above it by more than the
// tolerance, seen when the reader is caught up, is audio that never
// arrived, unless more audio is right behind it: then the server was late
// (starved of CPU, say) and is catching up, and nothing was lost.
type lossClock struct {
	rate, period int
	tolerance    time.Duration
	started      bool
	base         time.Duration
	floor        time.Duration
}

func (l *lossClock) init(rate, period int) {
	l.rate, l.period = rate, period
	l.tolerance = max(4*frameTime(uint64(period), rate), 50*time.Millisecond)
}

// lost is called when the period ending at sample index end arrived at
// now; fresh tells whether the reader waited for it, and more (asked only
// for a period that came too late) whether the next period is already
// there. It returns how many sample frames were lost before it, in whole
// periods.
func (l *lossClock) lost(now time.Duration, end uint64, fresh bool, more func() bool) uint64 {
	t := now - frameTime(end, l.rate)
	if !l.started || t < l.base {
		// The first period, or one that came sooner than any before (a
		// burst of queued audio at the start, or a sound card clock that
		// runs faster than the system's): the new earliest base.
		l.started, l.base, l.floor = true, t, 0
		return 0
	}
	lag := t - l.base
	if !fresh {
		return 0 // catching up on queued audio: its lag says nothing
	}
	if excess := lag - l.floor; excess > l.tolerance {
		if more() {
			return 0 // late, and the rest of the late audio follows at once
		}
		n := uint64(excess) * uint64(l.rate) / uint64(time.Second)
		return (n + uint64(l.period)/2) / uint64(l.period) * uint64(l.period)
	}
	if lag < l.floor {
		l.floor = lag
	} else {
		l.floor += (lag - l.floor) / 1024
	}
	return 0
}
