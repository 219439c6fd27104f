//go:build js && wasm

package webmedia

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

func init() { backend.Register(Backend{}) }

// Backend captures through the browser's media devices.
type Backend struct{}

// Name returns "webmedia".
func (Backend) Name() string { return Name }

// Kinds lists the kinds of device the backend offers.
func (Backend) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindCamera, backend.KindMicrophone, backend.KindDisplay}
}

var (
	poolOnce   sync.Once
	sharedPool *pool.Pool
)

func framePool() *pool.Pool {
	poolOnce.Do(func() { sharedPool = pool.New(pool.WithMaxBytes(PoolBytes)) })
	return sharedPool
}

func outstanding() int64 {
	if sharedPool == nil {
		return 0
	}
	return sharedPool.Stats().Outstanding
}

// Devices lists the default camera, microphone and screen entries and the
// cameras and microphones the browser reveals.
func (Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	md := get("navigator", "mediaDevices")
	if md.IsUndefined() {
		return nil, nil // not a browser, or not a secure context
	}
	list, err := await(ctx, md.Call("enumerateDevices"))
	if err != nil {
		return nil, fmt.Errorf("webmedia: enumerateDevices: %w", err)
	}
	var cams, mics []backend.Device
	for i := range list.Length() {
		d := list.Index(i)
		id, label := d.Get("deviceId").String(), d.Get("label").String()
		switch d.Get("kind").String() {
		case "videoinput":
			cams = add(cams, backend.KindCamera, "camera", id, label)
		case "audioinput":
			mics = add(mics, backend.KindMicrophone, "microphone", id, label)
		}
	}
	out := append(cams, mics...)
	if !md.Get("getDisplayMedia").IsUndefined() {
		out = append(out, backend.Device{ID: Name + ":screen", Name: "screen (user's choice)", Kind: backend.KindDisplay, Backend: Name, Default: true})
	}
	return out, nil
}

func add(list []backend.Device, kind backend.Kind, what, id, label string) []backend.Device {
	if len(list) == 0 {
		list = append(list, backend.Device{ID: Name + ":" + what, Name: "default " + what, Kind: kind, Backend: Name, Default: true})
	}
	if id == "" || id == "default" {
		return list
	}
	if label == "" {
		label = what + " " + strconv.Itoa(len(list))
	}
	return append(list, backend.Device{ID: Name + ":" + what + "/" + id, Name: label, Kind: kind, Backend: Name,
		Attrs: map[string]string{"deviceId": id}})
}

// Open asks the browser for the device and starts reading its track.
func (Backend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	tg, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	md := get("navigator", "mediaDevices")
	if md.IsUndefined() {
		return nil, fmt.Errorf("webmedia: navigator.mediaDevices is missing (not a browser, or not a secure context): %w", backend.ErrNotSupported)
	}
	if get("MediaStreamTrackProcessor").IsUndefined() {
		return nil, fmt.Errorf("webmedia: this browser has no MediaStreamTrackProcessor: %w", backend.ErrNotSupported)
	}
	if !cfg.Region.Empty() {
		return nil, fmt.Errorf("webmedia: cropping (Config.Region) is not supported: %w", backend.ErrNotSupported)
	}
	audio := tg.kind == "microphone"
	opts, err := copyOptions(audio, cfg)
	if err != nil {
		return nil, err
	}
	method := "getUserMedia"
	if tg.kind == "screen" {
		method = "getDisplayMedia"
		if md.Get(method).IsUndefined() {
			return nil, fmt.Errorf("webmedia: no getDisplayMedia: %w", backend.ErrNotSupported)
		}
	}
	p := md.Call(method, constraints(tg, cfg))
	ms, err := await(ctx, p)
	if err != nil {
		if ctx.Err() != nil {
			p.Call("then", get("Function").New(stopTracksSource))
			return nil, err
		}
		return nil, fmt.Errorf("webmedia: %s(%s): %w", method, addr, err)
	}
	tracks := "getVideoTracks"
	if audio {
		tracks = "getAudioTracks"
	}
	list := ms.Call(tracks)
	if list.Length() == 0 {
		ms.Call("getTracks").Call("forEach", get("Function").New("t", "t.stop()"))
		return nil, fmt.Errorf("webmedia: %s gave no track: %w", method, backend.ErrNotFound)
	}
	return newSource(tg, list.Index(0), opts, cfg), nil
}

// copyOptions checks the requested sample or pixel format and returns the
// copyTo options that deliver it.
func copyOptions(audio bool, cfg backend.Config) (copyOpts, error) {
	if audio {
		switch cfg.Audio.SampleFormat {
		case format.SampleUnknown, format.F32:
			return copyOpts{sample: format.F32, name: "f32"}, nil
		case format.S16:
			return copyOpts{sample: format.S16, name: "s16"}, nil
		}
		return copyOpts{}, fmt.Errorf("webmedia: sample format %v (want f32 or s16): %w", cfg.Audio.SampleFormat, backend.ErrNotSupported)
	}
	switch pf := cfg.Video.PixelFormat; pf {
	case 0, format.RGBA:
		return copyOpts{pix: format.RGBA, name: "RGBA"}, nil
	case format.RGBX:
		return copyOpts{pix: pf, name: "RGBX"}, nil
	case format.BGRA:
		return copyOpts{pix: pf, name: "BGRA"}, nil
	case format.BGRX:
		return copyOpts{pix: pf, name: "BGRX"}, nil
	case format.I420:
		return copyOpts{pix: pf, name: "I420"}, nil
	}
	return copyOpts{}, fmt.Errorf("webmedia: pixel format %v (want RGBA, RGBX, BGRA, BGRX or I420): %w", cfg.Video.PixelFormat, backend.ErrNotSupported)
}

type copyOpts struct {
	pix    format.PixelFormat
	sample format.SampleFormat
	name   string
}
