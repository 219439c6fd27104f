//go:build cgo

package main

/*
#include "bridge.h"
*/
import "C"

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
)

// pixelFormats maps the 0.7 pixel formats miniav has to miniav's; the
// others (XRGB32, 10- and 16-bit, Bayer) have no miniav layout.
var pixelFormats = map[C.MiniAVPixelFormat]format.PixelFormat{
	C.MINIAV_PIXEL_FORMAT_RGB24:  format.RGB24,
	C.MINIAV_PIXEL_FORMAT_BGR24:  format.BGR24,
	C.MINIAV_PIXEL_FORMAT_RGBA32: format.RGBA,
	C.MINIAV_PIXEL_FORMAT_BGRA32: format.BGRA,
	C.MINIAV_PIXEL_FORMAT_ARGB32: format.ARGB,
	C.MINIAV_PIXEL_FORMAT_ABGR32: format.ABGR,
	C.MINIAV_PIXEL_FORMAT_RGBX32: format.RGBX,
	C.MINIAV_PIXEL_FORMAT_BGRX32: format.BGRX,
	C.MINIAV_PIXEL_FORMAT_I420:   format.I420,
	C.MINIAV_PIXEL_FORMAT_YV12:   format.YV12,
	C.MINIAV_PIXEL_FORMAT_NV12:   format.NV12,
	C.MINIAV_PIXEL_FORMAT_NV21:   format.NV21,
	C.MINIAV_PIXEL_FORMAT_YUY2:   format.YUYV,
	C.MINIAV_PIXEL_FORMAT_UYVY:   format.UYVY,
	C.MINIAV_PIXEL_FORMAT_GRAY8:  format.GRAY8,
	C.MINIAV_PIXEL_FORMAT_MJPEG:  format.MJPEG,
}

// toPixel is pixelFormats inverted.
var toPixel = func() map[format.PixelFormat]C.MiniAVPixelFormat {
	m := make(map[format.PixelFormat]C.MiniAVPixelFormat, len(pixelFormats))
	for c, p := range pixelFormats {
		m[p] = c
	}
	return m
}()

// pixelOf returns the 0.7 value of p, UNKNOWN for formats it lacks.
func pixelOf(p format.PixelFormat) C.MiniAVPixelFormat {
	if c, ok := toPixel[p]; ok {
		return c
	}
	return C.MINIAV_PIXEL_FORMAT_UNKNOWN
}

var sampleFormats = map[C.MiniAVAudioFormat]format.SampleFormat{
	C.MINIAV_AUDIO_FORMAT_U8:  format.U8,
	C.MINIAV_AUDIO_FORMAT_S16: format.S16,
	C.MINIAV_AUDIO_FORMAT_S32: format.S32,
	C.MINIAV_AUDIO_FORMAT_F32: format.F32,
}

func sampleOf(f format.SampleFormat) C.MiniAVAudioFormat {
	for c, s := range sampleFormats {
		if s == f {
			return c
		}
	}
	return C.MINIAV_AUDIO_FORMAT_UNKNOWN
}

// videoInfo describes v in 0.7's terms.
func videoInfo(v format.Video, pref C.MiniAVOutputPreference) C.MiniAVVideoInfo {
	return C.MiniAVVideoInfo{
		width: C.uint32_t(v.Width), height: C.uint32_t(v.Height), pixel_format: pixelOf(v.PixelFormat),
		frame_rate_numerator: C.uint32_t(v.FrameRate.Num), frame_rate_denominator: C.uint32_t(v.FrameRate.Den),
		output_preference: pref,
	}
}

