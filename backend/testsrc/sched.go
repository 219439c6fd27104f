package testsrc

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// sched paces a synthetic device on an absolute schedule: tick k is due at
// origin + k·interval. A caller that comes back late by more than one
// interval resumes at the current tick; the ticks in between are lost, as
// a real device loses frames nobody took.
type sched struct {
	interval time.Duration
	unpaced  bool
	origin   time.Duration // epoch time of tick 0
	k        uint64        // next tick
	started  bool
	timer    *time.Timer
	closed   atomic.Bool
}

// close makes every later next fail with backend.ErrClosed.
func (s *sched) close() { s.closed.Store(true) }

func (s *sched) init(interval time.Duration, unpaced bool) {
	s.interval, s.unpaced = interval, unpaced
}

// next waits for the next tick and returns its index and due time.
func (s *sched) next(ctx context.Context) (uint64, time.Duration, error) {
	if s.closed.Load() {
		return 0, 0, fmt.Errorf("testsrc: read after Close: %w", backend.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := backend.Now()
	if !s.started {
		s.started, s.origin = true, now
	}
	if s.unpaced {
		k := s.k
		s.k++
		return k, now, nil
	}
	due := s.origin + time.Duration(s.k)*s.interval
	if late := now - due; late >= s.interval {
		s.k = uint64((now - s.origin) / s.interval) // skip what was missed
		due = s.origin + time.Duration(s.k)*s.interval
	} else if late < 0 {
		if s.timer == nil {
			s.timer = time.NewTimer(-late)
		} else {
			s.timer.Reset(-late)
		}
		select {
		case <-s.timer.C:
		case <-ctx.Done():
			s.timer.Stop()
			return 0, 0, ctx.Err()
		}
		// A timer may fire a little before the due time on the epoch's
		// clock (on Windows the runtime's timers and QueryPerformanceCounter
		// are different clocks): a frame is never stamped later than it
		// was made.
		if now := backend.Now(); due > now {
			due = now
		}
	}
	k := s.k
	s.k++
	return k, due, nil
}

// deviceTime is tick k on the synthetic device's own clock: k·interval, as a
// camera or sound card stamps samples by its crystal, not by when the host
// read them. Unpaced it still advances by one interval a tick, so device
// timestamps increase even where the host clock is coarse (Windows).
func (s *sched) deviceTime(k uint64) time.Duration { return time.Duration(k) * s.interval }

// waitFreed waits for a released buffer (unpaced mode with every buffer
// held by the consumer).
func (s *sched) waitFreed(ctx context.Context, freed <-chan struct{}) error {
	select {
	case <-freed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
