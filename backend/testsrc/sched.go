package testsrc

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/pacer"
)

// sched paces a synthetic device on an absolute schedule (pacer.Pacer): a
// caller that comes back late by more than one interval resumes at the
// current tick; the ticks in between are lost, as a real device loses
// frames nobody took. Unpaced, every call is the next tick, at once.
type sched struct {
	pace     pacer.Pacer
	interval time.Duration
	unpaced  bool
	k        uint64 // next tick, unpaced
	closed   atomic.Bool
}

// close makes every later next fail with backend.ErrClosed.
func (s *sched) close() { s.closed.Store(true) }

func (s *sched) init(interval time.Duration, unpaced bool) {
	s.interval, s.unpaced = interval, unpaced
	s.pace.Init(interval)
}

// next waits for the next tick and returns its index and due time.
func (s *sched) next(ctx context.Context) (uint64, time.Duration, error) {
	if s.closed.Load() {
		return 0, 0, fmt.Errorf("testsrc: read after Close: %w", backend.ErrClosed)
	}
	if !s.unpaced {
		return s.pace.Next(ctx)
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	k := s.k
	s.k++
	return k, backend.Now(), nil
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
