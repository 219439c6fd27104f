// Package testsrc is miniav's synthetic source, registered under the scheme
// "testsrc" and always available, so programs and tests run on machines
// without capture hardware.
//
// Devices:
//
//	testsrc:camera      moving colour bars in I420, NV12, YUYV, UYVY, RGBA,
//	                    BGRA, BGRX, RGB24, BGR24 or GRAY8, any even size,
//	                    1 to 1000 fps (default 640x480@30 I420)
//	testsrc:screen      the same pattern as a 1920x1080@30 BGRX display
//	testsrc:microphone  a sine tone, S16 or F32, 1 to 32 channels,
//	                    8 to 384 kHz (default 440 Hz, 48000 Hz, mono, S16,
//	                    10 ms periods)
//
// The camera also delivers MJPEG: the pattern rendered in
// I420 and encoded per frame with image/jpeg (4:2:0, "?quality=N",
// default 90), so decoded frames carry the pattern and its index stamp.
//
// Parameters follow the ID after "?": "testsrc:microphone?freq=1000",
// "testsrc:camera?static=1" (the bars do not move, so a recycled buffer
// only needs its index stamp redrawn), "?stamp=0" (no index stamp; with
// static=1 a frame costs no rendering at all, for benchmarks that measure
// delivery alone), "?lose=N" (the device is lost after N frames: Read fails
// with backend.ErrDeviceLost), "testsrc:camera?webcam=1" (the camera
// offers only what a typical USB 2 webcam does: YUYV at 640x480 and
// 320x240, MJPEG at those and at 1280x720 and 1920x1080, all at 30 fps),
// "?noise=N" (every byte of the first plane below the index stamp gets
// pseudo-random noise of up to ±N, different in every frame, as a
// sensor's: the bars alone compress to almost nothing, a camera's picture
// does not, and an encoder under test needs a picture that fills its
// bitrate), "?corrupt=N" (every Nth MJPEG frame, those with k%N == N-1, is cut to
// half its length, as a camera's frame after a USB hiccup), "?ring=N"
// (MJPEG: frames 0 to N-1 are encoded when the source opens and repeated,
// frame k being a copy of frame k%N with its stamp, so delivering a frame
// costs no encoding and allocates nothing).
//
// Every video frame carries its index in the top rows: 32 blocks, most
// significant bit first, white for 1 and black for 0 (see DecodeIndex). The
// source runs on an absolute schedule: frame k is due at start+k/rate, so
// it never drifts, and after a stall it resumes at the current frame
// instead of bursting, leaving a gap in the sequence numbers (a drop on the
// device's side). With Config.Unpaced it delivers as fast as buffers are
// released.
package testsrc

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

func init() { backend.Register(Backend{}) }

// webcamCaps: raw YUYV only at small sizes, MJPEG up to 1080p, as USB 2
// webcams do.
var webcamCaps = []format.VideoCaps{
	{PixelFormat: format.YUYV, Size: format.Discrete(640, 480), FrameRates: []format.Rational{format.FPS(30)}},
	{PixelFormat: format.YUYV, Size: format.Discrete(320, 240), FrameRates: []format.Rational{format.FPS(30)}},
	{PixelFormat: format.MJPEG, Size: format.Discrete(1920, 1080), FrameRates: []format.Rational{format.FPS(30)}},
	{PixelFormat: format.MJPEG, Size: format.Discrete(1280, 720), FrameRates: []format.Rational{format.FPS(30)}},
	{PixelFormat: format.MJPEG, Size: format.Discrete(640, 480), FrameRates: []format.Rational{format.FPS(30)}},
	{PixelFormat: format.MJPEG, Size: format.Discrete(320, 240), FrameRates: []format.Rational{format.FPS(30)}},
}

// webcamSupports reports whether one of the webcam's formats fits v, with
// the webcam's defaults for zero fields (YUYV 640x480 at 30 fps).
func webcamSupports(v format.Video) bool {
	if v.PixelFormat == 0 {
		v.PixelFormat = format.YUYV
	}
	if v.Width == 0 && v.Height == 0 {
		v.Width, v.Height = 640, 480
	}
	return slices.ContainsFunc(webcamCaps, func(c format.VideoCaps) bool { return c.Supports(v) })
}

// Name is the backend's scheme.
const Name = "testsrc"

// Backend is the synthetic backend.
type Backend struct{}

// Name implements backend.Backend.
func (Backend) Name() string { return Name }

// Kinds implements backend.Kinder.
func (Backend) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindCamera, backend.KindDisplay, backend.KindMicrophone}
}

// VideoFormats are the pixel formats the camera renders.
var VideoFormats = []format.PixelFormat{format.I420, format.NV12, format.YUYV, format.UYVY, format.RGBA, format.BGRA, format.BGRX, format.RGB24, format.BGR24, format.GRAY8}

