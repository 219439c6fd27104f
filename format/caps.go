package format

import "fmt"

// SizeRange is a set of frame sizes: a single size when Min equals Max,
// otherwise every size from Min to Max in Step increments (a Step of 1 or
// 0 means continuous).
type SizeRange struct {
	MinWidth, MaxWidth, StepWidth    int
	MinHeight, MaxHeight, StepHeight int
}

// Discrete returns the SizeRange holding exactly w×h.
func Discrete(w, h int) SizeRange {
	return SizeRange{MinWidth: w, MaxWidth: w, StepWidth: 1, MinHeight: h, MaxHeight: h, StepHeight: 1}
}

// Contains reports whether w×h is in the range.
func (s SizeRange) Contains(w, h int) bool {
	return in(w, s.MinWidth, s.MaxWidth, s.StepWidth) && in(h, s.MinHeight, s.MaxHeight, s.StepHeight)
}

func in(v, lo, hi, step int) bool {
	if v < lo || v > hi {
		return false
	}
	return step <= 1 || (v-lo)%step == 0
}

func (s SizeRange) String() string {
	if s.MinWidth == s.MaxWidth && s.MinHeight == s.MaxHeight {
		return fmt.Sprintf("%dx%d", s.MinWidth, s.MinHeight)
	}
	return fmt.Sprintf("%dx%d-%dx%d/%dx%d", s.MinWidth, s.MinHeight, s.MaxWidth, s.MaxHeight, max(s.StepWidth, 1), max(s.StepHeight, 1))
}

// VideoCaps is one family of video formats a device offers: a pixel format,
// a set of sizes, and the frame rates offered at those sizes, either as a
// discrete list (FrameRates) or as a range (MinRate to MaxRate).
type VideoCaps struct {
	PixelFormat      PixelFormat
	Size             SizeRange
	FrameRates       []Rational
	MinRate, MaxRate Rational
	Description      string
}

// Supports reports whether v (with zero fields as wildcards) fits c.
func (c VideoCaps) Supports(v Video) bool {
	if v.PixelFormat != 0 && v.PixelFormat != c.PixelFormat {
		return false
	}
	if v.Width != 0 && !c.Size.Contains(v.Width, v.Height) {
		return false
	}
	if v.FrameRate.IsZero() {
		return true
	}
	for _, r := range c.FrameRates {
		if r.Cmp(v.FrameRate) == 0 {
			return true
		}
	}
	if !c.MaxRate.IsZero() {
		return v.FrameRate.Cmp(c.MinRate) >= 0 && v.FrameRate.Cmp(c.MaxRate) <= 0
	}
	return len(c.FrameRates) == 0
}

func (c VideoCaps) String() string {
	s := c.PixelFormat.String() + " " + c.Size.String()
	switch {
	case len(c.FrameRates) > 0:
		s += " @"
		for i, r := range c.FrameRates {
			if i > 0 {
				s += ","
			}
			s += r.String()
		}
	case !c.MaxRate.IsZero():
		s += fmt.Sprintf(" @%s-%s", c.MinRate, c.MaxRate)
	}
	return s
}

// AudioCaps is what an audio device offers. Empty lists and zero bounds
// mean "any".
type AudioCaps struct {
	SampleFormats            []SampleFormat
	MinChannels, MaxChannels int
	MinRate, MaxRate         int
	Rates                    []int
}

// Supports reports whether a (with zero fields as wildcards) fits c.
func (c AudioCaps) Supports(a Audio) bool {
	if a.SampleFormat != 0 && len(c.SampleFormats) > 0 {
		ok := false
		for _, f := range c.SampleFormats {
			ok = ok || f == a.SampleFormat
		}
		if !ok {
			return false
		}
	}
	if a.Channels != 0 && ((c.MinChannels != 0 && a.Channels < c.MinChannels) || (c.MaxChannels != 0 && a.Channels > c.MaxChannels)) {
		return false
	}
	if a.SampleRate != 0 {
		if len(c.Rates) > 0 {
			ok := false
			for _, r := range c.Rates {
				ok = ok || r == a.SampleRate
			}
			if !ok && c.MaxRate == 0 {
				return false
			}
		}
		if c.MaxRate != 0 && (a.SampleRate < c.MinRate || a.SampleRate > c.MaxRate) {
			return false
		}
	}
	return true
}

func (c AudioCaps) String() string {
	s := ""
	for i, f := range c.SampleFormats {
		if i > 0 {
			s += ","
		}
		s += f.String()
	}
	if c.MaxChannels != 0 {
		s += fmt.Sprintf(" %d-%dch", c.MinChannels, c.MaxChannels)
	}
	if c.MaxRate != 0 {
		s += fmt.Sprintf(" %d-%dHz", c.MinRate, c.MaxRate)
	} else if len(c.Rates) > 0 {
		s += fmt.Sprintf(" %vHz", c.Rates)
	}
	return s
}
