//go:build !js

package pulse

import (
	"testing"
	"time"
)

// feed runs periods of 480 frames at 48 kHz through a lossClock: arrive
// gives the arrival time of the period ending at sample index end (0 for
// "not delivered": the server dropped it), and fresh whether the reader
// waited for it; burst whether the next period was already there when it
// arrived. It returns the frames reported lost.
func feed(n int, arrive func(i int) (time.Duration, bool), burst func(i int) bool) (lost uint64, at []int) {
	var l lossClock
	l.init(48000, 480)
	var next uint64
	for i := range n {
		now, fresh := arrive(i)
		if now < 0 {
			continue // dropped by the server: the client never sees it
		}
		if k := l.lost(now, next+480, fresh, func() bool { return burst != nil && burst(i) }); k > 0 {
			lost += k
			at = append(at, i)
			next += k
		}
		next += 480
	}
	return lost, at
}

const p = 10 * time.Millisecond

func TestLossClock(t *testing.T) {
	jitter := func(i int) time.Duration { return time.Duration(i*7919%5) * time.Millisecond } // 0-4 ms
	for _, c := range []struct {
		name   string
		arrive func(i int) (time.Duration, bool)
		burst  func(i int) bool
		lost   uint64
		at     []int
	}{
		{"steady with jitter", func(i int) (time.Duration, bool) { return time.Duration(i+1)*p + jitter(i), true }, nil, 0, nil},
		{"2 s burst at the start, then steady", func(i int) (time.Duration, bool) {
			if i < 200 {
				return 2*time.Second + time.Duration(i)*time.Microsecond, i == 0
			}
			return time.Duration(i+1)*p + jitter(i), true
		}, nil, 0, nil},
		{"the sound card 300 ppm slower for 10 min", func(i int) (time.Duration, bool) {
			return time.Duration(float64(time.Duration(i+1)*p) * 1.0003), true
		}, nil, 0, nil},
		{"300 ppm faster", func(i int) (time.Duration, bool) {
			return time.Duration(float64(time.Duration(i+1)*p) * 0.9997), true
		}, nil, 0, nil},
		{"late but queued: a consumer that paused 2 s and caught up", func(i int) (time.Duration, bool) {
			if i >= 100 && i < 300 {
				return 3*time.Second + time.Duration(i)*time.Microsecond, false
			}
			return time.Duration(i+1)*p + jitter(i), true
		}, nil, 0, nil},
		{"1 s dropped by the server", func(i int) (time.Duration, bool) {
			if i >= 100 && i < 200 {
				return -1, false
			}
			return time.Duration(i+1)*p + jitter(i), true
		}, nil, 100 * 480, []int{200}},
		{"1 s dropped, found after the queued audio was read", func(i int) (time.Duration, bool) {
			switch {
			case i >= 100 && i < 200:
				return -1, false
			case i >= 200 && i < 250: // queued before the loss, read late in a burst
				return 2500*time.Millisecond + time.Duration(i)*time.Microsecond, false
			}
			return time.Duration(i+1)*p + jitter(i), true
		}, nil, 100 * 480, []int{250}},
		{"the server starved for 300 ms, then sending all it held back", func(i int) (time.Duration, bool) {
			if i >= 100 && i < 130 { // all arrive at once, 300 ms late; the reader waited for the first
				return 130*p + time.Duration(i-100)*time.Microsecond, i == 100
			}
			return time.Duration(i+1)*p + jitter(i), true
		}, func(i int) bool { return i >= 100 && i < 129 }, 0, nil},
		{"1 s dropped, the next period a period later (no burst)", func(i int) (time.Duration, bool) {
			if i >= 100 && i < 200 {
				return -1, false
			}
			return time.Duration(i+1)*p + jitter(i), true
		}, func(i int) bool { return false }, 100 * 480, []int{200}},
	} {
		n := 60000 // 10 minutes
		if c.lost > 0 || c.name[0] == '2' || c.name[0] == 'l' {
			n = 1000
		}
		lost, at := feed(n, c.arrive, c.burst)
		if lost != c.lost || len(at) != len(c.at) || (len(at) > 0 && at[0] != c.at[0]) {
			t.Errorf("%s: %d frames lost at periods %v, want %d at %v", c.name, lost, at, c.lost, c.at)
		}
	}
}