var sizes = format.SizeRange{MinWidth: 2, MaxWidth: 7680, StepWidth: 2, MinHeight: 2, MaxHeight: 4320, StepHeight: 2}

// Devices implements backend.Backend.
func (Backend) Devices(context.Context) ([]backend.Device, error) {
	var cam []format.VideoCaps
	for _, p := range append(slices.Clip(VideoFormats), EncodedFormats...) {
		cam = append(cam, format.VideoCaps{PixelFormat: p, Size: sizes, MinRate: format.FPS(1), MaxRate: format.FPS(1000)})
	}
	scr := []format.VideoCaps{
		{PixelFormat: format.BGRX, Size: sizes, MinRate: format.FPS(1), MaxRate: format.FPS(1000)},
		{PixelFormat: format.BGRA, Size: sizes, MinRate: format.FPS(1), MaxRate: format.FPS(1000)},
	}
	mic := []format.AudioCaps{{SampleFormats: []format.SampleFormat{format.S16, format.F32}, MinChannels: 1, MaxChannels: 32, MinRate: 8000, MaxRate: 384000}}
	return []backend.Device{
		{ID: Name + ":camera", Name: "Test pattern camera", Kind: backend.KindCamera, Backend: Name, Video: cam},
		{ID: Name + ":screen", Name: "Test pattern screen", Kind: backend.KindDisplay, Backend: Name, Video: scr},
		{ID: Name + ":microphone", Name: "Test tone microphone", Kind: backend.KindMicrophone, Backend: Name, Audio: mic},
	}, nil
}

type params struct {
	quality int  // MJPEG quality
	webcam  bool // offer only webcamCaps
	corrupt int  // MJPEG: truncate every corrupt-th frame
	ring    int  // MJPEG: pre-encode this many frames and repeat them
	freq    float64
	static  bool
	noStamp bool
	noise   int
	lose    int64
}

func parseAddr(addr string) (string, params, error) {
	p := params{freq: 440, lose: -1}
	dev, query, _ := strings.Cut(addr, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", p, fmt.Errorf("testsrc: bad parameters %q: %w", query, backend.ErrNotSupported)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "freq":
			p.freq, err = strconv.ParseFloat(v, 64)
			if err == nil && (p.freq <= 0 || p.freq > 1e6) {
				err = fmt.Errorf("out of range")
			}
		case "static":
			p.static, err = strconv.ParseBool(v)
		case "stamp":
			var on bool
			on, err = strconv.ParseBool(v)
			p.noStamp = !on
		case "lose":
			p.lose, err = strconv.ParseInt(v, 10, 64)
		case "noise":
			p.noise, err = strconv.Atoi(v)
			if err == nil && (p.noise < 0 || p.noise > 127) {
				err = fmt.Errorf("out of range 0..127")
			}
		case "webcam":
			p.webcam, err = strconv.ParseBool(v)
		case "ring":
			p.ring, err = strconv.Atoi(v)
			if err == nil && (p.ring < 1 || p.ring > 1000) {
				err = fmt.Errorf("out of range 1..1000")
			}
		case "corrupt":
			p.corrupt, err = strconv.Atoi(v)
			if err == nil && p.corrupt < 1 {
				err = fmt.Errorf("must be at least 1")
			}
		case "quality":
			p.quality, err = strconv.Atoi(v)
			if err == nil && (p.quality < 1 || p.quality > 100) {
				err = fmt.Errorf("out of range 1..100")
			}
		default:
			err = fmt.Errorf("unknown parameter")
		}
		if err != nil {
			return "", p, fmt.Errorf("testsrc: parameter %s=%q: %v: %w", k, v, err, backend.ErrNotSupported)
		}
	}
	return dev, p, nil
}

// Open implements backend.Backend.
func (Backend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dev, p, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	switch dev {
	case "camera":
		if p.webcam {
			if !webcamSupports(cfg.Video) {
				return nil, fmt.Errorf("testsrc: the webcam does not offer %v (it has %v): %w", cfg.Video, webcamCaps, backend.ErrNotSupported)
			}
			return video(openVideo(cfg, p, backend.KindCamera, format.Video{Width: 640, Height: 480, PixelFormat: format.YUYV, FrameRate: format.FPS(30)}))
		}
		return video(openVideo(cfg, p, backend.KindCamera, format.Video{Width: 640, Height: 480, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	case "screen":
		return video(openVideo(cfg, p, backend.KindDisplay, format.Video{Width: 1920, Height: 1080, PixelFormat: format.BGRX, FrameRate: format.FPS(30)}))
	case "microphone":
		a, err := openAudio(cfg, p)
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, fmt.Errorf("testsrc: no device %q (have camera, screen, microphone): %w", dev, backend.ErrNotFound)
}

// video gives a failed openVideo's error with a nil Source, not a nil
// *videoSource in a non-nil interface.
func video(s *videoSource, err error) (backend.Source, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
