package publish

import "testing"

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
