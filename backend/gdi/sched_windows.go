package gdi

import (
	"context"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// sched paces capture on an absolute schedule: tick k is due at
// origin + k·interval. A caller late by more than one interval resumes at
// the current tick; the ticks in between are lost (a gap in the sequence
// numbers), so a stall never causes a burst.
type sched struct {
	interval time.Duration
	unpaced  bool
	origin   time.Duration
	k        uint64
	started  bool
	timer    *time.Timer
}

func (s *sched) init(interval time.Duration, unpaced bool) {
	s.interval, s.unpaced = interval, unpaced
}

// next waits for the next tick and returns its index and due time.
func (s *sched) next(ctx context.Context) (uint64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := backend.Now()
	if !s.started {
		s.started, s.origin = true, now
	}
	due := s.origin + time.Duration(s.k)*s.interval
	if late := now - due; late >= s.interval {
		s.k = uint64((now - s.origin) / s.interval)
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
	}
	k := s.k
	s.k++
	return k, due, nil
}
