// Package pacer paces a capture loop on an absolute schedule, shared by
// the backends that decide themselves when to capture (x11, gdi, testsrc).
package pacer

import (
	"context"
	"time"

	"github.com/miniav-go/miniav/backend"
)

// Pacer is an absolute schedule: tick k is due at origin + k·interval, the
// origin being the first call to Next. A caller late by more than one
// interval resumes at the current tick; the ticks in between are lost (a
// gap in the sequence numbers), so a stall never causes a burst. The zero
// value is not usable: call Init.
type Pacer struct {
	interval time.Duration
	origin   time.Duration
	k        uint64
	started  bool
	timer    *time.Timer
}

// Init sets the interval between ticks.
func (p *Pacer) Init(interval time.Duration) { p.interval = interval }

// Next waits for the next tick and returns its index and due time on the
// backend.Now epoch.
func (p *Pacer) Next(ctx context.Context) (uint64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := backend.Now()
	if !p.started {
		p.started, p.origin = true, now
	}
	due := p.origin + time.Duration(p.k)*p.interval
	if late := now - due; late >= p.interval {
		p.k = uint64((now - p.origin) / p.interval)
		due = p.origin + time.Duration(p.k)*p.interval
	} else if late < 0 {
		if p.timer == nil {
			p.timer = time.NewTimer(-late)
		} else {
			p.timer.Reset(-late)
		}
		select {
		case <-p.timer.C:
		case <-ctx.Done():
			p.timer.Stop()
			return 0, 0, ctx.Err()
		}
		// A timer may fire a little before the due time on the epoch's
		// clock (on Windows the runtime's timers and QueryPerformanceCounter
		// are different clocks): a tick is never stamped later than it
		// happened.
		if now := backend.Now(); due > now {
			due = now
		}
	}
	k := p.k
	p.k++
	return k, due, nil
}