// fromVideoInfo is the miniav request of vi: zero fields are the device's
// choice. A pixel format miniav has no layout for is an error.
func fromVideoInfo(vi *C.MiniAVVideoInfo) (format.Video, C.MiniAVOutputPreference, error) {
	if vi == nil {
		return format.Video{}, C.MINIAV_OUTPUT_PREFERENCE_CPU, nil
	}
	v := format.Video{Width: int(vi.width), Height: int(vi.height)}
	if vi.pixel_format != C.MINIAV_PIXEL_FORMAT_UNKNOWN {
		p, ok := pixelFormats[vi.pixel_format]
		if !ok {
			return v, 0, fmt.Errorf("pixel format %d: %w", vi.pixel_format, miniav.ErrNotSupported)
		}
		v.PixelFormat = p
	}
	if vi.frame_rate_numerator != 0 {
		v.FrameRate = format.Rational{Num: int(vi.frame_rate_numerator), Den: max(1, int(vi.frame_rate_denominator))}
	}
	pref := vi.output_preference
	if pref != C.MINIAV_OUTPUT_PREFERENCE_GPU {
		pref = C.MINIAV_OUTPUT_PREFERENCE_CPU
	}
	return v, pref, nil
}

func audioInfo(a format.Audio) C.MiniAVAudioInfo {
	return C.MiniAVAudioInfo{format: sampleOf(a.SampleFormat), sample_rate: C.uint32_t(a.SampleRate),
		channels: C.uint8_t(min(a.Channels, 255)), num_frames: C.uint32_t(a.PeriodFrames)}
}

func fromAudioInfo(ai *C.MiniAVAudioInfo) (format.Audio, error) {
	if ai == nil {
		return format.Audio{}, nil
	}
	a := format.Audio{SampleRate: int(ai.sample_rate), Channels: int(ai.channels), PeriodFrames: int(ai.num_frames)}
	if ai.format != C.MINIAV_AUDIO_FORMAT_UNKNOWN {
		s, ok := sampleFormats[ai.format]
		if !ok {
			return a, fmt.Errorf("audio format %d: %w", ai.format, miniav.ErrNotSupported)
		}
		a.SampleFormat = s
	}
	return a, nil
}

// listTimeout bounds enumeration, so that a hung audio server cannot hang
// the caller.
const listTimeout = 10 * time.Second

// list returns the devices of the given kinds.
func list(kinds ...devices.Kind) ([]devices.Device, error) {
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	ds, err := devices.List(ctx, kinds...)
	if err != nil && len(ds) == 0 {
		return nil, fmt.Errorf("enumerate %v: %w", kinds, err)
	}
	return ds, nil
}

// lookup returns device id of one of the kinds, its ID as given.
func lookup(id *C.char, kinds ...devices.Kind) (devices.Device, error) {
	if id == nil {
		return devices.Device{}, fmt.Errorf("device id is NULL: %w", miniav.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	s := C.GoString(id)
	d, err := devices.Lookup(ctx, s)
	if err != nil {
		return d, err
	}
	d.ID = s // with its parameters ("?param"), which Lookup ignores
	if !slices.Contains(kinds, d.Kind) {
		return d, fmt.Errorf("device %s is a %s, not a %v: %w", d.ID, d.Kind, kinds, miniav.ErrNotFound)
	}
	return d, nil
}

// deviceInfo fills one MiniAVDeviceInfo (IDs and names are truncated to
// 255 bytes).
func deviceInfo(dst *C.MiniAVDeviceInfo, d devices.Device) {
	putString(dst.device_id[:], d.ID)
	putString(dst.name[:], d.Name)
	dst.is_default = C.bool(d.Default)
}

func putString(dst []C.char, s string) {
	n := min(len(s), len(dst)-1)
	for i := range n {
		dst[i] = C.char(s[i])
	}
	dst[n] = 0
}

// cArray returns n zeroed Ts in C memory (nil for n == 0) and a Go view.
func cArray[T any](n int) (unsafe.Pointer, []T) {
	if n == 0 {
		return nil, nil
	}
	var t T
	p := C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(t)))
	return p, unsafe.Slice((*T)(p), n)
}

