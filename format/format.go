package format

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rational is a frame rate as a fraction, e.g. 30000/1001.
type Rational struct {
	Num, Den int
}

// FPS returns the rate num/1.
func FPS(num int) Rational { return Rational{Num: num, Den: 1} }

// IsZero reports whether r is unset.
func (r Rational) IsZero() bool { return r.Num == 0 || r.Den == 0 }

// Float returns r as a float64; 0 when unset.
func (r Rational) Float() float64 {
	if r.IsZero() {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// Interval is the time between frames at rate r; 0 when unset.
func (r Rational) Interval() time.Duration {
	if r.IsZero() {
		return 0
	}
	return time.Duration(int64(time.Second) * int64(r.Den) / int64(r.Num))
}

func (r Rational) String() string {
	if r.Den == 1 || r.IsZero() {
		return strconv.Itoa(r.Num)
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}

// Cmp compares r and o by value: -1, 0 or +1.
func (r Rational) Cmp(o Rational) int {
	a, b := int64(r.Num)*int64(o.Den), int64(o.Num)*int64(r.Den)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Video is a video format. Zero fields mean "the device's default" when
// requesting a format; a negotiated format has every field set that the
// device knows (FrameRate may stay zero for sources without a fixed rate).
type Video struct {
	Width, Height int
	PixelFormat   PixelFormat
	FrameRate     Rational
}

func (v Video) String() string {
	var b strings.Builder
	if v.Width != 0 || v.Height != 0 {
		fmt.Fprintf(&b, "%dx%d", v.Width, v.Height)
	}
	if !v.FrameRate.IsZero() {
		fmt.Fprintf(&b, "@%s", v.FrameRate)
	}
	if v.PixelFormat != 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v.PixelFormat.String())
	}
	if b.Len() == 0 {
		return "default"
	}
	return b.String()
}

// SampleFormat is an audio sample encoding. Samples are little-endian and,
// with several channels, interleaved.
type SampleFormat uint8

// Sample formats.
const (
	SampleUnknown SampleFormat = iota
	U8                         // unsigned 8-bit
	S16                        // signed 16-bit
	S24                        // signed 24-bit, packed in 3 bytes
	S32                        // signed 32-bit
	F32                        // 32-bit IEEE float, nominal range [-1, 1]
)

var sampleNames = [...]string{"unknown", "u8", "s16", "s24", "s32", "f32"}

func (f SampleFormat) String() string {
	if int(f) < len(sampleNames) {
		return sampleNames[f]
	}
	return "SampleFormat(" + strconv.Itoa(int(f)) + ")"
}

// Size is the number of bytes one sample of one channel takes.
func (f SampleFormat) Size() int {
	switch f {
	case U8:
		return 1
	case S16:
		return 2
	case S24:
		return 3
	case S32, F32:
		return 4
	}
	return 0
}

// ParseSampleFormat parses "s16", "f32", "u8", "s24" or "s32" (any case;
// "s16le" and "float" are accepted too).
func ParseSampleFormat(s string) (SampleFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "u8":
		return U8, nil
	case "s16", "s16le", "int16":
		return S16, nil
	case "s24", "s24le":
		return S24, nil
	case "s32", "s32le", "int32":
		return S32, nil
	case "f32", "f32le", "float", "float32":
		return F32, nil
	}
	return 0, fmt.Errorf("format: unknown sample format %q", s)
}

// Audio is an audio format. Zero fields mean "the device's default".
// PeriodFrames is how many sample frames one delivered buffer holds.
type Audio struct {
	SampleRate   int
	Channels     int
	SampleFormat SampleFormat
	PeriodFrames int
}

// FrameBytes is the size in bytes of one sample frame (all channels).
func (a Audio) FrameBytes() int { return a.Channels * a.SampleFormat.Size() }

func (a Audio) String() string {
	var parts []string
	if a.SampleRate != 0 {
		parts = append(parts, strconv.Itoa(a.SampleRate)+"Hz")
	}
	if a.Channels != 0 {
		parts = append(parts, strconv.Itoa(a.Channels)+"ch")
	}
	if a.SampleFormat != 0 {
		parts = append(parts, a.SampleFormat.String())
	}
	if a.PeriodFrames != 0 {
		parts = append(parts, strconv.Itoa(a.PeriodFrames)+"frames")
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, " ")
}

func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ':' })
}

