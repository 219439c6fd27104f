package format

import "testing"

// FuzzParseVideo parses a video format string as users write them. A
// format that parses prints as a string that parses back to it.
func FuzzParseVideo(f *testing.F) {
	for _, s := range []string{"1280x720@30 nv12", "1920x1080@30000/1001,nv12", "640x480", "yuyv",
		"640x480@29.97 I420", "320x240@60 i420", "3840x2160:mjpg", "1x1@1/1 YU12", "BA81", "default"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVideo(s)
		if err != nil {
			return
		}
		if v.Width < 0 || v.Height < 0 || v.FrameRate.Num < 0 || v.FrameRate.Den < 0 {
			t.Fatalf("ParseVideo(%q) = %+v", s, v)
		}
		str := v.String()
		if str == "default" {
			return
		}
		v2, err := ParseVideo(str)
		if err != nil || v2 != v {
			t.Fatalf("ParseVideo(%q) = %+v, printed %q, parsed back as %+v, %v", s, v, str, v2, err)
		}
	})
}

// FuzzParseAudio parses an audio format string. A format that parses has
// sane fields and prints as a string that parses back to it.
func FuzzParseAudio(f *testing.F) {
	for _, s := range []string{"48000 2ch f32", "44.1k mono s16", "stereo", "48khz 1ch s16le 480frames",
		"8000 u8", "96000,6ch,s24", "192k:s32:8ch"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAudio(s)
		if err != nil {
			return
		}
		if a.SampleRate < 0 || a.Channels < 0 || a.Channels > 64 || a.PeriodFrames < 0 {
			t.Fatalf("ParseAudio(%q) = %+v", s, a)
		}
		str := a.String()
		if str == "default" {
			return
		}
		a2, err := ParseAudio(str)
		if err != nil || a2 != a {
			t.Fatalf("ParseAudio(%q) = %+v, printed %q, parsed back as %+v, %v", s, a, str, a2, err)
		}
	})
}
