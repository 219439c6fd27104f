package publish

import (
	"math"
	"testing"
	"time"
)

// The estimate is shared out: audio first, then the video tracks in
// proportion to their configured bitrates, each within its floor and
// ceiling.
func TestShare(t *testing.T) {
	cases := []struct {
		est, audio, videoMax, ceil, want int
	}{
		{0, 32_000, 2_000_000, 2_000_000, 2_000_000},             // no estimate yet: the ceiling
		{3_000_000, 32_000, 2_000_000, 2_000_000, 2_000_000},     // more than asked for: the ceiling
		{1_032_000, 32_000, 2_000_000, 2_000_000, 1_000_000},     // one track: all but the audio
		{1_532_000, 32_000, 3_000_000, 2_000_000, 1_000_000},     // two tracks, 2:1
		{1_532_000, 32_000, 3_000_000, 1_000_000, 500_000},       // the other one
		{200_000, 32_000, 3_000_000, 1_000_000, minVideoBitrate}, // the floor
		{200_000, 32_000, 3_000_000, 100_000, 100_000},           // a ceiling under the floor
	}
	for _, c := range cases {
		if got := share(c.est, c.audio, c.videoMax, c.ceil); got != c.want {
			t.Errorf("share(%d, %d, %d, %d) = %d, want %d", c.est, c.audio, c.videoMax, c.ceil, got, c.want)
		}
	}
}

// The encoder's bitrate for a network share leaves room for the packets'
// own bytes: frames of that bitrate at 30 fps, cut into packets of
// packetPayload bytes with packetOverhead bytes each, fill the share
// within a few percent and never exceed it.
func TestPayloadRate(t *testing.T) {
	tr := &VideoTrack{interval: time.Second / 30, ceil: 2_000_000}
	for _, bps := range []int{300_000, 825_000, 1_000_000, 1_500_000, 1_999_999} {
		r := tr.payloadRate(bps)
		frame := float64(r) / 8 / 30
		pkts := math.Ceil(frame / packetPayload)
		wire := 30 * (frame + pkts*packetOverhead) * 8
		if wire > float64(bps)*1.002 || wire < float64(bps)*0.95 {
			t.Errorf("payloadRate(%d) = %d: %.0f bit/s on the wire, want just under %d", bps, r, wire, bps)
		}
	}
	if r := tr.payloadRate(2_000_000); r != 2_000_000 {
		t.Errorf("payloadRate(ceiling) = %d, want the ceiling itself", r)
	}
	if r := tr.payloadRate(minVideoBitrate); r != minVideoBitrate {
		t.Errorf("payloadRate(%d) = %d, want the floor", minVideoBitrate, r)
	}
}

// An encoder that overshoots its target has its targets scaled down until
// what it produces meets them; one that undershoots is left alone; the
// scale stays within 0.6 and 1, and the configured ceiling is never
// scaled.
func TestUtilization(t *testing.T) {
	const ceil, want = 2_000_000, 1_000_000
	run := func(overshoot float64, windows int) (*utilization, float64) {
		var u utilization
		var produced float64
		now := time.Duration(1)
		for i := 0; i < windows*60; i++ { // 30 fps
			target := u.scale(want, ceil)
			n := int(float64(target) * overshoot / 8 / 30)
			now += time.Second / 30
			u.note(now, n, int64(target), time.Second/30)
			if i >= (windows-1)*60 {
				produced += float64(8 * n)
			}
		}
		return &u, produced / 2 // bit/s over the last window
	}
	if _, got := run(1.2, 12); math.Abs(got-want)/want > 0.03 {
		t.Errorf("a 20%% overshoot: %.0f bit/s produced after 12 windows, want %d within 3%%", got, want)
	}
	if u, got := run(0.9, 12); u.scale(want, ceil) != want || math.Abs(got-0.9*want) > 1000 {
		t.Errorf("an undershoot: scaled to %d (%.0f bit/s produced), want the target kept", u.scale(want, ceil), got)
	}
	if u, _ := run(3, 12); u.k != 0.6 {
		t.Errorf("a 3x overshoot: scale %.2f, want the least, 0.6", u.k)
	}
	if u, _ := run(1.2, 12); u.scale(ceil, ceil) != ceil {
		t.Errorf("the ceiling scaled to %d", u.scale(ceil, ceil))
	}
}