// ParseVideo parses a video format such as "640x480@30 I420",
// "1920x1080@30000/1001,nv12", "640x480" or "yuyv". Tokens are separated
// by spaces, commas or colons and may come in any order.
func ParseVideo(s string) (Video, error) {
	var v Video
	for _, tok := range fields(s) {
		size, rate, hasRate := strings.Cut(tok, "@")
		if size != "" {
			if w, h, ok := strings.Cut(strings.ToLower(size), "x"); ok && isDigits(w) && isDigits(h) {
				var err1, err2 error
				v.Width, err1 = strconv.Atoi(w)
				v.Height, err2 = strconv.Atoi(h)
				if err1 != nil || err2 != nil {
					return Video{}, fmt.Errorf("format: bad size %q in %q", size, s)
				}
			} else if hasRate {
				return Video{}, fmt.Errorf("format: bad size %q in %q", size, s)
			} else {
				pf, err := ParsePixelFormat(size)
				if err != nil {
					return Video{}, err
				}
				v.PixelFormat = pf
			}
		}
		if hasRate {
			r, err := ParseRational(rate)
			if err != nil {
				return Video{}, err
			}
			v.FrameRate = r
		}
	}
	if v.Width < 0 || v.Height < 0 || (v.Width == 0) != (v.Height == 0) {
		return Video{}, fmt.Errorf("format: bad size in %q", s)
	}
	return v, nil
}

// ParseRational parses "30", "30/1", "30000/1001" or "29.97" (as 2997/100).
func ParseRational(s string) (Rational, error) {
	if n, d, ok := strings.Cut(s, "/"); ok {
		a, err1 := strconv.Atoi(n)
		b, err2 := strconv.Atoi(d)
		if err1 != nil || err2 != nil || a <= 0 || b <= 0 {
			return Rational{}, fmt.Errorf("format: bad rate %q", s)
		}
		return Rational{a, b}, nil
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		// At most 6 decimals: counted before den grows, which more would
		// overflow.
		decimals := len(s) - i - 1
		den := 1
		for range min(decimals, 7) {
			den *= 10
		}
		a, err := strconv.Atoi(s[:i] + s[i+1:])
		if err != nil || a <= 0 || decimals > 6 {
			return Rational{}, fmt.Errorf("format: bad rate %q", s)
		}
		return Rational{a, den}, nil
	}
	a, err := strconv.Atoi(s)
	if err != nil || a <= 0 {
		return Rational{}, fmt.Errorf("format: bad rate %q", s)
	}
	return Rational{a, 1}, nil
}

// ParseAudio parses an audio format such as "48000 2ch f32", "44.1k mono
// s16" or "stereo". Tokens: a rate ("48000", "48k", "44.1khz"), channels
// ("2ch", "mono", "stereo"), a sample format, and a period ("480frames").
func ParseAudio(s string) (Audio, error) {
	var a Audio
	for _, tok := range fields(strings.ToLower(s)) {
		switch {
		case tok == "mono":
			a.Channels = 1
		case tok == "stereo":
			a.Channels = 2
		case strings.HasSuffix(tok, "ch") && isDigits(tok[:len(tok)-2]):
			var err error
			if a.Channels, err = strconv.Atoi(tok[:len(tok)-2]); err != nil {
				return Audio{}, fmt.Errorf("format: bad channel count %q", tok)
			}
		case strings.HasSuffix(tok, "frames") && isDigits(tok[:len(tok)-6]):
			var err error
			if a.PeriodFrames, err = strconv.Atoi(tok[:len(tok)-6]); err != nil {
				return Audio{}, fmt.Errorf("format: bad period %q", tok)
			}
		case len(tok) > 0 && (tok[0] >= '0' && tok[0] <= '9'):
			t := strings.TrimSuffix(strings.TrimSuffix(tok, "hz"), "h")
			mul := 1.0
			if strings.HasSuffix(t, "k") {
				t, mul = t[:len(t)-1], 1000
			}
			f, err := strconv.ParseFloat(t, 64)
			// Below 1 Hz once rounded, or past what an int32 holds (the
			// conversion of a larger float is undefined): not a rate.
			if f *= mul; err != nil || !(f >= 0.5 && f < 1<<31) {
				return Audio{}, fmt.Errorf("format: bad sample rate %q", tok)
			}
			a.SampleRate = int(f + 0.5)
		default:
			sf, err := ParseSampleFormat(tok)
			if err != nil {
				return Audio{}, err
			}
			a.SampleFormat = sf
		}
	}
	if a.Channels < 0 || a.Channels > 64 {
		return Audio{}, fmt.Errorf("format: bad channel count in %q", s)
	}
	return a, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