// enumerate is every EnumerateDevices: the list in C memory, freed with
// MiniAV_FreeDeviceList.
func enumerate(out **C.MiniAVDeviceInfo, count *C.uint32_t, kinds ...devices.Kind) C.MiniAVResultCode {
	if out == nil || count == nil {
		return failf(C.MINIAV_ERROR_INVALID_ARG, "enumerate: NULL out or count")
	}
	*out, *count = nil, 0
	ds, err := list(kinds...)
	if err != nil {
		return result(err)
	}
	p, s := cArray[C.MiniAVDeviceInfo](len(ds))
	for i, d := range ds {
		deviceInfo(&s[i], d)
	}
	*out, *count = (*C.MiniAVDeviceInfo)(p), C.uint32_t(len(ds))
	return C.MINIAV_SUCCESS
}

// commonSizes are the sizes listed for devices that offer a range of
// them, where they fit the range.
var commonSizes = [][2]int{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}}

// videoFormats lists the formats of d as 0.7 lists them: one entry per
// pixel format, size and rate, for the pixel formats 0.7 has. A size range
// is listed by its largest size and the common sizes within it; a rate
// range by its maximum.
func videoFormats(d devices.Device) []C.MiniAVVideoInfo {
	var out []C.MiniAVVideoInfo
	for _, c := range d.Video {
		if pixelOf(c.PixelFormat) == C.MINIAV_PIXEL_FORMAT_UNKNOWN {
			continue
		}
		sizes := [][2]int{{c.Size.MaxWidth, c.Size.MaxHeight}}
		if c.Size.MinWidth != c.Size.MaxWidth || c.Size.MinHeight != c.Size.MaxHeight {
			for _, s := range commonSizes {
				if c.Size.Contains(s[0], s[1]) {
					sizes = append(sizes, s)
				}
			}
		}
		rates := c.FrameRates
		if len(rates) == 0 && !c.MaxRate.IsZero() {
			rates = []format.Rational{c.MaxRate}
			if r := format.FPS(30); c.MinRate.Cmp(r) <= 0 && c.MaxRate.Cmp(r) > 0 {
				rates = append(rates, r)
			}
		}
		if len(rates) == 0 {
			rates = []format.Rational{{}}
		}
		for _, s := range sizes {
			for _, r := range rates {
				out = append(out, videoInfo(format.Video{Width: s[0], Height: s[1], PixelFormat: c.PixelFormat, FrameRate: r},
					C.MINIAV_OUTPUT_PREFERENCE_CPU))
			}
		}
	}
	return out
}

// commonRates are the sample rates listed for devices that offer a range.
var commonRates = []int{48000, 44100, 16000}

// audioFormats lists the formats of d: per sample format 0.7 has, the
// device's rates (or the common ones in its range) with its maximum
// channel count up to 2.
func audioFormats(d devices.Device) []C.MiniAVAudioInfo {
	var out []C.MiniAVAudioInfo
	for _, c := range d.Audio {
		rates := c.Rates
		if len(rates) == 0 {
			for _, r := range commonRates {
				if (c.MinRate == 0 || r >= c.MinRate) && (c.MaxRate == 0 || r <= c.MaxRate) {
					rates = append(rates, r)
				}
			}
		}
		ch := 2
		if c.MaxChannels > 0 {
			ch = min(ch, c.MaxChannels)
		}
		sfs := c.SampleFormats
		if len(sfs) == 0 {
			sfs = []format.SampleFormat{format.S16, format.F32}
		}
		for _, sf := range sfs {
			if sampleOf(sf) == C.MINIAV_AUDIO_FORMAT_UNKNOWN {
				continue
			}
			for _, r := range rates {
				out = append(out, audioInfo(format.Audio{SampleRate: r, Channels: ch, SampleFormat: sf}))
			}
		}
	}
	return out
}

// formatList copies fs into a C array for a GetSupportedFormats.
func formatList[T any](fs []T, out **T, count *C.uint32_t) C.MiniAVResultCode {
	p, s := cArray[T](len(fs))
	copy(s, fs)
	*out, *count = (*T)(p), C.uint32_t(len(fs))
	return C.MINIAV_SUCCESS
}
